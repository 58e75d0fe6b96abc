//! Note kinds (DESIGN §11): what a note does (sourcing, correction, …), with
//! the label, colours and one-line help the theme shows for it.
//!
//! The default theme's kinds are built in; `kinds:` in site.yaml adds kinds
//! or replaces built-in ones. A kind's colours are drawn as text on the
//! theme's backgrounds, so each is checked here for a WCAG contrast of at
//! least 4.5:1 against every background it meets, in both colour schemes.
//! Keys and colours end up in a `<style>` element and CSS selectors, so both
//! are held to a strict alphabet rather than escaped.

use std::ops::Range;

use serde::Serialize;

use crate::error::Diagnostic;
use crate::yaml::{self, Fields, Source, Value};

/// A kind of note, as templates see it (`site.kinds`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteKind {
    /// What notes write as `kind:`.
    pub key: String,
    /// What readers see; the key when not declared.
    pub label: String,
    /// `#rrggbb` on the light background.
    pub colour: String,
    /// `#rrggbb` on the dark background (the light one when not declared).
    pub dark: String,
    /// One line on what notes of this kind do, for the legend.
    pub help: Option<String>,
    /// One of the theme's own kinds, not declared in site.yaml.
    pub built_in: bool,
}

/// The default theme's backgrounds a kind's colour is drawn on: the page,
/// the legend and filter bar, and an active note; light, then dark.
pub const LIGHT_SURFACES: [&str; 3] = ["#fdfcf8", "#f4f1e8", "#fbf3d6"];
pub const DARK_SURFACES: [&str; 3] = ["#171716", "#222220", "#2b2717"];
/// WCAG 2 AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
/// The neutral colours of a kind that declares none (and of undeclared
/// kinds, in the stylesheet).
const NEUTRAL: (&str, &str) = ("#5b574f", "#aaa59a");

const KIND_KEYS: &[&str] = &["label", "colour", "color", "dark", "help"];

/// The default theme's kinds.
pub fn built_in() -> Vec<NoteKind> {
    [
        (
            "sourcing",
            "#1f5aa6",
            "#8ab8f2",
            "who says so, and how we know",
        ),
        ("framing", "#a3440b", "#f0a574", "how the story is told"),
        (
            "correction",
            "#b3261e",
            "#f4948b",
            "what the text gets wrong",
        ),
        ("context", "#2c6a2e", "#8fcf8c", "what the text leaves out"),
        (
            "language",
            "#6a3d9e",
            "#c7a8f2",
            "word choice and loaded terms",
        ),
        ("footnote", NEUTRAL.0, NEUTRAL.1, "the author's own notes"),
    ]
    .into_iter()
    .map(|(key, colour, dark, help)| NoteKind {
        key: key.into(),
        label: key.into(),
        colour: colour.into(),
        dark: dark.into(),
        help: Some(help.into()),
        built_in: true,
    })
    .collect()
}

