//! `init`: create a site, asking for its title and address on a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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

pub fn run(
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
