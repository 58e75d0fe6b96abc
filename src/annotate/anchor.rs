//! Quote anchoring: finding a note's quoted passage in an article's text.
//!
//! An anchor is a W3C Web Annotation `TextQuoteSelector` (`exact`, `prefix`,
//! `suffix`) plus a 1-based `occurrence`. It is matched against the article's
//! rendered text, given as one string whose blocks are joined with
//! [`BLOCK_SEPARATOR`].
//!
//! # Invariants
//!
//! * All matching happens on folded text (see [`super::fold`]): quote, prefix
//!   and suffix are folded with [`fold_str`], the article once, when its
//!   [`TextIndex`] is built. Every note of an article is resolved against the
//!   same index; nothing rescans or refolds the article per note except the
//!   approximate search behind [`TextIndex::closest`], which runs only when a
//!   quote is not found.
//! * A match may cross block separators, as annotators select across
//!   paragraphs (DESIGN §1): the index searches a folding of the article
//!   in which each separator reads as one space (and the white space next
//!   to it is gone), which is how the quote folds the line breaks between
//!   paragraphs it was copied with. No folded piece maps to original text on
//!   both sides of a separator, so a match still maps back to whole blocks'
//!   text, the separators between them included.
//! * Every range handed out is a byte range of the *original* text, on char
//!   boundaries, covering whole original characters (a composed character,
//!   a dash run or a white-space run maps as a whole).
//! * Matches of one quote may overlap (`aa` occurs twice in `aaa`); they are
//!   all reported, in document order.
//! * No function panics, whatever the input; none is quadratic in the length
//!   of the article. Exact search is linear (overlapping matches of periodic
//!   quotes included); checking a prefix or suffix costs its length per
//!   candidate. The approximate search is linear in the article and bounded
//!   in the quote (see [`TextIndex::closest`]); all of them on one text
//!   together are bounded by [`APPROX_TOTAL_BUDGET`].
//!
//! # Resolution
//!
//! 1. The folded `exact` must not be empty ([`AnchorError::EmptyQuote`]).
//! 2. Every occurrence of it is a candidate; none at all is
//!    [`AnchorError::NotFound`], with the closest approximate passage.
//! 3. If a prefix or suffix is given (non-empty once folded), candidates whose
//!    surroundings do not match are dropped. Block separators count as white
//!    space here, and white space where the prefix or suffix meets the quote
//!    is optional on both sides. At the far end, where tools cut a W3C
//!    context at a fixed length, a cut inside a combining sequence is
//!    tolerated. Only the [`MAX_CONTEXT_CHARS`] characters of a prefix or
//!    suffix nearest the quote are compared. If none is left, that is
//!    [`AnchorError::NoneWithContext`] (even when the quote occurs once: the
//!    context says the note was about some other place); if exactly one is
//!    left, it is the match, whatever `occurrence` says.
//! 4. Otherwise `occurrence` picks among the remaining candidates in document
//!    order; without it a single candidate is the match and several are
//!    [`AnchorError::Ambiguous`].

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;

use unicode_normalization::char::{canonical_combining_class, decompose_canonical};

use super::fold::{BLOCK_SEPARATOR, Folded, fold_str, is_chunk_boundary_before};

/// A text quote selector: what a note says it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Selector<'a> {
    /// The quoted passage itself.
    pub exact: &'a str,
    /// Text immediately before the passage (W3C `prefix`).
    pub prefix: Option<&'a str>,
    /// Text immediately after the passage (W3C `suffix`).
    pub suffix: Option<&'a str>,
    /// Which match to take, counting from 1 in document order, among those
    /// that satisfy `prefix` and `suffix`.
    pub occurrence: Option<usize>,
}

impl<'a> Selector<'a> {
    /// A selector with only the quoted passage.
    pub fn exact(exact: &'a str) -> Selector<'a> {
        Selector {
            exact,
            ..Selector::default()
        }
    }
}

/// An approximate match of a quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Byte range in the original text, within one block.
    pub range: Range<usize>,
    /// 1 − edit distance / quote length in characters, both folded; in 0..=1.
    pub similarity: f64,
    /// Whether every other passage that does not largely overlap this one is
    /// clearly less similar (by at least a tenth of the quote length in
    /// edits), so that the caller may take this one as what the quote meant.
    pub unambiguous: bool,
}

/// Why a selector could not be resolved to a single range.
#[derive(Debug, Clone, PartialEq)]
pub enum AnchorError {
    /// `exact` is empty once folded (empty, white space, zero-width chars).
    EmptyQuote,
    /// `exact` does not occur in the text. `closest` is the most similar
    /// passage, if any passage is similar at all.
    NotFound {
        /// The most similar passage, if any.
        closest: Option<Candidate>,
    },
    /// `exact` occurs at several places and nothing says which one is meant.
    Ambiguous {
        /// Every place still in question, in document order.
        places: Vec<Range<usize>>,
        /// Whether a prefix or suffix was given and `places` are the matches
        /// that satisfy it (rather than every occurrence of the quote).
        filtered_by_context: bool,
    },
    /// `exact` occurs, but none of its occurrences has the given prefix and
    /// suffix.
    NoneWithContext {
        /// Every occurrence of the quote, in document order.
        places: Vec<Range<usize>>,
        /// Whether a (non-empty) prefix was given.
        prefix: bool,
        /// Whether a (non-empty) suffix was given.
        suffix: bool,
    },
    /// `occurrence` is 0, or larger than the number of matches (counted
    /// after prefix and suffix filtering).
    OccurrenceOutOfRange {
        /// The occurrence asked for.
        occurrence: usize,
        /// How many matches there are.
        count: usize,
    },
}

/// "prefix", "suffix" or "prefix and suffix": which context a selector gave.
pub fn context_label(prefix: bool, suffix: bool) -> &'static str {
    match (prefix, suffix) {
        (true, true) => "prefix and suffix",
        (true, false) => "prefix",
        _ => "suffix",
    }
}

impl fmt::Display for AnchorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnchorError::EmptyQuote => {
                write!(f, "the quote is empty (or nothing but white space)")
            }
            AnchorError::NotFound { closest: None } => {
                write!(f, "the quote does not occur in the text")
            }
            AnchorError::NotFound {
                closest: Some(c), ..
            } => {
                write!(
                    f,
                    "the quote does not occur in the text; the closest passage is {:.0}% similar",
                    (c.similarity * 100.0).floor()
                )?;
                if !c.unambiguous {
                    write!(f, ", but other passages are about as close")?;
                }
                Ok(())
            }
            AnchorError::Ambiguous {
                places,
                filtered_by_context: false,
            } => write!(
                f,
                "the quote occurs {} times; add a prefix, a suffix or an occurrence number to say which one is meant",
                places.len()
            ),
            AnchorError::Ambiguous {
                places,
                filtered_by_context: true,
            } => write!(
                f,
                "the quote occurs {} times with the given prefix and suffix; add an occurrence number to say which one is meant",
                places.len()
            ),
            AnchorError::NoneWithContext {
                places,
                prefix,
                suffix,
            } => {
                let what = context_label(*prefix, *suffix);
                match places.len() {
                    1 => write!(f, "the quote occurs once, but not with the given {what}"),
                    n => write!(
                        f,
                        "the quote occurs {n} times, but none has the given {what}"
                    ),
                }
            }
            AnchorError::OccurrenceOutOfRange {
                occurrence: 0,
                count: _,
            } => write!(f, "occurrence 0 does not exist: occurrences count from 1"),
            AnchorError::OccurrenceOutOfRange { occurrence, count } => {
                let places = if *count == 1 { "place" } else { "places" };
                write!(
                    f,
                    "occurrence {occurrence} was asked for, but the quote matches only {count} {places}"
                )
            }
        }
    }
}

impl std::error::Error for AnchorError {}

/// Built once per article; every note of the article is resolved against it
/// (the article is never rescanned or refolded per note).
#[derive(Debug)]
pub struct TextIndex {
    text: String,
    folded: Folded,
    /// Chars in the folded text, for sizing the approximate search.
    folded_chars: usize,
    /// Word operations the approximate searches on this text have taken,
    /// against [`APPROX_TOTAL_BUDGET`].
    approx_spent: AtomicUsize,
}

impl Clone for TextIndex {
    fn clone(&self) -> TextIndex {
        TextIndex {
            text: self.text.clone(),
            folded: self.folded.clone(),
            folded_chars: self.folded_chars,
            approx_spent: AtomicUsize::new(self.approx_spent.load(Ordering::Relaxed)),
        }
    }
}

