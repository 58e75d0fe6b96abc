//! The data files at scale (issue 13): a sitemap split past its URL limit,
//! the Web Annotation collection paged per article and chained, and feeds
//! of bounded length. The limits are lowered through the hidden
//! environment variables so a small site shows the split.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use crate::common::{self, TestSite};

/// Builds `s` through the binary with extra environment variables.
fn build_with(s: &TestSite, env: &[(&str, &str)]) {
    let out = common::bin()
        .arg("build")
        .envs(env.iter().copied())
        .current_dir(s.root())
        .output()
        .expect("run marginalia");
    assert!(
        out.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A site of `n` articles across two tags and two sources; article `i`
/// has `notes(i)` notes.
fn site(n: usize, notes: impl Fn(usize) -> usize) -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Scale\nbase_url: https://example.org/sub/\nfeed_limit: 3\n",
    )
    .file(
        "content/sources.yaml",
        "gazette:\n  name: The Gazette\n  kind: publication\ncouncil:\n  name: City Council\n  kind: organization\n",
    );
    for i in 0..n {
        let source = if i % 2 == 0 { "gazette" } else { "council" };
        let tag = if i % 3 == 0 { "budget" } else { "housing" };
        let words: Vec<String> = (0..notes(i).max(1))
            .map(|k| format!("phrase{k}x{i} is here."))
            .collect();
        s.file(
            &format!("content/articles/a{i:03}.md"),
            &format!(
                "---\ntitle: Article {i}\ndate: 2021-01-{:02}\nsource: {source}\ntags: [{tag}]\n---\n{}\n",
                1 + i % 28,
                words.join(" ")
            ),
        );
        let yaml: String = (0..notes(i))
            .map(|k| format!("- quote: \"phrase{k}x{i}\"\n  note: Note {k} on article {i}.\n"))
            .collect();
        if !yaml.is_empty() {
            s.file(&format!("content/articles/a{i:03}.annotations.yaml"), &yaml);
        }
    }
    s
}

/// The `<loc>` values of an XML sitemap file.
fn locs(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .filter_map(|x| x.split("</loc>").next())
        .map(str::to_string)
        .collect()
}

const BASE: &str = "https://example.org/sub/";

#[test]
fn a_sitemap_past_its_limit_becomes_an_index_of_sitemaps() {
    let s = site(12, |_| 0);
    // One file when the URLs fit: home, 12 articles, the section, tags/,
    // 2 tags, sources/, 2 sources, claims/, stats/ = 22.
    build_with(&s, &[]);
    let single = s.read("sitemap.xml");
    assert!(single.contains("<urlset"), "{single}");
    let all: BTreeSet<String> = locs(&single).into_iter().collect();
    assert_eq!(all.len(), 22, "{single}");
    for page in ["claims/", "stats/"] {
        assert!(all.contains(&format!("{BASE}{page}")), "{page}: {single}");
    }
    assert!(!s.exists("sitemap-1.xml"));

    build_with(&s, &[("MARGINALIA_SITEMAP_MAX_URLS", "6")]);
    let index = s.read("sitemap.xml");
    assert!(index.contains("<sitemapindex"), "{index}");
    assert!(!index.contains("<urlset"), "{index}");
    let parts = locs(&index);
    assert_eq!(parts.len(), 4, "22 URLs, 6 a file: {index}");
    let mut split = BTreeSet::new();
    for p in &parts {
        let rel = p.strip_prefix(BASE).expect("a sitemap under base_url");
        let xml = s.read(rel);
        assert!(xml.contains("<urlset"), "{rel}: {xml}");
        let urls = locs(&xml);
        assert!(
            !urls.is_empty() && urls.len() <= 6,
            "{rel} lists {}",
            urls.len()
        );
        for u in urls {
            assert!(split.insert(u.clone()), "{u} is listed twice");
        }
    }
    assert_eq!(split, all, "the split sitemaps list exactly the same URLs");
    assert!(
        s.read("robots.txt")
            .contains("Sitemap: https://example.org/sub/sitemap.xml")
    );

    // Back under the limit, the split files go.
    build_with(&s, &[]);
    assert!(!s.exists("sitemap-1.xml"));
    assert!(s.read("sitemap.xml").contains("<urlset"));
}

