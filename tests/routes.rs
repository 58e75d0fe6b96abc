//! The route table: every output has one path, and two outputs claiming
//! one path is an error naming both, whichever stage of the build finds it.

use crate::common::TestSite;

/// A source cited only by notes gets its second page once the notes are
/// anchored, which a streaming build learns only after it has written
/// the articles; a clash with that page must still be reported.
#[test]
fn a_clash_with_a_page_that_only_notes_create_is_reported() {
    let s = TestSite::new();
    s.file("site.yaml", "title: T\npaginate_by: 1\n")
        .file(
            "content/sources.yaml",
            "x:\n  name: Source X\n  kind: publication\n",
        )
        .file("static/sources/x/page/2/index.html", "<p>mine</p>\n");
    for i in 0..2 {
        s.file(
            &format!("content/articles/a{i}.md"),
            &format!(
                "---\ntitle: A{i}\ndate: 2020-01-0{}\n---\nSome words here.\n",
                i + 1
            ),
        )
        .file(
            &format!("content/articles/a{i}.annotations.yaml"),
            "- quote: \"Some words\"\n  note: \"A note.\"\n  sources: [x]\n",
        );
    }
    for args in [&["build"][..], &["check"][..]] {
        let r = s.run(args);
        r.assert_code(1);
        assert!(
            r.stderr.contains("/sources/x/page/2/")
                && r.stderr.contains("static/sources/x/page/2/index.html")
                && r.stderr.contains("\"x\""),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(!s.exists("index.html"), "a failed build writes nothing");

    // Without the clash the same site builds, with the source's two pages.
    s.remove("static/sources/x/page/2/index.html");
    s.build().assert_ok();
    assert!(s.exists("sources/x/page/2/index.html"));
}
