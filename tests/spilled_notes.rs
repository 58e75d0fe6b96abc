//! A build keeps each document's notes out of memory once its page is
//! written (`cache::spill`), and the outputs that show notes read them
//! back: source pages, `notes.csv`, `/claims/` and its feed, the
//! annotation pages, `/stats/`. Each of them must be what the same site
//! renders with every note held (`check`'s and `serve`'s way), for a
//! first build, an edit build, and notes of every sort: rated, replied
//! to, citing sources (twice, even), changed since noted.

use std::collections::BTreeMap;

use crate::common;

use common::TestSite;

const BASE: &str = "https://example.org/s/";

const SOURCES: &str = "\
gazette:
  name: The Gazette
  kind: publication
ann:
  name: Ann Person
  kind: person
";

fn site() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        &format!(
            "title: Spilled\nbase_url: {BASE}\npaginate_by: 2\n\
             ratings:\n  best: 5\n  worst: 1\n  labels:\n    \"False\": 1\n    \"True\": 5\n"
        ),
    )
    .file("content/sources.yaml", SOURCES);
    for i in 0..5 {
        s.file(
            &format!("content/news/a{i}.md"),
            &format!(
                "---\ntitle: Article {i}\ndate: 2021-0{}-01\nsource: gazette\n---\n\
                 The council voted {i} times on Monday. The mayor said it was fine.\n",
                i + 1
            ),
        )
        .file(
            &format!("content/news/a{i}.annotations.yaml"),
            &format!(
                "\
- quote: The council voted {i} times
  note: \"*Voted*, twice: {i}.\"
  kind: claim
  sources: [gazette, ann, gazette]
  rating: \"False\"
  date: 2021-06-0{}
  replies:
    - author: Bo
      text: Are you sure?
- quote: The mayor said
  note: The mayor's words.
  sources: [ann]
",
                i + 1
            ),
        );
    }
    // Versions: a note whose passage is gone from the latest text.
    s.file(
        "content/news/budget/versions/2021-05-04.md",
        "---\ntitle: Budget\ndate: 2021-05-03\nsource: gazette\narchived: 2021-05-04T09:00:00+00:00\n---\n\
         The budget was cut by 10 percent.\n",
    )
    .file(
        "content/news/budget/index.md",
        "---\ntitle: Budget\ndate: 2021-05-03\nsource: gazette\narchived: 2021-05-07T09:00:00+00:00\n---\n\
         The budget was cut by 12 percent.\n",
    )
    .file(
        "content/news/budget/index.annotations.yaml",
        "\
- quote: \"10 percent\"
  note: The first figure.
  version: 2021-05-04
  sources: [ann]
  rating: \"True\"
  id: first-figure
- quote: The budget was cut
  note: Written on the latest.
  sources: [gazette]
",
    );
    s
}

/// Every file of the site as rendered with every note held.
fn held(s: &TestSite) -> BTreeMap<String, Vec<u8>> {
    let options = marginalia::BuildOptions {
        root: s.root().to_path_buf(),
        output: None,
        base_url: None,
        drafts: false,
    };
    let (prepared, diags) = marginalia::prepare(&options);
    assert!(!diags.has_errors(), "{diags:?}");
    let (site, templates) = prepared.expect("the site loads");
    assert!(site.documents.iter().all(|d| d.spilled.is_none()));
    let sink = marginalia::output::MemoryOutput::new();
    let (_, d) = marginalia::render_into(&site, &templates, &sink);
    assert!(d.is_empty(), "{d:?}");
    sink.into_map()
        .into_iter()
        .map(|(k, v)| (k, v.to_vec()))
        .collect()
}

