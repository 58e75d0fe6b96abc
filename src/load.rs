//! Load: walk `content/` and `static/` with walkdir and classify every file.
//!
//! This stage only looks at paths; reading and parsing happen in
//! [`crate::site`], in parallel. Hidden files and editor leftovers are
//! skipped; symlinks are followed only when they lead to a file inside the
//! site, so no input can make the build read (and publish) a file from
//! elsewhere on the machine.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use crate::annotate::sidecar::SIDECAR_SUFFIX;
use crate::error::{Diagnostic, Location};
use crate::paths::{check_inside, is_ignored_name};

pub const CONTENT_DIR: &str = "content";
pub const STATIC_DIR: &str = "static";

/// A Markdown file that becomes a page of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFile {
    /// Relative to the site root (`content/articles/x.md`), for messages.
    pub rel: PathBuf,
    /// The section folder relative to `content/` with `/` separators
    /// (`articles`), or `None` for a standalone page at the content root.
    pub section: Option<String>,
    /// The name the default slug is made from: the file stem, or the
    /// folder name of a bundle (`<slug>/index.md`).
    pub stem: String,
    /// Set for a page bundle: its folder relative to the site root.
    pub bundle_dir: Option<PathBuf>,
    /// The sidecar beside it, when there is one (relative to the root).
    pub sidecar: Option<PathBuf>,
    /// A bundle's earlier snapshots, `versions/<date>.md` (relative to the
    /// root), in file name order: oldest first (DESIGN §10).
    pub versions: Vec<PathBuf>,
}

/// A file copied into the output as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile {
    /// Relative to the site root.
    pub rel: PathBuf,
    /// Where it goes: relative to its bundle's page for bundle files,
    /// otherwise relative to the output root (`/`-separated).
    pub dest: AssetDest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetDest {
    /// `static/x` or a loose file in a section folder: `x` under the output root.
    Root(String),
    /// A file of the page bundle with this index (`content/a/b/index.md`),
    /// at this path below the page's URL.
    Bundle { index: PathBuf, path: String },
}

/// Everything found under `content/` and `static/`.
#[derive(Debug, Default)]
pub struct ContentTree {
    pub documents: Vec<DocFile>,
    /// `_index.md` files: (section folder relative to content/, "" for
    /// the home page; file relative to the root).
    pub section_indexes: Vec<(String, PathBuf)>,
    /// Every folder under content/ that holds articles, `/`-separated.
    pub sections: BTreeSet<String>,
    pub assets: Vec<AssetFile>,
    /// Sidecars with no Markdown file beside them.
    pub orphan_sidecars: Vec<PathBuf>,
    pub has_sources_file: bool,
}

/// Whether a file or folder name is left out of the site: editor and OS
/// leftovers everywhere, and dot files too except under `static/` (which
/// may hold `.well-known/`), where only VCS folders and leftovers are.
pub fn skips_name(name: &str, in_static: bool) -> bool {
    if in_static
        && name.starts_with('.')
        && name != ".git"
        && name != ".DS_Store"
        && !name.starts_with(".#")
    {
        return name.ends_with(".swp") || name.ends_with(".swo") || name.ends_with('~');
    }
    is_ignored_name(name)
}

/// What a file of the site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `site.yaml`.
    Config,
    /// `content/sources.yaml`.
    Sources,
    /// A section's (or the home page's) `_index.md`.
    SectionIndex,
    /// An article or page.
    Document,
    /// `<stem>.annotations.yaml`.
    Sidecar,
    /// An earlier snapshot of a bundle, `<bundle>/versions/<date>.md`
    /// (DESIGN §10): part of its article, never a page of its own.
    Snapshot,
    /// Copied as it is: any file under `static/`, any other file (or a
    /// folder) under `content/`.
    Copied,
    /// A template: the site's `templates/`, or the theme's folder
    /// (`theme.yaml`, `templates/`).
    Template,
    /// A file of the theme's `static/`.
    ThemeStatic,
    /// Not part of the site.
    Ignored,
}

