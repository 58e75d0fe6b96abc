//! The outputs that are data rather than pages: Atom feeds, the sitemap,
//! robots.txt, the W3C Web Annotation collection and the search index.
//! Written in code, not templates, so escaping is never left to chance.

use std::io::Write;

use serde::Serialize;

use super::{Job, Renderer};
use crate::html::escape;
use crate::model::{Document, Site};
use crate::routes;

/// The date a feed entry carries: its `date`, else when it was archived.
/// An article with neither is left out of feeds (the build warns).
fn entry_date(d: &Document) -> Option<&crate::model::Date> {
    d.date.as_ref().or(d.archived.as_ref())
}

/// The newest date in a set of documents, for a feed's `updated` (the
/// epoch only for a feed with no entries, which Atom still needs dated).
fn newest<'a>(docs: impl Iterator<Item = &'a Document>) -> String {
    docs.filter_map(entry_date)
        .max_by_key(|d| d.datetime)
        .map_or_else(|| "1970-01-01T00:00:00+00:00".to_string(), |d| d.rfc3339())
}

/// An entry's or feed's `<id>`: its URL when `base_url` gives one; else a
/// `urn:uuid:` made from the site title and the path (Atom ids must be
/// absolute, and links may stay relative to the feed).
pub(super) fn atom_id(config: &crate::config::Config, path: &str) -> String {
    if config.base_url_is_set {
        return config.url(path);
    }
    let hash = |salt: &[u8]| {
        let mut h = fnv::FnvHasher::default();
        std::hash::Hasher::write(&mut h, salt);
        std::hash::Hasher::write(&mut h, config.title.as_bytes());
        std::hash::Hasher::write(&mut h, b"\0");
        std::hash::Hasher::write(&mut h, path.as_bytes());
        std::hash::Hasher::finish(&h)
    };
    let (a, b) = (hash(b"a"), hash(b"b"));
    // A version-8 (custom) UUID: the version and variant bits set.
    let a = (a & !0xf000) | 0x8000;
    let b = (b & !(0xc000 << 48)) | (0x8000 << 48);
    format!(
        "urn:uuid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// An Atom feed of `docs` (newest first).
fn feed(r: &Renderer, title: &str, self_path: &str, alternate: &str, docs: &[usize]) -> String {
    let site: &Site = r.site;
    let config = &site.config;
    let entries: Vec<&Document> = docs
        .iter()
        .map(|&i| &site.documents[i])
        .filter(|d| entry_date(d).is_some())
        .take(config.feed_limit)
        .collect();
    let updated = newest(entries.iter().copied());
    let mut x = String::with_capacity(1024 + entries.len() * 1024);
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        escape(&config.language)
    ));
    x.push_str(&format!("  <title>{}</title>\n", escape(title)));
    if let Some(d) = &config.description {
        x.push_str(&format!("  <subtitle>{}</subtitle>\n", escape(d)));
    }
    let self_url = config.url(self_path);
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&self_url)
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(alternate)
    ));
    x.push_str(&format!(
        "  <id>{}</id>\n",
        escape(&atom_id(config, self_path))
    ));
    x.push_str(&format!("  <updated>{updated}</updated>\n"));
    x.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        escape(config.author.as_deref().unwrap_or(&config.title))
    ));
    x.push_str(&format!(
        "  <generator version=\"{}\">marginalia</generator>\n",
        env!("CARGO_PKG_VERSION")
    ));
    for d in entries {
        let url = config.url(&d.path);
        let date = entry_date(d).map_or_else(|| updated.clone(), |x| x.rfc3339());
        x.push_str("  <entry>\n");
        x.push_str(&format!("    <title>{}</title>\n", escape(&d.title)));
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&url)
        ));
        x.push_str(&format!(
            "    <id>{}</id>\n",
            escape(&atom_id(config, &d.path))
        ));
        x.push_str(&format!(
            "    <published>{date}</published>\n    <updated>{date}</updated>\n"
        ));
        for a in &d.authors {
            x.push_str(&format!(
                "    <author><name>{}</name></author>\n",
                escape(a)
            ));
        }
        for t in &d.tags {
            x.push_str(&format!("    <category term=\"{}\"/>\n", escape(t)));
        }
        if let Some(s) = d.source.as_deref().and_then(|k| site.registry.get(k)) {
            x.push_str(&format!(
                "    <source><title>{}</title>{}</source>\n",
                escape(&s.name),
                s.url
                    .as_deref()
                    .map(|u| format!("<link href=\"{}\"/>", escape(u)))
                    .unwrap_or_default()
            ));
        }
        let summary = if d.summary_html.is_empty() {
            escape(d.description_or_summary())
        } else {
            d.summary_html.clone()
        };
        x.push_str(&format!(
            "    <summary type=\"html\">{}</summary>\n",
            escape(&summary)
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

pub fn site_feed(r: &Renderer) -> String {
    let site = r.site;
    feed(
        r,
        &site.config.title,
        routes::FEED,
        &site.config.url(""),
        &site.home.articles,
    )
}

/// A source's feed: articles from it and articles whose notes cite it.
pub fn source_feed(r: &Renderer, i: usize) -> String {
    let site = r.site;
    let s = &site.registry.all()[i];
    let uses = &site.source_uses[i];
    let mut docs: Vec<usize> = uses.articles.clone();
    docs.extend(uses.notes.iter().map(|n| n.doc));
    // Document indices are in date order (newest first).
    docs.sort_unstable();
    docs.dedup();
    let title = format!("{} — {}", s.name, site.config.title);
    feed(
        r,
        &title,
        &routes::source_feed_path(&s.slug),
        &site.config.url(&routes::source_dir(&s.slug)),
        &docs,
    )
}

/// The most URLs one sitemap file may list (the sitemap protocol's
/// limit). A site with more gets a sitemap index (`sitemap.xml`) pointing
/// at `sitemap-1.xml`, `sitemap-2.xml`, … The environment variable
/// `MARGINALIA_SITEMAP_MAX_URLS` lowers it, so tests can split a small
/// site; it is not a documented setting.
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// The most annotations one `AnnotationPage` holds. An article with more
/// notes gets several pages (`annotations.jsonld`, `annotations-2.jsonld`,
/// …). `MARGINALIA_ANNOTATION_PAGE_SIZE` lowers it, for tests.
pub const ANNOTATION_PAGE_MAX: usize = 1_000;

/// A limit, lowered (never raised) by a hidden environment variable.
fn limit(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .map_or(default, |n| n.min(default))
}

pub fn sitemap_limit() -> usize {
    limit("MARGINALIA_SITEMAP_MAX_URLS", SITEMAP_MAX_URLS)
}

pub fn annotation_page_limit() -> usize {
    limit("MARGINALIA_ANNOTATION_PAGE_SIZE", ANNOTATION_PAGE_MAX)
}

/// How many sitemap files a split sitemap of `urls` URLs has (0: one
/// plain `sitemap.xml`).
pub fn sitemap_parts(urls: usize) -> usize {
    let max = sitemap_limit();
    if urls <= max { 0 } else { urls.div_ceil(max) }
}

/// Every URL of the sitemap, in order, with its last modification date:
/// the routes of `jobs` that have a place in it
/// ([`routes::Route::sitemap_rank`]),
/// a document's with its date.
pub fn sitemap_urls(r: &Renderer, jobs: &[Job]) -> Vec<(String, Option<String>)> {
    let mut urls: Vec<(u8, String, Option<String>)> = jobs
        .iter()
        .filter_map(|job| {
            let route = r.route(job);
            let rank = route.sitemap_rank()?;
            let lastmod = match job {
                Job::Document(i) => r.site.documents[*i]
                    .date
                    .as_ref()
                    .map(|x| x.datetime.format("%Y-%m-%d").to_string()),
                _ => None,
            };
            Some((rank, route.url_path(), lastmod))
        })
        .collect();
    urls.sort_by_key(|u| u.0);
    urls.into_iter().map(|(_, url, m)| (url, m)).collect()
}

fn urlset(r: &Renderer, urls: &[(String, Option<String>)]) -> String {
    let config = &r.site.config;
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, lastmod) in urls {
        x.push_str(&format!("  <url><loc>{}</loc>", escape(&config.url(path))));
        if let Some(m) = lastmod {
            x.push_str(&format!("<lastmod>{m}</lastmod>"));
        }
        x.push_str("</url>\n");
    }
    x.push_str("</urlset>\n");
    x
}

/// The path of sitemap file `k` (1-based) of a split sitemap.
pub fn sitemap_part_path(k: usize) -> String {
    routes::Route::SitemapPart { k }.path()
}

/// `sitemap.xml`: every URL, or, past [`SITEMAP_MAX_URLS`], a sitemap
/// index of the split files.
pub fn sitemap(r: &Renderer) -> String {
    let site = r.site;
    let urls = r.sitemap_urls();
    let parts = sitemap_parts(urls.len());
    if parts == 0 {
        return urlset(r, urls);
    }
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for k in 1..=parts {
        x.push_str(&format!(
            "  <sitemap><loc>{}</loc></sitemap>\n",
            escape(&site.config.url(&sitemap_part_path(k)))
        ));
    }
    x.push_str("</sitemapindex>\n");
    x
}

/// Sitemap file `k` (1-based) of a split sitemap.
pub fn sitemap_part(r: &Renderer, k: usize) -> String {
    let max = sitemap_limit();
    let urls = r.sitemap_urls();
    let from = ((k.max(1) - 1) * max).min(urls.len());
    urlset(r, &urls[from..(from + max).min(urls.len())])
}

pub fn robots(r: &Renderer) -> String {
    let config = &r.site.config;
    let mut s = String::from("User-agent: *\nDisallow:\n");
    if config.base_url.starts_with("http") {
        s.push_str(&format!("Sitemap: {}\n", config.url(routes::SITEMAP)));
    }
    s
}

// The Web Annotation JSON-LD, as typed structs that borrow from the site:
// the file holds every note, so no intermediate JSON tree is built.

#[derive(Serialize)]
struct Collection<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    label: String,
    total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last: Option<String>,
}

