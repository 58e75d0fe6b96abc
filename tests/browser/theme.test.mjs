// The default theme in headless Chromium: the sample archive is built with
// the real binary, served on loopback under a sub-path, and read at a wide
// (1440x900) and a narrow (390x844) size, with and without JavaScript.
// Screenshots and the measured figures go to target/browser/.
//
// Run through cargo: `cargo test --test main -- --include-ignored browser::`
// (needs /usr/bin/chromium and `npm ci`; .ci/run provides both).
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { start, settle, SHOTS } from "./harness.mjs";
import { notesGeometry, sidewaysScroll, contrasts, structure } from "./geometry.mjs";

const ARTICLE = "articles/iran-backchannel/";
const WIDE = { viewport: { width: 1440, height: 900 } };
const NARROW = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true };
const GAP = 10; // the script's gap between two notes
const TOLERANCE = 2; // px

let env;
const figures = {};

before(async () => {
  env = await start();
});

after(async () => {
  writeFileSync(join(SHOTS, "figures.json"), JSON.stringify(figures, null, 2) + "\n");
  await env?.stop();
});

// Every test leaves no console error, no failed request, and no request
// to anything but the loopback server.
afterEach(() => {
  const problems = env.problems.splice(0);
  assert.deepEqual(problems, [], "console errors or failed requests");
  const outside = env.requests.splice(0).filter((u) => !u.startsWith(env.origin + "/"));
  assert.deepEqual(outside, [], "requests that left the loopback server");
});

async function open(options, path, { js = true } = {}) {
  const page = await env.page({ ...options, javaScriptEnabled: js });
  await page.goto(env.base + path);
  await settle(page, { js });
  return page;
}

/// The article pages of the sample archive, from its search index.
async function articlePaths(page) {
  const urls = await page.evaluate(async (u) => {
    const m = await (await fetch(u)).json();
    const all = [];
    for (let i = 0; i < m.documents; i++) all.push((await (await fetch(m.docs + i + ".json")).json()).url);
    return all;
  }, env.base + "search-index.json");
  return urls.map((u) => u.slice(env.base.length));
}

function overlaps(a, b) {
  return a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5 && a.left < b.right && b.left < a.right;
}

/// Checks every note of a wide page; returns the distances note - passage.
function checkMargin(notes, viewportWidth, { aligned, where }) {
  assert.ok(notes.length > 0, `${where}: no notes`);
  const distances = [];
  notes.forEach((n, i) => {
    const what = `${where} note ${n.number} (${n.id})`;
    assert.ok(n.visible, `${what} is not visible`);
    assert.ok(n.anchor && n.block, `${what} has no passage`);
    assert.ok(n.note.left >= n.block.right + 8, `${what} is not right of its paragraph (${n.note.left} < ${n.block.right})`);
    assert.ok(n.note.left >= 0 && n.note.right <= viewportWidth, `${what} is outside the window (${n.note.left}–${n.note.right})`);
    assert.ok(n.note.top >= n.anchor.top - TOLERANCE, `${what} is above its passage (${n.note.top} < ${n.anchor.top})`);
    if (i > 0) assert.ok(n.note.top >= notes[i - 1].note.bottom, `${what} is above note ${notes[i - 1].number}`);
    if (aligned) {
      const atPassage = Math.abs(n.note.top - n.anchor.top) <= TOLERANCE;
      const belowPrev = i > 0 && Math.abs(n.note.top - (notes[i - 1].note.bottom + GAP)) <= TOLERANCE;
      assert.ok(atPassage || belowPrev, `${what} is neither at its passage (${n.anchor.top}) nor just below the note above (${n.note.top})`);
    }
    distances.push(Math.round(n.note.top - n.anchor.top));
  });
  for (let i = 0; i < notes.length; i++)
    for (let j = i + 1; j < notes.length; j++)
      assert.ok(!overlaps(notes[i].note, notes[j].note), `${where}: notes ${notes[i].number} and ${notes[j].number} overlap`);
  return distances;
}

