//! Incremental rebuilds: a loaded site kept in memory and updated file by
//! file, for the dev server (`marginalia serve`).
//!
//! [`LiveSite`] holds what a build computes — the [`Site`], its
//! [`Templates`], the render [`Catalogue`] and the plan of every output —
//! and [`LiveSite::apply`] brings it up to date with a set of changed
//! files. An edited article is re-parsed and re-rendered alone; the derived
//! lists (sections, tags, sources) are re-derived by the same
//! [`site::wire`] the full build uses; then only the outputs whose bytes can
//! change are re-rendered. What cannot be done in place (site.yaml, the
//! source registry, a new section) reloads the whole site.
//!
//! Invariants:
//! - A `LiveSite` always describes a site without errors: `apply` either
//!   succeeds and returns every output it changed, or fails with the
//!   diagnostics and leaves the site as it was (the last good site).
//! - `site.documents` is sorted by [`site::document_order`]; `ids`,
//!   `catalogue.items` is parallel to it.
//! - Nothing here writes to disk; outputs are returned as [`Produced`]
//!   values for the caller (the server's in-memory store) to keep.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::error::{Diagnostic, Diagnostics, Location};
use crate::load::{self, ContentTree, DocFile};
use crate::markdown::Env;
use crate::model::{Document, Site};
use crate::output::{Output, check_output_path};
use crate::render::context::Catalogue;
use crate::render::{Job, Renderer, Templates};
use crate::routes::{ListRoute, Route};
use crate::site::{self, BuildOptions};
use crate::sources::SOURCES_FILE;

/// One output file: rendered bytes, or a file of the site to send as it is
/// (assets are not copied into memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Produced {
    Bytes(Vec<u8>),
    /// An absolute path inside the site root.
    File(PathBuf),
}

/// An [`Output`] that keeps what is written, for the caller to publish.
#[derive(Default)]
struct Collect {
    files: Mutex<Vec<(String, Produced)>>,
}

impl Collect {
    fn into_files(self) -> Vec<(String, Produced)> {
        self.files.into_inner().unwrap_or_default()
    }

    fn push(&self, path: &str, p: Produced) -> Result<(), Diagnostic> {
        check_output_path(path)?;
        if let Ok(mut f) = self.files.lock() {
            f.push((path.to_string(), p));
        }
        Ok(())
    }
}

impl Output for Collect {
    fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        self.push(path, Produced::Bytes(bytes))
    }

    fn copy_file(&self, path: &str, from: &Path) -> Result<(), Diagnostic> {
        self.push(path, Produced::File(from.to_path_buf()))
    }
}

/// Rendered outputs, by output path.
pub type Files = Vec<(String, Produced)>;

/// Called by [`LiveSite::apply`] with the changed pages, before the rest.
pub type Early<'a> = &'a mut dyn FnMut(&[(String, Produced)]);

/// What [`LiveSite::apply`] changed.
#[derive(Debug, Default)]
pub struct Update {
    /// Outputs re-rendered (and checked) by the change, besides `early`:
    /// the listing, tag and source pages showing changed documents, or
    /// every output after a full reload.
    pub files: Vec<(String, Produced)>,
    /// The changed documents' own pages, rendered first and handed to the
    /// `early` callback of [`LiveSite::apply`] (so open pages can reload
    /// before the listings are done).
    pub early: Vec<String>,
    /// Outputs that may have changed but that no open page is likely to
    /// be showing (feeds, the sitemap, the search index, the Web
    /// Annotation collection, pages that only show site-wide counts). The
    /// caller renders them when idle, or when asked for, with
    /// [`LiveSite::render_path`].
    pub later: Vec<String>,
    /// Outputs that no longer exist.
    pub removed: Vec<String>,
    /// The whole site was reloaded (every output is in `files`).
    pub full: bool,
    /// Warnings of the change (errors make `apply` fail instead).
    pub warnings: Vec<Diagnostic>,
    /// Documents re-rendered from their Markdown.
    pub documents: usize,
    /// How long the update took, from the call to the return.
    pub elapsed: Duration,
    /// How long each step took (for `serve --verbose` and benchmarks).
    pub timings: Vec<(&'static str, Duration)>,
}

/// What kind of file a changed path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Reload everything (site.yaml, sources.yaml, a section's _index.md).
    Full,
    /// A template of the theme or of the site's own templates/.
    Template,
    /// A file of the theme's static/.
    ThemeStatic,
    /// An article or page, or its sidecar.
    Document,
    /// A file copied as it is (static/, files beside articles).
    Asset,
    /// Not part of the site.
    Ignored,
}

/// A site loaded, checked and kept up to date.
pub struct LiveSite {
    options: BuildOptions,
    site: Site,
    templates: Templates,
    catalogue: Catalogue,
    /// Every output (after collision checks), and where each path is.
    jobs: Vec<(String, Job)>,
    by_path: HashMap<String, usize>,
    /// Stable identities of the documents, parallel to `site.documents`.
    ids: Vec<u32>,
    next_id: u32,
    /// Document file → index into `site.documents`.
    by_file: HashMap<PathBuf, usize>,
    /// Every document file found (drafts included), by path.
    doc_files: HashMap<PathBuf, DocFile>,
    /// Sidecar → its document's file.
    sidecar_of: HashMap<PathBuf, PathBuf>,
    /// The parts of the content tree whose change needs a full reload.
    sections: BTreeSet<String>,
    section_indexes: Vec<(String, PathBuf)>,
    /// Content file → its page's site path (for links between files).
    links: HashMap<PathBuf, String>,
}

/// The lists a change may reorder, by document identity, for comparison.
struct Snapshot {
    home: Vec<u32>,
    sections: Vec<Vec<u32>>,
    /// By tag slug: (name, articles).
    tags: HashMap<String, (String, Vec<u32>)>,
    source_articles: Vec<Vec<u32>>,
    source_notes: Vec<Vec<(u32, usize)>>,
}

/// The outputs a change touched.
#[derive(Default)]
struct Touched {
    /// The changed documents' pages.
    now: Vec<String>,
    /// Pages showing them: listings, tags, sources, neighbours; new outputs.
    then: Vec<String>,
    later: Vec<String>,
    removed: Vec<String>,
}

/// What [`LiveSite::replace_documents`] did.
struct Replaced {
    /// The documents taken out (old versions), with their identities.
    taken: Vec<(u32, Document)>,
    /// Documents whose rendering may differ.
    changed: HashSet<u32>,
    /// The derived lists before the change, when they were derived again.
    lists: Option<Snapshot>,
}

/// Everything needed to undo a change of documents.
struct Undo {
    /// The documents taken out (old versions), to put back.
    removed: Vec<(u32, Document)>,
    /// The files of the documents put in, to take out.
    inserted: Vec<PathBuf>,
    links: Option<HashMap<PathBuf, String>>,
    doc_files: Option<(HashMap<PathBuf, DocFile>, HashMap<PathBuf, PathBuf>)>,
    assets: Option<Vec<crate::model::Asset>>,
}

fn relative(root: &Path, p: &Path) -> Option<PathBuf> {
    if p.is_relative() {
        return Some(p.to_path_buf());
    }
    p.strip_prefix(root).ok().map(Path::to_path_buf)
}

fn strict(diags: &mut [Diagnostic], strict: bool) {
    if strict {
        for d in diags.iter_mut() {
            d.severity = crate::error::Severity::Error;
        }
    }
}

fn page_count(items: usize, per_page: usize) -> usize {
    items.div_ceil(per_page.max(1)).max(1)
}

