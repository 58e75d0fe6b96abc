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

#[test]
fn a_quote_across_paragraphs_marks_each_block_and_notes_after_the_last() {
    let body = "A spokesperson declined to comment.\n\n\
                The ministry said *nothing* more.\n\n\
                - a list item that goes on\n- and another\n\nLast words.\n";
    // Copied from a browser, as annotators do: the paragraph break is a
    // line break in the quote (and a block scalar keeps it).
    let notes = "- quote: |-\n    declined to comment.\n\n    The ministry said nothing\n  note: Across two paragraphs.\n\
                 - quote: goes on and another\n  note: Across list items.\n";
    let site = site_with(body, Some(notes));
    site.build().assert_ok();
    let html = site.read("articles/a/index.html");
    let body = html
        .split("<div class=\"article-body\"")
        .nth(1)
        .unwrap_or(&html);
    let expected_first = "<p>A spokesperson <mark class=\"anchor\" id=\"n1\" data-note=\"note-n1\" aria-details=\"note-n1\">declined to comment.</mark></p>\n\
         <p><mark class=\"anchor\" data-note=\"note-n1\" aria-details=\"note-n1\">The ministry said </mark><em><mark class=\"anchor\" data-note=\"note-n1\" aria-details=\"note-n1\">nothing</mark><sup class=\"note-ref\"><a href=\"#note-n1\" aria-label=\"Note 1\">1</a></sup></em> more.</p>\n\
         <aside class=\"margin-note\" id=\"note-n1\"";
    assert!(body.contains(expected_first), "{body}");
    // One aside per note, after its last block: inside the second item.
    assert_eq!(common::count(body, "id=\"note-n1\""), 1);
    let item = "<li><mark class=\"anchor\" data-note=\"note-n2\" aria-details=\"note-n2\">and another</mark><sup class=\"note-ref\"><a href=\"#note-n2\" aria-label=\"Note 2\">2</a></sup><aside class=\"margin-note\" id=\"note-n2\"";
    assert!(body.contains(item), "{body}");
    assert!(
        body.contains("<li>a list item that <mark class=\"anchor\" id=\"n2\" data-note=\"note-n2\" aria-details=\"note-n2\">goes on</mark></li>"),
        "{body}"
    );
}

/// The note numbers (`<sup class="note-ref">`) in the order they appear.
fn numbers_in_order(html: &str) -> Vec<String> {
    html.split("<sup class=\"note-ref")
        .skip(1)
        .map(|s| {
            let s = &s[s.find("\">").map_or(0, |i| i + 2)..];
            let s = &s[s.find('>').map_or(0, |i| i + 1)..];
            s[..s.find('<').unwrap_or(0)].to_string()
        })
        .collect()
}

#[test]
fn note_numbers_read_in_order_in_nested_and_overlapping_passages() {
    let body = "The regime wants a weapon, officials said.[^f] Then alpha beta gamma delta.\n\n\
                [^f]: A footnote.\n";
    let notes = "- quote: The regime wants a weapon\n  note: Outer.\n\
                 - quote: regime\n  note: Inner.\n\
                 - quote: officials said\n  note: Before the footnote.\n\
                 - quote: beta gamma delta\n  note: Overlaps the next, ends last.\n\
                 - quote: alpha beta gamma\n  note: Starts first, ends first.\n";
    let site = site_with(body, Some(notes));
    site.build().assert_ok();
    let html = site.read("articles/a/index.html");
    assert_eq!(numbers_in_order(&html), ["1", "2", "3", "4", "5", "6"]);
    assert!(
        html.contains("<mark class=\"anchor\" id=\"n2\" data-note=\"note-n2\" aria-details=\"note-n2\">regime</mark><sup class=\"note-ref\"><a href=\"#note-n2\" aria-label=\"Note 1\">1</a></sup>"),
        "{html}"
    );
    assert!(html.contains("weapon</mark><sup class=\"note-ref\"><a href=\"#note-n1\" aria-label=\"Note 2\">2</a></sup>"), "{html}");
    assert!(
        html.contains("<a href=\"#note-fn-f\" aria-label=\"Note 4\">4</a>"),
        "{html}"
    );
    // The asides follow the same order.
    let asides: Vec<&str> = html
        .split("<a class=\"note-number\" href=\"#")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(asides, ["n2", "n1", "n3", "fnref-f", "n5", "n4"]);
}

#[test]
fn a_highlight_is_a_mark_without_number_or_aside() {
    let body = "It was considered a hallmark achievement by many.\n";
    let notes = "- quote: a hallmark achievement\n  kind: highlight\n\
                 - quote: by many\n  note: A real note.\n";
    let site = site_with(body, Some(notes));
    site.build().assert_ok();
    let html = site.read("articles/a/index.html");
    assert!(
        html.contains("<p>It was considered <mark class=\"highlight\" id=\"n1\" data-kind=\"highlight\">a hallmark achievement</mark> <mark class=\"anchor\" id=\"n2\" data-note=\"note-n2\" aria-details=\"note-n2\">by many</mark><sup class=\"note-ref\"><a href=\"#note-n2\" aria-label=\"Note 1\">1</a></sup>.</p>"),
        "{html}"
    );
    assert_eq!(common::count(&html, "<aside class=\"margin-note\""), 1);
    assert!(!html.contains("note-n1"), "{html}");
}

