//! Text folding for quote matching.
//!
//! Annotators retype quotes; publishers print typographic punctuation. Folding
//! maps both to one form so that a quote can be found with a plain substring
//! search, and keeps a map from every folded byte back to the original text.
//!
//! # Rules (applied in this order)
//!
//! 1. Unicode NFC, applied per *normalization chunk*: a character that cannot
//!    interact with what precedes it (canonical combining class 0 and
//!    `NFC_Quick_Check=Yes`) starts a chunk, and the following characters that
//!    can (combining marks, Hangul vowel jamo…) join it. NFC of a text equals
//!    the concatenation of NFC of its chunks, so each folded character can be
//!    mapped back to the chunk it came from.
//! 2. Soft hyphen and zero-width characters (U+00AD, U+200B, U+200C, U+200D,
//!    U+2060, U+FEFF) are removed. They are transparent: they neither break a
//!    run of white space or dashes nor cause re-composition of their
//!    neighbours (rule 1 has already been applied).
//! 3. Every run of white space (`char::is_whitespace`, which includes NBSP,
//!    U+202F, U+2009, newlines and tabs) becomes one ASCII space. White space
//!    at the start or end of a block (or of the whole text) is dropped.
//! 4. Single quotes ‘ ’ ‚ ‛ ′ and the backtick become `'`; double quotes
//!    “ ” „ ‟ ″ become `"`. « and » are kept as they are.
//! 5. Every run of dashes (ASCII `-`, U+2010 to U+2015 and the minus sign
//!    U+2212) becomes one `-`, so that an annotator's `--` or `---` matches
//!    the en or em dash that smart punctuation printed, and either matches a
//!    plain hyphen.
//! 6. The ellipsis `…` becomes `...`.
//!
//! Letters and case are never changed.
//!
//! # Block separators
//!
//! In an article text ([`Folded::new`]) the block separator
//! [`BLOCK_SEPARATOR`] (U+001E) is kept as it is and ends every run, chunk and
//! piece of white space, so no folded character maps to original text on both
//! sides of a separator. Like white space, separators at the start or end
//! are dropped, and a run of them (blocks with no text between them) folds
//! to one, so that joining blocks with a space ([`Folded::join_blocks`])
//! gives the text as a quote copied across them folds. In a quote, prefix or suffix ([`fold_str`]) a
//! separator counts as white space: such fragments have no block structure,
//! and this guarantees that a folded quote never contains a separator, so a
//! plain substring match can never cross one.
//!
//! # Invariants of [`Folded`]
//!
//! * The folded text is the same string [`fold_str`] produces for the same
//!   input, except that separators are kept (with no white space next to
//!   them).
//! * Every folded byte belongs to exactly one *piece*, which maps to an
//!   original byte range; pieces are in the same order in both texts and do
//!   not overlap. An *identity* piece is a verbatim copy, mapped byte for
//!   byte; any other piece (a changed NFC chunk, a white-space or dash run, a
//!   replaced character) maps as a whole to its original range.
//! * Original ranges returned by [`Folded::original_range`] are on char
//!   boundaries of the original and never contain a separator unless the
//!   folded range does.

use std::ops::Range;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The character that the caller puts between blocks (paragraphs, headings,
/// list items, table cells…) of an article text. A quote never matches across
/// it.
pub const BLOCK_SEPARATOR: char = '\u{1e}';

/// A folded copy of a text plus the map back to byte offsets of the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    text: String,
    /// Sorted by `folded` (and equally by `orig_start`); the first one starts
    /// at folded offset 0 and each one extends to the next one's start.
    pieces: Vec<Piece>,
    original_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    folded: usize,
    orig_start: usize,
    orig_end: usize,
    identity: bool,
}

impl Folded {
    /// Folds an article text, keeping block separators (see the module docs).
    pub fn new(original: &str) -> Folded {
        let mut folder = Folder::new(Mode::Article, original.len());
        folder.run(original);
        Folded {
            text: folder.out,
            pieces: folder.pieces,
            original_len: original.len(),
        }
    }

