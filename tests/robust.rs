//! Hostile and careless use (issue 16), each through the real binary:
//! concurrent builds, kills while a sidecar is written, an output that
//! cannot be removed, symlinks out of the site in theme folders, the dev
//! server's Host check and connection cap, YAML size and node caps,
//! closed pipes, a wrong `--root`, feeds without `base_url`, and real
//! Hypothesis data (fixtures in the shape of the public API).
//!
//! Heavy tests take their count from the environment, with a small
//! default for `cargo test`; `.ci/run` sets `ROBUST_BUILD_ROUNDS=10` and
//! `KILL_WRITES=50`.

use crate::common;

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::TestSite;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Path → content hash of every file under `dir`.
fn tree(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for p in common::walk(dir) {
        let mut h = DefaultHasher::new();
        std::fs::read(&p).unwrap().hash(&mut h);
        out.insert(
            p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
            h.finish(),
        );
    }
    out
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn corpus(articles: usize) -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Robust\nbase_url: https://example.org/\n",
    )
    .file(
        "content/sources.yaml",
        "wire:\n  name: The Wire\n  kind: publication\n",
    );
    for a in 0..articles {
        let body: String = (0..6)
            .map(|p| {
                format!("Paragraph {p} of article {a} says something. Marker a{a}p{p} ends.\n\n")
            })
            .collect();
        s.file(
            &format!("content/articles/a{a}.md"),
            &format!(
                "---\ntitle: Article {a}\ndate: 2020-01-{:02}\nsource: wire\ntags: [t{}]\n---\n{body}",
                a % 28 + 1,
                a % 5
            ),
        )
        .file(
            &format!("content/articles/a{a}.annotations.yaml"),
            &format!("- quote: Marker a{a}p1 ends\n  note: A note.\n"),
        );
    }
    s
}

// ---- 1. Concurrent builds -------------------------------------------------

#[test]
fn five_builds_at_once_leave_a_complete_site() {
    let rounds = env_count("ROBUST_BUILD_ROUNDS", 2);
    let s = corpus(40);
    s.build().assert_ok();
    let reference = tree(&s.root().join("output"));
    assert!(reference.len() > 50, "{}", reference.len());
    let beside = names_in(s.root());
    for round in 0..rounds {
        let children: Vec<Child> = (0..5)
            .map(|_| {
                common::bin()
                    .args(["build", "--root"])
                    .arg(s.root())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut waited = 0;
        for c in children {
            let out = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "round {round}: {err}");
            waited += usize::from(err.contains("another build of"));
        }
        assert_eq!(
            tree(&s.root().join("output")),
            reference,
            "round {round}: the site differs from a build on its own"
        );
        // The old site stays as the next build's spare (README, "The
        // spare"); nothing else is left.
        let spare = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .filter(|n| n != ".output.marginalia-spare")
                .collect()
        };
        assert_eq!(
            spare(names_in(s.root())),
            spare(beside.clone()),
            "round {round}: leftovers"
        );
        eprintln!("round {round}: 5 builds, {waited} waited for the lock");
    }
}

#[test]
fn a_dead_builds_staging_folder_is_removed_and_a_live_one_is_not_touched() {
    let s = corpus(3);
    s.build().assert_ok();
    // What a build killed mid-way leaves: its staging folder, with the marker.
    let stale = s.root().join(".output.marginalia-new-999999");
    std::fs::create_dir_all(stale.join("articles")).unwrap();
    std::fs::write(stale.join(".marginalia"), "x").unwrap();
    std::fs::write(stale.join("articles/half.html"), "half").unwrap();
    s.build().assert_ok();
    assert!(!stale.exists(), "the stale staging folder is still there");
    // A folder of that name that marginalia did not write is never deleted.
    let foreign = s.root().join(".output.marginalia-new-1");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("mine.txt"), "keep").unwrap();
    let r = s.build();
    r.assert_ok();
    assert_eq!(
        std::fs::read_to_string(foreign.join("mine.txt")).unwrap(),
        "keep"
    );
    assert!(r.stderr.contains("could not be removed"), "{}", r.stderr);
}

// ---- 2. Kills while a sidecar is written ----------------------------------

