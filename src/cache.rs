//! The persistent build cache (DESIGN §6), in `.marginalia/` at the site
//! root: a record of what the last successful build read and wrote, so a
//! `build` with nothing changed does nothing.
//!
//! The record holds a content hash of every input file (site.yaml,
//! content/, static/, templates/, themes/), of the binary itself, and of
//! the build options (output folder, base URL, drafts, the hidden test
//! limits), and the size, modification time and inode of every file of
//! the output it wrote. A build is skipped only when all of these match:
//! any changed input, another binary, other options, a touched, added or
//! missing output file, or a cache that is missing, unreadable, corrupt or
//! of another format, means a full build. The output never depends on the
//! cache: a skipped build leaves the very files a full build would write
//! (`tests/perf_cache.rs` checks this against `--clean` builds).
//!
//! When something did change, the build reuses what it can ([`State`],
//! beside the record in `state.bin`): each output's hash of what it read
//! ([`ledger`]) and each document as rendered ([`kept`]). An output whose
//! hash is unchanged is the previous output's file, hard-linked into the
//! new site's staging folder (so the swap stays atomic). This applies
//! only when every input besides the documents and sidecars (site.yaml,
//! sources.yaml, templates, themes, static files, section indexes, copied
//! files), the documents' paths, the binary and the options are the
//! previous build's; anything else renders every output again.
//!
//! A kept document is named by what rendering it reads
//! ([`Snapshot::render_hash`], [`State::kept_name`]), not by the rest, so
//! it is reused whatever else changed, by any build but `--clean`: a
//! document whose name is kept is not rendered again, only its pages.
//!
//! Phase one's parse of each document is kept as well ([`parsed`]), by
//! the content hashes of its files, for builds and for `serve`.
//!
//! Input hashes are reused from the record when a file's size and
//! modification time are unchanged and the file was not modified within
//! [`RACY`] of the moment the record was taken (as git's index does), so a
//! no-change check reads no input file.

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::config::BuildOptions;
use crate::error::Diagnostic;

pub mod kept;
pub mod ledger;
pub mod parsed;
pub mod search;
pub mod spill;

pub use kept::KeptDoc;

/// The cache folder, at the site root.
pub const CACHE_DIR: &str = ".marginalia";
/// The record of the last build, in [`CACHE_DIR`].
const RECORD: &str = "build.json";
/// What a build leaves for the next one to reuse, in [`CACHE_DIR`].
const STATE: &str = "state.bin";
/// Bumped whenever the record's meaning changes.
const FORMAT: u32 = 4;
/// A file modified this close to the record may have changed again within
/// the same timestamp: its hash is never taken on trust.
const RACY: i128 = 2_000_000_000;

/// The folders and files under the root that a build reads.
const INPUTS: &[&str] = &["site.yaml", "content", "static", "templates", "themes"];

/// Environment variables that change what a build writes.
const ENV: &[&str] = &[
    "MARGINALIA_SITEMAP_MAX_URLS",
    "MARGINALIA_ANNOTATION_PAGE_SIZE",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    size: u64,
    /// Modification time, nanoseconds since the epoch.
    mtime: i128,
    ino: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Input {
    stamp: Stamp,
    hash: String,
}

/// What the last successful build read and wrote.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    format: u32,
    /// When the inputs were read (ns since the epoch).
    taken: i128,
    binary: String,
    options: String,
    inputs: BTreeMap<String, Input>,
    /// The output folder, absolute.
    output: PathBuf,
    outputs: BTreeMap<String, Stamp>,
    /// The content hash of `state.bin` as this build wrote it (a state
    /// that does not match is not used).
    state: Option<String>,
}

/// What a build leaves for the next one to reuse.
#[derive(Default, Serialize, Deserialize)]
pub struct State {
    /// The hash of every input that is not a document or a sidecar.
    pub env: u128,
    /// The hash of every document's file and site path.
    pub links: u128,
    /// The hash of what rendering a document reads besides its own files
    /// ([`Snapshot::render_hash`]): what its kept file's name depends on.
    pub render: u128,
    /// Output path → the hash of what it read ([`ledger::Valuer::record`]).
    pub jobs: std::collections::HashMap<String, u128>,
    /// The names of the documents kept in `.marginalia/docs/` that this
    /// build's documents are ([`State::kept_name`]); the others are removed
    /// when the state is saved.
    pub docs: Vec<u128>,
    /// What the search index was made from ([`crate::render::search::Index::updated`]).
    pub search: crate::render::search::KeptIndex,
    /// Where each document's rows are in the output's `/notes.csv`
    /// ([`crate::render::exports::CsvRows`]).
    pub notes_csv: Option<crate::render::exports::CsvRows>,
    /// Each shard's key and record, kept with the index outside the
    /// output ([`search`]).
    #[serde(skip)]
    pub search_shards: Vec<(String, u128)>,
    /// Each document's kept name in site order (`None`: not kept), what a
    /// build into another folder knows its documents by ([`search`]).
    #[serde(skip)]
    pub search_names: Vec<Option<u128>>,
    /// The documents' order in phase one ([`crate::render::search::EarlierIndex::phase_one`]).
    #[serde(skip)]
    pub search_phase_one: u128,
    /// The outputs this build wrote rather than took from the previous
    /// output, when it knows them: every other output is the previous
    /// build's file (its inode), whose stamp is already in the record.
    #[serde(skip)]
    pub written: Option<std::collections::HashSet<String>>,
}

