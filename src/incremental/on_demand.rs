//! The site as phase one read it (every front matter and sidecar; no
//! Markdown rendered yet), answering requests while the whole site is
//! built behind it. A page asked for is rendered when it is asked for, with
//! only the documents it shows rendered, and its bytes are those the whole
//! site gives it: a document's page is made as `build` streams it (the
//! renderer over phase one's site with its note count), and a listing
//! from the items of the documents on it.
//!
//! Only outputs that phase one plans as the whole site does, and whose
//! inputs it knows, are answered here: documents' pages, the home, section
//! and tag listings (and their first-page redirects), the tag index, the
//! 404 page, robots.txt, the highlight stylesheet and copied files. What
//! depends on notes across the site (source pages, feeds, the search
//! index, data files, snapshots, claims) waits for the whole site:
//! [`OnDemandSite::render_path`] returns `None` for it, as it does for
//! everything when phase one found an error (the whole site will report
//! it), when a note is pinned to a snapshot (the site's note count is only
//! known once every document is rendered), and once
//! [`OnDemandSite::finish`] has taken the site.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Collect, LiveSite, Produced};
use crate::config::BuildOptions;
use crate::error::{Diagnostic, Diagnostics};
use crate::markdown::NoteTemplate;
use crate::model::{Document, Site};
use crate::render::context::Catalogue;
use crate::render::{Input, Job, List, Renderer, Templates};
use crate::site::Loaded;

/// Phase one's site, answering the pages it can before the rest is built.
pub struct OnDemandSite {
    /// Taken by [`OnDemandSite::finish`].
    loaded: RwLock<Option<Loaded>>,
    templates: Templates,
    note_template: Option<NoteTemplate>,
    note_total: usize,
    /// Output path → its job, for the outputs answered here (empty when
    /// nothing can be).
    jobs: HashMap<String, Job>,
    /// Document file → its index in the site.
    by_file: HashMap<PathBuf, usize>,
    rendered: RwLock<Rendered>,
    /// Requests being rendered here now: the whole site's documents wait
    /// while there are any, so a page asked for has the processors to
    /// itself (the first page of a large site came 0.6-0.7 s after phase
    /// one under load, sharing them with the fill).
    asking: AtomicUsize,
    /// How long the fill has waited for requests, in milliseconds: never
    /// more than [`MAX_YIELD_MS`] in all, so a stream of requests cannot
    /// hold the whole site back.
    yielded_ms: AtomicUsize,
}

/// The most the fill waits for requests, in all.
const MAX_YIELD_MS: usize = 2_000;

/// Phase one's site with the documents rendered so far put in place, and
/// their listing items.
struct Rendered {
    site: Site,
    catalogue: Catalogue,
    done: Vec<bool>,
}

/// Whether phase one plans `job` as the whole site does and knows
/// everything it reads.
fn answerable(job: &Job) -> bool {
    let list = |l: &List| !matches!(l, List::Source(_));
    match job {
        Job::Document(_)
        | Job::Tags
        | Job::NotFound
        | Job::Robots
        | Job::HighlightCss
        | Job::KindsCss
        | Job::ThemeStatic(_)
        | Job::Asset(_) => true,
        Job::Listing { list: l, .. } | Job::FirstPageRedirect(l) => list(l),
        _ => false,
    }
}

impl OnDemandSite {
    /// Phase one's site (`loaded`) and the site's templates.
    pub fn new(loaded: Loaded, templates: Templates) -> OnDemandSite {
        let site = &loaded.site;
        let config = &site.config;
        // A warning fails a strict build: only a clean phase one answers.
        let clean = if config.strict {
            loaded.diagnostics.is_empty()
        } else {
            !loaded.diagnostics.has_errors()
        };
        let mut jobs = HashMap::new();
        if clean && loaded.note_total_is_exact() {
            let renderer = Renderer::for_document_pages(site, &templates, loaded.note_total);
            let mut plan = renderer.plan();
            if renderer.check_collisions(&mut plan).is_empty() {
                jobs = plan.into_iter().filter(|(_, j)| answerable(j)).collect();
            }
        }
        let mut catalogue = Catalogue::links_only(site);
        catalogue.items = vec![None; site.documents.len()];
        let rendered = Rendered {
            site: site.clone(),
            catalogue,
            done: vec![false; site.documents.len()],
        };
        OnDemandSite {
            note_template: NoteTemplate::for_site(&config.root, &config.theme),
            note_total: loaded.note_total,
            by_file: site
                .documents
                .iter()
                .enumerate()
                .map(|(i, d)| (d.file.clone(), i))
                .collect(),
            jobs,
            templates,
            rendered: RwLock::new(rendered),
            loaded: RwLock::new(Some(loaded)),
            asking: AtomicUsize::new(0),
            yielded_ms: AtomicUsize::new(0),
        }
    }

    /// Whether `path` is answered here.
    pub fn has_path(&self, path: &str) -> bool {
        self.jobs.contains_key(path)
    }

    /// Renders the output at `path`, with the documents it shows. `None`
    /// when it is not answered here, or a document it shows has an error
    /// (the whole site reports it).
    pub fn render_path(&self, path: &str) -> Option<Result<Produced, Diagnostic>> {
        let job = self.jobs.get(path)?;
        self.asking.fetch_add(1, Ordering::SeqCst);
        let r = self.render_job(path, job);
        self.asking.fetch_sub(1, Ordering::SeqCst);
        r
    }

