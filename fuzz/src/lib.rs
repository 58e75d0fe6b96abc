//! The bodies of marginalia's fuzz targets, as plain functions of bytes.
//!
//! `fuzz/fuzz_targets/*.rs` hand libFuzzer's input to these; the main
//! crate's `tests/regressions.rs` includes this file as a module and feeds
//! every saved crash input and seed through the same functions, so a fixed
//! crash stays fixed under `cargo test` (no fuzzer needed).
//!
//! Each function panics only when marginalia breaks a promise: a panic
//! inside the library, a byte range that is off the text or splits a
//! character, a diagnostic pointing past the end of its file, or (render)
//! markup that lets archived content run script in a reader's browser.
//!
//! Inputs that hold several texts separate them with NUL bytes (NUL in
//! Markdown is replaced by U+FFFD anyway, so nothing is lost).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use marginalia::annotate::anchor::{AnchorError, Selector, TextIndex};
use marginalia::annotate::sidecar;
use marginalia::error::{Diagnostic, LineIndex};
use marginalia::frontmatter::{self, DocKind};
use marginalia::markdown::{self, Env, Input};
use marginalia::sources::Registry;

const ARTICLE: &str = "content/articles/x.md";
const SIDECAR: &str = "content/articles/x.annotations.yaml";

/// A source registry with a hostile name, for the render target.
const SOURCES: &str = "nyt:\n  name: The New York Times\n  url: https://www.nytimes.com/\n\
                       evil:\n  name: \"<script>alert(1)</script>\"\n  url: \"javascript:alert(1)\"\n";

fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |&b| b == 0).collect()
}

/// Every diagnostic can be printed, and points inside its file (a line at
/// most one past the last, for errors at the end of the text).
fn check_diagnostics(diags: &[Diagnostic], file: &str, text: &str) {
    let lines = LineIndex::new(text).line(text.len());
    for d in diags {
        let shown = d.to_string();
        assert!(!shown.is_empty());
        if let Some(loc) = &d.location
            && loc.file == Path::new(file)
        {
            assert!(
                loc.line <= lines + 1,
                "{shown}: line {} of a {lines}-line file",
                loc.line
            );
        }
    }
}

/// Front matter splitting and parsing, as for an article and as for a
/// section's `_index.md`. Non-UTF-8 input is refused before this stage.
pub fn frontmatter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new(ARTICLE);
    match frontmatter::split(file, text) {
        Ok(split) => {
            // The body is the rest of the file from its offset (the
            // Markdown stage turns body offsets into file lines with it).
            assert_eq!(text.get(split.body_offset..), Some(split.body));
            for kind in [DocKind::Document, DocKind::SectionIndex] {
                let (fm, diags) = frontmatter::parse(file, &split, kind);
                check_diagnostics(&diags, ARTICLE, text);
                if let Some(d) = &fm.date {
                    let _ = (d.iso(), d.display(), d.rfc3339());
                }
                let _ = serde_json::to_string(&fm.extra);
            }
        }
        Err(d) => check_diagnostics(&[d], ARTICLE, text),
    }
}

/// Sidecar parsing.
pub fn sidecar(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (notes, diags) = sidecar::parse(Path::new(SIDECAR), text);
    check_diagnostics(&diags, SIDECAR, text);
    let lines = LineIndex::new(text).line(text.len());
    for n in &notes {
        assert!(n.line >= 1 && n.line <= lines, "note line {}", n.line);
        assert!(sidecar::is_valid_id(&n.id), "{:?}", n.id);
    }
}

#[track_caller]
fn check_range(text: &str, r: &std::ops::Range<usize>) {
    assert!(
        r.start <= r.end && r.end <= text.len(),
        "{r:?} in {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
        "{r:?} splits a character"
    );
}

/// Anchoring: `text NUL quote [NUL prefix [NUL suffix [NUL occurrence]]]`.
/// The text may hold U+001E, the block separator of the text index.
pub fn anchor(data: &[u8]) {
    let p = parts(data, 5);
    let text = String::from_utf8_lossy(p[0]).into_owned();
    let get = |i: usize| p.get(i).map(|b| String::from_utf8_lossy(b).into_owned());
    let quote = get(1).unwrap_or_default();
    let prefix = get(2);
    let suffix = get(3);
    let occurrence = p
        .get(4)
        .and_then(|b| b.first())
        .map(|&b| usize::from(b % 8));
    let index = TextIndex::new(text.clone());
    let sel = Selector {
        exact: &quote,
        prefix: prefix.as_deref(),
        suffix: suffix.as_deref(),
        occurrence,
    };
    match index.resolve(&sel) {
        Ok(r) => {
            check_range(&text, &r);
            let (before, after) = index.context(r.clone(), 32);
            assert!(before.chars().count() <= 32 && after.chars().count() <= 32);
        }
        Err(e) => {
            let _ = e.to_string();
            match &e {
                AnchorError::NotFound { closest: Some(c) } => {
                    check_range(&text, &c.range);
                    assert!((0.0..=1.0).contains(&c.similarity), "{}", c.similarity);
                }
                AnchorError::Ambiguous { places, .. }
                | AnchorError::NoneWithContext { places, .. } => {
                    for r in places {
                        check_range(&text, r);
                    }
                }
                _ => {}
            }
        }
    }
    for r in index.find_all(&quote) {
        check_range(&text, &r);
    }
    if let Some(c) = index.closest(&quote) {
        check_range(&text, &c.range);
    }
}

