// Scratch: screenshots for looking at the theme (not a test).
import { start, settle, SHOTS } from "./harness.mjs";
import { notesGeometry } from "./geometry.mjs";
const env = await start();
const url = env.base + (process.argv[2] || "articles/iran-backchannel/");
for (const [name, opts, js] of [["wide", { viewport: { width: 1440, height: 900 } }, true], ["wide-nojs", { viewport: { width: 1440, height: 900 }, javaScriptEnabled: false }, false], ["narrow", { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true }, true], ["wide-dark", { viewport: { width: 1440, height: 900 }, colorScheme: "dark" }, true]]) {
  const page = await env.page(opts);
  await page.goto(url);
  await settle(page, { js });
  await page.screenshot({ path: `/tmp/explore/${name}.png`, fullPage: true });
  await page.screenshot({ path: `/tmp/explore/${name}-top.png` });
  if (process.env.Y) { await page.evaluate((y) => scrollTo(0, y), Number(process.env.Y)); await page.screenshot({ path: `/tmp/explore/${name}-y.png` }); }
  const g = await page.evaluate(notesGeometry);
  console.log(name, g.map(n => `${n.number}:${Math.round(n.note.top)}-${Math.round(n.note.bottom)} a=${n.anchor && Math.round(n.anchor.top)} d=${n.anchor && Math.round(n.note.top - n.anchor.top)}`).join(" "));
  await page.context().close();
}
console.log(env.problems);
await env.stop();
