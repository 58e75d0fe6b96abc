//! Pictures of the archive (DESIGN §12), drawn at build time as inline SVG.
//!
//! A small SVG writer rather than a plotting crate: the charts must take
//! their colours from the theme's CSS custom properties (so dark mode and
//! print follow), link each bar to its page, be focusable with a count
//! shown on focus, and carry `<title>`/`<desc>` plus a data table as their
//! text equivalent. `plotters`' SVG backend writes fixed RGB colours and no
//! links; `charts-rs` and `poloto` style through their own themes. What is
//! needed here is a few rectangles and labels, which this module writes.
//!
//! Every mark carries `data-kind` where it stands for a note kind, so the
//! `[data-kind=…] { --kind: … }` rules of `/kinds.css` colour it; other
//! marks use `--chart-bar` (falling back to the text colour). The fill
//! that reads those properties is one rule of `/kinds.css` too, not an
//! attribute repeated on every mark (an article's note map has one per
//! note).

use std::fmt::Write;

/// One series of a stacked chart (a note kind, or "articles").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Series {
    /// `data-kind` of its marks (a note kind), or `None` for plain bars.
    pub kind: Option<String>,
    /// What the legend and the table call it.
    pub label: String,
}

/// One bar: a label, an optional link, and a value per series.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Bar {
    pub label: String,
    pub href: Option<String>,
    pub values: Vec<u64>,
}

/// A bar chart, stacked when there is more than one series.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BarChart {
    /// Unique within the page: ids of the title and description.
    pub id: String,
    pub title: String,
    pub desc: String,
    pub series: Vec<Series>,
    pub bars: Vec<Bar>,
    /// Bars across (a timeline, months along the axis) or down (a ranking
    /// with long labels).
    pub across: bool,
}

/// What a template shows: the picture and its text equivalent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drawn {
    pub id: String,
    pub title: String,
    pub svg: String,
    /// An HTML `<table>` with the same numbers.
    pub table: String,
}

impl BarChart {
    pub fn total(bar: &Bar) -> u64 {
        bar.values.iter().sum()
    }

    pub fn draw(&self) -> Drawn {
        Drawn {
            id: self.id.clone(),
            title: self.title.clone(),
            svg: if self.across {
                self.svg_across()
            } else {
                self.svg_down()
            },
            table: self.table(),
        }
    }

    fn max_total(&self) -> u64 {
        self.bars.iter().map(Self::total).max().unwrap_or(0).max(1)
    }

    /// Columns along a horizontal axis (months): a viewBox that scales to
    /// the column's width, labels every few bars so they never collide.
    fn svg_across(&self) -> String {
        const H: f64 = 120.0;
        const AXIS: f64 = 16.0;
        // A fixed drawing width, so labels keep one size however many
        // months there are.
        const W: f64 = 600.0;
        let n = self.bars.len().max(1);
        // At least twelve slots, so a young archive's few months are bars,
        // not slabs.
        let slot = W / n.max(12) as f64;
        let width = W;
        let max = self.max_total() as f64;
        let mut s = self.open("chart chart-across", width, H + AXIS);
        let label_every = n.div_ceil(6).max(1);
        for (i, bar) in self.bars.iter().enumerate() {
            let x = i as f64 * slot;
            let mut y = H;
            let _ = write!(
                s,
                "<g class=\"chart-bar\" tabindex=\"0\" role=\"listitem\" aria-label=\"{}\">",
                esc(&self.bar_summary(bar))
            );
            let _ = write!(s, "<title>{}</title>", esc(&self.bar_summary(bar)));
            // An invisible full-height target, so a thin bar is still easy
            // to hover.
            let _ = write!(
                s,
                "<rect class=\"chart-hit\" x=\"{x}\" y=\"0\" width=\"{slot}\" height=\"{H}\" fill=\"transparent\"/>"
            );
            for (k, v) in bar.values.iter().enumerate() {
                if *v == 0 {
                    continue;
                }
                let h = *v as f64 / max * (H - 14.0);
                y -= h;
                let _ = write!(
                    s,
                    "<rect{} x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\"/>",
                    self.kind_attr(k),
                    x + slot * 0.1,
                    slot * 0.8
                );
            }
            let _ = write!(
                s,
                "<text class=\"chart-count\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot / 2.0,
                (y - 3.0).max(9.0),
                BarChart::total(bar)
            );
            s.push_str("</g>");
            if i % label_every == 0 {
                let _ = write!(
                    s,
                    "<text class=\"chart-axis\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                    H + AXIS - 3.0,
                    esc(&bar.label)
                );
            }
        }
        s.push_str("</g></svg>");
        s
    }

