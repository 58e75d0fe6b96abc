//! Small HTML helpers shared by the renderers and the link check:
//! escaping, sanitising, and the URLs a piece of HTML links to.

use std::sync::OnceLock;

use html5gum::{DefaultEmitter, Token, Tokenizer};

use crate::url::{UrlUse, is_safe_url_for};

/// Appends `s` to `out`, escaped for HTML text and attribute values.
pub fn escape_into(out: &mut String, s: &str) {
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(out, s);
}

/// `s` escaped for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// The sanitiser for third-party HTML (raw HTML in archived articles and in
/// notes): a safe allow-list that keeps the markup marginalia itself emits
/// (marks, margin notes, highlighted code, heading anchors) so it can run
/// over a whole rendered body.
///
/// URLs follow [`crate::url::is_safe_url_for`], as Markdown links do:
/// ammonia only knows an allow-list of schemes, so the schemes a document
/// uses beyond its default list are added for that document
/// ([`sanitise`]), and the attribute filter refuses the executing and
/// embedding ones.
fn sanitiser() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(builder)
}

fn builder<'a>() -> ammonia::Builder<'a> {
    {
        let mut b = ammonia::Builder::default();
        b.add_tags([
            "mark",
            "aside",
            "figure",
            "figcaption",
            "section",
            "input",
            "details",
            "summary",
        ]);
        b.add_generic_attributes([
            "class",
            "id",
            "title",
            "lang",
            "dir",
            "role",
            "aria-label",
            "aria-hidden",
        ]);
        b.add_tag_attributes("mark", ["data-note", "aria-details", "data-kind"]);
        b.add_tag_attributes("aside", ["data-kind"]);
        b.add_tag_attributes("pre", ["data-lang"]);
        b.add_tag_attributes("input", ["type", "checked", "disabled"]);
        b.add_tag_attributes("th", ["style"]);
        b.add_tag_attributes("td", ["style"]);
        b.attribute_filter(|element, attribute, value| {
            // Tables from Markdown carry `style="text-align: …"`; no other
            // style is let through (a style can load remote URLs).
            if attribute == "style" {
                let v = value.trim().trim_end_matches(';');
                return match v {
                    "text-align: left" | "text-align: center" | "text-align: right" => {
                        Some(value.into())
                    }
                    _ => None,
                };
            }
            if element == "input" && attribute == "type" && value != "checkbox" {
                return None;
            }
            if URL_ATTRIBUTES.contains(&attribute) {
                let used = if element == "img" && attribute == "src" {
                    UrlUse::Image
                } else {
                    UrlUse::Link
                };
                if !is_safe_url_for(value, used) {
                    return None;
                }
            }
            Some(value.into())
        });
        b
    }
}

/// Attributes that hold a URL, which the filter checks like Markdown links.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "poster",
    "background",
    "longdesc",
];

/// Cleans third-party HTML to the allow-list.
pub fn sanitise(html: &str) -> String {
    let html = limit_depth(html, MAX_DEPTH);
    let default = sanitiser();
    let known = default.clone_url_schemes();
    let extra: Vec<String> = schemes_in(&html)
        .into_iter()
        .filter(|s| !known.contains(s.as_str()))
        .collect();
    if extra.is_empty() {
        return default.clean(&html).to_string();
    }
    let mut b = builder();
    b.add_url_schemes(extra.iter().map(String::as_str));
    b.clean(&html).to_string()
}

/// Every word that could be a URL scheme (letters, then letters, digits,
/// `+`, `-` or `.`, before a `:`), lower-cased. A superset of the schemes
/// of the document's URLs: allowing a word that is no URL's scheme changes
/// nothing, and the attribute filter still refuses the dangerous ones.
fn schemes_in(html: &str) -> std::collections::BTreeSet<String> {
    let b = html.as_bytes();
    let is_scheme_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.');
    let mut out = std::collections::BTreeSet::new();
    for colon in memchr::memchr_iter(b':', b) {
        let mut start = colon;
        while start > 0 && is_scheme_char(b[start - 1]) {
            start -= 1;
        }
        // The scheme starts at its first letter.
        while start < colon && !b[start].is_ascii_alphabetic() {
            start += 1;
        }
        if start < colon {
            out.insert(html[start..colon].to_ascii_lowercase());
        }
    }
    out
}

