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
use notes::{FootnoteRefs, Weave};
use raw_html::RawHtml;
use stream::{Item, Origin, Through};
use urls::{Rewriter, Urls};

/// Kept here for code written against the old paths.
pub use aside::{NOTE_PARTIAL, NoteTemplate};
pub use notes::missing_words;

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
    let (toc, heading_ids) = headings::assign_ids(&events, &scan.headings, &mut used);
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
        let items = emitter.emit(evs, None);
        body_has_raw_html |= emitter.has_raw_html;
        let mut h = String::new();
        stream::push_html(&mut h, items.into_iter());
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

    emitter.has_raw_html = false;
    let n_events = events.len();
    let mut body = emitter.emit(events, Some((&plan, &scan)));
    body_has_raw_html |= emitter.has_raw_html;
    for aside in plan.asides_after_last(n_events) {
        body.push(Item {
            event: Event::Html(aside.into()),
            range: input.body.len()..input.body.len(),
            source: n_events,
            origin: Origin::Annotation,
        });
    }

    // The summary: the same events without marks, note numbers and notes.
    if let Some(range) = &scan.summary {
        let summary_events = body
            .iter()
            .skip_while(|item| item.source < range.start)
            .take_while(|item| item.source < range.end)
            .filter(|item| item.origin != Origin::Annotation)
            .map(|item| match &item.event {
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
    let mut html_out = String::with_capacity(input.body.len() * 3 / 2 + 256);
    stream::push_html(&mut html_out, body.into_iter());

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
        let items = self.emit(events, None);
        let mut h = String::with_capacity(md.len() + 32);
        stream::push_html(&mut h, items.into_iter());
        if sanitise && self.has_raw_html {
            h = html::sanitise(&h);
        }
        (h, clean_text(&text))
    }

    /// Emits `events` through every extension. With a note plan (the
    /// article's body), marks, margin notes and footnote numbers are woven
    /// in; without one (a note, a footnote's body) they are not.
    fn emit<'a>(
        &mut self,
        events: Events<'a>,
        notes: Option<(&notes::Plan, &Scan)>,
    ) -> Vec<Item<'a>> {
        let parsed = stream::items(events);
        let woven: Box<dyn Iterator<Item = Item<'a>>> = match notes {
            Some((plan, scan)) => Box::new(parsed.through(Weave::new(plan, scan))),
            None => Box::new(parsed),
        };
        woven
            .through(Highlight::default())
            .through(HeadingIds::new(self.heading_ids))
            .through(FootnoteRefs::new(notes.map(|(plan, _)| plan)))
            .through(RawHtml::new(&mut self.has_raw_html))
            .through(Urls::new(&mut self.urls))
            .collect()
    }
}

#[cfg(test)]
mod tests;
