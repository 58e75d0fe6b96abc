//! The core build through the real binary: small sites in temp folders,
//! assertions on the HTML and on the error text.

use crate::common;

use common::{TestSite, attr_values, count};

const SITE_YAML: &str = "title: Test archive\nbase_url: https://example.org/sub/\nauthor: Keeper\n";

const SOURCES: &str =
    "nyt:\n  name: The New York Times\n  kind: publication\n  url: https://www.nytimes.com/\n";

fn article(title: &str, date: &str, tags: &str) -> String {
    format!(
        "---\ntitle: \"{title}\"\ndate: {date}\nsource: nyt\ntags: [{tags}]\n---\nThe text of {title}.\n"
    )
}

/// Five dated articles in one section, paginated by two.
fn five_articles() -> TestSite {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file("content/sources.yaml", SOURCES)
        .file(
            "content/articles/_index.md",
            "---\ntitle: Archived news\npaginate_by: 2\n---\nWhat we archived.\n",
        );
    for (i, tags) in ["a, b", "a", "b", "a", "c"].iter().enumerate() {
        s.file(
            &format!("content/articles/art-{i}.md"),
            &article(
                &format!("Article {i}"),
                &format!("2021-05-0{}", i + 1),
                tags,
            ),
        );
    }
    s
}

#[test]
fn front_matter_fields_reach_the_page() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file("content/sources.yaml", SOURCES)
        .file(
            "content/articles/iran.md",
            "---\ntitle: \"Officials met Zarif, report says\"\ndate: 2021-05-04\nsource: nyt\n\
         original_url: https://example.com/orig\narchive_url: https://web.archive.example/snap\n\
         archived: 2026-11-26\nauthor: [Ann Author, Bob Writer]\ntags: [iran, diplomacy]\n\
         description: \"A report on meetings\"\nextra: {rating: 3}\nimported_from: pocket\n---\n\
         The *body* text.\n",
        );
    s.build().assert_ok();
    let html = s.read("articles/iran/index.html");
    for expected in [
        "<h1>Officials met Zarif, report says</h1>",
        "<time datetime=\"2021-05-04\">4 May 2021</time>",
        "href=\"https://example.org/sub/sources/nyt/\">The New York Times</a>",
        "href=\"https://example.com/orig\"",
        "href=\"https://web.archive.example/snap\"",
        "<time datetime=\"2026-11-26\">26 November 2026</time>",
        "Ann Author, Bob Writer",
        "href=\"https://example.org/sub/tags/iran/\">iran</a>",
        "href=\"https://example.org/sub/tags/diplomacy/\">diplomacy</a>",
        "<meta name=\"description\" content=\"A report on meetings\">",
        "The <em>body</em> text.",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
}

#[test]
fn extra_and_unknown_keys_reach_templates() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file("content/sources.yaml", SOURCES)
        .file(
            "content/articles/x.md",
            "---\ntitle: X\ndate: 2020-01-01\nsource: nyt\nextra: {rating: 3}\nimported_from: pocket\n---\nText.\n",
        )
        .file(
            "templates/article.html",
            "{% extends \"base.html\" %}{% block content %}rating={{ page.extra.rating }} from={{ page.extra.imported_from }}{% endblock content %}",
        );
    s.build().assert_ok();
    let html = s.read("articles/x/index.html");
    assert!(html.contains("rating=3 from=pocket"), "{html}");
}

#[test]
fn fenced_code_is_highlighted_with_classes_and_a_stylesheet() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML).file(
        "content/notes/code.md",
        "---\ntitle: Code\ndate: 2020-01-01\n---\n```rust\nfn main() { let x = 1; }\n```\n\n```nosuchlanguage\n<b>plain</b>\n```\n",
    );
    s.build().assert_ok();
    let html = s.read("notes/code/index.html");
    assert!(html.contains("class=\"language-rust\""), "{html}");
    assert!(
        html.contains("<span class=\"hl-"),
        "no highlight spans: {html}"
    );
    assert!(
        html.contains("&lt;b&gt;plain&lt;/b&gt;"),
        "unknown language not plain: {html}"
    );
    let css = s.read("highlight.css");
    assert!(css.contains(".hl-"), "{css}");
    assert!(css.contains("prefers-color-scheme: dark"));
}

