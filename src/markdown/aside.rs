//! The margin note's markup comes from the theme: the `partials/note.html`
//! template renders each `<aside>`, so a theme can change it. The default
//! theme's partial writes the markup contract of DESIGN §4.
//!
//! Notes are rendered while documents are, before the page templates are
//! loaded, so the partial is compiled on its own, once per build, from
//! where the page templates would take it: the site's `templates/`, then
//! its theme's, then the built-in default theme. A syntax error in it is
//! also reported by the template loader; this falls back to the default.
//!
//! A large archive has tens of thousands of notes. The default partial is
//! known to print its values as they are, so it is rendered once per
//! *shape* of note (which fields are present, how many sources) with
//! placeholders, and each note then fills in its escaped values; a test
//! checks this gives what rendering each note would. A theme's own partial
//! may do anything with the values, so it is rendered for every note.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock, RwLock};

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
    /// What readers see for `kind`: its declared `label` (site.yaml's
    /// `kinds:`), or the key itself.
    pub kind_label: Option<&'a str>,
    pub footnote: bool,
    /// The note rendered to HTML.
    pub body: &'a str,
    /// A fact-check verdict on the quoted claim (DESIGN §11).
    pub rating: Option<RatingCtx>,
    pub author: Option<&'a str>,
    pub date: Option<DateCtx>,
    pub sources: Vec<SourceRef<'a>>,
}

/// A note's rating as the partial prints it: the label, and the value on
/// its scale when the scale is known (numbers already written out, so the
/// badge reads the same in every theme).
#[derive(Debug, Serialize)]
pub struct RatingCtx {
    pub label: String,
    pub scale: Option<ScaleCtx>,
}

#[derive(Debug, Serialize)]
pub struct ScaleCtx {
    pub value: String,
    pub worst: String,
    pub best: String,
}

impl RatingCtx {
    pub fn of(r: &crate::model::Rating) -> RatingCtx {
        RatingCtx {
            label: r.label.clone(),
            scale: match (&r.value, &r.worst, &r.best) {
                (Some(v), Some(w), Some(b)) => Some(ScaleCtx {
                    value: v.to_string(),
                    worst: w.to_string(),
                    best: b.to_string(),
                }),
                _ => None,
            },
        }
    }
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
    /// Renderings by shape, for the default partial only (see the module
    /// docs); `None` for a theme's.
    shapes: Option<RwLock<HashMap<Shape, Arc<Vec<Piece>>>>>,
}

/// Which fields a note has: what the default partial's output depends on
/// besides the values themselves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Shape {
    kind: bool,
    kind_label: bool,
    footnote: bool,
    author: bool,
    date: bool,
    /// `None` unrated; else whether the rating has a scale.
    rating: Option<bool>,
    /// Whether each source has a URL.
    sources: Vec<bool>,
}

/// A piece of a rendering by shape: text as rendered, or a value to fill in.
#[derive(Debug)]
enum Piece {
    Text(String),
    Value(usize),
}

/// Placeholders survive HTML escaping: private-use characters around an index.
const OPEN: char = '\u{f8f0}';
const CLOSE: char = '\u{f8f1}';

