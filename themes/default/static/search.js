// marginalia default theme: the search box. Pages read fine without it.
// It loads nothing but search-index.json, from this site.
(function () {
  "use strict";

  // Search over search-index.json: every word must appear in the title,
  // summary, source, tags or note text of an article.

  function search() {
    var box = document.querySelector(".search[data-index]");
    if (!box || !window.fetch) return;
    var input = box.querySelector("input");
    var out = box.querySelector(".search-results");
    var status = box.querySelector(".search-status");
    var index = null, loading = null;
    box.hidden = false;

    function load() {
      if (index) return Promise.resolve(index);
      if (!loading) {
        loading = fetch(box.getAttribute("data-index"))
          .then(function (r) { if (!r.ok) throw new Error("search index: " + r.status); return r.json(); })
          .then(function (d) {
            index = d.map(function (e) {
              var tags = (e.tags || []).join(" ");
              return { e: e, hay: fold([e.title, e.summary, e.source, tags, e.notes].join(" \u0001 ")) };
            });
            return index;
          });
      }
      return loading;
    }
    function fold(s) {
      s = (s || "").toLowerCase();
      return s.normalize ? s.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : s;
    }
    function snippet(text, word) {
      var plain = text || "";
      var at = fold(plain).indexOf(word);
      if (at < 0) return null;
      var from = Math.max(0, at - 50), to = Math.min(plain.length, at + word.length + 70);
      return { before: (from > 0 ? "…" : "") + plain.slice(from, at), hit: plain.slice(at, at + word.length), after: plain.slice(at + word.length, to) + (to < plain.length ? "…" : "") };
    }
    function render(q) {
      var words = fold(q).split(/\s+/).filter(Boolean);
      out.textContent = "";
      if (!words.length || q.trim().length < 2) { status.textContent = ""; return; }
      load().then(function (entries) {
        if (input.value !== q) return;
        var hits = entries.filter(function (x) {
          return words.every(function (w) { return x.hay.indexOf(w) >= 0; });
        }).slice(0, 12);
        out.textContent = "";
        hits.forEach(function (x) {
          var e = x.e;
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = e.url;
          a.textContent = e.title;
          li.appendChild(a);
          var meta = document.createElement("span");
          meta.className = "search-meta";
          meta.textContent = [e.date, e.source].filter(Boolean).join(" · ");
          li.appendChild(meta);
          var inTitle = fold(e.title).indexOf(words[0]) >= 0;
          var s = !inTitle && (snippet(e.summary, words[0]) || snippet(e.notes, words[0]));
          if (s) {
            var sn = document.createElement("span");
            sn.className = "search-snippet";
            var m = document.createElement("mark");
            m.textContent = s.hit;
            sn.appendChild(document.createTextNode((snippet(e.summary, words[0]) ? "" : "In a note: ") + s.before));
            sn.appendChild(m);
            sn.appendChild(document.createTextNode(s.after));
            li.appendChild(sn);
          }
          out.appendChild(li);
        });
        status.textContent = hits.length ? hits.length + " result" + (hits.length === 1 ? "" : "s") : "No results";
        if (!hits.length) {
          var li = document.createElement("li");
          li.textContent = "No articles or notes match.";
          out.appendChild(li);
        }
      }).catch(function () {
        status.textContent = "Search is unavailable.";
      });
    }
    input.addEventListener("input", function () { render(input.value); });
    input.addEventListener("focus", function () { load().catch(function () {}); });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { input.value = ""; render(""); input.focus(); }
    });
  }


  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", search);
  else search();
})();