#[test]
fn footnotes_become_margin_notes() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML).file(
        "content/notes/fn.md",
        "---\ntitle: Footnotes\ndate: 2020-01-01\n---\nA claim.[^src] Another.[^two]\n\nMore text.\n\n[^src]: Where it came from, with *emphasis*.\n\n[^two]: Second note.\n",
    );
    s.build().assert_ok();
    let html = s.read("notes/fn/index.html");
    assert_eq!(count(&html, "data-kind=\"footnote\""), 2, "{html}");
    assert!(html.contains(
        "<aside class=\"margin-note\" id=\"note-fn-src\" role=\"note\" data-kind=\"footnote\""
    ));
    assert!(html.contains("Where it came from, with <em>emphasis</em>."));
    assert!(html.contains(
        "<sup class=\"note-ref footnote-ref\" id=\"fnref-src\"><a href=\"#note-fn-src\""
    ));
    // The note comes after the paragraph holding its reference, not inside it.
    let p_end = html.find("Another.").unwrap();
    let aside = html.find("id=\"note-fn-src\"").unwrap();
    assert!(
        aside > p_end && html[p_end..aside].contains("</p>"),
        "{html}"
    );
    // No footnote section at the end: they are margin notes.
    assert!(!html.contains("footnote-definition"));
}

#[test]
fn tags_get_pages_and_an_index() {
    let s = five_articles();
    s.build().assert_ok();
    let tags = s.read("tags/index.html");
    for t in ["tags/a/", "tags/b/", "tags/c/"] {
        assert!(
            tags.contains(&format!("https://example.org/sub/{t}")),
            "{t} missing: {tags}"
        );
    }
    let a = s.read("tags/a/index.html");
    assert!(a.contains("Article 0") && a.contains("Article 1") && a.contains("Article 3"));
    assert!(!a.contains("Article 2"));
}

#[test]
fn pagination_boundaries() {
    let s = five_articles();
    s.build().assert_ok();
    // 5 articles, 2 a page: pages 1, 2, 3; newest first.
    let p1 = s.read("articles/index.html");
    let p2 = s.read("articles/page/2/index.html");
    let p3 = s.read("articles/page/3/index.html");
    assert!(p1.contains("Article 4") && p1.contains("Article 3") && !p1.contains("Article 2"));
    assert!(p2.contains("Article 2") && p2.contains("Article 1") && !p2.contains("Article 3"));
    assert!(p3.contains("Article 0") && !p3.contains("Article 1"));
    assert!(!s.exists("articles/page/4/index.html"));
    assert!(p1.contains("rel=\"next\" href=\"https://example.org/sub/articles/page/2/\""));
    assert!(!p1.contains("rel=\"prev\""));
    assert!(p3.contains("rel=\"prev\" href=\"https://example.org/sub/articles/page/2/\""));
    assert!(!p3.contains("rel=\"next\""));
    // page/1/ sends readers to the first page.
    let r = s.read("articles/page/1/index.html");
    assert!(r.contains("url=https://example.org/sub/articles/"), "{r}");
    // Exactly one page when everything fits.
    let s2 = TestSite::new();
    s2.file("site.yaml", SITE_YAML)
        .file("content/sources.yaml", SOURCES)
        .file("content/articles/_index.md", "---\npaginate_by: 2\n---\n")
        .file("content/articles/a.md", &article("A", "2020-01-01", "x"))
        .file("content/articles/b.md", &article("B", "2020-01-02", "x"));
    s2.build().assert_ok();
    assert!(!s2.exists("articles/page/2/index.html"));
    assert!(!s2.exists("articles/page/1/index.html"));
}

#[test]
fn feeds_and_sitemap_are_well_formed_with_absolute_urls() {
    let s = five_articles();
    s.build().assert_ok();
    for file in ["atom.xml", "sitemap.xml", "sources/nyt/atom.xml"] {
        let xml = s.read(file);
        let doc = roxmltree::Document::parse(&xml)
            .unwrap_or_else(|e| panic!("{file} is not XML: {e}\n{xml}"));
        let mut urls = 0;
        for n in doc.descendants() {
            let url = n.attribute("href").or_else(|| {
                (n.has_tag_name("loc") || n.has_tag_name("id"))
                    .then(|| n.text().unwrap_or_default())
            });
            if let Some(u) = url {
                assert!(u.starts_with("https://"), "{file}: relative URL {u:?}");
                urls += 1;
            }
        }
        assert!(urls >= 3, "{file}: too few URLs");
    }
    let atom = s.read("atom.xml");
    assert_eq!(count(&atom, "<entry>"), 5);
    assert!(atom.contains("<id>https://example.org/sub/articles/art-4/</id>"));
    assert!(atom.contains("<updated>2021-05-05T00:00:00+00:00</updated>"));
    let sitemap = s.read("sitemap.xml");
    assert!(sitemap.contains(
        "<loc>https://example.org/sub/articles/art-0/</loc><lastmod>2021-05-01</lastmod>"
    ));
    let robots = s.read("robots.txt");
    assert!(
        robots.contains("Sitemap: https://example.org/sub/sitemap.xml"),
        "{robots}"
    );
    assert!(s.read("404.html").contains("Not found"));
}

