//! The default theme's data, through the real binary: note kinds declared
//! in site.yaml (colours, labels, contrast checks, warnings for undeclared
//! kinds), the table of contents and reading time, and smart punctuation
//! in titles (issues 14 and 15). How pages look and behave in a browser is
//! in tests/browser/.

use crate::common::{TestSite, count};

const ARTICLE: &str = "---\ntitle: \"Iran's \\\"deal\\\" -- explained\"\ndate: 2024-01-02\n---\n\n\
    The first paragraph names a claim here and a gap there.\n\n\
    ## One\n\nText.\n\n## Two\n\nText.\n\n### Two and a half\n\nText.\n";
const NOTES: &str = "- quote: \"a claim here\"\n  kind: claim\n  note: Checked.\n\
    - quote: \"a gap there\"\n  kind: missng\n  author: \"B. Checker\"\n  note: Not said.\n";

fn site(site_yaml: &str) -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", site_yaml)
        .file("content/articles/a.md", ARTICLE)
        .file("content/articles/a.annotations.yaml", NOTES);
    s
}

#[test]
fn declared_kinds_colour_the_page_and_undeclared_ones_are_warned_about() {
    let s = site(
        "title: T\nauthor: \"The editors\"\nkinds:\n  claim:\n    label: \"Checked claim\"\n    colour: \"#8a4b00\"\n    dark: \"#f0b070\"\n    help: \"a statement we checked\"\n",
    );
    let run = s.build();
    run.assert_ok();
    // One warning for the undeclared kind, at its note, with a did-you-mean
    // only when one is near (`missng` is near no kind).
    assert_eq!(count(&run.stderr, "is not declared"), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("content/articles/a.annotations.yaml:4")
            && run
                .stderr
                .contains("note kind `missng` is not declared (1 note)"),
        "{}",
        run.stderr
    );
    let html = s.read("articles/a/index.html");
    // The declared colours, light and dark, as the --kind property, in the
    // one stylesheet every page links (not repeated inline in each).
    let css = s.read("kinds.css");
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/kinds.css\">"));
    assert!(!html.contains("<style"), "{html}");
    assert!(
        css.contains("[data-kind='claim'] { --kind: #8a4b00; }"),
        "{css}"
    );
    assert!(css.contains("[data-kind='claim'] { --kind: #f0b070; }"));
    // Built-in kinds are there too; the undeclared one is not (neutral).
    assert!(css.contains("[data-kind='sourcing'] { --kind: #1f5aa6; }"));
    assert!(!css.contains("[data-kind='missng'] {"));
    // The legend: the declared label and help, the undeclared key bare.
    assert!(html.contains(">Checked claim</span> <span class=\"legend-count\">1</span> <span class=\"legend-help\">— a statement we checked</span>"));
    assert!(html.contains(
        "data-kind=\"missng\">missng</span> <span class=\"legend-count\">1</span></label>"
    ));
    // The filter knows both authors: the note's own, and the site's for the
    // note without one.
    assert!(html.contains("value=\"The editors\" data-notes=\"note-n1\""));
    assert!(html.contains("value=\"B. Checker\" data-notes=\"note-n2\""));
}

#[test]
fn kinds_that_cannot_be_read_are_errors_at_their_line() {
    let s = site("title: T\nkinds:\n  claim:\n    colour: \"#fff000\"\n    lable: Claim\n");
    let run = s.build();
    run.assert_code(1);
    assert!(
        run.stderr.contains("site.yaml:4")
            && run.stderr.contains("has a contrast of")
            && run.stderr.contains("light background"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("site.yaml:5") && run.stderr.contains("did you mean `label`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn init_declares_the_kinds_its_sample_uses() {
    let s = TestSite::new();
    s.run(&["init", "site"]).assert_ok();
    let run = crate::common::bin()
        .args(["build"])
        .current_dir(s.root().join("site"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(!err.contains("is not declared"), "{err}");
}

#[test]
fn long_articles_get_a_table_of_contents_and_every_article_its_reading_time() {
    let s = site("title: T\n");
    s.build().assert_ok();
    let html = s.read("articles/a/index.html");
    assert!(
        html.contains("<nav class=\"toc\""),
        "three headings, no toc"
    );
    assert!(
        html.contains("<a href=\"#two-and-a-half\">Two and a half</a>"),
        "{html}"
    );
    assert!(html.contains("<dt>Reading time</dt><dd>1 min, with 2 notes</dd>"));
    // Smart punctuation on the title as shown, not in the metadata.
    assert!(
        html.contains("<h1>Iran\u{2019}s \u{201c}deal\u{201d} \u{2013} explained</h1>"),
        "{html}"
    );

    // toc: false hides it; toc: true shows it with fewer headings.
    s.file(
        "content/articles/a.md",
        &ARTICLE.replace("date: 2024-01-02\n", "date: 2024-01-02\ntoc: false\n"),
    );
    s.build().assert_ok();
    assert!(
        !s.read("articles/a/index.html")
            .contains("<nav class=\"toc\"")
    );
    s.file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2024-01-02\ntoc: true\n---\n\nNow a claim here and a gap there.\n\n## Only\n\nText.\n",
    );
    s.build().assert_ok();
    assert!(
        s.read("articles/a/index.html")
            .contains("<a href=\"#only\">Only</a>")
    );
    s.file("content/articles/a.md", "---\ntitle: A\ndate: 2024-01-02\n---\n\nNow a claim here and a gap there.\n\n## Only\n\nText.\n");
    s.build().assert_ok();
    assert!(
        !s.read("articles/a/index.html")
            .contains("<nav class=\"toc\"")
    );
}
