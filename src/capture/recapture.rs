//! Re-capturing an archived page whose text changed (DESIGN §9, §10): the
//! old `index.md` becomes `versions/<its archived time>.md`, notes without
//! `version:` are pinned to it first (so they stay true to the words they
//! were written on), and the new capture becomes `index.md`.
//!
//! Everything is worked out before anything is written; the snapshot is
//! created with `create_new_atomic` (an existing snapshot is never
//! overwritten), every other file with `write_atomic`, and the sidecar is
//! edited as text so its comments and layout survive.

use std::path::{Path, PathBuf};

use super::{Capture, CaptureError, ORIGINAL_FILE};
use crate::annotate::sidecar::{self, SIDECAR_SUFFIX};
use crate::frontmatter::{self, DocKind};
use crate::fsutil::{create_new_atomic, write_atomic};
use crate::paths::{VERSIONS_DIR, parse_stem};
use crate::versions::{diff, paragraphs, stem_for};

/// What a re-capture did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    /// The article's `index.md` (relative to the root), now the new text.
    pub index: PathBuf,
    /// Where the previous text went (relative to the root).
    pub snapshot: PathBuf,
    /// How many notes were pinned to the previous text.
    pub pinned: usize,
    pub words_removed: usize,
    pub words_added: usize,
    pub title_changed: bool,
}

/// Front matter keys a capture writes; any other key of the old
/// `index.md` (tags, slug, archive_url, …, set by hand) is carried over.
const CAPTURED_KEYS: &[&str] = &[
    "title",
    "author",
    "date",
    "source",
    "original_url",
    "archived",
    "description",
    "lang",
    "archive_sha256",
];

fn err(path: &Path, what: &str, e: impl std::fmt::Display) -> CaptureError {
    CaptureError {
        message: format!("could not {what} {}: {e}", path.display()),
        usage: false,
    }
}

fn fail(message: String) -> CaptureError {
    CaptureError {
        message,
        usage: false,
    }
}

/// Keeps the previous text of the article at `file` (relative to `root`)
/// as a snapshot and writes `capture` as its latest.
pub fn add_version(
    root: &Path,
    file: &Path,
    capture: &Capture,
) -> Result<NewVersion, CaptureError> {
    // A single-file article (`x.md`) becomes a bundle (`x/index.md`) first.
    let index = if file.file_name().is_some_and(|n| n == "index.md") {
        file.to_path_buf()
    } else {
        bundle_of_single_file(root, file)?
    };
    let dir = index.parent().unwrap_or(Path::new("")).to_path_buf();
    let old_text =
        std::fs::read_to_string(root.join(&index)).map_err(|e| err(&index, "read", e))?;
    let split = frontmatter::split(&index, &old_text).map_err(|d| fail(format!("{d}")))?;
    let (fm, _) = frontmatter::parse(&index, &split, DocKind::Document);
    let Some(archived) = fm.archived.clone() else {
        return Err(fail(format!(
            "{} has no `archived:` date, so its text cannot be kept as a dated snapshot; add `archived:` (when it was captured) and run archive again",
            index.display()
        )));
    };
    // Its snapshot name: the date, or the date and time when that day
    // already has a snapshot.
    let versions_dir = dir.join(VERSIONS_DIR);
    let taken: Vec<String> = std::fs::read_dir(root.join(&versions_dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let stem = name.strip_suffix(".md")?.to_string();
                    parse_stem(&stem).map(|_| stem)
                })
                .collect()
        })
        .unwrap_or_default();
    let day = stem_for(&archived, false);
    let clash = taken.iter().any(|t| t.starts_with(&day));
    let stem = stem_for(&archived, clash);
    if taken.contains(&stem) {
        return Err(fail(format!(
            "{} already has a snapshot named {stem}; rename it (YYYY-MM-DDTHHMM) and run archive again",
            versions_dir.display()
        )));
    }
    if clash && !archived.has_time {
        return Err(fail(format!(
            "{} already has a snapshot of {day}, and index.md's `archived:` has no time to tell them apart; give it one (RFC 3339) and run archive again",
            versions_dir.display()
        )));
    }

    // Notes without `version:` are pinned to the old text.
    let sidecar_rel = dir.join(format!("index{SIDECAR_SUFFIX}"));
    let sidecar_text = std::fs::read_to_string(root.join(&sidecar_rel)).ok();
    let pinned = match &sidecar_text {
        Some(t) => Some(pin_notes(&sidecar_rel, t, &stem)?),
        None => None,
    };

    let new_index = new_index_text(capture, split.yaml, fm.source.as_deref());
    let old_paras = paragraphs(split.body, fm.title.is_none());
    let new_paras = paragraphs(&capture.markdown, false);
    let d = diff::diff(
        fm.title.as_deref().unwrap_or_default(),
        &capture.title,
        &old_paras,
        &new_paras,
    );

    // Write: the snapshot (never over another), its capture, the pinned
    // sidecar, then the new text.
    let snapshot = versions_dir.join(format!("{stem}.md"));
    std::fs::create_dir_all(root.join(&versions_dir))
        .map_err(|e| err(&versions_dir, "create", e))?;
    create_new_atomic(&root.join(&snapshot), old_text.as_bytes())
        .map_err(|e| err(&snapshot, "create", e))?;
    let original = dir.join(ORIGINAL_FILE);
    if root.join(&original).is_file() {
        let kept = versions_dir.join(format!("{stem}.{ORIGINAL_FILE}"));
        std::fs::rename(root.join(&original), root.join(&kept))
            .map_err(|e| err(&original, "move", e))?;
    }
    let mut pinned_count = 0;
    if let Some((text, n)) = pinned {
        if n > 0 {
            write_atomic(&root.join(&sidecar_rel), text.as_bytes())
                .map_err(|e| err(&sidecar_rel, "write", e))?;
        }
        pinned_count = n;
    }
    write_atomic(&root.join(&original), &capture.original)
        .map_err(|e| err(&original, "write", e))?;
    write_atomic(&root.join(&index), new_index.as_bytes()).map_err(|e| err(&index, "write", e))?;
    Ok(NewVersion {
        index,
        snapshot,
        pinned: pinned_count,
        words_removed: d.as_ref().map_or(0, |d| d.words_removed),
        words_added: d.as_ref().map_or(0, |d| d.words_added),
        title_changed: d.as_ref().is_some_and(|d| d.title.is_some()),
    })
}

