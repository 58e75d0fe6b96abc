// Margin notes without holes in the text (issue 15, problem 1), measured in
// headless Chromium at 1440×900 on every annotated article of the sample
// archive and on a generated dense article (30 long notes on 8 paragraphs):
// the blank space the note layout adds to the text column, each note's
// distance from its passage, overlaps, and that a note clipped to fit opens
// fully when its passage or the note itself is hovered or focused.
// The figures go to target/browser/layout.json.
//
// Run through cargo: `cargo test --test main -- --include-ignored browser::`.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { start, settle, SHOTS, SCREENSHOTS } from "./harness.mjs";
import { layoutFigures } from "./geometry.mjs";
import { writeDenseSite, DENSE_PATH, DENSE_NOTES } from "./dense-site.mjs";

const WIDE = { viewport: { width: 1440, height: 900 } };
// What issue 15 asks for, and what it sets as the goal.
const MAX_SHARE = 15; // % of the column's height
const MAX_OFFSET = 400; // px below the passage
const GOAL_SHARE = 5;
const GOAL_OFFSET = 150;

let env;
const figures = { reach: { share: MAX_SHARE, offset: MAX_OFFSET }, goal: { share: GOAL_SHARE, offset: GOAL_OFFSET } };

before(async () => {
  env = await start({ "/dense/": writeDenseSite });
});

after(async () => {
  writeFileSync(join(SHOTS, "layout.json"), JSON.stringify(figures, null, 2) + "\n");
  await env?.stop();
});

afterEach(() => {
  const problems = env.problems.splice(0);
  assert.deepEqual(problems, [], "console errors or failed requests");
  env.requests.splice(0);
});

async function open(url, { js = true, options = WIDE } = {}) {
  const page = await env.page({ ...options, javaScriptEnabled: js });
  await page.goto(url);
  await settle(page, { js });
  return page;
}

function summary(f) {
  return { notes: f.notes, added: f.added, share: f.share, firstGap: f.firstGap, median: f.median, worst: f.worst, overlaps: f.overlaps.length, clipped: f.clipped.length };
}

function checkLayout(f, where) {
  assert.deepEqual(f.overlaps, [], `${where}: notes overlap`);
  assert.ok(f.share <= MAX_SHARE, `${where}: the notes add ${f.share} % blank space to the text (${f.added}px)`);
  for (const o of f.offsets) {
    assert.notEqual(o.offset, null, `${where}: ${o.id} has no passage`);
    assert.ok(o.offset >= -2, `${where}: ${o.id} starts ${-o.offset}px above its passage`);
    assert.ok(o.offset <= MAX_OFFSET, `${where}: ${o.id} starts ${o.offset}px below its passage`);
  }
}

test("wide: the notes add little blank space to the text and sit near their passages, on every sample article and a dense one", async () => {
  const page = await open(env.base);
  // Every document's URL, from the sharded search index's manifest and
  // its per-document fragments.
  const index = await page.evaluate(async (u) => {
    const m = await (await fetch(u)).json();
    const all = [];
    for (let i = 0; i < m.documents; i++) all.push((await (await fetch(m.docs + i + ".json")).json()).url);
    return all;
  }, env.base + "search-index.json");
  const urls = index.concat(env.bases["/dense/"] + DENSE_PATH);
  figures.wide = {};
  const results = [];
  for (const url of urls) {
    await page.goto(url);
    await settle(page);
    const f = await page.evaluate(layoutFigures);
    if (!f.notes) continue;
    const name = url.replace(env.origin, "");
    figures.wide[name] = { ...summary(f), offsets: f.offsets.map((o) => o.offset) };
    console.log(`wide, JS, ${name}:`, JSON.stringify(summary(f)));
    results.push([name, f]);
    if (url.endsWith(DENSE_PATH)) {
      assert.equal(f.notes, DENSE_NOTES);
      await page.screenshot({ path: join(SHOTS, "dense-1440.png"), fullPage: true });
    }
  }
  for (const [name, f] of results) checkLayout(f, name);
  await page.context().close();
});

