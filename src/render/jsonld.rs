//! schema.org JSON-LD for an article page (DESIGN §11): the `Article` (or
//! `NewsArticle`) itself and one `ClaimReview` per rated note.
//!
//! Built from typed structs with serde_json, never by pasting strings, and
//! made safe for an HTML `<script>` by [`script_safe`]. Text is the
//! archived text as written (front matter, the sidecar's quote), not the
//! page's smart punctuation.
//!
//! The ClaimReview follows Google's fact-check structured-data guide
//! (developers.google.com/search/docs/appearance/structured-data/factcheck):
//! required `claimReviewed`, `reviewRating` (with `alternateName`) and `url`
//! (the note's deep link, on the page's own host); recommended `author` and
//! `itemReviewed` (a `Claim` with `appearance`, `author`, `datePublished`);
//! numeric ratings carry `bestRating` and `worstRating` so that the number
//! has a documented scale.

use serde::Serialize;

use crate::model::{Document, Site};
use crate::sources::{Source, SourceKind};

const CONTEXT: &str = "https://schema.org";

/// A person or organisation, as schema.org names them.
#[derive(Serialize, Debug, Clone)]
pub struct Agent {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Agent {
    fn person(name: &str) -> Agent {
        Agent {
            kind: "Person",
            name: name.to_string(),
            url: None,
        }
    }

    fn organization(name: &str) -> Agent {
        Agent {
            kind: "Organization",
            name: name.to_string(),
            url: None,
        }
    }

    /// A registry source: a person is a `Person`, anything else speaks as
    /// an `Organization`.
    fn source(s: &Source) -> Agent {
        Agent {
            kind: if s.kind == SourceKind::Person {
                "Person"
            } else {
                "Organization"
            },
            name: s.name.clone(),
            url: s.url.clone(),
        }
    }
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ArticleLd {
    #[serde(rename = "@context")]
    pub context: &'static str,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub headline: String,
    pub name: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub in_language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_based_on: Option<String>,
    pub archived_at: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<Agent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Agent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RatingLd {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub alternate_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_value: Option<crate::config::ratings::Score>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_rating: Option<crate::config::ratings::Score>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_rating: Option<crate::config::ratings::Score>,
}

#[derive(Serialize, Debug)]
pub struct Appearance {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub url: String,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ClaimLd {
    #[serde(rename = "@type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appearance: Option<Appearance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Agent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ClaimReviewLd {
    #[serde(rename = "@context")]
    pub context: &'static str,
    #[serde(rename = "@type")]
    pub kind: &'static str,
    pub url: String,
    pub claim_reviewed: String,
    pub review_rating: RatingLd,
    pub item_reviewed: ClaimLd,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Agent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
}

/// The schema.org description of article `d`.
pub fn article(site: &Site, d: &Document) -> ArticleLd {
    let config = &site.config;
    let url = config.url(&d.path);
    let source = d.source.as_deref().and_then(|k| site.registry.get(k));
    let kind = match source {
        Some(s) if s.kind == SourceKind::Publication => "NewsArticle",
        _ => "Article",
    };
    ArticleLd {
        context: CONTEXT,
        kind,
        headline: d.title.clone(),
        name: d.title.clone(),
        description: d.description.clone(),
        in_language: config.language.clone(),
        is_based_on: d.original_url.clone(),
        // Without a snapshot elsewhere, this page is the archived copy.
        archived_at: d.archive_url.clone().unwrap_or_else(|| url.clone()),
        url,
        author: d.authors.iter().map(|a| Agent::person(a)).collect(),
        date_published: d.date.as_ref().map(|x| x.iso()),
        publisher: source.map(Agent::source),
        keywords: d.tags.clone(),
    }
}

/// The `ClaimReview` of note `j` of article `d`'s
/// [`all_notes`](Document::all_notes) (`None` when the note has no
/// rating). A note changed since noted keeps its review: the claim was
/// published in the words it quotes, and its `url` is the note's aside
/// on the latest page, where it is shown (DESIGN §10).
pub fn claim_review(site: &Site, d: &Document, j: usize) -> Option<ClaimReviewLd> {
    let n = d.note_at(j)?;
    let rating = n.rating.as_ref()?;
    let config = &site.config;
    let source = d.source.as_deref().and_then(|k| site.registry.get(k));
    let author = match (&n.author, &config.author) {
        (Some(a), _) => Some(Agent::person(a)),
        (None, Some(a)) => Some(Agent::organization(a)),
        (None, None) => None,
    };
    Some(ClaimReviewLd {
        context: CONTEXT,
        kind: "ClaimReview",
        url: d.note_link(&config.url(&d.path), j, &n.id),
        claim_reviewed: n.written_quote.clone(),
        review_rating: RatingLd {
            kind: "Rating",
            alternate_name: rating.label.clone(),
            rating_value: rating.value,
            best_rating: rating.best,
            worst_rating: rating.worst,
        },
        item_reviewed: ClaimLd {
            kind: "Claim",
            appearance: d.original_url.as_ref().map(|u| Appearance {
                kind: "CreativeWork",
                url: u.clone(),
            }),
            author: source.map(Agent::source),
            date_published: d.date.as_ref().map(|x| x.iso()),
        },
        author,
        date_published: n
            .date
            .as_ref()
            .or(d.archived.as_ref())
            .or(d.date.as_ref())
            .map(|x| x.iso()),
    })
}

/// Every JSON-LD block of article `d`, each ready to be placed inside a
/// `<script type="application/ld+json">` as it is.
pub fn article_scripts(site: &Site, d: &Document) -> Vec<String> {
    let mut out = vec![script_safe(&article(site, d))];
    out.extend(
        (0..d.note_count())
            .filter_map(|j| claim_review(site, d, j))
            .map(|c| script_safe(&c)),
    );
    out
}

/// JSON that cannot end or confuse the `<script>` it sits in: `<`, `>`
/// and `&` become `\u003c` … (so no `</script` and no `<!--` can appear),
/// and U+2028/U+2029 are escaped for old JavaScript parsers. In JSON
/// these characters occur only inside strings, where the escape means the
/// same character, so the data is unchanged.
pub fn script_safe<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail.
    let json = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string());
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_text_cannot_close_the_script_and_parses_back() {
        let hostile = "</script><script>alert(1)</script> <!-- & \u{2028}\u{2029} \"quoted\"";
        let s = script_safe(&serde_json::json!({ "t": hostile }));
        assert!(!s.contains('<') && !s.contains('>'), "{s}");
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["t"], hostile);
    }
}
