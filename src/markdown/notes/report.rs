//! Diagnostics for notes that do not anchor: the article's text around
//! the closest passage, the words a drifted quote leaves out, and the fix
//! `check --fix` may apply.

use std::ops::Range;

use super::{FIX_THRESHOLD, passage_text};
use crate::annotate::anchor::{AnchorError, TextIndex};
use crate::error::{Diagnostic, LineIndex, Location};
use crate::markdown::{Input, Scan};

/// Turns anchoring failures into diagnostics that show the article's text.
pub(super) struct Reporter<'r, 'a> {
    pub(super) input: &'r Input<'a>,
    pub(super) index: &'r TextIndex,
    pub(super) scan: &'r Scan,
    pub(super) lines: &'r mut Option<LineIndex>,
}

impl Reporter<'_, '_> {
    /// The line in the Markdown file of a position in the joined text.
    fn line_of(&mut self, pos: usize) -> usize {
        let i = self.scan.segments.partition_point(|s| s.start <= pos);
        let Some(seg) = i.checked_sub(1).map(|i| self.scan.segments[i]) else {
            return 0;
        };
        let within = (pos - seg.start).min(seg.src_len);
        let offset = self.input.body_offset + seg.src_start + within;
        let lines = self
            .lines
            .get_or_insert_with(|| LineIndex::new(self.input.file_text));
        lines.line(offset.min(self.input.file_text.len()))
    }

    fn show(&mut self, range: Range<usize>) -> String {
        let line = self.line_of(range.start);
        let (before, after) = self.index.context(range.clone(), 24);
        let text = &self.index.text()[range];
        format!(
            "line {line}: …{}[{}]{}…",
            passage_text(before).trim_start(),
            shorten(&passage_text(text), 120),
            passage_text(after).trim_end()
        )
    }

    pub(super) fn report(
        &mut self,
        here: Location,
        quote: &str,
        e: &AnchorError,
    ) -> (Diagnostic, Option<(String, f64)>) {
        let file = self.input.file.display().to_string();
        let q = shorten(quote.trim(), 80);
        match e {
            AnchorError::NotFound { closest } => {
                let mut d =
                    Diagnostic::error(Some(here), format!("quote not found in {file}: \"{q}\""));
                let mut fix = None;
                if let Some(c) = closest {
                    let shown = self.show(c.range.clone());
                    d = d.with_note(format!(
                        "closest passage ({:.0}% similar), {shown}",
                        (c.similarity * 100.0).floor()
                    ));
                    let new = passage_text(&self.index.text()[c.range.clone()]);
                    let missing = missing_words(quote, &new);
                    if !missing.is_empty() {
                        // A rewrite would silently drop the annotator's words.
                        d = d.with_note(format!(
                            "that passage leaves out words of the quote: {}",
                            shorten(&missing.join(" "), 80)
                        ));
                        d = d.with_help("copy the passage from the article as it reads now (`check --fix` does not rewrite a quote to a passage that drops words)");
                    } else if c.unambiguous && c.similarity >= FIX_THRESHOLD {
                        fix = Some((new, c.similarity));
                        d = d.with_help("if the article changed, `marginalia check --fix` rewrites the quote to this passage");
                    } else {
                        d = d.with_help("copy the passage from the article as it reads now");
                    }
                } else {
                    d = d.with_help("copy the passage from the article as it reads now");
                }
                (d, fix)
            }
            AnchorError::Ambiguous {
                places,
                filtered_by_context,
            } => {
                let mut d = Diagnostic::error(
                    Some(here),
                    format!(
                        "quote \"{q}\" occurs {} times in {file}{}; which one is meant?",
                        places.len(),
                        if *filtered_by_context {
                            " with the given prefix/suffix"
                        } else {
                            ""
                        }
                    ),
                );
                for p in places.iter().take(20) {
                    let s = self.show(p.clone());
                    d = d.with_note(s);
                }
                let help = if *filtered_by_context {
                    "add `occurrence: N` to pick one of these"
                } else {
                    "add `prefix:` or `suffix:` (the words just before or after it), or `occurrence: N`"
                };
                (d.with_help(help), None)
            }
            AnchorError::NoneWithContext {
                places,
                prefix,
                suffix,
            } => {
                let what = crate::annotate::anchor::context_label(*prefix, *suffix);
                let mut d = Diagnostic::error(
                    Some(here),
                    format!(
                        "quote \"{q}\" occurs {} time(s) in {file}, but none has the given {what}",
                        places.len()
                    ),
                );
                for p in places.iter().take(20) {
                    let s = self.show(p.clone());
                    d = d.with_note(s);
                }
                (
                    d.with_help(format!("check `{what}` against the places above")),
                    None,
                )
            }
            AnchorError::OccurrenceOutOfRange { occurrence, count } => (
                Diagnostic::error(
                    Some(here),
                    format!(
                        "`occurrence: {occurrence}`, but the quote \"{q}\" occurs {count} time(s) in {file}"
                    ),
                ),
                None,
            ),
            other => (Diagnostic::error(Some(here), format!("{other}")), None),
        }
    }
}

/// Longest word lists compared by [`missing_words`]; past it every quote
/// word counts as covered only if the passage has as many words.
const MAX_ALIGNED_WORDS: usize = 2_000;

/// The stretches of `quote` where `passage` leaves words out: the two are
/// aligned word by word (longest common subsequence of folded words), and
/// between two aligned words the quote may have changed words, but not
/// more of them than the passage has there; the quote's words of each
/// stretch with fewer are returned (which of them went is guesswork). A
/// passage that only changes words (a corrected typo, a new spelling)
/// leaves nothing out.
pub fn missing_words(quote: &str, passage: &str) -> Vec<String> {
    let words = |s: &str| -> Vec<String> {
        crate::annotate::fold::fold_str(s)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (q, p) = (words(quote), words(passage));
    if q.len() > MAX_ALIGNED_WORDS || p.len() > MAX_ALIGNED_WORDS {
        return if p.len() >= q.len() {
            Vec::new()
        } else {
            q[p.len()..].to_vec()
        };
    }
    // lcs[i][j]: longest common subsequence of q[i..] and p[j..].
    let mut lcs = vec![vec![0u16; p.len() + 1]; q.len() + 1];
    for i in (0..q.len()).rev() {
        for j in (0..p.len()).rev() {
            lcs[i][j] = if q[i] == p[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut missing = Vec::new();
    let (mut i, mut j) = (0, 0);
    // Words of each side since the last aligned pair.
    let (mut gap_q, mut gap_p): (Vec<&String>, usize) = (Vec::new(), 0);
    let mut settle = |gap_q: &mut Vec<&String>, gap_p: &mut usize| {
        if gap_q.len() > *gap_p {
            missing.extend(gap_q.iter().map(|w| w.to_string()));
        }
        gap_q.clear();
        *gap_p = 0;
    };
    while i < q.len() && j < p.len() {
        if q[i] == p[j] && lcs[i][j] == lcs[i + 1][j + 1] + 1 {
            settle(&mut gap_q, &mut gap_p);
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            gap_q.push(&q[i]);
            i += 1;
        } else {
            gap_p += 1;
            j += 1;
        }
    }
    gap_q.extend(&q[i..]);
    gap_p += p.len() - j;
    settle(&mut gap_q, &mut gap_p);
    missing
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let head: String = s.chars().take(n / 2).collect();
    let tail: String = {
        let v: Vec<char> = s.chars().rev().take(n / 2).collect();
        v.into_iter().rev().collect()
    };
    format!("{head}…{tail}")
}
