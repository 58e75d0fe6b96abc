//! A rendered [`Document`] as the build cache keeps it between builds
//! (without its page HTML, which is in the previous output, and its
//! notes, which its kept file holds beside it as the build's scratch file
//! does: [`super::KeptNotes`]).
//!
//! The model types serialize for templates (some fields skipped, dates and
//! scores as display text), which is not a faithful round trip; these
//! mirrors are. Every conversion destructures the whole struct, so a field
//! added to the model does not compile until it is kept here too.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::config::ratings::Score;
use crate::error::Location;
use crate::model::Date;
use crate::model::Document;
use crate::model::Rating;
use crate::model::Reply;
use crate::model::{Heading, InternalLink, Note, QuoteFix, WrittenLink};

/// A kept document: what every build that reuses it reads ([`KeptHead`]),
/// and what only some do ([`KeptTail`]), each kept as a part of its own
/// (bincode), so a head is read without the tail.
pub struct KeptDoc {
    head: KeptHead,
    tail: KeptTail,
}

/// What the pages and data files made after the documents' own read of a
/// reused document: everything but its links, ids and search terms.
#[derive(Serialize, Deserialize)]
pub struct KeptHead {
    file: PathBuf,
    sidecar: Option<PathBuf>,
    section_folder: Option<String>,
    slug: String,
    path: String,
    title: String,
    date: Option<KeptDate>,
    source: Option<String>,
    original_url: Option<String>,
    archive_url: Option<String>,
    archived: Option<KeptDate>,
    archive_sha256: Option<String>,
    authors: Vec<String>,
    written_tags: Vec<String>,
    description: Option<String>,
    draft: bool,
    toc_setting: Option<bool>,
    menu: bool,
    /// JSON text: `serde_json::Value` does not round-trip through bincode.
    extra: String,
    summary_html: String,
    summary_text: String,
    toc: Vec<(u8, String, String)>,
    word_count: usize,
    fixes: Vec<(PathBuf, usize, String, String, f64)>,
}

