//! Sidecar files (`<stem>.annotations.yaml`): a YAML list of notes, each
//! anchored to a quoted passage of its article.
//!
//! Each note keeps the line of its `- ` item so that every later problem
//! (a quote that does not match, an unknown source) can point at it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bincode::Options;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::config::ratings::Score;
use crate::error::{Diagnostic, LineIndex, Location};
use crate::model::{Date, Rating, Reply};
use crate::yaml::{self, Fields, Value};

/// The file name suffix of a sidecar: `x.md` → `x.annotations.yaml`.
pub const SIDECAR_SUFFIX: &str = ".annotations.yaml";

const NOTE_KEYS: &[&str] = &[
    "quote",
    "prefix",
    "suffix",
    "occurrence",
    "note",
    "sources",
    "kind",
    "id",
    "author",
    "date",
    "tags",
    "rating",
    "replies",
    "version",
];

/// The `kind` of a marked passage with no note beside it (DESIGN §1).
pub const HIGHLIGHT: &str = "highlight";
const REPLY_KEYS: &[&str] = &["author", "date", "text"];

/// One note as written in a sidecar, before anchoring.
#[derive(Debug, Clone, PartialEq)]
pub struct SidecarNote {
    /// 1-based line of the note's `- ` item in the sidecar.
    pub line: usize,
    pub quote: String,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub occurrence: Option<usize>,
    /// The note itself, Markdown; empty only for a highlight.
    pub note: String,
    pub sources: Vec<String>,
    /// The lines of each `sources` key, for unknown-source errors.
    pub sources_location: Option<Location>,
    pub kind: Option<String>,
    /// The explicit id, or `n<position>` (1-based position in the file).
    pub id: String,
    pub author: Option<String>,
    pub date: Option<Date>,
    pub tags: Vec<String>,
    /// A fact-check verdict on the quoted claim (DESIGN §11).
    pub rating: Option<Rating>,
    /// The thread under the note, oldest first.
    pub replies: Vec<Reply>,
    /// The snapshot it was written on (`version: 2021-05-04`, DESIGN §10);
    /// `None` for the latest. Checked against the article's snapshots
    /// when the article is read.
    pub version: Option<String>,
    /// Where `version:` is written, for an unknown version's error.
    pub version_location: Option<Location>,
}

