//! One pipeline: the dev server's live site, updated edit by edit, must
//! hold exactly what a fresh `build` of the same files writes.
//!
//! A property test: random sequences of edits to a small site (articles
//! and sidecars added, edited, renamed and deleted; `sources.yaml`, a
//! template, a stylesheet and `site.yaml` edited) are applied to a
//! [`LiveSite`] through the library path `serve` takes, and the served
//! files are compared byte for byte with a fresh build (every tenth
//! sequence written to disk by `build`, the others rendered into memory by
//! the same pipeline, which is quicker). The number of sequences is
//! `PIPELINE_CASES` (default 200).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use marginalia::config::BuildOptions;
use marginalia::incremental::{LiveSite, Produced};
use proptest::prelude::*;

const BASE_URL: &str = "http://127.0.0.1:1/";
const NAMES: [&str; 5] = ["n0", "n1", "n2", "n3", "n4"];

#[derive(Debug, Clone)]
enum Edit {
    /// Write article `name` (added or edited) with these front-matter choices.
    Article {
        name: usize,
        title: u8,
        date: u8,
        source: u8,
        tags: u8,
        body: u8,
    },
    Rename {
        from: usize,
        to: usize,
    },
    Delete {
        name: usize,
    },
    /// Write (or with `notes == 0`, delete) the sidecar of an article.
    Sidecar {
        name: usize,
        notes: u8,
    },
    Sources(u8),
    /// 0–2: a page template and 404.html; 3: the margin-note partial.
    Template(u8),
    Stylesheet(u8),
    SiteYaml(u8),
    /// Edit the bundle's earlier snapshot, or add or remove a second one
    /// (DESIGN §10).
    Snapshot(u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0..NAMES.len(), 0u8..3, 0u8..4, 0u8..3, 0u8..4, 0u8..3).prop_map(
            |(name, title, date, source, tags, body)| Edit::Article { name, title, date, source, tags, body }
        ),
        1 => (0..NAMES.len(), 0..NAMES.len()).prop_map(|(from, to)| Edit::Rename { from, to }),
        1 => (0..NAMES.len()).prop_map(|name| Edit::Delete { name }),
        2 => (0..NAMES.len(), 0u8..3).prop_map(|(name, notes)| Edit::Sidecar { name, notes }),
        1 => (0u8..3).prop_map(Edit::Sources),
        1 => (0u8..4).prop_map(Edit::Template),
        1 => (0u8..3).prop_map(Edit::Stylesheet),
        1 => (0u8..3).prop_map(Edit::SiteYaml),
        1 => (0u8..3).prop_map(Edit::Snapshot),
    ]
}

fn article_path(name: usize) -> String {
    format!("content/news/{}.md", NAMES[name])
}

