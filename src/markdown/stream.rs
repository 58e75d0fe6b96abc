//! The event stream the Markdown extensions pass along, and the adaptor
//! that chains them before pulldown-cmark's HTML writer.
//!
//! An extension is a small struct that is fed one [`Item`] at a time and
//! writes zero or more items ([`Extension`]); [`Through::through`] makes it
//! an iterator adaptor over any stream of items, as pulldown-cmark's own
//! event filters are. Extensions rewrite only the author's events
//! ([`Origin::Author`]): what an earlier extension wrote (a `<mark>`, an
//! `<aside>`, highlighted code) passes the later ones untouched, so the
//! order of the chain matters only where an extension says so.

use std::collections::VecDeque;
use std::ops::Range;

use pulldown_cmark::Event;

/// One event on its way to the HTML writer.
#[derive(Debug, Clone)]
pub(super) struct Item<'a> {
    pub event: Event<'a>,
    /// Where the event's source is in the Markdown (for locating problems).
    pub range: Range<usize>,
    /// Index of the parsed event it comes from: notes and heading ids are
    /// placed by it, and the summary is cut by it.
    pub source: usize,
    pub origin: Origin,
}

/// Who wrote an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// The Markdown as written: extensions may rewrite it.
    Author,
    /// Written by an extension, and part of the text (highlighted code, the
    /// pieces of a marked passage).
    Rendered,
    /// Annotation markup (marks, note numbers, asides, heading anchors):
    /// left out of summaries.
    Annotation,
}

impl<'a> Item<'a> {
    /// An item written by an extension in place of (or beside) `self`.
    pub fn derived(&self, event: Event<'a>, origin: Origin) -> Item<'a> {
        Item {
            event,
            range: self.range.clone(),
            source: self.source,
            origin,
        }
    }

    pub fn is_author(&self) -> bool {
        self.origin == Origin::Author
    }
}

/// The parsed events as the author's items.
pub(super) fn items<'a>(
    events: impl IntoIterator<Item = (Event<'a>, Range<usize>)>,
) -> impl Iterator<Item = Item<'a>> {
    events
        .into_iter()
        .enumerate()
        .map(|(source, (event, range))| Item {
            event,
            range,
            source,
            origin: Origin::Author,
        })
}

/// A Markdown extension: turns each item it is fed into zero or more
/// items, in order.
pub(super) trait Extension<'a> {
    fn feed(&mut self, item: Item<'a>, out: &mut VecDeque<Item<'a>>);
}

/// An extension applied to a stream of items.
pub(super) struct Adapt<'a, I, E> {
    inner: I,
    extension: E,
    queue: VecDeque<Item<'a>>,
}

impl<'a, I, E> Iterator for Adapt<'a, I, E>
where
    I: Iterator<Item = Item<'a>>,
    E: Extension<'a>,
{
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            let item = self.inner.next()?;
            self.extension.feed(item, &mut self.queue);
        }
    }
}

/// `.through(extension)` on any stream of items.
pub(super) trait Through<'a>: Iterator<Item = Item<'a>> + Sized {
    fn through<E: Extension<'a>>(self, extension: E) -> Adapt<'a, Self, E> {
        Adapt {
            inner: self,
            extension,
            queue: VecDeque::new(),
        }
    }
}

impl<'a, I: Iterator<Item = Item<'a>>> Through<'a> for I {}

/// Writes items as HTML.
pub(super) fn push_html<'a>(out: &mut String, items: impl Iterator<Item = Item<'a>>) {
    pulldown_cmark::html::push_html(out, items.map(|item| item.event));
}
