//! Building the [`Site`]: read and parse every file found by [`crate::load`],
//! check what refers to what, render every document's Markdown (in
//! parallel), and assemble sections, tags and source back-references.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::annotate::sidecar::{self, SidecarNote};
use crate::config::Config;
use crate::error::{Diagnostic, Diagnostics, LineIndex, Location};
use crate::frontmatter::{self, DocKind, FrontMatter};
use crate::load::{self, AssetDest, ContentTree, DocFile};
use crate::markdown::{self, Env, Input};
use crate::model::{Asset, Document, NoteRef, Section, Site, SourceUses, Tag};
use crate::sources::{Reference, Registry};

/// What a build is asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The site root.
    pub root: PathBuf,
    /// Overrides `output_dir` of site.yaml.
    pub output: Option<PathBuf>,
    /// Overrides `base_url` of site.yaml.
    pub base_url: Option<String>,
    /// Include documents with `draft: true`.
    pub drafts: bool,
}

/// A Markdown file read and split, with its front matter and sidecar parsed.
struct ParsedDoc {
    file: DocFile,
    text: String,
    body_offset: usize,
    body_len: usize,
    fm: FrontMatter,
    notes: Vec<SidecarNote>,
}

/// Reads a text file, refusing (not mangling) what is not UTF-8.
pub fn read_text(root: &Path, rel: &Path) -> Result<String, Diagnostic> {
    let bytes =
        std::fs::read(root.join(rel)).map_err(|e| Diagnostic::io(rel, "read this file", &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let (line, col) = LineIndex::new(&prefix).line_col(&prefix, valid);
        Diagnostic::error(
            Some(Location::at(rel, line, col)),
            "this file is not valid UTF-8 text (the first bad byte is here)",
        )
        .with_help(
            "save it as UTF-8; marginalia does not guess other encodings, so no text is lost",
        )
    })
}

