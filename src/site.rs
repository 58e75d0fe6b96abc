//! Building the [`Site`]: read and parse every file found by [`crate::load`],
//! check what refers to what, render every document's Markdown (in
//! parallel), and assemble sections, tags and source back-references.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::annotate::sidecar::{self, PackedNotes, SidecarNote};
use crate::config::{BuildOptions, Config, RawConfig};
use crate::error::{Diagnostic, Diagnostics, Location};
use crate::frontmatter::{self, DocKind, FrontMatter};
use crate::fsutil::read_text;
use crate::load::{self, AssetDest, ContentTree, DocFile};
use crate::markdown::{self, Env, Input};
use crate::model::{Asset, Document, NoteRef, Section, Site, SourceUses, Tag};
use crate::routes;
use crate::sources::{Reference, Registry};

/// A Markdown file read and split, with its front matter and sidecar
/// parsed ([`parse_document`]), before its Markdown is rendered
/// ([`render_document`]).
pub struct ParsedDoc {
    file: DocFile,
    text: String,
    body_offset: usize,
    body_len: usize,
    fm: FrontMatter,
    notes: Notes,
    /// A bundle's earlier snapshots, oldest first (DESIGN §10).
    snapshots: Vec<crate::versions::ParsedSnapshot>,
}

/// A document's sidecar notes: as parsed, or packed (phase one's checks
/// done; a kept parse arrives packed).
enum Notes {
    Parsed(Vec<SidecarNote>),
    Packed(PackedNotes),
}

/// What phase two needs of a document's parse besides its stub (which
/// holds what its front matter says): its notes, packed, and its
/// snapshots. Phase one's parses are made into these once checked and
/// kept, so the site does not hold every front matter and every parsed
/// note until its documents are rendered.
pub struct Handover {
    notes: PackedNotes,
    snapshots: Vec<crate::versions::ParsedSnapshot>,
    /// A page bundle (`<slug>/index.md`): its files go beside its page.
    bundle: bool,
    /// Its front matter has no `title`: the leading heading is the title.
    title_from_heading: bool,
}

impl Handover {
    /// The document's notes, unpacked (`sidecar` is the document's).
    pub fn notes(&self, sidecar: Option<&Path>) -> Option<Vec<SidecarNote>> {
        self.notes.unpack(sidecar.unwrap_or(Path::new("")))
    }
}

/// What phase one checks of a document's notes, taken before they are
/// packed.
struct NoteFacts {
    count: usize,
    /// Every source key the document uses, where it is written.
    sources: Vec<(String, Location)>,
    /// The kinds of its notes that site.yaml does not declare, in order.
    undeclared: Vec<(String, Location)>,
    /// A snapshot or a note pinned to one: the note count is not exact.
    pinned: bool,
}

/// Loads, checks and renders the site's content. Returns the site when it
/// could be built (possibly with warnings) and every diagnostic.
pub fn load(options: &BuildOptions) -> (Option<Site>, Diagnostics) {
    let loaded = load_parsed(options);
    let rendered = loaded.render_documents(true, |_, _| Vec::new());
    let (site, diags) = loaded.finish(rendered);
    (Some(site), diags)
}

/// A site whose files are read and checked but whose documents' Markdown is
/// not rendered yet: [`Site::documents`] hold each document's front matter
/// (sorted, wired into sections and tags) and empty rendered fields.
///
/// `build` renders the documents with [`Loaded::render_documents`] and
/// writes each one's page as soon as it is rendered, so the rendered HTML
/// of the whole archive is never in memory at once; [`load`] keeps it.
pub struct Loaded {
    pub site: Site,
    /// Parallel to `site.documents`; their text is not kept (it is read
    /// again when the document is rendered).
    parsed: Vec<Handover>,
    links: HashMap<PathBuf, String>,
    pub diagnostics: Diagnostics,
    /// The notes of every sidecar: the number of notes the site will have
    /// once they are anchored (a note that does not anchor fails the build).
    pub note_total: usize,
    /// No snapshot and no note pinned to one ([`Loaded::note_total_is_exact`]).
    note_total_exact: bool,
}

/// Reads and checks everything but the documents' Markdown (phase one of
/// a load).
pub fn load_parsed(options: &BuildOptions) -> Loaded {
    load_parsed_with(options, None, None)
}

/// How phase one parses a document instead of [`parse_document`] (the
/// build cache's kept parses, [`crate::cache::parsed`]): the document
/// [`ParsedDoc::headed`], and its diagnostics.
pub type ParseWith<'a> = &'a (
        dyn Fn(
    &DocFile,
    Option<&crate::config::ratings::RatingScale>,
) -> (Option<(ParsedDoc, Option<String>)>, Vec<Diagnostic>)
            + Sync
            + 'a
    );

