//! Render: one Markdown document (with its sidecar notes) → HTML.
//!
//! The document is parsed once by pulldown-cmark into an event list, and
//! every extension works on that list, never on HTML strings:
//!
//! 1. footnote definitions are lifted out (they become margin notes);
//! 2. a scan builds the *text index*: the rendered text of every block,
//!    joined with a separator that no quote can cross, plus where each text
//!    event sits in it;
//! 3. sidecar quotes are anchored against that index (once per document);
//! 4. an emit pass writes the final event list: heading ids, highlighted
//!    code, rewritten links, `<mark>`s split at inline boundaries, and the
//!    `<aside class="margin-note">` of each note after the block holding its
//!    passage;
//! 5. pulldown-cmark's HTML writer turns that into a string, which is
//!    sanitised when the document holds raw HTML.

mod aside;
pub mod highlight;
mod notes;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};
use serde::Serialize;

use crate::annotate::anchor::TextIndex;
use crate::annotate::sidecar::SidecarNote;
use crate::error::{Diagnostic, LineIndex, Location};
use crate::html;
use crate::sources::Registry;
use crate::url::{UrlUse, is_safe_url_for, percent_decode};

pub use aside::{NOTE_PARTIAL, NoteTemplate};
pub use notes::{Note, QuoteFix, missing_words};

/// The separator between blocks in the text index. No quote can match
/// across it.
pub use crate::annotate::fold::BLOCK_SEPARATOR;

/// The Markdown dialect of DESIGN §1.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// What a document needs from the rest of the site to render.
pub struct Env<'a> {
    pub base_url: &'a str,
    pub unsafe_html: bool,
    /// Content file (relative to the site root) → its page's site path
    /// (`articles/x/`), for links between content files.
    pub links: &'a HashMap<PathBuf, String>,
    pub sources: &'a Registry,
    /// The theme's margin-note partial; `None` for the default theme's.
    pub note_template: Option<&'a NoteTemplate>,
}

/// One document to render.
pub struct Input<'a> {
    /// Relative to the site root, for messages and link resolution.
    pub file: &'a Path,
    /// The whole file (for line numbers).
    pub file_text: &'a str,
    pub body: &'a str,
    /// Byte offset of `body` in `file_text`.
    pub body_offset: usize,
    /// The site path relative links and images resolve against: the page
    /// itself for a bundle (its files are copied beside it), the section
    /// folder otherwise (`articles/`).
    pub asset_base: &'a str,
    pub sidecar: Option<&'a Path>,
    pub notes: &'a [SidecarNote],
    /// Use the first heading as the title (and leave it out of the body).
    pub title_from_heading: bool,
}

/// A heading of the document, for a table of contents.
#[derive(Debug, Clone, Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A link from this document to another page of the site, kept so `check`
/// can verify it (and its `#fragment`).
#[derive(Debug, Clone)]
pub struct InternalLink {
    /// Site path (`articles/x/`) without the fragment.
    pub path: String,
    pub fragment: Option<String>,
    pub location: Location,
}

/// A URL the document writes into its page (a link or image from its
/// Markdown, a footnote, a note, or an `href`/`src` in raw HTML), as
/// rendered, with where it is written: `check` reports a broken one there.
#[derive(Debug, Clone)]
pub struct WrittenLink {
    pub url: String,
    pub location: Location,
}

/// A rendered document.
#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    /// The summary for listings and feeds (without marks or notes).
    pub summary_html: String,
    /// The summary as plain text (descriptions, search).
    pub summary_text: String,
    /// The first heading's text, when `title_from_heading` asked for it.
    pub title: Option<String>,
    pub toc: Vec<Heading>,
    pub notes: Vec<Note>,
    pub word_count: usize,
    /// Every `id` the page defines (headings, passages, notes), for
    /// checking `#fragment` links.
    pub ids: Vec<String>,
    pub internal_links: Vec<InternalLink>,
    /// Every URL written into the page, where it is written.
    pub written_links: Vec<WrittenLink>,
    /// Quotes that drifted and have one close match (for `check --fix`).
    pub fixes: Vec<QuoteFix>,
    pub diagnostics: Vec<Diagnostic>,
}

