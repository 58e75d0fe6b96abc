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
    // color-mix() computes to color(srgb r g b [/ a]) with 0–1 channels.
    const srgb = c.match(/color\(srgb ([^)]+)\)/);
    if (srgb) {
      const p = srgb[1].split(/[ /]+/).filter(Boolean).map(Number);
      return { r: p[0] * 255, g: p[1] * 255, b: p[2] * 255, a: p.length > 3 ? p[3] : 1 };
    }
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

/// What the note layout costs the text and how near each note sits, measured
/// the way issue 15 did:
/// - `added`: blank space the layout adds to the text column, in px: for each
///   two consecutive text blocks, the gap between them beyond what the
///   stylesheet's own margins leave (max of the two collapsing margins),
///   plus any padding under the last block and any height by which the notes
///   run past the text's end (the page has to leave that room too);
/// - `share`: `added` as a percentage of the column's height (issue 15's
///   61 % for the seed article is 2226 px of 3652);
/// - `offsets`: for each note, its top minus its passage's top;
/// - `overlaps`: pairs of notes whose visible boxes intersect;
/// - `clipped`: ids of notes showing less than their full content.
export function layoutFigures() {
  const body = document.querySelector(".article-body");
  const notes = Array.from(body.querySelectorAll("aside.margin-note"));
  const inFlow = (el) => {
    if (el.matches("aside.margin-note, .note-spacer")) return false;
    const cs = getComputedStyle(el);
    return cs.display !== "none" && cs.position !== "absolute" && cs.position !== "fixed" && cs.float === "none" && el.getClientRects().length > 0;
  };
  const blocks = Array.from(body.children).filter(inFlow);
  const top = (el) => el.getBoundingClientRect().top + scrollY;
  const bottom = (el) => el.getBoundingClientRect().bottom + scrollY;
  const gaps = [];
  let added = 0;
  for (let i = 1; i < blocks.length; i++) {
    const a = blocks[i - 1], b = blocks[i];
    const expected = Math.max(parseFloat(getComputedStyle(a).marginBottom) || 0, parseFloat(getComputedStyle(b).marginTop) || 0);
    const extra = Math.max(0, top(b) - bottom(a) - expected);
    gaps.push(Math.round(extra));
    added += extra;
  }
  const last = blocks[blocks.length - 1];
  const textEnd = last ? bottom(last) : top(body);
  const padding = parseFloat(getComputedStyle(body).paddingBottom) || 0;
  const visible = notes.filter((n) => n.getClientRects().length > 0);
  const notesEnd = Math.max(textEnd, ...visible.map(bottom));
  const overhang = Math.max(0, notesEnd - textEnd - padding);
  added += padding + overhang;
  const natural = (last ? textEnd - top(blocks[0]) : 0) - gaps.reduce((s, g) => s + g, 0);
  const anchorOf = (n) => {
    const href = n.querySelector(".note-number")?.getAttribute("href");
    return href ? document.getElementById(decodeURIComponent(href.slice(1))) : null;
  };
  const offsets = visible.map((n) => {
    const a = anchorOf(n);
    return { id: n.id, offset: a ? Math.round(top(n) - top(a)) : null };
  });
  const rects = visible.map((n) => ({ id: n.id, r: n.getBoundingClientRect() }));
  const overlaps = [];
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i].r, b = rects[j].r;
      if (a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5 && a.left < b.right - 0.5 && b.left < a.right - 0.5) overlaps.push([rects[i].id, rects[j].id]);
    }
  const clipped = visible.filter((n) => n.scrollHeight > n.clientHeight + 1).map((n) => n.id);
  const sorted = offsets.map((o) => o.offset).filter((x) => x !== null).sort((x, y) => x - y);
  return {
    notes: notes.length,
    added: Math.round(added),
    natural: Math.round(natural),
    share: natural + added > 0 ? Math.round((added / (natural + added)) * 1000) / 10 : 0,
    firstGap: gaps[0] ?? 0,
    offsets,
    median: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0,
    worst: sorted.length ? sorted[sorted.length - 1] : 0,
    overlaps,
    clipped,
  };
}