/// How deep elements may nest in HTML handed to the sanitiser. Browsers'
/// parsers stop nesting at about this depth too.
pub const MAX_DEPTH: usize = 512;

/// Elements that never nest on the parser's stack: void elements, and those
/// whose start tag closes an open one of their kind (`<p>`, `<li>`, …).
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "rb", "rt",
    "rp",
];

/// Drops the start and end tags of elements nested deeper than `max`,
/// keeping everything else (their text included). html5ever, under the
/// sanitiser, walks its stack of open elements for most tags, so its time
/// is the square of the nesting depth: one `<b>` beside 50,000 nested
/// Markdown list items made a build take over a minute. This pass only
/// ever removes tags, and the sanitiser still sees its output, so a tag it
/// reads differently from a browser costs nothing in safety.
fn limit_depth(html: &str, max: usize) -> std::borrow::Cow<'_, str> {
    // Cheap exit: fewer tags than the limit cannot nest past it.
    if memchr::memchr_iter(b'<', html.as_bytes())
        .nth(max)
        .is_none()
    {
        return html.into();
    }
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    // Open elements: (name, whether its tags were dropped).
    let mut stack: Vec<(&str, bool)> = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|p| i + p) {
        if html[lt..].starts_with("<!--") {
            i = html[lt..].find("-->").map_or(b.len(), |e| lt + e + 3);
            continue;
        }
        let close = b.get(lt + 1) == Some(&b'/');
        let name_start = lt + 1 + usize::from(close);
        let name_end = b[name_start..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(b.len(), |p| name_start + p);
        if name_end == name_start {
            i = lt + 1;
            continue;
        }
        // The end of the tag: the first `>` outside quotes.
        let mut end = name_end;
        let mut quote = None;
        while end < b.len() {
            match (quote, b[end]) {
                (None, b'>') => break,
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), c) if c == q => quote = None,
                _ => {}
            }
            end += 1;
        }
        let tag_end = (end + 1).min(b.len());
        let name = &html[name_start..name_end];
        let self_closing = b[..tag_end].ends_with(b"/>");
        let drop = if close {
            // Close the nearest open element of this name (near the top:
            // searching the whole stack per tag would be quadratic again).
            let top = stack.len().saturating_sub(16);
            match stack[top..]
                .iter()
                .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some(p) => {
                    let (_, dropped) = stack[top + p];
                    stack.truncate(top + p);
                    dropped
                }
                None => false,
            }
        } else if self_closing || FLAT.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            false
        } else {
            let dropped = stack.len() >= max;
            stack.push((name, dropped));
            dropped
        };
        if drop {
            out.push_str(&html[copied..lt]);
            copied = tag_end;
        }
        i = tag_end;
    }
    if copied == 0 {
        return html.into();
    }
    out.push_str(&html[copied..]);
    out.into()
}

/// Tags and the attribute of each that holds a URL a browser follows or
/// loads.
pub(crate) fn url_attribute(tag: &[u8]) -> Option<&'static [u8]> {
    Some(match tag {
        b"a" | b"area" | b"link" => b"href",
        b"img" | b"script" | b"iframe" | b"source" | b"audio" | b"video" | b"embed" | b"track" => {
            b"src"
        }
        _ => return None,
    })
}

