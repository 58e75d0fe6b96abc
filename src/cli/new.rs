//! `new`: start an article and its sidecar.

use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(
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