    fn render_job(&self, path: &str, job: &Job) -> Option<Result<Produced, Diagnostic>> {
        let needed = self.documents_read(job)?;
        self.render_documents(&needed)?;
        let rendered = self.rendered.read().ok()?;
        let renderer = Renderer::for_partial_site(
            &rendered.site,
            &self.templates,
            &rendered.catalogue,
            self.note_total,
        );
        let sink = Collect::default();
        Some(renderer.render_job(path, job, &sink).and_then(|()| {
            sink.into_files()
                .pop()
                .map(|(_, f)| f)
                .ok_or_else(|| Diagnostic::error(None, format!("nothing was rendered for {path}")))
        }))
    }

    /// The documents `job` reads (its own, and those it lists) that are not
    /// rendered yet. `None` when it reads what only the whole site knows.
    fn documents_read(&self, job: &Job) -> Option<Vec<usize>> {
        let rendered = self.rendered.read().ok()?;
        let renderer = Renderer::for_partial_site(
            &rendered.site,
            &self.templates,
            &rendered.catalogue,
            self.note_total,
        );
        let mut needed = Vec::new();
        for input in renderer.reads(job) {
            match input {
                Input::Document(f) | Input::Item(f) => {
                    let &i = self.by_file.get(&f)?;
                    if !rendered.done[i] && !needed.contains(&i) {
                        needed.push(i);
                    }
                }
                Input::AllDocuments | Input::Source(_) => return None,
                _ => {}
            }
        }
        Some(needed)
    }

    /// Renders documents `which` and puts them in place. `None` when one
    /// has an error, or phase one's site was taken.
    fn render_documents(&self, which: &[usize]) -> Option<()> {
        if which.is_empty() {
            return Some(());
        }
        let docs = {
            let loaded = self.loaded.read().ok()?;
            let loaded = loaded.as_ref()?;
            let env = loaded.markdown_env(self.note_template.as_ref());
            // Plain threads, not rayon's pool: the whole site is being
            // rendered there, and a page asked for must not queue behind it.
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let chunk = which.len().div_ceil(threads).max(1);
            let results: Vec<Vec<(usize, Document, Vec<Diagnostic>)>> =
                std::thread::scope(|scope| {
                    let handles: Vec<_> = which
                        .chunks(chunk)
                        .map(|part| {
                            let env = &env;
                            scope.spawn(move || {
                                part.iter()
                                    .map(|&i| {
                                        let (d, diags) = loaded.render_document(i, env);
                                        (i, d, diags)
                                    })
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    handles.into_iter().filter_map(|h| h.join().ok()).collect()
                });
            let docs: Vec<(usize, Document, Vec<Diagnostic>)> =
                results.into_iter().flatten().collect();
            if docs.len() != which.len()
                || docs
                    .iter()
                    .any(|(_, _, d)| d.iter().any(Diagnostic::is_error))
            {
                return None;
            }
            docs
        };
        let mut rendered = self.rendered.write().ok()?;
        let Rendered {
            site,
            catalogue,
            done,
        } = &mut *rendered;
        for (i, doc, _) in docs {
            if !done[i] {
                site.documents[i] = doc;
                done[i] = true;
                catalogue.update_document(site, i);
            }
        }
        Some(())
    }

    /// Renders every document (taking those already rendered here), while
    /// pages go on being answered. The first step of the whole site.
    pub fn render_all_documents(&self) -> Vec<(Document, Vec<Diagnostic>)> {
        let Ok(loaded) = self.loaded.read() else {
            return Vec::new();
        };
        let Some(loaded) = loaded.as_ref() else {
            return Vec::new();
        };
        let reuse = |i: usize, _: &Document| -> Option<Document> {
            while self.asking.load(Ordering::SeqCst) > 0
                && self.yielded_ms.fetch_add(1, Ordering::SeqCst) < MAX_YIELD_MS
            {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let r = self.rendered.read().ok()?;
            r.done[i].then(|| r.site.documents[i].clone())
        };
        loaded.render_documents_reusing(true, reuse, |_, _| Vec::new())
    }

    /// The whole site from the documents [`OnDemandSite::render_all_documents`]
    /// rendered: phase one's site taken (nothing is answered here after
    /// this), finished, and made a [`LiveSite`] with `templates` (loaded
    /// again: the live site keeps its own).
    pub fn finish(
        &self,
        options: &BuildOptions,
        rendered: Vec<(Document, Vec<Diagnostic>)>,
    ) -> (Option<LiveSite>, Diagnostics) {
        let loaded = self.loaded.write().ok().and_then(|mut l| l.take());
        let Some(loaded) = loaded else {
            let mut d = Diagnostics::new();
            d.push(Diagnostic::error(None, "the site was already finished"));
            return (None, d);
        };
        let (site, mut diags) = loaded.finish(rendered);
        match Templates::load(&site.config.root, &site.config.theme) {
            Ok(templates) => LiveSite::from_site(options, site, templates, diags),
            Err(ds) => {
                diags.extend(ds);
                (None, diags)
            }
        }
    }

    /// Documents rendered so far (for tests and notices).
    pub fn documents_rendered(&self) -> usize {
        self.rendered
            .read()
            .map(|r| r.done.iter().filter(|d| **d).count())
            .unwrap_or(0)
    }

    /// Every path answered here.
    pub fn paths(&self) -> HashSet<&str> {
        self.jobs.keys().map(String::as_str).collect()
    }
}