/// Reads a note's `replies:` list; every problem is reported at the
/// note's `replies` key.
fn parse_replies(
    value: yaml::Value,
    at: &Location,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Reply> {
    let err = |msg: String| {
        Diagnostic::error(Some(at.clone()), msg)
            .with_help("write `replies:` as a list of `{author: …, date: YYYY-MM-DD, text: …}`")
    };
    let items = match value {
        Value::Null => return Vec::new(),
        Value::Sequence(items) => items,
        other => {
            diagnostics.push(err(format!(
                "`replies` should be a list of replies, found {}",
                yaml::describe(&other)
            )));
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let n = i + 1;
        let Value::Mapping(map) = item else {
            diagnostics.push(err(format!("reply {n} is not a mapping")));
            continue;
        };
        let mut text = None;
        let mut author = None;
        let mut date = None;
        for (k, v) in map {
            let key = yaml::scalar_string(&k).unwrap_or_default();
            let value = yaml::scalar_string(&v);
            match key.as_str() {
                "text" => text = value,
                "author" => author = value,
                "date" => match value.as_deref().map(|s| (s, Date::parse(s))) {
                    Some((_, Some(d))) => date = Some(d),
                    Some((s, None)) => {
                        diagnostics.push(err(format!("reply {n}: `date` {s:?} is not a date")))
                    }
                    None => {}
                },
                other => {
                    let hint = crate::error::suggestion(other, REPLY_KEYS.iter().copied())
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default();
                    diagnostics.push(err(format!("reply {n}: unknown key `{other}`{hint}")));
                }
            }
        }
        match text {
            Some(text) if !text.trim().is_empty() => out.push(Reply { author, date, text }),
            _ => diagnostics.push(err(format!("reply {n} has no `text`"))),
        }
    }
    out
}

/// Parses a sidecar's text. Every problem is reported; notes with a fatal
/// problem (no quote, no note) are left out of the result.
pub fn parse(file: &Path, text: &str) -> (Vec<SidecarNote>, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let line_index = LineIndex::new(text);
    let source = yaml::Source::new(file, text, 0).with_index(&line_index);
    let mut diagnostics = Vec::new();
    let items = match source.parse() {
        Ok(Value::Null) => return (Vec::new(), diagnostics),
        Ok(Value::Sequence(items)) => items,
        Ok(other) => {
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::at(file, 1, 1)),
                    format!(
                        "a sidecar should be a list of notes, found {}",
                        yaml::describe(&other)
                    ),
                )
                .with_help("start each note with `- quote: \"…\"` and give it a `note:`"),
            );
            return (Vec::new(), diagnostics);
        }
        Err(d) => {
            diagnostics.push(d);
            return (Vec::new(), diagnostics);
        }
    };
    // Lines of the top-level items, when the file is in block style and
    // they can be counted; otherwise every note points at line 1.
    let item_lines = yaml::sequence_item_lines(text);
    let item_lines = (item_lines.len() == items.len()).then_some(item_lines);
    let mut notes = Vec::with_capacity(items.len());
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.into_iter().enumerate() {
        let (line, next_line) = match &item_lines {
            Some(l) => (l[i], l.get(i + 1).copied().unwrap_or(usize::MAX)),
            None => (1, usize::MAX),
        };
        let mut f = match Fields::new(item, source, Some(line..next_line), "a note") {
            Ok(f) => f,
            Err(d) => {
                diagnostics
                    .push(d.with_help("each note is a mapping with at least `quote:` and `note:`"));
                continue;
            }
        };
        let quote = f.take_string("quote");
        let note_text = f.take_string("note");
        let prefix = f.take_string("prefix");
        let suffix = f.take_string("suffix");
        let occurrence = f.take_count("occurrence", 1);
        let sources = f.take_string_list("sources");
        let sources_location = (!sources.is_empty()).then(|| f.location_of("sources"));
        let kind = f
            .take_string("kind")
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        let explicit_id = f.take_string("id");
        let id_location = f.location_of("id");
        let author = f.take_string("author");
        let date = f.take_string("date").and_then(|s| match Date::parse(&s) {
            Some(d) => Some(d),
            None => {
                diagnostics.push(
                    Diagnostic::error(
                        Some(source.key_location("date", Some(line..next_line))),
                        format!("`date` {s:?} is not a date"),
                    )
                    .with_help("write YYYY-MM-DD or RFC 3339"),
                );
                None
            }
        });
        let tags = f.take_string_list("tags");
        let version = f
            .take_string("version")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let version_location = version.as_ref().map(|_| f.location_of("version"));
        let replies_at = f.location_of("replies");
        let replies = f
            .take_raw("replies")
            .map(|v| parse_replies(v, &replies_at, &mut diagnostics))
            .unwrap_or_default();
        let rating = f.take_raw("rating").and_then(|v| {
            let at = f.location_of("rating");
            let (r, d) = super::rating::from_yaml(v, source, line..next_line, at);
            diagnostics.extend(d);
            r
        });
        diagnostics.extend(std::mem::take(&mut f.diagnostics));
        diagnostics.extend(f.deny_unknown(NOTE_KEYS, "a note"));

        let here = Location::at(file, line, 0);
        let quote = match quote {
            Some(q) if !q.trim().is_empty() => q,
            Some(_) => {
                diagnostics.push(Diagnostic::error(
                    Some(here),
                    "this note's `quote` is empty",
                ));
                continue;
            }
            None => {
                diagnostics.push(
                    Diagnostic::error(Some(here), "this note has no `quote`").with_help(
                        "add `quote:` with the passage of the article the note is about",
                    ),
                );
                continue;
            }
        };
        // A highlight marks a passage and says nothing: it alone may go
        // without a note.
        let is_highlight = kind.as_deref() == Some(HIGHLIGHT);
        let note_text = match note_text {
            Some(t) if is_highlight || !t.trim().is_empty() => t,
            None if is_highlight => String::new(),
            Some(_) => {
                diagnostics.push(
                    Diagnostic::error(Some(here), "this note's `note` is empty")
                        .with_help("write your comment in `note:`, or add `kind: highlight` to mark the passage without a note"),
                );
                continue;
            }
            None => {
                diagnostics.push(
                    Diagnostic::error(Some(here), "this note has no `note`")
                        .with_help("add `note:` with your comment (Markdown), or `kind: highlight` to mark the passage without a note"),
                );
                continue;
            }
        };
        let id = match explicit_id {
            Some(id) if is_valid_id(&id) => id,
            Some(id) => {
                diagnostics.push(
                    Diagnostic::error(
                        Some(id_location),
                        format!("note id {id:?} cannot be used in a link"),
                    )
                    .with_help("start with a letter and use only letters, digits, `-` and `_`"),
                );
                format!("n{}", i + 1)
            }
            None => format!("n{}", i + 1),
        };
        if let Some(first) = ids.insert(id.clone(), line) {
            diagnostics.push(
                Diagnostic::error(Some(here.clone()), format!("two notes have the id {id:?}"))
                    .with_note(format!("the other one is at line {first}"))
                    .with_help("give one of them another `id:` (notes without one are n1, n2, … by position)"),
            );
        }
        notes.push(SidecarNote {
            line,
            quote,
            prefix,
            suffix,
            occurrence,
            note: note_text,
            sources,
            sources_location,
            kind,
            id,
            author,
            date,
            tags,
            rating,
            replies,
            version,
            version_location,
        });
    }
    (notes, diagnostics)
}

