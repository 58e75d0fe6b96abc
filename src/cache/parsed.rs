//! Phase one's parse of each document, kept between runs in
//! `.marginalia/parsed/`: the front matter, the sidecar's notes and the
//! leading heading of a Markdown file and its sidecar, as
//! [`crate::site::parse_document`] reads them. Parsing every front matter
//! and sidecar again was a sixth of an edit build at 10k articles, and what
//! kept `serve` from answering its first page for seconds.
//!
//! An entry is the parse of one document, keyed by the content hashes of
//! its two files, the binary, and the site's rating scale (the only
//! setting a parse reads). It is taken without reading the files when
//! their size, modification time and inode are the ones recorded and they
//! were not modified within [`super::RACY`] of the moment they were read
//! (as the build record does); otherwise the files are read and hashed,
//! and the entry is used only when the hashes match. Only parses without
//! any diagnostic are kept, and never a bundle with snapshots (DESIGN §10),
//! so a kept parse is exactly what parsing again would give.
//!
//! Entries live in [`SHARDS`] files by a hash of the document's path: an
//! edit rewrites one small file, a start reads a few dozen. Each file
//! starts with the hash of the rest; a damaged, missing or foreign one
//! only means its documents are parsed again. Nothing here can make a
//! build wrong, only slower.
//!
//! The mirrors below exist because the parse types serialize for
//! templates (or not at all), which is not a faithful round trip; every
//! conversion destructures the whole struct, so a field added to them
//! does not compile until it is kept here too.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kept::{KeptDate, KeptLocation, date, location, undate, unlocation};
use super::{CACHE_DIR, RACY, ledger};
use crate::annotate::sidecar::PackedNotes;
use crate::config::BuildOptions;
use crate::config::ratings::RatingScale;
use crate::config::{Config, RawConfig};
use crate::error::Diagnostic;
use crate::frontmatter::FrontMatter;
use crate::load::DocFile;
use crate::site::{self, Loaded, ParsedDoc};

/// How many files the entries are spread over.
pub const SHARDS: usize = 64;
/// The folder of the shard files, in [`CACHE_DIR`].
const DIR: &str = "parsed";
/// Bumped whenever an entry's meaning changes.
const FORMAT: u32 = 3;

/// One of a document's two files as it was when parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileKey {
    size: u64,
    /// Modification time, nanoseconds since the epoch.
    mtime: i128,
    ino: u64,
    /// The content hash of its bytes.
    hash: u128,
}

impl FileKey {
    /// The key of a file of `bytes`, whose metadata was `m` before it was read.
    pub fn new(m: &std::fs::Metadata, bytes: &[u8]) -> FileKey {
        let (size, mtime, ino) = stat_of(m);
        FileKey {
            size,
            mtime,
            ino,
            hash: super::content_hash(bytes),
        }
    }

    /// Whether the file, now of metadata `m`, is known to be unchanged
    /// without reading it: same stamp, not modified near `taken`.
    fn trusted(&self, m: &std::fs::Metadata, taken: i128) -> bool {
        stat_of(m) == (self.size, self.mtime, self.ino) && self.mtime < taken - RACY
    }
}

fn stat_of(m: &std::fs::Metadata) -> (u64, i128, u64) {
    (
        m.len(),
        i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        m.ino(),
    )
}

/// The parse of one document, as kept.
#[derive(Clone, Serialize, Deserialize)]
pub struct Parse {
    fm: KeptFrontMatter,
    body_offset: usize,
    body_len: usize,
    /// The sidecar's notes as phase one packs them
    /// ([`PackedNotes::bytes`]): handed to the site as they are.
    notes: Vec<u8>,
    /// The text of its leading `# heading`, when the front matter has no title.
    heading: Option<String>,
}

/// What [`Parse`] holds, as the parser gives it.
pub struct Parsed {
    pub fm: FrontMatter,
    pub body_offset: usize,
    pub body_len: usize,
    pub notes: PackedNotes,
    pub heading: Option<String>,
}

impl Parsed {
    fn kept(&self) -> Kept<'_> {
        Kept {
            fm: &self.fm,
            body_offset: self.body_offset,
            body_len: self.body_len,
            notes: self.notes.clone(),
            heading: self.heading.as_deref(),
        }
    }
}

