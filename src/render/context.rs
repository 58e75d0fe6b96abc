//! The template context: typed structs serialised for Tera. These are the
//! theme API, documented in the README ("Template context"); change them
//! with the README.
//!
//! Listing items are built once per article ([`Catalogue`]) as Tera values
//! and shared by every listing, tag, source and home page that shows the
//! article: a Tera value clone is a reference-count bump, not a copy.

use std::collections::HashMap;

use serde::Serialize;
use tera::Value;

use crate::model::{Document, Section, Site};
use crate::sources::Source;

/// `site`: the configuration and site-wide facts, in every template.
#[derive(Serialize)]
pub struct SiteCtx<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub base_url: &'a str,
    pub language: &'a str,
    pub author: Option<&'a str>,
    pub extra: &'a serde_json::Value,
    /// The home page's URL.
    pub url: String,
    pub feed_url: String,
    pub search_index_url: String,
    pub annotations_url: String,
    pub sources_url: String,
    pub tags_url: String,
    /// `/stats/`: the archive's charts.
    pub stats_url: String,
    /// The generated stylesheet for highlighted code.
    pub highlight_css_url: String,
    /// The note kinds' colours (the theme's `kinds.css` template).
    pub kinds_css_url: String,
    /// Top-level sections.
    pub sections: Vec<SectionLink>,
    /// The navigation: site.yaml's `menu:`, or the top-level sections and
    /// the pages marked `menu: true`.
    pub menu: Vec<crate::menu::MenuLink>,
    pub article_count: usize,
    pub note_count: usize,
    pub source_count: usize,
    pub tag_count: usize,
    pub generator: &'static str,
    /// Note kinds, built in and declared (`kinds:` in site.yaml).
    pub kinds: &'a [crate::config::NoteKind],
}

#[derive(Serialize, Clone)]
pub struct SectionLink {
    pub title: String,
    pub url: String,
    pub article_count: usize,
}

#[derive(Serialize, Clone)]
pub struct SourceLink {
    pub key: String,
    pub name: String,
    pub kind: &'static str,
    /// The source's page on this site.
    pub url: String,
    /// The source's own web address.
    pub website: Option<String>,
}

#[derive(Serialize, Clone)]
pub struct TagLink {
    pub name: String,
    pub slug: String,
    pub url: String,
}

#[derive(Serialize, Clone)]
pub struct DocLink {
    pub title: String,
    pub url: String,
}

/// A note as templates see it.
#[derive(Serialize, Clone)]
pub struct NoteCtx {
    pub id: String,
    pub number: usize,
    pub kind: Option<String>,
    /// The passage as it reads in the article.
    pub quote: String,
    pub prefix: String,
    pub suffix: String,
    /// The note, rendered (HTML).
    pub body: String,
    pub sources: Vec<SourceLink>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub date_display: Option<String>,
    pub tags: Vec<String>,
    /// A deep link to the passage: `<article url>#<id>`.
    pub url: String,
    /// A fact-check verdict: `{label, value, best, worst}` (DESIGN §11).
    pub rating: Option<crate::model::Rating>,
    /// Set for a note out of its article (a source's page) that was
    /// written on an earlier snapshot whose passage is no longer in the
    /// latest (DESIGN §10): `url` then links its aside on the latest page,
    /// and `quote` is the passage as it read on that snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_since: Option<WrittenOn>,
}

/// The snapshot a note changed since noted was written on.
#[derive(Serialize, Clone)]
pub struct WrittenOn {
    /// Its name (`2021-05-04`).
    pub version: String,
    /// The note in place on that snapshot's page.
    pub url: String,
}

/// A note kind as used on one page.
#[derive(Serialize)]
pub struct PageKind {
    pub key: String,
    pub label: String,
    pub help: Option<String>,
    pub count: usize,
    /// Declared in site.yaml or built in; an undeclared kind is shown in a
    /// neutral style (and the build warns).
    pub declared: bool,
}

