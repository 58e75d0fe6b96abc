use super::*;
use std::collections::BTreeMap;

/// The outputs a server would hold: everything at the start, then each
/// update applied (early pages, files, later ones rendered, removals).
struct Mirror {
    live: LiveSite,
    files: BTreeMap<String, Produced>,
}

impl Mirror {
    fn new(root: &Path) -> Mirror {
        let options = BuildOptions {
            root: root.to_path_buf(),
            base_url: Some("http://127.0.0.1:1/".into()),
            ..Default::default()
        };
        let (live, diags) = LiveSite::load(&options);
        let live = live.unwrap_or_else(|| panic!("{diags:?}"));
        let (files, d) = live.render_everything();
        assert!(d.is_empty(), "{d:?}");
        Mirror {
            live,
            files: files.into_iter().collect(),
        }
    }

    #[track_caller]
    fn apply(&mut self, changed: &[&str]) -> Update {
        let root = self.live.options.root.clone();
        let paths: Vec<PathBuf> = changed.iter().map(|c| root.join(c)).collect();
        let mut early: Vec<(String, Produced)> = Vec::new();
        let mut cb = |f: &[(String, Produced)]| early.extend(f.iter().cloned());
        let u = match self.live.apply(&paths, &mut cb) {
            Ok(u) => u,
            Err(d) => panic!("{:?}", d.into_vec()),
        };
        if u.full {
            self.files.clear();
        }
        for p in &u.removed {
            self.files.remove(p);
        }
        for (p, f) in early.into_iter().chain(u.files.iter().cloned()) {
            self.files.insert(p, f);
        }
        let (later, d) = self.live.render_paths(&u.later);
        assert!(d.is_empty(), "{d:?}");
        self.files.extend(later);
        u
    }

