//! The numbers behind the archive's pictures (DESIGN §12): `/stats/` and
//! each source page's timeline, counted from the model and drawn by
//! [`crate::charts`].

use std::collections::BTreeMap;

use crate::charts::{Bar, BarChart, Drawn, NoteMark, Series, months, note_map};
use crate::model::Site;
use crate::model::{Date, UNDATED, month_of_code};
use crate::routes;

/// How many sources and articles the rankings show.
const TOP: usize = 20;

/// The label of notes that have no `kind`.
const NO_KIND: &str = "unlabelled";

/// `YYYY-MM` of a date, and the (year, month) to order by.
fn month_of(d: &Date) -> (i32, u32) {
    use chrono::Datelike;
    (d.datetime.year(), d.datetime.month())
}

fn month_key((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}")
}

/// The note kinds used in the site, in a stable order (alphabetical, the
/// unlabelled last).
fn kinds_used(site: &Site) -> Vec<Option<String>> {
    // A set of names, not a clone of every note's kind sorted: this runs
    // over all of the archive's documents.
    let mut named = std::collections::BTreeSet::new();
    let mut unnamed = false;
    for d in &site.documents {
        for (kind, _) in d.note_facts(&site.registry).kinds.iter() {
            match kind {
                Some(kind) => {
                    if !named.contains(kind.as_ref()) {
                        named.insert(kind.to_string());
                    }
                }
                None => unnamed = true,
            }
        }
    }
    let mut kinds: Vec<Option<String>> = named.into_iter().map(Some).collect();
    if unnamed {
        kinds.push(None);
    }
    kinds
}

fn kind_series(kinds: &[Option<String>]) -> Vec<Series> {
    kinds
        .iter()
        .map(|k| Series {
            kind: Some(k.clone().unwrap_or_else(|| NO_KIND.to_string())),
            label: k.clone().unwrap_or_else(|| NO_KIND.to_string()),
        })
        .collect()
}

/// Months from the first to the last key of `counts`, each with its values
/// (zero for quiet months).
fn month_bars(counts: &BTreeMap<(i32, u32), Vec<u64>>, width: usize) -> Vec<Bar> {
    let (Some(first), Some(last)) = (counts.keys().next(), counts.keys().next_back()) else {
        return Vec::new();
    };
    let index: BTreeMap<String, &Vec<u64>> =
        counts.iter().map(|(k, v)| (month_key(*k), v)).collect();
    months(*first, *last)
        .into_iter()
        .map(|m| Bar {
            values: index
                .get(&m)
                .map(|v| (*v).clone())
                .unwrap_or_else(|| vec![0; width]),
            label: m,
            href: None,
        })
        .collect()
}

