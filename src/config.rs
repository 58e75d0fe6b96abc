//! site.yaml → [`Config`]: every key with its default, validated once.
//!
//! A site with no site.yaml builds with the defaults. Unknown keys are an
//! error with a did-you-mean, because a misspelt `paginate_by` silently
//! ignored is worse than a build that stops.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Diagnostic, Location, suggestion};
use crate::yaml::{self, Fields};

pub mod kinds;
pub mod ratings;
pub use kinds::NoteKind;

/// The file name of the site configuration, in the site root.
pub const CONFIG_FILE: &str = "site.yaml";

const KNOWN_KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "language",
    "author",
    "theme",
    "paginate_by",
    "highlight_theme",
    "highlight_theme_dark",
    "unsafe_html",
    "strict",
    "auto_sources",
    "output_dir",
    "feed_limit",
    "kinds",
    "ratings",
    "extra",
    "menu",
];

/// The `base_url` a new site gets from `marginalia init` when no address is
/// given: a build warns while it is still there.
pub const PLACEHOLDER_BASE_URL: &str = "https://example.org/";

/// The resolved configuration of one site ([`Config::resolve`]): what
/// every later stage reads.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The site root (absolute).
    #[serde(skip)]
    pub root: PathBuf,
    pub title: String,
    /// Always ends with `/`. Either an absolute URL (`https://host/sub/`) or
    /// a root-relative path (`/`, the default).
    pub base_url: String,
    pub description: Option<String>,
    pub language: String,
    pub author: Option<String>,
    pub theme: String,
    pub paginate_by: usize,
    pub highlight_theme: String,
    pub highlight_theme_dark: Option<String>,
    pub unsafe_html: bool,
    pub strict: bool,
    pub auto_sources: bool,
    /// Where `build` writes (absolute).
    #[serde(skip)]
    pub output_dir: PathBuf,
    /// How many entries a feed carries.
    pub feed_limit: usize,
    /// Note kinds: the theme's built-in ones, then those `kinds:` declares
    /// (a declared kind replaces a built-in one of the same key).
    pub kinds: Vec<NoteKind>,
    /// Free-form data for templates.
    pub extra: serde_json::Value,
    /// The rating scale notes' `rating:` labels come from (DESIGN §11).
    pub ratings: Option<ratings::RatingScale>,
    /// Whether base_url came from site.yaml (or the command line) rather
    /// than the default; feeds and sitemaps want a real host.
    #[serde(skip)]
    pub base_url_is_set: bool,
    /// Where site.yaml sets base_url, for the placeholder warning.
    #[serde(skip)]
    pub base_url_location: Option<Location>,
    /// The navigation as site.yaml orders it (`menu:`); empty when not given.
    #[serde(skip)]
    pub menu: Vec<MenuEntry>,
    /// Where site.yaml sets `highlight_theme` and `highlight_theme_dark`.
    #[serde(skip)]
    highlight_locations: [Option<Location>; 2],
}

/// One entry of site.yaml's `menu:` list, checked for shape; whether the
/// section or page exists is checked against the loaded site
/// ([`crate::menu`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MenuEntry {
    pub target: MenuTarget,
    /// The link text; by default the section's or page's title.
    pub title: Option<String>,
    /// The entry's line in site.yaml.
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MenuTarget {
    /// A folder under content/ (`articles`, `reading/2024`).
    Section(String),
    /// A Markdown file under content/ (`about.md`).
    Page(String),
    /// Any address: absolute, or site-relative when it starts with `/`.
    Url(String),
}