type Events<'a> = Vec<(Event<'a>, Range<usize>)>;

/// A leaf block of the text index: where it sits in the joined text and
/// where the margin notes of passages in it are emitted.
#[derive(Debug, Clone)]
struct Block {
    start: usize,
    end: usize,
    /// Notes are emitted just before the event at this index.
    insert_at: usize,
}

/// A text or code event's place in the joined text.
#[derive(Debug, Clone, Copy)]
struct Segment {
    event: usize,
    start: usize,
}

/// The result of the scan: the text index and the document's structure.
struct Scan {
    joined: String,
    segments: Vec<Segment>,
    blocks: Vec<Block>,
    /// (event index, position in joined text, label) of each footnote reference.
    footnote_refs: Vec<(usize, usize, String)>,
    /// (start event, end event, level, text) of each heading.
    headings: Vec<(usize, usize, HeadingLevel, String)>,
    /// The events of the summary: up to `<!-- more -->`, else the first paragraph.
    summary: Option<Range<usize>>,
}

/// Renders one document.
pub fn render(input: &Input, env: &Env) -> Rendered {
    let mut out = Rendered::default();
    let (mut events, footnotes) = parse(input.body);

    if input.title_from_heading {
        out.title = take_leading_h1(&mut events);
    }

    let mut scan = scan(&events);
    out.word_count = scan
        .joined
        .split([' ', '\n', BLOCK_SEPARATOR])
        .filter(|w| !w.is_empty())
        .count();
    if let Some(range) = &scan.summary {
        out.summary_text = clean_text(&scan.joined[summary_text_range(&scan, range)]);
    }

    // Anchor the sidecar notes against the text index, built once. It takes
    // the joined text rather than a copy, and goes once the notes are
    // anchored: a 200 MB article held both, and their foldings, to the end.
    // Without notes there is nothing to anchor, and no folded copy is made.
    let mut joined = std::mem::take(&mut scan.joined);
    if input.notes.is_empty() {
        joined = String::new();
    }
    let index = TextIndex::new(joined);
    let mut lines: Option<LineIndex> = None;
    let footnote_labels: Vec<String> = footnotes.iter().map(|(l, _)| l.clone()).collect();
    let mut plan = notes::plan(
        input,
        &index,
        &scan,
        &events,
        &footnote_labels,
        &mut lines,
        &mut out,
    );
    drop(index);

    // Heading ids: unique on the page and never equal to a note's id.
    let mut used: HashSet<String> = plan.reserved_ids();
    let mut heading_ids: HashMap<usize, String> = HashMap::new();
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    for (start, _, level, text) in &scan.headings {
        // An explicit id (`{#…}`) is kept when it is safe to put in a
        // URL fragment and an attribute as it is; otherwise it is slugified.
        let explicit = match &events[*start].0 {
            Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
            _ => None,
        };
        let explicit = explicit.map(|id| {
            let plain = id.chars().all(|c| {
                !c.is_whitespace()
                    && !c.is_control()
                    && !matches!(c, '"' | '\'' | '<' | '>' | '&' | '#' | '%')
            });
            if plain { id } else { slug::slugify(&id) }
        });
        let base = explicit.filter(|id| !id.is_empty()).unwrap_or_else(|| {
            let s = slug::slugify(text);
            if s.is_empty() {
                "section".to_string()
            } else {
                s
            }
        });
        // `base`, else `base-1`, `base-2`, … counting on from the last one
        // taken for this base (starting from 1 each time made n equal
        // headings cost n² tries).
        let mut id = base.clone();
        if !used.insert(id.clone()) {
            let n = next_suffix.entry(base.clone()).or_insert(1);
            loop {
                id = format!("{base}-{n}");
                *n += 1;
                if used.insert(id.clone()) {
                    break;
                }
            }
        }
        out.toc.push(Heading {
            level: *level as u8,
            id: id.clone(),
            title: text.clone(),
        });
        heading_ids.insert(*start, id);
    }
    out.ids.extend(used);

    let mut emitter = Emitter {
        input,
        env,
        heading_ids: &heading_ids,
        lines: &mut lines,
        fixed_location: None,
        out_links: Vec::new(),
        written_links: Vec::new(),
        diagnostics: Vec::new(),
        has_raw_html: false,
    };

    // Note bodies: Markdown, always sanitised (unsafe_html covers only the
    // article body), links resolved like the article's.
    let sidecar = input.sidecar.unwrap_or(input.file);
    for (i, md, line) in plan.note_bodies_needed(input) {
        emitter.fixed_location = Some(Location::at(sidecar, line, 0));
        let (html, text) = emitter.fragment(md, true);
        plan.set_note_body(i, html, text);
    }
    emitter.fixed_location = None;

    // Footnote bodies go through the same emitter (links, code).
    let mut body_has_raw_html = false;
    for (label, evs) in footnotes {
        emitter.has_raw_html = false;
        let (fe, _, _) = emitter.emit(evs, None);
        body_has_raw_html |= emitter.has_raw_html;
        let mut h = String::new();
        pulldown_cmark::html::push_html(&mut h, fe.into_iter());
        plan.set_footnote_body(&label, h);
    }
    let template = env.note_template.unwrap_or_else(|| NoteTemplate::builtin());
    plan.build_asides(
        env.base_url,
        env.sources,
        template,
        sidecar,
        &mut out.diagnostics,
    );

    emitter.has_raw_html = false;
    let n_events = events.len();
    let (mut body_events, mut is_annotation, starts) = emitter.emit(events, Some((&plan, &scan)));
    body_has_raw_html |= emitter.has_raw_html;
    for aside in plan.asides_after_last(n_events) {
        body_events.push(Event::Html(aside.into()));
        is_annotation.push(true);
    }
    let mut html_out = String::with_capacity(input.body.len() * 3 / 2 + 256);
    pulldown_cmark::html::push_html(&mut html_out, body_events.iter().cloned());

    // The summary: the same events without marks, note numbers and notes.
    if let Some(range) = &scan.summary {
        let a = starts[range.start.min(starts.len() - 1)];
        let b = starts
            .get(range.end)
            .copied()
            .unwrap_or(body_events.len())
            .max(a);
        let summary_events = body_events[a..b]
            .iter()
            .zip(&is_annotation[a..b])
            .filter(|(_, ann)| !**ann)
            .map(|(e, _)| match e {
                Event::Start(Tag::Heading { level, .. }) => Event::Start(Tag::Heading {
                    level: *level,
                    id: None,
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }),
                other => other.clone(),
            });
        pulldown_cmark::html::push_html(&mut out.summary_html, summary_events);
    }

    out.internal_links = std::mem::take(&mut emitter.out_links);
    out.written_links = std::mem::take(&mut emitter.written_links);
    out.diagnostics.append(&mut emitter.diagnostics);
    out.html = html_out;
    if body_has_raw_html {
        // unsafe_html lets the article's own HTML through on its page; the
        // summary also lands on listing pages, feeds and search: clean it.
        if !env.unsafe_html {
            out.html = html::sanitise(&out.html);
        }
        out.summary_html = html::sanitise(&out.summary_html);
    }
    out.notes = plan.into_notes();
    out
}