impl TextIndex {
    /// Folds `text` (blocks joined with [`BLOCK_SEPARATOR`]) once.
    pub fn new(text: String) -> TextIndex {
        let mut folded = Folded::new(&text);
        folded.join_blocks();
        let folded_chars = folded.as_str().chars().count();
        TextIndex {
            text,
            folded,
            folded_chars,
            approx_spent: AtomicUsize::new(0),
        }
    }

    /// The original text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The folded text (separators read as spaces) and its map back to
    /// the original.
    pub fn folded(&self) -> &Folded {
        &self.folded
    }

    /// Resolves a selector to one byte range of the original text (see the
    /// module docs for the rules).
    pub fn resolve(&self, sel: &Selector) -> Result<Range<usize>, AnchorError> {
        let quote = fold_str(sel.exact);
        let starts = self.find_folded(&quote);
        self.resolve_found(sel, &quote, starts)
    }

    /// Resolves every selector, as [`TextIndex::resolve`] does one: the
    /// same results, but the text is searched once for all the quotes
    /// (Aho-Corasick), so many notes on a long article cost the text's
    /// length plus the matches, not the text's length per note.
    pub fn resolve_all(&self, sels: &[Selector]) -> Vec<Result<Range<usize>, AnchorError>> {
        let quotes: Vec<String> = sels.iter().map(|s| fold_str(s.exact)).collect();
        let mut starts = self.find_many(&quotes).into_iter();
        sels.iter()
            .zip(&quotes)
            .map(|(sel, q)| self.resolve_found(sel, q, starts.next().unwrap_or_default()))
            .collect()
    }

    /// [`TextIndex::find_folded`] for many folded quotes at once.
    fn find_many(&self, quotes: &[String]) -> Vec<Vec<usize>> {
        // A few quotes: one fast substring search each beats building an
        // automaton.
        if quotes.len() <= FEW_QUOTES {
            return quotes.iter().map(|q| self.find_folded(q)).collect();
        }
        let mut pattern_of: HashMap<&str, usize> = HashMap::new();
        let mut patterns: Vec<&str> = Vec::new();
        for q in quotes.iter().filter(|q| !q.is_empty()) {
            pattern_of.entry(q).or_insert_with(|| {
                patterns.push(q);
                patterns.len() - 1
            });
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns);
        let Ok(ac) = ac else {
            return quotes.iter().map(|q| self.find_folded(q)).collect();
        };
        let mut found: Vec<Vec<usize>> = vec![Vec::new(); patterns.len()];
        // Matches come by end; one pattern's, having one length, also by
        // start: each list is in document order.
        for m in ac.find_overlapping_iter(self.folded.as_str()) {
            found[m.pattern().as_usize()].push(m.start());
        }
        quotes
            .iter()
            .map(|q| {
                pattern_of
                    .get(q.as_str())
                    .map_or_else(Vec::new, |&p| found[p].clone())
            })
            .collect()
    }

    /// The rest of [`TextIndex::resolve`], given the folded quote and where
    /// it occurs.
    fn resolve_found(
        &self,
        sel: &Selector,
        quote: &str,
        starts: Vec<usize>,
    ) -> Result<Range<usize>, AnchorError> {
        let quote = quote.to_string();
        if quote.is_empty() {
            return Err(AnchorError::EmptyQuote);
        }
        if starts.is_empty() {
            return Err(AnchorError::NotFound {
                closest: self.closest_folded(&quote),
            });
        }
        let range = |s: usize| self.folded.original_range(s..s + quote.len());
        let ranges = |v: &[usize]| v.iter().map(|&s| range(s)).collect::<Vec<_>>();

        let prefix = sel
            .prefix
            .map(|p| last_chars(&fold_str(p), MAX_CONTEXT_CHARS).to_string())
            .filter(|p| !p.is_empty());
        let suffix = sel
            .suffix
            .map(|s| first_chars(&fold_str(s), MAX_CONTEXT_CHARS).to_string())
            .filter(|s| !s.is_empty());
        let with_context = prefix.is_some() || suffix.is_some();
        let candidates = if with_context {
            let text = self.folded.as_str();
            let kept: Vec<usize> = starts
                .iter()
                .copied()
                .filter(|&s| {
                    prefix
                        .as_deref()
                        .is_none_or(|p| ends_with_lenient(&text[..s], p))
                        && suffix
                            .as_deref()
                            .is_none_or(|x| starts_with_lenient(&text[s + quote.len()..], x))
                })
                .collect();
            match kept.len() {
                0 => {
                    return Err(AnchorError::NoneWithContext {
                        places: ranges(&starts),
                        prefix: prefix.is_some(),
                        suffix: suffix.is_some(),
                    });
                }
                // The context pins the place down; a stale occurrence number
                // (the article gained an earlier copy) must not override it.
                1 => return Ok(range(kept[0])),
                _ => kept,
            }
        } else {
            starts
        };
        match sel.occurrence {
            None if candidates.len() == 1 => Ok(range(candidates[0])),
            None => Err(AnchorError::Ambiguous {
                places: ranges(&candidates),
                filtered_by_context: with_context,
            }),
            Some(n) if n >= 1 && n <= candidates.len() => Ok(range(candidates[n - 1])),
            Some(n) => Err(AnchorError::OccurrenceOutOfRange {
                occurrence: n,
                count: candidates.len(),
            }),
        }
    }

    /// All places where the folded exact quote occurs (original byte ranges),
    /// in document order, overlapping ones included. Empty for a quote that
    /// folds to nothing.
    pub fn find_all(&self, exact: &str) -> Vec<Range<usize>> {
        let quote = fold_str(exact);
        self.find_folded(&quote)
            .into_iter()
            .map(|s| self.folded.original_range(s..s + quote.len()))
            .collect()
    }

    /// Folded start offsets of every occurrence of an already folded quote.
    fn find_folded(&self, quote: &str) -> Vec<usize> {
        find_overlapping(self.folded.as_str().as_bytes(), quote.as_bytes())
    }

    /// Closest approximate passage to `quote` (for not-found diagnostics and
    /// `check --fix`): the best candidate, its similarity, and whether it is
    /// unambiguous (the next-best distinct candidate is clearly worse).
    ///
    /// The passage minimises the edit distance (insertions, deletions and
    /// substitutions of folded characters) to the folded quote, within one
    /// block; the first such place in document order wins. A changed edge
    /// word can be cut anywhere at the same cost, so among equally close
    /// passages there the widest one that starts and ends on word
    /// boundaries is taken (when the quote starts or ends with a letter or
    /// digit), else the widest one; if that still cuts into a word whose
    /// edge letter differs from the quote's, it is widened to the whole word
    /// when this costs at most a tenth of the quote length in edits. So a
    /// quote whose first or last word was changed yields the whole changed
    /// passage rather than a fragment. `similarity` is that of the range
    /// returned.
    ///
    /// `unambiguous` compares with the best passage that ends in another
    /// block or more than half the quote length away from the ends of the
    /// chosen one.
    ///
    /// Returns `None` for a quote that folds to nothing, and when nothing is
    /// similar at all (similarity 0).
    ///
    /// Cost: two passes over the article of Myers' bit-parallel algorithm,
    /// O(article chars × ⌈quote chars / 64⌉) word operations, plus
    /// O(quote chars²/64) for locating the start. To stay bounded, the quote
    /// is cut to its first [`MAX_APPROX_QUOTE_CHARS`] chars, and further (but
    /// never below 64 chars) when the article is so long that one pass would
    /// exceed about 2^27 word operations; the candidate then resembles the
    /// quote's beginning.
    pub fn closest(&self, quote: &str) -> Option<Candidate> {
        let quote = fold_str(quote);
        if quote.is_empty() {
            return None;
        }
        self.closest_folded(&quote)
    }

    fn closest_folded(&self, quote: &str) -> Option<Candidate> {
        let mut pat: Vec<char> = quote.chars().collect();
        let cap = (APPROX_BUDGET / self.folded_chars.max(1))
            .saturating_mul(64)
            .clamp(64, MAX_APPROX_QUOTE_CHARS);
        pat.truncate(cap);
        // Each search is bounded, but one per missing quote is not: a
        // sidecar of thousands of quotes from another edition of a long
        // article would take minutes. Past the budget, none is searched.
        let cost = 2 * self.folded_chars.max(1) * pat.len().div_ceil(64);
        let spent = self.approx_spent.fetch_add(cost, Ordering::Relaxed);
        if spent.saturating_add(cost) > APPROX_TOTAL_BUDGET {
            return None;
        }
        approx::closest(self.folded.as_str(), &pat).map(|c| Candidate {
            range: self.folded.original_range(c.range),
            similarity: c.similarity,
            unambiguous: c.unambiguous,
        })
    }

