//! `marginalia new` and `marginalia init`: files to start from, and each
//! static host's build configuration. They only create files (through
//! [`crate::fsutil::create_new_atomic`]), never replacing one; the single
//! exception is an existing `.gitignore`, to which `init` adds its
//! lines, keeping the user's.

use std::path::{Path, PathBuf};

use crate::annotate::sidecar::SIDECAR_SUFFIX;
use crate::error::{Diagnostic, Location};

/// The text of a new sidecar: no notes yet, and how to write one.
const EMPTY_SIDECAR: &str = "\
# Margin notes for the article beside this file. Each note quotes the
# passage it is about, exactly as it reads in the article:
#
# - quote: \"the words of the passage\"
#   note: |
#     What you have to say about it. *Markdown* works here.
#   sources: [a-key-of-content-sources-yaml]
#   kind: sourcing
";

/// A title made from a file name: `the-iran-story` → `The iran story`.
fn title_from_stem(stem: &str) -> String {
    let words = stem.replace(['-', '_'], " ");
    let mut c = words.trim().chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => "Untitled".to_string(),
    }
}

/// A YAML double-quoted scalar (a JSON string is one).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Creates `path` with `text` (and its folders); an existing file is an
/// error, never replaced.
fn create(path: &Path, text: &str) -> Result<(), Diagnostic> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| Diagnostic::io(parent, "create the folder", &e))?;
    }
    crate::fsutil::create_new_atomic(path, text.as_bytes()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            already_there(path)
        } else {
            Diagnostic::io(path, "create this file", &e)
        }
    })
}

fn already_there(path: &Path) -> Diagnostic {
    Diagnostic::error(
        Some(Location::file(path)),
        "this file already exists; marginalia does not overwrite it",
    )
    .with_help("choose another name, or move the file away first")
}

/// What `new` made.
#[derive(Debug)]
pub struct NewArticle {
    pub article: PathBuf,
    pub sidecar: PathBuf,
    /// Set when the article is not under a `content/` folder (no site
    /// would build it).
    pub warning: Option<String>,
}

/// What `new` is asked for besides the path.
#[derive(Debug, Default, Clone)]
pub struct NewOptions<'a> {
    /// The title (default: made from the file name).
    pub title: Option<&'a str>,
    /// The article's publication date, as the original gives it
    /// (`YYYY-MM-DD` or RFC 3339).
    pub date: Option<&'a str>,
}

/// `marginalia new PATH [--title T] [--date D]`: an article with its front
/// matter filled in (title; `archived:` now, the moment it enters the
/// archive; `date:` only when given, since only the original knows when it
/// was published; the optional keys commented out) and an empty sidecar.
/// PATH ending in `/` makes a page bundle (`PATH/index.md`); a PATH
/// without `.md` gets it.
pub fn new_article(path: &Path, options: &NewOptions) -> Result<NewArticle, Diagnostic> {
    let date = match options.date {
        None => None,
        Some(d) => Some(crate::model::Date::parse(d).ok_or_else(|| {
            Diagnostic::error(None, format!("--date {d:?} is not a date"))
                .with_help("write YYYY-MM-DD (2021-05-04) or RFC 3339 (2021-05-04T09:30:00+02:00)")
        })?),
    };
    let as_text = path.to_string_lossy();
    let bundle = as_text.ends_with('/') || as_text.ends_with(std::path::MAIN_SEPARATOR);
    let (article, stem) = if bundle {
        let stem = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (path.join("index.md"), stem)
    } else {
        let file = if path.extension().is_some_and(|e| e == "md") {
            path.to_path_buf()
        } else {
            let mut p = path.as_os_str().to_owned();
            p.push(".md");
            PathBuf::from(p)
        };
        let stem = file
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (file, stem)
    };
    if stem.is_empty() || slug::slugify(&stem).is_empty() {
        return Err(Diagnostic::error(
            Some(Location::file(path)),
            "this name has no letters or digits to make a page address from",
        ));
    }
    let sidecar_stem = if bundle { "index" } else { stem.as_str() };
    let sidecar = article.with_file_name(format!("{sidecar_stem}{SIDECAR_SUFFIX}"));
    if sidecar.exists() {
        return Err(Diagnostic::error(
            Some(Location::file(&sidecar)),
            "this sidecar already exists; marginalia does not overwrite it",
        ));
    }
    let title = options
        .title
        .map_or_else(|| title_from_stem(&stem), str::to_string);
    let now = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%:z");
    let date_line = match &date {
        Some(d) => format!("date: {}\n", d.iso()),
        None => "# date: YYYY-MM-DD   when the original was published (as it says), not today\n"
            .to_string(),
    };
    let text = format!(
        "---\n\
         title: {}\n\
         {date_line}\
         archived: {now}\n\
         # source: a-key-of-content-sources-yaml\n\
         # original_url: \"https://…\"\n\
         # archive_url: \"https://web.archive.org/…\"\n\
         # author: \"…\"\n\
         tags: []\n\
         # description: \"…\"\n\
         ---\n\
         Paste the text of the article here.\n",
        yaml_string(&title)
    );
    create(&article, &text)?;
    create(&sidecar, EMPTY_SIDECAR)?;
    let under_content = article
        .canonicalize()
        .unwrap_or_else(|_| article.clone())
        .components()
        .any(|c| c.as_os_str() == crate::load::CONTENT_DIR);
    let warning = (!under_content).then(|| {
        format!(
            "{} is not under a content/ folder, so no site builds it",
            article.display()
        )
    });
    Ok(NewArticle {
        article,
        sidecar,
        warning,
    })
}

