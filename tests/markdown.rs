//! Markdown through the real binary: which URLs survive, passages across
//! blocks, note numbering, highlights and where link errors are reported.

use crate::common;

use common::TestSite;

const SITE: &str = "title: Markdown test\nbase_url: https://example.org/\n";

fn site_with(body: &str, notes: Option<&str>) -> TestSite {
    let site = TestSite::new();
    site.file("site.yaml", SITE).file(
        "content/articles/a.md",
        &format!("---\ntitle: A\ndate: 2021-01-01\n---\n{body}"),
    );
    if let Some(n) = notes {
        site.file("content/articles/a.annotations.yaml", n);
    }
    site
}

#[test]
fn commonmark_links_with_any_scheme_are_kept_and_dangerous_ones_dropped() {
    // Five CommonMark spec examples an allow-list of schemes used to drop,
    // with raw HTML beside them so the sanitiser runs over them too.
    let body = "[link](foo\\)\\:)\n\n<irc://foo.bar:2233/baz>\n\n<a+b+c:d>\n\n\
                <made-up-scheme://foo,bar>\n\n<localhost:5001/foo>\n\n<b>raw</b>\n\n\
                [x](javascript:alert(1)) [y](JAVA%0ascript:x) [z](data:text/html,hi) \
                [f](file:///etc/passwd) ![i](data:image/png;base64,iVBOR)\n";
    let site = site_with(body, None);
    let run = site.build();
    run.assert_ok();
    let html = site.read("articles/a/index.html");
    for kept in [
        // Relative: resolved against the article's folder like any other.
        r#"href="https://example.org/articles/foo):""#,
        r#"href="irc://foo.bar:2233/baz""#,
        r#"href="a+b+c:d""#,
        r#"href="made-up-scheme://foo,bar""#,
        r#"href="localhost:5001/foo""#,
        r#"src="data:image/png;base64,iVBOR""#,
    ] {
        assert!(html.contains(kept), "{kept} missing");
    }
    for gone in ["javascript:", "data:text", "file:", "alert("] {
        assert!(!html.contains(gone), "{gone} survived");
    }
    // Each refusal is a warning at the link.
    assert_eq!(
        common::count(&run.stderr, "unsafe address removed"),
        3,
        "{}",
        run.stderr
    );
}
