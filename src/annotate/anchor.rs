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

use super::fold::{BLOCK_SEPARATOR, Folded, fold_str, is_chunk_boundary_before};

mod approx;
mod context;
mod exact;

use context::{MAX_CONTEXT_CHARS, ends_with_lenient, first_chars, last_chars, starts_with_lenient};
use exact::find_overlapping;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::fold::tests::tricky_char;
    use proptest::prelude::*;

    pub(super) const SEP: &str = "\u{1e}";

    pub(super) fn index(text: &str) -> TextIndex {
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
