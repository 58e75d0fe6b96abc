//! Model: the typed site that the render stage reads. No I/O here.
//!
//! A [`Site`] is built by [`crate::site::load`] and then only read: the
//! render stage and the dev server never reach back into loading.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::config::Config;
use crate::config::ratings::Score;
use crate::error::{Diagnostic, Location};
use crate::sources::Registry;

/// An article (in a section) or a standalone page, rendered.
#[derive(Debug, Clone)]
pub struct Document {
    /// The Markdown file, relative to the site root.
    pub file: PathBuf,
    pub sidecar: Option<PathBuf>,
    /// Index into [`Site::sections`]; `None` for a standalone page.
    pub section: Option<usize>,
    /// The section folder relative to `content/` (`articles`).
    pub section_folder: Option<String>,
    pub slug: String,
    /// Site path of the page, `articles/x/` (no leading slash).
    pub path: String,
    pub title: String,
    pub date: Option<Date>,
    /// Source key (checked against the registry).
    pub source: Option<String>,
    pub original_url: Option<String>,
    pub archive_url: Option<String>,
    pub archived: Option<Date>,
    /// SHA-256 of the captured `original.html` of a bundle (§9).
    pub archive_sha256: Option<String>,
    pub authors: Vec<String>,
    /// Tag names as the site spells them (the first spelling of each tag
    /// in site order wins), derived from `written_tags`.
    pub tags: Vec<String>,
    /// Tag names as its front matter writes them.
    pub written_tags: Vec<String>,
    pub description: Option<String>,
    pub draft: bool,
    /// Front matter `toc`, when given.
    pub toc_setting: Option<bool>,
    /// `menu: true`: listed in the navigation when site.yaml has no `menu:`.
    pub menu: bool,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub content_html: String,
    pub summary_html: String,
    pub summary_text: String,
    pub toc: Vec<Heading>,
    pub notes: Vec<Note>,
    pub word_count: usize,
    pub ids: Vec<String>,
    pub internal_links: Vec<InternalLink>,
    pub written_links: Vec<WrittenLink>,
    pub fixes: Vec<QuoteFix>,
    /// Its terms for the search index, kept when its HTML is dropped.
    pub search_terms: Terms,
    /// Its earlier snapshots and what changed, for a bundle with a
    /// `versions/` folder (DESIGN §10).
    pub versions: Option<Box<Versions>>,
    /// Set when a build has moved its notes (`notes` and the changed
    /// notes of `versions`) out of memory once its page was written:
    /// read them through [`Document::read_notes`].
    pub spilled: Option<Box<Spilled>>,
}

impl Document {
    pub fn is_article(&self) -> bool {
        self.section.is_some()
    }

    /// What listings and feeds describe the document with.
    pub fn description_or_summary(&self) -> &str {
        self.description.as_deref().unwrap_or(&self.summary_text)
    }

    /// How many versions it has (1 without earlier snapshots).
    pub fn version_count(&self) -> usize {
        self.versions.as_ref().map_or(1, |v| v.count())
    }

    /// Its notes written on an earlier snapshot whose passage is no longer
    /// in the latest: shown on its page as changed since noted, never
    /// dropped (DESIGN §10).
    pub fn changed_notes(&self) -> &[ChangedNote] {
        self.versions
            .as_deref()
            .map_or(&[], |v| v.changed_notes.as_slice())
    }

    /// Every note of the document: those its page anchors (`notes`), then
    /// the [`changed_notes`](Self::changed_notes). A [`NoteRef`]'s `note`
    /// counts in this order, so whatever gathers notes (source pages, the
    /// claims, the exports) gathers both kinds. Only while the notes are
    /// held: once a build has spilled them, read them with
    /// [`read_notes`](Self::read_notes).
    pub fn all_notes(&self) -> impl Iterator<Item = &Note> {
        debug_assert!(self.spilled.is_none(), "notes read after they were spilled");
        self.notes
            .iter()
            .chain(self.changed_notes().iter().map(|c| &c.note))
    }

