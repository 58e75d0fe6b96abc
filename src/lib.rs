//! marginalia: a static site generator for annotated article archives.
//!
//! The pipeline runs one way:
//!
//! ```text
//! load (walkdir: classify files)           load.rs
//!   → parse (front matter, sidecars,      frontmatter.rs, annotate/, sources.rs
//!     source registry; serde_yaml)
//!   → model (typed Site: documents,        site.rs → model.rs
//!     sections, tags, source uses), with
//!     every document's Markdown rendered
//!     and its notes anchored               markdown/, annotate/anchor.rs
//!   → render (Tera pages, feeds, data)     render/
//!   → write (disk with atomic swap,        output.rs
//!     or memory)
//! ```
//!
//! [`build`] runs it all for the `build` command; [`check`] stops before
//! writing. Errors are values ([`error::Diagnostic`]) with a location; the
//! library never prints.

pub mod annotate;
pub mod cache;
pub mod capture;
pub mod charts;
pub mod config;
pub mod error;
pub mod frontmatter;
pub mod fsutil;
pub mod html;
pub mod import;
pub mod incremental;
pub mod linkcheck;
pub mod load;
pub mod markdown;
pub mod memstat;
pub mod menu;
pub mod model;
pub mod output;
pub mod paths;
pub mod render;
pub mod routes;
pub mod scaffold;
pub mod serve;
pub mod site;
pub mod sources;
pub mod theme;
pub mod url;
pub mod versions;
pub mod yaml;

use std::time::{Duration, Instant};

use error::{Diagnostic, Diagnostics};
use model::Site;
use output::{DiskOutput, Output};
use render::{Renderer, Templates};

pub use config::BuildOptions;

/// What a build did.
#[derive(Debug, Default, Clone)]
pub struct BuildReport {
    pub pages: usize,
    pub files: usize,
    pub articles: usize,
    pub notes: usize,
    pub elapsed: Duration,
    /// Nothing changed since the last build: the output was left as it
    /// was ([`cache`]).
    pub unchanged: bool,
    /// Outputs taken unchanged from the previous build ([`cache`]).
    pub reused: usize,
    /// Documents taken from the build cache instead of rendering their
    /// Markdown again ([`cache`]).
    pub documents_kept: usize,
    /// Documents whose notes were kept out of memory after their page
    /// was written ([`cache::spill`]).
    pub notes_spilled: usize,
    /// The search index was the one the build cache keeps, brought up to
    /// date, rather than made again ([`cache::search`]).
    pub search_index_kept: bool,
}

/// Loads the site and its templates, and plans every output. Everything a
/// build validates happens here; nothing is written.
pub fn prepare(options: &BuildOptions) -> (Option<(Site, Templates)>, Diagnostics) {
    let (site, mut diags) = site::load(options);
    let Some(site) = site else {
        return (None, diags);
    };
    match Templates::load(&site.config.root, &site.config.theme) {
        Ok(t) => (Some((site, t)), diags),
        Err(ds) => {
            diags.extend(ds);
            (None, diags)
        }
    }
}

/// Renders a prepared site into `out`. Returns the problems found while
/// rendering (URL collisions, template errors, write failures).
pub fn render_into(
    site: &Site,
    templates: &Templates,
    out: &dyn Output,
) -> (render::RenderStats, Vec<Diagnostic>) {
    let renderer = Renderer::new(site, templates);
    let mut jobs = renderer.plan();
    let mut diags = renderer.check_collisions(&mut jobs);
    let (stats, d) = renderer.render_all(&jobs, out);
    diags.extend(d);
    (stats, diags)
}

/// Told how a build goes, so the CLI can draw a progress bar. Library
/// code never prints; this is how it reports progress instead.
pub trait Progress: Sync {
    /// A stage begins: "loading" (no count known), then "writing" with
    /// the number of files.
    fn stage(&self, _name: &str, _total: Option<usize>) {}
    /// `n` more files were written.
    fn advance(&self, _n: usize) {}
    /// The build waits for something (another build of the same output
    /// holding the lock); `why` says what.
    fn waiting(&self, _why: &str) {}
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {}

/// An [`Output`] that counts what goes through it.
struct Counting<'a> {
    inner: &'a dyn Output,
    progress: &'a dyn Progress,
}

