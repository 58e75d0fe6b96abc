//! Margin notes: anchoring a document's sidecar notes against its text
//! index, numbering them with its footnotes in reading order, and weaving
//! the `<mark>`s and `<aside>`s of DESIGN §4 into the emitted events.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{CowStr, Event};

use super::aside::{AsideCtx, DateCtx, NOTE_PARTIAL, NoteTemplate, RatingCtx, SourceRef};
use super::stream::{Extension, Item, Origin};
use super::{BLOCK_SEPARATOR, Input, Rendered, Scan};
use crate::annotate::anchor::{AnchorError, Selector, TextIndex};
use crate::annotate::sidecar::HIGHLIGHT;
use crate::error::{Diagnostic, LineIndex, Location};
use crate::html::escape;
use crate::model::{Date, Note, QuoteFix};

/// How many characters of context a note keeps on each side of its passage
/// (the W3C TextQuoteSelector's prefix and suffix).
pub const CONTEXT_CHARS: usize = 32;

/// How similar a drifted quote's closest passage must be for `check --fix`
/// to rewrite it.
pub const FIX_THRESHOLD: f64 = 0.8;

/// The thread under a note: each reply's text (plain text, paragraphs at
/// blank lines, escaped), its author and date, oldest first.
/// What readers see for the note kind `key`: its declared label, or the
/// key when the site declares none.
fn kind_label<'a>(kinds: &'a [crate::config::NoteKind], key: &'a str) -> &'a str {
    kinds
        .iter()
        .find(|k| k.key == key)
        .map_or(key, |k| k.label.as_str())
}

fn replies_html(h: &mut String, replies: &[crate::model::Reply]) {
    use crate::html::escape_into;
    if replies.is_empty() {
        return;
    }
    h.push_str("<ol class=\"note-replies\" aria-label=\"Replies\">\n");
    for r in replies {
        h.push_str("<li class=\"note-reply\">");
        for para in r
            .text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            h.push_str("<p>");
            escape_into(h, para);
            h.push_str("</p>");
        }
        if r.author.is_some() || r.date.is_some() {
            h.push_str("<p class=\"note-meta\">");
            if let Some(a) = &r.author {
                h.push_str("<span class=\"note-author\">");
                escape_into(h, a);
                h.push_str("</span>");
            }
            if let Some(d) = &r.date {
                h.push_str(&format!(
                    " <time datetime=\"{}\">{}</time>",
                    d.iso(),
                    d.display()
                ));
            }
            h.push_str("</p>");
        }
        h.push_str("</li>\n");
    }
    h.push_str("</ol>\n");
}

/// A sidecar note that anchored.
struct Anchored {
    /// Index into the input notes.
    source: usize,
    range: Range<usize>,
    number: usize,
    block_insert: usize,
    /// Whether its first mark (the one with the id) has been written.
    first_done: Cell<bool>,
    /// Whether its note number after the passage has been written.
    ref_done: Cell<bool>,
    body_html: String,
    body_text: String,
}

struct Footnote {
    /// The id-safe form of the label.
    key: String,
    number: usize,
    insert_at: Option<usize>,
    body_html: String,
}

/// What the emit pass needs to weave notes in.
pub(super) struct Plan {
    notes: Vec<Anchored>,
    footnotes: Vec<Footnote>,
    /// Prebuilt `<aside>`s by the event index they go before.
    asides: BTreeMap<usize, Vec<String>>,
    end_asides: Vec<String>,
    /// Footnote labels with a definition → index in `footnotes`.
    footnote_index: HashMap<String, usize>,
    input_notes: Vec<NoteInput>,
    /// Indices into `notes` by passage start, and the running maximum of
    /// their ends: finds the passages over a piece of text without looking
    /// at every note (which made articles with many notes quadratic).
    by_start: Vec<usize>,
    max_end: Vec<usize>,
}

/// The parts of a sidecar note the plan keeps for building notes.
struct NoteInput {
    id: String,
    kind: Option<String>,
    sources: Vec<String>,
    author: Option<String>,
    date: Option<Date>,
    tags: Vec<String>,
    rating: Option<crate::model::Rating>,
    written_quote: String,
    written_note: String,
    replies: Vec<crate::model::Reply>,
    line: usize,
    quote_in_text: String,
    prefix: String,
    suffix: String,
    /// A highlight without a note: a mark, no number, no aside.
    bare_highlight: bool,
}

