//! Full builds through the build cache (issue 13, item 2): a build that
//! must write every page again (a template edited, a site.yaml setting
//! changed, another output folder) takes each document whose rendering
//! reads nothing that changed from `.marginalia/docs/` instead of
//! rendering its Markdown again, and writes what `--clean` writes.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::TestSite;
use crate::perf_cache::{assert_out_like_clean, build};

const KINDS: &str = "kinds:\n  claim: {label: Claim, colour: \"#8a4b00\", dark: \"#f0b070\"}\n";

/// Three articles with highlighted code, notes of a declared kind citing
/// a source, and a page.
fn site() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        &format!("title: Full\nbase_url: https://full.example.net/\n{KINDS}"),
    )
    .file(
        "content/sources.yaml",
        "gazette:\n  name: The Gazette\n  kind: publication\n",
    )
    .file(
        "content/about.md",
        "---\ntitle: About\n---\nWhat this archive keeps.\n",
    );
    for i in 0..3 {
        s.file(
            &format!("content/articles/a{i}.md"),
            &format!(
                "---\ntitle: Article {i}\ndate: 2021-03-0{}\nsource: gazette\ntags: [t{i}]\n---\nThe council voted on item {i} today.\n\n```rust\nfn main() {{ println!(\"{i}\"); }}\n```\n\nSee [the next one](a{}.md).\n",
                i + 1,
                (i + 1) % 3
            ),
        )
        .file(
            &format!("content/articles/a{i}.annotations.yaml"),
            &format!(
                "- quote: \"voted on item {i}\"\n  kind: claim\n  note: Checked against the minutes.\n  sources: [gazette]\n"
            ),
        );
    }
    s
}

/// How many documents the build took from the cache, as its summary says.
fn kept(said: &str) -> usize {
    said.split_once(" documents from the build cache")
        .map_or(0, |(before, _)| {
            before.rsplit(' ').next().unwrap().parse().unwrap()
        })
}

fn kept_files(s: &TestSite) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(s.root().join(".marginalia/docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// The default theme's article template with `extra` at the end of its
/// content, as the site's own override.
fn edit_article_template(s: &TestSite, extra: &str) {
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/article.html");
    let text = std::fs::read_to_string(theme).unwrap();
    let end = "{% endblock content %}";
    assert!(text.contains(end));
    s.file(
        "templates/article.html",
        &text.replacen(end, &format!("{extra}{end}"), 1),
    );
}

#[test]
fn pages_are_rendered_again_from_kept_documents_after_an_edit_that_leaves_them_unchanged() {
    let s = site();
    let out = s.root().join("output");
    assert_eq!(kept(&build(&s, &[])), 0, "a first build renders everything");
    assert_eq!(kept_files(&s).len(), 4, "one kept file per document");

    // (a) A template edited: every page is rendered again, no document.
    edit_article_template(&s, "{# edited #}\n<!-- edited -->\n");
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 4, "{said}");
    assert!(s.read("articles/a1/index.html").contains("<!-- edited -->"));
    assert_out_like_clean(&s, &out);

    // (b) A setting only pages read (the site's title).
    s.file(
        "site.yaml",
        &format!("title: Full, renamed\nbase_url: https://full.example.net/\n{KINDS}"),
    );
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 4, "{said}");
    assert!(s.read("articles/a1/index.html").contains("Full, renamed"));
    assert_out_like_clean(&s, &out);

    // (c) A setting documents read: a kind's label is written into each
    // note's aside, so every document is rendered again.
    s.file(
        "site.yaml",
        "title: Full, renamed\nbase_url: https://full.example.net/\nkinds:\n  claim: {label: Assertion, colour: \"#8a4b00\", dark: \"#f0b070\"}\n",
    );
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 0, "{said}");
    assert!(s.read("articles/a1/index.html").contains("Assertion"));
    assert_out_like_clean(&s, &out);
    // Its kept documents are the new renderings: the old ones are gone.
    assert_eq!(kept_files(&s).len(), 4);

    // (d) Another output folder: every page written there, no document
    // rendered, nothing of the cache rewritten.
    let inodes: Vec<u64> = kept_files(&s)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().ino())
        .collect();
    let other = tempfile::tempdir().unwrap();
    let elsewhere = other.path().join("site");
    let said = build(&s, &["--output", elsewhere.to_str().unwrap()]);
    assert_eq!(kept(&said), 4, "{said}");
    assert_out_like_clean(&s, &elsewhere);
    let after: Vec<u64> = kept_files(&s)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().ino())
        .collect();
    assert_eq!(inodes, after, "the kept documents are not written again");

    // And back: the first folder is no longer what the record says was
    // written last, so it is a full build, again from the kept documents.
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 4, "{said}");
    assert_out_like_clean(&s, &out);
}

