//! Annotations: sidecar notes anchored to passages of an article's text.

pub mod anchor;
pub mod fold;
