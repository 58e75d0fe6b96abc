//! `serve`: the dev server, with its notices printed on the terminal.

use std::process::ExitCode;
use std::sync::Arc;

use marginalia::serve::ServeOptions;

use super::{print_diagnostics, site_root};

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

pub fn run(options: ServeOptions) -> ExitCode {
    if let Err(code) = site_root(&options.root) {
        return code;
    }
    match marginalia::serve::run(options, Arc::new(Terminal)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(d) => {
            say!("{d}");
            ExitCode::from(1)
        }
    }
}