/// Anchors every note of `input` against `index` and numbers the notes and
/// footnote references in reading order. Notes that do not anchor are
/// reported (into `out`) and left out.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan(
    input: &Input,
    index: &TextIndex,
    scan: &Scan,
    footnote_labels: &[String],
    lines: &mut Option<LineIndex>,
    out: &mut Rendered,
) -> Plan {
    let sidecar = input.sidecar.map(|p| p.to_path_buf()).unwrap_or_default();
    let mut anchored = Vec::new();
    let mut input_notes = Vec::new();
    let selectors: Vec<Selector> = input
        .notes
        .iter()
        .map(|n| Selector {
            exact: &n.quote,
            prefix: n.prefix.as_deref(),
            suffix: n.suffix.as_deref(),
            occurrence: n.occurrence,
        })
        .collect();
    let resolved = index.resolve_all(&selectors);
    for ((i, n), result) in input.notes.iter().enumerate().zip(resolved) {
        let here = Location::at(&sidecar, n.line, 0);
        match result {
            Ok(range) => {
                let (before, after) = index.context(range.clone(), CONTEXT_CHARS);
                input_notes.push(NoteInput {
                    id: n.id.clone(),
                    kind: n.kind.clone(),
                    sources: n.sources.clone(),
                    author: n.author.clone(),
                    date: n.date.clone(),
                    tags: n.tags.clone(),
                    rating: n.rating.clone(),
                    written_quote: n.quote.split_whitespace().collect::<Vec<_>>().join(" "),
                    written_note: n.note.clone(),
                    replies: n.replies.clone(),
                    line: n.line,
                    quote_in_text: passage_text(&index.text()[range.clone()]),
                    prefix: passage_text(before),
                    suffix: passage_text(after),
                    bare_highlight: n.kind.as_deref() == Some(HIGHLIGHT)
                        && n.note.trim().is_empty(),
                });
                anchored.push(Anchored {
                    source: i,
                    // After the block holding the passage's last
                    // character: a passage across blocks has a mark in each,
                    // and its note follows the last (DESIGN §1).
                    block_insert: block_for(scan, range.end.saturating_sub(1).max(range.start))
                        .map_or(usize::MAX, |b| scan.blocks[b].insert_at),
                    range,
                    number: 0,
                    first_done: Cell::new(false),
                    ref_done: Cell::new(false),
                    body_html: String::new(),
                    body_text: String::new(),
                });
            }
            Err(e) => {
                let mut ctx = Reporter {
                    input,
                    index,
                    scan,
                    lines,
                };
                let (d, fix) = ctx.report(here, &n.quote, &e);
                out.diagnostics.push(d);
                if let Some(new) = fix {
                    out.fixes.push(QuoteFix {
                        sidecar: sidecar.clone(),
                        line: n.line,
                        old: n.quote.clone(),
                        new: new.0,
                        similarity: new.1,
                    });
                }
                input_notes.push(NoteInput {
                    id: n.id.clone(),
                    kind: None,
                    sources: Vec::new(),
                    author: None,
                    date: None,
                    tags: Vec::new(),
                    rating: None,
                    written_quote: String::new(),
                    written_note: String::new(),
                    replies: Vec::new(),
                    line: n.line,
                    quote_in_text: String::new(),
                    prefix: String::new(),
                    suffix: String::new(),
                    bare_highlight: false,
                });
            }
        }
    }

    // Footnotes: the first reference of each defined label.
    let defined: HashSet<&str> = footnote_labels.iter().map(String::as_str).collect();
    let mut footnotes: Vec<Footnote> = Vec::new();
    let mut footnote_index = HashMap::new();
    let mut footnote_pos: Vec<(usize, usize)> = Vec::new(); // (position, footnote idx)
    for (_, pos, label) in &scan.footnote_refs {
        if !defined.contains(label.as_str()) || footnote_index.contains_key(label) {
            continue;
        }
        footnote_index.insert(label.clone(), footnotes.len());
        footnote_pos.push((*pos, footnotes.len()));
        footnotes.push(Footnote {
            key: footnote_key(label),
            number: 0,
            insert_at: block_for_ref(scan, *pos).map(|b| scan.blocks[b].insert_at),
            body_html: String::new(),
        });
    }
    for label in footnote_labels {
        if !footnote_index.contains_key(label) {
            out.diagnostics.push(Diagnostic::warning(
                Some(Location::file(input.file)),
                format!("footnote [^{label}] is defined but never referred to; it is not shown"),
            ));
        }
    }

    // Reading order is the order of the numbers in the text: a passage's
    // number follows its end, so passages count by where they end (of two
    // ending at one place the inner one closes, and is numbered, first),
    // and a passage comes before a footnote reference at the same place.
    // Counting by start made nested passages read "regime¹⁰ … weapon⁹".
    let mut order: Vec<(usize, u8, std::cmp::Reverse<usize>, usize)> = anchored
        .iter()
        .enumerate()
        .filter(|(_, a)| !input_notes[a.source].bare_highlight)
        .map(|(i, a)| (a.range.end, 0u8, std::cmp::Reverse(a.range.start), i))
        .chain(
            footnote_pos
                .iter()
                .map(|(pos, f)| (*pos, 1u8, std::cmp::Reverse(0), *f)),
        )
        .collect();
    order.sort();
    for (n, (_, kind, _, i)) in order.into_iter().enumerate() {
        if kind == 0 {
            anchored[i].number = n + 1;
        } else {
            footnotes[i].number = n + 1;
        }
    }
    // Highlights (number 0) keep their place by position, after the notes.
    anchored.sort_by_key(|a| (a.number == 0, a.number, a.range.start));

    let mut by_start: Vec<usize> = (0..anchored.len()).collect();
    by_start.sort_by_key(|&i| anchored[i].range.start);
    let max_end = by_start
        .iter()
        .scan(0, |m, &i| {
            *m = anchored[i].range.end.max(*m);
            Some(*m)
        })
        .collect();
    Plan {
        notes: anchored,
        footnotes,
        asides: BTreeMap::new(),
        end_asides: Vec::new(),
        footnote_index,
        input_notes,
        by_start,
        max_end,
    }
}

