// marginalia default theme. Pages read fine without this script; it
// - places each margin note at its passage's height on wide screens, moving
//   a note down just enough not to overlap the one above, and opening space
//   in the text where a paragraph's notes would otherwise drift far away;
// - folds notes under their paragraph on narrow screens, behind a button;
// - highlights a passage and its note together on hover and focus, and the
//   passage a deep link (#id) points to.
// The search box is search.js.
(function () {
  "use strict";

  var WIDE = window.matchMedia("(min-width: 1100px)");
  var GAP = 12; // px between two notes in the margin
  var root = document.documentElement;

  function all(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }
  function byId(id) { return id ? document.getElementById(id) : null; }

  function notes() { return all("aside.margin-note"); }
  function marksOf(noteId) { return all('mark.anchor[data-note="' + cssEscape(noteId) + '"]'); }
  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&"); }

  // The element a note belongs to: its passage's first mark, or for a
  // footnote the reference in the text (the target of its number link).
  function anchorOf(note) {
    var num = note.querySelector(".note-number");
    var href = num && num.getAttribute("href");
    var el = href && href.charAt(0) === "#" ? byId(decodeURIComponent(href.slice(1))) : null;
    return el || marksOf(note.id)[0] || null;
  }

  // ---------------------------------------------------------------------
  // Wide screens: placement.

  var placing = false;

  function unplace(body) {
    body.classList.remove("notes-placed");
    all(":scope > .note-spacer", body).forEach(function (s) { s.remove(); });
    notes().forEach(function (n) { n.style.top = ""; });
    body.style.paddingBottom = "";
  }

  // The top-level block of the article body that holds `el`.
  function blockOf(el, body) {
    while (el && el.parentElement !== body) el = el.parentElement;
    return el;
  }

  // How far a paragraph's first note may drift below its passage before
  // the text is pushed down to make room: a quarter of the window.
  function slack() { return Math.max(96, Math.min(260, window.innerHeight * 0.25)); }

  function place() {
    var body = document.querySelector(".article-body");
    if (!body) { root.classList.add("notes-ready"); return; }
    placing = true;
    unplace(body);
    if (!WIDE.matches) { placing = false; root.classList.add("notes-ready"); return; }
    body.classList.add("notes-placed");

    var list = notes().filter(function (n) { return body.contains(n); });
    var origin = function () { return body.getBoundingClientRect().top; };
    var items = list.map(function (n) {
      var a = anchorOf(n);
      return { note: n, anchor: a, block: blockOf(a || n, body), height: n.getBoundingClientRect().height };
    });

    var bottom = -Infinity;

    // Greedy placement in reading order, one top-level block at a time.
    var i = 0;
    var limit = slack();
    while (i < items.length) {
      var block = items[i].block;
      var group = [];
      while (i < items.length && items[i].block === block) group.push(items[i++]);
      var tops = measure(group, origin());
      var push = pushNeeded(group, tops, bottom, limit);
      var before = block && inFlowBefore(block);
      if (push > 0 && before) {
        var spacer = document.createElement("div");
        spacer.className = "note-spacer";
        spacer.setAttribute("aria-hidden", "true");
        var cs = getComputedStyle(block);
        var prev = getComputedStyle(before);
        // The spacer stops the two margins collapsing; take that back.
        var collapsed = Math.min(parseFloat(cs.marginTop) || 0, parseFloat(prev.marginBottom) || 0);
        spacer.style.height = Math.max(0, push - collapsed) + "px";
        body.insertBefore(spacer, block);
        tops = measure(group, origin());
      }
      group.forEach(function (it, k) {
        var top = Math.max(tops[k], bottom + GAP);
        it.note.style.top = Math.round(top) + "px";
        bottom = top + it.height;
      });
    }
    var room = bottom - body.getBoundingClientRect().height;
    if (room > 0) body.style.paddingBottom = Math.ceil(room) + "px";
    placing = false;
    root.classList.add("notes-ready");
  }

  // The block before `el` in the text's flow (placed notes are out of it).
  function inFlowBefore(el) {
    var p = el.previousElementSibling;
    while (p && (p.matches("aside.margin-note") || getComputedStyle(p).position === "absolute")) p = p.previousElementSibling;
    return p;
  }

  function measure(group, origin) {
    var last = -Infinity;
    return group.map(function (it) {
      var t = it.anchor ? it.anchor.getBoundingClientRect().top - origin : last;
      last = Math.max(last, t);
      return t;
    });
  }

  // How far to push a block down so that no note of it sits more than
  // `limit` below its passage, and no further than aligning its first note.
  function pushNeeded(group, tops, bottom, limit) {
    function worst(p) {
      var b = bottom, w = 0;
      for (var k = 0; k < group.length; k++) {
        var t = Math.max(tops[k] + p, b + GAP);
        w = Math.max(w, t - (tops[k] + p));
        b = t + group[k].height;
      }
      return w;
    }
    var full = Math.max(0, bottom + GAP - tops[0]);
    if (full === 0 || worst(0) <= limit) return 0;
    if (worst(full) > limit) {
      // The block's own notes are taller than its text: push only as far as
      // aligning the first note, which helps every later one as much.
      return full;
    }
    var lo = 0, hi = full;
    for (var k = 0; k < 24 && hi - lo > 1; k++) {
      var mid = (lo + hi) / 2;
      if (worst(mid) <= limit) hi = mid; else lo = mid;
    }
    return Math.ceil(hi);
  }

  var queued = false;
  function schedule() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; place(); });
  }

  // ---------------------------------------------------------------------
  // Narrow screens: each note folds behind a button under its paragraph.

  function foldable() {
    notes().forEach(function (n) {
      if (n.querySelector(":scope > .note-toggle")) return;
      var content = document.createElement("div");
      content.className = "note-content";
      content.id = n.id + "-content";
      while (n.firstChild) content.appendChild(n.firstChild);

      var num = content.querySelector(".note-number");
      var kind = content.querySelector(".note-kind");
      var body = content.querySelector(".note-body");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "note-toggle";
      b.setAttribute("aria-expanded", "false");
      b.setAttribute("aria-controls", content.id);
      var label = "Note " + (num ? num.textContent.trim() : "");
      if (kind) label += ", " + kind.textContent.trim();
      b.innerHTML = '<span class="toggle-icon" aria-hidden="true">▸</span>' +
        '<span class="toggle-number"></span><span class="toggle-preview" aria-hidden="true"></span>';
      b.querySelector(".toggle-number").textContent = label;
      b.querySelector(".toggle-preview").textContent = body ? body.textContent.trim().replace(/\s+/g, " ") : "";
      b.addEventListener("click", function () { setOpen(n, n.classList.contains("is-folded")); });

      n.appendChild(b);
      n.appendChild(content);
      n.classList.add("is-foldable", "is-folded");
    });
  }

  function setOpen(note, open) {
    var b = note.querySelector(":scope > .note-toggle");
    if (!b) return;
    note.classList.toggle("is-folded", !open);
    b.setAttribute("aria-expanded", open ? "true" : "false");
  }

  // ---------------------------------------------------------------------
  // Passage and note highlight each other.

  var active = null;
  function noteIdFrom(el) {
    if (!el || !el.closest) return null;
    var m = el.closest("mark.anchor");
    if (m) return m.getAttribute("data-note");
    var ref = el.closest(".note-ref a");
    if (ref) return (ref.getAttribute("href") || "").replace(/^#/, "");
    var n = el.closest("aside.margin-note");
    return n ? n.id : null;
  }
  function activate(id) {
    if (id === active) return;
    if (active) {
      var old = byId(active);
      if (old) old.classList.remove("is-active");
      marksOf(active).forEach(function (m) { m.classList.remove("is-active"); });
    }
    active = id;
    if (!id) return;
    var n = byId(id);
    if (n) n.classList.add("is-active");
    marksOf(id).forEach(function (m) { m.classList.add("is-active"); });
  }
  function linkHighlights() {
    document.addEventListener("mouseover", function (e) { activate(noteIdFrom(e.target)); });
    document.addEventListener("focusin", function (e) { activate(noteIdFrom(e.target)); });
    document.addEventListener("focusout", function (e) {
      if (!noteIdFrom(e.relatedTarget)) activate(null);
    });
    // On narrow screens a tap on a passage or its number opens the note.
    document.addEventListener("click", function (e) {
      if (WIDE.matches) return;
      var id = noteIdFrom(e.target);
      var n = id && byId(id);
      if (!n || n.contains(e.target)) return;
      if (e.target.closest("mark.anchor") && e.target.closest("a")) return;
      if (n.classList.contains("is-foldable")) {
        e.preventDefault();
        setOpen(n, true);
        var b = n.querySelector(":scope > .note-toggle");
        n.scrollIntoView({ block: "nearest" });
        if (b) b.focus({ preventScroll: true });
      }
    });
  }

  // A deep link to a passage (#n3) highlights every piece of it; one to a
  // note (#note-n3) opens it if it is folded.
  function followHash() {
    all(".is-target").forEach(function (el) { el.classList.remove("is-target"); });
    var id = decodeURIComponent(location.hash.slice(1));
    var el = byId(id);
    if (!el) return;
    if (el.matches("mark.anchor")) {
      marksOf(el.getAttribute("data-note")).forEach(function (m) { m.classList.add("is-target"); });
    } else if (el.matches("aside.margin-note")) {
      setOpen(el, true);
    }
  }

  // ---------------------------------------------------------------------

  function init() {
    foldable();
    linkHighlights();
    followHash();
    place();
    window.addEventListener("hashchange", followHash);
    window.addEventListener("resize", schedule);
    if (WIDE.addEventListener) WIDE.addEventListener("change", schedule);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(schedule);
    window.addEventListener("load", schedule);
    all(".article-body img").forEach(function (img) { if (!img.complete) img.addEventListener("load", schedule); });
    // Print with the notes floating in the margin, not where the screen put them.
    window.addEventListener("beforeprint", function () { var b = document.querySelector(".article-body"); if (b) unplace(b); });
    window.addEventListener("afterprint", schedule);
    // A folded note opened on a wide screen changes no layout; one opened in
    // the margin may change a note's height (e.g. after a resize): re-place.
    document.addEventListener("click", function (e) {
      if (!placing && WIDE.matches && e.target.closest && e.target.closest(".margin-note")) schedule();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