#[test]
fn only_a_highlight_may_go_without_a_note() {
    let body = "Some text here.\n";
    for (notes, message) in [
        ("- quote: Some text\n", "this note has no `note`"),
        (
            "- quote: Some text\n  note: \"  \"\n",
            "this note's `note` is empty",
        ),
        (
            "- quote: Some text\n  kind: sourcing\n",
            "this note has no `note`",
        ),
    ] {
        let site = site_with(body, Some(notes));
        let run = site.build();
        run.assert_code(1);
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert!(run.stderr.contains("kind: highlight"), "{}", run.stderr);
        assert!(
            run.stderr.contains("a.annotations.yaml:1"),
            "{}",
            run.stderr
        );
    }
    let site = site_with(
        body,
        Some("- quote: Some text\n  kind: highlight\n  note: \"\"\n"),
    );
    site.build().assert_ok();
}

#[test]
fn check_fix_never_drops_the_quotes_words_and_keeps_its_style() {
    let body = "Declined to comment on the matter at great length today, officials said.\n\n\
                The minister’s office confirmed the meeting.\n";
    // The article lost "A spokesperson": the closest passage is 83 %
    // similar, but rewriting the quote to it would drop two words.
    let notes = "- quote: 'A spokesperson declined to comment on the matter at great length today, officials said.'\n  note: Dropped words.\n\
                 - quote: >-\n    The ministers office\n    confirmed the meting.\n  note: Typos only.\n";
    let site = site_with(body, Some(notes));
    let run = site.run(&["check", "--fix"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("that passage leaves out words of the quote: A spokesperson declined"),
        "{}",
        run.stderr
    );
    let sidecar = site.root().join("content/articles/a.annotations.yaml");
    let text = std::fs::read_to_string(&sidecar).unwrap();
    // The first note is untouched; the second, which only had typos, is
    // rewritten in its own (folded block) style.
    assert_eq!(
        text,
        "- quote: 'A spokesperson declined to comment on the matter at great length today, officials said.'\n  note: Dropped words.\n\
         - quote: >-\n    The minister’s office confirmed the meeting.\n  note: Typos only.\n"
    );
    assert!(
        run.stdout
            .contains("fixed content/articles/a.annotations.yaml:3"),
        "{}",
        run.stdout
    );
}

#[test]
fn check_reports_each_broken_link_once_where_it_is_written() {
    let site = TestSite::new();
    site.file("site.yaml", SITE).file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2021-01-01\noriginal_url: https://x.example/x\n---\n\
         First paragraph, with [a broken link](missing/page.html) in the summary.\n\n\
         Second: ![pic](gone.png \"t\")\n",
    );
    site.file(
        "content/articles/a.annotations.yaml",
        "- quote: First paragraph\n  note: ok\n- quote: Second\n  note: |\n    See <img src=x alt=\"\">.\n",
    );
    let run = site.run(&["check"]);
    run.assert_code(1);
    let e = &run.stderr;
    // Each at its file, line and column; the summary's copy on the
    // listings is the same problem, not three.
    assert_eq!(
        common::count(
            e,
            "link to \"https://example.org/articles/missing/page.html\""
        ),
        1,
        "{e}"
    );
    assert!(e.contains("on /articles/a/, /articles/, /"), "{e}");
    assert!(e.contains("content/articles/a.md:6:23: "), "{e}");
    assert!(e.contains("content/articles/a.md:8:9: "), "{e}");
    // Raw HTML in a note: at the note, not at an "x" elsewhere.
    assert!(
        e.contains("content/articles/a.annotations.yaml:3: link to \"x\""),
        "{e}"
    );
    assert!(!e.contains("(built in)"), "{e}");
    assert_eq!(common::count(e, "error: "), 3, "{e}");
}

#[test]
fn a_site_template_changes_the_margin_note_markup() {
    let site = site_with(
        "Some text here[^a].\n\n[^a]: Foot.\n",
        Some("- quote: Some text\n  note: A *note*.\n  kind: framing\n"),
    );
    site.file(
        "templates/partials/note.html",
        "<aside class=\"my-note\" id=\"note-{{ note.id }}\">{{ note.number }}{% if note.footnote %}f{% endif %}: {{ note.body | safe }}</aside>\n",
    );
    site.build().assert_ok();
    let html = site.read("articles/a/index.html");
    assert!(
        html.contains(
            "<aside class=\"my-note\" id=\"note-n1\">1: <p>A <em>note</em>.</p>\n</aside>"
        ),
        "{html}"
    );
    assert!(
        html.contains("<aside class=\"my-note\" id=\"note-fn-a\">2f: <p>Foot.</p>\n</aside>"),
        "{html}"
    );
    assert!(!html.contains("class=\"margin-note\""), "{html}");
}
