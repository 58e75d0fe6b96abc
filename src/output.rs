//! Write: where rendered files go. [`DiskOutput`] for `build` (a new site
//! is written beside the old one and swapped in only when complete),
//! [`MemoryOutput`] for `serve` and tests.
//!
//! Safety (DESIGN §7): the output folder is only ever replaced when it is
//! empty or carries the marker file marginalia writes there; never the site
//! root, `content/`, `/`, a folder holding the site, or a folder holding
//! anything else. Output paths are checked so no input can write outside.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::error::{Diagnostic, Location};

/// The file marginalia writes into every output folder it owns.
pub const MARKER: &str = ".marginalia";
const MARKER_TEXT: &str =
    "This folder is written by `marginalia build` and is replaced by the next build.\n";

/// A place rendered files are written to. Paths are `/`-separated and
/// relative to the site's output root (`articles/x/index.html`).
pub trait Output: Sync {
    fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), Diagnostic>;
    /// Copies a file of the site (an asset) to `path`.
    fn copy_file(&self, path: &str, from: &Path) -> Result<(), Diagnostic>;

    /// Writes a file that `fill` produces piece by piece (a large data file
    /// such as the JSON-LD of every note). Outputs that can stream do so;
    /// the default gathers the bytes first.
    fn write_with(
        &self,
        path: &str,
        fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), Diagnostic> {
        let mut bytes = Vec::new();
        fill(&mut bytes)
            .map_err(|e| Diagnostic::io(Path::new(path), "write the output file", &e))?;
        self.write(path, bytes)
    }
}

/// Refuses output paths that could leave the output folder.
pub fn check_output_path(path: &str) -> Result<(), Diagnostic> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(Diagnostic::error(
            None,
            format!("refusing to write outside the output folder: {path:?}"),
        ))
    } else {
        Ok(())
    }
}

/// An output in memory: path → bytes. Reading is cheap and concurrent.
#[derive(Default)]
pub struct MemoryOutput {
    files: RwLock<HashMap<String, Arc<Vec<u8>>>>,
}

impl MemoryOutput {
    pub fn new() -> MemoryOutput {
        MemoryOutput::default()
    }

    pub fn get(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        self.files.read().ok()?.get(path).cloned()
    }