/// What the file at `rel` (relative to the site root) is. The one
/// classifier: the walk, the watcher and the dev server all ask it.
/// `theme` is the site's theme folder name; `None` counts every theme's
/// files (the watcher, which a change of theme must not miss).
pub fn classify_path(rel: &Path, theme: Option<&str>) -> FileKind {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Some(first) = parts.first() else {
        return FileKind::Ignored;
    };
    let in_static = first == STATIC_DIR;
    if parts.iter().any(|p| skips_name(p, in_static)) {
        return FileKind::Ignored;
    }
    if rel == Path::new(crate::config::CONFIG_FILE) {
        return FileKind::Config;
    }
    if rel == Path::new(crate::sources::SOURCES_FILE) {
        return FileKind::Sources;
    }
    match first.as_str() {
        STATIC_DIR => FileKind::Copied,
        "templates" => FileKind::Template,
        "themes" => {
            let Some(name) = parts.get(1) else {
                return FileKind::Template;
            };
            if theme.is_some_and(|t| t != name) {
                return FileKind::Ignored;
            }
            if parts.get(2).is_some_and(|p| p == STATIC_DIR) {
                FileKind::ThemeStatic
            } else {
                FileKind::Template
            }
        }
        CONTENT_DIR => {
            let name = parts.last().map(String::as_str).unwrap_or_default();
            if name == "_index.md" {
                FileKind::SectionIndex
            } else if name.ends_with(SIDECAR_SUFFIX) {
                FileKind::Sidecar
            } else if is_snapshot_path(&parts[1..]) {
                FileKind::Snapshot
            } else if name.ends_with(".md") {
                FileKind::Document
            } else {
                FileKind::Copied
            }
        }
        _ => FileKind::Ignored,
    }
}

/// Whether `parts` (below `content/`) name a snapshot file:
/// `<section…>/<slug>/versions/<stem>.md` with a snapshot stem
/// (`2021-05-04` or `2021-05-04T0930`). Any other `.md` under `versions/`
/// is an ordinary bundle file.
fn is_snapshot_path(parts: &[String]) -> bool {
    let n = parts.len();
    n >= 3
        && parts[n - 2] == crate::paths::VERSIONS_DIR
        && parts[n - 1]
            .strip_suffix(".md")
            .is_some_and(|stem| crate::paths::parse_stem(stem).is_some())
}

/// Where a bundle file is published. A captured page (`original.html`,
/// or a snapshot's `<date>.original.html`) is evidence, not content: its
/// scripts must never run on the archive's origin, so it is published as
/// `original.html.txt`, which every host serves as `text/plain`.
pub fn evidence_dest(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "original.html" || name.ends_with(".original.html") {
        format!("{path}.txt")
    } else {
        path.to_string()
    }
}

/// A file found by the walk, after symlink checks.
struct Found {
    /// Relative to the walk's base folder.
    rel: PathBuf,
}

/// Walks `base` (a folder of the site root), keeping regular files and
/// symlinks to files inside `root`. `keep_hidden` keeps dot files (for
/// `static/.well-known/`), but never editor leftovers or VCS folders.
fn walk(root: &Path, base: &Path, keep_hidden: bool, diags: &mut Vec<Diagnostic>) -> Vec<Found> {
    let mut out = Vec::new();
    if let Err(d) = check_inside(root, base) {
        diags.push(d);
        return out;
    }
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let walker = WalkDir::new(base)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            !skips_name(&e.file_name().to_string_lossy(), keep_hidden)
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| rel_to(root, p))
                    .unwrap_or_else(|| rel_to(root, base));
                let msg = if e.loop_ancestor().is_some() {
                    "this folder links back to one of its parents".to_string()
                } else {
                    format!("could not read: {e}")
                };
                diags.push(Diagnostic::error(Some(Location::file(path)), msg));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let rel_root = rel_to(root, entry.path());
        if ft.is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if !target.starts_with(&canonical_root) => {
                    diags.push(
                        Diagnostic::error(
                            Some(Location::file(&rel_root)),
                            "this symlink leads outside the site; it is not read",
                        )
                        .with_help("copy the file into the site instead"),
                    );
                    continue;
                }
                Ok(target) if target.is_dir() => {
                    diags.push(Diagnostic::warning(
                        Some(Location::file(&rel_root)),
                        "symlinked folders are not followed",
                    ));
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    let msg = if is_symlink_loop(&e) {
                        "this symlink loops: following it leads back to a link already followed"
                    } else {
                        "this symlink leads nowhere (its target does not exist)"
                    };
                    diags.push(Diagnostic::error(Some(Location::file(&rel_root)), msg));
                    continue;
                }
            }
        } else if !ft.is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(base) else {
            continue;
        };
        out.push(Found {
            rel: rel.to_path_buf(),
        });
    }
    out
}

