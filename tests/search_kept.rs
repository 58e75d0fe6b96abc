//! The search index the build cache keeps outside the output (issue 13,
//! item 2): a build into a fresh folder takes it instead of indexing every
//! document again, and writes the very search files a `--clean` build
//! writes; a damaged or missing kept index, or `--clean`, means the index
//! is made again. Also: notes changed since noted are searchable (DESIGN
//! §10 drops none), their hit leading to the note's aside.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::{self, TestSite};
use crate::perf_cache::{assert_out_like_clean, build, site};
use marginalia::render::search::POSTINGS_MAX;

/// What the build summary says when the kept index was used.
const KEPT: &str = "the search index from the build cache";

/// A fresh output folder outside the site.
fn fresh() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    (dir, out)
}

fn build_into(s: &TestSite, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--output", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    build(s, &args)
}

/// The kept index's folder and its shard files (every file but the
/// index's own).
fn kept_dir(s: &TestSite) -> PathBuf {
    s.root().join(".marginalia/search")
}

fn kept_shards(s: &TestSite) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(kept_dir(s))
        .expect("a kept search index")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "index.bin"))
        .collect();
    v.sort();
    v
}

/// The shard files of an output folder.
fn output_shards(out: &Path) -> Vec<PathBuf> {
    common::walk(&out.join("search-index/t"))
}

#[test]
fn a_fresh_folder_build_takes_the_kept_index_and_writes_what_a_clean_build_writes() {
    let s = site();
    let first = build(&s, &[]);
    assert!(
        !first.contains(KEPT),
        "a first build makes the index: {first}"
    );
    // Kept as hard links to the output's shards: no bytes of their own.
    let shards = output_shards(&s.root().join("output"));
    assert!(shards.len() > 3, "{shards:?}");
    assert_eq!(kept_shards(&s).len(), shards.len());
    for f in &shards {
        assert_eq!(
            std::fs::metadata(f).unwrap().nlink(),
            2,
            "{f:?} is linked from the cache"
        );
    }
    let (_dir, out) = fresh();
    let said = build_into(&s, &out, &[]);
    assert!(said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out);
}

#[test]
fn after_an_edit_a_fresh_folder_build_updates_the_kept_index() {
    let s = site();
    build(&s, &[]);
    // New words in one article and one sidecar, the order unchanged.
    s.file(
        "content/articles/a2.md",
        "---\ntitle: Article 2\ndate: 2021-02-03\nsource: gazette\ntags: [t2]\n---\nThe council voted on item 2 today, and the harbourmaster objected.\n",
    )
    .file(
        "content/articles/a1.annotations.yaml",
        "- quote: \"voted on item 1\"\n  note: The quartermaster disagreed.\n",
    );
    let (_dir, out) = fresh();
    let said = build_into(&s, &out, &[]);
    assert!(said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out);
    let shard = std::fs::read_to_string(out.join("search-index/t/6861.json")).unwrap();
    assert!(shard.contains("\"harbourmaster\""), "{shard}");

    // Now a date moves an article in the order: every number after it
    // changes, so the index is made again, and is still right.
    s.file(
        "content/articles/a0.md",
        "---\ntitle: Article 0\ndate: 2021-03-09\nsource: gazette\ntags: [t0]\n---\nThe council voted on item 0 today.\n",
    );
    let (_dir2, out2) = fresh();
    let said = build_into(&s, &out2, &[]);
    assert!(!said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out2);
}

/// Articles titled by their leading heading: their order is known only
/// once they are rendered, so phase one cannot see an edit reorder them.
fn headed() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Headed\nbase_url: https://headed.example/\n",
    );
    for i in 0..6 {
        s.file(
            &format!("content/articles/h{i}.md"),
            &format!("---\ndate: 2022-01-01\n---\n# Heading {i}\n\nThe ferry ran {i} times.\n"),
        )
        .file(
            &format!("content/articles/h{i}.annotations.yaml"),
            "- quote: ferry ran\n  note: Which ferry?\n",
        );
    }
    s
}

