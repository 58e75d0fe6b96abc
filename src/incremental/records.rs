//! What each output of a [`LiveSite`] read, with fingerprints of those
//! inputs' values: the outputs a change touched are those whose record
//! differs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;

use super::{LiveSite, Record};
use crate::render::reads::page_slice;
use crate::render::{Input, Job, List, Renderer};
use crate::routes::ListRoute;
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