/// Whether resolving a path failed because its symlinks form a loop.
fn is_symlink_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

fn rel_to(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root).unwrap_or(p).to_path_buf()
}

/// `/`-separated form of a relative path; `None` when a component is not
/// valid UTF-8 (such a name cannot become a URL).
fn slash_path(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Walks the site's `content/` and `static/` folders.
pub fn load_tree(root: &Path) -> (ContentTree, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut tree = ContentTree::default();
    let content = root.join(CONTENT_DIR);
    if content.is_dir() {
        let found = walk(root, &content, false, &mut diags);
        classify(root, found, &mut tree, &mut diags);
    }
    let static_dir = root.join(STATIC_DIR);
    if static_dir.is_dir() {
        for f in walk(root, &static_dir, true, &mut diags) {
            let rel = Path::new(STATIC_DIR).join(&f.rel);
            match slash_path(&f.rel) {
                Some(dest) => tree.assets.push(AssetFile {
                    rel,
                    dest: AssetDest::Root(dest),
                }),
                None => diags.push(Diagnostic::error(
                    Some(Location::file(rel)),
                    "this file name is not valid UTF-8, so it cannot have a URL",
                )),
            }
        }
    }
    (tree, diags)
}

fn classify(_root: &Path, found: Vec<Found>, tree: &mut ContentTree, diags: &mut Vec<Diagnostic>) {
    let content = Path::new(CONTENT_DIR);
    // Bundle folders: any folder (below content/) holding an index.md.
    let bundle_dirs: BTreeSet<PathBuf> = found
        .iter()
        .filter(|f| f.rel.file_name().is_some_and(|n| n == "index.md"))
        .filter_map(|f| {
            f.rel
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
        })
        .collect();
    let bundle_of = |p: &Path| -> Option<PathBuf> {
        p.ancestors()
            .skip(1)
            .find(|a| bundle_dirs.contains(*a))
            .map(Path::to_path_buf)
    };
    let markdown: BTreeSet<PathBuf> = found
        .iter()
        .filter(|f| f.rel.extension().is_some_and(|e| e == "md"))
        .map(|f| f.rel.clone())
        .collect();
    let all_files: std::collections::HashSet<&Path> =
        found.iter().map(|f| f.rel.as_path()).collect();
    let mut sidecars = Vec::new();
    // (the bundle's index.md, the snapshot file), both from the root.
    let mut snapshots: Vec<(PathBuf, PathBuf)> = Vec::new();

    for f in &found {
        let rel_root = content.join(&f.rel);
        let Some(name) = f.rel.file_name().and_then(|n| n.to_str()) else {
            diags.push(Diagnostic::error(
                Some(Location::file(&rel_root)),
                "this file name is not valid UTF-8, so it cannot have a URL",
            ));
            continue;
        };
        let parent = f.rel.parent().unwrap_or(Path::new(""));
        let Some(parent_slash) = slash_path(parent) else {
            diags.push(Diagnostic::error(
                Some(Location::file(&rel_root)),
                "this folder name is not valid UTF-8, so it cannot have a URL",
            ));
            continue;
        };
        if parent_slash.is_empty() && name == "sources.yaml" {
            tree.has_sources_file = true;
            continue;
        }
        if name.ends_with(SIDECAR_SUFFIX) {
            sidecars.push(f.rel.clone());
            continue;
        }
        let is_bundle_index = name == "index.md" && bundle_dirs.contains(parent);
        let bundle = if is_bundle_index {
            None
        } else {
            bundle_of(&f.rel)
        };
        if let Some(bundle_dir) = &bundle
            && f.rel.strip_prefix(bundle_dir).is_ok_and(|inner| {
                let parts: Vec<String> = std::iter::once(String::new())
                    .chain(
                        inner
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
                    )
                    .collect();
                parts.len() == 3 && is_snapshot_path(&parts)
            })
        {
            // A snapshot belongs to its article (DESIGN §10), not copied.
            snapshots.push((content.join(bundle_dir).join("index.md"), rel_root));
            continue;
        }
        if let Some(bundle_dir) = &bundle {
            // A file inside a page bundle: copied next to the page.
            let inner = f.rel.strip_prefix(bundle_dir).unwrap_or(&f.rel);
            if let Some(path) = slash_path(inner).map(|p| evidence_dest(&p)) {
                tree.assets.push(AssetFile {
                    rel: rel_root,
                    dest: AssetDest::Bundle {
                        index: content.join(bundle_dir).join("index.md"),
                        path,
                    },
                });
            }
            continue;
        }
        if name == "_index.md" {
            tree.section_indexes.push((parent_slash, rel_root));
            continue;
        }
        if name.ends_with(".md") {
            let (stem, section, bundle_dir) = if name == "index.md" && !parent_slash.is_empty() {
                // content/<section>/<slug>/index.md
                let dir = parent;
                let stem = dir
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("index")
                    .to_string();
                let section = dir.parent().and_then(slash_path).unwrap_or_default();
                (stem, section, Some(content.join(dir)))
            } else {
                (name.trim_end_matches(".md").to_string(), parent_slash, None)
            };
            let sidecar_rel = match &bundle_dir {
                Some(_) => f.rel.with_file_name(format!("index{SIDECAR_SUFFIX}")),
                None => f.rel.with_file_name(format!("{stem}{SIDECAR_SUFFIX}")),
            };
            let has_sidecar = all_files.contains(sidecar_rel.as_path());
            if !section.is_empty() {
                // Every ancestor folder is a section too (so /a/ lists /a/b/ articles' section).
                tree.sections.insert(section.clone());
            }
            tree.documents.push(DocFile {
                rel: rel_root,
                section: (!section.is_empty()).then_some(section),
                stem,
                bundle_dir,
                sidecar: has_sidecar.then(|| content.join(sidecar_rel)),
                versions: Vec::new(),
            });
            continue;
        }
        // A loose file in a section folder (an image shared by articles):
        // copied to the same path under the output root.
        match slash_path(&f.rel) {
            Some(dest) => tree.assets.push(AssetFile {
                rel: rel_root,
                dest: AssetDest::Root(dest),
            }),
            None => diags.push(Diagnostic::error(
                Some(Location::file(&rel_root)),
                "this file name is not valid UTF-8, so it cannot have a URL",
            )),
        }
    }

    if !snapshots.is_empty() {
        snapshots.sort();
        let by_file: std::collections::HashMap<PathBuf, usize> = tree
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.rel.clone(), i))
            .collect();
        for (index, snapshot) in snapshots {
            if let Some(&i) = by_file.get(&index) {
                tree.documents[i].versions.push(snapshot);
            }
        }
    }

    for s in sidecars {
        let name = s.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let stem = name.trim_end_matches(SIDECAR_SUFFIX);
        let md = s.with_file_name(format!("{stem}.md"));
        if !markdown.contains(&md) {
            tree.orphan_sidecars.push(content.join(s));
        }
    }
    for (section, _) in &tree.section_indexes {
        if !section.is_empty() {
            tree.sections.insert(section.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn snapshots_belong_to_their_bundle_and_are_not_documents() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for f in [
            "content/articles/b/index.md",
            "content/articles/b/versions/2021-05-04T0930.md",
            "content/articles/b/versions/2021-05-04.original.html",
            "content/articles/b/versions/2021-05-03.md",
            "content/articles/b/versions/notes.md",
        ] {
            touch(r, f);
        }
        let (tree, diags) = load_tree(r);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(tree.documents.len(), 1);
        assert_eq!(
            tree.documents[0].versions,
            [
                PathBuf::from("content/articles/b/versions/2021-05-03.md"),
                PathBuf::from("content/articles/b/versions/2021-05-04T0930.md"),
            ]
        );
        let copied: Vec<&str> = tree
            .assets
            .iter()
            .map(|a| a.rel.to_str().unwrap())
            .collect();
        assert!(
            copied.iter().all(|c| !c.ends_with("05-03.md")),
            "{copied:?}"
        );
        assert!(copied.contains(&"content/articles/b/versions/notes.md"));
        assert_eq!(
            classify_path(Path::new("content/articles/b/versions/2021-05-03.md"), None),
            FileKind::Snapshot
        );
        assert_eq!(
            classify_path(Path::new("content/articles/b/versions/notes.md"), None),
            FileKind::Document
        );
    }

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "x").unwrap();
    }

    #[test]
    fn classifies_every_kind_of_file() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for f in [
            "content/_index.md",
            "content/about.md",
            "content/sources.yaml",
            "content/articles/_index.md",
            "content/articles/a.md",
            "content/articles/a.annotations.yaml",
            "content/articles/b/index.md",
            "content/articles/b/index.annotations.yaml",
            "content/articles/b/original.pdf",
            "content/articles/shared.png",
            "content/articles/lost.annotations.yaml",
            "content/articles/.hidden.md",
            "content/articles/a.md~",
            "content/articles/.#a.md",
            "content/articles/a.md.swp",
            "static/style.css",
            "static/.well-known/security.txt",
        ] {
            touch(r, f);
        }
        let (tree, diags) = load_tree(r);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(tree.has_sources_file);
        let docs: Vec<_> = tree
            .documents
            .iter()
            .map(|d| d.rel.to_str().unwrap())
            .collect();
        assert_eq!(
            docs,
            [
                "content/about.md",
                "content/articles/a.md",
                "content/articles/b/index.md"
            ]
        );
        assert_eq!(tree.documents[0].section, None);
        assert_eq!(
            tree.documents[1].sidecar.as_deref(),
            Some(Path::new("content/articles/a.annotations.yaml"))
        );
        assert_eq!(tree.documents[2].stem, "b");
        assert_eq!(tree.documents[2].section.as_deref(), Some("articles"));
        assert!(tree.documents[2].sidecar.is_some());
        assert_eq!(tree.section_indexes.len(), 2);
        assert_eq!(
            tree.orphan_sidecars,
            [PathBuf::from("content/articles/lost.annotations.yaml")]
        );
        let assets: Vec<_> = tree
            .assets
            .iter()
            .map(|a| (a.rel.to_str().unwrap(), a.dest.clone()))
            .collect();
        assert!(assets.contains(&(
            "content/articles/b/original.pdf",
            AssetDest::Bundle {
                index: "content/articles/b/index.md".into(),
                path: "original.pdf".into()
            }
        )));
        assert!(assets.contains(&(
            "content/articles/shared.png",
            AssetDest::Root("articles/shared.png".into())
        )));
        assert!(assets.contains(&("static/style.css", AssetDest::Root("style.css".into()))));
        assert!(assets.contains(&(
            "static/.well-known/security.txt",
            AssetDest::Root(".well-known/security.txt".into())
        )));
        assert_eq!(tree.sections.iter().collect::<Vec<_>>(), ["articles"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_site_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.txt"), "s").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, "content/articles/a.md");
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            r.join("content/articles/secret.txt"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            r.join("content/articles/a.md"),
            r.join("content/articles/alias.md"),
        )
        .unwrap();
        std::os::unix::fs::symlink(r.join("content"), r.join("content/articles/loop")).unwrap();
        let (tree, diags) = load_tree(r);
        assert!(
            diags
                .iter()
                .any(|d| d.is_error() && d.message.contains("outside the site")),
            "{diags:?}"
        );
        assert!(!tree.assets.iter().any(|a| a.rel.ends_with("secret.txt")));
        // A link to a file inside the site is read like the file.
        assert!(tree.documents.iter().any(|d| d.rel.ends_with("alias.md")));
    }

    /// The walk keeps exactly the files the classifier counts: the
    /// dot-file rule of static/ is one rule, not three.
    #[test]
    fn the_walk_and_the_classifier_agree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            "static/.well-known/security.txt",
            "static/.DS_Store",
            "static/.git/config",
            "static/.a.css.swp",
            "static/.#style.css",
            "static/style.css",
            "content/.hidden.md",
            "content/articles/a.md",
            "content/articles/a.annotations.yaml",
            "content/articles/a.md~",
            "content/articles/chart.png",
        ];
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let (tree, _) = load_tree(root);
        let mut walked: Vec<PathBuf> = tree.assets.iter().map(|a| a.rel.clone()).collect();
        walked.extend(tree.documents.iter().map(|d| d.rel.clone()));
        walked.extend(tree.documents.iter().filter_map(|d| d.sidecar.clone()));
        walked.sort();
        let mut counted: Vec<PathBuf> = files
            .iter()
            .map(PathBuf::from)
            .filter(|f| classify_path(f, Some("default")) != FileKind::Ignored)
            .collect();
        counted.sort();
        assert_eq!(walked, counted);
        assert_eq!(
            classify_path(Path::new("static/.well-known/security.txt"), None),
            FileKind::Copied
        );
        assert_eq!(
            classify_path(Path::new("themes/other/templates/x.html"), Some("default")),
            FileKind::Ignored
        );
        assert_eq!(
            classify_path(
                Path::new("themes/default/static/style.css"),
                Some("default")
            ),
            FileKind::ThemeStatic
        );
    }
}