    /// Rows down the page (rankings): label above each bar, so long names
    /// read at 390 px.
    fn svg_down(&self) -> String {
        const W: f64 = 400.0;
        const ROW: f64 = 24.0;
        let height = ROW * self.bars.len().max(1) as f64;
        let max = self.max_total() as f64;
        let mut s = self.open("chart chart-down", W, height);
        for (i, bar) in self.bars.iter().enumerate() {
            let y = i as f64 * ROW;
            if let Some(href) = &bar.href {
                let _ = write!(s, "<a href=\"{}\">", esc(href));
            }
            let _ = write!(
                s,
                "<g class=\"chart-bar\" tabindex=\"{}\" role=\"listitem\" aria-label=\"{}\"><title>{}</title>",
                if bar.href.is_some() { -1 } else { 0 },
                esc(&self.bar_summary(bar)),
                esc(&self.bar_summary(bar))
            );
            let _ = write!(
                s,
                "<text class=\"chart-label\" x=\"0\" y=\"{:.1}\">{}</text>",
                y + 9.0,
                esc(&bar.label)
            );
            let mut x = 0.0;
            for (k, v) in bar.values.iter().enumerate() {
                if *v == 0 {
                    continue;
                }
                let w = *v as f64 / max * (W - 40.0);
                let _ = write!(
                    s,
                    "<rect{} x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"8\"/>",
                    self.kind_attr(k),
                    y + 12.0
                );
                x += w;
            }
            let _ = write!(
                s,
                "<text class=\"chart-count\" x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
                x + 4.0,
                y + 20.0,
                BarChart::total(bar)
            );
            if bar.href.is_some() {
                s.push_str("</a>");
            }
        }
        s.push_str("</g></svg>");
        s
    }

    fn open(&self, class: &str, width: f64, height: f64) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg class=\"{class}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" \
             preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\
             <title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc><g role=\"list\">",
            id = esc(&self.id),
            title = esc(&self.title),
            desc = esc(&self.desc),
        );
        s
    }

    fn kind_attr(&self, series: usize) -> String {
        match self.series.get(series).and_then(|s| s.kind.as_deref()) {
            Some(kind) => format!(" data-kind=\"{}\"", esc(kind)),
            None => String::new(),
        }
    }

    /// "2021-05: 3 sourcing, 1 framing (4)" — what a focused bar says.
    fn bar_summary(&self, bar: &Bar) -> String {
        let total = BarChart::total(bar);
        if self.series.len() <= 1 {
            return format!("{}: {total}", bar.label);
        }
        let parts: Vec<String> = self
            .series
            .iter()
            .zip(&bar.values)
            .filter(|(_, v)| **v > 0)
            .map(|(s, v)| format!("{v} {}", s.label))
            .collect();
        if parts.is_empty() {
            format!("{}: 0", bar.label)
        } else {
            format!("{}: {} ({total})", bar.label, parts.join(", "))
        }
    }

    /// The text equivalent: every number of the picture in a table.
    fn table(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<table class=\"chart-table\"><caption>{}</caption><thead><tr><th scope=\"col\"></th>",
            esc(&self.title)
        );
        for series in &self.series {
            let _ = write!(s, "<th scope=\"col\">{}</th>", esc(&series.label));
        }
        if self.series.len() > 1 {
            s.push_str("<th scope=\"col\">total</th>");
        }
        s.push_str("</tr></thead><tbody>");
        for bar in &self.bars {
            s.push_str("<tr><th scope=\"row\">");
            match &bar.href {
                Some(h) => {
                    let _ = write!(s, "<a href=\"{}\">{}</a>", esc(h), esc(&bar.label));
                }
                None => s.push_str(&esc(&bar.label)),
            }
            s.push_str("</th>");
            for v in &bar.values {
                let _ = write!(s, "<td>{v}</td>");
            }
            if self.series.len() > 1 {
                let _ = write!(s, "<td>{}</td>", BarChart::total(bar));
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table>");
        s
    }
}

/// One note's place in an article, for the thin map beside its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteMark {
    /// Where its passage starts, as a fraction of the article's text, in
    /// thousandths (0..=1000).
    pub at: u32,
    pub kind: Option<String>,
    /// `#<id>` of its passage.
    pub href: String,
    pub label: String,
}

