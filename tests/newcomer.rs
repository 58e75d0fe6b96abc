//! The newcomer's path through the real binary: `init` (with and without
//! each option, never waiting without a terminal), each host's build file,
//! `new`, the navigation menu, the placeholder address warning, and the
//! CLI conventions (examples in every --help, completions, man page,
//! --version).

use crate::common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, TestSite, bin};
use serde_yaml::Value;

/// Runs the binary in `dir` with stdin closed (as CI and scripts do). A
/// generous deadline turns a prompt that waits into a failure, not a hang.
fn run(dir: &Path, args: &[&str]) -> Run {
    let mut child = bin()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run marginalia");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("marginalia {args:?} did not finish: is it waiting for input?");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().expect("output");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn read(p: impl AsRef<Path>) -> String {
    let p = p.as_ref();
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

/// The links of the site navigation of a page: (text, href).
fn nav(html: &str) -> Vec<(String, String)> {
    let start = html.find("<nav class=\"site-nav\"").expect("a site nav");
    let end = start + html[start..].find("</nav>").expect("end of nav");
    html[start..end]
        .split("<a href=\"")
        .skip(1)
        .map(|a| {
            let (href, rest) = a.split_once('"').unwrap();
            let text = rest.split_once('>').unwrap().1.split('<').next().unwrap();
            (text.to_string(), href.to_string())
        })
        .collect()
}

const PLACEHOLDER_WARNING: &str = "the site will link to example.org";

#[test]
fn init_without_options_or_terminal_uses_defaults_and_builds_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(tmp.path(), &["init", "archive"]);
    r.assert_ok();
    // The next three commands, with the site's folder.
    let next: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| *l != "next:")
        .skip(1)
        .collect();
    assert_eq!(next.len(), 3, "{}", r.stdout);
    assert!(
        next[0]
            .trim_start()
            .starts_with("marginalia serve --root archive")
    );
    assert!(
        next[1]
            .trim_start()
            .starts_with("marginalia new content/articles/")
    );
    assert!(
        next[2]
            .trim_start()
            .starts_with("marginalia build --root archive")
    );

    let root = tmp.path().join("archive");
    let config = yaml(&read(root.join("site.yaml")));
    assert_eq!(config["title"], "My reading archive");
    assert_eq!(config["base_url"], "https://example.org/");
    let ignore = read(root.join(".gitignore"));
    assert!(
        ignore.lines().any(|l| l == "/.marginalia/") && ignore.lines().any(|l| l == "/output/"),
        "{ignore}"
    );

    let b = run(&root, &["build"]);
    b.assert_ok();
    assert!(b.stderr.contains(PLACEHOLDER_WARNING), "{}", b.stderr);
    // What the build left in the site (the output, the spare and sums
    // beside it, the cache) is all ignored by git, so none of it is
    // committed by accident. A second build makes the spare.
    run(&root, &["build", "--clean"]).assert_ok();
    if Command::new("git")
        .args(["init", "-q"])
        .current_dir(&root)
        .status()
        .is_ok_and(|s| s.success())
    {
        let made: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != ".git" && (n.contains("output") || n.contains("marginalia")))
            .collect();
        assert!(
            made.iter().any(|n| n.ends_with("marginalia-spare")),
            "{made:?}"
        );
        for name in &made {
            let ignored = Command::new("git")
                .args(["check-ignore", "-q", name])
                .current_dir(&root)
                .status()
                .unwrap();
            assert!(ignored.success(), "{name} is not ignored by {ignore}");
        }
    }
    assert!(b.stderr.contains("site.yaml:4:1"), "{}", b.stderr);
    // The sample about.md is in the navigation.
    let home = read(root.join("output/index.html"));
    let links = nav(&home);
    assert!(
        links.contains(&("About".into(), "https://example.org/about/".into())),
        "{links:?}"
    );
    assert!(links.contains(&("Articles".into(), "https://example.org/articles/".into())));
}

