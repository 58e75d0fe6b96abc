//! Render: the [`Site`] → every output file, through Tera templates for
//! pages and plain code for feeds and data files.
//!
//! Every output is first planned as a [`Job`] with its path, so two things
//! claiming one URL are caught before anything is written; then the jobs
//! are rendered in parallel and handed to an [`Output`] (the disk for
//! `build`, memory for `serve`).

pub mod cite;
pub mod context;
mod data;
pub mod exports;
pub mod jsonld;
pub mod reads;
pub mod search;
mod stats;
mod templates;
mod versions;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use tera::{Context, Value};

pub use reads::Input;
pub use templates::{StaticSource, Templates};

use crate::error::{Diagnostic, Location};
use crate::model::Site;
use crate::output::Output;
use crate::routes::{self, ListRoute, Route};
use context::*;

/// What one output file is made from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Job {
    /// An article or page (index into `site.documents`).
    Document(usize),
    /// Page `page` (1-based) of a listing.
    Listing {
        list: List,
        page: usize,
    },
    /// `<list>/page/1/` → `<list>/`.
    FirstPageRedirect(List),
    Tags,
    Sources,
    /// `/stats/`: the archive's charts.
    Stats,
    NotFound,
    SiteFeed,
    SourceFeed(usize),
    Sitemap,
    /// File `k` (1-based) of a sitemap split past 50,000 URLs.
    SitemapPart(usize),
    Robots,
    Annotations,
    /// Annotation page `part` (1-based) of document `doc`.
    AnnotationPage {
        doc: usize,
        part: usize,
    },
    /// The search manifest, `search-index.json`.
    SearchIndex,
    /// A shard of search terms (by its prefix).
    SearchShard(String),
    /// The search fragment of document `i` (the passage a result shows).
    SearchDoc(usize),
    /// The result heads of documents `g * HEADS_PER_FILE ..` (what a
    /// result's line shows while the passage is not yet fetched).
    SearchHeads(usize),
    HighlightCss,
    /// `/kinds.css`, from the theme's `kinds.css` template.
    KindsCss,
    /// `/notes.csv` (DESIGN §11).
    NotesCsv,
    /// Page `n` (1-based) of `/claims/`, every rated claim.
    Claims(usize),
    /// `claims/page/1/` → `claims/`.
    ClaimsFirstPage,
    ClaimsFeed,
    /// Earlier snapshot `version` (index into its `Versions::snapshots`)
    /// of document `doc` (DESIGN §10).
    Snapshot {
        doc: usize,
        version: usize,
    },
    /// What changed between the snapshots of document `i`.
    DocChanges(usize),
    /// `/changes/`.
    Changes,
    /// `/changes/atom.xml`.
    ChangesFeed,
    /// A file copied as it is (index into `site.assets`).
    Asset(usize),
    /// A theme static file (index into `Templates::static_files`).
    ThemeStatic(usize),
}

/// A paginated listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    Home,
    Section(usize),
    Tag(usize),
    /// A source's page (index into the registry): the documents from it
    /// and those whose notes cite it.
    Source(usize),
}

/// Numbers from a render, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct RenderStats {
    pub pages: usize,
    pub files: usize,
}

/// Everything the jobs share: the site, its templates and the catalogue.
pub struct Renderer<'a> {
    pub site: &'a Site,
    pub templates: &'a Templates,
    /// Owned for a one-off build; borrowed when the dev server keeps the
    /// catalogue between renders and updates it per document.
    catalogue: std::borrow::Cow<'a, Catalogue>,
    site_value: Value,
    /// The search index, made on first use (it reads every document).
    search: std::sync::OnceLock<search::Index>,
    /// Every source's timeline, counted on first use from every document's
    /// note facts, each drawn when its page first asks.
    source_timelines: std::sync::OnceLock<stats::Timelines>,
    /// The sitemap's URLs, listed on first use (they come from the plan).
    sitemap: std::sync::OnceLock<Vec<(String, Option<String>)>>,
    /// What `/notes.csv` may copy from the previous build's, when a build
    /// with a cache says ([`exports::CsvReuse`]).
    csv_reuse: std::sync::OnceLock<exports::CsvReuse>,
    /// Where each document's rows are in the `/notes.csv` written, for
    /// the next build ([`exports::CsvRows`]).
    csv_rows: std::sync::Mutex<Option<exports::CsvRows>>,
}

/// The numbers and the problems of rendered jobs (`Ok(is_page)` each),
/// each problem reported once.
fn tally(results: Vec<Result<bool, Diagnostic>>) -> (RenderStats, Vec<Diagnostic>) {
    let mut stats = RenderStats::default();
    let mut diags: Vec<Diagnostic> = Vec::new();
    for r in results {
        match r {
            Ok(page) => {
                stats.files += 1;
                stats.pages += usize::from(page);
            }
            Err(d) => {
                if !diags.contains(&d) {
                    diags.push(d);
                }
            }
        }
    }
    (stats, diags)
}

fn page_count(items: usize, per_page: usize) -> usize {
    items.div_ceil(per_page.max(1)).max(1)
}

/// Page `page` of a listing of `total_items`, holding `items`, with the
/// links to its other pages (every paginated listing's, so they agree).
fn paginate(
    config: &crate::config::Config,
    base: &ListRoute,
    page: usize,
    per_page: usize,
    total_items: usize,
    items: Vec<Value>,
) -> Paginator {
    let total_pages = page_count(total_items, per_page);
    let url = |p: usize| base.page_url(config, p);
    Paginator {
        current: page,
        total_pages,
        total_items,
        per_page,
        items,
        first_url: url(1),
        last_url: url(total_pages),
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < total_pages).then(|| url(page + 1)),
        pages: (1..=total_pages)
            .map(|p| PageNumber {
                number: p,
                url: url(p),
                current: p == page,
            })
            .collect(),
    }
}

