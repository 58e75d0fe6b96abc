// Shared pieces of the browser tests: build the sample archive, serve it on
// loopback, launch Debian's Chromium through playwright-core, and record
// every request and console error a page makes.
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, statSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, normalize, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SHOTS = join(process.env.CARGO_TARGET_DIR || join(REPO, "target"), "browser");
export const PREFIX = "/marginalia/"; // served under a sub-path, as many archives are

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".jsonld": "application/ld+json",
  ".xml": "application/xml",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".svg": "image/svg+xml",
};

/// Serves `site.dir` at http://127.0.0.1:<port>/marginalia/ (404.html for
/// misses); the folder is set once the build, which needs the port, is done.
function serve(site) {
  const server = createServer((req, res) => {
    const dir = site.dir;
    const url = new URL(req.url, "http://127.0.0.1");
    let path = decodeURIComponent(url.pathname);
    if (!path.startsWith(PREFIX)) return notFound(res);
    path = normalize(path.slice(PREFIX.length)).replace(/^(\.\.[/\\])+/, "");
    let file = join(dir, path);
    if (!file.startsWith(dir)) return notFound(res);
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      notFound(res);
    }
    function notFound(r) {
      let body = "not found";
      try { body = readFileSync(join(dir, "404.html")); } catch {}
      r.writeHead(404, { "content-type": "text/html; charset=utf-8" });
      r.end(body);
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/// Builds the repository's sample archive with the real binary for a site
/// served at `base`, into a fresh temporary folder.
function build(base) {
  const bin = process.env.MARGINALIA_BIN || join(REPO, "target/debug/marginalia");
  if (!existsSync(bin)) throw new Error(`no marginalia binary at ${bin}; run through cargo test`);
  const tmp = mkdtempSync(join(tmpdir(), "marginalia-browser-"));
  const out = join(tmp, "site");
  const r = spawnSync(bin, ["build", "--root", REPO, "--output", out, "--base-url", base], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { tmp, out };
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-default-apps",
  "--disable-extensions",
  "--font-render-hinting=none",
];

export async function start() {
  mkdirSync(SHOTS, { recursive: true });
  // Listen first: the build needs the address for base_url.
  const served = { dir: null };
  const site = await serve(served);
  const origin = `http://127.0.0.1:${site.address().port}`;
  const base = `${origin}${PREFIX}`;
  const { tmp, out } = build(base);
  served.dir = out;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    timeout: 120_000,
  });
  const requests = [];
  const problems = [];
  return {
    origin,
    base,
    out,
    browser,
    requests,
    problems,
    /// A new page in its own context; records requests and console errors.
    async page(options = {}) {
      const context = await browser.newContext({ deviceScaleFactor: 1, ...options });
      context.setDefaultTimeout(60_000);
      context.setDefaultNavigationTimeout(90_000);
      const page = await context.newPage();
      page.on("request", (r) => requests.push(r.url()));
      page.on("console", (m) => {
        if (m.type() === "error" && !m.location().url.includes("/no-such-page/")) problems.push(`console error on ${page.url()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
      page.on("response", (r) => {
        if (r.status() >= 400 && !r.url().includes("/no-such-page/")) problems.push(`HTTP ${r.status()} for ${r.url()}`);
      });
      return page;
    },
    async stop() {
      await browser.close();
      await new Promise((ok) => site.close(ok));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/// Waits until web fonts are loaded, the theme's script has laid out the
/// notes (when scripts run) and the layout stops moving.
export async function settle(page, { js = true } = {}) {
  await page.waitForLoadState("load");
  if (js) {
    await page.waitForFunction(() => document.fonts.status === "loaded" && document.documentElement.classList.contains("notes-ready"), null, { timeout: 60_000 });
  }
  let last = "";
  for (let i = 0; i < 40; i++) {
    const now = await page.evaluate(() =>
      JSON.stringify([document.body.scrollHeight, ...Array.from(document.querySelectorAll("aside.margin-note")).map((n) => Math.round(n.getBoundingClientRect().top + scrollY))]),
    );
    if (now === last) return;
    last = now;
    await page.waitForTimeout(250);
  }
  throw new Error("layout did not settle in 10 s");
}
