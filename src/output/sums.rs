//! What a build wrote, file by file: the hash of each output file's bytes
//! and the file it landed in (inode, size, modification time), kept beside
//! the output as `.<name>.marginalia-sums`.
//!
//! The next build renders every page again after a template edit, but
//! most of what it writes (search fragments, each article's
//! `annotations.jsonld`, data files) comes out byte for byte as before.
//! With these sums it takes such a file from the live site instead of
//! writing it: no write, no new inode, and the spare and the live site
//! share it from then on.
//!
//! An entry is trusted only for the file it describes: the live file at
//! that path must still be the same inode with the same size and
//! modification time. Anything that changed the file since (an edit by
//! hand, another tool, another build into the folder) changes its
//! modification time, and the file is written anew. So the record needs no
//! swap of its own: a stale or foreign entry simply matches nothing.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The file an entry was recorded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_ns: i64,
}

impl Stamp {
    pub fn ino(&self) -> u64 {
        self.ino
    }

    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            ino: meta.ino(),
            size: meta.len(),
            mtime: meta.mtime(),
            mtime_ns: meta.mtime_nsec(),
        }
    }
}

/// One output file: the hash of its bytes and the file that holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sum {
    pub hash: u128,
    pub stamp: Stamp,
}

/// The hash of an output file's bytes (XXH3, 128 bits: tens of GB/s, so
/// hashing every byte a build writes costs next to nothing).
pub fn hash(bytes: &[u8]) -> u128 {
    twox_hash::XxHash3_128::oneshot(bytes)
}

/// Output path → sum.
pub type Sums = HashMap<String, Sum>;

/// The name, inside the spare, of the sums of the spare's own files: the
/// record of the site it was when it was live, moved in at the swap
/// (`rename`, nothing written). It is not a file of any site: the build
/// that starts from the spare reads it and prunes it with whatever else
/// it did not put in place.
pub const IN_SPARE: &str = ".marginalia-sums";

const MAGIC: &[u8] = b"marginalia output sums 1\n";

/// The sums at `file`, or nothing when it is missing, damaged or of
/// another format (then every file is written).
pub fn read(file: &Path) -> Sums {
    let Ok(bytes) = std::fs::read(file) else {
        return Sums::new();
    };
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        return Sums::new();
    };
    if rest.len() < 16 {
        return Sums::new();
    }
    let (body, check) = rest.split_at(rest.len() - 16);
    if hash(body).to_le_bytes() != check {
        return Sums::new();
    }
    bincode::deserialize(body).unwrap_or_default()
}

/// Writes `sums` to `file` (atomically: a reader sees the old record or
/// the new one, and a damaged one is refused by its hash).
pub fn write(file: &Path, sums: &Sums) -> std::io::Result<()> {
    let body = bincode::serialize(sums).map_err(std::io::Error::other)?;
    let mut bytes = Vec::with_capacity(MAGIC.len() + body.len() + 16);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(&hash(&body).to_le_bytes());
    crate::fsutil::write_atomic(file, &bytes)
}

/// The entry for `path` when the live file there is still the one it
/// describes and its bytes hash to `hash`.
pub fn unchanged(sums: &Sums, live: &Path, path: &str, hash: u128) -> Option<Sum> {
    let sum = sums.get(path).filter(|s| s.hash == hash)?;
    let meta = std::fs::symlink_metadata(live.join(path)).ok()?;
    (meta.is_file() && Stamp::of(&meta) == sum.stamp).then_some(*sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_trusted_only_for_the_file_it_describes() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path();
        std::fs::write(live.join("a.json"), "[1]").unwrap();
        let meta = std::fs::metadata(live.join("a.json")).unwrap();
        let mut sums = Sums::new();
        sums.insert(
            "a.json".into(),
            Sum {
                hash: hash(b"[1]"),
                stamp: Stamp::of(&meta),
            },
        );
        let file = live.join("sums");
        write(&file, &sums).unwrap();
        let sums = read(&file);
        assert!(unchanged(&sums, live, "a.json", hash(b"[1]")).is_some());
        assert!(unchanged(&sums, live, "a.json", hash(b"[2]")).is_none());
        assert!(unchanged(&sums, live, "b.json", hash(b"[1]")).is_none());
        // Changed behind our back (same size): its time differs.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(live.join("a.json"), "[3]").unwrap();
        assert!(unchanged(&sums, live, "a.json", hash(b"[1]")).is_none());
        // A damaged record is no record.
        let mut bytes = std::fs::read(&file).unwrap();
        let n = bytes.len();
        bytes[n - 20] ^= 1;
        std::fs::write(&file, bytes).unwrap();
        assert!(read(&file).is_empty());
    }
}