/// A parse to keep, borrowed from the parsed document.
pub struct Kept<'a> {
    pub fm: &'a FrontMatter,
    pub body_offset: usize,
    pub body_len: usize,
    pub notes: PackedNotes,
    pub heading: Option<&'a str>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    /// The Markdown file, relative to the root.
    file: PathBuf,
    /// When its files' metadata were read (ns since the epoch), before
    /// they were.
    taken: i128,
    markdown: FileKey,
    sidecar: Option<FileKey>,
    parse: Parse,
}

#[derive(Serialize, Deserialize)]
struct Shard {
    format: u32,
    /// The binary and the rating scale the entries were parsed with.
    context: u128,
    entries: Vec<Entry>,
}

/// What a document's lookup found.
pub enum Found {
    /// The kept parse, its files unchanged.
    Hit(Parsed),
    /// A kept parse whose files' stamps changed: read them, and
    /// [`Cache::check`] it against their hashes.
    Check(Pending),
    /// Nothing kept: parse, and [`Cache::keep`] the result.
    Miss,
}

/// A kept parse to check against the files' hashes.
pub struct Pending(Entry);

/// An entry to write. Its parse is the site's own document's, taken from
/// it when the entry is written ([`Cache::save`]): holding a copy of every
/// parse to the end of phase one was a third of that phase's memory.
enum Fresh {
    /// Everything but the parse.
    Key {
        file: PathBuf,
        taken: i128,
        markdown: FileKey,
        sidecar: Option<FileKey>,
        /// The text of its leading heading, which the document does not
        /// keep.
        heading: Option<String>,
    },
    /// A draft the site leaves out, with its parse.
    Whole(Box<Entry>),
}

impl Fresh {
    fn file(&self) -> &Path {
        match self {
            Fresh::Key { file, .. } => file,
            Fresh::Whole(e) => &e.file,
        }
    }
}

/// The kept parses of a site, read at the start of phase one.
pub struct Cache<'a> {
    root: PathBuf,
    context: u128,
    /// When this run began reading files (ns since the epoch).
    taken: i128,
    /// Document file → its entry, taken out by [`Cache::lookup`].
    entries: std::sync::Mutex<HashMap<PathBuf, Entry>>,
    /// The entries of this run parsed or checked anew, to write.
    fresh: std::sync::Mutex<Vec<Fresh>>,
    /// Whether drafts are built (`--drafts`): a draft left out of the site
    /// is kept whole, since [`Cache::save`] cannot find its parse there.
    drafts: bool,
    /// The documents whose kept entry was used as it is: its parse was
    /// moved out, not copied (a copy of every parse was a tenth of an
    /// edit build's phase one), so a shard written again reads these
    /// entries back from its file ([`Cache::save`]).
    unchanged: std::sync::Mutex<Vec<PathBuf>>,
    /// The content hashes of the inputs when the caller knows them
    /// already (a build, from its record): an entry whose hashes are
    /// these is taken without looking at the files.
    known: Option<Known<'a>>,
}

/// A file's content hash, by its path relative to the root, if known.
pub type Known<'a> = &'a (dyn Fn(&Path) -> Option<u128> + Sync);

/// The shard a document's entry is in.
fn shard_of(file: &Path) -> usize {
    (ledger::hash_of(file.as_os_str().as_encoded_bytes()) % SHARDS as u128) as usize
}

fn shard_path(root: &Path, shard: usize) -> PathBuf {
    root.join(CACHE_DIR).join(DIR).join(format!("{shard:02x}"))
}

