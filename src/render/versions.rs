//! The pages of DESIGN §10: each earlier snapshot of an article, what
//! changed between its snapshots, `/changes/` and its Atom feed, and the
//! template context the latest page gets about its versions.

use serde::Serialize;
use tera::Context;

use super::Renderer;
use super::context::NoteCtx;
use crate::error::Diagnostic;
use crate::html::escape;
use crate::model::{Block, Change, Versions};
use crate::model::{Document, Site};
use crate::routes::Route;
use crate::versions::diff::pieces_html;

/// One version of an article, as a link.
#[derive(Serialize, Clone)]
pub struct VersionLink {
    /// Its name and URL segment (`2021-05-04`); the latest's capture date.
    pub name: String,
    pub url: String,
    pub archived: Option<String>,
    pub archived_display: Option<String>,
    pub latest: bool,
}

/// A note written on an earlier snapshot whose passage is no longer in
/// the latest (`data-state="changed"` on the latest page).
#[derive(Serialize)]
pub struct ChangedNoteCtx {
    #[serde(flatten)]
    pub note: NoteCtx,
    /// The snapshot it was written on.
    pub version: String,
    /// The passage as it read then.
    pub old_quote: String,
    /// The closest passage of the latest text, when anything is close.
    pub closest: Option<String>,
    /// How alike the two are, in percent.
    pub similarity: u32,
}

/// `page.versions` on the latest page of an article with snapshots.
#[derive(Serialize)]
pub struct VersionsCtx {
    /// How many versions, the latest included.
    pub count: usize,
    /// The diff page.
    pub changes_url: String,
    /// Every version, oldest first; the latest last.
    pub list: Vec<VersionLink>,
    pub changed_notes: Vec<ChangedNoteCtx>,
}

/// A block of a diff: `kind` is `context`, `gap` or `changed`; `html`
/// carries `<del>`/`<ins>` around changed words (text escaped).
#[derive(Serialize)]
pub struct DiffBlockCtx {
    pub kind: &'static str,
    pub html: String,
    /// For a gap: how many unchanged paragraphs it stands for.
    pub paragraphs: usize,
}

/// One change between consecutive versions.
#[derive(Serialize)]
pub struct ChangeCtx {
    pub from: VersionLink,
    pub to: VersionLink,
    /// The title's word diff, when the title changed.
    pub title_html: Option<String>,
    pub blocks: Vec<DiffBlockCtx>,
    pub words_removed: usize,
    pub words_added: usize,
    /// Whether it added a correction or update notice.
    pub notice: bool,
}

/// One change in `/changes/`.
#[derive(Serialize)]
pub struct ChangeEntry {
    pub title: String,
    pub article_url: String,
    pub changes_url: String,
    pub from: VersionLink,
    pub to: VersionLink,
    pub words_removed: usize,
    pub words_added: usize,
    pub notice: bool,
    pub title_changed: bool,
}

fn version_link(site: &Site, d: &Document, name: Option<&str>) -> VersionLink {
    let config = &site.config;
    let v = d.versions.as_deref();
    match name.and_then(|n| v?.snapshots.iter().find(|s| s.stem == n)) {
        Some(s) => VersionLink {
            name: s.stem.clone(),
            url: Route::Snapshot {
                dir: d.path.clone(),
                stem: s.stem.clone(),
            }
            .url(config),
            archived: s.archived.as_ref().map(|x| x.iso()),
            archived_display: s.archived.as_ref().map(|x| x.display()),
            latest: false,
        },
        None => VersionLink {
            name: v
                .and_then(|v| v.latest.clone())
                .unwrap_or_else(|| "latest".into()),
            url: config.url(&d.path),
            archived: d.archived.as_ref().map(|x| x.iso()),
            archived_display: d.archived.as_ref().map(|x| x.display()),
            latest: true,
        },
    }
}

fn version_list(site: &Site, d: &Document, v: &Versions) -> Vec<VersionLink> {
    let mut list: Vec<VersionLink> = v
        .snapshots
        .iter()
        .map(|s| version_link(site, d, Some(&s.stem)))
        .collect();
    list.push(version_link(site, d, None));
    list
}

fn change_ctx(site: &Site, d: &Document, c: &Change) -> ChangeCtx {
    ChangeCtx {
        from: version_link(site, d, Some(&c.from)),
        to: version_link(site, d, c.to.as_deref()),
        title_html: c.diff.title.as_deref().map(pieces_html),
        blocks: c
            .diff
            .blocks
            .iter()
            .map(|b| match b {
                Block::Context { text } => DiffBlockCtx {
                    kind: "context",
                    html: escape(text),
                    paragraphs: 1,
                },
                Block::Gap { paragraphs } => DiffBlockCtx {
                    kind: "gap",
                    html: String::new(),
                    paragraphs: *paragraphs,
                },
                Block::Changed { pieces } => DiffBlockCtx {
                    kind: "changed",
                    html: pieces_html(pieces),
                    paragraphs: 1,
                },
            })
            .collect(),
        words_removed: c.diff.words_removed,
        words_added: c.diff.words_added,
        notice: c.notice,
    }
}