/// The sample content of a new site, relative to its folder (site.yaml,
/// the home page and .gitignore are made from the options).
const INIT_FILES: &[(&str, &str)] = &[
    (
        "content/articles/_index.md",
        "---\ntitle: \"Articles\"\ndescription: \"Everything archived, newest first.\"\n---\n",
    ),
    (
        "content/sources.yaml",
        "# Who articles come from and who notes cite. Keys are used in front\n\
         # matter (`source:`) and in notes (`sources: [...]`).\n\
         example-gazette:\n  name: \"The Example Gazette\"\n  url: \"https://gazette.example/\"\n  kind: publication\n  description: \"A daily newspaper (invented for this sample).\"\n\
         city-council:\n  name: \"City Council\"\n  kind: organisation\n\
         unnamed-officials:\n  name: \"Unnamed officials\"\n  kind: anonymous\n",
    ),
    (
        "content/articles/bridge-repairs.md",
        "---\n\
         title: \"Bridge repairs to finish a year early, council says\"\n\
         date: 2024-03-14\n\
         source: example-gazette\n\
         original_url: \"https://gazette.example/2024/03/bridge-repairs\"\n\
         archived: 2024-03-15\n\
         author: \"A. Reporter\"\n\
         tags: [infrastructure, local]\n\
         description: \"A sample article with margin notes.\"\n\
         ---\n\
         The repairs to the old river bridge will be finished a full year ahead of schedule, the city council said on Thursday, and at a lower cost than planned.\n\n\
         According to officials familiar with the project, the contractor has already completed most of the work on the eastern span. The council did not publish the revised budget.\n\n\
         ## What changes for drivers\n\n\
         Two lanes will reopen in May. Cyclists will use a temporary path until the western span is done.\n",
    ),
    (
        "content/articles/bridge-repairs.annotations.yaml",
        "- quote: \"a full year ahead of schedule\"\n\
         \x20 note: |\n\
         \x20   The council's own timetable from last year planned the work until 2026;\n\
         \x20   the article does not say what changed.\n\
         \x20 sources: [city-council]\n\
         \x20 kind: claim\n\
         - quote: \"According to officials familiar with the project\"\n\
         \x20 note: \"Anonymous sourcing: who are they, and why can they not be named?\"\n\
         \x20 sources: [unnamed-officials]\n\
         \x20 kind: sourcing\n\
         - quote: \"The council did not publish the revised budget.\"\n\
         \x20 note: \"So *at a lower cost* cannot be checked yet.\"\n\
         \x20 kind: missing\n",
    ),
    (
        "content/about.md",
        "---\ntitle: \"About\"\nmenu: true\n---\n\
         This archive is built with marginalia. Each article is a Markdown file in\n\
         `content/articles/`; its notes are in the `.annotations.yaml` file beside it.\n\
         Start a new one with `marginalia new content/articles/my-article.md`.\n",
    ),
];

/// What `.gitignore` of a site holds: the build's output, what a build
/// keeps beside it (the spare site and the output's sums, hidden
/// siblings named after it), and its cache.
const GITIGNORE_LINES: &[&str] = &["/output/", "/.output.marginalia-*", "/.marginalia/"];

/// The default title of a new site.
pub const DEFAULT_TITLE: &str = "My reading archive";

/// A static host `init --host` writes the build configuration for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Host {
    /// A GitHub Actions workflow with the official Pages actions.
    GithubPages,
    /// `.gitlab-ci.yml` with a `pages` job.
    GitlabPages,
    /// `netlify.toml`.
    Netlify,
    /// A GitHub Actions workflow that deploys with wrangler, Cloudflare's
    /// CLI (the Pages build image has no Rust).
    CloudflarePages,
}

