//! What each render job reads: the record that lets the dev server
//! re-render exactly the outputs whose inputs changed, and that a
//! persistent build cache can key on.
//!
//! Every [`Job`] declares its inputs here, next to the code that renders
//! it; the declaration must name everything the render looks at (an input
//! left out is a page that goes stale in `serve`, which the property test
//! in `tests/pipeline.rs` catches). Inputs are named by stable keys
//! (document files, route keys, template names), never by indices, so a
//! record means the same from one build to the next. What an input's
//! value is (a revision in memory, a content hash on disk) is up to
//! whoever keeps the record.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use siphasher::sip128::{Hasher128, SipHasher13};

use super::{Job, List, Renderer, list_route};
use crate::model::Section;
use crate::routes::ListRoute;

/// One thing an output is made from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Input {
    /// The configuration (site.yaml with the command line's overrides).
    Config,
    /// The `site` value every template gets: the configuration and the
    /// site-wide counts and navigation.
    Site,
    /// A template, with every template it extends, includes or imports.
    Template(String),
    /// A document (by its file): front matter, rendered body and notes.
    Document(PathBuf),
    /// How a document appears in listings (title, URL, summary, tags,
    /// source, section, note count).
    Item(PathBuf),
    /// Which documents page `page` of a listing shows, and how many the
    /// listing holds in all.
    ListPage { list: ListRoute, page: usize },
    /// A section's own text and settings, its count and its subsections.
    Section(String),
    /// The link to a section (title, URL, count) shown on its articles.
    SectionLink(String),
    /// A tag's name and count.
    Tag(String),
    /// Every tag's name and count.
    Tags,
    /// The source registry (`sources.yaml`).
    Registry,
    /// A source's uses (articles from it, notes citing it), by slug.
    Source(String),
    /// Every document, in site order (for the sitemap and the data files).
    AllDocuments,
    /// A file copied as it is, relative to the site root (`builtin:` and
    /// the path for a file of the embedded theme).
    File(String),
}

