//! Small HTML helpers shared by the renderers: escaping and sanitising.

use std::sync::OnceLock;

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
fn sanitiser() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
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
            Some(value.into())
        });
        b
    })
}

/// Cleans third-party HTML to the allow-list.
pub fn sanitise(html: &str) -> String {
    sanitiser().clean(&limit_depth(html, MAX_DEPTH)).to_string()
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
            <img src="data:image/svg+xml,<svg onload=alert(1)>"><td style="background:url(x)">c</td>
            <mark class="anchor" id="n1" data-note="note-n1" aria-details="note-n1">m</mark>
            <aside class="margin-note" id="note-n1" role="note" data-kind="sourcing">n</aside></p>"#;
        let clean = sanitise(dirty);
        for bad in [
            "<script",
            "onclick",
            "javascript:",
            "<iframe",
            "<style",
            "data:image",
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
}
