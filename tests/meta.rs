//! What readers' tools read (issue 14, DESIGN §11): `<head>` metadata on
//! every page, JSON-LD with ClaimReview, ratings, citations, exports, and
//! TOML front matter. Every test builds a site through the binary.

use crate::common::{self, TestSite};

const BASE: &str = "https://fact.example/archive/";

/// A title and a quote written to break out of a `<script>`.
const HOSTILE_TITLE: &str = r#"Claims </script><script>alert(1)</script> <!-- "quoted" & it's"#;

fn site_yaml(extra: &str) -> String {
    format!(
        "title: \"Checks\"\nbase_url: \"{BASE}\"\ndescription: \"Site description\"\nauthor: \"Desk\"\n{extra}"
    )
}

const SCALE: &str = "ratings:\n  best: 5\n  worst: 1\n  labels:\n    \"False\": 1\n    \"Half true\": 3\n    \"True\": 5\n";

const SOURCES: &str = "paper:\n  name: \"The Paper\"\n  url: \"https://paper.example/\"\n  kind: publication\n\
                       ann:\n  name: \"Ann Person\"\n  kind: person\n";

/// A site with one rated article, one page, a tag and two sources.
fn rated_site() -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml(SCALE))
        .file("content/sources.yaml", SOURCES)
        .file(
            "content/news/claims.md",
            &format!(
                "---\ntitle: '{}'\ndate: 2021-05-04\nsource: paper\nauthor: [Jo Writer]\n\
                 original_url: \"https://paper.example/claims\"\narchived: 2026-11-26\ntags: [checks]\n\
                 description: \"What the paper said\"\n---\n\
                 The minister said \"crime fell by half\" in 2020. It's `</script>` time `<!--` now.\n",
                HOSTILE_TITLE.replace('\'', "''")
            ),
        )
        .file(
            "content/news/claims.annotations.yaml",
            "- quote: '\"crime fell by half\"'\n  note: Police figures show a fall of 8%.\n  rating: \"False\"\n  author: Sam Checker\n  date: 2026-11-27\n  id: crime\n\
             - quote: \"It's </script> time <!--\"\n  note: hostile quote\n  rating: {label: \"Half true\", value: 3, best: 5, worst: 1}\n\
             - quote: minister\n  note: not rated\n  sources: [ann]\n",
        )
        .file("content/about.md", "---\ntitle: About\n---\nAbout us.\n");
    s.build().assert_ok();
    s
}

/// The JSON-LD blocks of a page, parsed.
#[track_caller]
fn json_ld(html: &str) -> Vec<serde_json::Value> {
    let open = "<script type=\"application/ld+json\">";
    html.match_indices(open)
        .map(|(i, _)| {
            let rest = &html[i + open.len()..];
            let end = rest.find("</script>").expect("script closed");
            serde_json::from_str(&rest[..end])
                .unwrap_or_else(|e| panic!("JSON-LD does not parse ({e}): {}", &rest[..end]))
        })
        .collect()
}

fn meta_content<'a>(tags: &'a [common::Tag], attr: &str, name: &str) -> Option<&'a str> {
    tags.iter()
        .filter(|t| t.name == "meta")
        .find(|t| t.attrs.iter().any(|(a, v)| a == attr && v == name))
        .and_then(|t| t.attrs.iter().find(|(a, _)| a == "content"))
        .map(|(_, v)| v.as_str())
}