/// What phase one gives every document's parse to once the site is read
/// (the build cache keeps them, [`crate::cache::parsed`]), with the
/// site's diagnostics, before the parses are made into [`Handover`]s.
pub type KeepWith<'a> = &'a (dyn Fn(&[ParsedDoc], &Diagnostics) + 'a);

/// [`load_parsed`], each document without snapshots parsed by `parse`,
/// the parses given to `keep` at the end.
pub fn load_parsed_with(
    options: &BuildOptions,
    parse: Option<ParseWith<'_>>,
    keep: Option<KeepWith<'_>>,
) -> Loaded {
    let root = &options.root;
    let mut diags = Diagnostics::new();

    let (raw, d) = RawConfig::load(root);
    diags.extend(d);
    let (config, d) = Config::resolve(root, raw, options.overrides());
    diags.extend(d);
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

    // Read and parse every document, in parallel; keep what lists need
    // and let the text go; check its notes and pack them.
    // (the document with the text of its leading heading and the facts of
    // its notes, problems)
    type Parsed = (
        Option<(ParsedDoc, Option<String>, NoteFacts)>,
        Vec<Diagnostic>,
    );
    let parsed: Vec<Parsed> = tree
        .documents
        .par_iter()
        .map(|f| {
            let plain = || {
                let (doc, d) = parse_document(root, f, config.ratings.as_ref());
                (doc.map(|doc| doc.headed()), d)
            };
            let (doc, d) = match parse {
                Some(parse) if f.versions.is_empty() => parse(f, config.ratings.as_ref()),
                _ => plain(),
            };
            let doc = doc.filter(|(doc, _)| options.drafts || !doc.fm.draft);
            let Some((mut doc, heading)) = doc else {
                return (None, d);
            };
            match doc.settle(&config) {
                Some(facts) => (Some((doc, heading, facts)), d),
                // Kept notes that cannot be read back: parsed again.
                None => {
                    let (doc, d) = plain();
                    let doc = doc.filter(|(doc, _)| options.drafts || !doc.fm.draft);
                    match doc {
                        Some((mut doc, heading)) => match doc.settle(&config) {
                            Some(facts) => (Some((doc, heading, facts)), d),
                            None => (None, d),
                        },
                        None => (None, d),
                    }
                }
            }
        })
        .collect();
    let mut docs = Vec::with_capacity(parsed.len());
    let mut headings = Vec::with_capacity(parsed.len());
    let mut facts = Vec::with_capacity(parsed.len());
    for (doc, d) in parsed {
        diags.extend(d);
        if let Some((doc, heading, f)) = doc {
            docs.push(doc);
            headings.push(heading);
            facts.push(f);
        }
    }

    // Sections and their index files.
    let mut sections = build_sections(root, &tree, &config, &mut diags);

    // Slugs, paths and the link map.
    let mut stubs: Vec<Document> = Vec::with_capacity(docs.len());
    let mut links: HashMap<PathBuf, String> = HashMap::with_capacity(docs.len() + sections.len());
    for (doc, heading) in docs.iter().zip(headings) {
        let (path, d) = document_path(doc);
        diags.extend(d);
        links.insert(doc.file.rel.clone(), path.clone());
        stubs.push(document_stub(doc, path, heading));
    }
    for s in sections.values() {
        if let Some(f) = &s.file {
            links.insert(f.clone(), s.path.clone());
        }
    }

    // Every source key used anywhere must be in the registry.
    {
        let refs = facts
            .iter()
            .flat_map(|f| &f.sources)
            .map(|(key, location)| Reference { key, location });
        diags.extend(registry.check_references(refs, config.auto_sources));
    }

    // Note kinds the theme has no colour, label or help for.
    diags.extend(undeclared_kinds(&facts, &config));
    let note_total = facts.iter().map(|f| f.count).sum();
    let note_total_exact = facts.iter().all(|f| !f.pinned);
    drop(facts);

    // Section bodies (their _index.md text). They are shown on listing
    // pages, not as an article, so `unsafe_html` (article bodies only)
    // does not apply: their raw HTML is always sanitised.
    {
        let note_template = markdown::NoteTemplate::for_site(&config.root, &config.theme);
        let env = Env {
            base_url: &config.base_url,
            unsafe_html: false,
            links: &links,
            sources: &registry,
            note_template: note_template.as_ref(),
            kinds: &config.kinds,
            highlight: markdown::highlight::Themes::of(&config),
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
    }

    // Order: articles newest first (undated last), then pages by title.
    let mut order: Vec<usize> = (0..stubs.len()).collect();
    order.sort_by(|&a, &b| document_order(&stubs[a], &stubs[b]));
    let mut stubs: Vec<Option<Document>> = stubs.into_iter().map(Some).collect();
    let documents: Vec<Document> = order.iter().filter_map(|&i| stubs[i].take()).collect();

    // Sections: home is "", the rest sorted by folder, with their subsections.
    let mut home = sections
        .remove("")
        .unwrap_or_else(|| default_section("", &config));
    let mut section_list: Vec<Section> = sections.into_values().collect();
    let index_of: HashMap<String, usize> = section_list
        .iter()
        .enumerate()
        .map(|(i, s)| (s.folder.clone(), i))
        .collect();
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

    if let Some(keep) = keep {
        keep(&docs, &diags);
    }
    // In the site's order, each with only what phase two reads of it.
    let mut docs: Vec<Option<ParsedDoc>> = docs.into_iter().map(Some).collect();
    let parsed: Vec<Handover> = order
        .iter()
        .filter_map(|&i| docs[i].take())
        .map(ParsedDoc::hand_over)
        .collect();
    drop(docs);

    let assets = assets(&tree, &links);
    let mut site = Site {
        config,
        registry,
        documents,
        home,
        sections: section_list,
        tags: Vec::new(),
        source_uses: Vec::new(),
        assets,
    };
    wire(&mut site);
    Loaded {
        site,
        parsed,
        links,
        diagnostics: diags,
        note_total,
        note_total_exact,
    }
}

impl Loaded {
    /// What phase two renders each document from besides its stub,
    /// parallel to the site's documents.
    pub fn parsed(&self) -> &[Handover] {
        &self.parsed
    }

    /// Every document file and section index → its page's site path.
    pub fn links(&self) -> &HashMap<PathBuf, String> {
        &self.links
    }

    /// Renders every document's Markdown and notes (phase two), in
    /// parallel, calling `each` with its index and the rendered document as
    /// soon as it is ready (`build` writes its page there). Without
    /// `keep_content` the page HTML is dropped after `each`.
    pub fn render_documents<F>(
        &self,
        keep_content: bool,
        each: F,
    ) -> Vec<(Document, Vec<Diagnostic>)>
    where
        F: Fn(usize, &mut Document) -> Vec<Diagnostic> + Sync,
    {
        self.render_documents_reusing(keep_content, |_, _| None, each)
    }

    /// [`Loaded::render_documents`], taking the document from `reuse`
    /// instead when it has it (the build cache: a document rendered by an
    /// earlier build from the same files); `each` is not called for those.
    pub fn render_documents_reusing<R, F>(
        &self,
        keep_content: bool,
        reuse: R,
        each: F,
    ) -> Vec<(Document, Vec<Diagnostic>)>
    where
        R: Fn(usize, &Document) -> Option<Document> + Sync,
        F: Fn(usize, &mut Document) -> Vec<Diagnostic> + Sync,
    {
        let note_template =
            markdown::NoteTemplate::for_site(&self.site.config.root, &self.site.config.theme);
        let env = self.markdown_env(note_template.as_ref());
        self.parsed
            .par_iter()
            .zip(self.site.documents.par_iter())
            .enumerate()
            .map(|(i, (parsed, stub))| {
                self.render_one(i, parsed, stub, &env, keep_content, &reuse, &each)
            })
            .collect()
    }

    /// Phase one's parses, taken out for
    /// [`Loaded::render_documents_releasing`] (the other renders then have
    /// no document to render).
    pub fn take_parsed(&mut self) -> Vec<Handover> {
        std::mem::take(&mut self.parsed)
    }

    /// [`Loaded::render_documents_reusing`] of the parses
    /// [`Loaded::take_parsed`] took, letting each go as soon as its
    /// document is rendered (`build`: phase one's front matter and notes
    /// are not held beside the rendered documents).
    pub fn render_documents_releasing<R, F>(
        &self,
        parsed: Vec<Handover>,
        keep_content: bool,
        reuse: R,
        each: F,
    ) -> Vec<(Document, Vec<Diagnostic>)>
    where
        R: Fn(usize, &Document) -> Option<Document> + Sync,
        F: Fn(usize, &mut Document) -> Vec<Diagnostic> + Sync,
    {
        let note_template =
            markdown::NoteTemplate::for_site(&self.site.config.root, &self.site.config.theme);
        let env = self.markdown_env(note_template.as_ref());
        parsed
            .into_par_iter()
            .zip(self.site.documents.par_iter())
            .enumerate()
            .map(|(i, (parsed, stub))| {
                self.render_one(i, &parsed, stub, &env, keep_content, &reuse, &each)
            })
            .collect()
    }

    /// Document `i` taken from `reuse`, or rendered and given to `each`.
    #[allow(clippy::too_many_arguments)]
    fn render_one<R, F>(
        &self,
        i: usize,
        parsed: &Handover,
        stub: &Document,
        env: &Env,
        keep_content: bool,
        reuse: &R,
        each: &F,
    ) -> (Document, Vec<Diagnostic>)
    where
        R: Fn(usize, &Document) -> Option<Document> + Sync,
        F: Fn(usize, &mut Document) -> Vec<Diagnostic> + Sync,
    {
        if let Some(doc) = reuse(i, stub) {
            return (doc, Vec::new());
        }
        // The page is written from the rendered document alone: a
        // 200 MB article's text is not kept beside its HTML.
        let (mut doc, mut diags) = render_parsed(&self.site.config.root, parsed, stub, env);
        diags.extend(each(i, &mut doc));
        if !keep_content {
            doc.content_html = String::new();
        }
        (doc, diags)
    }

    /// Renders document `i`'s Markdown and notes alone, as
    /// [`Loaded::render_documents`] renders each (the dev server renders
    /// the pages asked for before the rest). `env` as
    /// [`Loaded::markdown_env`] makes it.
    pub fn render_document(&self, i: usize, env: &Env) -> (Document, Vec<Diagnostic>) {
        render_parsed(
            &self.site.config.root,
            &self.parsed[i],
            &self.site.documents[i],
            env,
        )
    }

    /// What documents render against: the site's links, sources and note
    /// partial (`note_template`, made by
    /// [`markdown::NoteTemplate::for_site`]).
    pub fn markdown_env<'a>(
        &'a self,
        note_template: Option<&'a markdown::NoteTemplate>,
    ) -> Env<'a> {
        Env {
            base_url: &self.site.config.base_url,
            unsafe_html: self.site.config.unsafe_html,
            links: &self.links,
            sources: &self.site.registry,
            note_template,
            kinds: &self.site.config.kinds,
            highlight: markdown::highlight::Themes::of(&self.site.config),
        }
    }

    /// Whether [`Loaded::note_total`] is the number of notes the rendered
    /// site will have: it is not when a note is pinned to a snapshot
    /// (DESIGN §10), since such a note is shown on the latest page only
    /// when its passage is still there.
    pub fn note_total_is_exact(&self) -> bool {
        self.note_total_exact
    }

    /// Puts the rendered documents in place and derives what depends on
    /// their notes (source back-references).
    pub fn finish(self, rendered: Vec<(Document, Vec<Diagnostic>)>) -> (Site, Diagnostics) {
        let mut site = self.site;
        let mut diags = self.diagnostics;
        let mut documents = Vec::with_capacity(rendered.len());
        for (doc, d) in rendered {
            diags.extend(d);
            documents.push(doc);
        }
        documents.sort_by(document_order);
        site.documents = documents;
        wire(&mut site);
        diags.extend(crate::menu::check(&site));
        if site.config.strict {
            diags.apply_strict();
        }
        diags.sort();
        (site, diags)
    }
}

