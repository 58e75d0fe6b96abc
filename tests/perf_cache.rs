//! The persistent build cache (issue 13, DESIGN §6): a build with nothing
//! changed is skipped, and whatever happened to the cache or the output,
//! the output is byte for byte what a `--clean` build writes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{self, TestSite};

pub(crate) fn site() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Cache\nbase_url: https://cache.example.net/\n",
    )
    .file(
        "content/sources.yaml",
        "gazette:\n  name: The Gazette\n  kind: publication\n",
    );
    for i in 0..4 {
        s.file(
            &format!("content/articles/a{i}.md"),
            &format!(
                "---\ntitle: Article {i}\ndate: 2021-02-0{}\nsource: gazette\ntags: [t{i}]\n---\nThe council voted on item {i} today.\n\n```rust\nfn main() {{ println!(\"{i}\"); }}\n```\n",
                i + 1
            ),
        )
        .file(
            &format!("content/articles/a{i}.annotations.yaml"),
            &format!("- quote: \"voted on item {i}\"\n  note: Checked against the minutes.\n"),
        );
    }
    s
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Builds with the cache; returns stdout.
pub(crate) fn build(s: &TestSite, extra: &[&str]) -> String {
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    let r = s.run(&args);
    r.assert_ok();
    r.stdout.clone()
}

/// Asserts that output/ is what a clean build of the site writes now.
#[track_caller]
pub(crate) fn assert_like_clean(s: &TestSite) {
    assert_out_like_clean(s, &s.root().join("output"));
}

/// Asserts that `out` holds, byte for byte, what a clean build of the
/// site writes now.
#[track_caller]
pub(crate) fn assert_out_like_clean(s: &TestSite, out_dir: &Path) {
    // A copy of the site without its output, what builds keep beside it
    // (spare, sums) and cache, built --clean: a build into a fresh folder
    // that reads no cache (and leaves the site's own alone).
    let clean = tempfile::tempdir().unwrap();
    let copy = clean.path().join("site");
    for f in common::walk(s.root()) {
        let rel = f.strip_prefix(s.root()).unwrap();
        let beside_output = rel
            .to_str()
            .is_some_and(|r| r.starts_with(".output.marginalia-"));
        if rel.starts_with("output") || rel.starts_with(".marginalia") || beside_output {
            continue;
        }
        std::fs::create_dir_all(copy.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&f, copy.join(rel)).unwrap();
    }
    let out = copy.join("output");
    let r = common::bin()
        .args(["build", "--clean"])
        .current_dir(&copy)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let (got, want) = (tree(out_dir), tree(&out));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (k, v) in &want {
        assert!(got[k] == *v, "{k} differs from a clean build");
    }
}

const SKIPPED: &str = "nothing changed since the last build";

#[test]
fn a_build_with_nothing_changed_is_skipped_and_the_output_stays_right() {
    let s = site();
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert!(s.root().join(".marginalia/build.json").is_file());
    let before = tree(&s.root().join("output"));
    assert!(build(&s, &[]).contains(SKIPPED));
    assert_eq!(tree(&s.root().join("output")), before);
    // --clean builds anyway.
    assert!(!build(&s, &["--clean"]).contains(SKIPPED));
    assert!(build(&s, &[]).contains(SKIPPED));
    assert_like_clean(&s);
}

#[test]
fn an_edited_article_or_sidecar_rebuilds_to_what_a_clean_build_writes() {
    let s = site();
    build(&s, &[]);
    s.file(
        "content/articles/a2.md",
        "---\ntitle: Article 2, revised\ndate: 2021-02-03\nsource: gazette\n---\nThe council voted on item 2 again.\n",
    );
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert!(
        s.read("articles/a2/index.html")
            .contains("Article 2, revised")
    );
    assert_like_clean(&s);

    build(&s, &[]);
    s.file(
        "content/articles/a1.annotations.yaml",
        "- quote: \"voted on item 1\"\n  note: A second look.\n- quote: \"council\"\n  note: Which council?\n",
    );
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert!(s.read("articles/a1/index.html").contains("Which council?"));
    assert_like_clean(&s);

    // A template of the site's own, and site.yaml, count as inputs too.
    build(&s, &[]);
    s.file(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block content %}Lost.{% endblock content %}",
    );
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert!(s.read("404.html").contains("Lost."));
    s.file(
        "site.yaml",
        "title: Cache two\nbase_url: https://cache.example.net/\n",
    );
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert!(s.read("index.html").contains("Cache two"));
    assert_like_clean(&s);
}

