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
use crate::load::{self, ContentTree, DocFile, FileKind};
use crate::markdown::Env;
use crate::model::{Document, Site};
use crate::output::{Output, check_output_path};
use crate::render::context::Catalogue;
use crate::render::reads::page_slice;
use crate::render::{Input, Job, List, Renderer, Templates};
use crate::routes::ListRoute;
use crate::site::{self, BuildOptions};

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
    /// What each output read when it was last rendered, by output path:
    /// a change re-renders the outputs whose record differs.
    records: HashMap<String, Record>,
    /// A document's revision: bumped whenever it is rendered again.
    doc_rev: HashMap<PathBuf, u64>,
    /// A fingerprint of each document's listing item.
    item_fp: HashMap<PathBuf, u64>,
    /// The last revision given out.
    rev: u64,
}

/// The inputs an output read, each with its value's fingerprint.
pub type Record = Vec<(Input, u64)>;

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
    /// The derived lists were derived again.
    rewired: bool,
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
            records: HashMap::new(),
            doc_rev: HashMap::new(),
            item_fp: HashMap::new(),
            rev: 0,
        };
        live.take_tree(tree);
        live.links = live.link_map();
        live.index_files();
        let collisions = live.replan();
        diags.extend(collisions);
        if diags.has_errors() {
            return (None, diags);
        }
        live.refresh_documents(0..live.site.documents.len());
        live.records = live.records();
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
            // A snapshot is read with its article (DESIGN §10).
            for v in &f.versions {
                self.sidecar_of.insert(v.clone(), f.rel.clone());
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

    /// What kind of file `rel` (relative to the root) is, for an update.
    fn kind_of(&self, rel: &Path) -> Kind {
        match load::classify_path(rel, Some(&self.site.config.theme)) {
            FileKind::Config | FileKind::Sources | FileKind::SectionIndex => Kind::Full,
            FileKind::Template => Kind::Template,
            FileKind::ThemeStatic => Kind::ThemeStatic,
            FileKind::Document | FileKind::Sidecar | FileKind::Snapshot => Kind::Document,
            FileKind::Copied => Kind::Asset,
            FileKind::Ignored => Kind::Ignored,
        }
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
            let note_partial = self.templates.fingerprint(crate::markdown::NOTE_PARTIAL);
            let mut update = if templates {
                self.apply_templates()?
            } else {
                Update::default()
            };
            let mut docs_or_assets: Vec<(PathBuf, Kind)> = kinds
                .into_iter()
                .filter(|(_, k)| matches!(k, Kind::Document | Kind::Asset | Kind::ThemeStatic))
                .collect();
            if self.templates.fingerprint(crate::markdown::NOTE_PARTIAL) != note_partial {
                // The partial writes the asides inside each document's
                // rendered body (what `Job::Document` declares it reads),
                // so the documents render again, not only their pages.
                let listed: HashSet<PathBuf> =
                    docs_or_assets.iter().map(|(p, _)| p.clone()).collect();
                let all = self.site.documents.iter().map(|d| d.file.clone());
                docs_or_assets.extend(
                    all.filter(|f| !listed.contains(f))
                        .map(|f| (f, Kind::Document)),
                );
            }
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
        let mut old = std::mem::replace(&mut self.templates, fresh);
        let collisions = self.replan();
        let (files, mut diags) = if collisions.is_empty() {
            let touched = self.touched(&HashSet::new());
            let mut paths = touched.now;
            paths.extend(touched.then);
            paths.extend(touched.later);
            let (files, diags) = self.render_paths(&paths);
            (Some((files, touched.removed)), diags)
        } else {
            (None, collisions)
        };
        if diags.iter().any(Diagnostic::is_error) {
            std::mem::swap(&mut self.templates, &mut old);
            self.replan();
            self.records = self.records();
            diags.sort_by(|a, b| a.location.cmp(&b.location));
            let mut d = Diagnostics::new();
            d.extend(diags);
            return Err(d);
        }
        let (files, removed) = files.unwrap_or_default();
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
                    // A copied file changed in place is found by its record.
                    match out {
                        Some(o) if exists && self.by_path.contains_key(&o) => {}
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
        self.apply_documents(docs, removed_docs, new_tree, early)
    }

    /// The heart of the incremental path: re-render `docs`, drop
    /// `removed`, re-derive the lists, and re-render the outputs that show
    /// them.
    fn apply_documents(
        &mut self,
        mut docs: BTreeSet<PathBuf>,
        removed: Vec<PathBuf>,
        tree: Option<ContentTree>,
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
        let note_template = crate::markdown::NoteTemplate::for_site(
            &self.site.config.root,
            &self.site.config.theme,
        );
        let env = Env {
            base_url: &self.site.config.base_url,
            unsafe_html: self.site.config.unsafe_html,
            links: link_map,
            sources: &self.site.registry,
            note_template: note_template.as_ref(),
            kinds: &self.site.config.kinds,
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
        let mut structural = replaced.rewired || shards_changed || self.claims_pages_changed();
        if let Some(l) = links {
            undo.links = Some(std::mem::replace(&mut self.links, l));
            structural = true;
        }
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
        let mut collisions = Vec::new();
        if structural {
            collisions = self.replan();
            clock.lap("plan");
        }
        let changed_files: HashSet<PathBuf> = self
            .site
            .documents
            .iter()
            .enumerate()
            .filter(|(i, _)| replaced.changed.contains(&self.ids[*i]))
            .map(|(_, d)| d.file.clone())
            .collect();
        let touched = if collisions.is_empty() {
            self.touched(&changed_files)
        } else {
            Touched::default()
        };
        clock.lap("find touched outputs");
        let fail = |me: &mut LiveSite, undo: Undo, mut d: Vec<Diagnostic>| {
            me.undo(undo);
            me.records = me.records();
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
        let (more, d) = self.render_paths(&touched.then);
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
                Some(mut new) => {
                    if same_wiring(&self.site.documents[i], &new) {
                        // Not re-wired: its tags keep the site's spelling
                        // (the first in site order), which wiring gave it.
                        new.tags = self.site.documents[i].tags.clone();
                    } else {
                        rewire = true;
                    }
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
        let rewired = order_changed || rewire;
        if rewired {
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
        let refresh: Vec<usize> = (0..self.site.documents.len())
            .filter(|&i| changed.contains(&self.ids[i]))
            .collect();
        for &i in &refresh {
            self.catalogue.update_document(&self.site, i);
        }
        self.refresh_documents(refresh);
        Replaced {
            taken,
            changed,
            rewired,
        }
    }

    /// Gives documents `which` (indices) a new revision and fingerprints
    /// their listing items again, after they were rendered again.
    fn refresh_documents(&mut self, which: impl IntoIterator<Item = usize>) {
        for i in which {
            self.rev += 1;
            let file = self.site.documents[i].file.clone();
            self.item_fp
                .insert(file.clone(), hash_json(&self.catalogue.items[i]));
            self.doc_rev.insert(file, self.rev);
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

    /// What every output of the plan reads now, with the fingerprints
    /// of those inputs.
    fn records(&self) -> HashMap<String, Record> {
        let renderer = self.renderer();
        let values = Values::new(self, &renderer);
        self.jobs
            .par_iter()
            .map(|(path, job)| {
                let record = renderer
                    .reads(job)
                    .into_iter()
                    .map(|input| {
                        let v = values.of(&input);
                        (input, v)
                    })
                    .collect();
                (path.clone(), record)
            })
            .collect()
    }

    /// The outputs whose inputs changed since they were rendered (their
    /// record differs from the one kept), sorted into the changed
    /// documents' own pages (`now`), the pages showing them (`then`), and
    /// the data files and pages that only show site-wide counts (`later`);
    /// and the outputs that are gone. Keeps the new records.
    fn touched(&mut self, changed: &HashSet<PathBuf>) -> Touched {
        let records = self.records();
        let mut t = Touched::default();
        for (path, job) in &self.jobs {
            let new = &records[path];
            let old = self.records.get(path);
            if old == Some(new) {
                continue;
            }
            let only_site = old.is_some_and(|old| {
                old.len() == new.len()
                    && old
                        .iter()
                        .zip(new)
                        .all(|(a, b)| a == b || (a.0 == Input::Site && b.0 == Input::Site))
            });
            match job {
                Job::Document(i) if changed.contains(&self.site.documents[*i].file) => {
                    t.now.push(path.clone())
                }
                Job::Sitemap | Job::SearchIndex | Job::Annotations => t.later.push(path.clone()),
                _ if only_site => t.later.push(path.clone()),
                _ => t.then.push(path.clone()),
            }
        }
        t.removed = self
            .records
            .keys()
            .filter(|p| !records.contains_key(*p))
            .cloned()
            .collect();
        t.now.sort();
        t.then.sort();
        t.later.sort();
        t.removed.sort();
        self.records = records;
        t
    }
}

/// The fingerprints of a live site's inputs, made once per change.
struct Values<'a> {
    live: &'a LiveSite,
    renderer: &'a Renderer<'a>,
    config: u64,
    site: u64,
    registry: u64,
    tags: u64,
    all_documents: u64,
    templates: HashMap<String, u64>,
    /// By site path: (own fingerprint, link fingerprint).
    sections: HashMap<String, (u64, u64)>,
    section_index: HashMap<String, usize>,
    tag_index: HashMap<String, usize>,
    source_index: HashMap<String, usize>,
    sources: HashMap<String, u64>,
}

impl<'a> Values<'a> {
    fn new(live: &'a LiveSite, renderer: &'a Renderer<'a>) -> Values<'a> {
        let site = &live.site;
        let templates = live
            .templates
            .template_names()
            .map(|n| (n.to_string(), live.templates.fingerprint(n)))
            .collect();
        let mut sections = HashMap::new();
        for (i, s) in std::iter::once(&site.home)
            .chain(&site.sections)
            .enumerate()
        {
            let subsections: Vec<_> = s
                .subsections
                .iter()
                .map(|&j| hash_json(&live.catalogue.section_links[j]))
                .collect();
            let own = hash_of(&(
                &s.title,
                &s.description,
                &s.content_html,
                format!("{:?}", s.extra),
                s.articles.len(),
                s.paginate_by,
                subsections,
            ));
            let link = if i == 0 {
                0
            } else {
                hash_json(&live.catalogue.section_links[i - 1])
            };
            sections.insert(s.path.clone(), (own, link));
        }
        let file = |i: usize| &site.documents[i].file;
        let sources = site
            .registry
            .all()
            .iter()
            .zip(&site.source_uses)
            .map(|(s, u)| {
                let arts: Vec<_> = u.articles.iter().map(|&i| file(i)).collect();
                let notes: Vec<_> = u.notes.iter().map(|r| (file(r.doc), r.note)).collect();
                (s.slug.clone(), hash_of(&(arts, notes)))
            })
            .collect();
        let all: Vec<_> = site
            .documents
            .iter()
            .map(|d| (&d.file, live.doc_rev.get(&d.file)))
            .collect();
        Values {
            live,
            renderer,
            config: hash_of(&format!("{:?}", site.config)),
            site: hash_json(renderer.site_value()),
            registry: hash_of(&format!("{:?}", site.registry)),
            tags: hash_of(
                &site
                    .tags
                    .iter()
                    .map(|t| (&t.slug, &t.name, t.articles.len()))
                    .collect::<Vec<_>>(),
            ),
            all_documents: hash_of(&all),
            templates,
            sections,
            section_index: site
                .sections
                .iter()
                .enumerate()
                .map(|(i, s)| (s.path.clone(), i))
                .collect(),
            tag_index: site
                .tags
                .iter()
                .enumerate()
                .map(|(i, t)| (t.slug.clone(), i))
                .collect(),
            source_index: site
                .registry
                .all()
                .iter()
                .enumerate()
                .map(|(i, s)| (s.slug.clone(), i))
                .collect(),
            sources,
        }
    }

    fn of(&self, input: &Input) -> u64 {
        let site = &self.live.site;
        match input {
            Input::Config => self.config,
            Input::Site => self.site,
            Input::Template(t) => self.templates.get(t).copied().unwrap_or(0),
            Input::Document(f) => self.live.doc_rev.get(f).copied().unwrap_or(0),
            Input::Item(f) => self.live.item_fp.get(f).copied().unwrap_or(0),
            Input::ListPage { list, page } => {
                let list = match list {
                    ListRoute::Home => Some(List::Home),
                    ListRoute::Section { dir } => {
                        self.section_index.get(dir).map(|&i| List::Section(i))
                    }
                    ListRoute::Tag { slug } => self.tag_index.get(slug).map(|&i| List::Tag(i)),
                    ListRoute::Source { slug } => {
                        self.source_index.get(slug).map(|&i| List::Source(i))
                    }
                    // The claims pages read every document instead.
                    ListRoute::Claims => None,
                };
                let Some(list) = list else { return 0 };
                let (members, per_page) = self.renderer.members(list);
                let on_page: Vec<_> = page_slice(&members, per_page, *page)
                    .iter()
                    .map(|&i| &site.documents[i].file)
                    .collect();
                hash_of(&(members.len(), per_page, on_page))
            }
            Input::Section(dir) => self.sections.get(dir).map_or(0, |s| s.0),
            Input::SectionLink(dir) => self.sections.get(dir).map_or(0, |s| s.1),
            Input::Tag(slug) => self.tag_index.get(slug).map_or(0, |&i| {
                let t = &site.tags[i];
                hash_of(&(&t.name, t.articles.len()))
            }),
            Input::Tags => self.tags,
            Input::Registry => self.registry,
            Input::Source(slug) => self.sources.get(slug).copied().unwrap_or(0),
            Input::AllDocuments => self.all_documents,
            Input::File(key) => {
                if key.starts_with("builtin:") {
                    return 0;
                }
                match std::fs::metadata(self.live.options.root.join(key)) {
                    Ok(m) => hash_of(&(
                        m.len(),
                        m.modified()
                            .ok()
                            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()),
                    )),
                    Err(_) => 1,
                }
            }
        }
    }
}

fn hash_of<T: std::hash::Hash>(x: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// A fingerprint of a value as JSON (template values have no `Hash`).
fn hash_json<T: serde::Serialize>(x: &T) -> u64 {
    use std::hash::Hasher;
    struct W(std::collections::hash_map::DefaultHasher);
    impl std::io::Write for W {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.write(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = W(std::collections::hash_map::DefaultHasher::new());
    let _ = serde_json::to_writer(&mut w, x);
    w.0.finish()
}

/// Whether two versions of a document feed the derived lists (sections,
/// tags, source uses, counts) the same way, so they need no re-deriving.
fn same_wiring(a: &Document, b: &Document) -> bool {
    a.section_folder == b.section_folder
        && a.section.is_some() == b.section.is_some()
        && a.written_tags == b.written_tags
        && a.source == b.source
        && a.notes.len() == b.notes.len()
        && a.notes
            .iter()
            .zip(&b.notes)
            .all(|(x, y)| x.sources == y.sources)
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
    // A page the later step rendered again (a document whose body the note
    // partial changed, after the templates step rendered its page) holds
    // the newer bytes: the earlier ones must not follow the early pages.
    let newer: HashSet<&str> = u
        .early
        .iter()
        .map(String::as_str)
        .chain(u.files.iter().map(|(p, _)| p.as_str()))
        .collect();
    into.files.retain(|(p, _)| !newer.contains(p.as_str()));
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
