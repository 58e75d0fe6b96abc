//! Render: one Markdown document (with its sidecar notes) → HTML.
//!
//! The document is parsed by pulldown-cmark into events, and every
//! extension works on events, never on HTML strings:
//!
//! 1. footnote definitions are lifted out (they become margin notes);
//! 2. a scan builds the *text index*: the rendered text of every block,
//!    joined with a separator that no quote can cross, plus where each text
//!    event sits in it;
//! 3. sidecar quotes are anchored against that index (once per document);
//! 4. an emit pass streams the final events: heading ids, highlighted
//!    code, rewritten links, `<mark>`s split at inline boundaries, and the
//!    `<aside class="margin-note">` of each note after the block holding its
//!    passage;
//! 5. pulldown-cmark's HTML writer turns them into a string as they come,
//!    which is sanitised when the document holds raw HTML.
//!
//! The events are kept from the scan to the emit pass, except for a long
//! document, which is parsed again for it (see [`PARSE_TWICE_FROM`]): a
//! build then holds the Markdown, its text index and the HTML, not the
//! events or the emitted items besides.

mod aside;
mod headings;
pub mod highlight;
mod notes;
mod raw_html;
mod stream;
mod urls;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::annotate::anchor::TextIndex;
use crate::annotate::sidecar::SidecarNote;
use crate::config::NoteKind;
use crate::error::{Diagnostic, LineIndex, Location};
use crate::html;
use crate::model::{Heading, InternalLink, Note, QuoteFix, WrittenLink};
use crate::sources::Registry;
use headings::HeadingIds;
use highlight::Highlight;
use notes::weave::{FootnoteRefs, Weave};
use raw_html::RawHtml;
use stream::{Item, Origin, Through};
use urls::{Rewriter, Urls};

/// Kept here for code written against the old paths.
pub use aside::{NOTE_PARTIAL, NoteTemplate};
pub use notes::report::missing_words;

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
    /// The site's note kinds, whose labels the notes' badges show.
    pub kinds: &'a [NoteKind],
    /// The highlighting themes: which scopes of code get spans.
    pub highlight: highlight::Themes<'a>,
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
    /// The event's source range in the Markdown (for line numbers, without
    /// the event list).
    src_start: usize,
    src_len: usize,
}

/// A heading found by the scan.
#[derive(Debug, Clone)]
struct ScannedHeading {
    /// Its start and end events.
    start: usize,
    end: usize,
    level: HeadingLevel,
    text: String,
    /// Its explicit id (`{#…}`), as written.
    id: Option<String>,
}

/// The result of the scan: the text index and the document's structure.
struct Scan {
    joined: String,
    segments: Vec<Segment>,
    blocks: Vec<Block>,
    /// (event index, position in joined text, label) of each footnote reference.
    footnote_refs: Vec<(usize, usize, String)>,
    headings: Vec<ScannedHeading>,
    /// The events of the summary: up to `<!-- more -->`, else the first paragraph.
    summary: Option<Range<usize>>,
}

/// Documents whose body is at least this long are parsed twice (once to
/// scan, once to emit) instead of keeping their events between the two: a
/// 200 MB article's events took ~170 MB, held through anchoring.
const PARSE_TWICE_FROM: usize = 1 << 20;

/// Renders one document.
pub fn render(input: &Input, env: &Env) -> Rendered {
    render_parsing(input, env, input.body.len() >= PARSE_TWICE_FROM)
}