fn list_page_path(list: &ListRoute, page: usize) -> String {
    Route::Listing {
        list: list.clone(),
        page,
    }
    .path()
}

/// The paths of every page of source `i`'s page.
fn source_page_paths(site: &Site, i: usize) -> Vec<String> {
    let list = crate::render::list_route(site, crate::render::List::Source(i));
    let n = site.source_uses.get(i).map_or(0, |u| u.entries().len());
    (1..=page_count(n, site.config.paginate_by))
        .map(|p| list_page_path(&list, p))
        .collect()
}

fn doc_page_path(dir: &str) -> String {
    Route::Document {
        dir: dir.to_string(),
    }
    .path()
}

fn section_list(dir: &str) -> ListRoute {
    ListRoute::Section {
        dir: dir.to_string(),
    }
}

impl LiveSite {
    /// Loads and checks the whole site (nothing is rendered yet: see
    /// [`LiveSite::render_everything`]). `None` when it has errors.
    pub fn load(options: &BuildOptions) -> (Option<LiveSite>, Diagnostics) {
        let (prepared, mut diags) = crate::prepare(options);
        let Some((site, templates)) = prepared else {
            return (None, diags);
        };
        if diags.has_errors() {
            return (None, diags);
        }
        // The walk the load did is not kept by it; walk again for the
        // classification of each file (cheap next to parsing).
        let (tree, d) = load::load_tree(&options.root);
        diags.extend(d);
        let catalogue = Catalogue::new(&site);
        let n = site.documents.len();
        let mut live = LiveSite {
            options: options.clone(),
            links: HashMap::new(),
            site,
            templates,
            catalogue,
            jobs: Vec::new(),
            by_path: HashMap::new(),
            ids: (0..n as u32).collect(),
            next_id: n as u32,
            by_file: HashMap::new(),
            doc_files: HashMap::new(),
            sidecar_of: HashMap::new(),
            sections: BTreeSet::new(),
            section_indexes: Vec::new(),
        };
        live.take_tree(tree);
        live.links = live.link_map();
        live.index_files();
        let collisions = live.replan();
        diags.extend(collisions);
        if diags.has_errors() {
            return (None, diags);
        }
        (Some(live), diags)
    }

