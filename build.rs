//! Names the commit the binary is built from, for `marginalia --version`.
//! Outside a git checkout (a crates.io download, a tarball) or without git,
//! the commit is "unknown".

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let in_checkout = Path::new(".git").exists();
    let commit = in_checkout
        .then(|| git(&["rev-parse", "--short", "HEAD"]))
        .flatten();
    if commit.is_some() {
        // A commit moves HEAD (a checkout) or the branch it points at;
        // watch only files that exist, or cargo reruns this every build.
        let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watched.push(git(&["rev-parse", "--git-path", &branch]));
        }
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
        for path in watched.into_iter().flatten() {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    println!(
        "cargo:rustc-env=MARGINALIA_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
}
