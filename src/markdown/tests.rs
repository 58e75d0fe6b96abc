//! Each Markdown extension on its own: small inputs, the exact HTML.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::annotate::anchor::TextIndex;
use crate::annotate::sidecar;
use crate::sources::Registry;

const SIDECAR: &str = "content/articles/a.annotations.yaml";

/// site.yaml's default highlighting themes.
const DEFAULT_THEMES: highlight::Themes = highlight::Themes {
    light: "InspiredGitHub",
    dark: Some("base16-ocean.dark"),
};

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
        kinds: &[],
        highlight: DEFAULT_THEMES,
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
        "<pre class=\"code hl-code\" data-lang=\"rust\"><code class=\"language-rust\"><span class=\"hl-storage hl-type\">let</span> x <span class=\"hl-keyword hl-operator\">=</span> <span class=\"hl-constant hl-numeric\">1</span>;\n</code></pre>\n"
    );
    // Only scopes some rule of the themes can match get a span: here
    // `source.rust` and `punctuation.terminator.rust` (no theme styles
    // them) do not.
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

// Each extension alone, on parsed events: the chain is the sum of these.

/// Parses `md` and writes its events through `extension` only.
fn through_one<'a>(md: &'a str, extension: impl stream::Extension<'a>) -> String {
    let (events, _) = parse(md);
    let mut h = String::new();
    stream::push_html(&mut h, stream::items(events).through(extension));
    h
}

#[test]
fn heading_ids_write_the_id_and_anchor_they_are_given() {
    let ids: HashMap<usize, String> = [(0, "x".to_string()), (6, "a\"b".to_string())].into();
    assert_eq!(
        through_one(
            "## One\n\n### Two\n\n## Three\n",
            headings::HeadingIds::new(&ids)
        ),
        "<h2 id=\"x\">One<a class=\"heading-anchor\" href=\"#x\" aria-label=\"Link to this section\">#</a></h2>\n\
         <h3>Two</h3>\n\
         <h2 id=\"a&quot;b\">Three<a class=\"heading-anchor\" href=\"#a&quot;b\" aria-label=\"Link to this section\">#</a></h2>\n"
    );
}

#[test]
fn heading_ids_count_on_past_taken_ones() {
    let (events, _) = parse("## Same\n\n## Same\n\n# \n");
    let s = scan(&events);
    let mut used: HashSet<String> = ["same".to_string(), "same-2".to_string()].into();
    let (toc, ids) = headings::assign_ids(&s.headings, &mut used);
    let got: Vec<(u8, &str, &str)> = toc
        .iter()
        .map(|h| (h.level, h.id.as_str(), h.title.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "same-1", "Same"),
            (2, "same-3", "Same"),
            (1, "section", "")
        ]
    );
    assert_eq!(ids[&0], "same-1");
    assert!(used.contains("same-3") && used.contains("section"));
}

#[test]
fn highlight_replaces_code_blocks_and_nothing_else() {
    assert_eq!(
        through_one(
            "Text `inline`.\n\n```\na < b\n```\n\n    indented\n",
            highlight::Highlight::new(DEFAULT_THEMES)
        ),
        "<p>Text <code>inline</code>.</p>\n\
         <pre class=\"code\"><code>a &lt; b\n</code></pre>\n\
         <pre class=\"code\"><code>indented\n</code></pre>\n"
    );
    // The info string's first word is the language.
    assert_eq!(
        through_one(
            "```nosuch {.x}\nq\n```\n",
            highlight::Highlight::new(DEFAULT_THEMES)
        ),
        "<pre class=\"code\" data-lang=\"nosuch\"><code class=\"language-nosuch\">q\n</code></pre>\n"
    );
}

#[test]
fn raw_html_turns_the_more_marker_into_an_anchor_and_flags_other_html() {
    let mut flagged = false;
    assert_eq!(
        through_one(
            "Intro.\n\n<!-- more -->\n\nRest.\n",
            raw_html::RawHtml::new(&mut flagged)
        ),
        "<p>Intro.</p>\n<span id=\"more\"></span>\n<p>Rest.</p>\n"
    );
    assert!(!flagged, "the marker is not the author's HTML");
    assert_eq!(
        through_one(
            "A <b>bold</b> move.\n",
            raw_html::RawHtml::new(&mut flagged)
        ),
        "<p>A <b>bold</b> move.</p>\n"
    );
    assert!(flagged);
}

#[test]
fn footnote_refs_without_a_plan_stay_as_written() {
    assert_eq!(
        through_one(
            "Claim.[^1]\n\n[^1]: Def.\n",
            notes::weave::FootnoteRefs::new(None)
        ),
        "<p>Claim.[^1]</p>\n"
    );
}

/// An environment for URL rewriting in `content/articles/a.md`.
fn with_rewriter<T>(body: &str, f: impl FnOnce(&mut urls::Rewriter) -> T) -> T {
    let mut links: HashMap<PathBuf, String> = HashMap::new();
    links.insert(PathBuf::from("content/articles/b.md"), "articles/b/".into());
    let registry = Registry::default();
    let env = Env {
        base_url: "https://example.org/",
        unsafe_html: false,
        links: &links,
        sources: &registry,
        note_template: None,
        kinds: &[],
        highlight: DEFAULT_THEMES,
    };
    let input = Input {
        file: Path::new("content/articles/a.md"),
        file_text: body,
        body,
        body_offset: 0,
        asset_base: "articles/",
        sidecar: None,
        notes: &[],
        title_from_heading: false,
    };
    let mut lines = None;
    let mut rewriter = urls::Rewriter::new(&input, &env, &mut lines);
    f(&mut rewriter)
}

