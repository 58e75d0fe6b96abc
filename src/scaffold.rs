//! `marginalia new` and `marginalia init`: files to start from. They only
//! ever create files; an existing file is never overwritten.

use std::path::{Path, PathBuf};

use crate::annotate::sidecar::SIDECAR_SUFFIX;
use crate::error::{Diagnostic, Location};

/// The text of a new sidecar: no notes yet, and how to write one.
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

/// A title made from a file name: `the-iran-story` → `The iran story`.
fn title_from_stem(stem: &str) -> String {
    let words = stem.replace(['-', '_'], " ");
    let mut c = words.trim().chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => "Untitled".to_string(),
    }
}

/// A YAML double-quoted scalar (a JSON string is one).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn create(path: &Path, text: &str) -> Result<(), Diagnostic> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| Diagnostic::io(parent, "create the folder", &e))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Diagnostic::error(
                    Some(Location::file(path)),
                    "this file already exists; marginalia does not overwrite it",
                )
                .with_help("choose another name, or remove the file first")
            } else {
                Diagnostic::io(path, "create this file", &e)
            }
        })?;
    use std::io::Write;
    f.write_all(text.as_bytes())
        .map_err(|e| Diagnostic::io(path, "write this file", &e))
}

/// What `new` made.
#[derive(Debug)]
pub struct NewArticle {
    pub article: PathBuf,
    pub sidecar: PathBuf,
    /// Set when the article is not under a `content/` folder (no site
    /// would build it).
    pub warning: Option<String>,
}

/// `marginalia new PATH [--title T]`: an article with its front matter
/// filled in (title, today's date, the optional keys commented out) and an
/// empty sidecar. PATH ending in `/` makes a page bundle
/// (`PATH/index.md`); a PATH without `.md` gets it.
pub fn new_article(path: &Path, title: Option<&str>) -> Result<NewArticle, Diagnostic> {
    let as_text = path.to_string_lossy();
    let bundle = as_text.ends_with('/') || as_text.ends_with(std::path::MAIN_SEPARATOR);
    let (article, stem) = if bundle {
        let stem = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (path.join("index.md"), stem)
    } else {
        let file = if path.extension().is_some_and(|e| e == "md") {
            path.to_path_buf()
        } else {
            let mut p = path.as_os_str().to_owned();
            p.push(".md");
            PathBuf::from(p)
        };
        let stem = file
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (file, stem)
    };
    if stem.is_empty() || slug::slugify(&stem).is_empty() {
        return Err(Diagnostic::error(
            Some(Location::file(path)),
            "this name has no letters or digits to make a page address from",
        ));
    }
    let sidecar_stem = if bundle { "index" } else { stem.as_str() };
    let sidecar = article.with_file_name(format!("{sidecar_stem}{SIDECAR_SUFFIX}"));
    if sidecar.exists() {
        return Err(Diagnostic::error(
            Some(Location::file(&sidecar)),
            "this sidecar already exists; marginalia does not overwrite it",
        ));
    }
    let title = title.map_or_else(|| title_from_stem(&stem), str::to_string);
    let today = chrono::Local::now().format("%Y-%m-%d");
    let text = format!(
        "---\n\
         title: {}\n\
         date: {today}\n\
         # source: a-key-of-content-sources-yaml\n\
         # original_url: \"https://…\"\n\
         # archive_url: \"https://web.archive.org/…\"\n\
         # archived: {today}\n\
         # author: \"…\"\n\
         tags: []\n\
         # description: \"…\"\n\
         ---\n\
         Paste the text of the article here.\n",
        yaml_string(&title)
    );
    create(&article, &text)?;
    create(&sidecar, EMPTY_SIDECAR)?;
    let under_content = article
        .canonicalize()
        .unwrap_or_else(|_| article.clone())
        .components()
        .any(|c| c.as_os_str() == crate::load::CONTENT_DIR);
    let warning = (!under_content).then(|| {
        format!(
            "{} is not under a content/ folder, so no site builds it",
            article.display()
        )
    });
    Ok(NewArticle {
        article,
        sidecar,
        warning,
    })
}

