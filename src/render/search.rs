//! The search index the theme's search box reads, split so that a query
//! downloads only what it needs (as Pagefind does):
//!
//! - `search-index.json`, the manifest: how many items there are and
//!   which term shards exist;
//! - `search-index/t/<hex>.json`, one shard per two-letter term prefix
//!   (the prefix's UTF-8 bytes in hex name the file): each term with its
//!   document frequency and its best postings `[doc, note, weight]`
//!   (`note` 0 is the article itself, `n` its note `n - 1`), at most
//!   [`POSTINGS_MAX`] of them, heaviest first;
//! - `search-index/h/<group>.json`, the result heads of
//!   [`HEADS_PER_FILE`] documents in site order: each one's title, path,
//!   date, source name, note ids and earlier snapshots, what a result's
//!   line and link need (~150 bytes a document);
//! - `search-index/d/<doc>.json`, one per document: title, URL, date,
//!   source, plain text and notes, fetched only for the results shown
//!   once typing pauses, to show the matching passage.
//!
//! A search after every letter thus fetches the shard and a few small
//! head files each time; the ~9 KB fragments are fetched once, for the
//! results still shown when typing stops. Nothing grows with the archive
//! but the number of files.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::{Document, Site, Terms};

/// The most postings kept for one term. A term in more items than this is
/// barely a filter; its heaviest items (title hits first) are what a
/// reader wants from it, and the cap bounds every shard's size.
pub const POSTINGS_MAX: usize = 200;

/// Documents whose result heads share a file: small enough that the
/// head files a result list touches stay a few kilobytes each, large
/// enough not to add a file per document.
pub const HEADS_PER_FILE: usize = 16;

/// Terms shorter than this are not indexed.
const MIN_TERM: usize = 2;
/// Nor longer ones (hashes, base64 blobs, URLs run together).
const MAX_TERM: usize = 40;

/// Characters of a term that name its shard.
const KEY_CHARS: usize = 2;

/// Calls `f` with every term of `text`: lowercased, accents dropped,
/// split at anything not a letter or digit. The theme's search.js folds a
/// query the same way.
///
/// ASCII needs no normalization (it is its own NFD, and canonical
/// reordering never crosses an ASCII character, whose combining class is
/// 0), so ASCII bytes are folded directly and only the runs of other
/// characters go through NFD. A lowercase ASCII word is passed on as a
/// slice of `text`, without a copy. The terms are the same as
/// [`each_term_nfd`]'s (a test compares them).
pub fn each_term(text: &str, mut f: impl FnMut(&str)) {
    use unicode_normalization::UnicodeNormalization;
    let mut emit = |word: &str, chars: usize| {
        if (MIN_TERM..=MAX_TERM).contains(&chars) {
            f(word);
        }
    };
    // The word being gathered when it is not a slice of `text`, and its
    // length in chars.
    let mut word = String::new();
    let mut chars = 0usize;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii() {
            if !b[i].is_ascii_alphanumeric() {
                if !word.is_empty() {
                    emit(&word, chars);
                    word.clear();
                    chars = 0;
                }
                i += 1;
                continue;
            }
            let start = i;
            let mut lower = true;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                lower &= !b[i].is_ascii_uppercase();
                i += 1;
            }
            let run = &text[start..i];
            // The word ends here unless letters of other scripts follow.
            let ends = i == b.len() || b[i].is_ascii();
            if ends && word.is_empty() && lower {
                emit(run, run.len());
                continue;
            }
            let from = word.len();
            word.push_str(run);
            word[from..].make_ascii_lowercase();
            chars += run.len();
            if ends {
                emit(&word, chars);
                word.clear();
                chars = 0;
            }
        } else {
            let start = i;
            while i < b.len() && !b[i].is_ascii() {
                i += 1;
            }
            for c in text[start..i].nfd() {
                if ('\u{300}'..='\u{36f}').contains(&c) {
                    continue;
                }
                if c.is_alphanumeric() {
                    for l in c.to_lowercase() {
                        word.push(l);
                        chars += 1;
                    }
                } else if !word.is_empty() {
                    emit(&word, chars);
                    word.clear();
                    chars = 0;
                }
            }
        }
    }
    emit(&word, chars);
}

/// [`each_term`] the plain way, every character through NFD: what the
/// fast path must agree with.
#[cfg(test)]
fn each_term_nfd(text: &str, mut f: impl FnMut(&str)) {
    use unicode_normalization::UnicodeNormalization;
    let mut word = String::new();
    let mut flush = |word: &mut String| {
        let n = word.chars().count();
        if (MIN_TERM..=MAX_TERM).contains(&n) {
            f(word);
        }
        word.clear();
    };
    for c in text.nfd() {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            flush(&mut word);
        }
    }
    flush(&mut word);
}

/// The terms of a rendered document, weighted by where they occur.
pub fn document_terms(d: &Document) -> Terms {
    // FNV: these keys are short, and SipHash's cost per term showed in
    // profiles; the order is fixed by the sort below.
    let mut w: HashMap<String, u32, fnv::FnvBuildHasher> = HashMap::default();
    let mut add = |text: &str, weight: u32| {
        each_term(text, |t| match w.get_mut(t) {
            Some(x) => *x += weight,
            None => {
                w.insert(t.to_string(), weight);
            }
        })
    };
    add(&d.title, 8);
    for t in &d.tags {
        add(t, 4);
    }
    if let Some(desc) = &d.description {
        add(desc, 2);
    }
    each_html_term(&d.content_html, |t| match w.get_mut(t) {
        Some(x) => *x += 1,
        None => {
            w.insert(t.to_string(), 1);
        }
    });
    let mut pairs: Vec<(String, u32)> = w.into_iter().collect();
    pairs.sort_unstable();
    Terms::from_sorted(&pairs)
}

/// The text of an article's HTML without its margin notes (`<aside>`) and
/// tags, with the common entities decoded: what the passage shown under a
/// result is cut from.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    plain_text_pieces(html, |piece| out.push_str(piece));
    out
}

/// [`plain_text`] piece by piece, so that a long article's text can be
/// indexed and written out without a whole copy of it in memory. The
/// pieces are a few kilobytes each (however small the runs of text
/// between tags): each piece costs its receiver a call (a JSON escape, a
/// write), and a highlighted code block has a tag every few characters.
fn plain_text_pieces(html: &str, f: impl FnMut(&str)) {
    let mut out = TrimEnd {
        f,
        buf: String::new(),
        last: None,
    };
    let mut rest = html;
    let mut aside_depth = 0usize;
    while let Some(lt) = rest.find('<') {
        if aside_depth == 0 {
            push_decoded(&mut out, &rest[..lt]);
        }
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[1..gt];
        let closing = tag.starts_with('/');
        let name = tag_name(tag);
        if name.eq_ignore_ascii_case("aside") {
            if closing {
                aside_depth = aside_depth.saturating_sub(1);
            } else {
                aside_depth += 1;
            }
        }
        // Block ends separate words.
        if aside_depth == 0 && ends_block(name) && out.last.is_some_and(|c| c != ' ') {
            out.push(" ");
        }
        rest = &after[gt + 1..];
    }
    if aside_depth == 0 {
        push_decoded(&mut out, rest);
    }
    out.finish();
}

