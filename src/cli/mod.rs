//! The commands' bodies, one module each: a command takes its parsed
//! arguments, calls the library once, prints what happened and returns
//! the exit code (0 success, 1 content or template errors, 2 usage
//! errors). They belong to the binary, not the library, because library
//! code never prints; `main.rs` only parses arguments and dispatches.

use std::path::Path;
use std::process::ExitCode;

use marginalia::error::Diagnostics;

/// `eprintln!` that does not panic when stderr is gone (a closed terminal
/// must not take the dev server's rebuild thread down with it).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` that does not panic when stdout is closed (`marginalia … |
/// head`): what is left to print is dropped, as ripgrep does, and the
/// command still finishes its work and exits with its own status.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub mod archive;
pub mod build;
pub mod check;
pub mod import;
pub mod init;
pub mod new;
pub mod serve;

/// Refuses a `--root` that is not a site (a typo must not build an empty
/// site into a new folder): a usage error, exit 2.
pub fn site_root(root: &Path) -> Result<(), ExitCode> {
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

pub fn print_diagnostics(diags: &Diagnostics) {
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

/// `completions SHELL`: the script for `command` on stdout.
pub fn completions(shell: clap_complete::Shell, mut command: clap::Command) -> ExitCode {
    clap_complete::generate(shell, &mut command, "marginalia", &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// `man`: the manual page of `command` (roff) on stdout.
pub fn man(command: clap::Command) -> ExitCode {
    match clap_mangen::Man::new(command).render(&mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("error: could not write the manual page: {e}");
            ExitCode::from(1)
        }
    }
}
