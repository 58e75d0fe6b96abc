//! The search index kept outside any output folder, in
//! `.marginalia/search/`, so that a build into another folder (where
//! there is no previous output to update: [`super::Snapshot::previous_state`])
//! starts from it rather than making the index again from every
//! document's terms ([`crate::render::search::IndexBuilder::reusing`]).
//!
//! - `index.bin`: what the index was made from ([`KeptSearch`]): each
//!   document's postings' hash and kept name, in site order, and each
//!   shard's key and record; checked by its hash when read
//!   ([`super::read_checked`]);
//! - `<record>`: each shard's bytes, named by their hash (the shard's
//!   record, [`crate::render::search::Index::record`]). A hard link to
//!   the output's file where the file system allows, so keeping them
//!   costs no bytes; the output never writes through such a file (a
//!   file with another name is replaced, not written over:
//!   `output::open_in_place`), and each one is hashed again before it
//!   is used, so a damaged or missing one means the index is made again.
//!
//! A kept name says everything a document's rendering read, so a
//! document whose kept name is one of the kept index's has that index's
//! postings: only the others are indexed again.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::render::search::{EarlierIndex, KeptIndex, shard_path};

/// The folder, in [`super::CACHE_DIR`].
const DIR: &str = "search";
/// What the index was made from, in [`DIR`].
const INDEX: &str = "index.bin";
/// Bumped whenever [`KeptSearch`]'s meaning changes.
const FORMAT: u32 = 1;

/// What `index.bin` holds.
#[derive(Serialize, Deserialize)]
struct KeptSearch {
    format: u32,
    /// What the documents were rendered with ([`super::State::render`]):
    /// the kept names mean something only under it.
    render: u128,
    /// Each document's kept name, in site order (`None`: not kept).
    names: Vec<Option<u128>>,
    index: KeptIndex,
    /// The order of the documents in phase one ([`EarlierIndex::phase_one`]).
    phase_one: u128,
    /// Each shard's key and record, in key order.
    shards: Vec<(String, u128)>,
}

fn dir(root: &Path) -> std::path::PathBuf {
    root.join(super::CACHE_DIR).join(DIR)
}

fn shard_file(root: &Path, record: u128) -> std::path::PathBuf {
    dir(root).join(format!("{record:032x}"))
}

/// The kept index, when it was made from documents rendered with
/// `render` and it and every shard it lists are whole (each shard's
/// bytes hash to its record); `None` otherwise.
pub fn load(root: &Path, render: u128) -> Option<EarlierIndex> {
    use rayon::prelude::*;
    let bytes = super::read_checked(&dir(root).join(INDEX))?;
    let kept: KeptSearch = bincode::deserialize(&bytes).ok()?;
    if kept.format != FORMAT || kept.render != render {
        return None;
    }
    let shards = kept
        .shards
        .into_par_iter()
        .map(|(key, record)| {
            let bytes = std::fs::read(shard_file(root, record)).ok()?;
            (super::ledger::hash_of(bytes.as_slice()) == record).then_some((key, (bytes, record)))
        })
        .collect::<Option<BTreeMap<_, _>>>()?;
    Some(EarlierIndex {
        index: kept.index,
        shards,
        names: kept.names,
        phase_one: kept.phase_one,
    })
}

/// Keeps the index `state` describes, whose shards are in the output
/// folder `output` as this build wrote them: each shard is linked (or
/// copied) from there, unless its kept file is that very file; then
/// `index.bin` is written, then the shards it does not list are removed. Nothing here fails a build: a
/// shard or index not kept only means the next build into another folder
/// makes the index again.
pub fn keep(root: &Path, output: &Path, state: &super::State) {
    let dir = dir(root);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    use std::os::unix::fs::MetadataExt;
    for (key, record) in &state.search_shards {
        let kept = shard_file(root, *record);
        let from = output.join(shard_path(key));
        let ino = |p: &Path| std::fs::metadata(p).map(|m| (m.dev(), m.ino())).ok();
        let Some(now) = ino(&from) else { continue };
        // Linked again unless it is the output's file already: a kept
        // file this build did not read is not trusted (a damaged one
        // would stay), and a link costs no bytes.
        if ino(&kept) == Some(now) {
            continue;
        }
        let tmp = kept.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::fs::hard_link(&from, &tmp).is_ok() {
            if std::fs::rename(&tmp, &kept).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        } else if let Ok(bytes) = std::fs::read(&from)
            && super::ledger::hash_of(bytes.as_slice()) == *record
        {
            super::write_file(&kept, &bytes);
        }
    }
    let kept = KeptSearch {
        format: FORMAT,
        render: state.render,
        names: state.search_names.clone(),
        index: state.search.clone(),
        phase_one: state.search_phase_one,
        shards: state.search_shards.clone(),
    };
    let Ok(body) = bincode::serialize(&kept) else {
        return;
    };
    super::write_checked(&dir.join(INDEX), body);
    let listed: std::collections::HashSet<String> = kept
        .shards
        .iter()
        .map(|(_, r)| format!("{r:032x}"))
        .collect();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != INDEX && !listed.contains(&name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Drops the kept index.
pub fn discard(root: &Path) {
    let _ = std::fs::remove_dir_all(dir(root));
}
