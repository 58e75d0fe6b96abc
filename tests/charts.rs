//! The archive's pictures (issue 15, DESIGN §12) through the real binary:
//! every SVG parses, carries its title and description, and its numbers,
//! read back from the chart's own data table, equal counts this test makes
//! from the fixture it wrote.

use std::collections::BTreeMap;

use crate::common::TestSite;

const SOURCES: &str = "\
nyt:
  name: The New York Times
  kind: publication
  url: https://www.nytimes.com/
wapo:
  name: The Washington Post
  kind: publication
kerry:
  name: John Kerry
  kind: person
";

/// (file stem, date, source, notes as (quote, kind, cited source)).
type Fixture = (
    &'static str,
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str, &'static str)>,
);

fn fixture() -> Vec<Fixture> {
    vec![
        (
            "a",
            "2021-01-10",
            "nyt",
            vec![
                ("alpha one", "sourcing", "kerry"),
                ("alpha two", "framing", "kerry"),
                ("alpha three", "sourcing", "wapo"),
            ],
        ),
        (
            "b",
            "2021-01-20",
            "nyt",
            vec![("beta one", "context", "kerry")],
        ),
        ("c", "2021-04-02", "wapo", vec![]),
        (
            "d",
            "2021-04-15",
            "nyt",
            vec![
                ("delta one", "sourcing", "kerry"),
                ("delta two", "context", "nyt"),
            ],
        ),
    ]
}

fn site() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Charts\nbase_url: https://example.org/\n",
    )
    .file("content/sources.yaml", SOURCES);
    for (stem, date, source, notes) in fixture() {
        let body: Vec<&str> = notes.iter().map(|(q, _, _)| *q).collect();
        s.file(
            &format!("content/articles/{stem}.md"),
            &format!(
                "---\ntitle: Article {stem}\ndate: {date}\nsource: {source}\n---\nText with {}.\n",
                if body.is_empty() {
                    "nothing".to_string()
                } else {
                    body.join(", then ")
                }
            ),
        );
        if !notes.is_empty() {
            let yaml: String = notes
                .iter()
                .map(|(q, k, src)| {
                    format!(
                        "- quote: \"{q}\"\n  note: About {q}.\n  kind: {k}\n  sources: [{src}]\n"
                    )
                })
                .collect();
            s.file(&format!("content/articles/{stem}.annotations.yaml"), &yaml);
        }
    }
    s
}

/// Each chart of a page: its `<title>` and the rows of its data table
/// (row header → cells).
fn charts(html: &str) -> BTreeMap<String, Vec<(String, Vec<u64>)>> {
    let mut out = BTreeMap::new();
    for figure in html.split("<figure class=\"chart-figure\"").skip(1) {
        let figure = figure.split("</figure>").next().unwrap();
        let svg_start = figure.find("<svg").unwrap();
        let svg_end = figure.find("</svg>").unwrap() + "</svg>".len();
        let svg = roxmltree::Document::parse(&figure[svg_start..svg_end]).expect("the SVG parses");
        let root = svg.root_element();
        let title = root
            .children()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text())
            .expect("a <title>")
            .to_string();
        assert!(
            root.children().any(|n| n.has_tag_name("desc")),
            "{title}: a <desc>"
        );
        assert_eq!(root.attribute("role"), Some("img"));
        let t_start = figure.find("<table").unwrap();
        let t_end = figure.find("</table>").unwrap() + "</table>".len();
        let table = roxmltree::Document::parse(&figure[t_start..t_end]).expect("the table parses");
        let rows = table
            .descendants()
            .filter(|n| n.has_tag_name("tr"))
            .filter(|tr| tr.children().any(|c| c.has_tag_name("td")))
            .map(|tr| {
                let head: String = tr
                    .children()
                    .find(|c| c.has_tag_name("th"))
                    .map(|th| {
                        th.descendants()
                            .filter(|d| d.is_text())
                            .filter_map(|d| d.text())
                            .collect()
                    })
                    .unwrap_or_default();
                let cells = tr
                    .children()
                    .filter(|c| c.has_tag_name("td"))
                    .map(|td| td.text().unwrap().parse().unwrap())
                    .collect();
                (head, cells)
            })
            .collect();
        out.insert(title, rows);
    }
    out
}