    /// How many notes [`all_notes`](Self::all_notes) gives.
    pub fn note_count(&self) -> usize {
        match &self.spilled {
            Some(s) => (s.facts.anchored + s.facts.changed) as usize,
            None => self.notes.len() + self.changed_notes().len(),
        }
    }

    /// How many notes its page anchors (`notes`, held or spilled).
    pub fn anchored_count(&self) -> usize {
        match &self.spilled {
            Some(s) => s.facts.anchored as usize,
            None => self.notes.len(),
        }
    }

    /// Note `j` of [`all_notes`](Self::all_notes) (while they are held).
    pub fn note_at(&self, j: usize) -> Option<&Note> {
        debug_assert!(self.spilled.is_none(), "notes read after they were spilled");
        match j.checked_sub(self.notes.len()) {
            None => self.notes.get(j),
            Some(k) => self.changed_notes().get(k).map(|c| &c.note),
        }
    }

    /// Whether note `j` of [`all_notes`](Self::all_notes) is changed since
    /// noted.
    pub fn is_changed_note(&self, j: usize) -> bool {
        j >= self.anchored_count()
    }

    /// Every note of the document, held or read back from where the build
    /// spilled them (one read for all of them: gather what a job needs of
    /// a document from one call). An error names the build's scratch file.
    pub fn read_notes(&self) -> Result<DocNotes<'_>, Diagnostic> {
        match &self.spilled {
            None => Ok(DocNotes {
                anchored: std::borrow::Cow::Borrowed(&self.notes),
                changed: std::borrow::Cow::Borrowed(self.changed_notes()),
            }),
            Some(s) => {
                let (anchored, changed) = s.store.read(&s.at)?;
                Ok(DocNotes {
                    anchored: std::borrow::Cow::Owned(anchored),
                    changed: std::borrow::Cow::Owned(changed),
                })
            }
        }
    }

    /// What is known of its notes without them (held or spilled).
    pub fn note_facts(&self, registry: &Registry) -> std::borrow::Cow<'_, NoteFacts> {
        match &self.spilled {
            Some(s) => std::borrow::Cow::Borrowed(&s.facts),
            None => std::borrow::Cow::Owned(NoteFacts::of(self, registry)),
        }
    }

    /// The deep link to note `j` on the document's page at `page_url`:
    /// its passage (`#<id>`, the `<mark>`), or, for a note changed since
    /// noted, whose passage is gone, its aside (`#note-<id>`).
    pub fn note_link(&self, page_url: &str, j: usize, id: &str) -> String {
        let aside = if self.is_changed_note(j) { "note-" } else { "" };
        format!("{page_url}#{aside}{id}")
    }

    /// Lets go what only the document's own page reads, once a build has
    /// written that page (and kept the document): the table of contents,
    /// and the summary as text, which after the page only a feed entry
    /// reads, and only when the summary's HTML is empty. ~0.8 KB an
    /// article that a build would hold to its end.
    pub fn release_page_only(&mut self) {
        self.toc = Vec::new();
        if !self.summary_html.is_empty() {
            self.summary_text = String::new();
        }
    }

    /// Minutes to read at 220 words a minute, at least 1.
    pub fn reading_minutes(&self) -> usize {
        self.word_count.div_ceil(220).max(1)
    }
}

/// A document's notes, held or read back ([`Document::read_notes`]).
pub struct DocNotes<'a> {
    pub anchored: std::borrow::Cow<'a, [Note]>,
    pub changed: std::borrow::Cow<'a, [ChangedNote]>,
}

