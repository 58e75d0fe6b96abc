//! Write: where rendered files go. [`DiskOutput`] for `build` (a new site
//! is written beside the old one and swapped in only when complete),
//! [`MemoryOutput`] for `serve` and tests.
//!
//! Safety (DESIGN §7): the output folder is only ever replaced when it is
//! empty or carries the marker file marginalia writes there; never the site
//! root, `content/`, `/`, a folder holding the site, or a folder holding
//! anything else. Output paths are checked so no input can write outside.

mod sums;

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
    /// Whether the staging folder began as the spare: a build that fails
    /// puts it back, so it stays the next build's spare.
    from_spare: bool,
    /// The folders (relative) this build has made or found in the staging
    /// folder: each is made once, not looked up again for every file in
    /// it (an `mkdir` and a `stat` for each of ~20,000 files at 10k).
    made: std::sync::Mutex<std::collections::HashSet<String>>,
    /// What the previous build recorded of the live site's files
    /// ([`sums`]); empty when there is none or this build writes
    /// everything (`build --clean`).
    previous: sums::Sums,
    /// What this build records of the new site's files.
    sums: std::sync::Mutex<sums::Sums>,
    /// What the spare's files held when the spare was the live site (the
    /// record of that build, [`sums::IN_SPARE`]); empty when there is no
    /// spare or this build writes everything.
    spare_sums: sums::Sums,
    /// The paths where the new site keeps the spare's own file because it
    /// holds the bytes the live file holds: files of the new site that are
    /// not the live site's inode, though the build reused them.
    kept: std::sync::Mutex<Vec<String>>,
    /// The build lock, held until the new site is in place or dropped
    /// (released when this value is dropped, or when the process dies).
    _lock: BuildLock,
}