#[test]
fn stats_page_counts_match_the_fixture() {
    let s = site();
    s.build().assert_ok();
    let html = s.read("stats/index.html");
    let c = charts(&html);
    assert_eq!(c.len(), 5, "{:?}", c.keys());

    // Articles per month, quiet months included.
    let mut per_month: BTreeMap<String, u64> = BTreeMap::new();
    for (_, date, _, _) in fixture() {
        *per_month.entry(date[..7].to_string()).or_default() += 1;
    }
    let months = &c["Articles per month"];
    let labels: Vec<&str> = months.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(labels, ["2021-01", "2021-02", "2021-03", "2021-04"]);
    for (m, cells) in months {
        assert_eq!(cells[0], per_month.get(m).copied().unwrap_or(0), "{m}");
    }

    // Notes by kind: the table's total column per kind.
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for (_, _, _, notes) in fixture() {
        for (_, k, _) in notes {
            *by_kind.entry(k.to_string()).or_default() += 1;
        }
    }
    let kinds: BTreeMap<String, u64> = c["Notes by kind"]
        .iter()
        .map(|(k, cells)| (k.clone(), *cells.last().unwrap()))
        .collect();
    assert_eq!(kinds, by_kind);

    // Most-cited sources: notes citing each, ranked.
    let cited = &c["The 20 most-cited sources"];
    assert_eq!(
        cited
            .iter()
            .map(|(n, v)| (n.as_str(), v[0]))
            .collect::<Vec<_>>(),
        [
            ("John Kerry", 4),
            ("The New York Times", 1),
            ("The Washington Post", 1)
        ]
    );
    assert!(html.contains("<a href=\"https://example.org/sources/kerry/\">John Kerry</a>"));

    // Most-annotated articles, and the spread of notes per article.
    let annotated = &c["The 20 most-annotated articles"];
    assert_eq!(
        annotated
            .iter()
            .map(|(n, v)| (n.as_str(), v[0]))
            .collect::<Vec<_>>(),
        [("Article a", 3), ("Article d", 2), ("Article b", 1)]
    );
    let spread: BTreeMap<&str, u64> = c["Notes per article"]
        .iter()
        .map(|(n, v)| (n.as_str(), v[0]))
        .collect();
    assert_eq!(spread["0 notes"], 1);
    assert_eq!(spread["1 notes"], 1);
    assert_eq!(spread["2 notes"], 1);
    assert_eq!(spread["3 notes"], 1);
    assert_eq!(spread.values().sum::<u64>(), 4);
}

#[test]
fn source_timeline_stacks_articles_and_citing_notes_by_month() {
    let s = site();
    s.build().assert_ok();
    let c = charts(&s.read("sources/kerry/index.html"));
    let rows = &c["John Kerry by month"];
    // Kerry: no articles from him; notes citing him in January (a: 2, b: 1)
    // and April (d: 1), dated by their articles. Columns: articles, then
    // kinds alphabetically (context, framing, sourcing), then the total.
    let by_month: BTreeMap<&str, &Vec<u64>> = rows.iter().map(|(m, v)| (m.as_str(), v)).collect();
    assert_eq!(by_month["2021-01"], &vec![0, 1, 1, 1, 3]);
    assert_eq!(by_month["2021-02"], &vec![0, 0, 0, 0, 0]);
    assert_eq!(by_month["2021-04"], &vec![0, 0, 0, 1, 1]);

    let nyt = charts(&s.read("sources/nyt/index.html"));
    let nyt_rows: BTreeMap<&str, &Vec<u64>> = nyt["The New York Times by month"]
        .iter()
        .map(|(m, v)| (m.as_str(), v))
        .collect();
    // Articles a, b (January) and d (April); d's note citing nyt is context.
    assert_eq!(nyt_rows["2021-01"][0], 2);
    assert_eq!(nyt_rows["2021-04"], &vec![1, 1, 0, 0, 2]);
}

