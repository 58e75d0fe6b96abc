//! The source registry (`content/sources.yaml`): publications, people,
//! organisations, anonymous sources … that articles come from and notes cite.
//!
//! References are checked in one sequential pass after every file is parsed
//! ([`Registry::check_references`]), so rendering (in parallel) can rely on
//! every key it meets being in the registry.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Diagnostic, Location, suggestion};
use crate::yaml::{self, Fields, Value};

/// Where the registry lives, relative to the site root.
pub const SOURCES_FILE: &str = "content/sources.yaml";

const SOURCE_KEYS: &[&str] = &[
    "name",
    "url",
    "kind",
    "description",
    "affiliation",
    "aliases",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Publication,
    Person,
    Organisation,
    Anonymous,
    Document,
    Other,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Publication,
        SourceKind::Person,
        SourceKind::Organisation,
        SourceKind::Anonymous,
        SourceKind::Document,
        SourceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Publication => "publication",
            SourceKind::Person => "person",
            SourceKind::Organisation => "organisation",
            SourceKind::Anonymous => "anonymous",
            SourceKind::Document => "document",
            SourceKind::Other => "other",
        }
    }

    /// The heading of this kind's group on /sources/.
    pub fn plural_label(self) -> &'static str {
        match self {
            SourceKind::Publication => "Publications",
            SourceKind::Person => "People",
            SourceKind::Organisation => "Organisations",
            SourceKind::Anonymous => "Anonymous sources",
            SourceKind::Document => "Documents",
            SourceKind::Other => "Other sources",
        }
    }

    fn parse(s: &str) -> Option<SourceKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "publication" => Some(SourceKind::Publication),
            "person" => Some(SourceKind::Person),
            // Both spellings are what people type.
            "organisation" | "organization" => Some(SourceKind::Organisation),
            "anonymous" => Some(SourceKind::Anonymous),
            "document" => Some(SourceKind::Document),
            "other" => Some(SourceKind::Other),
            _ => None,
        }
    }
}

/// One entry of the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub key: String,
    /// The URL path segment: the key, slugified.
    pub slug: String,
    pub name: String,
    pub url: Option<String>,
    pub kind: SourceKind,
    pub description: Option<String>,
    pub affiliation: Option<String>,
    pub aliases: Vec<String>,
    /// True when `auto_sources` made it from an unknown key.
    pub auto: bool,
    #[serde(skip)]
    pub location: Location,
}

/// Every source of a site, in the order of sources.yaml.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    sources: Vec<Source>,
    by_key: HashMap<String, usize>,
}

/// A place where a source key is used, for checking.
pub struct Reference<'a> {
    pub key: &'a str,
    pub location: &'a Location,
}

impl Registry {
    pub fn get(&self, key: &str) -> Option<&Source> {
        self.by_key.get(key).map(|&i| &self.sources[i])
    }

    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    pub fn all(&self) -> &[Source] {
        &self.sources
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Reads `<root>/content/sources.yaml`; no file is an empty registry.
    pub fn load(root: &Path) -> (Registry, Vec<Diagnostic>) {
        let file = Path::new(SOURCES_FILE);
        match std::fs::read(root.join(file)) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Registry::parse(file, &text),
                Err(_) => (
                    Registry::default(),
                    vec![Diagnostic::error(
                        Some(Location::file(file)),
                        "sources.yaml is not valid UTF-8 text",
                    )],
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Registry::default(), Vec::new()),
            Err(e) => (
                Registry::default(),
                vec![Diagnostic::io(file, "read the source registry", &e)],
            ),
        }
    }