#[test]
fn a_sub_path_base_url_is_in_every_internal_link() {
    let s = five_articles();
    s.file(
        "content/about.md",
        "---\ntitle: About\n---\nSee [the first](articles/art-0.md) and [root](/tags/).\n",
    )
    .file("static/img/logo.png", "png")
    .file(
        "content/articles/pic.md",
        "---\ntitle: Pic\ndate: 2020-01-01\nsource: nyt\n---\n![logo](/img/logo.png)\n",
    );
    s.build().assert_ok();
    let mut checked = 0;
    for f in s.output_files().iter().filter(|f| f.ends_with(".html")) {
        let html = s.read(f);
        for attr in ["href", "src"] {
            for url in attr_values(&html, attr) {
                if url.starts_with('#') || url.starts_with("mailto:") {
                    continue;
                }
                let external = ["https://www.nytimes.com", "https://example.com"]
                    .iter()
                    .any(|e| url.starts_with(e));
                assert!(
                    external || url.starts_with("https://example.org/sub/"),
                    "{f}: {attr}={url:?} is not under the base URL"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} links checked");
    let about = s.read("about/index.html");
    assert!(
        about.contains("href=\"https://example.org/sub/articles/art-0/\""),
        "{about}"
    );
    assert!(
        about.contains("href=\"https://example.org/sub/tags/\""),
        "{about}"
    );
    assert!(
        s.read("articles/pic/index.html")
            .contains("src=\"https://example.org/sub/img/logo.png\"")
    );
}

#[test]
fn base_url_option_overrides_site_yaml() {
    let s = five_articles();
    s.run(&["build", "--base-url", "https://other.example/x"])
        .assert_ok();
    assert!(
        s.read("articles/index.html")
            .contains("https://other.example/x/articles/art-4/")
    );
}

#[test]
fn drafts_are_out_unless_asked_for() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file(
            "content/articles/pub.md",
            "---\ntitle: Published\ndate: 2020-01-01\n---\nx\n",
        )
        .file(
            "content/articles/wip.md",
            "---\ntitle: Work in progress\ndate: 2020-01-02\ndraft: true\n---\nx\n",
        );
    s.build().assert_ok();
    assert!(!s.exists("articles/wip/index.html"));
    assert!(!s.read("articles/index.html").contains("Work in progress"));
    s.run(&["build", "--drafts"]).assert_ok();
    assert!(s.exists("articles/wip/index.html"));
    assert!(s.read("articles/index.html").contains("Work in progress"));
}

#[test]
fn static_files_and_bundle_files_are_copied() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file("static/files/report.pdf", "%PDF-1.4 pretend")
        .file("static/.well-known/security.txt", "Contact: mailto:x@example.org")
        .file("content/articles/bundle/index.md", "---\ntitle: Bundle\ndate: 2020-01-01\n---\n[original](original.txt) ![scan](scan.png)\n")
        .file("content/articles/bundle/original.txt", "the original")
        .file("content/articles/bundle/scan.png", "png");
    s.build().assert_ok();
    assert_eq!(
        std::fs::read_to_string(s.out("files/report.pdf")).unwrap(),
        "%PDF-1.4 pretend"
    );
    assert!(s.exists(".well-known/security.txt"));
    assert_eq!(s.read("articles/bundle/original.txt"), "the original");
    assert!(s.exists("articles/bundle/scan.png"));
    let html = s.read("articles/bundle/index.html");
    assert!(
        html.contains("href=\"https://example.org/sub/articles/bundle/original.txt\""),
        "{html}"
    );
    assert!(
        html.contains("src=\"https://example.org/sub/articles/bundle/scan.png\""),
        "{html}"
    );
}

#[test]
fn links_between_content_files_become_page_urls() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file("content/articles/a.md", "---\ntitle: A\ndate: 2020-01-01\n---\n## What it found\n\nText.\n")
        .file(
            "content/papers/b.md",
            "---\ntitle: B\ndate: 2020-01-02\n---\nSee [A](../articles/a.md#what-it-found) and [bundle](../articles/c/index.md).\n",
        )
        .file("content/articles/c/index.md", "---\ntitle: C\ndate: 2020-01-03\n---\nC.\n");
    s.build().assert_ok();
    let b = s.read("papers/b/index.html");
    assert!(
        b.contains("href=\"https://example.org/sub/articles/a/#what-it-found\""),
        "{b}"
    );
    assert!(
        b.contains("href=\"https://example.org/sub/articles/c/\""),
        "{b}"
    );
    assert!(
        s.read("articles/a/index.html")
            .contains("<h2 id=\"what-it-found\">")
    );
}