/// The whole render of one article with its sidecar:
/// `article NUL sidecar [NUL flags]`, flags bit 0 = `unsafe_html`.
/// Front matter, sidecar and Markdown go through the same functions a build
/// uses; the output must never let archived content run script (the
/// article body is exempt when `unsafe_html` is on; notes and summaries
/// never are).
pub fn render(data: &[u8]) {
    let p = parts(data, 3);
    let text = String::from_utf8_lossy(p[0]).into_owned();
    let sidecar_text = p
        .get(1)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let unsafe_html = p.get(2).and_then(|b| b.first()).is_some_and(|b| b & 1 == 1);

    let file = Path::new(ARTICLE);
    let (body, body_offset, title_from_heading) = match frontmatter::split(file, &text) {
        Ok(split) => {
            let (fm, diags) = frontmatter::parse(file, &split, DocKind::Document);
            check_diagnostics(&diags, ARTICLE, &text);
            (split.body, split.body_offset, fm.title.is_none())
        }
        // A build stops at this error; render the whole text anyway, as a
        // file without front matter.
        Err(_) => (text.as_str(), 0, true),
    };
    let (notes, diags) = sidecar::parse(Path::new(SIDECAR), &sidecar_text);
    check_diagnostics(&diags, SIDECAR, &sidecar_text);
    let (registry, _) = Registry::parse(Path::new("content/sources.yaml"), SOURCES);
    let mut links: HashMap<PathBuf, String> = HashMap::new();
    links.insert(
        PathBuf::from("content/articles/other.md"),
        "articles/other/".into(),
    );
    let env = Env {
        base_url: "https://example.org/sub/",
        unsafe_html,
        links: &links,
        sources: &registry,
        note_template: None,
        kinds: &[],
        highlight: marginalia::markdown::highlight::Themes {
            light: "InspiredGitHub",
            dark: Some("base16-ocean.dark"),
        },
    };
    let input = Input {
        file,
        file_text: &text,
        body,
        body_offset,
        asset_base: "articles/",
        sidecar: Some(Path::new(SIDECAR)),
        notes: &notes,
        title_from_heading,
    };
    let r = markdown::render(&input, &env);
    check_diagnostics(&r.diagnostics, ARTICLE, &text);
    if !unsafe_html {
        assert_inert(&r.html);
    }
    assert_inert(&r.summary_html);
    for n in &r.notes {
        assert_inert(&n.body_html);
        assert!(sidecar::is_valid_id(&n.id), "{:?}", n.id);
    }
    for id in &r.ids {
        assert!(
            !id.contains(['"', '<', '>', '&', '\'']),
            "id {id:?} needs escaping"
        );
    }
}

/// Elements that run script or load active content.
const ACTIVE: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "style", "svg", "math", "base",
    "link", "meta", "form", "applet", "template", "noscript",
];

/// Panics when `html` holds markup that could run script: an active
/// element, an `on*` attribute, a `javascript:`/`data:`/`vbscript:` URL, or
/// a style attribute with more than table alignment. Text is escaped by
/// the writers, so every `<` here starts a real tag.
#[track_caller]
pub fn assert_inert(html: &str) {
    for (name, attrs) in tags(html) {
        assert!(!ACTIVE.contains(&name.as_str()), "<{name}> in {html}");
        for (a, v) in attrs {
            assert!(!a.starts_with("on"), "{a}= on <{name}> in {html}");
            // As a browser reads a URL (WHATWG URL): C0 controls and spaces
            // trimmed at both ends, tabs and newlines removed anywhere.
            // Other controls stay, and make `java\x08script:` relative.
            let squeezed: String = v
                .trim_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect::<String>()
                .to_ascii_lowercase();
            for scheme in ["javascript:", "data:", "vbscript:"] {
                assert!(
                    !squeezed.starts_with(scheme),
                    "{a}={v:?} on <{name}> in {html}"
                );
            }
            if a == "style" {
                assert!(squeezed.starts_with("text-align:"), "style={v:?} in {html}");
            }
        }
    }
}

/// The tags of an HTML text: lowercased names and attributes (values with
/// `&amp;` and `&#58;`/`&colon;` decoded). Quoted attribute values are
/// honoured, so escaped text inside them is not taken for markup.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let a = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    i += 1;
                    let v = i;
                    while i < b.len() && b[i] != q {
                        i += 1;
                    }
                    value = html[v..i.min(b.len())].to_string();
                    i += 1;
                } else {
                    let v = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = html[v..i].to_string();
                }
            }
            let value = value
                .replace("&amp;", "&")
                .replace("&#58;", ":")
                .replace("&colon;", ":");
            attrs.push((attr, value));
        }
        if !name.is_empty() && !name.starts_with('!') && !name.starts_with('?') {
            out.push((name, attrs));
        }
    }
    out
}
