// marginalia default theme: places margin notes beside their passages,
// folds them on narrow screens, links passage and note on hover/focus,
// and runs the search box. Pages read fine without it.
(function () {
  "use strict";
  var WIDE = window.matchMedia("(min-width: 1100px)");

  function notes() { return Array.prototype.slice.call(document.querySelectorAll("aside.margin-note")); }

  function anchorOf(note) {
    var id = note.id;
    if (note.dataset.kind === "footnote") {
      return document.querySelector('sup.footnote-ref a[href="#' + id + '"]');
    }
    return document.querySelector('mark.anchor[data-note="' + id + '"]');
  }

  // Wide screens: each note's top at its passage's top, or just below the
  // note above when they would overlap.
  function place() {
    var body = document.querySelector(".article-body");
    if (!body) return;
    var list = notes();
    if (!WIDE.matches) {
      body.classList.remove("js-placed");
      list.forEach(function (n) { n.style.top = ""; });
      body.style.paddingBottom = "";
      return;
    }
    body.classList.add("js-placed");
    var origin = body.getBoundingClientRect().top;
    var bottom = -Infinity;
    list.forEach(function (n) {
      var a = anchorOf(n);
      var want = a ? a.getBoundingClientRect().top - origin : bottom;
      var top = Math.max(want, bottom + 12);
      n.style.top = top + "px";
      bottom = top + n.getBoundingClientRect().height;
    });
    body.style.paddingBottom = "";
    var needed = bottom - body.getBoundingClientRect().height;
    if (needed > 0) body.style.paddingBottom = needed + "px";
  }

  // Narrow screens: fold each note behind a button under its paragraph.
  function fold() {
    notes().forEach(function (n) {
      if (n.querySelector(".note-toggle")) return;
      var num = n.querySelector(".note-number");
      var label = "Note " + (num ? num.textContent : "");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "note-toggle";
      b.setAttribute("aria-expanded", "false");
      var body = n.querySelector(".note-body");
      if (body) { body.id = n.id + "-body"; b.setAttribute("aria-controls", body.id); }
      b.textContent = label + " ▸";
      b.addEventListener("click", function () {
        var open = n.classList.toggle("is-folded") === false;
        b.setAttribute("aria-expanded", open ? "true" : "false");
        b.textContent = label + (open ? " ▾" : " ▸");
      });
      n.insertBefore(b, n.firstChild);
      n.classList.add("is-folded");
    });
  }

  // Hovering or focusing a passage or its note highlights both.
  function link() {
    notes().forEach(function (n) {
      var marks = Array.prototype.slice.call(document.querySelectorAll('mark.anchor[data-note="' + n.id + '"]'));
      function on() { n.classList.add("is-active"); marks.forEach(function (m) { m.classList.add("is-active"); }); }
      function off() { n.classList.remove("is-active"); marks.forEach(function (m) { m.classList.remove("is-active"); }); }
      [n].concat(marks).forEach(function (el) {
        el.addEventListener("mouseenter", on);
        el.addEventListener("mouseleave", off);
        el.addEventListener("focusin", on);
        el.addEventListener("focusout", off);
      });
    });
  }

  function search() {
    var box = document.querySelector(".search");
    if (!box || !window.fetch) return;
    box.hidden = false;
    var input = box.querySelector("input");
    var out = box.querySelector(".search-results");
    var index = null;
    function load() {
      if (index) return Promise.resolve(index);
      return fetch(box.dataset.index).then(function (r) { return r.json(); }).then(function (d) { index = d; return d; });
    }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      if (q.length < 2) { out.textContent = ""; return; }
      load().then(function (entries) {
        var words = q.split(/\s+/);
        var hits = entries.filter(function (e) {
          var hay = (e.title + " " + e.summary + " " + e.notes + " " + (e.source || "") + " " + e.tags.join(" ")).toLowerCase();
          return words.every(function (w) { return hay.indexOf(w) >= 0; });
        }).slice(0, 10);
        out.textContent = "";
        hits.forEach(function (e) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = e.url;
          a.textContent = e.title;
          li.appendChild(a);
          out.appendChild(li);
        });
        if (!hits.length) { var li = document.createElement("li"); li.textContent = "No matches"; out.appendChild(li); }
      });
    });
  }

  function init() {
    fold();
    link();
    place();
    search();
    window.addEventListener("resize", place);
    if (WIDE.addEventListener) WIDE.addEventListener("change", place);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(place);
    window.addEventListener("load", place);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