/// The files of a new site, relative to its folder.
const INIT_FILES: &[(&str, &str)] = &[
    (
        "site.yaml",
        "title: \"My reading archive\"\n\
         # The address the site will be served from; links, feeds and the\n\
         # sitemap are made from it. `marginalia serve` uses its own address.\n\
         base_url: \"https://example.org/\"\n\
         description: \"Articles I keep, with my notes in the margin.\"\n\
         language: en\n\
         author: \"Me\"\n",
    ),
    (".gitignore", "/output\n/.marginalia\n"),
    (
        "content/_index.md",
        "---\ntitle: \"My reading archive\"\n---\n\
         Articles I keep, with my notes in the margin. Every source has its own\n\
         page, listing what came from it and every note that cites it.\n",
    ),
    (
        "content/articles/_index.md",
        "---\ntitle: \"Articles\"\ndescription: \"Everything archived, newest first.\"\n---\n",
    ),
    (
        "content/sources.yaml",
        "# Who articles come from and who notes cite. Keys are used in front\n\
         # matter (`source:`) and in notes (`sources: [...]`).\n\
         example-gazette:\n  name: \"The Example Gazette\"\n  url: \"https://gazette.example/\"\n  kind: publication\n  description: \"A daily newspaper (invented for this sample).\"\n\
         city-council:\n  name: \"City Council\"\n  kind: organisation\n\
         unnamed-officials:\n  name: \"Unnamed officials\"\n  kind: anonymous\n",
    ),
    (
        "content/articles/bridge-repairs.md",
        "---\n\
         title: \"Bridge repairs to finish a year early, council says\"\n\
         date: 2024-03-14\n\
         source: example-gazette\n\
         original_url: \"https://gazette.example/2024/03/bridge-repairs\"\n\
         archived: 2024-03-15\n\
         author: \"A. Reporter\"\n\
         tags: [infrastructure, local]\n\
         description: \"A sample article with margin notes.\"\n\
         ---\n\
         The repairs to the old river bridge will be finished a full year ahead of schedule, the city council said on Thursday, and at a lower cost than planned.\n\n\
         According to officials familiar with the project, the contractor has already completed most of the work on the eastern span. The council did not publish the revised budget.\n\n\
         ## What changes for drivers\n\n\
         Two lanes will reopen in May. Cyclists will use a temporary path until the western span is done.\n",
    ),
    (
        "content/articles/bridge-repairs.annotations.yaml",
        "- quote: \"a full year ahead of schedule\"\n\
         \x20 note: |\n\
         \x20   The council's own timetable from last year planned the work until 2026;\n\
         \x20   the article does not say what changed.\n\
         \x20 sources: [city-council]\n\
         \x20 kind: claim\n\
         - quote: \"According to officials familiar with the project\"\n\
         \x20 note: \"Anonymous sourcing: who are they, and why can they not be named?\"\n\
         \x20 sources: [unnamed-officials]\n\
         \x20 kind: sourcing\n\
         - quote: \"The council did not publish the revised budget.\"\n\
         \x20 note: \"So *at a lower cost* cannot be checked yet.\"\n\
         \x20 kind: missing\n",
    ),
    (
        "content/about.md",
        "---\ntitle: \"About\"\n---\n\
         This archive is built with marginalia. Each article is a Markdown file in\n\
         `content/articles/`; its notes are in the `.annotations.yaml` file beside it.\n\
         Start a new one with `marginalia new content/articles/my-article.md`.\n",
    ),
];

/// `marginalia init DIR`: a site that builds at once, with a sample
/// annotated article. DIR must not exist or be empty. Returns the files
/// made.
pub fn init_site(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| Diagnostic::io(dir, "read this folder", &e))?
            .next()
            .is_none();
        if !empty {
            return Err(Diagnostic::error(
                Some(Location::file(dir)),
                "this folder is not empty; marginalia init only fills a new or empty folder",
            )
            .with_help("give a new folder name, e.g. `marginalia init my-archive`"));
        }
    }
    let mut made = Vec::new();
    for (rel, text) in INIT_FILES {
        let p = dir.join(rel);
        create(&p, text)?;
        made.push(p);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_file_names() {
        assert_eq!(title_from_stem("the-iran_story"), "The iran story");
        assert_eq!(
            yaml_string("A \"quoted\" title: yes"),
            "\"A \\\"quoted\\\" title: yes\""
        );
    }

    #[test]
    fn new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("content/articles/x");
        let made = new_article(&p, Some("X: \"quoted\"")).unwrap();
        assert!(made.article.ends_with("x.md") && made.sidecar.ends_with("x.annotations.yaml"));
        assert!(new_article(&p, None).is_err());
        let bundle = dir.path().join("content/articles/b/");
        let made = new_article(&bundle, None).unwrap();
        assert!(made.article.ends_with("b/index.md"));
        assert!(made.sidecar.ends_with("b/index.annotations.yaml"));
        let other = tempfile::tempdir().unwrap();
        let outside = new_article(&other.path().join("loose"), None).unwrap();
        assert!(outside.warning.is_some());
    }
}