impl<'a> Renderer<'a> {
    pub fn new(site: &'a Site, templates: &'a Templates) -> Renderer<'a> {
        let catalogue = Catalogue::new(site);
        Renderer::build(
            site,
            templates,
            std::borrow::Cow::Owned(catalogue),
            site.note_count(),
        )
    }

    /// A renderer for documents' own pages only, over a site whose
    /// documents are not rendered yet ([`crate::site::Loaded`]): no listing
    /// items are made, and the site's note count is given (`note_total`)
    /// since the documents do not hold their notes yet.
    pub fn for_document_pages(
        site: &'a Site,
        templates: &'a Templates,
        note_total: usize,
    ) -> Renderer<'a> {
        let catalogue = Catalogue::links_only(site);
        Renderer::build(
            site,
            templates,
            std::borrow::Cow::Owned(catalogue),
            note_total,
        )
    }

    /// A renderer over a site read by phase one only, whose documents the
    /// caller renders as pages ask for them (the dev server before the
    /// whole site is ready): `catalogue` holds the listing items of those
    /// documents, and `note_total` is the site's note count, as for
    /// [`Renderer::for_document_pages`].
    pub fn for_partial_site(
        site: &'a Site,
        templates: &'a Templates,
        catalogue: &'a Catalogue,
        note_total: usize,
    ) -> Renderer<'a> {
        Renderer::build(
            site,
            templates,
            std::borrow::Cow::Borrowed(catalogue),
            note_total,
        )
    }

    /// A renderer over a catalogue kept by the caller (it must describe
    /// `site` as it is now: see [`Catalogue::update_document`]). Cheap: only
    /// the `site` context is made.
    pub fn with_catalogue(
        site: &'a Site,
        templates: &'a Templates,
        catalogue: &'a Catalogue,
    ) -> Renderer<'a> {
        Renderer::build(
            site,
            templates,
            std::borrow::Cow::Borrowed(catalogue),
            site.note_count(),
        )
    }

    fn build(
        site: &'a Site,
        templates: &'a Templates,
        catalogue: std::borrow::Cow<'a, Catalogue>,
        note_count: usize,
    ) -> Renderer<'a> {
        let config = &site.config;
        let top_sections: Vec<SectionLink> = site
            .home
            .subsections
            .iter()
            .map(|&i| catalogue.section_links[i].clone())
            .collect();
        let site_ctx = SiteCtx {
            title: &config.title,
            description: config.description.as_deref(),
            base_url: &config.base_url,
            language: &config.language,
            author: config.author.as_deref(),
            extra: &config.extra,
            url: config.url(""),
            feed_url: Route::Feed.url(config),
            search_index_url: Route::SearchIndex.url(config),
            annotations_url: Route::Annotations.url(config),
            sources_url: Route::SourceIndex.url(config),
            tags_url: Route::TagIndex.url(config),
            stats_url: Route::Stats.url(config),
            highlight_css_url: Route::HighlightCss.url(config),
            kinds_css_url: Route::KindsCss.url(config),
            sections: top_sections,
            menu: crate::menu::links(site),
            article_count: site.home.articles.len(),
            note_count,
            source_count: site.registry.len(),
            tag_count: site.tags.len(),
            generator: concat!("marginalia ", env!("CARGO_PKG_VERSION")),
            kinds: &config.kinds,
        };
        let site_value = Value::from_serializable(&site_ctx);
        Renderer {
            site,
            templates,
            catalogue,
            site_value,
            search: std::sync::OnceLock::new(),
            source_timelines: std::sync::OnceLock::new(),
            sitemap: std::sync::OnceLock::new(),
            csv_reuse: std::sync::OnceLock::new(),
            csv_rows: std::sync::Mutex::new(None),
        }
    }

    /// The `site` value every template gets. When it changes, every page
    /// rendered from a template may change.
    pub fn site_value(&self) -> &Value {
        &self.site_value
    }

    /// The site's search index.
    pub fn search_index(&self) -> &search::Index {
        self.search.get_or_init(|| search::Index::new(self.site))
    }

    /// The build cache's record of `job` when it is not the hash of what
    /// the job reads ([`crate::cache::ledger`]): a search shard's is its
    /// index's ([`search::Index::record`]), since an edit build does not
    /// read every document's terms again.
    pub fn own_record(&self, job: &Job) -> Option<u128> {
        match job {
            Job::SearchShard(key) => Some(self.search_index().record(key)),
            _ => None,
        }
    }

    /// Gives the renderer its search index, made elsewhere (an edit build
    /// updates the previous build's: [`search::Index::updated`]). Ignored
    /// once the renderer has made one.
    pub fn set_search_index(&self, index: search::Index) {
        let _ = self.search.set(index);
    }

    /// Lets `/notes.csv` copy the rows of unchanged documents from the
    /// previous build's file ([`exports::write_notes_csv`]), and record
    /// where its rows are for the next build ([`Renderer::take_csv_rows`]).
    /// Ignored once given.
    pub fn set_csv_reuse(&self, reuse: exports::CsvReuse) {
        let _ = self.csv_reuse.set(reuse);
    }

    /// Where each document's rows are in the `/notes.csv` this renderer
    /// wrote, when it was given a [`exports::CsvReuse`] and wrote one.
    pub fn take_csv_rows(&self) -> Option<exports::CsvRows> {
        self.csv_rows.lock().ok()?.take()
    }

    /// Every output of the site with its path, in a stable order.
    pub fn plan(&self) -> Vec<(String, Job)> {
        self.jobs()
            .into_iter()
            .map(|job| (self.route(&job).path(), job))
            .collect()
    }

    /// Every job of the site, in a stable order.
    fn jobs(&self) -> Vec<Job> {
        let (mut jobs, sitemap_at) = self.jobs_with(true);
        // A sitemap holds absolute URLs only: without base_url there is
        // none. It lists the routes of the other jobs that say they belong
        // in it, so its size is known only now.
        if self.site.config.base_url_is_set {
            let urls = self.sitemap.get_or_init(|| data::sitemap_urls(self, &jobs));
            let parts = (1..=data::sitemap_parts(urls.len())).map(Job::SitemapPart);
            jobs.splice(
                sitemap_at..sitemap_at,
                std::iter::once(Job::Sitemap).chain(parts),
            );
        }
        jobs
    }

    /// The sitemap's URLs with their dates ([`data::sitemap_urls`]), made
    /// on first use. Listed without the search shards (data files, never
    /// in a sitemap), so that the dev server rendering the sitemap alone
    /// does not build the search index for it.
    fn sitemap_urls(&self) -> &[(String, Option<String>)] {
        self.sitemap
            .get_or_init(|| data::sitemap_urls(self, &self.jobs_with(false).0))
    }

    /// Every job but the search shards and the sitemap's, which cost more
    /// to list (the shards need the search index, the sitemap the routes
    /// of every other job): what the dev server compares with its plan to
    /// tell whether a change altered it.
    pub fn jobs_but_search_and_sitemap(&self) -> Vec<Job> {
        self.jobs_with(false).0
    }

    /// Every job but the sitemap's (and the search shards' unless
    /// `shards`), and where the sitemap's go.
    fn jobs_with(&self, shards: bool) -> (Vec<Job>, usize) {
        let site = self.site;
        let mut jobs: Vec<Job> = (0..site.documents.len()).map(Job::Document).collect();
        for list in self.lists() {
            let pages = self.page_total(list);
            jobs.extend((1..=pages).map(|page| Job::Listing { list, page }));
            if pages > 1 {
                jobs.push(Job::FirstPageRedirect(list));
            }
        }
        jobs.push(Job::Tags);
        jobs.push(Job::Sources);
        jobs.push(Job::Stats);
        jobs.extend((0..site.registry.len()).map(Job::SourceFeed));
        jobs.extend([Job::NotFound, Job::SiteFeed]);
        let sitemap_at = jobs.len();
        jobs.extend([Job::Robots, Job::Annotations]);
        for (doc, d) in site.documents.iter().enumerate() {
            jobs.extend(
                (1..=data::annotation_pages(d)).map(|part| Job::AnnotationPage { doc, part }),
            );
        }
        jobs.push(Job::SearchIndex);
        if shards {
            jobs.extend(
                self.search_index()
                    .keys()
                    .map(|k| Job::SearchShard(k.to_string())),
            );
        }
        jobs.extend((0..site.documents.len()).map(Job::SearchDoc));
        jobs.extend((0..search::head_files(site.documents.len())).map(Job::SearchHeads));
        jobs.extend([
            Job::HighlightCss,
            Job::KindsCss,
            Job::NotesCsv,
            Job::ClaimsFeed,
        ]);
        let claim_pages = page_count(exports::claims(site).len(), site.config.paginate_by);
        jobs.extend((1..=claim_pages).map(Job::Claims));
        if claim_pages > 1 {
            jobs.push(Job::ClaimsFirstPage);
        }
        for (doc, d) in site.documents.iter().enumerate() {
            if let Some(v) = &d.versions {
                jobs.extend((0..v.snapshots.len()).map(|version| Job::Snapshot { doc, version }));
                jobs.push(Job::DocChanges(doc));
            }
        }
        // `/changes/` exists once any article has an earlier snapshot.
        if site.documents.iter().any(|d| d.versions.is_some()) {
            jobs.extend([Job::Changes, Job::ChangesFeed]);
        }
        jobs.extend((0..self.templates.static_files.len()).map(Job::ThemeStatic));
        jobs.extend((0..site.assets.len()).map(Job::Asset));
        (jobs, sitemap_at)
    }

    /// Every paginated listing of the site, in a stable order.
    pub fn lists(&self) -> Vec<List> {
        let site = self.site;
        let mut lists = vec![List::Home];
        lists.extend((0..site.sections.len()).map(List::Section));
        lists.extend((0..site.tags.len()).map(List::Tag));
        lists.extend((0..site.registry.len()).map(List::Source));
        lists
    }

    /// How many pages a listing has.
    fn page_total(&self, list: List) -> usize {
        let site = self.site;
        let (n, per) = match list {
            List::Home => (site.home.articles.len(), site.home.paginate_by),
            List::Section(i) => (
                site.sections[i].articles.len(),
                site.sections[i].paginate_by,
            ),
            List::Tag(i) => (site.tags[i].articles.len(), site.config.paginate_by),
            List::Source(i) => (
                site.source_uses.get(i).map_or(0, |u| u.entries().len()),
                site.config.paginate_by,
            ),
        };
        page_count(n, per)
    }

    /// Where a job's output goes.
    pub fn route(&self, job: &Job) -> Route {
        let site = self.site;
        match job {
            Job::Document(i) => Route::Document {
                dir: site.documents[*i].path.clone(),
            },
            Job::Listing { list, page } => Route::Listing {
                list: list_route(site, *list),
                page: *page,
            },
            Job::FirstPageRedirect(list) => Route::FirstPage(list_route(site, *list)),
            Job::Tags => Route::TagIndex,
            Job::Sources => Route::SourceIndex,
            Job::Stats => Route::Stats,
            Job::SourceFeed(i) => Route::SourceFeed {
                slug: site.registry.all()[*i].slug.clone(),
            },
            Job::NotFound => Route::NotFound,
            Job::SiteFeed => Route::Feed,
            Job::Sitemap => Route::Sitemap,
            Job::SitemapPart(k) => Route::SitemapPart { k: *k },
            Job::Robots => Route::Robots,
            Job::Annotations => Route::Annotations,
            Job::AnnotationPage { doc, part } => Route::AnnotationPage {
                dir: site.documents[*doc].path.clone(),
                part: *part,
            },
            Job::SearchIndex => Route::SearchIndex,
            Job::SearchShard(key) => Route::SearchShard { key: key.clone() },
            Job::SearchDoc(i) => Route::SearchDoc { doc: *i },
            Job::SearchHeads(g) => Route::SearchHeads { group: *g },
            Job::HighlightCss => Route::HighlightCss,
            Job::KindsCss => Route::KindsCss,
            Job::NotesCsv => Route::NotesCsv,
            Job::ClaimsFeed => Route::ClaimsFeed,
            Job::Claims(page) => Route::Listing {
                list: ListRoute::Claims,
                page: *page,
            },
            Job::ClaimsFirstPage => Route::FirstPage(ListRoute::Claims),
            Job::Snapshot { doc, version } => {
                let d = &site.documents[*doc];
                Route::Snapshot {
                    dir: d.path.clone(),
                    stem: d
                        .versions
                        .as_ref()
                        .and_then(|v| v.snapshots.get(*version))
                        .map(|s| s.stem.clone())
                        .unwrap_or_default(),
                }
            }
            Job::DocChanges(i) => Route::DocChanges {
                dir: site.documents[*i].path.clone(),
            },
            Job::Changes => Route::Changes,
            Job::ChangesFeed => Route::ChangesFeed,
            Job::ThemeStatic(i) => Route::Copy {
                path: self.templates.static_files[*i].0.clone(),
            },
            Job::Asset(i) => Route::Copy {
                path: site.assets[*i].dest.clone(),
            },
        }
    }

    /// Where a job comes from, for collision messages.
    fn origin(&self, job: &Job) -> String {
        match job {
            Job::Document(i)
            | Job::AnnotationPage { doc: i, .. }
            | Job::SearchDoc(i)
            | Job::Snapshot { doc: i, .. }
            | Job::DocChanges(i) => self.site.documents[*i].file.display().to_string(),
            Job::Asset(i) => self.site.assets[*i].file.display().to_string(),
            Job::ThemeStatic(i) => {
                format!("the theme's static/{}", self.templates.static_files[*i].0)
            }
            Job::Listing {
                list: List::Section(i),
                ..
            } => match &self.site.sections[*i].file {
                Some(f) => f.display().to_string(),
                None => format!(
                    "the section folder content/{}",
                    self.site.sections[*i].folder
                ),
            },
            Job::Listing {
                list: List::Tag(i), ..
            } => format!("the page of tag {:?}", self.site.tags[*i].name),
            Job::Listing {
                list: List::Source(i),
                ..
            }
            | Job::SourceFeed(i) => {
                format!("the page of source {:?}", self.site.registry.all()[*i].key)
            }
            other => format!("the generated {other:?}").to_lowercase(),
        }
    }

    /// Checks that no two outputs share a path. Site `static/` files may
    /// replace theme static files (that is how a theme file is overridden).
    pub fn check_collisions(&self, jobs: &mut Vec<(String, Job)>) -> Vec<Diagnostic> {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(jobs.len());
        let mut diags = Vec::new();
        let mut drop = Vec::new();
        for (i, (path, job)) in jobs.iter().enumerate() {
            if let Some(&first) = seen.get(path.as_str()) {
                let first_job = &jobs[first].1;
                if matches!(first_job, Job::ThemeStatic(_)) && matches!(job, Job::Asset(_)) {
                    drop.push(first);
                    seen.insert(path, i);
                    continue;
                }
                let a = self.origin(first_job);
                let b = self.origin(job);
                let url = path.trim_end_matches("index.html");
                let location = match job {
                    Job::Document(d) => Some(Location::file(&self.site.documents[*d].file)),
                    Job::Asset(d) => Some(Location::file(&self.site.assets[*d].file)),
                    _ => None,
                };
                diags.push(
                    Diagnostic::error(
                        location,
                        format!("two things would be written to /{url}: {a} and {b}"),
                    )
                    .with_help("give one of them another `slug:` (or rename the file)"),
                );
                drop.push(i);
            } else {
                seen.insert(path, i);
            }
        }
        drop.sort_unstable();
        for i in drop.into_iter().rev() {
            jobs.remove(i);
        }
        diags
    }

    /// Renders and writes every job, in parallel. Returns the problems
    /// (template errors, write failures), each reported once.
    pub fn render_all(
        &self,
        jobs: &[(String, Job)],
        out: &dyn Output,
    ) -> (RenderStats, Vec<Diagnostic>) {
        let results: Vec<Result<bool, Diagnostic>> = jobs
            .par_iter()
            .map(|(path, job)| {
                let is_page = path.ends_with(".html");
                self.render_job(path, job, out).map(|_| is_page)
            })
            .collect();
        tally(results)
    }

    /// [`Renderer::render_all`] for jobs without their paths: each is
    /// written to its route's path, made again here, so that a build need
    /// not hold every output's path twice (in its plan and in its records,
    /// ~0.25 KB an article).
    pub fn render_jobs(&self, jobs: &[Job], out: &dyn Output) -> (RenderStats, Vec<Diagnostic>) {
        let results: Vec<Result<bool, Diagnostic>> = jobs
            .par_iter()
            .map(|job| {
                let path = self.route(job).path();
                let is_page = path.ends_with(".html");
                self.render_job(&path, job, out).map(|_| is_page)
            })
            .collect();
        tally(results)
    }

    /// Renders one job and writes it.
    pub fn render_job(&self, path: &str, job: &Job, out: &dyn Output) -> Result<(), Diagnostic> {
        match job {
            Job::Asset(i) => {
                let a = &self.site.assets[*i];
                out.copy_file(path, &self.site.config.root.join(&a.file))
            }
            Job::Annotations => out.write_with(path, &mut |w| data::write_annotations(self, w)),
            Job::NotesCsv => {
                // A note that cannot be read back is reported as itself.
                let mut failed = None;
                let mut rows = None;
                let written = out.write_with(path, &mut |w| {
                    rows =
                        exports::write_notes_csv(self.site, self.csv_reuse.get(), w, &mut failed)?;
                    Ok(())
                });
                if written.is_ok()
                    && failed.is_none()
                    && let Ok(mut kept) = self.csv_rows.lock()
                {
                    *kept = rows;
                }
                failed.map_or(written, Err)
            }
            Job::ThemeStatic(i) => {
                let bytes = self.templates.static_bytes(*i, &self.site.config.root)?;
                out.write(path, bytes)
            }
            _ => {
                let bytes = self.render_bytes(path, job)?;
                out.write(path, bytes)
            }
        }
    }

    /// The bytes of a generated job.
    pub fn render_bytes(&self, path: &str, job: &Job) -> Result<Vec<u8>, Diagnostic> {
        let site = self.site;
        match job {
            Job::SearchIndex => return Ok(self.search_index().manifest(site)),
            Job::SearchShard(key) => return self.search_index().shard(key),
            Job::SearchDoc(i) => return Ok(search::fragment(site, &site.documents[*i])),
            Job::SearchHeads(g) => return Ok(search::heads(site, *g)),
            _ => {}
        }
        let html = match job {
            Job::Document(i) => self.render_document(*i, path)?,
            Job::Listing { list, page } => self.render_listing(*list, *page, path)?,
            Job::FirstPageRedirect(list) => {
                let target = site.config.url(&self.list_base(*list).dir());
                redirect_page(&target)
            }
            Job::Tags => {
                let tags: Vec<TagCtx> = site.tags.iter().map(|t| self.tag_ctx(t)).collect();
                let mut ctx = self.base_context(path);
                ctx.insert("head", &self.head(path, Some("Tags"), None));
                ctx.insert("tags", &tags);
                self.templates.render("tags.html", &ctx)?
            }
            Job::Sources => {
                let mut groups: Vec<SourceGroup> = Vec::new();
                for kind in crate::sources::SourceKind::ALL {
                    let mut sources: Vec<SourceSummary> = site
                        .registry
                        .all()
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.kind == kind)
                        .map(|(i, _)| self.source_summary(i))
                        .collect();
                    if sources.is_empty() {
                        continue;
                    }
                    sources.sort_by_key(|s| s.name.to_lowercase());
                    groups.push(SourceGroup {
                        kind: kind.as_str(),
                        label: kind.plural_label(),
                        sources,
                    });
                }
                let mut ctx = self.base_context(path);
                ctx.insert("head", &self.head(path, Some("Sources"), None));
                ctx.insert("sources", &groups);
                self.templates.render("sources.html", &ctx)?
            }
            Job::Stats => {
                let mut ctx = self.base_context(path);
                ctx.insert("charts", &stats::site_charts(site));
                self.templates.render("stats.html", &ctx)?
            }
            Job::NotFound => {
                let mut ctx = self.base_context(path);
                ctx.insert("head", &self.head(path, Some("Page not found"), None));
                self.templates.render("404.html", &ctx)?
            }
            Job::Claims(page) => self.render_claims(*page, path)?,
            Job::ClaimsFirstPage => redirect_page(&ListRoute::Claims.page_url(&site.config, 1)),
            Job::ClaimsFeed => exports::claims_feed(site)?,
            Job::Snapshot { doc, version } => self.render_snapshot(*doc, *version, path)?,
            Job::DocChanges(i) => self.render_doc_changes(*i, path)?,
            Job::Changes => self.render_all_changes(path)?,
            Job::ChangesFeed => versions::changes_feed(site),
            Job::NotesCsv => return exports::notes_csv(site),
            Job::SiteFeed => data::site_feed(self),
            Job::SourceFeed(i) => data::source_feed(self, *i),
            Job::Sitemap => data::sitemap(self),
            Job::SitemapPart(k) => data::sitemap_part(self, *k),
            Job::AnnotationPage { doc, part } => data::annotation_page(self, *doc, *part)?,
            Job::Robots => data::robots(self),
            Job::Annotations => data::annotations(self),
            Job::SearchIndex | Job::SearchShard(_) | Job::SearchDoc(_) | Job::SearchHeads(_) => {
                String::new()
            }
            Job::HighlightCss => crate::markdown::highlight::stylesheet(
                &site.config.highlight_theme,
                site.config.highlight_theme_dark.as_deref(),
            ),
            Job::KindsCss => self
                .templates
                .render("kinds.css", &self.base_context(path))?,
            Job::Asset(_) | Job::ThemeStatic(_) => String::new(),
        };
        Ok(html.into_bytes())
    }

    fn base_context(&self, path: &str) -> Context {
        let mut ctx = Context::new();
        ctx.insert_value("site", self.site_value.clone());
        let current = path.strip_suffix("index.html").unwrap_or(path);
        ctx.insert("current_path", &format!("/{current}"));
        ctx.insert("current_url", &self.site.config.url(current));
        ctx.insert("head", &self.head(path, None, None));
        ctx
    }

    /// The `head` context of the page at `path`: the site's title and
    /// description unless the page has its own.
    fn head(&self, path: &str, title: Option<&str>, description: Option<&str>) -> HeadCtx {
        let config = &self.site.config;
        let current = path.strip_suffix("index.html").unwrap_or(path);
        HeadCtx {
            title: title.unwrap_or(&config.title).to_string(),
            description: description
                .or(config.description.as_deref())
                .unwrap_or_default()
                .to_string(),
            og_type: "website",
            url: config.url(current),
            published_time: None,
            feeds: vec![FeedLink {
                title: config.title.clone(),
                url: Route::Feed.url(config),
            }],
            json_ld: Vec::new(),
            citation_meta: Vec::new(),
        }
    }

    /// Page `page` of `/claims/`: rated claims, newest first.
    fn render_claims(&self, page: usize, path: &str) -> Result<String, Diagnostic> {
        let site = self.site;
        let claims = exports::claims(site);
        let per_page = site.config.paginate_by;
        let start = ((page - 1) * per_page).min(claims.len());
        let on_page = &claims[start..(start + per_page).min(claims.len())];
        let items = exports::claim_ctxs(site, on_page)?
            .iter()
            .map(Value::from_serializable)
            .collect();
        let paginator = paginate(
            &site.config,
            &ListRoute::Claims,
            page,
            per_page,
            claims.len(),
            items,
        );
        let mut ctx = self.base_context(path);
        let mut head = self.head(
            path,
            Some("Rated claims"),
            Some("Every claim fact-checked in the margin, newest first."),
        );
        let feed_url = Route::ClaimsFeed.url(&site.config);
        head.feeds.push(FeedLink {
            title: format!("Rated claims — {}", site.config.title),
            url: feed_url.clone(),
        });
        ctx.insert("head", &head);
        ctx.insert("claims_feed_url", &feed_url);
        ctx.insert("paginator", &paginator);
        self.templates.render("claims.html", &ctx)
    }

    fn list_base(&self, list: List) -> ListRoute {
        list_route(self.site, list)
    }

    fn render_document(&self, i: usize, path: &str) -> Result<String, Diagnostic> {
        self.render_document_page(i, &self.site.documents[i], path)
    }

    /// The page of document `i`, rendered from `d` (which may be newer
    /// than `site.documents[i]`: during a build the site holds only the
    /// documents' front matter while their pages are written).
    pub fn render_document_page(
        &self,
        i: usize,
        d: &crate::model::Document,
        path: &str,
    ) -> Result<String, Diagnostic> {
        let mut out = Vec::new();
        self.write_document_page(i, d, path, &mut out)?;
        Ok(String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// [`Renderer::render_document_page`], written to `w` as it is
    /// rendered (a build streams each page into its file: a 200 MB
    /// article's page is never held whole beside its HTML).
    pub fn write_document_page(
        &self,
        i: usize,
        d: &crate::model::Document,
        path: &str,
        w: &mut dyn std::io::Write,
    ) -> Result<(), Diagnostic> {
        let site = self.site;
        let config = &site.config;
        let mut note_kinds: Vec<String> = Vec::new();
        for n in &d.notes {
            if let Some(k) = &n.kind
                && !note_kinds.contains(k)
            {
                note_kinds.push(k.clone());
            }
        }
        // Neighbours in the section: articles are newest first.
        let (earlier, later) = match d.section {
            Some(s) => {
                let list = &site.sections[s].articles;
                let pos = list.iter().position(|&x| x == i);
                let link = |j: usize| DocLink {
                    title: site.documents[j].title.clone(),
                    url: config.url(&site.documents[j].path),
                };
                (
                    pos.and_then(|p| list.get(p + 1)).map(|&j| link(j)),
                    pos.and_then(|p| p.checked_sub(1))
                        .and_then(|p| list.get(p))
                        .map(|&j| link(j)),
                )
            }
            None => (None, None),
        };
        let mut kinds: Vec<PageKind> = Vec::new();
        let mut note_authors: Vec<NoteAuthor> = Vec::new();
        for n in &d.notes {
            if let Some(k) = &n.kind {
                match kinds.iter_mut().find(|x| &x.key == k) {
                    Some(x) => x.count += 1,
                    None => {
                        let declared = config.kind(k);
                        kinds.push(PageKind {
                            key: k.clone(),
                            label: declared.map_or_else(|| k.clone(), |x| x.label.clone()),
                            help: declared.and_then(|x| x.help.clone()),
                            count: 1,
                            declared: declared.is_some(),
                        });
                    }
                }
            }
            let name = n
                .author
                .clone()
                .or_else(|| config.author.clone())
                .unwrap_or_else(|| "Unsigned".into());
            let aside = format!("note-{}", n.id);
            match note_authors.iter_mut().find(|a| a.name == name) {
                Some(a) => {
                    a.count += 1;
                    a.notes.push(aside);
                }
                None => note_authors.push(NoteAuthor {
                    name,
                    count: 1,
                    notes: vec![aside],
                }),
            }
        }
        let template = if d.is_article() {
            "article.html"
        } else {
            "page.html"
        };
        // The body goes into the page as it is written, not through a copy
        // in the context, when the template writes it only whole.
        let marker = self
            .templates
            .writes_content_whole(template)
            .then(content_marker);
        let mut page = PageCtx {
            content: marker.unwrap_or(&d.content_html),
            title: &d.title,
            url: config.url(&d.path),
            path: &d.path,
            slug: &d.slug,
            is_article: d.is_article(),
            date: d.date.as_ref().map(|x| x.iso()),
            date_display: d.date.as_ref().map(|x| x.display()),
            source: self.catalogue.source_of(site, d.source.as_deref()),
            original_url: d.original_url.as_deref(),
            archive_url: d.archive_url.as_deref(),
            archived: d.archived.as_ref().map(|x| x.iso()),
            archived_display: d.archived.as_ref().map(|x| x.display()),
            original_copy: d
                .archive_sha256
                .as_ref()
                .filter(|_| d.file.file_name().is_some_and(|n| n == "index.md"))
                .map(|_| config.url(&format!("{}original.html.txt", d.path))),
            archive_sha256: d.archive_sha256.as_deref(),
            authors: &d.authors,
            tags: self.catalogue.tags_of(site, d),
            description: d.description.as_deref(),
            summary: &d.summary_html,
            toc: &d.toc,
            notes: self.catalogue.notes_of(site, d),
            note_kinds,
            kinds,
            note_authors,
            show_toc: d.toc_setting.unwrap_or(d.toc.len() >= 3),
            word_count: d.word_count,
            reading_minutes: d.reading_minutes(),
            section: d
                .section
                .and_then(|s| self.catalogue.section_links.get(s).cloned()),
            earlier,
            later,
            extra: &d.extra,
            file: d.file.display().to_string(),
            annotations_url: (data::annotation_pages(d) > 0)
                .then(|| config.url(&data::annotation_page_path(&d.path, 1))),
            versions: self.versions_ctx(d),
            note_map: stats::article_note_map(d),
        };
        let mut ctx = self.base_context(path);
        ctx.insert("page", &page);
        let mut head = self.head(path, Some(&d.title), Some(d.description_or_summary()));
        if d.is_article() {
            head.og_type = "article";
            head.published_time = d.date.as_ref().map(|x| x.rfc3339());
            head.json_ld = jsonld::article_scripts(site, d);
            let cite = cite::citation(site, d);
            head.citation_meta = cite.meta.clone();
            ctx.insert("cite", &cite);
        }
        ctx.insert("head", &head);
        if let Some(marker) = marker
            && self
                .templates
                .render_spliced(template, &ctx, marker, &d.content_html, w)?
        {
            return Ok(());
        }
        page.content = &d.content_html;
        ctx.insert("page", &page);
        self.templates.render_to(template, &ctx, w)
    }

    fn render_listing(&self, list: List, page: usize, path: &str) -> Result<String, Diagnostic> {
        let site = self.site;
        let (articles, per_page, template) = match list {
            List::Home => (&site.home.articles, site.home.paginate_by, "index.html"),
            List::Section(i) => (
                &site.sections[i].articles,
                site.sections[i].paginate_by,
                "section.html",
            ),
            List::Tag(i) => (&site.tags[i].articles, site.config.paginate_by, "tag.html"),
            List::Source(i) => return self.render_source(i, page, path),
        };
        let base = self.list_base(list);
        let paginator = self.paginator(articles, per_page, page, &base);
        let mut ctx = self.base_context(path);
        ctx.insert("paginator", &paginator);
        match list {
            List::Home | List::Section(_) => {
                let s = match list {
                    List::Section(i) => &site.sections[i],
                    _ => &site.home,
                };
                let section = SectionCtx {
                    title: &s.title,
                    description: s.description.as_deref(),
                    url: site.config.url(&s.path),
                    path: &s.path,
                    content: &s.content_html,
                    article_count: s.articles.len(),
                    subsections: s
                        .subsections
                        .iter()
                        .map(|&j| self.catalogue.section_links[j].clone())
                        .collect(),
                    extra: &s.extra,
                };
                if !matches!(list, List::Home) {
                    ctx.insert(
                        "head",
                        &self.head(path, Some(&s.title), s.description.as_deref()),
                    );
                }
                ctx.insert("section", &section);
            }
            List::Tag(i) => {
                let name = &site.tags[i].name;
                ctx.insert(
                    "head",
                    &self.head(path, Some(&format!("Tag: {name}")), None),
                );
                ctx.insert("tag", &self.tag_ctx(&site.tags[i]));
            }
            List::Source(_) => {}
        }
        self.templates.render(template, &ctx)
    }

    fn paginator(
        &self,
        articles: &[usize],
        per_page: usize,
        page: usize,
        base: &ListRoute,
    ) -> Paginator {
        let config = &self.site.config;
        let start = (page - 1) * per_page;
        let items = articles
            .iter()
            .skip(start)
            .take(per_page)
            .map(|&i| self.catalogue.item_value(self.site, i))
            .collect();
        paginate(config, base, page, per_page, articles.len(), items)
    }

    fn tag_ctx(&self, t: &crate::model::Tag) -> TagCtx {
        TagCtx {
            name: t.name.clone(),
            slug: t.slug.clone(),
            url: self.site.config.url(&routes::tag_dir(&t.slug)),
            count: t.articles.len(),
        }
    }

    fn source_summary(&self, i: usize) -> SourceSummary {
        let site = self.site;
        let s = &site.registry.all()[i];
        let uses = &site.source_uses[i];
        SourceSummary {
            key: s.key.clone(),
            name: s.name.clone(),
            kind: s.kind.as_str(),
            url: self.catalogue.source_links[i].url.clone(),
            website: s.url.clone(),
            description: s.description.clone(),
            aliases: s.aliases.clone(),
            affiliation: self.catalogue.source_of(site, s.affiliation.as_deref()),
            article_count: uses.articles.len(),
            note_count: uses.notes.len(),
        }
    }

    /// Page `page` of a source's page: the documents from it and those
    /// whose notes cite it, `paginate_by` documents a page, each with its
    /// notes citing the source.
    fn render_source(&self, i: usize, page: usize, path: &str) -> Result<String, Diagnostic> {
        let site = self.site;
        let s = &site.registry.all()[i];
        let uses = &site.source_uses[i];
        let members = site
            .registry
            .all()
            .iter()
            .enumerate()
            .filter(|(_, m)| m.affiliation.as_deref() == Some(s.key.as_str()))
            .map(|(j, _)| self.catalogue.source_links[j].clone())
            .collect();
        let entries = uses.entries();
        let per_page = site.config.paginate_by;
        let base = self.list_base(List::Source(i));
        let paginator = self.paginator(&entries, per_page, page, &base);
        let on_page: &[usize] = {
            let start = ((page - 1) * per_page).min(entries.len());
            &entries[start..(start + per_page).min(entries.len())]
        };
        let shown = |d: &usize| on_page.binary_search(d).is_ok();
        // Each document's notes read once (a build keeps them out of
        // memory), for all of its notes citing the source.
        let mut refs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for r in uses.notes.iter().filter(|r| shown(&r.doc)) {
            refs.entry(r.doc).or_default().push(r.note);
        }
        let mut by_doc: BTreeMap<usize, Vec<NoteCtx>> = BTreeMap::new();
        for (doc, js) in refs {
            let d = &site.documents[doc];
            let notes = d.read_notes()?;
            let ctxs: Vec<NoteCtx> = js
                .into_iter()
                .filter_map(|j| self.catalogue.note_at(site, d, &notes, j))
                .collect();
            if !ctxs.is_empty() {
                by_doc.insert(doc, ctxs);
            }
        }
        // Drawn on the source's first page only: a paginated source
        // repeated its whole chart (~260 KB at 10k) on every page.
        let timeline = self
            .source_timelines
            .get_or_init(|| stats::source_timelines(site))
            .get(site, i);
        let source = SourceCtx {
            summary: self.source_summary(i),
            members,
            articles: uses
                .articles
                .iter()
                .filter(|d| shown(d))
                .map(|&d| self.catalogue.item_value(site, d))
                .collect(),
            notes_by_article: by_doc
                .into_iter()
                .map(|(d, notes)| ArticleNotes {
                    article: self.catalogue.item_value(site, d),
                    notes,
                })
                .collect(),
            feed_url: site.config.url(&routes::source_feed_path(&s.slug)),
            timeline: timeline.filter(|_| page == 1).cloned(),
            timeline_url: timeline
                .filter(|_| page > 1)
                .map(|t| format!("{}#{}", paginator.first_url, t.id)),
            changed_articles: versions::source_change_counts(site, &uses.articles).0,
            changes_with_notice: versions::source_change_counts(site, &uses.articles).1,
        };
        let mut ctx = self.base_context(path);
        let mut head = self.head(path, Some(&s.name), s.description.as_deref());
        head.feeds.push(FeedLink {
            title: format!("{} — {}", s.name, site.config.title),
            url: source.feed_url.clone(),
        });
        ctx.insert("head", &head);
        ctx.insert("source", &source);
        ctx.insert("paginator", &paginator);
        self.templates.render("source.html", &ctx)
    }
}

impl Job {
    /// Whether the job is a site-wide data file that any document change
    /// may change (the sitemap, the annotation collection, the search
    /// index), as opposed to a page or a document's own data.
    pub fn is_site_data(&self) -> bool {
        matches!(
            self,
            Job::Sitemap
                | Job::SitemapPart(_)
                | Job::Annotations
                | Job::SearchIndex
                | Job::SearchShard(_)
                | Job::NotesCsv
                | Job::ClaimsFeed
                | Job::Claims(_)
                | Job::ClaimsFirstPage
                | Job::Changes
                | Job::ChangesFeed
        )
    }

    /// The template a job renders with (`None` for data files, copies and
    /// redirects). A change to that template, or to one it extends or
    /// includes, changes the job's output.
    pub fn template(&self, site: &Site) -> Option<&'static str> {
        Some(match self {
            Job::Document(i) => {
                if site.documents.get(*i).is_some_and(|d| d.is_article()) {
                    "article.html"
                } else {
                    "page.html"
                }
            }
            Job::Listing {
                list: List::Home, ..
            } => "index.html",
            Job::Listing {
                list: List::Section(_),
                ..
            } => "section.html",
            Job::Listing {
                list: List::Tag(_), ..
            } => "tag.html",
            Job::Tags => "tags.html",
            Job::Sources => "sources.html",
            Job::Stats => "stats.html",
            Job::Listing {
                list: List::Source(_),
                ..
            } => "source.html",
            Job::NotFound => "404.html",
            Job::Claims(_) => "claims.html",
            Job::Snapshot { .. } => "snapshot.html",
            Job::DocChanges(_) => "changes.html",
            Job::Changes => "all_changes.html",
            Job::KindsCss => "kinds.css",
            _ => return None,
        })
    }
}

/// The route of a listing.
pub fn list_route(site: &Site, list: List) -> ListRoute {
    match list {
        List::Home => ListRoute::Home,
        List::Section(i) => ListRoute::Section {
            dir: site.sections[i].path.clone(),
        },
        List::Tag(i) => ListRoute::Tag {
            slug: site.tags[i].slug.clone(),
        },
        List::Source(i) => ListRoute::Source {
            slug: site.registry.all()[i].slug.clone(),
        },
    }
}

/// A tiny page that sends the browser on (for `page/1/`).
fn redirect_page(target: &str) -> String {
    let t = crate::html::escape(target);
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Redirect</title>\
         <link rel=\"canonical\" href=\"{t}\"><meta http-equiv=\"refresh\" content=\"0; url={t}\"></head>\
         <body><a href=\"{t}\">{t}</a></body></html>\n"
    )
}

/// What a document page's body is rendered as before it is spliced in: a
/// comment no article can hold (it is made afresh by each process).
fn content_marker() -> &'static str {
    static MARKER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MARKER.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let nonce = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        format!("<!--marginalia-body-{nonce:016x}-->")
    })
}