/// site.yaml as written: each key it sets (`None`: not set), checked for
/// shape, with where it is written. It knows nothing of the command line
/// or the site's folder; [`Config::resolve`] adds those and the defaults.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub title: Option<String>,
    /// Ending with `/`.
    pub base_url: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub author: Option<String>,
    pub theme: Option<String>,
    pub paginate_by: Option<usize>,
    pub highlight_theme: Option<String>,
    /// `Some(None)`: no dark highlighting (`false` or empty).
    pub highlight_theme_dark: Option<Option<String>>,
    pub unsafe_html: Option<bool>,
    pub strict: Option<bool>,
    pub auto_sources: Option<bool>,
    /// As written: relative to the site root unless absolute.
    pub output_dir: Option<PathBuf>,
    pub feed_limit: Option<usize>,
    /// The kinds `kinds:` declares, in the order written.
    pub kinds: Vec<NoteKind>,
    pub extra: Option<serde_json::Value>,
    pub ratings: Option<ratings::RatingScale>,
    pub menu: Vec<MenuEntry>,
    /// Where each key the file writes is written, for errors found later.
    pub locations: BTreeMap<&'static str, Location>,
}

/// What a build is asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The site root.
    pub root: PathBuf,
    /// Overrides `output_dir` of site.yaml.
    pub output: Option<PathBuf>,
    /// Overrides `base_url` of site.yaml.
    pub base_url: Option<String>,
    /// Include documents with `draft: true`.
    pub drafts: bool,
}

impl BuildOptions {
    /// What the command line says instead of site.yaml.
    pub fn overrides(&self) -> Overrides<'_> {
        Overrides {
            output: self.output.as_deref(),
            base_url: self.base_url.as_deref(),
        }
    }
}

/// What the command line says instead of site.yaml.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides<'a> {
    /// `--output`: relative to the current folder, not the site root.
    pub output: Option<&'a Path>,
    /// `--base-url`, or the dev server's own address.
    pub base_url: Option<&'a str>,
}

impl RawConfig {
    /// Reads `<root>/site.yaml` if there is one. Problems come back as
    /// diagnostics; the keys that are fine are kept either way, so the
    /// rest of the build can still report its own problems.
    pub fn load(root: &Path) -> (RawConfig, Vec<Diagnostic>) {
        let path = root.join(CONFIG_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => RawConfig::parse(&text),
                Err(_) => (
                    RawConfig::default(),
                    vec![Diagnostic::error(
                        Some(Location::file(CONFIG_FILE)),
                        "site.yaml is not valid UTF-8 text",
                    )],
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (RawConfig::default(), Vec::new())
            }
            Err(e) => (
                RawConfig::default(),
                vec![Diagnostic::io(Path::new(CONFIG_FILE), "read site.yaml", &e)],
            ),
        }
    }

