//! Applying a batch of changed files to a [`LiveSite`]: re-parse the
//! changed documents, put them in place (with what is needed to undo it),
//! re-derive the lists and re-render the outputs whose records changed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::records::{Touched, hash_json};
use super::{Early, Kind, LiveSite, Update, theme_static_out};
use crate::error::{Diagnostic, Diagnostics, Location};
use crate::load::{self, ContentTree, DocFile};
use crate::markdown::Env;
use crate::model::Document;
use crate::render::{Job, Templates};
use crate::site;
/// What [`LiveSite::replace_documents`] did.
struct Replaced {
    /// The documents taken out (old versions), with their identities.
    taken: Vec<(u32, Document)>,
    /// Documents whose rendering may differ.
    changed: HashSet<u32>,
    /// The derived lists were derived again.
    rewired: bool,
}

/// Everything needed to undo a change of documents.
struct Undo {
    /// The documents taken out (old versions), to put back.
    removed: Vec<(u32, Document)>,
    /// The files of the documents put in, to take out.
    inserted: Vec<PathBuf>,
    links: Option<HashMap<PathBuf, String>>,
    doc_files: Option<(HashMap<PathBuf, DocFile>, HashMap<PathBuf, PathBuf>)>,
    assets: Option<Vec<crate::model::Asset>>,
}

fn relative(root: &Path, p: &Path) -> Option<PathBuf> {
    if p.is_relative() {
        return Some(p.to_path_buf());
    }
    p.strip_prefix(root).ok().map(Path::to_path_buf)
}

fn strict(diags: &mut [Diagnostic], strict: bool) {
    if strict {
        for d in diags.iter_mut() {
            d.severity = crate::error::Severity::Error;
        }
    }
}

impl LiveSite {
    // ---- applying changes --------------------------------------------

    /// Brings the site up to date with `changed` files (absolute, or
    /// relative to the root; created, modified, removed or renamed — both
    /// names of a rename). On success returns what changed; on failure
    /// returns every diagnostic and the site is as it was.
    ///
    /// `early` is called once the changed documents' own pages are
    /// rendered, before the pages listing them are: a server can send
    /// those at once. If the rest then fails, the change is undone and
    /// those pages must be rendered again ([`LiveSite::render_paths`]).
    pub fn apply(&mut self, changed: &[PathBuf], early: Early<'_>) -> Result<Update, Diagnostics> {
        let started = Instant::now();
        let root = self.options.root.clone();
        let rels: Vec<PathBuf> = changed.iter().filter_map(|p| relative(&root, p)).collect();
        let kinds: Vec<(PathBuf, Kind)> = rels
            .into_iter()
            .map(|r| {
                let k = self.kind_of(&r);
                (r, k)
            })
            .filter(|(_, k)| *k != Kind::Ignored)
            .collect();
        let mut update = if kinds.is_empty() {
            Update::default()
        } else if kinds.iter().any(|(_, k)| *k == Kind::Full) {
            self.reload()?
        } else {
            let templates = kinds.iter().any(|(_, k)| *k == Kind::Template)
                || kinds.iter().any(|(r, k)| {
                    // A theme static file added or removed changes the plan.
                    *k == Kind::ThemeStatic
                        && (!self.by_path.contains_key(&theme_static_out(r))
                            || !root.join(r).is_file())
                });
            let note_partial = self.templates.fingerprint(crate::markdown::NOTE_PARTIAL);
            let mut update = if templates {
                self.apply_templates()?
            } else {
                Update::default()
            };
            let mut docs_or_assets: Vec<(PathBuf, Kind)> = kinds
                .into_iter()
                .filter(|(_, k)| matches!(k, Kind::Document | Kind::Asset | Kind::ThemeStatic))
                .collect();
            if self.templates.fingerprint(crate::markdown::NOTE_PARTIAL) != note_partial {
                // The partial writes the asides inside each document's
                // rendered body (what `Job::Document` declares it reads),
                // so the documents render again, not only their pages.
                let listed: HashSet<PathBuf> =
                    docs_or_assets.iter().map(|(p, _)| p.clone()).collect();
                let all = self.site.documents.iter().map(|d| d.file.clone());
                docs_or_assets.extend(
                    all.filter(|f| !listed.contains(f))
                        .map(|f| (f, Kind::Document)),
                );
            }
            if !docs_or_assets.is_empty() {
                let u = match self.apply_content(&docs_or_assets, early) {
                    Outcome::Done(u) => u,
                    Outcome::Failed(mut ds) => {
                        ds.sort_by(|a, b| a.location.cmp(&b.location));
                        let mut d = Diagnostics::new();
                        d.extend(ds);
                        return Err(d);
                    }
                    Outcome::Reload => self.reload()?,
                };
                merge(&mut update, u);
            }
            update
        };
        update.elapsed = started.elapsed();
        Ok(update)
    }