impl Output for Counting<'_> {
    fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        let r = self.inner.write(path, bytes);
        self.progress.advance(1);
        r
    }

    fn copy_file(&self, path: &str, from: &std::path::Path) -> Result<(), Diagnostic> {
        let r = self.inner.copy_file(path, from);
        self.progress.advance(1);
        r
    }

    fn write_with(
        &self,
        path: &str,
        fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), Diagnostic> {
        let r = self.inner.write_with(path, fill);
        self.progress.advance(1);
        r
    }
}

/// `marginalia build`: the whole pipeline, into the output folder. The old
/// output is replaced only when the new site is complete and error-free.
pub fn build(options: &BuildOptions) -> (BuildReport, Diagnostics) {
    build_with(options, &NoProgress)
}

/// [`build`], reporting its progress.
///
/// The build streams: it reads every file's front matter and sidecar
/// first (phase one), then renders each document's Markdown and writes its
/// page at once (phase two), keeping only what listings, source pages and
/// feeds need, and finally renders those (phase three). So the rendered
/// HTML of the whole archive is never held in memory.
pub fn build_with(options: &BuildOptions, progress: &dyn Progress) -> (BuildReport, Diagnostics) {
    let (report, diags, _) = build_reusing(options, progress, None, false);
    (report, diags)
}