/// The text index notes are anchored against, without rendering (for
/// `import`, which checks quotes before writing them). `strip_title` must
/// match how the document renders: a leading `# Title` is left out when the
/// front matter has no title.
pub fn text_index(body: &str, strip_title: bool) -> TextIndex {
    let (mut events, _) = parse(body);
    if strip_title {
        take_leading_h1(&mut events);
    }
    TextIndex::new(scan(&events).joined)
}

/// Parses to an event list (merging split text events) and lifts out the
/// footnote definitions.
fn parse(body: &str) -> (Events<'_>, Vec<(String, Events<'_>)>) {
    let mut events: Events = Vec::with_capacity(body.len() / 12 + 16);
    let mut footnotes: Vec<(String, Events)> = Vec::new();
    let mut in_footnote: Option<(String, Events, usize)> = None;
    for (ev, range) in Parser::new_ext(body, options()).into_offset_iter() {
        if let Some((_, evs, depth)) = &mut in_footnote {
            match &ev {
                Event::Start(Tag::FootnoteDefinition(_)) => *depth += 1,
                Event::End(TagEnd::FootnoteDefinition) => {
                    *depth -= 1;
                    if *depth == 0 {
                        let (label, evs, _) = in_footnote.take().unwrap_or_default();
                        footnotes.push((label, merge_text(evs)));
                        continue;
                    }
                }
                _ => {}
            }
            evs.push((ev, range));
            continue;
        }
        if let Event::Start(Tag::FootnoteDefinition(label)) = &ev {
            in_footnote = Some((label.to_string(), Vec::new(), 1));
            continue;
        }
        events.push((ev, range));
    }
    (merge_text(events), footnotes)
}

