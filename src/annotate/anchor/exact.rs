//! Exact search: every occurrence of a folded quote in the folded text,
//! overlapping ones included, in time linear in the text.

use memchr::memmem;

/// Start offsets of every (possibly overlapping) occurrence of `needle`.
///
/// A plain restart one byte after each match can be O(n·m) on periodic text
/// (`aaaa…`); instead a match is extended along the needle's period, which
/// costs O(period) per further match.
pub(super) fn find_overlapping(hay: &[u8], needle: &[u8]) -> Vec<usize> {
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
pub(super) fn smallest_period(needle: &[u8]) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            #[test]
            fn overlapping_search_matches_naive(hay in "[ab]{0,60}", needle in "[ab]{1,6}") {
                prop_assert_eq!(
                    find_overlapping(hay.as_bytes(), needle.as_bytes()),
                    naive_find(hay.as_bytes(), needle.as_bytes())
                );
            }
    }
}
