//! What each output of a [`LiveSite`] read, with fingerprints of those
//! inputs' values: the outputs a change touched are those whose record
//! differs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;

use super::{LiveSite, Record};
use crate::render::reads::Derived;
use crate::render::{Input, Job, Renderer};

/// The outputs a change touched.
#[derive(Default)]
pub(super) struct Touched {
    /// The changed documents' pages.
    pub now: Vec<String>,
    /// Pages showing them: listings, tags, sources, neighbours; new outputs.
    pub then: Vec<String>,
    pub later: Vec<String>,
    pub removed: Vec<String>,
}

impl LiveSite {
    /// What every output of the plan reads now, with the fingerprints
    /// of those inputs.
    pub(super) fn records(&self) -> HashMap<String, Record> {
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
    pub(super) fn touched(&mut self, changed: &HashSet<PathBuf>) -> Touched {
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
    /// What the site derives (lists, sections, tags, sources): valued as
    /// the build cache values it.
    derived: Derived<'a>,
    config: u64,
    site: u64,
    registry: u64,
    all_documents: u64,
    templates: HashMap<String, u64>,
}

impl<'a> Values<'a> {
    fn new(live: &'a LiveSite, renderer: &'a Renderer<'a>) -> Values<'a> {
        let site = &live.site;
        let templates = live
            .templates
            .template_names()
            .map(|n| (n.to_string(), live.templates.fingerprint(n)))
            .collect();
        let all: Vec<_> = site
            .documents
            .iter()
            .map(|d| (&d.file, live.doc_rev.get(&d.file)))
            .collect();
        Values {
            live,
            derived: Derived::new(renderer),
            config: hash_of(&format!("{:?}", site.config)),
            site: hash_json(renderer.site_value()),
            registry: hash_of(&format!("{:?}", site.registry)),
            all_documents: hash_of(&all),
            templates,
        }
    }

    fn of(&self, input: &Input) -> u64 {
        match input {
            Input::Config => self.config,
            Input::Site => self.site,
            Input::Template(t) => self.templates.get(t).copied().unwrap_or(0),
            Input::Document(f) => self.live.doc_rev.get(f).copied().unwrap_or(0),
            Input::Item(f) => self.live.item_fp.get(f).copied().unwrap_or(0),
            Input::Registry => self.registry,
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
            // A fingerprint is 64 bits: the content hash's low half.
            derived => self.derived.value(derived).map_or(0, |v| v as u64),
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
pub(super) fn hash_json<T: serde::Serialize>(x: &T) -> u64 {
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
