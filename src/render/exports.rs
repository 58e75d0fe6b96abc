//! The site's notes for other tools (DESIGN §11): `/notes.csv`, every note
//! as a spreadsheet row, and `/claims/`, every rated claim newest first,
//! with its Atom feed.
//!
//! Text is kept as written (the sidecar's quote, not the page's smart
//! punctuation). The CSV is written by the `csv` crate, which quotes what
//! needs quoting; on top of that, a cell a spreadsheet would run as a
//! formula is neutralised with a leading `'` ([`neutralise`]).

use std::io::Write as _;

use serde::Serialize;

use crate::error::Diagnostic;
use crate::html::escape;
use crate::model::Note;
use crate::model::{DocNotes, Document, Site};
use crate::routes::{ListRoute, Route};

/// The columns of `/notes.csv`, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "article_title",
    "article_url",
    "quote",
    "prefix",
    "suffix",
    "note",
    "kind",
    "rating",
    "rating_value",
    "rating_best",
    "rating_worst",
    "sources",
    "author",
    "date",
    "link",
    "reply_to",
    "state",
    "version",
];

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a
/// tab or carriage return before one) gets a leading `'`, which
/// spreadsheets show as text (OWASP's advice against CSV injection). So
/// that the change can be undone exactly, a cell that already starts with
/// `'` gets one more: removing one leading `'` from any cell that starts
/// with one gives back the text as written.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The date a note speaks for: its own, else its article's.
fn note_date<'a>(d: &'a Document, n: &'a Note) -> Option<&'a crate::model::Date> {
    n.date.as_ref().or(d.date.as_ref())
}

/// `/notes.csv`: a header row, then one row per note of every article, in
/// the site's order (newest article first, notes in reading order, then
/// those changed since noted), each followed by a row per reply in its
/// thread (oldest first). A reply's row quotes nothing and has no kind,
/// rating, state or version; its `link` and `reply_to` are the deep link of
/// the note it answers (`reply_to` is empty for a note).
///
/// `state` is `anchored` for a note on its passage in the latest text, and
/// `changed` for one written on an earlier snapshot whose passage is no
/// longer there (DESIGN §10): its `quote`, `prefix` and `suffix` are the
/// words as they read on that snapshot and its `link` is its aside on the
/// latest page. `version` names the snapshot a note was written on, empty
/// for the latest.
pub fn notes_csv(site: &Site) -> Result<Vec<u8>, Diagnostic> {
    let mut bytes = Vec::new();
    let mut failed = None;
    // Writing to a Vec cannot fail: only reading the notes back can.
    let _ = write_notes_csv(site, None, &mut bytes, &mut failed);
    failed.map_or(Ok(bytes), Err)
}

/// Where each document's rows are in a `/notes.csv` a build wrote, so the
/// next build can copy the rows of the documents it did not change from
/// that file instead of reading their notes back ([`CsvReuse`]). Kept in
/// the build cache's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CsvRows {
    /// The file's length and hash (XXH3-128 of all of its bytes): a file
    /// that is not exactly these bytes is not copied from.
    pub len: u64,
    pub hash: u128,
    /// (the document's value, offset, length) of each document's rows.
    pub rows: Vec<(u128, u64, u64)>,
}

/// What a build may reuse of the previous build's `/notes.csv`: its file
/// and where each document's rows are in it, and the value of each of
/// this build's documents (by index), the hash of everything its rows
/// read of it (`None`: not known, its rows are made). The caller vouches that everything else the rows read
/// (the configuration's `base_url`, the source registry, this binary) is
/// as it was for the previous file.
#[derive(Debug, Clone, Default)]
pub struct CsvReuse {
    pub previous: Option<(std::path::PathBuf, CsvRows)>,
    pub values: Vec<Option<u128>>,
}

/// (offset, length) of each document's rows in the previous file, by the
/// document's value.
type RowsAt = std::collections::HashMap<u128, (u64, u64)>;

