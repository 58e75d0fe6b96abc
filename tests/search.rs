//! The search index's result heads (issue 13): what a result's line
//! needs, grouped 16 documents a file, so a search after every letter
//! fetches no document's text. Checked through real builds against the
//! per-document fragments they summarise.

use crate::common::TestSite;
use serde_json::Value;

const BASE: &str = "https://example.org/sub/";
/// More than two head files' worth, so the last one is partly filled.
const ARTICLES: usize = 37;

/// An archive of [`ARTICLES`] articles, every third with two notes, one
/// with two earlier snapshots, half from a source.
fn archive() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        &format!("title: Search heads\nbase_url: {BASE}\n"),
    )
    .file(
        "content/sources.yaml",
        "gazette:\n  name: The Gazette\n  kind: publication\n  url: https://gazette.example/\n",
    );
    for i in 0..ARTICLES {
        let source = if i % 2 == 0 { "source: gazette\n" } else { "" };
        s.file(
            &format!("content/articles/a{i:02}.md"),
            &format!(
                "---\ntitle: \"Article number {i}\"\ndate: 2021-03-{:02}\n{source}---\n\
                 The council met on day {i} and spoke of harbour{i} plans.\n\n\
                 A second paragraph about ferries and bridges.\n",
                1 + i % 28
            ),
        );
        if i % 3 == 0 {
            s.file(
                &format!("content/articles/a{i:02}.annotations.yaml"),
                &format!(
                    "- quote: harbour{i} plans\n  note: Which plans, number {i}?\n  id: plans-{i}\n\
                     - quote: ferries and bridges\n  note: Both were sold in 2019.\n"
                ),
            );
        }
    }
    let snapshot = |title: &str, archived: &str, text: &str| {
        format!(
            "---\ntitle: \"{title}\"\ndate: 2021-05-03\noriginal_url: https://gazette.example/b\n\
             archived: {archived}\n---\n{text}\n"
        )
    };
    s.file(
        "content/news/budget/versions/2021-05-04.md",
        &snapshot(
            "Library budget cut",
            "2021-05-04T09:00:00+00:00",
            "Branches close in the autumn.",
        ),
    )
    .file(
        "content/news/budget/versions/2021-05-05.md",
        &snapshot(
            "Library budget trimmed",
            "2021-05-05T09:00:00+00:00",
            "Branches may close.",
        ),
    )
    .file(
        "content/news/budget/index.md",
        &snapshot(
            "Library funding cut",
            "2021-05-07T10:00:00+00:00",
            "Branches stay open.",
        ),
    );
    s
}

