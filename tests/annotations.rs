//! Sidecar notes through the real binary: the markup contract, source
//! pages, error reports, sanitising, `import hypothesis` and `check --fix`.

use crate::common;

use common::{TestSite, count};

const SITE: &str = "title: Notes test\nbase_url: https://example.org/sub/\nauthor: Keeper\n";

const SOURCES: &str = "\
nyt:
  name: The New York Times
  kind: publication
  url: https://www.nytimes.com/
fdd:
  name: Foundation for Defense of Democracies
  kind: organisation
dubowitz:
  name: Mark Dubowitz
  kind: person
  affiliation: fdd
anon:
  name: Unnamed officials
  kind: anonymous
";

const ARTICLE: &str = "---
title: \"Officials met Zarif\"
date: 2021-05-04
source: nyt
original_url: https://blog.example.com/2021/05/zarif
---
The meetings were part of a *counter-diplomacy* effort, \"according to several unnamed sources\".

Kerry met Zarif. Later, Kerry met Zarif again -- in 2019.

- a list item about the Logan Act
- another item
";

const NOTES: &str = "\
- quote: \"according to several unnamed sources\"
  note: |
    Anonymous sourcing.

    Second paragraph with **bold**.
  sources: [anon, nyt]
  kind: sourcing
- quote: part of a counter-diplomacy effort
  note: Crosses emphasis.
  sources: [dubowitz]
  kind: framing
- quote: Kerry met Zarif
  occurrence: 2
  note: The second meeting.
  id: second-meeting
  author: A. Checker
  date: 2026-11-20
- quote: Zarif
  prefix: \"Kerry met \"
  suffix: \". Later\"
  note: Picked by prefix and suffix.
- quote: met Zarif again - in 2019
  note: Typed with a hyphen for the en dash.
- quote: Logan Act
  note: In a list item.
";

fn site() -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", SITE)
        .file("content/sources.yaml", SOURCES)
        .file("content/articles/zarif.md", ARTICLE)
        .file("content/articles/zarif.annotations.yaml", NOTES);
    s
}

#[test]
fn notes_follow_the_markup_contract() {
    let s = site();
    s.build().assert_ok();
    let html = s.read("articles/zarif/index.html");
    // A passage that crosses <em> is split into marks with one data-note; only the first has the id.
    assert_eq!(count(&html, "data-note=\"note-n2\""), 3, "{html}");
    assert_eq!(count(&html, "id=\"n2\""), 1);
    assert!(html.contains(
        "<mark class=\"anchor\" id=\"n2\" data-note=\"note-n2\" aria-details=\"note-n2\" data-kind=\"framing\">part of a </mark><em><mark class=\"anchor\" data-note=\"note-n2\""
    ), "{html}");
    // Straight quotes in the sidecar match the curly quotes smart punctuation printed.
    assert!(html.contains("id=\"n1\""), "{html}");
    // Asides: one per note, after the paragraph, never inside a <p>.
    assert_eq!(count(&html, "<aside class=\"margin-note\""), 6);
    for id in ["n1", "n2", "second-meeting", "n4", "n5", "n6"] {
        let at = html
            .find(&format!(
                "<aside class=\"margin-note\" id=\"note-{id}\" role=\"note\""
            ))
            .unwrap_or_else(|| panic!("no aside for {id}: {html}"));
        let before = &html[..at];
        assert!(
            before.rfind("<p>").unwrap_or(0) < before.rfind("</p>").unwrap_or(0)
                || before.ends_with("</li>\n")
                || before.rfind("<li>") > before.rfind("</p>"),
            "aside {id} inside a paragraph"
        );
    }
    // The list-item note sits inside the item, at its end.
    let li = html.find("a list item about the").unwrap();
    let li_end = html[li..].find("</li>").unwrap() + li;
    assert!(html[li..li_end].contains("id=\"note-n6\""), "{html}");
    // Multi-paragraph Markdown note with its sources linked under the sub-path.
    assert!(html.contains("<p>Second paragraph with <strong>bold</strong>.</p>"));
    assert!(html.contains("href=\"https://example.org/sub/sources/anon/\">Unnamed officials</a>"));
    // occurrence: 2 picked the second "Kerry met Zarif".
    let second = html.find("id=\"second-meeting\"").unwrap();
    assert!(
        html[..second].contains("Later, "),
        "occurrence picked the wrong place"
    );
    // Numbered in reading order: n2 (earlier in the paragraph) is 1, n1 is 2.
    assert!(
        html.contains(
            "<a class=\"note-number\" href=\"#n2\" aria-label=\"Note 1, back to its passage\">1</a>"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<a class=\"note-number\" href=\"#n1\" aria-label=\"Note 2, back to its passage\">2</a>"
        ),
        "{html}"
    );
    // Author and date of a note are shown.
    assert!(
        html.contains("A. Checker")
            && html.contains("<time datetime=\"2026-11-20\">20 November 2026</time>")
    );
}

