//! Weaving the notes into the emitted events: the `<mark>`s around each
//! passage with its note number, the `<aside>`s before the block they
//! follow, and footnote references numbered with the notes.

use std::collections::{HashSet, VecDeque};
use std::ops::Range;

use pulldown_cmark::{CowStr, Event};

use super::{Anchored, Plan};
use crate::html::escape;
use crate::markdown::Scan;
use crate::markdown::stream::{Extension, Item, Origin};

/// Writes the `<aside>` of each note before the event its block asks for
/// (the first after the block), and wraps the text of passages in
/// `<mark>`s followed by the note's number. It goes first in the chain: it
/// places by parsed event, and rewrites the author's text and inline code.
pub(in crate::markdown) struct Weave<'p> {
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
pub(in crate::markdown) struct FootnoteRefs<'p> {
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

impl Plan {
    /// The asides that go before the events in `events`.
    fn asides_before(&self, events: Range<usize>) -> impl Iterator<Item = String> + '_ {
        self.asides
            .range(events)
            .flat_map(|(_, v)| v.iter().cloned())
    }

    /// Asides that go after the last event (their block ended the
    /// document) and those with no block at all.
    pub(in crate::markdown) fn asides_after_last(
        &self,
        len: usize,
    ) -> impl Iterator<Item = String> + '_ {
        self.asides
            .range(len..)
            .flat_map(|(_, v)| v.iter().cloned())
            .chain(self.end_asides.iter().cloned())
    }

    /// The `<sup>` for a footnote reference: the number linking to its note.
    pub(in crate::markdown) fn footnote_ref_html(
        &self,
        label: &str,
        first: bool,
    ) -> Option<String> {
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
    pub(in crate::markdown) fn covers(&self, range: Range<usize>) -> bool {
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
}