#[test]
fn a_link_to_a_missing_content_file_is_an_error() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML).file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2020-01-01\n---\nFirst line.\n\nSee [gone](../gone.md).\n",
    );
    let r = s.build();
    r.assert_code(1);
    assert!(
        r.stderr.contains("content/articles/a.md:7:5"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("there is no content file content/gone.md"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_site_template_overrides_one_theme_file() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file(
            "content/articles/a.md",
            "---\ntitle: A\ndate: 2020-01-01\n---\nText.\n",
        )
        .file(
            "templates/tags.html",
            "{% extends \"base.html\" %}{% block content %}MY TAGS PAGE{% endblock content %}",
        );
    s.build().assert_ok();
    assert!(s.read("tags/index.html").contains("MY TAGS PAGE"));
    // Other templates still come from the theme.
    assert!(
        s.read("articles/a/index.html")
            .contains("class=\"article-body\"")
    );
}

#[test]
fn the_embedded_theme_builds_a_site_with_no_themes_folder() {
    let s = TestSite::new();
    s.file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2020-01-01\n---\nText.\n",
    );
    assert!(!s.root().join("themes").exists());
    let r = s.build();
    r.assert_ok();
    assert!(s.read("style.css").contains("margin-note"));
    assert!(s.exists("marginalia.js"));
    assert!(
        s.read("articles/a/index.html")
            .contains("<link rel=\"stylesheet\" href=\"/style.css\">")
    );
    // No site.yaml: a warning about base_url, not an error.
    assert!(r.stderr.contains("no `base_url` is set"), "{}", r.stderr);
    assert!(s.exists(".marginalia"));
}

#[test]
fn a_theme_folder_replaces_embedded_templates() {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: T\nbase_url: https://e.example/\ntheme: plain\n",
    )
    .file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2020-01-01\n---\nText.\n",
    )
    .file(
        "themes/plain/templates/article.html",
        "PLAIN {{ page.title }}",
    )
    .file("themes/plain/static/extra.css", "body{}");
    s.build().assert_ok();
    assert_eq!(s.read("articles/a/index.html"), "PLAIN A");
    assert_eq!(s.read("extra.css"), "body{}");
    // Missing templates fall back to the built-in default theme.
    assert!(s.read("tags/index.html").contains("<h1>Tags</h1>"));

    s.file(
        "site.yaml",
        "title: T\nbase_url: https://e.example/\ntheme: plian\n",
    );
    let r = s.build();
    r.assert_code(1);
    assert!(
        r.stderr.contains("there is no theme \"plian\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `plain`?"), "{}", r.stderr);
}

#[test]
fn title_falls_back_to_first_heading_then_file_name() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file(
            "content/articles/a.md",
            "---\ndate: 2020-01-01\n---\n# The Heading Title\n\nBody.\n",
        )
        .file(
            "content/articles/no-title-here.md",
            "Just text, no front matter at all.\n",
        );
    let r = s.build();
    r.assert_ok();
    let a = s.read("articles/a/index.html");
    assert!(a.contains("<h1>The Heading Title</h1>"));
    assert_eq!(
        count(&a, "The Heading Title</h1>"),
        1,
        "heading shown twice: {a}"
    );
    assert!(
        s.read("articles/no-title-here/index.html")
            .contains("<h1>no title here</h1>")
    );
    assert!(
        r.stderr
            .contains("content/articles/no-title-here.md: this article has no `date`"),
        "{}",
        r.stderr
    );
}

#[test]
fn strict_turns_warnings_into_errors() {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: T\nbase_url: https://e.example/\nstrict: true\n",
    )
    .file("content/articles/a.md", "---\ntitle: A\n---\nNo date.\n");
    let r = s.build();
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("error: content/articles/a.md: this article has no `date`"),
        "{}",
        r.stderr
    );
    assert!(!s.exists(""));
}

// ---- invalid sites: the error text is part of the contract ----

