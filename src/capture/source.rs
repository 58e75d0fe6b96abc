//! Which source a captured page comes from: matched by host against
//! `content/sources.yaml`, or appended to it as a new publication.
//!
//! The registry is the user's file, with their comments and layout, so a
//! new entry is appended as text, never by re-serialising the YAML.

use std::path::Path;

use crate::sources::{Registry, Source};

/// Where the source key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceChoice {
    /// An entry of the registry matched (or `--source` named it).
    Existing(String),
    /// No entry matched; this one is to be appended.
    New { key: String, entry: String },
    /// Neither a host nor a site name to go by.
    Unknown,
}

/// Whether `source` is the publication at `host` (no `www.`): its `url`
/// has this host or a parent domain of it (`nytimes.com` for
/// `cooking.nytimes.com`), or one of its aliases is the host or the site
/// name.
fn matches(source: &Source, host: Option<&str>, site_name: Option<&str>) -> bool {
    if let (Some(host), Some(src)) = (host, source.url.as_deref().and_then(crate::url::site_host))
        && (host == src || host.ends_with(&format!(".{src}")))
    {
        return true;
    }
    source.aliases.iter().any(|a| {
        let a = a.trim().to_lowercase();
        host.is_some_and(|h| h == a.strip_prefix("www.").unwrap_or(&a))
            || site_name.is_some_and(|n| n.trim().to_lowercase() == a)
    })
}

/// The source for a page at `page_url` whose site calls itself
/// `site_name`. The registry's own order decides between two matches, the
/// most specific host first.
pub fn choose(
    registry: &Registry,
    page_url: Option<&str>,
    site_name: Option<&str>,
) -> SourceChoice {
    let host = page_url.and_then(crate::url::site_host);
    let mut best: Option<(&Source, usize)> = None;
    for s in registry.all() {
        if matches(s, host.as_deref(), site_name) {
            let specificity = s
                .url
                .as_deref()
                .and_then(crate::url::site_host)
                .map(|h| h.len())
                .unwrap_or(0);
            if best.is_none_or(|(_, b)| specificity > b) {
                best = Some((s, specificity));
            }
        }
    }
    if let Some((s, _)) = best {
        return SourceChoice::Existing(s.key.clone());
    }
    let Some(host) = host else {
        return SourceChoice::Unknown;
    };
    let key = new_key(registry, &host);
    let name = site_name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| host.clone());
    let scheme = page_url
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.scheme().to_string())
        .unwrap_or_else(|| "https".to_string());
    let full_host = page_url
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| host.clone());
    let entry = format!(
        "{key}:\n  name: {}\n  url: {}\n  kind: publication\n",
        quote(&name),
        quote(&format!("{scheme}://{full_host}/"))
    );
    SourceChoice::New { key, entry }
}

/// A key from the host: `www.coastal-ledger.example` → `coastal-ledger`,
/// with `-2`, `-3` … when that key is taken.
fn new_key(registry: &Registry, host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let base = if labels.len() > 1 {
        labels[..labels.len() - 1].join("-")
    } else {
        host.to_string()
    };
    let base = slug::slugify(base);
    let base = if base.is_empty() {
        "source".to_string()
    } else {
        base
    };
    let mut key = base.clone();
    let mut n = 2;
    while registry.get(&key).is_some() {
        key = format!("{base}-{n}");
        n += 1;
    }
    key
}

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// `text` with `entry` appended after a blank line, as the last entry.
pub fn append_entry(text: &str, entry: &str) -> String {
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(entry);
    out
}

/// Reads the registry of the site at `root` for matching (its problems
/// are the build's to report, not the capture's).
pub fn registry(root: &Path) -> (Registry, Option<String>) {
    let path = root.join(crate::sources::SOURCES_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => (
            Registry::parse(Path::new(crate::sources::SOURCES_FILE), &text).0,
            Some(text),
        ),
        Err(_) => (Registry::default(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "# my sources\nnyt:\n  name: \"The New York Times\"\n  url: \"https://www.nytimes.com/\"\n  kind: publication\n\
                        times:\n  name: \"the Times\"\n  kind: publication\n  aliases: [\"The Times of Nowhere\"]\n";

    fn reg() -> Registry {
        let (r, d) = Registry::parse(Path::new("content/sources.yaml"), YAML);
        assert!(d.is_empty(), "{d:?}");
        r
    }

    #[test]
    fn host_parent_domain_and_alias_match() {
        let r = reg();
        assert_eq!(
            choose(&r, Some("https://cooking.nytimes.com/x"), None),
            SourceChoice::Existing("nyt".into())
        );
        assert_eq!(
            choose(&r, Some("http://nytimes.com/x"), Some("whatever")),
            SourceChoice::Existing("nyt".into())
        );
        assert_eq!(
            choose(
                &r,
                Some("https://nowhere.example/a"),
                Some("The Times of Nowhere")
            ),
            SourceChoice::Existing("times".into())
        );
        // Not a suffix of a label.
        assert!(matches!(
            choose(&r, Some("https://notnytimes.com/x"), None),
            SourceChoice::New { .. }
        ));
    }

    #[test]
    fn a_new_entry_is_appended_as_text() {
        let r = reg();
        let SourceChoice::New { key, entry } = choose(
            &r,
            Some("https://www.coastal-ledger.example/news/x"),
            Some("The \"Coastal\" Ledger"),
        ) else {
            panic!()
        };
        assert_eq!(key, "coastal-ledger");
        let text = append_entry(YAML, &entry);
        assert!(text.starts_with(YAML), "the old text is kept as it was");
        let (r2, d) = Registry::parse(Path::new("content/sources.yaml"), &text);
        assert!(d.is_empty(), "{d:?}");
        let s = r2.get("coastal-ledger").unwrap();
        assert_eq!(s.name, "The \"Coastal\" Ledger");
        assert_eq!(
            s.url.as_deref(),
            Some("https://www.coastal-ledger.example/")
        );
        assert_eq!(choose(&r, None, None), SourceChoice::Unknown);
    }
}