fn link_href<'a>(tags: &'a [common::Tag], rel: &str) -> Vec<&'a str> {
    tags.iter()
        .filter(|t| t.name == "link" && t.attrs.iter().any(|(a, v)| a == "rel" && v == rel))
        .filter_map(|t| t.attrs.iter().find(|(a, _)| a == "href"))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn head_metadata_is_on_every_kind_of_page() {
    let s = rated_site();
    let pages = [
        ("index.html", "", "website"),
        ("news/index.html", "news/", "website"),
        ("news/claims/index.html", "news/claims/", "article"),
        ("about/index.html", "about/", "website"),
        ("tags/index.html", "tags/", "website"),
        ("tags/checks/index.html", "tags/checks/", "website"),
        ("sources/index.html", "sources/", "website"),
        ("sources/paper/index.html", "sources/paper/", "website"),
        ("404.html", "404.html", "website"),
    ];
    for (file, path, og_type) in pages {
        let html = s.read(file);
        let head = &html[..html.find("</head>").unwrap()];
        let tags = common::tags(head);
        let url = format!("{BASE}{path}");
        assert_eq!(link_href(&tags, "canonical"), [url.as_str()], "{file}");
        assert_eq!(
            meta_content(&tags, "property", "og:url"),
            Some(url.as_str()),
            "{file}"
        );
        assert_eq!(
            meta_content(&tags, "property", "og:type"),
            Some(og_type),
            "{file}"
        );
        assert_eq!(
            meta_content(&tags, "property", "og:site_name"),
            Some("Checks"),
            "{file}"
        );
        for p in ["og:title", "og:description"] {
            assert!(
                meta_content(&tags, "property", p).is_some_and(|c| !c.is_empty()),
                "{file}: {p}"
            );
        }
        assert_eq!(
            meta_content(&tags, "name", "twitter:card"),
            Some("summary"),
            "{file}"
        );
        assert!(
            meta_content(&tags, "name", "twitter:title").is_some(),
            "{file}"
        );
        assert!(
            link_href(&tags, "alternate").contains(&format!("{BASE}atom.xml").as_str()),
            "{file}"
        );
        let published = meta_content(&tags, "property", "article:published_time");
        assert_eq!(published.is_some(), og_type == "article", "{file}");
    }
    let article = common::tags(&s.read("news/claims/index.html"));
    assert_eq!(
        meta_content(&article, "property", "article:published_time"),
        Some("2021-05-04T00:00:00+00:00")
    );
    assert_eq!(
        meta_content(&article, "property", "og:description"),
        Some("What the paper said")
    );
    // A source page also announces its own feed.
    let source = common::tags(&s.read("sources/paper/index.html"));
    assert!(
        link_href(&source, "alternate").contains(&format!("{BASE}sources/paper/atom.xml").as_str())
    );
    assert_eq!(
        meta_content(&source, "property", "og:title"),
        Some("The Paper")
    );
}

#[test]
fn json_ld_of_an_article_and_its_rated_notes_field_by_field() {
    let s = rated_site();
    let html = s.read("news/claims/index.html");
    let blocks = json_ld(&html);
    assert_eq!(blocks.len(), 3, "an article and two ClaimReviews");
    let a = &blocks[0];
    let url = format!("{BASE}news/claims/");
    assert_eq!(a["@context"], "https://schema.org");
    assert_eq!(a["@type"], "NewsArticle", "its source is a publication");
    assert_eq!(a["headline"], HOSTILE_TITLE, "the title as written");
    assert_eq!(a["url"], url);
    assert_eq!(a["isBasedOn"], "https://paper.example/claims");
    assert_eq!(
        a["archivedAt"], url,
        "without archive_url, this page is the copy"
    );
    assert_eq!(a["datePublished"], "2021-05-04");
    assert_eq!(a["author"][0]["@type"], "Person");
    assert_eq!(a["author"][0]["name"], "Jo Writer");
    assert_eq!(a["publisher"]["@type"], "Organization");
    assert_eq!(a["publisher"]["name"], "The Paper");
    assert_eq!(a["publisher"]["url"], "https://paper.example/");
    assert_eq!(a["description"], "What the paper said");

    let c = &blocks[1];
    assert_eq!(c["@context"], "https://schema.org");
    assert_eq!(c["@type"], "ClaimReview");
    assert_eq!(c["url"], format!("{url}#crime"));
    assert_eq!(
        c["claimReviewed"], "\"crime fell by half\"",
        "straight quotes, as written"
    );
    let r = &c["reviewRating"];
    assert_eq!(r["@type"], "Rating");
    assert_eq!(r["alternateName"], "False");
    assert_eq!(r["ratingValue"], 1, "from the site's scale");
    assert_eq!(r["bestRating"], 5);
    assert_eq!(r["worstRating"], 1);
    let claim = &c["itemReviewed"];
    assert_eq!(claim["@type"], "Claim");
    assert_eq!(claim["appearance"]["url"], "https://paper.example/claims");
    assert_eq!(claim["author"]["name"], "The Paper");
    assert_eq!(claim["datePublished"], "2021-05-04");
    assert_eq!(c["author"]["@type"], "Person");
    assert_eq!(c["author"]["name"], "Sam Checker");
    assert_eq!(c["datePublished"], "2026-11-27");

    let h = &blocks[2];
    assert_eq!(
        h["claimReviewed"], "It's </script> time <!--",
        "the hostile quote survives intact"
    );
    assert_eq!(h["reviewRating"]["ratingValue"], 3);
    assert_eq!(
        h["author"]["@type"], "Organization",
        "no note author: the site's"
    );
    assert_eq!(h["author"]["name"], "Desk");
    assert_eq!(
        h["datePublished"], "2026-11-26",
        "no note date: the archived date"
    );

    // The hostile title and quote closed nothing: every `</script>` is one
    // this page opened, and no comment was opened in the head.
    let head = &html[..html.find("</head>").unwrap()];
    assert_eq!(
        common::count(head, "</script"),
        common::count(head, "<script")
    );
    assert!(!head.contains("<!--"));
    // Pages other than articles carry none.
    assert!(json_ld(&s.read("about/index.html")).is_empty());
}