/// Runs `args` `kills` times from `old`, killing it the moment the sidecar
/// folder changes (or at a random point when nothing changes first), and
/// checks the sidecar is each time the old or the new file, whole.
fn kill_while_writing(s: &TestSite, sidecar: &str, old: &str, args: &[&str], kills: usize) {
    let path = s.root().join(sidecar);
    let folder = path.parent().unwrap().to_path_buf();
    std::fs::write(&path, old).unwrap();
    let r = s.run(args);
    assert!(r.code <= 1, "{}", r.stderr);
    let new = std::fs::read_to_string(&path).unwrap();
    assert_ne!(
        new, old,
        "the command changed nothing: {}{}",
        r.stdout, r.stderr
    );
    let (mut kept, mut replaced) = (0, 0);
    for i in 0..kills {
        std::fs::write(&path, old).unwrap();
        let before = names_in(&folder);
        let mut child = common::bin()
            .args(args)
            .current_dir(s.root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            let changed = names_in(&folder) != before
                || std::fs::metadata(&path).map(|m| m.len()).ok() != Some(old.len() as u64);
            if changed {
                // Odd rounds: a little later, mid-write or mid-rename.
                if i % 2 == 1 {
                    std::thread::sleep(Duration::from_micros((i as u64 * 397) % 3000));
                }
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "kill {i}: no write seen"
            );
            std::thread::yield_now();
        }
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read_to_string(&path).unwrap();
        if now == old {
            kept += 1;
        } else if now == new {
            replaced += 1;
        } else {
            panic!(
                "kill {i} left a sidecar that is neither the old nor the new one ({} bytes)",
                now.len()
            );
        }
        // Temporary files of killed runs are hidden (never read as content).
        for n in names_in(&folder) {
            if n.ends_with(".tmp") {
                assert!(n.starts_with('.'), "{n}");
                std::fs::remove_file(folder.join(n)).unwrap();
            }
        }
    }
    eprintln!("{args:?}: {kills} kills, {kept} left the old sidecar, {replaced} the new one");
}

fn import_site(notes: usize) -> (TestSite, String) {
    let s = TestSite::new();
    let words: Vec<String> = (0..notes * 2).map(|i| format!("word{i:05}")).collect();
    s.file("site.yaml", "title: Kill\n").file(
        "content/articles/a.md",
        &format!(
            "---\ntitle: A\ndate: 2020-01-01\noriginal_url: https://ex.org/a\n---\n{}\n",
            words.join(" ")
        ),
    );
    let old: String = (0..notes)
        .map(|i| {
            format!(
                "- quote: word{:05}\n  note: Note {i}. {}\n",
                i * 2,
                "x".repeat(150)
            )
        })
        .collect();
    let export: Vec<String> = (0..notes / 10)
        .map(|i| {
            format!(
                r#"{{"id":"n{i}","uri":"https://ex.org/a","text":"Imported {i}","target":[{{"selector":[{{"type":"TextQuoteSelector","exact":"word{:05}"}}]}}]}}"#,
                i * 20 + 1
            )
        })
        .collect();
    s.file("h.json", &format!("[{}]", export.join(",")));
    (s, old)
}

#[test]
fn import_killed_while_writing_leaves_the_old_or_the_new_sidecar() {
    let kills = env_count("KILL_WRITES", 6);
    let (s, old) = import_site(2000);
    kill_while_writing(
        &s,
        "content/articles/a.annotations.yaml",
        &old,
        &["import", "hypothesis", "h.json"],
        kills,
    );
}

#[test]
fn check_fix_killed_while_writing_leaves_the_old_or_the_new_sidecar() {
    let kills = env_count("KILL_WRITES", 6);
    let (s, old) = import_site(2000);
    // One drifted quote (a letter dropped) for --fix to rewrite.
    let drifted = old.replacen("word00000", "wrd00000", 1);
    kill_while_writing(
        &s,
        "content/articles/a.annotations.yaml",
        &drifted,
        &["check", "--fix"],
        kills,
    );
}

#[test]
fn an_import_with_problems_says_exactly_what_it_wrote() {
    let (s, _) = import_site(10);
    s.file(
        "h.json",
        r#"[{"id":"good","uri":"https://ex.org/a","text":"Fine","target":[{"selector":[{"type":"TextQuoteSelector","exact":"word00003"}]}]},
            {"id":"bad","uri":"https://ex.org/a","text":"Gone","target":[{"selector":[{"type":"TextQuoteSelector","exact":"no such words"}]}]}]"#,
    );
    let r = s.run(&["import", "hypothesis", "h.json"]);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("added 1 note to content/articles/a.annotations.yaml"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("annotation bad not imported")
            && r.stderr
                .contains("only the 1 note listed as added was written"),
        "{}",
        r.stderr
    );
    let side =
        std::fs::read_to_string(s.root().join("content/articles/a.annotations.yaml")).unwrap();
    assert!(side.contains("h-good") && !side.contains("h-bad"), "{side}");
}

// ---- 3. An output that cannot be removed ----------------------------------

/// Makes `dir` impossible to delete from: immutable as root (who ignores
/// permissions), read-only otherwise. Returns whether it worked.
fn lock_folder(dir: &Path, on: bool) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::process::Command::new("chattr")
            .arg(if on { "+i" } else { "-i" })
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success())
    } else {
        use std::os::unix::fs::PermissionsExt;
        let mode = if on { 0o555 } else { 0o755 };
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).is_ok()
    }
}