    /// Up to `chars` characters of original text before / after a range,
    /// stopping at block separators (for W3C prefix/suffix in JSON-LD and for
    /// showing context). Never splits a char; an out-of-range or reversed
    /// range is clamped.
    pub fn context(&self, range: Range<usize>, chars: usize) -> (&str, &str) {
        let text = self.text.as_str();
        let mut start = range.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = range.end.min(text.len()).max(start);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let mut from = text[..start]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c != BLOCK_SEPARATOR)
            .take(chars)
            .last()
            .map_or(start, |(i, _)| i);
        let mut to = text[end..]
            .char_indices()
            .take_while(|&(_, c)| c != BLOCK_SEPARATOR)
            .take(chars)
            .last()
            .map_or(end, |(i, c)| end + i + c.len_utf8());
        // Cutting inside a combining sequence would leave a context that
        // folds differently from the article (a lone accent, a bare base
        // letter), so the cut moves inwards to where folding is local.
        let boundary = |at: usize| {
            text[at..]
                .chars()
                .next()
                .is_none_or(is_chunk_boundary_before)
        };
        while from < start && !boundary(from) {
            from += text[from..].chars().next().map_or(1, char::len_utf8);
        }
        while to > end && !boundary(to) {
            to -= text[..to].chars().next_back().map_or(1, char::len_utf8);
        }
        (&text[from..start], &text[end..to])
    }
}

/// Up to this many quotes are searched one by one ([`TextIndex::resolve_all`]).
const FEW_QUOTES: usize = 16;

/// Word operations all approximate searches on one text may take together
/// (a few seconds: 4 searches of the largest size, 5,000 on a 50 KB
/// article). Past it a quote that is not found is reported without its
/// closest passage.
pub const APPROX_TOTAL_BUDGET: usize = 1 << 29;

/// Longest quote, in folded chars, that the approximate search considers.
pub const MAX_APPROX_QUOTE_CHARS: usize = 8192;

/// Word operations one pass of the approximate search may take before the
/// quote is cut further.
const APPROX_BUDGET: usize = 1 << 27;

/// Start offsets of every (possibly overlapping) occurrence of `needle`.
///
/// A plain restart one byte after each match can be O(n·m) on periodic text
/// (`aaaa…`); instead a match is extended along the needle's period, which
/// costs O(period) per further match.
/// How much of a prefix or suffix is compared: the characters nearest the
/// quote. Checking a context costs its length for every occurrence of the
/// quote, so an unbounded one made a short quote with a long context
/// quadratic (a 50,000-character prefix on a quote occurring 200,000
/// times took half a minute). Real contexts are short (W3C tools cut them
/// at 32 characters); 256 is far more than any needs to pick one place.
pub const MAX_CONTEXT_CHARS: usize = 256;

/// The last `n` chars of `s`.
fn last_chars(s: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    match s.char_indices().rev().nth(n - 1) {
        Some((i, _)) => &s[i..],
        None => s,
    }
}

/// The first `n` chars of `s`.
fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn find_overlapping(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let m = needle.len();
    let mut out = Vec::new();
    if m == 0 || m > hay.len() {
        return out;
    }
    let finder = memmem::Finder::new(needle);
    let period = smallest_period(needle);
    let mut pos = 0;
    while pos + m <= hay.len() {
        let Some(rel) = finder.find(&hay[pos..]) else {
            break;
        };
        let mut at = pos + rel;
        out.push(at);
        // Since hay[at + period .. at + m] == needle[.. m - period] already,
        // the next period-shifted match only needs the bytes past the end.
        while period < m
            && at + m + period <= hay.len()
            && hay[at + m..at + m + period] == needle[m - period..]
        {
            at += period;
            out.push(at);
        }
        pos = at + 1;
    }
    out
}

/// Smallest p > 0 with needle[i] == needle[i + p] for all valid i (the
/// length itself when the needle has no border), via the KMP failure
/// function.
fn smallest_period(needle: &[u8]) -> usize {
    let m = needle.len();
    let mut fail = vec![0usize; m];
    let mut k = 0;
    for i in 1..m {
        while k > 0 && needle[i] != needle[k] {
            k = fail[k - 1];
        }
        if needle[i] == needle[k] {
            k += 1;
        }
        fail[i] = k;
    }
    m - fail.last().copied().unwrap_or(0)
}

/// Lenient "ends with" for a prefix: separators count as white space, runs
/// of white space as one space, and white space at the joint (the end of
/// `before`) is optional. `prefix` is folded, so it has no separators and no
/// leading, trailing or doubled spaces.
///
/// Tools cut a W3C prefix at a fixed length, possibly inside a combining
/// sequence; combining marks at its far end, whose base letter was cut off,
/// are ignored.
fn ends_with_lenient(before: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_start_matches(|c| canonical_combining_class(c) != 0);
    matches_lenient(before.chars().rev(), prefix.chars().rev(), false)
}

/// The mirror image of [`ends_with_lenient`] for a suffix. A suffix cut
/// inside a combining sequence ends in a base letter that the article has
/// composed with its accent, so the last char may match the first char of a
/// canonical decomposition.
fn starts_with_lenient(after: &str, suffix: &str) -> bool {
    matches_lenient(after.chars(), suffix.chars(), true)
}

fn matches_lenient(
    text: impl Iterator<Item = char>,
    want: impl Iterator<Item = char>,
    cut_last: bool,
) -> bool {
    let space = |c: char| c == ' ' || c == BLOCK_SEPARATOR;
    let mut text = text.peekable();
    let mut want = want.peekable();
    while text.next_if(|&c| space(c)).is_some() {}
    while let Some(w) = want.next() {
        match text.next() {
            Some(c) if space(c) => {
                while text.next_if(|&c| space(c)).is_some() {}
                if w != ' ' {
                    return false;
                }
            }
            Some(c) if c == w => {}
            Some(c) if cut_last && want.peek().is_none() => {
                let mut first = None;
                decompose_canonical(c, |d| {
                    first.get_or_insert(d);
                });
                return first == Some(w);
            }
            _ => return false,
        }
    }
    true
}

/// Approximate matching on folded text, in folded byte offsets.
mod approx {
    use super::BLOCK_SEPARATOR;
    use std::ops::Range;

    /// Longest word run that is widened to whole words; longer runs (e.g.
    /// scripts written without spaces) are left alone.
    const MAX_WORD_SNAP: usize = 24;

    pub(super) struct Found {
        pub range: Range<usize>,
        pub similarity: f64,
        pub unambiguous: bool,
    }

    /// See [`super::TextIndex::closest`]; `pat` is the folded quote, non-empty.
    pub(super) fn closest(text: &str, pat: &[char]) -> Option<Found> {
        let m = pat.len();
        if m == 0 {
            return None;
        }
        let fwd = Pattern::new(pat.iter().copied());
        let words_at_start = pat[0].is_alphanumeric();
        let words_at_end = pat[m - 1].is_alphanumeric();

        // Pass 1: the best end position. Consecutive ends with the best score
        // form a tie run (a drifted last word can be cut anywhere at the same
        // cost); the widest end in the first run that ends a word is taken,
        // else the widest end. A later, separate run loses to the first.
        let mut best: Option<TieRun> = None;
        let mut extending = false;
        scan_ends(text, &fwd, |end| {
            if best.as_ref().is_some_and(|b| b.last.block != end.block) {
                extending = false;
            }
            let word_end = || words_at_end && is_word_end(text, end.byte);
            match &mut best {
                Some(b) if end.score > b.last.score => extending = false,
                Some(b) if end.score == b.last.score && !extending => {}
                Some(b) if end.score == b.last.score => {
                    b.last = end;
                    if word_end() {
                        b.at_word = Some(end);
                    }
                }
                _ => {
                    best = Some(TieRun {
                        last: end,
                        at_word: word_end().then_some(end),
                    });
                    extending = true;
                }
            }
        });
        let run = best?;
        let end = run.at_word.unwrap_or(run.last);
        if end.score >= m {
            return None;
        }

        let (start, len_chars) = best_start(text, end.byte, pat, end.score, words_at_start)?;
        let start_char = end.char_index - len_chars;

        // Pass 2: the best end position that does not largely overlap the
        // chosen passage.
        let half = (m / 2).max(1);
        let mut second = usize::MAX;
        scan_ends(text, &fwd, |e| {
            let overlaps = e.block == end.block
                && e.char_index > start_char + half
                && e.char_index < end.char_index + half;
            if !overlaps {
                second = second.min(e.score);
            }
        });
        let margin = m.div_ceil(10).max(1);
        let unambiguous = second >= end.score.saturating_add(margin);

        // A drifted edge word that no equally close passage covers whole
        // (`dogs` against `doggo`): widen to the whole word, at some cost,
        // unless that costs more than the quote's own ambiguity margin.
        let mut range = start..end.byte;
        let mut score = end.score;
        let mut wide = range.clone();
        if words_at_start && !text[start..].starts_with(pat[0]) {
            wide.start = word_start(text, start);
        }
        if words_at_end && !text[..end.byte].ends_with(pat[m - 1]) {
            wide.end = word_end(text, end.byte);
        }
        if wide != range {
            let wide_score = distance(&text[wide.clone()], pat);
            if wide_score < m && wide_score <= score + margin {
                range = wide;
                score = wide_score;
            }
        }
        let similarity = (1.0 - score as f64 / m as f64).clamp(0.0, 1.0);
        Some(Found {
            range,
            similarity,
            unambiguous,
        })
    }

