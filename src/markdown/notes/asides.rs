//! The data each `<aside>` is made from (DESIGN §4): a note's kind label,
//! rating, sources, date and thread, handed to the theme's note partial
//! ([`crate::markdown::aside`]), which writes the markup.

use std::path::Path;

use super::Plan;
use crate::error::{Diagnostic, Location};
use crate::markdown::aside::{AsideCtx, DateCtx, NOTE_PARTIAL, NoteTemplate, RatingCtx, SourceRef};

/// What readers see for the note kind `key`: its declared label, or the
/// key when the site declares none.
pub(super) fn kind_label<'a>(kinds: &'a [crate::config::NoteKind], key: &'a str) -> &'a str {
    kinds
        .iter()
        .find(|k| k.key == key)
        .map_or(key, |k| k.label.as_str())
}

/// The thread under a note: each reply's text (plain text, paragraphs at
/// blank lines, escaped), its author and date, oldest first.
pub(super) fn replies_html(h: &mut String, replies: &[crate::model::Reply]) {
    use crate::html::escape_into;
    if replies.is_empty() {
        return;
    }
    h.push_str("<ol class=\"note-replies\" aria-label=\"Replies\">\n");
    for r in replies {
        h.push_str("<li class=\"note-reply\">");
        for para in r
            .text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            h.push_str("<p>");
            escape_into(h, para);
            h.push_str("</p>");
        }
        if r.author.is_some() || r.date.is_some() {
            h.push_str("<p class=\"note-meta\">");
            if let Some(a) = &r.author {
                h.push_str("<span class=\"note-author\">");
                escape_into(h, a);
                h.push_str("</span>");
            }
            if let Some(d) = &r.date {
                h.push_str(&format!(
                    " <time datetime=\"{}\">{}</time>",
                    d.iso(),
                    d.display()
                ));
            }
            h.push_str("</p>");
        }
        h.push_str("</li>\n");
    }
    h.push_str("</ol>\n");
}

impl Plan {
    /// Builds every `<aside>` once the bodies are rendered, through the
    /// theme's partial. A note the partial fails on is reported at its line
    /// (`sidecar`) and left without an aside.
    pub(in crate::markdown) fn build_asides(
        &mut self,
        base_url: &str,
        sources: &crate::sources::Registry,
        kinds: &[crate::config::NoteKind],
        template: &NoteTemplate,
        sidecar: &Path,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut by_number: Vec<(usize, usize, String)> = Vec::new();
        let mut failed = |line: usize, e: String| {
            diagnostics.push(
                Diagnostic::error(
                    Some(Location::at(sidecar, line, 0)),
                    format!("the margin-note template {NOTE_PARTIAL} failed on this note: {e}"),
                )
                .with_help("fix the theme's partials/note.html (the default theme's shows what it is given)"),
            )
        };
        for a in &self.notes {
            let n = &self.input_notes[a.source];
            if n.bare_highlight {
                continue;
            }
            // A thread under the note (imported Hypothesis replies) is part
            // of what the partial prints as the note's body.
            let body = if n.replies.is_empty() {
                std::borrow::Cow::Borrowed(a.body_html.as_str())
            } else {
                let mut b = a.body_html.clone();
                replies_html(&mut b, &n.replies);
                std::borrow::Cow::Owned(b)
            };
            let ctx = AsideCtx {
                id: &n.id,
                number: a.number,
                back: &n.id,
                kind: n.kind.as_deref(),
                kind_label: n.kind.as_deref().map(|k| kind_label(kinds, k)),
                footnote: false,
                body: &body,
                rating: n.rating.as_ref().map(RatingCtx::of),
                author: n.author.as_deref(),
                date: n.date.as_ref().map(|d| DateCtx {
                    iso: d.iso(),
                    display: d.display(),
                }),
                sources: n
                    .sources
                    .iter()
                    .map(|key| match sources.get(key) {
                        Some(s) => SourceRef {
                            key,
                            name: &s.name,
                            kind: s.kind.as_str(),
                            url: Some(format!("{base_url}sources/{}/", s.slug)),
                        },
                        None => SourceRef {
                            key,
                            name: key,
                            kind: "",
                            url: None,
                        },
                    })
                    .collect(),
            };
            match template.render(&ctx) {
                Ok(h) => by_number.push((a.block_insert, a.number, h)),
                Err(e) => failed(n.line, e),
            }
        }
        for f in &self.footnotes {
            let id = format!("fn-{}", f.key);
            let back = format!("fnref-{}", f.key);
            let ctx = AsideCtx {
                id: &id,
                number: f.number,
                back: &back,
                kind: Some("footnote"),
                kind_label: Some(kind_label(kinds, "footnote")),
                footnote: true,
                body: &f.body_html,
                rating: None,
                author: None,
                date: None,
                sources: Vec::new(),
            };
            match template.render(&ctx) {
                Ok(h) => by_number.push((f.insert_at.unwrap_or(usize::MAX), f.number, h)),
                Err(e) => failed(0, e),
            }
        }
        by_number.sort_by_key(|(at, num, _)| (*at, *num));
        for (at, _, h) in by_number {
            if at == usize::MAX {
                self.end_asides.push(h);
            } else {
                self.asides.entry(at).or_default().push(h);
            }
        }
    }
}
