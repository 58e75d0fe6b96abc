//! The stages import one way (docs/architecture.md): a module may use the
//! stages before it, never one after it, and the modules' import graph has
//! no cycle. Checked on the source text: every top-level module of the
//! library has a stage ([`STAGES`]), and the modules whose imports are
//! settled name exactly which ones they may use ([`ALLOWED`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of the library, by stage, in pipeline order. A
/// module may name modules of its own stage or an earlier one (the cycle
/// check keeps a stage's own modules from going round in a circle). The
/// binary's `cli/` is not the library's and is not listed.
const STAGES: &[(&str, &[&str])] = &[
    // What everything may use: errors, URLs, YAML, files, walk rules,
    // HTML escaping, drawing, the embedded theme, the output sinks.
    (
        "leaves",
        &[
            "error", "url", "yaml", "fsutil", "paths", "html", "charts", "theme", "output",
            "memstat",
        ],
    ),
    ("config", &["config"]),
    // The types the later stages pass along: the source registry, the
    // model, the routes.
    ("types", &["sources", "model", "routes"]),
    ("parse", &["load", "annotate", "frontmatter", "markdown"]),
    ("model", &["menu", "versions", "site"]),
    ("render", &["render"]),
    ("after render", &["linkcheck", "cache"]),
    (
        "commands",
        &["incremental", "serve", "capture", "import", "scaffold"],
    ),
];

/// Imports that go against [`STAGES`] and are known, each with why it is
/// still there; the test fails when one is gone, so the list stays true.
const KNOWN_LATER: &[(&str, &str, &str)] = &[(
    "site",
    "render",
    "site.rs keeps each document's search terms (render::search::document_terms) when its text is dropped",
)];

/// Each settled module (a file, or a folder and its files) with the only
/// `crate::` modules it may name outside comments.
const ALLOWED: &[(&str, &[&str])] = &[
    ("config.rs", &["config", "error", "url", "yaml"]),
    ("config", &["config", "error", "url", "yaml"]),
    ("paths.rs", &["error"]),
    ("fsutil.rs", &["error"]),
    ("model.rs", &["config", "error", "sources"]),
    ("html.rs", &["url"]),
    ("routes.rs", &["config", "paths", "routes"]),
    (
        "annotate",
        &["annotate", "config", "error", "model", "yaml"],
    ),
    (
        "markdown",
        &[
            "annotate", "config", "error", "html", "markdown", "model", "sources", "theme", "url",
        ],
    ),
];

fn rust_files(at: &Path) -> Vec<PathBuf> {
    if at.is_file() {
        return vec![at.to_path_buf()];
    }
    crate::common::walk(at)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

/// The modules named as `crate::<name>` in `text`, outside comments and
/// the unit tests at the end of a file.
fn named_modules(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            } else if rest.starts_with('{') {
                // A grouped import is not read here: reported as is, so
                // that settled modules write one `use` per module.
                out.push((i + 1, "{".to_string()));
            }
        }
    }
    out
}

#[test]
fn settled_modules_import_only_earlier_stages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (module, allowed) in ALLOWED {
        let files = rust_files(&src.join(module));
        assert!(!files.is_empty(), "src/{module} is gone: update this list");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (line, name) in named_modules(&text) {
                if !allowed.contains(&name.as_str()) {
                    wrong.push(format!("{}:{line}: crate::{name}", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "these reach a later stage:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_imports_and_skips_comments() {
    let text = "use crate::error::X;\n// crate::site is only mentioned\nlet a = crate::render::f(); // crate::load\nuse crate::{a, b};\n#[cfg(test)]\nuse crate::site;\n";
    assert_eq!(
        named_modules(text),
        [
            (1, "error".to_string()),
            (3, "render".to_string()),
            (4, "{".to_string())
        ]
    );
}

/// A module's files: `src/<name>.rs` and everything under `src/<name>/`,
/// without the unit-test files (`tests.rs`), which may use anything.
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let dir = src.join(module);
    if dir.is_dir() {
        files.extend(
            rust_files(&dir)
                .into_iter()
                .filter(|p| p.file_name().is_none_or(|n| n != "tests.rs")),
        );
    }
    files
}

/// Each top-level module with the others it names, and where (one
/// `file:line` per pair, the first found).
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn import_graph(src: &Path) -> (Graph, Vec<String>) {
    let modules: BTreeSet<&str> = STAGES.iter().flat_map(|(_, m)| m.iter().copied()).collect();
    let mut graph = Graph::new();
    let mut problems = Vec::new();
    for &module in &modules {
        let files = module_files(src, module);
        if files.is_empty() {
            problems.push(format!("src/{module} is gone: update STAGES"));
        }
        let edges = graph.entry(module.to_string()).or_default();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (line, name) in named_modules(&text) {
                if name == "{" {
                    problems.push(format!(
                        "{}:{line}: a grouped `crate::{{..}}` import: write one `use` per module",
                        file.display()
                    ));
                } else if name != module && modules.contains(name.as_str()) {
                    edges
                        .entry(name)
                        .or_insert_with(|| format!("{}:{line}", file.display()));
                }
            }
        }
    }
    (graph, problems)
}

/// A cycle of `graph` (its modules in order, the first repeated at the
/// end), if it has one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit<'a>(
        at: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|&m| m == at) {
            let mut cycle: Vec<String> = path[i..].iter().map(|m| m.to_string()).collect();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if !done.insert(at) {
            return None;
        }
        path.push(at);
        for next in graph.get(at).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn every_library_module_has_a_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let staged: BTreeSet<&str> = STAGES.iter().flat_map(|(_, m)| m.iter().copied()).collect();
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))
        })
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert!(declared.len() > 20, "lib.rs's modules were not found");
    let missing: Vec<&&str> = declared.iter().filter(|m| !staged.contains(**m)).collect();
    assert!(
        missing.is_empty(),
        "give these modules a stage in STAGES: {missing:?}"
    );
}