    /// A possible end of a passage: the byte offset after its last char, the
    /// number of chars before that offset (separators included), the index
    /// of its block and the edit distance of the best passage ending there.
    #[derive(Debug, Clone, Copy)]
    struct End {
        byte: usize,
        char_index: usize,
        block: usize,
        score: usize,
    }

    /// Consecutive ends with the same score: the last one, and the last one
    /// that ends a word.
    struct TieRun {
        last: End,
        at_word: Option<End>,
    }

    fn scan_ends(text: &str, pat: &Pattern, mut each: impl FnMut(End)) {
        let mut state = State::new(pat, false);
        let mut block = 0;
        for (char_index, (i, c)) in text.char_indices().enumerate() {
            if c == BLOCK_SEPARATOR {
                state.reset();
                block += 1;
                continue;
            }
            let score = state.step(c);
            each(End {
                byte: i + c.len_utf8(),
                char_index: char_index + 1,
                block,
                score,
            });
        }
    }

    /// The start of the passage that ends at `end` with edit distance `score`
    /// to `pat`: its byte offset and length in chars. As for the end, the
    /// widest start in the first tie run is taken, preferring one that starts
    /// a word if `words` is set. Scans backwards with the reversed pattern,
    /// anchored at `end`; a passage longer than the pattern plus `score`
    /// chars cannot score that well, which bounds the scan.
    fn best_start(
        text: &str,
        end: usize,
        pat: &[char],
        score: usize,
        words: bool,
    ) -> Option<(usize, usize)> {
        let rev = Pattern::new(pat.iter().rev().copied());
        let mut state = State::new(&rev, true);
        let limit = pat.len() + score;
        let mut widest: Option<(usize, usize)> = None;
        let mut at_word: Option<(usize, usize)> = None;
        for (n, (i, c)) in text[..end].char_indices().rev().enumerate() {
            if c == BLOCK_SEPARATOR || n >= limit {
                break;
            }
            if state.step(c) == score {
                widest = Some((i, n + 1));
                if words && is_word_start(text, i) {
                    at_word = widest;
                }
            } else if widest.is_some() {
                break;
            }
        }
        at_word.or(widest)
    }

    /// Edit distance between `text` and the whole pattern.
    fn distance(text: &str, pat: &[char]) -> usize {
        let p = Pattern::new(pat.iter().copied());
        let mut state = State::new(&p, true);
        let mut score = pat.len();
        for c in text.chars() {
            score = state.step(c);
        }
        score
    }

    fn is_word(c: char) -> bool {
        c.is_alphanumeric()
    }

    fn is_word_start(text: &str, at: usize) -> bool {
        text[at..].chars().next().is_some_and(is_word)
            && !text[..at].chars().next_back().is_some_and(is_word)
    }

    fn is_word_end(text: &str, at: usize) -> bool {
        text[..at].chars().next_back().is_some_and(is_word)
            && !text[at..].chars().next().is_some_and(is_word)
    }

