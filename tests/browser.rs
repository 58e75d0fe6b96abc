//! The default theme in a real browser (DESIGN §4, issue 4).
//!
//! Runs `tests/browser/theme.test.mjs` with Node's test runner: it builds the
//! sample archive in `content/` with this crate's binary, serves it on
//! loopback, and drives Debian's headless Chromium through playwright-core
//! at 1440×900 and 390×844, with and without JavaScript. Screenshots, the
//! contrast table and the layout figures are written to `target/browser/`.
//!
//! Ignored by default because it needs `/usr/bin/chromium` and the Node
//! dependencies (`npm ci`); `.ci/run` installs both and runs it with
//! `cargo test -- --include-ignored`.

use crate::common;
use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs Chromium (/usr/bin/chromium) and `npm ci`; .ci/run runs it"]
fn default_theme_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in {} first",
        root.display()
    );
    let status = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "tests/browser/theme.test.mjs",
            "tests/browser/notes.test.mjs",
            "tests/browser/layers.test.mjs",
        ])
        .current_dir(root)
        .env("MARGINALIA_BIN", common::bin_path())
        .status()
        .expect("could not run node");
    assert!(status.success(), "browser tests failed: {status}");
}

/// The search box (issue 13): bytes a query downloads, ranking, the
/// passage, note deep links, typos, arrow keys (`tests/browser/search.test.mjs`).
#[test]
#[ignore = "needs Chromium (/usr/bin/chromium) and `npm ci`; .ci/run runs it"]
fn search_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in {} first",
        root.display()
    );
    let status = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "tests/browser/search.test.mjs",
        ])
        .current_dir(root)
        .env("MARGINALIA_BIN", common::bin_path())
        .status()
        .expect("could not run node");
    assert!(status.success(), "search browser tests failed: {status}");
}