#[test]
fn init_with_a_title_and_an_address_builds_without_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        tmp.path(),
        &[
            "init",
            "clips",
            "--title",
            "Clippings: \"mine\"",
            "--base-url",
            "https://me.github.io/clips",
        ],
    )
    .assert_ok();
    let root = tmp.path().join("clips");
    let config = yaml(&read(root.join("site.yaml")));
    assert_eq!(config["title"], "Clippings: \"mine\"");
    assert_eq!(config["base_url"], "https://me.github.io/clips/");
    let b = run(&root, &["build"]);
    b.assert_ok();
    assert!(b.stderr.is_empty(), "no warnings: {}", b.stderr);
    let home = read(root.join("output/index.html"));
    assert!(
        home.contains("<title>Clippings: &quot;mine&quot;</title>"),
        "{home}"
    );
    assert!(home.contains("href=\"https://me.github.io/clips/about/\""));

    // Only the title, in the current folder (a fresh clone with a README).
    let clone = tempfile::tempdir().unwrap();
    std::fs::write(clone.path().join("README.md"), "# My archive\n").unwrap();
    std::fs::write(clone.path().join(".gitignore"), "*.tmp").unwrap();
    let r = run(clone.path(), &["init", "--title", "Only a title"]);
    r.assert_ok();
    assert!(r.stdout.contains("\n  marginalia serve "), "{}", r.stdout);
    assert!(!r.stdout.contains("--root"), "{}", r.stdout);
    assert_eq!(read(clone.path().join("README.md")), "# My archive\n");
    let ignore = read(clone.path().join(".gitignore"));
    assert!(
        ignore.starts_with("*.tmp\n"),
        "the user's lines are kept: {ignore}"
    );
    assert!(ignore.contains("\n/.marginalia/\n"), "{ignore}");
    assert_eq!(
        yaml(&read(clone.path().join("site.yaml")))["title"],
        "Only a title"
    );
    run(clone.path(), &["build"]).assert_ok();

    // Only the address.
    let only = tempfile::tempdir().unwrap();
    run(
        only.path(),
        &["init", "s", "--base-url", "https://archive.example.net/"],
    )
    .assert_ok();
    let b = run(&only.path().join("s"), &["build"]);
    b.assert_ok();
    assert!(b.stderr.is_empty(), "{}", b.stderr);

    // A bad address is a usage error, and nothing is written.
    let bad = run(
        only.path(),
        &["init", "t", "--base-url", "archive.example.net"],
    );
    bad.assert_code(2);
    assert!(bad.stderr.contains("--base-url"), "{}", bad.stderr);
    assert!(!only.path().join("t").exists());
}

#[test]
fn init_never_overwrites_and_reports_every_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    run(tmp.path(), &["init", "a"]).assert_ok();
    let before = read(tmp.path().join("a/site.yaml"));
    let again = run(tmp.path(), &["init", "a", "--title", "Other"]);
    again.assert_code(1);
    assert!(
        again.stderr.contains("already holds a site"),
        "{}",
        again.stderr
    );
    assert_eq!(read(tmp.path().join("a/site.yaml")), before);

    // A host file that is already there: nothing at all is written.
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("netlify.toml"), "# mine\n").unwrap();
    let r = run(&b, &["init", "--host", "netlify"]);
    r.assert_code(1);
    assert!(r.stderr.contains("netlify.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("does not overwrite"), "{}", r.stderr);
    assert_eq!(read(b.join("netlify.toml")), "# mine\n");
    assert!(!b.join("site.yaml").exists());
}

/// `yamllint` (Debian's package) in strict mode; the one rule relaxed is
/// `truthy` on keys, since GitHub's `on:` key is spelt that way.
fn yamllint(file: &Path) {
    let o = Command::new("yamllint")
        .args([
            "-s",
            "-d",
            "{extends: default, rules: {truthy: {check-keys: false}}}",
        ])
        .arg(file)
        .output()
        .expect("run yamllint (apt-get install yamllint; .ci/run installs it)");
    assert!(
        o.status.success(),
        "{}: {}{}",
        file.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn steps(workflow: &Value, job: &str) -> Vec<Value> {
    workflow["jobs"][job]["steps"]
        .as_sequence()
        .cloned()
        .unwrap_or_else(|| panic!("no steps in job {job}"))
}

fn step_running<'a>(steps: &'a [Value], command: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains(command)))
        .unwrap_or_else(|| panic!("no step runs {command:?}: {steps:?}"))
}

fn step_using<'a>(steps: &'a [Value], action: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .unwrap_or_else(|| panic!("no step uses {action}: {steps:?}"))
}

const INSTALL: &str = "cargo install --locked marginalia";