fn sidecar_path(name: usize) -> String {
    format!("content/news/{}.annotations.yaml", NAMES[name])
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn remove(root: &Path, rel: &str) {
    let _ = std::fs::remove_file(root.join(rel));
}

fn article(title: u8, date: u8, source: u8, tags: u8, body: u8) -> String {
    let title = ["Alpha", "Beta", "Gamma"][title as usize];
    let date = ["2021-01-01", "2021-06-01", "2022-03-01", "2020-12-31"][date as usize];
    let source = ["source: a\n", "source: b\n", ""][source as usize];
    let tags = ["[x]", "[x, y]", "[Y]", "[]"][tags as usize];
    let body = [
        "Words with a quotable passage here.",
        "Other words, still a quotable passage, and [a link](../about.md).",
        "# A heading\n\nA quotable passage in a longer body.\n\nA second paragraph.",
    ][body as usize];
    format!("---\ntitle: {title}\ndate: {date}\n{source}tags: {tags}\n---\n{body}\n")
}

const SNAPSHOT: &str = "content/news/bundle/versions/2020-01-01.md";
const SECOND_SNAPSHOT: &str = "content/news/bundle/versions/2020-06-01.md";

fn snapshot(archived: &str, body: &str) -> String {
    format!("---\ntitle: Bundle\ndate: 2019-12-31\narchived: {archived}\n---\n{body}\n")
}

/// The site before any edit.
fn initial(root: &Path) {
    write(
        root,
        "content/news/bundle/index.md",
        &snapshot("2021-02-01", "A quotable passage, as it reads now."),
    );
    write(
        root,
        SNAPSHOT,
        &snapshot("2020-01-01", "A quotable passage, as it first read."),
    );
    write(root, "site.yaml", "title: T\npaginate_by: 2\n");
    write(root, "content/sources.yaml", &sources(0));
    write(root, "content/about.md", "---\ntitle: About\n---\nAbout.\n");
    write(root, &article_path(0), &article(0, 0, 0, 0, 0));
    write(root, &article_path(1), &article(1, 1, 1, 1, 2));
    write(
        root,
        &sidecar_path(1),
        "- quote: \"quotable passage\"\n  note: \"A note.\"\n  sources: [a]\n",
    );
}

fn sources(v: u8) -> String {
    let mut s = String::from(
        "a:\n  name: Source A\n  kind: publication\nb:\n  name: Source B\n  kind: person\n",
    );
    match v {
        1 => s.push_str("c:\n  name: Source C\n  kind: organisation\n"),
        2 => s = s.replace("Source A", "The A"),
        _ => {}
    }
    s
}

/// Applies `e` to the files; returns the paths it touched (both names of
/// a rename), or none when the edit does not apply to the site as it is
/// (a rename onto an existing article, say).
fn apply_to_files(root: &Path, e: &Edit) -> Vec<String> {
    let exists = |rel: &str| root.join(rel).is_file();
    match *e {
        Edit::Article {
            name,
            title,
            date,
            source,
            tags,
            body,
        } => {
            let p = article_path(name);
            write(root, &p, &article(title, date, source, tags, body));
            vec![p]
        }
        Edit::Rename { from, to } => {
            let (a, b) = (article_path(from), article_path(to));
            if from == to || !exists(&a) || exists(&b) || exists(&sidecar_path(to)) {
                return vec![];
            }
            std::fs::rename(root.join(&a), root.join(&b)).unwrap();
            let mut touched = vec![a, b];
            let (sa, sb) = (sidecar_path(from), sidecar_path(to));
            if exists(&sa) {
                std::fs::rename(root.join(&sa), root.join(&sb)).unwrap();
                touched.extend([sa, sb]);
            }
            touched
        }
        Edit::Delete { name } => {
            let (a, s) = (article_path(name), sidecar_path(name));
            // Keep one article, so the site always has a list to show.
            let left = (0..NAMES.len())
                .filter(|&n| exists(&article_path(n)))
                .count();
            if !exists(&a) || left <= 1 {
                return vec![];
            }
            remove(root, &a);
            remove(root, &s);
            vec![a, s]
        }
        Edit::Sidecar { name, notes } => {
            let (a, s) = (article_path(name), sidecar_path(name));
            if !exists(&a) {
                return vec![];
            }
            match notes {
                0 => remove(root, &s),
                1 => write(
                    root,
                    &s,
                    "- quote: \"quotable passage\"\n  note: \"One.\"\n  sources: [b]\n",
                ),
                _ => write(
                    root,
                    &s,
                    "- quote: \"quotable\"\n  note: \"First.\"\n  sources: [a, b]\n- quote: \"passage\"\n  note: \"Second.\"\n  kind: sourcing\n",
                ),
            }
            vec![s]
        }
        Edit::Snapshot(v) => match v {
            0 => {
                write(
                    root,
                    SNAPSHOT,
                    &snapshot("2020-01-01", "A quotable passage, edited."),
                );
                vec![SNAPSHOT.to_string()]
            }
            1 => {
                write(
                    root,
                    SNAPSHOT,
                    &snapshot("2020-01-01", "A quotable passage, as it first read."),
                );
                vec![SNAPSHOT.to_string()]
            }
            _ => {
                if exists(SECOND_SNAPSHOT) {
                    remove(root, SECOND_SNAPSHOT);
                } else {
                    write(
                        root,
                        SECOND_SNAPSHOT,
                        &snapshot("2020-06-01", "A second capture."),
                    );
                }
                vec![SECOND_SNAPSHOT.to_string()]
            }
        },
        Edit::Sources(v) => {
            write(root, "content/sources.yaml", &sources(v));
            vec!["content/sources.yaml".into()]
        }
        Edit::Template(3) => {
            // The note partial renders inside each document's body, not
            // through a page template: the documents holding notes change.
            let p = "templates/partials/note.html";
            write(
                root,
                p,
                "<aside class=\"margin-note\" id=\"note-{{ note.id }}\">NOTE {{ note.number }}: {{ note.body | safe }}</aside>\n",
            );
            vec![p.into()]
        }
        Edit::Template(v) => {
            let p = "templates/page.html";
            match v {
                0 => remove(root, p),
                1 => write(
                    root,
                    p,
                    "{% extends \"base.html\" %}{% block content %}PAGE {{ page.title }}{% endblock content %}",
                ),
                _ => write(
                    root,
                    "templates/404.html",
                    "{{ site.article_count }} articles, {{ site.note_count }} notes, {{ site.tag_count }} tags",
                ),
            }
            vec![p.into(), "templates/404.html".into()]
        }
        Edit::Stylesheet(v) => {
            let p = "static/style.css";
            match v {
                0 => remove(root, p),
                1 => write(root, p, "body { color: red }"),
                _ => write(root, p, "body { color: blue; margin: 0 }"),
            }
            vec![p.into()]
        }
        Edit::SiteYaml(v) => {
            let text = [
                "title: T\npaginate_by: 2\n",
                "title: T2\npaginate_by: 1\n",
                "title: T\npaginate_by: 3\ndescription: D\n",
            ];
            write(root, "site.yaml", text[v as usize]);
            vec!["site.yaml".into()]
        }
    }
}

/// What a server holds: every output, kept up to date by each update.
struct Served {
    live: LiveSite,
    files: BTreeMap<String, Produced>,
}

impl Served {
    fn new(options: &BuildOptions) -> Served {
        let (live, diags) = LiveSite::load(options);
        let live = live.unwrap_or_else(|| panic!("{:?}", diags.into_vec()));
        let (files, d) = live.render_everything();
        assert!(d.is_empty(), "{d:?}");
        Served {
            live,
            files: files.into_iter().collect(),
        }
    }

    fn apply(&mut self, root: &Path, changed: &[String]) {
        let paths: Vec<PathBuf> = changed.iter().map(|c| root.join(c)).collect();
        let mut early: Vec<(String, Produced)> = Vec::new();
        let mut cb = |f: &[(String, Produced)]| early.extend(f.iter().cloned());
        let u = match self.live.apply(&paths, &mut cb) {
            Ok(u) => u,
            Err(d) => panic!("the edit of {changed:?} failed: {:?}", d.into_vec()),
        };
        if u.full {
            self.files.clear();
        }
        for p in &u.removed {
            self.files.remove(p);
        }
        for (p, f) in early.into_iter().chain(u.files) {
            self.files.insert(p, f);
        }
        let (later, d) = self.live.render_paths(&u.later);
        assert!(d.is_empty(), "{d:?}");
        self.files.extend(later);
    }

    fn bytes(&self) -> BTreeMap<String, Vec<u8>> {
        self.files
            .iter()
            .map(|(p, f)| {
                let b = match f {
                    Produced::Bytes(b) => b.clone(),
                    Produced::File(f) => std::fs::read(f).unwrap(),
                };
                (p.clone(), b)
            })
            .collect()
    }
}

/// Every file a fresh build writes (without its marker).
fn fresh_build(options: &BuildOptions, out: &Path) -> BTreeMap<String, Vec<u8>> {
    let _ = std::fs::remove_dir_all(out);
    let mut o = options.clone();
    o.output = Some(out.to_path_buf());
    let (_, diags) = marginalia::build(&o);
    assert!(!diags.has_errors(), "{:?}", diags.into_vec());
    crate::common::walk(out)
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(out)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel != marginalia::output::MARKER).then(|| (rel, std::fs::read(&p).unwrap()))
        })
        .collect()
}