/// The URLs of the `href`/`src` attributes in a piece of HTML (entities
/// decoded), each with the byte offset of its tag: the renderer records
/// those of raw HTML in Markdown, so `check` can report them there. (Here,
/// not in `linkcheck`, because rendering comes before checking.)
pub(crate) fn urls_in_html(html: &str) -> Vec<(String, usize)> {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut out = Vec::new();
    for token in Tokenizer::new_with_emitter(html.as_bytes(), emitter).flatten() {
        if let Token::StartTag(tag) = token
            && let Some(attr) = url_attribute(&tag.name)
            && let Some(v) = tag.attributes.get(attr)
        {
            out.push((
                String::from_utf8_lossy(&v.value).into_owned(),
                tag.span.start,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_escapes_quotes_and_angles() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn deep_nesting_is_cut_before_the_sanitiser() {
        let deep = format!("{}x{}", "<div>".repeat(2_000), "</div>".repeat(2_000));
        let cut = limit_depth(&deep, 512);
        assert_eq!(cut.matches("<div>").count(), 512);
        assert_eq!(cut.matches("</div>").count(), 512);
        assert!(cut.contains('x'));
        // Shallow HTML, and flat elements however many, pass unchanged.
        let flat = format!("<ul>{}</ul>", "<li>item".repeat(2_000));
        assert_eq!(limit_depth(&flat, 512), flat);
        let lists = format!(
            "{}x{}",
            "<ul><li>".repeat(5_000),
            "</li></ul>".repeat(5_000)
        );
        let started = std::time::Instant::now();
        let clean = sanitise(&lists);
        assert!(clean.contains('x') && clean.matches("<ul>").count() <= 512);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn sanitise_strips_scripts_handlers_and_bad_urls_but_keeps_our_markup() {
        let dirty = r#"<p onclick="x()">a<script>alert(1)</script><a href="javascript:alert(1)">b</a>
            <iframe src="https://e.example/"></iframe><style>p{background:url(https://t.example/)}</style>
            <a href="data:text/html,<script>alert(1)</script>">d</a><a href=" JaVa&#9;Script:x()">e</a>
            <a href="vbscript:x">f</a><img src="file:///etc/passwd"><td style="background:url(x)">c</td>
            <mark class="anchor" id="n1" data-note="note-n1" aria-details="note-n1">m</mark>
            <aside class="margin-note" id="note-n1" role="note" data-kind="sourcing">n</aside></p>"#;
        let clean = sanitise(dirty);
        for bad in [
            "<script",
            "onclick",
            "javascript:",
            "<iframe",
            "<style",
            "data:text",
            "vbscript",
            "file:",
            "Script:",
            "url(",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(
            clean.contains(
                r#"<mark class="anchor" id="n1" data-note="note-n1" aria-details="note-n1">"#
            ),
            "{clean}"
        );
        assert!(clean.contains(r#"role="note""#), "{clean}");
    }

    #[test]
    fn sanitiser_keeps_the_urls_markdown_keeps() {
        // The CommonMark spec's autolinks and a relative URL with a colon,
        // as pulldown-cmark writes them, with raw HTML beside them.
        let html = r#"<p><a href="irc://foo.bar:2233/baz">1</a> <a href="a+b+c:d">2</a>
            <a href="made-up-scheme://foo,bar">3</a> <a href="localhost:5001/foo">4</a>
            <a href="foo):">5</a> <img src="data:image/png;base64,iVBOR" alt="dot"><b>raw</b></p>"#;
        let clean = sanitise(html);
        for kept in [
            r#"href="irc://foo.bar:2233/baz""#,
            r#"href="a+b+c:d""#,
            r#"href="made-up-scheme://foo,bar""#,
            r#"href="localhost:5001/foo""#,
            r#"href="foo):""#,
            r#"src="data:image/png;base64,iVBOR""#,
        ] {
            assert!(clean.contains(kept), "{kept} dropped: {clean}");
        }
        // A data: image is an image only where it is embedded as one.
        let clean = sanitise(r#"<a href="data:image/png;base64,iVBOR">x</a>"#);
        assert!(!clean.contains("data:"), "{clean}");
    }
}
