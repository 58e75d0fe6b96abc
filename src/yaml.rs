//! The one seam to serde_yaml: every YAML document the site holds (site.yaml,
//! front matter, sources.yaml, sidecars) is parsed here.
//!
//! serde_yaml is archived upstream; keeping it behind this module means a
//! swap to a maintained fork touches one file.
//!
//! Documents are parsed to a [`Mapping`] first and then read field by field
//! with [`Fields`], rather than deserialised straight into structs. That way
//! every bad field is reported (not just the first), unknown keys can get a
//! did-you-mean, and each problem points at the line of its key *in the
//! file*: a document that starts on line 2 (front matter after `---`) is
//! shifted by that many lines.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
pub use serde_yaml::{Mapping, Value};

use crate::error::{Diagnostic, LineIndex, Location, suggestion};

/// A YAML document's text and where it sits in its file.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// The file, relative to the site root, for messages.
    pub file: &'a Path,
    /// The YAML text alone.
    pub text: &'a str,
    /// How many lines of the file come before `text` (2 lines for front
    /// matter after one `---` line... the caller knows).
    pub line_offset: usize,
    /// Where the lines of `text` start, when the caller has them: a key
    /// search within a range of lines then starts at the range instead of
    /// reading every line before it (a sidecar's notes each search their
    /// own lines, so without it many notes cost the square of the file).
    pub index: Option<&'a LineIndex>,
    /// What follows a key on its line: `:` in YAML, `=` in TOML front
    /// matter (whose fields are read through the same [`Fields`]).
    pub separator: char,
}

impl<'a> Source<'a> {
    pub fn new(file: &'a Path, text: &'a str, line_offset: usize) -> Source<'a> {
        Source {
            file,
            text,
            line_offset,
            index: None,
            separator: ':',
        }
    }

    /// The same source, whose keys are written `key = value` (TOML).
    pub fn with_toml_keys(self) -> Source<'a> {
        Source {
            separator: '=',
            ..self
        }
    }

    /// The same source, with the line starts of its text (see [`Source::index`]).
    pub fn with_index(self, index: &'a LineIndex) -> Source<'a> {
        Source {
            index: Some(index),
            ..self
        }
    }

    /// The lines of the text from 1-based line `from` on, numbered.
    fn lines_from(&self, from: usize) -> impl Iterator<Item = (usize, &'a str)> {
        let text = self.text;
        let (first, rest) = match self.index {
            Some(ix) if from > 1 && from <= ix.line(text.len()) => {
                (from, &text[ix.line_start(from)..])
            }
            _ => (1, text),
        };
        crate::error::lines(rest)
            .enumerate()
            .map(move |(i, l)| (i + first, l))
    }

    /// The location of a 1-based line and column of the YAML text, in the file.
    pub fn location(&self, line: usize, column: usize) -> Location {
        Location::at(self.file, line + self.line_offset, column)
    }

    /// Parses the whole document. An empty document is `Value::Null`.
    pub fn parse(&self) -> Result<Value, Diagnostic> {
        if self.text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_yaml::from_str::<Value>(self.text).map_err(|e| self.error_from(&e))
    }

    /// Turns a serde_yaml error into a diagnostic at the right place in the file.
    fn error_from(&self, e: &serde_yaml::Error) -> Diagnostic {
        // From the byte offset, not libyaml's line count: YAML also ends
        // lines at U+0085, U+2028 and U+2029, which no editor (and no other
        // line number marginalia reports) counts.
        let location = match e.location() {
            Some(l) => {
                let (line, column) = LineIndex::new(self.text).line_col(self.text, l.index());
                self.location(line, column)
            }
            None => Location::file(self.file),
        };
        let mut msg = e.to_string();
        // serde_yaml appends " at line L column C"; we print the location ourselves.
        if let Some(i) = msg.find(" at line ") {
            msg.truncate(i);
        }
        let d = Diagnostic::error(Some(location), format!("invalid YAML: {msg}"));
        if msg.contains("repetition limit") || msg.contains("recursion limit") {
            d.with_help("the document uses too many or too deeply nested aliases (&anchor/*alias)")
        } else {
            d
        }
    }

    /// The line and column of `key` in this document, searched within `lines`
    /// (1-based, inclusive start, exclusive end; `None` for the whole text).
    /// YAML as people write it has one key per line, so a line scan finds it;
    /// when it cannot (flow style), the first line of the range is used.
    pub fn key_location(&self, key: &str, lines: Option<Range<usize>>) -> Location {
        let range = lines.unwrap_or(1..usize::MAX);
        for (n, line) in self.lines_from(range.start) {
            if n < range.start {
                continue;
            }
            if n >= range.end {
                break;
            }
            if let Some(col) = key_column(line, key, self.separator) {
                return self.location(n, col);
            }
        }
        self.location(range.start.max(1), 0)
    }

    /// [`Source::key_location`] of several keys in one pass over the lines
    /// (a mapping with thousands of unknown keys would otherwise be read
    /// once per key). Finds keys written one per line (`key: v`,
    /// `"key": v`, `- key: v`); the others get the range's first line.
    pub fn key_locations(&self, keys: &[&str], lines: Option<Range<usize>>) -> Vec<Location> {
        let range = lines.unwrap_or(1..usize::MAX);
        let fallback = self.location(range.start.max(1), 0);
        let mut found: Vec<Option<Location>> = vec![None; keys.len()];
        let wanted: std::collections::HashMap<&str, usize> =
            keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let mut left = keys.len();
        for (n, line) in self.lines_from(range.start) {
            if left == 0 || n >= range.end {
                break;
            }
            if n < range.start {
                continue;
            }
            if let Some((key, col)) = line_key(line, self.separator)
                && let Some(&i) = wanted.get(key)
                && found[i].is_none()
            {
                found[i] = Some(self.location(n, col));
                left -= 1;
            }
        }
        found
            .into_iter()
            .map(|l| l.unwrap_or_else(|| fallback.clone()))
            .collect()
    }
}