test("wide, with JavaScript: each note in the margin at its passage or just below the note above, none overlapping", async () => {
  const page = await open(WIDE, ARTICLE);
  await page.screenshot({ path: join(SHOTS, "article-1440.png"), fullPage: true });
  await page.screenshot({ path: join(SHOTS, "article-1440-top.png") });
  const all = {};
  for (const path of await articlePaths(page)) {
    await page.goto(env.base + path);
    await settle(page);
    const notes = await page.evaluate(notesGeometry);
    if (!notes.length) continue;
    const d = checkMargin(notes, 1440, { aligned: true, where: path });
    all[path] = { notes: d.length, max: Math.max(...d), aligned: d.filter((x) => Math.abs(x) <= TOLERANCE).length };
    // Never far: within three quarters of the window.
    assert.ok(Math.max(...d) <= 0.75 * 900, `${path}: a note is ${Math.max(...d)}px below its passage`);
  }
  // The column holds about 60–75 characters a line.
  await page.goto(env.base + ARTICLE);
  await settle(page);
  const measure = await page.evaluate(() => {
    const p = document.querySelector(".article-body > p");
    const lines = Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight));
    return { chars: p.textContent.length, lines, width: p.getBoundingClientRect().width };
  });
  const perLine = Math.round(measure.chars / measure.lines);
  figures.wide = { articles: all, charactersPerLine: perLine, columnWidth: measure.width };
  console.log("wide, JS:", JSON.stringify(figures.wide));
  assert.ok(perLine >= 55 && perLine <= 80, `${perLine} characters a line`);
  await page.context().close();
});

test("wide, without JavaScript: notes in the margin in reading order, none overlapping", async () => {
  const page = await open(WIDE, ARTICLE, { js: false });
  await page.screenshot({ path: join(SHOTS, "article-1440-nojs.png"), fullPage: true });
  const d = checkMargin(await page.evaluate(notesGeometry), 1440, { aligned: false, where: "no-JS " + ARTICLE });
  figures.wideNoJs = { notes: d.length, max: Math.max(...d) };
  console.log("wide, no JS:", JSON.stringify(figures.wideNoJs));
  await page.context().close();
});

test("narrow: nothing scrolls sideways; notes fold under their paragraph and open with a tap and with Enter", async () => {
  const page = await open(NARROW, ARTICLE);
  await page.screenshot({ path: join(SHOTS, "article-390.png"), fullPage: true });
  const side = await page.evaluate(sidewaysScroll);
  assert.ok(side.scrollWidth <= side.clientWidth, `scrolls sideways: ${JSON.stringify(side)}`);
  // The legend does not tell a touch screen to hover.
  const hint = await page.evaluate(() => document.querySelector(".legend-hint").innerText);
  assert.ok(!/hover/i.test(hint) && /^Tap /.test(hint), `legend hint on a touch screen: "${hint}"`);

  const notes = await page.evaluate(notesGeometry);
  for (const n of notes) {
    assert.ok(n.note.top >= n.block.bottom - TOLERANCE, `note ${n.number} is not under its paragraph`);
    assert.ok(n.note.right <= 390 && n.note.left >= 0, `note ${n.number} is outside the window`);
  }
  // Folded behind a labelled button that names the number.
  const toggles = await page.$$eval("aside.margin-note", (asides) =>
    asides.map((a) => {
      const b = a.querySelector("button.note-toggle");
      const controlled = b && document.getElementById(b.getAttribute("aria-controls"));
      return {
        id: a.id,
        number: a.querySelector(".note-number")?.textContent.trim(),
        label: b?.textContent,
        expanded: b?.getAttribute("aria-expanded"),
        hidden: controlled ? controlled.getClientRects().length === 0 : null,
      };
    }),
  );
  for (const t of toggles) {
    assert.equal(t.expanded, "false", `${t.id} is not folded`);
    assert.equal(t.hidden, true, `${t.id}: aria-controls does not name its hidden content`);
    assert.ok(t.label.includes(`Note ${t.number}`), `${t.id}: button "${t.label}" does not name note ${t.number}`);
  }

  // A tap opens a note.
  const first = page.locator(`#${toggles[0].id} > button.note-toggle`);
  await first.scrollIntoViewIfNeeded();
  await first.tap();
  await assertOpen(page, toggles[0].id, true);
  await page.screenshot({ path: join(SHOTS, "article-390-open.png") });
  await page.locator(`#${toggles[0].id}`).screenshot({ path: join(SHOTS, "article-390-note-open.png") });
  await first.tap();
  await assertOpen(page, toggles[0].id, false);

  // Enter opens and closes one from the keyboard; focus is visible on it.
  const second = page.locator(`#${toggles[4].id} > button.note-toggle`);
  await page.focus(`sup.note-ref a[href="#${toggles[5].id}"]`);
  await page.keyboard.press("Tab"); // reach it from the keyboard, as a reader would
  assert.equal(await page.evaluate(() => document.activeElement.closest("aside")?.id), toggles[4].id);
  const outline = await second.evaluate((b) => getComputedStyle(b).outlineStyle + " " + getComputedStyle(b).outlineWidth);
  assert.match(outline, /^solid [2-9]/, "focus is not visible on the fold button");
  await page.keyboard.press("Enter");
  await assertOpen(page, toggles[4].id, true);
  await page.keyboard.press("Enter");
  await assertOpen(page, toggles[4].id, false);
  await page.keyboard.press("Space");
  await assertOpen(page, toggles[4].id, true);

  // Tapping a passage's number opens its note.
  await page.locator(`sup.note-ref a[href="#${toggles[2].id}"]`).tap();
  await assertOpen(page, toggles[2].id, true);

  // The same page without JavaScript, and other pages: no sideways scroll.
  const nojs = await open(NARROW, ARTICLE, { js: false });
  const s2 = await nojs.evaluate(sidewaysScroll);
  assert.ok(s2.scrollWidth <= s2.clientWidth, `scrolls sideways without JS: ${JSON.stringify(s2)}`);
  await nojs.context().close();
  for (const path of ["", "articles/", "sources/", "sources/the-times/", "tags/", "tags/iran/", "404.html", "about/", "papers/press-release-audit/"]) {
    await page.goto(env.base + path);
    await settle(page);
    const s = await page.evaluate(sidewaysScroll);
    assert.ok(s.scrollWidth <= s.clientWidth, `/${path} scrolls sideways at 390px: ${JSON.stringify(s)}`);
  }
  await page.goto(env.base + "sources/the-times/");
  await settle(page);
  await page.screenshot({ path: join(SHOTS, "source-390.png"), fullPage: true });
  await page.context().close();
});