impl DocNotes<'_> {
    /// As [`Document::all_notes`].
    pub fn all(&self) -> impl Iterator<Item = &Note> {
        self.anchored
            .iter()
            .chain(self.changed.iter().map(|c| &c.note))
    }

    /// As [`Document::note_at`].
    pub fn at(&self, j: usize) -> Option<&Note> {
        match j.checked_sub(self.anchored.len()) {
            None => self.anchored.get(j),
            Some(k) => self.changed.get(k).map(|c| &c.note),
        }
    }
}

/// Where a build keeps its documents' notes once their pages are written,
/// and reads them back (`cache::spill`): a trait here, so the model does
/// no I/O.
pub trait NoteStore: Send + Sync + std::fmt::Debug {
    /// The notes of the record at `at`: those anchored, those changed
    /// since noted. An error names the store's file.
    fn read(&self, at: &SpillAt) -> Result<(Vec<Note>, Vec<ChangedNote>), Diagnostic>;
}

/// A record in a [`NoteStore`]: where it is, and its checksum, so that
/// a record read back wrong is an error, never another note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpillAt {
    pub offset: u64,
    pub len: u32,
    pub sum: u64,
}

/// A document's spilled notes: where they are, and what the outputs that
/// do not show a note read of them.
#[derive(Debug, Clone)]
pub struct Spilled {
    pub store: std::sync::Arc<dyn NoteStore>,
    pub at: SpillAt,
    pub facts: NoteFacts,
}

/// What the listings, counts, claims index, search heads and source
/// back-references read of a document's notes, small enough to keep for
/// every document through the build (a few dozen bytes a note).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct NoteFacts {
    /// How many notes its page anchors, and how many are changed since
    /// noted.
    pub anchored: u32,
    pub changed: u32,
    /// Replies in all of its notes' threads.
    pub replies: u32,
    /// Every note's id, in [`Document::all_notes`] order (those changed
    /// since noted last: search finds them too), each followed by '\n'.
    pub ids: Box<str>,
    /// Each kind used (`None`: no kind) and how many notes have it, in
    /// order of first use.
    pub kinds: Box<[(Option<Box<str>>, u32)]>,
    /// (note, source) for each note citing a source of the registry, the
    /// note counted as in [`Document::all_notes`] and the source by its
    /// index in the registry; a source cited twice by a note once.
    pub cites: Box<[(u32, u32)]>,
    /// Where each of [`cites`](Self::cites) stands on its source's
    /// timeline: the month of the note's date, else of its document's
    /// ([`month_code`]; [`UNDATED`] when neither has one), and the note's
    /// kind as its index in [`kinds`](Self::kinds). 8 bytes a citing note,
    /// so that the timelines never read the notes back.
    pub cite_marks: Box<[(i32, u32)]>,
    /// The rated notes (claims): each one's number in
    /// [`Document::all_notes`] and its own date's timestamp.
    pub rated: Box<[(u32, Option<i64>)]>,
}

impl NoteFacts {
    /// The facts of a document whose notes are held.
    pub fn of(d: &Document, registry: &Registry) -> NoteFacts {
        let mut ids = String::new();
        for n in d.all_notes() {
            ids.push_str(&n.id);
            ids.push('\n');
        }
        let mut kinds: Vec<(Option<Box<str>>, u32)> = Vec::new();
        let mut cites = Vec::new();
        let mut cite_marks = Vec::new();
        let mut rated = Vec::new();
        let mut replies = 0;
        for (j, n) in d.all_notes().enumerate() {
            let kind = n.kind.as_deref();
            let k = match kinds.iter_mut().position(|(k, _)| k.as_deref() == kind) {
                Some(k) => {
                    kinds[k].1 += 1;
                    k
                }
                None => {
                    kinds.push((kind.map(Box::from), 1));
                    kinds.len() - 1
                }
            };
            let month = n
                .date
                .as_ref()
                .or(d.date.as_ref())
                .map_or(UNDATED, month_code);
            let first = cites.len();
            for key in &n.sources {
                if let Some(s) = registry.index_of(key) {
                    let c = (j as u32, s as u32);
                    if !cites[first..].contains(&c) {
                        cites.push(c);
                        cite_marks.push((month, k as u32));
                    }
                }
            }
            if n.rating.is_some() {
                rated.push((j as u32, n.date.as_ref().map(Date::timestamp)));
            }
            replies += n.replies.len() as u32;
        }
        NoteFacts {
            anchored: d.notes.len() as u32,
            changed: d.changed_notes().len() as u32,
            replies,
            ids: ids.into_boxed_str(),
            kinds: kinds.into_boxed_slice(),
            cites: cites.into_boxed_slice(),
            cite_marks: cite_marks.into_boxed_slice(),
            rated: rated.into_boxed_slice(),
        }
    }