/// Loads, checks and renders the site's content. Returns the site when it
/// could be built (possibly with warnings) and every diagnostic.
pub fn load(options: &BuildOptions) -> (Option<Site>, Diagnostics) {
    let root = &options.root;
    let mut diags = Diagnostics::new();

    let (mut config, d) = Config::load(root);
    diags.extend(d);
    if let Some(out) = &options.output {
        config.output_dir = if out.is_absolute() {
            out.clone()
        } else {
            std::env::current_dir()
                .map(|c| c.join(out))
                .unwrap_or_else(|_| out.clone())
        };
    }
    if let Some(url) = &options.base_url
        && let Err(d) = config.set_base_url(url)
    {
        diags.push(d);
    }
    diags.extend(config.check_highlight_themes(&markdown::highlight::theme_names()));

    let (tree, d) = load::load_tree(root);
    diags.extend(d);
    let (mut registry, d) = Registry::load(root);
    diags.extend(d);

    for s in &tree.orphan_sidecars {
        let stem = s.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let md = stem.trim_end_matches(sidecar::SIDECAR_SUFFIX);
        diags.push(
            Diagnostic::error(
                Some(Location::file(s)),
                format!("this sidecar is beside no article: there is no {md}.md"),
            )
            .with_help("rename it to match its article, or move it beside the article"),
        );
    }

    // Read and parse every document, in parallel.
    let parsed: Vec<(Option<ParsedDoc>, Vec<Diagnostic>)> = tree
        .documents
        .par_iter()
        .map(|f| parse_doc(root, f))
        .collect();
    let mut docs = Vec::with_capacity(parsed.len());
    for (doc, d) in parsed {
        diags.extend(d);
        if let Some(doc) = doc
            && (options.drafts || !doc.fm.draft)
        {
            docs.push(doc);
        }
    }

    // Sections and their index files.
    let mut sections = build_sections(root, &tree, &config, &mut diags);

    // Slugs, paths and the link map.
    let mut paths: Vec<String> = Vec::with_capacity(docs.len());
    let mut links: HashMap<PathBuf, String> = HashMap::with_capacity(docs.len() + sections.len());
    for doc in &docs {
        let base = doc.fm.slug.as_deref().unwrap_or(&doc.file.stem);
        let mut slug = slug::slugify(base);
        if slug.is_empty() {
            let loc = doc
                .fm
                .slug_location
                .clone()
                .unwrap_or_else(|| Location::file(&doc.file.rel));
            diags.push(Diagnostic::error(
                Some(loc),
                format!("the slug {base:?} has no letters or digits to make a page address from"),
            ));
            slug = "untitled".into();
        }
        let path = match &doc.file.section {
            Some(folder) => format!("{}{slug}/", section_path(folder)),
            None => format!("{slug}/"),
        };
        links.insert(doc.file.rel.clone(), path.clone());
        paths.push(path);
    }
    for s in sections.values() {
        if let Some(f) = &s.file {
            links.insert(f.clone(), s.path.clone());
        }
    }

    // Every source key used anywhere must be in the registry.
    {
        let mut refs = Vec::new();
        for doc in &docs {
            if let (Some(key), Some(loc)) = (&doc.fm.source, &doc.fm.source_location) {
                refs.push(Reference { key, location: loc });
            }
        }
        let note_locs: Vec<(String, Location)> = docs
            .iter()
            .flat_map(|doc| {
                doc.notes.iter().flat_map(|n| {
                    let loc = n.sources_location.clone().unwrap_or_else(|| {
                        Location::at(doc.file.sidecar.clone().unwrap_or_default(), n.line, 0)
                    });
                    n.sources.iter().map(move |k| (k.clone(), loc.clone()))
                })
            })
            .collect();
        for (key, loc) in &note_locs {
            refs.push(Reference { key, location: loc });
        }
        diags.extend(registry.check_references(refs, config.auto_sources));
    }

    // Render every document's Markdown, in parallel.
    let env = Env {
        base_url: &config.base_url,
        unsafe_html: config.unsafe_html,
        links: &links,
        sources: &registry,
    };
    let rendered: Vec<(Document, Vec<Diagnostic>)> = docs
        .into_par_iter()
        .zip(paths.into_par_iter())
        .map(|(doc, path)| render_doc(doc, path, &env))
        .collect();
    let mut documents = Vec::with_capacity(rendered.len());
    for (doc, d) in rendered {
        diags.extend(d);
        documents.push(doc);
    }

    // Section bodies (their _index.md text). They are shown on listing
    // pages, not as an article, so `unsafe_html` (article bodies only)
    // does not apply: their raw HTML is always sanitised.
    let env = Env {
        unsafe_html: false,
        ..env
    };
    let section_bodies: Vec<(String, String, Vec<Diagnostic>)> = sections
        .par_iter()
        .filter_map(|(folder, s)| {
            let file = s.file.as_ref()?;
            let text = read_text(root, file).ok()?;
            let split = frontmatter::split(file, &text).ok()?;
            let asset_base = s.path.clone();
            let input = Input {
                file,
                file_text: &text,
                body: split.body,
                body_offset: split.body_offset,
                asset_base: &asset_base,
                sidecar: None,
                notes: &[],
                title_from_heading: false,
            };
            let r = markdown::render(&input, &env);
            Some((folder.clone(), r.html, r.diagnostics))
        })
        .collect();
    for (folder, html, d) in section_bodies {
        diags.extend(d);
        if let Some(s) = sections.get_mut(&folder) {
            s.content_html = html;
        }
    }

    // Order: articles newest first (undated last), then pages by title.
    documents.sort_by(|a, b| {
        b.is_article()
            .cmp(&a.is_article())
            .then_with(|| match (&a.date, &b.date) {
                (Some(x), Some(y)) => y.datetime.cmp(&x.datetime),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.file.cmp(&b.file))
    });

    // Wire sections: home is "", the rest sorted by folder.
    let mut home = sections
        .remove("")
        .unwrap_or_else(|| default_section("", &config));
    let mut section_list: Vec<Section> = sections.into_values().collect();
    let index_of: HashMap<String, usize> = section_list
        .iter()
        .enumerate()
        .map(|(i, s)| (s.folder.clone(), i))
        .collect();
    let folders: Vec<Option<String>> = documents.iter().map(|d| d.section_folder.clone()).collect();
    for (i, folder) in folders.iter().enumerate() {
        if let Some(folder) = folder
            && let Some(&s) = index_of.get(folder)
        {
            documents[i].section = Some(s);
            section_list[s].articles.push(i);
        }
    }
    for i in 0..section_list.len() {
        let folder = section_list[i].folder.clone();
        match folder.rsplit_once('/') {
            Some((parent, _)) => {
                if let Some(&p) = index_of.get(parent) {
                    section_list[p].subsections.push(i);
                }
            }
            None => home.subsections.push(i),
        }
    }
    home.articles = documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_article())
        .map(|(i, _)| i)
        .collect();

    // Tags.
    let mut tags: BTreeMap<String, Tag> = BTreeMap::new();
    for (i, doc) in documents.iter_mut().enumerate() {
        if !doc.is_article() {
            continue;
        }
        let mut names = Vec::with_capacity(doc.tags.len());
        for name in &doc.tags {
            let slug = slug::slugify(name);
            if slug.is_empty() {
                continue;
            }
            let tag = tags.entry(slug.clone()).or_insert_with(|| Tag {
                name: name.clone(),
                slug,
                articles: Vec::new(),
            });
            if tag.articles.last() != Some(&i) {
                tag.articles.push(i);
                names.push(tag.name.clone());
            }
        }
        doc.tags = names;
    }

    // Source back-references.
    let mut source_uses = vec![SourceUses::default(); registry.len()];
    for (i, doc) in documents.iter().enumerate() {
        if let Some(s) = doc.source.as_deref().and_then(|k| registry.index_of(k))
            && doc.is_article()
        {
            source_uses[s].articles.push(i);
        }
        for (j, note) in doc.notes.iter().enumerate() {
            for key in &note.sources {
                if let Some(s) = registry.index_of(key) {
                    let r = NoteRef { doc: i, note: j };
                    if source_uses[s].notes.last() != Some(&r) {
                        source_uses[s].notes.push(r);
                    }
                }
            }
        }
    }

    let assets = assets(&tree, &links);

    if config.strict {
        diags.apply_strict();
    }
    diags.sort();
    let site = Site {
        config,
        registry,
        documents,
        home,
        sections: section_list,
        tags: tags.into_values().collect(),
        source_uses,
        assets,
    };
    (Some(site), diags)
}