    pub fn site(&self) -> &Site {
        &self.site
    }

    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Every output path of the site.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.jobs.iter().map(|(p, _)| p.as_str())
    }

    pub fn has_path(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    fn renderer(&self) -> Renderer<'_> {
        Renderer::with_catalogue(&self.site, &self.templates, &self.catalogue)
    }

    /// Renders every output. Errors are template errors and unreadable
    /// files.
    pub fn render_everything(&self) -> (Vec<(String, Produced)>, Vec<Diagnostic>) {
        let all: Vec<String> = self.jobs.iter().map(|(p, _)| p.clone()).collect();
        self.render_paths(&all)
    }

    /// Renders one output by path (`None`: the site has no such output).
    pub fn render_path(&self, path: &str) -> Option<Result<Produced, Diagnostic>> {
        let &i = self.by_path.get(path)?;
        let (p, job) = &self.jobs[i];
        let sink = Collect::default();
        Some(self.renderer().render_job(p, job, &sink).and_then(|()| {
            sink.into_files()
                .pop()
                .map(|(_, f)| f)
                .ok_or_else(|| Diagnostic::error(None, format!("nothing was rendered for {path}")))
        }))
    }

    /// Renders the given outputs in parallel (unknown paths are skipped).
    pub fn render_paths(&self, paths: &[String]) -> (Vec<(String, Produced)>, Vec<Diagnostic>) {
        let jobs: Vec<(String, Job)> = paths
            .iter()
            .filter_map(|p| self.by_path.get(p).map(|&i| self.jobs[i].clone()))
            .collect();
        let sink = Collect::default();
        let (_, diags) = self.renderer().render_all(&jobs, &sink);
        (sink.into_files(), diags)
    }

    // ---- bookkeeping -------------------------------------------------

    fn take_tree(&mut self, tree: ContentTree) {
        self.doc_files.clear();
        self.sidecar_of.clear();
        for f in tree.documents {
            if let Some(sc) = &f.sidecar {
                self.sidecar_of.insert(sc.clone(), f.rel.clone());
            }
            self.doc_files.insert(f.rel.clone(), f);
        }
        self.sections = tree.sections;
        self.section_indexes = tree.section_indexes;
    }

    fn link_map(&self) -> HashMap<PathBuf, String> {
        let mut links = HashMap::with_capacity(self.site.documents.len() + 8);
        for d in &self.site.documents {
            links.insert(d.file.clone(), d.path.clone());
        }
        for s in self
            .site
            .sections
            .iter()
            .chain(std::iter::once(&self.site.home))
        {
            if let Some(f) = &s.file {
                links.insert(f.clone(), s.path.clone());
            }
        }
        links
    }

    fn index_files(&mut self) {
        self.by_file = self
            .site
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.file.clone(), i))
            .collect();
    }

    /// Plans every output again; returns the collisions (whose jobs are
    /// dropped from the plan).
    fn replan(&mut self) -> Vec<Diagnostic> {
        let renderer = self.renderer();
        let mut jobs = renderer.plan();
        let diags = renderer.check_collisions(&mut jobs);
        self.by_path = jobs
            .iter()
            .enumerate()
            .map(|(i, (p, _))| (p.clone(), i))
            .collect();
        self.jobs = jobs;
        diags
    }

    /// Whether the planned search shards are not those the site's terms
    /// need now.
    fn search_shards_differ(&self) -> bool {
        let planned: BTreeSet<&str> = self
            .jobs
            .iter()
            .filter_map(|(_, job)| match job {
                Job::SearchShard(k) => Some(k.as_str()),
                _ => None,
            })
            .collect();
        let now = crate::render::search::shard_keys(self.site.documents.iter());
        planned.len() != now.len() || planned.iter().zip(&now).any(|(a, b)| *a != b.as_str())
    }

    /// Where each copied output comes from: a site file, or the theme
    /// (`None`).
    fn copied_sources(&self) -> HashMap<String, Option<PathBuf>> {
        self.jobs
            .iter()
            .filter_map(|(p, job)| match job {
                Job::Asset(i) => Some((p.clone(), Some(self.site.assets[*i].file.clone()))),
                Job::ThemeStatic(_) => Some((p.clone(), None)),
                _ => None,
            })
            .collect()
    }

    /// The derived lists as they are now, by document identity, with
    /// `ids` the identities of the documents they index.
    fn snapshot(&self, ids: &[u32]) -> Snapshot {
        let map = |v: &[usize]| -> Vec<u32> { v.iter().map(|&i| ids[i]).collect() };
        let site = &self.site;
        Snapshot {
            home: map(&site.home.articles),
            sections: site.sections.iter().map(|s| map(&s.articles)).collect(),
            tags: site
                .tags
                .iter()
                .map(|t| (t.slug.clone(), (t.name.clone(), map(&t.articles))))
                .collect(),
            source_articles: site.source_uses.iter().map(|u| map(&u.articles)).collect(),
            source_notes: site
                .source_uses
                .iter()
                .map(|u| u.notes.iter().map(|r| (ids[r.doc], r.note)).collect())
                .collect(),
        }
    }

    /// What kind of file `rel` (relative to the root) is.
    fn kind_of(&self, rel: &Path) -> Kind {
        let Some(first) = rel.components().next() else {
            return Kind::Ignored;
        };
        let first = first.as_os_str();
        if rel
            .components()
            .any(|c| load::is_ignored_name(&c.as_os_str().to_string_lossy()))
            && first != "static"
        {
            return Kind::Ignored;
        }
        if rel == Path::new(crate::config::CONFIG_FILE) || rel == Path::new(SOURCES_FILE) {
            return Kind::Full;
        }
        if first == "templates" {
            return Kind::Template;
        }
        if first == "themes" {
            let theme = Path::new("themes").join(&self.site.config.theme);
            return if rel.starts_with(theme.join("templates")) {
                Kind::Template
            } else if rel.starts_with(theme.join("static")) {
                Kind::ThemeStatic
            } else if rel.starts_with(&theme) {
                // theme.yaml, or the theme folder itself.
                Kind::Template
            } else {
                Kind::Ignored
            };
        }
        if first == load::STATIC_DIR {
            return Kind::Asset;
        }
        if first == load::CONTENT_DIR {
            let name = rel
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            if name == "_index.md" {
                return Kind::Full;
            }
            if name.ends_with(".md") || name.ends_with(crate::annotate::sidecar::SIDECAR_SUFFIX) {
                return Kind::Document;
            }
            // A folder, or a file beside articles.
            return Kind::Asset;
        }
        Kind::Ignored
    }

    // ---- applying changes --------------------------------------------

    /// Brings the site up to date with `changed` files (absolute, or
    /// relative to the root; created, modified, removed or renamed — both
    /// names of a rename). On success returns what changed; on failure
    /// returns every diagnostic and the site is as it was.
    ///
    /// `early` is called once the changed documents' own pages are
    /// rendered, before the pages listing them are: a server can send
    /// those at once. If the rest then fails, the change is undone and
    /// those pages must be rendered again ([`LiveSite::render_paths`]).
    pub fn apply(&mut self, changed: &[PathBuf], early: Early<'_>) -> Result<Update, Diagnostics> {
        let started = Instant::now();
        let root = self.options.root.clone();
        let rels: Vec<PathBuf> = changed.iter().filter_map(|p| relative(&root, p)).collect();
        let kinds: Vec<(PathBuf, Kind)> = rels
            .into_iter()
            .map(|r| {
                let k = self.kind_of(&r);
                (r, k)
            })
            .filter(|(_, k)| *k != Kind::Ignored)
            .collect();
        let mut update = if kinds.is_empty() {
            Update::default()
        } else if kinds.iter().any(|(_, k)| *k == Kind::Full) {
            self.reload()?
        } else {
            let templates = kinds.iter().any(|(_, k)| *k == Kind::Template)
                || kinds.iter().any(|(r, k)| {
                    // A theme static file added or removed changes the plan.
                    *k == Kind::ThemeStatic
                        && (!self.by_path.contains_key(&theme_static_out(r))
                            || !root.join(r).is_file())
                });
            let mut update = if templates {
                self.apply_templates()?
            } else {
                Update::default()
            };
            let docs_or_assets: Vec<(PathBuf, Kind)> = kinds
                .into_iter()
                .filter(|(_, k)| matches!(k, Kind::Document | Kind::Asset | Kind::ThemeStatic))
                .collect();
            if !docs_or_assets.is_empty() {
                let u = match self.apply_content(&docs_or_assets, early) {
                    Outcome::Done(u) => u,
                    Outcome::Failed(mut ds) => {
                        ds.sort_by(|a, b| a.location.cmp(&b.location));
                        let mut d = Diagnostics::new();
                        d.extend(ds);
                        return Err(d);
                    }
                    Outcome::Reload => self.reload()?,
                };
                merge(&mut update, u);
            }
            update
        };
        update.elapsed = started.elapsed();
        Ok(update)
    }

    /// Reloads the whole site, keeping the current one if the new one has
    /// errors.
    fn reload(&mut self) -> Result<Update, Diagnostics> {
        let (fresh, mut diags) = LiveSite::load(&self.options);
        let Some(fresh) = fresh else {
            return Err(diags);
        };
        let (files, d) = fresh.render_everything();
        diags.extend(d);
        if diags.has_errors() {
            return Err(diags);
        }
        let removed = self
            .by_path
            .keys()
            .filter(|p| !fresh.by_path.contains_key(*p))
            .cloned()
            .collect();
        let documents = fresh.site.documents.len();
        *self = fresh;
        Ok(Update {
            files,
            removed,
            full: true,
            warnings: diags.into_vec(),
            documents,
            ..Update::default()
        })
    }

    /// Reloads the templates and re-renders every page whose template
    /// changed (with what it extends or includes).
    fn apply_templates(&mut self) -> Result<Update, Diagnostics> {
        let fresh = match Templates::load(&self.options.root, &self.site.config.theme) {
            Ok(t) => t,
            Err(ds) => {
                let mut d = Diagnostics::new();
                d.extend(ds);
                return Err(d);
            }
        };
        let changed = fresh.changed_since(&self.templates);
        let affected = fresh.dependents(&changed);
        let mut old = std::mem::replace(&mut self.templates, fresh);
        let before: HashSet<String> = self.by_path.keys().cloned().collect();
        let collisions = self.replan();
        let mut paths: Vec<String> = self
            .jobs
            .iter()
            .filter(|(p, job)| {
                job.template(&self.site)
                    .is_some_and(|t| affected.contains(t))
                    || matches!(job, Job::ThemeStatic(_))
                    || !before.contains(p)
            })
            .map(|(p, _)| p.clone())
            .collect();
        paths.sort();
        let (files, mut diags) = if collisions.is_empty() {
            self.render_paths(&paths)
        } else {
            (Vec::new(), collisions)
        };
        if diags.iter().any(Diagnostic::is_error) {
            std::mem::swap(&mut self.templates, &mut old);
            self.replan();
            diags.sort_by(|a, b| a.location.cmp(&b.location));
            let mut d = Diagnostics::new();
            d.extend(diags);
            return Err(d);
        }
        let removed = before
            .into_iter()
            .filter(|p| !self.by_path.contains_key(p))
            .collect();
        Ok(Update {
            files,
            removed,
            warnings: diags,
            ..Update::default()
        })
    }

    /// Applies changed documents, sidecars and copied files.
    fn apply_content(&mut self, changed: &[(PathBuf, Kind)], early: Early<'_>) -> Outcome {
        let root = self.options.root.clone();
        // Files that exist and are known need no new walk; anything created
        // or removed does.
        let mut structural = false;
        let mut docs: BTreeSet<PathBuf> = BTreeSet::new();
        let mut asset_paths: Vec<String> = Vec::new();
        for (rel, kind) in changed {
            let exists = root.join(rel).is_file();
            match kind {
                Kind::Document => {
                    let doc = if self.doc_files.contains_key(rel) {
                        Some(rel.clone())
                    } else {
                        self.sidecar_of.get(rel).cloned()
                    };
                    match doc {
                        Some(d) if exists => {
                            docs.insert(d);
                        }
                        _ => structural = true,
                    }
                }
                Kind::Asset | Kind::ThemeStatic => {
                    let out = if *kind == Kind::ThemeStatic {
                        Some(theme_static_out(rel))
                    } else {
                        self.site
                            .assets
                            .iter()
                            .find(|a| a.file == *rel)
                            .map(|a| a.dest.clone())
                    };
                    match out {
                        Some(o) if exists && self.by_path.contains_key(&o) => asset_paths.push(o),
                        _ if *kind == Kind::ThemeStatic => {}
                        _ => structural = !root.join(rel).is_dir() || structural,
                    }
                }
                _ => {}
            }
        }
        let mut new_tree = None;
        let mut removed_docs: Vec<PathBuf> = Vec::new();
        if structural {
            let (tree, walk_diags) = load::load_tree(&root);
            if tree.sections != self.sections || tree.section_indexes != self.section_indexes {
                return Outcome::Reload;
            }
            let mut diags: Vec<Diagnostic> = walk_diags;
            for s in &tree.orphan_sidecars {
                diags.push(Diagnostic::error(
                    Some(Location::file(s)),
                    "this sidecar is beside no article (there is no Markdown file of its name)",
                ));
            }
            if diags.iter().any(Diagnostic::is_error) {
                return Outcome::Failed(diags);
            }
            for f in &tree.documents {
                if self.doc_files.get(&f.rel) != Some(f) {
                    docs.insert(f.rel.clone());
                }
            }
            let now: HashSet<&PathBuf> = tree.documents.iter().map(|f| &f.rel).collect();
            removed_docs = self
                .doc_files
                .keys()
                .filter(|f| !now.contains(f))
                .cloned()
                .collect();
            new_tree = Some(tree);
        }
        self.apply_documents(docs, removed_docs, new_tree, asset_paths, early)
    }

    /// The heart of the incremental path: re-render `docs`, drop
    /// `removed`, re-derive the lists, and re-render the outputs that show
    /// them.
    fn apply_documents(
        &mut self,
        mut docs: BTreeSet<PathBuf>,
        removed: Vec<PathBuf>,
        tree: Option<ContentTree>,
        asset_paths: Vec<String>,
        early: Early<'_>,
    ) -> Outcome {
        let root = self.options.root.clone();
        let config_strict = self.site.config.strict;
        let mut diags: Vec<Diagnostic> = Vec::new();
        let mut clock = Clock::new();
        let files_of = |rels: &BTreeSet<PathBuf>, tree: &Option<ContentTree>| -> Vec<DocFile> {
            rels.iter()
                .filter_map(|r| match tree {
                    Some(t) => t.documents.iter().find(|f| f.rel == *r).cloned(),
                    None => self.doc_files.get(r).cloned(),
                })
                .collect()
        };

        // Parse the changed documents.
        let ratings = self.site.config.ratings.clone();
        let parse = |files: Vec<DocFile>| -> Vec<(Option<site::ParsedDoc>, Vec<Diagnostic>)> {
            files
                .par_iter()
                .map(|f| site::parse_document(&root, f, ratings.as_ref()))
                .collect()
        };
        let mut parsed: Vec<site::ParsedDoc> = Vec::new();
        let mut gone: Vec<PathBuf> = removed;
        for (doc, d) in parse(files_of(&docs, &tree)) {
            diags.extend(d);
            if let Some(doc) = doc {
                if doc.is_draft() && !self.options.drafts {
                    gone.push(doc.file().rel.clone());
                } else {
                    parsed.push(doc);
                }
            }
        }
        // Their paths, and the link map they render against.
        let mut paths: Vec<String> = Vec::with_capacity(parsed.len());
        for doc in &parsed {
            let (path, d) = site::document_path(doc);
            diags.extend(d);
            paths.push(path);
        }
        let mut moved: HashSet<String> = HashSet::new();
        let mut links = None;
        for f in &gone {
            if let Some(old) = self.links.get(f) {
                moved.insert(old.clone());
            }
        }
        for (doc, path) in parsed.iter().zip(&paths) {
            let rel = &doc.file().rel;
            if self.links.get(rel) != Some(path) {
                if let Some(old) = self.links.get(rel) {
                    moved.insert(old.clone());
                }
                links.get_or_insert_with(|| self.links.clone());
            }
        }
        if !gone.is_empty() {
            links.get_or_insert_with(|| self.links.clone());
        }
        if let Some(l) = &mut links {
            for f in &gone {
                l.remove(f);
            }
            for (doc, path) in parsed.iter().zip(&paths) {
                l.insert(doc.file().rel.clone(), path.clone());
            }
        }
        // Documents linking to a page that moved or went must be rendered
        // again (their links change, or break).
        if !moved.is_empty() {
            let extra: BTreeSet<PathBuf> = self
                .site
                .documents
                .iter()
                .filter(|d| !docs.contains(&d.file) && !gone.contains(&d.file))
                .filter(|d| d.internal_links.iter().any(|l| moved.contains(&l.path)))
                .map(|d| d.file.clone())
                .collect();
            for (doc, d) in parse(files_of(&extra, &tree)) {
                diags.extend(d);
                if let Some(doc) = doc {
                    let (path, d) = site::document_path(&doc);
                    diags.extend(d);
                    parsed.push(doc);
                    paths.push(path);
                }
            }
            docs.extend(extra);
        }
        // Source keys.
        for doc in &parsed {
            for (key, loc) in doc.source_references() {
                if self.site.registry.index_of(&key).is_none() {
                    if self.site.config.auto_sources {
                        // A new bare source: the registry changes.
                        return Outcome::Reload;
                    }
                    diags.push(self.site.registry.unknown(&key, &loc));
                }
            }
        }
        // Render them.
        let link_map = links.as_ref().unwrap_or(&self.links);
        let env = Env {
            base_url: &self.site.config.base_url,
            unsafe_html: self.site.config.unsafe_html,
            links: link_map,
            sources: &self.site.registry,
        };
        let rendered: Vec<(Document, Vec<Diagnostic>)> = parsed
            .into_par_iter()
            .zip(paths.into_par_iter())
            .map(|(doc, path)| site::render_document(doc, path, &env))
            .collect();
        let mut new_docs = Vec::with_capacity(rendered.len());
        for (doc, d) in rendered {
            diags.extend(d);
            new_docs.push(doc);
        }
        strict(&mut diags, config_strict);
        if diags.iter().any(Diagnostic::is_error) {
            return Outcome::Failed(diags);
        }
        clock.lap("parse and render Markdown");

        // Apply, remembering how to undo.
        let site_value = self.renderer().site_value().clone();
        let documents = new_docs.len();
        let mut undo = Undo {
            removed: Vec::new(),
            inserted: new_docs.iter().map(|d| d.file.clone()).collect(),
            links: None,
            doc_files: None,
            assets: None,
        };
        let mut remove: Vec<PathBuf> = gone.clone();
        remove.extend(undo.inserted.iter().cloned());
        let inserted_keys = crate::render::search::shard_keys(new_docs.iter());
        let replaced = self.replace_documents(&remove, new_docs);
        // The search shards are planned by the terms' prefixes: when the
        // changed documents' prefixes differ, the set of shards may.
        let shards_changed = inserted_keys
            != crate::render::search::shard_keys(replaced.taken.iter().map(|(_, d)| d))
            && self.search_shards_differ();
        undo.removed = replaced.taken;
        clock.lap("replace documents");
        let mut structural =
            replaced.lists.is_some() || shards_changed || self.claims_pages_changed();
        if let Some(l) = links {
            undo.links = Some(std::mem::replace(&mut self.links, l));
            structural = true;
        }
        // What copied outputs come from, before the files change.
        let copied = tree.as_ref().map(|_| self.copied_sources());
        if let Some(tree) = tree {
            undo.doc_files = Some((self.doc_files.clone(), self.sidecar_of.clone()));
            let assets = site::assets(&tree, &self.links);
            if assets.len() != self.site.assets.len()
                || assets
                    .iter()
                    .zip(&self.site.assets)
                    .any(|(a, b)| a.file != b.file || a.dest != b.dest)
            {
                undo.assets = Some(std::mem::replace(&mut self.site.assets, assets));
            }
            self.take_tree(tree);
            structural = true;
        }
        // The plan only changes with the lists, paths or files.
        let mut old_paths = None;
        let mut collisions = Vec::new();
        let mut recopy = Vec::new();
        if structural {
            old_paths = Some(std::mem::take(&mut self.by_path));
            collisions = self.replan();
            // A path now copied from another file (a static/ file that
            // overrode the theme's was removed, or the reverse).
            if let Some(copied) = copied {
                recopy = self
                    .copied_sources()
                    .into_iter()
                    .filter(|(p, src)| copied.get(p).is_some_and(|old| old != src))
                    .map(|(p, _)| p)
                    .collect();
            }
            clock.lap("plan");
        }
        let touched = match (&replaced.lists, &old_paths) {
            (Some(lists), _) => {
                self.dirty(lists, &replaced.changed, &site_value, old_paths.as_ref())
            }
            (None, Some(paths)) => {
                let empty = self.snapshot(&self.ids);
                let mut t = self.dirty(&empty, &replaced.changed, &site_value, Some(paths));
                t.then.extend(self.dirty_in_place(&replaced.changed).then);
                t
            }
            (None, None) => self.dirty_in_place(&replaced.changed),
        };
        clock.lap("find touched outputs");
        let fail = |me: &mut LiveSite, undo: Undo, mut d: Vec<Diagnostic>| {
            me.undo(undo);
            d.sort_by(|a, b| a.location.cmp(&b.location));
            Outcome::Failed(d)
        };
        if !collisions.is_empty() {
            return fail(self, undo, collisions);
        }
        // The changed pages first: the caller can tell open pages at once.
        let (files, d) = self.render_paths(&touched.now);
        if d.iter().any(Diagnostic::is_error) {
            return fail(self, undo, d);
        }
        diags.extend(d);
        clock.lap("render changed pages");
        early(&files);
        let mut rest: Vec<String> = touched.then;
        rest.extend(asset_paths);
        rest.extend(recopy);
        let (more, d) = self.render_paths(&rest);
        if d.iter().any(Diagnostic::is_error) {
            return fail(self, undo, d);
        }
        diags.extend(d);
        clock.lap("render listing, tag and source pages");
        Outcome::Done(Update {
            files: more,
            early: files.into_iter().map(|(p, _)| p).collect(),
            later: touched.later,
            removed: touched.removed,
            warnings: diags,
            documents,
            timings: clock.laps,
            ..Update::default()
        })
    }

    fn undo(&mut self, undo: Undo) {
        let docs: Vec<Document> = undo.removed.into_iter().map(|(_, d)| d).collect();
        let _ = self.replace_documents(&undo.inserted, docs);
        if let Some(l) = undo.links {
            self.links = l;
        }
        if let Some((f, s)) = undo.doc_files {
            self.doc_files = f;
            self.sidecar_of = s;
        }
        if let Some(a) = undo.assets {
            self.site.assets = a;
        }
        self.replan();
    }

    /// Takes the documents of the files `remove` out and puts `insert` in,
    /// keeping everything parallel to `site.documents` in step. Returns the
    /// documents taken out (with their ids) and the ids of every document
    /// whose rendering may differ (inserted ones, and ones whose tag
    /// spelling or section link changed).
    fn replace_documents(&mut self, remove: &[PathBuf], insert: Vec<Document>) -> Replaced {
        let old_ids = self.ids.clone();
        let mut changed: HashSet<u32> = HashSet::new();
        let mut taken = Vec::new();
        // Documents replaced by a new version of the same file keep their
        // place (and identity); the rest are removed and appended.
        let mut insert_by_file: HashMap<PathBuf, Document> =
            insert.into_iter().map(|d| (d.file.clone(), d)).collect();
        let mut dropped: Vec<usize> = Vec::new();
        let mut touched: Vec<usize> = Vec::new();
        let mut rewire = false;
        for f in remove {
            let Some(&i) = self.by_file.get(f) else {
                continue;
            };
            match insert_by_file.remove(f) {
                Some(new) => {
                    rewire |= !same_wiring(&self.site.documents[i], &new);
                    let old = std::mem::replace(&mut self.site.documents[i], new);
                    taken.push((self.ids[i], old));
                    touched.push(i);
                    changed.insert(self.ids[i]);
                }
                None => dropped.push(i),
            }
        }
        let appended: Vec<Document> = insert_by_file.into_values().collect();
        let mut order_changed = !dropped.is_empty() || !appended.is_empty();
        if !dropped.is_empty() {
            dropped.sort_unstable();
            let drop: HashSet<usize> = dropped.iter().copied().collect();
            let docs = std::mem::take(&mut self.site.documents);
            let ids = std::mem::take(&mut self.ids);
            let items = std::mem::take(&mut self.catalogue.items);
            for (i, ((d, id), item)) in docs.into_iter().zip(ids).zip(items).enumerate() {
                if drop.contains(&i) {
                    taken.push((id, d));
                } else {
                    self.site.documents.push(d);
                    self.ids.push(id);
                    self.catalogue.items.push(item);
                }
            }
        }
        for d in appended {
            let id = self.next_id;
            self.next_id += 1;
            changed.insert(id);
            self.site.documents.push(d);
            self.ids.push(id);
            self.catalogue.items.push(tera::Value::none());
        }
        if !order_changed {
            // A changed document may have moved (a new date or title).
            let docs = &self.site.documents;
            order_changed = touched.iter().any(|&i| {
                (i > 0 && site::document_order(&docs[i - 1], &docs[i]).is_gt())
                    || (i + 1 < docs.len() && site::document_order(&docs[i], &docs[i + 1]).is_gt())
            });
        }
        if order_changed {
            let mut order: Vec<usize> = (0..self.site.documents.len()).collect();
            {
                let docs = &self.site.documents;
                order.sort_by(|&a, &b| site::document_order(&docs[a], &docs[b]));
            }
            let mut docs: Vec<Option<Document>> = std::mem::take(&mut self.site.documents)
                .into_iter()
                .map(Some)
                .collect();
            self.site.documents = order.iter().filter_map(|&i| docs[i].take()).collect();
            self.ids = order.iter().map(|&i| self.ids[i]).collect();
            self.catalogue.reorder(&order);
        }
        // The derived lists only change when the order or what they are
        // made of (section, tags, source, notes and their sources) does.
        let mut lists = None;
        if order_changed || rewire {
            // The lists still index the documents as they were.
            lists = Some(self.snapshot(&old_ids));
            for i in site::wire(&mut self.site) {
                changed.insert(self.ids[i]);
            }
            for s in self.catalogue.refresh_section_links(&self.site) {
                for &i in &self.site.sections[s].articles {
                    changed.insert(self.ids[i]);
                }
            }
        } else {
            // Keep what wire() would have set: the section index and the
            // tag spellings (unchanged, or `rewire` would be set).
            for &i in &touched {
                let old = taken.iter().find(|(id, _)| *id == self.ids[i]);
                if let Some((_, old)) = old {
                    self.site.documents[i].section = old.section;
                }
            }
        }
        if order_changed {
            self.index_files();
        }
        for i in 0..self.site.documents.len() {
            if changed.contains(&self.ids[i]) {
                self.catalogue.update_document(&self.site, i);
            }
        }
        Replaced {
            taken,
            changed,
            lists,
        }
    }

    /// The outputs a change touched, by comparing the lists before and
    /// after it: (pages showing a changed document — its own page first,
    /// then listing/tag/source pages and neighbours; outputs to render
    /// later; outputs removed).
    fn dirty(
        &self,
        before: &Snapshot,
        changed: &HashSet<u32>,
        site_value: &tera::Value,
        old_paths: Option<&HashMap<String, usize>>,
    ) -> Touched {
        let site = &self.site;
        let ids = |v: &[usize]| -> Vec<u32> { v.iter().map(|&i| self.ids[i]).collect() };
        let mut now: Vec<String> = Vec::new();
        let mut then: BTreeSet<String> = BTreeSet::new();
        let index_of_id: HashMap<u32, usize> = if changed.len() < 64 {
            self.ids
                .iter()
                .enumerate()
                .filter(|(_, id)| changed.contains(id))
                .map(|(i, &id)| (id, i))
                .collect()
        } else {
            self.ids
                .iter()
                .enumerate()
                .map(|(i, &id)| (id, i))
                .collect()
        };
        for (&id, &i) in &index_of_id {
            if changed.contains(&id) {
                now.push(doc_page_path(&site.documents[i].path));
            }
        }
        now.sort();

        // Listings: a page is touched when its slice of articles differs,
        // or holds a changed article; every page when the count changes.
        touch_list(
            &mut then,
            changed,
            &ListRoute::Home,
            &before.home,
            &ids(&site.home.articles),
            site.home.paginate_by,
        );
        let mut counts_changed = false;
        for (s, sec) in site.sections.iter().enumerate() {
            let new = ids(&sec.articles);
            let old = before.sections.get(s).map(Vec::as_slice).unwrap_or(&[]);
            counts_changed |= old.len() != new.len();
            touch_list(
                &mut then,
                changed,
                &section_list(&sec.path),
                old,
                &new,
                sec.paginate_by,
            );
        }
        let mut tags_changed = before.tags.len() != site.tags.len();
        for t in &site.tags {
            let new = ids(&t.articles);
            let (old_name, old) = match before.tags.get(&t.slug) {
                Some((n, v)) => (n.as_str(), v.as_slice()),
                None => ("", &[][..]),
            };
            let base = ListRoute::Tag {
                slug: t.slug.clone(),
            };
            if old_name != t.name {
                tags_changed = true;
                for p in 1..=page_count(new.len(), site.config.paginate_by) {
                    then.insert(list_page_path(&base, p));
                }
            }
            tags_changed |= old.len() != new.len();
            touch_list(
                &mut then,
                changed,
                &base,
                old,
                &new,
                site.config.paginate_by,
            );
        }
        if tags_changed {
            then.insert(Route::TagIndex.path());
        }
        if counts_changed {
            // Section pages list their subsections with counts.
            for p in 1..=page_count(site.home.articles.len(), site.home.paginate_by) {
                then.insert(list_page_path(&ListRoute::Home, p));
            }
            for sec in &site.sections {
                if !sec.subsections.is_empty() {
                    for p in 1..=page_count(sec.articles.len(), sec.paginate_by) {
                        then.insert(list_page_path(&section_list(&sec.path), p));
                    }
                }
            }
        }

        // Neighbours (earlier/later links) of changed articles, before and after.
        let mut neighbours: BTreeSet<u32> = BTreeSet::new();
        for (s, sec) in site.sections.iter().enumerate() {
            let new = ids(&sec.articles);
            let old = before.sections.get(s).cloned().unwrap_or_default();
            for v in [&old, &new] {
                for (k, id) in v.iter().enumerate() {
                    if changed.contains(id) {
                        if k > 0 {
                            neighbours.insert(v[k - 1]);
                        }
                        if let Some(&n) = v.get(k + 1) {
                            neighbours.insert(n);
                        }
                    }
                }
            }
            if old.len() == new.len() && old != new {
                // Reordered without a change of count: compare pairs.
                let pairs = |v: &[u32]| -> HashMap<u32, (Option<u32>, Option<u32>)> {
                    v.iter()
                        .enumerate()
                        .map(|(k, &id)| {
                            (id, (k.checked_sub(1).map(|j| v[j]), v.get(k + 1).copied()))
                        })
                        .collect()
                };
                let (po, pn) = (pairs(&old), pairs(&new));
                for (id, p) in &pn {
                    if po.get(id) != Some(p) {
                        neighbours.insert(*id);
                    }
                }
            }
        }
        if !neighbours.is_empty() {
            for (i, id) in self.ids.iter().enumerate() {
                if neighbours.contains(id) && !changed.contains(id) {
                    then.insert(doc_page_path(&site.documents[i].path));
                }
            }
        }

        // Sources: their pages list articles and notes.
        let mut sources_changed = false;
        for (s, uses) in site.source_uses.iter().enumerate() {
            let arts = ids(&uses.articles);
            let notes: Vec<(u32, usize)> = uses
                .notes
                .iter()
                .map(|r| (self.ids[r.doc], r.note))
                .collect();
            let old_arts = before.source_articles.get(s);
            let old_notes = before.source_notes.get(s);
            let counts = old_arts.map(Vec::len) != Some(arts.len())
                || old_notes.map(Vec::len) != Some(notes.len());
            sources_changed |= counts;
            if counts
                || old_arts != Some(&arts)
                || old_notes != Some(&notes)
                || arts.iter().any(|id| changed.contains(id))
                || notes.iter().any(|(id, _)| changed.contains(id))
            {
                let slug = &site.registry.all()[s].slug;
                then.extend(source_page_paths(site, s));
                then.insert(Route::SourceFeed { slug: slug.clone() }.path());
            }
        }
        if sources_changed {
            then.insert(Route::SourceIndex.path());
        }
        let feed_limit = site.config.feed_limit;
        let head_new = ids(&site.home.articles[..site.home.articles.len().min(feed_limit)]);
        let head_old = &before.home[..before.home.len().min(feed_limit)];
        if head_new != head_old || head_new.iter().any(|id| changed.contains(id)) {
            then.insert(Route::Feed.path());
        }

        // New outputs, and ones that went.
        let mut removed: Vec<String> = Vec::new();
        if let Some(old) = old_paths {
            for p in self.by_path.keys() {
                if !old.contains_key(p) {
                    then.insert(p.clone());
                }
            }
            removed = old
                .keys()
                .filter(|p| !self.by_path.contains_key(*p))
                .cloned()
                .collect();
        }
        for p in &now {
            then.remove(p);
        }
        then.retain(|p| self.by_path.contains_key(p));
        let mut later = self.later(!changed.is_empty() || !removed.is_empty(), None);
        if self.renderer().site_value() != site_value {
            let now_set: HashSet<&String> = now.iter().collect();
            for (p, job) in &self.jobs {
                if job.template(site).is_some() && !now_set.contains(p) && !then.contains(p) {
                    later.push(p.clone());
                }
            }
        }
        Touched {
            now,
            then: then.into_iter().collect(),
            later,
            removed,
        }
    }

    /// Whether the number of `/claims/` pages planned differs from what the
    /// site's rated notes now need (a rating added or removed).
    fn claims_pages_changed(&self) -> bool {
        let planned = self
            .jobs
            .iter()
            .filter(|(_, job)| matches!(job, Job::Claims(_)))
            .count();
        let claims = crate::render::exports::claims(&self.site).len();
        planned != claims.div_ceil(self.site.config.paginate_by.max(1)).max(1)
    }

    /// The site-wide data files, which change with any document, and the
    /// annotation pages of the documents in `docs` (every document's when
    /// `None`: pages name their neighbours, which a change of the lists
    /// may change).
    fn later(&self, any: bool, docs: Option<&[usize]>) -> Vec<String> {
        if !any {
            return Vec::new();
        }
        self.jobs
            .iter()
            .filter(|(_, job)| match job {
                Job::AnnotationPage { doc, .. } | Job::SearchDoc(doc) => {
                    docs.is_none_or(|d| d.contains(doc))
                }
                other => other.is_site_data(),
            })
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// The outputs touched by documents changed in place: same file, same
    /// path, same place in every list. Found from their positions, without
    /// comparing whole lists.
    fn dirty_in_place(&self, changed: &HashSet<u32>) -> Touched {
        let site = &self.site;
        let mut now = Vec::new();
        let mut then: BTreeSet<String> = BTreeSet::new();
        let docs: Vec<usize> = self
            .ids
            .iter()
            .enumerate()
            .filter(|(_, id)| changed.contains(id))
            .map(|(i, _)| i)
            .collect();
        let mut page_of =
            |list: &[usize], i: usize, base: &ListRoute, per: usize| -> Option<usize> {
                let pos = list.binary_search(&i).ok()?;
                then.insert(list_page_path(base, pos / per.max(1) + 1));
                Some(pos)
            };
        let mut neighbours = Vec::new();
        let mut sources: BTreeSet<usize> = BTreeSet::new();
        let mut feed = false;
        for &i in &docs {
            let d = &site.documents[i];
            now.push(doc_page_path(&d.path));
            if let Some(pos) = page_of(
                &site.home.articles,
                i,
                &ListRoute::Home,
                site.home.paginate_by,
            ) {
                feed |= pos < site.config.feed_limit;
            }
            if let Some(s) = d.section.and_then(|s| site.sections.get(s))
                && let Some(pos) = page_of(&s.articles, i, &section_list(&s.path), s.paginate_by)
            {
                if pos > 0 {
                    neighbours.push(s.articles[pos - 1]);
                }
                if let Some(&n) = s.articles.get(pos + 1) {
                    neighbours.push(n);
                }
            }
            for name in &d.tags {
                let slug = slug::slugify(name);
                if let Ok(t) = site.tags.binary_search_by(|t| t.slug.as_str().cmp(&slug)) {
                    let base = ListRoute::Tag { slug };
                    page_of(&site.tags[t].articles, i, &base, site.config.paginate_by);
                }
            }
            sources.extend(d.source.as_deref().and_then(|k| site.registry.index_of(k)));
            for n in &d.notes {
                sources.extend(n.sources.iter().filter_map(|k| site.registry.index_of(k)));
            }
        }
        for n in neighbours {
            if !changed.contains(&self.ids[n]) {
                then.insert(doc_page_path(&site.documents[n].path));
            }
        }
        for s in sources {
            let slug = &site.registry.all()[s].slug;
            then.extend(source_page_paths(site, s));
            then.insert(Route::SourceFeed { slug: slug.clone() }.path());
        }
        if feed {
            then.insert(Route::Feed.path());
        }
        then.retain(|p| self.by_path.contains_key(p));
        now.sort();
        Touched {
            now,
            then: then.into_iter().collect(),
            later: self.later(!docs.is_empty(), Some(&docs)),
            removed: Vec::new(),
        }
    }
}

