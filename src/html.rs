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
    sanitiser().clean(html).to_string()
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