/// A sidecar's notes packed into bytes, as phase one holds them until
/// phase two renders their document: a parsed note is ~0.8 KB of small
/// allocations, its packed form about its size in the sidecar. The build
/// cache keeps these bytes as they are (`cache::parsed`), so a kept parse
/// is handed to phase two without being unpacked and packed again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedNotes(Box<[u8]>);

/// The note's own place: a location in its sidecar keeps no file name
/// (`None`), any other keeps it.
type PackedAt = (Option<PathBuf>, usize, usize);
type PackedDate = (DateTime<FixedOffset>, bool);
/// A rating: label, value, best, worst, where it is written.
type PackedRating = (String, Option<f64>, Option<f64>, Option<f64>, PackedAt);

/// [`SidecarNote`] as packed: the model's types serialize for templates,
/// which is not a faithful round trip. Each conversion destructures the
/// whole struct, so a field added to a note does not compile until it is
/// packed too.
#[derive(Serialize, Deserialize)]
struct PackedNote {
    line: usize,
    quote: String,
    prefix: Option<String>,
    suffix: Option<String>,
    occurrence: Option<usize>,
    note: String,
    sources: Vec<String>,
    sources_location: Option<PackedAt>,
    kind: Option<String>,
    id: String,
    author: Option<String>,
    date: Option<PackedDate>,
    tags: Vec<String>,
    rating: Option<PackedRating>,
    replies: Vec<(Option<String>, Option<PackedDate>, String)>,
    version: Option<String>,
    version_location: Option<PackedAt>,
}

/// Small integers in a byte or two (bincode's varint encoding).
fn packing() -> impl Options {
    bincode::DefaultOptions::new()
}