/// The innermost block holding a position of the joined text.
fn block_for(scan: &Scan, pos: usize) -> Option<usize> {
    let upto = scan.blocks.partition_point(|b| b.start <= pos);
    (0..upto).rev().find(|&i| scan.blocks[i].end > pos)
}

/// Like [`block_for`], but a footnote reference may sit at a block's very end.
fn block_for_ref(scan: &Scan, pos: usize) -> Option<usize> {
    let upto = scan.blocks.partition_point(|b| b.start <= pos);
    (0..upto).rev().find(|&i| scan.blocks[i].end >= pos)
}

/// Footnote labels can hold anything; ids cannot.
fn footnote_key(label: &str) -> String {
    let s = slug::slugify(label);
    if s.is_empty() {
        format!("x{}", label.len())
    } else {
        s
    }
}

/// Joined text as people read it: block separators become spaces.
fn passage_text(s: &str) -> String {
    s.replace(BLOCK_SEPARATOR, " ")
}

impl Plan {
    /// Ids the page's notes use, which headings must not take.
    pub(super) fn reserved_ids(&self) -> HashSet<String> {
        let mut ids = HashSet::new();
        for n in &self.input_notes {
            ids.insert(n.id.clone());
            ids.insert(format!("note-{}", n.id));
        }
        for f in &self.footnotes {
            ids.insert(format!("note-fn-{}", f.key));
            ids.insert(format!("fnref-{}", f.key));
        }
        ids
    }

