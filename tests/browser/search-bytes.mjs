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

/// Types `word` into the search box of `page` (on a page of the site) with
/// `delay` ms between keys, waits for the results and their passages (the
/// list is `aria-busy` until both are shown), and returns
/// { bytes, requests, urls, sizes, results: [{href, text}] } (`sizes[i]`:
/// the bytes of `urls[i]`).
export async function typeAndCount(page, word, delay = 60) {
  await page.fill("#search-input", "");
  await page.waitForTimeout(300);
  const seen = [];
  const urls = [];
  const onResponse = (r) => {
    if (r.url().includes("search-index")) {
      urls.push(r.url());
      seen.push(r.body().then((b) => b.length, () => 0));
    }
  };
  page.on("response", onResponse);
  await page.focus("#search-input");
  await page.keyboard.type(word, { delay });
  await page.waitForFunction(
    () =>
      /result/.test(document.querySelector("#search-status")?.textContent || "") &&
      document.querySelector("#search-results")?.getAttribute("aria-busy") !== "true",
    null,
    { timeout: 30_000 },
  );
  await page.waitForTimeout(400);
  page.off("response", onResponse);
  const sizes = await Promise.all(seen);
  const results = await page.$$eval("#search-results li", (lis) =>
    lis.map((li) => ({ href: li.querySelector("a")?.getAttribute("href") || "", text: li.textContent })),
  );
  return { bytes: sizes.reduce((a, b) => a + b, 0), requests: sizes.length, urls, sizes, results };
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
