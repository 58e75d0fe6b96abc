//! `marginalia import hypothesis FILE.json`: Hypothesis annotations → notes
//! appended to the sidecars of the articles they were made on.
//!
//! An annotation belongs to the article whose `original_url` (or
//! `archive_url`) is the annotation's `uri`. Each imported note gets the id
//! `h-<hypothesis id>`, so importing the same export twice adds nothing the
//! second time. A note is only written when its quote anchors in the
//! article as it is now; the others are reported, never silently dropped.
//!
//! Real exports hold more than notes: replies (`references`) join their
//! note's `replies:` thread; highlights (no text) become `kind: highlight`;
//! hidden, flagged and private annotations are skipped unless asked for;
//! URLs are compared as Hypothesis compares them ([`crate::url::match_key`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::annotate::anchor::{Selector, TextIndex};
use crate::annotate::edit::{self, NewNote, NewReply};
use crate::annotate::fold::BLOCK_SEPARATOR;
use crate::annotate::sidecar::{self, SIDECAR_SUFFIX};
use crate::error::{Diagnostic, Location};
use crate::frontmatter::{self, DocKind};
use crate::fsutil::read_text;
use crate::fsutil::write_atomic;
use crate::load;
use crate::url::match_key;

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
    /// The thread above a reply, root first (empty for a note).
    #[serde(default)]
    references: Vec<String>,
    /// Hidden by a moderator.
    #[serde(default)]
    hidden: bool,
    /// Flagged by the person who exported (moderation may follow).
    #[serde(default)]
    flagged: bool,
    #[serde(default)]
    permissions: Option<Permissions>,
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Permissions {
    #[serde(default)]
    read: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Target {
    #[serde(default)]
    selector: Vec<serde_json::Value>,
}

impl Annotation {
    /// Only its author may read it (`"read": ["acct:alice@…"]`); public
    /// ones say `group:__world__`, group ones `group:<id>`.
    fn is_private(&self) -> bool {
        self.permissions
            .as_ref()
            .is_some_and(|p| !p.read.is_empty() && p.read.iter().all(|r| *r == self.user))
    }

    fn selector(&self, kind: &str) -> Option<&serde_json::Value> {
        self.target
            .iter()
            .flat_map(|t| &t.selector)
            .find(|s| s["type"] == kind)
    }
}

/// The annotations of an export, in any of its shapes: a bare list, the
/// search API's `{"rows": [...]}`, the client export's
/// `{"annotations": [...]}`, or one annotation (what
/// `GET /api/annotations/:id` returns).
fn annotations_of(json_file: &Path, json: &str) -> Result<Vec<Annotation>, Vec<Diagnostic>> {
    let at = |line: usize, column: usize, msg: String| {
        Diagnostic::error(Some(Location::at(json_file, line, column)), msg)
            .with_help("export annotations from Hypothesis as JSON: a list, {\"rows\": [...]}, {\"annotations\": [...]} or one annotation")
    };
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| vec![at(e.line(), e.column(), format!("not valid JSON: {e}"))])?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut o) => match (o.remove("rows"), o.remove("annotations")) {
            (Some(serde_json::Value::Array(items)), _)
            | (_, Some(serde_json::Value::Array(items))) => items,
            _ if o.contains_key("id") => vec![serde_json::Value::Object(o)],
            _ => {
                return Err(vec![at(
                    1,
                    1,
                    "not a Hypothesis export: an object with neither `rows`, `annotations` nor an annotation's `id`".into(),
                )]);
            }
        },
        _ => return Err(vec![at(1, 1, "not a Hypothesis export".into())]),
    };
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let id = item["id"].as_str().map(str::to_string);
        match serde_json::from_value::<Annotation>(item) {
            Ok(a) => out.push(a),
            Err(e) => errors.push(Diagnostic::error(
                Some(Location::file(json_file)),
                format!(
                    "annotation {} ({}): not a Hypothesis annotation: {e}",
                    i + 1,
                    id.as_deref().unwrap_or("no id")
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// What an import did. A run writes every note it could anchor and says
/// so, sidecar by sidecar (`added`); what it could not import is listed
/// beside (`not_anchored`, `errors`), and the command then exits 1. Running
/// it again after a fix adds only what is missing (ids are stable).
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Sidecar → notes added to it (replies count with their note).
    pub added: Vec<(PathBuf, usize)>,
    /// Annotations already in a sidecar (same id).
    pub already_there: usize,
    /// Annotations whose page is not an article of the site: (uri, id).
    pub unmatched: Vec<(String, String)>,
    /// Page notes: annotations of a whole page, with no selector: (uri, id).
    pub page_notes: Vec<(String, String)>,
    /// Annotations that locate their passage only by position or range
    /// (no quoted text) and could not be imported: (uri, id, why).
    pub position_only: Vec<(String, String, String)>,
    /// Annotations with positions but no quoted text whose passage was
    /// taken from the article's text at those positions, and imported:
    /// (id, start, end, the passage). Positions count UTF-16 code units,
    /// as Hypothesis does, in the article's text with one line break
    /// between blocks; they fit only when the page annotated had the
    /// article's text alone, so the user is shown each passage to check.
    pub by_position: Vec<(String, usize, usize, String)>,
    /// Replies imported into their note's thread.
    pub replies: usize,
    /// Replies whose note is neither in this export nor imported now:
    /// (reply id, note id).
    pub orphan_replies: Vec<(String, String)>,
    /// Highlights (a passage, no text), imported as `kind: highlight`.
    pub highlights: usize,
    /// Hidden, flagged or private annotations skipped (without
    /// `--include-private`).
    pub skipped_private: usize,
    /// Annotations whose quote does not anchor in the article: why.
    pub not_anchored: Vec<Diagnostic>,
    /// Sidecars that could not be written (nothing else is lost).
    pub errors: Vec<Diagnostic>,
}

impl ImportReport {
    /// Whether anything was not imported for a reason the user must see.
    pub fn has_errors(&self) -> bool {
        !self.not_anchored.is_empty() || !self.errors.is_empty()
    }
}

/// What an import may take.
#[derive(Debug, Default, Clone, Copy)]
pub struct ImportOptions {
    /// Keep hidden, flagged and private annotations too.
    pub include_private: bool,
}

/// Characters of context taken on either side of a passage found by
/// position (what the W3C selectors marginalia writes carry).
const CONTEXT_CHARS: usize = 32;

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
    import_hypothesis_with(root, json_file, json, ImportOptions::default())
}

/// [`import_hypothesis`] with options.
pub fn import_hypothesis_with(
    root: &Path,
    json_file: &Path,
    json: &str,
    options: ImportOptions,
) -> Result<ImportReport, Vec<Diagnostic>> {
    let annotations = annotations_of(json_file, json)?;

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
                match_key(url),
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
    // Note id → (its sidecar, its place in the notes to add).
    let mut added_at: HashMap<String, (PathBuf, usize)> = HashMap::new();
    let mut indexes: HashMap<PathBuf, TextIndex> = HashMap::new();
    let kept: Vec<&Annotation> = annotations
        .iter()
        .filter(|a| {
            let skip = !options.include_private && (a.hidden || a.flagged || a.is_private());
            report.skipped_private += usize::from(skip);
            !skip
        })
        .collect();
    // Notes first, so every reply finds its note whatever the order.
    let (replies, notes): (Vec<&Annotation>, Vec<&Annotation>) =
        kept.into_iter().partition(|a| !a.references.is_empty());
    for a in notes {
        let Some(article) = by_url.get(&match_key(&a.uri)) else {
            report.unmatched.push((a.uri.clone(), a.id.clone()));
            continue;
        };
        let index = indexes.entry(article.file.clone()).or_insert_with(|| {
            crate::markdown::text_index(&article.body_text, article.strip_title)
        });
        let (exact, prefix, suffix) = match a.selector("TextQuoteSelector") {
            Some(q) => (
                q["exact"].as_str().unwrap_or_default().to_string(),
                q["prefix"].as_str().map(str::to_string),
                q["suffix"].as_str().map(str::to_string),
            ),
            None => match a.selector("TextPositionSelector") {
                Some(p) => match quote_at_position(index, p) {
                    Ok(derived) => derived,
                    Err(why) => {
                        report
                            .position_only
                            .push((a.uri.clone(), a.id.clone(), why));
                        continue;
                    }
                },
                None if a.selector("RangeSelector").is_some() => {
                    report.position_only.push((
                        a.uri.clone(),
                        a.id.clone(),
                        "it has only a RangeSelector, which names elements of the page annotated, not text".into(),
                    ));
                    continue;
                }
                None => {
                    report.page_notes.push((a.uri.clone(), a.id.clone()));
                    continue;
                }
            },
        };
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
        let index = &indexes[&article.file];
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
        if a.selector("TextQuoteSelector").is_none()
            && let Some(p) = a.selector("TextPositionSelector")
        {
            let at = |k: &str| p[k].as_u64().unwrap_or_default() as usize;
            report
                .by_position
                .push((a.id.clone(), at("start"), at("end"), exact.clone()));
        }
        let highlight = a.text.trim().is_empty();
        report.highlights += usize::from(highlight);
        entry.1.insert(id.clone());
        added_at.insert(a.id.clone(), (article.sidecar.clone(), entry.2.len()));
        entry.2.push(NewNote {
            id,
            quote: exact,
            prefix,
            suffix,
            note: a.text.clone(),
            kind: highlight.then(|| "highlight".to_string()),
            author: author_of(a),
            date: a.created.as_deref().and_then(normalise_date),
            tags: a.tags.clone(),
            replies: Vec::new(),
        });
    }
    // A reply joins the thread of the note it answers (the first of its
    // `references`), replies to replies included, oldest first.
    let mut replies = replies;
    replies.sort_by(|a, b| a.created.cmp(&b.created));
    for r in replies {
        let root_id = &r.references[0];
        match added_at.get(root_id) {
            Some((file, i)) => {
                if let Some(entry) = pending.get_mut(file) {
                    entry.2[*i].replies.push(NewReply {
                        author: author_of(r),
                        date: r.created.as_deref().and_then(normalise_date),
                        text: r.text.clone(),
                    });
                    report.replies += 1;
                }
            }
            None if pending.values().any(|e| e.1.contains(&note_id(root_id))) => {
                // Its note was imported before: its thread came with it.
                report.already_there += 1;
            }
            None => report.orphan_replies.push((r.id.clone(), root_id.clone())),
        }
    }

    let mut sidecars: Vec<_> = pending
        .into_iter()
        .filter(|(_, (_, _, new))| !new.is_empty())
        .collect();
    sidecars.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, (text, _, new)) in sidecars {
        let out = edit::append_notes(&text, &new);
        match write_atomic(&root.join(&path), out.as_bytes()) {
            Ok(()) => report.added.push((path, new.len())),
            Err(e) => report.errors.push(Diagnostic::io(
                &path,
                "write this sidecar (it is unchanged)",
                &e,
            )),
        }
    }
    Ok(report)
}

/// The quote, prefix and suffix at a `TextPositionSelector`'s `start` and
/// `end`: UTF-16 code units (JavaScript string offsets, as Hypothesis
/// counts) into the article's text, its blocks joined by one line break
/// (as a page's text reads them). The context is the 32 characters on
/// either side within the block, as a W3C selector written here has.
/// An error says why the positions do not fit.
fn quote_at_position(
    index: &TextIndex,
    selector: &serde_json::Value,
) -> Result<(String, Option<String>, Option<String>), String> {
    let (Some(start), Some(end)) = (selector["start"].as_u64(), selector["end"].as_u64()) else {
        return Err("its TextPositionSelector has no numeric start and end".into());
    };
    let text = index.text();
    let mut bytes = [None, None];
    let mut units = 0u64;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        for (slot, want) in bytes.iter_mut().zip([start, end]) {
            if units == want && slot.is_none() {
                *slot = Some(at);
            }
        }
        units += c.len_utf16() as u64;
    }
    let total = units - 1;
    let (Some(from), Some(to)) = (bytes[0], bytes[1]) else {
        return Err(if start.max(end) > total {
            format!(
                "its positions ({start}–{end}) lie beyond the article's text ({total} characters): they count in a page with more text than the article"
            )
        } else {
            format!("its positions ({start}–{end}) fall inside a character")
        });
    };
    let quote = text
        .get(from..to)
        .unwrap_or_default()
        .replace(BLOCK_SEPARATOR, " ");
    if start >= end || quote.trim().is_empty() {
        return Err(format!(
            "its positions ({start}–{end}) hold no text in the article"
        ));
    }
    let (before, after) = index.context(from..to, CONTEXT_CHARS);
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Ok((quote, some(before), some(after)))
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
