//! Writing into the user's site without ever leaving a half-written file.
//!
//! Every file marginalia writes among the user's own files (sidecars,
//! `sources.yaml`, captured articles, scaffolding) goes through
//! [`write_atomic`]: the bytes land in a temporary file in the same folder,
//! are flushed to the disk, and the temporary file is renamed over the
//! target. A SIGKILL or a full disk at any moment leaves either the old
//! file or the new one, whole; never an empty or truncated one.
//!
//! Reading goes the other way but belongs with it: [`read_text`], the
//! one way a user's file is read as text.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, LineIndex, Location};

/// Replaces (or creates) `path` with `bytes`, atomically: temporary file in
/// the same folder, fsync, rename, fsync of the folder. On error the target
/// is untouched and the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temp(path, bytes, |tmp, path| fs::rename(tmp, path))
}

/// Like [`write_atomic`], but refuses to replace an existing file: the
/// final step is a hard link, which fails when the target exists, so two
/// writers racing for one name never overwrite each other.
pub fn create_new_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temp(path, bytes, |tmp, path| fs::hard_link(tmp, path))
}

/// Writes `bytes` to a fresh temporary file beside `path`, flushes it to
/// the disk, lets `publish` put it in place, and makes the folder's entry
/// durable. The temporary file never outlives the call.
fn write_via_temp(
    path: &Path,
    bytes: &[u8],
    publish: impl FnOnce(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = temp_path_for(path);
    let result = (|| {
        let mut f = File::options().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        publish(&tmp, path)?;
        // The new entry is only durable once the folder is on disk.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    // Gone already after a rename; the leftover name after a hard link or
    // an error.
    let _ = fs::remove_file(&tmp);
    result
}

/// `.<name>.<pid>.<n>.tmp` beside the target: hidden, so a build running
/// at the same moment skips it, and unique per process and call.
fn temp_path_for(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let prefix = temp_prefix(path);
    path.with_file_name(format!("{prefix}{}.{n}.tmp", std::process::id()))
}

/// Whether `file_name` is a temporary file [`write_atomic`] made for
/// `target` (beside it): what a writer killed before its rename leaves.
pub fn is_temp_for(target: &Path, file_name: &str) -> bool {
    file_name.starts_with(&temp_prefix(target)) && file_name.ends_with(".tmp")
}

fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    format!(".{name}.")
}

/// Reads the site file `rel` (relative to `root`) as text, refusing (not
/// mangling) what is not UTF-8: every stage that reads a user's file as
/// text reads it here, so the error names the file and the bad byte.
pub fn read_text(root: &Path, rel: &Path) -> Result<String, Diagnostic> {
    let bytes =
        std::fs::read(root.join(rel)).map_err(|e| Diagnostic::io(rel, "read this file", &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let (line, col) = LineIndex::new(&prefix).line_col(&prefix, valid);
        Diagnostic::error(
            Some(Location::at(rel, line, col)),
            "this file is not valid UTF-8 text (the first bad byte is here)",
        )
        .with_help(
            "save it as UTF-8; marginalia does not guess other encodings, so no text is lost",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_name_is_known_for_its_target_only() {
        let target = Path::new("/site/.output.marginalia-sums");
        let temp = temp_path_for(target);
        let name = temp.file_name().unwrap().to_str().unwrap();
        assert!(is_temp_for(target, name), "{name}");
        assert!(!is_temp_for(Path::new("/site/sources.yaml"), name));
        assert!(!is_temp_for(target, ".output.marginalia-sums"));
    }

    #[test]
    fn replaces_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new text").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new text");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the target remains");
    }

    #[test]
    fn create_new_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index.md");
        create_new_atomic(&p, b"first").unwrap();
        let err = create_new_atomic(&p, b"second").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&p).unwrap(), "first");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failure_leaves_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-folder").join("x");
        assert!(write_atomic(&p, b"x").is_err());
        assert!(!p.exists());
    }
}
