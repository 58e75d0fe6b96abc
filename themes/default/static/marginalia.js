// marginalia default theme. Pages read fine without this script; it
// - places each margin note at its passage's height on wide screens, moving
//   a note down just enough not to overlap the one above, and clipping the
//   tallest notes of a crowd (they open in full on hover and focus) rather
//   than letting notes drift far from their passages or pushing text apart;
// - folds notes under their paragraph on narrow screens, behind a button;
// - highlights a passage and its note together on hover and focus, and the
//   passage a deep link (#id) points to.
// The search box is search.js.
(function () {
  "use strict";

  var WIDE = window.matchMedia("(min-width: 1100px)");
  var GAP = 10; // px between two notes in the margin
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
  //
  // Each note goes at its passage's height, or just below the note above.
  // The text is never pushed apart to make room: where notes are too long
  // for the room beside their passages, the tallest notes of the crowd are
  // clipped a line at a time (to one line at least) until every note starts
  // within TARGET px of its passage. A clipped note opens in full, over its
  // neighbours, while it or its passage is hovered or focused; its whole
  // text stays in the page for screen readers and for search.

  var TARGET = 140; // px a note may start below its passage
  var OVERHANG = 48; // px the last notes may run past the end of the text
  var placing = false;

  function unplace(body) {
    body.classList.remove("notes-placed");
    notes().forEach(function (n) {
      n.style.top = "";
      n.style.maxHeight = "";
      n.style.transform = "";
      n.classList.remove("is-clipped");
    });
    body.style.paddingBottom = "";
  }

  function place() {
    var body = document.querySelector(".article-body");
    if (!body) { root.classList.add("notes-ready"); return; }
    placing = true;
    unplace(body);
    if (!WIDE.matches) { placing = false; root.classList.add("notes-ready"); return; }
    body.classList.add("notes-placed");

    var origin = body.getBoundingClientRect().top;
    var shown = notes().filter(function (n) { return body.contains(n) && n.getClientRects().length > 0; });
    var last = 0;
    var items = shown.map(function (n) {
      var a = anchorOf(n);
      var r = n.getBoundingClientRect();
      var cs = getComputedStyle(n);
      var line = parseFloat(cs.lineHeight) || 20;
      // One line: down to the foot of the number badge or the first line.
      var first = n.querySelector(".note-number") || n.firstElementChild;
      var firstBottom = first ? first.getBoundingClientRect().bottom - r.top : line;
      var min = Math.ceil(Math.max(firstBottom, (parseFloat(cs.paddingTop) || 0) + line) + (parseFloat(cs.paddingBottom) || 0));
      var want = a && a.getClientRects().length ? a.getBoundingClientRect().top - origin : last;
      last = want;
      return { note: n, want: want, full: Math.ceil(r.height), height: Math.ceil(r.height), min: Math.min(min, Math.ceil(r.height)), line: line };
    });
    var end = body.getBoundingClientRect().height + OVERHANG;
    var tops = fit(items, end);
    var bottom = 0;
    items.forEach(function (it, k) {
      it.note.style.top = Math.round(tops[k]) + "px";
      if (it.height < it.full) {
        it.note.classList.add("is-clipped");
        it.note.style.maxHeight = it.height + "px";
      }
      bottom = Math.max(bottom, tops[k] + it.height);
    });
    var room = bottom - body.getBoundingClientRect().height;
    if (room > 0) body.style.paddingBottom = Math.ceil(room) + "px";
    placing = false;
    root.classList.add("notes-ready");
    if (active) fitInView(byId(active));
  }

  // Where each note goes, greedily in reading order.
  function stack(items) {
    var tops = [], below = -Infinity;
    for (var k = 0; k < items.length; k++) {
      tops.push(Math.max(items[k].want, below + GAP));
      below = tops[k] + items[k].height;
    }
    return tops;
  }

  // Clips the tallest note of each crowd a line at a time until every note
  // starts within TARGET of its passage and the last ends by `end`, or
  // nothing in the crowd can shrink further. Returns the notes' tops.
  function fit(items, end) {
    var n = items.length, from = 0;
    for (var guard = 0; guard < 100000; guard++) {
      var tops = stack(items);
      // The first note too far down (n: the notes run past the end).
      var bad = -1;
      for (var k = from; k < n && bad < 0; k++) if (tops[k] - items[k].want > TARGET) bad = k;
      if (bad < 0) {
        if (!n || tops[n - 1] + items[n - 1].height <= end) return tops;
        bad = n;
      }
      // The crowd pushing it: back to the first note that sits at its passage.
      var s = bad - 1;
      while (s > 0 && tops[s] > items[s].want + 0.5) s--;
      var tallest = -1;
      for (var j = Math.max(s, 0); j < bad; j++) {
        if (items[j].height > items[j].min && (tallest < 0 || items[j].height > items[tallest].height)) tallest = j;
      }
      if (tallest < 0) {
        if (bad === n) return tops;
        from = bad + 1; // nothing above can give way: accept this one
        continue;
      }
      var it = items[tallest];
      var lines = Math.ceil((it.height - it.min) / it.line) - 1;
      it.height = Math.max(it.min, Math.floor(it.min + lines * it.line));
    }
    return stack(items);
  }

  // An opened note that would run off the bottom of the window moves up
  // into it (never above its top), so the whole note can be read.
  function fitInView(n) {
    if (!n || !n.classList.contains("is-clipped")) return;
    n.style.transform = "";
    var r = n.getBoundingClientRect();
    var over = r.bottom - (window.innerHeight - 8);
    if (over > 0) n.style.transform = "translateY(" + -Math.round(Math.min(over, Math.max(0, r.top - 8))) + "px)";
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
      if (old) { old.classList.remove("is-active"); old.style.transform = ""; }
      marksOf(active).forEach(function (m) { m.classList.remove("is-active"); });
    }
    active = id;
    if (!id) return;
    var n = byId(id);
    if (n) n.classList.add("is-active");
    marksOf(id).forEach(function (m) { m.classList.add("is-active"); });
    if (n && WIDE.matches) requestAnimationFrame(function () { if (active === id) fitInView(n); });
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
  // Reader layers: the legend's checkboxes show or hide notes by kind and
  // by author. Its state lives in the URL query (?kind=…&author=…, repeated
  // for several), so a filtered view can be shared and #note-… deep links
  // keep working. A parameter that is absent means "all"; `kind=` alone
  // means "none". Without the script the checkboxes stay hidden and every
  // note shows.

  function layers() {
    var bar = document.querySelector(".note-filter");
    if (!bar) return;
    var boxes = all("input[type=checkbox]", bar);
    var status = bar.querySelector(".filter-status");
    var reset = bar.querySelector(".filter-all");
    var total = notes().length;
    all("[hidden]", bar).forEach(function (el) { if (!el.matches(".filter-all")) el.hidden = false; });
    bar.classList.add("is-filtering");

    function read() {
      var q = new URLSearchParams(location.search);
      ["kind", "author"].forEach(function (name) {
        var mine = boxes.filter(function (b) { return b.name === name; });
        if (!mine.length || !q.has(name)) { mine.forEach(function (b) { b.checked = true; }); return; }
        var want = q.getAll(name);
        mine.forEach(function (b) { b.checked = want.indexOf(b.value) >= 0; });
      });
    }

    function write() {
      var q = new URLSearchParams(location.search);
      ["kind", "author"].forEach(function (name) {
        var mine = boxes.filter(function (b) { return b.name === name; });
        q.delete(name);
        var on = mine.filter(function (b) { return b.checked; });
        if (on.length === mine.length) return;
        if (!on.length) q.append(name, "");
        on.forEach(function (b) { q.append(name, b.value); });
      });
      var search = q.toString();
      history.replaceState(history.state, "", location.pathname + (search ? "?" + search : "") + location.hash);
    }

    function apply() {
      var kinds = {}, listed = {}, byAuthor = null;
      boxes.forEach(function (b) {
        if (b.name === "kind") { listed[b.value] = true; if (b.checked) kinds[b.value] = true; }
      });
      var authors = boxes.filter(function (b) { return b.name === "author"; });
      if (authors.some(function (b) { return !b.checked; })) {
        byAuthor = {};
        authors.forEach(function (b) {
          if (b.checked) (b.getAttribute("data-notes") || "").split(" ").forEach(function (id) { if (id) byAuthor[id] = true; });
        });
      }
      var shown = 0;
      notes().forEach(function (n) {
        var k = n.getAttribute("data-kind");
        var hide = (k && listed[k] && !kinds[k]) || (byAuthor && !byAuthor[n.id]);
        n.classList.toggle("is-filtered", !!hide);
        marksOf(n.id).forEach(function (m) { m.classList.toggle("is-filtered", !!hide); });
        all('.note-ref a[href="#' + cssEscape(n.id) + '"]').forEach(function (a) { a.parentNode.classList.toggle("is-filtered", !!hide); });
        if (!hide) shown++;
      });
      reset.hidden = shown === total;
      var text = shown === total ? "Showing all " + total + " notes." : "Showing " + shown + " of " + total + " notes.";
      status.textContent = text;
      status.classList.toggle("visually-hidden", shown === total);
      schedule();
    }

    bar.addEventListener("change", function () { write(); apply(); });
    reset.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = true; });
      write();
      apply();
      if (boxes[0]) boxes[0].focus();
    });
    window.addEventListener("popstate", function () { read(); apply(); });
    read();
    apply();
  }

  // ---------------------------------------------------------------------

  function init() {
    foldable();
    layers();
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
