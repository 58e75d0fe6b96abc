//! Heading ids: each heading gets an id unique on the page (and never a
//! note's), and a `#` link to itself before its end tag.

use std::collections::{HashMap, HashSet, VecDeque};

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::ScannedHeading;
use super::stream::{Extension, Item, Origin};
use crate::html;
use crate::model::Heading;

/// Picks the id of every heading the scan found, adding them to `used`.
/// Returns the table of contents and the id by the heading's start event.
pub(super) fn assign_ids(
    headings: &[ScannedHeading],
    used: &mut HashSet<String>,
) -> (Vec<Heading>, HashMap<usize, String>) {
    let mut toc = Vec::with_capacity(headings.len());
    let mut heading_ids: HashMap<usize, String> = HashMap::new();
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    for ScannedHeading {
        start,
        level,
        text,
        id,
        ..
    } in headings
    {
        // An explicit id (`{#…}`) is kept when it is safe to put in a
        // URL fragment and an attribute as it is; otherwise it is slugified.
        let explicit = id.clone().map(|id| {
            let plain = id.chars().all(|c| {
                !c.is_whitespace()
                    && !c.is_control()
                    && !matches!(c, '"' | '\'' | '<' | '>' | '&' | '#' | '%')
            });
            if plain { id } else { slug::slugify(&id) }
        });
        let base = explicit.filter(|id| !id.is_empty()).unwrap_or_else(|| {
            let s = slug::slugify(text);
            if s.is_empty() {
                "section".to_string()
            } else {
                s
            }
        });
        // `base`, else `base-1`, `base-2`, … counting on from the last one
        // taken for this base (starting from 1 each time made n equal
        // headings cost n² tries).
        let mut id = base.clone();
        if !used.insert(id.clone()) {
            let n = next_suffix.entry(base.clone()).or_insert(1);
            loop {
                id = format!("{base}-{n}");
                *n += 1;
                if used.insert(id.clone()) {
                    break;
                }
            }
        }
        toc.push(Heading {
            level: *level as u8,
            id: id.clone(),
            title: text.clone(),
        });
        heading_ids.insert(*start, id);
    }
    (toc, heading_ids)
}

/// Writes each heading's id (by its start event) and its `#` anchor.
pub(super) struct HeadingIds<'h> {
    ids: &'h HashMap<usize, String>,
    current: Option<String>,
}

impl<'h> HeadingIds<'h> {
    pub fn new(ids: &'h HashMap<usize, String>) -> Self {
        HeadingIds { ids, current: None }
    }
}

impl<'a> Extension<'a> for HeadingIds<'_> {
    fn feed(&mut self, item: Item<'a>, out: &mut VecDeque<Item<'a>>) {
        if !item.is_author() {
            out.push_back(item);
            return;
        }
        match item.event {
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                let id = self.ids.get(&item.source).cloned();
                self.current = id.clone();
                let event = Event::Start(Tag::Heading {
                    level,
                    id: id.map(CowStr::from),
                    classes,
                    attrs,
                });
                out.push_back(Item { event, ..item });
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(id) = self.current.take() {
                    // An explicit id (`{#…}`) is the author's text: escape it.
                    let a = format!(
                        "<a class=\"heading-anchor\" href=\"#{}\" aria-label=\"Link to this section\">#</a>",
                        html::escape(&id)
                    );
                    out.push_back(item.derived(Event::InlineHtml(a.into()), Origin::Annotation));
                }
                out.push_back(item);
            }
            _ => out.push_back(item),
        }
    }
}