/// The spare site a build starts from: what it holds, what the current
/// output holds, and what this build has put in place so far.
///
/// A file of the spare that is the current output's own file (one inode,
/// two names: the previous build reused it) needs nothing when this build
/// reuses it again, and is never written through: at a path this build
/// writes, it is unlinked and the file made anew. Any other file of the
/// spare (its own inode, no other name) is written over in place: no inode
/// is freed or allocated, which on ext4 without a journal is most of what
/// a build over an existing output costs the kernel. What this build did
/// not put in place is removed before the swap, so the staging folder
/// holds exactly the new site; the spare's folders are kept.
struct Spare {
    /// Path → inode of every file in the spare when the build began.
    files: HashMap<String, u64>,
    /// Every folder in the spare when the build began.
    dirs: std::collections::HashSet<String>,
    /// Path → inode of every file in the current output.
    live: HashMap<String, u64>,
    /// The inodes of the current output's files.
    live_inodes: std::collections::HashSet<u64>,
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

/// The largest file a build holds whole before writing it, to see whether
/// its bytes are the live file's; a larger one is streamed to the disk.
const COMPARE_LIMIT: usize = 4 << 20;

/// A file of the new site open for writing: made anew, or the spare's own
/// file at that path, written over from the start (`old_len` is its size
/// before, cut down after if the new bytes are fewer).
struct Dest {
    file: std::fs::File,
    old_len: u64,
}

impl Dest {
    /// Trims what is left of the old bytes and returns the file's stamp.
    fn finish(self, written: u64) -> std::io::Result<sums::Stamp> {
        if self.old_len > written {
            self.file.set_len(written)?;
        }
        Ok(sums::Stamp::of(&self.file.metadata()?))
    }
}

/// The spare's file at `full`, opened to be written over, when it is
/// still the plain file `ino` with no other name (so no other site's file
/// can be written through it; a symlink is never followed).
fn open_in_place(full: &Path, ino: u64) -> Option<Dest> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(full)
        .ok()?;
    let meta = file.metadata().ok()?;
    (meta.is_file() && meta.ino() == ino && meta.nlink() == 1).then(|| Dest {
        file,
        old_len: meta.len(),
    })
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
///
/// When there is no spare, the first of them that marginalia owns becomes
/// the spare instead of being removed: a spare is only ever trusted by
/// inode (a file shared with the live site) or written over, so a
/// half-written staging folder serves as well as a complete old site, and
/// the build after a killed one does not delete and create every file.
fn remove_stale(target: &Path) -> Leftovers {
    let mut left = Vec::new();
    let parent = target.parent().unwrap_or(Path::new("/"));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let new_prefix = format!(".{name}.marginalia-new");
    let sums = sibling(target, "sums");
    let old = sibling(target, "old");
    let spare = sibling(target, "spare");
    let mut have_spare = spare.join(MARKER).is_file();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return left;
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        // A build killed while writing the sums leaves its temporary file.
        if crate::fsutil::is_temp_for(&sums, &n) {
            if let Err(e) = std::fs::remove_file(&path) {
                left.push(Diagnostic::warning(
                    Some(Location::file(&path)),
                    format!("this file, left by an earlier build, could not be removed: {e}"),
                ));
            }
            continue;
        }
        if !((n.starts_with(&new_prefix) || path == old) && path.is_dir()) {
            continue;
        }
        if !have_spare && path.join(MARKER).is_file() && std::fs::rename(&path, &spare).is_ok() {
            have_spare = true;
            continue;
        }
        if let Err(d) = remove_owned(&path) {
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
            // Two walks of ~45,000 entries each at 10k: one per core.
            let ((files, dirs), (live, _)) = rayon::join(|| inodes(&staging), || inodes(&target));
            Some(Spare {
                files,
                dirs,
                live_inodes: live.values().copied().collect(),
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
        let previous = if target.is_dir() {
            sums::read(&sibling(&target, "sums"))
        } else {
            sums::Sums::new()
        };
        let spare_sums = match &spare {
            Some(_) => sums::read(&staging.join(sums::IN_SPARE)),
            None => sums::Sums::new(),
        };
        Ok((
            DiskOutput {
                target,
                staging,
                from_spare: spare.is_some(),
                spare,
                made: Default::default(),
                previous,
                sums: Default::default(),
                spare_sums,
                kept: Default::default(),
                _lock: lock,
            },
            leftovers,
        ))
    }

    /// Writes every file, even one whose bytes the live site's file at
    /// that path already holds (`build --clean`, which trusts nothing a
    /// previous build recorded). The spare is still written over in place.
    pub fn write_everything(&mut self) {
        self.previous = sums::Sums::new();
        self.spare_sums = sums::Sums::new();
    }

    /// The paths where the new site holds a file the build reused that is
    /// not the live site's inode but the spare's own file with the same
    /// bytes: a record of the output's files by inode must look at them.
    pub fn not_live(&self) -> Vec<String> {
        self.kept.lock().map(|k| k.clone()).unwrap_or_default()
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
        // The bytes of the live file, when the sums recorded them.
        let live = self.spare.as_ref().and_then(|spare| {
            let sum = self.previous.get(path)?;
            (spare.live.get(path) == Some(&sum.stamp.ino())).then_some(sum.hash)
        });
        if let Some(sum) = live.and_then(|hash| self.keep_spare(path, hash)) {
            self.record(path, sum);
            return Ok(());
        }
        self.link_live(path)?;
        // The file is the live one, so what was recorded of it still holds.
        if let Some(sum) = self.previous.get(path) {
            self.record(path, *sum);
        }
        Ok(())
    }

    /// Puts the live file at `path` into the new site: nothing to do when
    /// the spare's file there is that file, else a hard link.
    fn link_live(&self, path: &str) -> Result<(), Diagnostic> {
        if let Some(spare) = &self.spare {
            let here = spare.files.get(path);
            if here.is_some() && here == spare.live.get(path) {
                self.touch(path);
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
        }
    }

    /// Keeps the spare's own file at `path` when it holds the bytes
    /// hashed `hash` (by the spare's sums, and it is still the file they
    /// describe): nothing is unlinked or linked, so the spare's inode is
    /// not freed (after a full build, whose spare shares no file with the
    /// live site, that was ~33,000 files freed by the next edit build).
    fn keep_spare(&self, path: &str, hash: u128) -> Option<sums::Sum> {
        let spare = self.spare.as_ref()?;
        let sum = self.spare_sums.get(path).filter(|s| s.hash == hash)?;
        let ino = *spare.files.get(path)?;
        if ino != sum.stamp.ino() || spare.live_inodes.contains(&ino) {
            return None;
        }
        let meta = std::fs::symlink_metadata(self.staging.join(path)).ok()?;
        if !meta.is_file() || sums::Stamp::of(&meta) != sum.stamp {
            return None;
        }
        self.touch(path);
        if let Ok(mut k) = self.kept.lock() {
            k.push(path.to_string());
        }
        Some(*sum)
    }

    /// Takes back a file [`DiskOutput::reuse`] put in, so it can be written.
    pub fn unreuse(&self, path: &str) {
        if check_output_path(path).is_ok() {
            if let Ok(mut k) = self.kept.lock() {
                k.retain(|p| p != path);
            }
            let _ = std::fs::remove_file(self.staging.join(path));
            if let Some(spare) = &self.spare
                && let Ok(mut t) = spare.touched.lock()
            {
                t.remove(path);
            }
            if let Ok(mut s) = self.sums.lock() {
                s.remove(path);
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

    fn record(&self, path: &str, sum: sums::Sum) {
        if let Ok(mut s) = self.sums.lock() {
            s.insert(path.to_string(), sum);
        }
    }

    /// Writes `bytes` at `path`, or, when they are what the live site's
    /// file there holds (by the previous build's sums), puts that file in.
    fn write_bytes(&self, path: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        let hash = sums::hash(bytes);
        if let Some(sum) = self.keep_spare(path, hash) {
            self.record(path, sum);
            return Ok(());
        }
        if let Some(sum) = sums::unchanged(&self.previous, &self.target, path, hash)
            && self.link_live(path).is_ok()
        {
            self.record(path, sum);
            return Ok(());
        }
        let fail = |e: std::io::Error| Diagnostic::io(Path::new(path), "write the output file", &e);
        let mut dest = self.create(path)?;
        use std::io::Write;
        dest.file.write_all(bytes).map_err(fail)?;
        let stamp = dest.finish(bytes.len() as u64).map_err(fail)?;
        self.record(path, sums::Sum { hash, stamp });
        Ok(())
    }

    /// The file at `path` in the staging folder, open for writing: the
    /// spare's own file there, written over in place, when it has no other
    /// name; otherwise a new file, after whatever the spare held there is
    /// unlinked (never written through: it may be the live site's file).
    fn create(&self, path: &str) -> Result<Dest, Diagnostic> {
        if let Some(spare) = &self.spare
            && let Some(&ino) = spare.files.get(path)
            && !spare.live_inodes.contains(&ino)
            && let Some(dest) = open_in_place(&self.staging.join(path), ino)
        {
            self.touch(path);
            return Ok(dest);
        }
        let full = self.prepare(path)?;
        let file = std::fs::File::create(&full)
            .map_err(|e| Diagnostic::io(Path::new(path), "write the output file", &e))?;
        Ok(Dest { file, old_len: 0 })
    }

    /// The staging path of `path`, ready to be created: its folder exists,
    /// and whatever the spare held there is gone (unlinked, never written
    /// through: it may be the live site's file).
    fn prepare(&self, path: &str) -> Result<PathBuf, Diagnostic> {
        let full = self.full_path(path)?;
        let fail = |e: std::io::Error| Diagnostic::io(Path::new(path), "create the folder for", &e);
        if let Some(spare) = &self.spare {
            self.touch(path);
            // A file of the spare where this path needs a folder (gone
            // already, or a folder by now, when another file of that
            // folder was written first).
            for (i, _) in path.match_indices('/') {
                if spare.files.contains_key(&path[..i]) {
                    let at = self.staging.join(&path[..i]);
                    match std::fs::remove_file(&at) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound && !at.is_dir() => {
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
                // The spare's folders are there already (no folder of it
                // is removed while a file of the new site goes into it).
                let there = self.spare.as_ref().is_some_and(|s| s.dirs.contains(dir));
                if !there && let Some(parent) = full.parent() {
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
    /// the system allows (Linux `renameat2(RENAME_EXCHANGE)`). An error
    /// means the old site is still in place; once the new one is, what
    /// could not be done comes back as warnings.
    ///
    /// The old site is not removed but kept beside the output as the next
    /// build's spare (`.<name>.marginalia-spare`): the next build writes
    /// over its files in place, or finds there the files it reuses, instead
    /// of creating ~33,000 files and deleting as many at 10k articles. Then
    /// the sums of the new site's files are recorded beside it.
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
            self.record_sums();
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
        // The record of the old site goes with it: the next build keeps
        // the spare's files that hold what it would link or write.
        let _ = std::fs::rename(sibling(&self.target, "sums"), old.join(sums::IN_SPARE));
        self.record_sums();
        if std::fs::rename(&old, sibling(&self.target, "spare")).is_err()
            && let Err(d) = remove_owned(&old)
        {
            left.push(leftover(&old, d));
        }
        Ok(left)
    }

    /// Records the sums of the site now in place. Not being able to only
    /// costs the next build time: a record it cannot read, or whose entries
    /// do not match the live files, means writing those files.
    fn record_sums(&self) {
        let sums = std::mem::take(&mut *self.sums.lock().unwrap_or_else(|e| e.into_inner()));
        let file = sibling(&self.target, "sums");
        if sums::write(&file, &sums).is_err() {
            let _ = std::fs::remove_file(&file);
        }
    }

    /// Drops the unfinished new site; the old one is untouched. A staging
    /// folder that began as the spare becomes the spare again (a spare is
    /// only trusted by inode, so what this build wrote into it is no harm).
    pub fn abort(self) {
        if self.from_spare && std::fs::rename(&self.staging, sibling(&self.target, "spare")).is_ok()
        {
            return;
        }
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
        check_output_path(path)?;
        self.write_bytes(path, &bytes)
    }

    fn write_with(
        &self,
        path: &str,
        fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), Diagnostic> {
        check_output_path(path)?;
        let fail = |e: std::io::Error| Diagnostic::io(Path::new(path), "write the output file", &e);
        let mut w = Streamed {
            out: self,
            path,
            held: Vec::new(),
            dest: None,
            written: 0,
        };
        fill(&mut w).map_err(fail)?;
        match w.dest {
            // Small enough to hold: written, or taken from the live site.
            None => self.write_bytes(path, &w.held),
            Some(writer) => {
                let dest = writer.into_inner().map_err(|e| fail(e.into_error()))?;
                dest.finish(w.written).map_err(fail)?;
                Ok(())
            }
        }
    }

    fn copy_file(&self, path: &str, from: &Path) -> Result<(), Diagnostic> {
        check_output_path(path)?;
        let fail = |e: std::io::Error| Diagnostic::io(from, "copy this file into the output", &e);
        let mut source = std::fs::File::open(from).map_err(fail)?;
        let len = source.metadata().map_err(fail)?.len();
        if len <= COMPARE_LIMIT as u64 {
            let mut bytes = Vec::with_capacity(len as usize);
            use std::io::Read;
            source.read_to_end(&mut bytes).map_err(fail)?;
            return self.write_bytes(path, &bytes);
        }
        let mut dest = self.create(path)?;
        let n = std::io::copy(&mut source, &mut dest.file).map_err(fail)?;
        dest.finish(n).map_err(fail)?;
        Ok(())
    }
}

/// A file written piece by piece: held in memory up to [`COMPARE_LIMIT`]
/// (to be compared with the live file's sum when complete), then streamed.
struct Streamed<'a> {
    out: &'a DiskOutput,
    path: &'a str,
    held: Vec<u8>,
    /// The file being streamed to, once the bytes outgrew the limit.
    dest: Option<std::io::BufWriter<Dest>>,
    /// How many bytes went into it.
    written: u64,
}

impl std::io::Write for Streamed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.dest.is_none() && self.held.len() + buf.len() > COMPARE_LIMIT {
            let dest = self
                .out
                .create(self.path)
                .map_err(|d| std::io::Error::other(d.message))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, dest);
            w.write_all(&self.held)?;
            self.written = self.held.len() as u64;
            self.held = Vec::new();
            self.dest = Some(w);
        }
        match &mut self.dest {
            Some(w) => {
                w.write_all(buf)?;
                self.written += buf.len() as u64;
            }
            None => self.held.extend_from_slice(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.dest {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl std::io::Write for Dest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
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
    fn a_killed_sums_write_leaves_nothing_after_the_next_build() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a/index.html", b"one".to_vec()).unwrap();
        o.commit().unwrap();
        // What a build killed inside `sums::write` leaves: its temporary file.
        let temp = root.join("..output.marginalia-sums.4242.0.tmp");
        std::fs::write(&temp, b"half").unwrap();
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a/index.html", b"two".to_vec()).unwrap();
        o.commit().unwrap();
        assert!(!temp.exists());
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"two");
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
        // Beside the output: the old site, as the next build's spare, and
        // the sums of the live site's files; nothing else.
        let mut names: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".output.marginalia-spare",
                ".output.marginalia-sums",
                "output"
            ]
        );
    }

    fn ino(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().ino()
    }

    /// Every file of the site in `dir` (a spare's record of its own
    /// sums, [`sums::IN_SPARE`], is not a file of the site).
    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file() && e.path() != dir.join(sums::IN_SPARE))
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

    /// A site's files as [`files`] lists them: these and the marker.
    fn site(files: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        v.push((MARKER.to_string(), MARKER_TEXT.to_string()));
        v.sort();
        v
    }

    #[test]
    fn every_build_keeps_the_old_site_as_the_next_builds_spare() {
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
        // No old site yet, so no spare.
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
            site(&[
                ("a/index.html", "a1"),
                ("b.json", "b2"),
                ("c/g.html", "g3"),
                ("f.html", "f3"),
            ])
        );
        assert!(!out.join("c/d").exists());
        assert_eq!(ino(&out.join("a/index.html")), a);
        assert_eq!(files(&spare), second, "the spare is the site before");

        // A build that reuses nothing keeps the old site too, and writes
        // over the spare's own files in place: the same inodes, no file
        // made or removed.
        let f_spare = ino(&spare.join("f.html"));
        let mut o = DiskOutput::begin(root, &out).unwrap();
        o.write_everything();
        o.write("a/index.html", b"a4".to_vec()).unwrap();
        o.write("f.html", b"f".to_vec()).unwrap();
        o.commit().unwrap();
        assert_eq!(
            files(&out),
            site(&[("a/index.html", "a4"), ("f.html", "f")])
        );
        assert_eq!(ino(&out.join("f.html")), f_spare, "written in place");
        // a/index.html was shared with the live site: never written
        // through, a new file instead.
        assert_ne!(ino(&out.join("a/index.html")), a);
        assert_eq!(std::fs::read(spare.join("a/index.html")).unwrap(), b"a1");
        let mut names: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".output.marginalia-spare",
                ".output.marginalia-sums",
                "output"
            ]
        );
    }

    #[test]
    fn bytes_the_live_file_holds_are_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let spare = root.join(".output.marginalia-spare");
        let build = |files: &[(&str, &str)], everything: bool| {
            let mut o = DiskOutput::begin(root, &out).unwrap();
            if everything {
                o.write_everything();
            }
            for (p, t) in files {
                o.write_with(p, &mut |w| w.write_all(t.as_bytes())).unwrap();
            }
            o.commit().unwrap();
        };
        build(&[("x/data.json", "[1]"), ("page.html", "p1")], false);
        let data = ino(&out.join("x/data.json"));
        // Same bytes: the live file, now shared by both sites.
        build(&[("x/data.json", "[1]"), ("page.html", "p2")], false);
        assert_eq!(ino(&out.join("x/data.json")), data);
        assert_eq!(ino(&spare.join("x/data.json")), data);
        // Again: nothing to do at all.
        build(&[("x/data.json", "[1]"), ("page.html", "p3")], false);
        assert_eq!(ino(&out.join("x/data.json")), data);
        // Changed by hand in the live site: its sum no longer matches, so
        // it is written (a new file: the spare's is the live one).
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(out.join("x/data.json"), "[9]").unwrap();
        build(&[("x/data.json", "[1]"), ("page.html", "p3")], false);
        assert_eq!(std::fs::read(out.join("x/data.json")).unwrap(), b"[1]");
        assert_eq!(std::fs::read(spare.join("x/data.json")).unwrap(), b"[9]");
        // `--clean` trusts no sum: it writes the same bytes again (over
        // the spare's own file, in place).
        let before = ino(&spare.join("x/data.json"));
        let live = ino(&out.join("x/data.json"));
        build(&[("x/data.json", "[1]"), ("page.html", "p3")], true);
        assert_eq!(ino(&out.join("x/data.json")), before);
        assert_ne!(ino(&out.join("x/data.json")), live);
        assert_eq!(
            files(&out),
            site(&[("x/data.json", "[1]"), ("page.html", "p3")])
        );
        // A damaged record: every file is written, the site is right.
        std::fs::write(root.join(".output.marginalia-sums"), "junk").unwrap();
        build(&[("x/data.json", "[1]"), ("page.html", "p4")], false);
        assert_eq!(
            files(&out),
            site(&[("x/data.json", "[1]"), ("page.html", "p4")])
        );
    }

    #[test]
    fn after_a_full_build_the_spares_files_holding_the_bytes_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let spare = root.join(".output.marginalia-spare");
        let full = |pages: &[(&str, &str)]| {
            let mut o = DiskOutput::begin(root, &out).unwrap();
            o.write_everything();
            for (p, t) in pages {
                o.write(p, t.as_bytes().to_vec()).unwrap();
            }
            o.commit().unwrap();
        };
        full(&[
            ("a/index.html", "a"),
            ("b/index.html", "b1"),
            ("c.json", "c"),
        ]);
        full(&[
            ("a/index.html", "a"),
            ("b/index.html", "b2"),
            ("c.json", "c"),
        ]);
        // The spare is the first site, with its record; it shares no file
        // with the live one.
        assert!(spare.join(sums::IN_SPARE).is_file());
        let (a_spare, b_spare) = (
            ino(&spare.join("a/index.html")),
            ino(&spare.join("b/index.html")),
        );
        let c_live = ino(&out.join("c.json"));
        std::thread::sleep(std::time::Duration::from_millis(20));
        // A file of the spare changed since its record: not trusted.
        std::fs::write(spare.join("c.json"), "x").unwrap();
        std::fs::write(spare.join("c.json"), "c").unwrap();

        // An edit build: a reused file and a file written with the bytes
        // the spare's file holds keep the spare's inode (nothing unlinked
        // or linked); a file whose spare copy differs is taken from the
        // live site as before.
        let o = DiskOutput::begin(root, &out).unwrap();
        o.reuse("a/index.html").unwrap();
        o.write("b/index.html", b"b1".to_vec()).unwrap();
        o.reuse("c.json").unwrap();
        assert_eq!(o.not_live(), ["a/index.html", "b/index.html"]);
        o.commit().unwrap();
        assert_eq!(
            files(&out),
            site(&[
                ("a/index.html", "a"),
                ("b/index.html", "b1"),
                ("c.json", "c")
            ])
        );
        assert_eq!(ino(&out.join("a/index.html")), a_spare);
        assert_eq!(ino(&out.join("b/index.html")), b_spare);
        assert_eq!(ino(&out.join("c.json")), c_live);
        // The record of the site now live describes the kept files: the
        // next build, whose spare is the second site, finds the unchanged
        // bytes of the live files by it.
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("b/index.html", b"b1".to_vec()).unwrap();
        o.commit().unwrap();
        assert_eq!(ino(&out.join("b/index.html")), b_spare);
        assert!(!out.join(sums::IN_SPARE).exists());
    }

    #[test]
    fn a_spare_file_with_another_name_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let spare = root.join(".output.marginalia-spare");
        let outside = root.join("outside");
        std::fs::create_dir(&outside).unwrap();
        for round in 0..2 {
            let o = DiskOutput::begin(root, &out).unwrap();
            o.write("a.html", format!("a{round}").into_bytes()).unwrap();
            o.write("b.html", format!("b{round}").into_bytes()).unwrap();
            o.commit().unwrap();
        }
        // The spare's a.html has a second name outside; its b.html is a
        // symlink to a file outside.
        std::fs::hard_link(spare.join("a.html"), outside.join("a")).unwrap();
        std::fs::write(outside.join("b"), "mine").unwrap();
        std::fs::remove_file(spare.join("b.html")).unwrap();
        std::os::unix::fs::symlink(outside.join("b"), spare.join("b.html")).unwrap();
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a.html", b"a2".to_vec()).unwrap();
        o.write("b.html", b"b2".to_vec()).unwrap();
        o.commit().unwrap();
        assert_eq!(std::fs::read(outside.join("a")).unwrap(), b"a0");
        assert_eq!(std::fs::read(outside.join("b")).unwrap(), b"mine");
        assert_eq!(files(&out), site(&[("a.html", "a2"), ("b.html", "b2")]));
    }

    #[test]
    fn a_spare_with_a_file_where_a_folder_goes_and_the_reverse() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let build = |want: &[(&str, &str)]| {
            let o = DiskOutput::begin(root, &out).unwrap();
            for (p, t) in want {
                o.write(p, t.as_bytes().to_vec()).unwrap();
            }
            o.commit().unwrap();
            assert_eq!(files(&out), site(want));
        };
        build(&[("a", "file"), ("b/c/d", "deep")]);
        build(&[("a/x", "now a folder"), ("b", "now a file")]);
        build(&[("a", "file again"), ("b/c/d", "deep again")]);
        build(&[("a/x", "folder again"), ("b", "file again")]);
    }

