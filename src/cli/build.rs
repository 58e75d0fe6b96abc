//! `build`: the site into its output folder, with a progress bar.

use std::io::IsTerminal;
use std::process::ExitCode;

use marginalia::BuildOptions;

use super::{print_diagnostics, site_root};

/// The build's progress bar, drawn on stderr only when it is a terminal
/// (indicatif hides it otherwise; the summary line is printed either way).
struct BuildBar {
    bar: indicatif::ProgressBar,
}

impl BuildBar {
    fn new() -> BuildBar {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        BuildBar { bar }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl marginalia::Progress for BuildBar {
    fn waiting(&self, why: &str) {
        self.bar.suspend(|| say!("{why}"));
    }

    fn stage(&self, name: &str, total: Option<usize>) {
        match total {
            None => {
                self.bar.set_message(format!("{name}…"));
                self.bar
                    .enable_steady_tick(std::time::Duration::from_millis(120));
            }
            Some(n) => {
                self.bar.set_length(n as u64);
                self.bar.set_position(0);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg:8} [{bar:40}] {pos}/{len} files ({eta} left)",
                ) {
                    self.bar.set_style(style.progress_chars("=> "));
                }
                self.bar.set_message(name.to_string());
            }
        }
    }

    fn advance(&self, n: usize) {
        self.bar.inc(n as u64);
    }
}

/// Builds (or finds nothing changed since the last build, unless `clean`).
pub fn run(options: BuildOptions, clean: bool) -> ExitCode {
    if let Err(code) = site_root(&options.root) {
        return code;
    }
    let bar = BuildBar::new();
    marginalia::memstat::begin();
    let (report, diags) = marginalia::build_cached(&options, &bar, clean);
    bar.finish();
    if cfg!(feature = "alloc-count") {
        marginalia::memstat::mark("saving the cache");
        for m in marginalia::memstat::marks() {
            let mib = |b: usize| b as f64 / 1048576.0;
            eprintln!(
                "memory: {:<32} live at end {:8.1} MiB, heap peak {:8.1} MiB, RSS peak {:8.1} MiB, wall {:7.3} s",
                m.phase,
                mib(m.live),
                mib(m.peak),
                mib(m.rss_peak),
                m.wall.as_secs_f64()
            );
        }
    }
    print_diagnostics(&diags);
    if diags.has_errors() {
        say!("build failed; the previous output (if any) is untouched");
        return ExitCode::from(1);
    }
    let summary = if report.unchanged {
        format!(
            "nothing changed since the last build; the output is up to date (checked in {:.2?}; --clean rebuilds)",
            report.elapsed
        )
    } else {
        let mut reused = String::new();
        if report.reused > 0 {
            reused.push_str(&format!(", {} unchanged files reused", report.reused));
        }
        if report.documents_kept > 0 {
            reused.push_str(&format!(
                ", {} documents from the build cache",
                report.documents_kept
            ));
        }
        if report.search_index_kept {
            reused.push_str(", the search index from the build cache");
        }
        format!(
            "built {} pages ({} files{reused}): {} articles, {} notes anchored, in {:.2?}",
            report.pages, report.files, report.articles, report.notes, report.elapsed
        )
    };
    if std::io::stderr().is_terminal() {
        say!("{summary}");
    } else {
        out!("{summary}");
    }
    ExitCode::SUCCESS
}
