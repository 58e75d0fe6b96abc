//! Versions of an article (DESIGN §10): earlier snapshots kept in a
//! bundle's `versions/` folder, what changed between them, and notes kept
//! true to the words they were written on.
//!
//! A snapshot is read with its article (never as a page of its own): its
//! front matter and body are parsed in phase one ([`read_snapshots`]), and
//! rendered with the notes pinned to it when the article is rendered
//! ([`render`]). The latest snapshot is the bundle's `index.md`.

pub mod diff;

use std::path::{Path, PathBuf};

use crate::annotate::anchor::Selector;
use crate::annotate::sidecar::SidecarNote;
use crate::error::{Diagnostic, Location};
use crate::frontmatter::{self, DocKind, FrontMatter};
use crate::markdown::{self, Env, Input};
use crate::model::{Change, ChangedNote, Date, Note, Piece, Snapshot, TextDiff, Versions};
use crate::paths::parse_stem;

/// The snapshot stem of a capture time: its date, with `THHMM` when
/// `with_time` (two captures on one day) and the time is known.
pub fn stem_for(archived: &Date, with_time: bool) -> String {
    if with_time && archived.has_time {
        archived.datetime.format("%Y-%m-%dT%H%M").to_string()
    } else {
        archived.datetime.format("%Y-%m-%d").to_string()
    }
}

/// An earlier snapshot, read (phase one).
#[derive(Debug, Clone)]
pub struct ParsedSnapshot {
    /// Relative to the site root.
    pub file: PathBuf,
    /// The file stem: the version's name and URL segment.
    pub stem: String,
    pub fm: FrontMatter,
    /// The file's text (snapshots are few: it is kept to render).
    pub text: String,
}

