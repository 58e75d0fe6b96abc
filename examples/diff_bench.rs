//! Times the snapshot diff of DESIGN §10 on 1,000 article pairs (issue 12's
//! figure). Each article is 12 paragraphs of ~70 words; each pair has a
//! stealth word change, a rewritten sentence, a removed paragraph and an
//! added correction notice.
//!
//! `cargo run --release --example diff_bench [PAIRS]`

use std::time::Instant;

use marginalia::versions::diff::diff;

/// A small deterministic generator, so every run diffs the same text.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const WORDS: &[&str] = &[
    "officials",
    "said",
    "the",
    "agreement",
    "was",
    "reached",
    "after",
    "months",
    "of",
    "talks",
    "according",
    "to",
    "sources",
    "familiar",
    "with",
    "matter",
    "minister",
    "denied",
    "report",
    "on",
    "Tuesday",
    "while",
    "critics",
    "argued",
    "that",
    "deal",
];

fn paragraph(rng: &mut Lcg) -> String {
    let n = 60 + (rng.next() % 20) as usize;
    (0..n)
        .map(|_| WORDS[(rng.next() as usize) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
        + "."
}

fn main() {
    let pairs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let mut rng = Lcg(42);
    let articles: Vec<(Vec<String>, Vec<String>)> = (0..pairs)
        .map(|_| {
            let old: Vec<String> = (0..12).map(|_| paragraph(&mut rng)).collect();
            let mut new = old.clone();
            new[2] = new[2].replacen("the", "a", 1);
            new[5] = format!("{} Later, the ministry disputed this account.", new[5]);
            new.remove(8);
            new.push("Correction: an earlier version of this article misstated the date.".into());
            (old, new)
        })
        .collect();
    let start = Instant::now();
    let mut words = 0;
    for (old, new) in &articles {
        let d = diff("Title", "Title, updated", old, new).expect("the pair differs");
        words += d.words_removed + d.words_added;
    }
    let elapsed = start.elapsed();
    println!(
        "{pairs} article pairs diffed in {:.1} ms ({:.1} µs a pair; {words} words changed)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / pairs as f64
    );
}