/// The author of some of a page's notes: a note's `author`, else the site's
/// `author`, else "Unsigned".
#[derive(Serialize)]
pub struct NoteAuthor {
    pub name: String,
    pub count: usize,
    /// The `id`s of their notes' asides (`note-n3`).
    pub notes: Vec<String>,
}

/// `page`: an article or standalone page.
#[derive(Serialize)]
pub struct PageCtx<'a> {
    pub title: &'a str,
    pub url: String,
    /// Site path, `articles/x/`.
    pub path: &'a str,
    pub slug: &'a str,
    pub is_article: bool,
    pub date: Option<String>,
    pub date_display: Option<String>,
    pub source: Option<SourceLink>,
    pub original_url: Option<&'a str>,
    pub archive_url: Option<&'a str>,
    pub archived: Option<String>,
    pub archived_display: Option<String>,
    /// The captured page as plain text (`original.html.txt`), for a bundle
    /// made by `archive`; never the HTML itself (see load::evidence_dest).
    pub original_copy: Option<String>,
    pub archive_sha256: Option<&'a str>,
    pub authors: &'a [String],
    pub tags: Vec<TagLink>,
    pub description: Option<&'a str>,
    /// The summary (HTML).
    pub summary: &'a str,
    /// The rendered body with its marks and margin notes (HTML).
    pub content: &'a str,
    pub toc: &'a [crate::model::Heading],
    pub notes: Vec<NoteCtx>,
    /// The distinct note kinds on the page, in order of first use (for a legend).
    pub note_kinds: Vec<String>,
    /// The same kinds with their label, help and how many notes have each.
    pub kinds: Vec<PageKind>,
    /// Who wrote the page's notes, in order of first note, with the ids of
    /// their notes' asides (for the reader's filter).
    pub note_authors: Vec<NoteAuthor>,
    /// Whether to show the table of contents: front matter `toc`, else
    /// whether the page has at least three headings.
    pub show_toc: bool,
    pub word_count: usize,
    pub reading_minutes: usize,
    pub section: Option<SectionLink>,
    /// The next older and next newer article of the same section.
    pub earlier: Option<DocLink>,
    pub later: Option<DocLink>,
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
    /// The Markdown file, relative to the site root.
    pub file: String,
    /// The page's notes as a W3C Web Annotation page (JSON-LD); `None`
    /// without notes.
    pub annotations_url: Option<String>,
    /// Its earlier snapshots and the diff page (DESIGN §10); `None` for an
    /// article with one version.
    pub versions: Option<super::versions::VersionsCtx>,
    /// Articles with numbered notes: an inline SVG strip of where in the
    /// text they fall (DESIGN §12).
    pub note_map: Option<String>,
}

/// `head` in every template: what the page's `<head>` tells search
/// engines, social previews and reference managers (DESIGN §11).
#[derive(Serialize, Clone)]
pub struct HeadCtx {
    /// The page's own title (`og:title`), without the site's name.
    pub title: String,
    pub description: String,
    /// `og:type`: `article` on articles, `website` elsewhere.
    pub og_type: &'static str,
    /// The canonical URL (absolute when `base_url` is).
    pub url: String,
    /// `article:published_time` (articles with a date).
    pub published_time: Option<String>,
    /// The feeds that cover this page (`<link rel="alternate">`).
    pub feeds: Vec<FeedLink>,
    /// Articles: schema.org JSON-LD blocks, each safe inside a `<script>`.
    pub json_ld: Vec<String>,
    /// Articles: `citation_*` meta tags as `[name, content]`.
    pub citation_meta: Vec<(String, String)>,
}

#[derive(Serialize, Clone)]
pub struct FeedLink {
    pub title: String,
    pub url: String,
}

/// One page of a paginated listing.
#[derive(Serialize)]
pub struct Paginator {
    pub current: usize,
    pub total_pages: usize,
    pub total_items: usize,
    pub per_page: usize,
    /// The listing items of this page (see `ArticleItem`).
    pub items: Vec<Value>,
    pub first_url: String,
    pub last_url: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub pages: Vec<PageNumber>,
}

