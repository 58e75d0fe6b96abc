//! Ratings: a note's verdict on the claim it quotes (DESIGN §11).
//!
//! A sidecar note may say `rating: "Half true"` or
//! `rating: {label, value, best, worst}`; site.yaml may declare the scale
//! once (`ratings:`). Reading happens in two steps: the sidecar parser reads
//! what the note says ([`from_yaml`]), and once site.yaml is known the
//! label is checked against its scale and takes its numbers from it
//! ([`resolve`]). Both steps report at the `rating:` key's line. The
//! types are the model's ([`Rating`]) and the configuration's
//! ([`RatingScale`], read with site.yaml).

use std::ops::Range;

use crate::config::ratings::{RatingScale, take_score, within};
use crate::error::{Diagnostic, Location, suggestion};
use crate::model::Rating;
use crate::yaml::{self, Fields, Value};

const RATING_KEYS: &[&str] = &["label", "value", "best", "worst"];

/// Reads a note's `rating` (`value`, written at `lines` of `source`, its
/// key at `at`).
pub fn from_yaml(
    value: Value,
    source: yaml::Source,
    lines: Range<usize>,
    at: Location,
) -> (Option<Rating>, Vec<Diagnostic>) {
    if let Some(label) = yaml::scalar_string(&value) {
        let label = label.trim().to_string();
        if label.is_empty() {
            return (
                None,
                vec![Diagnostic::error(Some(at), "this note's `rating` is empty")],
            );
        }
        let rating = Rating {
            label,
            value: None,
            best: None,
            worst: None,
            location: at,
        };
        return (Some(rating), Vec::new());
    }
    if value.is_null() {
        return (None, Vec::new());
    }
    // Keys are searched from the `rating:` line on, so that one that cannot
    // be found (flow style) is reported there rather than at the note.
    let lines = match at.line.checked_sub(source.line_offset) {
        Some(l) if l >= lines.start && l < lines.end => l..lines.end,
        _ => lines,
    };
    let mut f = match Fields::new(value, source, Some(lines), "a rating") {
        Ok(f) => f,
        Err(d) => {
            return (
                None,
                vec![d.with_help(
                    "write `rating: \"Half true\"` or `rating: {label: \"Half true\", value: 3, best: 5, worst: 1}`",
                )],
            );
        }
    };
    let label = f.take_string("label").map(|l| l.trim().to_string());
    let value = take_score(&mut f, "value");
    let best = take_score(&mut f, "best");
    let worst = take_score(&mut f, "worst");
    let mut diags = std::mem::take(&mut f.diagnostics);
    diags.extend(f.deny_unknown(RATING_KEYS, "a rating"));
    let Some(label) = label.filter(|l| !l.is_empty()) else {
        diags.push(
            Diagnostic::error(Some(at), "this rating has no `label`").with_help(
                "the label is what readers and fact-check tools show: `label: \"Half true\"`",
            ),
        );
        return (None, diags);
    };
    let rating = match (value, best, worst) {
        (None, None, None) => Rating {
            label,
            value: None,
            best: None,
            worst: None,
            location: at,
        },
        (Some(v), Some(b), Some(w)) => {
            if b == w {
                diags.push(Diagnostic::error(
                    Some(at),
                    format!("this rating's `best` and `worst` are both {b}"),
                ));
                return (None, diags);
            }
            if !within(v, b, w) {
                diags.push(
                    Diagnostic::error(
                        Some(at),
                        format!("rating value {v} is not between worst ({w}) and best ({b})"),
                    )
                    .with_help("a rating's `value` lies on its scale, from `worst` to `best`"),
                );
                return (None, diags);
            }
            Rating {
                label,
                value: Some(v),
                best: Some(b),
                worst: Some(w),
                location: at,
            }
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    Some(at),
                    "this rating gives only some of `value`, `best` and `worst`",
                )
                .with_help("give all three (a value means nothing without its scale), or none"),
            );
            return (None, diags);
        }
    };
    (Some(rating), diags)
}

