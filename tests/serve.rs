//! `marginalia serve` through the real binary: a server on an ephemeral
//! port, plain HTTP requests, the live-reload event stream, and file edits.
//!
//! Nothing here asserts a tight time: every wait polls with a generous
//! deadline (a loaded 2-core machine is slow), and the measured latency is
//! printed instead (`cargo test -- --nocapture` shows it).

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestSite;

const DEADLINE: Duration = Duration::from_secs(10);

const SOURCES: &str = "nyt:\n  name: The New York Times\n  kind: publication\n";

fn article(title: &str, date: &str, body: &str) -> String {
    format!("---\ntitle: \"{title}\"\ndate: {date}\nsource: nyt\ntags: [news]\n---\n{body}\n")
}

/// A small site: two articles, one with a note.
fn site() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Served\nbase_url: https://example.org/\n",
    )
    .file("content/sources.yaml", SOURCES)
    .file(
        "content/articles/alpha.md",
        &article(
            "Alpha",
            "2021-05-04",
            "The alpha text makes a remarkable claim.\n\n## Details\n\nMore.",
        ),
    )
    .file(
        "content/articles/alpha.annotations.yaml",
        "- quote: \"a remarkable claim\"\n  note: \"Is it, though?\"\n  sources: [nyt]\n",
    )
    .file(
        "content/articles/beta.md",
        &article("Beta", "2021-05-05", "The beta text."),
    );
    s
}