impl Renderer<'_> {
    /// `page.versions` of document `d` (`None` without snapshots).
    pub(super) fn versions_ctx(&self, d: &Document) -> Option<VersionsCtx> {
        let site = self.site;
        let v = d.versions.as_deref()?;
        let changed_notes = v
            .changed_notes
            .iter()
            .map(|c| {
                let version = c.note.version.clone().unwrap_or_default();
                let url = version_link(site, d, Some(&version)).url;
                ChangedNoteCtx {
                    note: self.catalogue.note(site, &url, &c.note),
                    version,
                    old_quote: c.note.quote.clone(),
                    closest: c.closest.clone(),
                    similarity: (c.similarity * 100.0).round() as u32,
                }
            })
            .collect();
        Some(VersionsCtx {
            count: v.count(),
            changes_url: Route::DocChanges {
                dir: d.path.clone(),
            }
            .url(&site.config),
            list: version_list(site, d, v),
            changed_notes,
        })
    }

    /// The page of snapshot `k` of document `i`.
    pub(super) fn render_snapshot(
        &self,
        i: usize,
        k: usize,
        path: &str,
    ) -> Result<String, Diagnostic> {
        let site = self.site;
        let d = &site.documents[i];
        let Some(s) = d.versions.as_deref().and_then(|v| v.snapshots.get(k)) else {
            return Ok(String::new());
        };
        let v = d.versions.as_deref().expect("checked above");
        let link = version_link(site, d, Some(&s.stem));
        let notes: Vec<NoteCtx> = s
            .notes
            .iter()
            .map(|n| self.catalogue.note(site, &link.url, n))
            .collect();
        let mut ctx = self.base_context(path);
        ctx.insert(
            "head",
            &self.head(
                path,
                Some(&format!("{} (version of {})", s.title, s.stem)),
                d.description.as_deref(),
            ),
        );
        ctx.insert(
            "snapshot",
            &SnapshotCtx {
                title: &s.title,
                name: &s.stem,
                url: link.url.clone(),
                archived: link.archived.clone(),
                archived_display: link.archived_display.clone(),
                date: s.date.as_ref().map(|x| x.iso()),
                date_display: s.date.as_ref().map(|x| x.display()),
                content: &s.content_html,
                notes,
                word_count: s.word_count,
                latest_url: site.config.url(&d.path),
                latest_title: &d.title,
                changes_url: Route::DocChanges {
                    dir: d.path.clone(),
                }
                .url(&site.config),
                versions: version_list(site, d, v),
                source: self.catalogue.source_of(site, d.source.as_deref()),
                original_url: d.original_url.as_deref(),
            },
        );
        self.templates.render("snapshot.html", &ctx)
    }

    /// The diff page of document `i`: each change, oldest first.
    pub(super) fn render_doc_changes(&self, i: usize, path: &str) -> Result<String, Diagnostic> {
        let site = self.site;
        let d = &site.documents[i];
        let Some(v) = d.versions.as_deref() else {
            return Ok(String::new());
        };
        let mut ctx: Context = self.base_context(path);
        ctx.insert(
            "head",
            &self.head(path, Some(&format!("What changed: {}", d.title)), None),
        );
        ctx.insert(
            "article",
            &DocChangesCtx {
                title: &d.title,
                url: site.config.url(&d.path),
                versions: version_list(site, d, v),
                changes: v.changes.iter().map(|c| change_ctx(site, d, c)).collect(),
            },
        );
        self.templates.render("changes.html", &ctx)
    }

    /// `/changes/`: every change of the archive, newest first.
    pub(super) fn render_all_changes(&self, path: &str) -> Result<String, Diagnostic> {
        let site = self.site;
        let mut ctx = self.base_context(path);
        let mut head = self.head(
            path,
            Some("Changes"),
            Some("Every change found in an archived article, newest first."),
        );
        let feed_url = Route::ChangesFeed.url(&site.config);
        head.feeds.push(super::context::FeedLink {
            title: format!("Changes — {}", site.config.title),
            url: feed_url.clone(),
        });
        ctx.insert("head", &head);
        ctx.insert("changes_feed_url", &feed_url);
        ctx.insert("changes", &all_changes(site));
        self.templates.render("all_changes.html", &ctx)
    }
}

