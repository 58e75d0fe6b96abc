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

use clap::{CommandFactory, Parser, Subcommand};
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

/// `--version`: the release and the commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MARGINALIA_COMMIT"),
    ")"
);
/// `println!` that does not panic when stdout is closed (`marginalia … |
/// head`): what is left to print is dropped, as ripgrep does, and the
/// command still finishes its work and exits with its own status.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Refuses a `--root` that is not a site (a typo must not build an empty
/// site into a new folder): a usage error, exit 2.
fn site_root(root: &std::path::Path) -> Result<(), ExitCode> {
    if root.join("site.yaml").is_file() || root.join("content").is_dir() {
        return Ok(());
    }
    let what = if root.is_dir() {
        "has neither site.yaml nor a content/ folder"
    } else if root.exists() {
        "is not a folder"
    } else {
        "does not exist"
    };
    say!(
        "error: {} is not a marginalia site: it {what}\n  help: pass the folder that holds site.yaml or content/ with --root (default: the current folder), or create a site with `marginalia init DIR`",
        root.display()
    );
    Err(ExitCode::from(2))
}

#[derive(Parser)]
#[command(
    name = "marginalia",
    version = VERSION,
    about = "A static site generator for annotated article archives",
    after_help = "Examples:\n  marginalia init my-archive        start a site\n  marginalia serve --root my-archive  preview it with live reload\n  marginalia build --root my-archive  write it into my-archive/output/"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder (default: output/).
    #[command(
        after_help = "Examples:\n  marginalia build\n  marginalia build --root my-archive --base-url https://me.github.io/archive/"
    )]
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
    #[command(
        after_help = "Examples:\n  marginalia serve\n  marginalia serve --root my-archive --port 8080 --open"
    )]
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
    /// Start a new article: front matter filled in (title; `archived:` set
    /// to now; `date:`, the original's publication date, from --date or
    /// left for you to fill in) and an empty sidecar for its notes.
    ///
    /// PATH is the article's file (`.md` is added when missing), relative to
    /// the site root, e.g. content/articles/my-article.md; a PATH ending in
    /// `/` makes a page bundle (PATH/index.md). Existing files are never
    /// overwritten.
    #[command(
        after_help = "Examples:\n  marginalia new content/articles/council-vote.md --title \"Council votes on bridge\" --date 2024-03-14\n  marginalia new content/articles/long-read/ --root my-archive"
    )]
    New {
        /// Where to create the article.
        path: PathBuf,
        /// The title (default: made from the file name).
        #[arg(long)]
        title: Option<String>,
        /// When the original was published: YYYY-MM-DD or RFC 3339.
        #[arg(long)]
        date: Option<String>,
        /// The site root; PATH is relative to it.
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Create a new site in DIR (default: the current folder): site.yaml,
    /// content/ with sources.yaml and a sample annotated article, and
    /// .gitignore. It builds at once.
    ///
    /// On a terminal, init asks for the title and the address the site will
    /// be served from when they are not given; otherwise it uses defaults.
    /// DIR may hold other files (a fresh clone), but not a site.
    #[command(
        after_help = "Examples:\n  marginalia init my-archive\n  marginalia init --title \"Clippings\" --base-url https://me.github.io/clippings/ --host github-pages"
    )]
    Init {
        /// The folder of the new site.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The site's title.
        #[arg(long)]
        title: Option<String>,
        /// The address the site will be served from (base_url).
        #[arg(long)]
        base_url: Option<String>,
        /// Also write this host's ready-to-commit build configuration.
        #[arg(long, value_enum)]
        host: Option<marginalia::scaffold::Host>,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  marginalia completions bash > ~/.local/share/bash-completion/completions/marginalia\n  marginalia completions zsh > ~/.zfunc/_marginalia\n  marginalia completions fish > ~/.config/fish/completions/marginalia.fish\n  marginalia completions powershell >> $PROFILE"
    )]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(
        after_help = "Examples:\n  marginalia man > marginalia.1 && man ./marginalia.1\n  marginalia man | sudo tee /usr/local/share/man/man1/marginalia.1"
    )]
    Man,
    /// Validate everything a build does (content, notes, templates) plus every
    /// internal link and #anchor of the rendered site; write nothing (but the
    /// sidecars --fix rewrites).
    ///
    /// Exits with 1 and lists every problem, with the file and line it is in.
    #[command(
        after_help = "Examples:\n  marginalia check\n  marginalia check --root my-archive --fix"
    )]
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
    /// Capture a web page (an http(s) URL or a saved .html file) into the
    /// archive: a page bundle with the article as Markdown, an empty sidecar
    /// and the page exactly as fetched (original.html, never published as HTML).
    ///
    /// Prints the new article's path. A page already in the archive (same
    /// original_url) with the same text is reported "unchanged" and nothing
    /// is written. Fetches time out after 30 s (MARGINALIA_FETCH_TIMEOUT_MS
    /// overrides it), follow at most 10 redirects and take at most 20 MiB.
    #[command(
        after_help = "Examples:\n  marginalia archive https://www.example.com/news/2024/03/council-vote\n  marginalia archive saved-page.html --url https://www.example.com/news/x --section news\n  marginalia archive --from-file reading-list.txt --root my-archive"
    )]
    Archive {
        /// The page: an http(s) URL or a saved .html file (omit with --from-file).
        #[arg(required_unless_present = "from_file")]
        source: Option<String>,
        /// The page's address (wins over its canonical link; for saved files).
        #[arg(long, conflicts_with = "from_file")]
        url: Option<String>,
        /// The section folder under content/.
        #[arg(long, default_value = "articles")]
        section: String,
        /// The key of content/sources.yaml to use instead of matching by host.
        #[arg(long = "source", value_name = "KEY")]
        source_key: Option<String>,
        /// The article's slug (default: made from its title).
        #[arg(long, conflicts_with = "from_file")]
        slug: Option<String>,
        /// Archive every URL or file listed in LIST, one per line (# comments).
        #[arg(long, value_name = "LIST", conflicts_with = "source")]
        from_file: Option<PathBuf>,
        /// Download the article's images into the bundle.
        #[arg(long)]
        images: bool,
        /// The site root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Import annotations made elsewhere into sidecar files.
    #[command(
        after_help = "Example:\n  marginalia import hypothesis hypothesis-export.json --root my-archive"
    )]
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
}

