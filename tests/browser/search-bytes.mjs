// Bytes a search downloads, measured in headless Chromium.
//
// As a module: `typeAndCount(page, word, delay)` types a word into the
// search box and returns the bytes of every search-index request it made.
//
// As a benchmark (bench/run.sh calls it):
//   node tests/browser/search-bytes.mjs SITE_ROOT [WORD ...]
// builds SITE_ROOT with $MARGINALIA_BIN for a loopback address, serves it,
// and for each word (default: words picked from the archive: a title word,
// a rare word of a note, a common word) prints the bytes downloaded when the
// word is typed at 60 ms a key (one search after the pause) and one key
// every 400 ms (a search after every letter), and whether the expected
// result came up.
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, normalize } from "node:path";
import { chromium } from "playwright-core";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml" };

// Contexts whose pages run on Playwright's clock (it is installed once per
// browser context).
const clocked = new WeakSet();

/// Types `word` into the search box of `page` (on a page of the site) with
/// `delay` ms of the page's time between keys, waits for the results and
/// their passages (the list is `aria-busy` until both are shown) and for
/// every search-index request to finish, and returns
/// { bytes, requests, urls, sizes, results: [{href, text}] } (`sizes[i]`:
/// the bytes of `urls[i]`).
///
/// The page's timers run on the test's clock, not the machine's: while the
/// word is typed the clock is paused and moves exactly `delay` ms after
/// each key, however slowly a loaded machine delivers the keys. So 60 ms a
/// key is always one search after the last key, and 400 ms a key always a
/// search after every letter with no pause long enough (600 ms) for the
/// passages of a list shown on the way. After each key the search it
/// started is let finish (no search-index request in flight), as on an
/// idle machine; after the last key the clock runs freely again.
export async function typeAndCount(page, word, delay = 60) {
  const context = page.context();
  if (!clocked.has(context)) {
    await page.clock.install();
    clocked.add(context);
  }
  await page.fill("#search-input", "");
  // Pause the page's time a second on: the emptied box's search runs, and
  // nothing of an earlier search is left waiting.
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
  const urls = [];
  const sizes = [];
  // In flight: each search-index request → the call that settles it with
  // its body's size, and the promise of that.
  const inFlight = new Map();
  const onRequest = (r) => {
    if (!r.url().includes("search-index")) return;
    const k = urls.push(r.url()) - 1;
    let settled;
    const done = new Promise((ok) => (settled = ok));
    inFlight.set(r, { done, settle: (size) => { sizes[k] = size; inFlight.delete(r); settled(); } });
  };
  const onFinished = async (r) => {
    const f = inFlight.get(r);
    if (!f) return;
    const body = await r.response().then((x) => x && x.body()).catch(() => null);
    f.settle(body ? body.length : 0);
  };
  const onFailed = (r) => inFlight.get(r)?.settle(0);
  page.on("request", onRequest);
  page.on("requestfinished", onFinished);
  page.on("requestfailed", onFailed);
  try {
    await page.focus("#search-input");
    for (const key of word) {
      await page.keyboard.type(key);
      await page.clock.runFor(delay);
      await idle(page, inFlight);
    }
    await page.clock.resume();
    await page.waitForFunction(
      () =>
        /result/.test(document.querySelector("#search-status")?.textContent || "") &&
        document.querySelector("#search-results")?.getAttribute("aria-busy") !== "true",
      null,
      { timeout: 60_000 },
    );
    await idle(page, inFlight);
  } finally {
    page.off("request", onRequest);
    page.off("requestfinished", onFinished);
    page.off("requestfailed", onFailed);
  }
  const results = await page.$$eval("#search-results li", (lis) =>
    lis.map((li) => ({ href: li.querySelector("a")?.getAttribute("href") || "", text: li.textContent })),
  );
  return { bytes: sizes.reduce((a, b) => a + b, 0), requests: sizes.length, urls, sizes, results };
}

/// Waits until no search-index request of `page` is in flight, and none
/// has started over two round trips to the page: a finished fetch leads to
/// the next (a shard, then result heads) only once the page has read it.
async function idle(page, inFlight) {
  for (let quiet = 0; quiet < 2; ) {
    if (inFlight.size) {
      await Promise.all([...inFlight.values()].map((f) => f.done));
      quiet = 0;
    } else {
      quiet++;
    }
    await page.evaluate(() => 0);
  }
}

/// Bytes by kind of file: "manifest+shards/heads/fragments".
function byKind(got) {
  const sum = (re) => got.urls.reduce((a, u, i) => a + (re.test(u) ? got.sizes[i] : 0), 0);
  return [sum(/search-index\.json$|\/t\//), sum(/\/h\//), sum(/\/d\//)].join("/");
}

/// Serves folder `dir` at http://127.0.0.1:<port>/.
export function serveDir(state) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    let file = join(state.dir, normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ""));
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream", "cache-control": "no-store" });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404);
      res.end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/// Words to try on an archive: picked from its own fragments.
async function pickWords(page, base) {
  return page.evaluate(async (base) => {
    const m = await (await fetch(base + "search-index.json")).json();
    const doc = async (i) => (await fetch(m.docs + i + ".json")).json();
    const a = await doc(Math.floor(m.documents / 2));
    const b = await doc(Math.floor(m.documents / 3));
    const long = (s) => (s.toLowerCase().match(/[a-z]{6,}/g) || []);
    const title = long(a.title)[0];
    const noteWord = b.notes.length ? long(b.notes[0][1]).sort((x, y) => y.length - x.length)[0] : long(b.text)[5];
    return [title, noteWord, "the", title && title.slice(0, 2) + title[3] + title[2] + title.slice(4)].filter(Boolean);
  }, base);
}

async function main() {
  const [root, ...words] = process.argv.slice(2);
  if (!root) {
    console.error("usage: node tests/browser/search-bytes.mjs SITE_ROOT [WORD ...]");
    process.exit(2);
  }
  const bin = process.env.MARGINALIA_BIN || "target/release/marginalia";
  const state = { dir: null };
  const server = await serveDir(state);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const tmp = mkdtempSync(join(tmpdir(), "marginalia-search-bytes-"));
  state.dir = join(tmp, "site");
  const r = spawnSync(bin, ["build", "--root", root, "--output", state.dir, "--base-url", base], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stderr}`);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(base);
    if (!words.length) words.push(...(await pickWords(page, base)));
    console.log("word\ttyped (60 ms/key) bytes\trequests\tletter by letter (400 ms/key) bytes\trequests\tresults\tfirst result\ttyped: manifest+shards/heads/fragments\tletter by letter: the same");
    for (const w of words) {
      await page.goto(base);
      const fast = await typeAndCount(page, w, 60);
      await page.goto(base);
      const slow = await typeAndCount(page, w, 400);
      console.log([w, fast.bytes, fast.requests, slow.bytes, slow.requests, fast.results.length, fast.results[0]?.href.slice(base.length) || "-", byKind(fast), byKind(slow)].join("\t"));
    }
  } finally {
    await browser.close();
    server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && process.argv[1].endsWith("search-bytes.mjs")) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
