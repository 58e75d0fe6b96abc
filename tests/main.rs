//! The integration tests, as one crate so the library is linked once
//! (a dozen test binaries each linking marginalia cost minutes on two
//! cores). Run one module with `cargo test --test main <module>::`.

mod common;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

mod anchor_perf;
mod annotations;
mod bad_input;
mod browser;
mod build;
mod charts;
mod commands;
mod kill;
mod regressions;
mod routes;
mod sample;
mod serve;
mod serve_load;
mod w3c_annotations;