    /// The notes whose bodies still need rendering: (index, markdown, line).
    pub(super) fn note_bodies_needed<'a>(&self, input: &Input<'a>) -> Vec<(usize, &'a str, usize)> {
        self.notes
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    i,
                    input.notes[a.source].note.as_str(),
                    input.notes[a.source].line,
                )
            })
            .collect()
    }

    pub(super) fn set_note_body(&mut self, i: usize, html: String, text: String) {
        self.notes[i].body_html = html;
        self.notes[i].body_text = text;
    }

    pub(super) fn set_footnote_body(&mut self, label: &str, html: String) {
        if let Some(&i) = self.footnote_index.get(label) {
            self.footnotes[i].body_html = html;
        }
    }

    /// Builds every `<aside>` once the bodies are rendered, through the
    /// theme's partial. A note the partial fails on is reported at its line
    /// (`sidecar`) and left without an aside.
    pub(super) fn build_asides(
        &mut self,
        base_url: &str,
        sources: &crate::sources::Registry,
        kinds: &[crate::config::NoteKind],
        template: &NoteTemplate,
        sidecar: &Path,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut by_number: Vec<(usize, usize, String)> = Vec::new();
        let mut failed = |line: usize, e: String| {
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::at(sidecar, line, 0)),
                    format!("the margin-note template {NOTE_PARTIAL} failed on this note: {e}"),
                )
                .with_help("fix the theme's partials/note.html (the default theme's shows what it is given)"),
            )
        };
        for a in &self.notes {
            let n = &self.input_notes[a.source];
            if n.bare_highlight {
                continue;
            }
            // A thread under the note (imported Hypothesis replies) is part
            // of what the partial prints as the note's body.
            let body = if n.replies.is_empty() {
                std::borrow::Cow::Borrowed(a.body_html.as_str())
            } else {
                let mut b = a.body_html.clone();
                replies_html(&mut b, &n.replies);
                std::borrow::Cow::Owned(b)
            };
            let ctx = AsideCtx {
                id: &n.id,
                number: a.number,
                back: &n.id,
                kind: n.kind.as_deref(),
                kind_label: n.kind.as_deref().map(|k| kind_label(kinds, k)),
                footnote: false,
                body: &body,
                rating: n.rating.as_ref().map(RatingCtx::of),
                author: n.author.as_deref(),
                date: n.date.as_ref().map(|d| DateCtx {
                    iso: d.iso(),
                    display: d.display(),
                }),
                sources: n
                    .sources
                    .iter()
                    .map(|key| match sources.get(key) {
                        Some(s) => SourceRef {
                            key,
                            name: &s.name,
                            kind: s.kind.as_str(),
                            url: Some(format!("{base_url}sources/{}/", s.slug)),
                        },
                        None => SourceRef {
                            key,
                            name: key,
                            kind: "",
                            url: None,
                        },
                    })
                    .collect(),
            };
            match template.render(&ctx) {
                Ok(h) => by_number.push((a.block_insert, a.number, h)),
                Err(e) => failed(n.line, e),
            }
        }
        for f in &self.footnotes {
            let id = format!("fn-{}", f.key);
            let back = format!("fnref-{}", f.key);
            let ctx = AsideCtx {
                id: &id,
                number: f.number,
                back: &back,
                kind: Some("footnote"),
                kind_label: Some(kind_label(kinds, "footnote")),
                footnote: true,
                body: &f.body_html,
                rating: None,
                author: None,
                date: None,
                sources: Vec::new(),
            };
            match template.render(&ctx) {
                Ok(h) => by_number.push((f.insert_at.unwrap_or(usize::MAX), f.number, h)),
                Err(e) => failed(0, e),
            }
        }
        by_number.sort_by_key(|(at, num, _)| (*at, *num));
        for (at, _, h) in by_number {
            if at == usize::MAX {
                self.end_asides.push(h);
            } else {
                self.asides.entry(at).or_default().push(h);
            }
        }
    }

    /// The asides that go before the events in `events`.
    fn asides_before(&self, events: Range<usize>) -> impl Iterator<Item = String> + '_ {
        self.asides
            .range(events)
            .flat_map(|(_, v)| v.iter().cloned())
    }

    /// Asides that go after the last event (their block ended the
    /// document) and those with no block at all.
    pub(super) fn asides_after_last(&self, len: usize) -> impl Iterator<Item = String> + '_ {
        self.asides
            .range(len..)
            .flat_map(|(_, v)| v.iter().cloned())
            .chain(self.end_asides.iter().cloned())
    }

    /// The `<sup>` for a footnote reference: the number linking to its note.
    pub(super) fn footnote_ref_html(&self, label: &str, first: bool) -> Option<String> {
        let f = &self.footnotes[*self.footnote_index.get(label)?];
        let id = if first {
            format!(" id=\"fnref-{}\"", f.key)
        } else {
            String::new()
        };
        Some(format!(
            "<sup class=\"note-ref footnote-ref\"{id}><a href=\"#note-fn-{}\" aria-label=\"Note {}\">{}</a></sup>",
            f.key, f.number, f.number
        ))
    }

    /// The passages covering part of `range` of the joined text (latest
    /// start first). Stops at the first note, by start, below which no
    /// passage reaches `range`.
    fn overlapping(&self, range: Range<usize>) -> impl Iterator<Item = &Anchored> {
        let k = self
            .by_start
            .partition_point(|&i| self.notes[i].range.start < range.end);
        (0..k)
            .rev()
            .take_while(move |&j| self.max_end[j] > range.start)
            .map(|j| &self.notes[self.by_start[j]])
            .filter(move |a| a.range.end > range.start)
    }

    /// Whether any passage covers part of `range` of the joined text.
    pub(super) fn covers(&self, range: Range<usize>) -> bool {
        self.overlapping(range).next().is_some()
    }

    /// Writes one text event starting at `start` of the joined text,
    /// wrapped in the marks of every passage covering each piece of it.
    /// Marks never straddle the event's boundaries (the next event may be
    /// an inline tag), so a passage crossing inline markup becomes several
    /// marks with one `data-note`; only the first carries the `id`.
    fn weave<'a>(&self, out: &mut Out<'_, 'a>, text: CowStr<'a>, start: usize) {
        let end = start + text.len();
        let mut covering: Vec<&Anchored> = self.overlapping(start..end).collect();
        // Outer passages first, so marks nest.
        covering.sort_by_key(|n| (n.range.start, std::cmp::Reverse(n.range.end), n.number));
        let mut cuts: Vec<usize> = vec![start, end];
        for a in &covering {
            for p in [a.range.start, a.range.end] {
                if p > start && p < end && text.is_char_boundary(p - start) {
                    cuts.push(p);
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut open: Vec<&Anchored> = Vec::new();
        // The passages over each piece [a, b), swept along the cuts: a
        // passage holds over a run of pieces, from its start to its end,
        // and `want` stays in `covering`'s order.
        let mut want: Vec<&Anchored> = Vec::new();
        let mut next = 0;
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            want.retain(|n| n.range.end >= b);
            while next < covering.len() && covering[next].range.start <= a {
                if covering[next].range.end >= b {
                    want.push(covering[next]);
                }
                next += 1;
            }
            let keep = open
                .iter()
                .zip(&want)
                .take_while(|(x, y)| std::ptr::eq(**x, **y))
                .count();
            self.close(out, &mut open, keep, a);
            for n in &want[keep..] {
                out.push(
                    Event::InlineHtml(self.mark_open(n).into()),
                    Origin::Annotation,
                );
                open.push(n);
            }
            let piece = &text[a - start..b - start];
            out.push(
                Event::Text(CowStr::from(piece.to_string())),
                Origin::Rendered,
            );
        }
        self.close(out, &mut open, 0, end);
    }

    /// Closes open marks down to `keep`, writing the note number of each
    /// passage that ends at `pos`.
    fn close(&self, out: &mut Out, open: &mut Vec<&Anchored>, keep: usize, pos: usize) {
        while open.len() > keep {
            let n = open
                .pop()
                .unwrap_or_else(|| unreachable!("len > keep >= 0"));
            out.push(Event::InlineHtml("</mark>".into()), Origin::Annotation);
            if n.range.end <= pos && !n.ref_done.get() {
                self.push_ref(out, n);
            }
        }
    }

    fn push_ref(&self, out: &mut Out, n: &Anchored) {
        n.ref_done.set(true);
        if self.input_notes[n.source].bare_highlight {
            return;
        }
        let id = &self.input_notes[n.source].id;
        out.push(Event::InlineHtml(
            format!(
                "<sup class=\"note-ref\"><a href=\"#note-{id}\" aria-label=\"Note {num}\">{num}</a></sup>",
                num = n.number
            )
            .into(),
        ), Origin::Annotation);
    }

    fn mark_open(&self, n: &Anchored) -> String {
        let input = &self.input_notes[n.source];
        let mut h = String::with_capacity(120);
        let first = !n.first_done.replace(true);
        if input.bare_highlight {
            // No note to point at: not an `anchor`, no `data-note`.
            h.push_str("<mark class=\"highlight\"");
            if first {
                h.push_str(" id=\"");
                h.push_str(&input.id);
                h.push('"');
            }
            h.push_str(" data-kind=\"highlight\">");
            return h;
        }
        h.push_str("<mark class=\"anchor\"");
        if first {
            h.push_str(" id=\"");
            h.push_str(&input.id);
            h.push('"');
        }
        h.push_str(" data-note=\"note-");
        h.push_str(&input.id);
        h.push_str("\" aria-details=\"note-");
        h.push_str(&input.id);
        h.push('"');
        if let Some(k) = &input.kind {
            h.push_str(" data-kind=\"");
            h.push_str(&escape(k));
            h.push('"');
        }
        h.push('>');
        h
    }

    /// The anchored notes, in reading order, for templates, source pages
    /// and JSON-LD.
    pub(super) fn into_notes(self) -> Vec<Note> {
        let mut inputs: Vec<Option<NoteInput>> = self.input_notes.into_iter().map(Some).collect();
        self.notes
            .into_iter()
            .filter_map(|a| {
                let n = inputs.get_mut(a.source)?.take()?;
                Some(Note {
                    id: n.id,
                    number: a.number,
                    kind: n.kind,
                    quote: n.quote_in_text,
                    prefix: n.prefix,
                    suffix: n.suffix,
                    body_html: a.body_html,
                    body_text: a.body_text,
                    sources: n.sources,
                    author: n.author,
                    date: n.date,
                    tags: n.tags,
                    rating: n.rating,
                    written_quote: n.written_quote,
                    written_note: n.written_note,
                    replies: n.replies,
                    line: n.line,
                    version: None,
                })
            })
            .collect()
    }
}

/// Writes the `<aside>` of each note before the event its block asks for
/// (the first after the block), and wraps the text of passages in
/// `<mark>`s followed by the note's number. It goes first in the chain: it
/// places by parsed event, and rewrites the author's text and inline code.
pub(super) struct Weave<'p> {
    plan: &'p Plan,
    scan: &'p Scan,
    /// The first event whose asides are not written yet.
    next_event: usize,
    /// The next segment of the text index to look at (they are in event
    /// order, as the events come).
    next_segment: usize,
}