    /// Reloads the whole site, keeping the current one if the new one has
    /// errors.
    fn reload(&mut self) -> Result<Update, Diagnostics> {
        let (fresh, mut diags) = LiveSite::load(&self.options);
        let Some(fresh) = fresh else {
            return Err(diags);
        };
        let (files, d) = fresh.render_everything();
        diags.extend(d);
        if diags.has_errors() {
            return Err(diags);
        }
        let removed = self
            .by_path
            .keys()
            .filter(|p| !fresh.by_path.contains_key(*p))
            .cloned()
            .collect();
        let documents = fresh.site.documents.len();
        *self = fresh;
        Ok(Update {
            files,
            removed,
            full: true,
            warnings: diags.into_vec(),
            documents,
            ..Update::default()
        })
    }

    /// Reloads the templates and re-renders every page whose template
    /// changed (with what it extends or includes).
    fn apply_templates(&mut self) -> Result<Update, Diagnostics> {
        let fresh = match Templates::load(&self.options.root, &self.site.config.theme) {
            Ok(t) => t,
            Err(ds) => {
                let mut d = Diagnostics::new();
                d.extend(ds);
                return Err(d);
            }
        };
        let mut old = std::mem::replace(&mut self.templates, fresh);
        let collisions = self.replan();
        let (files, mut diags) = if collisions.is_empty() {
            let touched = self.touched(&HashSet::new());
            let mut paths = touched.now;
            paths.extend(touched.then);
            paths.extend(touched.later);
            let (files, diags) = self.render_paths(&paths);
            (Some((files, touched.removed)), diags)
        } else {
            (None, collisions)
        };
        if diags.iter().any(Diagnostic::is_error) {
            std::mem::swap(&mut self.templates, &mut old);
            self.replan();
            self.records = self.records();
            diags.sort_by(|a, b| a.location.cmp(&b.location));
            let mut d = Diagnostics::new();
            d.extend(diags);
            return Err(d);
        }
        let (files, removed) = files.unwrap_or_default();
        Ok(Update {
            files,
            removed,
            warnings: diags,
            ..Update::default()
        })
    }

    /// Applies changed documents, sidecars and copied files.
    fn apply_content(&mut self, changed: &[(PathBuf, Kind)], early: Early<'_>) -> Outcome {
        let root = self.options.root.clone();
        // Files that exist and are known need no new walk; anything created
        // or removed does.
        let mut structural = false;
        let mut docs: BTreeSet<PathBuf> = BTreeSet::new();
        for (rel, kind) in changed {
            let exists = root.join(rel).is_file();
            match kind {
                Kind::Document => {
                    let doc = if self.doc_files.contains_key(rel) {
                        Some(rel.clone())
                    } else {
                        self.sidecar_of.get(rel).cloned()
                    };
                    match doc {
                        Some(d) if exists => {
                            docs.insert(d);
                        }
                        _ => structural = true,
                    }
                }
                Kind::Asset | Kind::ThemeStatic => {
                    let out = if *kind == Kind::ThemeStatic {
                        Some(theme_static_out(rel))
                    } else {
                        self.site
                            .assets
                            .iter()
                            .find(|a| a.file == *rel)
                            .map(|a| a.dest.clone())
                    };
                    // A copied file changed in place is found by its record.
                    match out {
                        Some(o) if exists && self.by_path.contains_key(&o) => {}
                        _ if *kind == Kind::ThemeStatic => {}
                        _ => structural = !root.join(rel).is_dir() || structural,
                    }
                }
                _ => {}
            }
        }
        let mut new_tree = None;
        let mut removed_docs: Vec<PathBuf> = Vec::new();
        if structural {
            let (tree, walk_diags) = load::load_tree(&root);
            if tree.sections != self.sections || tree.section_indexes != self.section_indexes {
                return Outcome::Reload;
            }
            let mut diags: Vec<Diagnostic> = walk_diags;
            for s in &tree.orphan_sidecars {
                diags.push(Diagnostic::error(
                    Some(Location::file(s)),
                    "this sidecar is beside no article (there is no Markdown file of its name)",
                ));
            }
            if diags.iter().any(Diagnostic::is_error) {
                return Outcome::Failed(diags);
            }
            for f in &tree.documents {
                if self.doc_files.get(&f.rel) != Some(f) {
                    docs.insert(f.rel.clone());
                }
            }
            let now: HashSet<&PathBuf> = tree.documents.iter().map(|f| &f.rel).collect();
            removed_docs = self
                .doc_files
                .keys()
                .filter(|f| !now.contains(f))
                .cloned()
                .collect();
            new_tree = Some(tree);
        }
        self.apply_documents(docs, removed_docs, new_tree, early)
    }