    /// Parses the text of a site.yaml.
    pub fn parse(text: &str) -> (RawConfig, Vec<Diagnostic>) {
        let mut raw = RawConfig::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let file = Path::new(CONFIG_FILE);
        let source = yaml::Source::new(file, text, 0);
        let value = match source.parse() {
            Ok(v) => v,
            Err(d) => return (raw, vec![d]),
        };
        let written: Vec<&'static str> = KNOWN_KEYS
            .iter()
            .copied()
            .filter(|k| value.get(k).is_some())
            .collect();
        let mut f = match Fields::new(value, source, None, "site.yaml") {
            Ok(f) => f,
            Err(d) => return (raw, vec![d]),
        };
        for key in written {
            raw.locations.insert(key, f.location_of(key));
        }
        raw.title = f.take_string("title");
        if let Some(v) = f.take_string("base_url") {
            match normalise_base_url(&v) {
                Ok(url) => raw.base_url = Some(url),
                Err(msg) => {
                    let loc = f.location_of("base_url");
                    f.diagnostics.push(
                        Diagnostic::error(Some(loc), msg)
                            .with_help("use the address the site will be served from, e.g. https://example.org/archive/"),
                    );
                }
            }
        }
        raw.description = f.take_string("description");
        raw.language = f.take_string("language");
        raw.author = f.take_string("author");
        if let Some(v) = f.take_string("theme") {
            if v.is_empty() || v.contains(['/', '\\']) || v.starts_with('.') {
                let loc = f.location_of("theme");
                f.diagnostics.push(Diagnostic::error(
                    Some(loc),
                    format!("`theme` should name a folder under themes/, found {v:?}"),
                ));
            } else {
                raw.theme = Some(v);
            }
        }
        raw.paginate_by = f.take_count("paginate_by", 1);
        raw.highlight_theme = f.take_string("highlight_theme");
        match f.take_raw("highlight_theme_dark") {
            None => {}
            Some(yaml::Value::Null) => raw.highlight_theme_dark = Some(None),
            Some(v) => match yaml::scalar_string(&v) {
                Some(s) if s == "false" || s.is_empty() => raw.highlight_theme_dark = Some(None),
                Some(s) => raw.highlight_theme_dark = Some(Some(s)),
                None => {
                    let loc = f.location_of("highlight_theme_dark");
                    f.diagnostics.push(Diagnostic::error(
                        Some(loc),
                        "`highlight_theme_dark` should be the name of a highlighting theme, or false",
                    ));
                }
            },
        }
        raw.unsafe_html = f.take_bool("unsafe_html");
        raw.strict = f.take_bool("strict");
        raw.auto_sources = f.take_bool("auto_sources");
        if let Some(v) = f.take_string("output_dir") {
            if v.trim().is_empty() {
                let loc = f.location_of("output_dir");
                f.diagnostics.push(Diagnostic::error(
                    Some(loc),
                    "`output_dir` should name a folder, found an empty text",
                ));
            } else {
                raw.output_dir = Some(PathBuf::from(v));
            }
        }
        raw.feed_limit = f.take_count("feed_limit", 1);
        if let Some(v) = f.take_raw("kinds") {
            let at = f.location_of("kinds");
            raw.kinds = kinds::parse(v, source, at.line, &mut f.diagnostics);
        }
        raw.extra = f.take_raw("extra").map(|v| yaml::to_json(&v));
        if let Some(v) = f.take_raw("ratings") {
            let (scale, d) = ratings::scale_from_yaml(v, source);
            raw.ratings = scale;
            f.diagnostics.extend(d);
        }
        if let Some(v) = f.take_raw("menu") {
            let line = f.location_of("menu").line;
            let (menu, d) = parse_menu(v, &source, line);
            raw.menu = menu;
            f.diagnostics.extend(d);
        }
        let mut diagnostics = std::mem::take(&mut f.diagnostics);
        diagnostics.extend(f.deny_unknown(KNOWN_KEYS, "site.yaml"));
        (raw, diagnostics)
    }
}

impl Config {
    /// The one place a configuration is made: site.yaml's keys over the
    /// defaults, the command line's over both, paths made absolute. An
    /// override the command line gets wrong is an error without a location
    /// (it is in no file).
    pub fn resolve(root: &Path, raw: RawConfig, cli: Overrides) -> (Config, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut kinds = kinds::built_in();
        for k in raw.kinds {
            match kinds.iter_mut().find(|b| b.key == k.key) {
                Some(b) => *b = k,
                None => kinds.push(k),
            }
        }
        let output_dir = match cli.output {
            Some(out) if out.is_absolute() => out.to_path_buf(),
            Some(out) => std::env::current_dir()
                .map(|c| c.join(out))
                .unwrap_or_else(|_| out.to_path_buf()),
            None => root.join(raw.output_dir.as_deref().unwrap_or(Path::new("output"))),
        };
        let mut base_url = raw.base_url;
        let mut base_url_location = raw.locations.get("base_url").cloned();
        if let Some(url) = cli.base_url {
            match normalise_base_url(url) {
                Ok(url) => {
                    base_url = Some(url);
                    base_url_location = None;
                }
                Err(m) => diags.push(Diagnostic::error(None, format!("--base-url: {m}"))),
            }
        }
        let config = Config {
            root: root.to_path_buf(),
            title: raw.title.unwrap_or_else(|| "My reading archive".into()),
            base_url_is_set: base_url.is_some(),
            base_url: base_url.unwrap_or_else(|| "/".into()),
            base_url_location,
            description: raw.description,
            language: raw.language.unwrap_or_else(|| "en".into()),
            author: raw.author,
            theme: raw.theme.unwrap_or_else(|| "default".into()),
            paginate_by: raw.paginate_by.unwrap_or(50),
            highlight_theme: raw
                .highlight_theme
                .unwrap_or_else(|| "InspiredGitHub".into()),
            highlight_theme_dark: raw
                .highlight_theme_dark
                .unwrap_or_else(|| Some("base16-ocean.dark".into())),
            unsafe_html: raw.unsafe_html.unwrap_or(false),
            strict: raw.strict.unwrap_or(false),
            auto_sources: raw.auto_sources.unwrap_or(false),
            output_dir,
            feed_limit: raw.feed_limit.unwrap_or(20),
            kinds,
            extra: raw
                .extra
                .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
            ratings: raw.ratings,
            menu: raw.menu,
            highlight_locations: [
                raw.locations.get("highlight_theme").cloned(),
                raw.locations.get("highlight_theme_dark").cloned(),
            ],
        };
        (config, diags)
    }

