//! The `marginalia` command: parses arguments, calls the library, prints
//! diagnostics and sets the exit code (0 success, 1 content or template
//! errors, 2 usage errors).

use std::io::IsTerminal;

// The build allocates many short-lived strings on both cores at once;
// mimalloc's per-thread heaps beat glibc's arenas there: 8–10 % less wall
// time on the 1k and 10k benchmark corpora (median of 3–5 paired runs),
// for about 13 % more peak memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use marginalia::BuildOptions;
use marginalia::error::Diagnostics;

/// `eprintln!` that does not panic when stderr is gone (a closed terminal
/// must not take the dev server's rebuild thread down with it).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

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
        /// Build everything, ignoring the build cache in .marginalia/ (a
        /// build with nothing changed is otherwise skipped).
        #[arg(long)]
        clean: bool,
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
    /// Start a new article: front matter filled in (title, today's date, the
    /// optional keys commented out) and an empty sidecar for its notes.
    ///
    /// PATH is the article's file (`.md` is added when missing), e.g.
    /// content/articles/my-article.md; a PATH ending in `/` makes a page
    /// bundle (PATH/index.md). Existing files are never overwritten.
    New {
        /// Where to create the article.
        path: PathBuf,
        /// The title (default: made from the file name).
        #[arg(long)]
        title: Option<String>,
    },
    /// Create a new site in DIR (which must not exist or be empty): site.yaml,
    /// content/ with sources.yaml and a sample annotated article. It builds at once.
    Init {
        /// The folder of the new site.
        dir: PathBuf,
    },
    /// Validate everything a build does (content, notes, templates) plus every
    /// internal link and #anchor of the rendered site; write nothing (but the
    /// sidecars --fix rewrites).
    ///
    /// Exits with 1 and lists every problem, with the file and line it is in.
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

fn print_diagnostics(diags: &Diagnostics) {
    for d in diags.iter() {
        say!("{d}");
    }
    let (e, w) = (diags.error_count(), diags.warning_count());
    if e > 0 || w > 0 {
        say!(
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
            Notice::Building { url } => {
                say!("building the site in memory for {url} …");
            }
            Notice::Listening { url, warning } => {
                if let Some(w) = warning {
                    say!("warning: {w}");
                }
                // Scripts and tests read this line.
                let mut out = std::io::stdout();
                let _ = writeln!(out, "serving {url}");
                let _ = out.flush();
                say!("watching for changes; press Ctrl-C to stop");
            }
            Notice::Built {
                pages,
                articles,
                notes,
                elapsed,
            } => say!(
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
                } else if documents == 0 {
                    "updated".to_string()
                } else {
                    format!(
                        "re-rendered {documents} document{}",
                        if documents == 1 { "" } else { "s" }
                    )
                };
                say!(
                    "{what}: {outputs} output{} changed, in {elapsed:.1?}; reload sent {since_batch:.1?} after the change was taken up ({since_event:.1?} after the first file event)",
                    if outputs == 1 { "" } else { "s" }
                );
            }
            Notice::Problems(diags) => {
                print_diagnostics(&diags);
                say!("still serving the last good version; fix the errors and save");
            }
            Notice::Warnings(ds) => {
                for d in ds {
                    say!("{d}");
                }
            }
            Notice::Recovered => say!("the errors are fixed"),
            Notice::Trouble(msg) => say!("warning: {msg}"),
            Notice::Stopping => say!("stopping"),
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
            clean,
        } => {
            let options = BuildOptions {
                root,
                output,
                base_url,
                drafts,
            };
            let bar = BuildBar::new();
            let (report, diags) = marginalia::build_cached(&options, &bar, clean);
            bar.finish();
            print_diagnostics(&diags);
            if diags.has_errors() {
                eprintln!("build failed; the previous output (if any) is untouched");
                return ExitCode::from(1);
            }
            let summary = if report.unchanged {
                format!(
                    "nothing changed since the last build; the output is up to date (checked in {:.2?}; --clean rebuilds)",
                    report.elapsed
                )
            } else {
                format!(
                    "built {} pages ({} files): {} articles, {} notes anchored, in {:.2?}",
                    report.pages, report.files, report.articles, report.notes, report.elapsed
                )
            };
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
        Command::New { path, title } => {
            match marginalia::scaffold::new_article(&path, title.as_deref()) {
                Ok(made) => {
                    if let Some(w) = made.warning {
                        eprintln!("warning: {w}");
                    }
                    println!("created {}", made.article.display());
                    println!("created {}", made.sidecar.display());
                    ExitCode::SUCCESS
                }
                Err(d) => {
                    eprintln!("{d}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Init { dir } => match marginalia::scaffold::init_site(&dir) {
            Ok(made) => {
                for f in &made {
                    println!("created {}", f.display());
                }
                println!(
                    "a new site is in {0}: `marginalia serve --root {0}` to preview it, `marginalia build --root {0}` to build it",
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(d) => {
                eprintln!("{d}");
                ExitCode::from(1)
            }
        },
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
