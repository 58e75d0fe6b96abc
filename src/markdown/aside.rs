//! The margin note's markup comes from the theme: the `partials/note.html`
//! template renders each `<aside>`, so a theme can change it. The default
//! theme's partial writes the markup contract of DESIGN §4.
//!
//! Notes are rendered while documents are, before the page templates are
//! loaded, so the partial is compiled on its own, once per build, from
//! where the page templates would take it: the site's `templates/`, then
//! its theme's, then the built-in default theme. A syntax error in it is
//! also reported by the template loader; this falls back to the default.

use std::path::Path;
use std::sync::OnceLock;

use serde::Serialize;

/// The template name of the margin-note partial.
pub const NOTE_PARTIAL: &str = "partials/note.html";

/// What the partial gets as `note`.
#[derive(Debug, Serialize)]
pub struct AsideCtx<'a> {
    /// The aside's id is `note-{id}`.
    pub id: &'a str,
    pub number: usize,
    /// The id the number links back to (the passage, or the reference).
    pub back: &'a str,
    pub kind: Option<&'a str>,
    pub footnote: bool,
    /// The note rendered to HTML.
    pub body: &'a str,
    pub author: Option<&'a str>,
    pub date: Option<DateCtx>,
    pub sources: Vec<SourceRef<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DateCtx {
    pub iso: String,
    pub display: String,
}

/// A source a note cites; `url` is `None` for a key the registry does not
/// know (shown as written).
#[derive(Debug, Serialize)]
pub struct SourceRef<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub url: Option<String>,
}

/// The compiled partial.
pub struct NoteTemplate {
    tera: tera::Tera,
}

impl NoteTemplate {
    /// Compiles a partial's text; the error says what is wrong.
    pub fn new(text: &str) -> Result<NoteTemplate, String> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.add_raw_template(NOTE_PARTIAL, text)
            .map_err(|e| error_chain(&e))?;
        Ok(NoteTemplate { tera })
    }

    /// The default theme's partial.
    pub fn builtin() -> &'static NoteTemplate {
        static T: OnceLock<NoteTemplate> = OnceLock::new();
        T.get_or_init(|| {
            let text = crate::theme::TEMPLATES
                .iter()
                .find(|(n, _)| *n == NOTE_PARTIAL)
                .map_or("", |(_, t)| t);
            // A unit test compiles the built-in partial; an empty template
            // is the fallback that cannot fail.
            NoteTemplate::new(text).unwrap_or_else(|_| NoteTemplate {
                tera: tera::Tera::default(),
            })
        })
    }

    /// The partial a site's pages would use: its own `templates/`, then its
    /// theme's, then the default. `None` means the default
    /// ([`NoteTemplate::builtin`]). Symlinks are not followed, as the
    /// template loader does not follow them.
    pub fn for_site(root: &Path, theme: &str) -> Option<NoteTemplate> {
        let candidates = [
            root.join("templates").join(NOTE_PARTIAL),
            root.join("themes")
                .join(theme)
                .join("templates")
                .join(NOTE_PARTIAL),
        ];
        let file = candidates
            .iter()
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))?;
        let text = std::fs::read_to_string(file).ok()?;
        NoteTemplate::new(&text).ok()
    }

    /// One aside.
    pub fn render(&self, note: &AsideCtx) -> Result<String, String> {
        let mut ctx = tera::Context::new();
        ctx.insert("note", note);
        self.tera
            .render(NOTE_PARTIAL, &ctx)
            .map_err(|e| error_chain(&e))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        msg.push_str(": ");
        msg.push_str(&c.to_string());
        cause = c.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_partial_compiles_and_escapes() {
        let text = crate::theme::TEMPLATES
            .iter()
            .find(|(n, _)| *n == NOTE_PARTIAL)
            .map(|(_, t)| *t)
            .unwrap();
        let t = NoteTemplate::new(text).unwrap();
        let h = t
            .render(&AsideCtx {
                id: "n1",
                number: 3,
                back: "n1",
                kind: Some("a\"<b"),
                footnote: false,
                body: "<p>x</p>",
                author: None,
                date: None,
                sources: vec![SourceRef {
                    key: "k",
                    name: "A & B",
                    kind: "person",
                    url: Some("https://e.example/sources/k/".into()),
                }],
            })
            .unwrap();
        assert_eq!(
            h,
            "<aside class=\"margin-note\" id=\"note-n1\" role=\"note\" data-kind=\"a&quot;&lt;b\" aria-label=\"Note 3\">\n\
             <a class=\"note-number\" href=\"#n1\" aria-label=\"Note 3, back to its passage\">3</a><span class=\"note-kind\">a&quot;&lt;b</span>\n\
             <div class=\"note-body\"><p>x</p></div>\n\
             <p class=\"note-sources\">Source: <a class=\"source\" data-source-kind=\"person\" href=\"https://e.example/sources/k/\">A &amp; B</a></p>\n\
             </aside>\n"
        );
        assert!(NoteTemplate::new("{% if %}").is_err());
    }
}
