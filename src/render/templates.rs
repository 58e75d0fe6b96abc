//! Tera setup: the embedded default theme, a theme folder on disk, and the
//! site's own `templates/` overriding single files, loaded once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tera::{Context, Kwargs, State, Tera, TeraResult};
use walkdir::WalkDir;

use crate::error::{Diagnostic, Location, suggestion};
use crate::load::is_ignored_name;
use crate::theme;

/// Where a theme static file comes from.
#[derive(Debug, Clone)]
pub enum StaticSource {
    Embedded(&'static [u8]),
    /// Relative to the site root.
    Disk(PathBuf),
}

/// The site's templates, ready to render.
pub struct Templates {
    tera: Tera,
    /// (output path, source) of the theme's static files.
    pub static_files: Vec<(String, StaticSource)>,
    /// Template name → the file it came from, for messages.
    origins: HashMap<String, String>,
    /// Template name → its text, to tell what a reload changed.
    texts: HashMap<String, String>,
}

/// Every file under `dir`, as (path relative to `dir` with `/`, full path);
/// nothing, and an error, when `dir` leads outside the site root.
fn files_in(root: &Path, dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Err(d) = crate::load::check_inside(root, dir) {
        diags.push(d);
        return out;
    }
    for e in WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored_name(&e.file_name().to_string_lossy()))
        .filter_map(Result::ok)
    {
        if !e.file_type().is_file() {
            continue;
        }
        if let Ok(rel) = e.path().strip_prefix(dir)
            && let Some(s) = rel.to_str()
        {
            out.push((s.replace('\\', "/"), e.path().to_path_buf()));
        }
    }
    out
}

impl Templates {
    /// Loads the templates of `theme` for the site at `root`.
    pub fn load(root: &Path, theme_name: &str) -> Result<Templates, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut origins: HashMap<String, String> = HashMap::new();
        let mut static_files: Vec<(String, StaticSource)> = Vec::new();

        for (name, text) in theme::TEMPLATES {
            texts.push((name.to_string(), text.to_string()));
            origins.insert(
                name.to_string(),
                format!("themes/default/templates/{name} (built in)"),
            );
        }
        for (name, bytes) in theme::STATIC {
            static_files.push((name.to_string(), StaticSource::Embedded(bytes)));
        }