/// Moves `x.md` (and its sidecar) to `x/index.md`; returns the new path.
fn bundle_of_single_file(root: &Path, file: &Path) -> Result<PathBuf, CaptureError> {
    let stem = file.file_stem().and_then(|s| s.to_str()).ok_or_else(|| {
        fail(format!(
            "{} has no name to make a folder of",
            file.display()
        ))
    })?;
    let dir = file.with_file_name(stem);
    std::fs::create_dir(root.join(&dir)).map_err(|e| err(&dir, "create", e))?;
    let index = dir.join("index.md");
    std::fs::rename(root.join(file), root.join(&index)).map_err(|e| err(file, "move", e))?;
    let sidecar = file.with_file_name(format!("{stem}{SIDECAR_SUFFIX}"));
    if root.join(&sidecar).is_file() {
        let to = dir.join(format!("index{SIDECAR_SUFFIX}"));
        std::fs::rename(root.join(&sidecar), root.join(&to))
            .map_err(|e| err(&sidecar, "move", e))?;
    }
    Ok(index)
}

/// The new `index.md`: the capture's front matter (keeping the article's
/// source key) plus every key of the old one that a capture does not
/// write, as it was written.
fn new_index_text(capture: &Capture, old_yaml: &str, source: Option<&str>) -> String {
    let text = super::bundle::index_text(capture, source);
    // A key the page no longer gives keeps its old value.
    let written: Vec<&str> = CAPTURED_KEYS
        .iter()
        .copied()
        .filter(|k| match *k {
            "author" => capture.author.is_some(),
            "date" => capture.date.is_some(),
            "description" => capture.description.is_some(),
            "lang" => capture.lang.is_some(),
            "source" => source.is_some(),
            "original_url" => capture.original_url.is_some(),
            _ => true,
        })
        .collect();
    let kept = kept_keys(old_yaml, &written);
    if kept.is_empty() {
        return text;
    }
    // Insert before the closing fence of the new front matter.
    match text[4..].find("\n---\n") {
        Some(i) => {
            let at = 4 + i + 1;
            format!("{}{kept}{}", &text[..at], &text[at..])
        }
        None => text,
    }
}