#[test]
fn an_old_output_that_cannot_be_removed_is_reported_truthfully_and_recovered() {
    let s = corpus(2);
    s.build().assert_ok();
    let stuck = s.out("stuck");
    std::fs::create_dir_all(&stuck).unwrap();
    std::fs::write(stuck.join("file.txt"), "old").unwrap();
    if !lock_folder(&stuck, true) {
        eprintln!("skipped: cannot make a folder undeletable here (no chattr?)");
        return;
    }
    s.file(
        "content/articles/a0.md",
        "---\ntitle: Changed title\ndate: 2020-01-01\nsource: wire\n---\nMarker a0p1 ends.\n",
    );
    let first = s.build();
    let second = s.build();
    // Wherever the stuck folder is now, unlock it.
    for e in std::fs::read_dir(s.root()).unwrap().flatten() {
        let p = e.path().join("stuck");
        if p.exists() {
            lock_folder(&p, false);
        }
    }
    first.assert_ok();
    second.assert_ok();
    assert!(
        s.read("articles/a0/index.html").contains("Changed title"),
        "the new site is not in place"
    );
    let root_user = unsafe { libc::geteuid() } == 0;
    if root_user {
        // The truth: the site was built; the old one is left, named. The
        // first build keeps the old site as its spare; the second, which
        // starts from it and must remove the stuck folder, is the one that
        // cannot.
        let said = format!("{}{}", first.stderr, second.stderr);
        assert!(
            said.contains("could not be removed")
                && said.contains("the site was built")
                && !said.contains("untouched"),
            "{said}"
        );
    }
    let third = s.build();
    third.assert_ok();
    assert!(
        !third.stderr.contains("could not be removed"),
        "{}",
        third.stderr
    );
    assert_eq!(
        names_in(s.root()),
        vec![
            ".output.marginalia-spare",
            ".output.marginalia-sums",
            "content",
            "output",
            "site.yaml"
        ]
    );
}

// ---- 4. Symlinks out of the site ------------------------------------------

#[test]
fn symlinked_theme_and_template_folders_publish_nothing_from_outside() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("id_rsa"), "PRIVATE KEY").unwrap();
    std::fs::write(outside.path().join("base.html"), "STOLEN {{ site.title }}").unwrap();
    // So a theme folder linked out has a static/ and templates/ of its own.
    std::fs::create_dir_all(outside.path().join("static")).unwrap();
    std::fs::write(outside.path().join("static/id_rsa.pub"), "KEY").unwrap();
    std::fs::create_dir_all(outside.path().join("templates")).unwrap();
    for (case, link) in [
        ("theme static", "themes/evil/static"),
        ("theme templates", "themes/evil/templates"),
        ("theme folder", "themes/evil"),
        ("site templates", "templates"),
        ("site static", "static"),
    ] {
        let s = TestSite::new();
        s.file("site.yaml", "title: T\ntheme: evil\n")
            .file("content/a.md", "---\ntitle: A\n---\nText.\n");
        if link != "themes/evil" {
            std::fs::create_dir_all(s.root().join("themes/evil")).unwrap();
        }
        let at = s.root().join(link);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path(), &at).unwrap();
        let r = s.build();
        r.assert_code(1);
        assert!(
            r.stderr.contains("leads outside the site"),
            "{case}: {}",
            r.stderr
        );
        let published: Vec<String> = s.output_files();
        assert!(
            !published.iter().any(|p| p.contains("id_rsa")),
            "{case}: {published:?}"
        );
        let c = s.run(&["check"]);
        assert_eq!(c.code, 1, "{case}: {}", c.stderr);
    }
}

// ---- 5–7. serve -----------------------------------------------------------

struct Serve {
    child: Child,
    addr: String,
    port: u16,
}

impl Serve {
    fn start(s: &TestSite, args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut cmd = common::bin();
        cmd.args(["serve", "--port", "0"])
            .args(args)
            .current_dir(s.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("serving http://")
            .unwrap_or_else(|| panic!("{line:?}"))
            .trim_end_matches('/')
            .to_string();
        let port = addr.rsplit(':').next().unwrap().parse().unwrap();
        let addr = format!("127.0.0.1:{port}");
        Serve { child, addr, port }
    }

    /// The status line and body of a raw request with this Host header.
    fn get(&self, path: &str, host: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, text)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn small_site() -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", "title: Served\n").file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2021-01-01\n---\nSome text.\n",
    );
    s
}

#[test]
fn serve_answers_only_its_own_host_names() {
    let s = small_site();
    let srv = Serve::start(&s, &[], &[]);
    let p = srv.port;
    for host in [
        format!("localhost:{p}"),
        format!("127.0.0.1:{p}"),
        format!("[::1]:{p}"),
    ] {
        assert_eq!(srv.get("/", &host).0, 200, "{host}");
    }
    for host in [
        format!("rebind.attacker.example:{p}"),
        format!("localhost.attacker.example:{p}"),
        format!("192.168.1.10:{p}"),
        "localhost:1".to_string(),
    ] {
        let (status, text) = srv.get("/", &host);
        assert_eq!(status, 421, "{host}: {text}");
        assert!(!text.contains("Some text"), "{host}");
        assert_eq!(srv.get("/__marginalia/events", &host).0, 421, "{host}");
    }
}