/// The order of [`Site::documents`]: articles newest first (undated
/// last), then standalone pages; ties by title, then file.
pub fn document_order(a: &Document, b: &Document) -> std::cmp::Ordering {
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
}

/// The site path of a parsed document (`articles/<slug>/`), from its
/// `slug:` or its file name; an error when the slug has nothing to make
/// an address from (the page is then called `untitled`).
pub fn document_path(doc: &ParsedDoc) -> (String, Option<Diagnostic>) {
    let base = doc.fm.slug.as_deref().unwrap_or(&doc.file.stem);
    let mut slug = slug::slugify(base);
    let mut diag = None;
    if slug.is_empty() {
        let loc = doc
            .fm
            .slug_location
            .clone()
            .unwrap_or_else(|| Location::file(&doc.file.rel));
        diag = Some(Diagnostic::error(
            Some(loc),
            format!("the slug {base:?} has no letters or digits to make a page address from"),
        ));
        slug = "untitled".into();
    }
    let path = routes::document_dir(doc.file.section.as_deref(), &slug);
    (path, diag)
}

/// Derives what depends on the order and content of [`Site::documents`]
/// (which must be sorted by [`document_order`]): each document's section
/// index, the article lists of the sections and the home page, the tags
/// (and each article's tag spellings: the first spelling of a tag wins)
/// and the source back-references. Used by [`load`] and again by the dev
/// server after it changes documents in place. Returns the documents
/// whose tag spellings changed.
pub fn wire(site: &mut Site) -> Vec<usize> {
    let index_of: HashMap<String, usize> = site
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.folder.clone(), i))
        .collect();
    for s in &mut site.sections {
        s.articles.clear();
    }
    for (i, doc) in site.documents.iter_mut().enumerate() {
        if let Some(folder) = &doc.section_folder
            && let Some(&s) = index_of.get(folder.as_str())
        {
            doc.section = Some(s);
            site.sections[s].articles.push(i);
        }
    }
    site.home.articles = site
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_article())
        .map(|(i, _)| i)
        .collect();

    // Tags. Slugs are made once per spelling, not once per use, and an
    // article's tag list is only rebuilt when a spelling changed.
    let mut tags: Vec<Tag> = Vec::new();
    let mut by_slug: HashMap<String, usize> = HashMap::new();
    let mut uses: Vec<Vec<usize>> = Vec::with_capacity(site.documents.len());
    {
        let mut by_name: HashMap<&str, Option<usize>> = HashMap::new();
        for (i, doc) in site.documents.iter().enumerate() {
            let mut mine = Vec::new();
            if doc.is_article() {
                for name in &doc.written_tags {
                    let t = *by_name.entry(name.as_str()).or_insert_with(|| {
                        let slug = slug::slugify(name);
                        if slug.is_empty() {
                            return None;
                        }
                        Some(*by_slug.entry(slug.clone()).or_insert_with(|| {
                            tags.push(Tag {
                                name: name.clone(),
                                slug,
                                articles: Vec::new(),
                            });
                            tags.len() - 1
                        }))
                    });
                    if let Some(t) = t
                        && tags[t].articles.last() != Some(&i)
                    {
                        tags[t].articles.push(i);
                        mine.push(t);
                    }
                }
            }
            uses.push(mine);
        }
    }
    let mut respelt = Vec::new();
    for (i, (doc, mine)) in site.documents.iter_mut().zip(&uses).enumerate() {
        if !doc.is_article() {
            continue;
        }
        let same = doc.tags.len() == mine.len()
            && doc.tags.iter().zip(mine).all(|(n, &t)| *n == tags[t].name);
        if !same {
            doc.tags = mine.iter().map(|&t| tags[t].name.clone()).collect();
            respelt.push(i);
        }
    }
    tags.sort_by(|a, b| a.slug.cmp(&b.slug));
    site.tags = tags;

    // Source back-references.
    let mut source_uses = vec![SourceUses::default(); site.registry.len()];
    for (i, doc) in site.documents.iter().enumerate() {
        if let Some(s) = doc
            .source
            .as_deref()
            .and_then(|k| site.registry.index_of(k))
            && doc.is_article()
        {
            source_uses[s].articles.push(i);
        }
        // Changed-since-noted notes too: every note citing a source is
        // gathered on its page (DESIGN §10: never dropped). From the
        // notes' facts, which a build keeps when the notes are spilled.
        for &(j, s) in doc.note_facts(&site.registry).cites.iter() {
            let r = NoteRef {
                doc: i,
                note: j as usize,
            };
            source_uses[s as usize].notes.push(r);
        }
    }
    site.source_uses = source_uses;
    respelt
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
        path: routes::section_dir(folder),
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

