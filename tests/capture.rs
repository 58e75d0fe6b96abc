//! `marginalia archive`: fixture pages of the common shapes captured
//! through the binary, fetching against a loopback HTTP server the test
//! starts, the evidence rule in the built site, and `check` on an edited
//! original.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{self, TestSite};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/capture")
        .join(name)
}

fn site() -> TestSite {
    let s = TestSite::new();
    s.file(
        "content/sources.yaml",
        "# Where articles come from.\n\n# --- newspapers ---\nledger:\n  name: \"The Coastal Ledger\"\n  url: \"https://coastal-ledger.example/\"\n  kind: publication\n",
    );
    s
}

/// `marginalia archive …` in the site, with no proxy from the
/// environment (the loopback server must be reached directly) and a
/// short fetch timeout.
fn archive(s: &TestSite, args: &[&str]) -> common::Run {
    archive_with_timeout(s, args, 1500)
}

fn archive_with_timeout(s: &TestSite, args: &[&str], ms: u64) -> common::Run {
    let mut cmd: Command = common::bin();
    cmd.arg("archive")
        .args(args)
        .current_dir(s.root())
        .env("MARGINALIA_FETCH_TIMEOUT_MS", ms.to_string());
    for v in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    let out = cmd.output().expect("run marginalia");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn read(s: &TestSite, rel: &str) -> String {
    std::fs::read_to_string(s.root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The article path `archive` printed (its last line of stdout).
fn printed_path(r: &common::Run) -> String {
    r.stdout.lines().last().unwrap_or("").trim().to_string()
}

/// Front matter and body of an index.md.
fn split(text: &str) -> (String, String) {
    let rest = text.strip_prefix("---\n").expect("front matter");
    let (fm, body) = rest.split_once("\n---\n").expect("closed front matter");
    (fm.to_string(), body.to_string())
}

fn fm_value(fm: &str, key: &str) -> Option<String> {
    fm.lines().find_map(|l| {
        let v = l.strip_prefix(&format!("{key}: "))?;
        Some(serde_json::from_str::<String>(v).unwrap_or_else(|_| v.to_string()))
    })
}

/// Captures a fixture file and returns (index.md path, front matter, body).
fn capture(s: &TestSite, name: &str, extra: &[&str]) -> (String, String, String) {
    let path = fixture(name);
    let mut args = vec![path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let r = archive(s, &args);
    r.assert_ok();
    let index = printed_path(&r);
    assert!(index.ends_with("/index.md"), "{}", r.stdout);
    let (fm, body) = split(&read(s, &index));
    (index, fm, body)
}

fn assert_gone(body: &str, furniture: &[&str]) {
    for f in furniture {
        assert!(!body.contains(f), "furniture {f:?} left in:\n{body}");
    }
}

#[test]
fn news_page_keeps_the_story_and_leaves_the_furniture() {
    let s = site();
    let (index, fm, body) = capture(&s, "news.html", &[]);
    assert_eq!(
        index,
        "content/articles/harbour-council-delays-flood-wall-vote-after-cost-doubles/index.md"
    );
    assert_eq!(
        fm_value(&fm, "title").as_deref(),
        Some("Harbour council delays flood wall vote after cost doubles")
    );
    assert_eq!(fm_value(&fm, "author").as_deref(), Some("Priya Raman"));
    assert_eq!(
        fm_value(&fm, "date").as_deref(),
        Some("2025-03-14T08:30:00+00:00")
    );
    // Matched by host (the registry's url has no www.).
    assert_eq!(fm_value(&fm, "source").as_deref(), Some("ledger"));
    assert_eq!(
        fm_value(&fm, "original_url").as_deref(),
        Some("https://www.coastal-ledger.example/news/2025/03/flood-wall-vote-delayed")
    );
    assert_eq!(fm_value(&fm, "lang").as_deref(), Some("en-GB"));
    assert!(
        fm_value(&fm, "description")
            .unwrap()
            .contains("£48 million")
    );
    let archived = fm_value(&fm, "archived").unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&archived).is_ok() && archived.ends_with('Z'),
        "{archived}"
    );
    // Structure survives as Markdown.
    assert!(body.contains("## Where the money goes"), "{body}");
    assert!(
        body.contains("- higher prices for steel sheet piling"),
        "{body}"
    );
    assert!(body.contains("*did not include at all*"), "{body}");
    assert!(body.contains("**Helen Achebe**"), "{body}");
    assert!(body.contains("> The wall is not a luxury."), "{body}");
    assert!(
        body.contains("| Revised estimate | 2025 | £48m |"),
        "{body}"
    );
    // Relative links made absolute against the page's address.
    assert!(
        body.contains("[council documents page](https://www.coastal-ledger.example/documents/flood-wall-report.pdf)"),
        "{body}"
    );
    assert!(!body.contains('<'), "no raw HTML: {body}");
    assert_gone(
        &body,
        &[
            "cookies",
            "Subscribe today",
            "ADVERTISEMENT",
            "Share on Chirper",
            "Related stories",
            "comments",
            "Typical council",
            "Post comment",
            "newsletter",
            "All rights reserved",
        ],
    );
    // The bundle: exact bytes, their hash, an empty sidecar.
    let dir = s.root().join(index.trim_end_matches("index.md"));
    let original = std::fs::read(dir.join("original.html")).unwrap();
    assert_eq!(original, std::fs::read(fixture("news.html")).unwrap());
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&original)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(fm_value(&fm, "archive_sha256"), Some(sha));
    let sidecar = std::fs::read_to_string(dir.join("index.annotations.yaml")).unwrap();
    assert!(sidecar.lines().all(|l| l.starts_with('#')), "{sidecar}");
}

#[test]
fn blogger_post_without_its_comment_furniture() {
    let s = site();
    let (_, fm, body) = capture(&s, "blogger.html", &[]);
    assert_eq!(
        fm_value(&fm, "title").as_deref(),
        Some("Why my tomatoes split (and what I do now)")
    );
    assert_eq!(fm_value(&fm, "author").as_deref(), Some("Margaret Lowe"));
    assert_eq!(
        fm_value(&fm, "date").as_deref(),
        Some("2024-08-17T09:12:00+01:00")
    );
    assert!(body.contains("1. I water a little every evening"), "{body}");
    assert!(body.contains("If you have other tricks, I would love to hear them."));
    assert_gone(
        &body,
        &[
            "No comments",
            "Post a Comment",
            "Posted by",
            "Email This",
            "BlogThis",
            "Share to",
            "Newer Post",
            "Older Post",
            "Subscribe to",
            "Blog Archive",
            "View my complete profile",
            "Powered by",
            "Labels:",
        ],
    );
    // A new publication, appended to the registry as text.
    let reg = read(&s, "content/sources.yaml");
    assert!(reg.starts_with("# Where articles come from.\n\n# --- newspapers ---\nledger:\n"));
    assert!(
        reg.ends_with(
            "\nallotment-notes-blogspot:\n  name: \"Notes from the Allotment\"\n  url: \"https://allotment-notes.blogspot.example/\"\n  kind: publication\n"
        ),
        "{reg}"
    );
    assert_eq!(
        fm_value(&fm, "source").as_deref(),
        Some("allotment-notes-blogspot")
    );
    s.run(&["check"]).assert_ok();
}

#[test]
fn json_ld_metadata() {
    let s = site();
    let (_, fm, body) = capture(&s, "jsonld.html", &[]);
    assert_eq!(
        fm_value(&fm, "title").as_deref(),
        Some("Stadtwerke erhöhen Fernwärmepreis um elf Prozent")
    );
    assert_eq!(fm_value(&fm, "author").as_deref(), Some("Jonas Albrecht"));
    assert_eq!(
        fm_value(&fm, "date").as_deref(),
        Some("2025-10-02T06:00:00+02:00")
    );
    assert_eq!(fm_value(&fm, "lang").as_deref(), Some("de"));
    assert_eq!(
        fm_value(&fm, "original_url").as_deref(),
        Some("https://rundschau-nordstadt.example/lokales/fernwaerme-preise-2026")
    );
    assert_eq!(
        fm_value(&fm, "source").as_deref(),
        Some("rundschau-nordstadt")
    );
    assert!(read(&s, "content/sources.yaml").contains("name: \"Nordstadt Rundschau\""));
    assert!(body.contains("„Die Preise sind in drei Jahren um fast die Hälfte gestiegen“"));
    assert_gone(
        &body,
        &[
            "Startseite",
            "Jetzt abonnieren",
            "Mehr aus Lokales",
            "Impressum",
        ],
    );
}

#[test]
fn windows_1252_page_is_decoded() {
    let s = site();
    let (_, fm, body) = capture(&s, "cp1252.html", &[]);
    assert_eq!(
        fm_value(&fm, "title").as_deref(),
        Some("Le marché couvert rouvre ses portes")
    );
    assert_eq!(fm_value(&fm, "author").as_deref(), Some("Claire Dubois"));
    assert_eq!(fm_value(&fm, "date").as_deref(), Some("2023-06-02"));
    assert_eq!(fm_value(&fm, "lang").as_deref(), Some("fr"));
    assert_eq!(fm_value(&fm, "source").as_deref(), Some("echo-du-canal"));
    assert!(
        body.contains("2,4 millions d’euros, soit 400\u{a0}000\u{a0}€ de plus que prévu"),
        "{body}"
    );
    assert!(body.contains("déjà occupés… et trois"), "{body}");
    assert_gone(&body, &["Accueil", "Mentions légales"]);
}

#[test]
fn relative_links_and_images_become_absolute_and_missing_metadata_warns() {
    let s = site();
    let path = fixture("relative.html");
    // Without an address: a warning, and no made-up original_url or source.
    let r = archive(&s, &[path.to_str().unwrap(), "--slug", "Rooks"]);
    r.assert_ok();
    assert!(r.stderr.contains("no canonical address"), "{}", r.stderr);
    assert!(
        r.stderr.contains("does not say") || r.stderr.contains("source"),
        "{}",
        r.stderr
    );
    assert_eq!(printed_path(&r), "content/articles/rooks/index.md");
    let (fm, _) = split(&read(&s, "content/articles/rooks/index.md"));
    assert_eq!(fm_value(&fm, "original_url"), None);
    assert_eq!(fm_value(&fm, "source"), None);

    let (index, fm, body) = capture(
        &s,
        "relative.html",
        &[
            "--url",
            "https://birdguide.example/guides/corvids/rook-or-crow.html",
            "--section",
            "birds",
        ],
    );
    assert!(index.starts_with("content/birds/"), "{index}");
    assert_eq!(fm_value(&fm, "author").as_deref(), Some("Tomasz Nowak"));
    assert_eq!(
        fm_value(&fm, "date").as_deref(),
        Some("2022-01-20T12:00:00+00:00")
    );
    for expected in [
        "[rook page](https://birdguide.example/guides/birds/rook.html)",
        "[crow page](https://birdguide.example/birds/crow.html)",
        "![A rook's bare grey face](https://birdguide.example/guides/corvids/images/rook-face.jpg)",
        "![Two crows on a fence](https://cdn.birdguide.example/img/crow-pair.jpg)",
        "[sounds page](https://birdguide.example/guides/corvids/sounds/#corvids)",
        "[forum](https://forum.birdguide.example/t/corvids)",
    ] {
        assert!(body.contains(expected), "{expected} missing from\n{body}");
    }
    assert_gone(&body, &["Shop", "Chirp this"]);
}

#[test]
fn hostile_page_leaves_nothing_executable_in_the_built_site() {
    let s = site();
    let (index, _, body) = capture(&s, "hostile.html", &[]);
    assert!(body.contains("Click here for the full study"), "{body}");
    assert!(body.contains("[summary](https://health-wonders.example/study.pdf)"));
    assert!(!body.contains("HOSTILE"), "{body}");
    for bad in [
        "javascript:",
        "vbscript:",
        "data:",
        "<script",
        "onclick",
        "<iframe",
    ] {
        assert!(!body.to_ascii_lowercase().contains(bad), "{bad} in {body}");
    }
    s.build().assert_ok();
    let slug_dir = index
        .trim_start_matches("content/")
        .trim_end_matches("index.md")
        .to_string();
    // The evidence is published only as plain text.
    let files = s.output_files();
    assert!(
        files.contains(&format!("{slug_dir}original.html.txt")),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with("original.html")),
        "{files:?}"
    );
    assert_eq!(
        std::fs::read(s.out(&format!("{slug_dir}original.html.txt"))).unwrap(),
        std::fs::read(fixture("hostile.html")).unwrap()
    );
    // Nothing from the captured page anywhere else.
    for f in &files {
        if f.ends_with(".txt") {
            continue;
        }
        let bytes = std::fs::read(s.out(f)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("HOSTILE"), "{f} holds hostile content");
    }
    let page = s.read(&format!("{slug_dir}index.html"));
    let body_html = page
        .split("<div class=\"article-body\">")
        .nth(1)
        .unwrap()
        .split("</article>")
        .next()
        .unwrap();
    common::assert_inert("article body", body_html, &|_| false);
    // The page links its evidence as text.
    assert!(
        page.contains(&format!(
            "href=\"/{slug_dir}original.html.txt\" type=\"text/plain\""
        )),
        "{page}"
    );
}