    /// The folded text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Original byte range covered by folded byte range (start inclusive, end
    /// exclusive), always on char boundaries of the original, expanded to
    /// cover whole original chars (and whole pieces: a changed NFC chunk, a
    /// white-space or dash run, a replaced character).
    ///
    /// Out-of-range or reversed input is clamped rather than rejected. An empty
    /// folded range maps to an empty original range at the corresponding
    /// position.
    pub fn original_range(&self, folded: Range<usize>) -> Range<usize> {
        let len = self.text.len();
        let mut start = folded.start.min(len);
        let mut end = folded.end.min(len).max(start);
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        if start == end {
            let at = self.original_start(start);
            return at..at;
        }
        let orig_start = self.original_start(start);
        // `end > start >= 0`, and `end - 1` is inside the last folded char.
        let last = self.piece_index(end - 1);
        let p = self.pieces[last];
        let orig_end = if p.identity {
            p.orig_start + (end - p.folded)
        } else {
            p.orig_end
        };
        orig_start..orig_end.max(orig_start)
    }

    /// Folded offset where the folding of the original text at or after
    /// `original` begins: the start of the piece that contains that original
    /// byte, or of the next piece if the byte was removed by folding.
    pub fn folded_offset(&self, original: usize) -> usize {
        // First piece whose original range ends after `original`.
        let idx = self.pieces.partition_point(|p| p.orig_end <= original);
        match self.pieces.get(idx) {
            None => self.text.len(),
            Some(p) if p.identity && original >= p.orig_start => {
                let mut at = p.folded + (original - p.orig_start);
                while !self.text.is_char_boundary(at) {
                    at -= 1;
                }
                at
            }
            Some(p) => p.folded,
        }
    }

    /// Original offset where the folded byte at `at` (a char boundary) comes
    /// from; for `at == len` the end of the last piece.
    fn original_start(&self, at: usize) -> usize {
        if self.pieces.is_empty() {
            return 0;
        }
        if at >= self.text.len() {
            return self.pieces.last().map_or(0, |p| p.orig_end);
        }
        let p = self.pieces[self.piece_index(at)];
        if p.identity {
            p.orig_start + (at - p.folded)
        } else {
            p.orig_start
        }
    }

    /// Index of the piece containing folded byte `at` (`at < len`).
    fn piece_index(&self, at: usize) -> usize {
        self.pieces
            .partition_point(|p| p.folded <= at)
            .saturating_sub(1)
    }

    /// Turns the block separators of the folded text into spaces, so that a
    /// quote selected across blocks matches; the map back is unchanged
    /// (both are one byte, and a separator is never next to white space in
    /// the folded text). A separator is one ASCII byte, never part of a
    /// longer UTF-8 sequence, so this is done in place.
    pub fn join_blocks(&mut self) {
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        for b in bytes.iter_mut().filter(|b| **b == 0x1e) {
            *b = b' ';
        }
        self.text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    }

    /// Length in bytes of the original text this was folded from.
    pub fn original_len(&self) -> usize {
        self.original_len
    }
}

/// Folds a quote, prefix or suffix: the same rules as [`Folded::new`], but a
/// block separator counts as white space, and leading and trailing white space
/// is dropped.
pub fn fold_str(s: &str) -> String {
    let mut folder = Folder::new(Mode::Fragment, s.len());
    folder.run(s);
    folder.out
}

/// Whether a normalization chunk may start at `c`: NFC never lets `c` combine
/// with, or reorder around, anything before it.
fn starts_chunk(c: char) -> bool {
    c.is_ascii()
        || (canonical_combining_class(c) == 0
            && is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes)
}