    /// Everything matches a site loaded from scratch.
    #[track_caller]
    fn assert_fresh(&self, step: &str) {
        let fresh = Mirror::new(&self.live.options.root);
        let ours: Vec<&String> = self.files.keys().collect();
        let theirs: Vec<&String> = fresh.files.keys().collect();
        assert_eq!(ours, theirs, "{step}: the set of outputs differs");
        for (p, f) in &fresh.files {
            let mine = &self.files[p];
            if mine != f {
                let show = |x: &Produced| match x {
                    Produced::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    Produced::File(f) => f.display().to_string(),
                };
                panic!(
                    "{step}: {p} differs\n--- incremental:\n{}\n--- fresh:\n{}",
                    show(mine),
                    show(f)
                );
            }
        }
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    crate::fsutil::write_atomic(&p, text.as_bytes()).unwrap();
}

fn article(title: &str, date: &str, source: &str, tags: &str, body: &str) -> String {
    format!(
        "---\ntitle: \"{title}\"\ndate: {date}\nsource: {source}\ntags: [{tags}]\n---\n{body}\n"
    )
}

#[test]
fn incremental_updates_match_a_fresh_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "site.yaml", "title: T\npaginate_by: 2\n");
    write(
        root,
        "content/sources.yaml",
        "a:\n  name: Source A\n  kind: publication\nb:\n  name: Source B\n  kind: person\n",
    );
    for (i, (src, tags)) in [("a", "x, y"), ("b", "y"), ("a", "z"), ("b", "x")]
        .iter()
        .enumerate()
    {
        write(
            root,
            &format!("content/news/n{i}.md"),
            &article(
                &format!("News {i}"),
                &format!("2021-0{}-01", i + 1),
                src,
                tags,
                &format!("Body {i} has a quotable passage. See [other](n0.md)."),
            ),
        );
    }
    write(
        root,
        "content/news/n1.annotations.yaml",
        "- quote: \"a quotable passage\"\n  note: \"First note.\"\n  sources: [a]\n",
    );
    write(root, "content/about.md", "---\ntitle: About\n---\nAbout.\n");
    // A page that shows only site-wide counts.
    write(
        root,
        "templates/404.html",
        "{{ site.article_count }} articles, {{ site.note_count }} notes, {{ site.tag_count }} tags",
    );
    let mut m = Mirror::new(root);

    type Step = (&'static str, Box<dyn Fn(&Path)>, Vec<&'static str>);
    let steps: Vec<Step> = vec![
        (
            "body edit in place",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n2.md",
                    &article(
                        "News 2",
                        "2021-03-01",
                        "a",
                        "z",
                        "Changed body, a quotable passage.",
                    ),
                )
            }),
            vec!["content/news/n2.md"],
        ),
        (
            "title edit (neighbours, listings)",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n2.md",
                    &article(
                        "Renamed",
                        "2021-03-01",
                        "a",
                        "z",
                        "Changed body, a quotable passage.",
                    ),
                )
            }),
            vec!["content/news/n2.md"],
        ),
        (
            "date edit (reorder)",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n0.md",
                    &article(
                        "News 0",
                        "2022-01-01",
                        "a",
                        "x, y",
                        "Body 0 has a quotable passage.",
                    ),
                )
            }),
            vec!["content/news/n0.md"],
        ),
        (
            "tags and source edit",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n3.md",
                    &article(
                        "News 3",
                        "2021-04-01",
                        "a",
                        "new-tag, Y",
                        "Body 3 has a quotable passage.",
                    ),
                )
            }),
            vec!["content/news/n3.md"],
        ),
        (
            "a note added",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n1.annotations.yaml",
                    "- quote: \"a quotable passage\"\n  note: \"First note.\"\n  sources: [a]\n- quote: \"Body 1\"\n  note: \"Second.\"\n  sources: [b]\n",
                )
            }),
            vec!["content/news/n1.annotations.yaml"],
        ),
        (
            "an article added",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n9.md",
                    &article(
                        "News 9",
                        "2021-02-15",
                        "b",
                        "x",
                        "Body 9 links to [zero](n0.md#top).",
                    ),
                )
            }),
            vec!["content/news/n9.md"],
        ),
        (
            "a sidecar created",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n9.annotations.yaml",
                    "- quote: \"Body 9\"\n  note: \"Nine.\"\n",
                )
            }),
            vec!["content/news/n9.annotations.yaml"],
        ),
        (
            "an article deleted",
            Box::new(|r| {
                std::fs::remove_file(r.join("content/news/n3.md")).unwrap();
            }),
            vec!["content/news/n3.md"],
        ),
        (
            "a slug change (links from other articles follow)",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n0.md",
                    "---\ntitle: News 0\ndate: 2022-01-01\nsource: a\nslug: zero\ntags: [x, y]\n---\nBody 0 has a quotable passage.\n",
                )
            }),
            vec!["content/news/n0.md"],
        ),
        (
            "a draft hidden",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n2.md",
                    "---\ntitle: Renamed\ndate: 2021-03-01\nsource: a\ndraft: true\n---\nHidden.\n",
                )
            }),
            vec!["content/news/n2.md"],
        ),
        (
            "a file added beside articles and in static/",
            Box::new(|r| {
                write(r, "content/news/chart.txt", "data");
                write(r, "static/robots-extra.txt", "x");
            }),
            vec!["content/news/chart.txt", "static/robots-extra.txt"],
        ),
        (
            "a static file removed",
            Box::new(|r| std::fs::remove_file(r.join("static/robots-extra.txt")).unwrap()),
            vec!["static/robots-extra.txt"],
        ),
        (
            "the theme's stylesheet overridden",
            Box::new(|r| write(r, "static/style.css", "body { color: red }")),
            vec!["static/style.css"],
        ),
        (
            "the override edited",
            Box::new(|r| write(r, "static/style.css", "body { color: blue }")),
            vec!["static/style.css"],
        ),
        (
            "the override removed",
            Box::new(|r| std::fs::remove_file(r.join("static/style.css")).unwrap()),
            vec!["static/style.css"],
        ),
        (
            "an article in a new section",
            Box::new(|r| {
                write(
                    r,
                    "content/essays/e1.md",
                    &article("Essay", "2021-06-01", "b", "x", "An essay."),
                )
            }),
            vec!["content/essays/e1.md"],
        ),
        (
            "a section's _index.md",
            Box::new(|r| {
                write(
                    r,
                    "content/news/_index.md",
                    "---\ntitle: The News\npaginate_by: 1\n---\nAll of it.\n",
                )
            }),
            vec!["content/news/_index.md"],
        ),
        (
            // Every source page's timeline has a series per note kind the
            // site uses: a note citing only source b given a kind new to the
            // site (the note count unchanged) changes source a's pages too.
            "a note's kind new to the site",
            Box::new(|r| {
                write(
                    r,
                    "content/news/n1.annotations.yaml",
                    "- quote: \"a quotable passage\"\n  note: \"First note.\"\n  sources: [a]\n- quote: \"Body 1\"\n  note: \"Second.\"\n  kind: context\n  sources: [b]\n",
                )
            }),
            vec!["content/news/n1.annotations.yaml"],
        ),
        (
            "a template changed",
            Box::new(|r| {
                write(
                    r,
                    "templates/page.html",
                    "{% extends \"base.html\" %}{% block content %}PAGE {{ page.title }}{% endblock content %}",
                )
            }),
            vec!["templates/page.html"],
        ),
        (
            "site.yaml changed",
            Box::new(|r| write(r, "site.yaml", "title: T2\npaginate_by: 3\n")),
            vec!["site.yaml"],
        ),
    ];
    for (step, change, files) in steps {
        change(root);
        m.apply(&files);
        m.assert_fresh(step);
    }
}

#[test]
fn a_failed_change_leaves_the_site_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "content/sources.yaml",
        "a:\n  name: A\n  kind: other\n",
    );
    write(
        root,
        "content/news/n0.md",
        &article("News 0", "2021-01-01", "a", "x", "Body zero."),
    );
    let mut m = Mirror::new(root);
    let before = m.files.clone();
    for (file, text) in [
        (
            "content/news/n0.annotations.yaml",
            "- quote: \"not in the text\"\n  note: x\n",
        ),
        (
            "content/news/n0.md",
            "---\ntitle: News 0\ndate: 2021-01-01\nsource: nope\n---\nBody.\n",
        ),
        ("content/news/n0.md", "---\ntitle: [unclosed\n---\nBody.\n"),
    ] {
        write(root, file, text);
        let r = m.live.apply(&[root.join(file)], &mut |_| {});
        let diags = r.expect_err("the change fails");
        assert!(diags.has_errors());
        assert!(
            diags.iter().any(|d| d
                .location
                .as_ref()
                .is_some_and(|l| l.file.ends_with(file.rsplit('/').next().unwrap()))),
            "{:?}",
            diags.into_vec()
        );
        let _ = std::fs::remove_file(root.join("content/news/n0.annotations.yaml"));
        write(
            root,
            "content/news/n0.md",
            &article("News 0", "2021-01-01", "a", "x", "Body zero."),
        );
    }
    // Nothing was applied: rendering everything gives the same site.
    let (now, _) = m.live.render_everything();
    let now: BTreeMap<String, Produced> = now.into_iter().collect();
    assert!(now == before);
}