impl ParsedDoc {
    pub fn file(&self) -> &DocFile {
        &self.file
    }

    /// A document parsed before (a kept parse), its text not read; its
    /// notes are unpacked only to be checked and rendered.
    pub fn from_parts(
        file: &DocFile,
        fm: FrontMatter,
        body: (usize, usize),
        notes: PackedNotes,
    ) -> ParsedDoc {
        ParsedDoc {
            file: file.clone(),
            text: String::new(),
            body_offset: body.0,
            body_len: body.1,
            fm,
            notes: Notes::Packed(notes),
            snapshots: Vec::new(),
        }
    }

    pub fn front_matter(&self) -> &FrontMatter {
        &self.fm
    }

    /// Its notes, unpacked when they are packed (`None` when they cannot
    /// be: a damaged kept parse).
    pub fn notes(&self) -> Option<std::borrow::Cow<'_, [SidecarNote]>> {
        match &self.notes {
            Notes::Parsed(n) => Some(std::borrow::Cow::Borrowed(n)),
            Notes::Packed(p) => p.unpack(self.sidecar()).map(std::borrow::Cow::Owned),
        }
    }

    /// Its notes packed, as phase two and the build cache take them.
    pub fn packed_notes(&self) -> PackedNotes {
        match &self.notes {
            Notes::Parsed(n) => PackedNotes::pack(n, self.sidecar()),
            Notes::Packed(p) => p.clone(),
        }
    }

    fn sidecar(&self) -> &Path {
        self.file.sidecar.as_deref().unwrap_or(Path::new(""))
    }

    /// What phase one checks of its notes, taken before they are packed.
    /// `None` when packed notes cannot be read back.
    fn settle(&mut self, config: &Config) -> Option<NoteFacts> {
        let facts = {
            let notes = self.notes()?;
            let at = |line: usize| Location::at(self.sidecar(), line, 0);
            NoteFacts {
                count: notes.len(),
                sources: self.source_references_of(&notes),
                undeclared: notes
                    .iter()
                    .filter_map(|n| {
                        let k = n.kind.as_deref()?;
                        config
                            .kind(k)
                            .is_none()
                            .then(|| (k.to_string(), at(n.line)))
                    })
                    .collect(),
                pinned: !self.snapshots.is_empty() || notes.iter().any(|n| n.version.is_some()),
            }
        };
        if let Notes::Parsed(n) = &self.notes {
            self.notes = Notes::Packed(PackedNotes::pack(n, self.sidecar()));
        }
        Some(facts)
    }

    /// What phase two reads of it besides its stub.
    fn hand_over(self) -> Handover {
        let notes = self.packed_notes();
        Handover {
            notes,
            snapshots: self.snapshots,
            bundle: self.file.bundle_dir.is_some(),
            title_from_heading: self.fm.title.is_none(),
        }
    }

    /// Where the Markdown body is in the file's text: offset and length.
    pub fn body_span(&self) -> (usize, usize) {
        (self.body_offset, self.body_len)
    }

    /// The Markdown body (empty once the text is released).
    fn body(&self) -> &str {
        self.text
            .get(self.body_offset..self.body_offset + self.body_len)
            .unwrap_or_default()
    }

    /// The document with the text of its leading heading when its front
    /// matter has no title (see [`markdown::leading_title`]), its text let
    /// go: it is read again to render.
    pub fn headed(mut self) -> (ParsedDoc, Option<String>) {
        let heading = self
            .fm
            .title
            .is_none()
            .then(|| markdown::leading_title(self.body()))
            .flatten();
        self.text = String::new();
        (self, heading)
    }

    /// `draft: true` in its front matter.
    pub fn is_draft(&self) -> bool {
        self.fm.draft
    }

    /// Every source key it uses (front matter `source`, notes' `sources`),
    /// where it is written.
    pub fn source_references(&self) -> Vec<(String, Location)> {
        match self.notes() {
            Some(notes) => self.source_references_of(&notes),
            None => Vec::new(),
        }
    }

    fn source_references_of(&self, notes: &[SidecarNote]) -> Vec<(String, Location)> {
        let mut out = Vec::new();
        if let (Some(key), Some(loc)) = (&self.fm.source, &self.fm.source_location) {
            out.push((key.clone(), loc.clone()));
        }
        for n in notes {
            let loc = n.sources_location.clone().unwrap_or_else(|| {
                Location::at(self.file.sidecar.clone().unwrap_or_default(), n.line, 0)
            });
            out.extend(n.sources.iter().map(|k| (k.clone(), loc.clone())));
        }
        out
    }
}