/// The folder of kept documents, in [`CACHE_DIR`]: one file per rendered
/// document, named by what it was rendered from, so a build writes only
/// the documents it rendered and reads only the ones it reuses (a single
/// file of every document was 117 MB at 10k articles, read, checked,
/// decoded and written again by every build).
const DOCS: &str = "docs";

impl State {
    /// The name of the kept file of a document whose Markdown and sidecar
    /// hash to `key` and whose tags the site spells `tags` (its search
    /// terms hold them), rendered with what this state's
    /// [`State::render`] hashes. Neither the output folder nor the
    /// templates are in it: they change a document's page, not the
    /// document, so a build into another folder or after a template edit
    /// renders the pages again from the kept documents.
    pub fn kept_name(&self, key: u128, tags: &[String]) -> u128 {
        ledger::hash_of(&(key, tags, self.render))
    }
}

fn kept_path(root: &Path, name: u128) -> PathBuf {
    root.join(CACHE_DIR).join(DOCS).join(format!("{name:032x}"))
}

// A kept document's file is `hash ‖ format ‖ len(head) ‖ len(notes) ‖
// len(tail) ‖ value ‖ head ‖ notes ‖ hash(tail) ‖ tail ‖ hash(page) ‖
// page`, the first hash that of everything after it up to the end of the
// notes: the head and the tail are its [`KeptDoc`]'s (bincode each), its
// notes a [`KeptNotes`], the value the hash of its head and notes
// ([`head_value`]; the tail's ids come in no fixed order), the page its
// page HTML and its search text, as `<HTML's length in bytes,
// decimal>\n<HTML><text>` (lz4, which shrinks highlighted HTML about four
// times). The hashes are xxh3's (128 bits). Each part is checked on its
// own, so a build that links the document's page from the previous
// output decodes the head and the notes alone (and checks the tail).

/// The layout of a kept document's file: a file of another layout is not
/// read, and its document is rendered again.
const KEPT_FORMAT: u32 = 2;
/// The bytes before a kept document's head.
const TOP: usize = 60;

/// The hash of a kept file's parts.
fn part_hash(bytes: &[u8]) -> [u8; 16] {
    twox_hash::XxHash3_128::oneshot(bytes).to_le_bytes()
}

/// The lengths of the head, the notes and the tail that a kept file's
/// `top` gives, when it is of this layout.
fn kept_lens(top: &[u8]) -> Option<(usize, usize, usize)> {
    if u32::from_le_bytes(top.get(16..20)?.try_into().ok()?) != KEPT_FORMAT {
        return None;
    }
    let len = |at: usize| -> Option<usize> {
        usize::try_from(u64::from_le_bytes(top.get(at..at + 8)?.try_into().ok()?)).ok()
    };
    Some((len(20)?, len(28)?, len(36)?))
}

/// The value a kept file's `top` gives ([`head_value`]).
fn kept_value(top: &[u8]) -> Option<u128> {
    Some(u128::from_le_bytes(top.get(44..TOP)?.try_into().ok()?))
}

/// A kept document's notes as the build's scratch file holds them (a
/// [`spill`] record: bincode, then lz4), with what the outputs read of
/// them without them ([`crate::model::NoteFacts`]): a document restored
/// for an edit build puts the record into the scratch file as it is,
/// neither decoding nor encoding a note.
pub struct KeptNotes {
    facts: crate::model::NoteFacts,
    record: Vec<u8>,
}

impl KeptNotes {
    /// The bytes kept of `doc`'s notes (held): `len(facts) ‖ facts ‖
    /// record`, the facts in bincode.
    fn part(doc: &crate::model::Document, registry: &crate::sources::Registry) -> Option<Vec<u8>> {
        let facts = bincode::serialize(&crate::model::NoteFacts::of(doc, registry)).ok()?;
        let record = spill::record_of(&doc.notes);
        let mut part = Vec::with_capacity(4 + facts.len() + record.len());
        part.extend(u32::try_from(facts.len()).ok()?.to_le_bytes());
        part.extend(facts);
        part.extend(record);
        Some(part)
    }

    /// The notes [`KeptNotes::part`] kept.
    fn parse(part: &[u8]) -> Option<KeptNotes> {
        let (len, rest) = part.split_at_checked(4)?;
        let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
        let (facts, record) = rest.split_at_checked(len)?;
        Some(KeptNotes {
            facts: bincode::deserialize(facts).ok()?,
            record: record.to_vec(),
        })
    }

