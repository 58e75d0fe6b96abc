//! Writing a capture into the site as a page bundle:
//! `content/<section>/<slug>/{index.md, index.annotations.yaml,
//! original.html}`, and its source into `sources.yaml` when it is new.
//!
//! The bundle's folder is created with `create_dir` (which fails when it
//! exists) and every file with `create_new_atomic`, so an article already
//! there is never overwritten, even by a second `archive` racing this one.

use std::path::{Path, PathBuf};

use super::source::{self, SourceChoice, quote};
use super::{Capture, CaptureError, Options, Outcome};
use crate::fsutil::{create_new_atomic, write_atomic};

/// The captured page, beside `index.md`.
pub const ORIGINAL_FILE: &str = "original.html";

/// The front matter and body of `index.md`.
pub fn index_text(c: &Capture, source_key: Option<&str>) -> String {
    let mut fm = String::from("---\n");
    let mut field = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            fm.push_str(&format!("{key}: {}\n", quote(v)));
        }
    };
    field("title", Some(&c.title));
    field("author", c.author.as_deref());
    field("date", c.date.as_deref());
    field("source", source_key);
    field("original_url", c.original_url.as_deref());
    field("archived", Some(&c.archived));
    field("description", c.description.as_deref());
    field("lang", c.lang.as_deref());
    field("archive_sha256", Some(&c.sha256));
    fm.push_str("---\n\n");
    fm.push_str(&c.markdown);
    fm
}

/// The sidecar `marginalia new` writes too: no notes yet, and how to
/// write one.
const EMPTY_SIDECAR: &str = "\
# Margin notes for the article beside this file. Each note quotes the
# passage it is about, exactly as it reads in the article:
#
# - quote: \"the words of the passage\"
#   note: |
#     What you have to say about it. *Markdown* works here.
#   sources: [a-key-of-content-sources-yaml]
#   kind: sourcing
";

fn io_err(path: &Path, what: &str, e: &std::io::Error) -> CaptureError {
    CaptureError::new(format!("could not {what} {}: {e}", path.display()))
}

/// A slug for the article: `--slug`, else the title's; `-2`, `-3` … when
/// an article of the section already has it.
fn free_slug(section_dir: &Path, wanted: &str) -> String {
    let base = slug::slugify(wanted);
    let base = if base.is_empty() {
        "article".to_string()
    } else {
        base
    };
    let taken =
        |s: &str| section_dir.join(s).exists() || section_dir.join(format!("{s}.md")).exists();
    let mut slug = base.clone();
    let mut n = 2;
    while taken(&slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    slug
}

/// Writes `capture` as a new bundle of the site at `root`.
pub fn write(
    root: &Path,
    mut capture: Capture,
    options: &Options,
) -> Result<Outcome, CaptureError> {
    let section = options.section.trim_matches('/');
    if section.is_empty()
        || section
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == ".." || p.starts_with('.'))
    {
        return Err(CaptureError::usage(format!(
            "--section {section:?} is not a folder name under content/"
        )));
    }
    // The source first: an article must not name a key that is not there.
    let (registry, registry_text) = source::registry(root);
    let mut new_source = None;
    let key = match &options.source {
        Some(k) => {
            if registry.get(k).is_none() {
                let known = registry.all().iter().map(|s| s.key.as_str());
                let hint = crate::error::did_you_mean(k, known)
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                return Err(CaptureError::usage(format!(
                    "--source {k:?} is not a key of content/sources.yaml{hint}"
                )));
            }
            Some(k.clone())
        }
        None => match source::choose(
            &registry,
            capture.original_url.as_deref(),
            capture.site_name.as_deref(),
        ) {
            SourceChoice::Existing(k) => Some(k),
            SourceChoice::Unknown => {
                capture.warnings.push(
                    "the page has no address to match a source by; `source` is left out (give one with --source)".into(),
                );
                None
            }
            SourceChoice::New { key, entry } => {
                let path = root.join(crate::sources::SOURCES_FILE);
                match &registry_text {
                    Some(text) => {
                        write_atomic(&path, source::append_entry(text, &entry).as_bytes())
                            .map_err(|e| io_err(&path, "write", &e))?
                    }
                    None => {
                        std::fs::create_dir_all(root.join(crate::load::CONTENT_DIR))
                            .map_err(|e| io_err(&path, "create the folder of", &e))?;
                        create_new_atomic(&path, entry.as_bytes())
                            .map_err(|e| io_err(&path, "create", &e))?;
                    }
                }
                new_source = Some(key.clone());
                Some(key)
            }
        },
    };

    let section_rel = Path::new(crate::load::CONTENT_DIR).join(section);
    let section_dir = root.join(&section_rel);
    std::fs::create_dir_all(&section_dir).map_err(|e| io_err(&section_dir, "create", &e))?;
    let wanted = options.slug.as_deref().unwrap_or(&capture.title);
    let (slug, dir) = loop {
        let slug = free_slug(&section_dir, wanted);
        let dir = section_dir.join(&slug);
        match std::fs::create_dir(&dir) {
            Ok(()) => break (slug, dir),
            // Taken between the look and the creation: look again.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&dir, "create", &e)),
        }
    };
    if options.images {
        download_images(&dir, &mut capture);
    }
    let bundle_rel = section_rel.join(&slug);
    let index = index_text(&capture, key.as_deref());
    let files: [(&str, &[u8]); 3] = [
        (ORIGINAL_FILE, &capture.original),
        ("index.annotations.yaml", EMPTY_SIDECAR.as_bytes()),
        ("index.md", index.as_bytes()),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        create_new_atomic(&path, bytes).map_err(|e| io_err(&path, "create", &e))?;
    }
    Ok(Outcome::Archived {
        index: bundle_rel.join("index.md"),
        new_source,
        warnings: capture.warnings,
    })
}

