//! site.yaml → [`Config`]: every key with its default, validated once.
//!
//! A site with no site.yaml builds with the defaults. Unknown keys are an
//! error with a did-you-mean, because a misspelt `paginate_by` silently
//! ignored is worse than a build that stops.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Diagnostic, Location, suggestion};
use crate::yaml::{self, Fields};

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
    "ratings",
    "extra",
];

/// The resolved configuration of one site.
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
    /// Free-form data for templates.
    pub extra: serde_json::Value,
    /// The rating scale notes' `rating:` labels come from (DESIGN §11).
    pub ratings: Option<crate::annotate::rating::RatingScale>,
    /// Whether base_url came from site.yaml (or the command line) rather
    /// than the default; feeds and sitemaps want a real host.
    #[serde(skip)]
    pub base_url_is_set: bool,
}

impl Config {
    /// The defaults, for a site rooted at `root`.
    pub fn default_for(root: &Path) -> Config {
        Config {
            root: root.to_path_buf(),
            title: "My reading archive".into(),
            base_url: "/".into(),
            description: None,
            language: "en".into(),
            author: None,
            theme: "default".into(),
            paginate_by: 50,
            highlight_theme: "InspiredGitHub".into(),
            highlight_theme_dark: Some("base16-ocean.dark".into()),
            unsafe_html: false,
            strict: false,
            auto_sources: false,
            output_dir: root.join("output"),
            feed_limit: 20,
            extra: serde_json::Value::Object(Default::default()),
            ratings: None,
            base_url_is_set: false,
        }
    }

    /// Reads `<root>/site.yaml` if there is one. Problems come back as
    /// diagnostics; the config returned is usable either way (bad keys keep
    /// their defaults) so the rest of the build can still report its own.
    pub fn load(root: &Path) -> (Config, Vec<Diagnostic>) {
        let path = root.join(CONFIG_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Config::parse(root, &text),
                Err(_) => (
                    Config::default_for(root),
                    vec![Diagnostic::error(
                        Some(Location::file(CONFIG_FILE)),
                        "site.yaml is not valid UTF-8 text",
                    )],
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (Config::default_for(root), Vec::new())
            }
            Err(e) => (
                Config::default_for(root),
                vec![Diagnostic::io(Path::new(CONFIG_FILE), "read site.yaml", &e)],
            ),
        }
    }

    /// Parses the text of a site.yaml.
    pub fn parse(root: &Path, text: &str) -> (Config, Vec<Diagnostic>) {
        let mut config = Config::default_for(root);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let file = Path::new(CONFIG_FILE);
        let source = yaml::Source::new(file, text, 0);
        let value = match source.parse() {
            Ok(v) => v,
            Err(d) => return (config, vec![d]),
        };
        let mut f = match Fields::new(value, source, None, "site.yaml") {
            Ok(f) => f,
            Err(d) => return (config, vec![d]),
        };
        if let Some(v) = f.take_string("title") {
            config.title = v;
        }
        if let Some(v) = f.take_string("base_url") {
            match normalise_base_url(&v) {
                Ok(url) => {
                    config.base_url = url;
                    config.base_url_is_set = true;
                }
                Err(msg) => {
                    let loc = f.location_of("base_url");
                    f.diagnostics.push(
                        Diagnostic::error(Some(loc), msg)
                            .with_help("use the address the site will be served from, e.g. https://example.org/archive/"),
                    );
                }
            }
        }
        config.description = f.take_string("description");
        if let Some(v) = f.take_string("language") {
            config.language = v;
        }
        config.author = f.take_string("author");
        if let Some(v) = f.take_string("theme") {
            if v.is_empty() || v.contains(['/', '\\']) || v.starts_with('.') {
                let loc = f.location_of("theme");
                f.diagnostics.push(Diagnostic::error(
                    Some(loc),
                    format!("`theme` should name a folder under themes/, found {v:?}"),
                ));
            } else {
                config.theme = v;
            }
        }
        if let Some(v) = f.take_count("paginate_by", 1) {
            config.paginate_by = v;
        }
        if let Some(v) = f.take_string("highlight_theme") {
            config.highlight_theme = v;
        }
        match f.take_raw("highlight_theme_dark") {
            None => {}
            Some(yaml::Value::Null) => config.highlight_theme_dark = None,
            Some(v) => match yaml::scalar_string(&v) {
                Some(s) if s == "false" || s.is_empty() => config.highlight_theme_dark = None,
                Some(s) => config.highlight_theme_dark = Some(s),
                None => {
                    let loc = f.location_of("highlight_theme_dark");
                    f.diagnostics.push(Diagnostic::error(
                        Some(loc),
                        "`highlight_theme_dark` should be the name of a highlighting theme, or false",
                    ));
                }
            },
        }
        if let Some(v) = f.take_bool("unsafe_html") {
            config.unsafe_html = v;
        }
        if let Some(v) = f.take_bool("strict") {
            config.strict = v;
        }
        if let Some(v) = f.take_bool("auto_sources") {
            config.auto_sources = v;
        }
        if let Some(v) = f.take_string("output_dir") {
            if v.trim().is_empty() {
                let loc = f.location_of("output_dir");
                f.diagnostics.push(Diagnostic::error(
                    Some(loc),
                    "`output_dir` should name a folder, found an empty text",
                ));
            } else {
                config.output_dir = root.join(v);
            }
        }
        if let Some(v) = f.take_count("feed_limit", 1) {
            config.feed_limit = v;
        }
        if let Some(v) = f.take_raw("extra") {
            config.extra = yaml::to_json(&v);
        }
        if let Some(v) = f.take_raw("ratings") {
            let (scale, d) = crate::annotate::rating::scale_from_yaml(v, source);
            config.ratings = scale;
            f.diagnostics.extend(d);
        }
        let mut diagnostics = std::mem::take(&mut f.diagnostics);
        diagnostics.extend(f.deny_unknown(KNOWN_KEYS, "site.yaml"));
        (config, diagnostics)
    }

    /// Overrides base_url (the `--base-url` option and the dev server).
    pub fn set_base_url(&mut self, url: &str) -> Result<(), Diagnostic> {
        let url = normalise_base_url(url)
            .map_err(|m| Diagnostic::error(None, format!("--base-url: {m}")))?;
        self.base_url = url;
        self.base_url_is_set = true;
        Ok(())
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
        for (key, name) in themes {
            if !known.contains(&name.as_str()) {
                let mut d = Diagnostic::error(
                    Some(Location::file(CONFIG_FILE)),
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
        let (c, diags) = Config::parse(Path::new("/site"), text);
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
        let (_, diags) = Config::parse(Path::new("/s"), "title: x\npagniate_by: 3\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].location, Some(Location::at("site.yaml", 2, 1)));
        assert_eq!(
            diags[0].help.as_deref(),
            Some("did you mean `paginate_by`?")
        );
    }

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(normalise_base_url("example.org").is_err());
        assert!(normalise_base_url("https://").is_err());
        assert!(normalise_base_url("https://a b/").is_err());
        assert_eq!(normalise_base_url("/sub").unwrap(), "/sub/");
    }
}