#[test]
fn a_corrupt_missing_or_foreign_cache_means_a_full_build() {
    let s = site();
    build(&s, &[]);
    let record = s.root().join(".marginalia/build.json");
    for bad in ["", "{not json", "{\"format\": 999}", "[]"] {
        std::fs::write(&record, bad).unwrap();
        assert!(
            !build(&s, &[]).contains(SKIPPED),
            "cache {bad:?} was trusted"
        );
        assert_like_clean(&s);
    }
    // A record of another binary.
    build(&s, &[]);
    let text = std::fs::read_to_string(&record).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let binary = v["binary"].as_str().unwrap().to_string();
    std::fs::write(&record, text.replace(&binary, &"0".repeat(binary.len()))).unwrap();
    assert!(!build(&s, &[]).contains(SKIPPED));
    std::fs::remove_dir_all(s.root().join(".marginalia")).unwrap();
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert!(build(&s, &[]).contains(SKIPPED));
}

#[test]
fn an_output_that_no_longer_matches_the_cache_is_rebuilt() {
    let s = site();
    build(&s, &[]);
    let page = s.out("articles/a0/index.html");
    let good = std::fs::read(&page).unwrap();

    std::fs::write(&page, b"hand edited").unwrap();
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert_eq!(std::fs::read(&page).unwrap(), good);

    std::fs::remove_file(&page).unwrap();
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert_eq!(std::fs::read(&page).unwrap(), good);

    std::fs::write(s.out("stray.html"), b"not ours").unwrap();
    assert!(!build(&s, &[]).contains(SKIPPED));
    assert!(!s.exists("stray.html"));
    assert_like_clean(&s);
}

#[test]
fn other_options_or_limits_mean_a_full_build() {
    let s = site();
    build(&s, &[]);
    assert!(!build(&s, &["--base-url", "https://other.example/"]).contains(SKIPPED));
    assert!(s.read("index.html").contains("https://other.example/"));
    assert!(!build(&s, &[]).contains(SKIPPED));
    let r = common::bin()
        .args(["build"])
        .env("MARGINALIA_SITEMAP_MAX_URLS", "3")
        .current_dir(s.root())
        .output()
        .unwrap();
    assert!(r.status.success());
    assert!(!String::from_utf8_lossy(&r.stdout).contains(SKIPPED));
    assert!(s.exists("sitemap-1.xml"));
}

#[test]
fn a_build_with_warnings_is_never_skipped() {
    let s = site();
    // No base_url: a warning on every build.
    s.file("site.yaml", "title: Cache\n");
    let r = s.run(&["build"]);
    r.assert_ok();
    assert!(r.stderr.contains("base_url"), "{}", r.stderr);
    let r = s.run(&["build"]);
    r.assert_ok();
    assert!(!r.stdout.contains(SKIPPED));
    assert!(r.stderr.contains("base_url"), "the warning is shown again");
}

const REUSED: &str = "unchanged files reused";

/// The inode of an output file: a reused file keeps the previous one.
fn inode(s: &TestSite, path: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(s.out(path)).unwrap().ino()
}

