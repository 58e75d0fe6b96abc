//! Front matter: splitting `---` (YAML) or `+++` (TOML, as Hugo and Zola
//! write it) blocks off Markdown files and reading their fields into a
//! typed [`FrontMatter`].
//!
//! Offsets matter here: the front matter starts on line 2 of the file (or
//! later, after blank lines), so every diagnostic is shifted by the lines
//! before it, and the body keeps its byte offset in the file so Markdown
//! positions can be turned into file lines.
//!
//! TOML is read with the `toml` crate and converted to the same YAML value
//! tree, then read by the same [`Fields`]: the two formats cannot drift
//! apart, and an article gives the same page in either.

use std::path::Path;

use crate::error::{Diagnostic, LineIndex, Location, did_you_mean};
use crate::model::Date;
/// Kept here for code written against the old path.
use crate::yaml::{self, Fields};

/// The language of a front matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Between `---` lines.
    #[default]
    Yaml,
    /// Between `+++` lines.
    Toml,
}

/// A Markdown file split into its front matter and body.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The front matter between its fences (empty when there is none), in
    /// `format`.
    pub yaml: &'a str,
    /// Lines of the file before the front matter starts.
    pub yaml_line_offset: usize,
    pub body: &'a str,
    /// Byte offset of `body` in the file text.
    pub body_offset: usize,
    pub format: Format,
}

/// Splits `---\n<yaml>\n---\n<body>` or `+++\n<toml>\n+++\n<body>`.
/// Blank lines before the opening fence are skipped (editors and
/// converters leave them). A file whose first other line is not a fence has
/// no front matter. A front matter block that is never closed is an
/// error: guessing where it ends would lose text.
pub fn split<'a>(file: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let t = &text[bom..];
    let no_front_matter = Split {
        yaml: "",
        yaml_line_offset: 0,
        body: t,
        body_offset: bom,
        format: Format::Yaml,
    };
    // Lines end as everywhere else (`\n`, `\r\n` or a lone `\r`), so the
    // front matter's line numbers, shifted, are the file's.
    let mut lines = crate::error::lines_inclusive(t);
    let mut start = 0;
    let mut blank_lines = 0;
    let (fence, format, yaml_start) = loop {
        let Some(line) = lines.next() else {
            return Ok(no_front_matter);
        };
        match line.trim_end() {
            "---" => break ("---", Format::Yaml, start + line.len()),
            "+++" => break ("+++", Format::Toml, start + line.len()),
            "" => {
                start += line.len();
                blank_lines += 1;
            }
            _ => return Ok(no_front_matter),
        }
    };
    let mut pos = yaml_start;
    for line in lines {
        let end = pos + line.len();
        let l = line.trim_end();
        if l == fence || (format == Format::Yaml && l == "...") {
            return Ok(Split {
                yaml: &t[yaml_start..pos],
                yaml_line_offset: blank_lines + 1,
                body: &t[end..],
                body_offset: bom + end,
                format,
            });
        }
        pos = end;
    }
    Err(Diagnostic::error(
        Some(Location::at(file, blank_lines + 1, 1)),
        "the front matter that starts here is never closed",
    )
    .with_help(format!("end it with a line holding only `{fence}`")))
}

/// What a Markdown file's front matter says. Every field is optional.
#[derive(Debug, Clone, Default)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub date: Option<Date>,
    pub source: Option<String>,
    pub source_location: Option<Location>,
    pub original_url: Option<String>,
    pub archive_url: Option<String>,
    pub archived: Option<Date>,
    /// SHA-256 of the captured `original.html` beside a bundle's index
    /// (`marginalia archive` writes it; `check` verifies it).
    pub archive_sha256: Option<String>,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub slug: Option<String>,
    pub slug_location: Option<Location>,
    pub draft: bool,
    /// `toc: true/false` shows or hides the table of contents whatever the
    /// number of headings.
    pub toc: Option<bool>,
    /// In the site's navigation (when site.yaml has no `menu:`).
    pub menu: bool,
    /// Section `_index.md` only: overrides site.yaml's paginate_by.
    pub paginate_by: Option<usize>,
    /// `extra` and every unknown key, for templates.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

