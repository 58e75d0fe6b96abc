//! The reader view: the article's body and metadata out of a whole page.
//!
//! Extraction is dom_smoothie's (a port of Mozilla Readability, the
//! algorithm of Firefox's reader view): it scores the page's blocks, keeps
//! the article and leaves navigation, share buttons, comment sections,
//! related rails and ads behind, and it makes links absolute against the
//! page's address. Its Markdown comes from dom_query, the DOM the
//! extractor already built. Before that conversion, every link or image
//! that is not an http(s) or mailto address (`javascript:`, `data:`,
//! `vbscript:` …) is dropped: the link keeps its words, the image goes.

use dom_query::Document;

/// The article as the reader view sees it.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    pub site_name: Option<String>,
    pub lang: Option<String>,
    pub excerpt: Option<String>,
    /// The body, as Markdown.
    pub markdown: String,
}

/// Extracts the article of `html`; `base` (the page's address) makes its
/// links absolute. `None` when the page holds no article at all.
pub fn extract(html: &str, base: Option<&str>) -> Result<Extracted, String> {
    let base = base.filter(|b| url::Url::parse(b).is_ok());
    let cfg = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Raw,
        ..Default::default()
    };
    let doc = Document::from(html);
    remove_marked_furniture(&doc);
    let mut reader = dom_smoothie::Readability::with_document(doc, base, Some(cfg))
        .map_err(|e| format!("the page could not be read: {e}"))?;
    let article = reader
        .parse()
        .map_err(|e| format!("no article was found in the page ({e})"))?;
    let markdown = to_markdown(&article.content);
    let some = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Extracted {
        title: some(Some(article.title.clone())),
        byline: some(article.byline.clone()),
        published: some(article.published_time.clone()),
        site_name: some(article.site_name.clone()),
        lang: some(article.lang.clone()),
        excerpt: some(article.excerpt.clone()),
        markdown,
    })
}

/// The page's address as its JSON-LD gives it (`url` or
/// `mainEntityOfPage`), when it is an absolute http(s) address.
pub fn json_ld_url(html: &str) -> Option<String> {
    let doc = Document::from(html);
    let scripts = doc.select("script[type='application/ld+json']");
    scripts.nodes().iter().find_map(|s| {
        let value: serde_json::Value = serde_json::from_str(s.text().trim()).ok()?;
        let items = match value {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(ref o) if o.contains_key("@graph") => {
                o["@graph"].as_array().cloned().unwrap_or_default()
            }
            other => vec![other],
        };
        items.iter().find_map(|item| {
            let kind = item.get("@type").and_then(|t| t.as_str()).unwrap_or("");
            if !kind.ends_with("Article") && kind != "BlogPosting" && kind != "Report" {
                return None;
            }
            let main = item.get("mainEntityOfPage");
            let url = item
                .get("url")
                .and_then(|u| u.as_str())
                .or_else(|| main.and_then(|m| m.as_str()))
                .or_else(|| main.and_then(|m| m.get("@id")).and_then(|m| m.as_str()))?;
            let parsed = url::Url::parse(url.trim()).ok()?;
            matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
        })
    })
}

/// Class names that mark page furniture by their own admission: ad slots,
/// newsletter boxes, consent banners, share bars. Readability scores
/// blocks by their text and links, so a short "Advertisement" label or a
/// newsletter box inside the story's own `<div>` survives it; these are
/// removed first. Only whole class tokens count (`ad`, not `head`).
const FURNITURE_CLASSES: &[&str] = &[
    "ad",
    "ads",
    "advert",
    "advertisement",
    "ad-slot",
    "ad-container",
    "ad-wrapper",
    "newsletter",
    "newsletter-signup",
    "consent-banner",
    "cookie-banner",
    "cookie-consent",
    "share",
    "share-buttons",
    "social-share",
    "sponsored",
    "promoted",
];

fn remove_marked_furniture(doc: &Document) {
    for node in doc.select("[class], [role]").nodes() {
        let marked = node.attr("class").is_some_and(|c| {
            c.split_ascii_whitespace()
                .any(|t| FURNITURE_CLASSES.contains(&t.to_ascii_lowercase().as_str()))
        }) || node
            .attr("role")
            .is_some_and(|r| matches!(r.trim(), "dialog" | "alertdialog"));
        if marked {
            node.remove_from_parent();
        }
    }
}

/// Whether an address may stay a link in the archive.
pub fn is_web_address(href: &str) -> bool {
    let h = href.trim().to_ascii_lowercase();
    h.starts_with("http://") || h.starts_with("https://") || h.starts_with("mailto:")
}

/// The extracted HTML as Markdown, with only web addresses kept.
pub fn to_markdown(content_html: &str) -> String {
    let doc = Document::from(content_html);
    for a in doc.select("a").nodes() {
        if a.attr("href")
            .is_some_and(|h| !is_web_address(&h) && !h.starts_with('#'))
        {
            a.remove_attr("href");
        }
        // In-page anchors point into the page left behind.
        if a.attr("href").is_some_and(|h| h.starts_with('#')) {
            a.remove_attr("href");
        }
    }
    // A caption is its own paragraph, not words glued to the image.
    for cap in doc.select("figcaption").nodes() {
        cap.rename("p");
    }
    for img in doc.select("img").nodes() {
        let src = img.attr("src").map(|s| s.to_string()).unwrap_or_default();
        let src = src.trim();
        if !(src.starts_with("http://") || src.starts_with("https://")) {
            img.remove_from_parent();
        }
    }
    let md = doc.md(Some(&[
        "script", "style", "meta", "head", "iframe", "object", "embed", "form", "svg", "noscript",
        "template", "button", "input", "select", "textarea",
    ]));
    tidy(&md)
}

/// Trailing spaces off, at most one blank line in a row, one final newline.
fn tidy(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut blank = 0;
    for line in md.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank > 0 {
                out.push('\n');
            }
        }
        blank = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_survive() {
        let md = to_markdown(
            "<div><p>Read <a href=\"javascript:alert(1)\">this</a> and \
             <a href=\"https://a.example/x\">that</a> or <a href=\"data:text/html,x\">those</a>.\
             <img src=\"data:image/png;base64,AA\" alt=\"x\"><img src=\"https://a.example/i.png\" alt=\"pic\"></p></div>",
        );
        assert!(
            md.contains("Read this and [that](https://a.example/x) or those."),
            "{md}"
        );
        assert!(md.contains("![pic](https://a.example/i.png)"), "{md}");
        assert!(!md.contains("javascript") && !md.contains("data:"), "{md}");
    }

    #[test]
    fn blank_lines_are_tidied() {
        assert_eq!(tidy("a  \n\n\n\nb\n\n"), "a\n\nb\n");
    }
}
