//! Incremental rebuilds: a loaded site kept in memory and updated file by
//! file, for the dev server (`marginalia serve`).
//!
//! [`LiveSite`] holds what a build computes — the [`Site`], its
//! [`Templates`], the render [`Catalogue`] and the plan of every output —
//! and [`LiveSite::apply`] brings it up to date with a set of changed
//! files. An edited article is re-parsed and re-rendered alone; the derived
//! lists (sections, tags, sources) are re-derived by the same
//! [`crate::site::wire`] the full build uses; then only the outputs whose bytes can
//! change are re-rendered. What cannot be done in place (site.yaml, the
//! source registry, a new section) reloads the whole site.
//!
//! Invariants:
//! - A `LiveSite` always describes a site without errors: `apply` either
//!   succeeds and returns every output it changed, or fails with the
//!   diagnostics and leaves the site as it was (the last good site).
//! - `site.documents` is sorted by [`crate::site::document_order`]; `ids`,
//!   `catalogue.items` is parallel to it.
//! - Nothing here writes to disk; outputs are returned as [`Produced`]
//!   values for the caller (the server's in-memory store) to keep.
//!
//! The parts:
//! - this file: [`LiveSite`], its loading, rendering by path, and the
//!   bookkeeping of which file is which document;
//! - `apply`: a batch of changed files applied (and undone on failure);
//! - `records`: what each output read, fingerprinted, and the outputs a
//!   change touched;
//! - [`on_demand`]: the site as phase one read it, rendering the pages
//!   asked for while the whole live site is being built.

mod apply;
pub mod on_demand;
mod records;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::config::BuildOptions;
use crate::error::{Diagnostic, Diagnostics};
use crate::load::{self, ContentTree, DocFile, FileKind};
use crate::model::Site;
use crate::output::{Output, check_output_path};
use crate::render::context::Catalogue;
use crate::render::{Input, Job, Renderer, Templates};

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

/// Called by [`LiveSite::apply`] with the changed pages, before the rest
/// (once or twice: the changed documents' own pages as soon as they are
/// rendered, then any other page that became theirs).
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

impl LiveSite {
    /// Loads and checks the whole site (nothing is rendered yet: see
    /// [`LiveSite::render_everything`]). `None` when it has errors.
    pub fn load(options: &BuildOptions) -> (Option<LiveSite>, Diagnostics) {
        let (prepared, diags) = crate::prepare(options);
        let Some((site, templates)) = prepared else {
            return (None, diags);
        };
        LiveSite::from_site(options, site, templates, diags)
    }

    /// [`LiveSite::load`] for a site already loaded (every document
    /// rendered), with the diagnostics of its load. `None` when it has
    /// errors.
    pub fn from_site(
        options: &BuildOptions,
        site: Site,
        templates: Templates,
        mut diags: Diagnostics,
    ) -> (Option<LiveSite>, Diagnostics) {
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