/// Reads the `kinds:` mapping of site.yaml, whose key is on line `line`:
///
/// ```yaml
/// kinds:
///   claim: {label: Claim, colour: "#8a4b00", dark: "#f0b070", help: "a statement we checked"}
/// ```
pub fn parse(
    value: Value,
    source: Source,
    line: usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<NoteKind> {
    let map = match value {
        Value::Null => return Vec::new(),
        Value::Mapping(m) => m,
        other => {
            diags.push(
                Diagnostic::error(
                    Some(source.location(line, 1)),
                    format!("`kinds` should be a mapping of kind names to their label, colour and help, found {}", yaml::describe(&other)),
                )
                .with_help("kinds:\n  claim: {label: Claim, colour: \"#8a4b00\", help: \"a statement we checked\"}"),
            );
            return Vec::new();
        }
    };
    let mut entries: Vec<(String, Value, usize)> = Vec::new();
    let mut from = line + 1;
    for (k, v) in map {
        let Some(key) = yaml::scalar_string(&k) else {
            diags.push(Diagnostic::error(
                Some(source.location(line, 1)),
                format!("a kind's name should be text, found {}", yaml::describe(&k)),
            ));
            continue;
        };
        let at = source
            .key_location(&key, Some(from..usize::MAX))
            .line
            .max(from);
        from = at + 1;
        entries.push((key, v, at));
    }
    let mut out = Vec::new();
    for i in 0..entries.len() {
        let end = entries.get(i + 1).map_or(usize::MAX, |e| e.2);
        let (key, value, at) = &entries[i];
        if let Some(k) = parse_one(key, value.clone(), source, *at..end, diags) {
            out.push(k);
        }
    }
    out
}

fn parse_one(
    key: &str,
    value: Value,
    source: Source,
    lines: Range<usize>,
    diags: &mut Vec<Diagnostic>,
) -> Option<NoteKind> {
    let what = format!("kind `{key}`");
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        diags.push(
            Diagnostic::error(
                Some(source.location(lines.start, 1)),
                format!("{what}: a kind's name may hold only letters, digits, `-` and `_`"),
            )
            .with_help(
                "it is written in notes as `kind: <name>` and used in CSS selectors and links",
            ),
        );
        return None;
    }
    // The mapping's own lines start after the key's line (or on it, for
    // the `{…}` form).
    let mut f = match Fields::new(value, source, Some(lines.clone()), &what) {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let label = f.take_string("label").unwrap_or_else(|| key.to_string());
    let help = f.take_string("help");
    let (colour_key, colour) = match f.take_string("colour") {
        Some(c) => ("colour", Some(c)),
        None => ("color", f.take_string("color")),
    };
    let colour = colour.and_then(|c| hex(&c, colour_key, &what, &f, diags));
    let dark_given = f
        .take_string("dark")
        .and_then(|c| hex(&c, "dark", &what, &f, diags));
    let colour_missing = colour.is_none();
    let colour = colour.unwrap_or_else(|| NEUTRAL.0.to_string());
    let dark = dark_given.clone().unwrap_or_else(|| {
        if colour_missing {
            NEUTRAL.1.to_string()
        } else {
            colour.clone()
        }
    });
    if !colour_missing && let Some((ratio, bg)) = worst_contrast(&colour, &LIGHT_SURFACES) {
        diags.push(
            Diagnostic::error(
                Some(f.location_of(colour_key)),
                format!("{what}: {colour} has a contrast of {ratio:.2}:1 on the light background {bg}; at least {MIN_CONTRAST}:1 is needed to read it"),
            )
            .with_help("choose a darker colour"),
        );
    }
    if (!colour_missing || dark_given.is_some())
        && let Some((ratio, bg)) = worst_contrast(&dark, &DARK_SURFACES)
    {
        let (loc_key, help) = if dark_given.is_some() {
            ("dark", "choose a lighter `dark` colour")
        } else {
            (
                colour_key,
                "add `dark:` with a lighter colour for dark mode",
            )
        };
        diags.push(
                Diagnostic::error(
                    Some(f.location_of(loc_key)),
                    format!("{what}: {dark} has a contrast of {ratio:.2}:1 on the dark background {bg}; at least {MIN_CONTRAST}:1 is needed to read it"),
                )
                .with_help(help),
            );
    }
    diags.extend(f.deny_unknown(KIND_KEYS, &what));
    Some(NoteKind {
        key: key.to_string(),
        label,
        colour,
        dark,
        help,
        built_in: false,
    })
}

/// `#rgb` or `#rrggbb`, as lowercase `#rrggbb`; anything else is reported.
fn hex(
    text: &str,
    key: &str,
    what: &str,
    f: &Fields,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match rgb(text) {
        Some([r, g, b]) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        None => {
            diags.push(
                Diagnostic::error(
                    Some(f.location_of(key)),
                    format!("{what}: `{key}` should be a colour written #rrggbb, found {text:?}"),
                )
                .with_help("for example \"#8a4b00\" (quoted: YAML reads # as a comment)"),
            );
            None
        }
    }
}

fn rgb(text: &str) -> Option<[u8; 3]> {
    let h = text.trim().strip_prefix('#')?;
    if !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize, n: usize| u8::from_str_radix(&h[i..i + n], 16).ok();
    match h.len() {
        3 => Some([digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17]),
        6 => Some([digit(0, 2)?, digit(2, 2)?, digit(4, 2)?]),
        _ => None,
    }
}

/// WCAG 2 contrast ratio of two `#rrggbb` colours.
pub fn contrast(a: &str, b: &str) -> f64 {
    let lum = |c: &str| {
        let [r, g, b] = rgb(c).unwrap_or_default();
        let f = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The lowest contrast of `colour` on `surfaces`, when it is too low.
fn worst_contrast(colour: &str, surfaces: &[&'static str]) -> Option<(f64, &'static str)> {
    surfaces
        .iter()
        .map(|bg| (contrast(colour, bg), *bg))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(r, _)| *r < MIN_CONTRAST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides, RawConfig};
    use crate::error::Location;
    use std::path::Path;

    fn parse(text: &str) -> (Config, Vec<Diagnostic>) {
        let (raw, mut diags) = RawConfig::parse(text);
        let (config, d) = Config::resolve(Path::new("/s"), raw, Overrides::default());
        diags.extend(d);
        (config, diags)
    }

    #[test]
    fn built_in_kinds_pass_their_own_contrast_check() {
        for k in built_in() {
            assert!(
                worst_contrast(&k.colour, &LIGHT_SURFACES).is_none(),
                "{k:?} light"
            );
            assert!(
                worst_contrast(&k.dark, &DARK_SURFACES).is_none(),
                "{k:?} dark"
            );
        }
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    }

    #[test]
    fn declared_kinds_are_added_and_replace_built_in_ones() {
        let (c, d) = parse(
            "title: x\nkinds:\n  claim:\n    label: Claim\n    colour: \"#8a4b00\"\n    dark: \"#F0B070\"\n    help: a statement we checked\n  \
             context: {label: Context, colour: \"#256029\", dark: \"#8fcf8c\", help: what is left out}\n  missing: {}\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let claim = c.kind("claim").unwrap();
        assert_eq!(
            (
                claim.label.as_str(),
                claim.colour.as_str(),
                claim.dark.as_str()
            ),
            ("Claim", "#8a4b00", "#f0b070")
        );
        assert!(!claim.built_in);
        let context = c.kind("context").unwrap();
        assert_eq!(
            (context.label.as_str(), context.colour.as_str()),
            ("Context", "#256029")
        );
        // A kind without colours is neutral grey, which reads in both schemes.
        let missing = c.kind("missing").unwrap();
        assert_eq!((missing.colour.as_str(), missing.dark.as_str()), NEUTRAL);
        assert!(c.kind("sourcing").unwrap().built_in);
    }

    #[test]
    fn bad_kinds_are_errors_at_their_line() {
        let (_, d) = parse(
            "title: x\nkinds:\n  claim:\n    colour: \"#ffdd00\"\n    halp: x\n  \"bad kind\": {}\n  pale:\n    colour: \"#1f5aa6\"\n  odd:\n    colour: red\n",
        );
        let msgs: Vec<(usize, &str)> = d
            .iter()
            .map(|d| (d.location.as_ref().unwrap().line, d.message.as_str()))
            .collect();
        assert!(
            msgs.iter().any(|(l, m)| *l == 4
                && m.contains("contrast of")
                && m.contains("light background")),
            "{msgs:?}"
        );
        assert!(
            d.iter()
                .any(|d| d.location == Some(Location::at("site.yaml", 5, 5))
                    && d.help.as_deref() == Some("did you mean `help`?")),
            "{d:?}"
        );
        assert!(
            msgs.iter()
                .any(|(l, m)| *l == 6 && m.contains("only letters")),
            "{msgs:?}"
        );
        assert!(
            d.iter().any(|d| d.location.as_ref().unwrap().line == 8
                && d.message.contains("dark background")
                && d.help.as_deref() == Some("add `dark:` with a lighter colour for dark mode")),
            "{d:?}"
        );
        assert!(
            msgs.iter().any(|(l, m)| *l == 10 && m.contains("#rrggbb")),
            "{msgs:?}"
        );
    }
}