/// The lines of top-level keys (with their nested or continued lines) of
/// a YAML front matter that a capture does not write.
fn kept_keys(yaml: &str, written: &[&str]) -> String {
    let mut out = String::new();
    let mut keep = false;
    for line in yaml.lines() {
        let top = !line.starts_with([' ', '\t', '-', '#']) && !line.trim().is_empty();
        if top {
            let key = line.split(':').next().unwrap_or_default().trim();
            keep = !written.contains(&key);
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The sidecar with `version: <stem>` added to every note that has none,
/// and how many were pinned. Each line goes at the end of its note, at
/// the note's key indentation (a flow mapping `{…}` gets it inside), so
/// the file keeps its layout and comments; the result is parsed back to
/// make sure every note says the version.
fn pin_notes(file: &Path, text: &str, stem: &str) -> Result<(String, usize), CaptureError> {
    let (notes, diags) = sidecar::parse(file, text);
    if diags.iter().any(crate::error::Diagnostic::is_error) {
        return Err(fail(format!(
            "{} has errors, so its notes cannot be pinned to the old text; fix it (marginalia check) and run archive again",
            file.display()
        )));
    }
    let unpinned: Vec<usize> = notes
        .iter()
        .filter(|n| n.version.is_none())
        .map(|n| n.line)
        .collect();
    if unpinned.is_empty() {
        return Ok((text.to_string(), 0));
    }
    let lines: Vec<&str> = crate::error::lines_inclusive(text).collect();
    let items = crate::yaml::sequence_item_lines(text);
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    // (after line index, text to insert) or (line index, replacement).
    let mut inserts: Vec<(usize, String)> = Vec::new();
    let mut replaces: Vec<(usize, String)> = Vec::new();
    for &line in &unpinned {
        let start = line - 1;
        let next = items
            .iter()
            .find(|&&l| l > line)
            .map_or(lines.len(), |&l| l - 1);
        let first = lines[start].trim_end_matches(['\n', '\r']);
        let rest = first.strip_prefix('-').unwrap_or(first);
        let body = rest.trim_start();
        if body.starts_with('{') && first.trim_end().ends_with('}') {
            let t = first.trim_end();
            replaces.push((
                start,
                format!("{}, version: {stem}}}{newline}", &t[..t.len() - 1]),
            ));
            continue;
        }
        let indent = first.len() - body.len();
        // The note's last line that says something (not blank, not a
        // comment at the item's level).
        let mut last = start;
        for (i, l) in lines.iter().enumerate().take(next).skip(start + 1) {
            let t = l.trim();
            let item_comment = t.starts_with('#') && l.len() - l.trim_start().len() <= indent;
            if !t.is_empty() && !item_comment {
                last = i;
            }
        }
        inserts.push((
            last,
            format!("{}version: {stem}{newline}", " ".repeat(indent)),
        ));
    }
    let mut out = String::with_capacity(text.len() + unpinned.len() * 24);
    for (i, l) in lines.iter().enumerate() {
        match replaces.iter().find(|(r, _)| *r == i) {
            Some((_, new)) => out.push_str(new),
            None => out.push_str(l),
        }
        if let Some((_, add)) = inserts.iter().find(|(a, _)| *a == i) {
            if !l.ends_with('\n') {
                out.push_str(newline);
            }
            out.push_str(add);
        }
    }
    let (again, d) = sidecar::parse(file, &out);
    let all_pinned = again.len() == notes.len()
        && again
            .iter()
            .zip(&notes)
            .all(|(a, b)| a.version.as_deref() == Some(b.version.as_deref().unwrap_or(stem)));
    if d.iter().any(crate::error::Diagnostic::is_error) || !all_pinned {
        return Err(fail(format!(
            "could not add `version: {stem}` to the notes of {} without changing them; add it by hand to each note without a version, then run archive again",
            file.display()
        )));
    }
    Ok((out, unpinned.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(text: &str) -> (String, usize) {
        pin_notes(Path::new("s.annotations.yaml"), text, "2021-05-04").unwrap()
    }

    #[test]
    fn notes_are_pinned_in_their_own_layout() {
        let text = "# my notes\n- quote: a\n  note: |\n    one\n    two\n\n# about b\n- quote: b\n  note: x\n  version: 2020-01-01\n- {quote: c, note: y}\n";
        let (out, n) = pin(text);
        assert_eq!(n, 2);
        assert_eq!(
            out,
            "# my notes\n- quote: a\n  note: |\n    one\n    two\n  version: 2021-05-04\n\n# about b\n- quote: b\n  note: x\n  version: 2020-01-01\n- {quote: c, note: y, version: 2021-05-04}\n"
        );
    }

    #[test]
    fn a_last_note_without_newline_and_crlf_files() {
        let (out, _) = pin("- quote: a\r\n  note: b");
        assert_eq!(out, "- quote: a\r\n  note: b\r\n  version: 2021-05-04\r\n");
    }

    #[test]
    fn hand_set_front_matter_keys_are_kept() {
        let kept = kept_keys(
            "title: Old\ntags:\n  - a\n  - b\nslug: s\narchived: 2021-05-04\n",
            CAPTURED_KEYS,
        );
        assert_eq!(kept, "tags:\n  - a\n  - b\nslug: s\n");
    }
}