/// Checks a note's rating against the site's scale, if one is declared,
/// and gives a bare label the scale's numbers.
pub fn resolve(rating: &mut Rating, scale: Option<&RatingScale>) -> Option<Diagnostic> {
    let scale = scale?;
    let Some((_, value)) = scale.labels.iter().find(|(l, _)| *l == rating.label) else {
        let names: Vec<&str> = scale.labels.iter().map(|(l, _)| l.as_str()).collect();
        let help = suggestion(&rating.label, names.iter().copied()).unwrap_or_else(|| {
            format!(
                "the ratings site.yaml declares: {}",
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        return Some(
            Diagnostic::error(
                Some(rating.location.clone()),
                format!("unknown rating {:?}", rating.label),
            )
            .with_help(help),
        );
    };
    match rating.value {
        None => {
            rating.value = Some(*value);
            rating.best = Some(scale.best);
            rating.worst = Some(scale.worst);
            None
        }
        Some(v) if v == *value && rating.best == Some(scale.best) && rating.worst == Some(scale.worst) => None,
        Some(_) => Some(
            Diagnostic::error(
                Some(rating.location.clone()),
                format!(
                    "this rating's numbers differ from site.yaml's scale, which gives {:?} the value {value} from {} to {}",
                    rating.label, scale.worst, scale.best
                ),
            )
            .with_help("write just the label (`rating: \"…\"`) to take the scale's numbers"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ratings::{Score, scale_from_yaml};
    use std::path::Path;

    fn note_rating(text: &str) -> (Option<Rating>, Vec<Diagnostic>) {
        let file = Path::new("a.annotations.yaml");
        let source = yaml::Source::new(file, text, 0);
        let v = source.parse().unwrap();
        let Value::Mapping(mut m) = v else { panic!() };
        let r = m.remove("rating").unwrap();
        let at = source.key_location("rating", None);
        from_yaml(r, source, 1..usize::MAX, at)
    }

    fn scale() -> RatingScale {
        let file = Path::new("site.yaml");
        let text = "ratings:\n  best: 5\n  worst: 1\n  labels:\n    \"False\": 1\n    Half true: 3\n    \"True\": 5\n";
        let source = yaml::Source::new(file, text, 0);
        let Value::Mapping(mut m) = source.parse().unwrap() else {
            panic!()
        };
        let (s, d) = scale_from_yaml(m.remove("ratings").unwrap(), source);
        assert!(d.is_empty(), "{d:?}");
        s.unwrap()
    }

    #[test]
    fn bare_label_and_full_form() {
        let (r, d) = note_rating("quote: q\nrating: Half true\n");
        assert!(d.is_empty());
        let r = r.unwrap();
        assert_eq!(r.label, "Half true");
        assert_eq!(r.value, None);
        assert_eq!(r.location, Location::at("a.annotations.yaml", 2, 1));
        let (r, d) =
            note_rating("quote: q\nrating: {label: Mostly false, value: 2, best: 5, worst: 1}\n");
        assert!(d.is_empty(), "{d:?}");
        let r = r.unwrap();
        assert_eq!(
            (r.value, r.best, r.worst),
            (Some(Score(2.0)), Some(Score(5.0)), Some(Score(1.0)))
        );
        assert_eq!(serde_json::to_string(&r.value).unwrap(), "2");
    }

    #[test]
    fn value_outside_the_scale_and_unknown_keys_are_errors_at_the_line() {
        let (r, d) =
            note_rating("quote: q\nrating:\n  label: x\n  value: 7\n  best: 5\n  worst: 1\n");
        assert!(r.is_none());
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].location,
            Some(Location::at("a.annotations.yaml", 2, 1))
        );
        assert!(
            d[0].message.contains("not between worst (1) and best (5)"),
            "{}",
            d[0].message
        );
        let (_, d) = note_rating("quote: q\nrating:\n  label: x\n  vaule: 3\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            d[0].location,
            Some(Location::at("a.annotations.yaml", 4, 3))
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `value`?"));
        let (_, d) = note_rating("quote: q\nrating: {label: x, value: 3}\n");
        assert!(d[0].message.contains("only some"), "{}", d[0].message);
    }

    #[test]
    fn a_declared_scale_checks_labels_and_fills_numbers() {
        let s = scale();
        let (r, _) = note_rating("rating: Half true\n");
        let mut r = r.unwrap();
        assert!(resolve(&mut r, Some(&s)).is_none());
        assert_eq!(r.value, Some(Score(3.0)));
        assert_eq!(r.best, Some(Score(5.0)));
        let (r, _) = note_rating("rating: Half ture\n");
        let d = resolve(&mut r.unwrap(), Some(&s)).unwrap();
        assert_eq!(d.help.as_deref(), Some("did you mean `Half true`?"));
        assert_eq!(d.location, Some(Location::at("a.annotations.yaml", 1, 1)));
        // Without a scale any label goes.
        let (r, _) = note_rating("rating: Pants on fire\n");
        assert!(resolve(&mut r.unwrap(), None).is_none());
    }

    #[test]
    fn scale_values_must_lie_on_it() {
        let file = Path::new("site.yaml");
        let text = "ratings:\n  best: 5\n  worst: 1\n  labels:\n    Odd: 9\n";
        let source = yaml::Source::new(file, text, 0);
        let Value::Mapping(mut m) = source.parse().unwrap() else {
            panic!()
        };
        let (_, d) = scale_from_yaml(m.remove("ratings").unwrap(), source);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].location, Some(Location::at("site.yaml", 5, 5)));
    }
}
