//! Routes: every output of the site as a typed value that knows its output
//! path and its URL. This is the only place an output path is spelled out.
//!
//! A [`Route`] names an output by what it is (the second page of tag
//! `iran`, the feed of source `nyt`), with stable string keys rather than
//! indices into the model, so it is the same value from one build to the
//! next: the dev server and the build cache key what an output read by it.
//!
//! Site paths ("dirs") are relative to the site root, `/`-terminated and
//! without a leading slash (`articles/x/`; the home page is ""). Output
//! paths are relative files (`articles/x/index.html`, `atom.xml`).
//!
//! Adding a kind of output: a variant here (its path in [`Route::path`]),
//! a job that renders it (`crate::render::Job`), and its template.

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The page file every clean URL is served from.
pub const INDEX: &str = "index.html";

/// One output of the site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Route {
    /// An article or standalone page at its site path (`articles/x/`).
    Document {
        dir: String,
    },
    /// Page `page` (1-based) of a paginated listing.
    Listing {
        list: ListRoute,
        page: usize,
    },
    /// `<list>/page/1/`: a small page that sends the browser to `<list>/`.
    FirstPage(ListRoute),
    /// `/tags/`: every tag.
    TagIndex,
    /// `/sources/`: every source with its counts.
    SourceIndex,
    /// `/stats/`: the archive at a glance, drawn.
    Stats,
    /// `/sources/<slug>/atom.xml`.
    SourceFeed {
        slug: String,
    },
    /// `/atom.xml`.
    Feed,
    Sitemap,
    /// File `k` (1-based) of a sitemap split past 50,000 URLs.
    SitemapPart {
        k: usize,
    },
    /// Annotation page `part` (1-based) of the document at `dir`.
    AnnotationPage {
        dir: String,
        part: usize,
    },
    /// The search terms starting with `key`.
    SearchShard {
        key: String,
    },
    /// The search fragment of document `doc`.
    SearchDoc {
        doc: usize,
    },
    /// The result heads of a run of documents (`group` counts runs).
    SearchHeads {
        group: usize,
    },
    Robots,
    NotFound,
    /// `/annotations.jsonld`: every note as a W3C Web Annotation.
    Annotations,
    /// `/search-index.json`.
    SearchIndex,
    /// `/highlight.css`: the generated stylesheet for highlighted code.
    HighlightCss,
    /// `/kinds.css`: the note kinds' colours, rendered from the theme's
    /// `kinds.css` template (one file every page links, rather than the
    /// same rules inline in each).
    KindsCss,
    /// `/claims/atom.xml`: the newest rated claims (DESIGN §11).
    ClaimsFeed,
    /// `/notes.csv`: every note as a spreadsheet row (DESIGN §11).
    NotesCsv,
    /// An earlier snapshot of the article at `dir` (DESIGN §10):
    /// `<dir>versions/<stem>/`.
    Snapshot {
        dir: String,
        stem: String,
    },
    /// What changed between the snapshots of the article at `dir`:
    /// `<dir>changes/`.
    DocChanges {
        dir: String,
    },
    /// `/changes/`: every change of the archive, newest first.
    Changes,
    /// `/changes/atom.xml`.
    ChangesFeed,
    /// A file copied as it is (from `static/`, beside an article, or the
    /// theme's `static/`), at this output path.
    Copy {
        path: String,
    },
}

/// A paginated listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ListRoute {
    /// The home page's latest articles.
    Home,
    /// A section at its site path (`articles/`).
    Section { dir: String },
    /// `/tags/<slug>/`.
    Tag { slug: String },
    /// `/sources/<slug>/`: articles from a source and notes citing it.
    Source { slug: String },
    /// `/claims/`: every rated claim, newest first.
    Claims,
}

impl ListRoute {
    /// The site path of its first page.
    pub fn dir(&self) -> String {
        match self {
            ListRoute::Home => String::new(),
            ListRoute::Section { dir } => dir.clone(),
            ListRoute::Tag { slug } => tag_dir(slug),
            ListRoute::Source { slug } => source_dir(slug),
            ListRoute::Claims => CLAIMS_DIR.into(),
        }
    }

    /// The site path of page `page` (1-based; page 1 is the list's own).
    pub fn page_dir(&self, page: usize) -> String {
        let base = self.dir();
        if page <= 1 {
            base
        } else {
            format!("{base}page/{page}/")
        }
    }