/// The key a line like `key: v`, `  key: v`, `- key: v` or `"key": v`
/// starts with, and its 1-based character column.
fn line_key(line: &str, separator: char) -> Option<(&str, usize)> {
    let trimmed = line.trim_start();
    let mut indent = line.len() - trimmed.len();
    let mut rest = trimmed;
    if let Some(r) = rest.strip_prefix("- ") {
        let r2 = r.trim_start();
        indent += 2 + (r.len() - r2.len());
        rest = r2;
    }
    let column = line[..indent].chars().count() + 1;
    for q in ['"', '\''] {
        if let Some(r) = rest.strip_prefix(q) {
            let end = r.find(q)?;
            return r[end + 1..]
                .trim_start()
                .starts_with(separator)
                .then_some((&r[..end], column));
        }
    }
    // A plain key ends at the first `:` followed by white space or the end
    // (TOML: at the first `=`).
    let b = rest.as_bytes();
    let colon = if separator == ':' {
        memchr::memchr_iter(b':', b)
            .find(|&i| b.get(i + 1).is_none_or(|c| c.is_ascii_whitespace()))?
    } else {
        rest.find(separator)?
    };
    let key = rest[..colon].trim_end();
    (!key.is_empty()).then_some((key, column))
}

/// Where `key:` starts on a line like `key: v`, `  key: v`, `- key: v` or
/// `"key": v`, as a 1-based character column.
fn key_column(line: &str, key: &str, separator: char) -> Option<usize> {
    let trimmed = line.trim_start();
    let mut indent = line.len() - trimmed.len();
    let mut rest = trimmed;
    if let Some(r) = rest.strip_prefix("- ") {
        let r2 = r.trim_start();
        indent += 2 + (r.len() - r2.len());
        rest = r2;
    }
    let unquoted = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_prefix(key)?.strip_prefix('"'))
        .or_else(|| {
            rest.strip_prefix('\'')
                .and_then(|r| r.strip_prefix(key)?.strip_prefix('\''))
        })
        .or_else(|| rest.strip_prefix(key))?;
    if unquoted.trim_start().starts_with(separator) {
        Some(line[..indent].chars().count() + 1)
    } else {
        None
    }
}

