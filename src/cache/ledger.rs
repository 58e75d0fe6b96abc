//! What each output was made from, as one content hash per output: the
//! inputs its render job declares ([`Renderer::reads`]) with a hash of
//! each input's value. An output whose hash is the one the previous build
//! recorded is the previous build's file, byte for byte.
//!
//! Values are hashed from content, never from revisions or timestamps, so
//! they mean the same from one process to the next. A document's value is
//! the content hash of its Markdown file and sidecar (its rendering depends
//! on nothing else once the rest of the site is unchanged: the cache only
//! reuses anything when every other input file, the link map, the binary
//! and the options are the previous build's) plus what the whole site
//! derives for it (its tags' spellings, its section). The configuration,
//! the registry, templates and copied files are therefore constant here.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use siphasher::sip128::{Hasher128, SipHasher13};

use crate::model::Site;
use crate::render::reads::page_slice;
use crate::render::{Input, Job, List, Renderer};
use crate::routes::ListRoute;

/// A 128-bit content hash of anything hashable.
pub fn hash_of<T: Hash + ?Sized>(x: &T) -> u128 {
    let mut h = SipHasher13::new();
    x.hash(&mut h);
    h.finish128().as_u128()
}

fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

/// The values of a site's inputs, for the records of its outputs.
pub struct Valuer<'a> {
    renderer: &'a Renderer<'a>,
    /// By the path's bytes: hashing a `Path` parses its components, which
    /// was a tenth of an edit build's records.
    docs: HashMap<&'a [u8], u128, fnv::FnvBuildHasher>,
    site_value: u128,
    all_documents: u128,
    /// Each source's value, worked out once (every page of a source's
    /// listing reads it): its uses, and the note kinds used anywhere in
    /// the site, since every source page's timeline has a series for each
    /// ([`crate::render::stats`]): a kind new to the site changes every
    /// source's pages.
    sources: Vec<u128>,
    section_index: HashMap<&'a str, usize>,
    tag_index: HashMap<&'a str, usize>,
    source_index: HashMap<&'a str, usize>,
}

impl<'a> Valuer<'a> {
    /// `keys`: each document file's content hash (Markdown and sidecar).
    pub fn new(renderer: &'a Renderer<'a>, keys: &HashMap<PathBuf, u128>) -> Valuer<'a> {
        let site: &'a Site = renderer.site;
        let docs: HashMap<&'a [u8], u128, fnv::FnvBuildHasher> = site
            .documents
            .iter()
            .map(|d| {
                let section = d.section.map(|s| {
                    let s = &site.sections[s];
                    (&s.path, &s.title, s.articles.len())
                });
                let v = hash_of(&(keys.get(&d.file), &d.tags, section));
                (path_bytes(&d.file), v)
            })
            .collect();
        let all: Vec<(&Path, u128)> = site
            .documents
            .iter()
            .map(|d| (d.file.as_path(), docs[path_bytes(&d.file)]))
            .collect();
        let kinds: std::collections::BTreeSet<Option<&str>> = site
            .documents
            .iter()
            .flat_map(|d| d.notes.iter().map(|n| n.kind.as_deref()))
            .collect();
        let kinds = hash_of(&kinds);
        let file = |d: usize| path_bytes(&site.documents[d].file);
        let sources = site
            .source_uses
            .iter()
            .map(|u| {
                let arts: Vec<_> = u.articles.iter().map(|&d| file(d)).collect();
                let notes: Vec<_> = u.notes.iter().map(|r| (file(r.doc), r.note)).collect();
                hash_of(&(arts, notes, kinds))
            })
            .collect();
        Valuer {
            renderer,
            sources,
            site_value: hash_of(&renderer.site_value().to_string()),
            all_documents: hash_of(&all),
            docs,
            section_index: site
                .sections
                .iter()
                .enumerate()
                .map(|(i, s)| (s.path.as_str(), i))
                .collect(),
            tag_index: site
                .tags
                .iter()
                .enumerate()
                .map(|(i, t)| (t.slug.as_str(), i))
                .collect(),
            source_index: site
                .registry
                .all()
                .iter()
                .enumerate()
                .map(|(i, s)| (s.slug.as_str(), i))
                .collect(),
        }
    }

    /// The hash of everything `job` reads: each input's kind, its key and
    /// its value. A document's value already names its file (the key it is
    /// made from does), so a document is hashed by its value alone.
    pub fn record(&self, job: &Job) -> u128 {
        use std::hash::Hasher;
        let mut h = SipHasher13::new();
        for i in self.renderer.reads(job) {
            match &i {
                Input::Document(_) => h.write_u8(0xd0),
                Input::Item(_) => h.write_u8(0x17),
                other => other.hash(&mut h),
            }
            h.write_u128(self.value(&i));
        }
        h.finish128().as_u128()
    }

    fn value(&self, input: &Input) -> u128 {
        let site = self.renderer.site;
        match input {
            // Equal to the previous build's whenever a record is compared
            // (see the module's comment).
            Input::Config | Input::Registry | Input::Template(_) | Input::File(_) => 0,
            Input::Site => self.site_value,
            Input::Document(f) | Input::Item(f) => {
                self.docs.get(path_bytes(f)).copied().unwrap_or(1)
            }
            Input::AllDocuments => self.all_documents,
            Input::ListPage { list, page } => {
                let list = match list {
                    ListRoute::Home => Some(List::Home),
                    ListRoute::Section { dir } => self
                        .section_index
                        .get(dir.as_str())
                        .map(|&i| List::Section(i)),
                    ListRoute::Tag { slug } => {
                        self.tag_index.get(slug.as_str()).map(|&i| List::Tag(i))
                    }
                    ListRoute::Source { slug } => self
                        .source_index
                        .get(slug.as_str())
                        .map(|&i| List::Source(i)),
                    ListRoute::Claims => None,
                };
                let Some(list) = list else { return 1 };
                let (members, per_page) = self.renderer.members(list);
                let on_page: Vec<&Path> = page_slice(&members, per_page, *page)
                    .iter()
                    .map(|&i| site.documents[i].file.as_path())
                    .collect();
                hash_of(&(members.len(), per_page, on_page))
            }
            Input::Section(dir) => {
                let s = if dir == &site.home.path {
                    Some(&site.home)
                } else {
                    self.section_index
                        .get(dir.as_str())
                        .map(|&i| &site.sections[i])
                };
                s.map_or(1, |s| {
                    let subsections: Vec<_> = s
                        .subsections
                        .iter()
                        .map(|&j| {
                            let x = &site.sections[j];
                            (&x.path, &x.title, x.articles.len())
                        })
                        .collect();
                    hash_of(&(
                        &s.title,
                        &s.description,
                        &s.content_html,
                        format!("{:?}", s.extra),
                        s.articles.len(),
                        s.paginate_by,
                        subsections,
                    ))
                })
            }
            Input::SectionLink(dir) => self.section_index.get(dir.as_str()).map_or(1, |&i| {
                let s = &site.sections[i];
                hash_of(&(&s.path, &s.title, s.articles.len()))
            }),
            Input::Tag(slug) => self.tag_index.get(slug.as_str()).map_or(1, |&i| {
                let t = &site.tags[i];
                hash_of(&(&t.name, t.articles.len()))
            }),
            Input::Tags => hash_of(
                &site
                    .tags
                    .iter()
                    .map(|t| (&t.slug, &t.name, t.articles.len()))
                    .collect::<Vec<_>>(),
            ),
            Input::Source(slug) => self
                .source_index
                .get(slug.as_str())
                .and_then(|&i| self.sources.get(i).copied())
                .unwrap_or(1),
        }
    }
}