#[test]
fn overlapping_and_nested_notes_keep_their_own_highlights() {
    let s = TestSite::new();
    s.file("site.yaml", SITE)
        .file("content/articles/a.md", "---\ntitle: A\ndate: 2020-01-01\n---\none two three four five six\n")
        .file(
            "content/articles/a.annotations.yaml",
            "- quote: two three four\n  note: outer\n- quote: three\n  note: nested\n- quote: four five\n  note: overlapping\n",
        );
    s.build().assert_ok();
    let html = s.read("articles/a/index.html");
    let p = &html[html.find("<p>one").unwrap()..];
    let p = &p[..p.find("</p>").unwrap()];
    // Every note keeps a highlight, and the marks nest properly.
    for id in ["n1", "n2", "n3"] {
        assert!(p.contains(&format!("id=\"{id}\"")), "{id} lost: {p}");
    }
    assert_eq!(count(p, "<mark"), count(p, "</mark>"));
    let text: String = {
        let mut t = String::new();
        let mut in_tag = false;
        for c in p.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                _ if !in_tag => t.push(c),
                _ => {}
            }
        }
        t
    };
    // The words are all still there, in order, with the note numbers.
    assert!(text.starts_with("one two three"), "{text}");
    assert!(text.contains("five"), "{text}");
}

#[test]
fn source_pages_list_every_citing_note_with_a_deep_link() {
    let s = site();
    s.file(
        "content/papers/other.md",
        "---\ntitle: Another\ndate: 2022-01-01\nsource: fdd\n---\nA second article citing officials.\n",
    )
    .file("content/papers/other.annotations.yaml", "- quote: citing officials\n  note: Again.\n  sources: [anon]\n");
    s.build().assert_ok();
    let anon = s.read("sources/anon/index.html");
    assert!(
        anon.contains("https://example.org/sub/articles/zarif/#n1"),
        "{anon}"
    );
    assert!(
        anon.contains("https://example.org/sub/papers/other/#n1"),
        "{anon}"
    );
    assert!(
        anon.contains("according to several unnamed sources"),
        "{anon}"
    );
    assert!(anon.contains("Anonymous sourcing."));
    // Newest article first.
    assert!(anon.find("papers/other/#n1").unwrap() < anon.find("articles/zarif/#n1").unwrap());
    let nyt = s.read("sources/nyt/index.html");
    assert!(
        nyt.contains("https://example.org/sub/articles/zarif/"),
        "{nyt}"
    );
    let fdd = s.read("sources/fdd/index.html");
    assert!(
        fdd.contains("https://example.org/sub/sources/dubowitz/"),
        "members missing: {fdd}"
    );
    let dub = s.read("sources/dubowitz/index.html");
    assert!(
        dub.contains("https://example.org/sub/sources/fdd/"),
        "affiliation missing: {dub}"
    );
    let index = s.read("sources/index.html");
    assert!(
        index.contains("Anonymous sources")
            && index.contains("People")
            && index.contains("Organisations")
    );
    assert!(
        index.contains("1 article, 1 note") || index.contains("2 notes"),
        "{index}"
    );
    let feed = s.read("sources/anon/atom.xml");
    assert!(roxmltree::Document::parse(&feed).is_ok());
    assert_eq!(count(&feed, "<entry>"), 2);
}