#[test]
fn capturing_twice_writes_nothing_and_a_changed_text_becomes_a_version() {
    let s = site();
    let (index, _, _) = capture(&s, "news.html", &[]);
    let before = common::walk(s.root());
    let sources_before = read(&s, "content/sources.yaml");
    let r = archive(&s, &[fixture("news.html").to_str().unwrap()]);
    r.assert_ok();
    assert!(r.stdout.contains("unchanged"), "{}", r.stdout);
    assert!(r.stdout.contains(&index), "{}", r.stdout);
    assert_eq!(common::walk(s.root()), before);
    assert_eq!(read(&s, "content/sources.yaml"), sources_before);

    // The same page (same canonical address, with tracking junk) whose
    // text changed: the old text is kept as a snapshot (DESIGN §10; more
    // in tests/versions.rs).
    let changed = std::fs::read_to_string(fixture("news.html"))
        .unwrap()
        .replace(
            "£48 million, almost double",
            "£52 million, more than double",
        );
    s.file("changed.html", &changed);
    let r = archive(
        &s,
        &[
            "changed.html",
            "--url",
            "http://www.coastal-ledger.example/news/2025/03/flood-wall-vote-delayed/?utm_source=x",
        ],
    );
    r.assert_ok();
    assert!(
        r.stdout.contains("changed: 2 words removed, 3 added"),
        "{}",
        r.stdout
    );
    assert!(read(&s, &index).contains("£52 million"));
    let after = common::walk(s.root());
    assert_eq!(after.len(), before.len() + 3, "{after:?}");
}