    /// The heart of the incremental path: re-render `docs`, drop
    /// `removed`, re-derive the lists, and re-render the outputs that show
    /// them.
    fn apply_documents(
        &mut self,
        mut docs: BTreeSet<PathBuf>,
        removed: Vec<PathBuf>,
        tree: Option<ContentTree>,
        early: Early<'_>,
    ) -> Outcome {
        let root = self.options.root.clone();
        let config_strict = self.site.config.strict;
        let mut diags: Vec<Diagnostic> = Vec::new();
        let mut clock = Clock::new();
        let files_of = |rels: &BTreeSet<PathBuf>, tree: &Option<ContentTree>| -> Vec<DocFile> {
            rels.iter()
                .filter_map(|r| match tree {
                    Some(t) => t.documents.iter().find(|f| f.rel == *r).cloned(),
                    None => self.doc_files.get(r).cloned(),
                })
                .collect()
        };

        // Parse the changed documents.
        let ratings = self.site.config.ratings.clone();
        let parse = |files: Vec<DocFile>| -> Vec<(Option<site::ParsedDoc>, Vec<Diagnostic>)> {
            files
                .par_iter()
                .map(|f| site::parse_document(&root, f, ratings.as_ref()))
                .collect()
        };
        let mut parsed: Vec<site::ParsedDoc> = Vec::new();
        let mut gone: Vec<PathBuf> = removed;
        for (doc, d) in parse(files_of(&docs, &tree)) {
            diags.extend(d);
            if let Some(doc) = doc {
                if doc.is_draft() && !self.options.drafts {
                    gone.push(doc.file().rel.clone());
                } else {
                    parsed.push(doc);
                }
            }
        }
        // Their paths, and the link map they render against.
        let mut paths: Vec<String> = Vec::with_capacity(parsed.len());
        for doc in &parsed {
            let (path, d) = site::document_path(doc);
            diags.extend(d);
            paths.push(path);
        }
        let mut moved: HashSet<String> = HashSet::new();
        let mut links = None;
        for f in &gone {
            if let Some(old) = self.links.get(f) {
                moved.insert(old.clone());
            }
        }
        for (doc, path) in parsed.iter().zip(&paths) {
            let rel = &doc.file().rel;
            if self.links.get(rel) != Some(path) {
                if let Some(old) = self.links.get(rel) {
                    moved.insert(old.clone());
                }
                links.get_or_insert_with(|| self.links.clone());
            }
        }
        if !gone.is_empty() {
            links.get_or_insert_with(|| self.links.clone());
        }
        if let Some(l) = &mut links {
            for f in &gone {
                l.remove(f);
            }
            for (doc, path) in parsed.iter().zip(&paths) {
                l.insert(doc.file().rel.clone(), path.clone());
            }
        }
        // Documents linking to a page that moved or went must be rendered
        // again (their links change, or break).
        if !moved.is_empty() {
            let extra: BTreeSet<PathBuf> = self
                .site
                .documents
                .iter()
                .filter(|d| !docs.contains(&d.file) && !gone.contains(&d.file))
                .filter(|d| d.internal_links.iter().any(|l| moved.contains(&l.path)))
                .map(|d| d.file.clone())
                .collect();
            for (doc, d) in parse(files_of(&extra, &tree)) {
                diags.extend(d);
                if let Some(doc) = doc {
                    let (path, d) = site::document_path(&doc);
                    diags.extend(d);
                    parsed.push(doc);
                    paths.push(path);
                }
            }
            docs.extend(extra);
        }
        // Source keys.
        for doc in &parsed {
            for (key, loc) in doc.source_references() {
                if self.site.registry.index_of(&key).is_none() {
                    if self.site.config.auto_sources {
                        // A new bare source: the registry changes.
                        return Outcome::Reload;
                    }
                    diags.push(self.site.registry.unknown(&key, &loc));
                }
            }
        }
        // Render them.
        let link_map = links.as_ref().unwrap_or(&self.links);
        let note_template = crate::markdown::NoteTemplate::for_site(
            &self.site.config.root,
            &self.site.config.theme,
        );
        let env = Env {
            base_url: &self.site.config.base_url,
            unsafe_html: self.site.config.unsafe_html,
            links: link_map,
            sources: &self.site.registry,
            note_template: note_template.as_ref(),
            kinds: &self.site.config.kinds,
            highlight: crate::markdown::highlight::Themes::of(&self.site.config),
        };
        let rendered: Vec<(Document, Vec<Diagnostic>)> = parsed
            .into_par_iter()
            .zip(paths.into_par_iter())
            .map(|(doc, path)| site::render_document(doc, path, &env))
            .collect();
        let mut new_docs = Vec::with_capacity(rendered.len());
        for (doc, d) in rendered {
            diags.extend(d);
            new_docs.push(doc);
        }
        strict(&mut diags, config_strict);
        if diags.iter().any(Diagnostic::is_error) {
            return Outcome::Failed(diags);
        }
        clock.lap("parse and render Markdown");

        // Apply, remembering how to undo.
        let documents = new_docs.len();
        let mut undo = Undo {
            removed: Vec::new(),
            inserted: new_docs.iter().map(|d| d.file.clone()).collect(),
            links: None,
            doc_files: None,
            assets: None,
        };
        let mut remove: Vec<PathBuf> = gone.clone();
        remove.extend(undo.inserted.iter().cloned());
        let inserted_keys = crate::render::search::shard_keys(new_docs.iter());
        let replaced = self.replace_documents(&remove, new_docs);
        // The search shards are planned by the terms' prefixes: when the
        // changed documents' prefixes differ, the set of shards may.
        let shards_changed = inserted_keys
            != crate::render::search::shard_keys(replaced.taken.iter().map(|(_, d)| d))
            && self.search_shards_differ();
        undo.removed = replaced.taken;
        clock.lap("replace documents");
        let mut structural = replaced.rewired || shards_changed || self.plan_changed();
        if let Some(l) = links {
            undo.links = Some(std::mem::replace(&mut self.links, l));
            structural = true;
        }
        if let Some(tree) = tree {
            undo.doc_files = Some((self.doc_files.clone(), self.sidecar_of.clone()));
            let assets = site::assets(&tree, &self.links);
            if assets.len() != self.site.assets.len()
                || assets
                    .iter()
                    .zip(&self.site.assets)
                    .any(|(a, b)| a.file != b.file || a.dest != b.dest)
            {
                undo.assets = Some(std::mem::replace(&mut self.site.assets, assets));
            }
            self.take_tree(tree);
            structural = true;
        }
        let fail = |me: &mut LiveSite, undo: Undo, mut d: Vec<Diagnostic>| {
            me.undo(undo);
            me.records = me.records();
            d.sort_by(|a, b| a.location.cmp(&b.location));
            Outcome::Failed(d)
        };
        let changed_files: HashSet<PathBuf> = self
            .site
            .documents
            .iter()
            .enumerate()
            .filter(|(i, _)| replaced.changed.contains(&self.ids[*i]))
            .map(|(_, d)| d.file.clone())
            .collect();
        // The changed documents' own pages first, so the caller can tell
        // open pages at once: finding what else the change touched reads
        // every output's record, which takes long on a big site. With the
        // plan unchanged their paths are known and nothing can collide.
        let mut sent: Vec<String> = Vec::new();
        if !structural {
            let pages: Vec<String> = self
                .jobs
                .iter()
                .filter(|(_, job)| {
                    matches!(job, Job::Document(i) if changed_files.contains(&self.site.documents[*i].file))
                })
                .map(|(p, _)| p.clone())
                .collect();
            let (files, d) = self.render_paths(&pages);
            if d.iter().any(Diagnostic::is_error) {
                return fail(self, undo, d);
            }
            diags.extend(d);
            clock.lap("render changed pages");
            early(&files);
            sent = pages;
        }
        // The plan only changes with the lists, paths or files.
        let mut collisions = Vec::new();
        if structural {
            collisions = self.replan();
            clock.lap("plan");
        }
        let touched = if collisions.is_empty() {
            self.touched(&changed_files)
        } else {
            Touched::default()
        };
        clock.lap("find touched outputs");
        if !collisions.is_empty() {
            return fail(self, undo, collisions);
        }
        let now: Vec<String> = touched
            .now
            .into_iter()
            .filter(|p| !sent.contains(p))
            .collect();
        if !now.is_empty() {
            let (files, d) = self.render_paths(&now);
            if d.iter().any(Diagnostic::is_error) {
                return fail(self, undo, d);
            }
            diags.extend(d);
            clock.lap("render changed pages");
            early(&files);
        }
        sent.extend(now);
        let (more, d) = self.render_paths(&touched.then);
        if d.iter().any(Diagnostic::is_error) {
            return fail(self, undo, d);
        }
        diags.extend(d);
        clock.lap("render listing, tag and source pages");
        Outcome::Done(Update {
            files: more,
            early: sent,
            later: touched.later,
            removed: touched.removed,
            warnings: diags,
            documents,
            timings: clock.laps,
            ..Update::default()
        })
    }