async function assertOpen(page, id, open) {
  await page.waitForFunction(
    ([id, open]) => {
      const a = document.getElementById(id);
      const b = a.querySelector("button.note-toggle");
      const body = a.querySelector(".note-body");
      return b.getAttribute("aria-expanded") === String(open) && (body.getClientRects().length > 0) === open;
    },
    [id, open],
    { timeout: 10_000 },
  );
}

test("passage and note highlight each other; numbers link both ways; a deep link highlights its passage", async () => {
  const page = await open(WIDE, ARTICLE);
  const active = () =>
    page.evaluate(() => ({
      notes: Array.from(document.querySelectorAll("aside.margin-note.is-active")).map((n) => n.id),
      marks: Array.from(document.querySelectorAll("mark.anchor.is-active")).map((m) => m.dataset.note),
    }));

  const expectActive = async (want) => {
    for (let i = 0; i < 50; i++) {
      const got = await active();
      if (JSON.stringify(got) === JSON.stringify(want)) return;
      await page.waitForTimeout(100);
    }
    assert.deepEqual(await active(), want);
  };

  // Hovering a nested passage highlights it and its note, not the outer one.
  await page.hover("mark.anchor[data-note='note-n10']");
  await expectActive({ notes: ["note-n10"], marks: ["note-n10"] });
  // Hovering a note highlights every piece of its split passage.
  await page.hover("#note-n12 .note-body");
  await expectActive({ notes: ["note-n12"], marks: ["note-n12", "note-n12"] });
  // Focusing a passage's number from the keyboard does the same.
  await page.mouse.move(0, 0);
  await page.focus("sup.note-ref a[href='#note-n3']");
  await expectActive({ notes: ["note-n3"], marks: ["note-n3"] });
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineWidth);
  assert.ok(parseFloat(ring) >= 2, "focus is not visible");
  await page.screenshot({ path: join(SHOTS, "article-1440-focus.png") });

  // The number in the note leads to the passage, the passage's number to the note.
  await page.click("#note-n9 .note-number");
  assert.equal(await page.evaluate(() => location.hash), "#n9");
  assert.ok(await page.evaluate(() => document.querySelector("mark#n9").matches(":target")));
  await page.click("sup.note-ref a[href='#note-n9']");
  assert.equal(await page.evaluate(() => location.hash), "#note-n9");

  // A deep link lights up every piece of its passage.
  // Narrowing the window folds the notes under their paragraphs; widening
  // it again places them in the margin as before.
  await page.setViewportSize({ width: 900, height: 900 });
  await page.waitForFunction(() => !document.querySelector(".article-body").classList.contains("notes-placed"));
  await settle(page);
  for (const n of await page.evaluate(notesGeometry)) assert.ok(n.note.top >= n.block.bottom - TOLERANCE && n.note.right <= 900, `note ${n.number} at 900px`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.waitForFunction(() => document.querySelector(".article-body").classList.contains("notes-placed"));
  // A focused or deep-linked note opens in full over its neighbours (when
  // clipped); the resting layout is what is checked.
  await page.evaluate(() => { document.activeElement.blur(); location.hash = ""; });
  await page.mouse.move(0, 0);
  await settle(page);
  checkMargin(await page.evaluate(notesGeometry), 1440, { aligned: true, where: "after resizing" });

  await page.goto(env.base + ARTICLE + "#n12");
  await settle(page);
  const lit = await page.evaluate(() => {
    const marks = Array.from(document.querySelectorAll("mark.anchor[data-note='note-n12']"));
    const plain = getComputedStyle(document.querySelector("mark.anchor[data-note='note-n1']")).backgroundColor;
    return marks.map((m) => m.classList.contains("is-target") && getComputedStyle(m).backgroundColor !== plain);
  });
  assert.deepEqual(lit, [true, true]);
  const inView = await page.evaluate(() => {
    const r = document.getElementById("n12").getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight;
  });
  assert.ok(inView, "the deep-linked passage is not on screen");
  await page.context().close();
});