#[derive(Serialize)]
pub struct PageNumber {
    pub number: usize,
    pub url: String,
    pub current: bool,
}

/// An article in a listing. The values are made once per site and cloned
/// in (a clone is a reference count: Tera's serialiser passes a `Value`
/// through as it is): a source's, section's and tag's link, and each
/// article's dates.
#[derive(Serialize)]
pub struct ArticleItem<'a> {
    pub title: &'a str,
    pub url: String,
    /// `Option<String>`: the ISO date.
    pub date: Value,
    /// `Option<String>`: "4 May 2021".
    pub date_display: Value,
    /// `Option<SourceLink>`.
    pub source: Value,
    pub authors: &'a [String],
    /// `Vec<TagLink>`.
    pub tags: Value,
    pub description: Option<&'a str>,
    /// HTML.
    pub summary: &'a str,
    pub note_count: usize,
    /// `Option<SectionLink>`.
    pub section: Value,
}

/// `section`: a section (or the home page) being listed.
#[derive(Serialize)]
pub struct SectionCtx<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub url: String,
    pub path: &'a str,
    /// The `_index.md` text (HTML).
    pub content: &'a str,
    pub article_count: usize,
    pub subsections: Vec<SectionLink>,
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
}

/// A source in `/sources/` and on its own page.
#[derive(Serialize, Clone)]
pub struct SourceSummary {
    pub key: String,
    pub name: String,
    pub kind: &'static str,
    pub url: String,
    pub website: Option<String>,
    pub description: Option<String>,
    pub aliases: Vec<String>,
    pub affiliation: Option<SourceLink>,
    pub article_count: usize,
    pub note_count: usize,
}

/// `sources` in sources.html: the sources grouped by kind.
#[derive(Serialize)]
pub struct SourceGroup {
    pub kind: &'static str,
    pub label: &'static str,
    pub sources: Vec<SourceSummary>,
}

/// The notes of one article that cite a source.
#[derive(Serialize)]
pub struct ArticleNotes {
    pub article: Value,
    pub notes: Vec<NoteCtx>,
}

/// `source` in source.html.
#[derive(Serialize)]
pub struct SourceCtx {
    #[serde(flatten)]
    pub summary: SourceSummary,
    /// Sources whose affiliation is this one.
    pub members: Vec<SourceLink>,
    /// Articles that come from this source (listing items).
    pub articles: Vec<Value>,
    /// Every note citing it, grouped by article (newest first).
    pub notes_by_article: Vec<ArticleNotes>,
    pub feed_url: String,
    /// Its articles and citing notes per month, drawn (none when nothing
    /// dated refers to it, and on pages after the first).
    pub timeline: Option<crate::charts::Drawn>,
    /// On pages after the first, where the timeline is (page 1's URL and
    /// the chart's anchor); none when there is no timeline.
    pub timeline_url: Option<String>,
    /// How many of its articles changed after capture (DESIGN §10).
    pub changed_articles: usize,
    /// How many of those changes added a correction or update notice.
    pub changes_with_notice: usize,
}

/// `tags` in tags.html, and `tag` in tag.html.
#[derive(Serialize, Clone)]
pub struct TagCtx {
    pub name: String,
    pub slug: String,
    pub url: String,
    pub count: usize,
}

/// Links and listing items computed once per site (and, in the dev
/// server, updated per document).
#[derive(Clone)]
pub struct Catalogue {
    pub source_links: Vec<SourceLink>,
    pub section_links: Vec<SectionLink>,
    /// The same links as template values, for the listing items to share.
    source_values: Vec<Value>,
    section_values: Vec<Value>,
    /// Each tag's link as a value, by the name the site spells it with.
    tag_values: HashMap<String, Value>,
    /// Parallel to `site.documents` (pages get an item too, unused); `None`
    /// for a document not rendered yet (the dev server's partial site).
    /// An item keeps only what is dear to make again; the rest is taken
    /// from its document when a listing shows it ([`Catalogue::item_value`]).
    /// A whole `Value` per document was ~4 KB an article held through the
    /// render; made from nothing per listing, it cost 15 % of a warm
    /// build's time (slugs, dates and URLs made again on every listing).
    /// Note contexts are not kept: they are made when a page needs them,
    /// since holding every note twice costs more memory than making them.
    pub items: Vec<Option<Item>>,
}