/// [`render`], keeping the parsed events for the emit pass or (`twice`)
/// parsing the body again for it; the output is the same.
fn render_parsing(input: &Input, env: &Env, twice: bool) -> Rendered {
    let mut out = Rendered::default();
    let mut flow = Flow::new(input.body);
    if input.title_from_heading {
        out.title = flow.take_title();
    }
    let mut scanner = Scanner::new(input.body.len());
    let kept: Option<Events> = if twice {
        flow.by_ref()
            .enumerate()
            .for_each(|(i, (ev, range))| scanner.feed(i, &ev, &range));
        None
    } else {
        let mut events: Events = Vec::with_capacity(input.body.len() / 12 + 16);
        events.extend(flow.by_ref());
        for (i, (ev, range)) in events.iter().enumerate() {
            scanner.feed(i, ev, range);
        }
        Some(events)
    };
    let footnotes = std::mem::take(&mut flow.footnotes);
    let n_events = scanner.seen;
    let mut scan = scanner.finish();
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
    let mut plan = notes::plan(input, &index, &scan, &footnote_labels, &mut lines, &mut out);
    drop(index);

    // Heading ids: unique on the page and never equal to a note's id.
    let mut used: HashSet<String> = plan.reserved_ids();
    let (toc, heading_ids) = headings::assign_ids(&scan.headings, &mut used);
    out.toc = toc;
    out.ids.extend(used);

    let mut emitter = Emitter {
        urls: Rewriter::new(input, env, &mut lines),
        heading_ids: &heading_ids,
        has_raw_html: false,
    };

    // Note bodies: Markdown, always sanitised (unsafe_html covers only the
    // article body), links resolved like the article's.
    let sidecar = input.sidecar.unwrap_or(input.file);
    for (i, md, line) in plan.note_bodies_needed(input) {
        emitter.urls.fixed_location = Some(Location::at(sidecar, line, 0));
        let (html, text) = emitter.fragment(md, true);
        plan.set_note_body(i, html, text);
    }
    emitter.urls.fixed_location = None;

    // Footnote bodies go through the same emitter (links, code).
    let mut body_has_raw_html = false;
    for (label, evs) in footnotes {
        emitter.has_raw_html = false;
        let mut h = String::new();
        stream::push_html(&mut h, emitter.emit(evs.into_iter(), None));
        body_has_raw_html |= emitter.has_raw_html;
        plan.set_footnote_body(&label, h);
    }
    let template = env.note_template.unwrap_or_else(|| NoteTemplate::builtin());
    plan.build_asides(
        env.base_url,
        env.sources,
        env.kinds,
        template,
        sidecar,
        &mut out.diagnostics,
    );

    // The body is written as it is emitted, and its summary cut from it on
    // the way: a 200 MB article's emitted items, held whole, took ~190 MB.
    emitter.has_raw_html = false;
    let events: Box<dyn Iterator<Item = (Event, Range<usize>)>> = match kept {
        Some(events) => Box::new(events.into_iter()),
        None => {
            let mut again = Flow::new(input.body);
            if input.title_from_heading {
                again.take_title();
            }
            Box::new(again)
        }
    };
    let mut summary = SummaryCut::new(scan.summary.clone());
    let mut html_out = String::with_capacity(input.body.len() * 3 / 2 + 256);
    {
        let end = input.body.len();
        let after_last = plan.asides_after_last(n_events).map(|aside| Item {
            event: Event::Html(aside.into()),
            range: end..end,
            source: n_events,
            origin: Origin::Annotation,
        });
        let body = emitter
            .emit(events, Some((&plan, &scan)))
            .chain(after_last)
            .inspect(|item| summary.see(item));
        stream::push_html(&mut html_out, body);
    }
    body_has_raw_html |= emitter.has_raw_html;
    if scan.summary.is_some() {
        pulldown_cmark::html::push_html(&mut out.summary_html, summary.events.into_iter());
    }

    out.internal_links = std::mem::take(&mut emitter.urls.internal_links);
    out.written_links = std::mem::take(&mut emitter.urls.written_links);
    out.diagnostics.append(&mut emitter.urls.diagnostics);
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
    let mut flow = Flow::new(body);
    if strip_title {
        flow.take_title();
    }
    let mut scanner = Scanner::new(body.len());
    flow.enumerate()
        .for_each(|(i, (ev, range))| scanner.feed(i, &ev, &range));
    TextIndex::new(scanner.finish().joined)
}