#[test]
fn what_a_document_reads_besides_its_files_renders_every_document_again() {
    // The margin-note partial writes the asides into each document's body,
    // the registry names the notes' sources, and base_url makes links.
    let s = site();
    let out = s.root().join("output");
    build(&s, &[]);
    let partial =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/partials/note.html");
    let text = std::fs::read_to_string(partial).unwrap();
    s.file(
        "templates/partials/note.html",
        &text.replacen("<aside", "<aside data-edited=\"yes\"", 1),
    );
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 0, "{said}");
    assert!(
        s.read("articles/a1/index.html")
            .contains("data-edited=\"yes\"")
    );
    assert_out_like_clean(&s, &out);

    s.file(
        "content/sources.yaml",
        "gazette:\n  name: The Evening Gazette\n  kind: publication\n",
    );
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 0, "{said}");
    assert_out_like_clean(&s, &out);

    let said = build(&s, &["--base-url", "https://elsewhere.example.net/"]);
    assert_eq!(kept(&said), 0, "{said}");

    // One article edited: the others are the kept ones (their pages are
    // the previous output's or, for its neighbours, rendered again).
    build(&s, &[]);
    s.file(
        "content/articles/a2.md",
        "---\ntitle: Article 2\ndate: 2021-03-03\nsource: gazette\ntags: [t2]\n---\nThe council voted on item 2 today, twice.\n\n```rust\nfn main() {}\n```\n",
    );
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 3, "{said}");
    assert_out_like_clean(&s, &out);
}

#[test]
fn a_damaged_or_missing_kept_document_is_rendered_again_and_kept_anew() {
    let s = site();
    let out = s.root().join("output");
    build(&s, &[]);
    let files = kept_files(&s);
    // One torn in its head, one with a flipped byte in its page HTML, one
    // gone: a template edit renders those three again from Markdown.
    let torn = std::fs::read(&files[0]).unwrap();
    std::fs::write(&files[0], &torn[..20]).unwrap();
    let mut flipped = std::fs::read(&files[1]).unwrap();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    std::fs::write(&files[1], &flipped).unwrap();
    std::fs::remove_file(&files[2]).unwrap();
    edit_article_template(&s, "<!-- one -->\n");
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 1, "{said}");
    assert_out_like_clean(&s, &out);
    // They were kept again, whole: the next full build renders none.
    assert_eq!(kept_files(&s), files);
    edit_article_template(&s, "<!-- two -->\n");
    let said = build(&s, &[]);
    assert_eq!(kept(&said), 4, "{said}");
    assert_out_like_clean(&s, &out);
}

#[test]
fn clean_reads_no_kept_document_and_writes_none_again() {
    let s = site();
    build(&s, &[]);
    let before: Vec<(u64, i64)> = kept_files(&s)
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p).unwrap();
            (m.ino(), m.mtime_nsec())
        })
        .collect();
    // Damaged: --clean does not read it, so it cannot notice, and its
    // output is right all the same.
    let files = kept_files(&s);
    let mut flipped = std::fs::read(&files[0]).unwrap();
    flipped[30] ^= 0x01;
    std::fs::write(&files[0], &flipped).unwrap();
    let other = tempfile::tempdir().unwrap();
    let elsewhere = other.path().join("site");
    let said = build(&s, &["--clean", "--output", elsewhere.to_str().unwrap()]);
    assert_eq!(kept(&said), 0, "{said}");
    assert_out_like_clean(&s, &elsewhere);
    let after: Vec<(u64, i64)> = kept_files(&s)
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p).unwrap();
            (m.ino(), m.mtime_nsec())
        })
        .collect();
    assert_eq!(
        before[1..],
        after[1..],
        "the kept documents stay as they were"
    );
    // The next build that reads them renders the damaged one again.
    edit_article_template(&s, "<!-- three -->\n");
    let said = build(&s, &["--output", elsewhere.to_str().unwrap()]);
    assert_eq!(kept(&said), 3, "{said}");
    assert_out_like_clean(&s, &elsewhere);
}
