//! Bad input through the real binary, one fixture per case (issue 7).
//!
//! Every case starts from a small good site that has been built once (the
//! "previous output"), with a sentinel folder beside the site. Then the bad
//! input goes in and `marginalia build` runs under a deadline (a hang fails
//! the test instead of hanging it). Every case must:
//!
//! * exit 0 with a correct site, or 1 with a clear error naming the file
//!   (and line where there is one) — never panic, never hang;
//! * touch nothing outside the output folder: the whole temp folder (site,
//!   sentinel) is hashed before and after, and only `output/` may differ —
//!   and on an error not even that: the previous output stays as it was.
//!
//! Big fixtures (1 MB line, 10,000 nested lists, 50 MB article) are made at
//! test time, not committed. The whole suite takes about half a minute in
//! a debug build on 2 cores (the 50 MB article most of it).

use crate::common;

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(300);

const SITE: &str = "title: Bad input\nbase_url: https://example.org/\n";
const SOURCES: &str = "nyt:\n  name: The New York Times\n  kind: publication\n";
const GOOD: &str = "---\ntitle: A good article\ndate: 2021-05-04\nsource: nyt\n---\n\
                    The archive keeps this article safe.\n";
const GOOD_NOTES: &str = "- quote: keeps this article\n  note: A note.\n  sources: [nyt]\n";

/// What a run of the binary did.
struct Run {
    code: i32,
    #[allow(dead_code)]
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs `marginalia <args>` in `dir`, killing it (and failing) at the
/// deadline. Output is drained in threads so a chatty run cannot block.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_with_deadline(dir, args, TIMEOUT)
}

fn run_with_deadline(dir: &Path, args: &[&str], deadline: Duration) -> Run {
    let started = Instant::now();
    let mut child = common::bin()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start marginalia");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("marginalia {args:?} hung: killed after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        elapsed: started.elapsed(),
    };
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "marginalia panicked:\n{}",
        run.stderr
    );
    assert!(
        run.code == 0 || run.code == 1,
        "exit {} (killed by a signal?)\n{}",
        run.code,
        run.stderr
    );
    run
}

/// A kind and hash per path: enough to see any change.
type Snapshot = BTreeMap<String, String>;

fn snapshot(base: &Path) -> Snapshot {
    let mut s = Snapshot::new();
    snap_into(base, base, &mut s);
    s
}

fn snap_into(base: &Path, dir: &Path, s: &mut Snapshot) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&p).unwrap();
            s.insert(rel, format!("link {}", target.display()));
        } else if meta.is_dir() {
            s.insert(rel, "dir".into());
            snap_into(base, &p, s);
        } else {
            let mut h = DefaultHasher::new();
            std::fs::read(&p).unwrap().hash(&mut h);
            s.insert(rel, format!("file {} {:x}", meta.len(), h.finish()));
        }
    }
}