#[test]
fn an_incremental_build_reuses_what_did_not_change_and_writes_what_a_clean_build_writes() {
    let s = site();
    build(&s, &[]);
    let untouched = inode(&s, "articles/a0/index.html");

    // The body of one article: its page is written again, the others'
    // pages are the previous build's files.
    s.file(
        "content/articles/a2.md",
        "---\ntitle: Article 2\ndate: 2021-02-03\nsource: gazette\ntags: [t2]\n---\nThe council voted on item 2 today, and again.\n\n```rust\nfn main() { println!(\"2\"); }\n```\n",
    );
    let said = build(&s, &[]);
    assert!(said.contains(REUSED), "{said}");
    assert!(s.read("articles/a2/index.html").contains("and again"));
    assert_eq!(inode(&s, "articles/a0/index.html"), untouched);
    assert_like_clean(&s);

    // A sidecar: a note more (the annotation pages and the claims, search
    // and counts that follow), then one note fewer.
    s.file(
        "content/articles/a0.annotations.yaml",
        "- quote: \"voted on item 0\"\n  note: Checked against the minutes.\n- quote: \"council\"\n  note: Which council?\n  rating: false\n",
    );
    assert!(build(&s, &[]).contains(REUSED));
    assert!(s.read("articles/a0/index.html").contains("Which council?"));
    assert_like_clean(&s);
    s.file("content/articles/a3.annotations.yaml", "[]\n");
    build(&s, &[]);
    assert_like_clean(&s);

    // A title: the neighbours' pages and the listings show it.
    s.file(
        "content/articles/a1.md",
        "---\ntitle: Article 1, renamed\ndate: 2021-02-02\nsource: gazette\ntags: [t1, t0]\n---\nThe council voted on item 1 today.\n",
    );
    assert!(build(&s, &[]).contains(REUSED));
    assert_like_clean(&s);

    // Anything else is a full build, and still the right site.
    s.file(
        "content/sources.yaml",
        "gazette:\n  name: The Daily Gazette\n  kind: publication\n",
    );
    assert!(!build(&s, &[]).contains(REUSED));
    assert!(
        s.read("articles/a0/index.html")
            .contains("The Daily Gazette")
    );
    assert_like_clean(&s);
    s.file(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block content %}Gone.{% endblock content %}",
    );
    assert!(!build(&s, &[]).contains(REUSED));
    assert_like_clean(&s);
    s.file(
        "site.yaml",
        "title: Cache three\nbase_url: https://cache.example.net/\n",
    );
    assert!(!build(&s, &[]).contains(REUSED));
    assert_like_clean(&s);
    // And the build after a full one reuses again.
    s.file(
        "content/articles/a3.annotations.yaml",
        "- quote: \"voted on item 3\"\n  note: Back again.\n",
    );
    assert!(build(&s, &[]).contains(REUSED));
    assert_like_clean(&s);
}

#[test]
fn a_corrupt_or_missing_reuse_state_means_a_full_build() {
    let s = site();
    build(&s, &[]);
    let state = s.root().join(".marginalia/state.bin");
    let good = std::fs::read(&state).unwrap();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x20;
    let edits = ["One.", "Two.", "Three."];
    for (bad, edit) in [Vec::new(), flipped, good[..mid].to_vec()]
        .into_iter()
        .zip(edits)
    {
        std::fs::write(&state, &bad).unwrap();
        s.file(
            "content/articles/a1.md",
            &format!(
                "---\ntitle: Article 1\ndate: 2021-02-02\nsource: gazette\n---\nThe council voted on item 1 today. {edit}\n"
            ),
        );
        let said = build(&s, &[]);
        assert!(!said.contains(REUSED), "a bad state was used: {said}");
        assert_like_clean(&s);
    }
    std::fs::remove_file(&state).unwrap();
    s.file(
        "content/articles/a1.md",
        "---\ntitle: Article 1\n---\nThe council voted on item 1 today. Four.\n",
    );
    assert!(!build(&s, &[]).contains(REUSED));
    assert_like_clean(&s);
    // --clean reads no state either.
    s.file(
        "content/articles/a1.md",
        "---\ntitle: Article 1\n---\nThe council voted on item 1 today. Five.\n",
    );
    assert!(!build(&s, &["--clean"]).contains(REUSED));
    assert_like_clean(&s);
}

#[test]
fn a_damaged_or_missing_kept_document_is_rendered_again() {
    let s = site();
    build(&s, &[]);
    let docs = s.root().join(".marginalia/docs");
    let mut kept: Vec<_> = std::fs::read_dir(&docs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 4, "one file per document");
    // One torn, one with a flipped byte, one gone: each of those documents
    // is rendered again (the build still reuses the rest), and the site is
    // what a clean build writes.
    let torn = std::fs::read(&kept[0]).unwrap();
    std::fs::write(&kept[0], &torn[..torn.len() / 2]).unwrap();
    let mut flipped = std::fs::read(&kept[1]).unwrap();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    std::fs::write(&kept[1], &flipped).unwrap();
    std::fs::remove_file(&kept[2]).unwrap();
    s.file(
        "content/articles/a3.annotations.yaml",
        "- quote: \"voted on item 3\"\n  note: Checked twice.\n",
    );
    let said = build(&s, &[]);
    assert!(said.contains(REUSED), "{said}");
    assert_like_clean(&s);
    // The next build keeps exactly the documents of the site again.
    assert_eq!(std::fs::read_dir(&docs).unwrap().count(), 4);
}