/// A thin horizontal strip: the article's length, each note a tick where
/// its passage is, coloured by kind, linking to it.
pub fn note_map(id: &str, title: &str, marks: &[NoteMark]) -> String {
    const W: f64 = 1000.0;
    const H: f64 = 24.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"note-map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" preserveAspectRatio=\"none\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\"><title id=\"{id}-title\">{}</title>\
         <desc id=\"{id}-desc\">Each mark is a note, placed where its passage falls between the start of the text (left) and its end (right); each links to its note.</desc>\
         <rect class=\"note-map-track\" x=\"0\" y=\"{:.0}\" width=\"{W}\" height=\"2\"/>",
        esc(title),
        H / 2.0 - 1.0,
        id = esc(id),
    );
    for m in marks {
        let x = (m.at.min(1000) as f64 / 1000.0) * (W - 6.0);
        let kind = m
            .kind
            .as_deref()
            .map(|k| format!(" data-kind=\"{}\"", esc(k)))
            .unwrap_or_default();
        let _ = write!(
            s,
            "<a href=\"{}\"><rect{kind} x=\"{x:.1}\" y=\"2\" width=\"6\" height=\"{:.0}\"><title>{}</title></rect></a>",
            esc(&m.href),
            H - 4.0,
            esc(&m.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// Every month from `first` to `last` inclusive, as `YYYY-MM`, so a
/// timeline shows quiet months as empty rather than skipping them.
pub fn months(first: (i32, u32), last: (i32, u32)) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = first;
    // Bounded: an archive spanning more than 200 years is drawn by its
    // first 2,400 months rather than running away on a bad date.
    while (y, m) <= last && out.len() < 2400 {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

/// Escapes text for an SVG/HTML attribute or element.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(across: bool) -> BarChart {
        BarChart {
            id: "t".into(),
            title: "Notes <by> month".into(),
            desc: "Notes per month, by kind".into(),
            series: vec![
                Series {
                    kind: Some("sourcing".into()),
                    label: "sourcing".into(),
                },
                Series {
                    kind: Some("framing".into()),
                    label: "framing".into(),
                },
            ],
            bars: vec![
                Bar {
                    label: "2021-04".into(),
                    href: None,
                    values: vec![0, 0],
                },
                Bar {
                    label: "2021-05".into(),
                    href: Some("/sources/nyt/".into()),
                    values: vec![3, 1],
                },
            ],
            across,
        }
    }

    #[test]
    fn both_shapes_parse_and_carry_their_numbers() {
        for across in [true, false] {
            let d = chart(across).draw();
            let doc = roxmltree::Document::parse(&d.svg).expect("SVG parses");
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            let title = root
                .descendants()
                .find(|n| n.has_tag_name("title"))
                .unwrap();
            assert_eq!(title.text(), Some("Notes <by> month"));
            let kinds: Vec<&str> = root
                .descendants()
                .filter(|n| n.has_tag_name("rect"))
                .filter_map(|n| n.attribute("data-kind"))
                .collect();
            assert_eq!(kinds, ["sourcing", "framing"], "zero values draw nothing");
            assert!(d.svg.contains("2021-05: 3 sourcing, 1 framing (4)"));
            let table = roxmltree::Document::parse(&d.table).expect("table is XHTML");
            let cells: Vec<&str> = table
                .descendants()
                .filter(|n| n.has_tag_name("td"))
                .filter_map(|n| n.text())
                .collect();
            assert_eq!(cells, ["0", "0", "0", "3", "1", "4"]);
        }
    }

    #[test]
    fn ranked_bars_link_to_their_pages() {
        let d = chart(false).draw();
        assert!(d.svg.contains("<a href=\"/sources/nyt/\">"));
        assert!(d.table.contains("<a href=\"/sources/nyt/\">2021-05</a>"));
    }

    #[test]
    fn note_map_places_ticks_by_position() {
        let svg = note_map(
            "m",
            "Where the notes fall",
            &[
                NoteMark {
                    at: 0,
                    kind: Some("sourcing".into()),
                    href: "#n1".into(),
                    label: "1: sourcing".into(),
                },
                NoteMark {
                    at: 1000,
                    kind: None,
                    href: "#n2".into(),
                    label: "2".into(),
                },
            ],
        );
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let xs: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("a"))
            .map(|a| {
                a.first_element_child()
                    .unwrap()
                    .attribute("x")
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(xs, [0.0, 994.0]);
    }

    #[test]
    fn months_fill_the_gaps() {
        assert_eq!(
            months((2020, 11), (2021, 2)),
            ["2020-11", "2020-12", "2021-01", "2021-02"]
        );
        assert!(months((2021, 3), (2021, 2)).is_empty());
        assert_eq!(months((1, 1), (9999, 12)).len(), 2400);
    }
}
