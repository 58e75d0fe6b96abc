//! The served site: output path → bytes (or a file of the site), with a
//! version per entry for ETags, and the set of outputs that are out of date
//! and must be rendered before they are sent.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::incremental::Produced;

/// What is sent for a path.
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Arc<Vec<u8>>),
    /// A file of the site (an asset), read when asked for.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub body: Body,
    /// Changes whenever the entry does (the ETag).
    pub version: u64,
}

/// Every output of the last good site.
#[derive(Debug, Default)]
pub struct Store {
    files: HashMap<String, Entry>,
    /// Outputs that may be out of date: rendered when asked for, or when
    /// the server is idle.
    stale: HashSet<String>,
    next_version: u64,
}

/// The URL path a browser shows for an output path (`articles/x/` for
/// `articles/x/index.html`), with a leading `/`.
pub fn url_path(output: &str) -> String {
    let trimmed = output.strip_suffix("index.html").unwrap_or(output);
    format!("/{trimmed}")
}

impl Store {
    pub fn new() -> Store {
        // Versions start from the clock so a restarted server never hands
        // out an ETag a browser cached from the previous one.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1);
        Store {
            next_version: seed,
            ..Store::default()
        }
    }

    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.files.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn is_stale(&self, path: &str) -> bool {
        self.stale.contains(path)
    }

    pub fn has_stale(&self) -> bool {
        !self.stale.is_empty()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Up to `n` stale paths, to render when idle.
    pub fn some_stale(&self, n: usize) -> Vec<String> {
        self.stale.iter().take(n).cloned().collect()
    }

    pub fn mark_stale(&mut self, paths: impl IntoIterator<Item = String>) {
        self.stale.extend(paths);
    }

    pub fn unmark_stale(&mut self, paths: &[String]) {
        for p in paths {
            self.stale.remove(p);
        }
    }

    /// Puts new outputs in place. Returns the output paths whose content
    /// differs from what was served before.
    pub fn publish(&mut self, files: Vec<(String, Produced)>) -> Vec<String> {
        let mut changed = Vec::new();
        for (path, produced) in files {
            self.stale.remove(&path);
            let body = match produced {
                Produced::Bytes(b) => {
                    if let Some(Entry {
                        body: Body::Bytes(old),
                        ..
                    }) = self.files.get(&path)
                        && **old == b
                    {
                        continue;
                    }
                    Body::Bytes(Arc::new(b))
                }
                Produced::File(f) => Body::File(f),
            };
            self.next_version += 1;
            self.files.insert(
                path.clone(),
                Entry {
                    body,
                    version: self.next_version,
                },
            );
            changed.push(path);
        }
        changed
    }

    pub fn remove(&mut self, paths: &[String]) {
        for p in paths {
            self.files.remove(p);
            self.stale.remove(p);
        }
    }

    /// Replaces everything (after a full reload). Returns the changed
    /// paths, as [`Store::publish`] does, plus the removed ones.
    pub fn replace_all(&mut self, files: Vec<(String, Produced)>) -> Vec<String> {
        let keep: HashSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        let gone: Vec<String> = self
            .files
            .keys()
            .filter(|p| !keep.contains(p.as_str()))
            .cloned()
            .collect();
        self.remove(&gone);
        self.stale.clear();
        let mut changed = self.publish(files);
        changed.extend(gone);
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_reports_only_real_changes() {
        let mut s = Store::new();
        let a = || ("a/index.html".to_string(), Produced::Bytes(b"one".to_vec()));
        assert_eq!(s.publish(vec![a()]), vec!["a/index.html"]);
        let v = s.get("a/index.html").unwrap().version;
        assert!(s.publish(vec![a()]).is_empty());
        assert_eq!(s.get("a/index.html").unwrap().version, v);
        s.mark_stale(["a/index.html".to_string()]);
        assert!(s.is_stale("a/index.html"));
        let changed = s.publish(vec![(
            "a/index.html".into(),
            Produced::Bytes(b"two".to_vec()),
        )]);
        assert_eq!(changed, vec!["a/index.html"]);
        assert!(!s.is_stale("a/index.html"));
        assert!(s.get("a/index.html").unwrap().version > v);
    }

    #[test]
    fn url_paths_are_what_the_browser_shows() {
        assert_eq!(url_path("index.html"), "/");
        assert_eq!(url_path("articles/x/index.html"), "/articles/x/");
        assert_eq!(url_path("style.css"), "/style.css");
    }
}
