//! `import hypothesis`: a Hypothesis export into sidecars.

use std::path::Path;
use std::process::ExitCode;

use super::site_root;

pub fn hypothesis(file: &Path, root: &Path, include_private: bool) -> ExitCode {
    if let Err(code) = site_root(root) {
        return code;
    }
    let json = match std::fs::read_to_string(file) {
        Ok(j) => j,
        Err(e) => {
            say!("error: {}: could not read: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    let options = marginalia::import::ImportOptions { include_private };
    match marginalia::import::import_hypothesis_with(root, file, &json, options) {
        Ok(report) => {
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            for (sidecar, n) in &report.added {
                out!("added {n} note{} to {}", plural(*n), sidecar.display());
            }
            if report.replies > 0 {
                out!(
                    "{} repl{} added to the thread of {} note",
                    report.replies,
                    if report.replies == 1 { "y" } else { "ies" },
                    if report.replies == 1 { "its" } else { "their" }
                );
            }
            if report.highlights > 0 {
                out!(
                    "{} highlight{} (a passage, no text) imported as `kind: highlight`",
                    report.highlights,
                    plural(report.highlights)
                );
            }
            if report.already_there > 0 {
                out!(
                    "{} annotation{} already imported",
                    report.already_there,
                    if report.already_there == 1 {
                        " was"
                    } else {
                        "s were"
                    }
                );
            }
            if report.skipped_private > 0 {
                out!(
                    "skipped {} hidden, flagged or private annotation{} (--include-private imports them)",
                    report.skipped_private,
                    plural(report.skipped_private)
                );
            }
            for (uri, id) in &report.unmatched {
                out!("no article has original_url {uri} (annotation {id})");
            }
            for (uri, id) in &report.page_notes {
                out!("skipped page note {id} on {uri}: it quotes no passage");
            }
            for (uri, id, why) in &report.position_only {
                out!(
                    "skipped annotation {id} on {uri}: it locates its passage only by position or range, with no quoted text, and {why}"
                );
            }
            for (id, start, end, quote) in &report.by_position {
                out!(
                    "annotation {id} quotes no text: its passage was taken at positions {start}–{end} of the article's text: \"{quote}\" (check that this is the passage meant)"
                );
            }
            for (reply, note) in &report.orphan_replies {
                out!("skipped reply {reply}: the note it answers ({note}) was not imported");
            }
            for d in report.not_anchored.iter().chain(&report.errors) {
                say!("{d}");
            }
            if report.has_errors() {
                let written: usize = report.added.iter().map(|(_, n)| n).sum();
                let problems = report.not_anchored.len() + report.errors.len();
                say!(
                    "{problems} problem{} (above); only the {written} note{} listed as added {} written",
                    plural(problems),
                    plural(written),
                    if written == 1 { "was" } else { "were" }
                );
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(diags) => {
            for d in &diags {
                say!("{d}");
            }
            ExitCode::from(1)
        }
    }
}