/// Merges each run of consecutive text events into one (pulldown-cmark
/// splits text at entities and smart punctuation; quotes must see it
/// whole). A run is joined into one growing buffer, so this is linear: a
/// paragraph of 100,000 smart quotes once took minutes when each merge
/// copied the text merged so far.
fn merge_text(mut events: Events<'_>) -> Events<'_> {
    // In place: a second list of a long article's events would double
    // their memory.
    let is_text = |e: &(Event, Range<usize>)| matches!(e.0, Event::Text(_));
    let n = events.len();
    let mut kept = 0;
    let mut i = 0;
    while i < n {
        if is_text(&events[i]) && events.get(i + 1).is_some_and(is_text) {
            let start = events[i].1.start;
            let mut text = String::new();
            let mut j = i;
            while let Some((Event::Text(t), _)) = events.get(j) {
                text.push_str(t);
                j += 1;
            }
            let end = events[j - 1].1.end;
            // Slots before `i` hold only events already moved or merged.
            events[kept] = (Event::Text(text.into()), start..end);
            i = j;
        } else {
            events.swap(kept, i);
            i += 1;
        }
        kept += 1;
    }
    events.truncate(kept);
    events
}

/// The text of a leading `# Title`, as [`render`] takes it for a document
/// whose front matter has no title, without rendering the document.
pub fn leading_title(body: &str) -> Option<String> {
    let mut events: Events = Vec::new();
    for (ev, range) in Parser::new_ext(body, options()).into_offset_iter() {
        let heading_end = matches!(ev, Event::End(TagEnd::Heading(_)));
        events.push((ev, range));
        let starts_with_h1 = matches!(
            events.first(),
            Some((
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H1,
                    ..
                }),
                _
            ))
        );
        if heading_end || !starts_with_h1 {
            break;
        }
    }
    take_leading_h1(&mut merge_text(events))
}

/// Removes a leading `# Title` and returns its text (for documents whose
/// front matter has no title).
fn take_leading_h1(events: &mut Events) -> Option<String> {
    if !matches!(
        events.first(),
        Some((
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }),
            _
        ))
    ) {
        return None;
    }
    let end = events
        .iter()
        .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))?;
    let mut title = String::new();
    for (e, _) in &events[1..end] {
        if let Event::Text(t) | Event::Code(t) = e {
            title.push_str(t);
        }
    }
    events.drain(..=end);
    Some(title.trim().to_string()).filter(|t| !t.is_empty())
}

fn is_leaf_block(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell | Tag::Item
    )
}

fn is_leaf_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::TableCell | TagEnd::Item
    )
}

fn push_separator(joined: &mut String) {
    if !joined.is_empty() && !joined.ends_with(BLOCK_SEPARATOR) {
        joined.push(BLOCK_SEPARATOR);
    }
}

