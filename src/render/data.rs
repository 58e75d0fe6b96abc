//! The outputs that are data rather than pages: Atom feeds, the sitemap,
//! robots.txt, the W3C Web Annotation collection and the search index.
//! Written in code, not templates, so escaping is never left to chance.

use std::io::Write;

use serde::Serialize;

use super::Renderer;
use crate::html::escape;
use crate::model::{Document, Site};
use crate::routes;

/// The date a feed entry carries: its `date`, else when it was archived.
/// An article with neither is left out of feeds (the build warns).
fn entry_date(d: &Document) -> Option<&crate::frontmatter::Date> {
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
fn atom_id(config: &crate::config::Config, path: &str) -> String {
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

pub fn sitemap(r: &Renderer) -> String {
    let site = r.site;
    let config = &site.config;
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut url = |path: &str, lastmod: Option<String>| {
        x.push_str(&format!("  <url><loc>{}</loc>", escape(&config.url(path))));
        if let Some(m) = lastmod {
            x.push_str(&format!("<lastmod>{m}</lastmod>"));
        }
        x.push_str("</url>\n");
    };
    url("", None);
    for d in &site.documents {
        url(
            &d.path,
            d.date
                .as_ref()
                .map(|x| x.datetime.format("%Y-%m-%d").to_string()),
        );
    }
    for s in &site.sections {
        url(&s.path, None);
    }
    url(routes::tags_dir(), None);
    for t in &site.tags {
        url(&routes::tag_dir(&t.slug), None);
    }
    url(routes::sources_dir(), None);
    for s in site.registry.all() {
        url(&routes::source_dir(&s.slug), None);
    }
    x.push_str("</urlset>\n");
    x
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
    first: Option<AnnotationPage<'a>>,
}

#[derive(Serialize)]
struct AnnotationPage<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "startIndex")]
    start_index: usize,
    items: Items<'a>,
}

/// Every note of the site as an annotation, made one at a time while the
/// file is written.
struct Items<'a>(&'a Site);

impl Serialize for Items<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let site = self.0;
        s.collect_seq(site.documents.iter().flat_map(|d| {
            let page_url = site.config.url(&d.path);
            d.notes
                .iter()
                .flat_map(move |n| {
                    let note = annotation(site, d, &page_url, n);
                    let note_id = note.id.clone();
                    let replies = n
                        .replies
                        .iter()
                        .enumerate()
                        .map(move |(i, r)| Item::Reply(reply(site, &note_id, i, r)));
                    std::iter::once(Item::Note(note))
                        .chain(replies)
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        }))
    }
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
    r: &'a crate::annotate::sidecar::Reply,
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
    n: &'a crate::markdown::Note,
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
            source: page_url.to_string(),
            selector: QuoteSelector {
                kind: "TextQuoteSelector",
                exact: &n.quote,
                prefix: &n.prefix,
                suffix: &n.suffix,
            },
        },
    }
}

/// Every sidecar note as a W3C Web Annotation, in one AnnotationCollection
/// with a single embedded page (https://www.w3.org/TR/annotation-model/),
/// written to `w` as it is made (the file holds every note of the archive).
pub fn write_annotations(r: &Renderer, w: &mut dyn Write) -> std::io::Result<()> {
    let site = r.site;
    let config = &site.config;
    let collection_id = config.url("annotations.jsonld");
    let replies: usize = site
        .documents
        .iter()
        .flat_map(|d| &d.notes)
        .map(|n| n.replies.len())
        .sum();
    let total = site.note_count() + replies;
    let doc = Collection {
        context: "http://www.w3.org/ns/anno.jsonld",
        id: &collection_id,
        kind: "AnnotationCollection",
        label: format!("Notes of {}", config.title),
        total,
        // A page holds one or more annotations (model 5.2), so a site
        // without notes has a collection with no page.
        first: (total > 0).then(|| AnnotationPage {
            id: format!("{collection_id}#page-1"),
            kind: "AnnotationPage",
            start_index: 0,
            items: Items(site),
        }),
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

#[derive(Serialize)]
struct SearchEntry<'a> {
    title: &'a str,
    url: String,
    date: Option<String>,
    source: Option<&'a str>,
    tags: &'a [String],
    summary: &'a str,
    notes: String,
}

/// The data the theme's search box reads: one entry per article and page.
pub fn write_search_index(r: &Renderer, w: &mut dyn Write) -> std::io::Result<()> {
    struct Entries<'a>(&'a Site);
    impl Serialize for Entries<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let site = self.0;
            s.collect_seq(site.documents.iter().map(|d| {
                SearchEntry {
                    title: &d.title,
                    url: site.config.url(&d.path),
                    date: d.date.as_ref().map(|x| x.iso()),
                    source: d
                        .source
                        .as_deref()
                        .and_then(|k| site.registry.get(k))
                        .map(|s| s.name.as_str()),
                    tags: &d.tags,
                    summary: d.description_or_summary(),
                    notes: d
                        .notes
                        .iter()
                        .map(|n| n.body_text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                }
            }))
        }
    }
    write_json(w, &Entries(r.site))
}

/// [`write_search_index`] into a string.
pub fn search_index(r: &Renderer) -> String {
    let mut out = Vec::new();
    let _ = write_search_index(r, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes compact JSON with `<`, `>` and `&` inside strings as `\\u`
/// escapes: the same data, but archived text can never become markup if a
/// page embeds the file (and a reader skimming it sees no raw tags).
fn write_json<T: Serialize>(w: &mut dyn Write, value: &T) -> std::io::Result<()> {
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