#[test]
fn serve_on_every_address_answers_ip_addresses_but_not_names() {
    let s = small_site();
    let srv = Serve::start(&s, &["--bind", "0.0.0.0"], &[]);
    let p = srv.port;
    assert_eq!(srv.get("/", &format!("192.168.1.10:{p}")).0, 200);
    assert_eq!(srv.get("/", &format!("localhost:{p}")).0, 200);
    assert_eq!(srv.get("/", &format!("rebind.attacker.example:{p}")).0, 421);
}

#[test]
fn serve_error_pages_show_paths_relative_to_the_site() {
    let s = small_site();
    s.file(
        "content/articles/a.annotations.yaml",
        "- quote: not in the text\n  note: x\n",
    );
    let srv = Serve::start(&s, &[], &[]);
    let (_, text) = srv.get("/", &format!("localhost:{}", srv.port));
    let root = s.root().canonicalize().unwrap();
    assert!(
        text.contains("content/articles/a.annotations.yaml"),
        "{text}"
    );
    assert!(
        !text.contains(&root.display().to_string()),
        "an absolute path is shown: {text}"
    );
}

#[test]
fn idle_connections_do_not_starve_serve() {
    let s = small_site();
    let cap = 32;
    let srv = Serve::start(
        &s,
        &[],
        &[("MARGINALIA_SERVE_MAX_CONNECTIONS", &cap.to_string())],
    );
    // Three times the cap of connections that never send a byte.
    let idle: Vec<TcpStream> = (0..cap * 3)
        .filter_map(|_| TcpStream::connect(&srv.addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let (status, _) = srv.get("/", &format!("localhost:{}", srv.port));
    assert_eq!(status, 200);
    // A generous bound: without the cap, the request waits for an idle
    // connection to time out, or forever.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The idlest were closed to make room: reading them gives end of file.
    let closed = idle
        .iter()
        .filter(|c| {
            let mut c: &TcpStream = c;
            c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            match c.read(&mut [0u8; 1]) {
                Ok(n) => n == 0,
                Err(e) => !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
            }
        })
        .count();
    assert!(closed > 0);
}

// ---- 8. YAML caps ---------------------------------------------------------

/// Runs a command and returns (result, peak memory in KiB when
/// /usr/bin/time can measure it).
fn run_measured(s: &TestSite, args: &[&str]) -> (common::Run, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return (s.run(args), None);
    }
    let out = std::process::Command::new(time)
        .arg("-v")
        .arg(common::bin_path())
        .args(args)
        .current_dir(s.root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok());
    let run = common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    };
    (run, peak)
}

#[test]
fn huge_yaml_is_refused_quickly_and_in_little_memory() {
    let list = format!("[{}1]", "1,".repeat(25_000_000)); // 50 MB
    let cases = [
        ("site.yaml", format!("title: T\nextra: {list}\n"), "16 MiB"),
        (
            "content/articles/a.annotations.yaml",
            format!("- quote: x\n  note: y\n  tags: {list}\n"),
            "16 MiB",
        ),
        ("content/sources.yaml", format!("x: {list}\n"), "16 MiB"),
        (
            "content/articles/a.md",
            format!("---\ntitle: A\nextra: {list}\n---\nText x.\n"),
            "front matter is limited to 1 MiB",
        ),
        (
            // Under the size cap, over the node cap.
            "site.yaml",
            format!("title: T\nextra: [{}1]\n", "1,".repeat(1_500_000)),
            "1000000 YAML nodes",
        ),
    ];
    for (file, text, limit) in cases {
        let s = TestSite::new();
        s.file("site.yaml", "title: T\n")
            .file("content/articles/a.md", "---\ntitle: A\n---\nText x.\n")
            .file(file, &text);
        let started = Instant::now();
        let (r, peak) = run_measured(&s, &["build"]);
        let took = started.elapsed();
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        assert!(
            r.stderr.contains(limit) && r.stderr.contains(file.rsplit('/').next().unwrap()),
            "{file}: {}",
            r.stderr
        );
        eprintln!("{file}: refused in {took:?}, peak {peak:?} KiB");
        // Generous: the point is no 6 GiB / 12 s parse (a debug build).
        assert!(took < Duration::from_secs(20), "{file}: {took:?}");
        if let Some(kib) = peak {
            assert!(kib < 200 * 1024, "{file}: peak {kib} KiB");
        }
    }
}

// ---- 11. Closed pipes -----------------------------------------------------