/// Whether folding treats the text before `c` independently of `c` and what
/// follows: cutting a text just before such a char does not change how
/// either side folds (white-space and dash runs aside). Removed chars are no
/// such place, since they vanish before composition.
pub(crate) fn is_chunk_boundary_before(c: char) -> bool {
    starts_chunk(c) && !is_removed(c)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Keep block separators; build the offset map.
    Article,
    /// Separators are white space; no map is needed.
    Fragment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Separator,
    Space,
    Removed,
    Dash,
    /// Replaced by a fixed ASCII string.
    Replace(&'static str),
    Keep,
}

fn classify(c: char, mode: Mode) -> Class {
    match c {
        BLOCK_SEPARATOR if mode == Mode::Article => Class::Separator,
        BLOCK_SEPARATOR => Class::Space,
        'a'..='z' | 'A'..='Z' | '0'..='9' => Class::Keep,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' => Class::Dash,
        c if is_removed(c) => Class::Removed,
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '`' => Class::Replace("'"),
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' => Class::Replace("\""),
        '\u{2026}' => Class::Replace("..."),
        c if c.is_whitespace() => Class::Space,
        _ => Class::Keep,
    }
}

/// Pending white-space run: its original extent, and whether it was exactly
/// one ASCII space copied verbatim (so it can stay an identity piece).
#[derive(Debug, Clone, Copy)]
struct PendingSpace {
    start: usize,
    end: usize,
    verbatim: bool,
}

struct Folder {
    mode: Mode,
    out: String,
    pieces: Vec<Piece>,
    pending_space: Option<PendingSpace>,
    /// The last emitted char was a dash that may absorb further dashes.
    in_dash_run: bool,
    /// Something other than a separator was emitted since the last separator
    /// (or the start), so a white-space run here is not leading.
    in_block: bool,
    nfc_buf: String,
}

impl Folder {
    fn new(mode: Mode, capacity: usize) -> Folder {
        Folder {
            mode,
            out: String::with_capacity(capacity),
            pieces: Vec::new(),
            pending_space: None,
            in_dash_run: false,
            in_block: false,
            nfc_buf: String::new(),
        }
    }

    fn run(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < s.len() {
            // ASCII followed by ASCII (or the end) is a chunk by itself and
            // already in NFC: the common case, kept free of table look-ups.
            let b = bytes[i];
            if b.is_ascii() && bytes.get(i + 1).is_none_or(|n| n.is_ascii()) {
                self.feed(b as char, i..i + 1, true);
                i += 1;
                continue;
            }
            let end = chunk_end(s, i);
            self.feed_chunk(&s[i..end], i);
            i = end;
        }
        self.pending_space = None;
        // Like white space, a separator at the end separates nothing.
        if self.out.ends_with('\u{1e}') {
            self.out.pop();
            if self.mode == Mode::Article {
                self.pieces.pop();
            }
        }
    }

    fn feed_chunk(&mut self, chunk: &str, offset: usize) {
        // No character composes with a preceding dash, so NFC of a chunk
        // that starts with one is the dash followed by NFC of the rest.
        // Fed apart, the dash maps to itself: when it joins a dash run,
        // the run's piece then ends at the dash instead of claiming the
        // marks after it, so a quote that ends at the run does not map back
        // to text ending in those marks.
        if let Some(first) = chunk.chars().next()
            && classify(first, self.mode) == Class::Dash
            && first.len_utf8() < chunk.len()
        {
            let at = first.len_utf8();
            self.feed(first, offset..offset + at, true);
            self.feed_chunk(&chunk[at..], offset + at);
            return;
        }
        // Removed chars are dropped before composing, so that `a`, soft
        // hyphen, combining acute folds like `a` + combining acute.
        let kept = || chunk.chars().filter(|&c| !is_removed(c));
        let needs_nfc = match is_nfc_quick(kept()) {
            IsNormalized::Yes => false,
            _ => {
                self.nfc_buf.clear();
                self.nfc_buf.extend(kept().nfc());
                !self.nfc_buf.chars().eq(kept())
            }
        };
        if needs_nfc {
            // Composition loses the char-to-char correspondence: every output
            // char maps to the whole chunk.
            let buf = std::mem::take(&mut self.nfc_buf);
            let span = offset..offset + chunk.len();
            for c in buf.chars() {
                self.feed(c, span.clone(), false);
            }
            self.nfc_buf = buf;
        } else {
            for (j, c) in chunk.char_indices() {
                let at = offset + j;
                self.feed(c, at..at + c.len_utf8(), true);
            }
        }
    }

    /// Takes one NFC char; `span` is its original range, `exact` whether the
    /// char is a verbatim copy of exactly that range.
    fn feed(&mut self, c: char, span: Range<usize>, exact: bool) {
        match classify(c, self.mode) {
            Class::Removed => {}
            Class::Space => match &mut self.pending_space {
                Some(p) => {
                    p.end = span.end;
                    p.verbatim = false;
                }
                None => {
                    self.pending_space = Some(PendingSpace {
                        start: span.start,
                        end: span.end,
                        verbatim: exact && c == ' ',
                    })
                }
            },
            Class::Separator => {
                self.pending_space = None;
                self.in_dash_run = false;
                if self.out.ends_with('\u{1e}') {
                    // Blocks with no text between them: one separator,
                    // mapping to all of them.
                    if let Some(last) = self.pieces.last_mut() {
                        last.orig_end = span.end;
                    }
                } else if !self.out.is_empty() {
                    self.push("\u{1e}", span, false);
                }
                self.in_block = false;
            }
            Class::Dash => {
                if self.in_dash_run && self.pending_space.is_none() {
                    if let Some(last) = self.pieces.last_mut() {
                        last.orig_end = last.orig_end.max(span.end);
                    }
                    return;
                }
                self.flush_space();
                self.push("-", span, false);
                self.in_dash_run = true;
            }
            Class::Replace(with) => {
                self.flush_space();
                self.push(with, span, false);
            }
            Class::Keep => {
                self.flush_space();
                let mut buf = [0u8; 4];
                self.push(c.encode_utf8(&mut buf), span, exact);
            }
        }
    }

    fn flush_space(&mut self) {
        if let Some(p) = self.pending_space.take()
            && self.in_block
        {
            self.push(" ", p.start..p.end, p.verbatim);
        }
    }

    fn push(&mut self, s: &str, mut span: Range<usize>, identity: bool) {
        let folded = self.out.len();
        self.out.push_str(s);
        if !matches!(s, "-" | "\u{1e}") {
            self.in_dash_run = false;
        }
        if s != "\u{1e}" {
            self.in_block = true;
        }
        if self.mode == Mode::Fragment {
            return;
        }
        if let Some(last) = self.pieces.last_mut() {
            if !identity && span.start < last.orig_end {
                // Several output chars of one changed NFC chunk share its
                // original text, so they form one piece. A white-space run
                // that began inside an earlier chunk only claims the text
                // after it, so that the pieces stay as fine as they can.
                if last.orig_end >= span.end {
                    last.identity = false;
                    return;
                }
                span.start = last.orig_end;
            }
            let extends = if identity {
                // Verbatim copies that are adjacent in both texts form one
                // piece, which keeps the map small for ordinary text.
                last.identity && last.orig_end == span.start
            } else {
                false
            };
            if extends {
                last.orig_end = span.end;
                return;
            }
        }
        self.pieces.push(Piece {
            folded,
            orig_start: span.start,
            orig_end: span.end,
            identity,
        });
    }
}

/// Soft hyphen and zero-width characters, which folding drops.
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
    )
}