#[test]
fn a_note_kind_new_to_the_site_reaches_every_sources_timeline() {
    // Each source page draws its timeline with a series for every note
    // kind of the whole site: a kind first used in one source's article
    // changes the other sources' pages too.
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Kinds\nbase_url: https://kinds.example.net/\n",
    )
    .file(
        "content/sources.yaml",
        "gazette:\n  name: The Gazette\n  kind: publication\nherald:\n  name: The Herald\n  kind: publication\n",
    );
    for (i, source) in ["gazette", "herald"].iter().enumerate() {
        s.file(
            &format!("content/articles/a{i}.md"),
            &format!(
                "---\ntitle: Article {i}\ndate: 2021-0{}-01\nsource: {source}\n---\nThe council voted on item {i} today.\n",
                i + 1
            ),
        )
        .file(
            &format!("content/articles/a{i}.annotations.yaml"),
            &format!("- quote: \"voted on item {i}\"\n  note: Checked.\n"),
        );
    }
    build(&s, &[]);
    s.file(
        "content/articles/a1.annotations.yaml",
        "- quote: \"voted on item 1\"\n  note: Checked.\n  kind: correction\n",
    );
    assert!(build(&s, &[]).contains(REUSED));
    assert_like_clean(&s);
}

#[test]
fn an_edit_build_checks_the_files_it_recorded_and_carries_no_stray_file() {
    let s = site();
    build(&s, &[]);
    let edit = |round: usize| {
        s.file(
            "content/articles/a2.md",
            &format!(
                "---\ntitle: Article 2\ndate: 2021-02-03\nsource: gazette\n---\nThe council voted on item 2, round {round}.\n"
            ),
        );
    };
    // Two edit builds: the next ones start from the spare. The record
    // stamps only what a build wrote, the rest as recorded before: a
    // build with nothing changed after it finds them all as they are.
    for round in 0..2 {
        edit(round);
        assert!(build(&s, &[]).contains(REUSED));
        assert!(build(&s, &[]).contains(SKIPPED), "round {round}");
    }
    let page = "articles/a0/index.html";
    let good = s.read(page);
    for round in 2..5 {
        // A file nobody recorded, at the top and deep in the site.
        std::fs::write(s.out("stray.html"), b"not ours").unwrap();
        std::fs::write(s.out("articles/a1/stray.html"), b"not ours").unwrap();
        match round {
            // A recorded file hand edited, or gone: nothing is reused.
            3 => std::fs::write(s.out(page), b"hand edited").unwrap(),
            4 => std::fs::remove_file(s.out(page)).unwrap(),
            _ => {}
        }
        edit(round);
        let said = build(&s, &[]);
        assert_eq!(said.contains(REUSED), round == 2, "round {round}: {said}");
        assert!(!s.exists("stray.html") && !s.exists("articles/a1/stray.html"));
        assert_eq!(s.read(page), good);
        assert_like_clean(&s);
    }
}

#[test]
fn an_edit_that_leaves_a_document_as_rendered_renders_only_its_own_pages() {
    let s = site();
    build(&s, &[]);
    let sidecar = "content/articles/a1.annotations.yaml";
    let text = std::fs::read_to_string(s.root().join(sidecar)).unwrap();
    let shared = ["index.html", "notes.csv", "sources/gazette/index.html"];
    for p in shared {
        assert!(s.exists(p), "{p}");
    }
    let before: Vec<u64> = shared.iter().map(|p| inode(&s, p)).collect();
    // A comment at the end (one at the top would move the notes' lines,
    // which the document keeps): it renders as before, so what the rest of
    // the site reads of it is unchanged.
    s.file(sidecar, &format!("{text}# checked again\n"));
    let said = build(&s, &[]);
    assert!(said.contains(REUSED), "{said}");
    let after: Vec<u64> = shared.iter().map(|p| inode(&s, p)).collect();
    assert_eq!(after, before, "{shared:?}: {said}");
    assert_like_clean(&s);
    // A note's text: the pages that show it are written again.
    s.file(sidecar, &text.replace("minutes", "minutes, twice"));
    assert!(build(&s, &[]).contains(REUSED));
    assert_ne!(inode(&s, "notes.csv"), before[1]);
    assert!(s.read("notes.csv").contains("minutes, twice"));
    assert_like_clean(&s);
}