/// The 1-based line of every top-level item (`- `) of a block sequence, in
/// order. Used to give each sidecar note its line.
pub fn sequence_item_lines(text: &str) -> Vec<usize> {
    crate::error::lines(text)
        .enumerate()
        .filter(|(_, l)| *l == "-" || l.starts_with("- ") || l.starts_with("-\t"))
        .map(|(i, _)| i + 1)
        .collect()
}

/// The longest list a text-list field may hold. An article's tags and
/// authors, and a note's sources, are repeated on every page that lists
/// it (each tag page, each source page), so the site grows with the
/// square of the list: one article with 20,000 tags made a build write
/// about 20 GB. No real list comes near this.
pub const MAX_LIST_ITEMS: usize = 100;

/// Reads the fields of one YAML mapping, taking each known key out and
/// reporting every problem as a diagnostic. What is left at the end are the
/// unknown keys.
pub struct Fields<'a> {
    map: Mapping,
    source: Source<'a>,
    /// The lines this mapping spans (for notes in a sidecar).
    lines: Option<Range<usize>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    /// Reads `value` as a mapping; `what` names it in the error when it is
    /// not one ("front matter", "a note", ...). Null is an empty mapping.
    pub fn new(
        value: Value,
        source: Source<'a>,
        lines: Option<Range<usize>>,
        what: &str,
    ) -> Result<Fields<'a>, Diagnostic> {
        let map = match value {
            Value::Mapping(m) => m,
            Value::Null => Mapping::new(),
            other => {
                let loc = source.location(lines.as_ref().map_or(1, |r| r.start), 0);
                return Err(Diagnostic::error(
                    Some(loc),
                    format!(
                        "{what} should be a mapping of `key: value` lines, found {}",
                        describe(&other)
                    ),
                ));
            }
        };
        Ok(Fields {
            map,
            source,
            lines,
            diagnostics: Vec::new(),
        })
    }

    pub fn location_of(&self, key: &str) -> Location {
        self.source.key_location(key, self.lines.clone())
    }

    fn remove(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    /// Takes `key` and converts it to `T`; a value of the wrong shape is
    /// reported and treated as absent. A YAML `null` is absent.
    pub fn take<T: DeserializeOwned>(&mut self, key: &str, expected: &str) -> Option<T> {
        let value = self.remove(key)?;
        if value.is_null() {
            return None;
        }
        match serde_yaml::from_value::<T>(value.clone()) {
            Ok(v) => Some(v),
            Err(_) => {
                let loc = self.location_of(key);
                self.diagnostics.push(Diagnostic::error(
                    Some(loc),
                    format!("`{key}` should be {expected}, found {}", describe(&value)),
                ));
                None
            }
        }
    }

    /// Takes a text field. Numbers and booleans are accepted as their text
    /// (`title: 1984` means the title "1984").
    pub fn take_string(&mut self, key: &str) -> Option<String> {
        let value = self.remove(key)?;
        match scalar_string(&value) {
            Some(s) => Some(s),
            None if value.is_null() => None,
            None => {
                let loc = self.location_of(key);
                self.diagnostics.push(Diagnostic::error(
                    Some(loc),
                    format!("`{key}` should be text, found {}", describe(&value)),
                ));
                None
            }
        }
    }

    /// Takes a field that may be one text or a list of texts (`author`,
    /// `tags`, a note's `sources`), of at most [`MAX_LIST_ITEMS`].
    pub fn take_string_list(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.remove(key) else {
            return Vec::new();
        };
        match value {
            Value::Null => Vec::new(),
            Value::Sequence(mut items) => {
                if items.len() > MAX_LIST_ITEMS {
                    let loc = self.location_of(key);
                    self.diagnostics.push(
                        Diagnostic::error(
                            Some(loc),
                            format!(
                                "`{key}` lists {} items; at most {MAX_LIST_ITEMS} are allowed",
                                items.len()
                            ),
                        )
                        .with_help(
                            "every item is shown with every listing of this page, so a long list makes the site grow with its square",
                        ),
                    );
                    items.truncate(MAX_LIST_ITEMS);
                }
                let mut out = Vec::new();
                let mut bad = Vec::new();
                for item in items {
                    match scalar_string(&item) {
                        Some(s) => out.push(s),
                        None => bad.push(describe(&item)),
                    }
                }
                if !bad.is_empty() {
                    let loc = self.location_of(key);
                    for what in bad {
                        self.diagnostics.push(Diagnostic::error(
                            Some(loc.clone()),
                            format!("every item of `{key}` should be text, found {what}"),
                        ));
                    }
                }
                out
            }
            other => match scalar_string(&other) {
                Some(s) => vec![s],
                None => {
                    let loc = self.location_of(key);
                    self.diagnostics.push(Diagnostic::error(
                        Some(loc),
                        format!(
                            "`{key}` should be text or a list of texts, found {}",
                            describe(&other)
                        ),
                    ));
                    Vec::new()
                }
            },
        }
    }

    /// Takes a boolean; `yes`/`no` strings are not guessed at.
    pub fn take_bool(&mut self, key: &str) -> Option<bool> {
        self.take::<bool>(key, "true or false")
    }

    /// Takes a whole number of at least `min`.
    pub fn take_count(&mut self, key: &str, min: u64) -> Option<usize> {
        let n = self.take::<u64>(key, "a whole number")?;
        if n < min {
            let loc = self.location_of(key);
            self.diagnostics.push(Diagnostic::error(
                Some(loc),
                format!("`{key}` should be at least {min}, found {n}"),
            ));
            return None;
        }
        usize::try_from(n).ok()
    }

    /// Takes a field as raw YAML (for `extra`).
    pub fn take_raw(&mut self, key: &str) -> Option<Value> {
        self.remove(key)
    }

    /// The keys nobody took, with their values, in document order.
    pub fn into_rest(self) -> (Vec<(String, Value)>, Vec<Diagnostic>) {
        let mut rest = Vec::new();
        let mut diagnostics = self.diagnostics;
        for (k, v) in self.map {
            match scalar_string(&k) {
                Some(k) => rest.push((k, v)),
                None => diagnostics.push(Diagnostic::error(
                    Some(
                        self.source
                            .location(self.lines.as_ref().map_or(1, |r| r.start), 0),
                    ),
                    format!("a key should be text, found {}", describe(&k)),
                )),
            }
        }
        (rest, diagnostics)
    }

    /// Every key left is an error, with a did-you-mean from `known`.
    pub fn deny_unknown(self, known: &[&str], what: &str) -> Vec<Diagnostic> {
        let source = self.source;
        let lines = self.lines.clone();
        let (rest, mut diagnostics) = self.into_rest();
        let keys: Vec<&str> = rest.iter().map(|(k, _)| k.as_str()).collect();
        let locations = source.key_locations(&keys, lines);
        for ((key, _), location) in rest.iter().zip(locations) {
            let mut d = Diagnostic::error(Some(location), format!("unknown key `{key}` in {what}"));
            d.help = Some(
                suggestion(key, known.iter().copied())
                    .unwrap_or_else(|| format!("known keys: {}", known.join(", "))),
            );
            diagnostics.push(d);
        }
        diagnostics
    }
}