/// The element name of a tag's inside (`/p class="x"` → `p`), as written.
fn tag_name(tag: &str) -> &str {
    let tag = tag.trim_start_matches('/');
    let end = tag
        .bytes()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(tag.len());
    &tag[..end]
}

/// Whether an element's start or end separates the words around it.
fn ends_block(name: &str) -> bool {
    const LONGEST: usize = "blockquote".len();
    if name.is_empty() || name.len() > LONGEST {
        return false;
    }
    let mut lower = [0u8; LONGEST];
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    matches!(
        &*lower,
        b"p" | b"br"
            | b"li"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"pre"
            | b"td"
            | b"th"
            | b"blockquote"
            | b"div"
            | b"aside"
            | b"tr"
    )
}

/// Gathers text into pieces of about [`TrimEnd::PIECE`] bytes for `f`,
/// holding white space back until more text follows it: what reaches `f`
/// is the text with its end trimmed as `str::trim_end` trims it.
struct TrimEnd<F: FnMut(&str)> {
    f: F,
    buf: String,
    /// The last char pushed, white space included.
    last: Option<char>,
}

impl<F: FnMut(&str)> TrimEnd<F> {
    const PIECE: usize = 1 << 13;

    fn push(&mut self, s: &str) {
        let Some(c) = s.chars().next_back() else {
            return;
        };
        self.last = Some(c);
        self.buf.push_str(s);
        // Only after text that is not all white space: the trim then stops
        // within `s` (a long run of white space is scanned once, not once
        // a push).
        if self.buf.len() >= Self::PIECE && !s.trim_end().is_empty() {
            self.pass_on();
        }
    }

    /// Passes on what is gathered but its trailing white space.
    fn pass_on(&mut self) {
        let head = self.buf.trim_end().len();
        if head > 0 {
            (self.f)(&self.buf[..head]);
            self.buf.drain(..head);
        }
    }

    fn finish(mut self) {
        self.pass_on();
    }
}

fn push_decoded<F: FnMut(&str)>(out: &mut TrimEnd<F>, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push(&rest[..amp]);
        let after = &rest[amp..];
        let entity = after.find(';').filter(|&e| e <= 10).map(|e| &after[..=e]);
        let decoded = entity.and_then(|e| match e {
            "&amp;" => Some('&'),
            "&lt;" => Some('<'),
            "&gt;" => Some('>'),
            "&quot;" => Some('"'),
            "&#39;" | "&#x27;" | "&apos;" => Some('\''),
            "&nbsp;" => Some(' '),
            _ => {
                let num = e.strip_prefix("&#")?.strip_suffix(';')?;
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(h) => u32::from_str_radix(h, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(n)
            }
        });
        match (entity, decoded) {
            (Some(e), Some(c)) => {
                out.push(c.encode_utf8(&mut [0; 4]));
                rest = &after[e.len()..];
            }
            _ => {
                out.push("&");
                rest = &after[1..];
            }
        }
    }
    out.push(rest);
}

/// An article's [`plain_text`] as a JSON string, written piece by piece.
struct PlainText<'a>(&'a str);

impl Serialize for PlainText<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for PlainText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut result = Ok(());
        plain_text_pieces(self.0, |piece| {
            if result.is_ok() {
                result = f.write_str(piece);
            }
        });
        result
    }
}

/// Calls [`each_term`] on the plain text of `html` in slices cut at ASCII
/// spaces, which end a term and never combine with a neighbour under
/// NFD: the same terms as from the whole text, without holding it.
fn each_html_term(html: &str, mut f: impl FnMut(&str)) {
    const SLICE: usize = 1 << 16;
    let mut buf = String::new();
    plain_text_pieces(html, |piece| {
        buf.push_str(piece);
        if buf.len() >= SLICE
            && let Some(cut) = buf.rfind(' ')
        {
            each_term(&buf[..cut], &mut f);
            buf.drain(..=cut);
        }
    });
    each_term(&buf, &mut f);
}

/// The shard a term is in.
fn key_of(term: &str) -> &str {
    match term.char_indices().nth(KEY_CHARS) {
        Some((i, _)) => &term[..i],
        None => term,
    }
}

/// The shard keys the terms of `docs` (and of their notes) fall in.
pub fn shard_keys<'a>(
    docs: impl Iterator<Item = &'a Document>,
) -> std::collections::BTreeSet<String> {
    let mut keys = std::collections::BTreeSet::new();
    let mut add = |t: &str| {
        if !keys.contains(key_of(t)) {
            keys.insert(key_of(t).to_string());
        }
    };
    for d in docs {
        for (t, _) in d.search_terms.iter() {
            add(t);
        }
        for n in d.all_notes() {
            each_term(&n.body_text, &mut add);
            each_term(&n.quote, &mut add);
            for t in &n.tags {
                each_term(t, &mut add);
            }
        }
        for removed in removed_terms(d) {
            for t in removed.keys() {
                add(t);
            }
        }
    }
    keys
}

/// The path of a shard.
pub fn shard_path(key: &str) -> String {
    crate::routes::Route::SearchShard {
        key: key.to_string(),
    }
    .path()
}

/// The path of document `i`'s fragment.
pub fn doc_path(i: usize) -> String {
    crate::routes::Route::SearchDoc { doc: i }.path()
}

/// One posting: document, note (0: the article; n: note n - 1), weight.
type Posting = (u32, u32, u16);

/// The order of a term's postings: heaviest first; ties in site order, so
/// output is stable (no two postings of a term share a document and note).
fn heaviest_first(a: &Posting, b: &Posting) -> std::cmp::Ordering {
    b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1))
}

/// A term's postings while the index is made: how many there are, and the
/// heaviest of them (at least [`POSTINGS_MAX`] while more exist).
#[derive(Default)]
struct Postings {
    df: u32,
    best: Vec<Posting>,
}

impl Postings {
    fn push(&mut self, p: Posting) {
        self.df += 1;
        self.best.push(p);
        self.trim(4 * POSTINGS_MAX);
    }

    /// Keeps the heaviest [`POSTINGS_MAX`] once there are more than
    /// `above`: the heaviest of a union are the heaviest of its parts'
    /// heaviest, so a common term never holds all of its postings.
    fn trim(&mut self, above: usize) {
        if self.best.len() > above {
            self.best.sort_unstable_by(heaviest_first);
            self.best.truncate(POSTINGS_MAX);
        }
    }

    fn merge(&mut self, other: Postings) {
        self.df += other.df;
        self.best.extend(other.best);
        self.trim(4 * POSTINGS_MAX);
    }

