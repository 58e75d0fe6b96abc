//! Margin notes: anchoring a document's sidecar notes against its text
//! index and numbering them with its footnotes in reading order (the
//! [`Plan`], here); the data of each `<aside>` ([`asides`]); weaving the
//! `<mark>`s and `<aside>`s of DESIGN §4 into the emitted events
//! ([`weave`]); and the diagnostics of notes that do not anchor
//! ([`report`]).

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use super::{BLOCK_SEPARATOR, Input, Rendered, Scan};
use crate::annotate::anchor::{Selector, TextIndex};
use crate::annotate::sidecar::HIGHLIGHT;
use crate::error::{Diagnostic, LineIndex, Location};
use crate::model::{Date, Note, QuoteFix};

mod asides;
pub(super) mod report;
pub(super) mod weave;

use report::Reporter;

/// How many characters of context a note keeps on each side of its passage
/// (the W3C TextQuoteSelector's prefix and suffix).
pub const CONTEXT_CHARS: usize = 32;

/// How similar a drifted quote's closest passage must be for `check --fix`
/// to rewrite it.
pub const FIX_THRESHOLD: f64 = 0.8;

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