/// Reads the front matter of a bundle's snapshots (oldest first) and
/// checks their names: two on the same date must both carry a time.
pub fn read_snapshots(root: &Path, files: &[PathBuf]) -> (Vec<ParsedSnapshot>, Vec<Diagnostic>) {
    let mut out: Vec<ParsedSnapshot> = Vec::new();
    let mut diags = Vec::new();
    for file in files {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let Some((day, time)) = parse_stem(&stem) else {
            continue;
        };
        if let Some(other) = out.iter().find(|o| {
            parse_stem(&o.stem).is_some_and(|(d, t)| d == day && (t.is_none() || time.is_none()))
        }) {
            diags.push(
                Diagnostic::error(
                    Some(Location::at(file, 1, 1)),
                    format!(
                        "two snapshots of this article have the date {day}: {} and {}",
                        other.file.display(),
                        file.display()
                    ),
                )
                .with_help("when there are two captures on one day, name both YYYY-MM-DDTHHMM (e.g. 2021-05-04T0930.md)"),
            );
            continue;
        }
        let text = match crate::fsutil::read_text(root, file) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let fm = match frontmatter::split(file, &text) {
            Ok(split) => {
                let (fm, d) = frontmatter::parse(file, &split, DocKind::Document);
                diags.extend(d);
                fm
            }
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        out.push(ParsedSnapshot {
            file: file.clone(),
            stem,
            fm,
            text,
        });
    }
    (out, diags)
}

/// The name of the latest snapshot (`index.md`): its capture date (with
/// the time when an earlier snapshot has the same date). `None` when it
/// says no `archived:` time.
pub fn latest_name(archived: Option<&Date>, snapshots: &[ParsedSnapshot]) -> Option<String> {
    let a = archived?;
    let day = stem_for(a, false);
    let clash = snapshots.iter().any(|s| s.stem.starts_with(&day));
    Some(stem_for(a, clash))
}

/// An error for every note whose `version:` names no snapshot of its
/// article, listing those that exist.
pub fn check_note_versions(
    notes: &[SidecarNote],
    snapshots: &[ParsedSnapshot],
    latest: Option<&str>,
    sidecar: Option<&Path>,
) -> Vec<Diagnostic> {
    let mut names: Vec<&str> = snapshots.iter().map(|s| s.stem.as_str()).collect();
    names.extend(latest);
    let mut diags = Vec::new();
    for n in notes {
        let Some(v) = &n.version else { continue };
        if names.contains(&v.as_str()) {
            continue;
        }
        let listed = if names.is_empty() {
            "this article has no earlier snapshots (and its index.md no `archived:` date)".into()
        } else {
            let mut l: Vec<String> = snapshots.iter().map(|s| s.stem.clone()).collect();
            if let Some(x) = latest {
                l.push(format!("{x} (the latest, index.md)"));
            }
            format!("its versions are {}", l.join(", "))
        };
        let at = n
            .version_location
            .clone()
            .or_else(|| sidecar.map(|s| Location::at(s, n.line, 0)));
        let mut d = Diagnostic::error(
            at,
            format!(
                "note {}: there is no version {v:?} of this article; {listed}",
                n.id
            ),
        );
        d.help = Some(match crate::error::did_you_mean(v, names.iter().copied()) {
            Some(near) => format!("did you mean `version: {near}`? (leave `version:` out for the latest)"),
            None => "write the stem of a file in the bundle's versions/ folder, or leave `version:` out for the latest".into(),
        });
        diags.push(d);
    }
    diags
}

/// Words that open (or phrases inside) a correction or update notice, in
/// lower case: the heuristic of [`adds_notice`], explained on source pages
/// and in the README.
const NOTICE_OPENINGS: &[&str] = &[
    "correction",
    "corrections",
    "clarification",
    "update",
    "updated",
    "editor's note",
    "editor’s note",
    "editors' note",
    "note:",
];
const NOTICE_PHRASES: &[&str] = &[
    "an earlier version of this",
    "a previous version of this",
    "this article has been updated",
    "this story has been updated",
    "this article was updated",
    "this article has been corrected",
    "this story has been corrected",
];

/// Whether a change added a correction or update notice: some added text
/// begins with `Correction`, `Clarification`, `Update(d)` or `Editor's
/// note`, or says "an earlier version of this …" or "this article has been
/// updated/corrected".
pub fn adds_notice(d: &TextDiff) -> bool {
    let added = d.blocks.iter().flat_map(|b| match b {
        crate::model::Block::Changed { pieces } => pieces.as_slice(),
        _ => &[],
    });
    added
        .filter_map(|p| match p {
            Piece::Added(t) => Some(t.trim().to_lowercase()),
            _ => None,
        })
        .any(|t| {
            let t = t.trim_start_matches(|c: char| !c.is_alphanumeric());
            NOTICE_OPENINGS.iter().any(|o| {
                t.starts_with(o)
                    && t[o.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_alphanumeric())
            }) || NOTICE_PHRASES.iter().any(|p| t.contains(p))
        })
}

/// The text of a Markdown body as paragraphs (blocks) of plain text with
/// white space folded: what the diff compares.
pub fn paragraphs(body: &str, strip_title: bool) -> Vec<String> {
    let index = markdown::text_index(body, strip_title);
    index
        .text()
        .split(markdown::BLOCK_SEPARATOR)
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The latest snapshot as the renderer has it.
pub struct Latest<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub strip_title: bool,
    pub archived: Option<&'a Date>,
}

/// Which notes the latest page anchors: those without `version:` (or
/// naming the latest), and those pinned to an earlier snapshot whose
/// passage is still in the latest text. `None` when every note is the
/// latest's (the caller then uses its own list as it is).
pub fn latest_notes(
    notes: &[SidecarNote],
    latest: &Latest,
    latest_name: Option<&str>,
) -> Option<Vec<SidecarNote>> {
    let pinned = |n: &SidecarNote| n.version.is_some() && n.version.as_deref() != latest_name;
    if !notes.iter().any(pinned) {
        return None;
    }
    let index = markdown::text_index(latest.body, latest.strip_title);
    Some(
        notes
            .iter()
            .filter(|n| {
                !pinned(n)
                    || index
                        .resolve(&Selector {
                            exact: &n.quote,
                            prefix: n.prefix.as_deref(),
                            suffix: n.suffix.as_deref(),
                            occurrence: n.occurrence,
                        })
                        .is_ok()
            })
            .cloned()
            .collect(),
    )
}

/// Renders the earlier snapshots with their notes, diffs each consecutive
/// pair, and finds the notes whose passage changed since they were
/// written. `latest_notes` are the notes the latest page shows (their
/// `version` is set here).
#[allow(clippy::too_many_arguments)]
pub fn render(
    snapshots: &[ParsedSnapshot],
    notes: &[SidecarNote],
    sidecar: Option<&Path>,
    latest: &Latest,
    latest_rendered: &mut [Note],
    asset_base: &str,
    env: &Env,
) -> (Versions, Vec<Diagnostic>) {
    let latest_name = latest_name(latest.archived, snapshots);
    let mut diags = Vec::new();
    let mut out = Versions {
        latest: latest_name.clone(),
        ..Versions::default()
    };
    for n in latest_rendered.iter_mut() {
        n.version = notes
            .iter()
            .find(|s| s.id == n.id)
            .and_then(|s| s.version.clone())
            .filter(|v| Some(v) != latest_name.as_ref());
    }
    // (title, paragraphs) of each snapshot, oldest first, then the latest.
    let mut texts: Vec<(String, Vec<String>)> = Vec::with_capacity(snapshots.len() + 1);
    for s in snapshots {
        let text = &s.text;
        let Ok(split) = frontmatter::split(&s.file, text) else {
            continue; // reported when it was read
        };
        let pinned: Vec<SidecarNote> = notes
            .iter()
            .filter(|n| n.version.as_deref() == Some(s.stem.as_str()))
            .cloned()
            .collect();
        let input = Input {
            file: &s.file,
            file_text: text,
            body: split.body,
            body_offset: split.body_offset,
            asset_base,
            sidecar,
            notes: &pinned,
            title_from_heading: s.fm.title.is_none(),
        };
        let mut r = markdown::render(&input, env);
        diags.append(&mut r.diagnostics);
        for n in &mut r.notes {
            n.version = Some(s.stem.clone());
        }
        let title =
            s.fm.title
                .clone()
                .or(r.title)
                .unwrap_or_else(|| latest.title.to_string());
        texts.push((title.clone(), paragraphs(split.body, s.fm.title.is_none())));
        out.snapshots.push(Snapshot {
            file: s.file.clone(),
            stem: s.stem.clone(),
            title,
            date: s.fm.date.clone(),
            archived: s.fm.archived.clone(),
            content_html: r.html,
            notes: r.notes,
            word_count: r.word_count,
        });
    }
    texts.push((
        latest.title.to_string(),
        paragraphs(latest.body, latest.strip_title),
    ));

    for (k, pair) in texts.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        let Some(d) = diff::diff(&a.0, &b.0, &a.1, &b.1) else {
            continue;
        };
        let from = &out.snapshots[k];
        let to = out.snapshots.get(k + 1);
        out.changes.push(Change {
            from: from.stem.clone(),
            to: to.map(|t| t.stem.clone()),
            from_archived: from.archived.clone(),
            to_archived: to.map_or_else(|| latest.archived.cloned(), |t| t.archived.clone()),
            notice: adds_notice(&d),
            diff: d,
        });
    }

    // Notes on an earlier snapshot that the latest page does not anchor.
    let on_latest: std::collections::HashSet<&str> =
        latest_rendered.iter().map(|n| n.id.as_str()).collect();
    let index =
        (!out.snapshots.is_empty()).then(|| markdown::text_index(latest.body, latest.strip_title));
    for s in &out.snapshots {
        for n in &s.notes {
            if on_latest.contains(n.id.as_str()) {
                continue;
            }
            let closest = index.as_ref().and_then(|i| {
                let c = i.closest(&n.written_quote)?;
                Some((i.text()[c.range].to_string(), c.similarity))
            });
            let line = notes.iter().find(|x| x.id == n.id).map_or(0, |x| x.line);
            diags.push(
                Diagnostic::warning(
                    sidecar.map(|f| Location::at(f, line, 0)),
                    format!(
                        "note {} was written on the {} version and its passage is no longer in the latest; it is shown there as changed since noted",
                        n.id, s.stem
                    ),
                )
                .with_help("this is kept as evidence; to anchor it on the latest text instead, change its `quote:` and remove `version:`"),
            );
            out.changed_notes.push(ChangedNote {
                note: n.clone(),
                similarity: closest.as_ref().map_or(0.0, |c| c.1),
                closest: closest.map(|c| c.0),
            });
        }
    }
    (out, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_dates_or_date_times() {
        assert!(parse_stem("2021-05-04").is_some());
        assert_eq!(parse_stem("2021-05-04T0930").unwrap().1, Some((9, 30)),);
        for bad in [
            "2021-5-4",
            "2021-05-04T930",
            "2021-05-04T2460",
            "notes",
            "2021-13-01",
        ] {
            assert!(parse_stem(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_capture_time_names_its_snapshot() {
        let d = Date::parse("2021-05-04T09:30:00+02:00").unwrap();
        assert_eq!(stem_for(&d, false), "2021-05-04");
        assert_eq!(stem_for(&d, true), "2021-05-04T0930");
        let day = Date::parse("2021-05-04").unwrap();
        assert_eq!(stem_for(&day, true), "2021-05-04");
    }

    fn added(text: &str) -> TextDiff {
        diff::diff("T", "T", &["A.".into()], &["A.".into(), text.into()]).unwrap()
    }

    #[test]
    fn correction_notices_are_recognised() {
        assert!(adds_notice(&added(
            "Correction: an earlier date was wrong."
        )));
        assert!(adds_notice(&added(
            "*Update, May 5:* the ministry replied."
        )));
        assert!(adds_notice(&added(
            "An earlier version of this article misstated the date."
        )));
        assert!(!adds_notice(&added("Updates to the treaty were signed.")));
        assert!(!adds_notice(&added("The minister resigned.")));
    }

    #[test]
    fn paragraphs_are_plain_text_blocks() {
        assert_eq!(
            paragraphs("# T\n\nOne *two*\nthree.\n\n- four\n", true),
            ["One two three.", "four"]
        );
    }
}