/// A scalar as text; `None` for null, sequences and mappings.
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_string(&t.value),
        _ => None,
    }
}

/// "a list", "a number" ... for messages.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > 40 => "a long text".into(),
        Value::String(s) => format!("the text {s:?}"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// Converts YAML to JSON for templates (`extra`), turning non-text keys into
/// text. YAML values that JSON cannot hold (NaN) become null.
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Mapping(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| (scalar_string(k).unwrap_or_default(), to_json(v)))
                .collect(),
        ),
        Value::Tagged(t) => to_json(&t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_is_shifted_into_the_file() {
        let file = Path::new("content/a.md");
        let src = Source::new(file, "title: ok\ndate: [unclosed\n", 1);
        let err = src.parse().unwrap_err();
        let loc = err.location.unwrap();
        assert_eq!(loc.file, file);
        // The YAML error is on YAML line 3 (end of input) or 2; shifted by one.
        assert!(loc.line >= 3, "{loc}");
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        assert!(!err.message.contains(" at line "), "{}", err.message);
    }

    #[test]
    fn error_lines_are_the_files_lines() {
        // libyaml counts U+0085 (NEL) as a line break; editors do not.
        let file = Path::new("x.yaml");
        let src = Source::new(file, "a: \u{85}b\nc: [\n", 1);
        let loc = src.parse().unwrap_err().location.unwrap();
        assert_eq!(loc.line, 3, "{loc}");
    }

    #[test]
    fn key_location_finds_keys_in_common_styles() {
        let file = Path::new("x.yaml");
        let text = "- quote: \"a\"\n  note: b\n- \"quote\": c\n  sources: [x]\n";
        let src = Source::new(file, text, 0);
        assert_eq!(src.key_location("note", None), Location::at(file, 2, 3));
        assert_eq!(
            src.key_location("quote", Some(3..5)),
            Location::at(file, 3, 3)
        );
        assert_eq!(
            src.key_location("sources", Some(3..5)),
            Location::at(file, 4, 3)
        );
        assert_eq!(sequence_item_lines(text), vec![1, 3]);
        // The same with the line starts known, and several keys at once.
        let ix = LineIndex::new(text);
        let src = src.with_index(&ix);
        assert_eq!(
            src.key_location("sources", Some(3..5)),
            Location::at(file, 4, 3)
        );
        assert_eq!(
            src.key_locations(&["sources", "quote", "nope"], Some(3..5)),
            [
                Location::at(file, 4, 3),
                Location::at(file, 3, 3),
                Location::at(file, 3, 0)
            ]
        );
    }

    #[test]
    fn fields_report_every_bad_field_and_unknown_keys() {
        let file = Path::new("site.yaml");
        let text = "title: 1984\npaginate_by: many\ntitel: x\nstrict: true\n";
        let src = Source::new(file, text, 0);
        let mut f = Fields::new(src.parse().unwrap(), src, None, "site.yaml").unwrap();
        assert_eq!(f.take_string("title").as_deref(), Some("1984"));
        assert_eq!(f.take_count("paginate_by", 1), None);
        assert_eq!(f.take_bool("strict"), Some(true));
        let mut diags = std::mem::take(&mut f.diagnostics);
        diags.extend(f.deny_unknown(&["title", "paginate_by", "strict"], "site.yaml"));
        assert_eq!(diags.len(), 2);
        assert_eq!(diags[0].location, Some(Location::at(file, 2, 1)));
        assert!(diags[0].message.contains("paginate_by"));
        assert_eq!(diags[1].location, Some(Location::at(file, 3, 1)));
        assert_eq!(diags[1].help.as_deref(), Some("did you mean `title`?"));
    }

    #[test]
    fn non_mapping_document_is_an_error() {
        let file = Path::new("x.yaml");
        let src = Source::new(file, "- a\n- b\n", 0);
        assert!(Fields::new(src.parse().unwrap(), src, None, "site.yaml").is_err());
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            text.push_str(&format!(
                "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = name;
        }
        let file = Path::new("x.yaml");
        let err = Source::new(file, &text, 0).parse().unwrap_err();
        assert!(err.message.contains("repetition limit"), "{}", err.message);
    }
}
