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
  function show(text) {
    if (!box) {
      box = document.createElement("div");
      box.id = "marginalia-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
        "margin:0;padding:2rem;background:rgba(24,24,24,.94);color:#f5f5f5;" +
        "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap";
      var close = document.createElement("button");
      close.textContent = "Hide";
      close.style.cssText = "float:right;font:inherit";
      close.onclick = function () { box.style.display = "none"; };
      box.appendChild(close);
      box.appendChild(document.createElement("pre"));
      document.body.appendChild(box);
    }
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
