//! marginalia: a static site generator for annotated article archives.

pub mod annotate;
