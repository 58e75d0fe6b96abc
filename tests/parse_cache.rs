//! Phase one's parses kept between runs (`.marginalia/parsed/`, README
//! "Build cache"): whatever happened to them, `build` writes what a clean
//! build writes, `--clean` reads none of them, and `serve` started after a
//! build (phase one from the kept parses) answers the built pages.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::common::{self, TestSite};
use crate::perf_cache::{assert_like_clean, build, site};
use crate::serve::Server;
use crate::serve_first::{HOLD, answered_early, articles, generated, unserved};

fn shards(s: &TestSite) -> Vec<PathBuf> {
    let dir = s.root().join(".marginalia/parsed");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Sets a file's modification time to the same moment long ago.
fn set_back(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000))
        .unwrap();
}

#[test]
fn damaged_or_missing_kept_parses_still_build_the_right_site() {
    let s = site();
    build(&s, &[]);
    let kept = shards(&s);
    assert!(!kept.is_empty(), "a build keeps its parses");
    for (round, damage) in ["torn", "flipped", "garbage", "gone"].iter().enumerate() {
        for f in &kept {
            let Ok(mut bytes) = std::fs::read(f) else {
                continue;
            };
            match *damage {
                "torn" => bytes.truncate(bytes.len() / 2),
                "flipped" => *bytes.last_mut().unwrap() ^= 1,
                "garbage" => bytes = b"not a shard at all".to_vec(),
                _ => {
                    std::fs::remove_file(f).unwrap();
                    continue;
                }
            }
            std::fs::write(f, bytes).unwrap();
        }
        s.file(
            "content/articles/a1.annotations.yaml",
            &format!("- quote: \"voted on item 1\"\n  note: Round {round}, {damage}.\n"),
        );
        s.file(
            "content/articles/a2.md",
            &format!(
                "---\ntitle: Article 2 ({damage})\ndate: 2021-02-03\nsource: gazette\n---\nThe council voted on item 2 today.\n"
            ),
        );
        build(&s, &[]);
        assert!(s.read("articles/a1/index.html").contains(damage));
        assert_like_clean(&s);
        assert!(!shards(&s).is_empty(), "kept again after {damage}");
    }
}

#[test]
fn clean_reads_no_kept_parse() {
    let s = site();
    let a = s.root().join("content/articles/a0.md");
    set_back(&a);
    build(&s, &[]);
    // The same size and time over other bytes: only a build that reads
    // the file sees the new title (the record trusts the time as the kept
    // parses do, so a plain build finds nothing changed).
    let text = std::fs::read_to_string(&a).unwrap();
    std::fs::write(&a, text.replace("Article 0", "Omegata 0")).unwrap();
    set_back(&a);
    build(&s, &["--clean"]);
    assert!(s.read("articles/a0/index.html").contains("Omegata 0"));
    assert_like_clean(&s);
}

#[test]
fn serve_after_a_build_answers_the_built_pages_from_kept_parses() {
    let n = articles().min(60);
    let s = generated(n);
    // A build keeps every parse; the server's phase one takes them.
    let first = common::bin()
        .args(["build", "--output", "output"])
        .current_dir(s.root())
        .output()
        .unwrap();
    assert!(first.status.success());
    assert!(!shards(&s).is_empty());
    let go = s.root().join(".release-the-server");
    let go_env = go.to_string_lossy().into_owned();
    let server = Server::start_with(&s, &[], &[(HOLD, go_env.as_str())]);
    let out = tempfile::tempdir().unwrap();
    let base = format!("http://{}/", server.addr);
    let built = common::bin()
        .args(["build", "--base-url", &base, "--output"])
        .arg(out.path())
        .current_dir(s.root())
        .output()
        .unwrap();
    assert!(built.status.success());
    let pages = answered_early(out.path());
    assert!(pages.len() > n, "{}", pages.len());
    for (url, want) in &pages {
        let r = server.get(url);
        assert_eq!(r.status, 200, "{url}");
        assert_eq!(r.header("x-marginalia-site"), Some("partial"), "{url}");
        assert!(
            unserved(&r.body) == *want,
            "{url} differs from the built page"
        );
    }
    std::fs::write(&go, "").unwrap();
}
