//! Helpers for integration tests: small sites in temp folders, built
//! through the real `marginalia` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test: the one cargo built for this test run, or the one
/// `MARGINALIA_TEST_BIN` names. `.ci/run` points the heavy release-mode
/// tests (kill, robust, serve_load) at the binary the README's install step
/// built, so CI compiles the release build once instead of a second,
/// optimised copy of this test crate.
pub fn bin_path() -> PathBuf {
    match std::env::var_os("MARGINALIA_TEST_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_marginalia")),
    }
}

pub fn bin() -> Command {
    Command::new(bin_path())
}

/// A site in a temp folder.
pub struct TestSite {
    pub dir: tempfile::TempDir,
}

/// What a run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl TestSite {
    pub fn new() -> TestSite {
        TestSite {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders).
    pub fn file(&self, rel: &str, text: &str) -> &TestSite {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &TestSite {
        std::fs::remove_file(self.root().join(rel)).unwrap();
        self
    }

    /// Runs `marginalia <args>` with the site as working folder.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(
            bin()
                .args(args)
                .current_dir(self.root())
                .output()
                .expect("run marginalia"),
        )
    }

    pub fn build(&self) -> Run {
        self.run(&["build"])
    }

    pub fn out(&self, rel: &str) -> PathBuf {
        self.root().join("output").join(rel)
    }

    /// The built `notes.csv`: its header and its rows.
    #[track_caller]
    pub fn notes_csv(&self) -> (Vec<String>, Vec<csv::StringRecord>) {
        let bytes = std::fs::read(self.out("notes.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        (header, reader.records().map(Result::unwrap).collect())
    }

    /// Reads an output file.
    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        let p = self.out(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.out(rel).exists()
    }

    /// Every file under output/, relative, sorted.
    pub fn output_files(&self) -> Vec<String> {
        let base = self.root().join("output");
        let mut v: Vec<String> = walk(&base)
            .into_iter()
            .map(|p| {
                p.strip_prefix(&base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        v.sort();
        v
    }
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The values of an attribute (`href`, `src`) in an HTML text. A test
/// helper: good enough for the markup the themes write.
pub fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        if let Some(end) = after.find('"') {
            out.push(after[..end].replace("&amp;", "&"));
            rest = &after[end..];
        } else {
            break;
        }
    }
    out
}

/// How many times `needle` occurs in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// A tag as written in HTML: its name and attributes (values unescaped
/// only for `&amp;`). A test helper that honours quoted attribute values,
/// so escaped text inside them is not mistaken for markup.
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

pub fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let a = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    i += 1;
                    let v = i;
                    while i < b.len() && b[i] != q {
                        i += 1;
                    }
                    value = html[v..i.min(b.len())].replace("&amp;", "&");
                    i += 1;
                } else {
                    let v = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = html[v..i].to_string();
                }
            }
            attrs.push((attr, value));
        }
        if !name.is_empty() && !name.starts_with('!') {
            out.push(Tag { name, attrs });
        }
    }
    out
}

/// Decodes the character references that can hide a scheme or a tag from
/// a naive check: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&colon;`,
/// `&Tab;`, `&NewLine;` and numeric ones.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Elements that run script or load active content.
pub const ACTIVE_ELEMENTS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "style", "svg", "math", "base",
    "link", "meta", "form", "applet", "template",
];

/// Attributes whose value a browser (or feed reader) follows as a URL.
pub const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "cite",
    "longdesc",
    "manifest",
    "icon",
    "ping",
    "codebase",
    "archive",
];

/// Panics when `html` holds markup that could run script or load active
/// content: an active element, an `on*` attribute, a `javascript:`,
/// `vbscript:`, `file:` or `data:` URL (read as a browser reads it; a
/// `data:image/…` image source is an image), or a style
/// attribute with `url(`. `allowed` lists tags the theme itself writes
/// (its stylesheet link, script, meta tags): checked by exact equality.
#[track_caller]
pub fn assert_inert(what: &str, html: &str, allowed: &dyn Fn(&Tag) -> bool) {
    for tag in tags(html) {
        if allowed(&tag) {
            continue;
        }
        assert!(
            !ACTIVE_ELEMENTS.contains(&tag.name.as_str()),
            "{what}: <{}> {tag:?}",
            tag.name
        );
        for (a, v) in &tag.attrs {
            assert!(!a.starts_with("on"), "{what}: {a}= in {tag:?}");
            let url: String = unescape(v)
                .trim_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect::<String>()
                .to_ascii_lowercase();
            if URL_ATTRIBUTES.contains(&a.as_str()) {
                for scheme in ["javascript:", "vbscript:", "data:", "file:"] {
                    // An image embedded as data is an image (DESIGN §7).
                    let image = tag.name == "img" && a == "src" && url.starts_with("data:image/");
                    assert!(
                        !url.starts_with(scheme) || image,
                        "{what}: {a}={v:?} in {tag:?}"
                    );
                }
            }
            assert!(
                a != "style" || !url.contains("url("),
                "{what}: style in {tag:?}"
            );
        }
    }
}

/// The site at `s` as the library loads it, with no error.
pub fn load_site(s: &TestSite) -> marginalia::model::Site {
    let (site, diags) = marginalia::site::load(&marginalia::BuildOptions {
        root: s.root().to_path_buf(),
        output: None,
        base_url: None,
        drafts: false,
    });
    assert!(!diags.has_errors(), "{diags:?}");
    site.expect("the site loads")
}