    fn undo(&mut self, undo: Undo) {
        let docs: Vec<Document> = undo.removed.into_iter().map(|(_, d)| d).collect();
        let _ = self.replace_documents(&undo.inserted, docs);
        if let Some(l) = undo.links {
            self.links = l;
        }
        if let Some((f, s)) = undo.doc_files {
            self.doc_files = f;
            self.sidecar_of = s;
        }
        if let Some(a) = undo.assets {
            self.site.assets = a;
        }
        self.replan();
    }

    /// Takes the documents of the files `remove` out and puts `insert` in,
    /// keeping everything parallel to `site.documents` in step. Returns the
    /// documents taken out (with their ids) and the ids of every document
    /// whose rendering may differ (inserted ones, and ones whose tag
    /// spelling or section link changed).
    fn replace_documents(&mut self, remove: &[PathBuf], insert: Vec<Document>) -> Replaced {
        let mut changed: HashSet<u32> = HashSet::new();
        let mut taken = Vec::new();
        // Documents replaced by a new version of the same file keep their
        // place (and identity); the rest are removed and appended.
        let mut insert_by_file: HashMap<PathBuf, Document> =
            insert.into_iter().map(|d| (d.file.clone(), d)).collect();
        let mut dropped: Vec<usize> = Vec::new();
        let mut touched: Vec<usize> = Vec::new();
        let mut rewire = false;
        for f in remove {
            let Some(&i) = self.by_file.get(f) else {
                continue;
            };
            match insert_by_file.remove(f) {
                Some(mut new) => {
                    if same_wiring(&self.site.documents[i], &new) {
                        // Not re-wired: its tags keep the site's spelling
                        // (the first in site order), which wiring gave it.
                        new.tags = self.site.documents[i].tags.clone();
                    } else {
                        rewire = true;
                    }
                    let old = std::mem::replace(&mut self.site.documents[i], new);
                    taken.push((self.ids[i], old));
                    touched.push(i);
                    changed.insert(self.ids[i]);
                }
                None => dropped.push(i),
            }
        }
        let appended: Vec<Document> = insert_by_file.into_values().collect();
        let mut order_changed = !dropped.is_empty() || !appended.is_empty();
        if !dropped.is_empty() {
            dropped.sort_unstable();
            let drop: HashSet<usize> = dropped.iter().copied().collect();
            let docs = std::mem::take(&mut self.site.documents);
            let ids = std::mem::take(&mut self.ids);
            let items = std::mem::take(&mut self.catalogue.items);
            for (i, ((d, id), item)) in docs.into_iter().zip(ids).zip(items).enumerate() {
                if drop.contains(&i) {
                    taken.push((id, d));
                } else {
                    self.site.documents.push(d);
                    self.ids.push(id);
                    self.catalogue.items.push(item);
                }
            }
        }
        for d in appended {
            let id = self.next_id;
            self.next_id += 1;
            changed.insert(id);
            self.site.documents.push(d);
            self.ids.push(id);
            self.catalogue.items.push(None);
        }
        if !order_changed {
            // A changed document may have moved (a new date or title).
            let docs = &self.site.documents;
            order_changed = touched.iter().any(|&i| {
                (i > 0 && site::document_order(&docs[i - 1], &docs[i]).is_gt())
                    || (i + 1 < docs.len() && site::document_order(&docs[i], &docs[i + 1]).is_gt())
            });
        }
        if order_changed {
            let mut order: Vec<usize> = (0..self.site.documents.len()).collect();
            {
                let docs = &self.site.documents;
                order.sort_by(|&a, &b| site::document_order(&docs[a], &docs[b]));
            }
            let mut docs: Vec<Option<Document>> = std::mem::take(&mut self.site.documents)
                .into_iter()
                .map(Some)
                .collect();
            self.site.documents = order.iter().filter_map(|&i| docs[i].take()).collect();
            self.ids = order.iter().map(|&i| self.ids[i]).collect();
            self.catalogue.reorder(&order);
        }
        // The derived lists only change when the order or what they are
        // made of (section, tags, source, notes and their sources) does.
        let rewired = order_changed || rewire;
        if rewired {
            for i in site::wire(&mut self.site) {
                changed.insert(self.ids[i]);
            }
            for s in self.catalogue.refresh_section_links(&self.site) {
                for &i in &self.site.sections[s].articles {
                    changed.insert(self.ids[i]);
                }
            }
        } else {
            // Keep what wire() would have set: the section index and the
            // tag spellings (unchanged, or `rewire` would be set).
            for &i in &touched {
                let old = taken.iter().find(|(id, _)| *id == self.ids[i]);
                if let Some((_, old)) = old {
                    self.site.documents[i].section = old.section;
                }
            }
        }
        if order_changed {
            self.index_files();
        }
        let refresh: Vec<usize> = (0..self.site.documents.len())
            .filter(|&i| changed.contains(&self.ids[i]))
            .collect();
        for &i in &refresh {
            self.catalogue.update_document(&self.site, i);
        }
        self.refresh_documents(refresh);
        Replaced {
            taken,
            changed,
            rewired,
        }
    }