#[derive(Serialize)]
struct AnnotationPage<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "partOf")]
    part_of: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Item<'a> {
    Note(Annotation<'a>),
    Reply(ReplyAnnotation<'a>),
}

/// A reply in a note's thread: an annotation of the note itself (model
/// 3.1: motivation `replying`, its target the note's IRI).
#[derive(Serialize)]
struct ReplyAnnotation<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    motivation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<Agent<'a>>,
    body: Body<'a>,
    target: String,
}

fn reply<'a>(
    site: &'a Site,
    note_id: &str,
    i: usize,
    r: &'a crate::model::Reply,
) -> ReplyAnnotation<'a> {
    ReplyAnnotation {
        id: format!("{note_id}-reply-{}", i + 1),
        kind: "Annotation",
        motivation: "replying",
        created: r.date.as_ref().map(|date| {
            date.datetime
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        }),
        creator: r.author.as_deref().map(|name| Agent {
            kind: "Person",
            name,
        }),
        body: Body::Text {
            kind: "TextualBody",
            value: &r.text,
            format: Some("text/plain"),
            language: Some(&site.config.language),
            purpose: "replying",
        },
        target: note_id.to_string(),
    }
}

#[derive(Serialize)]
struct Annotation<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    motivation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<Agent<'a>>,
    body: Vec<Body<'a>>,
    target: Target<'a>,
}

