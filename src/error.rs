//! Diagnostics: errors and warnings as values that carry a location.
//!
//! Every stage of the pipeline reports problems by pushing [`Diagnostic`]s
//! instead of returning at the first one, so a build shows all of its errors
//! at once. Locations are kept as paths relative to the site root plus a
//! 1-based line and column; the CLI decides how to print them. Library code
//! never prints.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a diagnostic is. `strict: true` in site.yaml turns warnings into
/// errors (see [`Diagnostics::apply_strict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// Where a problem is: a file and, when known, a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: PathBuf,
    /// 1-based; 0 when the line is unknown.
    pub line: usize,
    /// 1-based; 0 when the column is unknown.
    pub column: usize,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Location {
        Location {
            file: file.into(),
            line: 0,
            column: 0,
        }
    }

    pub fn at(file: impl Into<PathBuf>, line: usize, column: usize) -> Location {
        Location {
            file: file.into(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// One problem found while loading, rendering or writing a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Option<Location>,
    /// What is wrong, in plain words.
    pub message: String,
    /// What was probably meant, or how to fix it.
    pub help: Option<String>,
    /// Extra lines shown under the message (candidate passages, both files
    /// of a URL collision, ...).
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(location: Option<Location>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            location,
            message: message.into(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(location: Option<Location>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(location, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// An I/O failure, naming the path that failed.
    pub fn io(path: &Path, what: &str, err: &std::io::Error) -> Diagnostic {
        Diagnostic::error(
            Some(Location::file(path)),
            format!("could not {what}: {err}"),
        )
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.location {
            Some(loc) => write!(f, "{label}: {loc}: {}", self.message)?,
            None => write!(f, "{label}: {}", self.message)?,
        }
        for note in &self.notes {
            for line in note.lines() {
                write!(f, "\n    {line}")?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// The diagnostics of one build, in the order they should be shown.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// `strict: true`: every warning becomes an error.
    pub fn apply_strict(&mut self) {
        for d in &mut self.items {
            d.severity = Severity::Error;
        }
    }

    /// Sorts by file, line and column so the report reads top to bottom,
    /// whatever order the parallel stages finished in. Diagnostics without a
    /// location come first.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| a.location.cmp(&b.location));
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// The nearest of `candidates` to `word`, if it is near enough to be what
/// the user meant (a typo, not a different word).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score > best.map_or(0.0, |b| b.0) {
            best = Some((score, c));
        }
    }
    best.filter(|(score, _)| *score >= 0.8).map(|(_, c)| c)
}

/// A "did you mean" help line, if there is a near candidate.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The lines of `text` with their line breaks. A line ends at `\n`, `\r\n`
/// or a lone `\r`, as YAML and CommonMark count lines, so that every line
/// number marginalia reports (from serde_yaml, from Markdown offsets, from
/// its own scans) means the same line, whatever the file's line endings.
pub fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = match memchr::memchr2(b'\n', b'\r', rest.as_bytes()) {
            Some(i) if rest[i..].starts_with("\r\n") => i + 2,
            Some(i) => i + 1,
            None => rest.len(),
        };
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// The lines of `text` without their line breaks (see [`lines_inclusive`];
/// unlike [`str::lines`], a lone `\r` ends a line too).
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    lines_inclusive(text).map(|l| {
        l.strip_suffix("\r\n")
            .or_else(|| l.strip_suffix(['\n', '\r']))
            .unwrap_or(l)
    })
}

/// Maps byte offsets of a text to 1-based line and column numbers.
/// Built once per file; the column counts characters, not bytes; lines end
/// as [`lines_inclusive`] says.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let b = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            memchr::memchr2_iter(b'\n', b'\r', b)
                .filter(|&i| !(b[i] == b'\r' && b.get(i + 1) == Some(&b'\n')))
                .map(|i| i + 1),
        );
        LineIndex { line_starts }
    }

    /// 1-based (line, column) of a byte offset into `text` (the same text
    /// the index was built from).
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line + 1, column)
    }

    pub fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    /// Byte offset where a 1-based line starts (clamped to the last line).
    pub fn line_start(&self, line: usize) -> usize {
        let i = line.saturating_sub(1).min(self.line_starts.len() - 1);
        self.line_starts[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_display_omits_unknown_parts() {
        assert_eq!(Location::file("a.md").to_string(), "a.md");
        assert_eq!(Location::at("a.md", 3, 0).to_string(), "a.md:3");
        assert_eq!(Location::at("a.md", 3, 7).to_string(), "a.md:3:7");
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        let keys = ["title", "date", "source", "tags"];
        assert_eq!(did_you_mean("titel", keys), Some("title"));
        assert_eq!(did_you_mean("sources", keys), Some("source"));
        assert_eq!(did_you_mean("zzzz", keys), None);
    }

    #[test]
    fn line_index_counts_lines_and_chars() {
        let text = "ab\ncdé\nf";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 3), (2, 1));
        // 'f' after the two-byte é: column counts characters.
        assert_eq!(idx.line_col(text, text.len() - 1), (3, 1));
        assert_eq!(idx.line_col(text, 7), (2, 4));
        assert_eq!(idx.line(4), 2);
        assert_eq!(idx.line_start(2), 3);
    }

    #[test]
    fn every_line_ending_ends_a_line() {
        let text = "a\r\nb\rc\nd";
        assert_eq!(lines(text).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(
            lines_inclusive(text).collect::<Vec<_>>(),
            ["a\r\n", "b\r", "c\n", "d"]
        );
        assert_eq!(lines("x\n\n").collect::<Vec<_>>(), ["x", ""]);
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 3), (2, 1));
        assert_eq!(idx.line_col(text, 5), (3, 1));
        assert_eq!(idx.line_col(text, 7), (4, 1));
    }

    #[test]
    fn strict_turns_warnings_into_errors() {
        let mut ds = Diagnostics::new();
        ds.push(Diagnostic::warning(None, "w"));
        assert!(!ds.has_errors());
        ds.apply_strict();
        assert!(ds.has_errors());
    }
}