#[test]
fn anchoring_errors_name_the_sidecar_line_and_show_the_article() {
    let s = site();
    s.file(
        "content/articles/zarif.annotations.yaml",
        "- quote: Kerry met Zarif\n  note: ambiguous\n- quote: according to several unnamed source\n  note: fine, a substring\n\
         - quote: according to several unamed sources\n  note: drifted\n- quote: nothing like this anywhere at all\n  note: gone\n",
    );
    let r = s.build();
    r.assert_code(1);
    let e = &r.stderr;
    assert!(
        e.contains("zarif.annotations.yaml:1: quote \"Kerry met Zarif\" occurs 2 times"),
        "{e}"
    );
    assert!(
        e.contains("line 9: …") && e.contains("[Kerry met Zarif]"),
        "{e}"
    );
    assert!(
        e.contains("zarif.annotations.yaml:5: quote not found"),
        "{e}"
    );
    assert!(
        e.contains("closest passage (") && e.contains("line 7"),
        "{e}"
    );
    assert!(e.contains("marginalia check --fix"), "{e}");
    assert!(
        e.contains("zarif.annotations.yaml:7: quote not found"),
        "{e}"
    );
    assert!(e.contains("3 errors"), "{e}");
}

#[test]
fn sidecar_problems_are_reported() {
    let s = site();
    s.file("content/articles/zarif.annotations.yaml", "- quote: Kerry\n  note: x\n  sorces: [nyt]\n  occurrence: 1\n- quote: Zarif\n  occurrence: 1\n  note: y\n  sources: [nytt]\n")
        .file("content/articles/orphan.annotations.yaml", "- quote: x\n  note: y\n");
    let r = s.build();
    r.assert_code(1);
    let e = &r.stderr;
    assert!(
        e.contains("zarif.annotations.yaml:3:3: unknown key `sorces` in a note"),
        "{e}"
    );
    assert!(e.contains("did you mean `sources`?"), "{e}");
    assert!(
        e.contains("zarif.annotations.yaml:8:3: unknown source \"nytt\""),
        "{e}"
    );
    assert!(e.contains("did you mean `nyt`?"), "{e}");
    assert!(
        e.contains("orphan.annotations.yaml: this sidecar is beside no article"),
        "{e}"
    );
}

#[test]
fn auto_sources_turns_unknown_keys_into_bare_sources() {
    let s = site();
    s.file("site.yaml", &format!("{SITE}auto_sources: true\n"))
        .file(
            "content/articles/zarif.annotations.yaml",
            "- quote: Kerry met Zarif\n  occurrence: 1\n  note: x\n  sources: [some-new-blog]\n",
        );
    s.build().assert_ok();
    assert!(
        s.read("sources/some-new-blog/index.html")
            .contains("some-new-blog")
    );
}

/// Hostile archived content of every kind issue 7 names, in every place
/// archived text can sit: article bodies, footnotes, notes (body, kind,
/// author, tags), front matter (title, description, author, tags), source
/// names, descriptions, aliases and URLs, and a section's `_index.md`.
const HOSTILE_SOURCES: &str = "evil:\n  name: \"<script>alert('src')</script>Evil\"\n  kind: publication\n\
      \x20 url: \"https://evil.example/?q=<script>\"\n  description: \"<img src=x onerror=alert(1)>\"\n\
      \x20 aliases: [\"<svg onload=alert('alias')>\"]\n";