/// `snapshot` in snapshot.html.
#[derive(Serialize)]
struct SnapshotCtx<'a> {
    title: &'a str,
    name: &'a str,
    url: String,
    archived: Option<String>,
    archived_display: Option<String>,
    date: Option<String>,
    date_display: Option<String>,
    content: &'a str,
    notes: Vec<NoteCtx>,
    word_count: usize,
    latest_url: String,
    latest_title: &'a str,
    changes_url: String,
    versions: Vec<VersionLink>,
    source: Option<super::context::SourceLink>,
    original_url: Option<&'a str>,
}

/// `article` in changes.html.
#[derive(Serialize)]
struct DocChangesCtx<'a> {
    title: &'a str,
    url: String,
    versions: Vec<VersionLink>,
    changes: Vec<ChangeCtx>,
}

/// Every change of the archive, newest first (by the later version's
/// capture time; undated last).
pub fn all_changes(site: &Site) -> Vec<ChangeEntry> {
    let mut out: Vec<(Option<i64>, ChangeEntry)> = Vec::new();
    for d in &site.documents {
        let Some(v) = d.versions.as_deref() else {
            continue;
        };
        for c in &v.changes {
            out.push((
                c.to_archived.as_ref().map(|x| x.timestamp()),
                ChangeEntry {
                    title: d.title.clone(),
                    article_url: site.config.url(&d.path),
                    changes_url: Route::DocChanges {
                        dir: d.path.clone(),
                    }
                    .url(&site.config),
                    from: version_link(site, d, Some(&c.from)),
                    to: version_link(site, d, c.to.as_deref()),
                    words_removed: c.diff.words_removed,
                    words_added: c.diff.words_added,
                    notice: c.notice,
                    title_changed: c.diff.title.is_some(),
                },
            ));
        }
    }
    // Stable: ties keep site order (articles newest first).
    out.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    out.into_iter().map(|(_, e)| e).collect()
}

/// How many of a source's articles changed after capture, and how many of
/// those changes added a correction or update notice.
pub fn source_change_counts(site: &Site, articles: &[usize]) -> (usize, usize) {
    let mut changed = 0;
    let mut notices = 0;
    for &i in articles {
        let Some(v) = site.documents[i].versions.as_deref() else {
            continue;
        };
        if !v.changes.is_empty() {
            changed += 1;
            notices += v.changes.iter().filter(|c| c.notice).count();
        }
    }
    (changed, notices)
}

/// `/changes/atom.xml`: the newest `feed_limit` changes.
pub fn changes_feed(site: &Site) -> String {
    let config = &site.config;
    let changes = all_changes(site);
    let stamp = |l: &VersionLink| {
        l.archived
            .as_deref()
            .and_then(crate::model::Date::parse)
            .map(|d| d.rfc3339())
    };
    let epoch = "1970-01-01T00:00:00+00:00".to_string();
    let newest = changes
        .iter()
        .find_map(|c| stamp(&c.to))
        .unwrap_or_else(|| epoch.clone());
    let self_url = Route::ChangesFeed.url(config);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        super::exports::xml(&config.language)
    ));
    let xml = super::exports::xml;
    x.push_str(&format!(
        "  <title>{}</title>\n",
        xml(&format!("Changes — {}", config.title))
    ));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml(&self_url)
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml(&Route::Changes.url(config))
    ));
    x.push_str(&format!(
        "  <id>{}</id>\n",
        xml(&super::data::atom_id(
            config,
            &Route::ChangesFeed.url_path()
        ))
    ));
    x.push_str(&format!("  <updated>{newest}</updated>\n"));
    x.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml(config.author.as_deref().unwrap_or(&config.title))
    ));
    for c in changes.iter().take(config.feed_limit) {
        let date = stamp(&c.to).unwrap_or_else(|| epoch.clone());
        let link = format!("{}#change-{}", c.changes_url, c.to.name);
        let id_path = format!(
            "{}#change-{}",
            c.changes_url
                .strip_prefix(&config.url(""))
                .unwrap_or(&c.changes_url),
            c.to.name
        );
        x.push_str("  <entry>\n");
        x.push_str(&format!(
            "    <title>{}</title>\n",
            xml(&format!(
                "{}: {} words removed, {} added",
                c.title, c.words_removed, c.words_added
            ))
        ));
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&link)
        ));
        x.push_str(&format!(
            "    <id>{}</id>\n",
            xml(&super::data::atom_id(config, &id_path))
        ));
        x.push_str(&format!("    <updated>{date}</updated>\n"));
        x.push_str(&format!(
            "    <summary type=\"html\">{}</summary>\n",
            xml(&format!(
                "<p><a href=\"{}\">{}</a> changed between the versions of {} and {}: {} words removed, {} added{}{}.</p>",
                escape(&c.article_url),
                escape(&c.title),
                escape(&c.from.name),
                escape(&c.to.name),
                c.words_removed,
                c.words_added,
                if c.title_changed { "; the title changed" } else { "" },
                if c.notice { "; a correction or update notice was added" } else { "" },
            ))
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}