impl Host {
    /// The configuration file, relative to the site folder.
    pub fn file(self) -> &'static str {
        match self {
            Host::GithubPages => ".github/workflows/pages.yml",
            Host::GitlabPages => ".gitlab-ci.yml",
            Host::Netlify => "netlify.toml",
            Host::CloudflarePages => ".github/workflows/cloudflare-pages.yml",
        }
    }

    /// What to do once, after committing the file.
    pub fn next_step(self) -> &'static str {
        match self {
            Host::GithubPages => {
                "commit and push it; once, in the repository's Settings → Pages, set Source to \"GitHub Actions\""
            }
            Host::GitlabPages => {
                "commit and push it; the `pages` job publishes the site at the project's Pages address"
            }
            Host::Netlify => "commit and push it, then import the repository in Netlify",
            Host::CloudflarePages => {
                "commit and push it; once, add the repository secrets CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID"
            }
        }
    }

    fn config(self, project: &str) -> String {
        let text = match self {
            Host::GithubPages => GITHUB_PAGES,
            Host::GitlabPages => GITLAB_PAGES,
            Host::Netlify => NETLIFY,
            Host::CloudflarePages => CLOUDFLARE_PAGES,
        };
        text.replace("@VERSION@", env!("CARGO_PKG_VERSION"))
            .replace("@PROJECT@", project)
    }
}

// Each host's file installs one pinned version of marginalia with
// `cargo install --locked` (so a new release never changes a site's build
// unannounced: raise the version to upgrade), keeps the binary between
// runs, builds with the host's own address as base_url, and publishes
// output/.

const GITHUB_PAGES: &str = r#"---
# Publishes the site to GitHub Pages on every push to main: installs
# marginalia (kept in the Actions cache between runs), builds the site
# and uploads output/. Once, in the repository's Settings → Pages, set
# Source to "GitHub Actions". To upgrade marginalia, raise the version.
name: Publish to GitHub Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

env:
  MARGINALIA_VERSION: "@VERSION@"

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Check out the site
        uses: actions/checkout@v4
      - name: Cache the marginalia binary
        uses: actions/cache@v4
        with:
          path: |
            ~/.cargo/bin/marginalia
            ~/.cargo/.crates.toml
            ~/.cargo/.crates2.json
          key: marginalia-${{ runner.os }}-${{ env.MARGINALIA_VERSION }}
      - name: Install marginalia
        run: cargo install --locked marginalia --version "$MARGINALIA_VERSION"
      - name: Configure GitHub Pages
        id: pages
        uses: actions/configure-pages@v5
      - name: Build the site with marginalia
        run: marginalia build --base-url "${{ steps.pages.outputs.base_url }}/"
      - name: Upload output/
        uses: actions/upload-pages-artifact@v3
        with:
          path: output/

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - name: Deploy to GitHub Pages
        id: deployment
        uses: actions/deploy-pages@v4
"#;

const GITLAB_PAGES: &str = r#"---
# Publishes the site with GitLab Pages on every push to the default
# branch: installs marginalia (kept in the CI cache between runs), builds
# the site and publishes output/. To upgrade marginalia, raise the version.
pages:
  image: rust:latest
  variables:
    MARGINALIA_VERSION: "@VERSION@"
    CARGO_HOME: "$CI_PROJECT_DIR/.cargo"
  cache:
    key: "marginalia-$MARGINALIA_VERSION"
    paths:
      - .cargo/bin/
      - .cargo/.crates.toml
      - .cargo/.crates2.json
  script:
    - cargo install --locked marginalia --version "$MARGINALIA_VERSION"
    - .cargo/bin/marginalia build --base-url "$CI_PAGES_URL/"
  artifacts:
    paths:
      - output
  publish: output
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
"#;

const NETLIFY: &str = r#"# Builds the site with marginalia on Netlify and publishes output/.
# marginalia is installed into .marginalia-install/, which the cache
# plugin keeps between builds. To upgrade marginalia, raise the version.
[build]
  publish = "output"
  command = "cargo install --locked marginalia --version $MARGINALIA_VERSION --root .marginalia-install && .marginalia-install/bin/marginalia build --base-url $URL/"

[build.environment]
  MARGINALIA_VERSION = "@VERSION@"

# Deploy previews link to themselves, not to the production address.
[context.deploy-preview]
  command = "cargo install --locked marginalia --version $MARGINALIA_VERSION --root .marginalia-install && .marginalia-install/bin/marginalia build --base-url $DEPLOY_PRIME_URL/"

