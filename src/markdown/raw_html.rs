//! Raw HTML in the Markdown: the `<!-- more -->` marker becomes the
//! summary's anchor, and any other HTML marks the page as one to sanitise.

use std::collections::VecDeque;

use pulldown_cmark::Event;

use super::stream::{Extension, Item, Origin};

/// Writes `<!-- more -->` as `<span id="more">` and notes whether the
/// author wrote any other HTML.
pub(super) struct RawHtml<'f> {
    has_raw_html: &'f mut bool,
}

impl<'f> RawHtml<'f> {
    pub fn new(has_raw_html: &'f mut bool) -> Self {
        RawHtml { has_raw_html }
    }
}

impl<'a> Extension<'a> for RawHtml<'_> {
    fn feed(&mut self, item: Item<'a>, out: &mut VecDeque<Item<'a>>) {
        match &item.event {
            Event::Html(h) | Event::InlineHtml(h) if item.is_author() => {
                if h.trim() == "<!-- more -->" {
                    let span = Event::Html("<span id=\"more\"></span>".into());
                    return out.push_back(item.derived(span, Origin::Annotation));
                }
                *self.has_raw_html = true;
                out.push_back(item);
            }
            _ => out.push_back(item),
        }
    }
}
