//! `check`: everything a build checks plus every internal link; `--fix`
//! rewrites drifted quotes.

use std::process::ExitCode;

use marginalia::BuildOptions;

use super::{print_diagnostics, site_root};

pub fn run(options: BuildOptions, fix: bool) -> ExitCode {
    if let Err(code) = site_root(&options.root) {
        return code;
    }
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