    /// site.yaml resolved without overrides, for callers that only need
    /// to know where a plain build of the site writes.
    pub fn load(root: &Path) -> (Config, Vec<Diagnostic>) {
        let (raw, mut diags) = RawConfig::load(root);
        let (config, d) = Config::resolve(root, raw, Overrides::default());
        diags.extend(d);
        (config, diags)
    }

    /// The declared (or built-in) note kind `key`.
    pub fn kind(&self, key: &str) -> Option<&NoteKind> {
        self.kinds.iter().find(|k| k.key == key)
    }

    /// Whether base_url is still the placeholder `init` writes.
    pub fn base_url_is_placeholder(&self) -> bool {
        self.base_url_is_set && self.base_url == PLACEHOLDER_BASE_URL
    }

    /// The URL of a site path such as `articles/x/` (no leading slash).
    pub fn url(&self, path: &str) -> String {
        let mut s = String::with_capacity(self.base_url.len() + path.len());
        s.push_str(&self.base_url);
        s.push_str(path.trim_start_matches('/'));
        s
    }

    /// Checks what can only be checked against the machine (the highlight
    /// themes exist).
    pub fn check_highlight_themes(&self, known: &[&str]) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let themes = std::iter::once(("highlight_theme", &self.highlight_theme)).chain(
            self.highlight_theme_dark
                .iter()
                .map(|t| ("highlight_theme_dark", t)),
        );
        for ((key, name), at) in themes.zip(&self.highlight_locations) {
            if !known.contains(&name.as_str()) {
                let at = at.clone().unwrap_or_else(|| Location::file(CONFIG_FILE));
                let mut d = Diagnostic::error(
                    Some(at),
                    format!("`{key}`: there is no highlighting theme called {name:?}"),
                );
                d.help = Some(
                    suggestion(name, known.iter().copied())
                        .unwrap_or_else(|| format!("available themes: {}", known.join(", "))),
                );
                out.push(d);
            }
        }
        out
    }
}

const MENU_ENTRY_KEYS: &[&str] = &["section", "page", "url", "title"];

