//! The everyday commands through the real binary: init → build → check on a
//! new site, `new`, and check's link and anchor validation.

use crate::common;

use common::{TestSite, bin, count};

fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let o = bin().args(args).current_dir(dir).output().expect("run");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn init_then_build_then_check_a_new_site() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run_in(
        tmp.path(),
        &[
            "init",
            "archive",
            "--base-url",
            "https://archive.example.net/",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("archive/site.yaml"), "{out}");
    let root = tmp.path().join("archive");

    let (code, out, err) = run_in(&root, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!root.join("output").exists(), "check writes nothing");

    let (code, out, err) = run_in(&root, &["build"]);
    assert_eq!(code, 0, "{out}{err}");
    // Not a terminal: one summary line on stdout, no progress bar.
    assert!(
        out.starts_with("built ") && out.contains("3 notes anchored"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(err.is_empty(), "no warnings on a fresh site: {err}");
    let page =
        std::fs::read_to_string(root.join("output/articles/bridge-repairs/index.html")).unwrap();
    assert_eq!(count(&page, "<aside class=\"margin-note\""), 3, "{page}");
    assert!(root.join("output/sources/city-council/index.html").exists());

    // init never fills a folder that holds something.
    let (code, _, err) = run_in(tmp.path(), &["init", "archive"]);
    assert_eq!(code, 1);
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn new_makes_an_article_and_a_sidecar_that_build() {
    let tmp = tempfile::tempdir().unwrap();
    run_in(tmp.path(), &["init", "site"]);
    let root = tmp.path().join("site");
    let (code, out, err) = run_in(
        &root,
        &[
            "new",
            "content/articles/second-look",
            "--title",
            "A \"second\" look: why",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let md = std::fs::read_to_string(root.join("content/articles/second-look.md")).unwrap();
    assert!(
        md.starts_with("---\ntitle: \"A \\\"second\\\" look: why\"\n# date: "),
        "{md}"
    );
    assert!(
        root.join("content/articles/second-look.annotations.yaml")
            .exists()
    );

    let (code, out, err) = run_in(&root, &["build"]);
    assert_eq!(code, 0, "{out}{err}");
    let page =
        std::fs::read_to_string(root.join("output/articles/second-look/index.html")).unwrap();
    // Shown with smart punctuation, as article text is (the front matter
    // keeps it as written, above).
    assert!(
        page.contains("<h1>A \u{201c}second\u{201d} look: why</h1>"),
        "{page}"
    );

    // Never overwritten.
    let (code, _, err) = run_in(&root, &["new", "content/articles/second-look.md"]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    // A bundle.
    let (code, _, _) = run_in(&root, &["new", "content/articles/with-files/"]);
    assert_eq!(code, 0);
    assert!(root.join("content/articles/with-files/index.md").exists());
    assert!(
        root.join("content/articles/with-files/index.annotations.yaml")
            .exists()
    );
}

#[test]
fn check_reports_broken_links_and_missing_anchors() {
    let s = TestSite::new();
    s.file("site.yaml", "title: T\nbase_url: https://example.org/sub/\n")
        .file(
            "content/articles/a.md",
            "---\ntitle: A\ndate: 2021-01-01\n---\nText of A.\n\n## Known heading\n\nMore.\n",
        )
        .file(
            "content/articles/b.md",
            "---\ntitle: B\ndate: 2021-01-02\n---\nSee [nothing](/articles/nope/).\n\
             And [a bad anchor](/articles/a/#no-such-id).\n\
             And [a good anchor](/articles/a/#known-heading), [by file](a.md#known-heading).\n\
             And [a bad one by file](a.md#missing).\n",
        )
        .file(
            "templates/page.html",
            "{% extends \"base.html\" %}{% block content %}<a href=\"{{ site.url }}gone/\">gone</a>{{ page.content | safe }}{% endblock content %}",
        )
        .file("content/about.md", "---\ntitle: About\n---\nAbout.\n");
    let r = s.run(&["check"]);
    r.assert_code(1);
    let e = &r.stderr;
    for expected in [
        "error: content/articles/b.md:5:",
        "there is no page /articles/nope/ on the site",
        "error: content/articles/b.md:6:",
        "the page /articles/a/ has no element with id \"no-such-id\"",
        "error: content/articles/b.md:8:",
        "has no element with id \"missing\"",
        "error: templates/page.html: link to \"https://example.org/sub/gone/\": there is no page /gone/",
        "on /about/ (line ",
        "4 errors",
    ] {
        assert!(e.contains(expected), "missing {expected:?} in\n{e}");
    }
    assert!(!e.contains("known-heading"), "good anchors pass:\n{e}");
    assert!(!s.root().join("output").exists(), "check writes nothing");
}

#[test]
fn help_tells_every_command_and_option() {
    let s = TestSite::new();
    let r = s.run(&["--help"]);
    r.assert_ok();
    for c in ["build", "serve", "check", "new", "init"] {
        assert!(r.stdout.contains(c), "{c} missing from\n{}", r.stdout);
    }
    let r = s.run(&["serve", "--help"]);
    for o in [
        "--root",
        "--port",
        "--bind",
        "--drafts",
        "--open",
        "1111",
        "127.0.0.1",
    ] {
        assert!(r.stdout.contains(o), "{o} missing from\n{}", r.stdout);
    }
    let r = s.run(&["serve", "--port", "not-a-number"]);
    r.assert_code(2);
}