    #[test]
    fn a_failed_build_leaves_the_spare_as_it_found_it_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let spare = root.join(".output.marginalia-spare");
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a", b"1".to_vec()).unwrap();
        o.commit().unwrap();
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a", b"2".to_vec()).unwrap();
        o.abort();
        assert!(!spare.exists(), "no spare before, none after");
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a", b"2".to_vec()).unwrap();
        o.commit().unwrap();
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a", b"3".to_vec()).unwrap();
        o.abort();
        assert!(spare.join(MARKER).is_file(), "the spare is put back");
        assert_eq!(std::fs::read(out.join("a")).unwrap(), b"2");
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("b", b"4".to_vec()).unwrap();
        o.commit().unwrap();
        assert_eq!(files(&out), site(&[("b", "4")]));
    }

    #[test]
    fn a_killed_builds_staging_folder_becomes_the_spare() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let out = root.join("output");
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a/b.html", b"1".to_vec()).unwrap();
        o.commit().unwrap();
        // What a build killed mid-way leaves: a staging folder, half done.
        let stale = root.join(".output.marginalia-new-999999");
        std::fs::create_dir_all(stale.join("a")).unwrap();
        std::fs::write(stale.join(MARKER), MARKER_TEXT).unwrap();
        std::fs::write(stale.join("a/b.html"), "half").unwrap();
        std::fs::write(stale.join("x.html"), "x").unwrap();
        let kept = ino(&stale.join("a/b.html"));
        let o = DiskOutput::begin(root, &out).unwrap();
        o.write("a/b.html", b"2".to_vec()).unwrap();
        o.commit().unwrap();
        assert!(!stale.exists());
        assert_eq!(files(&out), site(&[("a/b.html", "2")]));
        assert_eq!(ino(&out.join("a/b.html")), kept, "written in place");
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
