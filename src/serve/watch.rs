//! Watching the site for changes: notify, debounced (an editor's save is a
//! burst of events: write, rename, chmod), on the folders a site is made
//! of. `output/`, `target/` and editor leftovers (`.swp`, `~`, `#x#`,
//! `4913`) never trigger a rebuild, so writing them cannot loop.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

// Batches go out on a channel of their own: the watcher knows nothing of
// who reads them (the worker forwards them), so the two do not import
// each other.
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::load::{FileKind, classify_path};

/// The folders watched (recursively) under the site root.
pub const WATCHED_DIRS: &[&str] = &["content", "static", "themes", "templates"];

/// How long a burst of events must be quiet before it is handled.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// A batch of changed paths (absolute), with when the first was seen.
#[derive(Debug)]
pub struct Batch {
    pub paths: Vec<PathBuf>,
    pub first_seen: Instant,
}

pub type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Whether a changed path can matter to the site at `root` (whose output
/// folder is `output`).
pub fn is_relevant(root: &Path, output: &Path, path: &Path) -> bool {
    if path.starts_with(output) {
        return false;
    }
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    classify_path(rel, None) != FileKind::Ignored
}

/// Starts watching the site; batches of relevant changes go to `tx`.
pub fn start(
    root: &Path,
    output: &Path,
    tx: Sender<Batch>,
) -> notify_debouncer_full::notify::Result<Watcher> {
    let (root_c, output_c) = (root.to_path_buf(), output.to_path_buf());
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let Ok(events) = result else {
            return;
        };
        let mut first_seen: Option<Instant> = None;
        let mut paths: Vec<PathBuf> = Vec::new();
        for e in events {
            if matches!(e.event.kind, EventKind::Access(_)) {
                continue;
            }
            for p in &e.event.paths {
                if is_relevant(&root_c, &output_c, p) && !paths.contains(p) {
                    paths.push(p.clone());
                    first_seen = Some(first_seen.map_or(e.time, |t| t.min(e.time)));
                }
            }
        }
        if let Some(first_seen) = first_seen {
            let _ = tx.send(Batch { paths, first_seen });
        }
    })?;
    // The root itself (not recursively): site.yaml, and watched folders
    // created later.
    debouncer.watch(root, RecursiveMode::NonRecursive)?;
    for dir in WATCHED_DIRS {
        watch_dir(&mut debouncer, &root.join(dir))?;
    }
    Ok(debouncer)
}

/// Watches a folder of the site recursively, if it exists.
pub fn watch_dir(w: &mut Watcher, dir: &Path) -> notify_debouncer_full::notify::Result<()> {
    if dir.is_dir() {
        w.watch(dir, RecursiveMode::Recursive)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_site_files_count() {
        let root = Path::new("/site");
        let out = Path::new("/site/output");
        let yes = [
            "/site/site.yaml",
            "/site/content/articles/a.md",
            "/site/content/articles/a.annotations.yaml",
            "/site/static/.well-known/security.txt",
            "/site/themes/default/static/style.css",
            "/site/templates/article.html",
        ];
        let no = [
            "/site/output/index.html",
            "/site/target/debug/x",
            "/site/README.md",
            "/site/content/articles/.a.md.swp",
            "/site/content/articles/a.md~",
            "/site/content/articles/4913",
            "/site/content/articles/#a.md#",
            "/site/content/.git/index",
            "/site/static/.a.css.swp",
            "/elsewhere/site.yaml",
        ];
        for p in yes {
            assert!(is_relevant(root, out, Path::new(p)), "{p}");
        }
        for p in no {
            assert!(!is_relevant(root, out, Path::new(p)), "{p}");
        }
    }
}