impl Renderer<'_> {
    /// Everything `job` reads, in a stable order.
    pub fn reads(&self, job: &Job) -> Vec<Input> {
        let site = self.site;
        let doc = |i: usize| Input::Document(site.documents[i].file.clone());
        let item = |i: usize| Input::Item(site.documents[i].file.clone());
        let template = |job: &Job| job.template(site).map(|t| Input::Template(t.to_string()));
        let mut r = Vec::new();
        if let Some(t) = template(job) {
            r.push(Input::Site);
            r.push(t);
        }
        match job {
            Job::Document(i) => {
                let d = &site.documents[*i];
                r.push(doc(*i));
                // The body holds the asides the note partial wrote.
                r.push(Input::Template(crate::markdown::NOTE_PARTIAL.to_string()));
                r.push(Input::Registry);
                if let Some(s) = d.section {
                    let sec = &site.sections[s];
                    r.push(Input::SectionLink(sec.path.clone()));
                    if let Some(pos) = sec.articles.iter().position(|&x| x == *i) {
                        if let Some(&j) = sec.articles.get(pos + 1) {
                            r.push(item(j));
                        }
                        if let Some(j) = pos.checked_sub(1).map(|p| sec.articles[p]) {
                            r.push(item(j));
                        }
                    }
                }
            }
            Job::Listing { list, page } => {
                let (members, per_page) = self.members(*list);
                r.push(Input::ListPage {
                    list: list_route(site, *list),
                    page: *page,
                });
                let on_page = page_slice(&members, per_page, *page);
                r.extend(on_page.iter().map(|&i| item(i)));
                match list {
                    List::Home => r.push(Input::Section(site.home.path.clone())),
                    List::Section(s) => r.push(Input::Section(site.sections[*s].path.clone())),
                    List::Tag(t) => r.push(Input::Tag(site.tags[*t].slug.clone())),
                    List::Source(s) => {
                        r.push(Input::Registry);
                        r.push(Input::Source(site.registry.all()[*s].slug.clone()));
                        // The notes citing it, shown under each article,
                        // and its timeline, drawn from the dates and kinds
                        // of every document that refers to it.
                        r.extend(members.iter().map(|&i| doc(i)));
                    }
                }
            }
            Job::FirstPageRedirect(_) | Job::Robots | Job::HighlightCss => r.push(Input::Config),
            Job::Tags => r.push(Input::Tags),
            Job::Sources => {
                r.push(Input::Registry);
                r.extend(
                    site.registry
                        .all()
                        .iter()
                        .map(|s| Input::Source(s.slug.clone())),
                );
            }
            // The site's kinds, as the template reads them from `site`.
            Job::NotFound | Job::KindsCss => {}
            Job::SiteFeed => {
                r.extend([Input::Config, Input::Registry]);
                let n = site.home.articles.len().min(site.config.feed_limit);
                r.extend(site.home.articles[..n].iter().map(|&i| doc(i)));
            }
            Job::SourceFeed(s) => {
                r.extend([
                    Input::Config,
                    Input::Registry,
                    Input::Source(site.registry.all()[*s].slug.clone()),
                ]);
                let entries = site.source_uses[*s].entries();
                let n = entries.len().min(site.config.feed_limit);
                r.extend(entries[..n].iter().map(|&i| doc(i)));
            }
            Job::ClaimsFirstPage => r.push(Input::Config),
            // A snapshot page links the latest and lists the versions; the
            // diff page compares them: all of it is the document's.
            Job::Snapshot { doc: i, .. } | Job::DocChanges(i) => {
                r.extend([Input::Registry, doc(*i)]);
            }
            // Any document can gain or lose a change.
            Job::Changes | Job::ChangesFeed => r.extend([Input::Config, Input::AllDocuments]),
            // The charts count every document's dates, kinds and sources.
            Job::Stats => r.extend([Input::Registry, Input::AllDocuments]),
            // Every rated note of the site, newest first: any document can
            // add, remove or move a claim.
            Job::Claims(_) | Job::ClaimsFeed | Job::NotesCsv => {
                r.extend([Input::Config, Input::Registry, Input::AllDocuments]);
            }
            // One document's search entry: its text, notes and source names.
            Job::SearchDoc(i) => r.extend([Input::Config, Input::Registry, doc(*i)]),
            // Result heads: the title, URL, date, source name and note ids
            // of each document of the run.
            Job::SearchHeads(g) => {
                r.extend([Input::Config, Input::Registry]);
                r.extend(super::search::head_range(*g, site.documents.len()).map(doc));
            }
            // An annotation page holds its document's notes and names the
            // pages before and after it (prev/next): the documents those
            // are in are read too, so a document gaining or losing notes
            // between them changes what is read.
            Job::AnnotationPage { doc: i, part } => {
                r.extend([Input::Config, Input::Registry, doc(*i)]);
                let prev = super::data::previous_page(site, *i, *part);
                let next = super::data::next_page(site, *i, *part);
                for (j, _) in prev.into_iter().chain(next) {
                    if j != *i {
                        r.push(doc(j));
                    }
                }
            }
            // A search shard holds a term's postings across every document.
            Job::SearchShard(_) => {
                r.extend([Input::Config, Input::Registry, Input::AllDocuments]);
            }
            Job::Sitemap | Job::SitemapPart(_) | Job::Annotations | Job::SearchIndex => {
                r.extend([
                    Input::Config,
                    Input::Registry,
                    Input::Tags,
                    Input::AllDocuments,
                ]);
            }
            Job::Asset(i) => r.push(Input::File(file_key(&site.assets[*i].file))),
            Job::ThemeStatic(i) => {
                let (path, source) = &self.templates.static_files[*i];
                r.push(Input::File(match source {
                    super::templates::StaticSource::Disk(p) => file_key(p),
                    super::templates::StaticSource::Embedded(_) => format!("builtin:{path}"),
                }));
            }
        }
        r
    }

    /// The documents a listing holds, and how many a page shows.
    pub fn members(&self, list: List) -> (Cow<'_, [usize]>, usize) {
        let site = self.site;
        match list {
            List::Home => (Cow::Borrowed(&site.home.articles), site.home.paginate_by),
            List::Section(i) => (
                Cow::Borrowed(&site.sections[i].articles),
                site.sections[i].paginate_by,
            ),
            List::Tag(i) => (
                Cow::Borrowed(&site.tags[i].articles),
                site.config.paginate_by,
            ),
            List::Source(i) => (
                Cow::Owned(
                    site.source_uses
                        .get(i)
                        .map(|u| u.entries())
                        .unwrap_or_default(),
                ),
                site.config.paginate_by,
            ),
        }
    }
}

/// The values of the inputs the site derives from its documents: which
/// documents a listing's page shows, a section's text and counts, a tag,
/// every tag, a source's uses. Hashed from content, one way for every
/// keeper of records (the dev server's fingerprints, the build cache's
/// ledger), so the two cannot disagree on what a page read. The other
/// inputs (configuration, the `site` value, templates, documents, files)
/// are valued by the keeper: a revision in memory, a content hash on disk.
pub struct Derived<'a> {
    renderer: &'a Renderer<'a>,
    /// Every listing of the site by its route, from the renderer's own
    /// list of them ([`Renderer::lists`]): no kind of list is named here.
    lists: HashMap<ListRoute, List>,
    /// By site path, the home page's section included.
    sections: HashMap<&'a str, &'a Section>,
    tags: HashMap<&'a str, usize>,
    all_tags: u128,
    /// Each source's value by slug, worked out once (every page of a
    /// source's listing reads it): its uses, and the note kinds used
    /// anywhere in the site, since every source page's timeline has a
    /// series for each ([`super::stats`]): a kind new to the site changes
    /// every source's pages.
    sources: HashMap<&'a str, u128>,
}