/// What a listing item keeps of its document between listings: its dates
/// and tag links, made once. Usually no heap at all besides the tags'
/// array (a short date is held inline by Tera's string).
#[derive(Clone)]
pub struct Item {
    date: Value,
    date_display: Value,
    tags: Value,
}

impl Catalogue {
    pub fn new(site: &Site) -> Catalogue {
        let mut cat = Catalogue::links_only(site);
        cat.items = {
            use rayon::prelude::*;
            site.documents
                .par_iter()
                .map(|d| Some(cat.item(site, d)))
                .collect()
        };
        cat
    }

    /// The source and section links alone, without listing items (enough
    /// to render documents' own pages).
    pub fn links_only(site: &Site) -> Catalogue {
        let config = &site.config;
        let source_links: Vec<SourceLink> = site
            .registry
            .all()
            .iter()
            .map(|s| source_link(s, config))
            .collect();
        let section_links: Vec<SectionLink> = site
            .sections
            .iter()
            .map(|s| section_link(s, config))
            .collect();
        let tag_values = site
            .tags
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    Value::from_serializable(&tag_link(site, &t.name)),
                )
            })
            .collect();
        Catalogue {
            source_values: source_links.iter().map(Value::from_serializable).collect(),
            section_values: section_links.iter().map(Value::from_serializable).collect(),
            source_links,
            section_links,
            tag_values,
            items: Vec::new(),
        }
    }

    /// Recomputes the listing item of document `i` after it changed (or
    /// moved). Other documents' entries do not depend on it, as long as the
    /// section links are current.
    pub fn update_document(&mut self, site: &Site, i: usize) {
        let d = &site.documents[i];
        self.items[i] = Some(self.item(site, d));
    }

    /// Recomputes the section links (titles, URLs and article counts).
    /// Returns the sections whose link changed: every listing item of an article
    /// in one of them is then stale too.
    pub fn refresh_section_links(&mut self, site: &Site) -> Vec<usize> {
        let links: Vec<SectionLink> = site
            .sections
            .iter()
            .map(|s| section_link(s, &site.config))
            .collect();
        let changed = (0..links.len())
            .filter(|&i| {
                self.section_links.get(i).is_none_or(|old| {
                    old.title != links[i].title
                        || old.url != links[i].url
                        || old.article_count != links[i].article_count
                })
            })
            .collect();
        self.section_values = links.iter().map(Value::from_serializable).collect();
        self.section_links = links;
        changed
    }

    /// Puts the per-document entries in a new order: entry `order[k]`
    /// becomes entry `k` (after documents were re-sorted the same way).
    pub fn reorder(&mut self, order: &[usize]) {
        let mut items = std::mem::take(&mut self.items);
        self.items = order.iter().map(|&i| items[i].take()).collect();
    }

    /// Document `i`'s listing item as templates see it (`none` while it
    /// has no item).
    pub fn item_value(&self, site: &Site, i: usize) -> Value {
        let (Some(Some(item)), Some(d)) = (self.items.get(i), site.documents.get(i)) else {
            return Value::none();
        };
        Value::from_serializable(&ArticleItem {
            title: &d.title,
            url: site.config.url(&d.path),
            date: item.date.clone(),
            date_display: item.date_display.clone(),
            source: self.source_value(site, d.source.as_deref()),
            authors: &d.authors,
            tags: item.tags.clone(),
            description: d.description.as_deref(),
            summary: &d.summary_html,
            note_count: d.note_count(),
            section: d
                .section
                .and_then(|s| self.section_values.get(s).cloned())
                .unwrap_or_else(Value::none),
        })
    }

    fn source_value(&self, site: &Site, key: Option<&str>) -> Value {
        key.and_then(|k| site.registry.index_of(k))
            .and_then(|i| self.source_values.get(i).cloned())
            .unwrap_or_else(Value::none)
    }

    pub fn source_of(&self, site: &Site, key: Option<&str>) -> Option<SourceLink> {
        key.and_then(|k| site.registry.index_of(k))
            .map(|i| self.source_links[i].clone())
    }

    pub fn tags_of(&self, site: &Site, doc: &Document) -> Vec<TagLink> {
        doc.tags.iter().map(|name| tag_link(site, name)).collect()
    }

    fn item(&self, site: &Site, d: &Document) -> Item {
        let tags: Vec<Value> = d
            .tags
            .iter()
            .map(|name| match self.tag_values.get(name) {
                Some(v) => v.clone(),
                // A tag the site did not have when the catalogue was made
                // (the dev server): its own value.
                None => Value::from_serializable(&tag_link(site, name)),
            })
            .collect();
        Item {
            date: d.date.as_ref().map(|x| x.iso()).into(),
            date_display: d.date.as_ref().map(|x| x.display()).into(),
            tags: tags.into(),
        }
    }

    /// The template view of every note of a document, in reading order.
    pub fn notes_of(&self, site: &Site, d: &Document) -> Vec<NoteCtx> {
        let page_url = site.config.url(&d.path);
        d.notes
            .iter()
            .map(|n| self.note(site, &page_url, n))
            .collect()
    }

    /// The template view of one note of the page at `page_url`.
    pub fn note(&self, site: &Site, page_url: &str, n: &crate::model::Note) -> NoteCtx {
        NoteCtx {
            id: n.id.clone(),
            number: n.number,
            kind: n.kind.clone(),
            quote: n.quote.clone(),
            prefix: n.prefix.clone(),
            suffix: n.suffix.clone(),
            body: n.body_html.clone(),
            sources: n
                .sources
                .iter()
                .filter_map(|k| {
                    site.registry
                        .index_of(k)
                        .map(|i| self.source_links[i].clone())
                })
                .collect(),
            author: n.author.clone(),
            date: n.date.as_ref().map(|x| x.iso()),
            date_display: n.date.as_ref().map(|x| x.display()),
            tags: n.tags.clone(),
            url: format!("{page_url}#{}", n.id),
            rating: n.rating.clone(),
            changed_since: None,
        }
    }

    /// The template view of note `j` of document `d`'s `notes` (as
    /// [`Document::read_notes`] gives them), out of its article: a note
    /// changed since noted links its aside and says the snapshot it was
    /// written on.
    pub fn note_at(
        &self,
        site: &Site,
        d: &Document,
        notes: &crate::model::DocNotes,
        j: usize,
    ) -> Option<NoteCtx> {
        let n = notes.at(j)?;
        let page_url = site.config.url(&d.path);
        let mut ctx = self.note(site, &page_url, n);
        if d.is_changed_note(j) {
            ctx.url = d.note_link(&page_url, j, &n.id);
            ctx.changed_since = n.version.as_ref().map(|v| WrittenOn {
                version: v.clone(),
                url: format!(
                    "{}#{}",
                    crate::routes::Route::Snapshot {
                        dir: d.path.clone(),
                        stem: v.clone(),
                    }
                    .url(&site.config),
                    n.id
                ),
            });
        }
        Some(ctx)
    }
}

/// A tag's link, by the name the site spells it with.
fn tag_link(site: &Site, name: &str) -> TagLink {
    let slug = slug::slugify(name);
    TagLink {
        url: site.config.url(&crate::routes::tag_dir(&slug)),
        name: name.to_string(),
        slug,
    }
}

pub fn source_link(s: &Source, config: &crate::config::Config) -> SourceLink {
    SourceLink {
        key: s.key.clone(),
        name: s.name.clone(),
        kind: s.kind.as_str(),
        url: config.url(&crate::routes::source_dir(&s.slug)),
        website: s.url.clone(),
    }
}

pub fn section_link(s: &Section, config: &crate::config::Config) -> SectionLink {
    SectionLink {
        title: s.title.clone(),
        url: config.url(&s.path),
        article_count: s.articles.len(),
    }
}