    /// Every note's id, in [`Document::all_notes`] order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.split_terminator('\n')
    }
}

/// A month as one number, `year * 12 + month - 1` ([`NoteFacts::cite_marks`]).
pub fn month_code(d: &Date) -> i32 {
    use chrono::Datelike;
    d.datetime.year() * 12 + d.datetime.month0() as i32
}

/// The (year, month) of a [`month_code`].
pub fn month_of_code(code: i32) -> (i32, u32) {
    (code.div_euclid(12), code.rem_euclid(12) as u32 + 1)
}

/// The month code of a citing note with no date and no document date.
pub const UNDATED: i32 = i32::MIN;

/// A folder under `content/` (or the home page, path "").
#[derive(Debug, Clone)]
pub struct Section {
    /// The folder relative to `content/`, `/`-separated; "" for home.
    pub folder: String,
    /// Site path, `articles/` ("" for home).
    pub path: String,
    pub title: String,
    pub description: Option<String>,
    pub content_html: String,
    pub paginate_by: usize,
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The `_index.md`, when there is one.
    pub file: Option<PathBuf>,
    /// Articles of this folder, newest first (indices into Site::documents).
    pub articles: Vec<usize>,
    /// Sections one level below.
    pub subsections: Vec<usize>,
}

/// A tag and the articles that carry it, newest first.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub slug: String,
    pub articles: Vec<usize>,
}

/// Where a note sits: document index, note index in
/// [`Document::all_notes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteRef {
    pub doc: usize,
    pub note: usize,
}

/// What refers to a source.
#[derive(Debug, Clone, Default)]
pub struct SourceUses {
    /// Articles whose front matter names it, newest first.
    pub articles: Vec<usize>,
    /// Notes that cite it, grouped by document in date order (newest
    /// first), in reading order within a document.
    pub notes: Vec<NoteRef>,
}

impl SourceUses {
    /// The documents a source's page lists: those from it and those with
    /// notes citing it, in site order (newest first).
    pub fn entries(&self) -> Vec<usize> {
        let mut docs: Vec<usize> = self.articles.clone();
        docs.extend(self.notes.iter().map(|n| n.doc));
        docs.sort_unstable();
        docs.dedup();
        docs
    }
}

/// A file copied into the output as it is.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Relative to the site root.
    pub file: PathBuf,
    /// Output path (`articles/x/original.pdf`).
    pub dest: String,
}

/// The whole site, ready to render.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: Config,
    pub registry: Registry,
    /// Articles newest first (undated last), then standalone pages.
    pub documents: Vec<Document>,
    pub home: Section,
    pub sections: Vec<Section>,
    /// Sorted by name.
    pub tags: Vec<Tag>,
    /// Parallel to `registry.all()`.
    pub source_uses: Vec<SourceUses>,
    pub assets: Vec<Asset>,
}

impl Site {
    /// Articles (not pages), newest first.
    pub fn articles(&self) -> impl Iterator<Item = (usize, &Document)> {
        self.documents
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_article())
    }

    /// Every note, those changed since noted included.
    pub fn note_count(&self) -> usize {
        self.documents.iter().map(Document::note_count).sum()
    }
}