    /// Gives documents `which` (indices) a new revision and fingerprints
    /// their listing items again, after they were rendered again.
    pub(super) fn refresh_documents(&mut self, which: impl IntoIterator<Item = usize>) {
        for i in which {
            self.rev += 1;
            let file = self.site.documents[i].file.clone();
            self.item_fp.insert(
                file.clone(),
                hash_json(&self.catalogue.item_value(&self.site, i)),
            );
            self.doc_rev.insert(file, self.rev);
        }
    }

    /// Whether the site now plans other outputs than the plan kept (a
    /// rating added that gives `/claims/` a page, say), asked of the
    /// renderer rather than listed by kind. The search shards are compared
    /// apart ([`LiveSite::search_shards_differ`]), the sitemap follows the
    /// rest, and copied files change only with the files found, which
    /// re-plans anyway.
    fn plan_changed(&self) -> bool {
        let compared = |j: &&Job| {
            !matches!(
                j,
                Job::SearchShard(_)
                    | Job::Sitemap
                    | Job::SitemapPart(_)
                    | Job::ThemeStatic(_)
                    | Job::Asset(_)
            )
        };
        let now = self.renderer().jobs_but_search_and_sitemap();
        !now.iter()
            .filter(compared)
            .eq(self.jobs.iter().map(|(_, j)| j).filter(compared))
    }
}