impl<'a> Cache<'a> {
    /// Opens the kept parses of the site at `root` made by this binary
    /// with this rating scale. `read: false` starts empty (`--clean`):
    /// nothing kept is used, and what is parsed is kept afresh. `None`
    /// when the binary cannot be identified.
    /// `known` gives the content hashes the caller already has.
    /// `drafts` says whether the site keeps drafts (`--drafts`).
    pub fn open(
        root: &Path,
        ratings: Option<&RatingScale>,
        read: bool,
        drafts: bool,
        known: Option<Known<'a>>,
    ) -> Option<Cache<'a>> {
        let binary = super::binary_hash()?;
        let context = ledger::hash_of(&(FORMAT, binary, format!("{ratings:?}")));
        let taken = super::now_ns();
        let entries = if read {
            (0..SHARDS)
                .into_par_iter()
                .filter_map(|s| read_shard(root, s, context))
                .flatten()
                .map(|e| (e.file.clone(), e))
                .collect()
        } else {
            HashMap::new()
        };
        Some(Cache {
            root: root.to_path_buf(),
            context,
            taken,
            entries: std::sync::Mutex::new(entries),
            fresh: std::sync::Mutex::new(Vec::new()),
            drafts,
            unchanged: std::sync::Mutex::new(Vec::new()),
            known,
        })
    }

    /// The kept parse of `file` (Markdown file and sidecar relative to the
    /// root) when the caller's known hashes, or else the files' stamps,
    /// say they are unchanged.
    pub fn lookup(&self, file: &Path, sidecar: Option<&Path>) -> Found {
        let Some(entry) = self.entries.lock().ok().and_then(|mut e| e.remove(file)) else {
            return Found::Miss;
        };
        if let Some(known) = self.known
            && known(file) == Some(entry.markdown.hash)
            && sidecar.map(known) == entry.sidecar.map(|k| Some(k.hash))
        {
            return self.hit(entry);
        }
        let md = std::fs::metadata(self.root.join(file));
        let sc = sidecar.map(|s| std::fs::metadata(self.root.join(s)));
        let trusted = match (&md, &sc, &entry.sidecar) {
            (Ok(m), None, None) => entry.markdown.trusted(m, entry.taken),
            (Ok(m), Some(Ok(s)), Some(k)) => {
                entry.markdown.trusted(m, entry.taken) && k.trusted(s, entry.taken)
            }
            _ => false,
        };
        if !trusted {
            return Found::Check(Pending(entry));
        }
        self.hit(entry)
    }

    /// The parse of an entry whose files are unchanged, kept as it is.
    fn hit(&self, entry: Entry) -> Found {
        let Entry { file, parse, .. } = entry;
        match parse.restore() {
            Some(parsed) => {
                if let Ok(mut u) = self.unchanged.lock() {
                    u.push(file);
                }
                Found::Hit(parsed)
            }
            None => Found::Miss,
        }
    }

    /// The kept parse of a [`Found::Check`] when the files, as read now
    /// (`keys`), have the bytes it was parsed from: a copy, a touch or an
    /// edit undone is the same parse.
    pub fn check(&self, pending: Pending, keys: (FileKey, Option<FileKey>)) -> Option<Parsed> {
        let Pending(entry) = pending;
        let (md, sc) = keys;
        if md.hash != entry.markdown.hash || sc.map(|k| k.hash) != entry.sidecar.map(|k| k.hash) {
            return None;
        }
        let Entry { file, parse, .. } = entry;
        let heading = parse.heading.clone();
        let parsed = parse.restore()?;
        let draft = parsed.fm.draft;
        let key = Fresh::Key {
            file,
            taken: self.taken,
            markdown: md,
            sidecar: sc,
            heading,
        };
        self.push(self.whole_if_left_out(key, draft, || Parse::keep(parsed.kept())));
        Some(parsed)
    }

    /// Keeps a parse made now (without diagnostics) for the next run:
    /// `doc` with the text of its leading heading.
    pub fn keep(
        &self,
        file: &Path,
        keys: (FileKey, Option<FileKey>),
        doc: &ParsedDoc,
        heading: Option<&str>,
    ) {
        let key = Fresh::Key {
            file: file.to_path_buf(),
            taken: self.taken,
            markdown: keys.0,
            sidecar: keys.1,
            heading: heading.map(str::to_string),
        };
        let draft = doc.front_matter().draft;
        self.push(self.whole_if_left_out(key, draft, || {
            let (body_offset, body_len) = doc.body_span();
            Parse::keep(Kept {
                fm: doc.front_matter(),
                body_offset,
                body_len,
                notes: doc.packed_notes(),
                heading,
            })
        }));
    }

    /// `key` with its parse when the site leaves the document out.
    fn whole_if_left_out(&self, key: Fresh, draft: bool, parse: impl FnOnce() -> Parse) -> Fresh {
        match key {
            Fresh::Key {
                file,
                taken,
                markdown,
                sidecar,
                ..
            } if draft && !self.drafts => Fresh::Whole(Box::new(Entry {
                file,
                taken,
                markdown,
                sidecar,
                parse: parse(),
            })),
            key => key,
        }
    }

    fn push(&self, entry: Fresh) {
        if let Ok(mut f) = self.fresh.lock() {
            f.push(entry);
        }
    }

    /// Writes the shards whose entries changed: a parse kept anew, or an
    /// entry of a document that is gone (or was not parsed through the
    /// cache this time). A shard written again takes its unchanged entries
    /// back from its file (one shard in an edit build; an entry that cannot
    /// be read back is only parsed again next time). Each file is written
    /// beside its place and renamed into it, without waiting for the disk:
    /// it is checked when read. A fresh entry's parse is `parsed`'s
    /// (phase one's documents), made into an entry as its shard is written.
    /// Called once, at the end of phase one (the entries are taken out).
    pub fn save(&self, parsed: &[ParsedDoc]) {
        fn take<T: Default>(m: &std::sync::Mutex<T>) -> T {
            m.lock()
                .map(|mut x| std::mem::take(&mut *x))
                .unwrap_or_default()
        }
        let fresh = take(&self.fresh);
        let unchanged = take(&self.unchanged);
        let gone = take(&self.entries);
        let mut dirty = [false; SHARDS];
        for file in gone.keys() {
            dirty[shard_of(file)] = true;
        }
        let mut shards: Vec<(Vec<Fresh>, std::collections::HashSet<PathBuf>)> =
            (0..SHARDS).map(|_| Default::default()).collect();
        for e in fresh {
            let i = shard_of(e.file());
            dirty[i] = true;
            shards[i].0.push(e);
        }
        for file in unchanged {
            let i = shard_of(&file);
            if dirty[i] {
                shards[i].1.insert(file);
            }
        }
        let (root, context) = (&self.root, self.context);
        let docs: HashMap<&Path, &ParsedDoc> =
            parsed.iter().map(|p| (p.file().rel.as_path(), p)).collect();
        if dirty.iter().any(|d| *d) {
            let _ = std::fs::create_dir_all(root.join(CACHE_DIR).join(DIR));
        }
        shards
            .into_par_iter()
            .enumerate()
            .filter(|(i, _)| dirty[*i])
            .for_each(|(i, (fresh, keep))| {
                // A document missing from the site (it cannot be, but then)
                // is parsed again next time.
                let mut entries: Vec<Entry> = fresh
                    .into_iter()
                    .filter_map(|f| match f {
                        Fresh::Whole(e) => Some(*e),
                        Fresh::Key {
                            file,
                            taken,
                            markdown,
                            sidecar,
                            heading,
                        } => {
                            let doc = docs.get(file.as_path())?;
                            let (body_offset, body_len) = doc.body_span();
                            let parse = Parse::keep(Kept {
                                fm: doc.front_matter(),
                                body_offset,
                                body_len,
                                notes: doc.packed_notes(),
                                heading: heading.as_deref(),
                            });
                            Some(Entry {
                                file,
                                taken,
                                markdown,
                                sidecar,
                                parse,
                            })
                        }
                    })
                    .collect();
                if !keep.is_empty() {
                    let before = read_shard(root, i, context).unwrap_or_default();
                    entries.extend(before.into_iter().filter(|e| keep.contains(&e.file)));
                }
                entries.sort_by(|a, b| a.file.cmp(&b.file));
                let shard = Shard {
                    format: FORMAT,
                    context,
                    entries,
                };
                if let Ok(body) = bincode::serialize(&shard) {
                    super::write_checked(&shard_path(root, i), body);
                }
            });
    }
}