test("wide: a note clipped to fit opens in full when its passage or the note is focused or hovered", async () => {
  const page = await open(env.bases["/dense/"] + DENSE_PATH);
  const f = await page.evaluate(layoutFigures);
  figures.denseClipped = f.clipped.length;
  assert.ok(f.clipped.length > 0, "the dense article has no clipped note: nothing to open");
  const id = f.clipped[Math.floor(f.clipped.length / 2)];
  const full = (id) =>
    page.evaluate((id) => {
      const n = document.getElementById(id);
      const r = n.getBoundingClientRect();
      return { whole: n.scrollHeight <= n.clientHeight + 1, inView: r.top >= 0 && r.bottom <= innerHeight, top: r.top, bottom: r.bottom, z: getComputedStyle(n).zIndex };
    }, id);
  const waitFull = async (id, how) => {
    let got;
    for (let i = 0; i < 40; i++) {
      got = await full(id);
      if (got.whole && got.inView) return got;
      await page.waitForTimeout(50);
    }
    assert.fail(`${id} does not open in full on ${how}: ${JSON.stringify(got)}`);
  };

  // Keyboard: Tab onto the passage's number, as a reader would.
  const ref = `sup.note-ref a[href="#${id}"]`;
  await page.evaluate((sel) => document.querySelector(sel).scrollIntoView({ block: "center" }), ref);
  await page.focus(ref);
  await waitFull(id, "focusing its passage's number");
  await page.screenshot({ path: join(SHOTS, "dense-1440-focus.png") });
  // Moving focus away clips it again.
  await page.evaluate(() => document.activeElement.blur());
  await page.mouse.move(5, 5);
  await page.waitForFunction((id) => { const n = document.getElementById(id); return n.scrollHeight > n.clientHeight + 1; }, id);

  // The note's own link (Tab order inside the note).
  await page.focus(`#${id} .note-number`);
  await waitFull(id, "focusing the note");
  await page.evaluate(() => document.activeElement.blur());

  // Hover on the passage, and on the note.
  await page.hover(`mark.anchor[data-note="${id}"]`);
  await waitFull(id, "hovering its passage");
  await page.mouse.move(5, 5);
  const other = f.clipped.find((x) => x !== id);
  await page.evaluate((id) => document.getElementById(id).scrollIntoView({ block: "center" }), other);
  await page.hover(`#${other}`, { position: { x: 40, y: 8 } });
  await waitFull(other, "hovering the note");
  await page.context().close();
});

test("wide, without JavaScript: every note shows, in the margin, none overlapping", async () => {
  figures.wideNoJs = {};
  for (const url of [env.base + "articles/iran-backchannel/", env.bases["/dense/"] + DENSE_PATH]) {
    const page = await open(url, { js: false });
    const f = await page.evaluate(layoutFigures);
    const name = url.replace(env.origin, "");
    figures.wideNoJs[name] = summary(f);
    console.log(`wide, no JS, ${name}:`, JSON.stringify(summary(f)));
    assert.equal(f.offsets.length, f.notes, `${name}: a note is hidden`);
    assert.deepEqual(f.overlaps, [], `${name}: notes overlap`);
    assert.deepEqual(f.clipped, [], `${name}: a note is clipped without the script to open it`);
    await page.context().close();
  }
});

test("screenshots of the densest article and listing pages at 1440 and 390 px, light and dark", async () => {
  const pages = [
    ["seed-article", env.base + "articles/iran-backchannel/"],
    ["dense-article", env.bases["/dense/"] + DENSE_PATH],
    ["home", env.base],
    ["sources", env.base + "sources/"],
  ];
  const written = [];
  for (const [width, height, extra] of [[1440, 900, {}], [390, 844, { hasTouch: true, isMobile: true }]]) {
    for (const scheme of ["light", "dark"]) {
      const page = await env.page({ viewport: { width, height }, colorScheme: scheme, ...extra });
      for (const [name, url] of pages) {
        await page.goto(url);
        await settle(page);
        const file = join(SCREENSHOTS, `${name}-${width}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        written.push(file);
      }
      await page.context().close();
    }
  }
  figures.screenshots = written;
  assert.equal(written.length, 16);
});