/// Whether two versions of a document feed the derived lists (sections,
/// tags, source uses, counts) the same way, so they need no re-deriving.
fn same_wiring(a: &Document, b: &Document) -> bool {
    a.section_folder == b.section_folder
        && a.section.is_some() == b.section.is_some()
        && a.written_tags == b.written_tags
        && a.source == b.source
        && a.note_count() == b.note_count()
        && a.all_notes()
            .zip(b.all_notes())
            .all(|(x, y)| x.sources == y.sources)
}

/// How applying changed content went.
enum Outcome {
    Done(Update),
    /// Errors; nothing was changed.
    Failed(Vec<Diagnostic>),
    /// The change needs the whole site reloaded.
    Reload,
}

/// Times the steps of an update.
struct Clock {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, what: &'static str) {
        let now = Instant::now();
        self.laps.push((what, now - self.last));
        self.last = now;
    }
}

fn merge(into: &mut Update, u: Update) {
    // A page the later step rendered again (a document whose body the note
    // partial changed, after the templates step rendered its page) holds
    // the newer bytes: the earlier ones must not follow the early pages.
    let newer: HashSet<&str> = u
        .early
        .iter()
        .map(String::as_str)
        .chain(u.files.iter().map(|(p, _)| p.as_str()))
        .collect();
    into.files.retain(|(p, _)| !newer.contains(p.as_str()));
    into.timings.extend(u.timings);
    into.files.extend(u.files);
    into.later.extend(u.later);
    into.removed.extend(u.removed);
    into.warnings.extend(u.warnings);
    into.documents = into.documents.saturating_add(u.documents);
    into.full |= u.full;
}