impl CsvReuse {
    /// The previous file, open, when it is still the bytes its record
    /// describes.
    fn open_previous(&self) -> Option<(std::fs::File, RowsAt)> {
        use std::io::Read;
        let (path, rows) = self.previous.as_ref()?;
        let mut file = std::fs::File::open(path).ok()?;
        if file.metadata().ok()?.len() != rows.len {
            return None;
        }
        let mut h = twox_hash::XxHash3_128::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => h.write(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        if h.finish_128() != rows.hash {
            return None;
        }
        let at = rows.rows.iter().map(|&(v, o, l)| (v, (o, l))).collect();
        Some((file, at))
    }
}

/// Bytes copied from the previous file, gathered so that runs of
/// unchanged documents are copied in one go.
struct Copier {
    file: std::fs::File,
    /// (offset, length) not copied yet.
    pending: Option<(u64, u64)>,
}

impl Copier {
    fn add(&mut self, offset: u64, len: u64, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match &mut self.pending {
            Some((o, l)) if *o + *l == offset => *l += len,
            _ => {
                self.flush(out)?;
                self.pending = Some((offset, len));
            }
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let Some((mut offset, mut len)) = self.pending.take() else {
            return Ok(());
        };
        let mut buf = vec![0u8; len.min(1 << 20) as usize];
        while len > 0 {
            let n = len.min(buf.len() as u64) as usize;
            self.file.read_exact_at(&mut buf[..n], offset)?;
            out.write_all(&buf[..n])?;
            offset += n as u64;
            len -= n as u64;
        }
        Ok(())
    }
}

/// Counts and hashes what is written through it, for the next build's
/// [`CsvRows`].
struct Tally<'a> {
    out: &'a mut dyn std::io::Write,
    len: u64,
    hash: twox_hash::XxHash3_128,
}

impl std::io::Write for Tally<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hash.write(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// [`notes_csv`] written as it is made: a build streams it into its file
/// rather than holding it whole (~2.4 KB a note: 240 MB at 100k articles).
/// Cells are borrowed where they can be: this runs over every note. Each
/// document's notes are read once ([`Document::read_notes`]); when they
/// cannot be, `failed` says why and the write stops with an error.
///
/// With `reuse`, a document whose value is one the previous file has rows
/// for has those rows copied from it, its notes not read (an edit build
/// reads back only the notes of the documents it changed); a previous
/// file that is missing or not the bytes recorded means every row is
/// made. The rows are the same bytes either way. Returns where each
/// document's rows are in what was written, for the next build (`None`
/// without `reuse`).
pub fn write_notes_csv(
    site: &Site,
    reuse: Option<&CsvReuse>,
    out: &mut dyn std::io::Write,
    failed: &mut Option<Diagnostic>,
) -> std::io::Result<Option<CsvRows>> {
    let mut out = Tally {
        out,
        len: 0,
        hash: twox_hash::XxHash3_128::new(),
    };
    let (mut copier, previous) = match reuse.and_then(CsvReuse::open_previous) {
        Some((file, at)) => (
            Some(Copier {
                file,
                pending: None,
            }),
            at,
        ),
        None => (None, Default::default()),
    };
    let mut kept_rows = Vec::new();
    // Each document's rows are made into `w`'s buffer and moved to `out`
    // from there, so that their place in the file (`at`) is known; a copy
    // is made before any row after it, so `at` counts it when it is added.
    let mut at = 0u64;
    let csv_writer = |buf: Vec<u8>| {
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(buf)
    };
    let into_bytes = |w: csv::Writer<Vec<u8>>| {
        w.into_inner()
            .map_err(|e| std::io::Error::other(e.error().to_string()))
    };
    let mut w = csv_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    let mut buf = into_bytes(w)?;
    out.write_all(&buf)?;
    at += buf.len() as u64;
    for (i, d) in site.documents.iter().enumerate() {
        if d.note_count() == 0 {
            continue;
        }
        let value = reuse.and_then(|r| r.values.get(i).copied().flatten());
        if let (Some(v), Some(c)) = (value, copier.as_mut())
            && let Some(&(offset, len)) = previous.get(&v)
        {
            c.add(offset, len, &mut out)?;
            kept_rows.push((v, at, len));
            at += len;
            continue;
        }
        if let Some(c) = copier.as_mut() {
            c.flush(&mut out)?;
        }
        buf.clear();
        let mut w = csv_writer(buf);
        write_document_rows(site, d, &mut w, failed)?;
        buf = into_bytes(w)?;
        out.write_all(&buf)?;
        let len = buf.len() as u64;
        if let Some(v) = value {
            kept_rows.push((v, at, len));
        }
        at += len;
    }
    if let Some(c) = copier.as_mut() {
        c.flush(&mut out)?;
    }
    out.flush()?;
    debug_assert_eq!(at, out.len);
    Ok(reuse.map(|_| CsvRows {
        len: out.len,
        hash: out.hash.finish_128(),
        rows: kept_rows,
    }))
}

/// The rows of one document with notes: each note's, each followed by
/// one per reply in its thread.
fn write_document_rows<W: std::io::Write>(
    site: &Site,
    d: &Document,
    w: &mut csv::Writer<W>,
    failed: &mut Option<Diagnostic>,
) -> std::io::Result<()> {
    let config = &site.config;
    let number =
        |x: Option<crate::config::ratings::Score>| x.map(|v| v.to_string()).unwrap_or_default();
    let url = config.url(&d.path);
    let notes = d.read_notes().map_err(|e| {
        *failed = Some(e);
        std::io::Error::other("the notes could not be read back")
    })?;
    for (j, n) in notes.all().enumerate() {
        let rating = n.rating.as_ref();
        let sources: Vec<&str> = n
            .sources
            .iter()
            .map(|k| site.registry.get(k).map_or(k.as_str(), |s| s.name.as_str()))
            .collect();
        let link = d.note_link(&url, j, &n.id);
        let changed = d.is_changed_note(j);
        record(
            w,
            &[
                &d.title,
                &url,
                &n.written_quote,
                &n.prefix,
                &n.suffix,
                &plain_text(&n.written_note),
                n.kind.as_deref().unwrap_or_default(),
                rating.map_or("", |r| r.label.as_str()),
                &number(rating.and_then(|r| r.value)),
                &number(rating.and_then(|r| r.best)),
                &number(rating.and_then(|r| r.worst)),
                &sources.join("; "),
                n.author.as_deref().unwrap_or_default(),
                &note_date(d, n).map(|x| x.iso()).unwrap_or_default(),
                &link,
                "",
                if changed { "changed" } else { "anchored" },
                n.version.as_deref().unwrap_or_default(),
            ],
        )?;
        for r in &n.replies {
            let date = r.date.as_ref().or_else(|| note_date(d, n));
            record(
                w,
                &[
                    &d.title,
                    &url,
                    "",
                    "",
                    "",
                    &plain_text(&r.text),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    r.author.as_deref().unwrap_or_default(),
                    &date.map(|x| x.iso()).unwrap_or_default(),
                    &link,
                    &link,
                    "",
                    "",
                ],
            )?;
        }
    }
    Ok(())
}

/// One row of `/notes.csv`, each cell [`neutralise`]d.
fn record<W: std::io::Write>(w: &mut csv::Writer<W>, cells: &[&str]) -> csv::Result<()> {
    debug_assert_eq!(cells.len(), CSV_COLUMNS.len());
    for c in cells {
        w.write_field(neutralise(c).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

/// A note's Markdown as plain text: the words as written (no smart
/// punctuation), without the markup; paragraphs separated by a blank line.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, TagEnd};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS;
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) => out.push_str("\n\n"),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// A rated claim: note `note` of document `doc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRef {
    pub doc: usize,
    pub note: usize,
}

/// Every rated note of the site, newest first (by the note's date, else
/// its article's; then in site and reading order), those changed since
/// noted included: the claim was published, and a later edit does not
/// undo its review. `note` counts in [`Document::all_notes`].
/// From the notes' facts ([`Document::note_facts`]): the claims are
/// listed without reading the notes.
pub fn claims(site: &Site) -> Vec<ClaimRef> {
    let mut out: Vec<(i64, ClaimRef)> = Vec::new();
    for (i, d) in site.documents.iter().enumerate() {
        for &(j, date) in d.note_facts(&site.registry).rated.iter() {
            let t = date
                .or_else(|| d.date.as_ref().map(|x| x.timestamp()))
                .unwrap_or(i64::MIN);
            out.push((
                t,
                ClaimRef {
                    doc: i,
                    note: j as usize,
                },
            ));
        }
    }
    // Stable: equal dates keep site order (newest article first).
    out.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    out.into_iter().map(|(_, c)| c).collect()
}

/// A claim as `claims.html` sees it.
#[derive(Serialize)]
pub struct ClaimCtx {
    pub article_title: String,
    pub article_url: String,
    pub source: Option<String>,
    /// The claim as written in the sidecar.
    pub quote: String,
    pub rating: crate::model::Rating,
    /// The note (HTML).
    pub note: String,
    pub author: Option<String>,
    pub date: Option<String>,
    pub date_display: Option<String>,
    /// The note's deep link.
    pub url: String,
    /// For a claim whose words are no longer in the latest text: the
    /// snapshot it was written on (DESIGN §10); `url` then links the
    /// note's aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_since: Option<String>,
    /// Its date (the note's, else its article's) for a feed.
    #[serde(skip)]
    pub rfc3339: Option<String>,
}

/// The claims `refs`, each with what `claims.html` shows of it (a claim
/// whose note is gone is left out), each document's notes read once.
pub fn claim_ctxs(site: &Site, refs: &[ClaimRef]) -> Result<Vec<ClaimCtx>, Diagnostic> {
    let mut read: std::collections::HashMap<usize, DocNotes> = Default::default();
    let mut out = Vec::with_capacity(refs.len());
    for &c in refs {
        let Some(d) = site.documents.get(c.doc) else {
            continue;
        };
        let notes = match read.entry(c.doc) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(d.read_notes()?),
        };
        out.extend(claim_ctx(site, c, notes));
    }
    Ok(out)
}

/// Claim `c` as `claims.html` sees it, from its document's `notes`.
pub fn claim_ctx(site: &Site, c: ClaimRef, notes: &DocNotes) -> Option<ClaimCtx> {
    let d = site.documents.get(c.doc)?;
    let n = notes.at(c.note)?;
    let url = site.config.url(&d.path);
    let date = note_date(d, n);
    Some(ClaimCtx {
        article_title: d.title.clone(),
        source: d
            .source
            .as_deref()
            .and_then(|k| site.registry.get(k))
            .map(|s| s.name.clone()),
        quote: n.written_quote.clone(),
        rating: n.rating.clone()?,
        note: n.body_html.clone(),
        author: n.author.clone(),
        date: date.map(|x| x.iso()),
        date_display: date.map(|x| x.display()),
        url: d.note_link(&url, c.note, &n.id),
        article_url: url,
        changed_since: n.version.clone().filter(|_| d.is_changed_note(c.note)),
        rfc3339: date.map(|x| x.rfc3339()),
    })
}

/// Text for XML: characters XML 1.0 cannot hold at all are dropped, the
/// rest escaped.
pub(super) fn xml(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{d7ff}').contains(&c)
                || ('\u{e000}'..='\u{fffd}').contains(&c)
                || c >= '\u{10000}'
        })
        .collect();
    escape(&kept)
}

