//! Tera setup: the embedded default theme, a theme folder on disk, and the
//! site's own `templates/` overriding single files, loaded once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tera::{Context, Kwargs, State, Tera, TeraResult};
use walkdir::WalkDir;

use crate::error::{Diagnostic, Location, suggestion};
use crate::paths::{check_inside, is_ignored_name};
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
    /// The templates a document's body may be spliced into
    /// ([`Templates::writes_content_whole`]), found once.
    content_whole: std::collections::HashSet<String>,
}

/// Every file under `dir`, as (path relative to `dir` with `/`, full path);
/// nothing, and an error, when `dir` leads outside the site root.
fn files_in(root: &Path, dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Err(d) = check_inside(root, dir) {
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
            if let Err(d) = check_inside(root, &theme_dir) {
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
            content_whole: Default::default(),
        };
        if let Err(e) = t
            .tera
            .add_raw_templates(texts.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        {
            return Err(vec![t.diagnostic(&e)]);
        }
        t.texts = texts.into_iter().collect();
        t.content_whole = t
            .texts
            .keys()
            .filter(|name| {
                t.named_from(name).iter().all(|n| {
                    t.texts
                        .get(n)
                        .is_none_or(|text| content_written_whole(text))
                })
            })
            .cloned()
            .collect();
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
        let deps = self.named_from(name);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for d in &deps {
            d.hash(&mut h);
            self.texts.get(d).hash(&mut h);
        }
        h.finish()
    }

    /// Template `name` and every template it names (`extends`, `include`,
    /// `import`), transitively.
    fn named_from(&self, name: &str) -> std::collections::BTreeSet<String> {
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
                return deps;
            }
        }
    }

    /// Whether a document page rendered with template `name` may have its
    /// body spliced in ([`Templates::render_spliced`]): the template and
    /// those it names write `page.content` only whole, as
    /// `{{ page.content | safe }}`, and use `page` only through its fields.
    pub fn writes_content_whole(&self, name: &str) -> bool {
        self.content_whole.contains(name)
    }

    /// Renders `name` with a context whose page body is `marker`, and
    /// writes it to `w` with `body` in the marker's place: the body is
    /// never copied into the context (a 200 MB article's page took another
    /// copy of its HTML at its peak). `Ok(false)`, and nothing written, when
    /// the marker is not in the page exactly once; the page must then be
    /// rendered with the body in its context.
    pub fn render_spliced(
        &self,
        name: &str,
        ctx: &Context,
        marker: &str,
        body: &str,
        w: &mut dyn std::io::Write,
    ) -> Result<bool, Diagnostic> {
        let around = self.render(name, ctx)?;
        let Some((before, after)) = around.split_once(marker) else {
            return Ok(false);
        };
        if after.contains(marker) {
            return Ok(false);
        }
        let origin = Path::new(self.origin(name).unwrap_or(name));
        [before, body, after]
            .iter()
            .try_for_each(|part| w.write_all(part.as_bytes()))
            .map_err(|e| {
                Diagnostic::io(origin, "write the page rendered from this template", &e)
            })?;
        Ok(true)
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

/// Whether a template's tags read `page.content` only as a whole
/// `{{ page.content | safe }}` and `page` only as `page.<field>` (a
/// conservative reading: anything else, `page` passed whole, a filter on
/// the body or a filter section, a tag that does not parse here, answers
/// no).
fn content_written_whole(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open..];
        let close = match rest.as_bytes().get(1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                rest = &rest[1..];
                continue;
            }
        };
        let Some(len) = rest[2..].find(close) else {
            return false;
        };
        let inner = &rest[2..2 + len];
        rest = &rest[2 + len + 2..];
        if close == "#}" {
            continue;
        }
        // A filter section would change the marker, not the body.
        if close == "%}" && inner.trim_matches('-').trim_start().starts_with("filter") {
            return false;
        }
        let whole = inner
            .trim_matches('-')
            .split('|')
            .map(str::trim)
            .collect::<Vec<_>>();
        if close == "}}" && whole == ["page.content", "safe"] {
            continue;
        }
        if !page_used_by_field(inner) {
            return false;
        }
    }
    true
}

/// Whether `page` appears in a tag's text (outside string literals) only
/// as `page.<field>`, and never as `page.content`.
fn page_used_by_field(tag: &str) -> bool {
    let b = tag.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'"' | b'\'' | b'`') {
            match tag[i + 1..].find(c as char) {
                Some(n) => i += n + 2,
                None => return false,
            }
            continue;
        }
        if !is_ident(c) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let after_dot = start > 0 && b[start - 1] == b'.';
        if &tag[start..i] == "page" && !after_dot {
            let field_start = i + 1;
            let mut j = field_start;
            while j < b.len() && is_ident(b[j]) {
                j += 1;
            }
            if b.get(i) != Some(&b'.') || j == field_start || &tag[field_start..j] == "content" {
                return false;
            }
        }
    }
    true
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
    let date = crate::model::Date::parse(value)
        .ok_or_else(|| tera::Error::message(format!("date filter: {value:?} is not a date")))?;
    let mut out = String::new();
    use std::fmt::Write;
    write!(out, "{}", date.datetime.format(format))
        .map_err(|_| tera::Error::message(format!("date filter: bad format {format:?}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{content_written_whole, smart_punctuation};

    #[test]
    fn the_default_themes_pages_have_their_body_spliced_in() {
        let root = tempfile::tempdir().unwrap();
        let t = super::Templates::load(root.path(), "default").unwrap();
        assert!(t.writes_content_whole("article.html"));
        assert!(t.writes_content_whole("page.html"));
    }

    #[test]
    fn the_body_is_spliced_only_where_it_is_written_whole() {
        assert!(content_written_whole(
            "{% extends \"base.html\" %}<h1>{{ page.title | smart }}</h1>\n\
             {%- if page.toc %}x{% endif %}{{- page.content|safe -}} aria-current=\"page\" {# page #}"
        ));
        for text in [
            "{{ page.content }}",
            "{{ page.content | safe | upper }}",
            "{% if page.content %}x{% endif %}",
            "{{ page | json_encode }}",
            "{% set p = page %}{{ p.content | safe }}",
            "{{ page[\"content\"] | safe }}",
            "{{ macros::body(page=page) }}",
            "{{ page.content | safe }}{{ page.content | length }}",
            "{{ \"}}\" ~ page.content }}",
            "{{ page.title",
            "{% filter trim %}{{ page.content | safe }}{% endfilter %}",
        ] {
            assert!(!content_written_whole(text), "{text}");
        }
    }

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