    pub fn parse(file: &Path, text: &str) -> (Registry, Vec<Diagnostic>) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let line_index = crate::error::LineIndex::new(text);
        let source = yaml::Source::new(file, text, 0).with_index(&line_index);
        let mut diagnostics = Vec::new();
        let mut reg = Registry::default();
        let map = match source.parse() {
            Ok(Value::Null) => return (reg, diagnostics),
            Ok(Value::Mapping(m)) => m,
            Ok(other) => {
                diagnostics.push(
                    Diagnostic::error(
                        Some(Location::at(file, 1, 1)),
                        format!(
                            "sources.yaml should map keys to sources, found {}",
                            yaml::describe(&other)
                        ),
                    )
                    .with_help("write `nyt:` followed by indented `name:`, `kind:` … lines"),
                );
                return (reg, diagnostics);
            }
            Err(d) => return (reg, vec![d]),
        };
        // Each entry's lines: from its key line to the next top-level key.
        let key_lines = top_level_key_lines(text);
        // First line of each key (a position scan per key was quadratic).
        let mut key_line_of: HashMap<&str, usize> = HashMap::with_capacity(key_lines.len());
        for (i, (_, name)) in key_lines.iter().enumerate() {
            key_line_of.entry(name.as_str()).or_insert(i);
        }
        let mut slugs: HashMap<String, String> = HashMap::new();
        for (k, v) in map {
            let Some(key) = yaml::scalar_string(&k) else {
                diagnostics.push(Diagnostic::error(
                    Some(Location::file(file)),
                    "a source key should be text",
                ));
                continue;
            };
            let start = key_line_of.get(key.as_str()).copied();
            let lines =
                start.map(|i| key_lines[i].0..key_lines.get(i + 1).map_or(usize::MAX, |n| n.0));
            let location = source.key_location(&key, lines.clone());
            let slug = slug::slugify(&key);
            if slug.is_empty() {
                diagnostics.push(Diagnostic::error(
                    Some(location),
                    format!("the source key {key:?} has no letters or digits to make a page address from"),
                ));
                continue;
            }
            if let Some(other) = slugs.insert(slug.clone(), key.clone()) {
                diagnostics.push(Diagnostic::error(
                    Some(location),
                    format!("the source keys {other:?} and {key:?} would share the page /sources/{slug}/"),
                ));
                continue;
            }
            let mut f = match Fields::new(v, source, lines, "a source") {
                Ok(f) => f,
                Err(d) => {
                    diagnostics.push(d.with_help(
                        "give the source `name:` and `kind:` lines, indented under its key",
                    ));
                    continue;
                }
            };
            let name = f.take_string("name").unwrap_or_else(|| key.clone());
            let url = f.take_string("url");
            if let Some(u) = &url
                && !crate::url::is_safe_url(u)
            {
                let loc = f.location_of("url");
                f.diagnostics.push(Diagnostic::error(
                    Some(loc),
                    format!("`url` {u:?} is not a web address this site can link to"),
                ));
            }
            let kind_text = f.take_string("kind");
            let kind = match &kind_text {
                None => SourceKind::Other,
                Some(t) => SourceKind::parse(t).unwrap_or_else(|| {
                    let loc = f.location_of("kind");
                    let names: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
                    let mut d = Diagnostic::error(Some(loc), format!("unknown source kind {t:?}"));
                    d.help = Some(
                        suggestion(t, names.iter().copied())
                            .unwrap_or_else(|| format!("kinds are: {}", names.join(", "))),
                    );
                    f.diagnostics.push(d);
                    SourceKind::Other
                }),
            };
            let description = f.take_string("description");
            let affiliation = f.take_string("affiliation");
            let aliases = f.take_string_list("aliases");
            diagnostics.extend(std::mem::take(&mut f.diagnostics));
            diagnostics.extend(f.deny_unknown(SOURCE_KEYS, "a source"));
            reg.by_key.insert(key.clone(), reg.sources.len());
            reg.sources.push(Source {
                key,
                slug,
                name,
                url: url.filter(|u| crate::url::is_safe_url(u)),
                kind,
                description,
                affiliation,
                aliases,
                auto: false,
                location,
            });
        }
        diagnostics.extend(reg.check_affiliations());
        diagnostics.extend(reg.check_collisions());
        (reg, diagnostics)
    }

    fn check_affiliations(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for s in &self.sources {
            if let Some(a) = &s.affiliation
                && !self.by_key.contains_key(a)
            {
                let mut d = Diagnostic::error(
                    Some(s.location.clone()),
                    format!(
                        "the affiliation of {:?} is {a:?}, which is not a source key",
                        s.key
                    ),
                );
                d.help = suggestion(a, self.sources.iter().map(|s| s.key.as_str()));
                out.push(d);
            }
        }
        out
    }

    /// Names and aliases that two sources share, compared loosely ("The New
    /// York Times" and "new york times" are one name).
    fn check_collisions(&self) -> Vec<Diagnostic> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, s) in self.sources.iter().enumerate() {
            let mut names: Vec<String> = std::iter::once(&s.name)
                .chain(&s.aliases)
                .map(|n| loose_name(n))
                .filter(|n| !n.is_empty())
                .collect();
            names.sort();
            names.dedup();
            for n in names {
                if let Some(&j) = seen.get(&n)
                    && j != i
                {
                    let other = &self.sources[j];
                    out.push(
                        Diagnostic::warning(
                            Some(s.location.clone()),
                            format!(
                                "sources {:?} and {:?} share the name or alias {n:?}",
                                other.key, s.key
                            ),
                        )
                        .with_help("if they are one source, keep one key and list the other name in its `aliases`"),
                    );
                } else {
                    seen.insert(n, i);
                }
            }
        }
        out
    }

    /// The error for a key that is not in the registry, with a did-you-mean.
    pub fn unknown(&self, key: &str, location: &Location) -> Diagnostic {
        let mut d = Diagnostic::error(
            Some(location.clone()),
            format!("unknown source {key:?}: it is not in {SOURCES_FILE}"),
        );
        d.help = Some(
            suggestion(key, self.sources.iter().map(|s| s.key.as_str())).unwrap_or_else(|| {
                "add it to content/sources.yaml, or set `auto_sources: true` in site.yaml"
                    .to_string()
            }),
        );
        d
    }

    /// Checks every use of a source key. Unknown keys are errors with a
    /// did-you-mean, or, with `auto_sources`, become bare sources named after
    /// the key. Sources nobody refers to are warnings.
    pub fn check_references<'a>(
        &mut self,
        refs: impl IntoIterator<Item = Reference<'a>>,
        auto_sources: bool,
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut used = vec![false; self.sources.len()];
        for r in refs {
            if let Some(&i) = self.by_key.get(r.key) {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                continue;
            }
            let slug = slug::slugify(r.key);
            if auto_sources && !slug.is_empty() && !self.sources.iter().any(|s| s.slug == slug) {
                self.by_key.insert(r.key.to_string(), self.sources.len());
                self.sources.push(Source {
                    key: r.key.to_string(),
                    slug,
                    name: r.key.to_string(),
                    url: None,
                    kind: SourceKind::Other,
                    description: None,
                    affiliation: None,
                    aliases: Vec::new(),
                    auto: true,
                    location: r.location.clone(),
                });
                continue;
            }
            out.push(self.unknown(r.key, r.location));
        }
        // Affiliations count as uses: an organisation may be cited only
        // through the people who belong to it.
        for s in &self.sources {
            if let Some(i) = s.affiliation.as_ref().and_then(|a| self.by_key.get(a))
                && let Some(u) = used.get_mut(*i)
            {
                *u = true;
            }
        }
        for (s, used) in self.sources.iter().zip(used) {
            if !used {
                out.push(Diagnostic::warning(
                    Some(s.location.clone()),
                    format!(
                        "source {:?} is not referred to by any article or note",
                        s.key
                    ),
                ));
            }
        }
        out
    }
}