// The search box has its own tests: search.test.mjs.

test("every kind of page has landmarks, ordered headings and linked notes", async () => {
  const page = await open(WIDE, "");
  const paths = ["", "articles/", "papers/", "sources/", "sources/the-times/", "tags/", "tags/iran/", "about/", "404.html", ARTICLE, "articles/octopus-sleep/"];
  const report = {};
  for (const path of paths) {
    await page.goto(env.base + path);
    await settle(page);
    const s = await page.evaluate(structure);
    const where = "/" + path;
    assert.equal(s.lang, "en", `${where}: no lang`);
    assert.ok(s.title.length > 0, `${where}: no title`);
    assert.equal(s.landmarks.banner, 1, `${where}: banner`);
    assert.equal(s.landmarks.main, 1, `${where}: main`);
    assert.equal(s.landmarks.contentinfo, 1, `${where}: contentinfo`);
    assert.ok(s.landmarks.navigation >= 1, `${where}: navigation`);
    assert.equal(s.landmarks.search, 1, `${where}: search`);
    assert.equal(s.headings.filter(([l]) => l === 1).length, 1, `${where}: one h1 (${JSON.stringify(s.headings)})`);
    assert.equal(s.headings[0][0], 1, `${where}: starts with h1`);
    s.headings.forEach(([l], i) => {
      if (i > 0) assert.ok(l <= s.headings[i - 1][0] + 1, `${where}: heading level jumps at ${JSON.stringify(s.headings[i])}`);
    });
    for (const d of s.details) assert.ok(d.ok, `${where}: aria-details="${d.id}" names no note`);
    report[where] = { headings: s.headings.length, details: s.details.length };
    if (path === "sources/the-times/" || path === "") await page.screenshot({ path: join(SHOTS, `${path ? "source" : "home"}-1440.png`), fullPage: true });
  }
  // A missing page gets the 404 page from the server, styled.
  const resp = await page.goto(env.base + "no-such-page/");
  assert.equal(resp.status(), 404);
  assert.ok(await page.locator("h1", { hasText: "Not found" }).isVisible());
  figures.pages = report;
  await page.context().close();
});