#[test]
fn an_edit_that_reorders_the_documents_after_phase_one_makes_the_index_again() {
    let s = headed();
    build(&s, &[]);
    // Heading 0 becomes the last title: the documents' final order is no
    // longer the kept index's, though phase one's is.
    s.file(
        "content/articles/h0.md",
        "---\ndate: 2022-01-01\n---\n# Zebra crossing\n\nThe ferry ran 0 times, said the zebra.\n",
    );
    let (_dir, out) = fresh();
    let said = build_into(&s, &out, &[]);
    assert!(!said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out);
    // And the next fresh folder takes the index that build kept.
    let (_dir2, out2) = fresh();
    let said = build_into(&s, &out2, &[]);
    assert!(said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out2);
}

/// Past [`POSTINGS_MAX`] articles with "harbour" once, twice or three
/// times: the term keeps only its heaviest postings.
fn common_term() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Common\nbase_url: https://common.example/\n",
    );
    for i in 0..POSTINGS_MAX + 10 {
        let day = 1 + i % 9;
        let body = "harbour ".repeat(1 + i % 3);
        s.file(
            &format!("content/articles/a{i:03}.md"),
            &format!("---\ntitle: \"Title {i}\"\ndate: 2022-01-{day:02}\n---\n{body}\n"),
        );
    }
    s
}

#[test]
fn an_edit_the_kept_postings_cannot_follow_makes_the_index_again() {
    let s = common_term();
    build(&s, &[]);
    // One of the heaviest postings of "harbour" goes: the one that would
    // take its place was never kept, so the kept index cannot be updated,
    // and the index is made again from every document's postings (the
    // kept documents read back).
    s.file(
        "content/articles/a002.md",
        "---\ntitle: \"Title 2\"\ndate: 2022-01-03\n---\nquay\n",
    );
    let (_dir, out) = fresh();
    let said = build_into(&s, &out, &[]);
    assert!(!said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out);
    // Another gets lighter but still ranks above the last one kept:
    // updated.
    s.file(
        "content/articles/a209.md",
        "---\ntitle: \"Title 209\"\ndate: 2022-01-03\n---\nharbour quay\n",
    );
    let (_dir2, out2) = fresh();
    let said = build_into(&s, &out2, &[]);
    assert!(said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out2);
}

/// Something done to the kept index.
type Damage = Box<dyn Fn(&TestSite)>;

#[test]
fn a_damaged_or_missing_kept_index_is_made_again() {
    let s = site();
    build(&s, &[]);
    // Each damage, then a fresh folder: the index is made again (and kept
    // again, whole), and the search files are a clean build's.
    let damages: Vec<(&str, Damage)> = vec![
        (
            "a shard's bytes changed (its name kept)",
            Box::new(|s| {
                let f = &kept_shards(s)[0];
                let mut bytes = std::fs::read(f).unwrap();
                bytes[2] ^= 1;
                // Not through the link: the output keeps its file.
                std::fs::remove_file(f).unwrap();
                std::fs::write(f, bytes).unwrap();
            }),
        ),
        (
            "a shard missing",
            Box::new(|s| std::fs::remove_file(&kept_shards(s)[1]).unwrap()),
        ),
        (
            "the index cut short",
            Box::new(|s| {
                let f = kept_dir(s).join("index.bin");
                let bytes = std::fs::read(&f).unwrap();
                std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
            }),
        ),
        (
            "the index with one byte changed",
            Box::new(|s| {
                let f = kept_dir(s).join("index.bin");
                let mut bytes = std::fs::read(&f).unwrap();
                let at = bytes.len() - 3;
                bytes[at] ^= 0x40;
                std::fs::write(&f, bytes).unwrap();
            }),
        ),
        (
            "the folder gone",
            Box::new(|s| std::fs::remove_dir_all(kept_dir(s)).unwrap()),
        ),
    ];
    for (what, damage) in damages {
        damage(&s);
        let (_dir, out) = fresh();
        let said = build_into(&s, &out, &[]);
        assert!(!said.contains(KEPT), "{what}: {said}");
        assert_out_like_clean(&s, &out);
        // Kept again, whole: the next fresh folder takes it.
        let (_dir2, out2) = fresh();
        let said = build_into(&s, &out2, &[]);
        assert!(said.contains(KEPT), "{what}, then: {said}");
        assert_out_like_clean(&s, &out2);
    }
}

