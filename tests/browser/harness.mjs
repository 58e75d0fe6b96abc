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
/// The screenshots issue 15 asks `.ci/run` to keep: the densest article and
/// listing pages at 1440 and 390 px, light and dark.
export const SCREENSHOTS = join(process.env.CARGO_TARGET_DIR || join(REPO, "target"), "screenshots");
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

/// Serves each built site of `sites` (URL prefix → folder) on
/// http://127.0.0.1:<port>, with its 404.html for misses; the folders are
/// set once the builds, which need the port, are done.
function serve(sites) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    let path = decodeURIComponent(url.pathname);
    const prefix = Object.keys(sites).find((p) => path.startsWith(p));
    const dir = prefix ? sites[prefix] : null;
    if (!dir) return notFound(res);
    path = normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, "");
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
      try { body = readFileSync(join(dir || sites[PREFIX], "404.html")); } catch {}
      r.writeHead(404, { "content-type": "text/html; charset=utf-8" });
      r.end(body);
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/// Builds the site at `root` (the repository's sample archive by default)
/// with the real binary for a site served at `base`, into `out`.
export function buildSite(root, base, out) {
  const bin = process.env.MARGINALIA_BIN || join(REPO, "target/debug/marginalia");
  if (!existsSync(bin)) throw new Error(`no marginalia binary at ${bin}; run through cargo test`);
  const r = spawnSync(bin, ["build", "--root", root, "--output", out, "--base-url", base], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
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

/// Builds the sample archive (served under PREFIX) and every extra site of
/// `extra` (URL prefix such as "/dense/" → a function writing the site's
/// files into the folder it is given), serves them all and launches
/// Chromium. `bases[prefix]` is each site's address.
export async function start(extra = {}) {
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), "marginalia-browser-"));
  // Listen first: the builds need the address for base_url.
  const served = {};
  const site = await serve(served);
  const origin = `http://127.0.0.1:${site.address().port}`;
  const base = `${origin}${PREFIX}`;
  const out = join(tmp, "site");
  const bases = { [PREFIX]: base };
  const warnings = {};
  let browser;
  // A failed build or launch closes the server, or it would keep the test
  // process alive after the failure is reported (the caller gets no `stop`).
  try {
    buildSite(REPO, base, out);
    served[PREFIX] = out;
    for (const [prefix, write] of Object.entries(extra)) {
      const root = join(tmp, "src" + prefix.replace(/\//g, "-"));
      mkdirSync(root, { recursive: true });
      write(root);
      const dir = join(tmp, "out" + prefix.replace(/\//g, "-"));
      warnings[prefix] = buildSite(root, origin + prefix, dir).stderr;
      served[prefix] = dir;
      bases[prefix] = origin + prefix;
    }
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: CHROMIUM_ARGS,
      timeout: 120_000,
    });
  } catch (e) {
    await new Promise((ok) => site.close(ok));
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const requests = [];
  const problems = [];
  return {
    origin,
    base,
    bases,
    warnings,
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
