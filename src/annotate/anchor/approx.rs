//! Approximate matching on folded text, in folded byte offsets: the
//! closest passage to a quote that is not found
//! ([`super::TextIndex::closest`]).

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::anchor::tests::{SEP, index};
    use crate::annotate::anchor::{AnchorError, Selector, TextIndex};
    use crate::annotate::fold::fold_str;
    use proptest::prelude::*;

    /// The last DP row by the textbook recurrence: Sellers' (a passage may
    /// start anywhere) or, anchored, the plain edit distance of each prefix
    /// of `text`.
    fn naive_ends(text: &[char], pat: &[char], anchored: bool) -> Vec<usize> {
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

    fn myers_ends(text: &[char], pat: &[char], anchored: bool) -> Vec<usize> {
        let p = Pattern::new(pat.iter().copied());
        let mut s = State::new(&p, anchored);
        text.iter().map(|&c| s.step(c)).collect()
    }

    fn naive_distance(a: &[char], b: &[char]) -> usize {
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

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            #[test]
            fn myers_matches_dynamic_programming(text in "[abc]{0,150}", pat in "[abc]{1,150}") {
                let t: Vec<char> = text.chars().collect();
                let p: Vec<char> = pat.chars().collect();
                prop_assert_eq!(myers_ends(&t, &p, false), naive_ends(&t, &p, false));
                prop_assert_eq!(myers_ends(&t, &p, true), naive_ends(&t, &p, true));
            }

            #[test]
            fn closest_is_consistent(text in "[ab \u{1e}]{0,80}", quote in "[ab ]{1,20}") {
                let idx = TextIndex::new(text.clone());
                if let Some(c) = idx.closest(&quote) {
                    prop_assert!((0.0..=1.0).contains(&c.similarity));
                    prop_assert!(c.similarity > 0.0);
                    let q: Vec<char> = fold_str(&quote).chars().collect();
                    let t: Vec<char> = fold_str(&text[c.range]).chars().collect();
                    let d = naive_distance(&t, &q);
                    prop_assert!((c.similarity - (1.0 - d as f64 / q.len() as f64)).abs() < 1e-9);
                }
                if !idx.find_all(&quote).is_empty() {
                    prop_assert_eq!(idx.closest(&quote).map(|c| c.similarity), Some(1.0));
                }
            }
    }
}
