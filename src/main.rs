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
    /// Preview the site: build it into memory, serve it, rebuild what a change touches and reload open pages.
    ///
    /// Nothing is written to output/. The site's base_url is set to the
    /// server's address. content/, static/, themes/, templates/ and site.yaml
    /// are watched; an edit re-renders only the pages it touches and tells
    /// open pages to reload (a stylesheet-only change swaps the stylesheet).
    /// A broken edit shows its errors over the page and in the terminal
    /// while the last good site is still served. Stop with Ctrl-C.
    Serve {
        /// The site root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The port to listen on (0 picks a free one; the address is printed).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on. Anything but loopback lets other
        /// machines see the site (a warning is printed).
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Include articles and pages marked `draft: true`.
        #[arg(long)]
        drafts: bool,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Validate everything a build does (content, notes, templates) and write nothing.
    Check {
        /// The site root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Include drafts in the check.
        #[arg(long)]
        drafts: bool,
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

/// Prints the dev server's notices: the address on stdout (so scripts can
/// read it), everything else on stderr.
struct Terminal;

impl marginalia::serve::Reporter for Terminal {
    fn notice(&self, notice: marginalia::serve::Notice) {
        use marginalia::serve::Notice;
        use std::io::Write;
        match notice {
            Notice::Listening { url, warning } => {
                if let Some(w) = warning {
                    eprintln!("warning: {w}");
                }
                println!("serving {url}");
                let _ = std::io::stdout().flush();
                eprintln!("watching for changes; press Ctrl-C to stop");
            }
            Notice::Built {
                pages,
                articles,
                notes,
                elapsed,
            } => eprintln!(
                "built {pages} pages in memory: {articles} articles, {notes} notes anchored, in {elapsed:.2?}"
            ),
            Notice::Rebuilt {
                documents,
                outputs,
                full,
                since_event,
                since_batch,
                elapsed,
            } => {
                let what = if full {
                    "reloaded the whole site".to_string()
                } else {
                    format!(
                        "re-rendered {documents} document{}",
                        if documents == 1 { "" } else { "s" }
                    )
                };
                eprintln!(
                    "{what}: {outputs} output{} changed, in {elapsed:.1?}; reload sent {since_batch:.1?} after the change was taken up ({since_event:.1?} after the first file event)",
                    if outputs == 1 { "" } else { "s" }
                );
            }
            Notice::Problems(diags) => {
                print_diagnostics(&diags);
                eprintln!("still serving the last good version; fix the errors and save");
            }
            Notice::Warnings(ds) => {
                for d in ds {
                    eprintln!("{d}");
                }
            }
            Notice::Recovered => eprintln!("the errors are fixed"),
            Notice::Trouble(msg) => eprintln!("warning: {msg}"),
            Notice::Stopping => eprintln!("stopping"),
        }
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
        Command::Serve {
            root,
            port,
            bind,
            drafts,
            open,
        } => {
            let options = marginalia::serve::ServeOptions {
                root,
                bind,
                port,
                drafts,
                open,
            };
            match marginalia::serve::run(options, std::sync::Arc::new(Terminal)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(d) => {
                    eprintln!("{d}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Check { root, drafts } => {
            let options = BuildOptions {
                root,
                drafts,
                ..Default::default()
            };
            let (_, diags) = marginalia::check(&options);
            print_diagnostics(&diags);
            if diags.has_errors() {
                return ExitCode::from(1);
            }
            println!("no problems found");
            ExitCode::SUCCESS
        }
    }
}
