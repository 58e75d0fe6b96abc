//! The build's scratch file of rendered notes: once phase two has written
//! a document's page and search fragment and indexed it, its notes leave
//! memory for this file, and the few outputs of phase three that show
//! notes (source pages, `notes.csv`, the annotation pages, `/claims/`)
//! read a document's back when they render it, one read for all of its
//! notes. What every output reads without showing a note (counts, kinds,
//! the claims' dates, the search heads' ids, the source back-references)
//! stays with the document ([`NoteFacts`]).
//!
//! At 100k articles the notes were ~580 MB of the build's heap from the
//! end of phase two to its end; here they are ~0.3 KB an article.
//!
//! The file has no name (`O_TMPFILE`, or created and unlinked at once
//! where the file system cannot): nothing of it outlives the build, even
//! a killed one, and no other process can change it. Each document's
//! notes are one record: the bincode of the kept-note mirror
//! ([`super::kept`]), compressed with LZ4, at an offset the document
//! keeps with the record's checksum, so a record read back wrong is an
//! error of the build, never another page. A document taken from the
//! build cache brings its record as it was kept ([`super::KeptNotes`]),
//! and it is written here as it is.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::kept::{KeptNote, note, note_moved, unnote};
use crate::error::{Diagnostic, Location};
use crate::model::{ChangedNote, Document, Note, NoteFacts, NoteStore, SpillAt, Spilled};
use crate::sources::Registry;

/// One document's notes as written: those its page anchors, then those
/// changed since noted (with their closest passage and its similarity).
#[derive(Serialize, Deserialize)]
struct Record {
    anchored: Vec<KeptNote>,
    changed: Vec<(KeptNote, Option<String>, f64)>,
}

/// The scratch file. Documents hold it (as their [`NoteStore`]) for as
/// long as they hold spilled notes; the file goes with the last of them.
#[derive(Debug)]
pub struct Spill {
    file: std::fs::File,
    /// The folder it is in: the file has no name, so errors name this.
    dir: PathBuf,
    /// Where the next record goes.
    end: Mutex<u64>,
    /// How many records it holds.
    records: std::sync::atomic::AtomicUsize,
}

impl Spill {
    /// A new, empty, unnamed scratch file in `dir` (beside the output:
    /// the same file system, never a memory-backed `/tmp`).
    pub fn create(dir: &Path) -> Result<Arc<Spill>, Diagnostic> {
        let file = tempfile::tempfile_in(dir).map_err(|e| {
            Diagnostic::io(dir, "create the build's scratch file of notes here", &e)
        })?;
        Ok(Arc::new(Spill {
            file,
            dir: dir.to_path_buf(),
            end: Mutex::new(0),
            records: Default::default(),
        }))
    }

    /// Moves `doc`'s notes (and its changed-since-noted notes) into the
    /// file, keeping their [`NoteFacts`]. A document without notes is
    /// left as it is; so is one whose record cannot be written (a full
    /// disk): it keeps its notes in memory, and the build goes on.
    pub fn put(self: &Arc<Self>, doc: &mut Document, registry: &Registry) {
        if doc.spilled.is_some() || doc.note_count() == 0 {
            return;
        }
        let facts = NoteFacts::of(doc, registry);
        let anchored = std::mem::take(&mut doc.notes);
        let changed = doc
            .versions
            .as_mut()
            .map(|v| std::mem::take(&mut v.changed_notes))
            .unwrap_or_default();
        let record = Record {
            anchored: anchored.into_iter().map(note_moved).collect(),
            changed: changed
                .into_iter()
                .map(|c| (note_moved(c.note), c.closest, c.similarity))
                .collect(),
        };
        if !self.put_record(doc, &encode(&record), facts) {
            // Put back as they were.
            let (anchored, changed) = decode(record);
            doc.notes = anchored;
            if let Some(v) = doc.versions.as_mut() {
                v.changed_notes = changed;
            }
        }
    }