#[test]
fn no_command_panics_on_a_closed_pipe() {
    let s = corpus(2);
    s.file(
        "h.json",
        r#"[{"id":"x","uri":"https://nowhere.example/","text":"t"}]"#,
    );
    let commands: &[&[&str]] = &[
        &["build"],
        &["check"],
        &["import", "hypothesis", "h.json"],
        &["new", "content/articles/fresh.md"],
        &["init", "newsite"],
        &["--help"],
        &["--version"],
        &["build", "--root", "does-not-exist"],
    ];
    for args in commands {
        for closed in ["stdout", "stderr"] {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let mut cmd = common::bin();
            cmd.args(*args).current_dir(s.root());
            let out = if closed == "stdout" {
                cmd.stdout(writer).stderr(Stdio::piped()).output().unwrap()
            } else {
                cmd.stderr(writer).stdout(Stdio::piped()).output().unwrap()
            };
            let err = String::from_utf8_lossy(&out.stderr);
            assert_ne!(
                out.status.code(),
                Some(101),
                "{args:?}, closed {closed}: {err}"
            );
            assert!(out.status.code().is_some(), "{args:?}: killed by a signal");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
        }
        // Clean up what `new` and `init` made, so each run does it again.
        let _ = std::fs::remove_dir_all(s.root().join("newsite"));
        let _ = std::fs::remove_file(s.root().join("content/articles/fresh.md"));
        let _ = std::fs::remove_file(s.root().join("content/articles/fresh.annotations.yaml"));
    }
}

// ---- 15. A wrong --root ---------------------------------------------------

#[test]
fn a_folder_that_is_not_a_site_is_a_usage_error() {
    let s = TestSite::new();
    std::fs::create_dir_all(s.root().join("empty")).unwrap();
    s.file("h.json", "[]");
    for args in [
        vec!["build", "--root", "typo"],
        vec!["build", "--root", "empty"],
        vec!["check", "--root", "typo"],
        vec!["serve", "--root", "empty", "--port", "0"],
        vec!["import", "hypothesis", "h.json", "--root", "typo"],
    ] {
        let r = s.run(&args);
        r.assert_code(2);
        assert!(
            r.stderr.contains("is not a marginalia site")
                && r.stderr.contains("site.yaml")
                && r.stderr.contains("content/"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(!s.root().join("typo").exists() && !s.root().join("empty/output").exists());
    // A site with only content/ (no site.yaml) is a site.
    s.file("ok/content/a.md", "---\ntitle: A\n---\nx\n");
    s.run(&["build", "--root", "ok"]).assert_ok();
}

// ---- 14. Feeds without base_url, articles without a date ------------------

#[test]
fn feeds_without_base_url_or_dates_are_still_valid() {
    let s = TestSite::new();
    s.file("site.yaml", "title: No address\n")
        .file(
            "content/articles/dated.md",
            "---\ntitle: Dated\ndate: 2021-05-04\n---\nText.\n",
        )
        .file(
            "content/articles/archived.md",
            "---\ntitle: Archived only\narchived: 2026-11-26\n---\nText.\n",
        )
        .file(
            "content/articles/undated.md",
            "---\ntitle: Undated\n---\nText.\n",
        );
    let r = s.build();
    r.assert_ok();
    let feed = s.read("atom.xml");
    let doc = roxmltree::Document::parse(&feed).unwrap();
    assert!(!feed.contains("1970-01-01"), "{feed}");
    assert!(feed.contains("Archived only") && feed.contains("2026-11-26"));
    assert!(!feed.contains("Undated"), "{feed}");
    // Atom ids are absolute IRIs even without an address.
    for id in doc.descendants().filter(|n| n.has_tag_name("id")) {
        let id = id.text().unwrap();
        assert!(id.starts_with("urn:uuid:") && id.len() == 45, "{id}");
    }
    assert!(!s.exists("sitemap.xml"));
    assert!(
        r.stderr.contains("no sitemap.xml is written")
            && r.stderr.contains("left out of the feeds"),
        "{}",
        r.stderr
    );
    // With an address, the ids are the pages' URLs and the sitemap is there.
    s.file(
        "site.yaml",
        "title: No address\nbase_url: https://example.org/\n",
    );
    s.build().assert_ok();
    assert!(
        s.read("atom.xml")
            .contains("<id>https://example.org/articles/dated/</id>")
    );
    assert!(s.exists("sitemap.xml"));
}

// ---- 16. Real Hypothesis data ---------------------------------------------

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/hypothesis")
            .join(name),
    )
    .unwrap()
}

fn hypothesis_site() -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", "title: H\nbase_url: https://example.org/\n")
        .file(
            "content/articles/iran.md",
            "---\ntitle: Officials met Zarif\ndate: 2021-05-04\noriginal_url: https://news.example/2021/05/iran-talks\n---\n\
             The report, according to several unnamed national security sources, the paper said.\n\n\
             The deal was considered a hallmark achievement of the administration.\n\n\
             Some invoked the Logan Act of 1799 at once.\n",
        )
        .file("search.json", &fixture("search.json"))
        .file("single.json", &fixture("single.json"));
    s
}