    /// Gives `doc`, restored without its notes, its notes: spilled into
    /// `spill` as they are kept when there is one (and it can be written),
    /// else held. False when they cannot be read (the document is then
    /// rendered again).
    pub fn restore_into(
        self,
        doc: &mut crate::model::Document,
        spill: Option<&std::sync::Arc<spill::Spill>>,
    ) -> bool {
        let KeptNotes { facts, record } = self;
        if facts.anchored == 0 && facts.changed == 0 {
            return true;
        }
        if let Some(s) = spill
            && s.put_record(doc, &record, facts)
        {
            return true;
        }
        decode_notes(&record, doc)
    }
}

/// Gives `doc` the notes of a kept record, held.
fn decode_notes(record: &[u8], doc: &mut crate::model::Document) -> bool {
    match spill::notes_of(record) {
        Some((anchored, _)) => {
            doc.notes = anchored;
            true
        }
        None => false,
    }
}

/// How much of a kept file [`read_kept`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Upto {
    /// The head and the notes, the tail checked but not decoded: a
    /// document taken without its tail may need it later in the build
    /// (when the search index is made again), so it is taken only when
    /// its tail is whole too.
    Notes,
    /// And the tail, decoded.
    Tail,
    /// And the page.
    Page,
}

/// What [`read_kept`] read of a kept file.
struct Kept {
    head: kept::KeptHead,
    notes: KeptNotes,
    tail: Option<kept::KeptTail>,
    /// The hash of its head and notes ([`head_value`]).
    value: u128,
    /// Its page HTML and search text.
    page: Option<KeptPage>,
}

/// The document kept under `name`, up to `upto`, if those parts are
/// there and whole (a damaged one is ignored, and the document rendered
/// again); the rest of the file is not read.
fn read_kept(root: &Path, name: u128, upto: Upto) -> Option<Kept> {
    let path = kept_path(root, name);
    let bytes = if upto == Upto::Page {
        std::fs::read(path).ok()?
    } else {
        use std::io::Read;
        let mut f = std::fs::File::open(path).ok()?;
        let mut top = [0u8; TOP];
        f.read_exact(&mut top).ok()?;
        let (head, notes, tail) = kept_lens(&top)?;
        let want = TOP
            .checked_add(head)?
            .checked_add(notes)?
            .checked_add(16)?
            .checked_add(tail)?;
        if u64::try_from(want).ok()? > f.metadata().ok()?.len() {
            return None;
        }
        let mut bytes = vec![0; want];
        bytes[..TOP].copy_from_slice(&top);
        f.read_exact(&mut bytes[TOP..]).ok()?;
        bytes
    };
    let (head_len, notes_len, tail_len) = kept_lens(bytes.get(..TOP)?)?;
    let end = TOP.checked_add(head_len)?.checked_add(notes_len)?;
    let (first, rest) = bytes.split_at_checked(end)?;
    if first[..16] != part_hash(&first[16..]) {
        return None;
    }
    let (head, notes) = first[TOP..].split_at(head_len);
    /// The next `len` bytes of `rest` after their hash, if they are whole.
    fn checked<'a>(rest: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
        let (hash, after) = rest.split_at_checked(16)?;
        let (part, after) = after.split_at_checked(len)?;
        *rest = after;
        (*hash == part_hash(part)).then_some(part)
    }
    let mut rest = rest;
    let tail = checked(&mut rest, tail_len)?;
    let tail = match upto {
        Upto::Notes => None,
        Upto::Tail | Upto::Page => Some(bincode::deserialize(tail).ok()?),
    };
    let page = match upto {
        Upto::Notes | Upto::Tail => None,
        Upto::Page => {
            let len = rest.len().checked_sub(16)?;
            let page = checked(&mut rest, len)?;
            let mut html =
                String::from_utf8(lz4_flex::decompress_size_prepended(page).ok()?).ok()?;
            let digits = html.find('\n')?;
            let at = digits + 1 + html[..digits].parse::<usize>().ok()?;
            let text = html.get(at..)?.to_string();
            html.truncate(at);
            html.drain(..=digits);
            Some((html, text))
        }
    };
    Some(Kept {
        head: bincode::deserialize(head).ok()?,
        notes: KeptNotes::parse(notes)?,
        tail,
        value: kept_value(first)?,
        page,
    })
}

/// The head of the document kept under `name` (no ids, links or search
/// terms), its notes as kept, and the hash of both ([`head_value`]), if
/// they are there and whole: what an edit build reads of a document whose
/// page it links from the previous output.
pub fn load_kept_head(root: &Path, name: u128) -> Option<(kept::KeptHead, KeptNotes, u128)> {
    let k = read_kept(root, name, Upto::Notes)?;
    Some((k.head, k.notes, k.value))
}

/// A kept page's HTML and search text.
type KeptPage = (String, String);