#[test]
fn the_margin_says_the_rating_in_words() {
    let s = rated_site();
    let html = s.read("news/claims/index.html");
    assert!(html.contains(
        "<span class=\"rating-badge\">Rating: <strong>False</strong> <span class=\"rating-scale\">(1 on a scale from 1 to 5)</span></span>"
    ));
    assert!(html.contains("Rating: <strong>Half true</strong>"));
    assert_eq!(common::count(&html, "class=\"rating-badge\""), 2);
}

#[test]
fn rating_errors_point_at_their_line() {
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml(SCALE))
        .file("content/a/x.md", "---\ntitle: X\ndate: 2021-01-01\n---\nThe sky is green today.\n")
        .file(
            "content/a/x.annotations.yaml",
            "- quote: sky\n  note: n\n  rating: Half ture\n\
             - quote: green\n  note: m\n  rating:\n    label: \"False\"\n    value: 9\n    best: 5\n    worst: 1\n\
             - quote: today\n  note: o\n  rating: {label: \"True\", colour: red}\n",
        );
    let run = s.build();
    run.assert_code(1);
    let err = &run.stderr;
    assert!(
        err.contains("content/a/x.annotations.yaml:3:3: unknown rating \"Half ture\""),
        "{err}"
    );
    assert!(err.contains("did you mean `Half true`?"), "{err}");
    assert!(
        err.contains(
            "content/a/x.annotations.yaml:6:3: rating value 9 is not between worst (1) and best (5)"
        ),
        "{err}"
    );
    assert!(
        err.contains("content/a/x.annotations.yaml:13:")
            && err.contains("unknown key `colour` in a rating"),
        "{err}"
    );
    assert!(err.contains("3 errors"), "{err}");
}

#[test]
fn a_bare_label_needs_no_scale_but_a_scale_is_checked() {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        &site_yaml("ratings:\n  best: 5\n  worst: 1\n  labels:\n    Odd: 7\n"),
    )
    .file(
        "content/a/x.md",
        "---\ntitle: X\ndate: 2021-01-01\n---\nThe sky.\n",
    );
    let run = s.build();
    assert!(
        run.stderr
            .contains("site.yaml:9:5: rating \"Odd\" has the value 7"),
        "{}",
        run.stderr
    );
    s.file("site.yaml", &site_yaml("")).file(
        "content/a/x.annotations.yaml",
        "- quote: sky\n  note: n\n  rating: Pants on fire\n",
    );
    s.build().assert_ok();
    let blocks = json_ld(&s.read("a/x/index.html"));
    let r = &blocks[1]["reviewRating"];
    assert_eq!(r["alternateName"], "Pants on fire");
    assert!(r.get("ratingValue").is_none(), "no scale, no number");
}

