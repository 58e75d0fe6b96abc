//! Versions of an article (DESIGN §10): earlier snapshots kept in a
//! bundle's `versions/` folder, and what changed between them.

pub mod diff;