const PAIRS = [
  ["body text", ".article-body p"],
  ["muted text (provenance label)", ".provenance dt"],
  ["link", ".provenance a"],
  ["tag", ".tags a"],
  ["legend help", ".legend-help"],
  ["passage (mark)", "mark.anchor[data-note='note-n1']"],
  ["passage: context", "mark.anchor[data-kind=context]"],
  ["passage: sourcing", "mark.anchor[data-kind=sourcing]"],
  ["passage: language", "mark.anchor[data-kind=language]"],
  ["passage: correction", "mark.anchor[data-kind=correction]"],
  ["passage: framing", "mark.anchor[data-kind=framing]"],
  ["legend hint", ".legend-hint"],
  ["nested passage", "mark.anchor mark.anchor"],
  ["active passage", "mark.anchor.is-active"],
  ["note number link", "sup.note-ref a"],
  ["note text", "#note-n1 .note-body"],
  ["note sources", "#note-n1 .note-sources"],
  ["note source link", "#note-n1 .note-sources a"],
  ["note meta", ".note-meta"],
  ["active note text", "aside.margin-note.is-active .note-body"],
  ["kind: context", ".margin-note[data-kind=context] .note-kind"],
  ["kind: sourcing", ".margin-note[data-kind=sourcing] .note-kind"],
  ["kind: language", ".margin-note[data-kind=language] .note-kind"],
  ["kind: correction", ".margin-note[data-kind=correction] .note-kind"],
  ["kind: framing", ".margin-note[data-kind=framing] .note-kind"],
  ["number badge: context", ".margin-note[data-kind=context] .note-number"],
  ["number badge: sourcing", ".margin-note[data-kind=sourcing] .note-number"],
  ["number badge: language", ".margin-note[data-kind=language] .note-number"],
  ["number badge: correction", ".margin-note[data-kind=correction] .note-number"],
  ["number badge: framing", ".margin-note[data-kind=framing] .note-number"],
  ["legend kind: framing", ".legend-kind[data-kind=framing]"],
  ["footer", ".site-footer p"],
  ["search input", "#search-input"],
  ["search placeholder", "#search-input::placeholder"],
];
const NARROW_PAIRS = [
  ["fold button label", ".margin-note[data-kind=context] .toggle-number"],
  ["fold button label: language", ".margin-note[data-kind=language] .toggle-number"],
  ["fold button label: correction", ".margin-note[data-kind=correction] .toggle-number"],
  ["fold button preview", ".toggle-preview"],
];

test("text contrast is at least 4.5:1 in both colour schemes", async () => {
  const rows = [];
  for (const scheme of ["light", "dark"]) {
    const page = await open({ ...WIDE, colorScheme: scheme }, ARTICLE);
    await page.evaluate(() => {
      document.querySelector("#note-n5").classList.add("is-active");
      document.querySelectorAll("mark[data-note='note-n5']").forEach((m) => m.classList.add("is-active"));
    });
    await page.waitForTimeout(300); // the highlight's transition
    for (const r of await page.evaluate(contrasts, PAIRS)) rows.push({ scheme, ...r });
    if (scheme === "dark") await page.screenshot({ path: join(SHOTS, "article-1440-dark.png") });
    const narrow = await open({ ...NARROW, colorScheme: scheme }, ARTICLE);
    for (const r of await narrow.evaluate(contrasts, NARROW_PAIRS)) rows.push({ scheme, ...r });
    if (scheme === "dark") await narrow.screenshot({ path: join(SHOTS, "article-390-dark.png") });
    await narrow.context().close();
    await page.context().close();
  }
  const table = rows.map((r) => `${r.scheme.padEnd(5)}  ${String(r.ratio).padStart(6)}  ${r.fg} on ${r.bg}  ${r.label}`).join("\n");
  writeFileSync(join(SHOTS, "contrast.txt"), table + "\n");
  console.log("contrast (WCAG 2):\n" + table);
  figures.contrast = rows;
  for (const r of rows) {
    assert.ok(!r.missing, `${r.scheme}: nothing matches ${r.sel} (${r.label})`);
    assert.ok(r.ratio >= 4.5, `${r.scheme}: ${r.label} is ${r.ratio}:1 (${r.fg} on ${r.bg})`);
  }
});

test("print: notes stay in the margin beside the text, in order, without overlapping", async () => {
  const page = await open({ viewport: { width: 800, height: 1100 } }, ARTICLE);
  await page.emulateMedia({ media: "print" });
  await page.waitForTimeout(200);
  const notes = await page.evaluate(notesGeometry);
  checkMargin(notes, 800, { aligned: false, where: "print " + ARTICLE });
  await page.screenshot({ path: join(SHOTS, "article-print.png"), fullPage: true });
  await page.pdf({ path: join(SHOTS, "article.pdf"), format: "A4", printBackground: false });
  await page.context().close();
});
