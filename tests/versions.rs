//! Versions of an article (DESIGN §10, issue 12) through the real binary:
//! snapshot pages, the word diff, `/changes/` and its feed, notes pinned
//! to a version, notes whose passage changed since, source counts.

use crate::common;

use common::{TestSite, count};

const BASE: &str = "https://example.org/a/";

const SOURCES: &str = "\
gazette:
  name: The Gazette
  kind: publication
  url: https://gazette.example/
";

fn front(title: &str, archived: &str) -> String {
    format!(
        "---\ntitle: \"{title}\"\ndate: 2021-05-03\nsource: gazette\n\
         original_url: https://gazette.example/budget\narchived: {archived}\n---\n"
    )
}

const P1: &str = "The council voted on Monday to cut the library budget by 10 percent.";
const P2: &str = "Three branches will close in the autumn, officials said.";
const P3: &str = "The mayor called the decision painful but necessary.";
const NOTICE: &str =
    "Correction: an earlier version of this article misstated the size of the cut.";

/// A bundle with three earlier snapshots and the latest: a stealth word
/// change (10 → 12 percent), a removed paragraph, and an added correction
/// notice; plus a second article from the same source that never changed.
fn fixture() -> TestSite {
    let s = TestSite::new();
    let p1_12 = P1.replace("10 percent", "12 percent");
    s.file(
        "site.yaml",
        &format!("title: Versions test\nbase_url: {BASE}\n"),
    )
    .file("content/sources.yaml", SOURCES)
    .file(
        "content/news/budget/versions/2021-05-04.md",
        &format!(
            "{}{P1}\n\n{P2}\n\n{P3}\n",
            front("Council cuts library budget", "2021-05-04T09:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/versions/2021-05-05.md",
        &format!(
            "{}{p1_12}\n\n{P2}\n\n{P3}\n",
            front("Council cuts library budget", "2021-05-05T09:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/versions/2021-05-06.md",
        &format!(
            "{}{p1_12}\n\n{P3}\n",
            front("Council cuts library funding", "2021-05-06T09:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/index.md",
        &format!(
            "{}{p1_12}\n\n{P3}\n\n{NOTICE}\n",
            front("Council cuts library funding", "2021-05-07T10:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/index.annotations.yaml",
        "\
- quote: \"10 percent\"
  note: The first figure the paper printed.
  version: 2021-05-04
  id: first-figure
- quote: Three branches will close
  note: Which three?
  version: 2021-05-05
  id: branches
- quote: painful but necessary
  note: The mayor's words, unchanged since the first capture.
  version: 2021-05-04
  id: mayor
- quote: cut the library budget
  note: Written on the latest.
  id: latest-note
",
    )
    .file(
        "content/news/other.md",
        "---\ntitle: Other\ndate: 2021-04-01\nsource: gazette\n---\nNothing changed here.\n",
    );
    s
}

fn between<'a>(hay: &'a str, from: &str, to: &str) -> &'a str {
    let a = hay
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in page"));
    let rest = &hay[a..];
    let b = rest.find(to).map_or(rest.len(), |b| b + to.len());
    &rest[..b]
}

#[test]
fn snapshots_render_with_their_notes_under_a_banner() {
    let s = fixture();
    let run = s.build();
    run.assert_ok();
    // The snapshots are not articles of their own, nor copied as files.
    assert!(!s.exists("news/budget/versions/2021-05-04.md"));
    assert!(!s.exists("news/2021-05-04/index.html"));
    let home = s.read("index.html");
    assert_eq!(count(&home, "Council cuts library"), 1, "{home}");

    let v1 = s.read("news/budget/versions/2021-05-04/index.html");
    assert!(v1.contains("class=\"version-banner\""));
    assert!(v1.contains("Not the latest version"));
    assert!(v1.contains(&format!("href=\"{BASE}news/budget/\"")));
    assert!(v1.contains("10 percent</mark>"), "{v1}");
    assert!(v1.contains(P2));
    // The notes written on it: the first figure and the mayor's, not the
    // one written on 2021-05-05 nor the latest's.
    assert!(v1.contains("id=\"note-first-figure\""));
    assert!(v1.contains("id=\"note-mayor\""));
    assert!(!v1.contains("id=\"note-branches\""));
    assert!(!v1.contains("id=\"note-latest-note\""));
    assert!(v1.contains("<mark class=\"anchor\" id=\"first-figure\""));

    let v2 = s.read("news/budget/versions/2021-05-05/index.html");
    assert!(v2.contains("by 12 percent"));
    assert!(v2.contains("id=\"note-branches\""));
    assert!(!v2.contains("id=\"note-first-figure\""));

    let v3 = s.read("news/budget/versions/2021-05-06/index.html");
    assert!(!v3.contains("Three branches"));
    assert!(v3.contains("Council cuts library funding"));
    assert!(!v3.contains("<aside"));
}

#[test]
fn the_diff_page_marks_exactly_the_changed_words() {
    let s = fixture();
    s.build().assert_ok();
    let page = s.read("news/budget/changes/index.html");
    let c1 = between(&page, "id=\"change-2021-05-05\"", "</section>");
    assert!(
        c1.contains("to cut the library budget by <del>10</del><ins>12</ins> percent."),
        "{c1}"
    );
    assert!(c1.contains("1 word removed"), "{c1}");
    assert!(c1.contains("1 word added"), "{c1}");
    assert!(
        c1.contains("datetime=\"2021-05-04T09:00:00+00:00\""),
        "{c1}"
    );
    assert!(c1.contains("no correction or update notice added"));

    let c2 = between(&page, "id=\"change-2021-05-06\"", "</section>");
    assert!(c2.contains(&format!("<p class=\"diff-changed\"><del>{P2}</del></p>")));
    // Nine words of the paragraph and one of the title.
    assert!(c2.contains("10 words removed"), "{c2}");
    assert!(c2.contains("Title: Council cuts library <del>budget</del><ins>funding</ins>"));
    // Context: the paragraphs either side, unmarked.
    assert!(
        c2.contains(&format!("<p class=\"diff-context\">{P3}</p>")),
        "{c2}"
    );

    let c3 = between(&page, "id=\"change-2021-05-07\"", "</section>");
    assert!(c3.contains(&format!(
        "<p class=\"diff-changed\"><ins>{NOTICE}</ins></p>"
    )));
    assert!(c3.contains("0 words removed"), "{c3}");
    assert!(c3.contains("13 words added"), "{c3}");
    assert!(c3.contains("a correction or update notice was added"));
    assert!(c3.contains("(latest)"));

    // The latest page says how many versions and links the diff.
    let latest = s.read("news/budget/index.html");
    assert!(latest.contains("4 versions"), "{latest}");
    assert!(latest.contains(&format!("href=\"{BASE}news/budget/changes/\"")));
}

#[test]
fn changes_list_and_feed_are_newest_first_and_valid_atom() {
    let s = fixture();
    s.build().assert_ok();
    let page = s.read("changes/index.html");
    let order: Vec<usize> = [
        "2021-05-06 → 2021-05-07",
        "2021-05-05 → 2021-05-06",
        "2021-05-04 → 2021-05-05",
    ]
    .iter()
    .map(|x| page.find(x).unwrap_or_else(|| panic!("{x} in {page}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(page.contains("13 added"));
    assert!(page.contains(&format!("{BASE}changes/atom.xml")));

    let xml = s.read("changes/atom.xml");
    let doc = roxmltree::Document::parse(&xml).expect("the changes feed is well-formed XML");
    let atom = "http://www.w3.org/2005/Atom";
    let feed = doc.root_element();
    assert!(feed.has_tag_name((atom, "feed")));
    let text = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((atom, name)))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string()
    };
    for required in ["id", "title", "updated"] {
        assert!(!text(feed, required).is_empty(), "{required}");
    }
    assert_eq!(text(feed, "updated"), "2021-05-07T10:00:00+00:00");
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((atom, "entry")))
        .collect();
    assert_eq!(entries.len(), 3);
    assert_eq!(
        text(entries[0], "title"),
        "Council cuts library funding: 0 words removed, 13 added"
    );
    let mut ids = Vec::new();
    for e in &entries {
        for required in ["id", "title", "updated"] {
            assert!(!text(*e, required).is_empty(), "{required}");
        }
        chrono::DateTime::parse_from_rfc3339(&text(*e, "updated")).unwrap();
        ids.push(text(*e, "id"));
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "entry ids are unique");
}

#[test]
fn pinned_notes_follow_their_passage_or_show_as_changed() {
    let s = fixture();
    let run = s.build();
    run.assert_ok();
    let latest = s.read("news/budget/index.html");
    // Still in the latest: the mayor's note (pinned to 2021-05-04) and the
    // latest's own note are anchored as usual.
    assert!(latest.contains("<mark class=\"anchor\" id=\"mayor\""));
    assert!(latest.contains("<mark class=\"anchor\" id=\"latest-note\""));
    // Gone from the latest: shown as changed since noted, never dropped.
    let changed = between(&latest, "id=\"note-first-figure\"", "</aside>");
    assert!(changed.contains("data-state=\"changed\""), "{changed}");
    assert!(changed.contains("<del>10 percent</del>"), "{changed}");
    assert!(
        changed.contains("Closest now: <ins>12 percent</ins>"),
        "{changed}"
    );
    assert!(changed.contains("The first figure the paper printed."));
    assert!(changed.contains(&format!(
        "{BASE}news/budget/versions/2021-05-04/#first-figure"
    )));
    let branches = between(&latest, "id=\"note-branches\"", "</aside>");
    assert!(branches.contains("data-state=\"changed\""));
    assert!(branches.contains("<del>Three branches will close</del>"));
    // The build warns about each, naming the sidecar.
    assert_eq!(
        count(&run.stderr, "shown there as changed since noted"),
        2,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("index.annotations.yaml:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_source_page_counts_changed_articles_and_notices() {
    let s = fixture();
    s.build().assert_ok();
    let page = s.read("sources/gazette/index.html");
    assert!(
        page.contains("1 of its 2 articles changed after capture</strong>; 1 of those changes added a correction or update notice"),
        "{page}"
    );
    assert!(page.contains("open with “Correction”"));
}

/// `/stats/` draws the changes found after capture once an article has
/// versions: the fixture's three changes, all captured in May 2021, one
/// of them adding a correction notice.
#[test]
fn the_stats_page_counts_changes_after_capture() {
    let s = fixture();
    s.build().assert_ok();
    let page = s.read("stats/index.html");
    let at = page
        .find("Changes found after capture, per month")
        .expect("a chart of changes");
    let table = &page[at..];
    let table = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    assert_eq!(
        table,
        "<tbody><tr><th scope=\"row\">2021-05</th><td>1</td><td>2</td><td>3</td></tr>"
    );

    // A site without versions draws no such chart.
    std::fs::remove_dir_all(s.root().join("content/news/budget")).unwrap();
    s.build().assert_ok();
    assert!(
        !s.read("stats/index.html")
            .contains("Changes found after capture")
    );
}

#[test]
fn an_unknown_version_is_an_error_listing_the_versions() {
    let s = fixture();
    s.file(
        "content/news/budget/index.annotations.yaml",
        "- quote: painful\n  note: x\n  version: 2021-05-09\n",
    );
    let run = s.build();
    run.assert_code(1);
    assert!(
        run.stderr.contains("index.annotations.yaml:3:3"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("there is no version \"2021-05-09\""));
    assert!(
        run.stderr.contains(
            "its versions are 2021-05-04, 2021-05-05, 2021-05-06, 2021-05-07 (the latest, index.md)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn two_snapshots_on_one_date_are_an_error() {
    let s = fixture();
    s.file(
        "content/news/budget/versions/2021-05-05T1200.md",
        &format!("{}{P1}\n", front("Noon", "2021-05-05T12:00:00+00:00")),
    );
    let run = s.build();
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("content/news/budget/versions/2021-05-05T1200.md:1:1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("two snapshots of this article have the date 2021-05-05")
    );
}

#[test]
fn a_pinned_note_must_anchor_on_its_version() {
    let s = fixture();
    s.file(
        "content/news/budget/index.annotations.yaml",
        "- quote: Correction\n  note: x\n  version: 2021-05-04\n",
    );
    let run = s.build();
    run.assert_code(1);
    assert!(
        run.stderr.contains("index.annotations.yaml:1"),
        "{}",
        run.stderr
    );
}

/// Search (DESIGN §10): the latest text finds the latest page; words only
/// earlier snapshots have (a removed paragraph) find the first snapshot
/// that has them, so what a stealth edit removed can still be found.
#[test]
fn search_finds_removed_words_in_the_snapshot_that_has_them() {
    let s = fixture();
    s.build().assert_ok();
    let json = |rel: &str| -> serde_json::Value {
        serde_json::from_str(&s.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    // A term's shard is named by the hex of its first two bytes.
    let postings = |term: &str| -> Vec<u64> {
        let key: String = term.bytes().take(2).map(|b| format!("{b:02x}")).collect();
        json(&format!("search-index/t/{key}.json"))[term]
            .as_array()
            .unwrap_or_else(|| panic!("{term} is indexed"))
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    let manifest = json("search-index.json");
    let budget = (0..manifest["documents"].as_u64().unwrap())
        .find(|i| {
            json(&format!("search-index/d/{i}.json"))["title"] == "Council cuts library funding"
        })
        .expect("the article has a search fragment");
    let fragment = json(&format!("search-index/d/{budget}.json"));
    let notes = fragment["notes"].as_array().unwrap().len() as u64;

    // [df, doc, slot, weight, …]: slot 0 is the article, 1..=notes its
    // notes, past them its earlier snapshots, oldest first.
    let correction = postings("correction");
    assert!(
        correction[1..]
            .chunks(3)
            .any(|p| p[0] == budget && p[1] == 0),
        "the latest text finds the latest page: {correction:?}"
    );
    let autumn = postings("autumn");
    let slots: Vec<u64> = autumn[1..]
        .chunks(3)
        .filter(|p| p[0] == budget)
        .map(|p| p[1])
        .collect();
    // In snapshots 1 and 2 (2021-05-04, 2021-05-05), gone from 3 and the latest.
    assert_eq!(slots, [notes + 1, notes + 2], "{autumn:?}");
    let versions = fragment["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    let first = versions[0].as_array().unwrap();
    assert_eq!(first[1], format!("{BASE}news/budget/versions/2021-05-04/"));
    assert_eq!(first[2], "Council cuts library budget");
    assert!(first[3].as_str().unwrap().contains("close in the autumn"));
    // Words the latest still has are not indexed again for the snapshots.
    assert!(
        postings("mayor")[1..]
            .chunks(3)
            .all(|p| p[0] != budget || p[1] <= notes),
        "unchanged words find the latest only"
    );
}

// --- re-capture, against a loopback server --------------------------------

/// A loopback HTTP server that serves whatever `page` holds now.
fn page_server(page: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let body = page.lock().unwrap().clone();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

fn news_page(base: &str, figure: &str, extra: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><title>Library budget cut</title>\
         <link rel=\"canonical\" href=\"{base}/budget\">\
         <meta property=\"article:published_time\" content=\"2021-05-03\">\
         <meta name=\"author\" content=\"Ann Reporter\"></head><body><article>\
         <h1>Library budget cut</h1>\
         <p>The council voted on Monday to cut the library budget by {figure} percent, \
         a decision that surprised many residents of the town.</p>\
         <p>Three branches will close in the autumn, officials said on Tuesday, \
         and opening hours at the others will be shortened.</p>\
         <p>The mayor called the decision painful but necessary, and promised a review next year.</p>\
         {extra}</article></body></html>"
    )
}

#[test]
fn re_archiving_keeps_the_old_text_and_pins_the_notes() {
    let page = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let base = page_server(page.clone());
    *page.lock().unwrap() = news_page(&base, "10", "");
    let s = TestSite::new();
    s.file("site.yaml", "title: Recapture\n");
    let url = format!("{base}/budget");
    let r = s.run(&["archive", &url]);
    r.assert_ok();
    let index = r.stdout.lines().last().unwrap().trim().to_string();
    assert!(index.ends_with("/index.md"), "{}", r.stdout);
    let dir = index.trim_end_matches("index.md").to_string();
    let sidecar = format!("{dir}index.annotations.yaml");
    // Notes written on the first capture, one already pinned by hand.
    let notes = "# my notes\n- quote: by 10 percent\n  note: The first figure.\n\n\
                 - quote: painful but necessary\n  note: |\n    The mayor.\n";
    s.file(&sidecar, notes);

    // Unchanged: says so, writes nothing.
    let before = common::walk(s.root());
    let r = s.run(&["archive", &url]);
    r.assert_ok();
    assert!(r.stdout.contains("unchanged"), "{}", r.stdout);
    assert_eq!(common::walk(s.root()), before);

    // Changed: the old text moves to versions/, the notes are pinned.
    let old_index = std::fs::read_to_string(s.root().join(&index)).unwrap();
    let archived = old_index
        .lines()
        .find_map(|l| l.strip_prefix("archived: "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let stem = &archived[..10];
    *page.lock().unwrap() = news_page(
        &base,
        "12",
        "<p>Correction: an earlier version of this article misstated the size of the cut.</p>",
    );
    let r = s.run(&["archive", &url]);
    r.assert_ok();
    assert!(
        r.stdout.contains("changed: 1 word removed, 14 added"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 notes were pinned"), "{}", r.stdout);
    let snapshot = format!("{dir}versions/{stem}.md");
    assert_eq!(
        std::fs::read_to_string(s.root().join(&snapshot)).unwrap(),
        old_index
    );
    assert!(
        s.root()
            .join(format!("{dir}versions/{stem}.original.html"))
            .is_file()
    );
    let new_index = std::fs::read_to_string(s.root().join(&index)).unwrap();
    assert!(new_index.contains("by 12 percent"));
    assert_eq!(
        std::fs::read_to_string(s.root().join(&sidecar)).unwrap(),
        format!(
            "# my notes\n- quote: by 10 percent\n  note: The first figure.\n  version: {stem}\n\n\
             - quote: painful but necessary\n  note: |\n    The mayor.\n  version: {stem}\n"
        )
    );

    // The site builds: the first note shows as changed on the latest page.
    let run = s.build();
    run.assert_ok();
    let section_path = dir.trim_start_matches("content/");
    let latest = s.read(&format!("{section_path}index.html"));
    assert!(latest.contains("data-state=\"changed\""), "{latest}");
    assert!(latest.contains("<mark class=\"anchor\" id=\"n2\""));
    assert!(s.exists(&format!("{section_path}versions/{stem}/index.html")));
}

#[test]
fn check_fix_never_moves_a_pinned_note() {
    let s = fixture();
    let sidecar = "content/news/budget/index.annotations.yaml";
    // A drift on the latest for an unpinned note, and a pinned note whose
    // passage is only close to the latest text.
    let text = "- quote: cut the library budget by 12 percents\n  note: unpinned\n\
                - quote: by 10 percent\n  note: pinned\n  version: 2021-05-04\n";
    s.file(sidecar, text);
    let r = s.run(&["check", "--fix"]);
    let after = std::fs::read_to_string(s.root().join(sidecar)).unwrap();
    assert!(
        after.contains("quote: by 10 percent\n  note: pinned\n  version: 2021-05-04"),
        "{after}\n{}",
        r.stderr
    );
    assert!(
        after.contains("quote: cut the library budget by 12 percent\n"),
        "the unpinned one is fixed: {after}\n{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn annotations_target_the_snapshot_each_note_was_written_on() {
    let s = fixture();
    s.build().assert_ok();
    let page: serde_json::Value =
        serde_json::from_str(&s.read("news/budget/annotations.jsonld")).unwrap();
    let items = page["items"].as_array().unwrap();
    let target = |id: &str| {
        items
            .iter()
            .find(|a| a["id"].as_str().unwrap().ends_with(&format!("#note-{id}")))
            .unwrap_or_else(|| panic!("{id} in {page}"))["target"]
            .clone()
    };
    let v1 = format!("{BASE}news/budget/versions/2021-05-04/");
    let mayor = target("mayor");
    assert_eq!(mayor["source"], v1.as_str());
    assert_eq!(mayor["selector"]["type"], "TextQuoteSelector");
    assert_eq!(mayor["selector"]["exact"], "painful but necessary");
    // Changed since noted: still an annotation, on the words it was about.
    let first = target("first-figure");
    assert_eq!(first["source"], v1.as_str());
    assert_eq!(first["selector"]["exact"], "10 percent");
    assert_eq!(
        target("branches")["source"],
        format!("{BASE}news/budget/versions/2021-05-05/").as_str()
    );
    assert_eq!(
        target("latest-note")["source"],
        format!("{BASE}news/budget/").as_str()
    );
    assert_eq!(items.len(), 4);
    let all: serde_json::Value = serde_json::from_str(&s.read("annotations.jsonld")).unwrap();
    assert_eq!(all["total"], 4);
}

#[test]
fn the_sample_octopus_story_shows_its_changed_headline() {
    let out = tempfile::tempdir().unwrap();
    let o = common::bin()
        .args(["build", "--root", env!("CARGO_MANIFEST_DIR"), "--output"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap();
    let diff = read("articles/octopus-sleep/changes/index.html");
    assert!(
        diff.contains("Title: <del>Scientists prove octopuses</del><ins>Octopuses</ins> dream"),
        "{diff}"
    );
    assert!(diff.contains("no correction or update notice added"));
    let first = read("articles/octopus-sleep/versions/2024-08-09/index.html");
    assert!(first.contains("now scientists have proved it"));
    assert!(first.contains("Not the latest version"));
    assert!(read("articles/octopus-sleep/index.html").contains("2 versions"));
    assert!(read("changes/index.html").contains("Octopuses dream just like us"));
    assert!(read("sources/brightwater/index.html").contains("changed after capture"));
}

#[test]
fn serve_re_renders_what_a_snapshot_edit_touches() {
    use marginalia::incremental::{LiveSite, Produced};
    let s = fixture();
    let options = marginalia::config::BuildOptions {
        root: s.root().to_path_buf(),
        ..Default::default()
    };
    let (live, diags) = LiveSite::load(&options);
    let mut live = live.unwrap_or_else(|| panic!("{diags:?}"));
    let text = |p: Produced| match p {
        Produced::Bytes(b) => String::from_utf8(b).unwrap(),
        Produced::File(f) => std::fs::read_to_string(f).unwrap(),
    };
    let snapshot = "content/news/budget/versions/2021-05-05.md";
    let old = std::fs::read_to_string(s.root().join(snapshot)).unwrap();
    s.file(
        snapshot,
        &old.replace("painful but necessary", "painful but unavoidable"),
    );
    // The article's own page comes first (`early`), the rest after.
    let mut early: Vec<String> = Vec::new();
    let update = live
        .apply(&[s.root().join(snapshot)], &mut |files| {
            early.extend(files.iter().map(|(p, _)| p.clone()))
        })
        .unwrap_or_else(|d| panic!("{d:?}"));
    let changed: Vec<&String> = update
        .files
        .iter()
        .map(|(p, _)| p)
        .chain(&update.later)
        .chain(&early)
        .collect();
    for p in [
        "news/budget/versions/2021-05-05/index.html",
        "news/budget/changes/index.html",
        "news/budget/index.html",
        "changes/index.html",
        "changes/atom.xml",
    ] {
        assert!(
            changed.iter().any(|c| *c == p),
            "{p} not re-rendered: {changed:?}"
        );
    }
    let page = text(
        live.render_path("news/budget/versions/2021-05-05/index.html")
            .unwrap()
            .unwrap(),
    );
    assert!(page.contains("painful but unavoidable"));
    let diff = text(
        live.render_path("news/budget/changes/index.html")
            .unwrap()
            .unwrap(),
    );
    assert!(
        diff.contains("painful but <del>necessary.</del><ins>unavoidable.</ins>"),
        "{diff}"
    );

    // A new snapshot is a new page, and a removed one goes.
    let added = "content/news/budget/versions/2021-05-03.md";
    s.file(
        added,
        &format!("{}{P1}\n", front("Earliest", "2021-05-03T09:00:00+00:00")),
    );
    live.apply(&[s.root().join(added)], &mut |_| {})
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert!(live.has_path("news/budget/versions/2021-05-03/index.html"));
    s.remove(added);
    live.apply(&[s.root().join(added)], &mut |_| {})
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!live.has_path("news/budget/versions/2021-05-03/index.html"));
}

// ---- Notes changed since noted, in every output that gathers notes ------

/// An article whose only notes were written on its first snapshot, on
/// words a stealth edit since replaced: one rated, citing a source, with a
/// reply; one a question. A second article cites the same source with an
/// ordinary note.
fn changed_only() -> TestSite {
    let s = TestSite::new();
    let p1_12 = P1.replace("10 percent", "12 percent");
    s.file(
        "site.yaml",
        &format!("title: Versions test\nbase_url: {BASE}\n"),
    )
    .file(
        "content/sources.yaml",
        &format!("{SOURCES}watchdog:\n  name: Budget Watchdog\n  kind: organization\n"),
    )
    .file(
        "content/news/budget/versions/2021-05-04.md",
        &format!(
            "{}{P1}\n\n{P2}\n",
            front("Council cuts library budget", "2021-05-04T09:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/index.md",
        &format!(
            "{}{p1_12}\n",
            front("Council cuts library budget", "2021-05-07T10:00:00+00:00")
        ),
    )
    .file(
        "content/news/budget/index.annotations.yaml",
        "\
- quote: \"10 percent\"
  note: The watchdog's own figure was 12 percent.
  version: 2021-05-04
  id: first-figure
  rating: Mostly false
  sources: [watchdog]
  date: 2021-05-05
  replies:
    - {author: Bo, text: The paper changed it two days later.}
- quote: Three branches will close
  note: Which three?
  version: 2021-05-04
  id: branches
  kind: question
",
    )
    .file(
        "content/news/other.md",
        "---\ntitle: Other\ndate: 2021-04-01\nsource: gazette\n---\nThe watchdog counted again.\n",
    )
    .file(
        "content/news/other.annotations.yaml",
        "- quote: counted again\n  note: Its second count.\n  id: again\n  sources: [watchdog]\n",
    );
    s
}

#[test]
fn a_source_page_gathers_the_notes_changed_since_noted() {
    let s = changed_only();
    s.build().assert_ok();
    let page = s.read("sources/watchdog/index.html");
    assert!(page.contains("2 notes citing it"), "{page}");
    let card = between(
        &page,
        "<figure class=\"note-card\" data-state=\"changed\"",
        "</figure>",
    );
    assert!(card.contains("data-version=\"2021-05-04\""), "{card}");
    // The words as they read when noted, struck through, and where they were.
    assert!(card.contains("<del>10 percent</del>"), "{card}");
    assert!(!card.contains("<mark>"), "{card}");
    assert!(
        card.contains(&format!(
            "Changed since noted: written on <a href=\"{BASE}news/budget/versions/2021-05-04/#first-figure\">the version of 2021-05-04</a>"
        )),
        "{card}"
    );
    // Its link finds the note's aside on the latest page.
    let link = format!("{BASE}news/budget/#note-first-figure");
    assert!(
        card.contains(&format!(
            "<a href=\"{link}\">The note on the latest version</a>"
        )),
        "{card}"
    );
    let latest = s.read("news/budget/index.html");
    assert!(latest.contains("id=\"note-first-figure\""));
    // The ordinary note beside it is as it was.
    let other = between(&page, "<figure class=\"note-card\">", "</figure>");
    assert!(other.contains("<mark>counted again</mark>"), "{other}");
    assert!(other.contains("Note 1 in context"), "{other}");
    // The timeline counts both notes (May 2021 and April 2021).
    assert!(page.contains("Budget Watchdog by month"), "{page}");
}

#[test]
fn notes_csv_has_the_notes_changed_since_noted_with_their_state_and_version() {
    let s = changed_only();
    s.build().assert_ok();
    let (header, rows) = s.notes_csv();
    assert_eq!(
        &header[header.len() - 3..],
        ["reply_to", "state", "version"]
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let cells = |r: &csv::StringRecord, c: &[&str]| -> Vec<String> {
        c.iter().map(|n| r[col(n)].to_string()).collect()
    };
    let shown = [
        "quote", "rating", "sources", "link", "reply_to", "state", "version",
    ];
    let budget = format!("{BASE}news/budget/");
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(
        cells(&rows[0], &shown),
        [
            "10 percent",
            "Mostly false",
            "Budget Watchdog",
            &format!("{budget}#note-first-figure"),
            "",
            "changed",
            "2021-05-04"
        ]
    );
    assert_eq!(&rows[0][col("date")], "2021-05-05");
    // Its reply follows it, naming it; a reply has no state of its own.
    assert_eq!(
        cells(&rows[1], &shown),
        [
            "",
            "",
            "",
            &format!("{budget}#note-first-figure"),
            &format!("{budget}#note-first-figure"),
            "",
            ""
        ]
    );
    assert_eq!(&rows[2][col("quote")], "Three branches will close");
    assert_eq!(&rows[2][col("kind")], "question");
    assert_eq!(&rows[2][col("state")], "changed");
    // A note on the latest text: anchored, no version, its passage's link.
    assert_eq!(
        cells(&rows[3], &["quote", "link", "state", "version"]),
        [
            "counted again",
            &format!("{BASE}news/other/#again"),
            "anchored",
            ""
        ]
    );
}

#[test]
fn a_pinned_note_still_in_the_latest_is_anchored_in_the_csv() {
    let s = fixture();
    s.build().assert_ok();
    let bytes = std::fs::read(s.out("notes.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = |id: &str| {
        csv::Reader::from_reader(bytes.as_slice())
            .records()
            .map(Result::unwrap)
            .find(|r| r[col("link")].contains(id))
            .unwrap_or_else(|| panic!("{id}"))
    };
    let state = |id: &str| {
        let r = row(id);
        (r[col("state")].to_string(), r[col("version")].to_string())
    };
    assert_eq!(state("#mayor"), ("anchored".into(), "2021-05-04".into()));
    assert_eq!(state("#latest-note"), ("anchored".into(), "".into()));
    assert_eq!(
        state("#note-first-figure"),
        ("changed".into(), "2021-05-04".into())
    );
    assert_eq!(
        state("#note-branches"),
        ("changed".into(), "2021-05-05".into())
    );
    assert_eq!(reader.records().count(), 4);
}

#[test]
fn an_article_whose_notes_all_changed_links_its_annotations() {
    let s = changed_only();
    s.build().assert_ok();
    let latest = s.read("news/budget/index.html");
    let href = format!("{BASE}news/budget/annotations.jsonld");
    assert!(
        latest.contains(&format!(
            "<link rel=\"alternate\" type=\"application/ld+json\" title=\"Notes (W3C Web Annotation)\" href=\"{href}\">"
        )),
        "{latest}"
    );
    let page: serde_json::Value =
        serde_json::from_str(&s.read("news/budget/annotations.jsonld")).unwrap();
    let items = page["items"].as_array().unwrap();
    // Two notes and the reply.
    assert_eq!(items.len(), 3, "{page}");
    assert_eq!(
        items[0]["target"]["source"],
        format!("{BASE}news/budget/versions/2021-05-04/").as_str()
    );
    assert_eq!(items[0]["target"]["selector"]["exact"], "10 percent");
    let all: serde_json::Value = serde_json::from_str(&s.read("annotations.jsonld")).unwrap();
    assert_eq!(
        all["total"], 4,
        "three of the budget article, one of the other"
    );
}

#[test]
fn a_rated_note_changed_since_noted_keeps_its_claim_review_and_claim() {
    let s = changed_only();
    s.build().assert_ok();
    let latest = s.read("news/budget/index.html");
    let reviews: Vec<serde_json::Value> = latest
        .split("<script type=\"application/ld+json\">")
        .skip(1)
        .map(|x| serde_json::from_str(&x[..x.find("</script>").unwrap()]).unwrap())
        .filter(|v: &serde_json::Value| v["@type"] == "ClaimReview")
        .collect();
    assert_eq!(reviews.len(), 1, "{latest}");
    let r = &reviews[0];
    assert_eq!(r["claimReviewed"], "10 percent");
    assert_eq!(r["reviewRating"]["alternateName"], "Mostly false");
    // Where the review is shown: the note's aside, the passage being gone.
    assert_eq!(
        r["url"],
        format!("{BASE}news/budget/#note-first-figure").as_str()
    );
    let claims = s.read("claims/index.html");
    assert!(claims.contains("<p>10 percent</p>"), "{claims}");
    assert!(
        claims.contains(&format!(
            "<a href=\"{BASE}news/budget/#note-first-figure\">the note</a>"
        )),
        "{claims}"
    );
    assert!(
        s.read("claims/atom.xml")
            .contains("Mostly false: “10 percent”")
    );
}