#[test]
fn hypothesis_replies_highlights_and_private_annotations() {
    let s = hypothesis_site();
    let r = s.run(&["import", "hypothesis", "search.json"]);
    r.assert_ok();
    let out = &r.stdout;
    for expected in [
        "added 2 notes to content/articles/iran.annotations.yaml",
        "2 replies added",
        "1 highlight",
        "skipped 3 hidden, flagged or private annotations",
        "skipped page note PaGeN0te",
        "skipped annotation PoSonly1",
        "only by position or range",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains("no article has original_url"), "{out}");
    let side =
        std::fs::read_to_string(s.root().join("content/articles/iran.annotations.yaml")).unwrap();
    assert!(
        side.contains("id: h-AbC1note") && side.contains("replies:"),
        "{side}"
    );
    assert!(side.contains("kind: highlight") && side.contains("id: h-HiGhL1te"));
    for private in ["PriV4te1", "FlaGGed1", "HidDen01"] {
        assert!(!side.contains(private), "{private} in {side}");
    }
    // The thread, oldest first, under the note; its text escaped.
    s.build().assert_ok();
    let page = s.read("articles/iran/index.html");
    let aside = &page[page.find("id=\"note-h-AbC1note\"").unwrap()..];
    let aside = &aside[..aside.find("</aside>").unwrap()];
    let (first, second) = (
        aside.find("Two of them were later named.").unwrap(),
        aside.find("Thanks: &lt;script&gt;").unwrap(),
    );
    assert!(
        first < second && aside.contains("class=\"note-replies\""),
        "{aside}"
    );
    assert!(aside.contains("bob") && aside.contains("Alice Archivist"));
    // Replies in the W3C export: motivation replying, targeting the note.
    // The article's own AnnotationPage (the collection links it).
    let ld: serde_json::Value =
        serde_json::from_str(&s.read("articles/iran/annotations.jsonld")).unwrap();
    let items = ld["items"].as_array().unwrap();
    let replies: Vec<&serde_json::Value> = items
        .iter()
        .filter(|a| a["motivation"] == "replying")
        .collect();
    assert_eq!(replies.len(), 2);
    assert_eq!(
        replies[0]["target"],
        "https://example.org/articles/iran/#note-h-AbC1note"
    );
    // The collection counts notes and replies alike.
    let collection: serde_json::Value =
        serde_json::from_str(&s.read("annotations.jsonld")).unwrap();
    assert_eq!(collection["total"], items.len());
    // Importing again adds nothing.
    let again = s.run(&["import", "hypothesis", "search.json"]);
    again.assert_ok();
    assert!(!again.stdout.contains("added"), "{}", again.stdout);
    // --include-private keeps them.
    let all = s.run(&["import", "hypothesis", "search.json", "--include-private"]);
    all.assert_ok();
    assert!(all.stdout.contains("added 3 notes"), "{}", all.stdout);
}