fn json(s: &TestSite, rel: &str) -> Value {
    serde_json::from_str(&s.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every document's head, in site order, from the head files.
fn all_heads(s: &TestSite) -> Vec<Value> {
    let manifest = json(s, "search-index.json");
    let per = manifest["heads_per_file"].as_u64().unwrap() as usize;
    let documents = manifest["documents"].as_u64().unwrap() as usize;
    let mut heads = Vec::new();
    for g in 0..documents.div_ceil(per) {
        let file = json(s, &format!("search-index/h/{g}.json"));
        let file = file.as_array().expect("a head file is a list");
        assert!(file.len() <= per, "h/{g}.json holds {}", file.len());
        heads.extend(file.iter().cloned());
    }
    heads
}

#[test]
fn every_document_has_a_head_that_agrees_with_its_fragment() {
    let s = archive();
    s.build().assert_ok();
    let manifest = json(&s, "search-index.json");
    assert_eq!(manifest["base"], BASE);
    assert_eq!(manifest["heads"], format!("{BASE}search-index/h/"));
    assert_eq!(manifest["heads_per_file"], 16);
    let documents = manifest["documents"].as_u64().unwrap() as usize;
    assert_eq!(documents, ARTICLES + 1);
    // 38 documents: two full files and one of six, and no more.
    let files: Vec<String> = s
        .output_files()
        .into_iter()
        .filter(|f| f.starts_with("search-index/h/"))
        .collect();
    assert_eq!(
        files,
        [
            "search-index/h/0.json",
            "search-index/h/1.json",
            "search-index/h/2.json"
        ]
    );
    let heads = all_heads(&s);
    assert_eq!(heads.len(), documents);
    let (mut noted, mut sourced, mut versioned) = (0, 0, 0);
    for (i, h) in heads.iter().enumerate() {
        let f = json(&s, &format!("search-index/d/{i}.json"));
        let h = h.as_array().expect("a head is a list");
        assert_eq!(h.len(), 6, "{h:?}");
        assert_eq!(h[0], f["title"], "document {i}");
        assert_eq!(format!("{BASE}{}", h[1].as_str().unwrap()), f["url"]);
        assert_eq!(h[2], f["date"]);
        assert_eq!(h[3], f["source"]);
        let ids: Vec<&Value> = f["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n[0])
            .collect();
        assert_eq!(h[4].as_array().unwrap().iter().collect::<Vec<_>>(), ids);
        let versions = f["versions"].as_array().cloned().unwrap_or_default();
        let heads_versions = h[5].as_array().unwrap();
        assert_eq!(heads_versions.len(), versions.len());
        for (hv, fv) in heads_versions.iter().zip(&versions) {
            assert_eq!(hv[0], fv[0]);
            assert_eq!(format!("{BASE}{}", hv[1].as_str().unwrap()), fv[1]);
            assert_eq!(hv[2], fv[2]);
        }
        noted += usize::from(!ids.is_empty());
        sourced += usize::from(!h[3].is_null());
        versioned += usize::from(!versions.is_empty());
    }
    assert_eq!((noted, sourced, versioned), (13, 19, 1));
    // A note's head names the id its link goes to.
    let plans = heads
        .iter()
        .find(|h| h[0] == "Article number 9")
        .expect("article 9 has a head");
    assert_eq!(plans[4][0], "plans-9");
    assert_eq!(plans[1], "articles/a09/");
}

#[test]
fn an_edit_reaches_its_head_and_the_heads_equal_a_clean_build() {
    let s = archive();
    s.build().assert_ok();
    let before: Vec<String> = (0..3)
        .map(|g| s.read(&format!("search-index/h/{g}.json")))
        .collect();
    let at = all_heads(&s)
        .iter()
        .position(|h| h[0] == "Article number 20")
        .unwrap();
    s.file(
        "content/articles/a20.md",
        "---\ntitle: \"A renamed article\"\ndate: 2021-03-21\nsource: gazette\n---\nThe council met.\n",
    )
    .file(
        "content/articles/a21.annotations.yaml",
        "- quote: ferries and bridges\n  note: Sold.\n  id: sold\n",
    );
    s.build().assert_ok();
    let heads = all_heads(&s);
    assert_eq!(heads[at][0], "A renamed article");
    let a21 = heads.iter().find(|h| h[0] == "Article number 21").unwrap();
    assert_eq!(a21[4], serde_json::json!(["sold"]));
    // Only the head files of the edited documents changed.
    let after: Vec<String> = (0..3)
        .map(|g| s.read(&format!("search-index/h/{g}.json")))
        .collect();
    let changed: Vec<usize> = (0..3).filter(|&g| before[g] != after[g]).collect();
    let edited: Vec<usize> = [at, heads.iter().position(|h| h == a21).unwrap()]
        .iter()
        .map(|i| i / 16)
        .collect();
    assert!(
        changed.iter().all(|g| edited.contains(g)) && !changed.is_empty(),
        "changed {changed:?}, edited {edited:?}"
    );
    // What the cache kept is what a clean build writes.
    s.run(&["build", "--clean", "--output", "clean"])
        .assert_ok();
    for (g, kept) in after.iter().enumerate() {
        let clean =
            std::fs::read_to_string(s.root().join(format!("clean/search-index/h/{g}.json")))
                .unwrap();
        assert_eq!(*kept, clean, "h/{g}.json");
    }
}

#[test]
fn serve_answers_the_head_files_as_the_build_writes_them() {
    let s = archive();
    s.build().assert_ok();
    let server = crate::serve::Server::start_with(&s, &[], &[]);
    let manifest: Value =
        serde_json::from_str(&server.get("/search-index.json").body).expect("a manifest");
    assert_eq!(manifest["base"], format!("http://{}/", server.addr));
    assert_eq!(
        manifest["heads"],
        format!("http://{}/search-index/h/", server.addr)
    );
    // Paths, not URLs: the same bytes whatever address the site is at.
    for g in 0..3 {
        let r = server.get(&format!("/search-index/h/{g}.json"));
        assert_eq!(r.status, 200, "h/{g}.json");
        assert_eq!(
            r.body,
            s.read(&format!("search-index/h/{g}.json")),
            "h/{g}.json"
        );
    }
    assert_eq!(server.get("/search-index/h/3.json").status, 404);
    // An edit while serving reaches the head file that holds it.
    s.file(
        "content/articles/a00.md",
        "---\ntitle: \"Renamed while served\"\ndate: 2021-03-01\nsource: gazette\n---\n\
         The council met on day 0 and spoke of harbour0 plans.\n\n\
         A second paragraph about ferries and bridges.\n",
    );
    let g = all_heads(&s)
        .iter()
        .position(|h| h[0] == "Article number 0")
        .unwrap()
        / 16;
    server.wait_for(
        &format!("/search-index/h/{g}.json"),
        "the new title in the heads",
        |r| r.body.contains("Renamed while served"),
    );
}