/// The document of a kept file read up to its tail or page, notes held,
/// with the page and the value.
fn restore_kept(k: Kept) -> Option<(crate::model::Document, Option<KeptPage>, u128)> {
    let mut doc = KeptDoc::of(k.head, k.tail?).restore()?;
    decode_notes(&k.notes.record, &mut doc).then_some((doc, k.page, k.value))
}

/// The document kept under `name`, notes held, without its page HTML
/// (`section` and `tags` unset, as [`KeptDoc::restore`] leaves them), if
/// it is there and whole.
pub fn load_kept_doc(root: &Path, name: u128) -> Option<crate::model::Document> {
    restore_kept(read_kept(root, name, Upto::Tail)?).map(|(doc, _, _)| doc)
}

/// The document kept under `name` with its notes held, its page HTML, its
/// search text ([`crate::render::search::plain_text`] of that HTML) and
/// the hash of its head and notes ([`head_value`]), if its file is there
/// and whole.
pub fn load_kept_page(
    root: &Path,
    name: u128,
) -> Option<(crate::model::Document, String, String, u128)> {
    let (doc, page, value) = restore_kept(read_kept(root, name, Upto::Page)?)?;
    let (html, text) = page?;
    Some((doc, html, text, value))
}

/// Keeps a rendered document (with its page HTML and its notes, which it
/// holds) under `name`. Unless `replace`, a document already kept under
/// that name is left as it is: the name hashes everything its rendering
/// read, so that file holds this very rendering (`--clean`, which reads
/// no kept file, writes none again). A build that reads them replaces the
/// ones it could not use (damaged ones). Returns the hash of the
/// document's head and notes ([`head_value`]) when it is kept.
pub fn store_kept(
    root: &Path,
    name: u128,
    doc: &crate::model::Document,
    registry: &crate::sources::Registry,
    text: &str,
    replace: bool,
) -> Option<u128> {
    let path = kept_path(root, name);
    if !replace && path.is_file() {
        // This very rendering (the name says so): its head's hash is in
        // the file, which is checked when read.
        use std::io::Read;
        let mut top = [0u8; TOP];
        let known = std::fs::File::open(&path)
            .and_then(|mut f| f.read_exact(&mut top))
            .is_ok();
        if known && kept_lens(&top).is_some() {
            return kept_value(&top);
        }
    }
    let kept = KeptDoc::keep(doc)?;
    let head = bincode::serialize(kept.head()).ok()?;
    let tail = bincode::serialize(kept.tail()).ok()?;
    let notes = KeptNotes::part(doc, registry)?;
    let value = {
        let mut h = SipHasher13::new();
        h.write(&head);
        h.write(&notes);
        h.finish128().as_u128()
    };
    let html = &doc.content_html;
    let page = lz4_flex::compress_prepend_size(format!("{}\n{html}{text}", html.len()).as_bytes());
    let mut file =
        Vec::with_capacity(TOP + head.len() + notes.len() + 32 + tail.len() + page.len());
    file.extend([0; 16]);
    file.extend(KEPT_FORMAT.to_le_bytes());
    for len in [head.len(), notes.len(), tail.len()] {
        file.extend((len as u64).to_le_bytes());
    }
    file.extend(value.to_le_bytes());
    file.extend(&head);
    file.extend(&notes);
    let hash = part_hash(&file[16..]);
    file[..16].copy_from_slice(&hash);
    file.extend(part_hash(&tail));
    file.extend(&tail);
    file.extend(part_hash(&page));
    file.extend(&page);
    write_file(&path, &file);
    Some(value)
}

/// A document's value for the outputs made after the documents' own pages
/// ([`ledger::Valuer`]): the hash of its kept head and notes when it is
/// known, since they are all those outputs read of a document (a reused
/// one is restored from them alone), else the content hash of its files. An
/// edit that leaves the head as it was (a sidecar's comment, a change
/// the notes and summary do not show) then renders no listing, feed,
/// source page or data file again.
pub fn head_value(head: Option<u128>, key: Option<u128>) -> u128 {
    match head {
        Some(h) => ledger::hash_of(&("head", h)),
        None => ledger::hash_of(&("files", key)),
    }
}

/// The contents of a file [`write_checked`] wrote, if it is whole: each
/// such file starts with the hash of the rest.
fn read_checked(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(path).ok()?;
    let (hash, body) = bytes.split_at_checked(16)?;
    if hash != ledger::hash_of(body).to_le_bytes() {
        return None;
    }
    // In place: a copy of every reused document was a tenth of reading it.
    bytes.drain(..16);
    Some(bytes)
}

/// Writes `body` after its hash, beside `path` and renamed into it,
/// without waiting for the disk: it is checked when read, and a lost or
/// torn file only means its contents are made again.
fn write_checked(path: &Path, body: Vec<u8>) {
    let mut bytes = Vec::with_capacity(16 + body.len());
    bytes.extend(ledger::hash_of(body.as_slice()).to_le_bytes());
    bytes.extend(body);
    write_file(path, &bytes);
}

