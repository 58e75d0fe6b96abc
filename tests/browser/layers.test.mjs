// Note kinds as theme data and the reader's layers (issue 14), in headless
// Chromium: declared kinds give their colour and label, undeclared ones a
// neutral grey; the legend's checkboxes hide notes by kind and by author,
// keep that state in the URL query (so a shared URL restores the view and
// #note-… deep links keep working), are reachable by keyboard and
// announced; without JavaScript every note shows. Also the `serve` error
// overlay's contrast in both colour schemes.
//
// Run through cargo: `cargo test --test main -- --include-ignored browser::`.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { start, settle, SHOTS, REPO } from "./harness.mjs";
import { layoutFigures, contrasts } from "./geometry.mjs";
import { writeDenseSite, DENSE_PATH, DECLARED } from "./dense-site.mjs";

const WIDE = { viewport: { width: 1440, height: 900 } };
const SEED = "articles/iran-backchannel/";
let env;

before(async () => {
  env = await start({ "/dense/": writeDenseSite });
});
after(async () => {
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

/// Which notes and marks of the page show, and what the filter says.
function state() {
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).display !== "none";
  const plain = (m) => getComputedStyle(m).backgroundColor === "rgba(0, 0, 0, 0)" && getComputedStyle(m).textDecorationLine === "none";
  const notes = Array.from(document.querySelectorAll("aside.margin-note"));
  return {
    shown: notes.filter(shown).map((n) => n.id),
    hidden: notes.filter((n) => !shown(n)).map((n) => n.id),
    plainMarks: Array.from(document.querySelectorAll("mark.anchor")).filter(plain).map((m) => m.dataset.note),
    kinds: Object.fromEntries(notes.map((n) => [n.id, n.dataset.kind])),
    checked: Array.from(document.querySelectorAll(".note-filter input:checked")).map((b) => `${b.name}=${b.value}`),
    boxes: Array.from(document.querySelectorAll(".note-filter input")).filter(shown).length,
    status: document.querySelector(".filter-status")?.textContent,
    live: document.querySelector(".filter-status")?.getAttribute("aria-live"),
    search: location.search,
    hash: location.hash,
  };
}

test("hiding a kind from the keyboard hides its notes and passages, announces it and puts it in the URL", async () => {
  const page = await open(env.base + SEED);
  const before = await page.evaluate(state);
  assert.equal(before.hidden.length, 0);
  const total = before.shown.length;
  const sourcing = before.shown.filter((id) => before.kinds[id] === "sourcing");
  assert.ok(sourcing.length > 0);

  // Tab to the "sourcing" checkbox and untick it with Space.
  await page.focus(".note-filter input[value=context]");
  for (let i = 0; i < 5; i++) {
    if (await page.evaluate(() => document.activeElement.value === "sourcing")) break;
    await page.keyboard.press("Tab");
  }
  assert.equal(await page.evaluate(() => document.activeElement.value), "sourcing", "the sourcing checkbox is not reachable with Tab");
  await page.keyboard.press("Space");
  await settle(page);
  const after = await page.evaluate(state);
  assert.deepEqual(after.hidden.sort(), [...sourcing].sort(), "exactly the sourcing notes are hidden");
  for (const id of sourcing) assert.ok(after.plainMarks.includes(id), `the passage of ${id} is still highlighted`);
  for (const id of after.shown) assert.ok(!after.plainMarks.includes(id), `the passage of ${id} lost its highlight`);
  assert.equal(after.live, "polite");
  assert.equal(after.status, `Showing ${total - sourcing.length} of ${total} notes.`);
  const q = new URLSearchParams(after.search);
  assert.deepEqual(q.getAll("kind").sort(), ["context", "correction", "framing", "language"]);
  assert.equal(q.has("author"), false);
  // The remaining notes are laid out again: nothing overlaps, nothing far.
  const f = await page.evaluate(layoutFigures);
  assert.deepEqual(f.overlaps, []);
  assert.ok(f.worst <= 400, `a note is ${f.worst}px from its passage`);
  await page.screenshot({ path: join(SHOTS, "filter-1440.png") });

  // By author too: only L. Brandt's note.
  await page.uncheck(".note-filter input[name=author][value='The marginalia contributors']");
  const one = await page.evaluate(state);
  assert.equal(one.shown.length, 1);
  assert.equal(new URLSearchParams(one.search).getAll("author").join(), "L. Brandt");
  // "Show all notes" brings every one back and clears the query.
  await page.click(".filter-all");
  const all = await page.evaluate(state);
  assert.equal(all.shown.length, total);
  assert.equal(all.search, "");
  assert.equal(all.status, `Showing all ${total} notes.`);
  await page.context().close();
});

test("a shared URL restores the filtered view, and a #note- deep link in it still works", async () => {
  const page = await open(env.base + SEED + "?kind=correction&kind=language&author=The+marginalia+contributors#note-n9");
  const s = await page.evaluate(state);
  assert.ok(s.shown.length > 0);
  for (const id of s.shown) assert.ok(["correction", "language"].includes(s.kinds[id]), `${id} (${s.kinds[id]}) shows`);
  assert.ok(!s.shown.includes("note-n15"), "L. Brandt's note shows");
  assert.deepEqual(s.checked.filter((c) => c.startsWith("kind=")).sort(), ["kind=correction", "kind=language"]);
  assert.equal(s.hash, "#note-n9");
  const target = await page.evaluate(() => {
    const n = document.querySelector(":target");
    const r = n.getBoundingClientRect();
    return { id: n.id, inView: r.top < innerHeight && r.bottom > 0, whole: n.scrollHeight <= n.clientHeight + 1 };
  });
  assert.deepEqual(target, { id: "note-n9", inView: true, whole: true });
  // An empty kind list hides every kind.
  await page.goto(env.base + SEED + "?kind=");
  await settle(page);
  assert.equal((await page.evaluate(state)).shown.length, 0);
  await page.context().close();
});

test("without JavaScript every note shows and no filter control does", async () => {
  const page = await open(env.base + SEED + "?kind=correction", { js: false });
  const s = await page.evaluate(state);
  assert.equal(s.hidden.length, 0);
  assert.ok(s.shown.length >= 20);
  assert.equal(s.boxes, 0, "filter checkboxes show without the script that makes them work");
  await page.context().close();
});

test("declared kinds give their label and colours; undeclared ones are neutral and warned about", async () => {
  assert.match(env.warnings["/dense/"], /note kind `missing` is not declared \(1 note\)/);
  assert.doesNotMatch(env.warnings["/dense/"], /`claim` is not declared/);
  for (const scheme of ["light", "dark"]) {
    const page = await open(env.bases["/dense/"] + DENSE_PATH, { options: { ...WIDE, colorScheme: scheme } });
    const got = await page.evaluate(() => {
      const kind = (sel) => getComputedStyle(document.querySelector(sel)).getPropertyValue("--kind").trim();
      return {
        label: document.querySelector(".legend-kind[data-kind=claim]").textContent.trim(),
        claim: kind("aside.margin-note[data-kind=claim]"),
        claimMark: kind("mark.anchor[data-kind=claim]"),
        missing: getComputedStyle(document.querySelector("aside.margin-note[data-kind=missing] .note-kind")).color,
        other: getComputedStyle(document.documentElement).getPropertyValue("--k-other").trim(),
      };
    });
    const want = scheme === "light" ? DECLARED.colour : DECLARED.dark;
    assert.equal(got.label, DECLARED.label);
    assert.equal(got.claim, want);
    assert.equal(got.claimMark, want);
    const hex = (rgb) => "#" + rgb.match(/\d+/g).slice(0, 3).map((v) => Number(v).toString(16).padStart(2, "0")).join("");
    assert.equal(hex(got.missing), got.other, `${scheme}: an undeclared kind is not the neutral colour`);
    const rows = await page.evaluate(contrasts, [
      ["declared kind label", ".margin-note[data-kind=claim] .note-kind"],
      ["declared kind in legend", ".legend-kind[data-kind=claim]"],
      ["declared kind passage", "mark.anchor[data-kind=claim]"],
      ["undeclared kind label", ".margin-note[data-kind=missing] .note-kind"],
    ]);
    for (const r of rows) assert.ok(r.ratio >= 4.5, `${scheme}: ${r.label} ${r.ratio}:1 (${r.fg} on ${r.bg})`);
    await page.context().close();
  }
});

test("the serve error overlay is readable in light and dark", async () => {
  const live = readFileSync(join(REPO, "src/serve/live.js"), "utf8");
  for (const scheme of ["light", "dark"]) {
    const page = await open(env.base + SEED, { options: { ...WIDE, colorScheme: scheme } });
    // live.js as `serve` injects it, with the server's event stream stood in for.
    await page.evaluate((code) => {
      window.EventSource = function () {
        window.__events = this;
        this.handlers = {};
        this.addEventListener = (name, f) => { this.handlers[name] = f; };
      };
      new Function(code)();
      window.__events.handlers.problems({ data: JSON.stringify({ text: "error: content/a.md:3:1: the front matter is never closed" }) });
    }, live);
    const rows = await page.evaluate(contrasts, [
      ["overlay text", "#marginalia-problems pre"],
      ["overlay button", "#marginalia-problems button"],
    ]);
    if (scheme === "light") await page.screenshot({ path: join(SHOTS, "serve-overlay-light.png") });
    for (const r of rows) assert.ok(r.ratio >= 7, `${scheme}: ${r.label} ${r.ratio}:1 (${r.fg} on ${r.bg})`);
    await page.context().close();
  }
});