/// `/claims/atom.xml`: the newest `feed_limit` rated claims.
pub fn claims_feed(site: &Site) -> Result<String, Diagnostic> {
    let config = &site.config;
    let all = claims(site);
    let entries = claim_ctxs(site, &all[..all.len().min(config.feed_limit)])?;
    // The newest claim's date, and each entry's (its note's, else its
    // article's), as the claims were listed.
    let date_of = |c: &ClaimRef, notes: &DocNotes| {
        let d = &site.documents[c.doc];
        note_date(d, notes.at(c.note)?).map(|x| x.rfc3339())
    };
    let newest = match all.first() {
        Some(c) => date_of(c, &site.documents[c.doc].read_notes()?),
        None => None,
    }
    .unwrap_or_else(|| "1970-01-01T00:00:00+00:00".to_string());
    let self_url = Route::ClaimsFeed.url(config);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        xml(&config.language)
    ));
    x.push_str(&format!(
        "  <title>{}</title>\n",
        xml(&format!("Rated claims — {}", config.title))
    ));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml(&self_url)
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml(&ListRoute::Claims.page_url(config, 1))
    ));
    x.push_str(&format!("  <id>{}</id>\n", xml(&self_url)));
    x.push_str(&format!("  <updated>{newest}</updated>\n"));
    x.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml(config.author.as_deref().unwrap_or(&config.title))
    ));
    for e in &entries {
        let date = e.rfc3339.clone().unwrap_or_else(|| newest.clone());
        x.push_str("  <entry>\n");
        x.push_str(&format!(
            "    <title>{}</title>\n",
            xml(&format!("{}: “{}”", e.rating.label, e.quote))
        ));
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&e.url)
        ));
        x.push_str(&format!("    <id>{}</id>\n", xml(&e.url)));
        x.push_str(&format!(
            "    <published>{date}</published>\n    <updated>{date}</updated>\n"
        ));
        if let Some(a) = &e.author {
            x.push_str(&format!("    <author><name>{}</name></author>\n", xml(a)));
        }
        x.push_str(&format!(
            "    <category term=\"{}\"/>\n",
            xml(&e.rating.label)
        ));
        x.push_str(&format!(
            "    <summary type=\"html\">{}</summary>\n",
            xml(&format!(
                "<p>Rated <strong>{}</strong> in <a href=\"{}\">{}</a>.</p>{}",
                escape(&e.rating.label),
                escape(&e.article_url),
                escape(&e.article_title),
                e.note
            ))
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_reversibly() {
        for (cell, out) in [
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=x", "'\t=x"),
            ("\r=x", "'\r=x"),
            ("'quoted", "''quoted"),
            ("plain = text", "plain = text"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), out);
            let back = out.strip_prefix('\'').unwrap_or(out);
            assert_eq!(back, cell);
        }
    }

    #[test]
    fn plain_text_keeps_words_as_written() {
        assert_eq!(
            plain_text("Said \"no\" -- it's *not*\nso.\n\n- `a=b`\n"),
            "Said \"no\" -- it's not so.\n\na=b"
        );
    }

    #[test]
    fn a_previous_file_is_copied_from_only_when_it_is_the_bytes_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.csv");
        let bytes = b"head\r\nrow one\r\nrow two\r\n";
        std::fs::write(&path, bytes).unwrap();
        let mut h = twox_hash::XxHash3_128::new();
        h.write(bytes);
        let rows = CsvRows {
            len: bytes.len() as u64,
            hash: h.finish_128(),
            rows: vec![(7, 6, 9), (8, 15, 9)],
        };
        let reuse = |rows: CsvRows| CsvReuse {
            previous: Some((path.clone(), rows)),
            values: Vec::new(),
        };
        let (file, at) = reuse(rows.clone())
            .open_previous()
            .expect("the file recorded");
        assert_eq!(at[&8], (15, 9));
        // Runs of rows are copied in one read, in the order asked.
        let mut c = Copier {
            file,
            pending: None,
        };
        let mut out = Vec::new();
        c.add(6, 9, &mut out).unwrap();
        c.add(15, 9, &mut out).unwrap();
        assert_eq!(c.pending, Some((6, 18)));
        c.add(6, 9, &mut out).unwrap();
        c.flush(&mut out).unwrap();
        assert_eq!(out, b"row one\r\nrow two\r\nrow one\r\n");

        // Another hash, another length, other bytes, no file: no copy.
        let other = CsvRows {
            hash: rows.hash ^ 1,
            ..rows.clone()
        };
        assert!(reuse(other).open_previous().is_none());
        let longer = CsvRows {
            len: rows.len + 1,
            ..rows.clone()
        };
        assert!(reuse(longer).open_previous().is_none());
        std::fs::write(&path, b"head\r\nrow 1ne\r\nrow two\r\n").unwrap();
        assert!(reuse(rows.clone()).open_previous().is_none());
        std::fs::remove_file(&path).unwrap();
        assert!(reuse(rows).open_previous().is_none());
    }

    #[test]
    fn xml_drops_what_xml_cannot_hold() {
        assert_eq!(xml("a\u{1}b<c>\u{fffe}"), "ab&lt;c&gt;");
    }
}
