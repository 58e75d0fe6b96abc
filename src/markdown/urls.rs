//! URL rewriting: links and images of the Markdown become site URLs
//! (content files by path → their pages, relative files → under the page's
//! folder, root-relative paths → under base_url), unsafe ones are dropped
//! with a warning, and every URL written into the page, raw HTML's
//! included, is recorded where it is written for `check`.

use std::collections::VecDeque;
use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{Event, LinkType, Tag, TagEnd};

use super::stream::{Extension, Item};
use super::{Env, Input};
use crate::error::{Diagnostic, LineIndex, Location};
use crate::model::{InternalLink, WrittenLink};
use crate::url::{UrlUse, is_safe_url_for, percent_decode};

/// Rewrites URLs for one document, and keeps what it found: links to other
/// pages, every written URL, and the problems.
pub(super) struct Rewriter<'e> {
    pub input: &'e Input<'e>,
    pub env: &'e Env<'e>,
    pub lines: &'e mut Option<LineIndex>,
    /// Set while rendering a note: problems point at the note's line.
    pub fixed_location: Option<Location>,
    pub internal_links: Vec<InternalLink>,
    pub written_links: Vec<WrittenLink>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'e> Rewriter<'e> {
    pub fn new(input: &'e Input<'e>, env: &'e Env<'e>, lines: &'e mut Option<LineIndex>) -> Self {
        Rewriter {
            input,
            env,
            lines,
            fixed_location: None,
            internal_links: Vec::new(),
            written_links: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    fn location(&mut self, body_offset: usize) -> Location {
        if let Some(loc) = &self.fixed_location {
            return loc.clone();
        }
        let lines = self
            .lines
            .get_or_insert_with(|| LineIndex::new(self.input.file_text));
        let (line, col) =
            lines.line_col(self.input.file_text, self.input.body_offset + body_offset);
        Location::at(self.input.file, line, col)
    }

    /// Rewrites a link or image URL (see [`Rewriter::rewrite`]) and
    /// records where the result is written.
    fn rewrite_url(
        &mut self,
        url: &str,
        link_type: LinkType,
        offset: usize,
        is_link: bool,
    ) -> Option<String> {
        let rewritten = self.rewrite(url, link_type, offset, is_link)?;
        let location = self.location(offset);
        self.written_links.push(WrittenLink {
            url: rewritten.clone(),
            location,
        });
        Some(rewritten)
    }

    /// Rewrites a link or image URL: content files by path → page URLs,
    /// relative files → URLs under `asset_base`, root-relative paths → under
    /// base_url. Unsafe URLs are dropped (with a warning) → `None`.
    fn rewrite(
        &mut self,
        url: &str,
        link_type: LinkType,
        offset: usize,
        is_link: bool,
    ) -> Option<String> {
        if matches!(link_type, LinkType::Email) {
            return Some(url.to_string());
        }
        let used = if is_link { UrlUse::Link } else { UrlUse::Image };
        if !is_safe_url_for(url, used) {
            let loc = self.location(offset);
            let what = if is_link { "link" } else { "image" };
            self.diagnostics.push(Diagnostic::warning(
                Some(loc),
                format!(
                    "{what} to an unsafe address removed: {:?}",
                    truncate(url, 60)
                ),
            ));
            return None;
        }
        let url = url.trim();
        if url.is_empty() || url.starts_with('#') || has_scheme(url) || url.starts_with("//") {
            return Some(url.to_string());
        }
        let (path, fragment) = match url.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (url, None),
        };
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let decoded = percent_decode(path).map_or_else(|| path.to_string(), |d| d.into_owned());
        if let Some(root_rel) = decoded.strip_prefix('/') {
            return Some(self.finish_url(root_rel, query, fragment));
        }
        // A Markdown file: a link to that page.
        if decoded.ends_with(".md") {
            let dir = self.input.file.parent().unwrap_or(Path::new(""));
            let target = normalise(&dir.join(&decoded));
            let found = target.as_ref().and_then(|t| self.env.links.get(t)).cloned();
            return match found {
                Some(site_path) => {
                    let loc = self.location(offset);
                    self.internal_links.push(InternalLink {
                        path: site_path.clone(),
                        fragment: fragment.map(str::to_string),
                        location: loc,
                    });
                    Some(self.finish_url(&site_path, query, fragment))
                }
                None => {
                    let loc = self.location(offset);
                    let shown = target.map_or_else(|| decoded.clone(), |t| t.display().to_string());
                    let mut d = Diagnostic::error(
                        Some(loc),
                        format!("link to {url:?}: there is no content file {shown}"),
                    );
                    d.help = crate::error::suggestion(
                        &shown,
                        self.env.links.keys().filter_map(|k| k.to_str()),
                    );
                    self.diagnostics.push(d);
                    Some(url.to_string())
                }
            };
        }
        // Any other relative path: resolved against the page's files.
        let joined = format!("{}{}", self.input.asset_base, decoded);
        let site_path = normalise_slash(&joined).unwrap_or(joined);
        Some(self.finish_url(&site_path, query, fragment))
    }

    fn finish_url(&self, site_path: &str, query: Option<&str>, fragment: Option<&str>) -> String {
        let mut s = String::with_capacity(self.env.base_url.len() + site_path.len() + 16);
        s.push_str(self.env.base_url);
        s.push_str(site_path.trim_start_matches('/'));
        if let Some(q) = query {
            s.push('?');
            s.push_str(q);
        }
        if let Some(f) = fragment {
            s.push('#');
            s.push_str(f);
        }
        s
    }
}

/// Rewrites the URL of each link and image (dropping an unsafe one with
/// its end tag, keeping its text), and records the URLs in raw HTML.
pub(super) struct Urls<'r, 'e> {
    rewriter: &'r mut Rewriter<'e>,
    /// For each open link and image: whether its start was dropped.
    dropped_links: Vec<bool>,
    dropped_images: Vec<bool>,
}

impl<'r, 'e> Urls<'r, 'e> {
    pub fn new(rewriter: &'r mut Rewriter<'e>) -> Self {
        Urls {
            rewriter,
            dropped_links: Vec::new(),
            dropped_images: Vec::new(),
        }
    }
}

impl<'a> Extension<'a> for Urls<'_, '_> {
    fn feed(&mut self, mut item: Item<'a>, out: &mut VecDeque<Item<'a>>) {
        if !item.is_author() {
            out.push_back(item);
            return;
        }
        let at = item.range.start;
        let is_link = matches!(
            item.event,
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link)
        );
        // A link and an image can nest; each keeps its own stack of
        // whether its start was dropped, so that its end goes with it.
        let dropped = if is_link {
            &mut self.dropped_links
        } else {
            &mut self.dropped_images
        };
        match &mut item.event {
            Event::Start(
                Tag::Link {
                    link_type,
                    dest_url,
                    ..
                }
                | Tag::Image {
                    link_type,
                    dest_url,
                    ..
                },
            ) => match self.rewriter.rewrite_url(dest_url, *link_type, at, is_link) {
                Some(url) => {
                    *dest_url = url.into();
                    dropped.push(false);
                    out.push_back(item);
                }
                None => dropped.push(true),
            },
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if !dropped.pop().unwrap_or(false) {
                    out.push_back(item);
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                for (url, pos) in crate::html::urls_in_html(h) {
                    let location = self.rewriter.location(at + pos.min(item.range.len()));
                    self.rewriter
                        .written_links
                        .push(WrittenLink { url, location });
                }
                out.push_back(item);
            }
            _ => out.push_back(item),
        }
    }
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) => {
            let scheme = &url[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `a/b/../c` → `a/c`; `None` when `..` climbs above the start.
fn normalise(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

fn normalise_slash(p: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    let mut s = parts.join("/");
    if p.ends_with('/') && !s.is_empty() {
        s.push('/');
    }
    Some(s)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}