impl NoteTemplate {
    /// Compiles a partial's text; the error says what is wrong.
    pub fn new(text: &str) -> Result<NoteTemplate, String> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.add_raw_template(NOTE_PARTIAL, text)
            .map_err(|e| error_chain(&e))?;
        Ok(NoteTemplate { tera, shapes: None })
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
            let mut t = NoteTemplate::new(text).unwrap_or_else(|_| NoteTemplate {
                tera: tera::Tera::default(),
                shapes: None,
            });
            t.shapes = Some(RwLock::new(HashMap::new()));
            t
        })
    }

    /// The partial a site's pages would use: its own `templates/`, then its
    /// theme's, then the default. `None` means the default
    /// ([`NoteTemplate::builtin`]). Symlinks are not followed, as the
    /// template loader does not follow them.
    pub fn for_site(root: &Path, theme: &str) -> Option<NoteTemplate> {
        let text = std::fs::read_to_string(NoteTemplate::site_file(root, theme)?).ok()?;
        NoteTemplate::new(&text).ok()
    }

    /// The file [`NoteTemplate::for_site`] reads, if any (the build cache
    /// keys each kept document on it).
    pub fn site_file(root: &Path, theme: &str) -> Option<std::path::PathBuf> {
        let candidates = [
            root.join("templates").join(NOTE_PARTIAL),
            root.join("themes")
                .join(theme)
                .join("templates")
                .join(NOTE_PARTIAL),
        ];
        candidates
            .into_iter()
            .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
    }

    /// One aside.
    pub fn render(&self, note: &AsideCtx) -> Result<String, String> {
        let Some(shapes) = &self.shapes else {
            return self.render_each(note);
        };
        let shape = Shape {
            kind: note.kind.is_some(),
            kind_label: note.kind_label.is_some(),
            footnote: note.footnote,
            author: note.author.is_some(),
            date: note.date.is_some(),
            rating: note.rating.as_ref().map(|r| r.scale.is_some()),
            sources: note.sources.iter().map(|s| s.url.is_some()).collect(),
        };
        let cached = shapes.read().ok().and_then(|m| m.get(&shape).cloned());
        let pieces = match cached {
            Some(p) => p,
            None => {
                let p = Arc::new(self.render_shape(note)?);
                if let Ok(mut m) = shapes.write() {
                    m.insert(shape, p.clone());
                }
                p
            }
        };
        let values = values(note);
        let mut out = String::with_capacity(note.body.len() + 400);
        for piece in pieces.iter() {
            match piece {
                Piece::Text(t) => out.push_str(t),
                // The body is HTML, printed `| safe`; the rest escaped.
                Piece::Value(0) => out.push_str(note.body),
                Piece::Value(i) => {
                    crate::html::escape_into(&mut out, values.get(*i).map_or("", String::as_str))
                }
            }
        }
        Ok(out)
    }

    /// Renders `note`'s shape with a placeholder for each value and splits
    /// the result at them.
    fn render_shape(&self, note: &AsideCtx) -> Result<Vec<Piece>, String> {
        let n = values(note).len();
        let ph: Vec<String> = (0..n).map(|i| format!("{OPEN}{i}{CLOSE}")).collect();
        let at = |i: usize| ph[i].as_str();
        let mut sources = Vec::new();
        let mut k = FIXED_VALUES;
        for s in &note.sources {
            sources.push(SourceRef {
                key: at(k),
                name: at(k + 1),
                kind: at(k + 2),
                url: s.url.as_ref().map(|_| at(k + 3).to_string()),
            });
            k += 4;
        }
        let shaped = AsideCtx {
            id: at(1),
            number: 0,
            back: at(3),
            kind: note.kind.map(|_| at(4)),
            kind_label: note.kind_label.map(|_| at(12)),
            footnote: note.footnote,
            body: at(0),
            rating: note.rating.as_ref().map(|r| RatingCtx {
                label: at(8).to_string(),
                scale: r.scale.as_ref().map(|_| ScaleCtx {
                    value: at(9).to_string(),
                    worst: at(10).to_string(),
                    best: at(11).to_string(),
                }),
            }),
            author: note.author.map(|_| at(5)),
            date: note.date.as_ref().map(|_| DateCtx {
                iso: at(6).to_string(),
                display: at(7).to_string(),
            }),
            sources,
        };
        // The number is a number in the context: rendered with a marker
        // value, then swapped for its placeholder.
        let text = self.render_each(&AsideCtx {
            number: NUMBER_MARK,
            ..shaped
        })?;
        let text = text.replace(&NUMBER_MARK.to_string(), at(2));
        let mut pieces = Vec::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(OPEN) {
            let after = &rest[i + OPEN.len_utf8()..];
            let Some(j) = after.find(CLOSE) else { break };
            let Ok(index) = after[..j].parse::<usize>() else {
                break;
            };
            pieces.push(Piece::Text(rest[..i].to_string()));
            pieces.push(Piece::Value(index));
            rest = &after[j + CLOSE.len_utf8()..];
        }
        pieces.push(Piece::Text(rest.to_string()));
        Ok(pieces)
    }

    fn render_each(&self, note: &AsideCtx) -> Result<String, String> {
        let mut ctx = tera::Context::new();
        ctx.insert("note", note);
        self.tera
            .render(NOTE_PARTIAL, &ctx)
            .map_err(|e| error_chain(&e))
    }
}