/// The entries of shard `i`, if its file is whole and of this format and
/// context.
fn read_shard(root: &Path, i: usize, context: u128) -> Option<Vec<Entry>> {
    let body = super::read_checked(&shard_path(root, i))?;
    let shard: Shard = bincode::deserialize(&body).ok()?;
    (shard.format == FORMAT && shard.context == context).then_some(shard.entries)
}

/// Phase one ([`site::load_parsed`]) through the parses kept in
/// `.marginalia/parsed/`: a document whose Markdown file and sidecar are
/// unchanged since they were last parsed (by `build` or `serve`) is not
/// parsed again. `reuse: false` (`build --clean`) uses nothing kept, and
/// keeps this run's parses afresh. `known` gives the content hashes of
/// input files the caller has already taken (a build's
/// [`super::Snapshot`]), so their files need not be looked at.
pub fn load_parsed_cached(options: &BuildOptions, reuse: bool, known: Option<Known<'_>>) -> Loaded {
    let (raw, _) = RawConfig::load(&options.root);
    let (config, _) = Config::resolve(&options.root, raw, options.overrides());
    let cache = Cache::open(
        &options.root,
        config.ratings.as_ref(),
        reuse,
        options.drafts,
        known,
    );
    let root = &options.root;
    match &cache {
        Some(c) => {
            let parse =
                |f: &DocFile, ratings: Option<&RatingScale>| parse_through(root, f, ratings, c);
            // Kept, as the build record is, only for a site without
            // warnings (a build with any drops them again:
            // [`super::discard`]).
            let keep = |docs: &[ParsedDoc], diags: &crate::error::Diagnostics| {
                if diags.is_empty() {
                    c.save(docs);
                }
            };
            site::load_parsed_with(options, Some(&parse), Some(&keep))
        }
        None => site::load_parsed(options),
    }
}