/// Writes `bytes` beside `path` and renames them into it, making the
/// folder only when it is missing (one kept file per document: a
/// `mkdir` and a `stat` each were 20,000 system calls per full build).
fn write_file(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut written = std::fs::write(&tmp, bytes);
    if let Err(e) = &written
        && e.kind() == std::io::ErrorKind::NotFound
        && let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        written = std::fs::write(&tmp, bytes);
    }
    if written.is_err() || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Removes the kept documents `state` does not name.
fn prune_kept(root: &Path, state: Option<&State>) {
    let keep: std::collections::HashSet<String> = state
        .map(|s| s.docs.iter().map(|n| format!("{n:032x}")).collect())
        .unwrap_or_default();
    let Ok(entries) = std::fs::read_dir(root.join(CACHE_DIR).join(DOCS)) else {
        return;
    };
    for e in entries.flatten() {
        if !keep.contains(&*e.file_name().to_string_lossy()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn hash_bytes(bytes: &[u8]) -> String {
    format!("{:032x}", content_hash(bytes))
}

/// The content hash of a file's bytes, as the record keeps it (in hex).
fn content_hash(bytes: &[u8]) -> u128 {
    let mut h = SipHasher13::new();
    h.write(bytes);
    h.finish128().as_u128()
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    Ok(hash_bytes(&std::fs::read(path)?))
}

fn stamp(m: &std::fs::Metadata) -> Stamp {
    Stamp {
        size: m.len(),
        mtime: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        ino: m.ino(),
    }
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The running binary's identity: another build of marginalia may render
/// differently, whatever its version number says. The version, the commit
/// and the executable's size, modification time and inode: every rebuild
/// changes them, and reading them costs nothing (hashing the executable's
/// bytes cost 2.5 s and 200 MB per build with a debug binary).
fn binary_hash() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let m = std::fs::metadata(&exe).ok()?;
    Some(format!(
        "{} {} {:?}",
        env!("CARGO_PKG_VERSION"),
        option_env!("MARGINALIA_COMMIT").unwrap_or("unknown"),
        stamp(&m)
    ))
}

/// The output folder a build of `options` writes, absolute (as
/// [`crate::site::load_parsed`] resolves it).
fn output_dir(options: &BuildOptions) -> PathBuf {
    let out = match &options.output {
        Some(out) if out.is_absolute() => out.clone(),
        Some(out) => std::env::current_dir()
            .map(|c| c.join(out))
            .unwrap_or_else(|_| out.clone()),
        None => {
            let (config, _) = crate::config::Config::load(&options.root);
            if config.output_dir.is_absolute() {
                config.output_dir
            } else {
                options.root.join(config.output_dir)
            }
        }
    };
    // The same folder whether or not it exists yet: resolve its parent.
    match (out.parent(), out.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or(out),
        _ => out,
    }
}

fn options_key(options: &BuildOptions, output: &Path) -> String {
    let env: Vec<(String, Option<String>)> = ENV
        .iter()
        .map(|v| (v.to_string(), std::env::var(v).ok()))
        .collect();
    format!(
        "{}|{:?}|{}|{:?}",
        output.display(),
        options.base_url,
        options.drafts,
        env
    )
}

/// Every input file (relative path → stamp), sorted.
fn input_files(root: &Path, output: &Path) -> BTreeMap<String, (PathBuf, Stamp)> {
    let mut files = BTreeMap::new();
    for top in INPUTS {
        let start = root.join(top);
        for e in walkdir::WalkDir::new(&start)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| !e.path().starts_with(output))
            .filter_map(Result::ok)
        {
            if !e.file_type().is_file() {
                continue;
            }
            let Ok(m) = e.metadata() else { continue };
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap_or(e.path())
                .to_string_lossy()
                .into_owned();
            files.insert(rel, (e.path().to_path_buf(), stamp(&m)));
        }
    }
    files
}

/// Hashes the inputs, reusing `previous` hashes where the file is
/// unchanged and was not modified near the previous record.
fn hash_inputs(
    files: BTreeMap<String, (PathBuf, Stamp)>,
    previous: Option<&Record>,
) -> Option<BTreeMap<String, Input>> {
    use rayon::prelude::*;
    let files: Vec<(String, (PathBuf, Stamp))> = files.into_iter().collect();
    files
        .into_par_iter()
        .map(|(rel, (path, stamp))| {
            let known = previous.and_then(|p| {
                p.inputs
                    .get(&rel)
                    .filter(|i| i.stamp == stamp && stamp.mtime < p.taken - RACY)
                    .map(|i| i.hash.clone())
            });
            let hash = match known {
                Some(h) => h,
                None => hash_file(&path).ok()?,
            };
            Some((rel, Input { stamp, hash }))
        })
        .collect()
}

/// The stamps of every file in the output folder.
fn output_files(output: &Path) -> BTreeMap<String, Stamp> {
    walkdir::WalkDir::new(output)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            let rel = e
                .path()
                .strip_prefix(output)
                .ok()?
                .to_string_lossy()
                .into_owned();
            Some((rel, stamp(&m)))
        })
        .collect()
}