    pub fn paths(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .files
            .read()
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    pub fn len(&self) -> usize {
        self.files.read().map(|f| f.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn into_map(self) -> HashMap<String, Arc<Vec<u8>>> {
        self.files.into_inner().unwrap_or_default()
    }
}

impl Output for MemoryOutput {
    fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        check_output_path(path)?;
        if let Ok(mut f) = self.files.write() {
            f.insert(path.to_string(), Arc::new(bytes));
        }
        Ok(())
    }

    fn copy_file(&self, path: &str, from: &Path) -> Result<(), Diagnostic> {
        let bytes = std::fs::read(from).map_err(|e| Diagnostic::io(from, "read this file", &e))?;
        self.write(path, bytes)
    }
}

/// A new site being written beside the output folder.
pub struct DiskOutput {
    /// The output folder that will hold the site.
    target: PathBuf,
    /// Where the new site is written until it is complete.
    staging: PathBuf,
    /// Set when the staging folder is the spare the previous build left
    /// (the site before it), which this build brings up to date.
    spare: Option<Spare>,
    /// Whether any file was taken from the previous output: then the old
    /// site is kept as the next build's spare instead of being removed.
    reused_any: std::sync::atomic::AtomicBool,
    /// The folders (relative) this build has made or found in the staging
    /// folder: each is made once, not looked up again for every file in
    /// it (an `mkdir` and a `stat` for each of ~20,000 files at 10k).
    made: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The build lock, held until the new site is in place or dropped
    /// (released when this value is dropped, or when the process dies).
    _lock: BuildLock,
}

/// The spare site a build starts from: what it holds, what the current
/// output holds, and what this build has put in place so far.
///
/// A file of the spare that is the current output's own file (one inode,
/// two names: the previous build reused it) needs nothing when this build
/// reuses it again. Any other file at a path this build writes or reuses
/// is unlinked first, never written through: the inode may be the live
/// site's. What this build did not put in place is removed before the
/// swap, so the staging folder holds exactly the new site.
struct Spare {
    /// Path → inode of every file in the spare when the build began.
    files: HashMap<String, u64>,
    /// Every folder in the spare when the build began.
    dirs: std::collections::HashSet<String>,
    /// Path → inode of every file in the current output.
    live: HashMap<String, u64>,
    /// The paths this build wrote or reused.
    touched: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Path (relative, `/`-separated) → inode of every file under `dir`, and
/// every folder, read from the directory entries alone (no `stat`).
fn inodes(dir: &Path) -> (HashMap<String, u64>, std::collections::HashSet<String>) {
    use walkdir::DirEntryExt;
    let mut files = HashMap::new();
    let mut dirs = std::collections::HashSet::new();
    for e in walkdir::WalkDir::new(dir)
        .min_depth(1)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        let Ok(rel) = e.path().strip_prefix(dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if e.file_type().is_dir() {
            dirs.insert(rel);
        } else {
            files.insert(rel, e.ino());
        }
    }
    (files, dirs)
}

/// What [`DiskOutput::commit`] could not finish after the new site was in
/// place: the old site (or leftovers of earlier builds) that could not be
/// removed. The build succeeded; these are warnings.
pub type Leftovers = Vec<Diagnostic>;

/// The names beside `out` that marginalia uses: the lock, staging folders
/// (`-new-<pid>`) and the old site during a swap.
fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let parent = target.parent().unwrap_or(Path::new("/"));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    parent.join(format!(".{name}.marginalia-{suffix}"))
}

/// The build lock: held while this value lives. Its file is removed when
/// it is released, so nothing is left beside the output.
struct BuildLock {
    path: PathBuf,
    file: std::fs::File,
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        // Removed while still held; a build waiting on this file sees it
        // is gone and takes a new one (see take_lock).
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Whether `file` is still the file at `path` (not removed or replaced).
fn is_current(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// Takes the lock beside the output folder, waiting while another build of
/// the same output holds it (`waiting` is called once, before the wait).
/// An advisory lock (flock) is released by the kernel when its holder
/// dies, so a killed build never leaves a stale lock behind (only an
/// unlocked file, which the next build takes over).
fn take_lock(target: &Path, waiting: &dyn Fn(&str)) -> Result<BuildLock, Diagnostic> {
    let path = sibling(target, "lock");
    let mut told = false;
    loop {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Diagnostic::io(&path, "open the build lock", &e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                if !told {
                    told = true;
                    waiting(&format!(
                        "another build of {} is running; waiting for it to finish",
                        target.display()
                    ));
                }
                file.lock()
                    .map_err(|e| Diagnostic::io(&path, "wait for the build lock", &e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Diagnostic::io(&path, "take the build lock", &e));
            }
        }
        // The build we waited for removed the file as it finished: our
        // lock is on a file no one else will open. Start again.
        if is_current(&file, &path) {
            return Ok(BuildLock { path, file });
        }
    }
}

/// Removes what earlier builds left beside the output: staging folders of
/// builds that died (whatever their pid: we hold the lock, so no live build
/// is filling one) and the old site of an interrupted swap. What cannot be
/// removed is returned as warnings; it never stops this build.
fn remove_stale(target: &Path) -> Leftovers {
    let mut left = Vec::new();
    let parent = target.parent().unwrap_or(Path::new("/"));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let new_prefix = format!(".{name}.marginalia-new");
    let old = sibling(target, "old");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return left;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        if (n.starts_with(&new_prefix) || path == old)
            && path.is_dir()
            && let Err(d) = remove_owned(&path)
        {
            left.push(leftover(&path, d));
        }
    }
    left
}

fn leftover(path: &Path, why: Diagnostic) -> Diagnostic {
    Diagnostic::warning(
        Some(Location::file(path)),
        format!(
            "this folder, left by an earlier build, could not be removed: {}",
            why.message
        ),
    )
    .with_help("the site was built; remove this folder by hand when you can")
}

/// Lexically normalises an absolute path (`a/b/../c` → `a/c`), so checks
/// work on output folders that do not exist yet.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The real path of `p` when it exists, else its normalised absolute form
/// (with the longest existing ancestor resolved, so symlinked parents are
/// seen). Always absolute, so the guard compares like with like.
fn resolve(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let n = normalise(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    let mut existing = n.as_path();
    let mut rest = Vec::new();
    while let Some(parent) = existing.parent() {
        if let Some(name) = existing.file_name() {
            rest.push(name.to_os_string());
        }
        existing = parent;
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for r in rest.iter().rev() {
                out.push(r);
            }
            return out;
        }
    }
    n
}

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false)
}

fn refuse(out: &Path, why: &str) -> Diagnostic {
    Diagnostic::error(
        Some(Location::file(out)),
        format!("refusing to use this folder as the output: {why}"),
    )
    .with_help(
        "set `output_dir` in site.yaml (or --output) to a folder of its own, such as `output`",
    )
}

/// Checks that `out` may be (re)written by a build of the site at `root`.
pub fn check_output_dir(root: &Path, out: &Path) -> Result<(), Diagnostic> {
    let root = resolve(root);
    let out_r = resolve(out);
    if out_r.parent().is_none() {
        return Err(refuse(out, "it is the root of the file system"));
    }
    if out_r == root {
        return Err(refuse(out, "it is the site root"));
    }
    if root.starts_with(&out_r) {
        return Err(refuse(out, "it holds the site itself"));
    }
    for protected in ["content", "static", "themes", "templates", ".git"] {
        if out_r.starts_with(root.join(protected)) {
            return Err(refuse(
                out,
                &format!("it is inside the site's {protected}/ folder"),
            ));
        }
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
        && resolve(&home) == out_r
    {
        return Err(refuse(out, "it is your home folder"));
    }
    if out_r.exists() {
        if !out_r.is_dir() {
            return Err(refuse(out, "it is a file, not a folder"));
        }
        if !is_empty_dir(&out_r) && !out_r.join(MARKER).is_file() {
            return Err(refuse(
                out,
                "it holds files that marginalia did not write (there is no .marginalia marker in it)",
            ));
        }
    }
    Ok(())
}

impl DiskOutput {
    /// Prepares a new site for `out`: checks the folder may be replaced,
    /// takes the build lock (waiting for another build of the same output
    /// to finish; `waiting` is told once) and makes a fresh staging folder
    /// beside it. Returns warnings about leftovers it could not remove.
    pub fn begin(root: &Path, out: &Path) -> Result<DiskOutput, Diagnostic> {
        DiskOutput::begin_with(root, out, &|_| {}).map(|(o, _)| o)
    }

    /// [`DiskOutput::begin`], telling `waiting` when another build holds
    /// the lock, and returning the leftovers it could not remove.
    pub fn begin_with(
        root: &Path,
        out: &Path,
        waiting: &dyn Fn(&str),
    ) -> Result<(DiskOutput, Leftovers), Diagnostic> {
        check_output_dir(root, out)?;
        let target = resolve(out);
        let parent = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        std::fs::create_dir_all(&parent)
            .map_err(|e| Diagnostic::io(&parent, "create the output's parent folder", &e))?;
        let lock = take_lock(&target, waiting)?;
        // The output may have changed while we waited.
        check_output_dir(root, out)?;
        // An earlier build killed between the two renames of the fallback swap
        // leaves the old site here: put it back first.
        let old = sibling(&target, "old");
        if !target.exists() && old.join(MARKER).is_file() {
            let _ = std::fs::rename(&old, &target);
        }
        let leftovers = remove_stale(&target);
        let staging = sibling(&target, &format!("new-{}", std::process::id()));
        let spare = sibling(&target, "spare");
        let spare = if spare.join(MARKER).is_file() && std::fs::rename(&spare, &staging).is_ok() {
            let (files, dirs) = inodes(&staging);
            let (live, _) = inodes(&target);
            Some(Spare {
                files,
                dirs,
                live,
                touched: Default::default(),
            })
        } else {
            std::fs::create_dir(&staging)
                .map_err(|e| Diagnostic::io(&staging, "create the staging folder", &e))?;
            std::fs::write(staging.join(MARKER), MARKER_TEXT)
                .map_err(|e| Diagnostic::io(&staging, "write the output marker", &e))?;
            None
        };
        Ok((
            DiskOutput {
                target,
                staging,
                spare,
                reused_any: Default::default(),
                made: Default::default(),
                _lock: lock,
            },
            leftovers,
        ))
    }

    /// The output folder, which holds the previous site until the commit.
    pub fn live_dir(&self) -> &Path {
        &self.target
    }

    pub fn staging_dir(&self) -> &Path {
        &self.staging
    }

    /// Puts the output folder's current file at `path` into the new site
    /// unchanged, as a hard link (a copy where links are not possible).
    /// The build cache calls this for outputs whose inputs did not change;
    /// nothing may write `path` after (a write would go through the link
    /// into the site being replaced).
    pub fn reuse(&self, path: &str) -> Result<(), Diagnostic> {
        check_output_path(path)?;
        if let Some(spare) = &self.spare {
            let here = spare.files.get(path);
            if here.is_some() && here == spare.live.get(path) {
                self.touch(path);
                self.reused_any
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                return Ok(());
            }
        }
        let from = self.target.join(path);
        let to = self.prepare(path)?;
        let fail = |e: std::io::Error| Diagnostic::io(Path::new(path), "reuse the output file", &e);
        match std::fs::hard_link(&from, &to) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(fail(e)),
            Err(_) => std::fs::copy(&from, &to).map(|_| ()).map_err(fail),
        }?;
        self.reused_any
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Takes back a file [`DiskOutput::reuse`] put in, so it can be written.
    pub fn unreuse(&self, path: &str) {
        if check_output_path(path).is_ok() {
            let _ = std::fs::remove_file(self.staging.join(path));
            if let Some(spare) = &self.spare
                && let Ok(mut t) = spare.touched.lock()
            {
                t.remove(path);
            }
        }
    }

    fn touch(&self, path: &str) {
        if let Some(spare) = &self.spare
            && let Ok(mut t) = spare.touched.lock()
        {
            t.insert(path.to_string());
        }
    }

    /// The staging path of `path`, ready to be created: its folder exists,
    /// and whatever the spare held there is gone (unlinked, never written
    /// through: it may be the live site's file).
    fn prepare(&self, path: &str) -> Result<PathBuf, Diagnostic> {
        let full = self.full_path(path)?;
        let fail = |e: std::io::Error| Diagnostic::io(Path::new(path), "create the folder for", &e);
        if let Some(spare) = &self.spare {
            self.touch(path);
            // A file of the spare where this path needs a folder.
            for (i, _) in path.match_indices('/') {
                if spare.files.contains_key(&path[..i]) {
                    match std::fs::remove_file(self.staging.join(&path[..i])) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(fail(e));
                        }
                        _ => {}
                    }
                }
            }
            if spare.files.contains_key(path) {
                match std::fs::remove_file(&full) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(e)),
                    _ => {}
                }
            } else if spare.dirs.contains(path) && full.is_dir() {
                std::fs::remove_dir_all(&full).map_err(fail)?;
            }
        }
        if let Some((dir, _)) = path.rsplit_once('/') {
            let made = |m: &std::collections::HashSet<String>| m.contains(dir);
            if !self.made.lock().is_ok_and(|m| made(&m)) {
                if let Some(parent) = full.parent() {
                    std::fs::create_dir_all(parent).map_err(fail)?;
                }
                if let Ok(mut m) = self.made.lock() {
                    m.insert(dir.to_string());
                }
            }
        }
        Ok(full)
    }

    /// Removes from a staging folder that began as the spare what this
    /// build did not put there. When something cannot be removed, the new
    /// site is moved into a fresh staging folder instead (hard links of
    /// exactly what this build put in place), and the spare is left to be
    /// removed as a leftover.
    fn prune(&mut self) -> Result<Leftovers, Diagnostic> {
        let Some(spare) = self.spare.take() else {
            return Ok(Vec::new());
        };
        let touched = spare.touched.into_inner().unwrap_or_default();
        let mut failed = false;
        let mut emptied: Vec<&str> = Vec::new();
        for path in spare.files.keys() {
            if path == MARKER || touched.contains(path) {
                continue;
            }
            match std::fs::remove_file(self.staging.join(path)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => failed = true,
                _ => emptied.extend(path.rsplit_once('/').map(|(dir, _)| dir)),
            }
        }
        // Folders left empty, deepest first, with their parents in turn;
        // a folder still holding anything stays (remove_dir fails on it).
        let mut dirs: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for mut d in emptied {
            while dirs.insert(d) {
                match d.rsplit_once('/') {
                    Some((parent, _)) => d = parent,
                    None => break,
                }
            }
        }
        let mut dirs: Vec<&str> = dirs.into_iter().collect();
        dirs.sort_unstable_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
        for d in dirs {
            let _ = std::fs::remove_dir(self.staging.join(d));
        }
        if !failed {
            return Ok(Vec::new());
        }
        // Start again beside it, from what this build put in place.
        let fresh = sibling(&self.target, &format!("new-{}-again", std::process::id()));
        let io = |e: std::io::Error| Diagnostic::io(&fresh, "create the staging folder", &e);
        std::fs::create_dir(&fresh).map_err(io)?;
        std::fs::write(fresh.join(MARKER), MARKER_TEXT).map_err(io)?;
        for path in &touched {
            let to = fresh.join(path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::hard_link(self.staging.join(path), &to)
                .or_else(|_| std::fs::copy(self.staging.join(path), &to).map(|_| ()))
                .map_err(io)?;
        }
        let old = std::mem::replace(&mut self.staging, fresh);
        Ok(match remove_owned(&old) {
            Ok(()) => Vec::new(),
            Err(d) => vec![leftover(&old, d)],
        })
    }

    /// Puts the complete new site in place of the old one, atomically where
    /// the system allows (Linux `renameat2(RENAME_EXCHANGE)`), then removes
    /// the old site. An error means the old site is still in place; once the
    /// new one is, what cannot be removed comes back as warnings.
    ///
    /// After a build that reused files of the old site, the old site is
    /// not removed but kept beside the output as the next build's spare
    /// (`.<name>.marginalia-spare`): it shares all but the changed files
    /// with the new one, so the next build brings it up to date with a few
    /// file operations instead of linking every file into a new folder and
    /// removing every file of the old one.
    pub fn commit(mut self) -> Result<Leftovers, Diagnostic> {
        let mut left = match self.prune() {
            Ok(l) => l,
            Err(d) => {
                let _ = remove_owned(&self.staging);
                return Err(d);
            }
        };
        if !self.target.exists() {
            std::fs::rename(&self.staging, &self.target)
                .map_err(|e| Diagnostic::io(&self.target, "move the new site into place", &e))?;
            return Ok(left);
        }
        // Re-check: the folder may have changed while we built.
        if !is_empty_dir(&self.target) && !self.target.join(MARKER).is_file() {
            let _ = remove_owned(&self.staging);
            return Err(refuse(
                &self.target,
                "it now holds files that marginalia did not write",
            ));
        }
        let old = if exchange(&self.staging, &self.target) {
            // `staging` now holds the old site.
            self.staging.clone()
        } else {
            let old = sibling(&self.target, "old");
            std::fs::rename(&self.target, &old)
                .map_err(|e| Diagnostic::io(&self.target, "move the old site aside", &e))?;
            if let Err(e) = std::fs::rename(&self.staging, &self.target) {
                let _ = std::fs::rename(&old, &self.target);
                return Err(Diagnostic::io(
                    &self.target,
                    "move the new site into place",
                    &e,
                ));
            }
            old
        };
        if self.reused_any.load(std::sync::atomic::Ordering::Relaxed)
            && std::fs::rename(&old, sibling(&self.target, "spare")).is_ok()
        {
            return Ok(left);
        }
        if let Err(d) = remove_owned(&old) {
            left.push(leftover(&old, d));
        }
        Ok(left)
    }

    /// Drops the unfinished new site; the old one is untouched.
    pub fn abort(self) {
        let _ = remove_owned(&self.staging);
    }

    fn full_path(&self, path: &str) -> Result<PathBuf, Diagnostic> {
        check_output_path(path)?;
        Ok(self.staging.join(path))
    }
}

