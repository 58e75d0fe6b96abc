// marginalia default theme: the search box. Pages read fine without it.
//
// The index is split (see the README, "Search"): search-index.json names
// the term shards; a query fetches the shard of each word's first two
// letters (search-index/t/<hex>.json), then the result heads of the
// results it shows (search-index/h/<n>.json: title, path, date, source and
// note ids of 16 documents a file), and only once typing pauses each shown
// document's fragment (search-index/d/<n>.json, its text and notes) to cut
// the matching passage from. What was fetched is kept for the page's life.
// Nothing else is loaded, and nothing from elsewhere.
//
// Ranking: a result matching more of the words comes first; then the sum,
// over the words, of the term's weight (title and tags weigh more than
// text) times its rarity. The last word also matches as a prefix while it
// is typed; a word with no match is looked up one letter off (a letter
// missing, extra, wrong or two swapped).
(function () {
  "use strict";

  var SHOWN = 8;      // results shown
  var DEBOUNCE = 120; // ms after the last key before searching
  // ms after the last key before the passages of the results shown are
  // fetched: a search runs after every letter, but the ~9 KB fragments are
  // fetched only for the list that stays once typing stops.
  var PAUSE = 600;

  function fold(s) {
    s = (s || "").toLowerCase();
    return s.normalize ? s.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : s;
  }
  // The terms of a text, as the build splits them (render/search.rs).
  function terms(s) {
    return fold(s).split(/[^\p{L}\p{N}]+/u).filter(function (t) {
      var n = Array.from(t).length;
      return n >= 2 && n <= 40;
    });
  }
  function keyOf(term) { return Array.from(term).slice(0, 2).join(""); }
  function hex(s) {
    var bytes = new TextEncoder().encode(s), out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }
  // Damerau-Levenshtein distance at most 1?
  function oneOff(a, b) {
    if (a === b) return false;
    var la = a.length, lb = b.length;
    if (Math.abs(la - lb) > 1) return false;
    var i = 0;
    while (i < la && i < lb && a[i] === b[i]) i++;
    if (la === lb) {
      if (a.slice(i + 1) === b.slice(i + 1)) return true; // one letter wrong
      return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swapped
    }
    return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }

  function search() {
    var box = document.querySelector(".search[data-index]");
    if (!box || !window.fetch) return;
    var input = box.querySelector("input");
    var out = box.querySelector(".search-results");
    var status = box.querySelector(".search-status");
    var manifest = null, shards = {}, heads = {}, docs = {}, done = {};
    var timer = null, passageTimer = null, lastKey = 0, seq = 0;
    box.hidden = false;

    function json(url) {
      return fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
    }
    function loadManifest() {
      if (!manifest) {
        manifest = json(box.getAttribute("data-index")).then(function (m) {
          m.keys = {};
          m.shards.forEach(function (k) { m.keys[k] = true; });
          return m;
        });
        manifest.catch(function () { manifest = null; });
      }
      return manifest;
    }
    function shard(m, key) {
      if (!m.keys[key]) return Promise.resolve({});
      if (!shards[key]) shards[key] = json(m.terms + hex(key) + ".json");
      return shards[key];
    }
    // What document d's result line shows: {title, url, date, source,
    // notes: [id, …], versions: [[date, url, title], …]}, from its
    // fragment when that is already here, else from its head file
    // (h/<g>.json: [title, path, date, source, [note id, …],
    // [[date, path, title], …]] for each of heads_per_file documents).
    function line(m, d) {
      function fromFragment(f) {
        return {
          title: f.title, url: f.url, date: f.date, source: f.source,
          notes: f.notes.map(function (n) { return n[0]; }),
          versions: (f.versions || []).map(function (v) { return [v[0], v[1], v[2]]; }),
        };
      }
      if (done[d]) return Promise.resolve(fromFragment(done[d]));
      // An index written before head files (manifest version 2).
      if (!m.heads) return fragment(m, d).then(fromFragment);
      var g = Math.floor(d / m.heads_per_file);
      if (!heads[g]) {
        heads[g] = json(m.heads + g + ".json");
        heads[g].catch(function () { delete heads[g]; });
      }
      return heads[g].then(function (all) {
        var h = all[d - g * m.heads_per_file];
        return {
          title: h[0], url: m.base + h[1], date: h[2], source: h[3], notes: h[4],
          versions: h[5].map(function (v) { return [v[0], m.base + v[1], v[2]]; }),
        };
      });
    }
    function fragment(m, d) {
      if (!docs[d]) {
        docs[d] = json(m.docs + d + ".json").then(function (f) { done[d] = f; return f; });
        docs[d].catch(function () { delete docs[d]; });
      }
      return docs[d];
    }

    // The terms a query word matches in a shard: [term, factor].
    function matchesIn(s, word, prefix) {
      var found = [];
      if (s[word]) found.push([word, 1]);
      if (prefix) {
        Object.keys(s).filter(function (t) { return t !== word && t.lastIndexOf(word, 0) === 0; })
          .sort(function (a, b) { return s[b][0] - s[a][0]; })
          .slice(0, 5)
          .forEach(function (t) { found.push([t, 0.7]); });
      }
      return found;
    }
    function fuzzyIn(s, word) {
      return Object.keys(s).filter(function (t) { return oneOff(word, t); })
        .map(function (t) { return [t, 0.5]; });
    }
    // A word's matches, with the shards they are in.
    function lookup(m, word, prefix) {
      return shard(m, keyOf(word)).then(function (s) {
        var found = matchesIn(s, word, prefix);
        if (found.length || Array.from(word).length < 3) return { found: found, shards: [s] };
        var near = fuzzyIn(s, word);
        if (near.length) return { found: near, shards: [s] };
        // A slip in the first two letters puts the word in another shard:
        // try the shards of the word with its first letters swapped or
        // one of them dropped.
        var c = Array.from(word);
        var keys = [keyOf(c[1] + c[0] + c.slice(2).join("")), keyOf(c.slice(1).join("")), keyOf(c[0] + c.slice(2).join(""))]
          .filter(function (k, i, a) { return k !== keyOf(word) && a.indexOf(k) === i; });
        return Promise.all(keys.map(function (k) { return shard(m, k); })).then(function (more) {
          var all = [];
          more.forEach(function (x) { all = all.concat(fuzzyIn(x, word)); });
          return { found: all, shards: more };
        });
      });
    }

    function rank(m, words, looked) {
      var items = {};
      looked.forEach(function (l, wi) {
        var best = {};
        l.found.forEach(function (f) {
          var term = f[0], factor = f[1], p = null;
          l.shards.forEach(function (s) { if (!p && s[term]) p = s[term]; });
          if (!p) return;
          var idf = Math.log(1 + m.items / p[0]);
          for (var i = 1; i + 2 < p.length; i += 3) {
            var id = p[i] + ":" + p[i + 1], score = p[i + 2] * factor * idf;
            if (!best[id] || best[id].score < score) best[id] = { score: score, term: term };
          }
        });
        Object.keys(best).forEach(function (id) {
          var it = items[id] || (items[id] = { id: id, words: 0, score: 0, terms: [] });
          it.words += 1;
          it.score += best[id].score;
          it.terms.push(best[id].term);
        });
      });
      return Object.keys(items).map(function (k) { return items[k]; }).sort(function (a, b) {
        return b.words - a.words || b.score - a.score || (a.id < b.id ? -1 : 1);
      });
    }

    // The passage of `text` around the first of `ts`: [before, hit, after].
    function passage(text, ts) {
      var folded = fold(text);
      var at = -1, len = 0;
      ts.forEach(function (t) {
        var re = new RegExp("(^|[^\\p{L}\\p{N}])(" + t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "u");
        var m = re.exec(folded);
        if (m && (at < 0 || m.index + m[1].length < at)) { at = m.index + m[1].length; len = m[2].length; }
      });
      if (at < 0) return null;
      // Folding keeps the length of most text; where it does not, the
      // passage is still the right neighbourhood.
      var from = Math.max(0, at - 60), to = Math.min(text.length, at + len + 90);
      return [(from > 0 ? "…" : "") + text.slice(from, at), text.slice(at, at + len), text.slice(at + len, to) + (to < text.length ? "…" : "")];
    }

    function busy(on) {
      if (on) out.setAttribute("aria-busy", "true"); else out.removeAttribute("aria-busy");
    }

    // What a result is: the article, note k - 1 (k >= 1) or, past the
    // notes, an earlier snapshot holding words the latest no longer has.
    function target(r, l) {
      var parts = r.id.split(":"), k = Number(parts[1]), notes = l.notes;
      return {
        doc: Number(parts[0]),
        note: k > 0 && k <= notes.length ? k - 1 : -1,
        version: k > notes.length ? k - notes.length - 1 : -1,
      };
    }

    // The passage of result `r` in its fragment `f`, or null.
    function passageOf(r, t, f) {
      if (t.note >= 0) {
        var n = f.notes[t.note];
        return n && (passage(n[1], r.terms) || passage(n[2], r.terms) || [n[1].slice(0, 150), "", ""]);
      }
      if (t.version >= 0) {
        var v = (f.versions || [])[t.version];
        return v && (passage(v[3], r.terms) || passage(v[2], r.terms));
      }
      return passage(f.text, r.terms) || passage(f.title, r.terms);
    }

    function fillPassage(li, r, t, f) {
      var sn = li.querySelector(".search-snippet");
      var p = passageOf(r, t, f);
      if (!sn || !p) return;
      var mk = document.createElement("mark");
      mk.textContent = p[1];
      sn.textContent = "";
      sn.appendChild(document.createTextNode((t.note >= 0 ? "In a note: " : t.version >= 0 ? "Since changed: " : "") + p[0]));
      sn.appendChild(mk);
      sn.appendChild(document.createTextNode(p[2]));
    }

    // The results' lines from their heads at once; their passages from
    // fragments already fetched, else once typing has paused.
    function show(m, ranked, q, mine) {
      var top = ranked.slice(0, SHOWN);
      return Promise.all(top.map(function (r) {
        return line(m, Number(r.id.split(":")[0]));
      })).then(function (ls) {
        if (mine !== seq || input.value !== q) return;
        out.textContent = "";
        var lis = top.map(function (r, k) {
          var l = ls[k], t = target(r, l);
          var v = t.version >= 0 ? l.versions[t.version] : null;
          var li = document.createElement("li");
          li.id = "search-result-" + k;
          var a = document.createElement("a");
          a.href = t.note >= 0 ? l.url + "#note-" + l.notes[t.note] : v ? v[1] : l.url;
          a.textContent = t.note >= 0 ? "Note on " + l.title : v ? v[2] + " (version of " + v[0] + ")" : l.title;
          li.appendChild(a);
          var meta = document.createElement("span");
          meta.className = "search-meta";
          meta.textContent = [l.date, l.source].filter(Boolean).join(" · ");
          li.appendChild(meta);
          var sn = document.createElement("span");
          sn.className = "search-snippet";
          li.appendChild(sn);
          out.appendChild(li);
          if (done[t.doc]) fillPassage(li, r, t, done[t.doc]);
          return { li: li, r: r, t: t };
        });
        status.textContent = ranked.length
          ? (ranked.length > SHOWN ? SHOWN + " of " + ranked.length : ranked.length) + " result" + (ranked.length === 1 ? "" : "s")
          : "No results";
        if (!ranked.length) {
          var li = document.createElement("li");
          li.textContent = "No articles or notes match.";
          out.appendChild(li);
        }
        var missing = lis.filter(function (x) { return !done[x.t.doc]; });
        if (!missing.length) { busy(false); return; }
        clearTimeout(passageTimer);
        passageTimer = setTimeout(function () {
          Promise.all(missing.map(function (x) {
            return fragment(m, x.t.doc).then(function (f) {
              if (mine === seq) fillPassage(x.li, x.r, x.t, f);
            }, function () {});
          })).then(function () { if (mine === seq) busy(false); });
        }, Math.max(0, lastKey + PAUSE - Date.now()));
      });
    }

    function run(q) {
      var words = terms(q);
      var mine = ++seq;
      if (!words.length) { out.textContent = ""; status.textContent = ""; busy(false); return; }
      // The last word is still being typed unless a space follows it.
      var typing = !/\s$/.test(q);
      loadManifest().then(function (m) {
        return Promise.all(words.map(function (w, i) {
          return lookup(m, w, typing && i === words.length - 1);
        })).then(function (looked) {
          if (mine !== seq) return;
          return show(m, rank(m, words, looked), q, mine);
        });
      }).catch(function () {
        if (mine !== seq) return;
        status.textContent = "Search is unavailable.";
        busy(false);
      });
    }

    function links() { return Array.prototype.slice.call(out.querySelectorAll("a")); }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      clearTimeout(passageTimer);
      lastKey = Date.now();
      busy(true);
      var q = input.value;
      timer = setTimeout(function () { run(q); }, DEBOUNCE);
    });
    input.addEventListener("focus", function () { loadManifest().catch(function () {}); });
    // Arrow keys move between the box and the results; Escape clears.
    box.addEventListener("keydown", function (e) {
      var all = links(), at = all.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && all.length) {
        all[Math.min(at + 1, all.length - 1)].focus();
        e.preventDefault();
      } else if (e.key === "ArrowUp" && at >= 0) {
        if (at === 0) input.focus(); else all[at - 1].focus();
        e.preventDefault();
      } else if (e.key === "Escape") {
        input.value = "";
        run("");
        input.focus();
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", search);
  else search();
})();