#[test]
fn clean_ignores_the_kept_index() {
    let s = site();
    build(&s, &[]);
    let (_dir, out) = fresh();
    let said = build_into(&s, &out, &["--clean"]);
    assert!(!said.contains(KEPT), "{said}");
    assert_out_like_clean(&s, &out);
}

/// An article whose only note was written on its first snapshot, on words
/// a stealth edit since replaced (so the note is changed since noted), and
/// whose note alone says "zanzibar".
fn changed_note_site() -> TestSite {
    let s = TestSite::new();
    let front = |archived: &str| {
        format!(
            "---\ntitle: Budget\ndate: 2021-05-03\noriginal_url: https://gazette.example/budget\narchived: {archived}\n---\n"
        )
    };
    s.file(
        "site.yaml",
        "title: Changed notes\nbase_url: https://example.org/\n",
    )
    .file(
        "content/news/budget/versions/2021-05-04.md",
        &format!(
            "{}The council cut the library budget by 10 percent.\n",
            front("2021-05-04T09:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/index.md",
        &format!(
            "{}The council cut the library budget by 12 percent.\n",
            front("2021-05-07T10:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/index.annotations.yaml",
        "- quote: \"10 percent\"\n  note: As low as zanzibar's cut.\n  version: 2021-05-04\n  id: first-figure\n",
    )
    .file(
        "content/news/other.md",
        "---\ntitle: Other\ndate: 2021-04-01\n---\nThe watchdog counted again.\n",
    )
    .file(
        "content/news/other.annotations.yaml",
        "- quote: counted again\n  note: Its second count.\n  id: again\n",
    );
    s
}

#[test]
fn a_note_changed_since_noted_is_found_and_its_hit_leads_to_its_aside() {
    let s = changed_note_site();
    s.build().assert_ok();
    let json = |rel: &str| -> serde_json::Value {
        serde_json::from_str(&s.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    // "zanzibar" is in shard "za" (7a61): [df, doc, slot, weight].
    let entry = json("search-index/t/7a61.json")["zanzibar"].clone();
    let entry: Vec<u64> = entry
        .as_array()
        .unwrap_or_else(|| panic!("zanzibar is indexed: {entry}"))
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(entry[0], 1, "{entry:?}");
    let (doc, slot) = (entry[1], entry[2]);
    let fragment = json(&format!("search-index/d/{doc}.json"));
    assert_eq!(fragment["title"], "Budget");
    // Slot k ≥ 1 is note k - 1 of the result's notes, in the head and the
    // fragment alike; the search box links it to `#note-<id>`.
    let notes = fragment["notes"].as_array().unwrap();
    let note = &notes[slot as usize - 1];
    assert_eq!(note[0], "first-figure");
    assert!(note[1].as_str().unwrap().contains("zanzibar"), "{note}");
    let group = doc as usize / 16;
    let heads = json(&format!("search-index/h/{group}.json"));
    let head = &heads[doc as usize % 16];
    assert_eq!(head[4][slot as usize - 1], "first-figure", "{head}");
    // The aside the link goes to, shown as changed since noted.
    let page = s.read("news/budget/index.html");
    let aside = page
        .split("id=\"note-first-figure\"")
        .nth(1)
        .expect("the changed note's aside");
    assert!(aside.contains("data-state=\"changed\""), "{aside}");
    // The manifest counts it as an item.
    let manifest = json("search-index.json");
    // Two articles, two notes, one earlier snapshot.
    assert_eq!(manifest["items"], 5, "{manifest}");
}