/// The stamps of the files at `paths` (relative) in the output folder,
/// each looked up by its path: no folder is read (walking the ~45,000
/// entries of a 10k site's output twice was a tenth of an edit build,
/// much of it in the kernel). What is not a file there is left out.
fn stamps_at<'a>(output: &Path, paths: impl Iterator<Item = &'a str>) -> BTreeMap<String, Stamp> {
    use rayon::prelude::*;
    let paths: Vec<&str> = paths.collect();
    paths
        .into_par_iter()
        .filter_map(|rel| {
            let m = std::fs::symlink_metadata(output.join(rel)).ok()?;
            m.is_file().then(|| (rel.to_string(), stamp(&m)))
        })
        .collect()
}

/// Whether every file `recorded` names is in the output folder with its
/// recorded stamp. Files the record does not name are not looked for: a
/// build never carries one into the site it writes (the staging folder
/// holds only what the build put there), so only a no-change build, which
/// writes nothing, must walk the folder to see them ([`Snapshot::unchanged`]).
fn outputs_as_recorded(output: &Path, recorded: &BTreeMap<String, Stamp>) -> bool {
    use rayon::prelude::*;
    let recorded: Vec<(&String, &Stamp)> = recorded.iter().collect();
    recorded.into_par_iter().all(|(rel, was)| {
        std::fs::symlink_metadata(output.join(rel)).is_ok_and(|m| m.is_file() && stamp(&m) == *was)
    })
}

fn record_path(root: &Path) -> PathBuf {
    root.join(CACHE_DIR).join(RECORD)
}

fn state_path(root: &Path) -> PathBuf {
    root.join(CACHE_DIR).join(STATE)
}

/// The record of the last build, if there is a readable one of this format.
fn read_record(root: &Path) -> Option<Record> {
    let text = std::fs::read(record_path(root)).ok()?;
    let r: Record = serde_json::from_slice(&text).ok()?;
    (r.format == FORMAT).then_some(r)
}

/// What the inputs are now, taken before a build: what [`save`] records
/// after it succeeds.
pub struct Snapshot {
    taken: i128,
    binary: Option<String>,
    options: String,
    inputs: Option<BTreeMap<String, Input>>,
    output: PathBuf,
    previous: Option<Record>,
}

impl Snapshot {
    /// Reads the record and the inputs.
    pub fn take(options: &BuildOptions) -> Snapshot {
        let taken = now_ns();
        let output = output_dir(options);
        let previous = read_record(&options.root);
        let inputs = hash_inputs(input_files(&options.root, &output), previous.as_ref());
        Snapshot {
            taken,
            binary: binary_hash(),
            options: options_key(options, &output),
            inputs,
            output,
            previous,
        }
    }

    /// Whether the last build read exactly these inputs with this binary
    /// and these options, and its output is still as it wrote it.
    pub fn unchanged(&self) -> bool {
        let (Some(p), Some(binary), Some(inputs)) = (&self.previous, &self.binary, &self.inputs)
        else {
            return false;
        };
        p.binary == *binary
            && p.options == self.options
            && p.output == self.output
            && p.inputs.len() == inputs.len()
            && p.inputs
                .iter()
                .zip(inputs)
                .all(|((a, x), (b, y))| a == b && x.hash == y.hash)
            && output_files(&self.output) == p.outputs
    }

    /// What the last build left to reuse, when it was made by this binary
    /// with these options, its output is as it wrote it, and its state
    /// file is the one it wrote. `None` means a full build.
    pub fn previous_state(&self, root: &Path) -> Option<State> {
        let p = self.previous.as_ref()?;
        let ok = self.binary.as_ref() == Some(&p.binary)
            && p.options == self.options
            && p.output == self.output
            && self.inputs.is_some();
        if !ok {
            return None;
        }
        let bytes = std::fs::read(state_path(root)).ok()?;
        if p.state.as_deref() != Some(hash_bytes(&bytes).as_str()) {
            return None;
        }
        if !outputs_as_recorded(&self.output, &p.outputs) {
            return None;
        }
        bincode::deserialize(&bytes).ok()
    }

    /// The content hash of a document's Markdown file and sidecar (paths
    /// relative to the root), as read now.
    pub fn document_key(&self, file: &Path, sidecar: Option<&Path>) -> Option<u128> {
        let inputs = self.inputs.as_ref()?;
        let hash = |p: &Path| inputs.get(&*p.to_string_lossy()).map(|i| i.hash.as_str());
        let md = hash(file)?;
        let sc = match sidecar {
            Some(s) => Some((s, hash(s)?)),
            None => None,
        };
        Some(ledger::hash_of(&(file, md, sc)))
    }

    /// The content hash of the input file `rel` (relative to the root),
    /// as read now: what [`parsed::FileKey`] hashes.
    pub fn content_hash(&self, rel: &Path) -> Option<u128> {
        let input = self.inputs.as_ref()?.get(&*rel.to_string_lossy())?;
        u128::from_str_radix(&input.hash, 16).ok()
    }

