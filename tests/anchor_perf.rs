//! Size and speed of quote anchoring on article-sized input.
//!
//! The functional test runs with the suite. The measurement is ignored by
//! default (timings mean little in a debug build or on a loaded CI box):
//! `cargo test --release --test main -- --ignored --nocapture anchor_perf::`.

use std::time::{Duration, Instant};

use marginalia::annotate::anchor::{AnchorError, Selector, TextIndex};

const WORDS: &[&str] = &[
    "the",
    "archive",
    "of",
    "letters",
    "was",
    "kept",
    "in",
    "a",
    "cedar",
    "box",
    "that",
    "nobody",
    "opened",
    "for",
    "years",
    "until",
    "winter",
    "\u{2014}",
    "when",
    "she",
    "said",
    "\u{201c}enough",
    "already\u{201d}",
    "and",
    "read",
    "them",
    "all",
    "aloud",
    "caf\u{e9}",
    "don\u{2019}t",
    "river",
    "lantern",
    "quietly",
    "because",
    "summer\u{2026}",
    "harbour",
    "pages",
    "12\u{2013}14",
];

/// A deterministic pseudo-random article of about `chars` chars, in blocks
/// of about `block` chars.
fn article(chars: usize, block: usize, seed: u64) -> String {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut text = String::new();
    let mut count = 0;
    let mut in_block = 0;
    while count < chars {
        let w = WORDS[next() % WORDS.len()];
        if in_block > 0 {
            let sep = if in_block > block { "\u{1e}" } else { " " };
            if sep != " " {
                in_block = 0;
            }
            text.push_str(sep);
            count += 1;
        }
        text.push_str(w);
        let n = w.chars().count();
        count += n;
        in_block += n + 1;
    }
    text
}

/// A passage of about `chars` chars from the middle of one block.
fn passage(text: &str, chars: usize) -> &str {
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid -= 1;
    }
    let block_start = text[..mid].rfind('\u{1e}').map_or(0, |i| i + 1);
    let start = text[block_start..]
        .char_indices()
        .find(|&(_, c)| c == ' ')
        .map_or(block_start, |(i, _)| block_start + i + 1);
    let end = text[start..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| start + i);
    let end = text[..end].rfind(' ').unwrap_or(end);
    &text[start..end]
}

/// Typed on a plain keyboard, with one word replaced in the middle.
fn drifted(p: &str) -> String {
    let typed = p
        .replace('\u{2014}', "--")
        .replace(['\u{201c}', '\u{201d}'], "\"")
        .replace('\u{2019}', "'")
        .replace('\u{2026}', "...");
    let words: Vec<&str> = typed.split(' ').collect();
    let mid = words.len() / 2;
    words
        .iter()
        .enumerate()
        .map(|(i, w)| if i == mid { "marmalade" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_long_drifted_quote_finds_its_passage() {
    let text = article(50_000, 600, 7);
    let p = passage(&text, 300).to_owned();
    let idx = TextIndex::new(text.clone());
    assert!(idx.find_all(&p).iter().any(|r| text[r.clone()] == p));
    // Retyped, with a word changed by the publisher.
    let err = idx.resolve(&Selector::exact(&drifted(&p))).unwrap_err();
    let AnchorError::NotFound { closest: Some(c) } = err else {
        panic!("{err:?}");
    };
    assert_eq!(&text[c.range.clone()], p);
    assert!(c.similarity > 0.95, "{}", c.similarity);
    assert!(c.unambiguous);
}

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = f();
    let start = Instant::now();
    for _ in 0..runs {
        out = f();
    }
    (start.elapsed() / runs, out)
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn measure() {
    for &(chars, quote_chars) in &[
        (50_000, 300),
        (50_000, 2_000),
        (50_000, 8_192),
        (1_000_000, 300),
        (5_000_000, 300),
    ] {
        let text = article(chars, (2 * quote_chars).max(600), 11);
        let p = passage(&text, quote_chars).to_owned();
        let q = drifted(&p);
        let (build, idx) = time(5, || TextIndex::new(text.clone()));
        let (exact, r) = time(20, || idx.resolve(&Selector::exact(&p)));
        let ambiguous = matches!(r, Err(AnchorError::Ambiguous { .. }));
        assert!(r.is_ok() || ambiguous, "{r:?}");
        let (closest, c) = time(3, || idx.closest(&q));
        let c = c.expect("a candidate");
        let (miss, _) = time(3, || idx.resolve(&Selector::exact(&q)));
        println!(
            "article {chars:>9} chars ({:>9} bytes), quote {:>5} chars: index {:>9.3?}, \
             exact resolve {:>9.3?}, closest {:>9.3?} (similarity {:.3}, unambiguous {}), \
             not-found resolve {:>9.3?}",
            text.len(),
            q.chars().count(),
            build,
            exact,
            closest,
            c.similarity,
            c.unambiguous,
            miss,
        );
    }
}