const HOSTILE_ARTICLE: &str = "---\ntitle: \"<script>alert('title')</script>T\"\ndate: 2020-01-01\nsource: evil\n\
     description: \"<b onmouseover=alert(1)>d</b>\"\ntags: [\"<svg onload=alert(1)>\", \"javascript:alert(1)\"]\n\
     author: \"<img src=x onerror=alert('author')>\"\n---\n\
     Hello <script>alert('body')</script> <a href=\"javascript:alert(1)\">js</a> <img src=x onerror=\"alert(1)\">\n\
     <a href=\"  JaVaScRiPt:alert(1)\">case</a> <a href=\"&#106;avascript:alert(1)\">entity</a> \
     <a href=\"java&#x09;script:alert(1)\">tab</a> <a href=\"vbscript:msgbox(1)\">vb</a>[^fn]\n\n\
     <iframe src=\"https://evil.example/\"></iframe><style>body{background:url(https://t.example/)}</style>\n\n\
     <p style=\"background:url(https://t.example/)\">styled</p><object data=\"x.swf\"></object><embed src=\"x.swf\">\n\n\
     <form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(1)\">b</button></form>\n\n\
     <meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\"><base href=\"javascript:alert(1)//\">\n\n\
     <math><mi xlink:href=\"javascript:alert(1)\">m</mi></math> <img src=\"data:image/svg+xml;base64,PHN2Zz4=\">\n\n\
     [md link](javascript:alert(2)) ![img](data:image/svg+xml;base64,PHN2Zz4=) <svg><script>alert(3)</script></svg>\n\
     [angle](<javascript:alert(5)>) <javascript:alert(6)> [ref][r]\n\n\
     ## Heading {#x\"onmouseover=\"alert(7)}\n\n\
     Second paragraph.\n\n\
     [r]: javascript:alert(8)\n\
     [^fn]: Footnote <script>alert('fn')</script> [x](javascript:alert(9)) <img src=x onerror=alert(10)>\n";

const HOSTILE_NOTES: &str = "- quote: Hello\n  note: \"<script>alert('note')</script><a href='javascript:alert(4)' onclick='x()'>n</a>\"\n  sources: [evil]\n\
     \x20 kind: \"\\\"><script>alert('kind')</script>\"\n  author: \"<img src=x onerror=alert('nauthor')>\"\n\
     \x20 tags: [\"<svg onload=alert('ntag')>\"]\n\
     - quote: Second paragraph\n  note: |\n    <iframe src=\"https://evil.example/\"></iframe><style>p{background:url(https://t.example/)}</style>\n\n\
     \x20   <svg><script>alert(11)</script></svg> ![i](data:image/png;base64,AAAA) [l](javascript:alert(12))\n";

fn hostile_site(extra_config: &str) -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", &format!("{SITE}{extra_config}"))
        .file("content/sources.yaml", HOSTILE_SOURCES)
        .file("content/articles/x.md", HOSTILE_ARTICLE)
        .file("content/articles/x.annotations.yaml", HOSTILE_NOTES)
        .file(
            "content/articles/_index.md",
            "---\ntitle: \"<script>alert('section')</script>S\"\ndescription: \"<img src=x onerror=alert(1)>\"\n---\n\
             Section <script>alert('sbody')</script> <a href=\"javascript:alert(1)\">x</a>\n",
        );
    s
}

/// The theme's own head tags and script, which name active elements.
fn theme_tag(tag: &common::Tag) -> bool {
    let attr = |n: &str| {
        tag.attrs
            .iter()
            .find(|(a, _)| a == n)
            .map(|(_, v)| v.as_str())
    };
    let ours = |v: Option<&str>| v.is_some_and(|v| v.starts_with("https://example.org/sub/"));
    match tag.name.as_str() {
        "meta" => {
            attr("http-equiv").is_none()
                && (attr("name").is_some()
                    || attr("charset") == Some("utf-8")
                    // OpenGraph (issue 14).
                    || attr("property").is_some_and(|p| p.starts_with("og:") || p.starts_with("article:")))
        }
        "link" => {
            matches!(
                attr("rel"),
                Some("icon" | "stylesheet" | "alternate" | "canonical")
            ) && ours(attr("href"))
        }
        // The charts the build draws (issue 15): inline SVG with only these
        // attributes; what is inside is checked like the rest.
        "svg" => {
            attr("class").is_some_and(|c| c.starts_with("chart ") || c == "note-map")
                && tag.attrs.iter().all(|(a, _)| {
                    matches!(
                        a.as_str(),
                        "class"
                            | "xmlns"
                            | "viewbox"
                            | "preserveaspectratio"
                            | "role"
                            | "aria-labelledby"
                    )
                })
        }
        "script" => {
            matches!(
                attr("src"),
                Some("https://example.org/sub/marginalia.js" | "https://example.org/sub/search.js")
            )
                // JSON-LD data blocks (issue 14): data, never run.
                || (attr("type") == Some("application/ld+json") && attr("src").is_none())
        }
        // The note kinds' colours (keys and colours validated in site.yaml).
        "style" => attr("id") == Some("note-kinds"),
        _ => false,
    }
}

