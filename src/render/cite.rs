//! "Cite this archived copy": an article's citation as plain text, BibTeX
//! and CSL-JSON, and the `citation_*` meta tags reference managers (Zotero,
//! Google Scholar's Highwire Press tags) read from a page's `<head>`.
//!
//! Every form names the title, the authors, the source as container, the
//! original URL, the archived copy's URL and the dates; all keep the text
//! as written in the front matter. Templates escape the results for HTML.

use serde::Serialize;

use crate::model::{Document, Site};
use crate::sources::SourceKind;

/// The citation forms of one article, for `page.cite` in templates.
#[derive(Serialize, Debug, Clone)]
pub struct Citation {
    pub text: String,
    pub bibtex: String,
    /// Pretty-printed CSL-JSON (one item in an array, as citeproc reads it).
    pub csl_json: String,
    /// `(name, content)` of each `<meta name="citation_…">`, in order.
    pub meta: Vec<(String, String)>,
}

#[derive(Serialize)]
struct CslName {
    literal: String,
}

#[derive(Serialize)]
struct CslDate {
    #[serde(rename = "date-parts")]
    date_parts: Vec<Vec<i64>>,
}

#[derive(Serialize)]
struct CslItem {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    author: Vec<CslName>,
    #[serde(rename = "container-title", skip_serializing_if = "Option::is_none")]
    container_title: Option<String>,
    #[serde(rename = "URL", skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// Where the archived copy is: this site, and the copy's address.
    archive: String,
    archive_location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued: Option<CslDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accessed: Option<CslDate>,
}

fn date_parts(d: &crate::model::Date) -> CslDate {
    use chrono::Datelike;
    let x = d.datetime;
    CslDate {
        date_parts: vec![vec![
            i64::from(x.year()),
            i64::from(x.month()),
            i64::from(x.day()),
        ]],
    }
}

/// BibTeX's special characters, escaped for a braced field.
fn bib(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '#' | '_' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            // A field is one line.
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A URL inside BibTeX's `\url{…}`/`url = {…}`, which are verbatim except
/// that braces must balance: those few are percent-encoded.
fn bib_url(u: &str) -> String {
    u.replace('{', "%7B")
        .replace('}', "%7D")
        .replace('\\', "%5C")
}

/// The citation of article `d`, archived on this site.
pub fn citation(site: &Site, d: &Document) -> Citation {
    let config = &site.config;
    let page_url = config.url(&d.path);
    let source = d.source.as_deref().and_then(|k| site.registry.get(k));
    let container = source.map(|s| s.name.clone());
    let date = d.date.as_ref();
    let archived = d.archived.as_ref();
    let archived_url = d.archive_url.clone();

    // Plain text, in the shape of common style guides' web-article form.
    let mut text = String::new();
    if !d.authors.is_empty() {
        text.push_str(&d.authors.join(", "));
        text.push_str(". ");
    }
    text.push_str(&format!(
        "\u{201c}{}.\u{201d}",
        d.title.trim_end_matches('.')
    ));
    if let Some(c) = &container {
        text.push_str(&format!(" {c}"));
        if let Some(x) = date {
            text.push_str(&format!(", {}", x.display()));
        }
        text.push('.');
    } else if let Some(x) = date {
        text.push_str(&format!(" {}.", x.display()));
    }
    if let Some(u) = &d.original_url {
        text.push_str(&format!(" {u}."));
    }
    text.push_str(&format!(" Archived copy: {page_url}"));
    if let Some(x) = archived {
        text.push_str(&format!(" (archived {})", x.display()));
    }
    text.push('.');
    if let Some(u) = &archived_url {
        text.push_str(&format!(" Snapshot: {u}."));
    }

    // BibTeX: @misc works with both BibTeX and biblatex.
    let key = {
        let first = d
            .authors
            .first()
            .and_then(|a| a.split_whitespace().last())
            .map(slug::slugify)
            .unwrap_or_else(|| d.slug.clone());
        let year = date
            .map(|x| x.datetime.format("%Y").to_string())
            .unwrap_or_default();
        let k = format!("{first}{year}").replace('-', "");
        if k.is_empty() {
            "archived".to_string()
        } else {
            k
        }
    };
    let mut fields: Vec<(&str, String)> = vec![("title", format!("{{{}}}", bib(&d.title)))];
    if !d.authors.is_empty() {
        let names: Vec<String> = d.authors.iter().map(|a| bib(a)).collect();
        fields.push(("author", format!("{{{}}}", names.join(" and "))));
    }
    if let Some(c) = &container {
        fields.push(("howpublished", format!("{{{}}}", bib(c))));
    }
    if let Some(x) = date {
        fields.push(("year", format!("{{{}}}", x.datetime.format("%Y"))));
        fields.push(("date", format!("{{{}}}", x.datetime.format("%Y-%m-%d"))));
    }
    if let Some(u) = &d.original_url {
        fields.push(("url", format!("{{{}}}", bib_url(u))));
    }
    if let Some(x) = archived {
        fields.push(("urldate", format!("{{{}}}", x.datetime.format("%Y-%m-%d"))));
    }
    let mut note = format!("Archived copy: \\url{{{}}}", bib_url(&page_url));
    if let Some(u) = &archived_url {
        note.push_str(&format!("; snapshot: \\url{{{}}}", bib_url(u)));
    }
    fields.push(("note", format!("{{{note}}}")));
    let mut bibtex = format!("@misc{{{key},\n");
    for (i, (name, value)) in fields.iter().enumerate() {
        let comma = if i + 1 < fields.len() { "," } else { "" };
        bibtex.push_str(&format!("  {name} = {value}{comma}\n"));
    }
    bibtex.push_str("}\n");

    let csl = CslItem {
        id: key,
        kind: match source.map(|s| s.kind) {
            Some(SourceKind::Publication) => "article-newspaper",
            _ => "webpage",
        },
        title: d.title.clone(),
        author: d
            .authors
            .iter()
            .map(|a| CslName { literal: a.clone() })
            .collect(),
        container_title: container.clone(),
        url: d.original_url.clone(),
        archive: config.title.clone(),
        archive_location: archived_url.clone().unwrap_or_else(|| page_url.clone()),
        issued: date.map(date_parts),
        accessed: archived.map(date_parts),
    };
    let csl_json = serde_json::to_string_pretty(&[csl]).unwrap_or_default();

    let mut meta: Vec<(String, String)> = vec![("citation_title".into(), d.title.clone())];
    for a in &d.authors {
        meta.push(("citation_author".into(), a.clone()));
    }
    if let Some(x) = date {
        meta.push((
            "citation_publication_date".into(),
            x.datetime.format("%Y/%m/%d").to_string(),
        ));
    }
    if let Some(c) = &container {
        meta.push(("citation_journal_title".into(), c.clone()));
        meta.push(("citation_publisher".into(), c.clone()));
    }
    if let Some(x) = archived {
        meta.push((
            "citation_online_date".into(),
            x.datetime.format("%Y/%m/%d").to_string(),
        ));
    }
    meta.push(("citation_public_url".into(), page_url));
    meta.push(("citation_language".into(), config.language.clone()));
    Citation {
        text,
        bibtex,
        csl_json,
        meta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bibtex_specials_are_escaped() {
        assert_eq!(bib("50% & {x} #1_a $"), "50\\% \\& \\{x\\} \\#1\\_a \\$");
        assert_eq!(bib("a\\b"), "a\\textbackslash{}b");
        assert_eq!(bib_url("https://x/{a}"), "https://x/%7Ba%7D");
    }
}