#[test]
fn check_catches_an_edited_original() {
    let s = site();
    let (index, _, _) = capture(&s, "news.html", &[]);
    s.run(&["check"]).assert_ok();
    let original = index.replace("index.md", "original.html");
    let mut bytes = std::fs::read(s.root().join(&original)).unwrap();
    bytes.extend_from_slice(b"<!-- tampered -->");
    std::fs::write(s.root().join(&original), bytes).unwrap();
    let r = s.run(&["check"]);
    r.assert_code(1);
    assert!(r.stderr.contains(&original), "{}", r.stderr);
    assert!(
        r.stderr.contains("not the page that was captured"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_existing_article_is_never_overwritten() {
    let s = site();
    s.file(
        "content/articles/harbour-council-delays-flood-wall-vote-after-cost-doubles/index.md",
        "---\ntitle: Mine\n---\nmy text\n",
    );
    let (index, _, _) = capture(&s, "news.html", &[]);
    assert_eq!(
        index,
        "content/articles/harbour-council-delays-flood-wall-vote-after-cost-doubles-2/index.md"
    );
    assert_eq!(
        read(
            &s,
            "content/articles/harbour-council-delays-flood-wall-vote-after-cost-doubles/index.md"
        ),
        "---\ntitle: Mine\n---\nmy text\n"
    );
}

#[test]
fn usage_errors() {
    let s = site();
    let r = archive(&s, &["ftp://x.example/a"]);
    r.assert_code(2);
    let r = archive(
        &s,
        &[fixture("news.html").to_str().unwrap(), "--source", "ledgr"],
    );
    r.assert_code(2);
    assert!(r.stderr.contains("did you mean `ledger`"), "{}", r.stderr);
    let empty = tempfile::tempdir().unwrap();
    let r = common::bin()
        .args(["archive", fixture("news.html").to_str().unwrap(), "--root"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    let r = archive(&s, &["missing.html"]);
    r.assert_code(1);
    assert!(
        r.stderr.contains("could not read missing.html"),
        "{}",
        r.stderr
    );
}

// --- fetching, against a loopback server -------------------------------

/// A tiny HTTP/1.1 server on 127.0.0.1 with the routes the tests need;
/// serves until the test process ends.
fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = serve(stream);
            });
        }
    });
    addr
}

