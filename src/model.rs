//! Model: the typed site that the render stage reads. No I/O here.
//!
//! A [`Site`] is built by [`crate::site::load`] and then only read: the
//! render stage and the dev server never reach back into loading.

use std::path::PathBuf;

use crate::config::Config;
use crate::frontmatter::Date;
use crate::markdown::{Heading, InternalLink, Note, QuoteFix};
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
    pub written_links: Vec<crate::markdown::WrittenLink>,
    pub fixes: Vec<QuoteFix>,
    /// Its terms for the search index, kept when its HTML is dropped.
    pub search_terms: crate::render::search::Terms,
    /// Its earlier snapshots and what changed, for a bundle with a
    /// `versions/` folder (DESIGN §10).
    pub versions: Option<Box<crate::versions::Versions>>,
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

    /// Minutes to read at 220 words a minute, at least 1.
    pub fn reading_minutes(&self) -> usize {
        self.word_count.div_ceil(220).max(1)
    }
}

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

/// Where a note sits: document index, note index.
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

    pub fn note_count(&self) -> usize {
        self.documents.iter().map(|d| d.notes.len()).sum()
    }
}
