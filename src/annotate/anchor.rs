//! Placeholder with the agreed interface; the real engine lands from the
//! `anchor` branch.
use std::ops::Range;

pub struct Selector<'a> {
    pub exact: &'a str,
    pub prefix: Option<&'a str>,
    pub suffix: Option<&'a str>,
    pub occurrence: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub range: Range<usize>,
    pub similarity: f64,
    pub unambiguous: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AnchorError {
    EmptyQuote,
    NotFound { closest: Option<Candidate> },
    Ambiguous { places: Vec<Range<usize>> },
    NoneWithContext { places: Vec<Range<usize>> },
    OccurrenceOutOfRange { occurrence: usize, count: usize },
}

impl std::fmt::Display for AnchorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

pub struct TextIndex {
    text: String,
}

impl TextIndex {
    pub fn new(text: String) -> TextIndex {
        TextIndex { text }
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn find_all(&self, exact: &str) -> Vec<Range<usize>> {
        let e = exact.trim();
        if e.is_empty() {
            return Vec::new();
        }
        self.text
            .match_indices(e)
            .map(|(i, m)| i..i + m.len())
            .collect()
    }
    pub fn resolve(&self, sel: &Selector) -> Result<Range<usize>, AnchorError> {
        let all = self.find_all(sel.exact);
        match (all.len(), sel.occurrence) {
            (0, _) => Err(AnchorError::NotFound { closest: None }),
            (n, Some(k)) if k > n => Err(AnchorError::OccurrenceOutOfRange {
                occurrence: k,
                count: n,
            }),
            (_, Some(k)) => Ok(all[k - 1].clone()),
            (1, None) => Ok(all[0].clone()),
            _ => Err(AnchorError::Ambiguous { places: all }),
        }
    }
    pub fn closest(&self, _quote: &str) -> Option<Candidate> {
        None
    }
    pub fn context(&self, range: Range<usize>, _chars: usize) -> (&str, &str) {
        (&self.text[..range.start], &self.text[range.end..])
    }
}