/// A date as written in front matter: `YYYY-MM-DD` or RFC 3339. The text
/// is kept so templates can show what the author wrote, and so a time zone
/// is never lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date {
    pub datetime: DateTime<FixedOffset>,
    pub has_time: bool,
}

impl Date {
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            if s.len() != 10 {
                return None;
            }
            let dt = d.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset();
            return Some(Date {
                datetime: dt,
                has_time: false,
            });
        }
        DateTime::parse_from_rfc3339(s).ok().map(|dt| Date {
            datetime: dt,
            has_time: true,
        })
    }

    /// `2021-05-04` or `2021-05-04T10:00:00+02:00`.
    pub fn iso(&self) -> String {
        if self.has_time {
            self.datetime.to_rfc3339()
        } else {
            self.datetime.format("%Y-%m-%d").to_string()
        }
    }

    /// RFC 3339 always (Atom and JSON-LD want a full timestamp).
    pub fn rfc3339(&self) -> String {
        self.datetime.to_rfc3339()
    }

    /// "4 May 2021", for people.
    pub fn display(&self) -> String {
        self.datetime.format("%-d %B %Y").to_string()
    }

    pub fn timestamp(&self) -> i64 {
        self.datetime.timestamp()
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.iso())
    }
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

/// A sidecar note, anchored and rendered.
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub id: String,
    /// Its number in reading order; 0 for a highlight without a note
    /// (which has no number and no aside).
    pub number: usize,
    pub kind: Option<String>,
    /// The passage as it reads in the article.
    pub quote: String,
    /// Up to 32 characters before and after the passage, within its block.
    pub prefix: String,
    pub suffix: String,
    /// The note, rendered from Markdown.
    pub body_html: String,
    pub body_text: String,
    /// Source keys.
    pub sources: Vec<String>,
    pub author: Option<String>,
    pub date: Option<Date>,
    pub tags: Vec<String>,
    /// A fact-check verdict on the quoted claim (DESIGN §11).
    pub rating: Option<Rating>,
    /// The quote as the sidecar writes it, without the page's smart
    /// punctuation: structured data, citations and CSV keep text as written.
    pub written_quote: String,
    /// The note's Markdown as the sidecar writes it (for exports).
    #[serde(skip)]
    pub written_note: String,
    /// The thread under the note (`replies:` in the sidecar).
    pub replies: Vec<Reply>,
    /// The note's line in its sidecar.
    #[serde(skip)]
    pub line: usize,
    /// The snapshot the note was written on (`version:`), `None` for the
    /// latest (DESIGN §10).
    pub version: Option<String>,
}

/// A note's rating. The numbers are all present or all absent: a bare
/// label with no scale declared has none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    pub label: String,
    pub value: Option<Score>,
    pub best: Option<Score>,
    pub worst: Option<Score>,
    /// Where `rating:` is written, for later errors.
    #[serde(skip)]
    pub location: Location,
}

/// One reply in a note's thread (DESIGN §1 `replies:`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub author: Option<String>,
    pub date: Option<Date>,
    /// Markdown.
    pub text: String,
}

/// A quote that no longer matches but has one close candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteFix {
    pub sidecar: PathBuf,
    /// The note's line in the sidecar.
    pub line: usize,
    pub old: String,
    pub new: String,
    pub similarity: f64,
}

/// A document's own terms (title, tags, description, text; not its
/// notes, which are items of their own) with their weights, kept after its
/// text is dropped so the search index can be made at the end of a build
/// ([`crate::render::search`] weighs and reads them).
// Deserialize: the build cache keeps each document's terms between builds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Terms {
    /// Sorted distinct terms, each followed by '\n'.
    words: String,
    weights: Vec<u16>,
}