    /// `[df, doc, note, weight, …]`, heaviest first.
    fn flat(mut self) -> Vec<u32> {
        self.trim(0);
        let mut flat = Vec::with_capacity(1 + self.best.len() * 3);
        flat.push(self.df);
        for (d, n, w) in self.best {
            flat.extend([d, n, u32::from(w)]);
        }
        flat
    }
}

/// Term → postings, for part of the site's documents.
type TermMap = std::collections::HashMap<String, Postings, fnv::FnvBuildHasher>;

/// Calls `add` with each of document `d`'s postings as (term, note, weight):
/// its text, its notes (those changed since noted too, after the others,
/// as [`Document::all_notes`] orders them: DESIGN §10 drops none), and the
/// words only its earlier snapshots have.
fn each_posting(d: &Document, mut add: impl FnMut(&str, u32, u16)) {
    debug_assert!(d.spilled.is_none(), "indexed after its notes were spilled");
    for (t, w) in d.search_terms.iter() {
        add(t, 0, w);
    }
    for (k, n) in d.all_notes().enumerate() {
        let mut w: BTreeMap<String, u16> = BTreeMap::new();
        let mut weigh = |text: &str, x: u16| {
            each_term(text, |t| {
                let e = w.entry(t.to_string()).or_insert(0);
                *e = e.saturating_add(x);
            })
        };
        weigh(&n.body_text, 2);
        weigh(&n.quote, 1);
        for t in &n.tags {
            weigh(t, 4);
        }
        for (t, x) in w {
            add(&t, k as u32 + 1, x);
        }
    }
    // Words an earlier snapshot had and the latest has not (DESIGN
    // §10): what a stealth edit removed stays findable, and the hit
    // leads to the snapshot that still says it. Words the latest
    // still has find the latest, so they are not indexed twice.
    for (v, removed) in removed_terms(d).into_iter().enumerate() {
        let slot = (d.note_count() + 1 + v) as u32;
        for (t, x) in removed {
            add(&t, slot, x);
        }
    }
}

/// Adds document `doc`'s postings to `index`; returns their hash (what
/// the build cache keeps to tell whether an edit changed them).
fn add_document(index: &mut TermMap, doc: u32, d: &Document) -> u128 {
    use siphasher::sip128::Hasher128;
    let mut h = siphasher::sip128::SipHasher13::new();
    each_posting(d, |term, note, w| {
        hash_posting(&mut h, term, note, w);
        let p = (doc, note, w);
        match index.get_mut(term) {
            Some(v) => v.push(p),
            None => {
                let mut v = Postings::default();
                v.push(p);
                index.insert(term.to_string(), v);
            }
        }
    });
    h.finish128().as_u128()
}

fn hash_posting(h: &mut siphasher::sip128::SipHasher13, term: &str, note: u32, w: u16) {
    use std::hash::Hasher;
    h.write(term.as_bytes());
    h.write_u8(0xff);
    h.write_u32(note);
    h.write_u16(w);
}

/// A document's postings by term, `(note, weight)` in the order made, and
/// their hash as [`add_document`] returns it.
fn document_postings(d: &Document) -> (HashMap<String, Vec<(u32, u16)>>, u128) {
    use siphasher::sip128::Hasher128;
    let mut h = siphasher::sip128::SipHasher13::new();
    let mut by_term: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
    each_posting(d, |term, note, w| {
        hash_posting(&mut h, term, note, w);
        by_term.entry(term.to_string()).or_default().push((note, w));
    });
    (by_term, h.finish128().as_u128())
}

/// The hash of the documents' order (their numbers in postings).
pub fn order_of(site: &Site) -> u128 {
    let files: Vec<&[u8]> = site
        .documents
        .iter()
        .map(|d| d.file.as_os_str().as_encoded_bytes())
        .collect();
    crate::cache::ledger::hash_of(&files)
}

/// What the build cache keeps of a site's search index, so that the next
/// build can update the index from the previous output's shards instead of
/// making it again from every document's terms ([`Index::updated`]).
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize, Serialize)]
pub struct KeptIndex {
    /// The hash of the documents' files in site order: what the document
    /// numbers of the postings mean.
    order: u128,
    /// Each document's postings' hash, in site order.
    docs: Vec<u128>,
    /// The shard keys, in order.
    keys: Vec<String>,
}

/// The most documents a build that starts from a kept index
/// ([`IndexBuilder::reusing`]) indexes itself: each one's postings are
/// held to the end of phase two (tens of kilobytes a document), and past
/// a few hundred changed documents making the index again costs about
/// what updating it does.
pub const REUSE_MAX_FRESH: usize = 256;

/// A site's search index as an earlier build made it, kept by the build
/// cache outside any output folder: what a build into another folder
/// starts from ([`IndexBuilder::reusing`]).
pub struct EarlierIndex {
    /// What that build kept of it ([`Index::kept`]).
    pub index: KeptIndex,
    /// Each shard's bytes and record ([`Index::record`]), by key, checked
    /// against the record by whoever read them.
    pub shards: BTreeMap<String, (Vec<u8>, u128)>,
    /// Each document's kept name in that build (what its rendering read,
    /// [`crate::cache::State::kept_name`]), in that build's site order:
    /// `None` for a document it did not keep.
    pub names: Vec<Option<u128>>,
    /// The [`order_of`] that build's documents in phase one's order: the
    /// same as this build's when both read the same documents, though the
    /// final order differs (a title taken from a heading).
    pub phase_one: u128,
}

/// A search index being made, one document at a time, from any thread:
/// a build adds each document as it renders it, so that no document's
/// terms are held to the end of the build (they were the largest part of
/// what the documents hold; [`crate::model::Terms`]).
///
/// Documents may be added under numbers other than their final ones (a
/// build numbers them in phase one's order), provided the final numbering
/// keeps their order ([`IndexBuilder::finish`]): a term keeps only its
/// heaviest postings, ties broken by document number, and the postings it
/// keeps are then the same under either numbering.
#[derive(Default)]
pub struct IndexBuilder {
    /// Term maps not in use: a worker takes one, adds a document and puts
    /// it back, so there are as many as documents were added at once (one
    /// per thread), each holding up to 4 × [`POSTINGS_MAX`] postings of a
    /// term.
    maps: std::sync::Mutex<Vec<TermMap>>,
    /// Each added document's number and the hash of its postings.
    hashes: std::sync::Mutex<Vec<(u32, u128)>>,
    /// The earlier index it updates, when made by [`IndexBuilder::reusing`].
    reuse: Option<Reuse>,
}

/// What a builder that updates an earlier index ([`IndexBuilder::reusing`])
/// gathers.
struct Reuse {
    earlier: EarlierIndex,
    /// The documents rendered from what the earlier build's were (the
    /// same kept name): file → their number in the earlier index. Their
    /// postings are that build's, so they are not read again.
    known: HashMap<std::path::PathBuf, usize>,
    /// The known documents added, by the number they were added under.
    skipped: std::sync::Mutex<Vec<u32>>,
    /// The other documents added: number, postings by term and their hash
    /// ([`document_postings`]).
    fresh: std::sync::Mutex<Vec<FreshDoc>>,
}