#[test]
fn cite_this_archived_copy() {
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml(""))
        .file("content/sources.yaml", SOURCES)
        .file(
            "content/news/c.md",
            "---\ntitle: \"Rates & {taxes} at 50%\"\ndate: 2021-05-04\nsource: paper\nauthor: [Jo Writer, Al Second]\n\
             original_url: \"https://paper.example/c\"\narchive_url: \"https://web.archive.example/2021/https://paper.example/c\"\n\
             archived: 2026-11-26\n---\nBody.\n",
        );
    s.build().assert_ok();
    let html = s.read("news/c/index.html");
    let tags = common::tags(&html);
    assert_eq!(
        meta_content(&tags, "name", "citation_title"),
        Some("Rates & {taxes} at 50%")
    );
    let authors: Vec<&str> = tags
        .iter()
        .filter(|t| {
            t.attrs
                .iter()
                .any(|(a, v)| a == "name" && v == "citation_author")
        })
        .filter_map(|t| {
            t.attrs
                .iter()
                .find(|(a, _)| a == "content")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert_eq!(authors, ["Jo Writer", "Al Second"]);
    assert_eq!(
        meta_content(&tags, "name", "citation_publication_date"),
        Some("2021/05/04")
    );
    assert_eq!(
        meta_content(&tags, "name", "citation_journal_title"),
        Some("The Paper")
    );
    // CSL-JSON, read back from the page.
    let start = html.find("<pre class=\"cite-csl\"><code>").unwrap() + 28;
    let end = start + html[start..].find("</code>").unwrap();
    let csl: serde_json::Value =
        serde_json::from_str(&common::unescape(&html[start..end])).unwrap();
    let item = &csl[0];
    assert_eq!(item["type"], "article-newspaper");
    assert_eq!(item["title"], "Rates & {taxes} at 50%");
    assert_eq!(item["author"][1]["literal"], "Al Second");
    assert_eq!(item["container-title"], "The Paper");
    assert_eq!(item["URL"], "https://paper.example/c");
    assert_eq!(
        item["archive_location"],
        "https://web.archive.example/2021/https://paper.example/c"
    );
    assert_eq!(
        item["issued"]["date-parts"][0],
        serde_json::json!([2021, 5, 4])
    );
    assert_eq!(
        item["accessed"]["date-parts"][0],
        serde_json::json!([2026, 11, 26])
    );
    // BibTeX with its special characters escaped, and both addresses.
    let start = html.find("<pre class=\"cite-bibtex\"><code>").unwrap() + 31;
    let end = start + html[start..].find("</code>").unwrap();
    let bib = common::unescape(&html[start..end]);
    assert!(bib.starts_with("@misc{writer2021,\n"), "{bib}");
    assert!(
        bib.contains("title = {Rates \\& \\{taxes\\} at 50\\%},"),
        "{bib}"
    );
    assert!(bib.contains("author = {Jo Writer and Al Second},"), "{bib}");
    assert!(bib.contains("url = {https://paper.example/c},"), "{bib}");
    assert!(bib.contains(&format!("\\url{{{BASE}news/c/}}")), "{bib}");
    assert!(bib.contains("urldate = {2026-11-26}"), "{bib}");
    assert_eq!(common::count(&bib, "{"), common::count(&bib, "}"), "{bib}");
    let text = html
        .find("<p class=\"cite-text\">")
        .map(|i| &html[i..])
        .unwrap();
    assert!(
        text.contains("Jo Writer, Al Second. “Rates &amp; {taxes} at 50%.” The Paper, 4 May 2021."),
        "{text}"
    );
}

/// The same article with YAML and with TOML front matter.
fn front_matter_site(front_matter: &str) -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml(SCALE))
        .file("content/sources.yaml", SOURCES)
        .file(
            "content/news/same.md",
            &format!("{front_matter}\nThe minister said crime fell.\n"),
        )
        .file(
            "content/news/same.annotations.yaml",
            "- quote: crime fell\n  note: It did not.\n  rating: \"False\"\n",
        );
    s.build().assert_ok();
    s
}

