//! What changed between two snapshots of an article, word by word.
//!
//! The diff is of the *text* a reader sees, one paragraph (block) at a
//! time, never of the HTML: markup churn (a publisher's new template, a
//! changed link target) is not a change of what the article says. The
//! paragraphs are aligned first (the `similar` crate's patience diff, which
//! keeps moved or untouched paragraphs apart from edited ones), then each
//! edited paragraph is diffed by words, so `<del>`/`<ins>` sit exactly
//! around the words that changed.

use similar::{Algorithm, DiffTag, capture_diff_slices};

use crate::html::escape_into;
use crate::model::{Block, Piece, TextDiff};

/// Diffs two snapshots given as title plus paragraphs of plain text.
pub fn diff(old_title: &str, new_title: &str, old: &[String], new: &[String]) -> Option<TextDiff> {
    let mut removed = 0;
    let mut added = 0;
    let title = (old_title != new_title).then(|| {
        let pieces = diff_words(old_title, new_title);
        count_words(&pieces, &mut removed, &mut added);
        pieces
    });

    // Each paragraph of the new text, and each removed one, in reading
    // order, marked with whether it changed.
    let mut rows: Vec<(bool, Block)> = Vec::new();
    for op in capture_diff_slices(Algorithm::Patience, old, new) {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for p in &new[n] {
                    rows.push((false, Block::Context { text: p.clone() }));
                }
            }
            DiffTag::Delete => {
                for p in &old[o] {
                    let pieces = vec![Piece::Removed(p.clone())];
                    count_words(&pieces, &mut removed, &mut added);
                    rows.push((true, Block::Changed { pieces }));
                }
            }
            DiffTag::Insert => {
                for p in &new[n] {
                    let pieces = vec![Piece::Added(p.clone())];
                    count_words(&pieces, &mut removed, &mut added);
                    rows.push((true, Block::Changed { pieces }));
                }
            }
            DiffTag::Replace => {
                // Pair the edited paragraphs in order; the rest of the
                // longer side is wholly removed or added.
                let (old_ps, new_ps) = (&old[o], &new[n]);
                for i in 0..old_ps.len().max(new_ps.len()) {
                    let pieces = match (old_ps.get(i), new_ps.get(i)) {
                        (Some(a), Some(b)) => diff_words(a, b),
                        (Some(a), None) => vec![Piece::Removed(a.clone())],
                        (None, Some(b)) => vec![Piece::Added(b.clone())],
                        (None, None) => unreachable!("i is below the longer length"),
                    };
                    count_words(&pieces, &mut removed, &mut added);
                    rows.push((true, Block::Changed { pieces }));
                }
            }
        }
    }
    let body_changed = rows.iter().any(|(changed, _)| *changed);
    if title.is_none() && !body_changed {
        return None;
    }
    Some(TextDiff {
        title,
        blocks: if body_changed {
            with_context(rows)
        } else {
            Vec::new()
        },
        words_removed: removed,
        words_added: added,
    })
}

/// Keeps one unchanged paragraph either side of each change and folds the
/// rest into gaps.
fn with_context(rows: Vec<(bool, Block)>) -> Vec<Block> {
    let near_change = |i: usize| {
        rows[i].0
            || (i > 0 && rows[i - 1].0)
            || rows.get(i + 1).is_some_and(|(changed, _)| *changed)
    };
    let keep: Vec<bool> = (0..rows.len()).map(near_change).collect();
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, (_, block)) in rows.into_iter().enumerate() {
        if keep[i] {
            if skipped > 0 {
                out.push(Block::Gap {
                    paragraphs: skipped,
                });
                skipped = 0;
            }
            out.push(block);
        } else {
            skipped += 1;
        }
    }
    if skipped > 0 {
        out.push(Block::Gap {
            paragraphs: skipped,
        });
    }
    out
}