const ARTICLE_KEYS: &[&str] = &[
    "title",
    "date",
    "source",
    "original_url",
    "archive_url",
    "archived",
    "archive_sha256",
    "author",
    "tags",
    "description",
    "slug",
    "draft",
    "toc",
    "menu",
    "extra",
];

const SECTION_KEYS: &[&str] = &["title", "description", "paginate_by", "draft", "extra"];

/// Which kind of file the front matter belongs to; decides the known keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// An article or a standalone page.
    Document,
    /// A section's or the home page's `_index.md`.
    SectionIndex,
}

/// Reads front matter fields. Problems are diagnostics; what could be read
/// is returned regardless.
pub fn parse(file: &Path, split: &Split, kind: DocKind) -> (FrontMatter, Vec<Diagnostic>) {
    let mut fm = FrontMatter::default();
    let source = yaml::Source::new(file, split.yaml, split.yaml_line_offset).front_matter();
    let (source, parsed) = match split.format {
        Format::Yaml => (source, source.parse()),
        Format::Toml => (source.with_toml_keys(), parse_toml(&source)),
    };
    let value = match parsed {
        Ok(v) => v,
        Err(d) => return (fm, vec![d]),
    };
    let mut f = match Fields::new(value, source, None, "front matter") {
        Ok(f) => f,
        Err(d) => return (fm, vec![d]),
    };
    fm.title = f.take_string("title");
    fm.description = f.take_string("description");
    fm.draft = f.take_bool("draft").unwrap_or(false);
    let known = match kind {
        DocKind::Document => {
            fm.date = take_date(&mut f, "date");
            fm.archived = take_date(&mut f, "archived");
            fm.archive_sha256 = f.take_string("archive_sha256");
            fm.source = f.take_string("source");
            if fm.source.is_some() {
                fm.source_location = Some(f.location_of("source"));
            }
            fm.original_url = take_url(&mut f, "original_url");
            fm.archive_url = take_url(&mut f, "archive_url");
            fm.authors = f.take_string_list("author");
            fm.menu = f.take_bool("menu").unwrap_or(false);
            fm.tags = f.take_string_list("tags");
            fm.toc = f.take_bool("toc");
            fm.slug = f.take_string("slug");
            if fm.slug.is_some() {
                fm.slug_location = Some(f.location_of("slug"));
            }
            ARTICLE_KEYS
        }
        DocKind::SectionIndex => {
            fm.paginate_by = f.take_count("paginate_by", 1);
            SECTION_KEYS
        }
    };
    match f.take_raw("extra") {
        None | Some(yaml::Value::Null) => {}
        Some(yaml::Value::Mapping(m)) => {
            if let serde_json::Value::Object(o) = yaml::to_json(&yaml::Value::Mapping(m)) {
                fm.extra = o;
            }
        }
        Some(other) => {
            let loc = f.location_of("extra");
            f.diagnostics.push(Diagnostic::error(
                Some(loc),
                format!(
                    "`extra` should be a mapping of keys to values, found {}",
                    yaml::describe(&other)
                ),
            ));
        }
    }
    if kind == DocKind::Document
        && let Some(date) = &fm.date
        && date.datetime > chrono::Utc::now()
    {
        f.diagnostics.push(
            Diagnostic::warning(
                Some(f.location_of("date")),
                format!(
                    "`date` {} is in the future; the article is published all the same",
                    date.iso()
                ),
            )
            .with_help(
                "`date` is when the original was published, so a future one is most likely a typo \
                 (marginalia does not hold articles back until a date: use `draft: true` for that)",
            ),
        );
    }
    // Unknown keys are kept for templates (archives come from other tools
    // with their own keys); one within a typo of a known key is a warning,
    // and so is one that Hugo or Zola give a meaning marginalia does not.
    let (rest, mut diagnostics) = f.into_rest();
    for (key, _) in &rest {
        if let Some(instead) = elsewhere_meaning(key) {
            diagnostics.push(
                Diagnostic::warning(
                    Some(source.key_location(key, None)),
                    format!("`{key}` does nothing in marginalia (kept in page.extra)"),
                )
                .with_help(instead),
            );
        } else if let Some(near) = did_you_mean(key, known.iter().copied()) {
            diagnostics.push(
                Diagnostic::warning(
                    Some(source.key_location(key, None)),
                    format!("unknown front matter key `{key}` (kept in page.extra)"),
                )
                .with_help(format!("did you mean `{near}`?")),
            );
        }
    }
    for (key, value) in rest {
        fm.extra.entry(key).or_insert_with(|| yaml::to_json(&value));
    }
    (fm, diagnostics)
}