/// [`site::parse_document`] through the kept parses: the kept one when the
/// files are unchanged, else parsed and kept (when it has no diagnostic).
/// Returns the document [`ParsedDoc::headed`].
fn parse_through(
    root: &Path,
    file: &DocFile,
    ratings: Option<&RatingScale>,
    cache: &Cache,
) -> (Option<(ParsedDoc, Option<String>)>, Vec<Diagnostic>) {
    // The files as read now, each with its stamp taken before it was read.
    let stamped = |rel: &Path| -> Option<(FileKey, String)> {
        let m = std::fs::metadata(root.join(rel)).ok()?;
        let text = crate::fsutil::read_text(root, rel).ok()?;
        Some((FileKey::new(&m, text.as_bytes()), text))
    };
    let hit = |p: Parsed| {
        let doc = ParsedDoc::from_parts(file, p.fm, (p.body_offset, p.body_len), p.notes);
        (Some((doc, p.heading)), Vec::new())
    };
    let pending = match cache.lookup(&file.rel, file.sidecar.as_deref()) {
        Found::Hit(p) => return hit(p),
        Found::Check(pending) => Some(pending),
        Found::Miss => None,
    };
    let read = stamped(&file.rel).and_then(|md| match &file.sidecar {
        Some(s) => Some((md, Some(stamped(s)?))),
        None => Some((md, None)),
    });
    let Some(((mk, md), sc)) = read else {
        // Unreadable: parsed the plain way, which says why.
        let (doc, d) = site::parse_document(root, file, ratings);
        return (doc.map(ParsedDoc::headed), d);
    };
    let keys = (mk, sc.as_ref().map(|(k, _)| *k));
    if let Some(p) = pending.and_then(|p| cache.check(p, keys)) {
        return hit(p);
    }
    let (doc, d) = site::parse_texts(root, file, md, sc.map(|(_, t)| Ok(t)), ratings);
    let Some(doc) = doc else {
        return (None, d);
    };
    let (doc, heading) = doc.headed();
    if d.is_empty() {
        cache.keep(&file.rel, keys, &doc, heading.as_deref());
    }
    (Some((doc, heading)), d)
}

/// Removes every kept parse.
pub fn discard(root: &Path) {
    let _ = std::fs::remove_dir_all(root.join(CACHE_DIR).join(DIR));
}

impl Parse {
    fn keep(p: Kept<'_>) -> Parse {
        let Kept {
            fm,
            body_offset,
            body_len,
            notes,
            heading,
        } = p;
        Parse {
            fm: front_matter(fm),
            body_offset,
            body_len,
            notes: notes.bytes().to_vec(),
            heading: heading.map(str::to_string),
        }
    }

    fn restore(self) -> Option<Parsed> {
        Some(Parsed {
            fm: self.fm.restore()?,
            body_offset: self.body_offset,
            body_len: self.body_len,
            notes: PackedNotes::from_bytes(self.notes),
            heading: self.heading,
        })
    }
}