impl<'a> Derived<'a> {
    pub fn new(renderer: &'a Renderer<'a>) -> Derived<'a> {
        let site = renderer.site;
        let lists = renderer
            .lists()
            .into_iter()
            .map(|l| (list_route(site, l), l))
            .collect();
        let mut kinds: std::collections::BTreeSet<Option<String>> = Default::default();
        for d in &site.documents {
            for (k, _) in d.note_facts(&site.registry).kinds.iter() {
                kinds.insert(k.as_deref().map(str::to_string));
            }
        }
        let kinds = hash128(&kinds);
        let file = |d: usize| path_bytes(&site.documents[d].file);
        let sources = site
            .registry
            .all()
            .iter()
            .zip(&site.source_uses)
            .map(|(s, u)| {
                let arts: Vec<_> = u.articles.iter().map(|&d| file(d)).collect();
                let notes: Vec<_> = u.notes.iter().map(|r| (file(r.doc), r.note)).collect();
                (s.slug.as_str(), hash128(&(arts, notes, kinds)))
            })
            .collect();
        Derived {
            renderer,
            lists,
            sections: std::iter::once(&site.home)
                .chain(&site.sections)
                .map(|s| (s.path.as_str(), s))
                .collect(),
            tags: site
                .tags
                .iter()
                .enumerate()
                .map(|(i, t)| (t.slug.as_str(), i))
                .collect(),
            all_tags: hash128(
                &site
                    .tags
                    .iter()
                    .map(|t| (&t.slug, &t.name, t.articles.len()))
                    .collect::<Vec<_>>(),
            ),
            sources,
        }
    }

    /// The value of `input` if the site derives it and it exists; `None`
    /// for an input the keeper values, or one the site no longer has.
    pub fn value(&self, input: &Input) -> Option<u128> {
        let site = self.renderer.site;
        // What a link to a section shows: its URL, title and count.
        fn link(s: &Section) -> (&str, &str, usize) {
            (&s.path, &s.title, s.articles.len())
        }
        match input {
            Input::ListPage { list, page } => {
                let (members, per_page) = self.renderer.members(*self.lists.get(list)?);
                let on_page: Vec<&[u8]> = page_slice(&members, per_page, *page)
                    .iter()
                    .map(|&i| path_bytes(&site.documents[i].file))
                    .collect();
                Some(hash128(&(members.len(), per_page, on_page)))
            }
            Input::Section(dir) => self.sections.get(dir.as_str()).map(|s| {
                let subsections: Vec<_> = s
                    .subsections
                    .iter()
                    .map(|&j| link(&site.sections[j]))
                    .collect();
                hash128(&(
                    &s.title,
                    &s.description,
                    &s.content_html,
                    format!("{:?}", s.extra),
                    s.articles.len(),
                    s.paginate_by,
                    subsections,
                ))
            }),
            Input::SectionLink(dir) => self.sections.get(dir.as_str()).map(|s| hash128(&link(s))),
            Input::Tag(slug) => self.tags.get(slug.as_str()).map(|&i| {
                let t = &site.tags[i];
                hash128(&(&t.name, t.articles.len()))
            }),
            Input::Tags => Some(self.all_tags),
            Input::Source(slug) => self.sources.get(slug.as_str()).copied(),
            Input::Config
            | Input::Site
            | Input::Template(_)
            | Input::Document(_)
            | Input::Item(_)
            | Input::Registry
            | Input::AllDocuments
            | Input::File(_) => None,
        }
    }
}

/// A 128-bit content hash.
fn hash128<T: Hash + ?Sized>(x: &T) -> u128 {
    let mut h = SipHasher13::new();
    x.hash(&mut h);
    h.finish128().as_u128()
}

/// A path as bytes: hashing a `Path` parses its components, which was a
/// tenth of an edit build's records.
fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

/// The documents on page `page` (1-based) of a listing.
pub fn page_slice(members: &[usize], per_page: usize, page: usize) -> &[usize] {
    let per = per_page.max(1);
    let start = ((page.max(1) - 1) * per).min(members.len());
    &members[start..(start + per).min(members.len())]
}

/// A file's key: its path relative to the site root, `/`-separated.
pub fn file_key(rel: &std::path::Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}