/// Parses to an event list (merging split text events) and lifts out the
/// footnote definitions.
fn parse(body: &str) -> (Events<'_>, Vec<(String, Events<'_>)>) {
    let mut flow = Flow::new(body);
    let events = flow.by_ref().collect();
    (events, flow.footnotes)
}

/// The events of a document's main flow, as every pass reads them: each
/// run of text events merged into one (pulldown-cmark splits text at
/// entities and smart punctuation; quotes must see it whole), and the
/// footnote definitions lifted out into `footnotes` (they become margin
/// notes). Read as the parser goes, so a long article's events need not
/// all be held.
struct Flow<'a> {
    parser:
        std::iter::Fuse<pulldown_cmark::OffsetIter<'a, pulldown_cmark::DefaultBrokenLinkCallback>>,
    /// The main flow's next event, read ahead while merging text.
    ahead: Option<(Event<'a>, Range<usize>)>,
    footnotes: Vec<(String, Events<'a>)>,
}

impl<'a> Flow<'a> {
    fn new(body: &'a str) -> Flow<'a> {
        Flow {
            parser: Parser::new_ext(body, options()).into_offset_iter().fuse(),
            ahead: None,
            footnotes: Vec::new(),
        }
    }

    /// The parser's next event outside footnote definitions (each one met
    /// on the way is taken whole into `footnotes`).
    fn lifted(&mut self) -> Option<(Event<'a>, Range<usize>)> {
        loop {
            let (ev, range) = self.parser.next()?;
            let Event::Start(Tag::FootnoteDefinition(label)) = &ev else {
                return Some((ev, range));
            };
            let label = label.to_string();
            let mut evs: Events = Vec::new();
            let mut depth = 1usize;
            for (ev, range) in self.parser.by_ref() {
                match &ev {
                    Event::Start(Tag::FootnoteDefinition(_)) => depth += 1,
                    Event::End(TagEnd::FootnoteDefinition) => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                evs.push((ev, range));
            }
            if depth == 0 {
                self.footnotes.push((label, merge_text(evs)));
            }
        }
    }

    /// Removes a leading `# Title` and returns its text (for documents
    /// whose front matter has no title).
    fn take_title(&mut self) -> Option<String> {
        if self.ahead.is_none() {
            self.ahead = self.lifted();
        }
        if !matches!(
            self.ahead,
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
        let mut title = String::new();
        for (e, _) in self.by_ref().skip(1) {
            match e {
                Event::Text(t) | Event::Code(t) => title.push_str(&t),
                Event::End(TagEnd::Heading(_)) => break,
                _ => {}
            }
        }
        Some(title.trim().to_string()).filter(|t| !t.is_empty())
    }
}

impl<'a> Iterator for Flow<'a> {
    type Item = (Event<'a>, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        let first = self.ahead.take().or_else(|| self.lifted())?;
        if !matches!(first.0, Event::Text(_)) {
            return Some(first);
        }
        // A run of text is joined into one growing buffer, so merging is
        // linear: a paragraph of 100,000 smart quotes once took minutes
        // when each merge copied the text merged so far.
        let mut text = String::new();
        let (start, mut end) = (first.1.start, first.1.end);
        let mut run = 1;
        let mut push = |t: &str| text.push_str(t);
        if let Event::Text(t) = &first.0 {
            push(t);
        }
        loop {
            match self.lifted() {
                Some((Event::Text(t), range)) => {
                    push(&t);
                    end = range.end;
                    run += 1;
                }
                other => {
                    self.ahead = other;
                    break;
                }
            }
        }
        if run == 1 {
            return Some(first);
        }
        Some((Event::Text(text.into()), start..end))
    }
}

/// Merges each run of consecutive text events into one, as [`Flow`] does
/// (for a footnote's events).
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
    Flow::new(body).take_title()
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

/// Builds the text index and finds the document's structure in one pass
/// over a list of events.
#[cfg(test)]
fn scan(events: &Events) -> Scan {
    let mut scanner = Scanner::new(events.iter().map(|(_, r)| r.end).max().unwrap_or(0));
    for (i, (ev, range)) in events.iter().enumerate() {
        scanner.feed(i, ev, range);
    }
    scanner.finish()
}

/// The scan, fed one event at a time (from a list, or as the parser goes).
struct Scanner {
    s: Scan,
    /// Events fed so far.
    seen: usize,
    /// Open leaf blocks (indices into s.blocks), innermost last.
    open: Vec<usize>,
    /// Blocks inside the current table, whose notes go after the table.
    table_blocks: Vec<usize>,
    in_table: bool,
    /// Inside code blocks and images: not text.
    skip_depth: usize,
    heading: Option<ScannedHeading>,
    depth: usize,
    first_paragraph: Option<usize>,
}

impl Scanner {
    /// `source_len`: about how long the text will be.
    fn new(source_len: usize) -> Scanner {
        Scanner {
            s: Scan {
                // Room for the whole text at once (it is about as long as
                // the source): growing a 200 MB text by doubling holds the
                // old and the new buffer together at each step.
                joined: String::with_capacity(source_len),
                segments: Vec::new(),
                blocks: Vec::new(),
                footnote_refs: Vec::new(),
                headings: Vec::new(),
                summary: None,
            },
            seen: 0,
            open: Vec::new(),
            table_blocks: Vec::new(),
            in_table: false,
            skip_depth: 0,
            heading: None,
            depth: 0,
            first_paragraph: None,
        }
    }

    fn finish(self) -> Scan {
        self.s
    }

    /// Feeds event `i` (events are fed in order, from 0).
    fn feed(&mut self, i: usize, ev: &Event, range: &Range<usize>) {
        self.seen = i + 1;
        let s = &mut self.s;
        match ev {
            Event::Start(tag) => {
                if self.depth == 0
                    && matches!(tag, Tag::Paragraph)
                    && self.first_paragraph.is_none()
                    && s.summary.is_none()
                {
                    self.first_paragraph = Some(i);
                }
                self.depth += 1;
                match tag {
                    Tag::CodeBlock(_) | Tag::Image { .. } | Tag::HtmlBlock => self.skip_depth += 1,
                    Tag::Table(_) => self.in_table = true,
                    Tag::Heading { level, id, .. } => {
                        self.heading = Some(ScannedHeading {
                            start: i,
                            end: i,
                            level: *level,
                            text: String::new(),
                            id: id.as_ref().map(|id| id.to_string()),
                        })
                    }
                    _ => {}
                }
                if is_leaf_block(tag) {
                    push_separator(&mut s.joined);
                    self.open.push(s.blocks.len());
                    s.blocks.push(Block {
                        start: s.joined.len(),
                        end: s.joined.len(),
                        insert_at: i,
                    });
                }
            }
            Event::End(tag) => {
                self.depth = self.depth.saturating_sub(1);
                match tag {
                    TagEnd::CodeBlock | TagEnd::Image | TagEnd::HtmlBlock => {
                        self.skip_depth = self.skip_depth.saturating_sub(1)
                    }
                    TagEnd::Table => {
                        self.in_table = false;
                        for b in self.table_blocks.drain(..) {
                            s.blocks[b].insert_at = i + 1;
                        }
                    }
                    TagEnd::Heading(_) => {
                        if let Some(mut h) = self.heading.take() {
                            h.end = i;
                            h.text = h.text.trim().to_string();
                            s.headings.push(h);
                        }
                    }
                    _ => {}
                }
                if is_leaf_end(tag)
                    && let Some(b) = self.open.pop()
                {
                    s.blocks[b].end = s.joined.len();
                    // After a paragraph or heading; inside a list item
                    // (before `</li>`: an aside cannot be a child of a list).
                    s.blocks[b].insert_at = if matches!(tag, TagEnd::Item) {
                        i
                    } else {
                        i + 1
                    };
                    if self.in_table {
                        self.table_blocks.push(b);
                    }
                    push_separator(&mut s.joined);
                }
                if self.depth == 0
                    && matches!(tag, TagEnd::Paragraph)
                    && s.summary.is_none()
                    && let Some(start) = self.first_paragraph
                    && start <= i
                {
                    s.summary = Some(start..i + 1);
                }
            }
            Event::Text(t) | Event::Code(t) if self.skip_depth == 0 && !self.open.is_empty() => {
                s.segments.push(Segment {
                    event: i,
                    start: s.joined.len(),
                    src_start: range.start,
                    src_len: range.len(),
                });
                s.joined.push_str(t);
                if let Some(h) = &mut self.heading {
                    h.text.push_str(t);
                }
            }
            Event::SoftBreak | Event::HardBreak
                if self.skip_depth == 0 && !self.open.is_empty() =>
            {
                s.joined.push(if matches!(ev, Event::HardBreak) {
                    '\n'
                } else {
                    ' '
                });
                if let Some(h) = &mut self.heading {
                    h.text.push(' ');
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

/// The emit pass: the extensions chained over parsed events, and what they
/// record on the way.
struct Emitter<'e> {
    urls: Rewriter<'e>,
    heading_ids: &'e HashMap<usize, String>,
    has_raw_html: bool,
}

impl<'e> Emitter<'e> {
    /// Renders a Markdown fragment (a note) to HTML and plain text.
    fn fragment(&mut self, md: &str, sanitise: bool) -> (String, String) {
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
        let mut h = String::with_capacity(md.len() + 32);
        stream::push_html(&mut h, self.emit(events.into_iter(), None));
        if sanitise && self.has_raw_html {
            h = html::sanitise(&h);
        }
        (h, clean_text(&text))
    }

    /// Emits `events` through every extension. With a note plan (the
    /// article's body), marks, margin notes and footnote numbers are woven
    /// in; without one (a note, a footnote's body) they are not.
    /// The items are made as they are read (nothing is collected), so
    /// `has_raw_html` and what the rewriter records are known once the
    /// stream has been read to its end.
    fn emit<'s, 'a: 's>(
        &'s mut self,
        events: impl Iterator<Item = (Event<'a>, Range<usize>)> + 's,
        notes: Option<(&'s notes::Plan, &'s Scan)>,
    ) -> impl Iterator<Item = Item<'a>> + 's {
        let parsed = stream::items(events);
        let woven: Box<dyn Iterator<Item = Item<'a>> + 's> = match notes {
            Some((plan, scan)) => Box::new(parsed.through(Weave::new(plan, scan))),
            None => Box::new(parsed),
        };
        woven
            .through(Highlight::new(self.urls.env.highlight))
            .through(HeadingIds::new(self.heading_ids))
            .through(FootnoteRefs::new(notes.map(|(plan, _)| plan)))
            .through(RawHtml::new(&mut self.has_raw_html))
            .through(Urls::new(&mut self.urls))
    }
}

/// The summary's events, cut from the body's items as they stream past:
/// from the first item of the summary's events to the first after them,
/// without annotation markup, and with headings' ids left out.
struct SummaryCut<'a> {
    range: Option<Range<usize>>,
    started: bool,
    done: bool,
    events: Vec<Event<'a>>,
}

impl<'a> SummaryCut<'a> {
    fn new(range: Option<Range<usize>>) -> Self {
        SummaryCut {
            range,
            started: false,
            done: false,
            events: Vec::new(),
        }
    }

    fn see(&mut self, item: &Item<'a>) {
        let Some(range) = &self.range else { return };
        if self.done || (!self.started && item.source < range.start) {
            return;
        }
        self.started = true;
        if item.source >= range.end {
            self.done = true;
            return;
        }
        if item.origin == Origin::Annotation {
            return;
        }
        self.events.push(match &item.event {
            Event::Start(Tag::Heading { level, .. }) => Event::Start(Tag::Heading {
                level: *level,
                id: None,
                classes: Vec::new(),
                attrs: Vec::new(),
            }),
            other => other.clone(),
        });
    }
}

#[cfg(test)]
mod tests;