#[derive(Subcommand)]
enum ImportFrom {
    /// A Hypothesis JSON export: each annotation becomes a note in the
    /// sidecar of the article whose original_url (or archive_url) it was made on.
    #[command(
        after_help = "Example:\n  marginalia import hypothesis hypothesis-export.json --root my-archive"
    )]
    Hypothesis {
        /// The exported JSON file.
        file: PathBuf,
        /// The site root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Also import hidden, flagged and private annotations (only their
        /// author could read them on Hypothesis); skipped by default.
        #[arg(long)]
        include_private: bool,
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
            Notice::Read { documents, elapsed } => say!(
                "read {documents} documents in {elapsed:.2?}; pages are rendered as they are asked for until the whole site is built"
            ),
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

/// `archive SOURCE`: one page; exit 1 when it could not be archived.
fn archive_one(
    root: &std::path::Path,
    source: &str,
    options: &marginalia::capture::Options,
) -> ExitCode {
    use marginalia::capture::Outcome;
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
fn versioned_message(v: &marginalia::versions::recapture::NewVersion) -> String {
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
fn archive_list(
    root: &std::path::Path,
    list: &std::path::Path,
    options: &marginalia::capture::Options,
) -> ExitCode {
    use marginalia::capture::Outcome;
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
            if let Err(code) = site_root(&root) {
                return code;
            }
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
                say!("build failed; the previous output (if any) is untouched");
                return ExitCode::from(1);
            }
            let summary = if report.unchanged {
                format!(
                    "nothing changed since the last build; the output is up to date (checked in {:.2?}; --clean rebuilds)",
                    report.elapsed
                )
            } else {
                let reused = if report.reused > 0 {
                    format!(", {} unchanged files reused", report.reused)
                } else {
                    String::new()
                };
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
        Command::Serve {
            root,
            port,
            bind,
            drafts,
            open,
        } => {
            if let Err(code) = site_root(&root) {
                return code;
            }
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
                    say!("{d}");
                    ExitCode::from(1)
                }
            }
        }
        Command::New {
            path,
            title,
            date,
            root,
        } => new_article(path, title, date, root),
        Command::Init {
            dir,
            title,
            base_url,
            host,
        } => init_site(dir, title, base_url, host),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "marginalia",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Command::Man => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    say!("error: could not write the manual page: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Check { root, drafts, fix } => {
            if let Err(code) = site_root(&root) {
                return code;
            }
            let options = BuildOptions {
                root,
                drafts,
                ..Default::default()
            };
            let (site, diags) = marginalia::check(&options);
            if fix && let Some(site) = &site {
                let (applied, problems) = marginalia::fix_quotes(site);
                for a in &applied {
                    out!(
                        "fixed {}:{}: quote \"{}\" → \"{}\" ({:.0}% similar)",
                        a.sidecar.display(),
                        a.line,
                        a.old.trim(),
                        a.new,
                        (a.similarity * 100.0).floor()
                    );
                }
                for p in &problems {
                    say!("{p}");
                }
                if !applied.is_empty() || !problems.is_empty() {
                    // Check again so what is left is what is reported.
                    let (_, after) = marginalia::check(&options);
                    print_diagnostics(&after);
                    return if after.has_errors() || !problems.is_empty() {
                        ExitCode::from(1)
                    } else {
                        out!("no problems left");
                        ExitCode::SUCCESS
                    };
                }
            }
            print_diagnostics(&diags);
            if diags.has_errors() {
                return ExitCode::from(1);
            }
            out!("no problems found");
            ExitCode::SUCCESS
        }
        Command::Archive {
            source,
            url,
            section,
            source_key,
            slug,
            from_file,
            images,
            root,
        } => {
            let options = marginalia::capture::Options {
                url,
                section,
                source: source_key,
                slug,
                images,
            };
            match (source, from_file) {
                (_, Some(list)) => archive_list(&root, &list, &options),
                (Some(source), None) => archive_one(&root, &source, &options),
                (None, None) => ExitCode::from(2),
            }
        }
        Command::Import {
            from:
                ImportFrom::Hypothesis {
                    file,
                    root,
                    include_private,
                },
        } => {
            if let Err(code) = site_root(&root) {
                return code;
            }
            let json = match std::fs::read_to_string(&file) {
                Ok(j) => j,
                Err(e) => {
                    say!("error: {}: could not read: {e}", file.display());
                    return ExitCode::from(1);
                }
            };
            let options = marginalia::import::ImportOptions { include_private };
            match marginalia::import::import_hypothesis_with(&root, &file, &json, options) {
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
                        out!(
                            "skipped reply {reply}: the note it answers ({note}) was not imported"
                        );
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
    }
}

fn new_article(
    path: PathBuf,
    title: Option<String>,
    date: Option<String>,
    root: Option<PathBuf>,
) -> ExitCode {
    let path = match &root {
        Some(root) => {
            if !root.join("site.yaml").exists() && !root.join("content").is_dir() {
                say!(
                    "error: {}: not a site (it has neither site.yaml nor content/)",
                    root.display()
                );
                return ExitCode::from(2);
            }
            root.join(path)
        }
        None => path,
    };
    let options = marginalia::scaffold::NewOptions {
        title: title.as_deref(),
        date: date.as_deref(),
    };
    match marginalia::scaffold::new_article(&path, &options) {
        Ok(made) => {
            if let Some(w) = made.warning {
                say!("warning: {w}");
            }
            out!("created {}", made.article.display());
            out!("created {}", made.sidecar.display());
            if date.is_none() {
                out!("fill in `date:` (when the original was published) in its front matter");
            }
            ExitCode::SUCCESS
        }
        Err(d) => {
            say!("{d}");
            ExitCode::from(if d.location.is_none() { 2 } else { 1 })
        }
    }
}

/// Asks on the terminal; an empty answer (or end of input) keeps `default`.
fn ask(question: &str, default: &str) -> String {
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} [{default}]: ");
    let _ = err.flush();
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(n) if n > 0 && !line.trim().is_empty() => line.trim().to_string(),
        _ => default.to_string(),
    }
}

