// marginalia live reload: injected by `marginalia serve` into every page it
// serves (never written to output/). Listens to the server's events:
// reload when this page changed, swap stylesheets when only CSS changed,
// and show the errors of a broken save over the page until a good one.
(function () {
  "use strict";
  var me = document.currentScript;
  var notFound = me && me.getAttribute("data-not-found") === "1";
  var box = null;
  function here() {
    var p = location.pathname;
    try { p = decodeURI(p); } catch (e) { /* keep it encoded */ }
    return p.replace(/index\.html$/, "");
  }
  // The overlay sets every colour it uses (the page's stylesheet styles
  // `pre` and `button` too: the theme's cream `pre` under near-white text
  // was unreadable) and follows the reader's colour scheme.
  var DARK = { bg: "rgba(24,24,24,.96)", fg: "#f5f5f5", accent: "#f4948b", button: "#333" };
  var LIGHT = { bg: "rgba(255,253,247,.97)", fg: "#1f1d1a", accent: "#b3261e", button: "#eee" };
  function palette() {
    return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? DARK : LIGHT;
  }
  function paint() {
    if (!box) return;
    var c = palette();
    box.style.background = c.bg;
    box.style.color = c.fg;
    box.style.borderTop = "4px solid " + c.accent;
    var b = box.firstChild;
    b.style.cssText = "float:right;font:inherit;margin:0 0 1rem 1rem;padding:.3rem .8rem;cursor:pointer;" +
      "border:1px solid " + c.fg + ";border-radius:4px;background:" + c.button + ";color:" + c.fg;
  }
  function show(text) {
    if (!box) {
      box = document.createElement("div");
      box.id = "marginalia-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;box-sizing:border-box;" +
        "margin:0;padding:2rem;color-scheme:light dark;" +
        "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap";
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Hide";
      close.onclick = function () { box.style.display = "none"; };
      box.appendChild(close);
      var pre = document.createElement("pre");
      pre.style.cssText = "margin:0;padding:0;border:0;border-radius:0;background:none;color:inherit;" +
        "font:inherit;white-space:pre-wrap;overflow:visible";
      box.appendChild(pre);
      document.body.appendChild(box);
      if (window.matchMedia) {
        var mq = matchMedia("(prefers-color-scheme: dark)");
        if (mq.addEventListener) mq.addEventListener("change", paint);
      }
    }
    paint();
    box.style.display = "";
    box.lastChild.textContent = "marginalia: the last save has errors; " +
      "this is the last good version of the page.\n\n" + text;
  }
  function hide() {
    if (box) { box.remove(); box = null; }
  }
  var source = new EventSource("/__marginalia/events");
  source.addEventListener("problems", function (e) { show(JSON.parse(e.data).text); });
  source.addEventListener("ok", hide);
  source.addEventListener("reload", function (e) {
    var d = JSON.parse(e.data);
    if (d.all || notFound || d.paths.indexOf(here()) >= 0) { location.reload(); }
  });
  source.addEventListener("css", function (e) {
    var paths = JSON.parse(e.data).paths;
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      var url = new URL(links[i].href, location.href);
      if (url.origin === location.origin && paths.indexOf(decodeURI(url.pathname)) >= 0) {
        url.searchParams.set("marginalia-reload", String(Date.now()));
        links[i].href = url.toString();
      }
    }
  });
})();