/// Whether two versions of a document feed the derived lists (sections,
/// tags, source uses, counts) the same way, so they need no re-deriving.
fn same_wiring(a: &Document, b: &Document) -> bool {
    a.section_folder == b.section_folder
        && a.section.is_some() == b.section.is_some()
        && a.tags == b.tags
        && a.source == b.source
        && a.notes.len() == b.notes.len()
        && a.notes
            .iter()
            .zip(&b.notes)
            .all(|(x, y)| x.sources == y.sources)
}

/// The pages of a listing a change touched: a page whose slice of
/// articles differs or holds a changed article; every page when the count
/// changed (each page shows the total).
fn touch_list(
    out: &mut BTreeSet<String>,
    changed: &HashSet<u32>,
    base: &ListRoute,
    old: &[u32],
    new: &[u32],
    per: usize,
) {
    let per = per.max(1);
    for p in 1..=page_count(new.len(), per) {
        let a = old.iter().skip((p - 1) * per).take(per);
        let b = new.iter().skip((p - 1) * per).take(per);
        if old.len() != new.len()
            || !a.eq(b.clone())
            || b.into_iter().any(|id| changed.contains(id))
        {
            out.insert(list_page_path(base, p));
        }
    }
}

/// Where a theme static file (`themes/<t>/static/x`) is served.
fn theme_static_out(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .skip(3)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// How applying changed content went.
enum Outcome {
    Done(Update),
    /// Errors; nothing was changed.
    Failed(Vec<Diagnostic>),
    /// The change needs the whole site reloaded.
    Reload,
}

/// Times the steps of an update.
struct Clock {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, what: &'static str) {
        let now = Instant::now();
        self.laps.push((what, now - self.last));
        self.last = now;
    }
}

