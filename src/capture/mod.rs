//! Capture: `marginalia archive` turns a web page into an archived article
//! (DESIGN §9).
//!
//! The stages run one way: [`fetch`] (the page's bytes, exactly as
//! received) → [`extract`] (the reader view: body as Markdown, byline,
//! title, …) and [`metadata`] (canonical address, published time) →
//! [`take`] puts them together into a [`Capture`], which is only data:
//! nothing is written until [`archive`] decides what to do with it
//! (write a new bundle, say "unchanged", or keep the old text as a
//! snapshot and write the new one: [`recapture`]).
//!
//! Invariants: an existing article is never overwritten (every file of a
//! bundle is created with `create_new_atomic`, in a folder that did not
//! exist); `original.html` holds the bytes as fetched and `archive_sha256`
//! is their SHA-256; nothing is made up: metadata the page does not give
//! is left out and reported as a warning.

pub mod bundle;
pub mod extract;
pub mod fetch;
pub mod metadata;
pub mod recapture;
pub mod source;

use std::path::{Path, PathBuf};

use sha2::Digest;

pub use bundle::ORIGINAL_FILE;

/// What `archive` was asked to do, besides which page.
#[derive(Debug, Clone)]
pub struct Options {
    /// The page's address; wins over the canonical link (for saved files).
    pub url: Option<String>,
    /// The section folder under `content/`.
    pub section: String,
    /// A source key to use instead of matching by host.
    pub source: Option<String>,
    pub slug: Option<String>,
    /// Download the article's images into the bundle.
    pub images: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            url: None,
            section: "articles".to_string(),
            source: None,
            slug: None,
            images: false,
        }
    }
}

/// A page, captured and extracted, not yet written anywhere.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The bytes exactly as fetched (or read).
    pub original: Vec<u8>,
    /// SHA-256 of `original`, lower-case hex.
    pub sha256: String,
    /// The address the archive records: `--url`, else the canonical
    /// link or `og:url`, else where the fetch ended.
    pub original_url: Option<String>,
    pub title: String,
    pub author: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339.
    pub date: Option<String>,
    pub lang: Option<String>,
    pub description: Option<String>,
    pub site_name: Option<String>,
    /// When it was captured, RFC 3339 in UTC.
    pub archived: String,
    /// The article's body as Markdown.
    pub markdown: String,
    /// Metadata the page did not give, and similar notices.
    pub warnings: Vec<String>,
}

/// Why nothing was archived: one plain sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    pub message: String,
    /// A usage error (exit 2) rather than a failure of the page (exit 1).
    pub usage: bool,
}

impl CaptureError {
    fn new(message: impl Into<String>) -> CaptureError {
        CaptureError {
            message: message.into(),
            usage: false,
        }
    }

    fn usage(message: impl Into<String>) -> CaptureError {
        CaptureError {
            message: message.into(),
            usage: true,
        }
    }
}

impl std::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What `archive` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new bundle; `index` is its `index.md` (relative to the root).
    Archived {
        index: PathBuf,
        /// The key of a source appended to sources.yaml, if one was.
        new_source: Option<String>,
        warnings: Vec<String>,
    },
    /// The page is in the archive with the same text; nothing written.
    Unchanged { index: PathBuf },
    /// The page is in the archive and its text changed: the old text is
    /// kept as a snapshot and the new one is the latest (DESIGN §10).
    Versioned(recapture::NewVersion),
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether SOURCE names a web address rather than a saved file.
pub fn is_url(source: &str) -> bool {
    let s = source.trim().to_ascii_lowercase();
    s.starts_with("http://") || s.starts_with("https://")
}

/// Fetches (or reads) and extracts a page; writes nothing.
pub fn take(source: &str, url: Option<&str>) -> Result<Capture, CaptureError> {
    if let Some(u) = url
        && !is_url(u)
    {
        return Err(CaptureError::usage(format!(
            "--url {u:?} is not an http(s) address"
        )));
    }
    let fetched = if is_url(source) {
        fetch::fetch(source.trim())
    } else if source.contains("://") {
        return Err(CaptureError::usage(format!(
            "{source} is neither an http(s) address nor a saved file"
        )));
    } else {
        fetch::read_file(Path::new(source))
    }
    .map_err(|e| CaptureError::new(e.0))?;
    Ok(from_bytes(fetched, url))
}

