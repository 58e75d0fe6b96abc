//! The worker thread: applies each batch of file changes to the site,
//! publishes what changed, and tells open pages. While idle it renders the
//! outputs a change left out of date (feeds, search index, …).
//!
//! A batch that fails leaves the last good site served; its files are
//! tried again with the next batch, so fixing any of them recovers.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use super::watch::{self, Batch, WATCHED_DIRS};
use super::{Event, Notice, Phase, Reporter, Shared, problems_text};
use crate::error::{Diagnostic, Diagnostics};
use crate::incremental::on_demand::OnDemandSite;
use crate::incremental::{Files, LiveSite, Produced};
use crate::render::Templates;
use crate::site::{self, BuildOptions};

/// How many out-of-date outputs are rendered (in parallel) between two
/// looks for new changes.
const STALE_CHUNK: usize = 2;

pub enum Msg {
    Changes(Batch),
    Stop,
}

/// The running worker.
pub struct Handle {
    tx: Sender<Msg>,
    done: Receiver<()>,
}

impl Handle {
    /// Stops the worker (and the watcher it owns). Waits a little for a
    /// rebuild in progress; the process may end before a long one does.
    pub fn stop(self) {
        let _ = self.tx.send(Msg::Stop);
        let _ = self.done.recv_timeout(Duration::from_secs(2));
    }
}

/// For tests: while the file this names does not exist, the first build
/// waits after phase one, so what is answered before the whole site is
/// ready can be looked at without racing it.
pub const HOLD_ENV: &str = "MARGINALIA_SERVE_HOLD_UNTIL";

/// The first build: phase one, then pages answered on demand while every
/// document is rendered and the whole site is built, then everything
/// rendered into the store.
pub fn first_build(
    shared: &Shared,
    build: &BuildOptions,
    reporter: &dyn Reporter,
    started: Instant,
) {
    let loaded = site::load_parsed_cached(build, true, None);
    let templates = Templates::load(&loaded.site.config.root, &loaded.site.config.theme);
    reporter.notice(Notice::Read {
        documents: loaded.site.documents.len(),
        elapsed: started.elapsed(),
    });
    let (live, diags) = match templates {
        Ok(templates) => {
            let on_demand = Arc::new(OnDemandSite::new(loaded, templates));
            if let Ok(mut o) = shared.on_demand.write() {
                *o = Some(on_demand.clone());
            }
            shared.set_phase(Phase::Filling);
            hold_for_tests();
            let rendered = on_demand.render_all_documents();
            let result = on_demand.finish(build, rendered);
            if let Ok(mut o) = shared.on_demand.write() {
                *o = None;
            }
            result
        }
        Err(ds) => {
            // Render anyway, to report every problem of the documents too.
            let rendered = loaded.render_documents(false, |_, _| Vec::new());
            let (_, mut diags) = loaded.finish(rendered);
            diags.extend(ds);
            (None, diags)
        }
    };
    let Some(live) = live else {
        fail_first(shared, reporter, diags);
        return;
    };
    // Every output is out of date until rendered: a request renders the
    // one it needs from the whole site while the rest are.
    if let (Ok(mut l), Ok(mut s)) = (shared.live.write(), shared.store.write()) {
        s.mark_stale(live.paths().map(str::to_string));
        *l = Some(live);
    }
    shared.set_phase(Phase::Ready);
    // Rendered under the read lock: requests render what they need beside.
    let Ok(guard) = shared.live.read() else {
        return;
    };
    let Some(live) = guard.as_ref() else {
        return;
    };
    let (files, d) = live.render_everything();
    let mut warnings = diags.into_vec();
    if d.iter().any(Diagnostic::is_error) {
        drop(guard);
        if let (Ok(mut l), Ok(mut s)) = (shared.live.write(), shared.store.write()) {
            *l = None;
            s.replace_all(Vec::new());
        }
        let mut all = Diagnostics::new();
        all.extend(warnings);
        all.extend(d);
        all.sort();
        fail_first(shared, reporter, all);
        return;
    }
    warnings.extend(d);
    let notice = Notice::Built {
        pages: files.iter().filter(|(p, _)| p.ends_with(".html")).count(),
        articles: live.site().home.articles.len(),
        notes: live.site().note_count(),
        elapsed: started.elapsed(),
    };
    if let Ok(mut s) = shared.store.write() {
        s.replace_all(files);
    }
    drop(guard);
    if shared.changed_early.load(Ordering::SeqCst) {
        // A page answered before may show what the change replaced.
        shared.send(Event::Reload(vec!["*".into()]));
    }
    if !warnings.is_empty() {
        reporter.notice(Notice::Warnings(warnings));
    }
    reporter.notice(notice);
}

fn fail_first(shared: &Shared, reporter: &dyn Reporter, diags: Diagnostics) {
    set_problems(shared, Some(shared.relative(problems_text(&diags))));
    shared.set_phase(Phase::Ready);
    shared.send(Event::Problems(shared.relative(problems_text(&diags))));
    reporter.notice(Notice::Problems(diags));
}

