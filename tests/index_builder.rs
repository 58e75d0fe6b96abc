//! The search index a full build makes while it renders the documents
//! (issue 13, memory at scale: no document's terms are held to the end
//! of the build) is the index made at the end from every document's
//! terms, byte for byte: checked through a real `build --clean` of an
//! archive where many postings tie at a common term's cut-off, and the
//! builder alone under another numbering of the documents.

use crate::common::TestSite;
use marginalia::render::search::{Index, IndexBuilder, POSTINGS_MAX, shard_path};

/// Past [`POSTINGS_MAX`] documents sharing terms of equal weight, so
/// which postings a term keeps depends on the documents' order.
const ARTICLES: usize = POSTINGS_MAX + 60;

/// [`ARTICLES`] articles, several on each date (so titles order them),
/// every fifth titled by its leading heading rather than its front matter,
/// every fourth with a note.
fn archive() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Index builder\nbase_url: https://example.org/\n",
    );
    for i in 0..ARTICLES {
        // Titles in an order unlike the files': 7 × i modulo a prime.
        let n = (i * 7) % 263;
        let day = 1 + i % 9;
        let repeats = 1 + i % 3;
        let body = "harbour ferry council ".repeat(repeats);
        let text = if i % 5 == 0 {
            format!("---\ndate: 2022-01-{day:02}\n---\n# Heading {n} of the *harbour*\n\n{body}\n")
        } else {
            format!("---\ntitle: \"Title {n}\"\ndate: 2022-01-{day:02}\n---\n{body}\n")
        };
        s.file(&format!("content/articles/a{i:03}.md"), &text);
        if i % 4 == 0 {
            s.file(
                &format!("content/articles/a{i:03}.annotations.yaml"),
                "- quote: harbour ferry\n  occurrence: 1\n  note: Which harbour and which ferry?\n",
            );
        }
    }
    s
}

/// Every shard of `index`, as its file would hold it.
fn shards(index: &Index) -> Vec<(String, Vec<u8>)> {
    index
        .keys()
        .map(|k| (k.to_string(), index.shard(k).expect("a made shard")))
        .collect()
}

#[test]
fn a_full_build_writes_the_index_made_from_every_documents_terms() {
    let s = archive();
    s.run(&["build", "--clean"]).assert_ok();
    let site = crate::common::load_site(&s);
    let index = Index::new(&site);
    let expected = shards(&index);
    assert!(expected.len() > 3, "{expected:?}");
    // The common terms are in every document: they keep their cap.
    let ha: serde_json::Value = serde_json::from_slice(&index.shard("ha").unwrap()).expect("json");
    assert_eq!(
        ha["harbour"].as_array().map(Vec::len),
        Some(1 + 3 * POSTINGS_MAX)
    );
    for (key, bytes) in &expected {
        let written = std::fs::read(s.out(&shard_path(key))).expect("shard written");
        assert!(written == *bytes, "shard {key} differs");
    }
    let written: serde_json::Value =
        serde_json::from_str(&s.read("search-index.json")).expect("manifest");
    assert_eq!(written, {
        let m: serde_json::Value = serde_json::from_slice(&index.manifest(&site)).unwrap();
        m
    });
}

#[test]
fn documents_added_under_other_numbers_or_at_the_end_give_the_same_index() {
    let s = archive();
    let site = crate::common::load_site(&s);
    let expected = shards(&Index::new(&site));
    // Every other document added first, numbered 3i + 2 (an order-keeping
    // numbering), from the last to the first; the rest left to `finish`.
    let builder = IndexBuilder::new();
    for (i, d) in site.documents.iter().enumerate().rev() {
        if i % 2 == 0 {
            builder.add(3 * i + 2, d);
        }
    }
    let index = builder
        .finish(&site, |n| (n - 2) / 3, |_| None)
        .expect("a plain builder reads no kept document");
    assert_eq!(shards(&index), expected);
    assert_eq!(index.kept(), Index::new(&site).kept());
}