    /// The URL of page `page`.
    pub fn page_url(&self, config: &Config, page: usize) -> String {
        config.url(&self.page_dir(page))
    }
}

impl Route {
    /// The output file, relative to the output folder.
    pub fn path(&self) -> String {
        match self {
            Route::Document { dir } => format!("{dir}{INDEX}"),
            Route::Listing { list, page } => format!("{}{INDEX}", list.page_dir(*page)),
            Route::FirstPage(list) => format!("{}page/1/{INDEX}", list.dir()),
            Route::TagIndex => format!("{}{INDEX}", tags_dir()),
            Route::SourceIndex => format!("{}{INDEX}", sources_dir()),
            Route::Stats => format!("{}{INDEX}", stats_dir()),
            Route::SourceFeed { slug } => source_feed_path(slug),
            Route::Feed => FEED.into(),
            Route::Sitemap => "sitemap.xml".into(),
            Route::SitemapPart { k } => format!("sitemap-{k}.xml"),
            Route::AnnotationPage { dir, part } => annotation_page_path(dir, *part),
            Route::SearchShard { key } => {
                let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
                format!("search-index/t/{hex}.json")
            }
            Route::SearchDoc { doc } => format!("search-index/d/{doc}.json"),
            Route::SearchHeads { group } => format!("search-index/h/{group}.json"),
            Route::Robots => "robots.txt".into(),
            Route::NotFound => "404.html".into(),
            Route::Annotations => ANNOTATIONS.into(),
            Route::SearchIndex => SEARCH_INDEX.into(),
            Route::HighlightCss => HIGHLIGHT_CSS.into(),
            Route::KindsCss => KINDS_CSS.into(),
            Route::ClaimsFeed => format!("{CLAIMS_DIR}{FEED}"),
            Route::NotesCsv => NOTES_CSV.into(),
            Route::Snapshot { dir, stem } => {
                format!("{dir}{}/{stem}/{INDEX}", crate::paths::VERSIONS_DIR)
            }
            Route::DocChanges { dir } => format!("{dir}{CHANGES_DIR}{INDEX}"),
            Route::Changes => format!("{CHANGES_DIR}{INDEX}"),
            Route::ChangesFeed => format!("{CHANGES_DIR}{FEED}"),
            Route::Copy { path } => path.clone(),
        }
    }

    /// The site path a browser asks for: the folder of a page
    /// (`articles/x/`), the file itself otherwise.
    pub fn url_path(&self) -> String {
        let p = self.path();
        match p.strip_suffix(INDEX) {
            Some(dir) if dir.is_empty() || dir.ends_with('/') => dir.to_string(),
            _ => p,
        }
    }

    /// The absolute (or root-relative, without a `base_url`) URL.
    pub fn url(&self, config: &Config) -> String {
        config.url(&self.url_path())
    }

    /// Where the route stands in the sitemap, when it is listed there: the
    /// sitemap lists the pages a reader enters by (each list's first page,
    /// each document, the indexes), grouped by this rank and in the plan's
    /// order within a group. `None`: not listed (later pages of a list,
    /// redirects, snapshots, feeds, data files, copies).
    pub fn sitemap_rank(&self) -> Option<u8> {
        Some(match self {
            Route::Listing { list, page: 1 } => match list {
                ListRoute::Home => 0,
                ListRoute::Section { .. } => 2,
                ListRoute::Tag { .. } => 4,
                ListRoute::Source { .. } => 6,
                ListRoute::Claims => 7,
            },
            Route::Document { .. } => 1,
            Route::TagIndex => 3,
            Route::SourceIndex => 5,
            Route::Stats => 8,
            Route::Listing { .. }
            | Route::FirstPage(_)
            | Route::SourceFeed { .. }
            | Route::Feed
            | Route::Sitemap
            | Route::SitemapPart { .. }
            | Route::AnnotationPage { .. }
            | Route::SearchShard { .. }
            | Route::SearchDoc { .. }
            | Route::SearchHeads { .. }
            | Route::Robots
            | Route::NotFound
            | Route::Annotations
            | Route::SearchIndex
            | Route::HighlightCss
            | Route::KindsCss
            | Route::ClaimsFeed
            | Route::NotesCsv
            | Route::Snapshot { .. }
            | Route::DocChanges { .. }
            | Route::Changes
            | Route::ChangesFeed
            | Route::Copy { .. } => return None,
        })
    }