        let theme_dir = root.join("themes").join(theme_name);
        if theme_dir.is_dir() {
            if let Err(d) = crate::load::check_inside(root, &theme_dir) {
                return Err(vec![d]);
            }
            let rel_base = Path::new("themes").join(theme_name);
            for (name, path) in files_in(root, &theme_dir.join("templates"), &mut diags) {
                let rel = rel_base.join("templates").join(&name);
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        set(&mut texts, &name, text);
                        origins.insert(name, rel.display().to_string());
                    }
                    Err(e) => diags.push(Diagnostic::io(&rel, "read this template", &e)),
                }
            }
            for (name, _) in files_in(root, &theme_dir.join("static"), &mut diags) {
                let rel = rel_base.join("static").join(&name);
                match static_files.iter_mut().find(|(n, _)| *n == name) {
                    Some(entry) => entry.1 = StaticSource::Disk(rel),
                    None => static_files.push((name, StaticSource::Disk(rel))),
                }
            }
        } else if theme_name != "default" {
            let mut available: Vec<String> = vec!["default".into()];
            if let Ok(rd) = std::fs::read_dir(root.join("themes")) {
                available.extend(
                    rd.filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .filter_map(|e| e.file_name().to_str().map(str::to_string)),
                );
            }
            let mut d = Diagnostic::error(
                Some(Location::file(crate::config::CONFIG_FILE)),
                format!("there is no theme {theme_name:?}: no folder themes/{theme_name}/"),
            );
            d.help = Some(
                suggestion(theme_name, available.iter().map(String::as_str))
                    .unwrap_or_else(|| format!("available themes: {}", available.join(", "))),
            );
            return Err(vec![d]);
        }

        // The site's own templates/ overrides single files of its theme.
        for (name, path) in files_in(root, &root.join("templates"), &mut diags) {
            let rel = Path::new("templates").join(&name);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    set(&mut texts, &name, text);
                    origins.insert(name, rel.display().to_string());
                }
                Err(e) => diags.push(Diagnostic::io(&rel, "read this template", &e)),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }

        let mut tera = Tera::new();
        tera.autoescape_on([".html", ".htm", ".xml"]);
        tera.register_filter("date", date_filter);
        tera.register_filter("smart", smart_filter);
        let mut t = Templates {
            tera,
            static_files,
            origins,
            texts: HashMap::new(),
        };
        if let Err(e) = t
            .tera
            .add_raw_templates(texts.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        {
            return Err(vec![t.diagnostic(&e)]);
        }
        t.texts = texts.into_iter().collect();
        Ok(t)
    }

    /// The templates whose text differs between `self` and `older`
    /// (including ones added or removed).
    pub fn changed_since(&self, older: &Templates) -> Vec<String> {
        let mut names: Vec<String> = self
            .texts
            .iter()
            .filter(|(n, t)| older.texts.get(*n) != Some(*t))
            .map(|(n, _)| n.clone())
            .chain(
                older
                    .texts
                    .keys()
                    .filter(|n| !self.texts.contains_key(*n))
                    .cloned(),
            )
            .collect();
        names.sort();
        names
    }

    /// Every template whose output may change when the templates `changed`
    /// change: those, and the ones that name them (`extends`, `include`,
    /// `import`), transitively. A template "names" another when the other's
    /// name appears in it as a quoted string, which over-approximates (a
    /// page re-rendered for nothing), never under-approximates.
    pub fn dependents(&self, changed: &[String]) -> std::collections::HashSet<String> {
        let mut out: std::collections::HashSet<String> = changed.iter().cloned().collect();
        loop {
            let before = out.len();
            for (name, text) in &self.texts {
                if out.contains(name) {
                    continue;
                }
                let names_one = out.iter().any(|dep| {
                    text.contains(&format!("\"{dep}\"")) || text.contains(&format!("'{dep}'"))
                });
                if names_one {
                    out.insert(name.clone());
                }
            }
            if out.len() == before {
                return out;
            }
        }
    }

    /// A fingerprint of template `name` and of every template it names
    /// (`extends`, `include`, `import`), transitively: when it differs,
    /// what the template renders may differ.
    pub fn fingerprint(&self, name: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut deps = std::collections::BTreeSet::from([name.to_string()]);
        loop {
            let before = deps.len();
            let named: Vec<String> = deps
                .iter()
                .filter_map(|d| self.texts.get(d))
                .flat_map(|text| {
                    self.texts.keys().filter(move |n| {
                        text.contains(&format!("\"{n}\"")) || text.contains(&format!("'{n}'"))
                    })
                })
                .cloned()
                .collect();
            deps.extend(named);
            if deps.len() == before {
                break;
            }
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for d in &deps {
            d.hash(&mut h);
            self.texts.get(d).hash(&mut h);
        }
        h.finish()
    }

    pub fn render(&self, name: &str, ctx: &Context) -> Result<String, Diagnostic> {
        self.tera.render(name, ctx).map_err(|e| self.diagnostic(&e))
    }

    /// [`Templates::render`], written to `w` as it is rendered.
    pub fn render_to(
        &self,
        name: &str,
        ctx: &Context,
        w: &mut dyn std::io::Write,
    ) -> Result<(), Diagnostic> {
        self.tera
            .render_to(name, ctx, w)
            .map_err(|e| self.diagnostic(&e))
    }

    /// The file a template came from, for messages
    /// (`themes/default/templates/x.html (built in)`).
    pub fn origin(&self, name: &str) -> Option<&str> {
        self.origins.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    /// The names of every loaded template.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        self.tera.get_template_names()
    }

    pub fn static_bytes(&self, i: usize, root: &Path) -> Result<Vec<u8>, Diagnostic> {
        match &self.static_files[i].1 {
            StaticSource::Embedded(b) => Ok(b.to_vec()),
            StaticSource::Disk(rel) => {
                std::fs::read(root.join(rel)).map_err(|e| Diagnostic::io(rel, "read this file", &e))
            }
        }
    }

    /// A Tera error as a diagnostic at the template's file, line and column.
    fn diagnostic(&self, e: &tera::Error) -> Diagnostic {
        use std::error::Error as _;
        let (location, mut message) = match e.kind() {
            tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
                let name = r.filename();
                let file = self
                    .origins
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.to_string());
                let span = r.span();
                (
                    Some(Location::at(file, span.start_line, span.start_col + 1)),
                    format!("template error: {}", r.message()),
                )
            }
            other => (None, format!("template error: {other}")),
        };
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Diagnostic::error(location, message)
    }
}