/// A paginated source draws its timeline on its first page only (its
/// page, `/sources/<key>/`); later pages link to it instead of repeating
/// the whole chart.
#[test]
fn a_paginated_source_draws_its_timeline_on_page_one_only() {
    let s = site();
    s.file(
        "site.yaml",
        "title: Charts\nbase_url: https://example.org/\npaginate_by: 2\n",
    );
    s.build().assert_ok();
    // nyt: articles a, b and d, two a page.
    let p1 = s.read("sources/nyt/index.html");
    let p2 = s.read("sources/nyt/page/2/index.html");
    let c = charts(&p1);
    assert_eq!(c["The New York Times by month"].len(), 4, "{c:?}");
    assert!(p1.contains("id=\"source-timeline\""));
    assert!(!p1.contains("chart-elsewhere"));
    assert!(!p2.contains("<svg"), "page 2 repeats the chart");
    assert!(!p2.contains("chart-figure"));
    let link = crate::common::tags(&p2)
        .into_iter()
        .filter(|t| t.name == "a")
        .find(|t| {
            t.attrs
                .iter()
                .any(|(k, v)| k == "href" && v.ends_with("#source-timeline"))
        })
        .expect("page 2 links to the timeline");
    let href = &link.attrs.iter().find(|(k, _)| k == "href").unwrap().1;
    assert_eq!(href, "https://example.org/sources/nyt/#source-timeline");
    // A source on one page only has no link to itself.
    let wapo = s.read("sources/wapo/index.html");
    assert!(wapo.contains("chart-figure") && !wapo.contains("chart-elsewhere"));
}

#[test]
fn a_site_with_nothing_dated_draws_no_timeline() {
    let s = TestSite::new();
    s.file("content/sources.yaml", SOURCES).file(
        "content/articles/x.md",
        "---\ntitle: X\nsource: nyt\n---\nText.\n",
    );
    s.build().assert_ok();
    assert!(!s.read("sources/nyt/index.html").contains("chart-figure"));
    let stats = s.read("stats/index.html");
    assert!(stats.contains("1 without a date are not counted"));
}

/// The thin map beside an annotated article's title: one link per note,
/// in reading order, each pointing at its note's aside, placed along the
/// text in the order the passages come, coloured by kind.
#[test]
fn article_note_map_places_each_note_where_its_passage_is() {
    let s = site();
    s.build().assert_ok();
    let page = s.read("articles/a/index.html");
    let start = page
        .find("<figure class=\"note-map-figure\">")
        .expect("an annotated article has a note map");
    let figure = &page[start..];
    let svg = &figure[figure.find("<svg").unwrap()..figure.find("</svg>").unwrap() + 6];
    let doc = roxmltree::Document::parse(svg).expect("the note map parses");
    let root = doc.root_element();
    assert_eq!(root.attribute("role"), Some("img"));
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap();
    assert_eq!(title, "Where the 3 notes fall in the text");
    assert!(root.children().any(|n| n.has_tag_name("desc")));

    let ticks: Vec<(String, String, f64)> = root
        .children()
        .filter(|n| n.has_tag_name("a"))
        .map(|a| {
            let rect = a.children().find(|n| n.has_tag_name("rect")).unwrap();
            (
                a.attribute("href").unwrap().to_string(),
                rect.attribute("data-kind").unwrap().to_string(),
                rect.attribute("x").unwrap().parse().unwrap(),
            )
        })
        .collect();
    let kinds: Vec<&str> = fixture()[0].3.iter().map(|(_, k, _)| *k).collect();
    assert_eq!(ticks.len(), kinds.len());
    for (i, (href, kind, _)) in ticks.iter().enumerate() {
        assert_eq!(kind, kinds[i], "tick {i}");
        let id = href.strip_prefix('#').expect("an in-page link");
        assert!(
            page.contains(&format!("<aside class=\"margin-note\" id=\"{id}\"")),
            "{href} points at a note's aside"
        );
    }
    // The passages come in this order in the text, so the ticks do too.
    assert!(ticks.windows(2).all(|w| w[0].2 < w[1].2), "{ticks:?}");

    // An article without notes draws no map.
    let bare = s.read("articles/c/index.html");
    assert!(!bare.contains("note-map"));
}
