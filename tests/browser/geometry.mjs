// Measurements taken inside the page (run through page.evaluate).

/// Every margin note of the page with its box, its passage's box and the box
/// of the paragraph (top-level block) holding the passage, in page
/// coordinates.
export function notesGeometry() {
  const body = document.querySelector(".article-body");
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left + scrollX, right: r.right + scrollX, width: r.width, height: r.height };
  };
  return Array.from(document.querySelectorAll("aside.margin-note")).map((n) => {
    const num = n.querySelector(".note-number");
    const href = num ? num.getAttribute("href") : null;
    const anchor = href ? document.getElementById(decodeURIComponent(href.slice(1))) : null;
    let block = anchor;
    while (block && block.parentElement !== body) block = block.parentElement;
    const cs = getComputedStyle(n);
    return {
      id: n.id,
      number: num ? num.textContent.trim() : "",
      note: box(n),
      anchor: anchor ? box(anchor) : null,
      block: block ? box(block) : null,
      visible: cs.display !== "none" && cs.visibility !== "hidden" && n.getBoundingClientRect().height > 0,
    };
  });
}

/// Whether anything is wider than the window.
export function sidewaysScroll() {
  const w = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll("body *"))
    .filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && (r.right > w + 1 || r.left < -1) && getComputedStyle(el).position !== "absolute";
    })
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`);
  return { scrollWidth: document.documentElement.scrollWidth, clientWidth: w, wide };
}

/// WCAG 2 contrast of text against what is behind it, for the elements
/// selected by each [label, selector] pair (the first match is measured).
export function contrasts(pairs) {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const hex = (c) => "#" + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  return pairs.map(([label, sel]) => {
    // "selector::placeholder" measures the pseudo-element's text.
    const [base, pseudo] = sel.split(/(?=::)/);
    const el = document.querySelector(base);
    if (!el) return { label, sel, missing: true };
    const bg = background(el);
    const fg = over(parse(getComputedStyle(el, pseudo || null).color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    return { label, sel, fg: hex(fg), bg: hex(bg), ratio: Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100 };
  });
}

/// The page's headings as [level, text] in document order, and its
/// landmarks.
export function structure() {
  const headings = Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6"))
    .filter((h) => h.getClientRects().length > 0 || h.closest(".visually-hidden"))
    .map((h) => [Number(h.tagName[1]), h.textContent.trim().slice(0, 40)]);
  const landmarks = {
    banner: document.querySelectorAll("body > header, [role=banner]").length,
    navigation: document.querySelectorAll("nav, [role=navigation]").length,
    main: document.querySelectorAll("main, [role=main]").length,
    contentinfo: document.querySelectorAll("body > footer, [role=contentinfo]").length,
    search: document.querySelectorAll("[role=search], search").length,
  };
  const details = Array.from(document.querySelectorAll("[aria-details]")).map((el) => {
    const target = document.getElementById(el.getAttribute("aria-details"));
    return { id: el.getAttribute("aria-details"), ok: !!target && target.matches("aside.margin-note[role=note]") };
  });
  return { headings, landmarks, details, lang: document.documentElement.lang, title: document.title };
}