fn respond(
    s: &mut TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)
}

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut ua = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if h.to_ascii_lowercase().starts_with("user-agent:") {
            ua = h[11..].trim().to_string();
        }
    }
    let html = |name: &str| std::fs::read(fixture(name)).unwrap();
    match path.as_str() {
        "/news" => respond(
            &mut stream,
            "200 OK",
            &[("Content-Type", "text/html; charset=utf-8")],
            &html("news.html"),
        ),
        "/final" => {
            // Only a client that names itself gets the page.
            if !ua.starts_with("marginalia/") {
                return respond(&mut stream, "403 Forbidden", &[], b"who are you?");
            }
            respond(
                &mut stream,
                "200 OK",
                &[("Content-Type", "text/html")],
                &html("relative.html"),
            )
        }
        p if p.starts_with("/hop/") => {
            let n: u32 = p[5..].parse().unwrap_or(0);
            let to = if n == 0 {
                "/final".to_string()
            } else {
                format!("/hop/{}", n - 1)
            };
            respond(&mut stream, "302 Found", &[("Location", &to)], b"")
        }
        "/loop" => respond(
            &mut stream,
            "301 Moved Permanently",
            &[("Location", "/loop")],
            b"",
        ),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(5));
            respond(
                &mut stream,
                "200 OK",
                &[("Content-Type", "text/html")],
                &html("news.html"),
            )
        }
        "/big" | "/big-unannounced" => {
            let total: usize = 21 * 1024 * 1024;
            let length = if path == "/big" {
                format!("Content-Length: {total}\r\n")
            } else {
                String::new()
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n{length}\r\n"
            );
            stream.write_all(head.as_bytes())?;
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                stream.write_all(&chunk)?;
                sent += chunk.len();
            }
            Ok(())
        }
        "/report.pdf" => respond(
            &mut stream,
            "200 OK",
            &[("Content-Type", "application/pdf")],
            b"%PDF-1.4",
        ),
        "/legacy" => {
            // The server's charset, not the page's, and no meta tag.
            let page = "<html lang=fr><head><title>Caf\u{e9}</title></head><body><article><h1>Caf\u{e9}</h1>\
                <p>\u{201c}Le caf\u{e9} co\u{fb}te 2\u{a0}\u{20ac}\u{201d}, dit la serveuse, qui travaille ici depuis vingt ans et conna\u{ee}t tous les habitu\u{e9}s du quartier par leur pr\u{e9}nom.</p>\
                <p>Le prix n\u{2019}a pas chang\u{e9} depuis 2015, malgr\u{e9} la hausse du co\u{fb}t des grains et de l\u{2019}\u{e9}lectricit\u{e9}, et les clients le savent bien.</p></article></body></html>";
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(page);
            respond(
                &mut stream,
                "200 OK",
                &[("Content-Type", "text/html; charset=windows-1252")],
                &bytes,
            )
        }
        "/img.png" => respond(
            &mut stream,
            "200 OK",
            &[("Content-Type", "image/png")],
            b"\x89PNG\r\n\x1a\nfake",
        ),
        "/with-image" => {
            let page = "<html lang=en><head><title>Pictures</title><meta name=author content='A B'><meta property='article:published_time' content='2024-01-02'></head>\
                <body><article><h1>Pictures</h1><p>This is a long enough paragraph about the photograph below, which shows the harbour wall at low tide in the early morning light.</p>\
                <p><img src='/img.png' alt='The wall'></p><p>Another paragraph follows the image, so that the reader view keeps the whole article together as one block of text.</p></article></body></html>";
            respond(
                &mut stream,
                "200 OK",
                &[("Content-Type", "text/html")],
                page.as_bytes(),
            )
        }
        _ => respond(
            &mut stream,
            "404 Not Found",
            &[("Content-Type", "text/html")],
            b"<h1>Not here</h1>",
        ),
    }
}