/// Reads `menu:`: a list whose entries are a section folder (`articles`),
/// a page file (`about.md`), or a mapping with one of `section`, `page`,
/// `url` and an optional `title` (required with `url`). `menu_line` is
/// the line of the `menu:` key in the YAML text's file; the entries are
/// found on the lines after it.
fn parse_menu(
    value: yaml::Value,
    source: &yaml::Source,
    menu_line: usize,
) -> (Vec<MenuEntry>, Vec<Diagnostic>) {
    let mut entries = Vec::new();
    let mut diags = Vec::new();
    let menu_location = source.location(menu_line.saturating_sub(source.line_offset), 0);
    let items = match value {
        yaml::Value::Null => return (entries, diags),
        yaml::Value::Sequence(items) => items,
        other => {
            diags.push(
                Diagnostic::error(
                    Some(menu_location),
                    format!(
                        "`menu` should be a list of sections, pages and links, found {}",
                        yaml::describe(&other)
                    ),
                )
                .with_help("write one entry per line: `- articles`, `- about.md`, `- {title: Code, url: \"https://…\"}`"),
            );
            return (entries, diags);
        }
    };
    let lines = menu_item_lines(source.text, menu_line.saturating_sub(source.line_offset));
    for (i, item) in items.into_iter().enumerate() {
        // Flow style (`menu: [a, b]`) puts every entry on the key's line.
        let (line, column) = lines.get(i).copied().unwrap_or((menu_location.line, 0));
        let location = source.location(line, column);
        let entry = match item {
            yaml::Value::Mapping(_) => {
                let end = lines.get(i + 1).map_or(line + 1, |l| l.0);
                menu_entry_from_mapping(
                    item,
                    source,
                    location.clone(),
                    line..end.max(line + 1),
                    &mut diags,
                )
            }
            other => match yaml::scalar_string(&other) {
                Some(s) if s.trim().is_empty() => {
                    diags.push(Diagnostic::error(
                        Some(location.clone()),
                        "an empty menu entry",
                    ));
                    None
                }
                Some(s) if is_menu_url(&s) => {
                    diags.push(
                        Diagnostic::error(
                            Some(location.clone()),
                            format!("the menu link {s:?} needs a title"),
                        )
                        .with_help(format!("write it as `- {{title: \"…\", url: \"{s}\"}}`")),
                    );
                    None
                }
                Some(s) if s.ends_with(".md") => Some((MenuTarget::Page(s), None)),
                Some(s) => Some((MenuTarget::Section(s.trim_matches('/').to_string()), None)),
                None => {
                    diags.push(Diagnostic::error(
                        Some(location.clone()),
                        format!(
                            "a menu entry should be a section, a page or a mapping, found {}",
                            yaml::describe(&other)
                        ),
                    ));
                    None
                }
            },
        };
        if let Some((target, title)) = entry {
            entries.push(MenuEntry {
                target,
                title,
                location,
            });
        }
    }
    (entries, diags)
}

fn is_menu_url(s: &str) -> bool {
    s.starts_with('/') || s.contains("://") || s.starts_with("mailto:")
}

