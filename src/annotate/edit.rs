//! Editing sidecar files as text, so people's comments, ordering and layout
//! survive: `check --fix` replaces one quote in place, `import` appends
//! notes at the end. Nothing here re-serialises a whole file.

/// A YAML scalar for `s`: plain when that reads back as the same text,
/// else double-quoted (a JSON string is a valid YAML double-quoted scalar).
pub fn scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.trim() == s
        && !s.contains(['\n', '\r', '\t', '#', ':', '"', '\'', '\\'])
        && !s.starts_with([
            '-', '?', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '%', '@', '`', '~',
        ])
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null"
        )
        && s.parse::<f64>().is_err()
        && s.chars().all(|c| !c.is_control());
    if plain_ok {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
    }
}

/// A note body: a literal block (`|`) when it has several lines that a
/// block can hold exactly, else a scalar.
fn body(s: &str, indent: &str) -> String {
    let block_ok = s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.lines().any(|l| l.ends_with([' ', '\t']))
        && !s.contains('\r')
        && !s.ends_with("\n\n")
        && s.chars().all(|c| c == '\n' || !c.is_control());
    if !block_ok {
        return scalar(s);
    }
    let chomp = if s.ends_with('\n') { "|" } else { "|-" };
    let mut out = String::from(chomp);
    for line in s.trim_end_matches('\n').split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
    }
    out
}

/// A new note to write.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    pub id: String,
    pub quote: String,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub note: String,
    /// `highlight` for a marked passage with no note.
    pub kind: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub tags: Vec<String>,
    pub replies: Vec<NewReply>,
}

/// A reply in a note's thread.
#[derive(Debug, Clone, Default)]
pub struct NewReply {
    pub author: Option<String>,
    pub date: Option<String>,
    pub text: String,
}

/// The YAML of one note, as a list item.
pub fn note_yaml(n: &NewNote) -> String {
    let mut y = format!("- id: {}\n  quote: {}\n", scalar(&n.id), scalar(&n.quote));
    if let Some(p) = n.prefix.as_deref().filter(|p| !p.is_empty()) {
        y.push_str(&format!("  prefix: {}\n", scalar(p)));
    }
    if let Some(s) = n.suffix.as_deref().filter(|s| !s.is_empty()) {
        y.push_str(&format!("  suffix: {}\n", scalar(s)));
    }
    if !(n.note.trim().is_empty() && n.kind.as_deref() == Some("highlight")) {
        y.push_str(&format!("  note: {}\n", body(&n.note, "    ")));
    }
    if let Some(k) = &n.kind {
        y.push_str(&format!("  kind: {}\n", scalar(k)));
    }
    if let Some(a) = &n.author {
        y.push_str(&format!("  author: {}\n", scalar(a)));
    }
    if let Some(d) = &n.date {
        y.push_str(&format!("  date: {}\n", scalar(d)));
    }
    if !n.tags.is_empty() {
        let tags: Vec<String> = n
            .tags
            .iter()
            .map(|t| serde_json::to_string(t).unwrap_or_default())
            .collect();
        y.push_str(&format!("  tags: [{}]\n", tags.join(", ")));
    }
    if !n.replies.is_empty() {
        y.push_str("  replies:\n");
        for r in &n.replies {
            y.push_str("    - text: ");
            y.push_str(&body(&r.text, "        "));
            y.push('\n');
            if let Some(a) = &r.author {
                y.push_str(&format!("      author: {}\n", scalar(a)));
            }
            if let Some(d) = &r.date {
                y.push_str(&format!("      date: {}\n", scalar(d)));
            }
        }
    }
    y
}

/// Appends notes to a sidecar's text (which may be empty or `[]`).
pub fn append_notes(text: &str, notes: &[NewNote]) -> String {
    let trimmed = text.trim();
    let mut out = if trimmed.is_empty() || trimmed == "[]" {
        String::new()
    } else {
        let mut t = text.to_string();
        if !t.ends_with('\n') {
            t.push('\n');
        }
        t
    };
    for n in notes {
        out.push_str(&note_yaml(n));
    }
    out
}