/// A document's number, its postings by term and their hash.
type FreshDoc = (u32, HashMap<String, Vec<(u32, u16)>>, u128);

impl IndexBuilder {
    pub fn new() -> IndexBuilder {
        IndexBuilder::default()
    }

    /// A builder that updates `earlier` rather than making the index
    /// again, for the documents of `site` (phase one's, in its order):
    /// those whose kept name (`names`, by file) is one of `earlier`'s are
    /// skipped, since their postings are the earlier build's; only the
    /// others' postings are made and compared with what `earlier` holds.
    /// A plain builder ([`IndexBuilder::new`]) when `earlier` cannot
    /// serve: its shards are not the ones it lists, the documents are not
    /// in its phase one's order, or more than [`REUSE_MAX_FRESH`] are not
    /// known.
    pub fn reusing(
        site: &Site,
        earlier: EarlierIndex,
        names: &HashMap<std::path::PathBuf, u128>,
    ) -> IndexBuilder {
        let n = site.documents.len();
        let whole = earlier.shards.keys().eq(earlier.index.keys.iter())
            && earlier.index.docs.len() == n
            && earlier.names.len() == n
            && earlier.phase_one == order_of(site);
        if !whole {
            return IndexBuilder::new();
        }
        let at: HashMap<u128, usize> = earlier
            .names
            .iter()
            .enumerate()
            .filter_map(|(j, name)| Some(((*name)?, j)))
            .collect();
        let known: HashMap<std::path::PathBuf, usize> = site
            .documents
            .iter()
            .filter_map(|d| Some((d.file.clone(), *at.get(names.get(&d.file)?)?)))
            .collect();
        if n - known.len() > REUSE_MAX_FRESH {
            return IndexBuilder::new();
        }
        IndexBuilder {
            reuse: Some(Reuse {
                earlier,
                known,
                skipped: Default::default(),
                fresh: Default::default(),
            }),
            ..IndexBuilder::default()
        }
    }

    /// Adds document `d`'s postings under number `i`. Its terms (and its
    /// notes') are not read again: the caller may drop them.
    pub fn add(&self, i: usize, d: &Document) {
        if let Some(r) = &self.reuse {
            // A document with versions is never kept, so never known; the
            // check costs nothing and keeps a snapshot's words from
            // being taken for the earlier build's.
            if d.versions.is_none() && r.known.contains_key(&d.file) {
                lock(&r.skipped).push(i as u32);
            } else {
                let (postings, hash) = document_postings(d);
                lock(&r.fresh).push((i as u32, postings, hash));
            }
            return;
        }
        let mut map = lock(&self.maps).pop().unwrap_or_default();
        let hash = add_document(&mut map, i as u32, d);
        lock(&self.maps).push(map);
        lock(&self.hashes).push((i as u32, hash));
    }

    /// Adds a document's postings, made already ([`document_postings`]).
    fn add_postings(&self, i: usize, postings: &HashMap<String, Vec<(u32, u16)>>, hash: u128) {
        let mut map = lock(&self.maps).pop().unwrap_or_default();
        for (term, ps) in postings {
            for &(note, w) in ps {
                push_posting(&mut map, term, (i as u32, note, w));
            }
        }
        lock(&self.maps).push(map);
        lock(&self.hashes).push((i as u32, hash));
    }