/// [`build_with`] through the build cache when `cache` is given (the
/// inputs as read now, and what the previous build left when it may be
/// reused): documents and outputs whose inputs are unchanged are taken
/// from the previous build, and phase one reads through the kept parses
/// (ignoring those kept before when `clean`). Returns what the next build
/// may reuse.
fn build_reusing(
    options: &BuildOptions,
    progress: &dyn Progress,
    cache: Option<(&cache::Snapshot, Option<cache::State>)>,
    clean: bool,
) -> (BuildReport, Diagnostics, Option<cache::State>) {
    use rayon::prelude::*;
    use std::collections::{HashMap, HashSet};
    use std::path::PathBuf;
    let started = Instant::now();
    progress.stage("loading", None);
    let mut report = BuildReport::default();
    let mut loaded = match &cache {
        Some((snapshot, _)) => {
            let known = |rel: &std::path::Path| snapshot.content_hash(rel);
            cache::parsed::load_parsed_cached(options, !clean, Some(&known))
        }
        None => site::load_parsed(options),
    };
    memstat::mark("phase one: parse");
    let parsed = loaded.take_parsed();
    let mut extra = Diagnostics::new();
    let templates = match Templates::load(&loaded.site.config.root, &loaded.site.config.theme) {
        Ok(t) => Some(t),
        Err(ds) => {
            extra.extend(ds);
            None
        }
    };
    let config = &loaded.site.config;
    if !config.base_url_is_set {
        extra.push(
            Diagnostic::warning(
                Some(error::Location::file(config::CONFIG_FILE)),
                "no `base_url` is set: links are root-relative, no sitemap.xml is written (it needs absolute URLs), and feeds identify entries by `urn:uuid:` ids",
            )
            .with_help("set base_url to the address the site will be served from"),
        );
    } else if config.base_url_is_placeholder() {
        // Not at `serve`, which sets base_url to its own address.
        extra.push(
            Diagnostic::warning(
                config.base_url_location.clone(),
                format!(
                    "`base_url` is still the placeholder {}: the site will link to example.org",
                    config::PLACEHOLDER_BASE_URL
                ),
            )
            .with_help("set base_url in site.yaml to the address the site will be served from, or build with --base-url"),
        );
    }
    if let Err(d) = output::check_output_dir(&config.root, &config.output_dir) {
        extra.push(d);
    }
    if config.strict {
        extra.apply_strict();
    }

    // Write only when nothing is wrong so far; otherwise render anyway, to
    // report every problem of the documents too.
    let mut out = None;
    let renderer = templates
        .as_ref()
        .map(|t| Renderer::for_document_pages(&loaded.site, t, loaded.note_total));
    let mut total_jobs = 0;
    if let Some(r) = &renderer {
        let mut jobs = r.plan();
        extra.extend(r.check_collisions(&mut jobs));
        total_jobs = jobs.len();
    }

    // The build cache: each document's content key, the state this build
    // will leave, and the previous one when everything else is unchanged.
    let mut keys: HashMap<PathBuf, u128> = HashMap::new();
    let mut state: Option<cache::State> = None;
    let mut previous: Option<cache::State> = None;
    if let Some((snapshot, prev)) = cache {
        let mut files = HashSet::new();
        let mut complete = true;
        for d in &loaded.site.documents {
            files.insert(d.file.clone());
            files.extend(d.sidecar.clone());
            match snapshot.document_key(&d.file, d.sidecar.as_deref()) {
                Some(k) => {
                    keys.insert(d.file.clone(), k);
                }
                None => complete = false,
            }
        }
        let mut links: Vec<_> = loaded.links().iter().collect();
        links.sort();
        let links = cache::ledger::hash_of(&links);
        if let (true, Some(env), Some(render)) = (
            complete,
            snapshot.env_hash(&files),
            snapshot.render_hash(&loaded.site, links),
        ) {
            let s = cache::State {
                env,
                links,
                render,
                ..cache::State::default()
            };
            previous = prev.filter(|p| p.env == s.env && p.links == s.links);
            state = Some(s);
        }
    }
    // Each document's kept file, named by what rendering it reads.
    let kept_names: HashMap<PathBuf, u128> = match &state {
        Some(s) => loaded
            .site
            .documents
            .iter()
            .filter_map(|d| Some((d.file.clone(), s.kept_name(*keys.get(&d.file)?, &d.tags))))
            .collect(),
        None => HashMap::new(),
    };
    // What each document's page and search fragment read.
    let doc_records: Vec<(u128, u128)> = match (&renderer, &state) {
        (Some(r), Some(_)) => {
            let v = cache::ledger::Valuer::new(r, &keys);
            (0..loaded.site.documents.len())
                .into_par_iter()
                .map(|i| {
                    (
                        v.record(&render::Job::Document(i)),
                        v.record(&render::Job::SearchDoc(i)),
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    };
    // A full build indexes each document for search as it renders it, and
    // lets its terms go ([`render::search::IndexBuilder`]); an edit build
    // updates the previous index from the documents' terms instead.
    // A build with no previous output to update (into another folder)
    // starts from the index the build cache keeps, when every document
    // but a few is rendered from what that index was made from.
    let phase_one_order = render::search::order_of(&loaded.site);
    let index_builder = previous.is_none().then(|| {
        let earlier = state
            .as_ref()
            .filter(|_| !clean)
            .and_then(|s| cache::search::load(&config.root, s.render));
        match earlier {
            Some(e) => render::search::IndexBuilder::reusing(&loaded.site, e, &kept_names),
            None => render::search::IndexBuilder::new(),
        }
    });
    // The build's scratch file of notes ([`cache::spill`]), made once the
    // output is begun: a document's notes go there once it is indexed.
    let spill: std::sync::OnceLock<std::sync::Arc<cache::spill::Spill>> =
        std::sync::OnceLock::new();
    // What phase three does not read of a rendered document, let go as
    // soon as it is kept for the next build: its search terms once
    // indexed, and its links and ids (only `check` and `serve` read them).
    // A document whose place in the site's order may differ from phase
    // one's (its title comes from its rendered heading) is indexed at the
    // end instead, since postings are numbered in that order.
    let index_doc = |i: usize, doc: &mut model::Document| {
        doc.ids = Vec::new();
        doc.internal_links = Vec::new();
        doc.written_links = Vec::new();
        if let Some(b) = &index_builder
            && site::document_order(doc, &loaded.site.documents[i]).is_eq()
        {
            b.add(i, doc);
            doc.search_terms = Default::default();
            // Its notes' text too: the index and the search fragment
            // were its only readers (a tenth of what a note holds).
            for n in &mut doc.notes {
                n.body_text = String::new();
            }
            // And the notes themselves, until an output of phase three
            // reads them back.
            if let Some(spill) = spill.get() {
                spill.put(doc, &loaded.site.registry);
            }
        }
    };
    let docs_reused = std::sync::atomic::AtomicUsize::new(0);
    // The documents whose page was linked from the previous output: they
    // were restored without their search terms.
    let reused_at: Vec<std::sync::atomic::AtomicBool> = (0..loaded.site.documents.len())
        .map(|_| Default::default())
        .collect();
    let docs_kept = std::sync::atomic::AtomicUsize::new(0);
    // The hash of each document's kept head, as restored or kept now
    // ([`cache::head_value`]).
    let heads: Vec<std::sync::OnceLock<u128>> = (0..loaded.site.documents.len())
        .map(|_| Default::default())
        .collect();
    if !loaded.diagnostics.has_errors() && !extra.has_errors() {
        match DiskOutput::begin_with(&config.root, &config.output_dir, &|why| {
            progress.waiting(why)
        }) {
            Ok((mut o, leftovers)) => {
                if clean {
                    o.write_everything();
                }
                // Beside the output, on its disk; without one the notes
                // stay in memory.
                if let Some(s) = config
                    .output_dir
                    .parent()
                    .and_then(|dir| cache::spill::Spill::create(dir).ok())
                {
                    let _ = spill.set(s);
                }
                out = Some(o);
                extra.extend(leftovers);
            }
            Err(d) => extra.push(d),
        }
    }
    // Only a build without warnings is recorded: keep documents for the
    // next build only while this one may be.
    let recordable = loaded.diagnostics.is_empty() && extra.is_empty();
    progress.stage("writing", Some(total_jobs));
    let rendered = {
        let counting = out.as_ref().map(|o| Counting { inner: o, progress });
        // A document's page and search fragment, streamed in: a long
        // article's page and text are never held whole beside its HTML. A
        // template error stops the page and is reported as itself (the
        // build then fails, and the half-written page is never published).
        // `text` is the fragment's text when it is at hand (kept, or made
        // to be kept); otherwise the fragment takes it from the HTML.
        let write_pages = |i: usize, doc: &model::Document, text: Option<&str>| {
            let (Some(r), Some(sink)) = (&renderer, &counting) else {
                return Vec::new();
            };
            let path = routes::Route::Document {
                dir: doc.path.clone(),
            }
            .path();
            let mut failed = None;
            let page = sink.write_with(&path, &mut |w| {
                r.write_document_page(i, doc, &path, w).map_err(|d| {
                    failed = Some(d);
                    std::io::Error::other("template error")
                })
            });
            match failed.map_or(page, Err).and_then(|()| {
                // Its search fragment needs its text, which goes next.
                sink.write_with(&render::search::doc_path(i), &mut |w| {
                    render::search::write_fragment(r.site, doc, text, w)
                })
            }) {
                Ok(()) => Vec::new(),
                Err(d) => vec![d],
            }
        };
        // A document rendered by an earlier build from what it reads now is
        // taken from the cache (never by `--clean`): with both its files
        // when their inputs are the previous build's too, otherwise with its
        // page HTML, its page and fragment rendered again.
        let reuse = |i: usize, stub: &model::Document| -> Option<model::Document> {
            let name = *kept_names.get(&stub.file).filter(|_| !clean)?;
            let linked = (|| {
                let (prev, out) = (previous.as_ref()?, out.as_ref()?);
                let (page_rec, frag_rec) = doc_records.get(i)?;
                let page = routes::Route::Document {
                    dir: stub.path.clone(),
                }
                .path();
                let frag = render::search::doc_path(i);
                if prev.jobs.get(&page) != Some(page_rec) || prev.jobs.get(&frag) != Some(frag_rec)
                {
                    return None;
                }
                // Without its links, ids and search terms, which nothing
                // after this phase reads (but a search index made again);
                // its notes go into the scratch file as they are kept.
                let (head, notes, hash) = cache::load_kept_head(&config.root, name)?;
                let mut doc = head.restore()?;
                if out.reuse(&page).is_err() {
                    return None;
                }
                if out.reuse(&frag).is_err() {
                    out.unreuse(&page);
                    return None;
                }
                if !notes.restore_into(&mut doc, spill.get()) {
                    out.unreuse(&page);
                    out.unreuse(&frag);
                    return None;
                }
                progress.advance(2);
                docs_reused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                reused_at[i].store(true, std::sync::atomic::Ordering::Relaxed);
                Some((doc, hash))
            })();
            let is_linked = linked.is_some();
            let (mut doc, head, text) = match linked {
                Some((doc, hash)) => (doc, hash, String::new()),
                None => {
                    out.as_ref()?;
                    let (mut doc, html, text, hash) = cache::load_kept_page(&config.root, name)?;
                    doc.content_html = html;
                    (doc, hash, text)
                }
            };
            // What the whole site derives for it, as the stub has it.
            doc.section = stub.section;
            doc.tags = stub.tags.clone();
            if !is_linked {
                // A template error: rendered again, and reported there.
                if !write_pages(i, &doc, Some(&text)).is_empty() {
                    return None;
                }
                doc.content_html = String::new();
            }
            doc.release_page_only();
            docs_kept.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _ = heads[i].set(head);
            index_doc(i, &mut doc);
            Some(doc)
        };
        loaded.render_documents_releasing(parsed, false, reuse, |i, doc| {
            let name = kept_names.get(&doc.file).filter(|_| recordable);
            // The fragment's text, made once for the fragment and the kept
            // copy when the document is to be kept.
            let text = name.map(|_| render::search::plain_text(&doc.content_html));
            let diags = write_pages(i, doc, text.as_deref());
            // Kept for the next build as soon as it is rendered, not copied
            // for the end of the build; a build that read the cache
            // replaces what it could not use.
            if let (true, Some(name), Some(text)) = (diags.is_empty(), name, &text)
                && let Some(head) = cache::store_kept(
                    &config.root,
                    *name,
                    doc,
                    &loaded.site.registry,
                    text,
                    !clean,
                )
            {
                let _ = heads[i].set(head);
            }
            doc.release_page_only();
            index_doc(i, doc);
            diags
        })
    };
    drop(renderer);
    memstat::mark("phase two: documents");
    let documents_written = rendered.len();
    // The documents rendered again: the only ones whose search postings
    // may differ from the previous build's.
    let fresh: HashSet<PathBuf> = rendered
        .iter()
        .zip(&reused_at)
        .filter(|(_, r)| !r.load(std::sync::atomic::Ordering::Relaxed))
        .map(|((d, _), _)| d.file.clone())
        .collect();
    // The outputs phase two wrote (the record stamps only what a build
    // wrote), and each document's head: by phase two's order, which
    // `finish` may change. Without a previous state every output is
    // written, and the record looks at each as it does without the list
    // (~0.3 KB an article of paths not held).
    let mut written: Option<HashSet<String>> = previous.as_ref().map(|_| {
        rendered
            .iter()
            .enumerate()
            .filter(|(i, _)| !reused_at[*i].load(std::sync::atomic::Ordering::Relaxed))
            .flat_map(|(i, (d, _))| {
                let page = routes::Route::Document {
                    dir: d.path.clone(),
                }
                .path();
                [page, render::search::doc_path(i)]
            })
            .collect()
    });
    let heads: HashMap<PathBuf, u128> = rendered
        .iter()
        .zip(&heads)
        .filter_map(|((d, _), h)| Some((d.file.clone(), *h.get()?)))
        .collect();
    // Phase one's order, which the index builder numbered documents in.
    let phase_one: Vec<PathBuf> = match &index_builder {
        Some(_) => rendered.iter().map(|(d, _)| d.file.clone()).collect(),
        None => Vec::new(),
    };
    let (site, mut diags) = loaded.finish(rendered);
    diags.extend(extra);
    diags.sort();
    let (Some(out), Some(templates)) = (out, templates) else {
        return (report, diags, None);
    };
    if diags.has_errors() {
        out.abort();
        return (report, diags, None);
    }

    // Phase three: everything but the documents' own pages. The plan is
    // made again now that the notes are known (a source's page may have
    // more pages); a collision the first plan could not see is reported
    // here, the ones it saw are not repeated.
    let mut site = site;
    let index = match &previous {
        Some(prev) => {
            match search_index_reusing(&mut site, prev, out.live_dir(), &fresh, &kept_names) {
                Ok(index) => index,
                Err(d) => {
                    diags.push(d);
                    out.abort();
                    return (report, diags, None);
                }
            }
        }
        None => match index_builder {
            Some(b) => {
                let at: HashMap<&std::path::Path, usize> = site
                    .documents
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (d.file.as_path(), i))
                    .collect();
                let number: Vec<usize> = phase_one.iter().map(|f| at[f.as_path()]).collect();
                let root = &site.config.root;
                let kept_doc = |name| cache::load_kept_doc(root, name);
                match b.finish(&site, |i| number[i], kept_doc) {
                    Ok(index) => Some(index),
                    Err(file) => {
                        diags.push(cache_changed(&file));
                        out.abort();
                        return (report, diags, None);
                    }
                }
            }
            None => None,
        },
    };
    drop(phase_one);
    // An index that could not be updated is made again now, from the
    // notes too, before they leave memory (the renderer would make it
    // on first use, from spilled notes).
    let index = index.unwrap_or_else(|| render::search::Index::new(&site));
    // The notes the search index still read (an edit build's, or those of
    // a document indexed at the end) leave memory now.
    if let Some(spill) = spill.get() {
        let registry = &site.registry;
        site.documents
            .par_iter_mut()
            .for_each(|d| spill.put(d, registry));
    }
    memstat::mark("site finished, search index");
    report.search_index_kept = index.from_earlier();
    let renderer = Renderer::new(&site, &templates);
    renderer.set_search_index(index);
    let mut jobs = renderer.plan();
    for d in renderer.check_collisions(&mut jobs) {
        if !diags.iter().any(|x| *x == d) {
            diags.push(d);
        }
    }
    if diags.has_errors() {
        drop(renderer);
        out.abort();
        diags.sort();
        return (report, diags, None);
    }
    jobs.retain(|(_, job)| !matches!(job, render::Job::Document(_) | render::Job::SearchDoc(_)));
    let docs_reused_n = docs_reused.into_inner();
    let mut reused = 2 * docs_reused_n;
    let mut to_render: Option<Vec<render::Job>> = None;
    if let Some(state) = &mut state {
        // Every output's record goes in: grown once, not ~15 times.
        state.jobs.reserve(2 * site.documents.len() + jobs.len());
        for (i, d) in site.documents.iter().enumerate() {
            if let Some((page, frag)) = doc_records.get(i) {
                let path = routes::Route::Document {
                    dir: d.path.clone(),
                }
                .path();
                state.jobs.insert(path, *page);
                state.jobs.insert(render::search::doc_path(i), *frag);
            }
        }
        // What these outputs read of a document is its head.
        let values: HashMap<PathBuf, u128> = site
            .documents
            .iter()
            .map(|d| {
                let head = heads.get(&d.file).copied();
                let v = cache::head_value(head, keys.get(&d.file).copied());
                (d.file.clone(), v)
            })
            .collect();
        // `/notes.csv` copies the rows of documents of the same value from
        // the previous build's file: everything else they read is the
        // previous build's when there is a previous state.
        renderer.set_csv_reuse(render::exports::CsvReuse {
            previous: previous.as_ref().and_then(|p| {
                let rows = p.notes_csv.clone()?;
                Some((out.live_dir().join(routes::NOTES_CSV), rows))
            }),
            // A document known by neither its head nor its files' key has
            // no value to match rows by: its rows are made.
            values: site
                .documents
                .iter()
                .map(|d| {
                    (heads.contains_key(&d.file) || keys.contains_key(&d.file))
                        .then(|| values[&d.file])
                })
                .collect(),
        });
        let valuer = cache::ledger::Valuer::new(&renderer, &values);
        let records: Vec<u128> = jobs
            .par_iter()
            .map(|(_, j)| renderer.own_record(j).unwrap_or_else(|| valuer.record(j)))
            .collect();
        let render: Vec<bool> = jobs
            .par_iter()
            .zip(&records)
            .map(|((path, _), rec)| {
                let same = previous
                    .as_ref()
                    .is_some_and(|p| p.jobs.get(path) == Some(rec));
                !(same && out.reuse(path).is_ok())
            })
            .collect();
        // The records keep each output's path; what is rendered is
        // written to its route's path, made again.
        let mut todo = Vec::with_capacity(jobs.len());
        let before = reused;
        for (((path, job), rec), render) in std::mem::take(&mut jobs)
            .into_iter()
            .zip(records)
            .zip(render)
        {
            if render {
                if let Some(written) = &mut written {
                    written.insert(path.clone());
                }
                todo.push(job);
            } else {
                reused += 1;
            }
            state.jobs.insert(path, rec);
        }
        progress.advance(reused - before);
        to_render = Some(todo);
        state.written = written;
        state.search = renderer.search_index().kept().clone();
        state.search_shards = renderer
            .search_index()
            .records()
            .map(|(k, r)| (k.to_string(), r))
            .collect();
        // A document is known by its kept name only when it is kept.
        state.search_names = site
            .documents
            .iter()
            .map(|d| heads.get(&d.file).and(kept_names.get(&d.file)).copied())
            .collect();
        state.search_phase_one = phase_one_order;
        state.docs = site
            .documents
            .iter()
            .filter_map(|d| kept_names.get(&d.file).copied())
            .collect();
    }
    memstat::mark("phase three: plan, records");
    let counting = Counting {
        inner: &out,
        progress,
    };
    let (stats, d) = match &to_render {
        Some(todo) => renderer.render_jobs(todo, &counting),
        None => renderer.render_all(&jobs, &counting),
    };
    diags.extend(d);
    if let Some(state) = &mut state {
        // An unchanged `/notes.csv` is the previous file, rows where they were.
        state.notes_csv = renderer
            .take_csv_rows()
            .or_else(|| previous.as_mut().and_then(|p| p.notes_csv.take()));
    }
    drop(renderer);
    memstat::mark("phase three: render");
    if diags.has_errors() {
        out.abort();
        return (report, diags, None);
    }
    // Reused files that are the spare's copy of the live file's bytes,
    // not the live inode: the record stamps them as it does written ones.
    if let Some(written) = state.as_mut().and_then(|s| s.written.as_mut()) {
        written.extend(out.not_live());
    }
    match out.commit() {
        Ok(leftovers) => diags.extend(leftovers),
        Err(d) => {
            diags.push(d);
            return (report, diags, None);
        }
    }
    memstat::mark("commit");
    report.pages = stats.pages + documents_written;
    report.files = stats.files + reused + 2 * documents_written - 2 * docs_reused_n;
    report.reused = reused;
    report.documents_kept = docs_kept.into_inner();
    report.articles = site.home.articles.len();
    report.notes = site.note_count();
    report.notes_spilled = spill.get().map_or(0, |s| s.records());
    report.elapsed = started.elapsed();
    (report, diags, state)
}

/// The previous build's search index updated for the documents rendered
/// again (`fresh`), when it can be ([`render::search::Index::updated`]).
/// When it cannot, the documents reused from the build cache get back the
/// search terms they were restored without, for the index to be made
/// again from every document's: `Ok(None)`.
fn search_index_reusing(
    site: &mut model::Site,
    prev: &cache::State,
    live: &std::path::Path,
    fresh: &std::collections::HashSet<std::path::PathBuf>,
    kept_names: &std::collections::HashMap<std::path::PathBuf, u128>,
) -> Result<Option<render::search::Index>, Diagnostic> {
    use rayon::prelude::*;
    let root = site.config.root.clone();
    let updated = render::search::Index::updated(
        site,
        &render::search::PreviousIndex {
            kept: &prev.search,
            output: live,
            records: &prev.jobs,
        },
        |i| fresh.contains(&site.documents[i].file),
        |i| cache::load_kept_doc(&root, *prev.docs.get(i)?),
    );
    if updated.is_some() {
        return Ok(updated);
    }
    let missing = site
        .documents
        .par_iter_mut()
        .filter(|d| !fresh.contains(&d.file))
        .map(|d| {
            let kept = kept_names
                .get(&d.file)
                .and_then(|n| cache::load_kept_doc(&root, *n));
            match kept {
                Some(mut k) => {
                    d.search_terms = std::mem::take(&mut k.search_terms);
                    // And the notes it was restored without (spilled as
                    // kept), which the index is made from.
                    if d.spilled.take().is_some() {
                        d.notes = std::mem::take(&mut k.notes);
                    }
                    None
                }
                None => Some(d.file.clone()),
            }
        })
        .find_any(Option::is_some)
        .flatten();
    match missing {
        None => Ok(None),
        Some(file) => Err(cache_changed(&file)),
    }
}

/// A document's kept copy, read during the build, could not be read
/// again for the search index.
fn cache_changed(file: &std::path::Path) -> Diagnostic {
    Diagnostic::error(
        Some(error::Location::file(file)),
        "the build cache changed during the build: this document's kept copy could not be read again",
    )
    .with_help("build again (the next build is a full one)")
}

/// [`build_with`] through the persistent build cache ([`cache`]): when
/// the inputs, the binary, the options and the output are all as the last
/// successful build left them, nothing is done. `clean` ignores the cache
/// (and records afresh). Only a build without any warning is recorded, so
/// a skipped build never hides a warning.
pub fn build_cached(
    options: &BuildOptions,
    progress: &dyn Progress,
    clean: bool,
) -> (BuildReport, Diagnostics) {
    let started = Instant::now();
    let snapshot = cache::Snapshot::take(options);
    memstat::mark("inputs hashed");
    if !clean && snapshot.unchanged() {
        let report = BuildReport {
            unchanged: true,
            elapsed: started.elapsed(),
            ..BuildReport::default()
        };
        return (report, Diagnostics::new());
    }
    let previous = if clean {
        None
    } else {
        snapshot.previous_state(&options.root)
    };
    cache::forget(&options.root);
    let (mut report, mut diags, state) =
        build_reusing(options, progress, Some((&snapshot, previous)), clean);
    if !diags.is_empty() {
        cache::discard(&options.root);
    } else if let Err(d) = snapshot.save(&options.root, state.as_ref()) {
        diags.push(
            Diagnostic::warning(d.location, d.message)
                .with_help("the site was built; the next build will be a full one"),
        );
    }
    report.elapsed = started.elapsed();
    (report, diags)
}

/// `marginalia check`: everything a build validates, rendering every page
/// in memory (so template errors show), plus every internal link and
/// `#anchor` of the rendered site ([`linkcheck`]); writes nothing.
pub fn check(options: &BuildOptions) -> (Option<Site>, Diagnostics) {
    let (prepared, mut diags) = prepare(options);
    let Some((site, templates)) = prepared else {
        return (None, diags);
    };
    let sink = output::MemoryOutput::new();
    let renderer = Renderer::new(&site, &templates);
    let mut jobs = renderer.plan();
    diags.extend(renderer.check_collisions(&mut jobs));
    let (_, d) = renderer.render_all(&jobs, &sink);
    diags.extend(d);
    drop(renderer);
    diags.extend(linkcheck::check(&site, &templates, &jobs, &sink.into_map()));
    for d in &site.documents {
        if let Some(sha) = &d.archive_sha256
            && let Err(e) = capture::verify_original(&site.config.root, &d.file, sha)
        {
            diags.push(e);
        }
    }
    (Some(site), diags)
}

/// A quote `check --fix` rewrote.
#[derive(Debug, Clone)]
pub struct AppliedFix {
    pub sidecar: std::path::PathBuf,
    pub line: usize,
    pub old: String,
    pub new: String,
    pub similarity: f64,
}

/// `marginalia check --fix`: rewrites every drifted quote that has one
/// close, unambiguous match in its article to that passage, editing the
/// sidecar's text in place (comments and layout stay).
pub fn fix_quotes(site: &Site) -> (Vec<AppliedFix>, Vec<Diagnostic>) {
    use std::collections::BTreeMap;
    let mut by_file: BTreeMap<&std::path::Path, Vec<&crate::model::QuoteFix>> = BTreeMap::new();
    for d in &site.documents {
        for f in &d.fixes {
            by_file.entry(f.sidecar.as_path()).or_default().push(f);
        }
    }
    let mut applied = Vec::new();
    let mut diags = Vec::new();
    for (file, mut fixes) in by_file {
        let path = site.config.root.join(file);
        let mut text = match fsutil::read_text(&site.config.root, file) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        // Bottom to top, so earlier notes keep their line numbers.
        fixes.sort_by_key(|f| std::cmp::Reverse(f.line));
        let mut done = Vec::new();
        for f in fixes {
            match annotate::edit::replace_quote(&text, f.line, &f.new) {
                Some(t) => {
                    text = t;
                    done.push(AppliedFix {
                        sidecar: f.sidecar.clone(),
                        line: f.line,
                        old: f.old.clone(),
                        new: f.new.clone(),
                        similarity: f.similarity,
                    });
                }
                None => diags.push(Diagnostic::error(
                    Some(error::Location::at(file, f.line, 0)),
                    "could not find this note's `quote:` line to rewrite it",
                )),
            }
        }
        // Atomically: a kill or a full disk leaves the old sidecar whole.
        if let Err(e) = fsutil::write_atomic(&path, text.as_bytes()) {
            diags.push(Diagnostic::io(
                file,
                "write this sidecar (it is unchanged)",
                &e,
            ));
            continue;
        }
        done.reverse();
        applied.extend(done);
    }
    (applied, diags)
}