/// Builds the text index and finds the document's structure in one pass.
fn scan(events: &Events) -> Scan {
    let mut s = Scan {
        // Room for the whole text at once (it is about as long as the
        // source the events span): growing a 200 MB text by doubling holds
        // the old and the new buffer together at each step.
        joined: String::with_capacity(events.iter().map(|(_, r)| r.end).max().unwrap_or(0)),
        segments: Vec::new(),
        blocks: Vec::new(),
        footnote_refs: Vec::new(),
        headings: Vec::new(),
        summary: None,
    };
    // Open leaf blocks (indices into s.blocks), innermost last.
    let mut open: Vec<usize> = Vec::new();
    // Blocks inside the current table, whose notes go after the table.
    let mut table_blocks: Vec<usize> = Vec::new();
    let mut in_table = false;
    let mut skip_depth = 0usize; // inside code blocks and images: not text
    let mut heading: Option<(usize, HeadingLevel, String)> = None;
    let mut depth = 0usize;
    let mut first_paragraph: Option<usize> = None;
    for (i, (ev, _)) in events.iter().enumerate() {
        match ev {
            Event::Start(tag) => {
                if depth == 0
                    && matches!(tag, Tag::Paragraph)
                    && first_paragraph.is_none()
                    && s.summary.is_none()
                {
                    first_paragraph = Some(i);
                }
                depth += 1;
                match tag {
                    Tag::CodeBlock(_) | Tag::Image { .. } | Tag::HtmlBlock => skip_depth += 1,
                    Tag::Table(_) => in_table = true,
                    Tag::Heading { level, .. } => heading = Some((i, *level, String::new())),
                    _ => {}
                }
                if is_leaf_block(tag) {
                    push_separator(&mut s.joined);
                    open.push(s.blocks.len());
                    s.blocks.push(Block {
                        start: s.joined.len(),
                        end: s.joined.len(),
                        insert_at: i,
                    });
                }
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                match tag {
                    TagEnd::CodeBlock | TagEnd::Image | TagEnd::HtmlBlock => {
                        skip_depth = skip_depth.saturating_sub(1)
                    }
                    TagEnd::Table => {
                        in_table = false;
                        for b in table_blocks.drain(..) {
                            s.blocks[b].insert_at = i + 1;
                        }
                    }
                    TagEnd::Heading(_) => {
                        if let Some((start, level, text)) = heading.take() {
                            s.headings.push((start, i, level, text.trim().to_string()));
                        }
                    }
                    _ => {}
                }
                if is_leaf_end(tag)
                    && let Some(b) = open.pop()
                {
                    s.blocks[b].end = s.joined.len();
                    // After a paragraph or heading; inside a list item
                    // (before `</li>`: an aside cannot be a child of a list).
                    s.blocks[b].insert_at = if matches!(tag, TagEnd::Item) {
                        i
                    } else {
                        i + 1
                    };
                    if in_table {
                        table_blocks.push(b);
                    }
                    push_separator(&mut s.joined);
                }
                if depth == 0
                    && matches!(tag, TagEnd::Paragraph)
                    && s.summary.is_none()
                    && let Some(start) = first_paragraph
                    && start <= i
                {
                    s.summary = Some(start..i + 1);
                }
            }
            Event::Text(t) | Event::Code(t) if skip_depth == 0 && !open.is_empty() => {
                s.segments.push(Segment {
                    event: i,
                    start: s.joined.len(),
                });
                s.joined.push_str(t);
                if let Some((_, _, text)) = &mut heading {
                    text.push_str(t);
                }
            }
            Event::SoftBreak | Event::HardBreak if skip_depth == 0 && !open.is_empty() => {
                s.joined.push(if matches!(ev, Event::HardBreak) {
                    '\n'
                } else {
                    ' '
                });
                if let Some((_, _, text)) = &mut heading {
                    text.push(' ');
                }
            }
            Event::FootnoteReference(label) => {
                s.footnote_refs.push((i, s.joined.len(), label.to_string()));
            }
            Event::Html(h) | Event::InlineHtml(h) if h.trim() == "<!-- more -->" => {
                // Everything before the marker is the summary.
                s.summary = Some(0..i);
            }
            _ => {}
        }
    }
    s
}

/// The joined-text range of the summary's blocks.
fn summary_text_range(scan: &Scan, events: &Range<usize>) -> Range<usize> {
    let inside = |seg: &&Segment| seg.event >= events.start && seg.event < events.end;
    let first = scan.segments.iter().find(inside);
    let last = scan.segments.iter().rev().find(inside);
    match (first, last) {
        (Some(f), Some(l)) => {
            let end_text_len = match scan.joined[l.start..].find(BLOCK_SEPARATOR) {
                Some(n) => l.start + n,
                None => scan.joined.len(),
            };
            f.start..end_text_len
        }
        _ => 0..0,
    }
}