/// What marginalia does instead of a front matter key that Hugo or Zola
/// users expect to work.
fn elsewhere_meaning(key: &str) -> Option<&'static str> {
    Some(match key {
        "updated" | "lastmod" => {
            "marginalia keeps no edit date: `archived` says when the copy was made, and \
             each snapshot of a changed article is a version of it (`marginalia archive`)"
        }
        "aliases" => {
            "marginalia writes no redirect pages; keep an article's URL by keeping its \
             file name, or set `slug:` to the old name"
        }
        "categories" => "marginalia has one taxonomy: use `tags:` (tags get their own pages)",
        "expiry_date" | "expirydate" | "expiryDate" => {
            "marginalia never takes an article down by date: an archive keeps it; use \
             `draft: true` to leave it out of the build"
        }
        _ => return None,
    })
}

/// Parses TOML front matter into the YAML value tree [`Fields`] reads,
/// with errors at their line and column in the file.
fn parse_toml(source: &yaml::Source) -> Result<yaml::Value, Diagnostic> {
    if source.text.trim().is_empty() {
        return Ok(yaml::Value::Null);
    }
    match source.text.parse::<toml::Table>() {
        Ok(table) => Ok(toml_to_yaml(toml::Value::Table(table))),
        Err(e) => {
            let location = match e.span() {
                Some(span) => {
                    let (line, column) =
                        LineIndex::new(source.text).line_col(source.text, span.start);
                    source.location(line, column)
                }
                None => Location::file(source.file),
            };
            let message = e.message().trim_end().to_string();
            Err(Diagnostic::error(
                Some(location),
                format!("invalid TOML: {message}"),
            ))
        }
    }
}

/// TOML dates become text, as the same date written in YAML is; the rest
/// maps one to one.
fn toml_to_yaml(v: toml::Value) -> yaml::Value {
    use yaml::Value as Y;
    match v {
        toml::Value::String(s) => Y::String(s),
        toml::Value::Integer(i) => Y::Number(i.into()),
        toml::Value::Float(f) => Y::Number(f.into()),
        toml::Value::Boolean(b) => Y::Bool(b),
        toml::Value::Datetime(d) => Y::String(d.to_string()),
        toml::Value::Array(items) => Y::Sequence(items.into_iter().map(toml_to_yaml).collect()),
        toml::Value::Table(t) => Y::Mapping(
            t.into_iter()
                .map(|(k, v)| (Y::String(k), toml_to_yaml(v)))
                .collect(),
        ),
    }
}

fn take_date(f: &mut Fields, key: &str) -> Option<Date> {
    let s = f.take_string(key)?;
    match Date::parse(&s) {
        Some(d) => Some(d),
        None => {
            let loc = f.location_of(key);
            f.diagnostics.push(
                Diagnostic::error(Some(loc), format!("`{key}` {s:?} is not a date")).with_help(
                    "write YYYY-MM-DD (2021-05-04) or RFC 3339 (2021-05-04T09:30:00+02:00)",
                ),
            );
            None
        }
    }
}