#[derive(Serialize)]
struct Agent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Body<'a> {
    Text {
        #[serde(rename = "type")]
        kind: &'static str,
        value: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        format: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        language: Option<&'a str>,
        purpose: &'static str,
    },
    /// A web page cannot carry a purpose itself (test suite MUST
    /// 3.3.5-bodyEWRNoPurpose; model 4.1): the purpose goes on a
    /// SpecificResource whose source is the source's page.
    Link {
        #[serde(rename = "type")]
        kind: &'static str,
        purpose: &'static str,
        source: WebPage,
    },
}

#[derive(Serialize)]
struct WebPage {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    format: &'static str,
}

#[derive(Serialize)]
struct Target<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    source: String,
    selector: QuoteSelector<'a>,
}

#[derive(Serialize)]
struct QuoteSelector<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    exact: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    prefix: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    suffix: &'a str,
}

/// One note as a W3C Web Annotation.
fn annotation<'a>(
    site: &'a Site,
    d: &'a Document,
    page_url: &str,
    n: &'a crate::model::Note,
) -> Annotation<'a> {
    let config = &site.config;
    let mut body = vec![Body::Text {
        kind: "TextualBody",
        value: &n.body_html,
        format: Some("text/html"),
        language: Some(&config.language),
        purpose: "commenting",
    }];
    for t in &n.tags {
        body.push(Body::Text {
            kind: "TextualBody",
            value: t,
            format: None,
            language: None,
            purpose: "tagging",
        });
    }
    for s in n.sources.iter().filter_map(|k| site.registry.get(k)) {
        body.push(Body::Link {
            kind: "SpecificResource",
            purpose: "linking",
            source: WebPage {
                id: config.url(&routes::source_dir(&s.slug)),
                kind: "Text",
                format: "text/html",
            },
        });
    }
    // The model wants xsd:dateTime in UTC, written with "Z"
    // (Web Annotation Data Model §3.3.1), not the author's offset.
    let created = n.date.as_ref().or(d.date.as_ref()).map(|date| {
        date.datetime
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    });
    // A note written on an earlier snapshot targets that snapshot, with
    // the quote as it was anchored there (DESIGN §10).
    let written_on = n.version.as_deref().and_then(|v| {
        let s = d
            .versions
            .as_ref()?
            .snapshots
            .iter()
            .find(|s| s.stem == v)?;
        let there = s.notes.iter().find(|x| x.id == n.id)?;
        let url = routes::Route::Snapshot {
            dir: d.path.clone(),
            stem: s.stem.clone(),
        }
        .url(config);
        Some((url, there))
    });
    let (target_url, anchored) = match written_on {
        Some((url, there)) => (url, there),
        None => (page_url.to_string(), n),
    };
    Annotation {
        id: format!("{page_url}#note-{}", n.id),
        kind: "Annotation",
        motivation: "commenting",
        created,
        creator: n
            .author
            .as_deref()
            .or(config.author.as_deref())
            .map(|name| Agent {
                kind: "Person",
                name,
            }),
        body,
        target: Target {
            kind: "SpecificResource",
            source: target_url,
            selector: QuoteSelector {
                kind: "TextQuoteSelector",
                exact: &anchored.quote,
                prefix: &anchored.prefix,
                suffix: &anchored.suffix,
            },
        },
    }
}

