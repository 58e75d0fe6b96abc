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
use crate::render::reads::Derived;
use crate::render::{Input, Job, Renderer};

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
    /// What the site derives (lists, sections, tags, sources): valued as
    /// the dev server values it.
    derived: Derived<'a>,
    /// By the path's bytes: hashing a `Path` parses its components, which
    /// was a tenth of an edit build's records; and a word at a time (FNV,
    /// a byte at a time, was half of their lookups: a source's pages read
    /// every document citing it).
    docs: HashMap<&'a [u8], u128, rustc_hash::FxBuildHasher>,
    site_value: u128,
    all_documents: u128,
}

impl<'a> Valuer<'a> {
    /// `keys`: each document file's content hash (Markdown and sidecar).
    pub fn new(renderer: &'a Renderer<'a>, keys: &HashMap<PathBuf, u128>) -> Valuer<'a> {
        let site: &'a Site = renderer.site;
        let docs: HashMap<&'a [u8], u128, rustc_hash::FxBuildHasher> = site
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
        Valuer {
            renderer,
            derived: Derived::new(renderer),
            site_value: hash_of(&renderer.site_value().to_string()),
            all_documents: hash_of(&all),
            docs,
        }
    }

    /// The hash of everything `job` reads: each input's kind, its key and
    /// its value. A document's value already names its file (the key it is
    /// made from does), so a document is hashed by its value alone. The
    /// bytes are gathered, then hashed at once (xxh3): SipHash, a few
    /// bytes at a time, was a fifth of the records' time.
    pub fn record(&self, job: &Job) -> u128 {
        use std::hash::Hasher;
        thread_local! {
            static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BYTES.with_borrow_mut(|bytes| {
            bytes.clear();
            let mut h = Gather(bytes);
            for i in self.renderer.reads(job) {
                match &i {
                    Input::Document(_) => h.write_u8(0xd0),
                    Input::Item(_) => h.write_u8(0x17),
                    other => other.hash(&mut h),
                }
                h.write_u128(self.value(&i));
            }
            twox_hash::XxHash3_128::oneshot(h.0)
        })
    }

    fn value(&self, input: &Input) -> u128 {
        match input {
            // Equal to the previous build's whenever a record is compared
            // (see the module's comment).
            Input::Config | Input::Registry | Input::Template(_) | Input::File(_) => 0,
            Input::Site => self.site_value,
            Input::Document(f) | Input::Item(f) => {
                self.docs.get(path_bytes(f)).copied().unwrap_or(1)
            }
            Input::AllDocuments => self.all_documents,
            derived => self.derived.value(derived).unwrap_or(1),
        }
    }
}

/// A [`Hasher`](std::hash::Hasher) that gathers what it is given, to be
/// hashed in one go.
struct Gather<'a>(&'a mut Vec<u8>);

impl std::hash::Hasher for Gather<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn finish(&self) -> u64 {
        twox_hash::XxHash3_128::oneshot(self.0) as u64
    }
}