    /// Puts `record` (a record's bytes: [`Spill::put`]'s, or those
    /// [`record_of`] made of `doc`'s notes in an earlier build) into the
    /// file as `doc`'s spilled notes, with their `facts`, neither decoding
    /// nor encoding a note. `doc` holds no notes. False when the record
    /// cannot be written: the caller then gives `doc` its notes.
    pub fn put_record(
        self: &Arc<Self>,
        doc: &mut Document,
        record: &[u8],
        facts: NoteFacts,
    ) -> bool {
        debug_assert!(doc.notes.is_empty() && doc.spilled.is_none());
        match self.write(record) {
            Ok(at) => {
                self.records
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                doc.spilled = Some(Box::new(Spilled {
                    store: self.clone(),
                    at,
                    facts,
                }));
                true
            }
            Err(_) => false,
        }
    }

    /// How many documents' notes it holds.
    pub fn records(&self) -> usize {
        self.records.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Appends one record. Writers reserve their place under the lock and
    /// write at it outside, so documents rendered in parallel do not wait
    /// on one another's writes.
    fn write(&self, bytes: &[u8]) -> std::io::Result<SpillAt> {
        let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
        let offset = {
            let mut end = self.end.lock().unwrap_or_else(|e| e.into_inner());
            let at = *end;
            *end += u64::from(len);
            at
        };
        self.file.write_all_at(bytes, offset)?;
        Ok(SpillAt {
            offset,
            len,
            sum: checksum(bytes),
        })
    }

    fn error(&self, why: &str) -> Diagnostic {
        Diagnostic::error(
            Some(Location::file(&self.dir)),
            format!(
                "the build's scratch file of notes (an unnamed file in this folder) could not be read back: {why}"
            ),
        )
        .with_help("build again; if it happens again, check the disk this folder is on")
    }
}

impl NoteStore for Spill {
    fn read(&self, at: &SpillAt) -> Result<(Vec<Note>, Vec<ChangedNote>), Diagnostic> {
        let mut bytes = vec![0; at.len as usize];
        self.file
            .read_exact_at(&mut bytes, at.offset)
            .map_err(|e| self.error(&e.to_string()))?;
        if checksum(&bytes) != at.sum {
            return Err(self.error("a record is not what was written"));
        }
        let record = lz4_flex::decompress_size_prepended(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|raw| bincode::deserialize::<Record>(&raw).map_err(|e| e.to_string()))
            .map_err(|e| self.error(&e))?;
        Ok(decode(record))
    }
}

/// The record [`Spill::put`] writes of a document whose notes are
/// `notes` (none changed since noted: a kept document has no versions),
/// as the build cache keeps it ([`super::KeptNotes`]).
pub(super) fn record_of(notes: &[Note]) -> Vec<u8> {
    encode(&Record {
        anchored: notes.iter().map(note).collect(),
        changed: Vec::new(),
    })
}

/// The notes of a record's bytes ([`record_of`]), if they decode.
pub(super) fn notes_of(bytes: &[u8]) -> Option<(Vec<Note>, Vec<ChangedNote>)> {
    let raw = lz4_flex::decompress_size_prepended(bytes).ok()?;
    Some(decode(bincode::deserialize::<Record>(&raw).ok()?))
}

fn encode(record: &Record) -> Vec<u8> {
    // Serialising plain owned data into a Vec cannot fail.
    let raw = bincode::serialize(record).unwrap_or_default();
    lz4_flex::compress_prepend_size(&raw)
}

fn decode(record: Record) -> (Vec<Note>, Vec<ChangedNote>) {
    let anchored = record.anchored.into_iter().map(unnote).collect();
    let changed = record
        .changed
        .into_iter()
        .map(|(n, closest, similarity)| ChangedNote {
            note: unnote(n),
            closest,
            similarity,
        })
        .collect();
    (anchored, changed)
}

fn checksum(bytes: &[u8]) -> u64 {
    twox_hash::XxHash3_128::oneshot(bytes) as u64
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{Rating, Reply};

    pub(in crate::cache) fn note(id: &str, sources: &[&str]) -> Note {
        Note {
            id: id.into(),
            number: 1,
            kind: Some("claim".into()),
            quote: "the “quote”".into(),
            prefix: "before ".into(),
            suffix: " after".into(),
            body_html: "<p>A note.</p>".into(),
            body_text: "A note.".into(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            author: Some("Ann".into()),
            date: crate::model::Date::parse("2021-05-04"),
            tags: vec!["t".into()],
            rating: Some(Rating {
                label: "False".into(),
                value: Some(crate::config::ratings::Score(1.0)),
                best: Some(crate::config::ratings::Score(5.0)),
                worst: Some(crate::config::ratings::Score(1.0)),
                location: Location::at("a.annotations.yaml", 3, 5),
            }),
            written_quote: "the \"quote\"".into(),
            written_note: "A *note*.".into(),
            replies: vec![Reply {
                author: None,
                date: None,
                text: "Yes.".into(),
            }],
            line: 3,
            version: None,
        }
    }

    pub(in crate::cache) fn doc(notes: Vec<Note>) -> Document {
        Document {
            file: "content/a.md".into(),
            sidecar: None,
            section: None,
            section_folder: None,
            slug: "a".into(),
            path: "a/".into(),
            title: "A".into(),
            date: None,
            source: None,
            original_url: None,
            archive_url: None,
            archived: None,
            archive_sha256: None,
            authors: Vec::new(),
            tags: Vec::new(),
            written_tags: Vec::new(),
            description: None,
            draft: false,
            toc_setting: None,
            menu: false,
            extra: Default::default(),
            content_html: String::new(),
            summary_html: String::new(),
            summary_text: String::new(),
            toc: Vec::new(),
            notes,
            word_count: 0,
            ids: Vec::new(),
            internal_links: Vec::new(),
            written_links: Vec::new(),
            fixes: Vec::new(),
            search_terms: Default::default(),
            versions: None,
            spilled: None,
        }
    }

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn notes_come_back_as_they_went() {
        let tmp = dir();
        let spill = Spill::create(tmp.path()).unwrap();
        let registry = Registry::default();
        let notes = vec![note("n1", &[]), note("n2", &[])];
        let mut a = doc(notes.clone());
        let mut b = doc(vec![note("x", &[])]);
        let facts = NoteFacts::of(&a, &registry);
        spill.put(&mut a, &registry);
        spill.put(&mut b, &registry);
        assert!(a.notes.is_empty() && a.spilled.is_some());
        assert_eq!(a.note_count(), 2);
        assert_eq!(a.note_facts(&registry).into_owned(), facts);
        let back = a.read_notes().unwrap();
        assert_eq!(format!("{:?}", back.anchored), format!("{notes:?}"));
        assert_eq!(back.at(1).unwrap().id, "n2");
        assert_eq!(b.read_notes().unwrap().at(0).unwrap().id, "x");
        // The file has no name: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_document_without_notes_is_not_spilled() {
        let tmp = dir();
        let spill = Spill::create(tmp.path()).unwrap();
        let mut d = doc(Vec::new());
        spill.put(&mut d, &Registry::default());
        assert!(d.spilled.is_none());
        assert_eq!(*spill.end.lock().unwrap(), 0);
    }

    #[test]
    fn a_damaged_or_short_record_is_an_error_naming_the_folder() {
        let tmp = dir();
        let spill = Spill::create(tmp.path()).unwrap();
        let registry = Registry::default();
        let mut a = doc(vec![note("n1", &[])]);
        spill.put(&mut a, &registry);
        let at = a.spilled.as_ref().unwrap().at;
        // One byte changed.
        let mut byte = [0u8];
        spill.file.read_exact_at(&mut byte, at.offset + 5).unwrap();
        spill
            .file
            .write_all_at(&[byte[0] ^ 1], at.offset + 5)
            .unwrap();
        let e = a.read_notes().err().expect("a changed record is an error");
        assert!(e.message.contains("scratch file of notes"), "{}", e.message);
        assert_eq!(e.location.unwrap().file, tmp.path());
        // Cut short.
        spill
            .file
            .set_len(at.offset + u64::from(at.len) - 1)
            .unwrap();
        let e = a.read_notes().err().expect("a short record is an error");
        assert!(
            e.message.contains("could not be read back"),
            "{}",
            e.message
        );
    }
}