/// Extracts a page from its bytes.
fn from_bytes(fetched: fetch::Fetched, url: Option<&str>) -> Capture {
    let html = fetch::decode(&fetched.bytes, fetched.charset.as_deref());
    let where_from = url.map(str::to_string).or(fetched.final_url.clone());
    let facts = metadata::page_facts(&html, where_from.as_deref());
    let original_url = url
        .map(str::to_string)
        .or(facts.canonical.clone())
        .or_else(|| extract::json_ld_url(&html))
        .or(fetched.final_url.clone());
    let base = where_from.or(original_url.clone());
    let mut warnings = Vec::new();
    let extracted = match extract::extract(&html, base.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            warnings.push(e);
            extract::Extracted::default()
        }
    };
    let title = extracted.title.clone().unwrap_or_else(|| {
        warnings.push("the page has no title; the article is called \"Untitled\"".into());
        "Untitled".to_string()
    });
    let author = extracted
        .byline
        .as_deref()
        .or(facts.author.as_deref())
        .and_then(metadata::clean_byline);
    let raw_date = extracted.published.clone().or(facts.published.clone());
    let date = raw_date.as_deref().and_then(metadata::normalise_date);
    match (&raw_date, &date) {
        (None, _) => warnings.push("the page gives no published date; `date` is left out".into()),
        (Some(raw), None) => warnings.push(format!(
            "the page's published date {raw:?} is not a date that can be read; `date` is left out"
        )),
        _ => {}
    }
    if author.is_none() {
        warnings.push("the page names no author; `author` is left out".into());
    }
    let lang = extracted.lang.clone().or(facts.lang.clone());
    if lang.is_none() {
        warnings.push("the page does not say its language; `lang` is left out".into());
    }
    if original_url.is_none() {
        warnings.push(
            "the page has no canonical address; give it with --url so the archive knows where it was published".into(),
        );
    }
    let description = facts.description.clone().or(extracted.excerpt.clone());
    if extracted.markdown.trim().is_empty() {
        warnings.push("no article text was found in the page".into());
    }
    Capture {
        sha256: sha256_hex(&fetched.bytes),
        original: fetched.bytes,
        original_url,
        title,
        author,
        date,
        lang,
        description,
        site_name: extracted.site_name.clone(),
        archived: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        markdown: extracted.markdown,
        warnings,
    }
}

/// An article of the site already archived from the same address.
#[derive(Debug, Clone)]
pub struct Existing {
    /// Its Markdown file, relative to the root.
    pub file: PathBuf,
    /// Its body (after the front matter).
    pub body: String,
}

/// The article whose `original_url` names the same page as `url`
/// ([`crate::url::match_key`]).
pub fn find_existing(root: &Path, url: &str) -> Option<Existing> {
    let key = crate::url::match_key(url);
    let (tree, _) = crate::load::load_tree(root);
    tree.documents.iter().find_map(|doc| {
        let text = std::fs::read_to_string(root.join(&doc.rel)).ok()?;
        let split = crate::frontmatter::split(&doc.rel, &text).ok()?;
        let (fm, _) =
            crate::frontmatter::parse(&doc.rel, &split, crate::frontmatter::DocKind::Document);
        let same = fm
            .original_url
            .as_deref()
            .is_some_and(|u| crate::url::match_key(u) == key);
        same.then(|| Existing {
            file: doc.rel.clone(),
            body: split.body.to_string(),
        })
    })
}

/// Whether two article texts say the same words (layout aside).
pub fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// A folder that `marginalia` can work on: it has `site.yaml` or `content/`.
fn check_root(root: &Path) -> Result<(), CaptureError> {
    if root.join(crate::config::CONFIG_FILE).is_file()
        || root.join(crate::load::CONTENT_DIR).is_dir()
    {
        Ok(())
    } else {
        Err(CaptureError::usage(format!(
            "{} is not a marginalia site (it has neither site.yaml nor content/)",
            root.display()
        )))
    }
}

