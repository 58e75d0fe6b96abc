//! `marginalia serve` answers before the whole site is built: requests that
//! arrive while it fills in are rendered from phase one (every front matter
//! and sidecar read), and what they get is byte for byte what the whole
//! site gives. Through the real binary, on a generated site of a few
//! hundred articles (`SERVE_FIRST_ARTICLES`, 300 by default).
//!
//! The server is held after phase one (`MARGINALIA_SERVE_HOLD_UNTIL`, a
//! file that releases it when created), so "before the whole site is
//! ready" is a state the test looks at, not a race it hopes to win; the
//! header `x-marginalia-site` says which site answered.

use crate::common::{self, TestSite};
use crate::serve::Server;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

pub(crate) const HOLD: &str = "MARGINALIA_SERVE_HOLD_UNTIL";

pub(crate) fn articles() -> usize {
    std::env::var("SERVE_FIRST_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

const WORDS: &[&str] = &[
    "harbour", "ledger", "council", "river", "archive", "quarry", "signal", "orchard", "meridian",
    "lantern", "basalt", "ferry",
];

/// A site of `n` articles in two sections, with tags, sources, notes,
/// code, links between articles and a page.
pub(crate) fn generated(n: usize) -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", "title: Filling\npaginate_by: 7\n")
        .file(
            "content/sources.yaml",
            "wire:\n  name: The Wire Service\n  kind: publication\nada:\n  name: Ada Byron\n  kind: person\n",
        )
        .file(
            "content/essays/_index.md",
            "---\ntitle: Essays\npaginate_by: 4\n---\nLonger pieces.\n",
        )
        .file("content/about.md", "---\ntitle: About\n---\nWho we are.\n");
    for i in 0..n {
        let section = if i % 5 == 0 { "essays" } else { "articles" };
        let w = |k: usize| WORDS[(i * 7 + k * 3) % WORDS.len()];
        let source = if i % 2 == 0 { "wire" } else { "ada" };
        let tags = format!("{}, {}", w(1), w(2));
        let link = if i > 0 {
            let before = if (i - 1) % 5 == 0 {
                "essays"
            } else {
                "articles"
            };
            format!(" See [the one before](../{before}/a{:04}.md).", i - 1)
        } else {
            String::new()
        };
        let body = format!(
            "The {a} near the {b} was noted on day {i}.{link}\n\n## Notes on {c}\n\nA remarkable claim about the {c} appears here.\n\n```rust\nfn day() -> u32 {{ {i} }}\n```\n",
            a = w(3),
            b = w(4),
            c = w(5),
        );
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let year = 2000 + i / 336;
        s.file(
            &format!("content/{section}/a{i:04}.md"),
            &format!(
                "---\ntitle: \"Article {i} on the {}\"\ndate: {year}-{month:02}-{day:02}\nsource: {source}\ntags: [{tags}]\n---\n{body}",
                w(6)
            ),
        );
        if i % 3 == 0 {
            s.file(
                &format!("content/{section}/a{i:04}.annotations.yaml"),
                "- quote: \"A remarkable claim\"\n  note: \"Is it, though?\"\n  sources: [ada]\n",
            );
        }
    }
    s
}

/// The page as built, with the live-reload script the server adds taken
/// out again.
pub(crate) fn unserved(body: &str) -> String {
    body.replace(
        "<script src=\"/__marginalia/live.js\" data-not-found=\"0\"></script>",
        "",
    )
}

/// The built site's pages that phase one answers: documents' pages, the
/// home, section and tag listings, the tag index (the rest needs every
/// note of the site).
pub(crate) fn answered_early(out: &Path) -> BTreeMap<String, String> {
    let mut pages = BTreeMap::new();
    for p in common::walk(out) {
        let rel = p
            .strip_prefix(out)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel.split('/').next().unwrap_or_default();
        let listed = rel.ends_with("index.html")
            && matches!(
                top,
                "index.html" | "page" | "articles" | "essays" | "tags" | "about"
            );
        if listed || rel == "style.css" || rel == "kinds.css" {
            let url = format!("/{}", rel.strip_suffix("index.html").unwrap_or(&rel));
            pages.insert(url, std::fs::read_to_string(&p).unwrap());
        }
    }
    pages
}

#[test]
fn pages_are_answered_before_the_whole_site_is_built_and_are_the_built_ones() {
    let n = articles();
    let s = generated(n);
    let go = s.root().join(".release-the-server");
    let go_env = go.to_string_lossy().into_owned();
    let server = Server::start_with(&s, &[], &[(HOLD, go_env.as_str())]);

    // The same site built, at the address the server gives itself.
    let out = tempfile::tempdir().unwrap();
    let base = format!("http://{}/", server.addr);
    let built = common::bin()
        .args(["build", "--base-url", &base, "--output"])
        .arg(out.path())
        .current_dir(s.root())
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let pages = answered_early(out.path());
    let documents = pages.keys().filter(|u| u.contains("/a0")).count();
    assert!(
        documents >= n,
        "only {documents} document pages in {pages:?}"
    );
    assert!(pages.contains_key("/") && pages.contains_key("/essays/page/2/"));
    assert!(pages.keys().any(|u| u.starts_with("/tags/harbour/")));

    // A page that needs every note of the site waits for all of it.
    let (tx, waited) = mpsc::channel();
    let addr = server.addr.clone();
    std::thread::spawn(move || {
        let r = crate::serve::get_from(&addr, "/sources/");
        let _ = tx.send(r);
    });

    for (url, want) in &pages {
        let r = server.get(url);
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        assert_eq!(
            r.header("x-marginalia-site"),
            Some("partial"),
            "{url} answered before the whole site"
        );
        assert!(
            unserved(&r.body) == *want,
            "{url} differs from the built page\n--- served:\n{}\n--- built:\n{want}",
            r.body
        );
    }
    // A folder without its slash is redirected already.
    let r = server.get("/essays");
    assert_eq!((r.status, r.header("location")), (301, Some("/essays/")));
    assert!(
        waited.try_recv().is_err(),
        "/sources/ was answered before the whole site was built"
    );
    assert!(
        server
            .stderr()
            .contains(&format!("read {} documents", n + 1)),
        "{}",
        server.stderr()
    );

    // Released: the waiting request gets the whole site's page, and the
    // early pages are the same bytes from the whole site.
    std::fs::write(&go, "").unwrap();
    let sources = waited
        .recv_timeout(Duration::from_secs(60))
        .expect("/sources/ answered once the site is built");
    assert_eq!(sources.status, 200);
    assert_eq!(sources.header("x-marginalia-site"), Some("complete"));
    for url in ["/", "/essays/page/2/", "/articles/a0001/"] {
        let r = server.get(url);
        assert_eq!(r.header("x-marginalia-site"), Some("complete"));
        assert!(
            unserved(&r.body) == pages[url],
            "{url} differs once complete"
        );
    }
}

#[test]
fn a_site_with_errors_is_never_answered_from_phase_one() {
    let s = generated(5);
    // Phase one cannot see this: the quote is only looked for when the
    // article's Markdown is rendered.
    s.file(
        "content/articles/a0001.annotations.yaml",
        "- quote: \"words nowhere in it\"\n  note: x\n",
    );
    let go = s.root().join(".release-the-server");
    let go_env = go.to_string_lossy().into_owned();
    let server = Server::start_with(&s, &[], &[(HOLD, go_env.as_str())]);
    // Another article's page (its neighbours are a0002 and a0004) is
    // fine from phase one...
    let r = server.get("/articles/a0003/");
    assert_eq!(r.header("x-marginalia-site"), Some("partial"));
    // ...but the broken one's is not answered until the whole site says why.
    let (tx, waited) = mpsc::channel();
    let addr = server.addr.clone();
    std::thread::spawn(move || {
        let _ = tx.send(crate::serve::get_from(&addr, "/articles/a0001/"));
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(waited.try_recv().is_err(), "the broken page was answered");
    std::fs::write(&go, "").unwrap();
    let r = waited.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(r.status, 500);
    assert!(r.body.contains("a0001.annotations.yaml"), "{}", r.body);
}

#[test]
fn a_change_while_filling_in_is_never_answered_stale() {
    let s = generated(5);
    let go = s.root().join(".release-the-server");
    let go_env = go.to_string_lossy().into_owned();
    let server = Server::start_with(&s, &[], &[(HOLD, go_env.as_str())]);
    let r = server.get("/articles/a0003/");
    assert_eq!(r.header("x-marginalia-site"), Some("partial"));
    let events = server.events();
    s.file(
        "content/articles/a0003.md",
        "---\ntitle: \"Retitled while loading\"\ndate: 2000-01-04\nsource: wire\n---\nA remarkable claim, in a new body.\n",
    );
    let seen = std::time::Instant::now();
    while !server
        .stderr()
        .contains("a file changed while the site was being built")
    {
        assert!(
            seen.elapsed() < Duration::from_secs(30),
            "{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Phase one's site may be out of date now: nothing more comes from it.
    let (tx, waited) = mpsc::channel();
    let addr = server.addr.clone();
    std::thread::spawn(move || {
        let _ = tx.send(crate::serve::get_from(&addr, "/articles/a0003/"));
    });
    std::fs::write(&go, "").unwrap();
    let r = waited.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(r.header("x-marginalia-site"), Some("complete"));
    // Open pages reload, since what they show may be gone.
    events.wait("\"all\":true");
    server.wait_for("/articles/a0003/", "the new title", |r| {
        r.body.contains("Retitled while loading")
    });
}

/// Every output phase one answers, through the library path `serve`
/// takes, against the same site rendered whole (`check`'s render, which
/// `sample::` shows is what `build` writes).
fn assert_on_demand_is_whole(s: &TestSite) -> usize {
    use marginalia::incremental::Produced;
    use marginalia::incremental::on_demand::OnDemandSite;
    let options = marginalia::BuildOptions {
        root: s.root().to_path_buf(),
        base_url: Some("http://127.0.0.1:1/".into()),
        ..Default::default()
    };
    let (prepared, diags) = marginalia::prepare(&options);
    assert!(!diags.has_errors(), "{:?}", diags.into_vec());
    let (site, templates) = prepared.unwrap();
    let whole = marginalia::output::MemoryOutput::new();
    let (_, d) = marginalia::render_into(&site, &templates, &whole);
    assert!(d.is_empty(), "{d:?}");

    let loaded = marginalia::site::load_parsed(&options);
    let templates =
        marginalia::render::Templates::load(&loaded.site.config.root, &loaded.site.config.theme)
            .unwrap();
    let on_demand = OnDemandSite::new(loaded, templates);
    let mut paths: Vec<String> = on_demand.paths().into_iter().map(String::from).collect();
    paths.sort();
    for p in &paths {
        let mine = match on_demand.render_path(p) {
            Some(Ok(Produced::Bytes(b))) => b,
            Some(Ok(Produced::File(f))) => std::fs::read(f).unwrap(),
            other => panic!("{p}: {other:?}"),
        };
        let theirs = whole
            .get(p)
            .unwrap_or_else(|| panic!("{p} is not in the whole site"));
        assert!(
            mine == *theirs,
            "{p} differs\n--- on demand:\n{}\n--- whole:\n{}",
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&theirs)
        );
    }
    paths.len()
}

#[test]
fn what_phase_one_answers_is_the_whole_sites_output() {
    let s = generated(23);
    let n = assert_on_demand_is_whole(&s);
    assert!(n > 23, "{n} outputs answered");
    // A theme that shows site-wide counts on every page, and a draft.
    s.file(
        "templates/404.html",
        "{{ site.article_count }} articles, {{ site.note_count }} notes, {{ site.tag_count }} tags",
    )
    .file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}{{ site.note_count }} notes {{ page.content | safe }}{% endblock content %}",
    )
    .file(
        "content/articles/draft.md",
        "---\ntitle: Draft\ndate: 2001-01-01\ndraft: true\n---\nNot yet.\n",
    );
    assert_on_demand_is_whole(&s);
}