/// Every chart of `/stats/`, in reading order.
pub fn site_charts(site: &Site) -> Vec<Drawn> {
    let mut charts = Vec::new();
    let config = &site.config;

    // Articles per month.
    let mut per_month: BTreeMap<(i32, u32), Vec<u64>> = BTreeMap::new();
    let mut undated = 0;
    for (_, d) in site.articles() {
        match &d.date {
            Some(date) => per_month.entry(month_of(date)).or_insert_with(|| vec![0])[0] += 1,
            None => undated += 1,
        }
    }
    charts.push(
        BarChart {
            id: "articles-per-month".into(),
            title: "Articles per month".into(),
            desc: format!(
                "How many archived articles were published each month{}.",
                if undated > 0 {
                    format!(" ({undated} without a date are not counted)")
                } else {
                    String::new()
                }
            ),
            series: vec![Series {
                kind: None,
                label: "articles".into(),
            }],
            bars: month_bars(&per_month, 1),
            across: true,
        }
        .draw(),
    );

    // Notes by kind.
    let kinds = kinds_used(site);
    let mut by_kind = vec![0u64; kinds.len()];
    for d in &site.documents {
        for (kind, count) in d.note_facts(&site.registry).kinds.iter() {
            if let Some(i) = kinds.iter().position(|k| k.as_deref() == kind.as_deref()) {
                by_kind[i] += u64::from(*count);
            }
        }
    }
    charts.push(
        BarChart {
            id: "notes-by-kind".into(),
            title: "Notes by kind".into(),
            desc: "How many margin notes there are of each kind.".into(),
            series: kind_series(&kinds),
            bars: kinds
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let mut values = vec![0; kinds.len()];
                    values[i] = by_kind[i];
                    Bar {
                        label: k.clone().unwrap_or_else(|| NO_KIND.to_string()),
                        href: None,
                        values,
                    }
                })
                .collect(),
            across: false,
        }
        .draw(),
    );

    // The most-cited sources: notes citing each.
    let mut sources: Vec<(u64, String, String)> = site
        .registry
        .all()
        .iter()
        .zip(&site.source_uses)
        .map(|(s, uses)| {
            (
                uses.notes.len() as u64,
                s.name.clone(),
                config.url(&routes::source_dir(&s.slug)),
            )
        })
        .filter(|(n, _, _)| *n > 0)
        .collect();
    sources.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    sources.truncate(TOP);
    charts.push(
        BarChart {
            id: "most-cited-sources".into(),
            title: format!("The {TOP} most-cited sources"),
            desc:
                "Sources ranked by the notes that cite them; each bar links to the source's page."
                    .into(),
            series: vec![Series {
                kind: None,
                label: "notes citing it".into(),
            }],
            bars: sources
                .into_iter()
                .map(|(n, name, url)| Bar {
                    label: name,
                    href: Some(url),
                    values: vec![n],
                })
                .collect(),
            across: false,
        }
        .draw(),
    );

    // The most-annotated articles.
    let mut articles: Vec<(u64, usize)> = site
        .articles()
        .map(|(i, d)| (d.note_count() as u64, i))
        .filter(|(n, _)| *n > 0)
        .collect();
    articles.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    articles.truncate(TOP);
    charts.push(
        BarChart {
            id: "most-annotated-articles".into(),
            title: format!("The {TOP} most-annotated articles"),
            desc: "Articles ranked by their margin notes; each bar links to the article.".into(),
            series: vec![Series {
                kind: None,
                label: "notes".into(),
            }],
            bars: articles
                .into_iter()
                .map(|(n, i)| Bar {
                    label: site.documents[i].title.clone(),
                    href: Some(config.url(&site.documents[i].path)),
                    values: vec![n],
                })
                .collect(),
            across: false,
        }
        .draw(),
    );

    // How many notes an article has.
    const BUCKETS: [(u64, u64, &str); 8] = [
        (0, 0, "0"),
        (1, 1, "1"),
        (2, 2, "2"),
        (3, 3, "3"),
        (4, 5, "4–5"),
        (6, 10, "6–10"),
        (11, 20, "11–20"),
        (21, u64::MAX, "21+"),
    ];
    let mut spread = [0u64; BUCKETS.len()];
    for (_, d) in site.articles() {
        let n = d.note_count() as u64;
        if let Some(b) = BUCKETS
            .iter()
            .position(|(lo, hi, _)| (*lo..=*hi).contains(&n))
        {
            spread[b] += 1;
        }
    }
    charts.push(
        BarChart {
            id: "notes-per-article".into(),
            title: "Notes per article".into(),
            desc: "How many articles have no notes, one note, two, and so on.".into(),
            series: vec![Series {
                kind: None,
                label: "articles".into(),
            }],
            bars: BUCKETS
                .iter()
                .zip(spread)
                .map(|((_, _, label), n)| Bar {
                    label: format!("{label} notes"),
                    href: None,
                    values: vec![n],
                })
                .collect(),
            across: false,
        }
        .draw(),
    );

    // Articles changed after capture (DESIGN §10), once any has versions:
    // each change at the month its later snapshot was captured.
    let mut changes: BTreeMap<(i32, u32), Vec<u64>> = BTreeMap::new();
    let mut undated_changes = 0;
    for (_, d) in site.articles() {
        for c in d.versions.iter().flat_map(|v| &v.changes) {
            match c.to_archived.as_ref().or(c.from_archived.as_ref()) {
                Some(date) => {
                    changes.entry(month_of(date)).or_insert_with(|| vec![0, 0])
                        [usize::from(!c.notice)] += 1
                }
                None => undated_changes += 1,
            }
        }
    }
    if !changes.is_empty() {
        charts.push(
            BarChart {
                id: "changes-per-month".into(),
                title: "Changes found after capture, per month".into(),
                desc: format!(
                    "How many changes between consecutive captures of an article were found each month \
                     (at the later capture's date), and how many of them added a correction or update notice{}.",
                    if undated_changes > 0 {
                        format!(" ({undated_changes} without a capture date are not counted)")
                    } else {
                        String::new()
                    }
                ),
                series: vec![
                    Series {
                        kind: Some("correction".into()),
                        label: "with a notice".into(),
                    },
                    Series {
                        kind: None,
                        label: "without notice".into(),
                    },
                ],
                bars: month_bars(&changes, 2),
                across: true,
            }
            .draw(),
        );
    }
    charts
}

/// Every source's timeline, counted once per render for all sources and
/// each drawn when its page first asks ([`Timelines::get`]): an edit
/// build renders the pages of a few sources only.
pub struct Timelines {
    kinds: Vec<Option<String>>,
    counts: Vec<BTreeMap<(i32, u32), Vec<u64>>>,
    drawn: Vec<std::sync::OnceLock<Option<Drawn>>>,
}

impl Timelines {
    /// Source `source`'s timeline, `None` when nothing dated refers to it.
    pub fn get(&self, site: &Site, source: usize) -> Option<&Drawn> {
        let counts = self.counts.get(source)?;
        self.drawn
            .get(source)?
            .get_or_init(|| source_timeline(site, source, &self.kinds, counts.clone()))
            .as_ref()
    }
}