impl<'p> Weave<'p> {
    pub fn new(plan: &'p Plan, scan: &'p Scan) -> Self {
        Weave {
            plan,
            scan,
            next_event: 0,
            next_segment: 0,
        }
    }
}

impl<'a> Extension<'a> for Weave<'_> {
    fn feed(&mut self, item: Item<'a>, queue: &mut VecDeque<Item<'a>>) {
        let Item {
            event,
            range,
            source,
            origin,
        } = item;
        let mut out = Out {
            queue,
            range,
            source,
        };
        if self.next_event <= source {
            for aside in self.plan.asides_before(self.next_event..source + 1) {
                out.push(Event::Html(aside.into()), Origin::Annotation);
            }
            self.next_event = source + 1;
        }
        let (text, is_code) = match event {
            Event::Text(t) if origin == Origin::Author => (t, false),
            Event::Code(t) if origin == Origin::Author => (t, true),
            event => return out.push(event, origin),
        };
        let segments = &self.scan.segments;
        while self.next_segment < segments.len() && segments[self.next_segment].event < source {
            self.next_segment += 1;
        }
        let start = match segments.get(self.next_segment) {
            Some(seg)
                if seg.event == source && self.plan.covers(seg.start..seg.start + text.len()) =>
            {
                seg.start
            }
            _ => {
                let event = if is_code {
                    Event::Code(text)
                } else {
                    Event::Text(text)
                };
                return out.push(event, origin);
            }
        };
        // Marks go inside the code element, so a passage may begin or end
        // within inline code.
        if is_code {
            out.push(Event::InlineHtml("<code>".into()), Origin::Rendered);
        }
        self.plan.weave(&mut out, text, start);
        if is_code {
            out.push(Event::InlineHtml("</code>".into()), Origin::Rendered);
        }
    }
}