#[test]
fn the_module_graph_has_no_cycle_and_goes_down_the_stages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (graph, mut problems) = import_graph(&src);
    let plain: BTreeMap<String, BTreeSet<String>> = graph
        .iter()
        .map(|(m, e)| (m.clone(), e.keys().cloned().collect()))
        .collect();
    if let Some(cycle) = find_cycle(&plain) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("  {} -> {} ({})", w[0], w[1], graph[&w[0]][&w[1]]))
            .collect();
        problems.push(format!("a cycle of imports:\n{}", steps.join("\n")));
    }
    let stage = |m: &str| STAGES.iter().position(|(_, ms)| ms.contains(&m)).unwrap();
    for (from, edges) in &graph {
        for (to, at) in edges {
            let known = KNOWN_LATER.iter().any(|(a, b, _)| a == from && b == to);
            if stage(to) > stage(from) && !known {
                problems.push(format!(
                    "{at}: {from} ({}) names {to}, a later stage ({})",
                    STAGES[stage(from)].0,
                    STAGES[stage(to)].0
                ));
            }
        }
    }
    for (from, to, why) in KNOWN_LATER {
        if !graph[*from].contains_key(*to) {
            problems.push(format!(
                "{from} no longer names {to} ({why}): take it out of KNOWN_LATER"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
            g.entry(b.to_string()).or_default();
        }
        g
    };
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "d")])),
        None
    );
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("a", "d")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    // A diamond is not a cycle.
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])),
        None
    );
}

/// The kinds of page (variants of `Route`, `ListRoute`, `Job`, `List`)
/// that code outside the route table and the render stage names, with why.
/// A kind of page is its route (`src/routes.rs`), its job (`src/render/`)
/// and its template: the sitemap, serve's records, the build cache and the
/// collision check follow from those. These few name one because they
/// treat it apart; a new kind needs none of them.
const KINDS_NAMED_ELSEWHERE: &[(&str, &[&str], &str)] = &[
    (
        "lib.rs",
        &["Job::Document", "Job::SearchDoc", "Route::Document"],
        "the streaming build writes each document's page and search fragment as soon as it is rendered",
    ),
    (
        "linkcheck.rs",
        &["Job::Document"],
        "links are checked from the documents' pages",
    ),
    (
        "incremental/apply.rs",
        &[
            "Job::Asset",
            "Job::Document",
            "Job::SearchShard",
            "Job::Sitemap",
            "Job::SitemapPart",
            "Job::ThemeStatic",
        ],
        "a changed document's own page goes first; the plan is compared without the outputs compared apart",
    ),
    (
        "incremental/records.rs",
        &[
            "Job::Annotations",
            "Job::Document",
            "Job::SearchIndex",
            "Job::Sitemap",
        ],
        "which touched outputs are sent first and which later (the site-wide data files)",
    ),
    (
        "incremental/on_demand.rs",
        &[
            "Job::Asset",
            "Job::Document",
            "Job::FirstPageRedirect",
            "Job::HighlightCss",
            "Job::KindsCss",
            "Job::Listing",
            "Job::NotFound",
            "Job::Robots",
            "Job::Tags",
            "Job::ThemeStatic",
            "List::Source",
        ],
        "the pages phase one can answer before the whole site is rendered (any other waits for it)",
    ),
];

/// The `Route::X`, `ListRoute::X`, `Job::X` and `List::X` that `text`
/// names outside comments and its unit tests.
fn kinds_named(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        for ty in ["Route::", "ListRoute::", "Job::", "List::"] {
            let mut from = 0;
            while let Some(at) = line[from..].find(ty) {
                let start = from + at;
                from = start + ty.len();
                let before = line[..start].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let name: String = line[from..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    out.insert(format!("{ty}{name}"));
                }
            }
        }
    }
    out
}

#[test]
fn a_kind_of_page_is_named_by_its_route_and_its_job_alone() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "routes.rs" || rel.starts_with("render/") || rel.ends_with("tests.rs") {
            continue;
        }
        let named = kinds_named(&std::fs::read_to_string(&file).unwrap());
        let known: &[&str] = KINDS_NAMED_ELSEWHERE
            .iter()
            .find(|(f, _, _)| *f == rel)
            .map_or(&[], |k| k.1);
        for kind in &named {
            if !known.contains(&kind.as_str()) {
                problems.push(format!(
                    "src/{rel} names {kind}: a kind of page belongs to its route (src/routes.rs) and its job (src/render/)"
                ));
            }
        }
        seen.insert(rel, named);
    }
    for (file, kinds, why) in KINDS_NAMED_ELSEWHERE {
        for kind in *kinds {
            if !seen.get(*file).is_some_and(|s| s.contains(*kind)) {
                problems.push(format!(
                    "src/{file} no longer names {kind} ({why}): take it out of KINDS_NAMED_ELSEWHERE"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_kind_finder_sees_variants_and_skips_comments() {
    let text = "match j { Job::Document(i) => render::Job::Sitemap, ListRoute::Home }\n// Route::Feed\nlet r = Route::Feed; MyJob::X; Job::new();\n#[cfg(test)]\nJob::Stats";
    let found: Vec<String> = kinds_named(text).into_iter().collect();
    assert_eq!(
        found,
        [
            "Job::Document",
            "Job::Sitemap",
            "ListRoute::Home",
            "Route::Feed"
        ]
    );
}
