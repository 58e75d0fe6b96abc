//! The rules every walk of the user's folders follows (loading the site,
//! reading the theme's templates): names no site holds, and folders that
//! must resolve inside the site. One place, so the walks cannot disagree.

use std::path::Path;

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