/// Writes the items made for one item: they keep its place.
struct Out<'q, 'a> {
    queue: &'q mut VecDeque<Item<'a>>,
    range: Range<usize>,
    source: usize,
}

impl<'a> Out<'_, 'a> {
    fn push(&mut self, event: Event<'a>, origin: Origin) {
        self.queue.push_back(Item {
            event,
            range: self.range.clone(),
            source: self.source,
            origin,
        });
    }
}

/// Writes each footnote reference as the number of its margin note (the
/// first one also the note's way back), or as written when the footnote
/// has no definition (or inside a note, which has no plan).
pub(super) struct FootnoteRefs<'p> {
    plan: Option<&'p Plan>,
    seen: HashSet<String>,
}

impl<'p> FootnoteRefs<'p> {
    pub fn new(plan: Option<&'p Plan>) -> Self {
        FootnoteRefs {
            plan,
            seen: HashSet::new(),
        }
    }
}

impl<'a> Extension<'a> for FootnoteRefs<'_> {
    fn feed(&mut self, item: Item<'a>, out: &mut VecDeque<Item<'a>>) {
        let Event::FootnoteReference(label) = &item.event else {
            return out.push_back(item);
        };
        if !item.is_author() {
            return out.push_back(item);
        }
        let first = self.seen.insert(label.to_string());
        let written = match self.plan.and_then(|p| p.footnote_ref_html(label, first)) {
            Some(sup) => item.derived(Event::InlineHtml(sup.into()), Origin::Annotation),
            None => item.derived(Event::Text(format!("[^{label}]").into()), Origin::Rendered),
        };
        out.push_back(written);
    }
}