/// One warning for each note kind used but neither built in nor declared in
/// site.yaml's `kinds:`, at its first use, saying how many notes use it.
fn undeclared_kinds(facts: &[NoteFacts], config: &Config) -> Vec<Diagnostic> {
    let mut seen: Vec<(String, Location, usize)> = Vec::new();
    for (k, at) in facts.iter().flat_map(|f| &f.undeclared) {
        match seen.iter_mut().find(|(x, _, _)| x == k) {
            Some(entry) => entry.2 += 1,
            None => seen.push((k.clone(), at.clone(), 1)),
        }
    }
    seen.into_iter()
        .map(|(k, loc, count)| {
            let mut d = Diagnostic::warning(
                Some(loc),
                format!(
                    "note kind `{k}` is not declared ({count} note{}); it is shown in a neutral grey with no legend help",
                    if count == 1 { "" } else { "s" }
                ),
            );
            let known: Vec<&str> = config.kinds.iter().map(|x| x.key.as_str()).collect();
            d.help = Some(match crate::error::did_you_mean(&k, known.iter().copied()) {
                Some(near) => format!("did you mean `{near}`? Or declare it in site.yaml: kinds: {{{k}: {{label: …, colour: \"#rrggbb\", help: …}}}}"),
                None => format!("declare it in site.yaml: kinds: {{{k}: {{label: …, colour: \"#rrggbb\", help: …}}}}"),
            });
            d
        })
        .collect()
}