/// `marginalia archive SOURCE`: captures the page and writes its bundle,
/// unless the page is already in the archive.
pub fn archive(root: &Path, source: &str, options: &Options) -> Result<Outcome, CaptureError> {
    check_root(root)?;
    let capture = take(source, options.url.as_deref())?;
    if capture.markdown.trim().is_empty() {
        return Err(CaptureError::new(format!(
            "no article text was found in {source}; nothing was archived"
        )));
    }
    if let Some(url) = &capture.original_url
        && let Some(existing) = find_existing(root, url)
    {
        return Ok(if same_text(&existing.body, &capture.markdown) {
            Outcome::Unchanged {
                index: existing.file,
            }
        } else {
            Outcome::Versioned(recapture::add_version(root, &existing.file, &capture)?)
        });
    }
    bundle::write(root, capture, options)
}

/// One line of a `--from-file` list, and what became of it.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub source: String,
    pub result: Result<Outcome, CaptureError>,
}

/// The entries of a `--from-file` list: one URL or file per line; blank
/// lines and lines starting with `#` are skipped. A relative file path is
/// taken relative to the list's folder.
pub fn read_list(list: &Path) -> Result<Vec<String>, CaptureError> {
    let text = std::fs::read_to_string(list)
        .map_err(|e| CaptureError::new(format!("could not read {}: {e}", list.display())))?;
    let dir = list.parent().unwrap_or(Path::new(""));
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            if is_url(l) || Path::new(l).is_absolute() {
                l.to_string()
            } else {
                dir.join(l).to_string_lossy().into_owned()
            }
        })
        .collect())
}

/// Archives every entry of a list, one after the other; a failure is
/// recorded and the next entry goes on. `progress` is told after each.
pub fn archive_many(
    root: &Path,
    sources: &[String],
    options: &Options,
    mut progress: impl FnMut(&BatchItem),
) -> Vec<BatchItem> {
    let mut done = Vec::with_capacity(sources.len());
    for s in sources {
        let item = BatchItem {
            source: s.clone(),
            result: archive(root, s, options),
        };
        progress(&item);
        done.push(item);
    }
    done
}

/// `check`: every article with an `archive_sha256` must have an
/// `original.html` beside it whose SHA-256 it is.
pub fn verify_original(
    root: &Path,
    article: &Path,
    expected: &str,
) -> Result<(), crate::error::Diagnostic> {
    use crate::error::{Diagnostic, Location};
    let original = article.with_file_name(ORIGINAL_FILE);
    let bytes = std::fs::read(root.join(&original)).map_err(|e| {
        Diagnostic::error(
            Some(Location::file(article)),
            format!(
                "`archive_sha256` is set but {} cannot be read: {e}",
                original.display()
            ),
        )
    })?;
    let actual = sha256_hex(&bytes);
    if actual.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(Diagnostic::error(
            Some(Location::file(&original)),
            format!(
                "this is not the page that was captured: its SHA-256 is {actual}, but `archive_sha256` in {} says {}",
                article.display(),
                expected.trim()
            ),
        )
        .with_help("the captured original is evidence and must not be edited; restore it from version control"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_text() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn captured_pages_are_published_as_text() {
        use crate::load::evidence_dest;
        assert_eq!(evidence_dest("original.html"), "original.html.txt");
        assert_eq!(
            evidence_dest("versions/2021-05-04.original.html"),
            "versions/2021-05-04.original.html.txt"
        );
        assert_eq!(evidence_dest("figure.html"), "figure.html");
        assert_eq!(evidence_dest("original.pdf"), "original.pdf");
    }

    #[test]
    fn text_comparison_ignores_layout_only() {
        assert!(same_text("a  b\n\nc\n", "a b c"));
        assert!(!same_text("a b c", "a b d"));
    }
}