#[test]
fn each_host_gets_a_build_file_that_parses_and_publishes_output() {
    let tmp = tempfile::tempdir().unwrap();
    for host in [
        "github-pages",
        "gitlab-pages",
        "netlify",
        "cloudflare-pages",
    ] {
        run(tmp.path(), &["init", host, "--host", host]).assert_ok();
        let root = tmp.path().join(host);
        // The site builds as it is.
        run(&root, &["build"]).assert_ok();
    }

    // GitHub Pages: the official actions, and steps that build and upload output/.
    let file = tmp.path().join("github-pages/.github/workflows/pages.yml");
    yamllint(&file);
    let w = yaml(&read(&file));
    let build = steps(&w, "build");
    assert!(step_running(&build, INSTALL)["name"].as_str().is_some());
    let b = step_running(&build, "marginalia build");
    assert_eq!(b["name"], "Build the site with marginalia");
    let upload = step_using(&build, "actions/upload-pages-artifact@");
    assert_eq!(upload["name"], "Upload output/");
    assert_eq!(upload["with"]["path"], "output/");
    let cache = step_using(&build, "actions/cache@");
    assert!(
        cache["with"]["path"]
            .as_str()
            .unwrap()
            .contains("~/.cargo/bin/marginalia")
    );
    step_using(&build, "actions/configure-pages@");
    step_using(&steps(&w, "deploy"), "actions/deploy-pages@");
    assert_eq!(w["permissions"]["pages"], "write");
    assert_eq!(w["permissions"]["id-token"], "write");
    // Built after the install, uploaded after the build.
    let position = |s: &Value| build.iter().position(|x| x == s).unwrap();
    assert!(position(step_running(&build, INSTALL)) < position(b));
    assert!(position(b) < position(upload));

    // GitLab Pages: a `pages` job that installs, builds and publishes output.
    let file = tmp.path().join("gitlab-pages/.gitlab-ci.yml");
    yamllint(&file);
    let g = yaml(&read(&file));
    let script: Vec<&str> = g["pages"]["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(script[0].starts_with(INSTALL), "{script:?}");
    assert!(script[1].contains("marginalia build"), "{script:?}");
    assert_eq!(g["pages"]["publish"], "output");
    assert_eq!(g["pages"]["artifacts"]["paths"][0], "output");
    assert!(
        g["pages"]["cache"]["paths"][0]
            .as_str()
            .unwrap()
            .contains(".cargo/bin")
    );

    // Netlify: TOML, publishing output.
    let n: toml::Table = read(tmp.path().join("netlify/netlify.toml"))
        .parse()
        .expect("netlify.toml is TOML");
    assert_eq!(n["build"]["publish"].as_str(), Some("output"));
    let command = n["build"]["command"].as_str().unwrap();
    assert!(
        command.starts_with(INSTALL) && command.contains("marginalia build"),
        "{command}"
    );
    assert_eq!(
        n["plugins"][0]["inputs"]["paths"][0].as_str(),
        Some(".marginalia-install"),
        "the install folder is cached"
    );

    // Cloudflare Pages: GitHub builds, wrangler uploads output.
    let file = tmp
        .path()
        .join("cloudflare-pages/.github/workflows/cloudflare-pages.yml");
    yamllint(&file);
    let c = yaml(&read(&file));
    let publish = steps(&c, "publish");
    step_running(&publish, INSTALL);
    step_running(&publish, "marginalia build");
    let deploy = step_using(&publish, "cloudflare/wrangler-action@");
    let cmd = deploy["with"]["command"].as_str().unwrap();
    assert!(cmd.starts_with("pages deploy output "), "{cmd}");
    assert_eq!(c["env"]["PROJECT"], "cloudflare-pages");
    // Its address follows from the project's name.
    let config = yaml(&read(tmp.path().join("cloudflare-pages/site.yaml")));
    assert_eq!(config["base_url"], "https://cloudflare-pages.pages.dev/");
}

/// The front matter of a Markdown file, parsed.
fn front_matter(md: &str) -> Value {
    let rest = md.strip_prefix("---\n").expect("front matter");
    yaml(&rest[..rest.find("\n---\n").expect("closed")])
}

#[test]
fn new_sets_archived_to_now_and_leaves_the_date_to_the_author() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        tmp.path(),
        &["init", "site", "--base-url", "https://ex.net/"],
    )
    .assert_ok();
    let root = tmp.path().join("site");

    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    let r = run(
        &root,
        &["new", "content/articles/undated", "--title", "Undated"],
    );
    r.assert_ok();
    let md = read(root.join("content/articles/undated.md"));
    let fm = front_matter(&md);
    assert_eq!(fm["title"], "Undated");
    assert!(fm.get("date").is_none(), "no date unless given:\n{md}");
    assert!(
        md.contains("# date: YYYY-MM-DD"),
        "a comment says what goes there:\n{md}"
    );
    let archived = chrono::DateTime::parse_from_rfc3339(fm["archived"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("archived is a date-time: {e}\n{md}"));
    let after = chrono::Utc::now() + chrono::Duration::seconds(2);
    assert!(archived >= before && archived <= after, "{archived}");

    // --date, and --root from elsewhere.
    let r = run(
        tmp.path(),
        &[
            "new",
            "content/articles/dated.md",
            "--date",
            "2019-03-01",
            "--root",
            "site",
        ],
    );
    r.assert_ok();
    let fm = front_matter(&read(root.join("content/articles/dated.md")));
    assert_eq!(fm["date"], "2019-03-01");
    assert!(fm["archived"].as_str().is_some());
    assert!(
        root.join("content/articles/dated.annotations.yaml")
            .exists()
    );

    let b = run(&root, &["build"]);
    b.assert_ok();
    let page = read(root.join("output/articles/dated/index.html"));
    assert!(
        page.contains("1 March 2019"),
        "the given date is the publication date"
    );

    // A date that is not one, and a root that is not a site: usage errors.
    let bad = run(&root, &["new", "content/articles/x", "--date", "last week"]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("--date \"last week\" is not a date"),
        "{}",
        bad.stderr
    );
    assert!(!root.join("content/articles/x.md").exists());
    let nowhere = run(tmp.path(), &["new", "content/a.md", "--root", "."]);
    nowhere.assert_code(2);
    assert!(nowhere.stderr.contains("not a site"), "{}", nowhere.stderr);
}