/// `--images`: each image of the body is downloaded into `images/` of the
/// bundle and the Markdown points at the copy. An image that cannot be
/// had keeps its original address (and a warning says so).
fn download_images(dir: &Path, capture: &mut Capture) {
    let urls = image_urls(&capture.markdown);
    if urls.is_empty() {
        return;
    }
    let images = dir.join("images");
    for (i, url) in urls.iter().enumerate() {
        let (bytes, mime) = match super::fetch::fetch_image(url) {
            Ok(x) => x,
            Err(e) => {
                capture
                    .warnings
                    .push(format!("image not downloaded, its link is kept: {e}"));
                continue;
            }
        };
        let ext = mime_guess::get_mime_extensions_str(&mime)
            .and_then(|e| e.first())
            .copied()
            .unwrap_or("img");
        let name = format!("{}.{ext}", i + 1);
        let path: PathBuf = images.join(&name);
        let written =
            std::fs::create_dir_all(&images).and_then(|()| create_new_atomic(&path, &bytes));
        if let Err(e) = written {
            capture
                .warnings
                .push(format!("could not write {}: {e}", path.display()));
            continue;
        }
        capture.markdown = capture
            .markdown
            .replace(&format!("]({url})"), &format!("](images/{name})"));
    }
}

/// The addresses of the Markdown images `![alt](url)` of `md`, in order,
/// each once.
fn image_urls(md: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = md;
    while let Some(i) = rest.find("![") {
        rest = &rest[i + 2..];
        let Some(j) = rest.find("](") else { break };
        let after = &rest[j + 2..];
        let Some(k) = after.find(')') else { break };
        let url = after[..k].split_whitespace().next().unwrap_or("");
        if super::is_url(url) && !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
        rest = &after[k..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_get_suffixes() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_slug(dir.path(), "Hello, World!"), "hello-world");
        std::fs::create_dir(dir.path().join("hello-world")).unwrap();
        std::fs::write(dir.path().join("hello-world-2.md"), "x").unwrap();
        assert_eq!(free_slug(dir.path(), "Hello, World!"), "hello-world-3");
        assert_eq!(free_slug(dir.path(), "!!!"), "article");
    }

    #[test]
    fn finds_image_urls() {
        assert_eq!(
            image_urls(
                "![a](https://x.example/1.jpg) text ![b](https://x.example/2.png \"t\") ![a](https://x.example/1.jpg)"
            ),
            ["https://x.example/1.jpg", "https://x.example/2.png"]
        );
    }
}
