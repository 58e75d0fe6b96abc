//! The integration tests, as one crate so the library is linked once
//! (a dozen test binaries each linking marginalia cost minutes on two
//! cores). Run one module with `cargo test --test main <module>::`.

mod common;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

mod anchor_perf;
mod annotations;
mod architecture;
mod bad_input;
mod browser;
mod build;
mod capture;
mod charts;
mod commands;
mod edit_build;
mod full_build;
mod highlight;
mod index_builder;
mod kill;
mod kind_labels;
mod markdown;
mod meta;
mod newcomer;
mod output_reuse;
mod parse_cache;
mod perf_cache;
mod perf_data;
mod pipeline;
mod regressions;
mod robust;
mod routes;
mod sample;
mod search;
mod search_kept;
mod serve;
mod serve_first;
mod serve_load;
mod spilled_notes;
mod theme;
mod versions;
mod w3c_annotations;