/// Words and the white space between them, as separate tokens, so the diff
/// never splits a word and white space can be folded into a change.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|was| was != space) {
            out.push(&s[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

fn is_space(token: &str) -> bool {
    token.chars().all(char::is_whitespace)
}

/// A word-level diff of one paragraph. Runs of changes separated only by
/// white space are merged into one removed and one added piece, so a
/// rewritten phrase reads `<del>old words</del><ins>new words</ins>`
/// instead of alternating word by word.
fn diff_words(old: &str, new: &str) -> Vec<Piece> {
    let (a, b) = (tokens(old), tokens(new));
    let ops = capture_diff_slices(Algorithm::Myers, &a, &b);

    // A run being collected: removed text, added text.
    let mut out: Vec<Piece> = Vec::new();
    let mut run: Option<(String, String)> = None;
    let flush = |run: &mut Option<(String, String)>, out: &mut Vec<Piece>| {
        if let Some((mut r, mut ad)) = run.take() {
            // White space both sides start or end with is not a change:
            // `in <del>flashes</del><ins>their</ins>`, not `in<del> flashes`.
            let mut tail = String::new();
            if !r.is_empty() && !ad.is_empty() {
                let lead = common_space(r.chars(), ad.chars());
                push_same(out, r[..lead].to_string());
                r.drain(..lead);
                ad.drain(..lead);
                if !r.is_empty() && !ad.is_empty() {
                    let trail = common_space(r.chars().rev(), ad.chars().rev());
                    tail = r[r.len() - trail..].to_string();
                    r.truncate(r.len() - trail);
                    ad.truncate(ad.len() - trail);
                }
            }
            if !r.is_empty() {
                out.push(Piece::Removed(r));
            }
            if !ad.is_empty() {
                out.push(Piece::Added(ad));
            }
            push_same(out, tail);
        }
    };
    for (k, op) in ops.iter().enumerate() {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                let text: String = b[n].concat();
                // White space alone between two changes joins them.
                let between_changes = run.is_some() && k + 1 < ops.len() && is_space(&text);
                if between_changes {
                    let (r, ad) = run.as_mut().expect("checked above");
                    r.push_str(&text);
                    ad.push_str(&text);
                } else {
                    flush(&mut run, &mut out);
                    push_same(&mut out, text);
                }
            }
            _ => {
                let (r, ad) = run.get_or_insert_with(Default::default);
                r.push_str(&a[o].concat());
                ad.push_str(&b[n].concat());
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The byte length of the white space two texts share at their start
/// (given as char iterators, either way round).
fn common_space(a: impl Iterator<Item = char>, b: impl Iterator<Item = char>) -> usize {
    a.zip(b)
        .take_while(|(x, y)| x == y && x.is_whitespace())
        .map(|(x, _)| x.len_utf8())
        .sum()
}

fn push_same(out: &mut Vec<Piece>, text: String) {
    if let Some(Piece::Same(prev)) = out.last_mut() {
        prev.push_str(&text);
    } else if !text.is_empty() {
        out.push(Piece::Same(text));
    }
}

fn count_words(pieces: &[Piece], removed: &mut usize, added: &mut usize) {
    for p in pieces {
        match p {
            Piece::Same(_) => {}
            Piece::Removed(t) => *removed += t.split_whitespace().count(),
            Piece::Added(t) => *added += t.split_whitespace().count(),
        }
    }
}

/// The pieces as HTML: `<del>`/`<ins>` around changes, text escaped.
pub fn pieces_html(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Same(t) => escape_into(&mut out, t),
            Piece::Removed(t) => {
                out.push_str("<del>");
                escape_into(&mut out, t);
                out.push_str("</del>");
            }
            Piece::Added(t) => {
                out.push_str("<ins>");
                escape_into(&mut out, t);
                out.push_str("</ins>");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paras(s: &[&str]) -> Vec<String> {
        s.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn identical_text_is_no_change() {
        let p = paras(&["One.", "Two."]);
        assert_eq!(diff("T", "T", &p, &p), None);
    }

    #[test]
    fn a_stealth_word_change_is_marked_exactly() {
        let old = paras(&["Intro.", "Officials met Zarif in May.", "Outro."]);
        let new = paras(&["Intro.", "Officials met Zarif in June.", "Outro."]);
        let d = diff("T", "T", &old, &new).unwrap();
        assert_eq!((d.words_removed, d.words_added), (1, 1));
        let Block::Changed { pieces } = &d.blocks[1] else {
            panic!("{:?}", d.blocks)
        };
        assert_eq!(
            pieces_html(pieces),
            "Officials met Zarif in <del>May.</del><ins>June.</ins>"
        );
        assert!(matches!(&d.blocks[0], Block::Context { text } if text == "Intro."));
        assert!(matches!(&d.blocks[2], Block::Context { text } if text == "Outro."));
    }

    #[test]
    fn a_rewritten_phrase_is_one_deletion_and_one_insertion() {
        let pieces = diff_words(
            "the deal was a hallmark achievement",
            "the deal was widely criticised",
        );
        assert_eq!(
            pieces_html(&pieces),
            "the deal was <del>a hallmark achievement</del><ins>widely criticised</ins>"
        );
    }

    #[test]
    fn removed_and_added_paragraphs_are_whole() {
        let old = paras(&["A.", "B is gone now.", "C."]);
        let new = paras(&[
            "A.",
            "C.",
            "Correction: an earlier version misstated the date.",
        ]);
        let d = diff("T", "T", &old, &new).unwrap();
        assert_eq!(d.words_removed, 4);
        assert_eq!(d.words_added, 7);
        let html: Vec<String> = d
            .blocks
            .iter()
            .map(|b| match b {
                Block::Changed { pieces } => pieces_html(pieces),
                Block::Context { text } => format!("={text}"),
                Block::Gap { paragraphs } => format!("…{paragraphs}"),
            })
            .collect();
        assert_eq!(
            html,
            [
                "=A.",
                "<del>B is gone now.</del>",
                "=C.",
                "<ins>Correction: an earlier version misstated the date.</ins>"
            ]
        );
    }

    #[test]
    fn far_paragraphs_fold_into_gaps() {
        let old = paras(&["1", "2", "3", "4", "5 old", "6", "7", "8"]);
        let new = paras(&["1", "2", "3", "4", "5 new", "6", "7", "8"]);
        let d = diff("T", "T", &old, &new).unwrap();
        let kinds: Vec<String> = d
            .blocks
            .iter()
            .map(|b| match b {
                Block::Gap { paragraphs } => format!("gap{paragraphs}"),
                Block::Context { text } => text.clone(),
                Block::Changed { .. } => "changed".into(),
            })
            .collect();
        assert_eq!(kinds, ["gap3", "4", "changed", "6", "gap2"]);
    }

    #[test]
    fn a_title_change_counts() {
        let p = paras(&["Same."]);
        let d = diff(
            "Octopuses may dream",
            "Octopuses may have two sleep states",
            &p,
            &p,
        )
        .unwrap();
        assert_eq!(
            pieces_html(d.title.as_ref().unwrap()),
            "Octopuses may <del>dream</del><ins>have two sleep states</ins>"
        );
        assert_eq!((d.words_removed, d.words_added), (1, 4));
        assert!(d.blocks.is_empty());
    }

    #[test]
    fn shared_white_space_stays_outside_the_change() {
        let pieces = diff_words(
            "the animals replay the day's hunt in flashes of colour.",
            "the animals changing colour in their sleep.",
        );
        let html = pieces_html(&pieces);
        assert!(
            !html.contains("<del> ") && !html.contains("<ins> "),
            "{html}"
        );
        assert!(
            !html.contains(" </del>") && !html.contains(" </ins>"),
            "{html}"
        );
        let text: String = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Same(t) | Piece::Added(t) => Some(t.as_str()),
                Piece::Removed(_) => None,
            })
            .collect();
        assert_eq!(text, "the animals changing colour in their sleep.");
        let old: String = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Same(t) | Piece::Removed(t) => Some(t.as_str()),
                Piece::Added(_) => None,
            })
            .collect();
        assert_eq!(
            old,
            "the animals replay the day's hunt in flashes of colour."
        );
    }

    #[test]
    fn text_is_escaped() {
        let pieces = diff_words("a <b>", "a <i>");
        assert_eq!(
            pieces_html(&pieces),
            "a <del>&lt;b&gt;</del><ins>&lt;i&gt;</ins>"
        );
    }

    #[test]
    fn tokens_keep_every_character() {
        for s in ["", "  lead", "trail  ", "a  b\tc\nd", "naïve café—yes"] {
            assert_eq!(tokens(s).concat(), s);
        }
    }
}