#[test]
fn fetches_follow_redirects_and_record_the_final_address() {
    let base = server();
    let s = site();
    let r = archive(&s, &[&format!("{base}/hop/3")]);
    r.assert_ok();
    let (fm, body) = split(&read(&s, &printed_path(&r)));
    // No canonical link: the address the redirects ended at.
    assert_eq!(fm_value(&fm, "original_url"), Some(format!("{base}/final")));
    assert!(
        body.contains(&format!("[crow page]({base}/birds/crow.html)")),
        "{body}"
    );

    // A page with a canonical link keeps it; its source matched by host.
    let r = archive(&s, &[&format!("{base}/news")]);
    r.assert_ok();
    let (fm, _) = split(&read(&s, &printed_path(&r)));
    assert_eq!(fm_value(&fm, "source").as_deref(), Some("ledger"));
}

#[test]
fn fetch_failures_are_one_sentence_and_exit_1() {
    let base = server();
    let s = site();
    let cases = [
        (format!("{base}/missing"), "answered 404 Not Found"),
        (format!("{base}/loop"), "redirected more than 10 times"),
        (format!("{base}/slow"), "did not answer within 1.5 seconds"),
        (format!("{base}/big"), "larger than 20 MiB"),
        (format!("{base}/report.pdf"), "its type is application/pdf"),
        ("http://no-such-host.invalid/x".to_string(), "was not found"),
    ];
    for (url, expected) in &cases {
        let r = archive(&s, &[url]);
        r.assert_code(1);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{url}: {}", r.stderr);
        assert!(lines[0].contains(expected), "{url}: {}", r.stderr);
    }
    // A body that does not announce its size is cut off at the cap (a
    // generous timeout: 20 MiB through a debug build on a busy machine).
    let r = archive_with_timeout(&s, &[&format!("{base}/big-unannounced")], 60_000);
    r.assert_code(1);
    assert!(r.stderr.contains("larger than 20 MiB"), "{}", r.stderr);
    assert!(!s.root().join("content/articles").exists());
}

