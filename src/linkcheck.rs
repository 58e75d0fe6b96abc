//! Link checking for `marginalia check`: every internal link of every
//! rendered page — from Markdown, notes, raw HTML or templates — must lead
//! to an output of the site, and its `#fragment` to an element of that page.
//!
//! Pages are read with an HTML tokenizer (html5gum), never with patterns
//! over the text. A link is internal when it is relative, root-relative, or
//! absolute under the site's `base_url`; other addresses are not fetched.
//!
//! Each problem is reported where it was written: the Markdown or sidecar
//! file (line and column) when the link is there, else the template that
//! rendered the page. A template link broken on many pages is one problem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use html5gum::{DefaultEmitter, Token, Tokenizer};
use rayon::prelude::*;

use crate::error::{Diagnostic, LineIndex, Location, suggestion};
use crate::html::url_attribute;
use crate::model::Site;
use crate::render::{Job, Templates};

/// What a rendered page holds, for checking.
#[derive(Default)]
struct PageFacts {
    ids: HashSet<String>,
    /// (attribute value as written, byte offset of its tag in the page)
    links: Vec<(String, usize)>,
}

fn facts(html: &[u8]) -> PageFacts {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut f = PageFacts::default();
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        let Token::StartTag(tag) = token else {
            continue;
        };
        let name: &[u8] = &tag.name;
        for (key, value) in &tag.attributes {
            let key: &[u8] = key;
            if key == b"id" || (name == b"a" && key == b"name") {
                f.ids
                    .insert(String::from_utf8_lossy(&value.value).into_owned());
            }
        }
        if let Some(attr) = url_attribute(name)
            && let Some(v) = tag.attributes.get(attr)
        {
            f.links.push((
                String::from_utf8_lossy(&v.value).into_owned(),
                tag.span.start,
            ));
        }
    }
    f
}

/// The path part of `base_url` (`/sub/` for `https://host/sub/`).
fn base_path(base_url: &str) -> &str {
    match base_url.find("://") {
        Some(i) => {
            let rest = &base_url[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        None => base_url,
    }
}

/// A link's path or fragment decoded, or as written when it does not
/// decode (then it names nothing, and the error shows it as typed).
fn decode(s: &str) -> String {
    crate::url::percent_decode(s)
        .unwrap_or(std::borrow::Cow::Borrowed(s))
        .into_owned()
}

/// Where an internal link leads: a site path (`articles/x/`, no leading
/// slash) and a fragment. `Err` for a path that climbs out of the site or
/// lies outside its base path; `Ok(None)` for an external link.
type Target = (String, Option<String>);

fn resolve(url: &str, page: &str, base_url: &str) -> Result<Option<Target>, String> {
    let url = url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(decode(f))),
        None => (url, None),
    };
    let rest = rest.split_once('?').map_or(rest, |(p, _)| p);
    let base = base_path(base_url);
    // The folder of the page, as a URL path.
    let page_dir = match page.rfind('/') {
        Some(i) => &page[..=i],
        None => "",
    };
    let absolute_path: String = if rest.is_empty() {
        format!("{base}{}", page.strip_suffix("index.html").unwrap_or(page))
    } else if rest.find(':').is_some_and(|i| {
        rest[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    }) {
        // An absolute URL: internal only under base_url.
        match rest.strip_prefix(base_url.trim_end_matches('/')) {
            Some(p) if base_url.contains("://") && (p.is_empty() || p.starts_with('/')) => {
                format!("{base}{}", p.trim_start_matches('/'))
            }
            _ => return Ok(None),
        }
    } else if let Some(r) = rest.strip_prefix("//") {
        // Scheme-relative: internal only for base_url's host.
        let host_base = base_url.split_once("://").map(|(_, h)| h);
        match host_base.and_then(|h| r.strip_prefix(h.trim_end_matches('/'))) {
            Some(p) => format!("{base}{}", p.trim_start_matches('/')),
            None => return Ok(None),
        }
    } else if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("{base}{page_dir}{rest}")
    };
    let decoded = decode(&absolute_path);
    let Some(inside) = decoded.strip_prefix(base) else {
        return Err(format!("it is outside the site's base path {base}"));
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in inside.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("it climbs out of the site".into());
                }
            }
            p => parts.push(p),
        }
    }
    let mut path = parts.join("/");
    if decoded.ends_with('/') && !path.is_empty() {
        path.push('/');
    }
    Ok(Some((path, fragment)))
}