fn menu_site(menu: &str) -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        &format!("title: T\nbase_url: https://ex.net/sub/\n{menu}"),
    )
    .file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2021-01-01\n---\nText.\n",
    )
    .file("content/papers/_index.md", "---\ntitle: Papers\n---\n")
    .file(
        "content/papers/p.md",
        "---\ntitle: P\ndate: 2021-01-01\n---\nText.\n",
    )
    .file(
        "content/about.md",
        "---\ntitle: About us\nmenu: true\n---\nWho.\n",
    )
    .file("content/contact.md", "---\ntitle: Contact\n---\nHow.\n");
    s
}

#[test]
fn the_menu_follows_site_yaml_or_the_sections_and_menu_pages() {
    // Without `menu:`: sections, then pages with `menu: true`.
    let s = menu_site("");
    s.build().assert_ok();
    let texts: Vec<String> = nav(&s.read("index.html"))
        .into_iter()
        .map(|l| l.0)
        .collect();
    assert_eq!(
        texts,
        ["Articles", "Papers", "About us", "Sources", "Tags", "Stats"]
    );

    // With it: its order, its titles, site-relative and absolute links.
    let s = menu_site(
        "menu:\n  - papers\n  - contact.md\n  - {section: articles, title: Reading}\n  \
         - {title: Feeds, url: /atom.xml}\n  - {title: Code, url: \"https://code.example/me\"}\n",
    );
    s.build().assert_ok();
    let page = s.read("papers/p/index.html");
    assert_eq!(
        nav(&page),
        [
            ("Papers", "https://ex.net/sub/papers/"),
            ("Contact", "https://ex.net/sub/contact/"),
            ("Reading", "https://ex.net/sub/articles/"),
            ("Feeds", "https://ex.net/sub/atom.xml"),
            ("Code", "https://code.example/me"),
            ("Sources", "https://ex.net/sub/sources/"),
            ("Tags", "https://ex.net/sub/tags/"),
            ("Stats", "https://ex.net/sub/stats/"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // A section's link is current on the pages under it.
    assert!(page.contains("<a href=\"https://ex.net/sub/papers/\" aria-current=\"true\">"));
    let contact = s.read("contact/index.html");
    assert!(contact.contains("<a href=\"https://ex.net/sub/contact/\" aria-current=\"page\">"));

    // Entries naming nothing: every one reported at its line, with a did-you-mean.
    let s = menu_site(
        "menu:\n  - paper\n  - abut.md\n  - {title: Code}\n  - {url: \"https://x.example/\"}\n  \
         - {section: articles, colour: red}\n",
    );
    let r = s.build();
    r.assert_code(1);
    for expected in [
        "site.yaml:4:5: menu entry: there is no section content/paper/",
        "did you mean `papers`?",
        "site.yaml:5:5: menu entry: there is no page content/abut.md",
        "did you mean `about.md`?",
        "site.yaml:6:5: a menu entry needs one of `section`, `page` or `url`",
        "site.yaml:7:5: the menu link \"https://x.example/\" needs a `title`",
        "site.yaml:8:5: unknown key `colour`",
        "needs a `title`",
        "unknown key `colour` in a menu entry",
    ] {
        assert!(
            r.stderr.contains(expected),
            "{expected:?} in:\n{}",
            r.stderr
        );
    }
    assert!(!s.root().join("output").exists());
}

#[test]
fn the_placeholder_address_warns_at_build_but_not_at_serve() {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: T\nbase_url: \"https://example.org/\"\n",
    )
    .file("content/a.md", "---\ntitle: A\n---\nText.\n");
    let b = s.build();
    b.assert_ok();
    assert!(b.stderr.contains(PLACEHOLDER_WARNING), "{}", b.stderr);
    // --base-url replaces it.
    let b = s.run(&["build", "--base-url", "https://real.example.net/"]);
    assert!(!b.stderr.contains(PLACEHOLDER_WARNING), "{}", b.stderr);

    let mut server = bin()
        .args(["serve", "--port", "0"])
        .current_dir(s.root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the served address");
    assert!(line.starts_with("serving "), "{line}");
    let _ = server.kill();
    let _ = server.wait();
    let mut err = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("building the site"), "{err}");
    assert!(!err.contains(PLACEHOLDER_WARNING), "{err}");
}

/// The subcommands `marginalia --help` lists.
fn commands() -> Vec<String> {
    let help = run(Path::new("."), &["--help"]);
    help.assert_ok();
    help.stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_help_has_an_example() {
    let commands = commands();
    for c in [
        "build",
        "serve",
        "new",
        "init",
        "check",
        "completions",
        "man",
    ] {
        assert!(commands.iter().any(|x| x == c), "{c} in {commands:?}");
    }
    let top = run(Path::new("."), &["--help"]);
    assert!(top.stdout.contains("Examples:"), "{}", top.stdout);
    for c in &commands {
        let h = run(Path::new("."), &[c, "--help"]);
        h.assert_ok();
        assert!(
            h.stdout.contains("Example:") || h.stdout.contains("Examples:"),
            "marginalia {c} --help has no example:\n{}",
            h.stdout
        );
        assert!(
            h.stdout.contains(&format!("marginalia {c}")),
            "{}",
            h.stdout
        );
    }
    let h = run(Path::new("."), &["import", "hypothesis", "--help"]);
    assert!(h.stdout.contains("Example:"), "{}", h.stdout);
}

#[test]
fn completions_for_each_shell_man_page_and_version() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef marginalia"),
        ("fish", "complete -c marginalia"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run(Path::new("."), &["completions", shell]);
        r.assert_ok();
        assert!(r.stdout.contains(mark), "{shell}: {}", r.stdout);
        // The subcommands and their options are completed.
        assert!(
            r.stdout.contains("init") && r.stdout.contains("base-url"),
            "{shell}"
        );
    }
    run(Path::new("."), &["completions", "tcsh"]).assert_code(2);

    let man = run(Path::new("."), &["man"]);
    man.assert_ok();
    assert!(man.stdout.starts_with(".ie \\n(.g .ds Aq") || man.stdout.contains(".TH marginalia"));
    assert!(man.stdout.contains(".TH marginalia 1"), "{}", man.stdout);
    assert!(man.stdout.contains("init"), "{}", man.stdout);

    let v = run(Path::new("."), &["--version"]);
    v.assert_ok();
    let line = v.stdout.trim();
    let commit = line
        .strip_prefix(&format!(
            "marginalia {} (commit ",
            env!("CARGO_PKG_VERSION")
        ))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
    // It is the commit this package was built from (the tests are built
    // with the binary, from the same build script output).
    assert_eq!(commit, env!("MARGINALIA_COMMIT"), "{line}");
    // In this checkout the commit is known and is HEAD or an ancestor of it
    // (a commit may land while the tests run, after the binary was built).
    if let Ok(o) = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        && o.status.success()
    {
        assert_ne!(commit, "unknown", "{line}");
        let ancestor = Command::new("git")
            .args(["merge-base", "--is-ancestor", commit, "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("git runs");
        assert!(
            ancestor.success(),
            "{line} is not HEAD or an ancestor of it"
        );
    }
}