/// The site path of a section folder: each part slugified, `/`-terminated.
pub fn section_path(folder: &str) -> String {
    let mut s = String::new();
    for part in folder.split('/').filter(|p| !p.is_empty()) {
        let slug = slug::slugify(part);
        s.push_str(if slug.is_empty() { "section" } else { &slug });
        s.push('/');
    }
    s
}

fn default_section(folder: &str, config: &Config) -> Section {
    let title = if folder.is_empty() {
        config.title.clone()
    } else {
        let last = folder
            .rsplit('/')
            .next()
            .unwrap_or(folder)
            .replace(['-', '_'], " ");
        let mut c = last.chars();
        match c.next() {
            Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
            None => last,
        }
    };
    Section {
        folder: folder.to_string(),
        path: section_path(folder),
        title,
        description: None,
        content_html: String::new(),
        paginate_by: config.paginate_by,
        extra: Default::default(),
        file: None,
        articles: Vec::new(),
        subsections: Vec::new(),
    }
}

/// Every section (with ancestors of nested ones) and the home page, with
/// their `_index.md` front matter read.
fn build_sections(
    root: &Path,
    tree: &ContentTree,
    config: &Config,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Section> {
    let mut sections: BTreeMap<String, Section> = BTreeMap::new();
    sections.insert(String::new(), default_section("", config));
    for folder in &tree.sections {
        let mut acc = String::new();
        for part in folder.split('/') {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            sections
                .entry(acc.clone())
                .or_insert_with(|| default_section(&acc, config));
        }
    }
    for (folder, file) in &tree.section_indexes {
        let Some(section) = sections.get_mut(folder) else {
            continue;
        };
        section.file = Some(file.clone());
        let text = match read_text(root, file) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let split = match frontmatter::split(file, &text) {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let (fm, d) = frontmatter::parse(file, &split, DocKind::SectionIndex);
        diags.extend(d);
        if let Some(t) = fm.title {
            section.title = t;
        }
        section.description = fm.description;
        if let Some(p) = fm.paginate_by {
            section.paginate_by = p;
        }
        section.extra = fm.extra;
    }
    sections
}

fn parse_doc(root: &Path, file: &DocFile) -> (Option<ParsedDoc>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let text = match read_text(root, &file.rel) {
        Ok(t) => t,
        Err(d) => return (None, vec![d]),
    };
    let (fm, body_offset, body_len) = match frontmatter::split(&file.rel, &text) {
        Ok(split) => {
            let (fm, d) = frontmatter::parse(&file.rel, &split, DocKind::Document);
            // A missing date is worth a warning only when the front matter
            // could be read (a broken one is already an error).
            if file.section.is_some() && fm.date.is_none() && !d.iter().any(Diagnostic::is_error) {
                diags.push(
                    Diagnostic::warning(
                        Some(Location::file(&file.rel)),
                        "this article has no `date`; it is listed after dated ones",
                    )
                    .with_help("add `date: YYYY-MM-DD` to its front matter"),
                );
            }
            diags.extend(d);
            (fm, split.body_offset, split.body.len())
        }
        Err(d) => return (None, vec![d]),
    };
    let mut notes = Vec::new();
    if let Some(sc) = &file.sidecar {
        match read_text(root, sc) {
            Ok(t) => {
                let (n, d) = sidecar::parse(sc, &t);
                notes = n;
                diags.extend(d);
            }
            Err(d) => diags.push(d),
        }
    }
    (
        Some(ParsedDoc {
            file: file.clone(),
            text,
            body_offset,
            body_len,
            fm,
            notes,
        }),
        diags,
    )
}

fn render_doc(doc: ParsedDoc, path: String, env: &Env) -> (Document, Vec<Diagnostic>) {
    let asset_base = match (&doc.file.bundle_dir, &doc.file.section) {
        (Some(_), _) => path.clone(),
        (None, Some(folder)) => section_path(folder),
        (None, None) => String::new(),
    };
    let body = &doc.text[doc.body_offset..doc.body_offset + doc.body_len];
    let input = Input {
        file: &doc.file.rel,
        file_text: &doc.text,
        body,
        body_offset: doc.body_offset,
        asset_base: &asset_base,
        sidecar: doc.file.sidecar.as_deref(),
        notes: &doc.notes,
        title_from_heading: doc.fm.title.is_none(),
    };
    let r = markdown::render(&input, env);
    let fm = doc.fm;
    let title = fm
        .title
        .or(r.title)
        .unwrap_or_else(|| doc.file.stem.replace(['-', '_'], " "));
    let slug = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let document = Document {
        file: doc.file.rel,
        sidecar: doc.file.sidecar,
        // Resolved to an index when sections are wired; Some marks an article.
        section: doc.file.section.as_ref().map(|_| usize::MAX),
        section_folder: doc.file.section.clone(),
        slug,
        path,
        title,
        date: fm.date,
        source: fm.source,
        original_url: fm.original_url,
        archive_url: fm.archive_url,
        archived: fm.archived,
        authors: fm.authors,
        tags: fm.tags,
        description: fm.description,
        draft: fm.draft,
        extra: fm.extra,
        content_html: r.html,
        summary_html: r.summary_html,
        summary_text: r.summary_text,
        toc: r.toc,
        notes: r.notes,
        word_count: r.word_count,
        ids: r.ids,
        internal_links: r.internal_links,
        fixes: r.fixes,
    };
    (document, r.diagnostics)
}

/// Output destinations of every copied file.
fn assets(tree: &ContentTree, links: &HashMap<PathBuf, String>) -> Vec<Asset> {
    tree.assets
        .iter()
        .filter_map(|a| {
            let dest = match &a.dest {
                AssetDest::Root(p) if a.rel.starts_with(load::CONTENT_DIR) => {
                    // A loose file in a section folder goes under the section's path.
                    match p.rsplit_once('/') {
                        Some((folder, name)) => format!("{}{name}", section_path(folder)),
                        None => p.clone(),
                    }
                }
                AssetDest::Root(p) => p.clone(),
                AssetDest::Bundle { index, path } => format!("{}{path}", links.get(index)?),
            };
            Some(Asset {
                file: a.rel.clone(),
                dest,
            })
        })
        .collect()
}