#[derive(Clone, Serialize, Deserialize)]
struct KeptFrontMatter {
    title: Option<String>,
    date: Option<KeptDate>,
    source: Option<String>,
    source_location: Option<KeptLocation>,
    original_url: Option<String>,
    archive_url: Option<String>,
    archived: Option<KeptDate>,
    archive_sha256: Option<String>,
    authors: Vec<String>,
    tags: Vec<String>,
    description: Option<String>,
    slug: Option<String>,
    slug_location: Option<KeptLocation>,
    draft: bool,
    toc: Option<bool>,
    menu: bool,
    paginate_by: Option<usize>,
    /// JSON text: `serde_json::Value` does not round-trip through bincode.
    extra: String,
}

fn front_matter(fm: &FrontMatter) -> KeptFrontMatter {
    let FrontMatter {
        title,
        date: when,
        source,
        source_location,
        original_url,
        archive_url,
        archived,
        archive_sha256,
        authors,
        tags,
        description,
        slug,
        slug_location,
        draft,
        toc,
        menu,
        paginate_by,
        extra,
    } = fm;
    KeptFrontMatter {
        title: title.clone(),
        date: when.as_ref().map(date),
        source: source.clone(),
        source_location: source_location.as_ref().map(location),
        original_url: original_url.clone(),
        archive_url: archive_url.clone(),
        archived: archived.as_ref().map(date),
        archive_sha256: archive_sha256.clone(),
        authors: authors.clone(),
        tags: tags.clone(),
        description: description.clone(),
        slug: slug.clone(),
        slug_location: slug_location.as_ref().map(location),
        draft: *draft,
        toc: *toc,
        menu: *menu,
        paginate_by: *paginate_by,
        extra: serde_json::to_string(extra).unwrap_or_default(),
    }
}

impl KeptFrontMatter {
    fn restore(self) -> Option<FrontMatter> {
        Some(FrontMatter {
            title: self.title,
            date: self.date.map(undate),
            source: self.source,
            source_location: self.source_location.map(unlocation),
            original_url: self.original_url,
            archive_url: self.archive_url,
            archived: self.archived.map(undate),
            archive_sha256: self.archive_sha256,
            authors: self.authors,
            tags: self.tags,
            description: self.description,
            slug: self.slug,
            slug_location: self.slug_location.map(unlocation),
            draft: self.draft,
            toc: self.toc,
            menu: self.menu,
            paginate_by: self.paginate_by,
            extra: serde_json::from_str(&self.extra).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::load_parsed;
    use std::time::{Duration, SystemTime};

    /// A site whose front matter and sidecars use every field a parse keeps.
    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            (
                "site.yaml",
                "title: Kept\nratings:\n  best: 5\n  worst: 1\n  labels: {\"False\": 1, \"True\": 5}\n",
            ),
            (
                "content/sources.yaml",
                "gazette:\n  name: The Gazette\n  kind: publication\n",
            ),
            (
                "content/articles/a.md",
                "---\ntitle: Alpha\ndate: 2021-02-03T09:30:00+05:30\nsource: gazette\nauthor: [A. Writer, B. Writer]\ntags: [Council, budget]\ndescription: About the vote.\nslug: the-alpha\ntoc: false\narchived: 2021-02-04\noriginal_url: https://example.org/a\nextra: {score: 2.5, list: [1, two]}\nwhatever: kept as extra\n---\nThe council voted on the budget today.\n",
            ),
            (
                "content/articles/a.annotations.yaml",
                "- quote: \"voted on the budget\"\n  prefix: \"council \"\n  suffix: \" today\"\n  occurrence: 1\n  note: Checked *twice*.\n  sources: [gazette]\n  kind: context\n  id: first\n  author: C. Checker\n  date: 2021-02-05\n  tags: [minutes]\n  rating: \"True\"\n  replies:\n    - {author: \"D. Reader\", date: 2021-02-06, text: \"Thanks.\"}\n- quote: \"budget\"\n  kind: context\n  note: A second.\n",
            ),
            (
                "content/articles/b.md",
                "---\ndate: 2021-01-01\ndraft: true\n---\n# A heading for a title\n\nText.\n",
            ),
            ("content/about.md", "Just a page.\n"),
        ];
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
        }
        dir
    }

