//! Each Markdown extension on its own: small inputs, the exact HTML.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::annotate::sidecar;
use crate::sources::Registry;

const SIDECAR: &str = "content/articles/a.annotations.yaml";

/// Renders `body` as `content/articles/a.md` with the notes of `sidecar`.
fn render_with(body: &str, sidecar_yaml: &str) -> Rendered {
    let (notes, d) = sidecar::parse(Path::new(SIDECAR), sidecar_yaml);
    assert!(d.is_empty(), "{d:?}");
    let mut links: HashMap<PathBuf, String> = HashMap::new();
    links.insert(PathBuf::from("content/articles/b.md"), "articles/b/".into());
    links.insert(PathBuf::from("content/about.md"), "about/".into());
    let registry = Registry::default();
    let env = Env {
        base_url: "https://example.org/sub/",
        unsafe_html: false,
        links: &links,
        sources: &registry,
        note_template: None,
    };
    let input = Input {
        file: Path::new("content/articles/a.md"),
        file_text: body,
        body,
        body_offset: 0,
        asset_base: "articles/",
        sidecar: Some(Path::new(SIDECAR)),
        notes: &notes,
        title_from_heading: false,
    };
    render(&input, &env)
}

fn html(body: &str) -> String {
    render_with(body, "").html
}

// Heading ids.

#[test]
fn headings_get_unique_ids_and_anchors() {
    assert_eq!(
        html("## Same\n\n## Same\n\n## Ünïcode & more\n\n## Kept {#my-id}\n\n## Odd {#a\"b}\n"),
        "<h2 id=\"same\">Same<a class=\"heading-anchor\" href=\"#same\" aria-label=\"Link to this section\">#</a></h2>\n\
         <h2 id=\"same-1\">Same<a class=\"heading-anchor\" href=\"#same-1\" aria-label=\"Link to this section\">#</a></h2>\n\
         <h2 id=\"unicode-more\">Ünïcode &amp; more<a class=\"heading-anchor\" href=\"#unicode-more\" aria-label=\"Link to this section\">#</a></h2>\n\
         <h2 id=\"my-id\">Kept<a class=\"heading-anchor\" href=\"#my-id\" aria-label=\"Link to this section\">#</a></h2>\n\
         <h2 id=\"a-b\">Odd<a class=\"heading-anchor\" href=\"#a-b\" aria-label=\"Link to this section\">#</a></h2>\n"
    );
    let r = render_with("## Same\n\n### Same\n", "");
    let toc: Vec<(u8, &str)> = r.toc.iter().map(|h| (h.level, h.id.as_str())).collect();
    assert_eq!(toc, [(2, "same"), (3, "same-1")]);
}

#[test]
fn a_heading_never_takes_a_notes_id() {
    let r = render_with("## n1\n\nText here.\n", "- quote: Text\n  note: A note.\n");
    assert!(r.html.starts_with("<h2 id=\"n1-1\">"), "{}", r.html);
}

// Highlighting.

#[test]
fn fenced_code_is_highlighted_with_classes() {
    assert_eq!(
        html("```rust\nlet x = 1;\n```\n"),
        "<pre class=\"code hl-code\" data-lang=\"rust\"><code class=\"language-rust\"><span class=\"hl-source hl-rust\"><span class=\"hl-storage hl-type hl-rust\">let</span> x <span class=\"hl-keyword hl-operator hl-rust\">=</span> <span class=\"hl-constant hl-numeric hl-integer hl-decimal hl-rust\">1</span><span class=\"hl-punctuation hl-terminator hl-rust\">;</span>\n</span></code></pre>\n"
    );
    // Unknown or no language: plain, escaped.
    assert_eq!(
        html("```nosuchlang\na < b\n```\n"),
        "<pre class=\"code\" data-lang=\"nosuchlang\"><code class=\"language-nosuchlang\">a &lt; b\n</code></pre>\n"
    );
}

// URL rewriting.

#[test]
fn links_to_content_files_become_page_urls() {
    assert_eq!(
        html(
            "[b](b.md#part) [about](../about.md) [img](pic.png) [root](/feed.xml?x=1) [ext](https://e.example/) [frag](#top)\n"
        ),
        "<p><a href=\"https://example.org/sub/articles/b/#part\">b</a> \
         <a href=\"https://example.org/sub/about/\">about</a> \
         <a href=\"https://example.org/sub/articles/pic.png\">img</a> \
         <a href=\"https://example.org/sub/feed.xml?x=1\">root</a> \
         <a href=\"https://e.example/\">ext</a> \
         <a href=\"#top\">frag</a></p>\n"
    );
    let r = render_with("[b](b.md#part)\n", "");
    assert_eq!(r.internal_links.len(), 1);
    assert_eq!(r.internal_links[0].path, "articles/b/");
    let at: Vec<(&str, String)> = r
        .written_links
        .iter()
        .map(|l| (l.url.as_str(), l.location.to_string()))
        .collect();
    assert_eq!(
        at,
        [(
            "https://example.org/sub/articles/b/#part",
            "content/articles/a.md:1:1".to_string()
        )]
    );
}