#[test]
fn toml_and_yaml_front_matter_give_byte_identical_sites() {
    let yaml = front_matter_site(
        "---\ntitle: \"Same \\\"thing\\\"\"\ndate: 2021-05-04T09:30:00+02:00\nsource: paper\nauthor: [A, B]\n\
         tags: [x, y]\noriginal_url: \"https://paper.example/s\"\narchived: 2026-11-26\ndescription: D\n\
         imported_from: tool\nextra:\n  n: 1\n  list: [a, b]\n---",
    );
    let toml = front_matter_site(
        "\n+++\ntitle = 'Same \"thing\"'\ndate = 2021-05-04T09:30:00+02:00\nsource = \"paper\"\nauthor = [\"A\", \"B\"]\n\
         tags = [\"x\", \"y\"]\noriginal_url = \"https://paper.example/s\"\narchived = 2026-11-26\ndescription = \"D\"\n\
         imported_from = \"tool\"\n[extra]\nn = 1\nlist = [\"a\", \"b\"]\n+++",
    );
    let files = yaml.output_files();
    assert_eq!(files, toml.output_files());
    assert!(files.contains(&"news/same/index.html".to_string()));
    for f in &files {
        assert!(
            std::fs::read(yaml.out(f)).unwrap() == std::fs::read(toml.out(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn toml_errors_and_hugo_keys_are_reported_at_file_line() {
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml(""))
        .file("content/news/t.md", "+++\ntitle = \"T\"\ndate = 2021-05-04\ncategories = [\"a\"]\naliases = [\"/old/\"]\n+++\nBody.\n")
        .file("content/news/bad.md", "+++\ntitle = \"T\"\ndate = [1,\n+++\nBody.\n");
    let run = s.build();
    run.assert_code(1);
    let err = &run.stderr;
    assert!(
        err.contains("content/news/bad.md:3:") && err.contains("invalid TOML"),
        "{err}"
    );
    assert!(
        err.contains("content/news/t.md:4:1: `categories` does nothing in marginalia"),
        "{err}"
    );
    assert!(err.contains("use `tags:`"), "{err}");
    assert!(
        err.contains("content/news/t.md:5:1: `aliases` does nothing"),
        "{err}"
    );
    // Before the fix, TOML front matter was published as the first paragraph.
    s.remove("content/news/bad.md");
    s.build().assert_ok();
    let html = s.read("news/t/index.html");
    assert!(
        !html.contains("+++") && !html.contains("categories ="),
        "front matter leaked into the page"
    );
}

/// Text a spreadsheet would run, and text that tests the CSV quoting.
const HOSTILE_CELLS: &[&str] = &[
    "=HYPERLINK(\"https://evil.example\",\"click\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "'already quoted",
];

#[test]
fn notes_csv_parses_back_with_formulas_neutralised() {
    let s = TestSite::new();
    let mut body = String::from("Intro \"with, comma\" and \"quote\".\n\n");
    for (i, c) in HOSTILE_CELLS.iter().enumerate() {
        body.push_str(&format!("Cell {i}: `{c}` end.\n\n"));
    }
    let mut sidecar = String::new();
    for c in HOSTILE_CELLS {
        // Single-quoted YAML: a `'` is written twice.
        let q = c.replace('\'', "''");
        sidecar.push_str(&format!(
            "- quote: '{q}'\n  note: '{q}'\n  author: '{q}'\n  kind: '{q}'\n  sources: [paper]\n"
        ));
    }
    sidecar.push_str(
        "- quote: 'Intro \"with, comma\" and \"quote\".'\n  note: |\n    Two lines,\n\n    and \"quotes\", commas.\n  rating: \"Half true\"\n  id: intro\n",
    );
    s.file("site.yaml", &site_yaml(SCALE))
        .file("content/sources.yaml", SOURCES)
        .file(
            "content/news/cells.md",
            &format!("---\ntitle: 'Cells, \"quoted\" = fun'\ndate: 2021-05-04\n---\n{body}"),
        )
        .file("content/news/cells.annotations.yaml", &sidecar);
    s.build().assert_ok();
    let (header, rows) = s.notes_csv();
    assert_eq!(
        header,
        [
            "article_title",
            "article_url",
            "quote",
            "prefix",
            "suffix",
            "note",
            "kind",
            "rating",
            "rating_value",
            "rating_best",
            "rating_worst",
            "sources",
            "author",
            "date",
            "link",
            "reply_to",
            "state",
            "version"
        ]
    );
    assert_eq!(rows.len(), HOSTILE_CELLS.len() + 1);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // No cell starts as a formula would.
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} would run"
            );
        }
    }
    // Removing one leading `'` gives back exactly what was written.
    let undo = |c: &str| c.strip_prefix('\'').unwrap_or(c).to_string();
    let url = format!("{BASE}news/cells/");
    for (row, written) in rows[1..].iter().zip(HOSTILE_CELLS) {
        assert_eq!(undo(&row[col("quote")]), *written);
        assert_eq!(undo(&row[col("note")]), *written);
        assert_eq!(undo(&row[col("author")]), *written);
        assert_eq!(undo(&row[col("kind")]), *written);
        assert_eq!(&row[col("sources")], "The Paper");
        assert_eq!(&row[col("article_url")], url);
        assert_eq!(&row[col("date")], "2021-05-04", "the article's date");
    }
    let first = &rows[0];
    assert_eq!(&first[col("article_title")], "Cells, \"quoted\" = fun");
    assert_eq!(
        &first[col("quote")],
        "Intro \"with, comma\" and \"quote\".",
        "straight quotes, as written"
    );
    assert_eq!(&first[col("rating")], "Half true");
    assert_eq!(&first[col("rating_value")], "3");
    assert_eq!(&first[col("rating_best")], "5");
    assert_eq!(&first[col("rating_worst")], "1");
    assert_eq!(&first[col("link")], format!("{url}#intro"));
    assert!(
        first[col("note")].contains("Two lines"),
        "{}",
        &first[col("note")]
    );
    assert_eq!(&rows[1][col("prefix")], "Cell 0: ");
    assert_eq!(&rows[1][col("suffix")], " end.");
}