/// Every source's counts, by source index: each of a source's paginated
/// pages shows the same timeline. The notes citing a source are counted
/// from their documents' facts ([`crate::model::NoteFacts::cite_marks`]:
/// each citing note's month and kind), so that no note is read back from
/// where a build spilled it.
pub fn source_timelines(site: &Site) -> Timelines {
    let kinds = kinds_used(site);
    let width = 1 + kinds.len();
    let mut counts: Vec<BTreeMap<(i32, u32), Vec<u64>>> =
        vec![BTreeMap::new(); site.source_uses.len()];
    for (s, uses) in site.source_uses.iter().enumerate() {
        for &d in &uses.articles {
            if let Some(date) = &site.documents[d].date {
                counts[s]
                    .entry(month_of(date))
                    .or_insert_with(|| vec![0; width])[0] += 1;
            }
        }
    }
    // A note without a date counts at its article's date; undated both,
    // it is left out.
    for d in &site.documents {
        let facts = d.note_facts(&site.registry);
        if facts.cites.is_empty() {
            continue;
        }
        // The document's kinds by their index in the site's.
        let global: Vec<usize> = facts
            .kinds
            .iter()
            .map(|(k, _)| {
                kinds
                    .iter()
                    .position(|x| x.as_deref() == k.as_deref())
                    .unwrap_or(0)
            })
            .collect();
        for (&(_, s), &(month, k)) in facts.cites.iter().zip(facts.cite_marks.iter()) {
            if month == UNDATED {
                continue;
            }
            let Some(c) = counts.get_mut(s as usize) else {
                continue;
            };
            let k = global.get(k as usize).copied().unwrap_or(0);
            c.entry(month_of_code(month))
                .or_insert_with(|| vec![0; width])[1 + k] += 1;
        }
    }
    Timelines {
        drawn: counts.iter().map(|_| std::sync::OnceLock::new()).collect(),
        kinds,
        counts,
    }
}

/// A source's timeline from its `counts`: per month, the articles from it
/// and the notes citing it, stacked by kind. `None` when nothing dated
/// refers to the source.
fn source_timeline(
    site: &Site,
    source: usize,
    kinds: &[Option<String>],
    counts: BTreeMap<(i32, u32), Vec<u64>>,
) -> Option<Drawn> {
    let width = 1 + kinds.len();
    if counts.is_empty() {
        return None;
    }
    let mut series = vec![Series {
        kind: None,
        label: "articles".into(),
    }];
    series.extend(kind_series(kinds).into_iter().map(|mut s| {
        s.label = format!("{} notes", s.label);
        s
    }));
    let name = &site.registry.all()[source].name;
    Some(
        BarChart {
            id: "source-timeline".into(),
            title: format!("{name} by month"),
            desc: format!(
                "Articles from {name} and notes citing it, per month, the notes stacked by kind."
            ),
            series,
            bars: month_bars(&counts, width),
            across: true,
        }
        .draw(),
    )
}

/// The thin map beside an article's title (DESIGN §12): where in its text
/// each numbered note's passage falls, coloured by kind, each tick a link
/// to the note. `None` when the article has no numbered note.
///
/// Positions are read from the rendered body, where each passage starts
/// with `<mark class="anchor" id="ID"`: the body is what the reader
/// scrolls, so a tick at 40 % is 40 % of the way down the text, whatever
/// the Markdown's headings and links weigh.
pub fn article_note_map(d: &crate::model::Document) -> Option<String> {
    const MARK: &str = "<mark class=\"anchor\" id=\"";
    let body = &d.content_html;
    if body.is_empty() || !d.notes.iter().any(|n| n.number > 0) {
        return None;
    }
    let mut starts: std::collections::HashMap<&str, usize> = Default::default();
    for (at, _) in body.match_indices(MARK) {
        let rest = &body[at + MARK.len()..];
        if let Some(end) = rest.find('"') {
            starts.entry(&rest[..end]).or_insert(at);
        }
    }
    let marks: Vec<NoteMark> = d
        .notes
        .iter()
        .filter(|n| n.number > 0)
        .filter_map(|n| {
            let at = *starts.get(n.id.as_str())?;
            let kind = n.kind.as_deref().unwrap_or(NO_KIND);
            Some(NoteMark {
                at: (at as u128 * 1000 / body.len() as u128) as u32,
                kind: n.kind.clone(),
                href: format!("#note-{}", n.id),
                label: format!("Note {} ({kind}): “{}”", n.number, short_quote(&n.quote)),
            })
        })
        .collect();
    if marks.is_empty() {
        return None;
    }
    let title = format!(
        "Where the {} note{} fall in the text",
        marks.len(),
        if marks.len() == 1 { "" } else { "s" }
    );
    Some(note_map("note-map", &title, &marks))
}

/// The first words of a passage, for a tick's tooltip.
fn short_quote(quote: &str) -> String {
    const WORDS: usize = 8;
    let words: Vec<&str> = quote.split_whitespace().collect();
    if words.len() <= WORDS {
        words.join(" ")
    } else {
        format!("{} …", words[..WORDS].join(" "))
    }
}