/// How many annotation pages document `d` has (0 without notes).
pub fn annotation_pages(d: &Document) -> usize {
    d.note_count().div_ceil(annotation_page_limit())
}

/// The site path of annotation page `part` (1-based) of a document at
/// site path `doc_path`: `annotations.jsonld` beside its page, then
/// `annotations-2.jsonld`, …
pub fn annotation_page_path(doc_path: &str, part: usize) -> String {
    routes::annotation_page_path(doc_path, part)
}

/// The annotation page before page `part` of document `doc`, in site
/// order (documents in order, each one's pages in order).
pub(super) fn previous_page(site: &Site, doc: usize, part: usize) -> Option<(usize, usize)> {
    if part > 1 {
        return Some((doc, part - 1));
    }
    (0..doc)
        .rev()
        .map(|j| (j, annotation_pages(&site.documents[j])))
        .find(|&(_, n)| n > 0)
}

/// The annotation page after page `part` of document `doc`.
pub(super) fn next_page(site: &Site, doc: usize, part: usize) -> Option<(usize, usize)> {
    if part < annotation_pages(&site.documents[doc]) {
        return Some((doc, part + 1));
    }
    (doc + 1..site.documents.len())
        .find(|&j| annotation_pages(&site.documents[j]) > 0)
        .map(|j| (j, 1))
}