/// The 1-based line of every top-level key, with the key.
fn top_level_key_lines(text: &str) -> Vec<(usize, String)> {
    crate::error::lines(text)
        .enumerate()
        .filter(|(_, l)| !l.starts_with([' ', '\t', '#', '-']) && l.contains(':'))
        .filter_map(|(i, l)| {
            let key = l.split(':').next()?.trim().trim_matches(['"', '\'']);
            Some((i + 1, key.to_string()))
        })
        .collect()
}

fn loose_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let lower = lower.strip_prefix("the ").unwrap_or(&lower);
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Registry, Vec<Diagnostic>) {
        Registry::parse(Path::new(SOURCES_FILE), text)
    }

    #[test]
    fn reads_sources_with_every_field() {
        let (r, d) = parse(
            "nyt:\n  name: The New York Times\n  url: https://www.nytimes.com/\n  kind: publication\n  description: D\n\
             fdd:\n  name: FDD\n  kind: organization\n\
             dubowitz:\n  name: Mark Dubowitz\n  kind: person\n  affiliation: fdd\n  aliases: [Dubowitz]\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(r.len(), 3);
        assert_eq!(r.get("nyt").unwrap().kind, SourceKind::Publication);
        assert_eq!(r.get("fdd").unwrap().kind, SourceKind::Organisation);
        assert_eq!(r.get("dubowitz").unwrap().aliases, vec!["Dubowitz"]);
        assert_eq!(
            r.get("dubowitz").unwrap().location,
            Location::at(SOURCES_FILE, 9, 1)
        );
    }

    #[test]
    fn bad_kind_affiliation_and_key_are_reported_where_they_are() {
        let (_, d) = parse(
            "a:\n  name: A\n  kind: publicaton\n  affilation: b\nb:\n  name: B\n  affiliation: nope\n",
        );
        let msgs: Vec<String> = d.iter().map(|x| x.to_string()).collect();
        assert_eq!(d.len(), 3, "{msgs:#?}");
        assert!(
            msgs.iter()
                .any(|m| m.contains(":3:3") && m.contains("did you mean `publication`"))
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains(":4:3") && m.contains("did you mean `affiliation`"))
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains(":5:1") && m.contains("\"nope\""))
        );
    }

    #[test]
    fn alias_collisions_and_unused_sources_warn() {
        let (mut r, d) = parse(
            "nyt:\n  name: The New York Times\nnytimes:\n  name: NYT\n  aliases: [New York Times]\nother:\n  name: O\n",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(!d[0].is_error());
        assert!(d[0].message.contains("\"nyt\" and \"nytimes\""));
        let loc = Location::file("x.md");
        let d = r.check_references(
            [
                Reference {
                    key: "nyt",
                    location: &loc,
                },
                Reference {
                    key: "nytimes",
                    location: &loc,
                },
            ],
            false,
        );
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("\"other\" is not referred to"));
    }

    #[test]
    fn unknown_keys_are_errors_unless_auto_sources() {
        let (mut r, _) = parse("nyt:\n  name: NYT\n");
        let loc = Location::at("x.md", 4, 1);
        let d = r.check_references(
            [Reference {
                key: "nyy",
                location: &loc,
            }],
            false,
        );
        assert_eq!(d.len(), 2); // the unknown key, and nyt unused
        assert!(d[0].is_error());
        assert_eq!(d[0].help.as_deref(), Some("did you mean `nyt`?"));
        let d = r.check_references(
            [
                Reference {
                    key: "nyt",
                    location: &loc,
                },
                Reference {
                    key: "blog-x",
                    location: &loc,
                },
            ],
            true,
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(r.get("blog-x").unwrap().auto);
    }
}