    /// The index of `site`, whose documents were added under the numbers
    /// `number` maps to their final ones (strictly increasing over the
    /// added documents); the documents not added are added now, from
    /// their terms in `site`.
    ///
    /// A builder made by [`IndexBuilder::reusing`] updates the earlier
    /// index with the documents that are not known, reading the earlier
    /// rendering of those whose postings changed through `kept_doc` (by
    /// kept name); when it cannot (the final order is not the earlier
    /// one, an earlier rendering is not kept, or an update would need a
    /// posting no shard holds), it makes the index again, reading the
    /// known documents' postings through `kept_doc`. `Err` names a known
    /// document that could not be read back as the earlier build kept it.
    pub fn finish(
        self,
        site: &Site,
        number: impl Fn(usize) -> usize,
        kept_doc: impl Fn(u128) -> Option<Document> + Sync,
    ) -> Result<Index, std::path::PathBuf> {
        let IndexBuilder {
            maps,
            hashes,
            reuse,
        } = self;
        let Some(reuse) = reuse else {
            let maps = maps.into_inner().unwrap_or_else(|e| e.into_inner());
            let hashes = hashes.into_inner().unwrap_or_else(|e| e.into_inner());
            return Ok(made(site, maps, hashes, number));
        };
        let Reuse {
            earlier,
            known,
            skipped,
            fresh,
        } = reuse;
        let renumber = |n: u32| number(n as usize);
        let skipped: Vec<usize> = skipped
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(renumber)
            .collect();
        let mut fresh: Vec<FreshDoc> = fresh.into_inner().unwrap_or_else(|e| e.into_inner());
        for f in &mut fresh {
            f.0 = renumber(f.0) as u32;
        }
        // The documents not added (their place in the order was not
        // known in phase one): made now, from their terms.
        let mut added = vec![false; site.documents.len()];
        for i in skipped
            .iter()
            .copied()
            .chain(fresh.iter().map(|f| f.0 as usize))
        {
            if let Some(a) = added.get_mut(i) {
                *a = true;
            }
        }
        for (i, d) in site.documents.iter().enumerate() {
            if !added[i] {
                let (postings, hash) = document_postings(d);
                fresh.push((i as u32, postings, hash));
            }
        }
        if let Some(index) = update_earlier(site, &earlier, &known, &skipped, &fresh, &kept_doc) {
            return Ok(index);
        }
        // Made again: the known documents read back, the others' postings
        // as made.
        use rayon::prelude::*;
        let again = IndexBuilder::new();
        skipped.par_iter().try_for_each(|&i| {
            let d = &site.documents[i];
            let back = known
                .get(&d.file)
                .and_then(|&j| Some((j, earlier.names.get(j).copied()??)))
                .and_then(|(j, name)| Some((j, kept_doc(name)?)))
                .filter(|(j, doc)| document_postings(doc).1 == earlier.index.docs[*j]);
            match back {
                Some((_, doc)) => {
                    again.add(i, &doc);
                    Ok(())
                }
                None => Err(d.file.clone()),
            }
        })?;
        for (i, postings, hash) in &fresh {
            again.add_postings(*i as usize, postings, *hash);
        }
        let maps = again.maps.into_inner().unwrap_or_else(|e| e.into_inner());
        let hashes = again.hashes.into_inner().unwrap_or_else(|e| e.into_inner());
        Ok(made(site, maps, hashes, |i| i))
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn push_posting(index: &mut TermMap, term: &str, p: Posting) {
    match index.get_mut(term) {
        Some(v) => v.push(p),
        None => {
            let mut v = Postings::default();
            v.push(p);
            index.insert(term.to_string(), v);
        }
    }
}

/// The index of `site` from term maps of documents numbered by `number`
/// (`hashes`: each added document's number and postings' hash); the
/// documents not in them are added from their terms in `site`.
fn made(
    site: &Site,
    maps: Vec<TermMap>,
    mut hashes: Vec<(u32, u128)>,
    number: impl Fn(usize) -> usize,
) -> Index {
    use rayon::prelude::*;
    let mut terms = maps
        .into_iter()
        .reduce(|a, b| {
            let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
            for (t, p) in small {
                match big.get_mut(&t) {
                    Some(q) => q.merge(p),
                    None => {
                        big.insert(t, p);
                    }
                }
            }
            big
        })
        .unwrap_or_default();
    let renumber = |n: u32| number(n as usize) as u32;
    for p in terms.values_mut() {
        for posting in &mut p.best {
            posting.0 = renumber(posting.0);
        }
    }
    for h in &mut hashes {
        h.0 = renumber(h.0);
    }
    let mut added = vec![false; site.documents.len()];
    for (i, _) in &hashes {
        if let Some(a) = added.get_mut(*i as usize) {
            *a = true;
        }
    }
    for (i, d) in site.documents.iter().enumerate() {
        if !added[i] {
            hashes.push((i as u32, add_document(&mut terms, i as u32, d)));
        }
    }
    hashes.sort_unstable();
    let mut by_key: BTreeMap<String, Vec<(String, Postings)>> = BTreeMap::new();
    for (t, p) in terms {
        match by_key.get_mut(key_of(&t)) {
            Some(v) => v.push((t, p)),
            None => {
                by_key.insert(key_of(&t).to_string(), vec![(t, p)]);
            }
        }
    }
    let shards: BTreeMap<String, Shard> = by_key
        .into_par_iter()
        .map(|(key, mut terms)| {
            terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let terms: Vec<(String, Vec<u32>)> =
                terms.into_iter().map(|(t, p)| (t, p.flat())).collect();
            (key, Shard::of(terms.iter().map(|(t, f)| (t.as_str(), f))))
        })
        .collect();
    Index {
        kept: KeptIndex {
            order: order_of(site),
            docs: hashes.into_iter().map(|(_, h)| h).collect(),
            keys: shards.keys().cloned().collect(),
        },
        shards,
        items: items_of(site),
        earlier: false,
    }
}

/// `earlier` brought up to date for `site`, when it can be: the `skipped`
/// documents (final numbers) are each at its earlier number (`known`),
/// and each `fresh` one's postings are its earlier ones or replace them
/// (its earlier rendering read through `kept_doc`) term by term.
fn update_earlier(
    site: &Site,
    earlier: &EarlierIndex,
    known: &HashMap<std::path::PathBuf, usize>,
    skipped: &[usize],
    fresh: &[FreshDoc],
    kept_doc: &(impl Fn(u128) -> Option<Document> + Sync),
) -> Option<Index> {
    let kept = &earlier.index;
    let n = site.documents.len();
    if kept.order != order_of(site)
        || kept.docs.len() != n
        || skipped.len() + fresh.len() != n
        || !skipped
            .iter()
            .all(|&i| site.documents.get(i).and_then(|d| known.get(&d.file)) == Some(&i))
    {
        return None;
    }
    let mut docs = kept.docs.clone();
    let mut changes: BTreeMap<String, Change> = BTreeMap::new();
    for (i, now, hash) in fresh {
        let i = *i as usize;
        if *hash == kept.docs[i] {
            continue;
        }
        let before = kept_doc((*earlier.names.get(i)?)?)?;
        let (then, then_hash) = document_postings(&before);
        if then_hash != kept.docs[i] {
            return None;
        }
        docs[i] = *hash;
        diff_postings(&mut changes, i as u32, now, &then);
    }
    let mut shards: BTreeMap<String, Shard> = earlier
        .shards
        .iter()
        .map(|(key, (bytes, record))| {
            let shard = Shard::Bytes {
                bytes: bytes.clone(),
                record: *record,
            };
            (key.clone(), shard)
        })
        .collect();
    apply_changes(&mut shards, &changes)?;
    Some(Index {
        kept: KeptIndex {
            order: kept.order,
            docs,
            keys: shards.keys().cloned().collect(),
        },
        shards,
        items: items_of(site),
        earlier: true,
    })
}

/// Adds to `changes` what document `doc`'s postings becoming `now` from
/// `then` did to each term.
fn diff_postings(
    changes: &mut BTreeMap<String, Change>,
    doc: u32,
    now: &HashMap<String, Vec<(u32, u16)>>,
    then: &HashMap<String, Vec<(u32, u16)>>,
) {
    let with_doc =
        |v: &[(u32, u16)]| -> Vec<Posting> { v.iter().map(|&(n, w)| (doc, n, w)).collect() };
    for (t, p) in now {
        if then.get(t) != Some(p) {
            let e = changes.entry(t.clone()).or_default();
            e.1.extend(with_doc(p));
            if let Some(q) = then.get(t) {
                e.0.extend(with_doc(q));
            }
        }
    }
    for (t, q) in then {
        if !now.contains_key(t) {
            changes.entry(t.clone()).or_default().0.extend(with_doc(q));
        }
    }
}

/// Applies `changes` to the terms of `shards`, each shard that has a
/// changed term read and made again; `None` when a term cannot be
/// updated ([`update_term`]) or a shard cannot be read.
fn apply_changes(
    shards: &mut BTreeMap<String, Shard>,
    changes: &BTreeMap<String, Change>,
) -> Option<()> {
    let mut by_key: BTreeMap<&str, Vec<(&String, &Change)>> = BTreeMap::new();
    for (t, c) in changes {
        by_key.entry(key_of(t)).or_default().push((t, c));
    }
    for (key, terms) in by_key {
        let mut shard: BTreeMap<String, Vec<u32>> = match shards.get(key) {
            Some(Shard::Previous { file, .. }) => {
                serde_json::from_slice(&std::fs::read(file).ok()?).ok()?
            }
            Some(Shard::Bytes { bytes, .. }) => serde_json::from_slice(bytes).ok()?,
            None => BTreeMap::new(),
        };
        for (t, (removed, added)) in terms {
            match update_term(shard.get(t.as_str()).map(Vec::as_slice), removed, added).ok()? {
                Some(flat) => {
                    shard.insert(t.clone(), flat);
                }
                None => {
                    shard.remove(t.as_str());
                }
            }
        }
        if shard.is_empty() {
            shards.remove(key);
        } else {
            let made = Shard::of(shard.iter().map(|(t, f)| (t.as_str(), f)));
            shards.insert(key.to_string(), made);
        }
    }
    Some(())
}

/// A shard of the index.
enum Shard {
    /// Its file's bytes, `{term: [df, doc, note, weight, …], …}` (each
    /// term's heaviest postings), and their hash: its record.
    Bytes { bytes: Vec<u8>, record: u128 },
    /// Unchanged since the previous build: its file in the previous
    /// output, and that build's record of it.
    Previous {
        file: std::path::PathBuf,
        record: u128,
    },
}

impl Shard {
    /// The shard of these terms (in order) and their entries.
    fn of<'a>(terms: impl Iterator<Item = (&'a str, &'a Vec<u32>)>) -> Shard {
        let (bytes, record) = shard_bytes(terms);
        Shard::Bytes { bytes, record }
    }
}

/// The inverted index of a site, by shard.
#[derive(Default)]
pub struct Index {
    shards: BTreeMap<String, Shard>,
    items: usize,
    kept: KeptIndex,
    /// Whether it is an earlier build's kept index brought up to date
    /// ([`IndexBuilder::reusing`]).
    earlier: bool,
}

/// What an incremental build knows of the previous build's index.
pub struct PreviousIndex<'a> {
    /// What it kept ([`Index::kept`]).
    pub kept: &'a KeptIndex,
    /// The previous output folder, which holds its shards.
    pub output: &'a std::path::Path,
    /// Its records by output path (a shard's is [`Index::record`]).
    pub records: &'a std::collections::HashMap<String, u128>,
}