#[test]
fn the_servers_charset_is_honoured() {
    let base = server();
    let s = site();
    let r = archive(&s, &[&format!("{base}/legacy")]);
    r.assert_ok();
    let (fm, body) = split(&read(&s, &printed_path(&r)));
    assert_eq!(fm_value(&fm, "title").as_deref(), Some("Café"));
    assert!(body.contains("“Le café coûte 2\u{a0}€”"), "{body}");
}

#[test]
fn images_are_downloaded_into_the_bundle_on_request() {
    let base = server();
    let s = site();
    let r = archive(&s, &[&format!("{base}/with-image"), "--images"]);
    r.assert_ok();
    let index = printed_path(&r);
    let (_, body) = split(&read(&s, &index));
    assert!(body.contains("![The wall](images/1.png)"), "{body}");
    let img = s.root().join(index.replace("index.md", "images/1.png"));
    assert_eq!(std::fs::read(img).unwrap(), b"\x89PNG\r\n\x1a\nfake");
    // Without --images the link stays the original's.
    let s2 = site();
    let r = archive(&s2, &[&format!("{base}/with-image")]);
    let (_, body) = split(&read(&s2, &printed_path(&r)));
    assert!(
        body.contains(&format!("![The wall]({base}/img.png)")),
        "{body}"
    );
}

#[test]
fn from_file_archives_every_entry_and_sums_up() {
    let base = server();
    let s = site();
    s.file(
        "list.txt",
        &format!(
            "# pages to archive\n{}\n{}\n\n{base}/missing\n{}\n{}\n",
            fixture("news.html").display(),
            fixture("blogger.html").display(),
            fixture("news.html").display(),
            fixture("jsonld.html").display(),
        ),
    );
    let r = archive(&s, &["--from-file", "list.txt"]);
    r.assert_code(1);
    assert!(
        r.stdout.contains("3 archived, 1 unchanged, 1 failed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(&format!("failed: {base}/missing: ")),
        "{}",
        r.stderr
    );
    for slug in [
        "harbour-council-delays-flood-wall-vote-after-cost-doubles",
        "why-my-tomatoes-split-and-what-i-do-now",
        "stadtwerke-erhohen-fernwarmepreis-um-elf-prozent",
    ] {
        assert!(
            s.root()
                .join(format!("content/articles/{slug}/index.md"))
                .is_file()
        );
    }
}