    /// Start of the word `at` is in, if that word is short enough to be a
    /// word (scripts written without spaces have no such thing); else `at`.
    fn word_start(text: &str, at: usize) -> usize {
        if !text[at..].chars().next().is_some_and(is_word) {
            return at;
        }
        let back: Vec<usize> = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_word(c))
            .take(MAX_WORD_SNAP + 1)
            .map(|(i, _)| i)
            .collect();
        match back.last() {
            Some(&i) if back.len() <= MAX_WORD_SNAP => i,
            _ => at,
        }
    }

    /// End of the word that ends at or continues past `at`, like
    /// [`word_start`].
    fn word_end(text: &str, at: usize) -> usize {
        if !text[..at].chars().next_back().is_some_and(is_word) {
            return at;
        }
        let fwd: Vec<usize> = text[at..]
            .char_indices()
            .take_while(|&(_, c)| is_word(c))
            .take(MAX_WORD_SNAP + 1)
            .map(|(i, c)| at + i + c.len_utf8())
            .collect();
        match fwd.last() {
            Some(&i) if fwd.len() <= MAX_WORD_SNAP => i,
            _ => at,
        }
    }

    /// The pattern side of Myers' bit-parallel edit distance: for each
    /// distinct pattern char, a bit vector of the rows where it occurs.
    pub(super) struct Pattern {
        len: usize,
        words: usize,
        /// Row index + 1 into `peq` for ASCII chars, 0 for none.
        ascii: [u32; 128],
        /// Row index + 1 for other chars, sorted by char.
        other: Vec<(char, u32)>,
        /// `words` u64 per row; row 0 is all zero (a char not in the
        /// pattern).
        peq: Vec<u64>,
    }

    impl Pattern {
        pub(super) fn new(chars: impl Iterator<Item = char>) -> Pattern {
            let chars: Vec<char> = chars.collect();
            let len = chars.len();
            let words = len.div_ceil(64).max(1);
            let mut p = Pattern {
                len,
                words,
                ascii: [0; 128],
                other: Vec::new(),
                peq: vec![0; words],
            };
            for (row, &c) in chars.iter().enumerate() {
                let id = match p.row(c) {
                    0 => {
                        p.peq.extend(std::iter::repeat_n(0, words));
                        let id = (p.peq.len() / words - 1) as u32;
                        if c.is_ascii() {
                            p.ascii[c as usize] = id;
                        } else {
                            let at = p.other.partition_point(|&(o, _)| o < c);
                            p.other.insert(at, (c, id));
                        }
                        id
                    }
                    id => id,
                } as usize;
                p.peq[id * words + row / 64] |= 1 << (row % 64);
            }
            p
        }

        fn row(&self, c: char) -> u32 {
            if c.is_ascii() {
                self.ascii[c as usize]
            } else {
                self.other
                    .binary_search_by(|&(o, _)| o.cmp(&c))
                    .map_or(0, |at| self.other[at].1)
            }
        }

        fn eq(&self, c: char) -> &[u64] {
            let at = self.row(c) as usize * self.words;
            &self.peq[at..at + self.words]
        }
    }

    /// The text side of Myers' algorithm in Hyyrö's block formulation: the
    /// vertical deltas of the current DP column, 64 rows per word, and the
    /// score in the last pattern row.
    pub(super) struct State<'p> {
        pat: &'p Pattern,
        pv: Vec<u64>,
        mv: Vec<u64>,
        score: usize,
        /// Top row is 0, 1, 2, … (the passage must start where the scan
        /// starts) rather than all 0 (it may start anywhere).
        anchored: bool,
        last_bit: u64,
    }

    impl<'p> State<'p> {
        pub(super) fn new(pat: &'p Pattern, anchored: bool) -> State<'p> {
            State {
                pat,
                pv: vec![!0; pat.words],
                mv: vec![0; pat.words],
                score: pat.len,
                anchored,
                last_bit: 1 << ((pat.len.max(1) - 1) % 64),
            }
        }

        pub(super) fn reset(&mut self) {
            self.pv.fill(!0);
            self.mv.fill(0);
            self.score = self.pat.len;
        }

        /// Consumes one text char; returns the edit distance of the best
        /// passage ending here (anchored: of the whole text consumed).
        pub(super) fn step(&mut self, c: char) -> usize {
            let eq = self.pat.eq(c);
            let mut hin: i32 = i32::from(self.anchored);
            let last = self.pat.words - 1;
            let blocks = self.pv.iter_mut().zip(self.mv.iter_mut()).zip(eq);
            for (w, ((pv, mv), &eq)) in blocks.enumerate() {
                let out_bit = if w == last { self.last_bit } else { 1 << 63 };
                hin = advance(pv, mv, eq, hin, out_bit);
            }
            // `hin` is now the horizontal delta in the last pattern row.
            self.score = self.score.saturating_add_signed(hin as isize);
            self.score
        }
    }

    /// One 64-row block of one DP column (Myers 1999; Hyyrö 2003). `hin` is
    /// the horizontal delta entering at the top, and the delta leaving at
    /// `out_bit` is returned.
    #[inline]
    fn advance(pv: &mut u64, mv: &mut u64, eq: u64, hin: i32, out_bit: u64) -> i32 {
        let (p, m) = (*pv, *mv);
        let xv = eq | m;
        let eq = if hin < 0 { eq | 1 } else { eq };
        let xh = ((eq & p).wrapping_add(p) ^ p) | eq;
        let mut ph = m | !(xh | p);
        let mut mh = p & xh;
        let hout = i32::from(ph & out_bit != 0) - i32::from(mh & out_bit != 0);
        ph <<= 1;
        mh <<= 1;
        if hin < 0 {
            mh |= 1;
        } else if hin > 0 {
            ph |= 1;
        }
        *pv = mh | !(xv | ph);
        *mv = ph & xv;
        hout
    }

    /// The last DP row by the textbook recurrence: Sellers' (a passage may
    /// start anywhere) or, anchored, the plain edit distance of each prefix
    /// of `text`.
    #[cfg(test)]
    pub(super) fn naive_ends(text: &[char], pat: &[char], anchored: bool) -> Vec<usize> {
        let m = pat.len();
        let mut col: Vec<usize> = (0..=m).collect();
        let mut out = Vec::new();
        for (j, &c) in text.iter().enumerate() {
            let mut prev_diag = col[0];
            col[0] = if anchored { j + 1 } else { 0 };
            for r in 1..=m {
                let sub = prev_diag + usize::from(pat[r - 1] != c);
                prev_diag = col[r];
                col[r] = sub.min(col[r] + 1).min(col[r - 1] + 1);
            }
            out.push(col[m]);
        }
        out
    }

    #[cfg(test)]
    pub(super) fn myers_ends(text: &[char], pat: &[char], anchored: bool) -> Vec<usize> {
        let p = Pattern::new(pat.iter().copied());
        let mut s = State::new(&p, anchored);
        text.iter().map(|&c| s.step(c)).collect()
    }

    #[cfg(test)]
    pub(super) fn naive_distance(a: &[char], b: &[char]) -> usize {
        let mut col: Vec<usize> = (0..=b.len()).collect();
        for (i, &x) in a.iter().enumerate() {
            let mut prev_diag = col[0];
            col[0] = i + 1;
            for r in 1..=b.len() {
                let sub = prev_diag + usize::from(b[r - 1] != x);
                prev_diag = col[r];
                col[r] = sub.min(col[r] + 1).min(col[r - 1] + 1);
            }
        }
        col[b.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::fold::tests::tricky_char;
    use proptest::prelude::*;

    const SEP: &str = "\u{1e}";

    fn index(text: &str) -> TextIndex {
        TextIndex::new(text.to_owned())
    }

    /// Resolves a bare quote and returns the matched original text.
    fn resolve_exact<'t>(idx: &'t TextIndex, quote: &str) -> Result<&'t str, AnchorError> {
        idx.resolve(&Selector::exact(quote)).map(|r| &idx.text()[r])
    }

    #[test]
    fn curly_quotes_match_straight_ones() {
        let idx = index("He said \u{201c}don\u{2019}t\u{201d} and \u{2018}no\u{2019}.");
        assert_eq!(
            resolve_exact(&idx, "said \"don't\""),
            Ok("said \u{201c}don\u{2019}t\u{201d}")
        );
        assert_eq!(resolve_exact(&idx, "'no'"), Ok("\u{2018}no\u{2019}"));
        // And the other way round.
        let idx = index("He said \"don't\".");
        assert_eq!(
            resolve_exact(&idx, "\u{201c}don\u{2019}t\u{201d}"),
            Ok("\"don't\"")
        );
    }

    #[test]
    fn primes_and_backticks_are_apostrophes() {
        let idx = index("a 5\u{2032}2\u{2033} man, `quoted'");
        assert_eq!(resolve_exact(&idx, "5'2\""), Ok("5\u{2032}2\u{2033}"));
        assert_eq!(resolve_exact(&idx, "'quoted'"), Ok("`quoted'"));
    }

    #[test]
    fn guillemets_are_kept() {
        let idx = index("il dit \u{ab}non\u{bb}");
        assert_eq!(
            resolve_exact(&idx, "\u{ab}non\u{bb}"),
            Ok("\u{ab}non\u{bb}")
        );
        assert!(matches!(
            resolve_exact(&idx, "\"non\""),
            Err(AnchorError::NotFound { .. })
        ));
    }

    #[test]
    fn dashes_match_hyphens_and_double_hyphens() {
        let idx = index(
            "pages 10\u{2013}12 \u{2014} roughly \u{2212}3 \u{2010}x\u{2011}y\u{2012}z\u{2015}",
        );
        assert_eq!(resolve_exact(&idx, "10-12"), Ok("10\u{2013}12"));
        assert_eq!(resolve_exact(&idx, "10--12"), Ok("10\u{2013}12"));
        assert_eq!(
            resolve_exact(&idx, "12 --- roughly"),
            Ok("12 \u{2014} roughly")
        );
        assert_eq!(
            resolve_exact(&idx, "-3 -x-y-z-"),
            Ok("\u{2212}3 \u{2010}x\u{2011}y\u{2012}z\u{2015}")
        );
        // Typed as an en dash against an ASCII double hyphen in inline code.
        let idx = index("run it with --verbose set");
        assert_eq!(
            resolve_exact(&idx, "with \u{2013}verbose"),
            Ok("with --verbose")
        );
    }

    #[test]
    fn ellipsis_matches_three_dots() {
        let idx = index("and then\u{2026} nothing");
        assert_eq!(
            resolve_exact(&idx, "then... nothing"),
            Ok("then\u{2026} nothing")
        );
        let idx = index("and then... nothing");
        assert_eq!(resolve_exact(&idx, "then\u{2026}"), Ok("then..."));
    }

    #[test]
    fn white_space_runs_match_one_space() {
        let idx = index("one\u{a0}two\n\tthree\u{202f}four\u{2009}five  six");
        assert_eq!(
            resolve_exact(&idx, "one two three four five six"),
            Ok("one\u{a0}two\n\tthree\u{202f}four\u{2009}five  six")
        );
        // The quote's own white space is folded and trimmed too.
        assert_eq!(
            resolve_exact(&idx, "  \n two   three\t"),
            Ok("two\n\tthree")
        );
    }

    #[test]
    fn soft_hyphens_and_zero_width_chars_are_ignored() {
        let idx = index("co\u{ad}oper\u{200b}ation and zero\u{2060}\u{feff}\u{200c}\u{200d}width");
        assert_eq!(
            resolve_exact(&idx, "cooperation"),
            Ok("co\u{ad}oper\u{200b}ation")
        );
        assert_eq!(
            resolve_exact(&idx, "zerowidth"),
            Ok("zero\u{2060}\u{feff}\u{200c}\u{200d}width")
        );
        // And in the quote.
        let idx = index("cooperation");
        assert_eq!(
            resolve_exact(&idx, "co\u{ad}op\u{200b}eration"),
            Ok("cooperation")
        );
    }

    #[test]
    fn letters_and_case_are_exact() {
        let idx = index("The Cat");
        assert!(matches!(
            resolve_exact(&idx, "the cat"),
            Err(AnchorError::NotFound { .. })
        ));
    }

    #[test]
    fn quote_may_cross_former_inline_markup() {
        // From `The *quick* [brown](x) `fox` jumps`: the caller has flattened
        // emphasis, the link and the inline code into plain text.
        let idx = index("The quick brown fox jumps");
        assert_eq!(
            resolve_exact(&idx, "quick brown fox"),
            Ok("quick brown fox")
        );
    }

    #[test]
    fn quote_crosses_separators_where_it_has_white_space() {
        let text = format!("end of one.{SEP} Start of two{SEP}{SEP}and three");
        let idx = index(&text);
        // Copied across paragraphs: the line breaks become white space.
        assert_eq!(
            resolve_exact(&idx, "of one.\n\nStart of"),
            Ok(&text[4..text.find(" two").unwrap()])
        );
        assert_eq!(
            resolve_exact(&idx, "one. Start of two and"),
            Ok(&text[7..text.find("three").unwrap() - 1])
        );
        // A quote that glues the blocks together does not match.
        assert!(matches!(
            idx.resolve(&Selector::exact("one.Start")),
            Err(AnchorError::NotFound { .. })
        ));
        assert_eq!(resolve_exact(&idx, "of two"), Ok("of two"));
        // The closest passage may cross blocks too.
        let c = idx.closest("end of one. Start of tw0").unwrap();
        assert_eq!(
            &text[c.range.clone()],
            &text[..text.find("two").unwrap() + 3]
        );
    }

    #[test]
    fn nfc_decomposed_article_composed_quote() {
        let text = "un caf\u{65}\u{301} cr\u{65}\u{300}me";
        let idx = index(text);
        let r = idx.resolve(&Selector::exact("caf\u{e9}")).unwrap();
        assert_eq!(r, 3..9);
        assert_eq!(&text[r], "caf\u{65}\u{301}");
        let r = idx.resolve(&Selector::exact("\u{e8}me")).unwrap();
        assert_eq!(&text[r], "\u{65}\u{300}me");
        let r = idx.resolve(&Selector::exact("cr\u{e8}")).unwrap();
        assert_eq!(&text[r], "cr\u{65}\u{300}");
    }

    #[test]
    fn nfc_composed_article_decomposed_quote() {
        let text = "un caf\u{e9} cr\u{e8}me";
        let idx = index(text);
        let r = idx.resolve(&Selector::exact("caf\u{65}\u{301}")).unwrap();
        assert_eq!(r, 3..8);
        assert_eq!(&text[r], "caf\u{e9}");
        // A bare "e" does not match inside a composed letter.
        assert_eq!(idx.find_all("cafe"), Vec::<Range<usize>>::new());
    }

    #[test]
    fn empty_and_blank_quotes_are_errors() {
        let idx = index("some text");
        for q in ["", "   ", "\n\t\u{a0}", "\u{200b}\u{ad}", SEP] {
            assert_eq!(
                idx.resolve(&Selector::exact(q)),
                Err(AnchorError::EmptyQuote),
                "{q:?}"
            );
            assert_eq!(idx.find_all(q), Vec::<Range<usize>>::new());
            assert_eq!(idx.closest(q), None);
        }
    }

    #[test]
    fn ambiguity_lists_every_place() {
        let text = format!("the cat sat{SEP}the cat ran{SEP}a cat");
        let idx = index(&text);
        let err = idx.resolve(&Selector::exact("cat")).unwrap_err();
        let AnchorError::Ambiguous {
            places,
            filtered_by_context: false,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(places.len(), 3);
        for p in places {
            assert_eq!(&text[p.clone()], "cat");
        }
        assert_eq!(places, &idx.find_all("cat"));
        assert_eq!(
            err.to_string(),
            "the quote occurs 3 times; add a prefix, a suffix or an occurrence number to say which one is meant"
        );
    }

    #[test]
    fn overlapping_matches_are_all_found() {
        let idx = index("aaaa");
        assert_eq!(idx.find_all("aa"), vec![0..2, 1..3, 2..4]);
        let idx = index("abababa");
        assert_eq!(idx.find_all("aba"), vec![0..3, 2..5, 4..7]);
    }

    #[test]
    fn occurrence_picks_in_document_order() {
        let text = "x cat y cat z cat";
        let idx = index(text);
        let sel = |n| Selector {
            occurrence: Some(n),
            ..Selector::exact("cat")
        };
        assert_eq!(idx.resolve(&sel(1)), Ok(2..5));
        assert_eq!(idx.resolve(&sel(3)), Ok(14..17));
        assert_eq!(
            idx.resolve(&sel(4)),
            Err(AnchorError::OccurrenceOutOfRange {
                occurrence: 4,
                count: 3
            })
        );
        let zero = idx.resolve(&sel(0)).unwrap_err();
        assert_eq!(
            zero,
            AnchorError::OccurrenceOutOfRange {
                occurrence: 0,
                count: 3
            }
        );
        assert!(zero.to_string().contains("count from 1"));
        // A single match still checks the occurrence number.
        let idx = index("one cat");
        assert!(matches!(
            idx.resolve(&sel(2)),
            Err(AnchorError::OccurrenceOutOfRange {
                occurrence: 2,
                count: 1
            })
        ));
        assert_eq!(idx.resolve(&sel(1)), Ok(4..7));
    }

    #[test]
    fn prefix_and_suffix_pick_a_place() {
        let text = "the black cat sat; the white cat ran; the black cat ran";
        let idx = index(text);
        let with = |prefix, suffix| Selector {
            prefix,
            suffix,
            ..Selector::exact("cat")
        };
        assert_eq!(idx.resolve(&with(Some("white "), None)), Ok(29..32));
        assert_eq!(idx.resolve(&with(None, Some(" sat"))), Ok(10..13));
        assert_eq!(idx.resolve(&with(Some("black "), Some(" ran"))), Ok(48..51));
        // Prefix alone leaves two: ambiguous among those, occurrence picks.
        let err = idx.resolve(&with(Some("black"), None)).unwrap_err();
        assert_eq!(
            err,
            AnchorError::Ambiguous {
                places: vec![10..13, 48..51],
                filtered_by_context: true
            }
        );
        let sel = Selector {
            occurrence: Some(2),
            ..with(Some("black"), None)
        };
        assert_eq!(idx.resolve(&sel), Ok(48..51));
        // A unique context wins over a stale occurrence number.
        let sel = Selector {
            occurrence: Some(3),
            ..with(Some("white"), None)
        };
        assert_eq!(idx.resolve(&sel), Ok(29..32));
    }

    #[test]
    fn no_place_with_context_is_its_own_error() {
        let idx = index("the black cat; the white cat");
        let sel = Selector {
            prefix: Some("grey "),
            ..Selector::exact("cat")
        };
        let err = idx.resolve(&sel).unwrap_err();
        assert_eq!(
            err,
            AnchorError::NoneWithContext {
                places: vec![10..13, 25..28],
                prefix: true,
                suffix: false
            }
        );
        assert_eq!(
            err.to_string(),
            "the quote occurs 2 times, but none has the given prefix"
        );
        let once = index("the black cat");
        let err = once
            .resolve(&Selector {
                suffix: Some("s"),
                ..Selector::exact("cat")
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the quote occurs once, but not with the given suffix"
        );
    }

    #[test]
    fn context_comparison_is_lenient_about_white_space() {
        let text = format!("Chapter 1{SEP}It was a dark night.{SEP}It was a dark day.");
        let idx = index(&text);
        let night = text.find("dark night").unwrap();
        // Hypothesis-style prefix ending in a newline, crossing a block.
        let sel = Selector {
            prefix: Some("Chapter 1\n\nIt was a \n"),
            ..Selector::exact("dark")
        };
        assert_eq!(idx.resolve(&sel), Ok(night..night + 4));
        // No white space at the joint where the text has some.
        let sel = Selector {
            prefix: Some("was a"),
            suffix: Some("day"),
            ..Selector::exact("dark")
        };
        let day = text.find("dark day").unwrap();
        assert_eq!(idx.resolve(&sel), Ok(day..day + 4));
        // Typographic folding applies to the context too.
        let idx = index("\u{201c}Yes\u{201d} \u{2014} she said \u{2014} \u{201c}yes\u{201d}");
        let sel = Selector {
            prefix: Some("said --"),
            ..Selector::exact("\"yes\"")
        };
        assert_eq!(
            idx.resolve(&sel).map(|r| &idx.text()[r]),
            Ok("\u{201c}yes\u{201d}")
        );
        // Empty (after folding) context is no context.
        let idx = index("a b a");
        let sel = Selector {
            prefix: Some(" \n"),
            ..Selector::exact("a")
        };
        assert!(matches!(
            idx.resolve(&sel),
            Err(AnchorError::Ambiguous {
                filtered_by_context: false,
                ..
            })
        ));
    }

    #[test]
    fn not_found_returns_the_drifted_passage() {
        let text = format!(
            "Intro.{SEP}The quick brown fox jumps over the lazy dog near the river bank.{SEP}Outro."
        );
        let idx = index(&text);
        // The publisher changed one word.
        let err = idx
            .resolve(&Selector::exact("quick red fox jumps over the lazy dog"))
            .unwrap_err();
        let AnchorError::NotFound { closest: Some(c) } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(
            &text[c.range.clone()],
            "quick brown fox jumps over the lazy dog"
        );
        let expected = 1.0 - 4.0 / 37.0; // red -> brown: 2 substitutions + 2 insertions
        assert!((c.similarity - expected).abs() < 1e-9, "{}", c.similarity);
        assert!(c.unambiguous);
        assert_eq!(
            err.to_string(),
            "the quote does not occur in the text; the closest passage is 89% similar"
        );

        // The changed word is the last one: the whole word is returned.
        let c = idx.closest("the lazy dog near the river shore").unwrap();
        assert_eq!(&text[c.range.clone()], "the lazy dog near the river bank");
        // And the first one.
        let c = idx.closest("slow brown fox jumps").unwrap();
        assert_eq!(&text[c.range.clone()], "quick brown fox jumps");
        // A typo.
        let c = idx.closest("jumps ovr the").unwrap();
        assert_eq!(&text[c.range], "jumps over the");
    }

    #[test]
    fn closest_reports_ambiguity() {
        let text = format!("the cat sat on the mat{SEP}the cat sat on the hat");
        let idx = index(&text);
        let c = idx.closest("the cat sat on the bat").unwrap();
        assert!(!c.unambiguous);
        assert!((c.similarity - (1.0 - 1.0 / 22.0)).abs() < 1e-9);
        // The first of equally close places.
        assert_eq!(&text[c.range], "the cat sat on the mat");
        let err = AnchorError::NotFound {
            closest: idx.closest("the cat sat on the bat"),
        };
        assert!(
            err.to_string()
                .ends_with("but other passages are about as close")
        );
    }

    #[test]
    fn closest_on_nothing_similar() {
        let idx = index("abc");
        assert_eq!(idx.closest("xyz"), None);
        let idx = index("");
        assert_eq!(idx.closest("xyz"), None);
        assert_eq!(
            idx.resolve(&Selector::exact("xyz")),
            Err(AnchorError::NotFound { closest: None })
        );
        let idx = index(SEP);
        assert_eq!(idx.closest("xyz"), None);
    }

    #[test]
    fn closest_maps_back_through_folding() {
        let text = "He said \u{201c}caf\u{65}\u{301}\u{a0}\u{2014} now\u{201d}!";
        let idx = index(text);
        let c = idx.closest("said \"cafe -- now\"").unwrap();
        assert_eq!(
            &text[c.range],
            "said \u{201c}caf\u{65}\u{301}\u{a0}\u{2014} now\u{201d}"
        );
    }

    #[test]
    fn closest_of_an_existing_quote_is_exact() {
        // Widening to whole words must not spoil an exact match.
        let idx = index("ba");
        let c = idx.closest("a").unwrap();
        assert_eq!((c.range, c.similarity), (1..2, 1.0));
        // Nor turn a weak match into no match at all.
        let idx = index("bba ");
        assert!(idx.closest("aa").unwrap().similarity > 0.0);
    }

    #[test]
    fn context_cut_inside_a_combining_sequence_still_matches() {
        // 32 chars before the quote would start with a lone combining acute.
        let text = format!("a\u{301}{}\u{2018}quote", "a".repeat(31));
        let idx = index(&text);
        let r = idx.resolve(&Selector::exact("quote")).unwrap();
        let (before, _) = idx.context(r.clone(), 32);
        assert!(!before.starts_with('\u{301}'));
        // A prefix cut that way by another tool is accepted as well, and so
        // is a suffix cut before a combining mark.
        let sel = Selector {
            prefix: Some(&text[1..r.start]),
            ..Selector::exact("quote")
        };
        assert_eq!(idx.resolve(&sel), Ok(r));
        let idx = index("x caf\u{e9}; y cafe\u{301}s; z cafes");
        let sel = Selector {
            suffix: Some("cafe"),
            ..Selector::exact("y")
        };
        assert_eq!(idx.resolve(&sel), Ok(9..10));
    }

    #[test]
    fn blank_context_leaves_the_choice_open() {
        let text = format!("d{SEP}d");
        let idx = index(&text);
        let (before, after) = idx.context(0..1, 32);
        assert_eq!((before, after), ("", ""));
        let sel = Selector {
            prefix: Some(before),
            suffix: Some(after),
            ..Selector::exact("d")
        };
        assert!(matches!(
            idx.resolve(&sel),
            Err(AnchorError::Ambiguous {
                filtered_by_context: false,
                ..
            })
        ));
    }

    #[test]
    fn context_stops_at_separators_and_counts_chars() {
        let text = format!("first{SEP}ab\u{e9}cd efgh{SEP}last");
        let idx = index(&text);
        let r = idx.resolve(&Selector::exact("cd")).unwrap();
        assert_eq!(idx.context(r.clone(), 2), ("b\u{e9}", " e"));
        assert_eq!(idx.context(r.clone(), 100), ("ab\u{e9}", " efgh"));
        assert_eq!(idx.context(r, 0), ("", ""));
        // Odd ranges are clamped, never split a char.
        let e = text.find('\u{e9}').unwrap();
        assert_eq!(idx.context(e + 1..e + 1, 1), ("b", "c"));
        assert_eq!(idx.context(1000..2000, 3), ("ast", ""));
        let (hi, lo) = (5, 2);
        assert_eq!(idx.context(hi..lo, 2), ("st", ""));
    }

    #[test]
    fn long_contexts_are_cut_to_the_part_nearest_the_quote() {
        assert_eq!(last_chars("abcdé", 2), "dé");
        assert_eq!(last_chars("ab", 5), "ab");
        assert_eq!(last_chars("ab", 0), "");
        assert_eq!(first_chars("éabc", 2), "éa");
        assert_eq!(first_chars("ab", 5), "ab");
        // A quote occurring 200,000 times with a 20,000-char prefix that
        // every occurrence matches for thousands of chars: bounded.
        let index = TextIndex::new("a".repeat(200_000));
        let prefix = "a".repeat(20_000);
        let sel = Selector {
            exact: "a",
            prefix: Some(&prefix),
            ..Selector::default()
        };
        let started = std::time::Instant::now();
        match index.resolve(&sel) {
            Err(AnchorError::Ambiguous { places, .. }) => {
                assert_eq!(places.len(), 200_000 - MAX_CONTEXT_CHARS)
            }
            other => panic!("{other:?}"),
        }
        // Bounded work takes a few seconds unoptimised; the quadratic one
        // took many minutes. Generous, as the machine may be shared.
        assert!(started.elapsed() < std::time::Duration::from_secs(120));
        // The part nearest the quote still picks the place.
        let text = format!("{}b{}", "a".repeat(1_000), "a".repeat(1_000));
        let index = TextIndex::new(text);
        let prefix = format!("{}b{}", "a".repeat(900), "a".repeat(10));
        let sel = Selector {
            exact: "a",
            prefix: Some(&prefix),
            ..Selector::default()
        };
        assert_eq!(index.resolve(&sel), Ok(1_011..1_012));
    }

    #[test]
    fn find_overlapping_on_periodic_text_is_linear() {
        let hay = "a".repeat(200_000);
        let needle = "a".repeat(5_000);
        let found = find_overlapping(hay.as_bytes(), needle.as_bytes());
        assert_eq!(found.len(), 195_001);
        assert_eq!(smallest_period(b"abcab"), 3);
        assert_eq!(smallest_period(b"abc"), 3);
        assert_eq!(smallest_period(b"aaaa"), 1);
    }

    fn naive_find(hay: &[u8], needle: &[u8]) -> Vec<usize> {
        if needle.is_empty() || needle.len() > hay.len() {
            return vec![];
        }
        (0..=hay.len() - needle.len())
            .filter(|&i| &hay[i..i + needle.len()] == needle)
            .collect()
    }

    /// Strips the typography a person would not type: what an annotator
    /// retyping the passage on a plain keyboard produces.
    fn retype(s: &str, long_dashes: bool) -> String {
        let mut out = String::new();
        let mut in_space = false;
        for c in s.chars() {
            if c.is_whitespace() {
                if !in_space {
                    out.push(' ');
                }
                in_space = true;
                continue;
            }
            in_space = false;
            match c {
                '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' => out.push('\''),
                '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' => out.push('"'),
                '\u{2026}' => out.push_str("..."),
                '\u{2013}' if long_dashes => out.push_str("--"),
                '\u{2014}' if long_dashes => out.push_str("---"),
                '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
                c => out.push(c),
            }
        }
        out
    }

    /// An article of several blocks, a position in it holding a letter, and
    /// how far a quote around that letter extends to either side.
    fn article_and_quote() -> impl Strategy<Value = (String, usize, usize, usize, bool)> {
        (
            prop::collection::vec(tricky_char(), 0..80),
            prop::collection::vec(tricky_char(), 0..80),
            prop::char::range('a', 'e'),
            0usize..30,
            0usize..30,
            any::<bool>(),
        )
            .prop_map(|(before, after, letter, back, fwd, long)| {
                let mut text: String = before.into_iter().collect();
                let at = text.len();
                text.push(letter);
                text.extend(after);
                (text, at, back, fwd, long)
            })
    }

    fn chunk_boundaries(s: &str) -> Vec<usize> {
        let mut out = vec![0];
        let mut i = 0;
        while i < s.len() {
            i = crate::annotate::fold::chunk_end(s, i);
            out.push(i);
        }
        out
    }

    /// A passage copied from the article and retyped on a plain keyboard
    /// resolves to a passage that folds like the original. `at` is a
    /// letter of `text`; the quote extends `back` and `fwd` chars from it.
    fn check_retyped(
        text: &str,
        at: usize,
        back: usize,
        fwd: usize,
        long: bool,
    ) -> Result<(), TestCaseError> {
        let bounds = chunk_boundaries(text);
        // Walk `back` chars left and `fwd` chars right from the letter,
        // without crossing a separator, then widen to normalization
        // chunk boundaries (a quote cannot end inside a composed char).
        let mut start = at;
        for (i, c) in text[..at].char_indices().rev().take(back) {
            if c == BLOCK_SEPARATOR {
                break;
            }
            start = i;
        }
        let mut end = at + 1;
        for (i, c) in text[at + 1..].char_indices().take(fwd) {
            if c == BLOCK_SEPARATOR {
                break;
            }
            end = at + 1 + i + c.len_utf8();
        }
        start = bounds[bounds.partition_point(|&b| b <= start) - 1];
        end = bounds[bounds.partition_point(|&b| b < end)];
        let sub = &text[start..end];
        prop_assert!(!sub.contains(BLOCK_SEPARATOR));

        let quote = format!(" {} ", retype(sub, long));
        let folded_sub = fold_str(sub);
        prop_assert!(!folded_sub.is_empty());
        prop_assert_eq!(fold_str(&quote), folded_sub.clone());

        let idx = TextIndex::new(text.to_owned());
        let folded = idx.folded();
        let starts = idx.find_folded(&folded_sub);
        let all = idx.find_all(&quote);
        prop_assert_eq!(all.len(), starts.len());
        // The copy's own place: the first match from where its folding
        // starts. It must exist, or the property would say nothing.
        let n = starts.partition_point(|&s| s < folded.folded_offset(start));
        prop_assert!(
            n < starts.len(),
            "{:?} not found in {:?}",
            folded_sub,
            folded.as_str()
        );
        prop_assert!(starts[n] < folded.folded_offset(end).max(starts[n] + 1));

        let sel = Selector {
            exact: &quote,
            prefix: None,
            suffix: None,
            occurrence: Some(n + 1),
        };
        let got = idx.resolve(&sel);
        prop_assert_eq!(got.clone(), Ok(all[n].clone()));
        let got = got.unwrap();
        prop_assert_eq!(fold_str(&text[got.clone()]), folded_sub.clone());

        // With the W3C context the place is found without an
        // occurrence number, unless the context is the same elsewhere.
        let (before, after) = idx.context(got.clone(), 32);
        let sel = Selector {
            exact: &quote,
            prefix: Some(before),
            suffix: Some(after),
            occurrence: None,
        };
        match idx.resolve(&sel) {
            Ok(r) => prop_assert_eq!(r, got),
            // The context may be blank (a block of its own) or repeat.
            Err(AnchorError::Ambiguous { places, .. }) => {
                prop_assert!(places.contains(&got));
            }
            Err(e) => prop_assert!(false, "{:?}", e),
        }
        Ok(())
    }

    /// Cases the property below once failed on, kept by value (proptest's
    /// regression file keeps seeds, which a change to the strategy would
    /// silently turn into other cases).
    #[test]
    fn retyped_passage_regressions() {
        // A double hyphen whose second dash carries a mark that NFC
        // changes: folding "--" into one dash made the quote "a-" end
        // inside the marked dash.
        check_retyped("a--\u{344}", 0, 0, 1, false).unwrap();
        // A retyped "--" still folds like the dash it replaces when that
        // dash carries a mark, or precedes a char NFC turns into a letter.
        check_retyped("a\u{2013}\u{301}", 0, 0, 1, true).unwrap();
        check_retyped("a\u{2013}\u{212b}", 0, 0, 1, true).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// See [`check_retyped`].
        #[test]
        fn retyped_passage_resolves((text, at, back, fwd, long) in article_and_quote()) {
            check_retyped(&text, at, back, fwd, long)?;
        }

        #[test]
        fn resolving_all_at_once_equals_one_by_one(
            text in "[ab \u{1e}]{0,60}",
            quotes in prop::collection::vec("[ab ]{0,4}", 0..40),
            occurrence in proptest::option::of(1usize..4),
        ) {
            let idx = TextIndex::new(text);
            let sels: Vec<Selector> = quotes
                .iter()
                .map(|q| Selector { exact: q, occurrence, ..Selector::default() })
                .collect();
            let one_by_one: Vec<_> = sels.iter().map(|s| idx.resolve(s)).collect();
            prop_assert_eq!(idx.resolve_all(&sels), one_by_one);
        }

        #[test]
        fn overlapping_search_matches_naive(hay in "[ab]{0,60}", needle in "[ab]{1,6}") {
            prop_assert_eq!(
                find_overlapping(hay.as_bytes(), needle.as_bytes()),
                naive_find(hay.as_bytes(), needle.as_bytes())
            );
        }

        #[test]
        fn myers_matches_dynamic_programming(text in "[abc]{0,150}", pat in "[abc]{1,150}") {
            let t: Vec<char> = text.chars().collect();
            let p: Vec<char> = pat.chars().collect();
            prop_assert_eq!(approx::myers_ends(&t, &p, false), approx::naive_ends(&t, &p, false));
            prop_assert_eq!(approx::myers_ends(&t, &p, true), approx::naive_ends(&t, &p, true));
        }

        #[test]
        fn closest_is_consistent(text in "[ab \u{1e}]{0,80}", quote in "[ab ]{1,20}") {
            let idx = TextIndex::new(text.clone());
            if let Some(c) = idx.closest(&quote) {
                prop_assert!((0.0..=1.0).contains(&c.similarity));
                prop_assert!(c.similarity > 0.0);
                let q: Vec<char> = fold_str(&quote).chars().collect();
                let t: Vec<char> = fold_str(&text[c.range]).chars().collect();
                let d = approx::naive_distance(&t, &q);
                prop_assert!((c.similarity - (1.0 - d as f64 / q.len() as f64)).abs() < 1e-9);
            }
            if !idx.find_all(&quote).is_empty() {
                prop_assert_eq!(idx.closest(&quote).map(|c| c.similarity), Some(1.0));
            }
        }
    }

    proptest! {
        #[test]
        fn nothing_panics(
            text in prop_oneof![any::<String>(), "[a-c \u{1e}\u{301}\u{2014}\u{2026}]{0,40}"],
            exact in prop_oneof![any::<String>(), "[a-c \u{1e}\u{301}\u{2014}.-]{0,8}"],
            prefix in proptest::option::of(any::<String>()),
            suffix in proptest::option::of("[a-c \u{1e}]{0,8}"),
            occurrence in proptest::option::of(any::<usize>()),
            a in any::<usize>(),
            b in any::<usize>(),
            chars in any::<usize>(),
        ) {
            let idx = TextIndex::new(text.clone());
            let sel = Selector { exact: &exact, prefix: prefix.as_deref(), suffix: suffix.as_deref(), occurrence };
            if let Err(e) = idx.resolve(&sel) {
                let _ = e.to_string();
            }
            let _ = idx.find_all(&exact);
            let _ = idx.closest(&exact);
            let (x, y) = idx.context(a..b, chars);
            let _ = (x.len(), y.len());
            let _ = idx.context(a % (text.len() + 1)..b % (text.len() + 1), chars % 50);
        }
    }
}