[[plugins]]
  package = "netlify-plugin-cache"
  [plugins.inputs]
    paths = [".marginalia-install"]
"#;

const CLOUDFLARE_PAGES: &str = r#"---
# Publishes the site to Cloudflare Pages on every push to main. Cloudflare's
# own build image has no Rust, so GitHub Actions builds the site and
# wrangler, Cloudflare's CLI, uploads output/. Once: add the repository
# secrets CLOUDFLARE_API_TOKEN (a token with "Cloudflare Pages: Edit") and
# CLOUDFLARE_ACCOUNT_ID. To upgrade marginalia, raise the version.
name: Publish to Cloudflare Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read

env:
  MARGINALIA_VERSION: "@VERSION@"
  PROJECT: "@PROJECT@"

jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - name: Check out the site
        uses: actions/checkout@v4
      - name: Cache the marginalia binary
        uses: actions/cache@v4
        with:
          path: |
            ~/.cargo/bin/marginalia
            ~/.cargo/.crates.toml
            ~/.cargo/.crates2.json
          key: marginalia-${{ runner.os }}-${{ env.MARGINALIA_VERSION }}
      - name: Install marginalia
        run: cargo install --locked marginalia --version "$MARGINALIA_VERSION"
      - name: Build the site with marginalia
        run: marginalia build
      - name: Upload output/ with wrangler
        uses: cloudflare/wrangler-action@v3
        with:
          apiToken: ${{ secrets.CLOUDFLARE_API_TOKEN }}
          accountId: ${{ secrets.CLOUDFLARE_ACCOUNT_ID }}
          command: pages deploy output --project-name=${{ env.PROJECT }}
"#;

/// What `init` is asked for besides the folder.
#[derive(Debug, Default, Clone)]
pub struct InitOptions {
    pub title: Option<String>,
    /// The address the site will be served from; the placeholder
    /// [`crate::config::PLACEHOLDER_BASE_URL`] when not given (except for
    /// Cloudflare Pages, whose address follows from the project name).
    pub base_url: Option<String>,
    pub host: Option<Host>,
}

/// What `init` did.
#[derive(Debug, Default)]
pub struct InitReport {
    /// Files created.
    pub created: Vec<PathBuf>,
    /// Files that were there and got lines added (`.gitignore`).
    pub updated: Vec<PathBuf>,
    /// The base_url site.yaml got.
    pub base_url: String,
}