/// [`site`] with notes that carry what the outputs read of them without
/// showing them (kinds, ratings, cited sources, replies, tags).
fn site_with_rich_notes() -> TestSite {
    let s = site();
    s.file(
        "site.yaml",
        "title: Cache\nbase_url: https://cache.example.net/\nkinds:\n  claim: {label: Claim, colour: \"#8a4b00\", dark: \"#f0b070\"}\n",
    );
    for i in 0..4 {
        s.file(
            &format!("content/articles/a{i}.annotations.yaml"),
            &format!(
                "- quote: \"voted on item {i}\"\n  note: Checked against *the minutes*.\n  kind: claim\n  rating: false\n  date: 2021-03-0{}\n  sources: [gazette]\n  tags: [vote]\n  replies:\n    - {{author: Ann, date: 2021-03-04, text: Agreed.}}\n- quote: \"council\"\n  note: Which council?\n",
                i + 1
            ),
        );
    }
    s
}

/// The kept documents' files, sorted.
fn kept_files(s: &TestSite) -> Vec<std::path::PathBuf> {
    let mut kept: Vec<_> = std::fs::read_dir(s.root().join(".marginalia/docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    kept.sort();
    kept
}

/// How many documents the build took from the cache, as its summary says.
fn from_cache(said: &str) -> usize {
    said.split_once(" documents from the build cache")
        .map_or(0, |(before, _)| {
            before.rsplit(' ').next().unwrap().parse().unwrap()
        })
}

#[test]
fn a_kept_document_of_another_layout_is_rendered_again() {
    let s = site_with_rich_notes();
    build(&s, &[]);
    // Every kept file says it is of an earlier layout (the four bytes
    // after the hash that opens it): none is read, every document is
    // rendered again, and the site is what a clean build writes.
    for f in kept_files(&s) {
        let mut bytes = std::fs::read(&f).unwrap();
        bytes[16..20].copy_from_slice(&1u32.to_le_bytes());
        std::fs::write(&f, &bytes).unwrap();
    }
    s.file(
        "content/articles/a3.annotations.yaml",
        "- quote: \"voted on item 3\"\n  note: Checked twice.\n  kind: claim\n",
    );
    let said = build(&s, &[]);
    assert!(said.contains(REUSED), "{said}");
    assert_eq!(from_cache(&said), 0, "{said}");
    assert_like_clean(&s);
    // They were kept again in this layout: the next edit reuses them.
    s.file(
        "content/articles/a3.annotations.yaml",
        "- quote: \"voted on item 3\"\n  note: Checked three times.\n",
    );
    let said = build(&s, &[]);
    assert_eq!(from_cache(&said), 3, "{said}");
    assert_like_clean(&s);
}

#[test]
fn a_kept_document_whose_notes_are_damaged_is_rendered_from_its_sources() {
    let s = site_with_rich_notes();
    build(&s, &[]);
    // A byte inside the notes part of each kept file (after the 60 bytes
    // that open it and its head).
    let kept = kept_files(&s);
    assert_eq!(kept.len(), 4);
    for f in &kept {
        let mut bytes = std::fs::read(f).unwrap();
        let head = u64::from_le_bytes(bytes[20..28].try_into().unwrap()) as usize;
        let notes = u64::from_le_bytes(bytes[28..36].try_into().unwrap()) as usize;
        bytes[60 + head + notes / 2] ^= 0x10;
        std::fs::write(f, &bytes).unwrap();
    }
    // One document's edit: every document is rendered from its sources,
    // and the site is a clean build's.
    s.file(
        "content/articles/a0.md",
        "---\ntitle: Article 0\ndate: 2021-02-01\nsource: gazette\ntags: [t0]\n---\nThe council voted on item 0 today, again.\n",
    );
    let said = build(&s, &[]);
    assert!(said.contains(REUSED), "{said}");
    assert_eq!(from_cache(&said), 0, "{said}");
    assert_like_clean(&s);
    // The damaged files were replaced: the next edit takes the other
    // three documents from the cache, their notes reaching every page
    // that shows them.
    s.file(
        "content/articles/a1.annotations.yaml",
        "- quote: \"voted on item 1\"\n  note: Checked again.\n  kind: claim\n  rating: true\n  sources: [gazette]\n",
    );
    let said = build(&s, &[]);
    assert_eq!(from_cache(&said), 3, "{said}");
    assert_like_clean(&s);
}
