//! Annotations: sidecar notes anchored to passages of an article's text.
//!
//! `sidecar` reads the notes; `fold` and `anchor` find each note's passage
//! in the article's text index (built by the Markdown stage).

pub mod anchor;
pub mod edit;
pub mod fold;
pub mod rating;
pub mod sidecar;