#[test]
fn claims_pages_list_rated_claims_newest_first_with_a_feed() {
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml(&format!("paginate_by: 2\n{SCALE}")))
        .file("content/sources.yaml", SOURCES);
    // Three articles, four rated notes and one unrated.
    for (i, date) in ["2021-01-01", "2022-01-01", "2023-01-01"]
        .iter()
        .enumerate()
    {
        s.file(
            &format!("content/news/a{i}.md"),
            &format!("---\ntitle: Article {i} </title>\ndate: {date}\nsource: paper\n---\nClaim one {i}. Claim two {i}. Plain {i}.\n"),
        );
        let mut sidecar = format!(
            "- quote: Claim one {i}.\n  note: First.\n  rating: \"False\"\n- quote: Plain {i}.\n  note: Unrated.\n"
        );
        if i == 0 {
            sidecar.push_str("- quote: Claim two 0.\n  note: Dated later than everything.\n  rating: \"True\"\n  date: 2024-06-01\n  author: \"Sam <b>\"\n");
        }
        s.file(&format!("content/news/a{i}.annotations.yaml"), &sidecar);
    }
    s.build().assert_ok();
    let p1 = s.read("claims/index.html");
    let p2 = s.read("claims/page/2/index.html");
    let quotes = |html: &str| -> Vec<String> {
        html.match_indices("<blockquote class=\"claim-quote\"><p>")
            .map(|(i, m)| {
                let rest = &html[i + m.len()..];
                rest[..rest.find("</p>").unwrap()].to_string()
            })
            .collect()
    };
    assert_eq!(quotes(&p1), ["Claim two 0.", "Claim one 2."]);
    assert_eq!(quotes(&p2), ["Claim one 1.", "Claim one 0."]);
    assert!(p1.contains("Rating: <strong>True</strong>"));
    assert!(
        p1.contains(&format!("href=\"{BASE}news/a0/#n3\"")),
        "links to the note"
    );
    assert!(
        p1.contains("Article 0 &lt;&#x2F;title&gt;") || p1.contains("Article 0 &lt;/title&gt;")
    );
    assert!(!s.exists("claims/page/3/index.html"));
    assert!(
        s.read("claims/page/1/index.html")
            .contains(&format!("url={BASE}claims/"))
    );
    let head = common::tags(&p1[..p1.find("</head>").unwrap()]);
    assert!(link_href(&head, "alternate").contains(&format!("{BASE}claims/atom.xml").as_str()));

    // The feed is valid XML, Atom, newest first.
    let xml = s.read("claims/atom.xml");
    let doc = roxmltree::Document::parse(&xml).expect("claims feed is well-formed XML");
    let atom = "http://www.w3.org/2005/Atom";
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().namespace(), Some(atom));
    assert_eq!(feed.tag_name().name(), "feed");
    for required in ["id", "title", "updated"] {
        assert!(
            feed.children().any(|c| c.has_tag_name((atom, required))),
            "{required}"
        );
    }
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((atom, "entry")))
        .collect();
    assert_eq!(entries.len(), 4);
    let text = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((atom, name)))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(text(entries[0], "title"), "True: “Claim two 0.”");
    assert_eq!(text(entries[0], "id"), format!("{BASE}news/a0/#n3"));
    assert_eq!(text(entries[0], "updated"), "2024-06-01T00:00:00+00:00");
    assert_eq!(text(feed, "updated"), "2024-06-01T00:00:00+00:00");
    let author = entries[0]
        .children()
        .find(|c| c.has_tag_name((atom, "author")))
        .unwrap();
    assert_eq!(text(author, "name"), "Sam <b>");
    for e in &entries {
        for required in ["id", "title", "updated"] {
            assert!(!text(*e, required).is_empty(), "{required}");
        }
        chrono::DateTime::parse_from_rfc3339(&text(*e, "updated")).unwrap();
    }
}