impl Terms {
    /// Terms from `(term, weight)` pairs sorted by term, without repeats;
    /// a weight past `u16::MAX` is kept as `u16::MAX`.
    pub fn from_sorted(pairs: &[(String, u32)]) -> Terms {
        let mut terms = Terms {
            words: String::with_capacity(pairs.iter().map(|(t, _)| t.len() + 1).sum()),
            weights: Vec::with_capacity(pairs.len()),
        };
        for (t, x) in pairs {
            terms.words.push_str(t);
            terms.words.push('\n');
            terms.weights.push((*x).min(u32::from(u16::MAX)) as u16);
        }
        terms
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, u16)> {
        self.words
            .split_terminator('\n')
            .zip(self.weights.iter().copied())
    }
}

// The versions of an article (DESIGN §10), as `crate::versions` renders
// them and the render stage shows them.

/// An earlier snapshot, rendered with the notes written on it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub file: PathBuf,
    /// Its name and URL segment (`2021-05-04`).
    pub stem: String,
    pub title: String,
    pub date: Option<Date>,
    pub archived: Option<Date>,
    pub content_html: String,
    pub notes: Vec<Note>,
    pub word_count: usize,
}

/// What changed from one snapshot to the next.
#[derive(Debug, Clone)]
pub struct Change {
    /// The earlier snapshot's name.
    pub from: String,
    /// The later one's; `None` for the latest (`index.md`).
    pub to: Option<String>,
    pub from_archived: Option<Date>,
    pub to_archived: Option<Date>,
    pub diff: TextDiff,
    /// Whether the change added a correction or update notice (see
    /// [`crate::versions::adds_notice`]).
    pub notice: bool,
}

/// A note written on an earlier snapshot whose passage is no longer in
/// the latest: shown there as *changed since noted*.
#[derive(Debug, Clone)]
pub struct ChangedNote {
    /// The note as rendered on the snapshot it was written on.
    pub note: Note,
    /// The closest passage of the latest text, when anything is close.
    pub closest: Option<String>,
    pub similarity: f64,
}

/// Every version of an article but the latest, and what changed.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    /// Oldest first.
    pub snapshots: Vec<Snapshot>,
    /// The latest's name, when its `archived:` says it.
    pub latest: Option<String>,
    /// Oldest first: snapshot 1 → 2, …, the last snapshot → the latest.
    pub changes: Vec<Change>,
    pub changed_notes: Vec<ChangedNote>,
}

impl Versions {
    /// How many versions the article has, the latest included.
    pub fn count(&self) -> usize {
        self.snapshots.len() + 1
    }
}

/// One run of text in a changed paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Piece {
    Same(String),
    Removed(String),
    Added(String),
}

/// A paragraph of the diff as a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Block {
    /// An unchanged paragraph next to a change, shown for context.
    Context { text: String },
    /// Unchanged paragraphs left out between two changes.
    Gap { paragraphs: usize },
    /// A paragraph with removed and added words (a wholly new or removed
    /// paragraph is one `Added` or `Removed` piece).
    Changed { pieces: Vec<Piece> },
}

/// The difference between two snapshots; `None` from [`crate::versions::diff::diff`] when the
/// text is the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextDiff {
    /// The title's own word diff, when the title changed.
    pub title: Option<Vec<Piece>>,
    pub blocks: Vec<Block>,
    pub words_removed: usize,
    pub words_added: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_code_gives_its_month_back() {
        for (s, want) in [
            ("2021-01-31", (2021, 1)),
            ("2021-12-01", (2021, 12)),
            ("0001-06-15", (1, 6)),
            ("-0044-03-15", (-44, 3)),
        ] {
            let Some(d) = Date::parse(s) else {
                continue;
            };
            assert_eq!(month_of_code(month_code(&d)), want, "{s}");
        }
        let a = month_code(&Date::parse("2020-12-31").unwrap());
        let b = month_code(&Date::parse("2021-01-01").unwrap());
        assert_eq!(b, a + 1);
        assert!(UNDATED < month_code(&Date::parse("0001-01-01").unwrap()));
    }
}