/// See [`HOLD_ENV`].
fn hold_for_tests() {
    let Some(path) = std::env::var_os(HOLD_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    while !path.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn full_build(build: &BuildOptions) -> Result<(LiveSite, Files, Vec<Diagnostic>), Diagnostics> {
    let (live, mut diags) = LiveSite::load(build);
    let Some(live) = live else {
        return Err(diags);
    };
    let (files, d) = live.render_everything();
    diags.extend(d);
    if diags.has_errors() {
        diags.sort();
        return Err(diags);
    }
    Ok((live, files, diags.into_vec()))
}

fn set_problems(shared: &Shared, text: Option<String>) {
    if let Ok(mut p) = shared.problems.write() {
        *p = text;
    }
}

/// Starts watching, and the worker thread, which builds the site first
/// ([`first_build`]) and then applies changes.
pub fn start(
    shared: Arc<Shared>,
    build: BuildOptions,
    reporter: Arc<dyn Reporter>,
    started: Instant,
) -> Result<Handle, Diagnostic> {
    let (tx, rx) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    let output = crate::config::Config::load(&build.root).0.output_dir;
    // The watcher sends batches; they join the worker's queue here.
    let (batches, batch_rx) = mpsc::channel::<Batch>();
    let forward = tx.clone();
    let early = shared.clone();
    let early_reporter = reporter.clone();
    std::thread::Builder::new()
        .name("marginalia-watch".into())
        .spawn(move || {
            for b in batch_rx {
                if *early.phase.borrow() != Phase::Ready
                    && !early.changed_early.swap(true, Ordering::SeqCst)
                {
                    early_reporter.notice(Notice::Trouble(
                        "a file changed while the site was being built: pages wait for the whole site, then open pages reload".into(),
                    ));
                }
                if forward.send(Msg::Changes(b)).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| Diagnostic::error(None, format!("could not start the watcher: {e}")))?;
    let watcher = watch::start(&build.root, &output, batches).map_err(|e| {
        Diagnostic::error(None, format!("could not watch the site for changes: {e}"))
    })?;
    std::thread::Builder::new()
        .name("marginalia-rebuild".into())
        .spawn(move || {
            first_build(&shared, &build, reporter.as_ref(), started);
            let mut w = Worker {
                shared,
                build,
                reporter,
                watcher,
                failing: BTreeSet::new(),
            };
            w.run(rx);
            drop(w);
            let _ = done_tx.send(());
        })
        .map_err(|e| Diagnostic::error(None, format!("could not start the rebuild thread: {e}")))?;
    Ok(Handle { tx, done })
}

struct Worker {
    shared: Arc<Shared>,
    build: BuildOptions,
    reporter: Arc<dyn Reporter>,
    watcher: watch::Watcher,
    /// Files of batches that failed, tried again with every batch.
    failing: BTreeSet<PathBuf>,
}

impl Worker {
    fn run(&mut self, rx: Receiver<Msg>) {
        loop {
            // Out-of-date outputs are rendered a few at a time, looking for
            // new changes in between, so an edit never waits for them long.
            let stale = self.shared.store.read().is_ok_and(|s| s.has_stale());
            let msg = if stale {
                rx.try_recv().map_err(|e| match e {
                    mpsc::TryRecvError::Empty => RecvTimeoutError::Timeout,
                    mpsc::TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                })
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            match msg {
                Ok(Msg::Changes(mut batch)) => {
                    // Take everything already queued in one go.
                    while let Ok(m) = rx.try_recv() {
                        match m {
                            Msg::Changes(b) => {
                                batch.first_seen = batch.first_seen.min(b.first_seen);
                                batch.paths.extend(b.paths);
                            }
                            Msg::Stop => return,
                        }
                    }
                    self.watch_new_folders(&batch);
                    self.handle(batch);
                }
                Err(RecvTimeoutError::Timeout) => self.render_stale(),
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// A watched folder (static/, templates/ …) created after the start.
    fn watch_new_folders(&mut self, batch: &Batch) {
        for p in &batch.paths {
            let top = p.parent() == Some(self.build.root.as_path())
                && p.file_name()
                    .is_some_and(|n| WATCHED_DIRS.iter().any(|d| n == *d));
            if top
                && p.is_dir()
                && let Err(e) = watch::watch_dir(&mut self.watcher, p)
            {
                self.reporter.notice(Notice::Trouble(format!(
                    "could not watch {}: {e}",
                    p.display()
                )));
            }
        }
    }

    fn handle(&mut self, batch: Batch) {
        let started = Instant::now();
        let mut paths: Vec<PathBuf> = batch.paths;
        paths.extend(std::mem::take(&mut self.failing));
        paths.sort();
        paths.dedup();
        let shared = self.shared.clone();
        let had_problems = shared.problems_text().is_some();
        let Ok(mut guard) = shared.live.write() else {
            return;
        };
        let mut first_reload: Option<Instant> = None;

        let Some(live) = guard.as_mut() else {
            // No good site yet: try the whole site again.
            match full_build(&self.build) {
                Ok((live, files, warnings)) => {
                    let outputs = files.len();
                    if let Ok(mut s) = shared.store.write() {
                        s.replace_all(files);
                    }
                    let documents = live.site().documents.len();
                    *guard = Some(live);
                    drop(guard);
                    self.recovered(had_problems);
                    shared.send(Event::Reload(vec!["*".into()]));
                    if !warnings.is_empty() {
                        self.reporter.notice(Notice::Warnings(warnings));
                    }
                    self.reporter.notice(Notice::Rebuilt {
                        documents,
                        outputs,
                        full: true,
                        since_event: batch.first_seen.elapsed(),
                        since_batch: started.elapsed(),
                        elapsed: started.elapsed(),
                    });
                }
                Err(diags) => {
                    drop(guard);
                    self.failed(paths, diags);
                }
            }
            return;
        };

        let mut early_paths: Vec<String> = Vec::new();
        let mut early_changed = 0;
        // Called once or twice: the changed documents' pages, then any
        // other page the change made theirs.
        let mut early = |files: &[(String, Produced)]| {
            early_paths.extend(files.iter().map(|(p, _)| p.clone()));
            let changed = shared
                .store
                .write()
                .map(|mut s| s.publish(files.to_vec()))
                .unwrap_or_default();
            early_changed += changed.len();
            if !changed.is_empty() {
                shared.send(Event::Reload(changed));
                first_reload.get_or_insert_with(Instant::now);
            }
        };
        let result = live.apply(&paths, &mut early);
        match result {
            Ok(update) => {
                let mut changed = match shared.store.write() {
                    Ok(mut store) => {
                        let mut changed = if update.full {
                            store.replace_all(update.files)
                        } else {
                            let mut c = store.publish(update.files);
                            store.remove(&update.removed);
                            c.extend(update.removed.iter().cloned());
                            c
                        };
                        store.mark_stale(update.later);
                        changed.sort();
                        changed
                    }
                    Err(_) => Vec::new(),
                };
                drop(guard);
                self.recovered(had_problems);
                if update.full {
                    shared.send(Event::Reload(vec!["*".into()]));
                    first_reload.get_or_insert_with(Instant::now);
                } else if !changed.is_empty() {
                    let css_only =
                        first_reload.is_none() && changed.iter().all(|p| p.ends_with(".css"));
                    if css_only {
                        shared.send(Event::Css(std::mem::take(&mut changed)));
                    } else {
                        shared.send(Event::Reload(changed.clone()));
                    }
                    first_reload.get_or_insert_with(Instant::now);
                }
                if !update.warnings.is_empty() {
                    self.reporter.notice(Notice::Warnings(update.warnings));
                }
                let reloaded = first_reload.unwrap_or_else(Instant::now);
                self.reporter.notice(Notice::Rebuilt {
                    documents: update.documents,
                    outputs: changed.len() + early_changed,
                    full: update.full,
                    since_event: reloaded.saturating_duration_since(batch.first_seen),
                    since_batch: reloaded.saturating_duration_since(started),
                    elapsed: update.elapsed,
                });
            }
            Err(diags) => {
                if !early_paths.is_empty() {
                    // The change was undone after its pages were sent: send
                    // them as they are again.
                    let (files, _) = live.render_paths(&early_paths);
                    let changed = shared
                        .store
                        .write()
                        .map(|mut s| s.publish(files))
                        .unwrap_or_default();
                    if !changed.is_empty() {
                        shared.send(Event::Reload(changed));
                    }
                }
                drop(guard);
                self.failed(paths, diags);
            }
        }
    }

    fn recovered(&self, had_problems: bool) {
        if had_problems {
            set_problems(&self.shared, None);
            self.shared.send(Event::Ok);
            self.reporter.notice(Notice::Recovered);
        }
    }

    fn failed(&mut self, paths: Vec<PathBuf>, diags: Diagnostics) {
        self.failing.extend(paths);
        let text = self.shared.relative(problems_text(&diags));
        set_problems(&self.shared, Some(text.clone()));
        self.shared.send(Event::Problems(text));
        self.reporter.notice(Notice::Problems(diags));
    }

    /// Renders a few out-of-date outputs; tells open pages if they changed.
    fn render_stale(&self) {
        let shared = &self.shared;
        let Ok(live) = shared.live.read() else {
            return;
        };
        let Some(live) = live.as_ref() else {
            return;
        };
        let paths = shared
            .store
            .read()
            .map(|s| s.some_stale(STALE_CHUNK))
            .unwrap_or_default();
        if paths.is_empty() {
            return;
        }
        let (files, problems) = live.render_paths(&paths);
        if !problems.is_empty() {
            // The last good version of those outputs stays; say why.
            self.reporter.notice(Notice::Warnings(problems));
        }
        let Ok(mut store) = shared.store.write() else {
            return;
        };
        let changed = store.publish(files);
        // Whatever could not be rendered is kept as it was.
        store.unmark_stale(&paths);
        drop(store);
        let pages: Vec<String> = changed
            .into_iter()
            .filter(|p| p.ends_with(".html"))
            .collect();
        if !pages.is_empty() {
            shared.send(Event::Reload(pages));
        }
    }
}
