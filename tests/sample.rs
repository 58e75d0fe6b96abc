//! The repository's own sample archive builds cleanly, and shows what the
//! project promises about it.

use crate::common;

use common::{bin, count};
use std::path::{Path, PathBuf};

/// Builds the repository's sample archive into a temp folder through the
/// binary: (the temp folder, the site in it, what the build printed on stderr).
fn build_sample() -> (tempfile::TempDir, PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("site");
    let o = bin()
        .args(["build", "--root"])
        .arg(root)
        .arg("--output")
        .arg(&target)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{stderr}");
    (out, target, stderr)
}

#[test]
fn the_sample_archive_builds_without_errors_or_warnings() {
    let (_out, target, stderr) = build_sample();
    assert!(!stderr.contains("warning"), "{stderr}");
    let seed =
        std::fs::read_to_string(target.join("articles/iran-backchannel/index.html")).unwrap();
    // At least 10 notes citing at least 5 sources.
    assert!(count(&seed, "<aside class=\"margin-note\"") >= 10);
    let cited: std::collections::BTreeSet<&str> = seed
        .split("class=\"source\"")
        .skip(1)
        .filter_map(|s| s.split("/sources/").nth(1)?.split('/').next())
        .collect();
    assert!(cited.len() >= 5, "{cited:?}");
    // The scraped page furniture is gone.
    assert!(!seed.contains("Post a Comment"));
    // Every article of the sample is annotated.
    for entry in walk(&target.join("articles"))
        .into_iter()
        .chain(walk(&target.join("papers")))
    {
        if entry.ends_with("index.html")
            && !entry.to_string_lossy().contains("/page/")
            // A diff page shows text, not notes (DESIGN §10).
            && !entry.to_string_lossy().contains("/changes/")
            && entry.parent() != Some(&target.join("articles"))
            && entry.parent() != Some(&target.join("papers"))
        {
            let html = std::fs::read_to_string(&entry).unwrap();
            assert!(
                html.contains("<mark class=\"anchor\""),
                "{} has no notes",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    common::walk(dir)
}

/// `build` streams (each document's page is written as soon as its
/// Markdown is rendered); `check` and `serve` render from a site held in
/// memory. Both must give the same site, byte for byte.
#[test]
fn the_streaming_build_writes_what_the_in_memory_render_makes() {
    let (_out, target, _) = build_sample();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    let options = marginalia::BuildOptions {
        root: root.to_path_buf(),
        ..Default::default()
    };
    let (prepared, diags) = marginalia::prepare(&options);
    assert!(!diags.has_errors());
    let (site, templates) = prepared.unwrap();
    let memory = marginalia::output::MemoryOutput::new();
    let (_, d) = marginalia::render_into(&site, &templates, &memory);
    assert!(d.is_empty(), "{d:?}");

    let mut on_disk: Vec<String> = walk(&target)
        .into_iter()
        .map(|p| {
            p.strip_prefix(&target)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|p| p != ".marginalia")
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, memory.paths());
    for path in &on_disk {
        let disk = std::fs::read(target.join(path)).unwrap();
        assert!(disk == *memory.get(path).unwrap(), "{path} differs");
    }
}