/// Reads one document and its sidecar and parses both. `None` when the
/// file cannot be read or split (the diagnostics say why).
/// `ratings` is site.yaml's rating scale, which notes' ratings are
/// checked against.
pub fn parse_document(
    root: &Path,
    file: &DocFile,
    ratings: Option<&crate::config::ratings::RatingScale>,
) -> (Option<ParsedDoc>, Vec<Diagnostic>) {
    let text = match read_text(root, &file.rel) {
        Ok(t) => t,
        Err(d) => return (None, vec![d]),
    };
    let sidecar = file.sidecar.as_ref().map(|sc| read_text(root, sc));
    parse_texts(root, file, text, sidecar, ratings)
}

/// [`parse_document`] of the files' texts as read.
pub fn parse_texts(
    root: &Path,
    file: &DocFile,
    text: String,
    sidecar: Option<Result<String, Diagnostic>>,
    ratings: Option<&crate::config::ratings::RatingScale>,
) -> (Option<ParsedDoc>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let (fm, body_offset, body_len) = match frontmatter::split(&file.rel, &text) {
        Ok(split) => {
            let (fm, d) = frontmatter::parse(&file.rel, &split, DocKind::Document);
            // A missing date is worth a warning only when the front matter
            // could be read (a broken one is already an error).
            if file.section.is_some() && fm.date.is_none() && !d.iter().any(Diagnostic::is_error) {
                diags.push(
                    Diagnostic::warning(
                        Some(Location::file(&file.rel)),
                        if fm.archived.is_some() {
                            "this article has no `date`; it is listed after dated ones, and its feed entry carries its `archived` date"
                        } else {
                            "this article has no `date`; it is listed after dated ones and left out of the feeds"
                        },
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
    if let (Some(sc), Some(read)) = (&file.sidecar, sidecar) {
        match read {
            Ok(t) => {
                let (n, d) = sidecar::parse(sc, &t);
                notes = n;
                diags.extend(d);
                for r in notes.iter_mut().filter_map(|n| n.rating.as_mut()) {
                    diags.extend(crate::annotate::rating::resolve(r, ratings));
                }
            }
            Err(d) => diags.push(d),
        }
    }
    let (snapshots, d) = crate::versions::read_snapshots(root, &file.versions);
    diags.extend(d);
    let latest = crate::versions::latest_name(fm.archived.as_ref(), &snapshots);
    diags.extend(crate::versions::check_note_versions(
        &notes,
        &snapshots,
        latest.as_deref(),
        file.sidecar.as_deref(),
    ));
    (
        Some(ParsedDoc {
            file: file.clone(),
            text,
            body_offset,
            body_len,
            fm,
            notes: Notes::Parsed(notes),
            snapshots,
        }),
        diags,
    )
}

/// Renders a parsed document's Markdown and notes into a [`Document`] at
/// site path `path`. Its `section` is a placeholder until [`wire`] runs.
pub fn render_document(mut doc: ParsedDoc, path: String, env: &Env) -> (Document, Vec<Diagnostic>) {
    let stub = document_stub(&doc, path, None);
    let text = std::mem::take(&mut doc.text);
    let (offset, len) = (doc.body_offset, doc.body_len);
    let notes = match std::mem::replace(&mut doc.notes, Notes::Parsed(Vec::new())) {
        Notes::Parsed(n) => n,
        Notes::Packed(p) => p.unpack(doc.sidecar()).unwrap_or_default(),
    };
    let handover = Handover {
        notes: PackedNotes::default(),
        snapshots: doc.snapshots,
        bundle: doc.file.bundle_dir.is_some(),
        title_from_heading: doc.fm.title.is_none(),
    };
    render_stub(&handover, &notes, &stub, &text, offset, len, env)
}

/// A document with what its front matter says and nothing rendered yet.
/// `heading` is the text of its leading `# Title` when the front matter
/// has no title (see [`markdown::leading_title`]).
fn document_stub(doc: &ParsedDoc, path: String, heading: Option<String>) -> Document {
    let fm = &doc.fm;
    let title = fm
        .title
        .clone()
        .or(heading)
        .unwrap_or_else(|| doc.file.stem.replace(['-', '_'], " "));
    let slug = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    Document {
        file: doc.file.rel.clone(),
        sidecar: doc.file.sidecar.clone(),
        // Resolved to an index when sections are wired; Some marks an article.
        section: doc.file.section.as_ref().map(|_| usize::MAX),
        section_folder: doc.file.section.clone(),
        slug,
        path,
        title,
        date: fm.date.clone(),
        source: fm.source.clone(),
        original_url: fm.original_url.clone(),
        archive_url: fm.archive_url.clone(),
        archived: fm.archived.clone(),
        archive_sha256: fm.archive_sha256.clone(),
        authors: fm.authors.clone(),
        tags: fm.tags.clone(),
        written_tags: fm.tags.clone(),
        description: fm.description.clone(),
        draft: fm.draft,
        toc_setting: fm.toc,
        menu: fm.menu,
        extra: fm.extra.clone(),
        content_html: String::new(),
        summary_html: String::new(),
        summary_text: String::new(),
        toc: Vec::new(),
        notes: Vec::new(),
        word_count: 0,
        ids: Vec::new(),
        internal_links: Vec::new(),
        written_links: Vec::new(),
        fixes: Vec::new(),
        search_terms: Default::default(),
        versions: None,
        spilled: None,
    }
}

/// Renders the Markdown body of `text` (the document's file) onto a copy
/// of its stub.
/// Reads a parsed document's text again and renders it onto its stub.
fn render_parsed(
    root: &Path,
    parsed: &Handover,
    stub: &Document,
    env: &Env,
) -> (Document, Vec<Diagnostic>) {
    let sidecar = stub.sidecar.as_deref().unwrap_or(Path::new(""));
    let Some(notes) = parsed.notes.unpack(sidecar) else {
        // Unpacked once already in phase one, so this is not expected.
        let d = Diagnostic::error(
            Some(Location::file(sidecar)),
            "this sidecar's notes, read before, could not be read back",
        )
        .with_help("build again with --clean");
        return (stub.clone(), vec![d]);
    };
    let text = match read_text(root, &stub.file) {
        Ok(t) => t,
        Err(d) => return (stub.clone(), vec![d]),
    };
    match frontmatter::split(&stub.file, &text) {
        Ok(split) => render_stub(
            parsed,
            &notes,
            stub,
            &text,
            split.body_offset,
            split.body.len(),
            env,
        ),
        Err(d) => (stub.clone(), vec![d]),
    }
}

/// `notes` are `doc`'s, unpacked.
fn render_stub(
    doc: &Handover,
    notes: &[SidecarNote],
    stub: &Document,
    text: &str,
    body_offset: usize,
    body_len: usize,
    env: &Env,
) -> (Document, Vec<Diagnostic>) {
    let asset_base = match (doc.bundle, &stub.section_folder) {
        (true, _) => stub.path.clone(),
        (false, Some(folder)) => routes::section_dir(folder),
        (false, None) => String::new(),
    };
    let body = &text[body_offset..body_offset + body_len];
    let latest_name = crate::versions::latest_name(stub.archived.as_ref(), &doc.snapshots);
    let latest = crate::versions::Latest {
        title: &stub.title,
        body,
        strip_title: doc.title_from_heading,
        archived: stub.archived.as_ref(),
    };
    // Notes pinned to an earlier snapshot are anchored there, and here
    // only when their passage is still in this text (DESIGN §10).
    let latest_notes = crate::versions::latest_notes(notes, &latest, latest_name.as_deref());
    let input = Input {
        file: &stub.file,
        file_text: text,
        body,
        body_offset,
        asset_base: &asset_base,
        sidecar: stub.sidecar.as_deref(),
        notes: latest_notes.as_deref().unwrap_or(notes),
        title_from_heading: doc.title_from_heading,
    };
    let mut r = markdown::render(&input, env);
    let mut d = stub.clone();
    if !doc.snapshots.is_empty() || latest_notes.is_some() {
        let (versions, diags) = crate::versions::render(
            &doc.snapshots,
            notes,
            stub.sidecar.as_deref(),
            &latest,
            &mut r.notes,
            &asset_base,
            env,
        );
        r.diagnostics.extend(diags);
        d.versions = (!doc.snapshots.is_empty()).then(|| Box::new(versions));
    }
    if doc.title_from_heading
        && let Some(t) = r.title
    {
        d.title = t;
    }
    d.content_html = r.html;
    d.summary_html = r.summary_html;
    d.summary_text = r.summary_text;
    d.toc = r.toc;
    d.notes = r.notes;
    d.word_count = r.word_count;
    d.ids = r.ids;
    d.internal_links = r.internal_links;
    d.written_links = r.written_links;
    d.fixes = r.fixes;
    d.search_terms = crate::render::search::document_terms(&d);
    (d, r.diagnostics)
}

/// Output destinations of every copied file of `tree`; `links` maps each
/// content file to its page's site path (bundle files go beside their page).
pub fn assets(tree: &ContentTree, links: &HashMap<PathBuf, String>) -> Vec<Asset> {
    tree.assets
        .iter()
        .filter_map(|a| {
            let dest = match &a.dest {
                AssetDest::Root(p) if a.rel.starts_with(load::CONTENT_DIR) => {
                    // A loose file in a section folder goes under the section's path.
                    match p.rsplit_once('/') {
                        Some((folder, name)) => routes::file_in(&routes::section_dir(folder), name),
                        None => p.clone(),
                    }
                }
                AssetDest::Root(p) => p.clone(),
                AssetDest::Bundle { index, path } => routes::file_in(links.get(index)?, path),
            };
            Some(Asset {
                file: a.rel.clone(),
                dest,
            })
        })
        .collect()
}
