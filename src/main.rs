//! The `marginalia` command: parses arguments and hands each command to
//! its module in `cli/`, which calls the library, prints diagnostics and
//! sets the exit code (0 success, 1 content or template errors, 2 usage
//! errors).

mod cli;

// The build allocates many short-lived strings on both cores at once;
// mimalloc's per-thread heaps beat glibc's arenas there: 8–10 % less wall
// time on the 1k and 10k benchmark corpora (median of 3–5 paired runs),
// for about 13 % more peak memory.
#[cfg(not(feature = "alloc-count"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(feature = "alloc-count")]
#[global_allocator]
static GLOBAL: marginalia::memstat::Counting<mimalloc::MiMalloc> =
    marginalia::memstat::Counting(mimalloc::MiMalloc);

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use marginalia::BuildOptions;

/// `--version`: the release and the commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MARGINALIA_COMMIT"),
    ")"
);
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
            cli::build::run(options, clean)
        }
        Command::Serve {
            root,
            port,
            bind,
            drafts,
            open,
        } => cli::serve::run(marginalia::serve::ServeOptions {
            root,
            bind,
            port,
            drafts,
            open,
        }),
        Command::New {
            path,
            title,
            date,
            root,
        } => cli::new::run(path, title, date, root),
        Command::Init {
            dir,
            title,
            base_url,
            host,
        } => cli::init::run(dir, title, base_url, host),
        Command::Completions { shell } => cli::completions(shell, Cli::command()),
        Command::Man => cli::man(Cli::command()),
        Command::Check { root, drafts, fix } => {
            let options = BuildOptions {
                root,
                drafts,
                ..Default::default()
            };
            cli::check::run(options, fix)
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
            cli::archive::run(&root, source, from_file.as_deref(), &options)
        }
        Command::Import {
            from:
                ImportFrom::Hypothesis {
                    file,
                    root,
                    include_private,
                },
        } => cli::import::hypothesis(&file, &root, include_private),
    }
}