fn json(s: &TestSite, rel: &str) -> Value {
    let text = s.read(rel);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}\n{text}"))
}

#[test]
fn annotations_are_paged_per_article_and_every_page_is_linked_and_valid() {
    // Article 0 and 9 have no notes; article 4 has 7 (three pages of 3).
    let notes = |i: usize| match i {
        0 | 9 => 0,
        4 => 7,
        i => 1 + i % 3,
    };
    let s = site(10, notes);
    build_with(&s, &[("MARGINALIA_ANNOTATION_PAGE_SIZE", "3")]);
    let expected: usize = (0..10).map(notes).sum();

    let collection = json(&s, "annotations.jsonld");
    let id = format!("{BASE}annotations.jsonld");
    assert_eq!(collection["type"], "AnnotationCollection");
    assert_eq!(collection["@context"], "http://www.w3.org/ns/anno.jsonld");
    assert_eq!(collection["id"], id.as_str());
    assert_eq!(collection["total"], expected);
    assert!(
        collection.get("items").is_none(),
        "the collection holds no notes itself"
    );

    // Walk first → next, checking each page and the links back.
    let mut url = collection["first"].as_str().map(String::from);
    let mut prev: Option<String> = None;
    let mut count = 0;
    let mut ids = HashSet::new();
    let mut pages = Vec::new();
    while let Some(u) = url {
        assert!(pages.len() < 100, "next links loop");
        let rel = u
            .strip_prefix(BASE)
            .expect("page under base_url")
            .to_string();
        let page = json(&s, &rel);
        assert_eq!(page["type"], "AnnotationPage", "{rel}");
        assert_eq!(page["id"], u.as_str(), "{rel}: id is its own URL");
        assert_eq!(page["partOf"], id.as_str(), "{rel}");
        assert_eq!(page["@context"], "http://www.w3.org/ns/anno.jsonld");
        assert_eq!(page["prev"].as_str(), prev.as_deref(), "{rel}: prev");
        let items = page["items"].as_array().expect("items");
        assert!(
            !items.is_empty() && items.len() <= 3,
            "{rel}: {} items",
            items.len()
        );
        // Every annotation of a page targets the article it sits beside.
        let article = format!("{BASE}{}", &rel[..rel.rfind('/').unwrap() + 1]);
        for a in items {
            assert_eq!(a["type"], "Annotation");
            assert_eq!(a["target"]["source"], article.as_str(), "{rel}");
            assert!(ids.insert(a["id"].as_str().unwrap_or_default().to_string()));
        }
        count += items.len();
        pages.push(rel);
        prev = Some(u);
        url = page["next"].as_str().map(String::from);
    }
    assert_eq!(count, expected, "the pages' items add up to the total");
    assert_eq!(
        collection["last"].as_str(),
        prev.as_deref(),
        "last is the end of the chain"
    );
    // 8 articles with notes, one of them on three pages.
    assert_eq!(pages.len(), 10, "{pages:?}");
    assert!(
        pages
            .iter()
            .any(|p| p.ends_with("a004/annotations-3.jsonld")),
        "{pages:?}"
    );
    // No page outside the chain.
    let on_disk: BTreeSet<String> = s
        .output_files()
        .into_iter()
        .filter(|f| {
            f.contains("annotations") && f.ends_with(".jsonld") && f != "annotations.jsonld"
        })
        .collect();
    assert_eq!(on_disk, pages.iter().cloned().collect::<BTreeSet<_>>());

    // Each article with notes links its own first page; one without, none.
    for i in 0..10 {
        let html = s.read(&format!("articles/a{i:03}/index.html"));
        let link = format!(
            "<link rel=\"alternate\" type=\"application/ld+json\" title=\"Notes (W3C Web Annotation)\" href=\"{BASE}articles/a{i:03}/annotations.jsonld\">"
        );
        assert_eq!(html.contains(&link), notes(i) > 0, "article {i}");
    }
}

#[test]
fn feeds_are_bounded_by_feed_limit() {
    let s = site(8, |i| i % 2);
    build_with(&s, &[]);
    assert_eq!(common::count(&s.read("atom.xml"), "<entry>"), 3);
    assert_eq!(
        common::count(&s.read("sources/gazette/atom.xml"), "<entry>"),
        3
    );
}