/// What a build reads of a reused document only in some cases: its ids
/// and links (`check` and `serve`; a build drops them before its last
/// phase), and its search terms (when the search index cannot be updated
/// and is made again from every document's:
/// [`crate::render::search::Index::updated`]).
#[derive(Serialize, Deserialize)]
pub struct KeptTail {
    ids: Vec<String>,
    internal_links: Vec<(String, Option<String>, KeptLocation)>,
    written_links: Vec<(String, KeptLocation)>,
    search_terms: crate::model::Terms,
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct KeptDate {
    datetime: DateTime<FixedOffset>,
    has_time: bool,
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct KeptLocation {
    file: PathBuf,
    line: usize,
    column: usize,
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct KeptRating {
    label: String,
    value: Option<f64>,
    best: Option<f64>,
    worst: Option<f64>,
    location: KeptLocation,
}

#[derive(Serialize, Deserialize)]
pub(super) struct KeptNote {
    id: String,
    number: usize,
    kind: Option<String>,
    quote: String,
    prefix: String,
    suffix: String,
    body_html: String,
    body_text: String,
    sources: Vec<String>,
    author: Option<String>,
    date: Option<KeptDate>,
    tags: Vec<String>,
    rating: Option<KeptRating>,
    written_quote: String,
    written_note: String,
    replies: Vec<(Option<String>, Option<KeptDate>, String)>,
    line: usize,
    version: Option<String>,
}

pub(super) fn date(d: &Date) -> KeptDate {
    let Date { datetime, has_time } = d;
    KeptDate {
        datetime: *datetime,
        has_time: *has_time,
    }
}

pub(super) fn undate(d: KeptDate) -> Date {
    Date {
        datetime: d.datetime,
        has_time: d.has_time,
    }
}

pub(super) fn rating_of(r: &Rating) -> KeptRating {
    let Rating {
        label,
        value,
        best,
        worst,
        location: at,
    } = r;
    KeptRating {
        label: label.clone(),
        value: value.map(|s| s.0),
        best: best.map(|s| s.0),
        worst: worst.map(|s| s.0),
        location: location(at),
    }
}

pub(super) fn unrating(r: KeptRating) -> Rating {
    Rating {
        label: r.label,
        value: r.value.map(Score),
        best: r.best.map(Score),
        worst: r.worst.map(Score),
        location: unlocation(r.location),
    }
}

pub(super) fn location(l: &Location) -> KeptLocation {
    let Location { file, line, column } = l;
    KeptLocation {
        file: file.clone(),
        line: *line,
        column: *column,
    }
}

pub(super) fn unlocation(l: KeptLocation) -> Location {
    Location {
        file: l.file,
        line: l.line,
        column: l.column,
    }
}

pub(super) fn note(n: &Note) -> KeptNote {
    // A clone costs what copying each field would; the conversion that
    // destructures the whole struct stays in one place.
    note_moved(n.clone())
}

/// [`note`] by value: the build's spill moves each note out of memory,
/// so nothing is copied.
pub(super) fn note_moved(n: Note) -> KeptNote {
    let Note {
        id,
        number,
        kind,
        quote,
        prefix,
        suffix,
        body_html,
        body_text,
        sources,
        author,
        date: when,
        tags,
        rating,
        written_quote,
        written_note,
        replies,
        line,
        version,
    } = n;
    KeptNote {
        id,
        number,
        kind,
        quote,
        prefix,
        suffix,
        body_html,
        body_text,
        sources,
        author,
        date: when.as_ref().map(date),
        tags,
        rating: rating.as_ref().map(rating_of),
        written_quote,
        written_note,
        replies: replies
            .into_iter()
            .map(|r| {
                let Reply {
                    author,
                    date: when,
                    text,
                } = r;
                (author, when.as_ref().map(date), text)
            })
            .collect(),
        line,
        version,
    }
}

pub(super) fn unnote(n: KeptNote) -> Note {
    Note {
        id: n.id,
        number: n.number,
        kind: n.kind,
        quote: n.quote,
        prefix: n.prefix,
        suffix: n.suffix,
        body_html: n.body_html,
        body_text: n.body_text,
        sources: n.sources,
        author: n.author,
        date: n.date.map(undate),
        tags: n.tags,
        rating: n.rating.map(unrating),
        written_quote: n.written_quote,
        written_note: n.written_note,
        replies: n
            .replies
            .into_iter()
            .map(|(author, when, text)| Reply {
                author,
                date: when.map(undate),
                text,
            })
            .collect(),
        line: n.line,
        version: n.version,
    }
}

impl KeptDoc {
    /// What every build that reuses the document reads.
    pub fn head(&self) -> &KeptHead {
        &self.head
    }

    /// What only some do.
    pub fn tail(&self) -> &KeptTail {
        &self.tail
    }

    /// The kept document of a head and a tail, kept apart.
    pub fn of(head: KeptHead, tail: KeptTail) -> KeptDoc {
        KeptDoc { head, tail }
    }
}

impl KeptDoc {
    /// What a document keeps. `section` and `tags` are left out: the
    /// build derives them again from the whole site ([`crate::site::wire`]),
    /// and so is `content_html`, which the previous output holds. A
    /// document with versions (DESIGN §10) is not kept: it is rendered
    /// again by every build.
    pub fn keep(d: &Document) -> Option<KeptDoc> {
        let Document {
            file,
            sidecar,
            section: _,
            section_folder,
            slug,
            path,
            title,
            date: when,
            source,
            original_url,
            archive_url,
            archived,
            archive_sha256,
            authors,
            tags: _,
            written_tags,
            description,
            draft,
            toc_setting,
            menu,
            extra,
            content_html: _,
            summary_html,
            summary_text,
            toc,
            // Kept beside the doc, as the build's scratch file holds them
            // ([`super::store_kept`]).
            notes: _,
            word_count,
            ids,
            internal_links,
            written_links,
            fixes,
            search_terms,
            versions,
            spilled,
        } = d;
        // A document whose notes are spilled is missing them here.
        if versions.is_some() || spilled.is_some() {
            return None;
        }
        let head = KeptHead {
            file: file.clone(),
            sidecar: sidecar.clone(),
            section_folder: section_folder.clone(),
            slug: slug.clone(),
            path: path.clone(),
            title: title.clone(),
            date: when.as_ref().map(date),
            source: source.clone(),
            original_url: original_url.clone(),
            archive_url: archive_url.clone(),
            archived: archived.as_ref().map(date),
            archive_sha256: archive_sha256.clone(),
            authors: authors.clone(),
            written_tags: written_tags.clone(),
            description: description.clone(),
            draft: *draft,
            toc_setting: *toc_setting,
            menu: *menu,
            extra: serde_json::to_string(extra).unwrap_or_default(),
            summary_html: summary_html.clone(),
            summary_text: summary_text.clone(),
            toc: toc
                .iter()
                .map(|h| {
                    let Heading { level, id, title } = h;
                    (*level, id.clone(), title.clone())
                })
                .collect(),
            word_count: *word_count,
            fixes: fixes
                .iter()
                .map(|f| {
                    let QuoteFix {
                        sidecar,
                        line,
                        old,
                        new,
                        similarity,
                    } = f;
                    (
                        sidecar.clone(),
                        *line,
                        old.clone(),
                        new.clone(),
                        *similarity,
                    )
                })
                .collect(),
        };
        let tail = KeptTail {
            ids: ids.clone(),
            internal_links: internal_links
                .iter()
                .map(|l| {
                    let InternalLink {
                        path,
                        fragment,
                        location: at,
                    } = l;
                    (path.clone(), fragment.clone(), location(at))
                })
                .collect(),
            written_links: written_links
                .iter()
                .map(|l| {
                    let WrittenLink { url, location: at } = l;
                    (url.clone(), location(at))
                })
                .collect(),
            search_terms: search_terms.clone(),
        };
        Some(KeptDoc { head, tail })
    }

    /// The document again, without its page HTML and its notes (kept
    /// beside it: [`super::KeptNotes`]); `section` and `tags` are the
    /// caller's to set (from the document's stub, which the whole
    /// site's [`crate::site::wire`] derived them for).
    pub fn restore(self) -> Option<Document> {
        let mut d = self.head.restore()?;
        self.tail.restore_into(&mut d);
        Some(d)
    }
}

impl KeptTail {
    /// Puts the tail's fields into `d`, a document restored from its head.
    pub fn restore_into(self, d: &mut Document) {
        d.ids = self.ids;
        d.internal_links = self
            .internal_links
            .into_iter()
            .map(|(path, fragment, at)| InternalLink {
                path,
                fragment,
                location: unlocation(at),
            })
            .collect();
        d.written_links = self
            .written_links
            .into_iter()
            .map(|(url, at)| WrittenLink {
                url,
                location: unlocation(at),
            })
            .collect();
        d.search_terms = self.search_terms;
    }
}

impl KeptHead {
    /// [`KeptDoc::restore`] without the tail: no ids, links or search
    /// terms (and no notes).
    pub fn restore(self) -> Option<Document> {
        Some(Document {
            file: self.file,
            sidecar: self.sidecar,
            section: None,
            section_folder: self.section_folder,
            slug: self.slug,
            path: self.path,
            title: self.title,
            date: self.date.map(undate),
            source: self.source,
            original_url: self.original_url,
            archive_url: self.archive_url,
            archived: self.archived.map(undate),
            archive_sha256: self.archive_sha256,
            authors: self.authors,
            tags: Vec::new(),
            written_tags: self.written_tags,
            description: self.description,
            draft: self.draft,
            toc_setting: self.toc_setting,
            menu: self.menu,
            extra: serde_json::from_str(&self.extra).ok()?,
            content_html: String::new(),
            summary_html: self.summary_html,
            summary_text: self.summary_text,
            toc: self
                .toc
                .into_iter()
                .map(|(level, id, title)| Heading { level, id, title })
                .collect(),
            // Kept beside the head ([`super::KeptNotes`]).
            notes: Vec::new(),
            word_count: self.word_count,
            ids: Vec::new(),
            internal_links: Vec::new(),
            written_links: Vec::new(),
            fixes: self
                .fixes
                .into_iter()
                .map(|(sidecar, line, old, new, similarity)| QuoteFix {
                    sidecar,
                    line,
                    old,
                    new,
                    similarity,
                })
                .collect(),
            search_terms: Default::default(),
            versions: None,
            spilled: None,
        })
    }
}