/// The values of a note, by placeholder index: body, id, number, back,
/// kind, author, date iso, date display, rating label, value, worst, best,
/// kind label, then key, name, kind and url of each source.
fn values(note: &AsideCtx) -> Vec<String> {
    let mut v = vec![
        String::new(),
        note.id.to_string(),
        note.number.to_string(),
        note.back.to_string(),
        note.kind.unwrap_or_default().to_string(),
        note.author.unwrap_or_default().to_string(),
        note.date
            .as_ref()
            .map_or_else(String::new, |d| d.iso.clone()),
        note.date
            .as_ref()
            .map_or_else(String::new, |d| d.display.clone()),
    ];
    let rating = note.rating.as_ref();
    let scale = rating.and_then(|r| r.scale.as_ref());
    v.extend([
        rating.map_or_else(String::new, |r| r.label.clone()),
        scale.map_or_else(String::new, |s| s.value.clone()),
        scale.map_or_else(String::new, |s| s.worst.clone()),
        scale.map_or_else(String::new, |s| s.best.clone()),
        note.kind_label.unwrap_or_default().to_string(),
    ]);
    for s in &note.sources {
        v.extend([
            s.key.to_string(),
            s.name.to_string(),
            s.kind.to_string(),
            s.url.clone().unwrap_or_default(),
        ]);
    }
    v
}

/// How many values come before the sources'.
const FIXED_VALUES: usize = 13;

/// A number no note has, to find where the number is printed.
const NUMBER_MARK: usize = 9_876_543_210;

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
                kind_label: Some("Claim & \"c\""),
                footnote: false,
                body: "<p>x</p>",
                rating: None,
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
             <a class=\"note-number\" href=\"#n1\" aria-label=\"Note 3, back to its passage\">3</a><span class=\"note-kind\">Claim &amp; &quot;c&quot;</span>\n\
             <div class=\"note-body\"><p>x</p></div>\n\
             <p class=\"note-sources\">Source: <a class=\"source\" data-source-kind=\"person\" href=\"https://e.example/sources/k/\">A &amp; B</a></p>\n\
             </aside>\n"
        );
        assert!(NoteTemplate::new("{% if %}").is_err());
    }

    #[test]
    fn rendering_by_shape_equals_rendering_each_note() {
        let builtin = NoteTemplate::builtin();
        let date = || DateCtx {
            iso: "2021-05-04".into(),
            display: "4 May 2021".into(),
        };
        let source = |url: bool| SourceRef {
            key: "k&",
            name: "A <b> & \"B\"",
            kind: "person",
            url: url.then(|| "https://e.example/sources/k/?a=1&b=2".into()),
        };
        let notes = [
            AsideCtx {
                id: "n1",
                number: 1,
                back: "n1",
                kind: None,
                kind_label: None,
                footnote: false,
                body: "<p>x</p>\n",
                rating: None,
                author: None,
                date: None,
                sources: vec![],
            },
            AsideCtx {
                id: "n2",
                number: 12,
                back: "n2",
                kind: Some("a\"<k"),
                kind_label: Some("A <label>"),
                footnote: false,
                body: "",
                rating: None,
                author: Some("Ann & Bo"),
                date: Some(date()),
                sources: vec![source(true), source(false)],
            },
            AsideCtx {
                id: "n3",
                number: 3,
                back: "n3",
                kind: Some("sourcing"),
                kind_label: Some("Sourcing"),
                footnote: false,
                body: "b",
                rating: None,
                author: None,
                date: Some(date()),
                sources: vec![source(true)],
            },
            AsideCtx {
                id: "fn-a",
                number: 4,
                back: "fnref-a",
                kind: Some("footnote"),
                kind_label: Some("footnote"),
                footnote: true,
                body: "<p>f</p>",
                rating: None,
                author: None,
                date: None,
                sources: vec![],
            },
            // The same shapes again, from the cache, with other values.
            AsideCtx {
                id: "n5",
                number: 987,
                back: "n5",
                kind: Some("x"),
                kind_label: Some("X & Y"),
                footnote: false,
                body: "<em>e</em>",
                rating: None,
                author: Some("C"),
                date: Some(date()),
                sources: vec![source(true), source(false)],
            },
        ];
        for n in &notes {
            assert_eq!(
                builtin.render(n).unwrap(),
                builtin.render_each(n).unwrap(),
                "{n:?}"
            );
        }
    }
}