/// Turns anchoring failures into diagnostics that show the article's text.
struct Reporter<'r, 'a> {
    input: &'r Input<'a>,
    index: &'r TextIndex,
    scan: &'r Scan,
    lines: &'r mut Option<LineIndex>,
}

impl Reporter<'_, '_> {
    /// The line in the Markdown file of a position in the joined text.
    fn line_of(&mut self, pos: usize) -> usize {
        let i = self.scan.segments.partition_point(|s| s.start <= pos);
        let Some(seg) = i.checked_sub(1).map(|i| self.scan.segments[i]) else {
            return 0;
        };
        let within = (pos - seg.start).min(seg.src_len);
        let offset = self.input.body_offset + seg.src_start + within;
        let lines = self
            .lines
            .get_or_insert_with(|| LineIndex::new(self.input.file_text));
        lines.line(offset.min(self.input.file_text.len()))
    }

    fn show(&mut self, range: Range<usize>) -> String {
        let line = self.line_of(range.start);
        let (before, after) = self.index.context(range.clone(), 24);
        let text = &self.index.text()[range];
        format!(
            "line {line}: …{}[{}]{}…",
            passage_text(before).trim_start(),
            shorten(&passage_text(text), 120),
            passage_text(after).trim_end()
        )
    }

    fn report(
        &mut self,
        here: Location,
        quote: &str,
        e: &AnchorError,
    ) -> (Diagnostic, Option<(String, f64)>) {
        let file = self.input.file.display().to_string();
        let q = shorten(quote.trim(), 80);
        match e {
            AnchorError::NotFound { closest } => {
                let mut d =
                    Diagnostic::error(Some(here), format!("quote not found in {file}: \"{q}\""));
                let mut fix = None;
                if let Some(c) = closest {
                    let shown = self.show(c.range.clone());
                    d = d.with_note(format!(
                        "closest passage ({:.0}% similar), {shown}",
                        (c.similarity * 100.0).floor()
                    ));
                    let new = passage_text(&self.index.text()[c.range.clone()]);
                    let missing = missing_words(quote, &new);
                    if !missing.is_empty() {
                        // A rewrite would silently drop the annotator's words.
                        d = d.with_note(format!(
                            "that passage leaves out words of the quote: {}",
                            shorten(&missing.join(" "), 80)
                        ));
                        d = d.with_help("copy the passage from the article as it reads now (`check --fix` does not rewrite a quote to a passage that drops words)");
                    } else if c.unambiguous && c.similarity >= FIX_THRESHOLD {
                        fix = Some((new, c.similarity));
                        d = d.with_help("if the article changed, `marginalia check --fix` rewrites the quote to this passage");
                    } else {
                        d = d.with_help("copy the passage from the article as it reads now");
                    }
                } else {
                    d = d.with_help("copy the passage from the article as it reads now");
                }
                (d, fix)
            }
            AnchorError::Ambiguous {
                places,
                filtered_by_context,
            } => {
                let mut d = Diagnostic::error(
                    Some(here),
                    format!(
                        "quote \"{q}\" occurs {} times in {file}{}; which one is meant?",
                        places.len(),
                        if *filtered_by_context {
                            " with the given prefix/suffix"
                        } else {
                            ""
                        }
                    ),
                );
                for p in places.iter().take(20) {
                    let s = self.show(p.clone());
                    d = d.with_note(s);
                }
                let help = if *filtered_by_context {
                    "add `occurrence: N` to pick one of these"
                } else {
                    "add `prefix:` or `suffix:` (the words just before or after it), or `occurrence: N`"
                };
                (d.with_help(help), None)
            }
            AnchorError::NoneWithContext {
                places,
                prefix,
                suffix,
            } => {
                let what = crate::annotate::anchor::context_label(*prefix, *suffix);
                let mut d = Diagnostic::error(
                    Some(here),
                    format!(
                        "quote \"{q}\" occurs {} time(s) in {file}, but none has the given {what}",
                        places.len()
                    ),
                );
                for p in places.iter().take(20) {
                    let s = self.show(p.clone());
                    d = d.with_note(s);
                }
                (
                    d.with_help(format!("check `{what}` against the places above")),
                    None,
                )
            }
            AnchorError::OccurrenceOutOfRange { occurrence, count } => (
                Diagnostic::error(
                    Some(here),
                    format!(
                        "`occurrence: {occurrence}`, but the quote \"{q}\" occurs {count} time(s) in {file}"
                    ),
                ),
                None,
            ),
            other => (Diagnostic::error(Some(here), format!("{other}")), None),
        }
    }
}

