//! `marginalia import hypothesis FILE.json`: Hypothesis annotations → notes
//! appended to the sidecars of the articles they were made on.
//!
//! An annotation belongs to the article whose `original_url` (or
//! `archive_url`) is the annotation's `uri`. Each imported note gets the id
//! `h-<hypothesis id>`, so importing the same export twice adds nothing the
//! second time. A note is only written when its quote anchors in the
//! article as it is now; the others are reported, never silently dropped.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::annotate::anchor::Selector;
use crate::annotate::edit::{self, NewNote};
use crate::annotate::sidecar::{self, SIDECAR_SUFFIX};
use crate::error::{Diagnostic, Location};
use crate::frontmatter::{self, DocKind};
use crate::load;
use crate::site::read_text;

/// One Hypothesis annotation, as the API and the export write it (the
/// fields we use).
#[derive(Debug, Deserialize)]
struct Annotation {
    id: String,
    #[serde(default)]
    uri: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    target: Vec<Target>,
    #[serde(default)]
    user_info: Option<UserInfo>,
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Target {
    #[serde(default)]
    selector: Vec<serde_json::Value>,
}

/// The export shapes: a bare list, the API's `{rows: [...]}`, or the
/// client export's `{annotations: [...]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Export {
    List(Vec<Annotation>),
    Rows { rows: Vec<Annotation> },
    Annotations { annotations: Vec<Annotation> },
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Sidecar → notes added to it.
    pub added: Vec<(PathBuf, usize)>,
    /// Annotations already in a sidecar (same id).
    pub already_there: usize,
    /// Annotations whose page is not an article of the site: (uri, id).
    pub unmatched: Vec<(String, String)>,
    /// Annotations on a page note (no quoted passage): (uri, id).
    pub page_notes: Vec<(String, String)>,
    /// Annotations whose quote does not anchor in the article: why.
    pub not_anchored: Vec<Diagnostic>,
}

/// URLs compared as people mean them: no fragment, no trailing slash, and
/// http and https alike.
fn url_key(u: &str) -> String {
    let u = u.trim();
    let u = u.split('#').next().unwrap_or(u);
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(u);
    u.trim_end_matches('/').to_string()
}

/// Hypothesis user ids look like `acct:alice@hypothes.is`.
fn author_of(a: &Annotation) -> Option<String> {
    if let Some(name) = a
        .user_info
        .as_ref()
        .and_then(|u| u.display_name.clone())
        .filter(|n| !n.trim().is_empty())
    {
        return Some(name);
    }
    let u = a.user.strip_prefix("acct:").unwrap_or(&a.user);
    let name = u.split('@').next().unwrap_or(u);
    (!name.is_empty()).then(|| name.to_string())
}

/// The id a Hypothesis annotation gets in a sidecar.
fn note_id(hypothesis_id: &str) -> String {
    let clean: String = hypothesis_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("h-{clean}")
}

struct Article {
    file: PathBuf,
    sidecar: PathBuf,
    body_text: String,
    strip_title: bool,
}