/// Replaces the `quote:` value of the note whose `- ` item starts on
/// `note_line` (1-based), keeping every other line as it is. `None` when
/// the note's `quote:` line cannot be found.
pub fn replace_quote(text: &str, note_line: usize, new_quote: &str) -> Option<String> {
    let lines: Vec<&str> = crate::error::lines_inclusive(text).collect();
    let start = note_line.checked_sub(1)?;
    if start >= lines.len() {
        return None;
    }
    // The note runs to the next top-level item.
    let end = (start + 1..lines.len())
        .find(|&i| lines[i].starts_with("- ") || lines[i].trim_end() == "-")
        .unwrap_or(lines.len());
    let (qi, col) = (start..end).find_map(|i| {
        let l = lines[i];
        let body = if i == start {
            l.strip_prefix("- ").map(|r| (r, 2))
        } else {
            Some((l, 0))
        };
        let (rest, extra) = body?;
        let indent = rest.len() - rest.trim_start().len();
        rest.trim_start()
            .strip_prefix("quote:")
            .map(|_| (i, extra + indent))
    })?;
    let key_indent = col;
    // A multi-line value (block scalar or folded plain text) continues on
    // lines indented deeper than the key.
    let mut last = qi;
    while last + 1 < end {
        let next = lines[last + 1];
        let ind = next.len() - next.trim_start().len();
        if next.trim().is_empty() || ind > key_indent {
            last += 1;
        } else {
            break;
        }
    }
    // Keep blank lines that ended the old value.
    while last > qi && lines[last].trim().is_empty() {
        last -= 1;
    }
    let key_end = lines[qi].find("quote:")? + "quote:".len();
    let prefix = &lines[qi][..key_end];
    let newline = if lines[last].ends_with("\r\n") {
        "\r\n"
    } else if lines[last].ends_with('\r') {
        "\r"
    } else {
        "\n"
    };
    let first_value = lines[qi][key_end..].trim_end_matches(['\n', '\r']);
    let content_indent = lines[qi + 1..=last]
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| &l[..l.len() - l.trim_start().len()]);
    let value = in_style(first_value, content_indent, new_quote, newline);
    let mut out = String::with_capacity(text.len() + new_quote.len());
    for l in &lines[..qi] {
        out.push_str(l);
    }
    out.push_str(prefix);
    out.push(' ');
    out.push_str(&value);
    if lines[last].ends_with(['\n', '\r']) {
        out.push_str(newline);
    }
    for l in &lines[last + 1..] {
        out.push_str(l);
    }
    Some(out)
}

/// `new` written as the old value was (`old` is the text after `quote:` on
/// its line, `indent` that of the block's lines after it): single- or
/// double-quoted, plain, or a literal or folded block, with a comment after
/// a one-line value kept. Where that style cannot hold `new` exactly, the
/// plainest scalar that can ([`scalar`]).
fn in_style(old: &str, indent: Option<&str>, new: &str, newline: &str) -> String {
    let old = old.trim_start();
    let one_line = !new.contains(['\n', '\r']) && new.chars().all(|c| c == '\t' || !c.is_control());
    match old.chars().next() {
        Some('\'') if one_line => {
            let comment = comment_after(old, quoted_end(old, '\''));
            format!("'{}'{comment}", new.replace('\'', "''"))
        }
        Some('"') => {
            let comment = comment_after(old, quoted_end(old, '"'));
            format!(
                "{}{comment}",
                serde_json::to_string(new).unwrap_or_default()
            )
        }
        Some(c @ ('|' | '>')) => {
            let header = old.split(" #").next().unwrap_or(old).trim_end();
            let indent = indent.unwrap_or("    ");
            // Folding would join lines the quote has; leading white space
            // would change the block's indentation.
            let fits = !new.is_empty()
                && !new.starts_with([' ', '\t'])
                && !new.contains('\r')
                && (c == '|' || !new.contains('\n'))
                && !new.lines().any(|l| l.ends_with([' ', '\t']))
                && new
                    .chars()
                    .all(|c| c == '\n' || c == '\t' || !c.is_control());
            if !fits {
                return scalar(new);
            }
            let mut out = header.to_string();
            for line in new.split('\n') {
                out.push_str(newline);
                if !line.is_empty() {
                    out.push_str(indent);
                    out.push_str(line);
                }
            }
            out
        }
        _ => {
            // Plain (or nothing on this line: a plain value on the next).
            let plain = scalar(new);
            let comment = match old.find(" #") {
                Some(i) if !plain.starts_with('"') => &old[i..],
                _ => "",
            };
            format!("{plain}{comment}")
        }
    }
}