/// Everything but the output folder.
fn without_output(s: &Snapshot) -> Snapshot {
    s.iter()
        .filter(|(k, _)| *k != "site/output" && !k.starts_with("site/output/"))
        // What builds keep beside the output: the old site as the next
        // build's spare, and the sums of the output's files.
        .filter(|(k, _)| !k.starts_with("site/.output.marginalia-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A good site, built once, with a sentinel folder beside it.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let c = Case {
            dir: tempfile::tempdir().unwrap(),
        };
        c.write("site.yaml", SITE)
            .write("content/sources.yaml", SOURCES)
            .write("content/articles/good.md", GOOD)
            .write("content/articles/good.annotations.yaml", GOOD_NOTES);
        let sentinel = c.dir.path().join("sentinel");
        std::fs::create_dir_all(sentinel.join("inner")).unwrap();
        std::fs::write(sentinel.join("keep.txt"), "not yours").unwrap();
        std::fs::write(sentinel.join("inner/also.txt"), "nor this").unwrap();
        let r = c.build();
        assert_eq!(r.code, 0, "the good site does not build:\n{}", r.stderr);
        assert!(c.out("articles/good/index.html").is_file());
        c
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Case {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    fn out(&self, rel: &str) -> PathBuf {
        self.root().join("output").join(rel)
    }

    fn read_out(&self, rel: &str) -> String {
        let p = self.out(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn build(&self) -> Run {
        run_in(&self.root(), &["build"])
    }

    /// The build must fail with exit 1, say each of `expected`, and change
    /// nothing at all (the previous output included).
    #[track_caller]
    fn expect_error(&self, expected: &[&str]) -> Run {
        let before = snapshot(self.dir.path());
        let run = self.build();
        assert_eq!(run.code, 1, "expected an error\n{}", run.stderr);
        for e in expected {
            assert!(
                run.stderr.contains(e),
                "expected {e:?} in the report:\n{}",
                run.stderr
            );
        }
        assert!(
            run.stderr
                .contains("build failed; the previous output (if any) is untouched"),
            "{}",
            run.stderr
        );
        // The spare is scratch space a build writes over (README, "The
        // spare"): a failed build may have written into it.
        let spare = |s: Snapshot| -> Snapshot {
            s.into_iter()
                .filter(|(k, _)| !k.starts_with("site/.output.marginalia-spare"))
                .collect()
        };
        assert_eq!(
            spare(before),
            spare(snapshot(self.dir.path())),
            "a failed build changed files"
        );
        run
    }

    /// The build must succeed and change nothing but the output folder,
    /// which must be a complete site (marker, home, the good article).
    #[track_caller]
    fn expect_ok(&self) -> Run {
        let before = without_output(&snapshot(self.dir.path()));
        let run = self.build();
        assert_eq!(run.code, 0, "expected a build\n{}", run.stderr);
        assert_eq!(
            before,
            without_output(&snapshot(self.dir.path())),
            "the build changed files outside output/"
        );
        assert!(self.out(".marginalia").is_file());
        assert!(self.out("index.html").is_file());
        let good = self.read_out("articles/good/index.html");
        assert!(good.contains("The archive ") && good.contains(" safe."));
        run
    }
}

// --- Encodings and line endings -------------------------------------------

#[test]
fn non_utf8_article_is_refused_at_the_first_bad_byte() {
    let c = Case::new();
    c.write(
        "content/articles/latin1.md",
        b"---\ntitle: Latin-1\n---\nCaf\xe9 au lait\n",
    );
    c.expect_error(&[
        "content/articles/latin1.md:4:4",
        "this file is not valid UTF-8 text",
    ]);
}

#[test]
fn non_utf8_sidecar_and_sources_are_refused() {
    let c = Case::new();
    c.write(
        "content/articles/good.annotations.yaml",
        b"- quote: keeps\n  note: \xff\xfe\n",
    );
    c.write("content/sources.yaml", b"nyt:\n  name: \x80\n");
    c.expect_error(&[
        "content/articles/good.annotations.yaml:2:9",
        "sources.yaml",
        "not valid UTF-8",
    ]);
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let c = Case::new();
    c.write(
        "content/articles/bom.md",
        "\u{feff}---\ntitle: With a BOM\ndate: 2021-01-01\n---\nBody text.\n",
    )
    .write(
        "content/articles/bom.annotations.yaml",
        "\u{feff}- quote: Body text\n  note: n\n",
    )
    .write("site.yaml", format!("\u{feff}{SITE}"));
    c.expect_ok();
    let page = c.read_out("articles/bom/index.html");
    assert!(page.contains("<title>With a BOM"), "{page}");
    assert!(page.contains("data-note=\"note-n1\""));
    assert!(!page.contains('\u{feff}'));
}

#[test]
fn crlf_line_endings_build_like_lf() {
    let c = Case::new();
    c.write(
        "content/articles/crlf.md",
        "---\r\ntitle: CRLF\r\ndate: 2021-01-01\r\ntags: [a, b]\r\n---\r\nFirst line\r\nsecond line.\r\n\r\nNext paragraph.\r\n",
    )
    .write(
        "content/articles/crlf.annotations.yaml",
        "- quote: First line second line\r\n  note: |\r\n    Spans a line break.\r\n- quote: Next\r\n  note: n\r\n",
    );
    c.expect_ok();
    let page = c.read_out("articles/crlf/index.html");
    assert!(page.contains("<title>CRLF"));
    assert_eq!(common::count(&page, "<aside class=\"margin-note\""), 2);
    assert!(!page.contains('\r'));
    // An error in a CRLF file points at the right line.
    c.write(
        "content/articles/crlf.md",
        "---\r\ntitle: CRLF\r\ndate: 2021-01-01\r\n---\r\nx\r\n\r\n[a](missing.md)\r\n",
    );
    c.write("content/articles/crlf.annotations.yaml", "");
    c.expect_error(&["content/articles/crlf.md:7:1", "no content file"]);
}

#[test]
fn empty_files_build() {
    let c = Case::new();
    c.write("content/articles/empty.md", "")
        .write("content/articles/empty.annotations.yaml", "")
        .write("content/articles/_index.md", "")
        .write("content/_index.md", "")
        .write("content/blank.md", "")
        .write("content/sources.yaml", "")
        .write(
            "content/articles/good.md",
            GOOD.replace("source: nyt\n", ""),
        )
        .write(
            "content/articles/good.annotations.yaml",
            "- quote: keeps this article\n  note: A note.\n",
        )
        .write("site.yaml", "");
    let run = c.expect_ok();
    assert!(
        run.stderr.contains("content/articles/empty.md"),
        "{}",
        run.stderr
    );
    assert!(c.out("articles/empty/index.html").is_file());
    assert!(c.out("blank/index.html").is_file());
}

#[test]
fn empty_front_matter_and_only_front_matter_build() {
    let c = Case::new();
    c.write("content/articles/e1.md", "---\n---\n")
        .write("content/articles/e2.md", "---\n---")
        .write(
            "content/articles/e3.md",
            "---\ntitle: Only front matter\n---\n",
        );
    c.expect_ok();
    assert!(
        c.read_out("articles/e3/index.html")
            .contains("Only front matter")
    );
}

// --- Broken YAML ----------------------------------------------------------

#[test]
fn front_matter_never_closed_is_an_error() {
    let c = Case::new();
    c.write(
        "content/articles/open.md",
        "---\ntitle: Never closed\ndate: 2021-01-01\n\nThe body was meant to start here.\n",
    );
    c.expect_error(&[
        "content/articles/open.md:1:1",
        "the front matter that starts here is never closed",
    ]);
}

fn billion_laughs() -> String {
    let mut y = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        y.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    y
}

#[test]
fn yaml_alias_bombs_are_refused_everywhere() {
    let c = Case::new();
    let bomb = billion_laughs();
    c.write(
        "content/articles/laughs.md",
        format!("---\ntitle: Laughs\n{bomb}---\nBody.\n"),
    )
    .write(
        "content/articles/good.annotations.yaml",
        format!(
            "- quote: keeps\n  note: n\n  extra:\n    {}",
            bomb.replace('\n', "\n    ")
        ),
    )
    .write("content/sources.yaml", format!("{SOURCES}{bomb}"))
    .write(
        "site.yaml",
        format!("{SITE}extra:\n  {}", bomb.replace('\n', "\n  ")),
    );
    let run = c.expect_error(&[
        "content/articles/laughs.md:",
        "content/articles/good.annotations.yaml:",
        "content/sources.yaml:",
        "site.yaml:",
        "repetition limit",
        "too many or too deeply nested aliases",
    ]);
    assert!(run.elapsed < Duration::from_secs(60));
}

#[test]
fn deeply_nested_yaml_is_refused() {
    let c = Case::new();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    c.write(
        "content/articles/deep.md",
        format!("---\ntitle: Deep\nextra: {deep}\n---\nBody.\n"),
    );
    c.expect_error(&["content/articles/deep.md:", "recursion limit"]);
}

// --- Size and depth -------------------------------------------------------

#[test]
fn a_one_megabyte_line_builds() {
    let c = Case::new();
    let mut line = String::with_capacity(1 << 20);
    let mut i = 0;
    while line.len() < 1 << 20 {
        line.push_str(&format!("word{i} &amp; \"quoted\" -- text "));
        i += 1;
    }
    c.write(
        "content/articles/wide.md",
        format!("---\ntitle: Wide\ndate: 2021-01-01\n---\n{line}THE END\n"),
    )
    .write(
        "content/articles/wide.annotations.yaml",
        "- quote: word12345 & “quoted” – text\n  note: In the middle of the line.\n- quote: THE END\n  note: At its end.\n",
    );
    c.expect_ok();
    let page = c.read_out("articles/wide/index.html");
    assert_eq!(common::count(&page, "<aside class=\"margin-note\""), 2);
}

#[test]
fn ten_thousand_nested_lists_and_blockquotes_build() {
    let c = Case::new();
    let lists = format!("{}deep item\n", "- ".repeat(10_000));
    let quotes = format!("{} deep quote\n", ">".repeat(10_000));
    let mixed = format!("{}mixed\n", "> - ".repeat(5_000));
    c.write(
        "content/articles/nested.md",
        format!("---\ntitle: Nested\ndate: 2021-01-01\n---\n{lists}\n\n{quotes}\n\n{mixed}"),
    )
    .write(
        "content/articles/nested.annotations.yaml",
        "- quote: deep item\n  note: n\n- quote: deep quote\n  note: n\n",
    );
    // The same with raw HTML, so the sanitiser walks the deep tree too.
    c.write(
        "content/articles/nested-html.md",
        format!(
            "---\ntitle: Nested HTML\ndate: 2021-01-01\n---\n<b>raw</b>\n\n{lists}\n\n{quotes}\n\n{}x{}\n",
            "<div>".repeat(10_000),
            "</div>".repeat(10_000)
        ),
    );
    c.expect_ok();
    let page = c.read_out("articles/nested/index.html");
    assert!(page.contains("deep item") && page.contains("deep quote"));
    assert!(
        c.read_out("articles/nested-html/index.html")
            .contains("deep quote")
    );
}

/// Roughly `bytes` of Markdown paragraphs, with a findable last sentence.
fn big_article(bytes: usize) -> String {
    let para = "Archived text goes on, with *emphasis*, a [link](https://example.org/) \
                and `code`, \"quotes\" -- and dashes, for a while.\n\n";
    let mut s = String::with_capacity(bytes + 1024);
    s.push_str("---\ntitle: Huge\ndate: 2021-01-01\n---\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("## Part {i}\n\n"));
        for _ in 0..20 {
            s.push_str(para);
        }
        i += 1;
    }
    s.push_str("The very last sentence of the archive.\n");
    s
}

/// Ignored by plain `cargo test`: a debug build spends minutes on 50 MB
/// (over its deadline when the machine is busy), which measures the debug
/// build, not marginalia. `.ci/run` runs it against the release binary.
#[test]
#[ignore = "50 MB through a debug build takes minutes; .ci/run runs it in release"]
fn a_fifty_megabyte_article_builds() {
    let c = Case::new();
    c.write("content/articles/huge.md", big_article(50 << 20))
        .write(
            "content/articles/huge.annotations.yaml",
            "- quote: The very last sentence\n  note: At the end.\n- quote: Part 1000\n  occurrence: 1\n  note: A heading.\n",
        );
    let run = c.expect_ok();
    eprintln!("50 MB article built in {:?}", run.elapsed);
    let page = std::fs::metadata(c.out("articles/huge/index.html")).unwrap();
    assert!(page.len() > 50 << 20);
}

/// Inputs that once took minutes (or filled the disk) because some step
/// was quadratic in them (each fixed in its own commit); together they
/// must build (or fail) in well under a minute, even in a debug build.
#[test]
fn once_quadratic_inputs_stay_fast() {
    let c = Case::new();
    let fm = "---\ntitle: T\ndate: 2021-01-01\n---\n";
    // 20,000 headings with one text (heading ids).
    c.write(
        "content/articles/headings.md",
        format!("{fm}{}", "# a\n\n".repeat(20_000)),
    );
    // A paragraph of 100,000 smart quotes and entities (text merging).
    c.write(
        "content/articles/quotes.md",
        format!("{fm}{}\n", "\"a\" 'b' -- &amp; ".repeat(100_000)),
    );
    // 10,000 notes in 10,000 paragraphs (note lookup, key locations), and
    // 10,000 broken notes (key locations on every error).
    let words: String = (0..10_000).map(|i| format!("w{i}x para\n\n")).collect();
    let notes: String = (0..10_000)
        .map(|i| format!("- quote: w{i}x para\n  note: n\n  sources: [nyt]\n"))
        .collect();
    c.write("content/articles/many.md", format!("{fm}{words}"))
        .write("content/articles/many.annotations.yaml", notes);
    let broken: String = (0..10_000)
        .map(|_| "- quote: x\n  note: n\n  id: '1bad'\n  date: nope\n  occurrence: 0\n".to_string())
        .collect();
    c.write("content/articles/broken.md", format!("{fm}x\n"))
        .write("content/articles/broken.annotations.yaml", broken);
    // A short quote occurring 200,000 times with a 50,000-char prefix.
    c.write(
        "content/articles/prefix.md",
        format!("{fm}{}\n", "a".repeat(200_000)),
    )
    .write(
        "content/articles/prefix.annotations.yaml",
        format!("- quote: a\n  prefix: {}\n  note: n\n", "a".repeat(50_000)),
    );
    // 50,000 nested list items next to raw HTML (the sanitiser's tree).
    c.write(
        "content/articles/deep.md",
        format!("{fm}<b>raw</b>\n\n{}x\n", "- ".repeat(50_000)),
    );
    // 20,000 tags on one article: each tag page would list all of them
    // (about 20 GB of output); lists are capped, with an error.
    let tags: Vec<String> = (0..20_000).map(|i| format!("t{i}")).collect();
    c.write(
        "content/articles/tags.md",
        format!(
            "---\ntitle: T\ndate: 2021-01-01\ntags: [{}]\n---\nx\n",
            tags.join(",")
        ),
    );
    let before = snapshot(c.dir.path());
    let run = run_with_deadline(&c.root(), &["build"], Duration::from_secs(120));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("content/articles/tags.md:4:1: `tags` lists 20000 items; at most 100"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("content/articles/broken.annotations.yaml:")
    );
    assert!(
        run.stderr
            .contains("content/articles/prefix.annotations.yaml:1")
    );
    assert_eq!(before, snapshot(c.dir.path()));
    eprintln!("once-quadratic inputs: {:?}", run.elapsed);
}

// --- Symlinks -------------------------------------------------------------

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_not_followed() {
    use std::os::unix::fs::symlink;
    let c = Case::new();
    let articles = c.root().join("content/articles");
    // A folder linking back to its parent, and two links pointing at each other.
    symlink("..", articles.join("up")).unwrap();
    symlink(articles.join("ping.md"), articles.join("pong.md")).unwrap();
    symlink(articles.join("pong.md"), articles.join("ping.md")).unwrap();
    symlink("self.md", articles.join("self.md")).unwrap();
    c.expect_error(&[
        "content/articles/ping.md",
        "content/articles/pong.md",
        "content/articles/self.md",
        "this symlink loops",
    ]);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_site_are_refused() {
    use std::os::unix::fs::symlink;
    let c = Case::new();
    let sentinel = c.dir.path().join("sentinel");
    let articles = c.root().join("content/articles");
    symlink(sentinel.join("keep.txt"), articles.join("stolen.md")).unwrap();
    symlink(&sentinel, articles.join("stolen-folder")).unwrap();
    std::fs::create_dir_all(c.root().join("static")).unwrap();
    symlink(sentinel.join("keep.txt"), c.root().join("static/keep.txt")).unwrap();
    c.expect_error(&[
        "content/articles/stolen.md",
        "content/articles/stolen-folder",
        "static/keep.txt",
        "this symlink leads outside the site",
    ]);
    assert!(!c.out("static/keep.txt").exists() && !c.out("keep.txt").exists());
}

// --- Addresses ------------------------------------------------------------

#[test]
fn slugs_cannot_leave_the_output_folder() {
    let c = Case::new();
    for (i, slug) in [
        "../../../escaped",
        "/etc/passwd",
        "a\\u0000b",
        "..",
        "/",
        "C:\\\\Windows",
    ]
    .iter()
    .enumerate()
    {
        c.write(
            &format!("content/articles/s{i}.md"),
            format!("---\ntitle: S{i}\ndate: 2021-01-01\nslug: \"{slug}\"\n---\nText {i}.\n"),
        );
    }
    // `..` and `/` have no letters to make an address from: an error that
    // names the slug, and nothing is written.
    let run = c.expect_error(&["content/articles/s3.md:4:1", "content/articles/s4.md:4:1"]);
    assert!(
        run.stderr.contains("has no letters or digits"),
        "{}",
        run.stderr
    );
    c.write(
        "content/articles/s3.md",
        "---\ntitle: S3\ndate: 2021-01-01\n---\nText 3.\n",
    )
    .write(
        "content/articles/s4.md",
        "---\ntitle: S4\ndate: 2021-01-01\n---\nText 4.\n",
    );
    c.expect_ok();
    for page in [
        "articles/escaped/index.html",
        "articles/etc-passwd/index.html",
        "articles/a-b/index.html",
        "articles/c-windows/index.html",
    ] {
        assert!(c.out(page).is_file(), "{page} missing");
    }
}

#[test]
fn hostile_tags_and_source_keys_stay_inside() {
    let c = Case::new();
    c.write(
        "content/sources.yaml",
        format!("{SOURCES}\"../../../x\":\n  name: Climber\n"),
    )
    .write(
        "content/articles/t.md",
        "---\ntitle: T\ndate: 2021-01-01\nsource: \"../../../x\"\ntags: [\"../../up\", \"/abs\", \"a\\u0000b\"]\n---\nText.\n",
    );
    c.expect_ok();
    assert!(c.out("sources/x/index.html").is_file());
    assert!(c.out("tags/up/index.html").is_file());
    assert!(c.out("tags/abs/index.html").is_file());
    assert!(c.out("tags/a-b/index.html").is_file());
}

#[test]
fn two_articles_with_one_url_is_an_error_naming_both() {
    let c = Case::new();
    c.write(
        "content/articles/one.md",
        "---\ntitle: One\ndate: 2021-01-01\nslug: same\n---\nOne.\n",
    )
    .write(
        "content/articles/two.md",
        "---\ntitle: Two\ndate: 2021-01-02\nslug: same\n---\nTwo.\n",
    );
    c.expect_error(&[
        "two things would be written to /articles/same/",
        "content/articles/one.md",
        "content/articles/two.md",
    ]);
}

#[test]
fn a_page_and_a_bundle_with_one_url_is_an_error() {
    let c = Case::new();
    c.write(
        "content/articles/dup.md",
        "---\ntitle: File\ndate: 2021-01-01\n---\nA.\n",
    )
    .write(
        "content/articles/dup/index.md",
        "---\ntitle: Bundle\ndate: 2021-01-01\n---\nB.\n",
    )
    .write("content/tags.md", "---\ntitle: Tags page\n---\nC.\n");
    c.expect_error(&[
        "two things would be written to /articles/dup/",
        "two things would be written to /tags/",
    ]);
}

#[test]
fn a_sidecar_beside_no_article_is_an_error() {
    let c = Case::new();
    c.write(
        "content/articles/lost.annotations.yaml",
        "- quote: x\n  note: y\n",
    );
    c.expect_error(&[
        "content/articles/lost.annotations.yaml",
        "this sidecar is beside no article: there is no lost.md",
    ]);
}

// --- The output folder ----------------------------------------------------

#[test]
fn output_dir_at_the_file_system_root_is_refused() {
    let c = Case::new();
    let names = |p: &str| {
        let mut v: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        v.sort();
        v
    };
    let root_before = names("/");
    c.write("site.yaml", format!("{SITE}output_dir: /\n"));
    c.expect_error(&["it is the root of the file system"]);
    c.write("site.yaml", format!("{SITE}output_dir: /tmp/../\n"));
    c.expect_error(&["it is the root of the file system"]);
    assert_eq!(root_before, names("/"));
    // --output too.
    c.write("site.yaml", SITE);
    let before = snapshot(c.dir.path());
    let run = run_in(&c.root(), &["build", "--output", "/"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("it is the root of the file system"));
    assert_eq!(before, snapshot(c.dir.path()));
    assert_eq!(root_before, names("/"));
}

#[test]
fn output_dir_at_the_site_root_or_its_parent_is_refused() {
    let c = Case::new();
    for dir in [".", "./", "content/..", ".."] {
        c.write("site.yaml", format!("{SITE}output_dir: \"{dir}\"\n"));
        let run = c.expect_error(&["refusing to use this folder as the output"]);
        assert!(
            run.stderr.contains("it is the site root") || run.stderr.contains("it holds the site"),
            "{dir}: {}",
            run.stderr
        );
    }
}

#[test]
fn output_dir_inside_content_is_refused() {
    let c = Case::new();
    for dir in [
        "content",
        "content/articles",
        "content/new-folder",
        "static",
    ] {
        c.write("site.yaml", format!("{SITE}output_dir: {dir}\n"));
        c.expect_error(&[
            "refusing to use this folder as the output",
            "inside the site's",
        ]);
    }
}

#[test]
fn output_dir_holding_other_files_is_refused() {
    let c = Case::new();
    c.write("stuff/notes.txt", "my notes")
        .write("stuff/deeper/more.txt", "more");
    c.write("site.yaml", format!("{SITE}output_dir: stuff\n"));
    c.expect_error(&["it holds files that marginalia did not write"]);
    c.write("site.yaml", format!("{SITE}output_dir: ../sentinel\n"));
    c.expect_error(&["it holds files that marginalia did not write"]);
    // A file where the folder should be.
    c.write("site.yaml", format!("{SITE}output_dir: site.yaml\n"));
    c.expect_error(&["it is a file, not a folder"]);
    // A folder marginalia wrote, into which someone put a file, is still
    // replaced (the marker says it is ours) — but not when the marker is gone.
    c.write("site.yaml", SITE);
    std::fs::remove_file(c.out(".marginalia")).unwrap();
    c.expect_error(&["it holds files that marginalia did not write"]);
}

#[test]
fn an_empty_output_dir_elsewhere_is_used() {
    let c = Case::new();
    std::fs::create_dir_all(c.dir.path().join("elsewhere")).unwrap();
    c.write("site.yaml", format!("{SITE}output_dir: ../elsewhere\n"));
    let run = c.build();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(c.dir.path().join("elsewhere/.marginalia").is_file());
    assert!(
        c.dir
            .path()
            .join("elsewhere/articles/good/index.html")
            .is_file()
    );
}