/// Checks every output file of `s`: pages and XML (tags and attributes,
/// and the HTML inside Atom `type="html"` elements, which readers render),
/// JSON (no raw markup at all, and the HTML bodies of annotations inert).
/// `skip` is a page exempt from the check (the article body under
/// `unsafe_html`), whose margin notes are still checked.
fn assert_inert_site(s: &TestSite, skip: Option<&str>) -> usize {
    let mut checked = 0;
    for f in s.output_files() {
        let text = s.read(&f);
        if f.ends_with(".json") || f.ends_with(".jsonld") {
            // Data files hold text, not markup: no raw angle brackets at all.
            assert!(
                !text.contains('<') && !text.contains('>'),
                "{f} has raw < or >:\n{text}"
            );
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut bodies = Vec::new();
            collect_html_values(&json, &mut bodies);
            for b in bodies {
                common::assert_inert(&f, &b, &|_| false);
            }
            checked += 1;
            continue;
        }
        if !(f.ends_with(".html") || f.ends_with(".xml")) {
            continue;
        }
        if Some(f.as_str()) == skip {
            // Sidecar notes only: footnotes are part of the article's text.
            for aside in text.split("<aside class=\"margin-note\"").skip(1) {
                let aside = aside.split("</aside>").next().unwrap();
                if !aside.contains("data-kind=\"footnote\"") {
                    common::assert_inert(&f, aside, &|_| false);
                }
            }
            continue;
        }
        if f.ends_with(".xml") {
            // Atom's own <link>s (checked like any tag's attributes).
            common::assert_inert(&f, &text, &|t| {
                t.name == "link"
                    && t.attrs
                        .iter()
                        .all(|(a, v)| a != "href" || v.starts_with("https://"))
            });
        } else {
            common::assert_inert(&f, &text, &theme_tag);
        }
        if f.ends_with(".xml") {
            for part in text.split("type=\"html\">").skip(1) {
                let html = common::unescape(part.split("</").next().unwrap());
                common::assert_inert(&format!("{f} (entry HTML)"), &html, &|_| false);
            }
        }
        checked += 1;
    }
    checked
}

/// Every `value` of an object with `"format": "text/html"`.
fn collect_html_values(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("format").and_then(|f| f.as_str()) == Some("text/html")
                && let Some(serde_json::Value::String(s)) = m.get("value")
            {
                out.push(s.clone());
            }
            m.values().for_each(|x| collect_html_values(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_html_values(x, out)),
        _ => {}
    }
}

#[test]
fn hostile_html_is_sanitised_everywhere() {
    let s = hostile_site("");
    s.build().assert_ok();
    let checked = assert_inert_site(&s, None);
    assert!(checked > 10);
    let page = s.read("articles/x/index.html");
    assert!(
        // (shown with smart punctuation, as titles are)
        page.contains("&lt;script&gt;alert(\u{2018}title\u{2019})&lt;/script&gt;T"),
        "title not escaped"
    );
    // The notes and the footnote are there (sanitised, not dropped).
    assert_eq!(count(&page, "<aside class=\"margin-note\""), 3);
    // The feed's entry summary is escaped HTML a reader renders: checked
    // above; the annotations' HTML bodies too.
    assert!(s.read("atom.xml").contains("<summary type=\"html\">"));
}

