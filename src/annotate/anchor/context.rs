//! A selector's prefix and suffix, compared with the text around a
//! candidate: leniently about white space and block separators, and about
//! a context cut inside a combining sequence (step 3 of the resolution
//! the parent module describes).

use unicode_normalization::char::{canonical_combining_class, decompose_canonical};

use super::BLOCK_SEPARATOR;

/// How much of a prefix or suffix is compared: the characters nearest the
/// quote. Checking a context costs its length for every occurrence of the
/// quote, so an unbounded one made a short quote with a long context
/// quadratic (a 50,000-character prefix on a quote occurring 200,000
/// times took half a minute). Real contexts are short (W3C tools cut them
/// at 32 characters); 256 is far more than any needs to pick one place.
pub const MAX_CONTEXT_CHARS: usize = 256;
/// The last `n` chars of `s`.
pub(super) fn last_chars(s: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    match s.char_indices().rev().nth(n - 1) {
        Some((i, _)) => &s[i..],
        None => s,
    }
}

/// The first `n` chars of `s`.
pub(super) fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Lenient "ends with" for a prefix: separators count as white space, runs
/// of white space as one space, and white space at the joint (the end of
/// `before`) is optional. `prefix` is folded, so it has no separators and no
/// leading, trailing or doubled spaces.
///
/// Tools cut a W3C prefix at a fixed length, possibly inside a combining
/// sequence; combining marks at its far end, whose base letter was cut off,
/// are ignored.
pub(super) fn ends_with_lenient(before: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_start_matches(|c| canonical_combining_class(c) != 0);
    matches_lenient(before.chars().rev(), prefix.chars().rev(), false)
}

/// The mirror image of [`ends_with_lenient`] for a suffix. A suffix cut
/// inside a combining sequence ends in a base letter that the article has
/// composed with its accent, so the last char may match the first char of a
/// canonical decomposition.
pub(super) fn starts_with_lenient(after: &str, suffix: &str) -> bool {
    matches_lenient(after.chars(), suffix.chars(), true)
}

pub(super) fn matches_lenient(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::anchor::tests::{SEP, index};
    use crate::annotate::anchor::{AnchorError, Selector, TextIndex};

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
}