/// Imports a Hypothesis export (its JSON text) into the site at `root`.
pub fn import_hypothesis(
    root: &Path,
    json_file: &Path,
    json: &str,
) -> Result<ImportReport, Vec<Diagnostic>> {
    let export: Export = serde_json::from_str(json).map_err(|e| {
        vec![
            Diagnostic::error(
                Some(Location::at(json_file, e.line(), e.column())),
                format!("not a Hypothesis export: {e}"),
            )
            .with_help("export annotations from Hypothesis as JSON (a list, {\"rows\": [...]} or {\"annotations\": [...]})"),
        ]
    })?;
    let annotations = match export {
        Export::List(a) | Export::Rows { rows: a } | Export::Annotations { annotations: a } => a,
    };

    // The site's articles by URL.
    let (tree, diags) = load::load_tree(root);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let mut by_url: HashMap<String, Article> = HashMap::new();
    let mut errors = Vec::new();
    for doc in &tree.documents {
        let text = match read_text(root, &doc.rel) {
            Ok(t) => t,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        let split = match frontmatter::split(&doc.rel, &text) {
            Ok(s) => s,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        let (fm, _) = frontmatter::parse(&doc.rel, &split, DocKind::Document);
        let sidecar = doc
            .sidecar
            .clone()
            .unwrap_or_else(|| match &doc.bundle_dir {
                Some(dir) => dir.join(format!("index{SIDECAR_SUFFIX}")),
                None => doc
                    .rel
                    .with_file_name(format!("{}{SIDECAR_SUFFIX}", doc.stem)),
            });
        for url in fm.original_url.iter().chain(fm.archive_url.iter()) {
            by_url.insert(
                url_key(url),
                Article {
                    file: doc.rel.clone(),
                    sidecar: sidecar.clone(),
                    body_text: split.body.to_string(),
                    strip_title: fm.title.is_none(),
                },
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut report = ImportReport::default();
    // Sidecar → (its current text, ids in it, notes to add).
    let mut pending: HashMap<PathBuf, (String, HashSet<String>, Vec<NewNote>)> = HashMap::new();
    let mut indexes: HashMap<PathBuf, crate::annotate::anchor::TextIndex> = HashMap::new();
    for a in &annotations {
        let Some(article) = by_url.get(&url_key(&a.uri)) else {
            report.unmatched.push((a.uri.clone(), a.id.clone()));
            continue;
        };
        let quote = a
            .target
            .iter()
            .flat_map(|t| &t.selector)
            .find(|s| s["type"] == "TextQuoteSelector");
        let Some(q) = quote else {
            report.page_notes.push((a.uri.clone(), a.id.clone()));
            continue;
        };
        let exact = q["exact"].as_str().unwrap_or_default().to_string();
        let prefix = q["prefix"].as_str().map(str::to_string);
        let suffix = q["suffix"].as_str().map(str::to_string);
        let id = note_id(&a.id);

        let entry = match pending.get_mut(&article.sidecar) {
            Some(e) => e,
            None => {
                let text = match std::fs::read(root.join(&article.sidecar)) {
                    Ok(b) => String::from_utf8(b).map_err(|_| {
                        vec![Diagnostic::error(
                            Some(Location::file(&article.sidecar)),
                            "this sidecar is not valid UTF-8 text",
                        )]
                    })?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(e) => {
                        return Err(vec![Diagnostic::io(
                            &article.sidecar,
                            "read this sidecar",
                            &e,
                        )]);
                    }
                };
                let (notes, d) = sidecar::parse(&article.sidecar, &text);
                if d.iter().any(Diagnostic::is_error) {
                    return Err(d);
                }
                let ids = notes.into_iter().map(|n| n.id).collect();
                pending
                    .entry(article.sidecar.clone())
                    .or_insert((text, ids, Vec::new()))
            }
        };
        if entry.1.contains(&id) {
            report.already_there += 1;
            continue;
        }
        let index = indexes.entry(article.file.clone()).or_insert_with(|| {
            crate::markdown::text_index(&article.body_text, article.strip_title)
        });
        let sel = Selector {
            exact: &exact,
            prefix: prefix.as_deref(),
            suffix: suffix.as_deref(),
            occurrence: None,
        };
        if let Err(e) = index.resolve(&sel) {
            report.not_anchored.push(
                Diagnostic::error(
                    Some(Location::file(&article.file)),
                    format!("Hypothesis annotation {} not imported: {e}", a.id),
                )
                .with_note(format!("quote: \"{exact}\""))
                .with_note(format!("note: {}", a.text.trim())),
            );
            continue;
        }
        entry.1.insert(id.clone());
        entry.2.push(NewNote {
            id,
            quote: exact,
            prefix,
            suffix,
            note: a.text.clone(),
            author: author_of(a),
            date: a.created.as_deref().and_then(normalise_date),
            tags: a.tags.clone(),
        });
    }

    let mut sidecars: Vec<_> = pending
        .into_iter()
        .filter(|(_, (_, _, new))| !new.is_empty())
        .collect();
    sidecars.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, (text, _, new)) in sidecars {
        let out = edit::append_notes(&text, &new);
        std::fs::write(root.join(&path), out)
            .map_err(|e| vec![Diagnostic::io(&path, "write this sidecar", &e)])?;
        report.added.push((path, new.len()));
    }
    Ok(report)
}

/// Hypothesis dates (`2021-05-05T10:00:00.123456+00:00`) as RFC 3339 the
/// sidecar accepts.
fn normalise_date(s: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_loosely() {
        assert_eq!(
            url_key("https://a.example/x/#frag"),
            url_key("http://a.example/x")
        );
        assert_ne!(
            url_key("https://a.example/x"),
            url_key("https://a.example/y")
        );
    }

    #[test]
    fn ids_and_authors() {
        assert_eq!(note_id("Xb1-_c!"), "h-Xb1-_c");
        assert!(sidecar::is_valid_id(&note_id("123")));
        let a: Annotation =
            serde_json::from_str(r#"{"id":"1","user":"acct:alice@hypothes.is"}"#).unwrap();
        assert_eq!(author_of(&a).as_deref(), Some("alice"));
        assert_eq!(
            normalise_date("2021-05-05T10:00:00.123456+00:00").as_deref(),
            Some("2021-05-05T10:00:00+00:00")
        );
    }
}
