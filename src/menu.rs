//! The site's navigation, read by the render stage: site.yaml's `menu:`
//! resolved against the loaded site, or (without one) the top-level
//! sections followed by the pages whose front matter says `menu: true`.
//!
//! Resolution never fails: an entry naming nothing is left out of the
//! links, and [`check`] reports it (with a did-you-mean) when the site is
//! loaded.

use std::path::Path;

use serde::Serialize;

use crate::config::{MenuEntry, MenuTarget};
use crate::error::{Diagnostic, suggestion};
use crate::load::CONTENT_DIR;
use crate::model::Site;

/// One link of the navigation, as templates see it (`site.menu`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MenuLink {
    pub title: String,
    pub url: String,
    /// `section`, `page` or `url`: a section's link stays current on every
    /// page under it.
    pub kind: &'static str,
}

/// The navigation links, in order.
pub fn links(site: &Site) -> Vec<MenuLink> {
    let config = &site.config;
    if config.menu.is_empty() {
        let sections = site.home.subsections.iter().map(|&i| {
            let s = &site.sections[i];
            MenuLink {
                title: s.title.clone(),
                url: config.url(&s.path),
                kind: "section",
            }
        });
        let pages = site.documents.iter().filter(|d| d.menu).map(|d| MenuLink {
            title: d.title.clone(),
            url: config.url(&d.path),
            kind: "page",
        });
        return sections.chain(pages).collect();
    }
    config
        .menu
        .iter()
        .filter_map(|e| resolve(site, e).ok())
        .collect()
}

/// A diagnostic for every `menu:` entry that names no section or page.
pub fn check(site: &Site) -> Vec<Diagnostic> {
    site.config
        .menu
        .iter()
        .filter_map(|e| resolve(site, e).err())
        .collect()
}

fn resolve(site: &Site, entry: &MenuEntry) -> Result<MenuLink, Diagnostic> {
    let config = &site.config;
    match &entry.target {
        MenuTarget::Section(folder) => site
            .sections
            .iter()
            .find(|s| s.folder == *folder)
            .map(|s| MenuLink {
                title: entry.title.clone().unwrap_or_else(|| s.title.clone()),
                url: config.url(&s.path),
                kind: "section",
            })
            .ok_or_else(|| {
                let known = site.sections.iter().map(|s| s.folder.as_str());
                not_found(entry, format!("there is no section content/{folder}/")).with_help(
                    suggestion(folder, known).unwrap_or_else(|| {
                        "a section is a folder under content/, written without `content/`".into()
                    }),
                )
            }),
        MenuTarget::Page(file) => {
            let rel = file.trim_start_matches("./");
            let rel = rel.strip_prefix("content/").unwrap_or(rel);
            let wanted = Path::new(CONTENT_DIR).join(rel);
            site.documents
                .iter()
                .find(|d| d.file == wanted)
                .map(|d| MenuLink {
                    title: entry.title.clone().unwrap_or_else(|| d.title.clone()),
                    url: config.url(&d.path),
                    kind: "page",
                })
                .ok_or_else(|| {
                    let names: Vec<String> = site
                        .documents
                        .iter()
                        .filter_map(|d| d.file.strip_prefix(CONTENT_DIR).ok())
                        .map(|p| p.to_string_lossy().into_owned())
                        .collect();
                    not_found(entry, format!("there is no page content/{rel}"))
                        .with_help(suggestion(rel, names.iter().map(String::as_str)).unwrap_or_else(
                            || "a page is a Markdown file under content/, written without `content/`".into(),
                        ))
                })
        }
        MenuTarget::Url(url) => Ok(MenuLink {
            title: entry.title.clone().unwrap_or_else(|| url.clone()),
            url: match url.strip_prefix('/') {
                Some(path) if !path.starts_with('/') => config.url(path),
                _ => url.clone(),
            },
            kind: "url",
        }),
    }
}

fn not_found(entry: &MenuEntry, what: String) -> Diagnostic {
    Diagnostic::error(Some(entry.location.clone()), format!("menu entry: {what}"))
}