    /// Sets a file's modification time to `secs` after 2020-09-13 (long
    /// ago, and the same whenever it is set to the same `secs`).
    fn age(path: &Path, secs: u64) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + secs))
            .unwrap();
    }

    fn age_content(root: &Path) {
        for rel in [
            "content/articles/a.md",
            "content/articles/a.annotations.yaml",
            "content/articles/b.md",
            "content/about.md",
        ] {
            age(&root.join(rel), 3600);
        }
    }

    /// What phase one read of each document, comparable: its stub (what
    /// its front matter says) and what phase two is handed.
    fn parses(l: &Loaded) -> Vec<String> {
        l.parsed()
            .iter()
            .zip(&l.site.documents)
            .map(|(p, d)| format!("{d:?} {:?}", p.notes(d.sidecar.as_deref())))
            .collect()
    }

    fn options(root: &Path) -> BuildOptions {
        BuildOptions {
            root: root.to_path_buf(),
            drafts: true,
            ..BuildOptions::default()
        }
    }

    #[test]
    fn a_kept_parse_is_what_parsing_gives_and_is_taken_while_the_files_are_unchanged() {
        let dir = site();
        let root = dir.path();
        age_content(root);
        let o = options(root);
        let plain = load_parsed(&o);
        assert!(plain.diagnostics.is_empty(), "{:?}", plain.diagnostics);
        let want = parses(&plain);
        assert!(want.iter().any(|p| p.contains("A heading for a title")));
        // The first run parses and keeps; the next takes what was kept.
        assert_eq!(parses(&load_parsed_cached(&o, true, None)), want);
        let shards = root.join(".marginalia/parsed");
        assert!(std::fs::read_dir(&shards).unwrap().count() > 0);
        assert_eq!(parses(&load_parsed_cached(&o, true, None)), want);

        // Taken, not parsed: the same stamp (size, time, inode) over other
        // bytes still gives the kept parse, as the build record trusts it.
        let a = root.join("content/articles/a.md");
        let text = std::fs::read_to_string(&a).unwrap();
        std::fs::write(&a, text.replace("title: Alpha", "title: Omega")).unwrap();
        age(&a, 3600);
        let kept = parses(&load_parsed_cached(&o, true, None));
        assert!(kept.iter().any(|p| p.contains("\"Alpha\"")), "{kept:?}");
        // `--clean` reads nothing kept.
        let fresh = parses(&load_parsed_cached(&o, false, None));
        assert!(fresh.iter().any(|p| p.contains("\"Omega\"")), "{fresh:?}");
        assert_eq!(fresh, parses(&load_parsed(&o)));
    }

    #[test]
    fn a_changed_file_is_parsed_again_even_with_an_old_stamp_time() {
        let dir = site();
        let root = dir.path();
        age_content(root);
        let o = options(root);
        load_parsed_cached(&o, true, None);
        // Another note, the file's time set back to before the kept parse:
        // its size differs, so its bytes are read and hashed.
        let sc = root.join("content/articles/a.annotations.yaml");
        let mut text = std::fs::read_to_string(&sc).unwrap();
        text.push_str("- quote: \"the council\"\n  note: Added.\n");
        std::fs::write(&sc, text).unwrap();
        age(&sc, 3600);
        let got = parses(&load_parsed_cached(&o, true, None));
        assert!(got.iter().any(|p| p.contains("Added.")));
        assert_eq!(got, parses(&load_parsed(&o)));
        // A file touched but unchanged is the kept parse.
        age(&sc, 10);
        assert_eq!(parses(&load_parsed_cached(&o, true, None)), got);
    }

    #[test]
    fn a_damaged_kept_parse_means_parsing_again() {
        let dir = site();
        let root = dir.path();
        age_content(root);
        let o = options(root);
        let want = parses(&load_parsed(&o));
        load_parsed_cached(&o, true, None);
        // Make every kept parse say Omega while the file says Alpha (same
        // stamp): whichever shard is then damaged, Alpha is read again.
        let a = root.join("content/articles/a.md");
        let text = std::fs::read_to_string(&a).unwrap();
        let shards: Vec<PathBuf> = std::fs::read_dir(root.join(".marginalia/parsed"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for damage in 0..3 {
            std::fs::write(&a, text.replace("title: Alpha", "title: Omega")).unwrap();
            age(&a, 3600);
            load_parsed_cached(&o, false, None);
            std::fs::write(&a, &text).unwrap();
            age(&a, 3600);
            let omega = parses(&load_parsed_cached(&o, true, None));
            assert!(omega.iter().any(|p| p.contains("\"Omega\"")), "{omega:?}");
            for s in &shards {
                let mut bytes = std::fs::read(s).unwrap();
                match damage {
                    0 => bytes.truncate(bytes.len() / 2),
                    1 => *bytes.last_mut().unwrap() ^= 1,
                    _ => bytes = b"not a shard".to_vec(),
                }
                std::fs::write(s, bytes).unwrap();
            }
            assert_eq!(
                parses(&load_parsed_cached(&o, true, None)),
                want,
                "damage {damage}"
            );
        }
    }

    /// Every kept entry, by document file, with its Markdown file's hash.
    fn kept_entries(root: &Path, context: u128) -> HashMap<PathBuf, u128> {
        (0..SHARDS)
            .filter_map(|i| read_shard(root, i, context))
            .flatten()
            .map(|e| (e.file, e.markdown.hash))
            .collect()
    }

    #[test]
    fn every_parse_is_kept_from_the_site_and_a_draft_left_out_whole() {
        let dir = site();
        let root = dir.path();
        age_content(root);
        // Without --drafts the site leaves b.md out, but its parse is kept.
        let o = BuildOptions {
            drafts: false,
            ..options(root)
        };
        let want = parses(&load_parsed(&o));
        assert!(!want.iter().any(|p| p.contains("A heading for a title")));
        load_parsed_cached(&o, true, None);
        let ratings = Config::resolve(root, RawConfig::load(root).0, o.overrides())
            .0
            .ratings;
        let context = Cache::open(root, ratings.as_ref(), false, true, None)
            .unwrap()
            .context;
        let kept = kept_entries(root, context);
        let mut files: Vec<_> = kept
            .keys()
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(
            files,
            [
                "content/about.md",
                "content/articles/a.md",
                "content/articles/b.md"
            ]
        );
        // And each is what parsing gives, drafts or not.
        assert_eq!(parses(&load_parsed_cached(&o, true, None)), want);
        let with = options(root);
        assert_eq!(
            parses(&load_parsed_cached(&with, true, None)),
            parses(&load_parsed(&with))
        );
    }

    #[test]
    fn a_shard_written_again_keeps_its_unchanged_entries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("site.yaml"), "title: Many\n").unwrap();
        let articles = root.join("content/articles");
        std::fs::create_dir_all(&articles).unwrap();
        // Enough documents that the edited one shares its shard.
        for i in 0..300 {
            std::fs::write(
                articles.join(format!("a{i}.md")),
                format!("---\ntitle: A{i}\ndate: 2021-01-01\n---\nText {i}.\n"),
            )
            .unwrap();
            // Long unchanged: taken by its stamp, not read.
            age(&articles.join(format!("a{i}.md")), 3600);
        }
        let o = options(root);
        load_parsed_cached(&o, true, None);
        let context = Cache::open(root, None, false, true, None).unwrap().context;
        let before = kept_entries(root, context);
        assert_eq!(before.len(), 300);
        let edited = Path::new("content/articles/a7.md");
        let siblings = before
            .keys()
            .filter(|f| *f != edited && shard_of(f) == shard_of(edited))
            .count();
        assert!(siblings > 0);

        std::fs::write(
            root.join(edited),
            "---\ntitle: Seven\ndate: 2021-01-02\n---\nNew.\n",
        )
        .unwrap();
        let got = parses(&load_parsed_cached(&o, true, None));
        assert!(got.iter().any(|p| p.contains("Seven")));
        let after = kept_entries(root, context);
        assert_eq!(after.len(), 300, "an unchanged entry was dropped");
        for (file, hash) in &before {
            assert_eq!(after[file] == *hash, file != edited, "{file:?}");
        }
        assert_eq!(got, parses(&load_parsed(&o)));
    }
}