    /// The hash of what rendering a document reads besides its own
    /// Markdown and sidecar (what [`crate::site::Loaded`] renders each
    /// document with): the binary; `links`, the hash of the link map
    /// (every document's and section index's site path: a link is
    /// resolved, or suggested, from it); the source registry (note
    /// asides name their sources); the margin-note partial, its file's
    /// bytes (the asides are written into the body); and the settings
    /// Markdown and notes read: `base_url`, `unsafe_html`, the note kinds
    /// and the rating scale. Not the output folder, the templates (but
    /// the partial), the theme's other files or site.yaml's other
    /// settings: they change pages, not documents.
    pub fn render_hash(&self, site: &crate::model::Site, links: u128) -> Option<u128> {
        let c = &site.config;
        let partial = match crate::markdown::NoteTemplate::site_file(&c.root, &c.theme) {
            Some(file) => Some(content_hash(&std::fs::read(file).ok()?)),
            None => None,
        };
        Some(ledger::hash_of(&(
            self.binary.as_ref()?,
            links,
            serde_json::to_string(site.registry.all()).ok()?,
            partial,
            &c.base_url,
            c.unsafe_html,
            serde_json::to_string(&c.kinds).ok()?,
            serde_json::to_string(&c.ratings).ok()?,
            // Highlighted code writes only the spans these themes style.
            (&c.highlight_theme, &c.highlight_theme_dark),
        )))
    }

    /// The hash of every input but `documents` (relative paths of the
    /// documents' Markdown files and sidecars), the binary and the options.
    pub fn env_hash(&self, documents: &std::collections::HashSet<PathBuf>) -> Option<u128> {
        let inputs = self.inputs.as_ref()?;
        let rest: Vec<(&String, &String)> = inputs
            .iter()
            .filter(|(rel, _)| !documents.contains(Path::new(rel.as_str())))
            .map(|(rel, i)| (rel, &i.hash))
            .collect();
        Some(ledger::hash_of(&(&self.binary, &self.options, rest)))
    }

    /// Records a successful build of these inputs (whose output is now in
    /// place), with what the next build may reuse.
    pub fn save(self, root: &Path, state: Option<&State>) -> Result<(), Diagnostic> {
        let (Some(binary), Some(inputs)) = (self.binary, self.inputs) else {
            return Ok(());
        };
        let dir = root.join(CACHE_DIR);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Diagnostic::io(&dir, "create the build cache folder", &e))?;
        prune_kept(root, state);
        if let Some(state) = state {
            search::keep(root, &self.output, state);
        }
        let outputs = match state {
            // What this build wrote: every output it planned.
            Some(state) => {
                let planned = state.jobs.keys().map(String::as_str);
                let mut outputs = BTreeMap::new();
                let mut look = vec![crate::output::MARKER];
                // A file taken from the previous output is its inode, as
                // the previous record stamped it (and `previous_state`
                // found it); the others are looked at.
                match (&state.written, &self.previous) {
                    (Some(written), Some(p)) => {
                        for path in planned {
                            match p.outputs.get(path) {
                                Some(stamp) if !written.contains(path) => {
                                    outputs.insert(path.to_string(), stamp.clone());
                                }
                                _ => look.push(path),
                            }
                        }
                    }
                    _ => look.extend(planned),
                }
                outputs.extend(stamps_at(&self.output, look.into_iter()));
                outputs
            }
            None => output_files(&self.output),
        };
        let state = match state.map(bincode::serialize) {
            Some(Ok(bytes)) => {
                crate::fsutil::write_atomic(&state_path(root), &bytes)
                    .map_err(|e| Diagnostic::io(&state_path(root), "write the build cache", &e))?;
                Some(hash_bytes(&bytes))
            }
            _ => {
                let _ = std::fs::remove_file(state_path(root));
                None
            }
        };
        let record = Record {
            state,
            format: FORMAT,
            taken: self.taken,
            binary,
            options: self.options,
            inputs,
            outputs,
            output: self.output,
        };
        let bytes = serde_json::to_vec(&record).unwrap_or_default();
        crate::fsutil::write_atomic(&record_path(root), &bytes)
            .map_err(|e| Diagnostic::io(&record_path(root), "write the build cache", &e))
    }
}

/// Drops what a build that is not recorded kept (its documents are of no
/// use without a record; its parses are dropped too, so a build with
/// warnings or errors leaves nothing at the site root), and the cache
/// folder when nothing else is in it.
pub fn discard(root: &Path) {
    let _ = std::fs::remove_dir_all(root.join(CACHE_DIR).join(DOCS));
    parsed::discard(root);
    search::discard(root);
    let _ = std::fs::remove_dir(root.join(CACHE_DIR));
}