#[test]
fn hypothesis_single_annotation_with_tracking_parameters() {
    let s = hypothesis_site();
    let r = s.run(&["import", "hypothesis", "single.json"]);
    r.assert_ok();
    assert!(r.stdout.contains("added 1 note"), "{}", r.stdout);
    let side =
        std::fs::read_to_string(s.root().join("content/articles/iran.annotations.yaml")).unwrap();
    assert!(
        side.contains("h-SiNgLe01") && side.contains("author: Carol"),
        "{side}"
    );
    s.build().assert_ok();
    // Not an export at all: one clear error naming the accepted shapes.
    s.file("bad.json", r#"{"total": 3}"#);
    let r = s.run(&["import", "hypothesis", "bad.json"]);
    r.assert_code(1);
    assert!(r.stderr.contains("not a Hypothesis export"), "{}", r.stderr);
    assert!(!r.stderr.contains("untagged"), "{}", r.stderr);
}

#[test]
fn sidecar_replies_are_validated() {
    let s = hypothesis_site();
    s.file(
        "content/articles/iran.annotations.yaml",
        "- quote: Logan Act\n  note: Law.\n  replies:\n    - {author: A, date: someday, text: x}\n    - {autor: B, text: y}\n    - {author: C}\n",
    );
    let r = s.build();
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("reply 1: `date` \"someday\" is not a date"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("reply 2: unknown key `autor`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("reply 3 has no `text`"), "{}", r.stderr);
    assert!(r.stderr.contains("iran.annotations.yaml:3"), "{}", r.stderr);
}

// ---- Replies in /notes.csv ------------------------------------------------

#[test]
fn replies_are_rows_of_the_notes_csv_that_name_their_note() {
    let s = TestSite::new();
    s.file("site.yaml", "title: T\nbase_url: https://example.org/\n")
        .file(
            "content/articles/a.md",
            "---\ntitle: A\ndate: 2021-05-04\n---\nFirst claim here. Second claim there.\n",
        )
        .file(
            "content/articles/a.annotations.yaml",
            "- quote: First claim here.\n  note: A note.\n  id: one\n  date: 2021-06-01\n  replies:\n    - {author: Bo, date: 2021-07-02, text: \"=1+1, said *Bo*\"}\n    - {text: \"Undated.\\n\\nTwo paragraphs.\"}\n- quote: Second claim there.\n  note: Another, unanswered.\n  id: two\n",
        );
    s.build().assert_ok();
    let (header, rows) = s.notes_csv();
    // Added after the columns there were, so none of them moved.
    assert_eq!(header.get(15).map(String::as_str), Some("reply_to"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let link = |id: &str| format!("https://example.org/articles/a/#{id}");
    let cells = |r: &csv::StringRecord, c: &[&str]| -> Vec<String> {
        c.iter().map(|n| r[col(n)].to_string()).collect()
    };
    let shown = ["quote", "note", "author", "date", "link", "reply_to"];
    assert_eq!(rows.len(), 4, "two notes and two replies: {rows:?}");
    assert_eq!(
        cells(&rows[0], &shown),
        [
            "First claim here.",
            "A note.",
            "",
            "2021-06-01",
            &link("one"),
            ""
        ]
    );
    // Each reply follows its note; a formula-like reply is neutralised.
    assert_eq!(
        cells(&rows[1], &shown),
        [
            "",
            "'=1+1, said Bo",
            "Bo",
            "2021-07-02",
            &link("one"),
            &link("one")
        ]
    );
    assert_eq!(
        cells(&rows[2], &shown),
        [
            "",
            "Undated.\n\nTwo paragraphs.",
            "",
            "2021-06-01",
            &link("one"),
            &link("one")
        ]
    );
    assert_eq!(
        cells(&rows[3], &shown),
        [
            "Second claim there.",
            "Another, unanswered.",
            "",
            "2021-05-04",
            &link("two"),
            ""
        ]
    );
    for r in &rows[1..3] {
        assert_eq!(
            cells(r, &["article_title", "kind", "rating", "sources"]),
            ["A", "", "", ""]
        );
    }
}

// ---- Hypothesis annotations located only by position ----------------------

#[test]
fn hypothesis_positions_without_a_quote_are_anchored_when_they_fit() {
    let s = TestSite::new();
    s.file("site.yaml", "title: H\nbase_url: https://example.org/\n")
        .file(
            "content/articles/pos.md",
            "---\ntitle: Positions\noriginal_url: https://news.example/positions\n---\n\
             Smile 😀 first, then the report said so.\n\n\
             The deal was considered a hallmark achievement.\n\n\
             Some invoked the Logan Act of 1799 at once.\n",
        )
        .file("positions.json", &fixture("positions.json"));
    let r = s.run(&["import", "hypothesis", "positions.json"]);
    r.assert_ok();
    let out = &r.stdout;
    for expected in [
        "added 2 notes to content/articles/pos.annotations.yaml",
        // Positions count UTF-16 units: the emoji is two of them.
        "annotation PoSfit01 quotes no text: its passage was taken at positions 106–123 of the article's text: \"Logan Act of 1799\"",
        "annotation PoScross quotes no text: its passage was taken at positions 25–49 of the article's text: \"report said so. The deal\"",
        "skipped annotation PoSfar01",
        "lie beyond the article's text",
        "skipped annotation RaNge001",
        "only a RangeSelector",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains("page note"), "{out}");
    let side =
        std::fs::read_to_string(s.root().join("content/articles/pos.annotations.yaml")).unwrap();
    assert!(side.contains("Logan Act of 1799"), "{side}");
    assert!(
        side.contains("the Logan Act of 1799") || side.contains("prefix"),
        "{side}"
    );
    // The derived selectors anchor: both notes are marked on the page,
    // the cross-paragraph one in each of its blocks.
    s.build().assert_ok();
    let page = s.read("articles/pos/index.html");
    assert!(page.contains("id=\"note-h-PoSfit01\""), "{page}");
    assert!(page.contains("id=\"note-h-PoScross\""), "{page}");
    let marks = page.matches("<mark").count();
    assert!(marks >= 3, "{marks} marks in {page}");
    assert!(!page.contains("PoSfar01") && !page.contains("RaNge001"));
}

// ---- 9. and 10. A long article, many notes ---------------------------------

/// An article of about `bytes` bytes of ordinary paragraphs, and a sidecar
/// of `notes` notes each quoting one of its sentences (spread over it).
fn long_article_site(bytes: usize, notes: usize) -> TestSite {
    const WORDS: &[&str] = &[
        "the", "archive", "of", "letters", "was", "kept", "in", "a", "cedar", "box", "that",
        "nobody", "opened", "for", "years", "until", "winter", "when", "she", "read", "them",
    ];
    let mut body = String::with_capacity(bytes + 1024);
    let mut sentences: Vec<String> = Vec::new();
    let mut state = 7u64;
    while body.len() < bytes {
        let para = sentences.len();
        if para.is_multiple_of(50) {
            body.push_str(&format!("## Part {para}\n\n"));
        }
        let mut words = Vec::new();
        for _ in 0..12 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            words.push(WORDS[(state >> 33) as usize % WORDS.len()]);
        }
        // The number makes every sentence unique, so each note anchors.
        let sentence = format!("Para {para} {}.", words.join(" "));
        // Paragraphs of ordinary length (about 400 bytes).
        let more = words.join(" ");
        body.push_str(&format!(
            "{sentence} Then {more}, {para}. And {more} again. Once more {more}; and a last {more}.\n\n"
        ));
        sentences.push(sentence);
    }
    let mut sidecar = String::new();
    for i in 0..notes {
        let s = &sentences[i * sentences.len() / notes.max(1)];
        sidecar.push_str(&format!("- quote: \"{s}\"\n  note: Note {i}.\n"));
    }
    let s = TestSite::new();
    s.file("site.yaml", "title: Long\nbase_url: https://example.org/\n")
        .file(
            "content/articles/long.md",
            &format!("---\ntitle: Long\ndate: 2024-01-02\n---\n{body}"),
        );
    if notes > 0 {
        s.file("content/articles/long.annotations.yaml", &sidecar);
    }
    s
}

/// Issue 16 item 9: a long article's build costs a small multiple of its
/// size. What grows with the article is measured: the peak for twice the
/// size minus the peak for the size, per byte added, so the program's own
/// fixed memory (thread pools, syntax sets, the cache) is not counted
/// against a small article. Without notes the build holds the Markdown and
/// its HTML (about 2x); with a note, the text index too (the text and its
/// folding: about 3.5x). The issue's bar is under 4x at 200 MB in release,
/// which is measured, not asserted (docs/benchmarks.md); this guard allows
/// 5x per added byte, which the event lists once held through the build
/// failed (4.9x without notes, from 8 to 16 MB in release), and a
/// buffer's doubling does not (1.6x and 3.2x in a debug build now).
/// `ROBUST_ARTICLE_MB` sets the size (default 8).
#[test]
fn a_long_article_builds_in_under_four_times_its_size() {
    let mb = env_count("ROBUST_ARTICLE_MB", 8);
    for notes in [0, 1] {
        let mut peaks = Vec::new();
        for size in [mb << 20, (2 * mb) << 20] {
            let s = long_article_site(size, notes);
            let (r, peak) = run_measured(&s, &["build"]);
            r.assert_ok();
            let page = s.read("articles/long/index.html");
            assert!(page.len() > size, "the whole article is on its page");
            assert_eq!(
                common::count(&page, "<aside class=\"margin-note\" id=\"note-"),
                notes
            );
            peaks.push(peak);
        }
        if let [Some(small), Some(big)] = peaks[..] {
            let added_kib = (mb << 10) as u64;
            let grew = big.saturating_sub(small);
            eprintln!(
                "{notes} notes: {mb} MB article: peak {small} KiB; {} MB: {big} KiB; {:.1}x per added byte",
                2 * mb,
                grew as f64 / added_kib as f64
            );
            assert!(
                grew < 5 * added_kib,
                "{notes} notes: {mb} more MB of article took {grew} KiB more at the peak"
            );
        }
    }
}

/// The page's body is spliced in where `{{ page.content | safe }}` writes
/// it (the template's context holds no copy of it); a template that reads
/// `page.content` any other way gets the whole body, as before.
#[test]
fn a_template_reading_the_body_otherwise_gets_the_whole_body() {
    let s = TestSite::new();
    s.file("site.yaml", "title: T\n")
        .file(
            "content/articles/a.md",
            "---\ntitle: A\ndate: 2024-01-02\n---\nHello *there*.\n",
        )
        .file(
            "templates/article.html",
            "[{{ page.content | length }}]{{ page.content | safe }}{% if page.content %}[{{ page.content }}]{% endif %}",
        );
    s.build().assert_ok();
    let body = "<p>Hello <em>there</em>.</p>\n";
    let page = s.read("articles/a/index.html");
    assert!(
        page.starts_with(&format!("[{}]{body}[&lt;p&gt;Hello", body.len())),
        "{page}"
    );
    // Written only whole, the body is spliced in.
    s.file(
        "templates/article.html",
        "<main>{{ page.content | safe }}</main>",
    );
    s.build().assert_ok();
    assert_eq!(
        s.read("articles/a/index.html"),
        format!("<main>{body}</main>")
    );
}

/// Issue 16 item 10: many notes on one long article take time about
/// linear in their sum, not their product. `ROBUST_NOTES` sets the notes
/// (default 3,000; the issue's case is 100,000); the deadline is only a
/// guard against a quadratic blow-up.
#[test]
fn many_notes_on_a_long_article_build_in_linear_time() {
    let notes = env_count("ROBUST_NOTES", 3_000);
    let s = long_article_site(notes * 400, notes);
    let started = Instant::now();
    let r = s.build();
    let took = started.elapsed();
    r.assert_ok();
    let page = s.read("articles/long/index.html");
    assert_eq!(
        common::count(&page, "<aside class=\"margin-note\" id=\"note-"),
        notes,
        "every note anchored"
    );
    eprintln!("{notes} notes: {took:?}");
    assert!(
        took < Duration::from_secs(300),
        "{notes} notes took {took:?}"
    );
}