/// `{{ page.title | smart }}`: curly quotes, dashes and ellipses, as
/// Markdown bodies get them (pulldown-cmark's smart punctuation), for text
/// that does not go through Markdown: titles, source names, descriptions.
/// For display only: structured data keeps the text as written.
fn smart_filter(value: &str, _: Kwargs, _: &State) -> String {
    smart_punctuation(value)
}

/// Straight quotes to curly ones (opening after a space, an opening bracket
/// or dash, or at the start; closing otherwise, so an apostrophe inside a
/// word is a closing single quote), `---` to an em dash, `--` to an en dash
/// and `...` to an ellipsis.
pub fn smart_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = out.chars().next_back();
        let opens = prev.is_none_or(|p| {
            p.is_whitespace()
                || matches!(
                    p,
                    '(' | '[' | '{' | '\u{2014}' | '\u{2013}' | '\u{201c}' | '\u{2018}' | '/'
                )
        });
        match c {
            '"' => out.push(if opens { '\u{201c}' } else { '\u{201d}' }),
            '\'' => out.push(if opens { '\u{2018}' } else { '\u{2019}' }),
            '-' if chars.get(i + 1) == Some(&'-') => {
                if chars.get(i + 2) == Some(&'-') {
                    out.push('\u{2014}');
                    i += 2;
                } else {
                    out.push('\u{2013}');
                    i += 1;
                }
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                out.push('\u{2026}');
                i += 2;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn set(texts: &mut Vec<(String, String)>, name: &str, text: String) {
    match texts.iter_mut().find(|(n, _)| n == name) {
        Some(entry) => entry.1 = text,
        None => texts.push((name.to_string(), text)),
    }
}

/// `{{ page.date | date(format="%Y") }}`: formats an ISO date (the context
/// carries dates as `2021-05-04` or RFC 3339) with chrono's strftime codes.
fn date_filter(value: &str, kwargs: Kwargs, _: &State) -> TeraResult<String> {
    let format: &str = kwargs.get("format")?.unwrap_or("%-d %B %Y");
    let date = crate::frontmatter::Date::parse(value)
        .ok_or_else(|| tera::Error::message(format!("date filter: {value:?} is not a date")))?;
    let mut out = String::new();
    use std::fmt::Write;
    write!(out, "{}", date.datetime.format(format))
        .map_err(|_| tera::Error::message(format!("date filter: bad format {format:?}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::smart_punctuation;

    #[test]
    fn smart_punctuation_as_bodies_get_it() {
        assert_eq!(
            smart_punctuation("Obama-era officials met Iran's Zarif"),
            "Obama-era officials met Iran\u{2019}s Zarif"
        );
        assert_eq!(
            smart_punctuation("\"the Times\" (unidentified)"),
            "\u{201c}the Times\u{201d} (unidentified)"
        );
        assert_eq!(
            smart_punctuation("'quoted' -- a pause --- and... '90s"),
            "\u{2018}quoted\u{2019} \u{2013} a pause \u{2014} and\u{2026} \u{2018}90s"
        );
        assert_eq!(smart_punctuation("(\"a\")"), "(\u{201c}a\u{201d})");
        assert_eq!(smart_punctuation(""), "");
    }
}