/// What an edit did to a term: the postings it removed, and those it added.
type Change = (Vec<Posting>, Vec<Posting>);

/// Why [`Index::updated`] cannot update, and the index must be made again.
type NotUpdatable = ();

impl Index {
    /// Made in parallel from every document's terms ([`IndexBuilder`]).
    pub fn new(site: &Site) -> Index {
        use rayon::prelude::*;
        let builder = IndexBuilder::new();
        site.documents
            .par_iter()
            .enumerate()
            .for_each(|(i, d)| builder.add(i, d));
        let maps = builder.maps.into_inner().unwrap_or_else(|e| e.into_inner());
        let hashes = builder
            .hashes
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        made(site, maps, hashes, |i| i)
    }

    /// The previous build's index brought up to date, when only some
    /// documents were rendered again (`fresh`; the others are the previous
    /// build's, postings and all): each fresh document whose postings
    /// changed is compared with its previous self (`old`, from the build
    /// cache), and only the terms whose postings differ are updated, in
    /// the shards of the previous output. `None` when that cannot give
    /// what [`Index::new`] would: the documents are not in the same order,
    /// a previous document is not kept, or a term that keeps only its
    /// heaviest postings lost one that a posting not kept would replace.
    pub fn updated(
        site: &Site,
        previous: &PreviousIndex,
        fresh: impl Fn(usize) -> bool,
        old: impl Fn(usize) -> Option<Document>,
    ) -> Option<Index> {
        let kept = previous.kept;
        if kept.order != order_of(site) || kept.docs.len() != site.documents.len() {
            return None;
        }
        let mut docs = kept.docs.clone();
        let mut changes: BTreeMap<String, Change> = BTreeMap::new();
        for (i, d) in site.documents.iter().enumerate() {
            if !fresh(i) {
                continue;
            }
            let (now, hash) = document_postings(d);
            if hash == kept.docs[i] {
                continue;
            }
            let before = old(i)?;
            let (then, then_hash) = document_postings(&before);
            if then_hash != kept.docs[i] {
                return None;
            }
            docs[i] = hash;
            diff_postings(&mut changes, i as u32, &now, &then);
        }
        let mut shards: BTreeMap<String, Shard> = BTreeMap::new();
        for key in &kept.keys {
            let path = shard_path(key);
            let record = *previous.records.get(&path)?;
            let file = previous.output.join(&path);
            shards.insert(key.clone(), Shard::Previous { file, record });
        }
        apply_changes(&mut shards, &changes)?;
        Some(Index {
            kept: KeptIndex {
                order: kept.order,
                docs,
                keys: shards.keys().cloned().collect(),
            },
            shards,
            items: items_of(site),
            earlier: false,
        })
    }

    /// Whether it is the index the build cache kept, brought up to date,
    /// rather than made from every document's terms.
    pub fn from_earlier(&self) -> bool {
        self.earlier
    }

    /// What the build cache keeps of it for the next build.
    pub fn kept(&self) -> &KeptIndex {
        &self.kept
    }

    /// The shard keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.shards.keys().map(String::as_str)
    }

    /// Each shard's key and record ([`Index::record`]), in order: what the
    /// build cache keeps the shards by.
    pub fn records(&self) -> impl Iterator<Item = (&str, u128)> {
        self.shards.keys().map(|k| (k.as_str(), self.record(k)))
    }

    /// The manifest, `search-index.json`.
    pub fn manifest(&self, site: &Site) -> Vec<u8> {
        #[derive(Serialize)]
        struct Manifest<'a> {
            version: u32,
            items: usize,
            documents: usize,
            key_chars: usize,
            postings_max: usize,
            /// The site's base URL: a result head's paths are under it.
            base: String,
            terms: String,
            heads: String,
            heads_per_file: usize,
            docs: String,
            shards: Vec<&'a str>,
        }
        let m = Manifest {
            version: 3,
            items: self.items,
            documents: site.documents.len(),
            key_chars: KEY_CHARS,
            postings_max: POSTINGS_MAX,
            base: site.config.url(""),
            terms: site.config.url("search-index/t/"),
            heads: site.config.url("search-index/h/"),
            heads_per_file: HEADS_PER_FILE,
            docs: site.config.url("search-index/d/"),
            shards: self.keys().collect(),
        };
        let mut out = Vec::new();
        let _ = super::data::write_json(&mut out, &m);
        out
    }

    /// A shard: `{term: [df, doc, note, weight, doc, note, weight, …]}`.
    /// One the previous build wrote is read back from its output.
    pub fn shard(&self, key: &str) -> Result<Vec<u8>, crate::error::Diagnostic> {
        match self.shards.get(key) {
            Some(Shard::Bytes { bytes, .. }) => Ok(bytes.clone()),
            Some(Shard::Previous { file, .. }) => std::fs::read(file).map_err(|e| {
                crate::error::Diagnostic::io(file, "read the previous search shard", &e)
                    .with_help("build again with --clean")
            }),
            None => Ok(empty_shard().0),
        }
    }

    /// A shard's record for the build cache: the hash of its bytes (what
    /// it is made from is every document's terms, which an edit build
    /// does not read again), or the previous build's record of a shard
    /// that [`Index::updated`] left as it was.
    pub fn record(&self, key: &str) -> u128 {
        match self.shards.get(key) {
            Some(Shard::Bytes { record, .. } | Shard::Previous { record, .. }) => *record,
            None => empty_shard().1,
        }
    }
}

/// The bytes and record of a shard with no terms.
fn empty_shard() -> (Vec<u8>, u128) {
    shard_bytes(std::iter::empty())
}

/// A shard's file of these terms (in order) and their entries, and its
/// hash (its record).
fn shard_bytes<'a>(terms: impl Iterator<Item = (&'a str, &'a Vec<u32>)>) -> (Vec<u8>, u128) {
    let out: BTreeMap<&str, &[u32]> = terms.map(|(t, f)| (t, f.as_slice())).collect();
    let mut bytes = Vec::new();
    let _ = super::data::write_json(&mut bytes, &out);
    let record = crate::cache::ledger::hash_of(bytes.as_slice());
    (bytes, record)
}