fn page_url(site: &Site, (doc, part): (usize, usize)) -> String {
    site.config
        .url(&annotation_page_path(&site.documents[doc].path, part))
}

/// `/annotations.jsonld`: the W3C Web Annotation `AnnotationCollection` of
/// every sidecar note (https://www.w3.org/TR/annotation-model/ §5). The
/// notes themselves are in per-article `AnnotationPage`s
/// ([`annotation_page`]) that `first`/`last` and each page's `next`/`prev`
/// chain together in site order, so no file grows with the archive.
pub fn write_annotations(r: &Renderer, w: &mut dyn Write) -> std::io::Result<()> {
    let site = r.site;
    let config = &site.config;
    let collection_id = config.url(routes::ANNOTATIONS);
    // Replies are annotations too (of their note), counted in the total.
    let total: usize = site
        .documents
        .iter()
        .filter(|d| d.note_count() > 0)
        .map(|d| d.note_count() + d.note_facts(&site.registry).replies as usize)
        .sum();
    let first = site
        .documents
        .iter()
        .position(|d| annotation_pages(d) > 0)
        .map(|j| (j, 1));
    let last = site
        .documents
        .iter()
        .rposition(|d| annotation_pages(d) > 0)
        .map(|j| (j, annotation_pages(&site.documents[j])));
    let doc = Collection {
        context: "http://www.w3.org/ns/anno.jsonld",
        id: &collection_id,
        kind: "AnnotationCollection",
        label: format!("Notes of {}", config.title),
        total,
        // A page holds one or more annotations (model 5.2), so a site
        // without notes has a collection with no page.
        first: first.map(|p| page_url(site, p)),
        last: last.map(|p| page_url(site, p)),
    };
    write_json(w, &doc)?;
    w.write_all(b"\n")
}

/// [`write_annotations`] into a string.
pub fn annotations(r: &Renderer) -> String {
    let mut out = Vec::new();
    let _ = write_annotations(r, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Annotation page `part` (1-based) of document `doc`: at most
/// [`ANNOTATION_PAGE_MAX`] of its notes, `partOf` the site's collection.
/// It names only its neighbours, not its place in the whole list
/// (`startIndex` is optional), so editing one sidecar changes one file.
pub fn annotation_page(
    r: &Renderer,
    doc: usize,
    part: usize,
) -> Result<String, crate::error::Diagnostic> {
    let site = r.site;
    let d = &site.documents[doc];
    let per = annotation_page_limit();
    let doc_url = site.config.url(&d.path);
    let from = (part.max(1) - 1) * per;
    let notes = d.read_notes()?;
    // A note's replies ride on its page, right after it.
    let items = notes
        .all()
        .skip(from)
        .take(per)
        .flat_map(|n| {
            let note = annotation(site, d, &doc_url, n);
            let note_id = note.id.clone();
            std::iter::once(Item::Note(note)).chain(
                n.replies
                    .iter()
                    .enumerate()
                    .map(move |(i, r)| Item::Reply(reply(site, &note_id, i, r))),
            )
        })
        .collect();
    let page = AnnotationPage {
        context: "http://www.w3.org/ns/anno.jsonld",
        id: page_url(site, (doc, part)),
        kind: "AnnotationPage",
        part_of: site.config.url(routes::ANNOTATIONS),
        prev: previous_page(site, doc, part).map(|p| page_url(site, p)),
        next: next_page(site, doc, part).map(|p| page_url(site, p)),
        items,
    };
    let mut out = Vec::new();
    let _ = write_json(&mut out, &page);
    out.push(b'\n');
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// Writes compact JSON with `<`, `>` and `&` inside strings as `\\u`
/// escapes: the same data, but archived text can never become markup if a
/// page embeds the file (and a reader skimming it sees no raw tags).
pub(super) fn write_json<T: Serialize>(w: &mut dyn Write, value: &T) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, SafeFormatter);
    value.serialize(&mut ser).map_err(std::io::Error::other)
}

struct SafeFormatter;

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, b) in fragment.bytes().enumerate() {
            let esc: &[u8] = match b {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(esc)?;
            start = i + 1;
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}