/// Removes a folder only if marginalia owns it (marker) or it is empty.
///
/// The marker goes last: a build killed while removing a site must leave a
/// folder the next build still recognises as its own (remove_dir_all in
/// one go could delete the marker first and leave the rest behind, which
/// every later build then refused to touch).
fn remove_owned(dir: &Path) -> Result<(), Diagnostic> {
    match remove_owned_once(dir) {
        Err(_) if make_writable(dir) => remove_owned_once(dir),
        r => r,
    }
}

fn remove_owned_once(dir: &Path) -> Result<(), Diagnostic> {
    let io = |e: std::io::Error| Diagnostic::io(dir, "remove the previous site", &e);
    if is_empty_dir(dir) {
        return std::fs::remove_dir(dir).map_err(io);
    }
    if !dir.join(MARKER).is_file() {
        return Err(refuse(dir, "it holds files that marginalia did not write"));
    }
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_name() == MARKER {
            continue;
        }
        let path = entry.path();
        if entry.file_type().map_err(io)?.is_dir() {
            std::fs::remove_dir_all(&path).map_err(io)?;
        } else {
            std::fs::remove_file(&path).map_err(io)?;
        }
    }
    std::fs::remove_file(dir.join(MARKER)).map_err(io)?;
    std::fs::remove_dir(dir).map_err(io)
}