/// How many items the index numbers: every document, note and earlier
/// snapshot.
fn items_of(site: &Site) -> usize {
    site.documents
        .iter()
        .map(|d| 1 + d.note_count() + earlier_snapshots(d).len())
        .sum()
}

/// A term's entry `[df, doc, note, weight, …]` (`None`: not in the index)
/// after `removed` postings left it and `added` ones came; `None` inside
/// when no posting is left. An entry holds a term's [`POSTINGS_MAX`]
/// heaviest postings only, and every posting it does not hold ranks below
/// its last: when what is left of it with the added ones no longer fills
/// it down to that rank, the postings not held would be needed, and it
/// cannot be updated.
fn update_term(
    entry: Option<&[u32]>,
    removed: &[Posting],
    added: &[Posting],
) -> Result<Option<Vec<u32>>, NotUpdatable> {
    let (df, best): (usize, Vec<Posting>) = match entry {
        Some([df, rest @ ..]) if rest.len() % 3 == 0 => (
            *df as usize,
            rest.chunks_exact(3)
                .map(|p| (p[0], p[1], u16::try_from(p[2]).unwrap_or(u16::MAX)))
                .collect(),
        ),
        Some(_) => return Err(()),
        None => (0, Vec::new()),
    };
    let hidden = df.checked_sub(best.len()).ok_or(())?;
    let last = best.last().copied();
    let mut kept: Vec<Posting> = best
        .iter()
        .filter(|p| !removed.contains(p))
        .copied()
        .collect();
    let removed_hidden = removed.len() - (best.len() - kept.len());
    let hidden = hidden.checked_sub(removed_hidden).ok_or(())?;
    kept.extend_from_slice(added);
    kept.sort_unstable_by(heaviest_first);
    if hidden > 0 {
        let (Some(last), Some(edge)) = (last, kept.get(POSTINGS_MAX - 1)) else {
            return Err(());
        };
        if heaviest_first(edge, &last) == std::cmp::Ordering::Greater {
            return Err(());
        }
    }
    kept.truncate(POSTINGS_MAX);
    let df = df - removed.len() + added.len();
    if df == 0 {
        return Ok(None);
    }
    let mut flat = Vec::with_capacity(1 + kept.len() * 3);
    flat.push(u32::try_from(df).map_err(|_| ())?);
    for (d, n, w) in kept {
        flat.extend([d, n, u32::from(w)]);
    }
    Ok(Some(flat))
}
/// An article's earlier snapshots, oldest first (none without versions).
fn earlier_snapshots(d: &Document) -> &[crate::model::Snapshot] {
    d.versions.as_ref().map_or(&[], |v| v.snapshots.as_slice())
}

/// For each earlier snapshot, oldest first, the terms of its title and
/// text that the latest version no longer has, weighted as
/// [`document_terms`] weighs them.
fn removed_terms(d: &Document) -> Vec<BTreeMap<String, u16>> {
    let snapshots = earlier_snapshots(d);
    if snapshots.is_empty() {
        return Vec::new();
    }
    let latest: std::collections::HashSet<&str> = d.search_terms.iter().map(|(t, _)| t).collect();
    snapshots
        .iter()
        .map(|snapshot| {
            let mut w: BTreeMap<String, u16> = BTreeMap::new();
            let mut weigh = |t: &str, x: u16| {
                if !latest.contains(t) {
                    let e = w.entry(t.to_string()).or_insert(0);
                    *e = e.saturating_add(x);
                }
            };
            each_term(&snapshot.title, |t| weigh(t, 8));
            each_html_term(&snapshot.content_html, |t| weigh(t, 1));
            w
        })
        .collect()
}

/// How many head files `documents` documents need.
pub fn head_files(documents: usize) -> usize {
    documents.div_ceil(HEADS_PER_FILE)
}

/// The documents whose heads are in head file `group`.
pub fn head_range(group: usize, documents: usize) -> std::ops::Range<usize> {
    let start = (group * HEADS_PER_FILE).min(documents);
    start..(start + HEADS_PER_FILE).min(documents)
}

/// Head file `group`: for each of its documents, in site order,
/// `[title, path, date, source, [note id, …], [[date, path, title], …]]`
/// (paths under the manifest's `base`; `date` and `source` may be null;
/// the last list is the earlier snapshots, oldest first, as the
/// fragment's `versions`). What a result's line and link need, so a
/// search while typing fetches no document's text.
pub fn heads(site: &Site, group: usize) -> Vec<u8> {
    #[derive(Serialize)]
    struct Head<'a>(
        &'a str,
        &'a str,
        Option<String>,
        Option<&'a str>,
        Vec<&'a str>,
        Vec<[String; 3]>,
    );
    let docs = &site.documents[head_range(group, site.documents.len())];
    // The notes' ids from their facts: a build keeps the notes elsewhere.
    let facts: Vec<_> = docs.iter().map(|d| d.note_facts(&site.registry)).collect();
    let heads: Vec<Head> = docs
        .iter()
        .zip(&facts)
        .map(|(d, f)| {
            Head(
                &d.title,
                &d.path,
                d.date.as_ref().map(|x| x.iso()),
                source_name(site, d),
                f.ids().collect(),
                earlier_snapshots(d)
                    .iter()
                    .map(|s| {
                        let (date, path) = snapshot_link(d, s);
                        [date, path, s.title.clone()]
                    })
                    .collect(),
            )
        })
        .collect();
    let mut out = Vec::new();
    let _ = super::data::write_json(&mut out, &heads);
    out
}

/// The name of a document's source, as results show it.
fn source_name<'a>(site: &'a Site, d: &Document) -> Option<&'a str> {
    d.source
        .as_deref()
        .and_then(|k| site.registry.get(k))
        .map(|s| s.name.as_str())
}

/// What a result names an earlier snapshot by: its archive date (or
/// stem) and its page's site path.
fn snapshot_link(d: &Document, s: &crate::model::Snapshot) -> (String, String) {
    let path = crate::routes::Route::Snapshot {
        dir: d.path.clone(),
        stem: s.stem.clone(),
    }
    .url_path();
    let date = s
        .archived
        .as_ref()
        .map_or_else(|| s.stem.clone(), |x| x.display());
    (date, path)
}

/// Document `i`'s fragment: what a result shows.
pub fn fragment(site: &Site, d: &Document) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write_fragment(site, d, None, &mut out);
    out
}

