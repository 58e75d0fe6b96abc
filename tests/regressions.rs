//! Every input the fuzzers ever crashed on (`fuzz/regressions/<target>/`)
//! and every seed (`fuzz/seeds/<target>/`), fed through the fuzz targets'
//! own functions, so a fixed crash stays fixed under plain `cargo test`.
//! The functions panic on a broken promise (see `fuzz/src/lib.rs`).

use crate::harness;

use std::path::Path;

fn run_dir(dir: &str, target: fn(&[u8])) -> usize {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(&base) else {
        return 0;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let data = std::fs::read(&p).unwrap();
        let name = p.display().to_string();
        let r = std::panic::catch_unwind(|| target(&data));
        assert!(r.is_ok(), "{name} fails again");
        n += 1;
    }
    n
}

fn run(target: &str, f: fn(&[u8])) {
    let seeds = run_dir(&format!("seeds/{target}"), f);
    assert!(seeds > 0, "no seeds for {target}");
    run_dir(&format!("regressions/{target}"), f);
}

#[test]
fn frontmatter() {
    run("frontmatter", harness::frontmatter);
}

#[test]
fn sidecar() {
    run("sidecar", harness::sidecar);
}

#[test]
fn anchor() {
    run("anchor", harness::anchor);
}

#[test]
fn render() {
    run("render", harness::render);
}