/// Gives the owner write access to every folder under `dir` (a site of
/// marginalia's own: its marker was checked), so a read-only folder in an
/// old output does not make it impossible to remove. True when any folder
/// was changed, so removing is worth another try.
fn make_writable(dir: &Path) -> bool {
    if !dir.join(MARKER).is_file() {
        return false;
    }
    let mut changed = false;
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
    {
        if !e.file_type().is_dir() {
            continue;
        }
        if let Ok(meta) = e.metadata() {
            let mut perms = meta.permissions();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = perms.mode();
                if mode & 0o700 != 0o700 {
                    perms.set_mode(mode | 0o700);
                    changed |= std::fs::set_permissions(e.path(), perms).is_ok();
                }
            }
            #[cfg(not(unix))]
            if perms.readonly() {
                perms.set_readonly(false);
                changed |= std::fs::set_permissions(e.path(), perms).is_ok();
            }
        }
    }
    changed
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(ca), Ok(cb)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the
    // call; AT_FDCWD makes them relative to the working directory as usual.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> bool {
    false
}

impl Output for DiskOutput {
    fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        let full = self.prepare(path)?;
        std::fs::write(&full, bytes)
            .map_err(|e| Diagnostic::io(Path::new(path), "write the output file", &e))
    }

    fn write_with(
        &self,
        path: &str,
        fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), Diagnostic> {
        let full = self.prepare(path)?;
        let mut write = || -> std::io::Result<()> {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&full)?);
            fill(&mut w)?;
            use std::io::Write;
            w.flush()
        };
        write().map_err(|e| Diagnostic::io(Path::new(path), "write the output file", &e))
    }

    fn copy_file(&self, path: &str, from: &Path) -> Result<(), Diagnostic> {
        let full = self.prepare(path)?;
        std::fs::copy(from, &full)
            .map(|_| ())
            .map_err(|e| Diagnostic::io(from, "copy this file into the output", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_cannot_escape() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "a/./b",
            "a\\b",
            "a\0b",
            "",
        ] {
            assert!(check_output_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_output_path("articles/x/index.html").is_ok());
    }

    #[test]
    fn guard_refuses_dangerous_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("content")).unwrap();
        assert!(check_output_dir(&root, Path::new("/")).is_err());
        assert!(check_output_dir(&root, &root).is_err());
        assert!(check_output_dir(&root, &root.join("content")).is_err());
        assert!(check_output_dir(&root, &root.join("content/x")).is_err());
        assert!(check_output_dir(&root, dir.path()).is_err());
        let other = root.join("other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("keep.txt"), "mine").unwrap();
        assert!(check_output_dir(&root, &other).is_err());
        assert!(check_output_dir(&root, &root.join("output")).is_ok());
        std::fs::create_dir_all(root.join("empty")).unwrap();
        assert!(check_output_dir(&root, &root.join("empty")).is_ok());
    }

    #[test]
    fn commit_swaps_and_abort_keeps_the_old_site() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a/index.html", b"one".to_vec()).unwrap();
        o.commit().unwrap();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"one");

        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("b/index.html", b"two".to_vec()).unwrap();
        o.abort();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"one");
        assert!(!out.join("b").exists());

        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("b/index.html", b"two".to_vec()).unwrap();
        assert!(o.commit().unwrap().is_empty());
        assert!(!out.join("a").exists());
        assert_eq!(std::fs::read(out.join("b/index.html")).unwrap(), b"two");
        // Nothing is left beside the output.
        let names: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("output")]);
    }

    fn ino(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().ino()
    }

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (rel, std::fs::read_to_string(e.path()).unwrap())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_build_that_reuses_keeps_the_old_site_as_the_next_builds_spare() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let spare = root.join(".output.marginalia-spare");
        let o = DiskOutput::begin(root, &out).unwrap();
        for (p, t) in [
            ("a/index.html", "a1"),
            ("b.json", "b1"),
            ("c/d/e.html", "e1"),
        ] {
            o.write(p, t.as_bytes().to_vec()).unwrap();
        }
        o.commit().unwrap();
        let a = ino(&out.join("a/index.html"));
        // Nothing reused: the old site is removed, as before.
        assert!(!spare.exists());

        let o = DiskOutput::begin(root, &out).unwrap();
        o.reuse("a/index.html").unwrap();
        o.write("b.json", b"b2".to_vec()).unwrap();
        o.write("f.html", b"f2".to_vec()).unwrap();
        o.commit().unwrap();
        assert_eq!(ino(&out.join("a/index.html")), a);
        assert!(spare.join(MARKER).is_file(), "the old site is kept");
        let second = files(&out);

        // The next build starts from the spare: the file both sites share
        // needs nothing, a changed one is replaced, never written through
        // (the live site's file keeps its bytes until the swap), and what
        // the new site lacks is gone, folders and all.
        let o = DiskOutput::begin(root, &out).unwrap();
        assert!(!spare.exists());
        o.reuse("a/index.html").unwrap();
        o.reuse("b.json").unwrap();
        o.write("f.html", b"f3".to_vec()).unwrap();
        o.write("c/g.html", b"g3".to_vec()).unwrap();
        assert_eq!(files(&out), second, "the live site is untouched");
        o.commit().unwrap();
        assert_eq!(
            files(&out),
            [
                (".marginalia", MARKER_TEXT),
                ("a/index.html", "a1"),
                ("b.json", "b2"),
                ("c/g.html", "g3"),
                ("f.html", "f3"),
            ]
            .map(|(p, t)| (p.to_string(), t.to_string()))
        );
        assert!(!out.join("c/d").exists());
        assert_eq!(ino(&out.join("a/index.html")), a);
        assert_eq!(files(&spare), second, "the spare is the site before");

        // A build that reuses nothing removes the old site and the spare
        // (it wrote every file of the spare's anew).
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a/index.html", b"a4".to_vec()).unwrap();
        o.commit().unwrap();
        assert!(!spare.exists());
        assert_eq!(
            files(&out),
            [(".marginalia", MARKER_TEXT), ("a/index.html", "a4")]
                .map(|(p, t)| (p.to_string(), t.to_string()))
        );
        let names: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("output")]);
    }

    #[test]
    fn a_second_build_waits_for_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let out = root.join("output");
        let first = DiskOutput::begin(&root, &out).unwrap();
        first.write("x", b"1".to_vec()).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (r2, o2) = (root.clone(), out.clone());
        let second = std::thread::spawn(move || {
            let said = std::sync::Mutex::new(None);
            let (o, _) = DiskOutput::begin_with(&r2, &o2, &|why| {
                *said.lock().unwrap() = Some(why.to_string());
            })
            .unwrap();
            tx.send(()).unwrap();
            o.write("y", b"2".to_vec()).unwrap();
            o.commit().unwrap();
            said.into_inner().unwrap()
        });
        // The second build cannot start while the first holds the lock.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err()
        );
        first.commit().unwrap();
        let said = second.join().unwrap();
        assert!(said.unwrap().contains("waiting"));
        assert!(out.join("y").is_file() && !out.join("x").exists());
    }

    #[test]
    fn a_half_removed_old_site_is_still_ours() {
        // What a build killed while removing the previous site leaves:
        // the staging folder, part of the old site, and its marker.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let o = DiskOutput::begin(root, &out).unwrap();
        o.commit().unwrap();
        let staging = root.join(".output.marginalia-new");
        std::fs::create_dir_all(staging.join("a/b")).unwrap();
        std::fs::write(staging.join("a/b/index.html"), "old").unwrap();
        std::fs::write(staging.join(MARKER), MARKER_TEXT).unwrap();
        let o = DiskOutput::begin(root, &out).unwrap();
        o.commit().unwrap();
        assert!(!staging.exists());
        // remove_owned keeps the marker until the rest is gone.
        std::fs::create_dir_all(staging.join("x")).unwrap();
        std::fs::write(staging.join("x/y"), "z").unwrap();
        std::fs::write(staging.join(MARKER), MARKER_TEXT).unwrap();
        remove_owned(&staging).unwrap();
        assert!(!staging.exists());
    }
}