fn menu_entry_from_mapping(
    item: yaml::Value,
    source: &yaml::Source,
    first_line: Location,
    lines: std::ops::Range<usize>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(MenuTarget, Option<String>)> {
    let mut f = match Fields::new(item, *source, Some(lines), "a menu entry") {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let title = f.take_string("title");
    let mut targets = Vec::new();
    if let Some(s) = f.take_string("section") {
        targets.push(MenuTarget::Section(s.trim_matches('/').to_string()));
    }
    if let Some(s) = f.take_string("page") {
        targets.push(MenuTarget::Page(s));
    }
    if let Some(s) = f.take_string("url") {
        if !crate::url::is_safe_url(&s) {
            let loc = f.location_of("url");
            f.diagnostics.push(Diagnostic::error(
                Some(loc),
                format!("the menu link {s:?} is not an address a page can link to"),
            ));
        } else if title.is_none() {
            let loc = f.location_of("url");
            f.diagnostics.push(Diagnostic::error(
                Some(loc),
                format!("the menu link {s:?} needs a `title`"),
            ));
        } else {
            targets.push(MenuTarget::Url(s));
        }
    }
    let had_problems = !f.diagnostics.is_empty();
    let mut found = std::mem::take(&mut f.diagnostics);
    found.extend(f.deny_unknown(MENU_ENTRY_KEYS, "a menu entry"));
    // A key of a flow mapping (`- {url: …}`) is not found by line; the
    // entry's own place is closer than its line alone.
    for d in &mut found {
        if let Some(loc) = &mut d.location
            && loc.column == 0
            && loc.line == first_line.line
        {
            *loc = first_line.clone();
        }
    }
    diags.extend(found);
    match targets.len() {
        1 => targets.pop().map(|t| (t, title)),
        0 if had_problems => None,
        0 => {
            diags.push(
                Diagnostic::error(
                    Some(first_line),
                    "a menu entry needs one of `section`, `page` or `url`",
                )
                .with_help("e.g. `- {section: articles}`, `- {page: about.md}`, `- {title: Code, url: \"https://…\"}`"),
            );
            None
        }
        _ => {
            diags.push(Diagnostic::error(
                Some(first_line),
                "a menu entry should name one of `section`, `page` or `url`, not several",
            ));
            None
        }
    }
}

/// The 1-based line and column (of the text after `- `) of the items of
/// the block list under the key on line `key_line` (all items share the
/// indentation of the first).
fn menu_item_lines(text: &str, key_line: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut indent = None;
    for (i, line) in crate::error::lines(text).enumerate().skip(key_line) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let n = line.len() - trimmed.len();
        let is_item = trimmed == "-" || trimmed.starts_with("- ");
        match indent {
            None if is_item => indent = Some(n),
            None => break,
            Some(m) if n == m && is_item => {}
            Some(m) if n > m => continue,
            Some(_) => break,
        }
        out.push((i + 1, line[..n].chars().count() + 3));
    }
    out
}

/// A base URL as site.yaml would hold it (ending with `/`), or why it
/// cannot be one (for `init --base-url`).
pub fn check_base_url(url: &str) -> Result<String, String> {
    normalise_base_url(url)
}

/// Makes a base URL end with `/`, and refuses what cannot be one.
fn normalise_base_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Ok("/".into());
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
    {
        return Err(format!(
            "`base_url` {url:?} contains characters a URL cannot hold"
        ));
    }
    let ok_scheme = url.starts_with("http://") || url.starts_with("https://");
    if !ok_scheme && !url.starts_with('/') {
        return Err(format!(
            "`base_url` {url:?} should be an absolute http(s) URL or a path starting with /"
        ));
    }
    if ok_scheme
        && url
            .split("://")
            .nth(1)
            .is_none_or(|rest| rest.is_empty() || rest.starts_with('/'))
    {
        return Err(format!("`base_url` {url:?} has no host"));
    }
    let mut s = url.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(root: &Path, text: &str) -> (Config, Vec<Diagnostic>) {
        let (raw, mut diags) = RawConfig::parse(text);
        let (config, d) = Config::resolve(root, raw, Overrides::default());
        diags.extend(d);
        (config, diags)
    }

    #[test]
    fn no_site_yaml_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let (c, diags) = Config::load(dir.path());
        assert!(diags.is_empty());
        assert_eq!(c.base_url, "/");
        assert_eq!(c.paginate_by, 50);
        assert_eq!(c.output_dir, dir.path().join("output"));
    }

    #[test]
    fn every_key_is_read() {
        let text = "title: T\nbase_url: https://ex.org/archive\ndescription: D\nlanguage: fr\nauthor: A\n\
                    theme: mine\npaginate_by: 5\nhighlight_theme: base16-ocean.dark\nhighlight_theme_dark: false\n\
                    unsafe_html: true\nstrict: true\nauto_sources: true\noutput_dir: public\nfeed_limit: 3\n\
                    extra: {a: 1}\n";
        let (c, diags) = parse(Path::new("/site"), text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(c.title, "T");
        assert_eq!(c.base_url, "https://ex.org/archive/");
        assert_eq!(c.url("articles/x/"), "https://ex.org/archive/articles/x/");
        assert_eq!(c.language, "fr");
        assert_eq!(c.theme, "mine");
        assert_eq!(c.paginate_by, 5);
        assert_eq!(c.highlight_theme_dark, None);
        assert!(c.unsafe_html && c.strict && c.auto_sources);
        assert_eq!(c.output_dir, Path::new("/site/public"));
        assert_eq!(c.feed_limit, 3);
        assert_eq!(c.extra["a"], 1);
    }

    #[test]
    fn unknown_key_suggests_the_nearest() {
        let (_, diags) = parse(Path::new("/s"), "title: x\npagniate_by: 3\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location, Some(Location::at("site.yaml", 2, 1)));
        assert_eq!(
            diags[0].help.as_deref(),
            Some("did you mean `paginate_by`?")
        );
    }

    #[test]
    fn menu_entries_keep_their_order_and_place() {
        let text = "title: T\nmenu:\n  # first the articles\n  - articles\n  - about.md\n  - {section: papers, title: Reading}\n  - title: Code\n    url: https://code.example/\nstrict: true\n";
        let (c, diags) = parse(Path::new("/s"), text);
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<(MenuTarget, Option<&str>, usize, usize)> = c
            .menu
            .iter()
            .map(|e| {
                (
                    e.target.clone(),
                    e.title.as_deref(),
                    e.location.line,
                    e.location.column,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (MenuTarget::Section("articles".into()), None, 4, 5),
                (MenuTarget::Page("about.md".into()), None, 5, 5),
                (MenuTarget::Section("papers".into()), Some("Reading"), 6, 5),
                (
                    MenuTarget::Url("https://code.example/".into()),
                    Some("Code"),
                    7,
                    5
                ),
            ]
        );
        assert!(c.strict, "the key after the list is read");

        let (_, diags) = parse(Path::new("/s"), "menu: articles\n");
        assert_eq!(diags.len(), 1);
        let (_, diags) = parse(
            Path::new("/s"),
            "menu:\n- /atom.xml\n- {url: \"javascript:x\", title: X}\n",
        );
        let messages: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        assert_eq!(diags.len(), 2, "{messages:?}");
        assert!(
            messages[0]
                .starts_with("error: site.yaml:2:3: the menu link \"/atom.xml\" needs a title"),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("is not an address a page can link to"),
            "{messages:?}"
        );
    }

    #[test]
    fn the_command_line_overrides_site_yaml_once() {
        let (raw, diags) = RawConfig::parse("base_url: https://ex.org/\noutput_dir: public\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(raw.locations["base_url"], Location::at("site.yaml", 1, 1));
        let (c, _) = Config::resolve(Path::new("/s"), raw.clone(), Overrides::default());
        assert_eq!(c.base_url, "https://ex.org/");
        assert_eq!(c.output_dir, Path::new("/s/public"));
        assert_eq!(c.base_url_location, Some(Location::at("site.yaml", 1, 1)));

        let cli = Overrides {
            output: Some(Path::new("/elsewhere")),
            base_url: Some("http://localhost:1111"),
        };
        let (c, diags) = Config::resolve(Path::new("/s"), raw.clone(), cli);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(c.base_url, "http://localhost:1111/");
        assert_eq!(c.output_dir, Path::new("/elsewhere"));
        assert_eq!(c.base_url_location, None, "not written in site.yaml");

        let bad = Overrides {
            base_url: Some("localhost"),
            ..Overrides::default()
        };
        let (c, diags) = Config::resolve(Path::new("/s"), raw, bad);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location, None);
        assert!(diags[0].message.starts_with("--base-url: "), "{diags:?}");
        assert_eq!(c.base_url, "https://ex.org/", "site.yaml's stays");
    }

    #[test]
    fn an_unknown_highlight_theme_is_reported_at_its_key() {
        let (c, _) = parse(Path::new("/s"), "title: x\nhighlight_theme: Nope\n");
        let diags = c.check_highlight_themes(&["InspiredGitHub", "base16-ocean.dark"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location, Some(Location::at("site.yaml", 2, 1)));
    }

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(normalise_base_url("example.org").is_err());
        assert!(normalise_base_url("https://").is_err());
        assert!(normalise_base_url("https://a b/").is_err());
        assert_eq!(normalise_base_url("/sub").unwrap(), "/sub/");
    }
}