#[test]
fn unsafe_html_lets_raw_html_through_only_in_the_body() {
    let s = TestSite::new();
    s.file("site.yaml", &format!("{SITE}unsafe_html: true\n"))
        .file("content/articles/x.md", "---\ntitle: T\ndate: 2020-01-01\n---\nHi <span style=\"color:red\" data-x=\"1\">red</span>\n")
        .file("content/articles/x.annotations.yaml", "- quote: Hi\n  note: \"<span style='color:red'>note</span>\"\n");
    s.build().assert_ok();
    let page = s.read("articles/x/index.html");
    assert!(
        page.contains("<span style=\"color:red\" data-x=\"1\">red</span>"),
        "{page}"
    );
    assert!(
        !page.contains("style='color:red'") && !page.contains("<span style=\"color:red\">note"),
        "{page}"
    );
    // Everything else stays inert with the hostile site: listings, feeds,
    // the search index, the annotations, source and tag pages, and the
    // notes on the article's own page.
    let s = hostile_site("unsafe_html: true\n");
    s.build().assert_ok();
    let page = s.read("articles/x/index.html");
    assert!(page.contains("<script>alert(‘body’)</script>"), "{page}");
    assert!(assert_inert_site(&s, Some("articles/x/index.html")) > 10);
}

#[test]
fn unsafe_urls_in_front_matter_are_errors() {
    let s = TestSite::new();
    s.file("site.yaml", SITE)
        .file(
            "content/sources.yaml",
            "evil:\n  name: Evil\n  url: \"javascript:alert('srcurl')\"\n",
        )
        .file(
        "content/articles/x.md",
        "---\ntitle: T\ndate: 2020-01-01\noriginal_url: \" JaVaScRiPt:alert(1)\"\narchive_url: \"data:text/html,<script>alert(1)</script>\"\n---\nBody.\n",
    );
    let r = s.build();
    r.assert_code(1);
    assert!(
        r.stderr.contains("content/articles/x.md:4:1"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("content/articles/x.md:5:1"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("is not a web address this site can link to")
    );
}

#[test]
fn import_hypothesis_round_trip_adds_nothing_twice() {
    let s = site();
    s.file(
        "content/articles/zarif.annotations.yaml",
        "# my own notes\n- quote: Logan Act\n  note: mine\n",
    );
    let export = r#"{"total": 4, "rows": [
      {"id": "AbC-1", "uri": "http://blog.example.com/2021/05/zarif/", "text": "Imported note.\n\nTwo paragraphs.",
       "tags": ["sourcing"], "user": "acct:alice@hypothes.is", "created": "2021-05-06T09:00:00.123+00:00",
       "target": [{"source": "x", "selector": [{"type": "TextPositionSelector", "start": 1, "end": 2},
         {"type": "TextQuoteSelector", "exact": "Kerry met Zarif", "prefix": "sources\".\n\nKerry met Zarif. Later, ", "suffix": " again"}]}]},
      {"id": "AbC-2", "uri": "https://blog.example.com/2021/05/zarif", "text": "page note", "target": [{"source": "x"}]},
      {"id": "AbC-3", "uri": "https://elsewhere.example/", "text": "other page",
       "target": [{"selector": [{"type": "TextQuoteSelector", "exact": "x"}]}]},
      {"id": "AbC-4", "uri": "https://blog.example.com/2021/05/zarif", "text": "drifted",
       "target": [{"selector": [{"type": "TextQuoteSelector", "exact": "words that are not there"}]}]}
    ]}"#;
    s.file("export.json", export);
    let r = s.run(&["import", "hypothesis", "export.json"]);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("added 1 note to content/articles/zarif.annotations.yaml"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("no article has original_url https://elsewhere.example/"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("skipped page note AbC-2"), "{}", r.stdout);
    assert!(r.stderr.contains("AbC-4 not imported"), "{}", r.stderr);
    let sidecar =
        std::fs::read_to_string(s.root().join("content/articles/zarif.annotations.yaml")).unwrap();
    assert!(
        sidecar.starts_with("# my own notes\n- quote: Logan Act\n  note: mine\n"),
        "{sidecar}"
    );
    assert!(sidecar.contains("id: h-AbC-1"), "{sidecar}");
    // The imported note builds and lands on the second "Kerry met Zarif".
    s.build().assert_ok();
    let html = s.read("articles/zarif/index.html");
    let at = html.find("id=\"h-AbC-1\"").expect("imported note anchored");
    assert!(html[..at].contains("Later, "), "wrong occurrence");
    assert!(html.contains("<p>Two paragraphs.</p>"));
    assert!(html.contains("alice"));
    // Again: nothing added.
    let r = s.run(&["import", "hypothesis", "export.json"]);
    assert!(
        r.stdout.contains("1 annotation was already imported"),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read_to_string(s.root().join("content/articles/zarif.annotations.yaml")).unwrap(),
        sidecar
    );
}

#[test]
fn check_fix_rewrites_a_drifted_quote() {
    let s = site();
    s.file(
        "content/articles/zarif.annotations.yaml",
        "# keep this comment\n- quote: Kerry met Zarif\n  occurrence: 1\n  note: fine\n- quote: according to several unamed sources # drifted\n  note: drifted\n  kind: sourcing\n",
    );
    let r = s.run(&["check"]);
    r.assert_code(1);
    let r = s.run(&["check", "--fix"]);
    r.assert_ok();
    assert!(
        r.stdout
            .contains("fixed content/articles/zarif.annotations.yaml:5"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("→ \"according to several unnamed sources\""),
        "{}",
        r.stdout
    );
    let sidecar =
        std::fs::read_to_string(s.root().join("content/articles/zarif.annotations.yaml")).unwrap();
    assert_eq!(
        sidecar,
        // The quote's style and its comment are kept.
        "# keep this comment\n- quote: Kerry met Zarif\n  occurrence: 1\n  note: fine\n- quote: according to several unnamed sources # drifted\n  note: drifted\n  kind: sourcing\n"
    );
    s.build().assert_ok();
    // Nothing close: not rewritten, still an error.
    s.file(
        "content/articles/zarif.annotations.yaml",
        "- quote: a sentence that never was\n  note: x\n",
    );
    let r = s.run(&["check", "--fix"]);
    r.assert_code(1);
    assert!(!r.stdout.contains("fixed"), "{}", r.stdout);
}

#[test]
fn check_writes_nothing() {
    let s = site();
    s.run(&["check"]).assert_ok();
    assert!(!s.root().join("output").exists());
}

#[test]
fn source_pages_are_paginated_like_listings() {
    let s = site();
    s.file("site.yaml", &format!("{SITE}paginate_by: 1\n"))
        .file(
            "content/papers/other.md",
            "---\ntitle: Another\ndate: 2022-01-01\nsource: fdd\n---\nA second article citing officials.\n",
        )
        .file("content/papers/other.annotations.yaml", "- quote: citing officials\n  note: Again.\n  sources: [anon]\n");
    s.build().assert_ok();
    // Two documents cite `anon`: one a page, newest first.
    let p1 = s.read("sources/anon/index.html");
    let p2 = s.read("sources/anon/page/2/index.html");
    assert!(
        p1.contains("papers/other/#n1") && !p1.contains("articles/zarif/#n1"),
        "{p1}"
    );
    assert!(
        p2.contains("articles/zarif/#n1") && !p2.contains("papers/other/#n1"),
        "{p2}"
    );
    assert!(
        p1.contains("rel=\"next\" href=\"https://example.org/sub/sources/anon/page/2/\""),
        "{p1}"
    );
    assert!(
        s.read("sources/anon/page/1/index.html")
            .contains("url=https://example.org/sub/sources/anon/")
    );
    assert!(!s.exists("sources/anon/page/3/index.html"));
    // The counts stay those of the whole source.
    assert!(p2.contains("2 notes citing it · page 2 of 2"), "{p2}");
}
