//! site.yaml's `ratings:`: the scale notes' `rating:` labels take their
//! numbers from (DESIGN §11). A note's own rating is read by
//! [`crate::annotate::rating`]; the scale is configuration, read with
//! the rest of site.yaml.

use serde::Serialize;

use crate::error::Diagnostic;
use crate::yaml::{self, Fields, Value};

const SCALE_KEYS: &[&str] = &["best", "worst", "labels"];

/// A number on a rating scale. Whole numbers print without a decimal point
/// (`3`, not `3.0`), in JSON-LD, CSV and the badge alike.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Score(pub f64);

impl Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            write!(f, "{}", self.0 as i64)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// The scale site.yaml declares: label → value, between `worst` and `best`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingScale {
    pub best: Score,
    pub worst: Score,
    /// In the order written (the order a legend would show them).
    pub labels: Vec<(String, Score)>,
}

pub(crate) fn within(value: Score, best: Score, worst: Score) -> bool {
    let (lo, hi) = if best.0 >= worst.0 {
        (worst.0, best.0)
    } else {
        (best.0, worst.0)
    };
    value.0 >= lo && value.0 <= hi
}

pub(crate) fn take_score(f: &mut Fields, key: &str) -> Option<Score> {
    f.take::<f64>(key, "a number")
        .filter(|v| v.is_finite())
        .map(Score)
}

/// Reads site.yaml's `ratings:`
/// (`{best: 5, worst: 1, labels: {"False": 1, …, "True": 5}}`).
pub fn scale_from_yaml(
    value: Value,
    source: yaml::Source,
) -> (Option<RatingScale>, Vec<Diagnostic>) {
    let at = source.key_location("ratings", None);
    let mut f = match Fields::new(value, source, None, "`ratings`") {
        Ok(f) => f,
        Err(d) => return (None, vec![d]),
    };
    let best = take_score(&mut f, "best");
    let worst = take_score(&mut f, "worst");
    let labels = f.take_raw("labels");
    let mut diags = std::mem::take(&mut f.diagnostics);
    diags.extend(f.deny_unknown(SCALE_KEYS, "`ratings`"));
    let (Some(best), Some(worst)) = (best, worst) else {
        diags.push(
            Diagnostic::error(Some(at), "`ratings` needs `best` and `worst`").with_help(
                "e.g. `ratings: {best: 5, worst: 1, labels: {\"False\": 1, \"True\": 5}}`",
            ),
        );
        return (None, diags);
    };
    if best == worst {
        diags.push(Diagnostic::error(
            Some(at),
            format!("`ratings`: `best` and `worst` are both {best}"),
        ));
        return (None, diags);
    }
    let map = match labels {
        Some(Value::Mapping(m)) if !m.is_empty() => m,
        _ => {
            diags.push(
                Diagnostic::error(
                    Some(at),
                    "`ratings` needs `labels`: each label with its value",
                )
                .with_help("e.g. `labels: {\"False\": 1, \"Half true\": 3, \"True\": 5}`"),
            );
            return (None, diags);
        }
    };
    let mut out: Vec<(String, Score)> = Vec::with_capacity(map.len());
    for (k, v) in map {
        let label = yaml::scalar_string(&k).unwrap_or_default();
        let here = source.key_location(&label, None);
        let value = match &v {
            Value::Number(n) => n.as_f64().filter(|x| x.is_finite()).map(Score),
            _ => None,
        };
        match value {
            Some(value) if within(value, best, worst) => out.push((label, value)),
            Some(value) => diags.push(Diagnostic::error(
                Some(here),
                format!("rating {label:?} has the value {value}, outside worst ({worst}) to best ({best})"),
            )),
            None => diags.push(Diagnostic::error(
                Some(here),
                format!(
                    "rating {label:?} should have a number, found {}",
                    yaml::describe(&v)
                ),
            )),
        }
    }
    (
        Some(RatingScale {
            best,
            worst,
            labels: out,
        }),
        diags,
    )
}