/// Joined text → readable plain text (separators become spaces).
pub fn clean_text(s: &str) -> String {
    s.split([BLOCK_SEPARATOR, '\n', ' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The emit pass: turns parsed events into the events that are written,
/// and records links and problems on the way.
struct Emitter<'e, 'a> {
    input: &'e Input<'a>,
    env: &'e Env<'e>,
    heading_ids: &'e HashMap<usize, String>,
    lines: &'e mut Option<LineIndex>,
    /// Set while rendering a note: problems point at the note's line.
    fixed_location: Option<Location>,
    out_links: Vec<InternalLink>,
    written_links: Vec<WrittenLink>,
    diagnostics: Vec<Diagnostic>,
    has_raw_html: bool,
}

impl<'e, 'a> Emitter<'e, 'a> {
    fn location(&mut self, body_offset: usize) -> Location {
        if let Some(loc) = &self.fixed_location {
            return loc.clone();
        }
        let lines = self
            .lines
            .get_or_insert_with(|| LineIndex::new(self.input.file_text));
        let (line, col) =
            lines.line_col(self.input.file_text, self.input.body_offset + body_offset);
        Location::at(self.input.file, line, col)
    }

    /// Renders a Markdown fragment (a note) to HTML and plain text.
    fn fragment(&mut self, md: &'a str, sanitise: bool) -> (String, String) {
        let (events, _) = parse(md);
        let text = events
            .iter()
            .filter_map(|(e, _)| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                Event::SoftBreak | Event::HardBreak => Some(" "),
                Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_)) => Some(" "),
                _ => None,
            })
            .collect::<String>();
        self.has_raw_html = false;
        let (evs, _, _) = self.emit(events, None);
        let mut h = String::with_capacity(md.len() + 32);
        pulldown_cmark::html::push_html(&mut h, evs.into_iter());
        if sanitise && self.has_raw_html {
            h = html::sanitise(&h);
        }
        (h, clean_text(&text))
    }

    /// Emits `events`. With a note plan, marks and margin notes are woven
    /// in. Returns the events, which of them are annotation markup (left
    /// out of summaries), and where each input event starts in the output.
    #[allow(clippy::type_complexity)]
    fn emit(
        &mut self,
        events: Events<'a>,
        notes: Option<(&notes::Plan, &Scan)>,
    ) -> (Vec<Event<'a>>, Vec<bool>, Vec<usize>) {
        let mut out: Vec<Event<'a>> = Vec::with_capacity(events.len() + 16);
        let mut ann: Vec<bool> = Vec::with_capacity(events.len() + 16);
        let mut starts: Vec<usize> = Vec::with_capacity(events.len());
        // Links and images we dropped (unsafe URL): their End is dropped too.
        let mut dropped_links: Vec<bool> = Vec::new();
        let mut dropped_images: Vec<bool> = Vec::new();
        let mut code: Option<(Option<String>, String)> = None;
        let mut segment_cursor = 0usize;
        let mut footnote_seen: HashSet<String> = HashSet::new();
        let mut current_heading: Option<String> = None;

        for (i, (ev, range)) in events.into_iter().enumerate() {
            starts.push(out.len());
            if let Some((plan, _)) = notes {
                for aside in plan.asides_before(i) {
                    out.push(Event::Html(CowStr::from(aside)));
                    ann.push(true);
                }
            }
            if let Some((_, text)) = &mut code {
                match ev {
                    Event::Text(t) => text.push_str(&t),
                    Event::End(TagEnd::CodeBlock) => {
                        let (lang, text) = code.take().unwrap_or_default();
                        out.push(Event::Html(
                            highlight::code_block(lang.as_deref(), &text).into(),
                        ));
                        ann.push(false);
                    }
                    _ => {}
                }
                continue;
            }
            match ev {
                Event::Start(Tag::CodeBlock(kind)) => {
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => {
                            info.split([' ', ',', '{']).next().map(str::to_string)
                        }
                        CodeBlockKind::Indented => None,
                    };
                    code = Some((lang, String::new()));
                }
                Event::Start(Tag::Heading {
                    level,
                    classes,
                    attrs,
                    ..
                }) => {
                    let id = self.heading_ids.get(&i).cloned();
                    current_heading = id.clone();
                    out.push(Event::Start(Tag::Heading {
                        level,
                        id: id.map(CowStr::from),
                        classes,
                        attrs,
                    }));
                    ann.push(false);
                }
                Event::End(TagEnd::Heading(level)) => {
                    if let Some(id) = current_heading.take() {
                        // An explicit id (`{#…}`) is the author's text: escape it.
                        let a = format!(
                            "<a class=\"heading-anchor\" href=\"#{}\" aria-label=\"Link to this section\">#</a>",
                            html::escape(&id)
                        );
                        out.push(Event::InlineHtml(a.into()));
                        ann.push(true);
                    }
                    out.push(Event::End(TagEnd::Heading(level)));
                    ann.push(false);
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => match self.rewrite_url(&dest_url, link_type, range.start, true) {
                    Some(url) => {
                        dropped_links.push(false);
                        out.push(Event::Start(Tag::Link {
                            link_type,
                            dest_url: url.into(),
                            title,
                            id,
                        }));
                        ann.push(false);
                    }
                    None => dropped_links.push(true),
                },
                Event::End(TagEnd::Link) => {
                    if !dropped_links.pop().unwrap_or(false) {
                        out.push(Event::End(TagEnd::Link));
                        ann.push(false);
                    }
                }
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => match self.rewrite_url(&dest_url, link_type, range.start, false) {
                    Some(url) => {
                        dropped_images.push(false);
                        out.push(Event::Start(Tag::Image {
                            link_type,
                            dest_url: url.into(),
                            title,
                            id,
                        }));
                        ann.push(false);
                    }
                    None => dropped_images.push(true),
                },
                Event::End(TagEnd::Image) => {
                    if !dropped_images.pop().unwrap_or(false) {
                        out.push(Event::End(TagEnd::Image));
                        ann.push(false);
                    }
                }
                ev @ (Event::Text(_) | Event::Code(_)) if notes.is_some() => {
                    let Some((plan, scan)) = notes else { continue };
                    // This event's place in the text index (segments are in event order).
                    while segment_cursor < scan.segments.len()
                        && scan.segments[segment_cursor].event < i
                    {
                        segment_cursor += 1;
                    }
                    let seg = scan.segments.get(segment_cursor).filter(|s| s.event == i);
                    let (text, is_code) = match ev {
                        Event::Code(t) => (t, true),
                        Event::Text(t) => (t, false),
                        other => {
                            out.push(other);
                            ann.push(false);
                            continue;
                        }
                    };
                    match seg {
                        Some(seg) if plan.covers(seg.start..seg.start + text.len()) => {
                            // Marks go inside the code element, so a passage
                            // may begin or end within inline code.
                            if is_code {
                                out.push(Event::InlineHtml("<code>".into()));
                                ann.push(false);
                            }
                            plan.weave(&mut out, &mut ann, text, seg.start);
                            if is_code {
                                out.push(Event::InlineHtml("</code>".into()));
                                ann.push(false);
                            }
                        }
                        _ => {
                            out.push(if is_code {
                                Event::Code(text)
                            } else {
                                Event::Text(text)
                            });
                            ann.push(false);
                        }
                    }
                }
                Event::FootnoteReference(label) => {
                    let first = footnote_seen.insert(label.to_string());
                    match notes.and_then(|(plan, _)| plan.footnote_ref_html(&label, first)) {
                        Some(sup) => {
                            out.push(Event::InlineHtml(sup.into()));
                            ann.push(true);
                        }
                        // No definition (or inside a note): keep the text as written.
                        None => {
                            out.push(Event::Text(format!("[^{label}]").into()));
                            ann.push(false);
                        }
                    }
                }
                Event::Html(h) | Event::InlineHtml(h) if h.trim() == "<!-- more -->" => {
                    out.push(Event::Html("<span id=\"more\"></span>".into()));
                    ann.push(true);
                }
                ev @ (Event::Html(_) | Event::InlineHtml(_)) => {
                    self.has_raw_html = true;
                    if let Event::Html(h) | Event::InlineHtml(h) = &ev {
                        for (url, at) in crate::linkcheck::urls_in_html(h) {
                            let location = self.location(range.start + at.min(range.len()));
                            self.written_links.push(WrittenLink { url, location });
                        }
                    }
                    out.push(ev);
                    ann.push(false);
                }
                other => {
                    out.push(other);
                    ann.push(false);
                }
            }
        }
        starts.push(out.len());
        (out, ann, starts)
    }

    /// Rewrites a link or image URL (see [`Emitter::rewrite`]) and
    /// records where the result is written.
    fn rewrite_url(
        &mut self,
        url: &str,
        link_type: LinkType,
        offset: usize,
        is_link: bool,
    ) -> Option<String> {
        let rewritten = self.rewrite(url, link_type, offset, is_link)?;
        let location = self.location(offset);
        self.written_links.push(WrittenLink {
            url: rewritten.clone(),
            location,
        });
        Some(rewritten)
    }

    /// Rewrites a link or image URL: content files by path → page URLs,
    /// relative files → URLs under `asset_base`, root-relative paths → under
    /// base_url. Unsafe URLs are dropped (with a warning) → `None`.
    fn rewrite(
        &mut self,
        url: &str,
        link_type: LinkType,
        offset: usize,
        is_link: bool,
    ) -> Option<String> {
        if matches!(link_type, LinkType::Email) {
            return Some(url.to_string());
        }
        let used = if is_link { UrlUse::Link } else { UrlUse::Image };
        if !is_safe_url_for(url, used) {
            let loc = self.location(offset);
            let what = if is_link { "link" } else { "image" };
            self.diagnostics.push(Diagnostic::warning(
                Some(loc),
                format!(
                    "{what} to an unsafe address removed: {:?}",
                    truncate(url, 60)
                ),
            ));
            return None;
        }
        let url = url.trim();
        if url.is_empty() || url.starts_with('#') || has_scheme(url) || url.starts_with("//") {
            return Some(url.to_string());
        }
        let (path, fragment) = match url.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (url, None),
        };
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let decoded = percent_decode(path).map_or_else(|| path.to_string(), |d| d.into_owned());
        if let Some(root_rel) = decoded.strip_prefix('/') {
            return Some(self.finish_url(root_rel, query, fragment));
        }
        // A Markdown file: a link to that page.
        if decoded.ends_with(".md") {
            let dir = self.input.file.parent().unwrap_or(Path::new(""));
            let target = normalise(&dir.join(&decoded));
            let found = target.as_ref().and_then(|t| self.env.links.get(t)).cloned();
            return match found {
                Some(site_path) => {
                    let loc = self.location(offset);
                    self.out_links.push(InternalLink {
                        path: site_path.clone(),
                        fragment: fragment.map(str::to_string),
                        location: loc,
                    });
                    Some(self.finish_url(&site_path, query, fragment))
                }
                None => {
                    let loc = self.location(offset);
                    let shown = target.map_or_else(|| decoded.clone(), |t| t.display().to_string());
                    let mut d = Diagnostic::error(
                        Some(loc),
                        format!("link to {url:?}: there is no content file {shown}"),
                    );
                    d.help = crate::error::suggestion(
                        &shown,
                        self.env.links.keys().filter_map(|k| k.to_str()),
                    );
                    self.diagnostics.push(d);
                    Some(url.to_string())
                }
            };
        }
        // Any other relative path: resolved against the page's files.
        let joined = format!("{}{}", self.input.asset_base, decoded);
        let site_path = normalise_slash(&joined).unwrap_or(joined);
        Some(self.finish_url(&site_path, query, fragment))
    }

    fn finish_url(&self, site_path: &str, query: Option<&str>, fragment: Option<&str>) -> String {
        let mut s = String::with_capacity(self.env.base_url.len() + site_path.len() + 16);
        s.push_str(self.env.base_url);
        s.push_str(site_path.trim_start_matches('/'));
        if let Some(q) = query {
            s.push('?');
            s.push_str(q);
        }
        if let Some(f) = fragment {
            s.push('#');
            s.push_str(f);
        }
        s
    }
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `a/b/../c` → `a/c`; `None` when `..` climbs above the start.
fn normalise(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

fn normalise_slash(p: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    let mut s = parts.join("/");
    if p.ends_with('/') && !s.is_empty() {
        s.push('/');
    }
    Some(s)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests;