#[test]
fn serve_updates_the_exports_when_a_note_is_rated() {
    use marginalia::incremental::{LiveSite, Produced};
    let s = TestSite::new();
    s.file("site.yaml", &site_yaml(&format!("paginate_by: 1\n{SCALE}")))
        .file(
            "content/news/a.md",
            "---\ntitle: A\ndate: 2021-05-04\n---\nOne claim. Two claim.\n",
        )
        .file(
            "content/news/a.annotations.yaml",
            "- quote: One claim.\n  note: x\n  rating: \"False\"\n- quote: Two claim.\n  note: y\n",
        );
    let options = marginalia::config::BuildOptions {
        root: s.root().to_path_buf(),
        ..Default::default()
    };
    let (live, diags) = LiveSite::load(&options);
    let mut live = live.unwrap_or_else(|| panic!("{diags:?}"));
    assert!(live.has_path("claims/index.html") && !live.has_path("claims/page/2/index.html"));
    let text = |p: Produced| match p {
        Produced::Bytes(b) => String::from_utf8(b).unwrap(),
        Produced::File(f) => std::fs::read_to_string(f).unwrap(),
    };
    s.file(
        "content/news/a.annotations.yaml",
        "- quote: One claim.\n  note: x\n  rating: \"False\"\n- quote: Two claim.\n  note: y\n  rating: \"True\"\n",
    );
    let update = live
        .apply(
            &[s.root().join("content/news/a.annotations.yaml")],
            &mut |_| {},
        )
        .unwrap_or_else(|d| panic!("{d:?}"));
    // The new second page of claims is made now; the rest when asked for.
    assert!(live.has_path("claims/page/2/index.html"));
    let changed: Vec<&String> = update
        .files
        .iter()
        .map(|(p, _)| p)
        .chain(&update.later)
        .collect();
    for p in [
        "notes.csv",
        "claims/index.html",
        "claims/page/2/index.html",
        "claims/atom.xml",
    ] {
        assert!(
            changed.iter().any(|c| *c == p),
            "{p} not re-rendered: {changed:?}"
        );
    }
    let csv = text(live.render_path("notes.csv").unwrap().unwrap());
    assert!(csv.contains(",True,5,5,1,"), "{csv}");
    let feed = text(live.render_path("claims/atom.xml").unwrap().unwrap());
    assert_eq!(common::count(&feed, "<entry>"), 2);
}
