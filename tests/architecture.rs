//! The stages import one way (docs/architecture.md): a module may use the
//! stages before it, never one after it. Checked on the source text, for
//! the modules whose direction is settled; the cycle that remains through
//! `model.rs` is described in docs/architecture.md.

use std::path::{Path, PathBuf};

/// Each settled module (a file, or a folder and its files) with the only
/// `crate::` modules it may name outside comments.
const ALLOWED: &[(&str, &[&str])] = &[
    ("config.rs", &["config", "error", "url", "yaml"]),
    ("config", &["config", "error", "url", "yaml"]),
    ("paths.rs", &["error"]),
    ("html.rs", &["url"]),
    ("routes.rs", &["config", "paths", "routes"]),
    (
        "annotate",
        &["annotate", "config", "error", "model", "yaml"],
    ),
    (
        "markdown",
        &[
            "annotate", "config", "error", "html", "markdown", "model", "sources", "theme", "url",
        ],
    ),
];

fn rust_files(at: &Path) -> Vec<PathBuf> {
    if at.is_file() {
        return vec![at.to_path_buf()];
    }
    crate::common::walk(at)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

/// The modules named as `crate::<name>` in `text`, outside comments and
/// the unit tests at the end of a file.
fn named_modules(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            } else if rest.starts_with('{') {
                // A grouped import is not read here: reported as is, so
                // that settled modules write one `use` per module.
                out.push((i + 1, "{".to_string()));
            }
        }
    }
    out
}

#[test]
fn settled_modules_import_only_earlier_stages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (module, allowed) in ALLOWED {
        let files = rust_files(&src.join(module));
        assert!(!files.is_empty(), "src/{module} is gone: update this list");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (line, name) in named_modules(&text) {
                if !allowed.contains(&name.as_str()) {
                    wrong.push(format!("{}:{line}: crate::{name}", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "these reach a later stage:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_imports_and_skips_comments() {
    let text = "use crate::error::X;\n// crate::site is only mentioned\nlet a = crate::render::f(); // crate::load\nuse crate::{a, b};\n#[cfg(test)]\nuse crate::site;\n";
    assert_eq!(
        named_modules(text),
        [
            (1, "error".to_string()),
            (3, "render".to_string()),
            (4, "{".to_string())
        ]
    );
}