/// A running `marginalia serve`; killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the server and waits until its first build is done (it
    /// listens before: see `serve_first.rs` for what it answers then).
    fn start(s: &TestSite, extra: &[&str]) -> Server {
        let server = Server::start_with(s, extra, &[]);
        let start = Instant::now();
        while !["built ", "fix the errors"]
            .iter()
            .any(|w| server.stderr().contains(w))
        {
            assert!(start.elapsed() < DEADLINE, "stderr: {}", server.stderr());
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    /// [`Server::start`] with environment variables set for the server.
    pub(crate) fn start_with(s: &TestSite, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = common::bin()
            .args(["serve", "--port", "0"])
            .args(extra)
            .envs(env.iter().copied())
            .current_dir(s.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start marginalia serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).expect("read the served address");
        let url = line
            .trim()
            .strip_prefix("serving ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        Server {
            child,
            addr,
            stderr,
        }
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub(crate) fn request(&self, method: &str, path: &str, headers: &str) -> Resp {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{headers}\r\n",
            self.addr
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read response");
        Resp::parse(&raw)
    }

    pub(crate) fn get(&self, path: &str) -> Resp {
        self.request("GET", path, "")
    }

    /// Polls `path` until `pred` holds on its body, or the deadline.
    #[track_caller]
    pub(crate) fn wait_for(&self, path: &str, what: &str, pred: impl Fn(&Resp) -> bool) -> Resp {
        let start = Instant::now();
        loop {
            let r = self.get(path);
            if pred(&r) {
                return r;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "{path}: {what} did not happen within {DEADLINE:?}; last response {} {}\nserver said:\n{}",
                    r.status,
                    r.body,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn events(&self) -> Events {
        Events::connect(&self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GET from the server at `addr`, waiting as long as it takes (up to
/// two minutes): for requests that wait for the whole site.
pub(crate) fn get_from(addr: &str, path: &str) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    Resp::parse(&raw)
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Resp {
    fn parse(raw: &[u8]) -> Resp {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Resp {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The live-reload event stream, read on a thread into a text.
pub(crate) struct Events {
    text: Arc<Mutex<String>>,
    opened: Instant,
}

impl Events {
    fn connect(addr: &str) -> Events {
        let mut s = TcpStream::connect(addr).expect("connect events");
        write!(
            s,
            "GET /__marginalia/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let e = Events {
            text,
            opened: Instant::now(),
        };
        e.wait("event: hello");
        e
    }

    pub(crate) fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    /// Waits until the stream holds `needle`; returns how long it took
    /// since `since`.
    #[track_caller]
    fn wait_since(&self, needle: &str, since: Instant) -> Duration {
        loop {
            if self.text().contains(needle) {
                return since.elapsed();
            }
            if since.elapsed() > DEADLINE && self.opened.elapsed() > DEADLINE {
                panic!(
                    "no {needle:?} within {DEADLINE:?}; events so far:\n{}",
                    self.text()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[track_caller]
    pub(crate) fn wait(&self, needle: &str) -> Duration {
        self.wait_since(needle, Instant::now())
    }

    /// Forgets what was received so far.
    fn clear(&self) {
        self.text.lock().unwrap().clear();
    }
}

#[test]
fn serves_pages_with_types_etags_head_and_the_404_page() {
    let s = site();
    s.file("static/files/report one.txt", "plain text\n");
    let server = Server::start(&s, &[]);

    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(home.body.contains("Alpha") && home.body.contains("Beta"));
    // Links point at the server, not at the site's base_url.
    assert!(
        home.body
            .contains(&format!("http://{}/articles/alpha/", server.addr))
    );
    // The live-reload script is injected into pages.
    assert!(home.body.contains("/__marginalia/live.js"));

    let page = server.get("/articles/alpha/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Is it, though?"));
    let etag = page.header("etag").expect("an ETag").to_string();
    let again = server.request(
        "GET",
        "/articles/alpha/",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    let head = server.request("HEAD", "/articles/alpha/", "");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert_eq!(
        head.header("content-length"),
        page.header("content-length"),
        "HEAD gives the length of the GET body"
    );

    for (path, ctype) in [
        ("/style.css", "text/css; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/annotations.jsonld", "application/ld+json"),
        ("/search-index.json", "application/json; charset=utf-8"),
        ("/files/report%20one.txt", "text/plain; charset=utf-8"),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ctype), "{path}");
    }

    // A folder without its slash is redirected to it.
    let r = server.get("/articles/alpha");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/articles/alpha/"));
    // `//host/...` cannot become an off-site redirect.
    let r = server.get("//articles/alpha");
    assert_eq!(r.header("location"), Some("/articles/alpha/"));

    let missing = server.get("/no/such/page/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Not found"), "the theme's 404 page");

    let post = server.request("POST", "/", "Content-Length: 0\r\n");
    assert_eq!(post.status, 405);
}

#[test]
fn traversal_and_paths_outside_the_site_are_404() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "SECRET").unwrap();
    let s = site();
    s.file("static/ok.txt", "fine");
    let server = Server::start(&s, &[]);
    for path in [
        "/../site.yaml",
        "/../../../../etc/passwd",
        "/%2e%2e/site.yaml",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/static/..%2f..%2fsite.yaml",
        "/articles/%2e%2e/%2e%2e/site.yaml",
        "/..%5csite.yaml",
        "//etc/passwd",
        "/etc/passwd",
        "/content/articles/alpha.md",
        "/site.yaml",
        "/ok.txt%00.html",
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert!(!r.body.contains("root:") && !r.body.contains("title: Served"));
    }
    assert_eq!(server.get("/ok.txt").status, 200);

    // A symlink out of the site, made while serving, is not served.
    #[cfg(unix)]
    {
        let events = server.events();
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            s.root().join("static/secret.txt"),
        )
        .unwrap();
        events.wait("event: problems");
        let r = server.get("/secret.txt");
        assert_eq!(r.status, 404);
        assert!(!r.body.contains("SECRET"));
        // The rest of the site is still served.
        assert_eq!(server.get("/ok.txt").status, 200);
    }
}

#[test]
fn an_edit_shows_up_with_a_reload_event() {
    let s = site();
    let server = Server::start(&s, &[]);
    let events = server.events();
    let saved = Instant::now();
    s.file(
        "content/articles/alpha.md",
        &article(
            "Alpha",
            "2021-05-04",
            "The alpha text makes a remarkable claim. NEW SENTENCE.",
        ),
    );
    let latency = events.wait_since("\"/articles/alpha/\"", saved);
    eprintln!("save → reload event for the article: {latency:?}");
    let page = server.get("/articles/alpha/");
    assert!(page.body.contains("NEW SENTENCE"), "{}", page.body);
    // The listings that show it follow.
    events.wait("\"/articles/\"");
    // A title change reaches the listing.
    s.file(
        "content/articles/beta.md",
        &article("Beta renamed", "2021-05-05", "The beta text."),
    );
    server.wait_for("/articles/", "the new title in the listing", |r| {
        r.body.contains("Beta renamed")
    });
    server.wait_for("/", "the new title on the home page", |r| {
        r.body.contains("Beta renamed")
    });
}

#[test]
fn a_broken_sidecar_shows_the_errors_and_keeps_the_last_good_page() {
    let s = site();
    let server = Server::start(&s, &[]);
    let events = server.events();
    s.file(
        "content/articles/alpha.annotations.yaml",
        "- quote: \"words that are not in the article\"\n  note: \"Broken.\"\n",
    );
    events.wait("event: problems");
    assert!(
        events.text().contains("alpha.annotations.yaml:1"),
        "the overlay names the file and line: {}",
        events.text()
    );
    // The last good page is still served.
    let page = server.get("/articles/alpha/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Is it, though?"));
    // A page opened now learns about the problems on connecting.
    let late = server.events();
    late.wait("event: problems");
    // The terminal says it too.
    let start = Instant::now();
    while !server.stderr().contains("alpha.annotations.yaml:1") {
        assert!(start.elapsed() < DEADLINE, "stderr: {}", server.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }

    // The next good save recovers.
    events.clear();
    s.file(
        "content/articles/alpha.annotations.yaml",
        "- quote: \"a remarkable claim\"\n  note: \"Fixed note.\"\n  sources: [nyt]\n",
    );
    events.wait("event: ok");
    server.wait_for("/articles/alpha/", "the fixed note", |r| {
        r.body.contains("Fixed note.")
    });
}

#[test]
fn articles_added_and_deleted_follow_in_the_listings() {
    let s = site();
    let server = Server::start(&s, &[]);
    let events = server.events();
    s.file(
        "content/articles/gamma.md",
        &article("Gamma", "2021-05-06", "The gamma text."),
    );
    server.wait_for("/articles/gamma/", "the new article", |r| r.status == 200);
    for listing in ["/", "/articles/", "/tags/news/", "/sources/nyt/"] {
        server.wait_for(listing, "Gamma listed", |r| r.body.contains("Gamma"));
    }
    events.wait("event: reload");

    s.remove("content/articles/gamma.md");
    server.wait_for("/articles/gamma/", "the article gone", |r| r.status == 404);
    for listing in ["/", "/articles/", "/tags/news/", "/sources/nyt/"] {
        server.wait_for(listing, "Gamma gone", |r| {
            r.status == 200 && !r.body.contains("Gamma")
        });
    }

    // A rename moves the page.
    std::fs::rename(
        s.root().join("content/articles/beta.md"),
        s.root().join("content/articles/delta.md"),
    )
    .unwrap();
    server.wait_for("/articles/delta/", "the renamed article", |r| {
        r.status == 200
    });
    server.wait_for("/articles/beta/", "the old address gone", |r| {
        r.status == 404
    });
}

#[test]
fn a_stylesheet_change_swaps_the_stylesheet_and_a_template_change_reloads() {
    let s = site();
    s.file("static/style.css", "body { color: black; }\n");
    s.file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}PAGE V1 {{ page.content | safe }}{% endblock content %}",
    );
    s.file("content/about.md", "---\ntitle: About\n---\nAbout us.\n");
    let server = Server::start(&s, &[]);
    assert!(server.get("/style.css").body.contains("black"));
    let events = server.events();
    s.file("static/style.css", "body { color: navy; }\n");
    events.wait("event: css");
    assert!(events.text().contains("\"/style.css\""));
    assert!(
        !events.text().contains("event: reload"),
        "{}",
        events.text()
    );
    server.wait_for("/style.css", "the new stylesheet", |r| {
        r.body.contains("navy")
    });

    assert!(server.get("/about/").body.contains("PAGE V1"));
    s.file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}PAGE V2 {{ page.content | safe }}{% endblock content %}",
    );
    events.wait("\"/about/\"");
    server.wait_for("/about/", "the new template", |r| {
        r.body.contains("PAGE V2")
    });
    // A broken template is an error with its file, and the last good one stays.
    s.file("templates/page.html", "{% block content %}oops");
    events.wait("event: problems");
    assert!(
        events.text().contains("templates/page.html"),
        "{}",
        events.text()
    );
    assert!(server.get("/about/").body.contains("PAGE V2"));
}

#[test]
fn serve_never_touches_output() {
    let s = site();
    s.build().assert_ok();
    let before: Vec<(String, Vec<u8>)> = s
        .output_files()
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(s.out(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    let server = Server::start(&s, &[]);
    let events = server.events();
    s.file(
        "content/articles/alpha.md",
        &article(
            "Alpha",
            "2021-05-04",
            "Now a remarkable claim, edited while serving.",
        ),
    );
    events.wait("\"/articles/alpha/\"");
    server.wait_for("/articles/alpha/", "the edit", |r| {
        r.body.contains("edited while")
    });
    drop(server);
    let after: Vec<(String, Vec<u8>)> = s
        .output_files()
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(s.out(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    assert!(before == after, "output/ changed while serving");

    // And a site never built gets no output/ at all.
    let fresh = site();
    let server = Server::start(&fresh, &[]);
    assert_eq!(server.get("/").status, 200);
    drop(server);
    assert!(!fresh.root().join("output").exists());
}

#[test]
fn a_site_with_errors_at_start_is_served_once_fixed() {
    let s = site();
    s.file(
        "content/articles/alpha.annotations.yaml",
        "- quote: \"not there\"\n  note: x\n",
    );
    let server = Server::start(&s, &[]);
    let r = server.get("/");
    assert_eq!(r.status, 500);
    assert!(r.body.contains("alpha.annotations.yaml"), "{}", r.body);
    let events = server.events();
    s.file(
        "content/articles/alpha.annotations.yaml",
        "- quote: \"a remarkable claim\"\n  note: \"Now fine.\"\n",
    );
    events.wait("event: ok");
    server.wait_for("/articles/alpha/", "the site", |r| {
        r.status == 200 && r.body.contains("Now fine.")
    });
}

#[test]
fn binding_beyond_loopback_warns() {
    let s = site();
    let server = Server::start(&s, &["--bind", "0.0.0.0"]);
    let start = Instant::now();
    while !server.stderr().contains("warning: serving on 0.0.0.0") {
        assert!(start.elapsed() < DEADLINE, "stderr: {}", server.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let s = site();
    let mut server = Server::start(&s, &[]);
    let _events = server.events();
    let pid = server.child.id() as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let start = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            break;
        }
        assert!(start.elapsed() < DEADLINE, "still running after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(server.stderr().contains("stopping"));
}