/// Forgets the last build (after a failed one: its output may be the
/// previous one, but nothing is gained by trusting it).
pub fn forget(root: &Path) {
    let _ = std::fs::remove_file(record_path(root));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Document, NoteFacts};
    use crate::sources::Registry;
    use spill::tests::{doc, note};

    fn kept() -> (tempfile::TempDir, Document) {
        let tmp = tempfile::tempdir().unwrap();
        let mut d = doc(vec![note("n1", &[]), note("n2", &[])]);
        d.content_html = "<p>Body</p>".into();
        (tmp, d)
    }

    fn notes_of(d: &Document) -> String {
        format!("{:?}", d.notes)
    }

    #[test]
    fn a_kept_documents_notes_go_into_the_scratch_file_as_kept() {
        let (tmp, d) = kept();
        let root = tmp.path();
        let registry = Registry::default();
        let value = store_kept(root, 7, &d, &registry, "Body", true).unwrap();
        let (head, notes, v) = load_kept_head(root, 7).unwrap();
        assert_eq!(v, value);
        let mut back = head.restore().unwrap();
        assert!(back.notes.is_empty());
        let scratch = tempfile::tempdir().unwrap();
        let spill = spill::Spill::create(scratch.path()).unwrap();
        assert!(notes.restore_into(&mut back, Some(&spill)));
        assert!(back.notes.is_empty() && back.spilled.is_some());
        assert_eq!(spill.records(), 1);
        assert_eq!(
            back.note_facts(&registry).into_owned(),
            NoteFacts::of(&d, &registry)
        );
        let read = back.read_notes().unwrap();
        assert_eq!(format!("{:?}", read.anchored), notes_of(&d));
        // Without a scratch file, the notes are held.
        let (head, notes, _) = load_kept_head(root, 7).unwrap();
        let mut held = head.restore().unwrap();
        assert!(notes.restore_into(&mut held, None));
        assert!(held.spilled.is_none());
        assert_eq!(notes_of(&held), notes_of(&d));
        // The whole document, and with its page.
        assert_eq!(notes_of(&load_kept_doc(root, 7).unwrap()), notes_of(&d));
        let (page, html, text, v) = load_kept_page(root, 7).unwrap();
        assert_eq!(
            (html.as_str(), text.as_str(), v),
            ("<p>Body</p>", "Body", value)
        );
        assert_eq!(notes_of(&page), notes_of(&d));
        // A document without notes spills nothing.
        let bare = doc(Vec::new());
        store_kept(root, 8, &bare, &registry, "", true).unwrap();
        let (head, notes, _) = load_kept_head(root, 8).unwrap();
        let mut back = head.restore().unwrap();
        assert!(notes.restore_into(&mut back, Some(&spill)));
        assert!(back.spilled.is_none() && back.notes.is_empty());
        assert_eq!(spill.records(), 1);
    }

    #[test]
    fn a_damaged_notes_part_or_another_format_is_not_read() {
        let (tmp, d) = kept();
        let root = tmp.path();
        let registry = Registry::default();
        store_kept(root, 7, &d, &registry, "Body", true).unwrap();
        let path = kept_path(root, 7);
        let whole = std::fs::read(&path).unwrap();
        let unread = |why: &str| {
            assert!(load_kept_head(root, 7).is_none(), "{why}");
            assert!(load_kept_doc(root, 7).is_none(), "{why}");
            assert!(load_kept_page(root, 7).is_none(), "{why}");
        };
        // A byte of the notes part changed.
        let (head, notes, _) = kept_lens(&whole).unwrap();
        let mut bytes = whole.clone();
        bytes[TOP + head + notes / 2] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        unread("damaged notes");
        // Cut inside the notes part.
        std::fs::write(&path, &whole[..TOP + head + 4]).unwrap();
        unread("short notes");
        // A byte of the tail, which a document taken from the cache may
        // need later in the build.
        let mut bytes = whole.clone();
        bytes[TOP + head + notes + 16 + 2] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        unread("damaged tail");
        // A byte of the page: all but the page are read.
        let mut bytes = whole.clone();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(load_kept_head(root, 7).is_some() && load_kept_doc(root, 7).is_some());
        assert!(load_kept_page(root, 7).is_none());
        // A file of another layout (an earlier one's number).
        let mut bytes = whole.clone();
        bytes[16..20].copy_from_slice(&1u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        unread("another format");
        // ... which a build that keeps the document does not take for
        // this rendering, even without replacing.
        let value = store_kept(root, 7, &d, &registry, "Body", false).unwrap();
        assert_eq!(load_kept_head(root, 7).unwrap().2, value);
    }

    #[test]
    fn the_value_of_a_kept_document_changes_with_its_notes() {
        let (tmp, d) = kept();
        let root = tmp.path();
        let registry = Registry::default();
        let a = store_kept(root, 7, &d, &registry, "Body", true).unwrap();
        let mut e = d.clone();
        e.notes[1].body_html = "<p>Another note.</p>".into();
        let b = store_kept(root, 8, &e, &registry, "Body", true).unwrap();
        assert_ne!(a, b);
        assert_eq!(store_kept(root, 9, &d, &registry, "Body", true), Some(a));
    }
}