fn take_url(f: &mut Fields, key: &str) -> Option<String> {
    let s = f.take_string(key)?;
    let s = s.trim().to_string();
    if crate::url::is_safe_url(&s) {
        Some(s)
    } else {
        let loc = f.location_of(key);
        f.diagnostics.push(Diagnostic::error(
            Some(loc),
            format!("`{key}` {s:?} is not a web address this site can link to"),
        ));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> (FrontMatter, Vec<Diagnostic>) {
        let file = Path::new("content/a.md");
        let s = split(file, text).unwrap();
        parse(file, &s, DocKind::Document)
    }

    #[test]
    fn split_handles_bom_crlf_and_no_front_matter() {
        let f = Path::new("a.md");
        let s = split(f, "\u{feff}---\r\ntitle: x\r\n---\r\nbody").unwrap();
        assert_eq!(s.yaml, "title: x\r\n");
        assert_eq!(s.body, "body");
        assert_eq!(s.body_offset, "\u{feff}---\r\ntitle: x\r\n---\r\n".len());
        let s = split(f, "# just markdown\n").unwrap();
        assert_eq!(s.yaml, "");
        assert_eq!(s.body, "# just markdown\n");
        assert!(split(f, "---\ntitle: x\nno end").is_err());
        let s = split(f, "---\n---\n").unwrap();
        assert_eq!((s.yaml, s.body), ("", ""));
        // Old Mac line endings (a lone CR) end lines too, as in YAML.
        let s = split(f, "---\rtitle: x\r---\rbody").unwrap();
        assert_eq!((s.yaml, s.body), ("title: x\r", "body"));
    }

    #[test]
    fn every_field_is_read() {
        let (fm, d) = p(
            "---\ntitle: T\ndate: 2021-05-04\nsource: nyt\noriginal_url: https://a.example/x\n\
             archive_url: https://web.archive.example/x\narchived: 2026-11-26T10:00:00+02:00\n\
             author: [A, B]\ntags: [x, y]\ndescription: D\nslug: s\ndraft: true\nextra: {k: 1}\nimported_by: tool\n---\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(fm.title.as_deref(), Some("T"));
        assert_eq!(fm.date.as_ref().unwrap().iso(), "2021-05-04");
        assert_eq!(
            fm.archived.as_ref().unwrap().iso(),
            "2026-11-26T10:00:00+02:00"
        );
        assert_eq!(fm.source.as_deref(), Some("nyt"));
        assert_eq!(fm.source_location, Some(Location::at("content/a.md", 4, 1)));
        assert_eq!(fm.authors, vec!["A", "B"]);
        assert_eq!(fm.tags, vec!["x", "y"]);
        assert!(fm.draft);
        assert_eq!(fm.extra["k"], 1);
        assert_eq!(fm.extra["imported_by"], "tool");
    }

    #[test]
    fn bad_date_and_typo_point_at_their_lines() {
        let (fm, d) = p("---\ntitel: T\ndate: yesterday\n---\n");
        assert!(fm.date.is_none());
        assert_eq!(d.len(), 2);
        let err = d.iter().find(|x| x.is_error()).unwrap();
        assert_eq!(err.location, Some(Location::at("content/a.md", 3, 1)));
        let warn = d.iter().find(|x| !x.is_error()).unwrap();
        assert_eq!(warn.location, Some(Location::at("content/a.md", 2, 1)));
        assert_eq!(warn.help.as_deref(), Some("did you mean `title`?"));
        assert_eq!(fm.extra["titel"], "T");
    }

    #[test]
    fn yaml_error_line_is_in_the_file() {
        let (_, d) = p("---\ntitle: ok\ntags: [a, b\n---\nbody\n");
        assert_eq!(d.len(), 1);
        let loc = d[0].location.as_ref().unwrap();
        assert!(loc.line >= 3, "{loc}");
    }

    #[test]
    fn dates_parse_and_display() {
        let d = Date::parse("2021-05-04").unwrap();
        assert_eq!(d.display(), "4 May 2021");
        assert_eq!(d.rfc3339(), "2021-05-04T00:00:00+00:00");
        assert!(Date::parse("2021-5-4").is_none());
        assert!(Date::parse("2021-02-30").is_none());
        assert_eq!(
            Date::parse("2021-05-04T10:00:00-04:00").unwrap().iso(),
            "2021-05-04T10:00:00-04:00"
        );
    }

    fn p_toml(text: &str) -> (FrontMatter, Vec<Diagnostic>) {
        let file = Path::new("content/a.md");
        let s = split(file, text).unwrap();
        assert_eq!(s.format, Format::Toml);
        parse(file, &s, DocKind::Document)
    }

    #[test]
    fn toml_reads_like_yaml() {
        let (y, dy) = p(
            "---\ntitle: T\ndate: 2021-05-04\nsource: nyt\narchived: 2026-11-26T10:00:00+02:00\n\
             author: [A, B]\ntags: [x]\ndraft: false\nextra: {k: 1}\nimported_by: tool\n---\nBody\n",
        );
        let (t, dt) = p_toml(
            "+++\ntitle = \"T\"\ndate = 2021-05-04\nsource = \"nyt\"\narchived = 2026-11-26T10:00:00+02:00\n\
             author = [\"A\", \"B\"]\ntags = [\"x\"]\ndraft = false\nimported_by = \"tool\"\n[extra]\nk = 1\n+++\nBody\n",
        );
        assert!(dy.is_empty() && dt.is_empty(), "{dy:?} {dt:?}");
        assert_eq!(y.title, t.title);
        assert_eq!(y.date, t.date);
        assert_eq!(y.archived, t.archived);
        assert_eq!(y.authors, t.authors);
        assert_eq!(y.extra, t.extra);
        // Locations are the file's, as in YAML.
        assert_eq!(t.source_location, Some(Location::at("content/a.md", 4, 1)));
    }

    #[test]
    fn toml_errors_point_into_the_file() {
        let (_, d) = p_toml("+++\ntitle = \"ok\"\ndate = [1, \n+++\n");
        assert_eq!(d.len(), 1, "{d:?}");
        let loc = d[0].location.as_ref().unwrap();
        assert!(loc.line >= 3 && loc.column > 0, "{loc}");
        assert!(d[0].message.starts_with("invalid TOML"), "{}", d[0].message);
        let (_, d) = p_toml("+++\ntitle = \"ok\"\ndate = \"yesterday\"\ntitel = 1\n+++\n");
        let err = d.iter().find(|x| x.is_error()).unwrap();
        assert_eq!(err.location, Some(Location::at("content/a.md", 3, 1)));
        let warn = d.iter().find(|x| !x.is_error()).unwrap();
        assert_eq!(warn.location, Some(Location::at("content/a.md", 4, 1)));
    }

    #[test]
    fn blank_lines_before_front_matter_are_skipped() {
        let (fm, d) = p("\n  \n---\ntitle: T\ndate: nope\n---\nBody\n");
        assert_eq!(fm.title.as_deref(), Some("T"));
        assert_eq!(d[0].location, Some(Location::at("content/a.md", 5, 1)));
        let e = split(Path::new("a.md"), "\n+++\ntitle = 1\n").unwrap_err();
        assert_eq!(e.location, Some(Location::at("a.md", 2, 1)));
        assert_eq!(
            e.help.as_deref(),
            Some("end it with a line holding only `+++`")
        );
    }

    #[test]
    fn hugo_and_zola_keys_warn_with_what_to_do_instead() {
        let (fm, d) = p(
            "---\nupdated: 2021-01-01\naliases: [/old/]\ncategories: [a]\nexpiry_date: 2030-01-01\n---\n",
        );
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(d.iter().all(|x| !x.is_error()));
        assert_eq!(d[2].location, Some(Location::at("content/a.md", 4, 1)));
        assert!(d[2].help.as_deref().unwrap().contains("tags"));
        assert_eq!(fm.extra["categories"][0], "a");
    }

    #[test]
    fn a_future_date_is_a_warning_and_still_published() {
        let (fm, d) = p("---\ndate: 2999-01-01\n---\n");
        assert!(fm.date.is_some());
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error() && d[0].message.contains("in the future"));
    }
}