/// The same site rendered from scratch into memory (`check`'s render; the
/// test `sample::` shows it writes what `build` writes).
fn fresh_render(options: &BuildOptions) -> BTreeMap<String, Vec<u8>> {
    let (prepared, diags) = marginalia::prepare(options);
    assert!(!diags.has_errors(), "{:?}", diags.into_vec());
    let (site, templates) = prepared.unwrap();
    let memory = marginalia::output::MemoryOutput::new();
    let (_, d) = marginalia::render_into(&site, &templates, &memory);
    assert!(d.is_empty(), "{d:?}");
    memory
        .paths()
        .into_iter()
        .map(|p| {
            let b = memory.get(&p).unwrap().to_vec();
            (p, b)
        })
        .collect()
}

/// Sequences run so far: every `DISK_EVERY`th is also compared with a
/// build written to disk (slower: every file is synced).
static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const DISK_EVERY: usize = 10;

fn run_sequence(edits: &[Edit]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    initial(&root);
    let options = BuildOptions {
        root: root.clone(),
        base_url: Some(BASE_URL.into()),
        ..Default::default()
    };
    let mut served = Served::new(&options);
    for e in edits {
        let changed = apply_to_files(&root, e);
        if !changed.is_empty() {
            served.apply(&root, &changed);
        }
    }
    let ours = served.bytes();
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let theirs = if n.is_multiple_of(DISK_EVERY) {
        fresh_build(&options, &dir.path().join("out"))
    } else {
        fresh_render(&options)
    };
    let a: Vec<&String> = ours.keys().collect();
    let b: Vec<&String> = theirs.keys().collect();
    prop_assert_eq!(a, b, "the set of outputs differs after {:?}", edits);
    for (p, bytes) in &theirs {
        prop_assert!(
            ours[p] == *bytes,
            "{} differs after {:?}\n--- served:\n{}\n--- built:\n{}",
            p,
            edits,
            String::from_utf8_lossy(&ours[p]),
            String::from_utf8_lossy(bytes)
        );
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PIPELINE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

#[test]
fn an_edited_note_partial_rerenders_the_documents_with_notes() {
    run_sequence(&[Edit::Template(3)]).unwrap();
    run_sequence(&[Edit::Sidecar { name: 0, notes: 2 }, Edit::Template(3)]).unwrap();
    let article = |name, tags| Edit::Article {
        name,
        title: 0,
        date: 0,
        source: 0,
        tags,
        body: 0,
    };
    run_sequence(&[article(0, 0), article(2, 2), Edit::Template(3)]).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_live_site_edited_at_random_is_a_fresh_build(edits in prop::collection::vec(edit(), 1..8)) {
        run_sequence(&edits)?;
    }
}
