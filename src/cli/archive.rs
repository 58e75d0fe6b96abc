//! `archive`: capture web pages into the archive.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use marginalia::capture::{Options, Outcome};

/// `archive SOURCE` or `archive --from-file LIST`.
pub fn run(
    root: &Path,
    source: Option<String>,
    from_file: Option<&Path>,
    options: &Options,
) -> ExitCode {
    match (source, from_file) {
        (_, Some(list)) => archive_list(root, list, options),
        (Some(source), None) => archive_one(root, &source, options),
        (None, None) => ExitCode::from(2),
    }
}

/// `archive SOURCE`: one page; exit 1 when it could not be archived.
fn archive_one(root: &Path, source: &str, options: &Options) -> ExitCode {
    match marginalia::capture::archive(root, source, options) {
        Ok(Outcome::Archived {
            index,
            new_source,
            warnings,
        }) => {
            for w in &warnings {
                say!("warning: {w}");
            }
            if let Some(k) = new_source {
                say!("added the source `{k}` to content/sources.yaml");
            }
            out!("{}", index.display());
            ExitCode::SUCCESS
        }
        Ok(Outcome::Unchanged { index }) => {
            out!("unchanged: {} already holds this page", index.display());
            ExitCode::SUCCESS
        }
        Ok(Outcome::Versioned(v)) => {
            out!("{}", versioned_message(&v));
            out!("{}", v.index.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            say!("error: {e}");
            ExitCode::from(if e.usage { 2 } else { 1 })
        }
    }
}

/// The diff summary of a re-capture whose text changed (DESIGN §10).
fn versioned_message(v: &marginalia::capture::recapture::NewVersion) -> String {
    format!(
        "changed: {} word{} removed, {} added{}; the previous text is kept as {}{}",
        v.words_removed,
        if v.words_removed == 1 { "" } else { "s" },
        v.words_added,
        if v.title_changed {
            ", and the title changed"
        } else {
            ""
        },
        v.snapshot.display(),
        match v.pinned {
            0 => String::new(),
            1 => "; 1 note was pinned to it (version:)".into(),
            n => format!("; {n} notes were pinned to it (version:)"),
        }
    )
}

/// `archive --from-file LIST`: every entry, a progress bar, a summary.
fn archive_list(root: &Path, list: &Path, options: &Options) -> ExitCode {
    let sources = match marginalia::capture::read_list(list) {
        Ok(s) => s,
        Err(e) => {
            say!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(sources.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "archiving [{bar:40}] {pos}/{len} pages ({eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let items = marginalia::capture::archive_many(root, &sources, options, |_| bar.inc(1));
    bar.finish_and_clear();
    let (mut archived, mut unchanged, mut failed) = (0, 0, 0);
    for item in &items {
        match &item.result {
            Ok(Outcome::Archived {
                index, warnings, ..
            }) => {
                for w in warnings {
                    say!("warning: {}: {w}", item.source);
                }
                archived += 1;
                out!("{}", index.display());
            }
            Ok(Outcome::Unchanged { index }) => {
                unchanged += 1;
                out!("unchanged: {}", index.display());
            }
            Ok(Outcome::Versioned(v)) => {
                archived += 1;
                out!("{}", versioned_message(v));
                out!("{}", v.index.display());
            }
            Err(e) => {
                failed += 1;
                say!("failed: {}: {e}", item.source);
            }
        }
    }
    out!("{archived} archived, {unchanged} unchanged, {failed} failed");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
