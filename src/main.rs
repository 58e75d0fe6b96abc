//! The `marginalia` command: parses arguments, calls the library, prints
//! diagnostics and sets the exit code (0 success, 1 content or template
//! errors, 2 usage errors).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use marginalia::BuildOptions;
use marginalia::error::Diagnostics;

#[derive(Parser)]
#[command(
    name = "marginalia",
    version,
    about = "A static site generator for annotated article archives"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (default: output/).
    Build {
        /// The site root (the folder holding site.yaml and content/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site (overrides output_dir of site.yaml).
        #[arg(long)]
        output: Option<PathBuf>,
        /// The address the site is served from (overrides base_url of site.yaml).
        #[arg(long)]
        base_url: Option<String>,
        /// Include articles and pages marked `draft: true`.
        #[arg(long)]
        drafts: bool,
    },
    /// Validate everything a build does (content, notes, templates) and write nothing.
    Check {
        /// The site root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Include drafts in the check.
        #[arg(long)]
        drafts: bool,
        /// Rewrite drifted quotes in sidecars to the passage they now match
        /// (only when the match is close and unambiguous), and report each.
        #[arg(long)]
        fix: bool,
    },
    /// Import annotations made elsewhere into sidecar files.
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
}

#[derive(Subcommand)]
enum ImportFrom {
    /// A Hypothesis JSON export: each annotation becomes a note in the
    /// sidecar of the article whose original_url (or archive_url) it was made on.
    Hypothesis {
        /// The exported JSON file.
        file: PathBuf,
        /// The site root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

fn print_diagnostics(diags: &Diagnostics) {
    for d in diags.iter() {
        eprintln!("{d}");
    }
    let (e, w) = (diags.error_count(), diags.warning_count());
    if e > 0 || w > 0 {
        eprintln!(
            "{e} error{}, {w} warning{}",
            if e == 1 { "" } else { "s" },
            if w == 1 { "" } else { "s" }
        );
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Build {
            root,
            output,
            base_url,
            drafts,
        } => {
            let options = BuildOptions {
                root,
                output,
                base_url,
                drafts,
            };
            let (report, diags) = marginalia::build(&options);
            print_diagnostics(&diags);
            if diags.has_errors() {
                eprintln!("build failed; the previous output (if any) is untouched");
                return ExitCode::from(1);
            }
            let summary = format!(
                "built {} pages ({} files): {} articles, {} notes anchored, in {:.2?}",
                report.pages, report.files, report.articles, report.notes, report.elapsed
            );
            if std::io::stderr().is_terminal() {
                eprintln!("{summary}");
            } else {
                println!("{summary}");
            }
            ExitCode::SUCCESS
        }
        Command::Check { root, drafts, fix } => {
            let options = BuildOptions {
                root,
                drafts,
                ..Default::default()
            };
            let (site, diags) = marginalia::check(&options);
            if fix && let Some(site) = &site {
                let (applied, problems) = marginalia::fix_quotes(site);
                for a in &applied {
                    println!(
                        "fixed {}:{}: quote \"{}\" → \"{}\" ({:.0}% similar)",
                        a.sidecar.display(),
                        a.line,
                        a.old.trim(),
                        a.new,
                        (a.similarity * 100.0).floor()
                    );
                }
                for p in &problems {
                    eprintln!("{p}");
                }
                if !applied.is_empty() || !problems.is_empty() {
                    // Check again so what is left is what is reported.
                    let (_, after) = marginalia::check(&options);
                    print_diagnostics(&after);
                    return if after.has_errors() || !problems.is_empty() {
                        ExitCode::from(1)
                    } else {
                        println!("no problems left");
                        ExitCode::SUCCESS
                    };
                }
            }
            print_diagnostics(&diags);
            if diags.has_errors() {
                return ExitCode::from(1);
            }
            println!("no problems found");
            ExitCode::SUCCESS
        }
        Command::Import {
            from: ImportFrom::Hypothesis { file, root },
        } => {
            let json = match std::fs::read_to_string(&file) {
                Ok(j) => j,
                Err(e) => {
                    eprintln!("error: {}: could not read: {e}", file.display());
                    return ExitCode::from(1);
                }
            };
            match marginalia::import::import_hypothesis(&root, &file, &json) {
                Ok(report) => {
                    for (sidecar, n) in &report.added {
                        println!(
                            "added {n} note{} to {}",
                            if *n == 1 { "" } else { "s" },
                            sidecar.display()
                        );
                    }
                    if report.already_there > 0 {
                        println!(
                            "{} annotation(s) were already imported",
                            report.already_there
                        );
                    }
                    for (uri, id) in &report.unmatched {
                        println!("no article has original_url {uri} (annotation {id})");
                    }
                    for (uri, id) in &report.page_notes {
                        println!("skipped page note {id} on {uri}: it quotes no passage");
                    }
                    for d in &report.not_anchored {
                        eprintln!("{d}");
                    }
                    if report.not_anchored.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(diags) => {
                    for d in &diags {
                        eprintln!("{d}");
                    }
                    ExitCode::from(1)
                }
            }
        }
    }
}