#[test]
fn bad_yaml_names_file_line_and_column() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML).file(
        "content/articles/bad.md",
        "---\ntitle: ok\ntags: [a, b\ndate: 2020-01-01\n---\nBody\n",
    );
    let r = s.build();
    r.assert_code(1);
    // The YAML error is reported at its line in the .md file (not in the front matter).
    assert!(
        r.stderr.contains("error: content/articles/bad.md:4:")
            || r.stderr.contains("error: content/articles/bad.md:5:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("invalid YAML"), "{}", r.stderr);
}

#[test]
fn every_broken_file_is_reported_at_once() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file("content/articles/one.md", "---\ntitle: [unclosed\n---\nx\n")
        .file("content/articles/two.md", "---\ndate: not-a-date\n---\nx\n")
        .file(
            "content/articles/fine.md",
            "---\ntitle: Fine\ndate: 2020-01-01\n---\nx\n",
        );
    let r = s.build();
    r.assert_code(1);
    // libyaml reports an unclosed list where it notices it: the next line.
    assert!(
        r.stderr
            .contains("content/articles/one.md:3:1: invalid YAML"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("content/articles/two.md:2:1: `date` \"not-a-date\" is not a date"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 errors, 0 warnings"), "{}", r.stderr);
}

#[test]
fn unknown_site_yaml_key_suggests_the_right_one() {
    let s = TestSite::new();
    s.file("site.yaml", "title: T\npaginate_bye: 3\n");
    let r = s.build();
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("site.yaml:2:1: unknown key `paginate_bye` in site.yaml"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("did you mean `paginate_by`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_output_guard_refuses_content_and_foreign_folders() {
    let s = TestSite::new();
    s.file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2020-01-01\n---\nx\n",
    );
    let r = s.run(&["build", "--output", "content"]);
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("refusing to use this folder as the output"),
        "{}",
        r.stderr
    );
    assert!(s.root().join("content/articles/a.md").exists());

    s.file("mine/notes.txt", "my own file");
    let r = s.run(&["build", "--output", "mine"]);
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("holds files that marginalia did not write"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(s.root().join("mine/notes.txt")).unwrap(),
        "my own file"
    );

    let r = s.run(&["build", "--output", "."]);
    r.assert_code(1);
    assert!(r.stderr.contains("it is the site root"), "{}", r.stderr);

    s.file("site.yaml", "output_dir: /\n");
    let r = s.build();
    r.assert_code(1);
    assert!(r.stderr.contains("refusing"), "{}", r.stderr);
}

#[test]
fn a_failed_build_leaves_the_previous_output_intact() {
    let s = five_articles();
    s.build().assert_ok();
    let before = s.output_files();
    let page = s.read("articles/art-1/index.html");
    s.file("content/articles/art-1.md", "---\ntitle: [broken\n---\n");
    s.build().assert_code(1);
    assert_eq!(s.output_files(), before);
    assert_eq!(s.read("articles/art-1/index.html"), page);
    // And a template error fails the build too, after rendering started.
    s.file(
        "content/articles/art-1.md",
        &article("Article 1", "2021-05-02", "a"),
    );
    s.file("templates/article.html", "{{ page.no_such_field.deeper }}");
    s.build().assert_code(1);
    assert_eq!(s.read("articles/art-1/index.html"), page);
    // Nothing is left beside the output.
    let names: Vec<String> = std::fs::read_dir(s.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // .marginalia/ is the build cache (DESIGN §6), not a leftover; nor
        // is the record of the output's sums (README, "The spare").
        .filter(|n| n.starts_with('.') && n != ".marginalia" && n != ".output.marginalia-sums")
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn two_articles_with_one_url_is_an_error_naming_both() {
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file(
            "content/articles/a.md",
            "---\ntitle: A\ndate: 2020-01-01\nslug: same\n---\nx\n",
        )
        .file(
            "content/articles/b.md",
            "---\ntitle: B\ndate: 2020-01-02\nslug: same\n---\nx\n",
        );
    let r = s.build();
    r.assert_code(1);
    assert!(r.stderr.contains("/articles/same/"), "{}", r.stderr);
    assert!(
        r.stderr.contains("content/articles/a.md") && r.stderr.contains("content/articles/b.md"),
        "{}",
        r.stderr
    );
    // A page named like a generated one collides too.
    let s = TestSite::new();
    s.file("site.yaml", SITE_YAML)
        .file("content/tags.md", "---\ntitle: Tags page\n---\nx\n");
    let r = s.build();
    r.assert_code(1);
    assert!(
        r.stderr.contains("/tags/") && r.stderr.contains("content/tags.md"),
        "{}",
        r.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let s = TestSite::new();
    s.run(&["build", "--no-such-flag"]).assert_code(2);
    s.run(&["frobnicate"]).assert_code(2);
    let r = s.run(&["--help"]);
    r.assert_ok();
    assert!(r.stdout.contains("build"));
}
