//! The route table: every output has one path, and two outputs claiming
//! one path is an error naming both, whichever stage of the build finds it.

use crate::common::TestSite;

/// A source cited only by notes gets its second page once the notes are
/// anchored, which a streaming build learns only after it has written
/// the articles; a clash with that page must still be reported.
#[test]
fn a_clash_with_a_page_that_only_notes_create_is_reported() {
    let s = TestSite::new();
    s.file("site.yaml", "title: T\npaginate_by: 1\n")
        .file(
            "content/sources.yaml",
            "x:\n  name: Source X\n  kind: publication\n",
        )
        .file("static/sources/x/page/2/index.html", "<p>mine</p>\n");
    for i in 0..2 {
        s.file(
            &format!("content/articles/a{i}.md"),
            &format!(
                "---\ntitle: A{i}\ndate: 2020-01-0{}\n---\nSome words here.\n",
                i + 1
            ),
        )
        .file(
            &format!("content/articles/a{i}.annotations.yaml"),
            "- quote: \"Some words\"\n  note: \"A note.\"\n  sources: [x]\n",
        );
    }
    for args in [&["build"][..], &["check"][..]] {
        let r = s.run(args);
        r.assert_code(1);
        assert!(
            r.stderr.contains("/sources/x/page/2/")
                && r.stderr.contains("static/sources/x/page/2/index.html")
                && r.stderr.contains("\"x\""),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(!s.exists("index.html"), "a failed build writes nothing");

    // Without the clash the same site builds, with the source's two pages.
    s.remove("static/sources/x/page/2/index.html");
    s.build().assert_ok();
    assert!(s.exists("sources/x/page/2/index.html"));
}

/// A kind of page is its route, its job and its template: the sitemap
/// lists the planned routes that rank themselves into it, and every input
/// a job declares about a list, section, tag or source has a value without
/// anything naming the kind (what serve's records and the build cache's
/// ledger both use). Checked on a site with every kind of list, later
/// pages and claims.
#[test]
fn the_sitemap_and_the_recorded_inputs_follow_from_the_plan() {
    use marginalia::render::reads::Derived;
    use marginalia::render::{Input, Job, Renderer};
    use marginalia::routes::ListRoute;

    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: T\nbase_url: https://example.org/\npaginate_by: 1\nratings:\n  best: 5\n  worst: 1\n  labels:\n    \"False\": 1\n",
    )
    .file(
        "content/sources.yaml",
        "x:\n  name: Source X\n  kind: publication\n",
    )
    .file("content/about.md", "---\ntitle: About\n---\nAbout us.\n");
    for i in 0..3 {
        s.file(
            &format!("content/articles/a{i}.md"),
            &format!(
                "---\ntitle: A{i}\ndate: 2020-01-0{}\nsource: x\ntags: [t]\n---\nSome words here.\n",
                i + 1
            ),
        )
        .file(
            &format!("content/articles/a{i}.annotations.yaml"),
            "- quote: \"Some words\"\n  note: \"A note.\"\n  rating: \"False\"\n",
        );
    }
    let options = marginalia::BuildOptions {
        root: s.root().to_path_buf(),
        ..Default::default()
    };
    let (prepared, diags) = marginalia::prepare(&options);
    let (site, templates) = prepared.unwrap_or_else(|| panic!("{diags:?}"));
    let r = Renderer::new(&site, &templates);
    let plan = r.plan();

    // The sitemap: the ranked routes, by rank, in the plan's order.
    let mut ranked: Vec<(u8, String)> = plan
        .iter()
        .filter_map(|(_, job)| {
            let route = r.route(job);
            Some((route.sitemap_rank()?, route.url(&site.config)))
        })
        .collect();
    ranked.sort_by_key(|x| x.0);
    let expected: Vec<String> = ranked.into_iter().map(|x| x.1).collect();
    let (path, job) = plan.iter().find(|(_, j)| *j == Job::Sitemap).unwrap();
    let sitemap = String::from_utf8(r.render_bytes(path, job).unwrap()).unwrap();
    let listed: Vec<String> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|x| x[..x.find("</loc>").unwrap()].to_string())
        .collect();
    assert_eq!(listed, expected);
    let u = |p: &str| format!("https://example.org/{p}");
    for p in [
        "",
        "articles/a0/",
        "about/",
        "tags/t/",
        "sources/x/",
        "claims/",
        "stats/",
    ] {
        assert!(listed.contains(&u(p)), "{p} not in the sitemap: {listed:?}");
    }
    for p in ["tags/t/page/2/", "page/1/", "atom.xml", "claims/page/2/"] {
        assert!(
            plan.iter().any(|(_, j)| r.route(j).url_path() == p),
            "{p} not planned"
        );
        assert!(!listed.contains(&u(p)), "{p} is in the sitemap");
    }

    // Every derived input a job declares has a value.
    let derived = Derived::new(&r);
    let mut lists = std::collections::BTreeSet::new();
    for (path, job) in &plan {
        for input in r.reads(job) {
            let derived_input = match &input {
                Input::ListPage { list, .. } => {
                    lists.insert(list.clone());
                    true
                }
                Input::Section(_)
                | Input::SectionLink(_)
                | Input::Tag(_)
                | Input::Tags
                | Input::Source(_) => true,
                _ => false,
            };
            if derived_input {
                assert!(
                    derived.value(&input).is_some(),
                    "{path} reads {input:?}, which has no value"
                );
            }
        }
    }
    for list in [
        ListRoute::Home,
        ListRoute::Section {
            dir: "articles/".into(),
        },
        ListRoute::Tag { slug: "t".into() },
        ListRoute::Source { slug: "x".into() },
    ] {
        assert!(lists.contains(&list), "no page reads {list:?}");
    }
}