/// [`fragment`], written as it is made: an article's text is never held
/// as a whole, neither as plain text nor as JSON, unless `text` gives it:
/// the [`plain_text`] of `d`'s HTML as the build cache kept it with the
/// document, so that a page rendered again from a kept document does not
/// take its HTML apart again (that was most of a fragment's cost).
pub fn write_fragment(
    site: &Site,
    d: &Document,
    text: Option<&str>,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Text<'a> {
        Html(PlainText<'a>),
        Kept(&'a str),
    }
    #[derive(Serialize)]
    struct Fragment<'a> {
        title: &'a str,
        url: String,
        date: Option<String>,
        source: Option<&'a str>,
        text: Text<'a>,
        /// `[id, text, quote]` of each note.
        notes: Vec<[&'a str; 3]>,
        /// `[date, url, title, text]` of each earlier snapshot, oldest
        /// first: what a hit on words the latest no longer has shows.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        versions: Vec<[String; 4]>,
    }
    let f = Fragment {
        title: &d.title,
        url: site.config.url(&d.path),
        date: d.date.as_ref().map(|x| x.iso()),
        source: source_name(site, d),
        text: match text {
            Some(t) => Text::Kept(t),
            None => Text::Html(PlainText(&d.content_html)),
        },
        notes: d
            .all_notes()
            .map(|n| [n.id.as_str(), n.body_text.as_str(), n.quote.as_str()])
            .collect(),
        versions: earlier_snapshots(d)
            .iter()
            .map(|s| {
                let (date, path) = snapshot_link(d, s);
                let url = site.config.url(&path);
                [date, url, s.title.clone(), plain_text(&s.content_html)]
            })
            .collect(),
    };
    super::data::write_json(w, &f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        each_term(s, |t| v.push(t.to_string()));
        v
    }

    #[test]
    fn terms_are_folded_like_the_search_box_folds_a_query() {
        assert_eq!(
            terms("Café CRÈME, x 2021-05 l'été"),
            ["cafe", "creme", "2021", "05", "ete"]
        );
    }

    fn terms_nfd(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        each_term_nfd(s, |t| v.push(t.to_string()));
        v
    }

    #[test]
    fn the_ascii_fast_path_agrees_at_the_edges() {
        for s in [
            "",
            "a",
            "ab",
            "Ab",
            "AB cd",
            "e\u{301}te\u{301}",
            "cafe\u{301}s ABÇd",
            "x\u{327}\u{301}y",
            "İstanbul ß ǅx",
            "ﬁne ①② Ⅻ 한글 abc",
            "a\u{1ab0}b",
            &"a".repeat(40),
            &"a".repeat(41),
            &format!("{}é", "a".repeat(39)),
            &format!("{}İ", "a".repeat(39)),
        ] {
            assert_eq!(terms(s), terms_nfd(s), "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_fast_path_finds_the_same_terms(
            s in "[a-zA-Z0-9 .,'\\-éÉèçÇİßǅﬁ①Ⅻ한글\u{301}\u{327}\u{300}\u{1ab0}\u{345}]{0,80}"
        ) {
            proptest::prop_assert_eq!(terms(&s), terms_nfd(&s));
        }

        #[test]
        fn the_ascii_fast_path_finds_the_same_terms_in_any_text(s in "\\PC{0,80}") {
            proptest::prop_assert_eq!(terms(&s), terms_nfd(&s));
        }
    }

    #[test]
    fn plain_text_drops_tags_and_margin_notes() {
        let html = "<p>One &amp; <em>two</em></p><aside class=\"margin-note\"><p>a <b>note</b></p></aside><p>three&#39;s</p>";
        assert_eq!(plain_text(html), "One & two three's");
    }

    #[test]
    fn plain_text_trims_the_end_only() {
        assert_eq!(
            plain_text("  <p>a &nbsp;</p>\n<p> b\u{a0}</p>\n \t"),
            "  a  \n  b"
        );
        assert_eq!(plain_text("<p> </p><p>x</p>"), " x");
        assert_eq!(plain_text("<p></p><p>x</p>"), "x");
        assert_eq!(plain_text(" \n"), "");
    }

    /// A long HTML text, its terms cut at slice boundaries.
    fn long_html() -> String {
        let mut html = String::new();
        for i in 0..6000 {
            html.push_str(&format!(
                "<p>Cafe\u{301} n\u{303}o {i} cr&egrave;me&#233; <em>x</em>y \u{a0}z</p>\n<aside>not {i}</aside>"
            ));
        }
        html
    }

    #[test]
    fn terms_by_slices_equal_terms_of_the_whole_text() {
        let html = long_html();
        assert!(html.len() > 4 << 16);
        let mut sliced = Vec::new();
        each_html_term(&html, |t| sliced.push(t.to_string()));
        assert_eq!(sliced, terms(&plain_text(&html)));
    }

    #[test]
    fn streamed_fragment_text_equals_the_whole_text() {
        let html = long_html();
        let mut streamed = Vec::new();
        crate::render::data::write_json(&mut streamed, &PlainText(&html)).unwrap();
        let mut whole = Vec::new();
        crate::render::data::write_json(&mut whole, &plain_text(&html)).unwrap();
        assert_eq!(streamed, whole);
    }

    /// A term's entry made from all of its postings.
    fn entry_of(postings: &[Posting]) -> Option<Vec<u32>> {
        let mut p = Postings::default();
        for &x in postings {
            p.push(x);
        }
        (p.df > 0).then(|| p.flat())
    }

    proptest::proptest! {
        /// An entry updated with one document's postings is the entry made
        /// from scratch, whenever it can be updated; and it always can
        /// when it held every posting.
        #[test]
        fn an_updated_entry_is_the_entry_made_again(
            docs in proptest::collection::vec(
                proptest::collection::btree_map(0u32..3, 1u16..12, 0..3), 1..320),
            edited in 0usize..320,
            now in proptest::collection::btree_map(0u32..3, 1u16..12, 0..3),
        ) {
            let edited = (edited % docs.len()) as u32;
            let all = |which: &dyn Fn(u32) -> Vec<(u32, u16)>| -> Vec<Posting> {
                (0..docs.len() as u32)
                    .flat_map(|d| which(d).into_iter().map(move |(n, w)| (d, n, w)))
                    .collect()
            };
            let before_of = |d: u32| docs[d as usize].iter().map(|(&n, &w)| (n, w)).collect();
            let after_of = |d: u32| if d == edited {
                now.iter().map(|(&n, &w)| (n, w)).collect()
            } else {
                before_of(d)
            };
            let before = all(&before_of);
            let after = all(&after_of);
            let removed: Vec<Posting> = before.iter().filter(|p| p.0 == edited).copied().collect();
            let added: Vec<Posting> = after.iter().filter(|p| p.0 == edited).copied().collect();
            let entry = entry_of(&before);
            match update_term(entry.as_deref(), &removed, &added) {
                Ok(got) => proptest::prop_assert_eq!(got, entry_of(&after)),
                Err(()) => proptest::prop_assert!(before.len() > POSTINGS_MAX),
            }
        }
    }

    #[test]
    fn shard_files_are_named_by_the_prefix_bytes() {
        assert_eq!(key_of("word"), "wo");
        assert_eq!(key_of("éa"), "éa");
        assert_eq!(shard_path("wo"), "search-index/t/776f.json");
    }
}
