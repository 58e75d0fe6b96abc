//! The rules every walk of the user's folders follows (loading the site,
//! reading the theme's templates): names no site holds, folders that
//! must resolve inside the site, and how a bundle's snapshots are named.
//! One place, so the walks cannot disagree.

use std::path::Path;

use chrono::NaiveDate;

use crate::error::{Diagnostic, Location};

/// Editor and OS leftovers that never belong in a site.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
        || name == "Thumbs.db"
}

/// The containment rule, for a folder marginalia reads from (content/,
/// static/, themes/<name>/templates/ and static/, templates/): it must
/// resolve inside the site root. A folder that is, or sits under, a
/// symlink to elsewhere would otherwise publish whatever it points at
/// (`themes/evil/static -> ~/.ssh`). Missing folders pass (nothing is read).
pub fn check_inside(root: &Path, dir: &Path) -> Result<(), Diagnostic> {
    let Ok(real) = dir.canonicalize() else {
        return Ok(());
    };
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if real.starts_with(&canonical_root) {
        return Ok(());
    }
    Err(Diagnostic::error(
        Some(Location::file(dir.strip_prefix(root).unwrap_or(dir))),
        "this folder leads outside the site (through a symlink); nothing in it is read",
    )
    .with_help("copy the files into the site instead"))
}

/// The folder of a bundle that holds its earlier snapshots.
pub const VERSIONS_DIR: &str = "versions";

/// A snapshot file stem: `YYYY-MM-DD`, or `YYYY-MM-DDTHHMM` when there are
/// two on one day. Returns its date and, when given, its time (hours,
/// minutes).
pub fn parse_stem(stem: &str) -> Option<(NaiveDate, Option<(u32, u32)>)> {
    let (date, time) = match stem.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (stem, None),
    };
    if date.len() != 10 {
        return None;
    }
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let time = match time {
        None => None,
        Some(t) if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) => {
            let (h, m) = (t[..2].parse().ok()?, t[2..].parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            Some((h, m))
        }
        Some(_) => return None,
    };
    Some((day, time))
}