#[test]
fn urls_are_rewritten_dropped_or_recorded_where_written() {
    let body = "[b](b.md) [x](javascript:x) ![p](p.png)\n\n<a href=\"/raw\">r</a>\n";
    let (html, written, diags) = with_rewriter(body, |rw| {
        let html = through_one(body, urls::Urls::new(rw));
        let written: Vec<String> = rw
            .written_links
            .iter()
            .map(|l| format!("{} {}", l.location, l.url))
            .collect();
        (html, written, rw.diagnostics.len())
    });
    assert_eq!(
        html,
        "<p><a href=\"https://example.org/articles/b/\">b</a> x <img src=\"https://example.org/articles/p.png\" alt=\"p\" /></p>\n\
         <p><a href=\"/raw\">r</a></p>\n"
    );
    assert_eq!(
        written,
        [
            "content/articles/a.md:1:1 https://example.org/articles/b/",
            "content/articles/a.md:1:29 https://example.org/articles/p.png",
            "content/articles/a.md:3:1 /raw",
        ]
    );
    assert_eq!(diags, 1, "the unsafe link is reported");
}

/// Parses `body`, anchors the notes of `sidecar_yaml` and writes the
/// events through the weave only (note bodies left empty).
fn weave_only(body: &str, sidecar_yaml: &str) -> String {
    let (notes, d) = sidecar::parse(Path::new(SIDECAR), sidecar_yaml);
    assert!(d.is_empty(), "{d:?}");
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
    let (events, _) = parse(body);
    let s = scan(&events);
    let index = TextIndex::new(s.joined.clone());
    let (mut lines, mut out) = (None, Rendered::default());
    let mut plan = notes::plan(&input, &index, &s, &[], &mut lines, &mut out);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    plan.build_asides(
        "https://example.org/",
        &Registry::default(),
        &[],
        NoteTemplate::builtin(),
        Path::new(SIDECAR),
        &mut out.diagnostics,
    );
    let mut h = String::new();
    stream::push_html(
        &mut h,
        stream::items(events).through(notes::weave::Weave::new(&plan, &s)),
    );
    h
}

#[test]
fn weave_marks_the_passage_and_puts_the_aside_after_its_block() {
    assert_eq!(
        weave_only(
            "One `two` three.\n\nNext.\n",
            "- quote: two three\n  note: N.\n"
        ),
        "<p>One <code><mark class=\"anchor\" id=\"n1\" data-note=\"note-n1\" aria-details=\"note-n1\">two</mark></code>\
         <mark class=\"anchor\" data-note=\"note-n1\" aria-details=\"note-n1\"> three</mark>\
         <sup class=\"note-ref\"><a href=\"#note-n1\" aria-label=\"Note 1\">1</a></sup>.</p>\n\
         <aside class=\"margin-note\" id=\"note-n1\" role=\"note\" aria-label=\"Note 1\">\n\
         <a class=\"note-number\" href=\"#n1\" aria-label=\"Note 1, back to its passage\">1</a>\n\
         <div class=\"note-body\"></div>\n\
         </aside>\n\
         <p>Next.</p>\n"
    );
    // A highlight without a note: a mark, no number, no aside.
    assert_eq!(
        weave_only("One two.\n\nNext.\n", "- quote: two\n  kind: highlight\n"),
        "<p>One <mark class=\"highlight\" id=\"n1\" data-kind=\"highlight\">two</mark>.</p>\n<p>Next.</p>\n"
    );
}

// Long documents are parsed twice instead of keeping their events.

#[test]
fn parsing_twice_renders_what_keeping_the_events_does() {
    let body = "# The title\n\n\
        First \"paragraph\" -- with *emphasis*, `code`, a [link](b.md) and a note[^a].\n\n\
        ## Part {#part}\n\n\
        | a | b |\n|---|---|\n| cell one | cell two |\n\n\
        - item one\n- item two &amp; more\n\n\
        <!-- more -->\n\n\
        ```rust\nlet x = 1;\n```\n\n\
        > Quoted text that runs\n> across lines.\n\n\
        [^a]: The footnote's *own* text.\n\n\
        ## Part\n\nLast words here.\n";
    let sidecar_yaml = "- quote: cell one\n  note: In a table.\n\
        - quote: paragraph\" – with\n  note: Across text.\n\
        - quote: Last words\n  note: At the end.\n\
        - quote: not in the text\n  note: Broken.\n";
    let (notes, d) = sidecar::parse(Path::new(SIDECAR), sidecar_yaml);
    assert!(d.is_empty(), "{d:?}");
    let links: HashMap<PathBuf, String> =
        [(PathBuf::from("content/articles/b.md"), "articles/b/".into())].into();
    let registry = Registry::default();
    let env = Env {
        base_url: "https://example.org/",
        unsafe_html: false,
        links: &links,
        sources: &registry,
        note_template: None,
        kinds: &[],
        highlight: DEFAULT_THEMES,
    };
    for title_from_heading in [false, true] {
        let input = Input {
            file: Path::new("content/articles/a.md"),
            file_text: body,
            body,
            body_offset: 0,
            asset_base: "articles/",
            sidecar: Some(Path::new(SIDECAR)),
            notes: &notes,
            title_from_heading,
        };
        // `ids` comes from a set: its order means nothing.
        let render = |twice| {
            let mut r = render_parsing(&input, &env, twice);
            r.ids.sort();
            r
        };
        let (kept, twice) = (render(false), render(true));
        assert!(kept.html.contains("<mark"), "{}", kept.html);
        assert!(!kept.diagnostics.is_empty());
        assert_eq!(format!("{kept:#?}"), format!("{twice:#?}"));
    }
}