impl PackedNotes {
    /// The notes of the sidecar `sidecar`, packed.
    pub fn pack(notes: &[SidecarNote], sidecar: &Path) -> PackedNotes {
        let at = |l: &Location| -> PackedAt {
            let Location { file, line, column } = l;
            ((file != sidecar).then(|| file.clone()), *line, *column)
        };
        let date = |d: &Date| -> PackedDate { (d.datetime, d.has_time) };
        let packed: Vec<PackedNote> = notes
            .iter()
            .map(|n| {
                let SidecarNote {
                    line,
                    quote,
                    prefix,
                    suffix,
                    occurrence,
                    note,
                    sources,
                    sources_location,
                    kind,
                    id,
                    author,
                    date: when,
                    tags,
                    rating,
                    replies,
                    version,
                    version_location,
                } = n;
                PackedNote {
                    line: *line,
                    quote: quote.clone(),
                    prefix: prefix.clone(),
                    suffix: suffix.clone(),
                    occurrence: *occurrence,
                    note: note.clone(),
                    sources: sources.clone(),
                    sources_location: sources_location.as_ref().map(at),
                    kind: kind.clone(),
                    id: id.clone(),
                    author: author.clone(),
                    date: when.as_ref().map(date),
                    tags: tags.clone(),
                    rating: rating.as_ref().map(|r| {
                        let Rating {
                            label,
                            value,
                            best,
                            worst,
                            location,
                        } = r;
                        (
                            label.clone(),
                            value.map(|s| s.0),
                            best.map(|s| s.0),
                            worst.map(|s| s.0),
                            at(location),
                        )
                    }),
                    replies: replies
                        .iter()
                        .map(|r| {
                            let Reply {
                                author,
                                date: when,
                                text,
                            } = r;
                            (author.clone(), when.as_ref().map(date), text.clone())
                        })
                        .collect(),
                    version: version.clone(),
                    version_location: version_location.as_ref().map(at),
                }
            })
            .collect();
        // Serializing owned strings and numbers into a Vec cannot fail.
        PackedNotes(packing().serialize(&packed).unwrap_or_default().into())
    }

    /// The notes again, their locations in `sidecar`; `None` when the
    /// bytes are not packed notes (a damaged kept parse).
    pub fn unpack(&self, sidecar: &Path) -> Option<Vec<SidecarNote>> {
        if self.0.is_empty() {
            return Some(Vec::new());
        }
        let packed: Vec<PackedNote> = packing().deserialize(&self.0).ok()?;
        let at = |(file, line, column): PackedAt| Location {
            file: file.unwrap_or_else(|| sidecar.to_path_buf()),
            line,
            column,
        };
        let date = |(datetime, has_time): PackedDate| Date { datetime, has_time };
        Some(
            packed
                .into_iter()
                .map(|n| SidecarNote {
                    line: n.line,
                    quote: n.quote,
                    prefix: n.prefix,
                    suffix: n.suffix,
                    occurrence: n.occurrence,
                    note: n.note,
                    sources: n.sources,
                    sources_location: n.sources_location.map(at),
                    kind: n.kind,
                    id: n.id,
                    author: n.author,
                    date: n.date.map(date),
                    tags: n.tags,
                    rating: n
                        .rating
                        .map(|(label, value, best, worst, location)| Rating {
                            label,
                            value: value.map(Score),
                            best: best.map(Score),
                            worst: worst.map(Score),
                            location: at(location),
                        }),
                    replies: n
                        .replies
                        .into_iter()
                        .map(|(author, when, text)| Reply {
                            author,
                            date: when.map(date),
                            text,
                        })
                        .collect(),
                    version: n.version,
                    version_location: n.version_location.map(at),
                })
                .collect(),
        )
    }

    /// The packed bytes, as the build cache keeps them.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Bytes [`PackedNotes::bytes`] gave (checked when unpacked).
    pub fn from_bytes(bytes: Vec<u8>) -> PackedNotes {
        PackedNotes(bytes.into())
    }
}