/// The output file a site path names (`articles/x/` → `articles/x/index.html`).
fn output_file(path: &str) -> String {
    if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    }
}

/// One broken link, before it is placed.
struct Broken {
    page: String,
    written: String,
    offset: usize,
    message: String,
    help: Option<String>,
}

/// Checks every internal link of the rendered pages. `jobs` is the plan
/// the pages were rendered from; `files` what was rendered.
pub fn check(
    site: &Site,
    templates: &Templates,
    jobs: &[(String, Job)],
    files: &HashMap<String, Arc<Vec<u8>>>,
) -> Vec<Diagnostic> {
    let outputs: HashSet<&str> = jobs.iter().map(|(p, _)| p.as_str()).collect();
    let pages: BTreeMap<&str, PageFacts> = files
        .par_iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(p, bytes)| (p.as_str(), facts(bytes)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    let base_url = &site.config.base_url;

    let broken: Vec<Broken> = pages
        .par_iter()
        .flat_map_iter(|(page, f)| {
            let mut out = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for (written, offset) in &f.links {
                if !seen.insert(written.as_str()) {
                    continue;
                }
                let (path, fragment) = match resolve(written, page, base_url) {
                    Ok(Some(t)) => t,
                    Ok(None) => continue,
                    Err(why) => {
                        out.push(Broken {
                            page: page.to_string(),
                            written: written.clone(),
                            offset: *offset,
                            message: format!("link to {written:?}: {why}"),
                            help: None,
                        });
                        continue;
                    }
                };
                let file = output_file(&path);
                let target = if outputs.contains(file.as_str()) {
                    file
                } else if outputs.contains(format!("{path}/index.html").as_str()) {
                    format!("{path}/index.html")
                } else {
                    out.push(Broken {
                        page: page.to_string(),
                        written: written.clone(),
                        offset: *offset,
                        message: format!("link to {written:?}: there is no page /{path} on the site"),
                        help: suggestion(
                            &file,
                            outputs.iter().copied().filter(|p| p.ends_with(".html")),
                        )
                        .map(|s| s.replace("index.html", "")),
                    });
                    continue;
                };
                let Some(fragment) = fragment.filter(|f| !f.is_empty() && f != "top") else {
                    continue;
                };
                let Some(tp) = pages.get(target.as_str()) else {
                    continue;
                };
                if !tp.ids.contains(&fragment) {
                    let shown = target.trim_end_matches("index.html");
                    out.push(Broken {
                        page: page.to_string(),
                        written: written.clone(),
                        offset: *offset,
                        message: format!(
                            "link to {written:?}: the page /{shown} has no element with id {fragment:?}"
                        ),
                        help: suggestion(&fragment, tp.ids.iter().map(String::as_str)),
                    });
                }
            }
            out.into_iter()
        })
        .collect();
    place(site, templates, jobs, files, broken)
}

/// Turns broken links into diagnostics at the place they were written.
fn place(
    site: &Site,
    templates: &Templates,
    jobs: &[(String, Job)],
    files: &HashMap<String, Arc<Vec<u8>>>,
    mut broken: Vec<Broken>,
) -> Vec<Diagnostic> {
    let job_of: HashMap<&str, &Job> = jobs.iter().map(|(p, j)| (p.as_str(), j)).collect();
    let doc_of = |page: &str| match job_of.get(page) {
        Some(Job::Document(i)) => site.documents.get(*i),
        _ => None,
    };
    // Article pages first, so each problem lists its article's page first.
    broken.sort_by_key(|b| doc_of(&b.page).is_none());
    // Where each URL is written in Markdown or a sidecar, as the renderer
    // recorded it: on its article's page that article's place, on other
    // pages (listings showing a summary) the first document writing it.
    let mut written_in: HashMap<String, &Location> = HashMap::new();
    for d in &site.documents {
        for l in &d.written_links {
            written_in.entry(url_key(&l.url)).or_insert(&l.location);
        }
    }
    type Pages = Vec<(String, Option<usize>)>;
    let mut grouped: BTreeMap<(Option<Location>, String), (Option<String>, Pages)> =
        BTreeMap::new();
    for b in broken {
        let key = url_key(&b.written);
        let location = doc_of(&b.page)
            .and_then(|d| d.written_links.iter().find(|l| url_key(&l.url) == key))
            .map(|l| &l.location)
            .or_else(|| written_in.get(&key).copied())
            .cloned();
        let mut line = None;
        let location = location.or_else(|| {
            // From the template that rendered the page: say where in
            // the rendered page, since the template line is unknown.
            let job = job_of.get(b.page.as_str())?;
            let name = job.template(site)?;
            line = files.get(&b.page).map(|bytes| {
                let text = String::from_utf8_lossy(bytes);
                LineIndex::new(&text).line_col(&text, b.offset).0
            });
            Some(Location::file(templates.origin(name).unwrap_or(name)))
        });
        let entry = grouped
            .entry((location, b.message))
            .or_insert_with(|| (b.help.clone(), Vec::new()));
        entry.1.push((b.page, line));
    }
    grouped
        .into_iter()
        .map(|((location, message), (help, pages))| {
            let shown: Vec<String> = pages
                .iter()
                .take(3)
                .map(|(p, line)| {
                    let url = format!("/{}", p.trim_end_matches("index.html"));
                    match line {
                        Some(l) => format!("{url} (line {l} of the rendered page)"),
                        None => url,
                    }
                })
                .collect();
            let on = if pages.len() > 3 {
                format!("on {} pages, e.g. {}", pages.len(), shown.join(", "))
            } else {
                format!("on {}", shown.join(", "))
            };
            let mut d = Diagnostic::error(location, message).with_note(on);
            d.help = help;
            d
        })
        .collect()
}

/// A URL as written in Markdown and as read back from a page compare
/// equal after percent-decoding (the HTML writer escapes some characters).
fn url_key(url: &str) -> String {
    crate::url::percent_decode(url).map_or_else(|| url.to_string(), |u| u.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_against_the_page_and_base_url() {
        let b = "https://example.org/sub/";
        let t = |u: &str, page: &str| resolve(u, page, b);
        assert_eq!(
            t("https://example.org/sub/articles/x/#n1", "index.html"),
            Ok(Some(("articles/x/".into(), Some("n1".into()))))
        );
        assert_eq!(t("https://elsewhere.org/x", "index.html"), Ok(None));
        assert_eq!(t("mailto:a@b.c", "index.html"), Ok(None));
        assert_eq!(
            t("/sub/tags/", "index.html"),
            Ok(Some(("tags/".into(), None)))
        );
        assert_eq!(
            t("original.pdf", "articles/x/index.html"),
            Ok(Some(("articles/x/original.pdf".into(), None)))
        );
        assert_eq!(
            t("../y/", "articles/x/index.html"),
            Ok(Some(("articles/y/".into(), None)))
        );
        assert_eq!(
            t("#n2", "articles/x/index.html"),
            Ok(Some(("articles/x/".into(), Some("n2".into()))))
        );
        assert!(t("/other/", "index.html").is_err());
        assert!(t("../../../x", "articles/x/index.html").is_err());
        assert_eq!(
            t("/sub/a%20b.txt", "index.html"),
            Ok(Some(("a b.txt".into(), None)))
        );
        // A root-relative base.
        assert_eq!(
            resolve("/articles/x/", "index.html", "/"),
            Ok(Some(("articles/x/".into(), None)))
        );
    }

    #[test]
    fn ids_and_links_come_from_tags_not_text() {
        let f = facts(
            b"<p id=a>text <a href=\"/x/#y\">l</a> <!-- <a href=\"/hidden/\"> --> \
              <script>var s = '<a href=\"/in-script/\">';</script><a name=old></a><img src=i.png></p>",
        );
        assert!(f.ids.contains("a") && f.ids.contains("old"));
        let links: Vec<&str> = f.links.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(links, ["/x/#y", "i.png"]);
    }
}