    /// A page a person reads (HTML), as opposed to a feed, data or copy.
    pub fn is_page(&self) -> bool {
        self.path().ends_with(".html")
    }
}

/// `/atom.xml`.
pub const FEED: &str = "atom.xml";
/// `/annotations.jsonld`.
pub const ANNOTATIONS: &str = "annotations.jsonld";
/// `/search-index.json`.
pub const SEARCH_INDEX: &str = "search-index.json";
/// `/highlight.css`.
pub const HIGHLIGHT_CSS: &str = "highlight.css";
/// `/kinds.css`.
pub const KINDS_CSS: &str = "kinds.css";
/// `/sitemap.xml`.
pub const SITEMAP: &str = "sitemap.xml";
/// `claims/`: every rated claim.
pub const CLAIMS_DIR: &str = "claims/";
/// `changes/`: what changed (site-wide, and below each article).
pub const CHANGES_DIR: &str = "changes/";
/// `/notes.csv`.
pub const NOTES_CSV: &str = "notes.csv";

/// `tags/`.
/// Annotation page `part` (1-based) of the document at `dir`:
/// `annotations.jsonld` beside its page, then `annotations-2.jsonld`, …
pub fn annotation_page_path(dir: &str, part: usize) -> String {
    if part <= 1 {
        format!("{dir}{ANNOTATIONS}")
    } else {
        format!("{dir}annotations-{part}.jsonld")
    }
}

pub fn tags_dir() -> &'static str {
    "tags/"
}

/// `sources/`.
pub fn sources_dir() -> &'static str {
    "sources/"
}

/// `stats/`.
pub fn stats_dir() -> &'static str {
    "stats/"
}

/// `tags/<slug>/`.
pub fn tag_dir(slug: &str) -> String {
    format!("tags/{slug}/")
}

/// `sources/<slug>/`.
pub fn source_dir(slug: &str) -> String {
    format!("sources/{slug}/")
}

/// `sources/<slug>/atom.xml`.
pub fn source_feed_path(slug: &str) -> String {
    format!("sources/{slug}/{FEED}")
}

/// The site path of a section folder (relative to `content/`): each part
/// slugified, `/`-terminated ("" for the content root).
pub fn section_dir(folder: &str) -> String {
    let mut s = String::new();
    for part in folder.split('/').filter(|p| !p.is_empty()) {
        let slug = slug::slugify(part);
        s.push_str(if slug.is_empty() { "section" } else { &slug });
        s.push('/');
    }
    s
}

/// The site path of a document: `<section>/<slug>/`, or `<slug>/` for a
/// standalone page.
pub fn document_dir(section_folder: Option<&str>, slug: &str) -> String {
    match section_folder {
        Some(folder) => format!("{}{slug}/", section_dir(folder)),
        None => format!("{slug}/"),
    }
}

/// The output path of a file copied beside the page at `dir`, or under the
/// output root when `dir` is "".
pub fn file_in(dir: &str, rel: &str) -> String {
    format!("{dir}{rel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls() {
        let tag = ListRoute::Tag {
            slug: "iran".into(),
        };
        assert_eq!(
            Route::Listing {
                list: tag.clone(),
                page: 1
            }
            .path(),
            "tags/iran/index.html"
        );
        assert_eq!(
            Route::Listing {
                list: tag.clone(),
                page: 3
            }
            .path(),
            "tags/iran/page/3/index.html"
        );
        assert_eq!(
            Route::FirstPage(ListRoute::Home).path(),
            "page/1/index.html"
        );
        assert_eq!(
            Route::Listing {
                list: ListRoute::Home,
                page: 1
            }
            .url_path(),
            ""
        );
        assert_eq!(Route::NotFound.url_path(), "404.html");
        assert_eq!(
            Route::SourceFeed { slug: "nyt".into() }.path(),
            "sources/nyt/atom.xml"
        );
        assert_eq!(section_dir("Long Reads/2021"), "long-reads/2021/");
        assert_eq!(Route::NotesCsv.path(), "notes.csv");
        assert_eq!(Route::ClaimsFeed.path(), "claims/atom.xml");
        assert_eq!(
            Route::Listing {
                list: ListRoute::Claims,
                page: 2
            }
            .path(),
            "claims/page/2/index.html"
        );
        assert_eq!(document_dir(Some("articles"), "x"), "articles/x/");
        assert_eq!(document_dir(None, "about"), "about/");
    }
}