/// `marginalia init [DIR] [--title T] [--base-url URL] [--host H]`: a site
/// that builds at once, with a sample annotated article and, with a host,
/// that host's build configuration. DIR may hold other files (a fresh
/// clone with a README), but not a site, nor any file init would make:
/// every conflict is reported and nothing is written.
pub fn init_site(dir: &Path, options: &InitOptions) -> Result<InitReport, Vec<Diagnostic>> {
    let base_url = match (&options.base_url, options.host) {
        (Some(url), _) => crate::config::check_base_url(url).map_err(|m| {
            vec![Diagnostic::error(None, format!("--base-url: {m}")).with_help(
                "give the address the site will be served from, e.g. https://me.github.io/archive/",
            )]
        })?,
        (None, Some(Host::CloudflarePages)) => {
            format!("https://{}.pages.dev/", project_name(dir, options))
        }
        (None, _) => crate::config::PLACEHOLDER_BASE_URL.to_string(),
    };
    let title = options.title.as_deref().unwrap_or(DEFAULT_TITLE);

    let mut files: Vec<(PathBuf, String)> = vec![
        (dir.join("site.yaml"), site_yaml(title, &base_url)),
        (
            dir.join("content/_index.md"),
            format!(
                "---\ntitle: {}\n---\n\
                 Articles I keep, with my notes in the margin. Every source has its own\n\
                 page, listing what came from it and every note that cites it.\n",
                yaml_string(title)
            ),
        ),
    ];
    files.extend(
        INIT_FILES
            .iter()
            .map(|(rel, text)| (dir.join(rel), text.to_string())),
    );
    if let Some(host) = options.host {
        files.push((
            dir.join(host.file()),
            host.config(&project_name(dir, options)),
        ));
    }

    let mut problems = Vec::new();
    for marker in ["site.yaml", "content"] {
        if dir.join(marker).exists() {
            problems.push(
                Diagnostic::error(
                    Some(Location::file(dir.join(marker))),
                    "this folder is not empty: it already holds a site",
                )
                .with_help("give a new folder name, e.g. `marginalia init my-archive`"),
            );
        }
    }
    if problems.is_empty() {
        problems.extend(
            files
                .iter()
                .filter(|(p, _)| p.exists())
                .map(|(p, _)| already_there(p)),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut report = InitReport {
        base_url,
        ..InitReport::default()
    };
    for (path, text) in &files {
        create(path, text).map_err(|d| vec![d])?;
        report.created.push(path.clone());
    }
    let gitignore = dir.join(".gitignore");
    match std::fs::read_to_string(&gitignore) {
        Ok(old) => {
            let missing: Vec<&str> = GITIGNORE_LINES
                .iter()
                .filter(|l| {
                    !old.lines()
                        .any(|o| o.trim() == **l || o.trim() == l.trim_end_matches('/'))
                })
                .copied()
                .collect();
            if !missing.is_empty() {
                let mut text = old.clone();
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(
                    "# marginalia: the built site, its spare and sums, and the build cache\n",
                );
                for l in missing {
                    text.push_str(l);
                    text.push('\n');
                }
                crate::fsutil::write_atomic(&gitignore, text.as_bytes())
                    .map_err(|e| vec![Diagnostic::io(&gitignore, "add to this file", &e)])?;
                report.updated.push(gitignore);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut text = String::from(
                "# marginalia: the built site, its spare and sums, and the build cache\n",
            );
            for l in GITIGNORE_LINES {
                text.push_str(l);
                text.push('\n');
            }
            create(&gitignore, &text).map_err(|d| vec![d])?;
            report.created.push(gitignore);
        }
        Err(e) => return Err(vec![Diagnostic::io(&gitignore, "read this file", &e)]),
    }
    Ok(report)
}

fn site_yaml(title: &str, base_url: &str) -> String {
    format!(
        "title: {}\n\
         # The address the site will be served from; links, feeds and the\n\
         # sitemap are made from it. `marginalia serve` uses its own address.\n\
         base_url: {}\n\
         description: \"Articles I keep, with my notes in the margin.\"\n\
         language: en\n\
         author: \"Me\"\n\
         # The navigation, in order (without it: the sections, then the pages\n\
         # whose front matter says `menu: true`):\n\
         # menu:\n\
         #   - articles                  # a section: a folder under content/\n\
         #   - about.md                  # a page: a file under content/\n\
         #   - {{title: \"Code\", url: \"https://example.com/me/archive\"}}\n\
         # Note kinds: what a note does, with the colour and one-line help the\n\
         # legend shows (colours need 4.5:1 contrast on the page; `dark` is for\n\
         # dark mode). sourcing, framing, correction, context, language and\n\
         # footnote are built in; these two are this site's own.\n\
         kinds:\n\
         \x20 claim: {{label: \"claim\", colour: \"#8a4b00\", dark: \"#f0b070\", help: \"a statement checked against its source\"}}\n\
         \x20 missing: {{label: \"missing\", colour: \"#7a3e6e\", dark: \"#e6a3d6\", help: \"what the text leaves out that a reader needs\"}}\n",
        yaml_string(title),
        yaml_string(base_url)
    )
}

/// The Cloudflare Pages project name: the site folder's name (or the
/// title) as a slug.
fn project_name(dir: &Path, options: &InitOptions) -> String {
    let folder = std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let from = if slug::slugify(&folder).is_empty() {
        options.title.clone().unwrap_or_default()
    } else {
        folder
    };
    let s = slug::slugify(from);
    if s.is_empty() { "my-archive".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_file_names() {
        assert_eq!(title_from_stem("the-iran_story"), "The iran story");
        assert_eq!(
            yaml_string("A \"quoted\" title: yes"),
            "\"A \\\"quoted\\\" title: yes\""
        );
    }

    #[test]
    fn new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("content/articles/x");
        let titled = NewOptions {
            title: Some("X: \"quoted\""),
            ..NewOptions::default()
        };
        let made = new_article(&p, &titled).unwrap();
        assert!(made.article.ends_with("x.md") && made.sidecar.ends_with("x.annotations.yaml"));
        assert!(new_article(&p, &NewOptions::default()).is_err());
        let bundle = dir.path().join("content/articles/b/");
        let made = new_article(&bundle, &NewOptions::default()).unwrap();
        assert!(made.article.ends_with("b/index.md"));
        assert!(made.sidecar.ends_with("b/index.annotations.yaml"));
        let other = tempfile::tempdir().unwrap();
        let outside = new_article(&other.path().join("loose"), &NewOptions::default()).unwrap();
        assert!(outside.warning.is_some());
    }
}