/// End of the normalization chunk that starts at byte `start` of `s`.
pub(crate) fn chunk_end(s: &str, start: usize) -> usize {
    let mut chars = s[start..].char_indices();
    let Some((_, first)) = chars.next() else {
        return s.len();
    };
    if first == BLOCK_SEPARATOR {
        // Separators end chunks on both sides so that no piece straddles
        // one; NFC never combines anything with a control character anyway.
        return start + first.len_utf8();
    }
    for (j, c) in chars {
        if is_chunk_boundary_before(c) {
            return start + j;
        }
    }
    s.len()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn f(s: &str) -> String {
        Folded::new(s).as_str().to_owned()
    }

    #[test]
    fn white_space_runs_become_one_space() {
        assert_eq!(fold_str("a \t\n b"), "a b");
        assert_eq!(fold_str("a\u{a0}b\u{202f}c\u{2009}d\u{3000}e"), "a b c d e");
        assert_eq!(fold_str("  lead and trail \n"), "lead and trail");
        assert_eq!(fold_str("a\r\nb"), "a b");
    }

    #[test]
    fn white_space_next_to_separators_is_dropped() {
        assert_eq!(
            f("  one  \u{1e}  two \u{1e}\u{1e} three "),
            "one\u{1e}two\u{1e}three"
        );
        // Separators at either end separate nothing.
        assert_eq!(f("\u{1e} \u{1e}one\u{1e}\u{1e}"), "one");
        let mut joined = Folded::new("a.\u{1e} \u{1e}\u{1e}B");
        joined.join_blocks();
        assert_eq!(joined.as_str(), "a. B");
        assert_eq!(joined.original_range(2..3), 2..6);
        // In fragments a separator is just white space.
        assert_eq!(fold_str("one \u{1e} two"), "one two");
    }

    #[test]
    fn quotes_fold_to_ascii() {
        assert_eq!(fold_str("‘a’ ‚b‛ c′ `d"), "'a' 'b' c' 'd");
        assert_eq!(fold_str("“a” „b‟ c″"), "\"a\" \"b\" c\"");
        assert_eq!(fold_str("don’t"), "don't");
        assert_eq!(fold_str("«a»"), "«a»");
    }

    #[test]
    fn dashes_fold_to_one_hyphen() {
        for d in [
            "\u{2013}", "\u{2014}", "\u{2212}", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2015}",
            "-", "--", "---",
        ] {
            assert_eq!(fold_str(&format!("a{d}b")), "a-b", "{d:?}");
        }
        assert_eq!(fold_str("a - b"), "a - b");
        assert_eq!(fold_str("a \u{2014} b"), "a - b");
        // Marks on a dash of a run stay after the folded dash, but the
        // dashes map back without them.
        assert_eq!(fold_str("a--\u{301}"), "a-\u{301}");
        let folded = Folded::new("a--\u{344}");
        assert_eq!(folded.as_str(), "a-\u{308}\u{301}");
        assert_eq!(folded.original_range(0..2), 0..3);
        assert_eq!(folded.original_range(2..6), 3..5);
        let folded = Folded::new("a\u{2013}\u{212b}");
        assert_eq!(folded.as_str(), "a-\u{c5}");
        assert_eq!(folded.original_range(1..2), 1..4);
    }

    /// What feeding a dash apart from the rest of its chunk relies on.
    #[test]
    fn nothing_composes_with_a_dash() {
        for dash in [
            '-', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}',
        ] {
            assert_eq!(classify(dash, Mode::Fragment), Class::Dash);
            let composing = (0..=0x10ffff_u32)
                .filter_map(char::from_u32)
                .find(|&c| unicode_normalization::char::compose(dash, c).is_some());
            assert_eq!(composing, None, "{dash:?}");
        }
    }

    #[test]
    fn soft_hyphen_and_zero_width_are_removed() {
        assert_eq!(fold_str("co\u{ad}op"), "coop");
        assert_eq!(
            fold_str("a\u{200b}b\u{200c}c\u{200d}d\u{2060}e\u{feff}f"),
            "abcdef"
        );
        // Transparent inside white-space runs.
        assert_eq!(fold_str("a \u{200b} b"), "a b");
    }

    #[test]
    fn ellipsis_becomes_three_dots() {
        assert_eq!(fold_str("wait…"), "wait...");
        assert_eq!(fold_str("wait..."), "wait...");
    }

    #[test]
    fn letters_and_case_are_kept() {
        assert_eq!(fold_str("Straße ÉCOLE école"), "Straße ÉCOLE école");
    }

    #[test]
    fn nfc_composes() {
        assert_eq!(fold_str("e\u{301}cole"), "\u{e9}cole");
        assert_eq!(fold_str("\u{e9}cole"), "\u{e9}cole");
        // Marks out of canonical order are reordered, then composed.
        assert_eq!(fold_str("a\u{301}\u{323}"), "\u{1ea1}\u{301}");
        // A singleton decomposition.
        assert_eq!(fold_str("\u{212b}"), "\u{c5}");
    }

    #[test]
    fn map_back_through_nfc() {
        let text = "caf\u{65}\u{301} au lait";
        let folded = Folded::new(text);
        assert_eq!(folded.as_str(), "caf\u{e9} au lait");
        // The composed é maps back to e + combining acute.
        let e = folded.as_str().find('\u{e9}').unwrap();
        assert_eq!(folded.original_range(e..e + 2), 3..6);
        assert_eq!(folded.original_range(0..5), 0..6);
        assert_eq!(&text[folded.original_range(9..13)], "lait");
    }

    #[test]
    fn map_back_through_replacements() {
        let text = "one\u{2014}two \n\t three\u{2026} \u{201c}q\u{201d}";
        let folded = Folded::new(text);
        assert_eq!(folded.as_str(), "one-two three... \"q\"");
        let s = folded.as_str();
        let r = |a: &str| {
            let at = s.find(a).unwrap();
            &text[folded.original_range(at..at + a.len())]
        };
        assert_eq!(r("-two"), "\u{2014}two");
        assert_eq!(r("two three"), "two \n\t three");
        assert_eq!(r("."), "\u{2026}");
        assert_eq!(r("\"q\""), "\u{201c}q\u{201d}");
    }

    #[test]
    fn pieces_stay_fine_across_changed_chunks() {
        // U+2000 and U+0F73 both change under NFC, and each chunk's white
        // space is part of one run: the run must not drag the quote mark
        // into the Tibetan vowel's piece.
        let text = "\u{2018}\u{2000} \u{f73}aa";
        let folded = Folded::new(text);
        assert_eq!(folded.as_str(), "' \u{f71}\u{f72}aa");
        let vowel = folded.as_str().find('\u{f71}').unwrap();
        let r = folded.original_range(vowel..folded.as_str().len());
        assert_eq!(&text[r], " \u{f73}aa");
    }

    #[test]
    fn original_range_clamps_odd_input() {
        let folded = Folded::new("ab\u{e9}");
        assert_eq!(folded.original_range(4..4), 4..4);
        let (hi, lo) = (9, 1);
        assert_eq!(folded.original_range(hi..lo), 4..4);
        assert_eq!(folded.original_range(0..100), 0..4);
        // Inside a char: widened to the whole char.
        assert_eq!(folded.original_range(3..3), 2..4);
        assert_eq!(folded.original_range(2..3), 2..4);
        let empty = Folded::new("");
        assert_eq!(empty.original_range(0..5), 0..0);
        assert_eq!(empty.folded_offset(3), 0);
    }

    #[test]
    fn folded_offset_inverts_the_map() {
        let text = "a \u{2014}\u{2014}b\u{200b}c";
        let folded = Folded::new(text);
        assert_eq!(folded.as_str(), "a -bc");
        assert_eq!(folded.folded_offset(0), 0);
        assert_eq!(folded.folded_offset(1), 1);
        assert_eq!(folded.folded_offset(5), 2); // second em dash: same run
        assert_eq!(folded.folded_offset(8), 3);
        assert_eq!(folded.folded_offset(9), 4); // removed ZWSP: next piece
        assert_eq!(folded.folded_offset(100), 5);
    }

    /// Characters that exercise every rule, plus letters around them.
    pub(crate) fn tricky_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::char::range('a', 'e'),
            1 => Just(' '),
            1 => prop::sample::select(vec![
                '\u{1e}', '\n', '\t', '\u{a0}', '\u{202f}', '\u{2009}', '\u{2000}', '\u{3000}',
                '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}', '\u{2032}', '`', '\'', '"',
                '\u{201c}', '\u{201d}', '\u{201e}', '\u{201f}', '\u{2033}', '«', '»',
                '-', '\u{2013}', '\u{2014}', '\u{2212}', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2015}',
                '\u{ad}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}',
                '\u{2026}', '.', 'é', 'Å', '\u{212b}', '\u{301}', '\u{323}', '\u{308}', '\u{344}',
                '\u{1100}', '\u{1161}', '\u{11a8}', '\u{ac00}', '\u{f73}', '\u{f71}', '\u{f72}',
                '\u{b47}', '\u{b3e}', '\u{1fef}', 'q', 'ﬁ', '😀',
            ]),
            1 => any::<char>(),
        ]
    }

    pub(crate) fn tricky_string(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(tricky_char(), 0..max).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn chunked_nfc_equals_nfc(s in tricky_string(40)) {
            let mut chunked = String::new();
            let mut i = 0;
            while i < s.len() {
                let end = chunk_end(&s, i);
                chunked.extend(s[i..end].nfc());
                i = end;
            }
            let whole: String = s.nfc().collect();
            prop_assert_eq!(chunked, whole);
        }

        #[test]
        fn article_and_fragment_folding_agree(s in tricky_string(40)) {
            let article = f(&s).replace('\u{1e}', " ");
            // Separators keep their neighbours' white space apart in the
            // article; collapsing again gives the fragment folding.
            let collapsed = article.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
            prop_assert_eq!(collapsed, fold_str(&s));
        }

        #[test]
        fn folding_is_idempotent(s in tricky_string(40)) {
            let once = fold_str(&s);
            prop_assert_eq!(fold_str(&once), once.clone());
        }

        #[test]
        fn map_is_monotone_and_on_char_boundaries(s in tricky_string(40), a in 0usize..200, b in 0usize..200) {
            let folded = Folded::new(&s);
            let r = folded.original_range(a.min(b)..a.max(b));
            prop_assert!(r.start <= r.end && r.end <= s.len());
            prop_assert!(s.is_char_boundary(r.start) && s.is_char_boundary(r.end));
            let whole = folded.original_range(0..folded.as_str().len());
            prop_assert!(whole.start <= r.start && r.end <= whole.end);
            let mut prev = 0;
            for p in &folded.pieces {
                prop_assert!(p.orig_start >= prev && p.orig_start < p.orig_end);
                prev = p.orig_end;
            }
        }

        #[test]
        fn ranges_never_gain_a_separator(s in tricky_string(40), a in 0usize..100, b in 0usize..100) {
            let folded = Folded::new(&s);
            let fs = folded.as_str();
            let (mut a, mut b) = (a.min(b).min(fs.len()), a.max(b).min(fs.len()));
            while !fs.is_char_boundary(a) { a -= 1; }
            while !fs.is_char_boundary(b) { b += 1; }
            let r = folded.original_range(a..b);
            prop_assert_eq!(fs[a..b].contains('\u{1e}'), s[r.clone()].contains('\u{1e}'), "{:?} {:?}", a..b, r);
        }

        #[test]
        fn no_panic_on_any_input(s in any::<String>(), a in any::<usize>(), b in any::<usize>()) {
            let folded = Folded::new(&s);
            let _ = folded.original_range(a..b);
            let _ = folded.folded_offset(a);
            let _ = fold_str(&s);
        }
    }
}