#[test]
fn a_missing_content_file_is_an_error_with_a_suggestion() {
    let r = render_with("Text [x](bb.md).\n", "");
    assert_eq!(r.diagnostics.len(), 1);
    let d = r.diagnostics[0].to_string();
    assert!(d.contains("content/articles/a.md:1:6"), "{d}");
    assert!(
        d.contains("there is no content file content/articles/bb.md"),
        "{d}"
    );
}

#[test]
fn unsafe_urls_are_dropped_with_their_link_but_not_their_text() {
    let r = render_with(
        "[x](javascript:alert(1)) ![i](data:text/html,x) [ok](irc://h/c)\n",
        "",
    );
    assert_eq!(r.html, "<p>x i <a href=\"irc://h/c\">ok</a></p>\n");
    assert_eq!(r.diagnostics.len(), 2);
}

// Note weaving.

#[test]
fn a_passage_across_inline_markup_is_several_marks_and_one_aside() {
    let r = render_with(
        "One *two three* four.\n\nNext.\n",
        "- quote: two three four\n  note: A **note**.\n  kind: framing\n",
    );
    assert_eq!(
        r.html,
        "<p>One <em><mark class=\"anchor\" id=\"n1\" data-note=\"note-n1\" aria-details=\"note-n1\" data-kind=\"framing\">two three</mark></em>\
         <mark class=\"anchor\" data-note=\"note-n1\" aria-details=\"note-n1\" data-kind=\"framing\"> four</mark>\
         <sup class=\"note-ref\"><a href=\"#note-n1\" aria-label=\"Note 1\">1</a></sup>.</p>\n\
         <aside class=\"margin-note\" id=\"note-n1\" role=\"note\" data-kind=\"framing\" aria-label=\"Note 1\">\n\
         <a class=\"note-number\" href=\"#n1\" aria-label=\"Note 1, back to its passage\">1</a><span class=\"note-kind\">framing</span>\n\
         <div class=\"note-body\"><p>A <strong>note</strong>.</p>\n</div>\n\
         </aside>\n\
         <p>Next.</p>\n"
    );
    assert_eq!(r.notes[0].quote, "two three four");
    assert_eq!(r.summary_html, "<p>One <em>two three</em> four.</p>\n");
}

#[test]
fn nested_passages_nest_their_marks() {
    let r = render_with(
        "The regime wants a weapon.\n",
        "- quote: The regime wants a weapon\n  note: Outer.\n- quote: regime\n  note: Inner.\n",
    );
    let p = r.html.split("\n<aside").next().unwrap();
    assert_eq!(
        p,
        "<p><mark class=\"anchor\" id=\"n1\" data-note=\"note-n1\" aria-details=\"note-n1\">The \
         <mark class=\"anchor\" id=\"n2\" data-note=\"note-n2\" aria-details=\"note-n2\">regime</mark>\
         <sup class=\"note-ref\"><a href=\"#note-n2\" aria-label=\"Note 1\">1</a></sup> wants a weapon</mark>\
         <sup class=\"note-ref\"><a href=\"#note-n1\" aria-label=\"Note 2\">2</a></sup>.</p>"
    );
}

#[test]
fn a_quote_that_does_not_match_is_reported_at_its_line() {
    let r = render_with("Some text.\n", "- quote: other words\n  note: x\n");
    assert!(r.notes.is_empty());
    let d = r.diagnostics[0].to_string();
    assert!(
        d.starts_with("error: content/articles/a.annotations.yaml:1: quote not found"),
        "{d}"
    );
}

// Footnotes as margin notes.

#[test]
fn footnotes_become_numbered_margin_notes() {
    assert_eq!(
        html("Claim.[^1] More.[^1]\n\n[^1]: The [source](b.md).\n"),
        "<p>Claim.<sup class=\"note-ref footnote-ref\" id=\"fnref-1\"><a href=\"#note-fn-1\" aria-label=\"Note 1\">1</a></sup> \
         More.<sup class=\"note-ref footnote-ref\"><a href=\"#note-fn-1\" aria-label=\"Note 1\">1</a></sup></p>\n\
         <aside class=\"margin-note\" id=\"note-fn-1\" role=\"note\" data-kind=\"footnote\" aria-label=\"Note 1\">\n\
         <a class=\"note-number\" href=\"#fnref-1\" aria-label=\"Note 1, back to its place\">1</a>\n\
         <div class=\"note-body\"><p>The <a href=\"https://example.org/sub/articles/b/\">source</a>.</p>\n</div>\n\
         </aside>\n"
    );
    // A reference without a definition stays as written.
    assert_eq!(html("Claim.[^x]\n"), "<p>Claim.[^x]</p>\n");
}

// check --fix's guard.

#[test]
fn missing_words_aligns_word_by_word() {
    let m = |q: &str, p: &str| missing_words(q, p).join(" ");
    assert_eq!(
        m("A spokesperson declined to comment", "declined to comment"),
        "A spokesperson"
    );
    assert_eq!(
        m("A spokesperson declined", "Declined"),
        "A spokesperson declined"
    );
    // Changed words are not missing ones.
    assert_eq!(
        m(
            "the ministers office confirmed",
            "the minister’s office confirmed"
        ),
        ""
    );
    assert_eq!(m("colour of the sky", "color of the sky"), "");
    assert_eq!(m("one two three", "one three"), "two");
    assert_eq!(m("one two three", "one two three four"), "");
    assert_eq!(m("", "anything"), "");
}
