//! What the page says about itself, for the front matter: where it lives,
//! when it was published, who wrote it, in what language.
//!
//! The extractor reads JSON-LD, Open Graph and the common meta tags; this
//! module adds the places it does not look (`<link rel=canonical>`,
//! `og:url`, `itemprop=datePublished`, `<time datetime>`, `meta
//! name=author`) and turns dates into the forms front matter takes.
//! Nothing is ever guessed: a value the page does not give stays empty.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use dom_query::Document;

/// Facts read straight from the page's markup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    /// `<link rel=canonical>`, else `og:url`, made absolute.
    pub canonical: Option<String>,
    pub published: Option<String>,
    pub author: Option<String>,
    pub lang: Option<String>,
    pub description: Option<String>,
}

fn attr_of(doc: &Document, selector: &str, attr: &str) -> Option<String> {
    doc.select(selector).nodes().iter().find_map(|n| {
        n.attr(attr)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// Reads [`PageFacts`] from the whole page; `base` resolves a relative
/// canonical link.
pub fn page_facts(html: &str, base: Option<&str>) -> PageFacts {
    let doc = Document::from(html);
    let absolute = |href: String| -> Option<String> {
        let joined = match base.and_then(|b| url::Url::parse(b).ok()) {
            Some(b) => b.join(&href).ok()?,
            None => url::Url::parse(&href).ok()?,
        };
        matches!(joined.scheme(), "http" | "https").then(|| joined.to_string())
    };
    let canonical = attr_of(&doc, "link[rel~=canonical][href]", "href")
        .and_then(absolute)
        .or_else(|| {
            attr_of(&doc, "meta[property='og:url'][content]", "content").and_then(absolute)
        });
    let published = [
        ("meta[property='article:published_time']", "content"),
        ("meta[name='article:published_time']", "content"),
        ("meta[itemprop='datePublished']", "content"),
        ("meta[name='date']", "content"),
        ("meta[name='pubdate']", "content"),
        ("meta[name='publish-date']", "content"),
        ("meta[name='dc.date']", "content"),
        ("meta[name='DC.date']", "content"),
        ("meta[name='dcterms.date']", "content"),
        ("meta[name='citation_publication_date']", "content"),
        ("[itemprop='datePublished'][datetime]", "datetime"),
        ("[itemprop='datePublished'][title]", "title"),
        ("time[pubdate][datetime]", "datetime"),
        ("article time[datetime]", "datetime"),
        ("time[datetime]", "datetime"),
    ]
    .iter()
    .find_map(|(sel, attr)| attr_of(&doc, sel, attr));
    let author = attr_of(&doc, "meta[name='author'][content]", "content")
        .or_else(|| attr_of(&doc, "meta[property='article:author'][content]", "content"))
        .filter(|a| !a.starts_with("http"));
    let lang = attr_of(&doc, "html[lang]", "lang")
        .or_else(|| attr_of(&doc, "meta[http-equiv='content-language']", "content"));
    let description = attr_of(&doc, "meta[name='description'][content]", "content");
    PageFacts {
        canonical,
        published,
        author,
        lang,
        description,
    }
}

/// A published time as front matter writes it: RFC 3339 when the page
/// gives a time (its zone kept), `YYYY-MM-DD` when only a day. `None`
/// when the text is no date that can be read without guessing.
pub fn normalise_date(raw: &str) -> Option<String> {
    let s = raw.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.to_rfc3339());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, f) {
            return Some(dt.to_rfc3339());
        }
    }
    // A time with no zone: the day is certain, the instant is not.
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Some(dt.date().format("%Y-%m-%d").to_string());
        }
    }
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10 || s.as_bytes().get(10) == Some(&b'T'))
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// A byline without its "By" and surrounding noise.
pub fn clean_byline(raw: &str) -> Option<String> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = s.to_lowercase();
    let s = ["by ", "posted by ", "written by ", "von ", "par ", "por "]
        .iter()
        .find_map(|p| lower.starts_with(p).then(|| s[p.len()..].to_string()))
        .unwrap_or(s);
    let s = s.trim_matches(|c: char| c == ',' || c == '|' || c.is_whitespace());
    (!s.is_empty() && s.chars().count() <= 200).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_their_zone_or_stay_days() {
        assert_eq!(
            normalise_date("2025-03-14T08:30:00+00:00").as_deref(),
            Some("2025-03-14T08:30:00+00:00")
        );
        assert_eq!(
            normalise_date("2024-08-17T09:12:00+0100").as_deref(),
            Some("2024-08-17T09:12:00+01:00")
        );
        assert_eq!(normalise_date("2023-06-02").as_deref(), Some("2023-06-02"));
        assert_eq!(
            normalise_date("2023-06-02T10:00").as_deref(),
            Some("2023-06-02")
        );
        assert_eq!(normalise_date("last Tuesday"), None);
        assert_eq!(normalise_date("2023-13-02"), None);
    }

    #[test]
    fn facts_from_markup() {
        let f = page_facts(
            "<html lang=en-GB><head><link rel=canonical href='/news/x'>\
             <meta name=author content='Ann Lee'></head><body>\
             <abbr itemprop=datePublished title='2024-08-17T09:12:00+01:00'>9:12</abbr></body></html>",
            Some("https://www.paper.example/a/b"),
        );
        assert_eq!(
            f.canonical.as_deref(),
            Some("https://www.paper.example/news/x")
        );
        assert_eq!(f.author.as_deref(), Some("Ann Lee"));
        assert_eq!(f.lang.as_deref(), Some("en-GB"));
        assert_eq!(f.published.as_deref(), Some("2024-08-17T09:12:00+01:00"));
        assert_eq!(page_facts("<p>x</p>", None), PageFacts::default());
    }

    #[test]
    fn bylines() {
        assert_eq!(
            clean_byline("By  Priya Raman, ").as_deref(),
            Some("Priya Raman")
        );
        assert_eq!(
            clean_byline("Par Claire Dubois").as_deref(),
            Some("Claire Dubois")
        );
        assert_eq!(clean_byline("  "), None);
    }
}