/// Ids become `id` attributes and URL fragments (`#logan-act`), so they stay
/// within characters that need no escaping anywhere.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && id.len() <= 100
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Vec<SidecarNote>, Vec<Diagnostic>) {
        parse(Path::new("content/a.annotations.yaml"), text)
    }

    #[test]
    fn reads_every_field_and_default_ids() {
        let (notes, d) = parse_str(
            "- quote: \"according to several\"\n  note: |\n    Anonymous.\n  sources: [anon, nyt]\n  kind: sourcing\n\
             - quote: Logan Act\n  occurrence: 1\n  prefix: the\n  suffix: .\n  note: A 1799 law.\n  id: logan-act\n\
             \x20 author: Ann\n  date: 2026-11-26\n  tags: law\n  sources: nyt\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].id, "n1");
        assert_eq!(notes[0].line, 1);
        assert_eq!(notes[0].note, "Anonymous.\n");
        assert_eq!(notes[0].sources, vec!["anon", "nyt"]);
        assert_eq!(
            notes[0].sources_location,
            Some(Location::at("content/a.annotations.yaml", 4, 3))
        );
        assert_eq!(notes[1].id, "logan-act");
        assert_eq!(notes[1].line, 6);
        assert_eq!(notes[1].occurrence, Some(1));
        assert_eq!(notes[1].prefix.as_deref(), Some("the"));
        assert_eq!(notes[1].tags, vec!["law"]);
        assert_eq!(notes[1].sources, vec!["nyt"]);
    }

    #[test]
    fn unknown_key_missing_fields_and_duplicate_ids_are_errors() {
        let (notes, d) = parse_str(
            "- quote: a\n  note: b\n  sorces: [x]\n- note: no quote\n- quote: c\n  note: d\n  id: n1\n",
        );
        assert_eq!(notes.len(), 2);
        let msgs: Vec<String> = d.iter().map(|x| x.to_string()).collect();
        assert_eq!(d.len(), 3, "{msgs:#?}");
        assert!(
            msgs[0].contains("a.annotations.yaml:3:3")
                && msgs[0].contains("did you mean `sources`"),
            "{}",
            msgs[0]
        );
        assert!(
            msgs[1].contains(":4") && msgs[1].contains("no `quote`"),
            "{}",
            msgs[1]
        );
        assert!(
            msgs[2].contains(":5") && msgs[2].contains("two notes have the id \"n1\""),
            "{}",
            msgs[2]
        );
    }

    #[test]
    fn not_a_list_is_an_error_and_empty_is_fine() {
        assert_eq!(parse_str("").0.len(), 0);
        assert!(parse_str("").1.is_empty());
        assert_eq!(parse_str("[]").0.len(), 0);
        let (_, d) = parse_str("quote: x\nnote: y\n");
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("list of notes"));
    }

    #[test]
    fn packed_notes_unpack_to_the_notes_as_parsed() {
        let file = Path::new("content/a.annotations.yaml");
        let (mut notes, d) = parse(
            file,
            "- quote: \"according to several\"\n  note: |\n    Anonymous.\n  sources: [anon, nyt]\n  kind: sourcing\n\
             - quote: Logan Act\n  occurrence: 1\n  prefix: the\n  suffix: .\n  note: A 1799 law.\n  id: logan-act\n\
             \x20 author: Ann\n  date: 2026-11-26T10:00:00+02:00\n  tags: law\n  version: 2021-05-04\n\
             \x20 rating: {label: \"Mostly true\", value: 4, best: 5, worst: 1}\n\
             \x20 replies:\n    - {author: Bo, date: 2026-11-27, text: \"Thanks.\"}\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(notes[1].rating.is_some() && notes[1].version_location.is_some());
        // A location in another file keeps its file.
        notes[0].sources_location = Some(Location::at("elsewhere.yaml", 2, 5));
        let packed = PackedNotes::pack(&notes, file);
        assert_eq!(packed.unpack(file), Some(notes.clone()));
        let again = PackedNotes::from_bytes(packed.bytes().to_vec());
        assert_eq!(again.unpack(file), Some(notes));
        assert_eq!(PackedNotes::default().unpack(file), Some(Vec::new()));
        assert_eq!(PackedNotes::from_bytes(vec![7, 1]).unpack(file), None);
    }

    #[test]
    fn ids_must_be_link_safe() {
        assert!(is_valid_id("logan-act"));
        assert!(!is_valid_id("1st"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("x\"><script>"));
    }
}