/// The byte after the closing quote of a quoted scalar starting at `s[0]`
/// (`''` inside single quotes, `\"` inside double ones are escapes); the
/// end of `s` when it does not close on this line.
fn quoted_end(s: &str, q: char) -> usize {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == '"' => i += 2,
            c if c == q as u8 => {
                if q == '\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    s.len()
}

/// A comment (` # …`) after a value ending at `end`, with its spacing.
fn comment_after(s: &str, end: usize) -> &str {
    let rest = &s[end.min(s.len())..];
    if rest.trim_start().starts_with('#') {
        rest.trim_end()
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::sidecar;
    use std::path::Path;

    fn reparse(text: &str) -> Vec<sidecar::SidecarNote> {
        let (notes, d) = sidecar::parse(Path::new("x.annotations.yaml"), text);
        assert!(d.is_empty(), "{d:?}\n{text}");
        notes
    }

    #[test]
    fn scalars_read_back_as_the_same_text() {
        for s in [
            "plain words",
            "with: colon",
            "\"quoted\"",
            "it's",
            "- dash",
            "true",
            "12",
            "trailing ",
            "a # hash",
            "tab\there",
            "né – “curly”",
        ] {
            let y = format!("- quote: {}\n  note: {}\n", scalar(s), scalar(s));
            assert_eq!(reparse(&y)[0].quote, s, "{y}");
        }
    }

    #[test]
    fn appended_notes_parse_and_keep_the_file() {
        let original = "# my notes\n- quote: first\n  note: one  # a comment\n";
        let n = NewNote {
            id: "h-abc_1".into(),
            quote: "the \"Times\" said".into(),
            prefix: Some("As ".into()),
            suffix: None,
            note: "Two\n\nparagraphs.\n".into(),
            author: Some("alice".into()),
            date: Some("2021-05-05T10:00:00+00:00".into()),
            tags: vec!["a b".into(), "c".into()],
            replies: vec![NewReply {
                author: Some("bob".into()),
                date: Some("2021-05-06".into()),
                text: "I agree:\nsee below.\n".into(),
            }],
            ..Default::default()
        };
        let out = append_notes(original, std::slice::from_ref(&n));
        assert!(out.starts_with(original));
        let notes = reparse(&out);
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[1].id, "h-abc_1");
        assert_eq!(notes[1].quote, n.quote);
        assert_eq!(notes[1].prefix.as_deref(), Some("As "));
        assert_eq!(notes[1].note, n.note);
        assert_eq!(notes[1].tags, n.tags);
        assert_eq!(notes[1].replies.len(), 1);
        assert_eq!(notes[1].replies[0].text, "I agree:\nsee below.\n");
        assert_eq!(notes[1].replies[0].author.as_deref(), Some("bob"));
        let h = NewNote {
            id: "h-x".into(),
            quote: "q".into(),
            kind: Some("highlight".into()),
            ..Default::default()
        };
        let y = note_yaml(&h);
        assert!(!y.contains("note:"), "{y}");
        assert_eq!(reparse(&y)[0].kind.as_deref(), Some("highlight"));
        assert_eq!(reparse(&append_notes("[]\n", &[n])).len(), 1);
    }

    #[test]
    fn replace_quote_changes_only_that_value() {
        let text = "# header comment\n- quote: old words\n  note: keep me # comment\n- quote: |\n    second\n    old\n  note: two\n\n- quote: \"third\"\n  note: three\n";
        let out = replace_quote(text, 2, "new: words").unwrap();
        assert_eq!(
            out,
            text.replace("quote: old words", "quote: \"new: words\"")
        );
        let out = replace_quote(text, 4, "second new").unwrap();
        assert!(
            out.contains("- quote: |\n    second new\n  note: two\n\n- quote: \"third\""),
            "{out}"
        );
        assert!(out.starts_with("# header comment\n- quote: old words\n"));
        let notes = reparse(&out);
        assert_eq!(notes[1].quote, "second new\n");
        assert_eq!(notes[1].note, "two");
        assert!(replace_quote(text, 99, "x").is_none());
    }

    #[test]
    fn replace_quote_keeps_the_quoting_style() {
        let cases = [
            (
                "- quote: 'old'\n  note: n\n",
                "it's new",
                "- quote: 'it''s new'\n  note: n\n",
            ),
            (
                "- quote: 'old' # why\n  note: n\n",
                "new",
                "- quote: 'new' # why\n  note: n\n",
            ),
            (
                "- quote: \"old\"  # c\n  note: n\n",
                "a \"b\"",
                "- quote: \"a \\\"b\\\"\"  # c\n  note: n\n",
            ),
            (
                "- quote: old words # c\n  note: n\n",
                "new words",
                "- quote: new words # c\n  note: n\n",
            ),
            (
                "- quote: old\n  note: n\n",
                "new: colon",
                "- quote: \"new: colon\"\n  note: n\n",
            ),
            (
                "- quote: |-\n      old\n      words\n  note: n\n",
                "new words",
                "- quote: |-\n      new words\n  note: n\n",
            ),
            (
                "- quote: >\n    old\n    words\n\n  note: n\n",
                "new words",
                "- quote: >\n    new words\n\n  note: n\n",
            ),
            (
                "- note: n\n  quote: >-\n    old\n",
                "new",
                "- note: n\n  quote: >-\n    new\n",
            ),
            (
                "- quote: |\r\n    old\r\n  note: n\r\n",
                "new",
                "- quote: |\r\n    new\r\n  note: n\r\n",
            ),
            // A block cannot start with white space: the plainest scalar.
            (
                "- quote: |\n    old\n  note: n\n",
                " lead",
                "- quote: \" lead\"\n  note: n\n",
            ),
        ];
        for (text, new, want) in cases {
            let out = replace_quote(text, 1, new).unwrap();
            assert_eq!(out, want, "{text:?}");
            assert_eq!(reparse(&out)[0].quote.trim_end_matches('\n'), new, "{out}");
        }
    }
}