/// Asserts that the built output holds the files `expected` holds, byte
/// for byte, those that show notes among them.
#[track_caller]
fn same_as(s: &TestSite, expected: &BTreeMap<String, Vec<u8>>) {
    for must in [
        "notes.csv",
        "claims/index.html",
        "claims/page/2/index.html",
        "claims/atom.xml",
        "sources/gazette/index.html",
        "sources/gazette/page/2/index.html",
        "sources/ann/index.html",
        "news/budget/annotations.jsonld",
        "news/a0/annotations.jsonld",
        "annotations.jsonld",
        "stats/index.html",
    ] {
        assert!(expected.contains_key(must), "{must} not rendered");
    }
    for (path, bytes) in expected {
        let built = std::fs::read(s.out(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            built == *bytes,
            "{path} differs from the render with every note held:\n{}\n---\n{}",
            String::from_utf8_lossy(&built),
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn outputs_read_spilled_notes_back_as_they_were() {
    let s = site();
    s.run(&["build", "--clean"]).assert_ok();
    let expected = held(&s);
    same_as(&s, &expected);
    let csv = s.read("notes.csv");
    assert!(csv.contains("Are you sure?"), "{csv}");
    assert!(csv.contains(",changed,2021-05-04"), "{csv}");
    let claims = s.read("claims/index.html");
    assert!(claims.contains("The council voted 4 times"), "{claims}");

    // An edit build: its notes leave memory after the search index is
    // updated from them.
    s.file(
        "content/news/a3.md",
        "---\ntitle: Article 3\ndate: 2021-04-01\nsource: gazette\n---\n\
         The council voted 3 times on Monday. The mayor said it was fine, again.\n",
    );
    s.build().assert_ok();
    same_as(&s, &held(&s));
}

#[test]
fn a_build_reports_the_documents_whose_notes_it_spilled() {
    let s = site();
    let out = s.root().join("lib-out");
    let (report, diags) = marginalia::build(&marginalia::BuildOptions {
        root: s.root().to_path_buf(),
        output: Some(out.clone()),
        base_url: None,
        drafts: false,
    });
    assert!(!diags.has_errors(), "{diags:?}");
    // Every document with notes: the five articles and the budget.
    assert_eq!(report.notes_spilled, 6);
    assert_eq!(report.notes, 12);
    // Nothing of the scratch file is left beside the output: only the
    // output and the record of its files' sums.
    let mut beside: Vec<_> = std::fs::read_dir(s.root())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("lib-out"))
        .collect();
    beside.sort();
    assert_eq!(beside, [".lib-out.marginalia-sums", "lib-out"]);
}

/// [`site`] without a warning, so that its builds keep a cache and the
/// next build is an edit build: the kind `claim` declared, and no note
/// changed since noted (the budget's versions go).
fn site_without_warnings() -> TestSite {
    let s = site();
    s.file(
        "site.yaml",
        &format!(
            "title: Spilled\nbase_url: {BASE}\npaginate_by: 2\n\
             kinds:\n  claim:\n    label: Claim\n    colour: \"#2c6a2e\"\n    dark: \"#8fcf8c\"\n    help: a claim checked\n\
             ratings:\n  best: 5\n  worst: 1\n  labels:\n    \"False\": 1\n    \"True\": 5\n"
        ),
    )
    .remove("content/news/budget/versions/2021-05-04.md")
    .remove("content/news/budget/index.md")
    .remove("content/news/budget/index.annotations.yaml");
    s
}

/// An edit build copies `notes.csv`'s rows of the documents it did not
/// change from the previous file, and counts the source timelines from
/// the notes' facts: both must stay what a clean build writes when a
/// document's notes change, a note's date and kind change, the registry
/// renames a source, and when the previous `notes.csv` is damaged or gone.
#[test]
fn notes_csv_and_timelines_after_edits_are_what_a_clean_build_writes() {
    use crate::perf_cache::assert_like_clean;
    let s = site_without_warnings();
    let r = s.run(&["build", "--clean"]);
    r.assert_ok();
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    s.build().assert_ok();
    let check = |s: &TestSite| {
        assert_like_clean(s);
        let held = held(s);
        for path in [
            "notes.csv",
            "sources/gazette/index.html",
            "sources/gazette/page/2/index.html",
            "sources/ann/index.html",
        ] {
            assert!(
                std::fs::read(s.out(path)).unwrap() == held[path],
                "{path} differs from the render with every note held"
            );
        }
    };
    // An edit build, which reuses what it can.
    let edit_build = |s: &TestSite| {
        let r = s.build();
        r.assert_ok();
        assert!(r.stdout.contains("unchanged files reused"), "{}", r.stdout);
    };

    // (a) An article's notes change.
    s.file(
        "content/news/a1.annotations.yaml",
        "- quote: The council voted 1 times\n  note: \"Rewritten, with a comma.\"\n  kind: claim\n  sources: [gazette]\n",
    );
    edit_build(&s);
    assert!(s.read("notes.csv").contains("\"Rewritten, with a comma.\""));
    check(&s);

    // (b) A note's date and kind change: it moves on its sources'
    // timelines, to a kind of its own.
    s.file(
        "content/news/a2.annotations.yaml",
        "- quote: The council voted 2 times\n  note: Later.\n  kind: context\n  sources: [gazette, ann]\n  date: 2023-11-20\n",
    );
    edit_build(&s);
    assert!(s.read("sources/ann/index.html").contains("2023-11"));
    check(&s);

    // (c) The registry renames a source that notes cite.
    s.file(
        "content/sources.yaml",
        &SOURCES.replace("The Gazette", "The Daily Gazette"),
    );
    s.build().assert_ok();
    assert!(s.read("notes.csv").contains("The Daily Gazette"));
    check(&s);

    // (d) The previous notes.csv damaged in place (same length and
    // modification time), then removed, each before a notes edit.
    let csv = s.out("notes.csv");
    let stamp = std::fs::metadata(&csv).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&csv).unwrap();
    bytes.iter_mut().skip(200).for_each(|b| {
        if b.is_ascii_alphabetic() {
            *b = b'x'
        }
    });
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&csv).unwrap();
        f.write_all(&bytes).unwrap();
        f.set_modified(stamp).unwrap();
    }
    s.file(
        "content/news/a4.annotations.yaml",
        "- quote: The mayor said\n  note: Damaged before this one.\n  sources: [ann]\n",
    );
    s.build().assert_ok();
    check(&s);
    std::fs::remove_file(&csv).unwrap();
    s.file(
        "content/news/a4.annotations.yaml",
        "- quote: The mayor said\n  note: Removed before this one.\n  sources: [ann]\n",
    );
    s.build().assert_ok();
    check(&s);
}