fn merge(into: &mut Update, u: Update) {
    into.timings.extend(u.timings);
    into.files.extend(u.files);
    into.later.extend(u.later);
    into.removed.extend(u.removed);
    into.warnings.extend(u.warnings);
    into.documents = into.documents.saturating_add(u.documents);
    into.full |= u.full;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The outputs a server would hold: everything at the start, then each
    /// update applied (early pages, files, later ones rendered, removals).
    struct Mirror {
        live: LiveSite,
        files: BTreeMap<String, Produced>,
    }

    impl Mirror {
        fn new(root: &Path) -> Mirror {
            let options = BuildOptions {
                root: root.to_path_buf(),
                base_url: Some("http://127.0.0.1:1/".into()),
                ..Default::default()
            };
            let (live, diags) = LiveSite::load(&options);
            let live = live.unwrap_or_else(|| panic!("{diags:?}"));
            let (files, d) = live.render_everything();
            assert!(d.is_empty(), "{d:?}");
            Mirror {
                live,
                files: files.into_iter().collect(),
            }
        }

        #[track_caller]
        fn apply(&mut self, changed: &[&str]) -> Update {
            let root = self.live.options.root.clone();
            let paths: Vec<PathBuf> = changed.iter().map(|c| root.join(c)).collect();
            let mut early: Vec<(String, Produced)> = Vec::new();
            let mut cb = |f: &[(String, Produced)]| early.extend(f.iter().cloned());
            let u = match self.live.apply(&paths, &mut cb) {
                Ok(u) => u,
                Err(d) => panic!("{:?}", d.into_vec()),
            };
            if u.full {
                self.files.clear();
            }
            for p in &u.removed {
                self.files.remove(p);
            }
            for (p, f) in early.into_iter().chain(u.files.iter().cloned()) {
                self.files.insert(p, f);
            }
            let (later, d) = self.live.render_paths(&u.later);
            assert!(d.is_empty(), "{d:?}");
            self.files.extend(later);
            u
        }

        /// Everything matches a site loaded from scratch.
        #[track_caller]
        fn assert_fresh(&self, step: &str) {
            let fresh = Mirror::new(&self.live.options.root);
            let ours: Vec<&String> = self.files.keys().collect();
            let theirs: Vec<&String> = fresh.files.keys().collect();
            assert_eq!(ours, theirs, "{step}: the set of outputs differs");
            for (p, f) in &fresh.files {
                let mine = &self.files[p];
                if mine != f {
                    let show = |x: &Produced| match x {
                        Produced::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                        Produced::File(f) => f.display().to_string(),
                    };
                    panic!(
                        "{step}: {p} differs\n--- incremental:\n{}\n--- fresh:\n{}",
                        show(mine),
                        show(f)
                    );
                }
            }
        }
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn article(title: &str, date: &str, source: &str, tags: &str, body: &str) -> String {
        format!(
            "---\ntitle: \"{title}\"\ndate: {date}\nsource: {source}\ntags: [{tags}]\n---\n{body}\n"
        )
    }

    #[test]
    fn incremental_updates_match_a_fresh_build() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "site.yaml", "title: T\npaginate_by: 2\n");
        write(
            root,
            "content/sources.yaml",
            "a:\n  name: Source A\n  kind: publication\nb:\n  name: Source B\n  kind: person\n",
        );
        for (i, (src, tags)) in [("a", "x, y"), ("b", "y"), ("a", "z"), ("b", "x")]
            .iter()
            .enumerate()
        {
            write(
                root,
                &format!("content/news/n{i}.md"),
                &article(
                    &format!("News {i}"),
                    &format!("2021-0{}-01", i + 1),
                    src,
                    tags,
                    &format!("Body {i} has a quotable passage. See [other](n0.md)."),
                ),
            );
        }
        write(
            root,
            "content/news/n1.annotations.yaml",
            "- quote: \"a quotable passage\"\n  note: \"First note.\"\n  sources: [a]\n",
        );
        write(root, "content/about.md", "---\ntitle: About\n---\nAbout.\n");
        // A page that shows only site-wide counts.
        write(
            root,
            "templates/404.html",
            "{{ site.article_count }} articles, {{ site.note_count }} notes, {{ site.tag_count }} tags",
        );
        let mut m = Mirror::new(root);

        type Step = (&'static str, Box<dyn Fn(&Path)>, Vec<&'static str>);
        let steps: Vec<Step> = vec![
            (
                "body edit in place",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n2.md",
                        &article(
                            "News 2",
                            "2021-03-01",
                            "a",
                            "z",
                            "Changed body, a quotable passage.",
                        ),
                    )
                }),
                vec!["content/news/n2.md"],
            ),
            (
                "title edit (neighbours, listings)",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n2.md",
                        &article(
                            "Renamed",
                            "2021-03-01",
                            "a",
                            "z",
                            "Changed body, a quotable passage.",
                        ),
                    )
                }),
                vec!["content/news/n2.md"],
            ),
            (
                "date edit (reorder)",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n0.md",
                        &article(
                            "News 0",
                            "2022-01-01",
                            "a",
                            "x, y",
                            "Body 0 has a quotable passage.",
                        ),
                    )
                }),
                vec!["content/news/n0.md"],
            ),
            (
                "tags and source edit",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n3.md",
                        &article(
                            "News 3",
                            "2021-04-01",
                            "a",
                            "new-tag, Y",
                            "Body 3 has a quotable passage.",
                        ),
                    )
                }),
                vec!["content/news/n3.md"],
            ),
            (
                "a note added",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n1.annotations.yaml",
                        "- quote: \"a quotable passage\"\n  note: \"First note.\"\n  sources: [a]\n- quote: \"Body 1\"\n  note: \"Second.\"\n  sources: [b]\n",
                    )
                }),
                vec!["content/news/n1.annotations.yaml"],
            ),
            (
                "an article added",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n9.md",
                        &article(
                            "News 9",
                            "2021-02-15",
                            "b",
                            "x",
                            "Body 9 links to [zero](n0.md#top).",
                        ),
                    )
                }),
                vec!["content/news/n9.md"],
            ),
            (
                "a sidecar created",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n9.annotations.yaml",
                        "- quote: \"Body 9\"\n  note: \"Nine.\"\n",
                    )
                }),
                vec!["content/news/n9.annotations.yaml"],
            ),
            (
                "an article deleted",
                Box::new(|r| {
                    std::fs::remove_file(r.join("content/news/n3.md")).unwrap();
                }),
                vec!["content/news/n3.md"],
            ),
            (
                "a slug change (links from other articles follow)",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n0.md",
                        "---\ntitle: News 0\ndate: 2022-01-01\nsource: a\nslug: zero\ntags: [x, y]\n---\nBody 0 has a quotable passage.\n",
                    )
                }),
                vec!["content/news/n0.md"],
            ),
            (
                "a draft hidden",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/n2.md",
                        "---\ntitle: Renamed\ndate: 2021-03-01\nsource: a\ndraft: true\n---\nHidden.\n",
                    )
                }),
                vec!["content/news/n2.md"],
            ),
            (
                "a file added beside articles and in static/",
                Box::new(|r| {
                    write(r, "content/news/chart.txt", "data");
                    write(r, "static/robots-extra.txt", "x");
                }),
                vec!["content/news/chart.txt", "static/robots-extra.txt"],
            ),
            (
                "a static file removed",
                Box::new(|r| std::fs::remove_file(r.join("static/robots-extra.txt")).unwrap()),
                vec!["static/robots-extra.txt"],
            ),
            (
                "the theme's stylesheet overridden",
                Box::new(|r| write(r, "static/style.css", "body { color: red }")),
                vec!["static/style.css"],
            ),
            (
                "the override edited",
                Box::new(|r| write(r, "static/style.css", "body { color: blue }")),
                vec!["static/style.css"],
            ),
            (
                "the override removed",
                Box::new(|r| std::fs::remove_file(r.join("static/style.css")).unwrap()),
                vec!["static/style.css"],
            ),
            (
                "an article in a new section",
                Box::new(|r| {
                    write(
                        r,
                        "content/essays/e1.md",
                        &article("Essay", "2021-06-01", "b", "x", "An essay."),
                    )
                }),
                vec!["content/essays/e1.md"],
            ),
            (
                "a section's _index.md",
                Box::new(|r| {
                    write(
                        r,
                        "content/news/_index.md",
                        "---\ntitle: The News\npaginate_by: 1\n---\nAll of it.\n",
                    )
                }),
                vec!["content/news/_index.md"],
            ),
            (
                "a template changed",
                Box::new(|r| {
                    write(
                        r,
                        "templates/page.html",
                        "{% extends \"base.html\" %}{% block content %}PAGE {{ page.title }}{% endblock content %}",
                    )
                }),
                vec!["templates/page.html"],
            ),
            (
                "site.yaml changed",
                Box::new(|r| write(r, "site.yaml", "title: T2\npaginate_by: 3\n")),
                vec!["site.yaml"],
            ),
        ];
        for (step, change, files) in steps {
            change(root);
            m.apply(&files);
            m.assert_fresh(step);
        }
    }

    #[test]
    fn a_failed_change_leaves_the_site_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "content/sources.yaml",
            "a:\n  name: A\n  kind: other\n",
        );
        write(
            root,
            "content/news/n0.md",
            &article("News 0", "2021-01-01", "a", "x", "Body zero."),
        );
        let mut m = Mirror::new(root);
        let before = m.files.clone();
        for (file, text) in [
            (
                "content/news/n0.annotations.yaml",
                "- quote: \"not in the text\"\n  note: x\n",
            ),
            (
                "content/news/n0.md",
                "---\ntitle: News 0\ndate: 2021-01-01\nsource: nope\n---\nBody.\n",
            ),
            ("content/news/n0.md", "---\ntitle: [unclosed\n---\nBody.\n"),
        ] {
            write(root, file, text);
            let r = m.live.apply(&[root.join(file)], &mut |_| {});
            let diags = r.expect_err("the change fails");
            assert!(diags.has_errors());
            assert!(
                diags.iter().any(|d| d
                    .location
                    .as_ref()
                    .is_some_and(|l| l.file.ends_with(file.rsplit('/').next().unwrap()))),
                "{:?}",
                diags.into_vec()
            );
            let _ = std::fs::remove_file(root.join("content/news/n0.annotations.yaml"));
            write(
                root,
                "content/news/n0.md",
                &article("News 0", "2021-01-01", "a", "x", "Body zero."),
            );
        }
        // Nothing was applied: rendering everything gives the same site.
        let (now, _) = m.live.render_everything();
        let now: BTreeMap<String, Produced> = now.into_iter().collect();
        assert!(now == before);
    }
}
