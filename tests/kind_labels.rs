//! A note's kind badge shows the kind's label from site.yaml's `kinds:`
//! (the key when none is declared), through the real binary, and a build
//! after the label changes shows the new one (the aside is not kept from
//! the cache or the shape cache of the default partial).

use crate::common::{TestSite, count};

const ARTICLE: &str = "---\ntitle: A\ndate: 2024-01-02\n---\n\nThe first claim here and a gap there and a source too.\n";
const NOTES: &str = "- quote: \"first claim here\"\n  kind: claim\n  note: Checked.\n\
    - quote: \"a gap there\"\n  kind: claim\n  note: Also checked.\n\
    - quote: \"a source too\"\n  kind: sourcing\n  note: Where from.\n";

fn site_yaml(label: &str) -> String {
    format!(
        "title: T\nkinds:\n  claim:\n    label: \"{label}\"\n    colour: \"#8a4b00\"\n    dark: \"#f0b070\"\n"
    )
}

#[test]
fn the_badge_shows_the_declared_label() {
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml("Checked & claimed"))
        .file("content/articles/a.md", ARTICLE)
        .file("content/articles/a.annotations.yaml", NOTES);
    s.build().assert_ok();
    let html = s.read("articles/a/index.html");
    assert_eq!(
        count(
            &html,
            "<span class=\"note-kind\">Checked &amp; claimed</span>"
        ),
        2,
        "{html}"
    );
    assert!(!html.contains("<span class=\"note-kind\">claim</span>"));
    // The kind stays the key where the theme styles and filters by it.
    assert_eq!(count(&html, "role=\"note\" data-kind=\"claim\""), 2);
    // A built-in kind not declared again is labelled by its key.
    assert!(
        html.contains("<span class=\"note-kind\">sourcing</span>"),
        "{html}"
    );

    s.file("site.yaml", &site_yaml("Verified"));
    s.build().assert_ok();
    let html = s.read("articles/a/index.html");
    assert_eq!(
        count(&html, "<span class=\"note-kind\">Verified</span>"),
        2,
        "{html}"
    );
    assert!(!html.contains("Checked &amp; claimed"));
}