/// Longest word lists compared by [`missing_words`]; past it every quote
/// word counts as covered only if the passage has as many words.
const MAX_ALIGNED_WORDS: usize = 2_000;

/// The stretches of `quote` where `passage` leaves words out: the two are
/// aligned word by word (longest common subsequence of folded words), and
/// between two aligned words the quote may have changed words, but not
/// more of them than the passage has there; the quote's words of each
/// stretch with fewer are returned (which of them went is guesswork). A
/// passage that only changes words (a corrected typo, a new spelling)
/// leaves nothing out.
pub fn missing_words(quote: &str, passage: &str) -> Vec<String> {
    let words = |s: &str| -> Vec<String> {
        crate::annotate::fold::fold_str(s)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (q, p) = (words(quote), words(passage));
    if q.len() > MAX_ALIGNED_WORDS || p.len() > MAX_ALIGNED_WORDS {
        return if p.len() >= q.len() {
            Vec::new()
        } else {
            q[p.len()..].to_vec()
        };
    }
    // lcs[i][j]: longest common subsequence of q[i..] and p[j..].
    let mut lcs = vec![vec![0u16; p.len() + 1]; q.len() + 1];
    for i in (0..q.len()).rev() {
        for j in (0..p.len()).rev() {
            lcs[i][j] = if q[i] == p[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut missing = Vec::new();
    let (mut i, mut j) = (0, 0);
    // Words of each side since the last aligned pair.
    let (mut gap_q, mut gap_p): (Vec<&String>, usize) = (Vec::new(), 0);
    let mut settle = |gap_q: &mut Vec<&String>, gap_p: &mut usize| {
        if gap_q.len() > *gap_p {
            missing.extend(gap_q.iter().map(|w| w.to_string()));
        }
        gap_q.clear();
        *gap_p = 0;
    };
    while i < q.len() && j < p.len() {
        if q[i] == p[j] && lcs[i][j] == lcs[i + 1][j + 1] + 1 {
            settle(&mut gap_q, &mut gap_p);
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            gap_q.push(&q[i]);
            i += 1;
        } else {
            gap_p += 1;
            j += 1;
        }
    }
    gap_q.extend(&q[i..]);
    gap_p += p.len() - j;
    settle(&mut gap_q, &mut gap_p);
    missing
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let head: String = s.chars().take(n / 2).collect();
    let tail: String = {
        let v: Vec<char> = s.chars().rev().take(n / 2).collect();
        v.into_iter().rev().collect()
    };
    format!("{head}…{tail}")
}