fn init_site(
    dir: PathBuf,
    mut title: Option<String>,
    mut base_url: Option<String>,
    host: Option<marginalia::scaffold::Host>,
) -> ExitCode {
    use marginalia::scaffold::{DEFAULT_TITLE, Host, InitOptions};
    // Only a person at a terminal is asked; scripts and CI get the
    // defaults at once.
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if interactive && title.is_none() {
        title = Some(ask("The site's title", DEFAULT_TITLE));
    }
    if interactive && base_url.is_none() && host != Some(Host::CloudflarePages) {
        loop {
            let answer = ask(
                "The address it will be served from (base_url; Enter to decide later)",
                marginalia::config::PLACEHOLDER_BASE_URL,
            );
            match marginalia::config::check_base_url(&answer) {
                Ok(_) => {
                    base_url = Some(answer);
                    break;
                }
                Err(m) => say!("{m}"),
            }
        }
    }
    let options = InitOptions {
        title,
        base_url,
        host,
    };
    match marginalia::scaffold::init_site(&dir, &options) {
        Ok(report) => {
            for f in &report.created {
                out!("created {}", f.display());
            }
            for f in &report.updated {
                out!("added the output and cache folders to {}", f.display());
            }
            if report.base_url == marginalia::config::PLACEHOLDER_BASE_URL {
                out!(
                    "base_url is a placeholder ({}): set it in site.yaml before you publish",
                    report.base_url
                );
            }
            if let Some(h) = host {
                out!("{}: {}", h.file(), h.next_step());
            }
            let root = if dir == std::path::Path::new(".") {
                String::new()
            } else {
                format!(" --root {}", dir.display())
            };
            out!("next:");
            out!("  marginalia serve{root}        preview it, reloading as you edit");
            out!("  marginalia new content/articles/my-first-article.md{root}");
            out!("  marginalia build{root}        write the site into output/");
            ExitCode::SUCCESS
        }
        Err(diags) => {
            for d in &diags {
                say!("{d}");
            }
            ExitCode::from(if diags.iter().all(|d| d.location.is_none()) {
                2
            } else {
                1
            })
        }
    }
}
