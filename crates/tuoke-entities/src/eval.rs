//! Scoring an [`Extractor`](crate::Extractor) against a hand-labelled JSONL table
//! (`{"text", "now", "entities": [{"type", "text", "start", "end", "value"}]}` per line).
//! Pure: the caller reads the file. Used by the integration test and by `examples/eval.rs`.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde::Deserialize;
use tuoke_core::{Entity, EntityType};

use crate::{EntitiesError, Extractor};

#[derive(Debug, Deserialize)]
struct Line {
    text: String,
    now: String,
    entities: Vec<Entity>,
}

/// Counts for one entity type.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct TypeScore {
    /// Gold entities of this type.
    pub gold: usize,
    /// Predicted entities of this type.
    pub predicted: usize,
    /// Predictions with the exact gold type and span.
    pub span_match: usize,
    /// Of those, predictions whose value also equals the gold value.
    pub value_match: usize,
}

impl TypeScore {
    pub fn precision(&self) -> f64 {
        ratio(self.span_match, self.predicted)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.span_match, self.gold)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// Share of span matches whose value is right too.
    pub fn value_accuracy(&self) -> f64 {
        ratio(self.value_match, self.span_match)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The result of scoring a table.
#[derive(Debug, Default)]
pub struct Report {
    pub examples: usize,
    /// Examples with no gold entity (negatives).
    pub negatives: usize,
    pub per_type: BTreeMap<String, TypeScore>,
    /// One line per missed, spurious or wrong-valued entity.
    pub errors: Vec<String>,
}

fn type_name(k: EntityType) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// JSON equality where numbers compare as f64 (`2` == `2.0`).
pub fn value_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            _ => false,
        },
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| value_eq(v, w)))
        }
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| value_eq(v, w))
        }
        _ => a == b,
    }
}

/// Score `extractor` on a JSONL table. Also checks that each gold span's text equals the chars
/// `start..end` of the example text, so a mislabelled line is reported instead of skewing the score.
pub fn evaluate(extractor: &Extractor, jsonl: &str) -> Result<Report, EntitiesError> {
    let mut r = Report::default();
    for (i, raw) in jsonl.lines().enumerate() {
        let line_no = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(raw).map_err(|e| EntitiesError::EvalLine {
            line: line_no,
            message: e.to_string(),
        })?;
        let now = DateTime::parse_from_rfc3339(&l.now).map_err(|e| EntitiesError::EvalLine {
            line: line_no,
            message: format!("bad now: {e}"),
        })?;
        for g in &l.entities {
            let span: String = l
                .text
                .chars()
                .skip(g.start)
                .take(g.end.saturating_sub(g.start))
                .collect();
            if span != g.text {
                return Err(EntitiesError::EvalLine {
                    line: line_no,
                    message: format!(
                        "gold span {}..{} is {span:?}, not {:?}",
                        g.start, g.end, g.text
                    ),
                });
            }
        }
        r.examples += 1;
        if l.entities.is_empty() {
            r.negatives += 1;
        }
        let pred = extractor.extract(&l.text, now);
        for g in &l.entities {
            r.per_type.entry(type_name(g.kind)).or_default().gold += 1;
        }
        for p in &pred {
            let t = type_name(p.kind);
            r.per_type.entry(t.clone()).or_default().predicted += 1;
            match l
                .entities
                .iter()
                .find(|g| g.kind == p.kind && g.start == p.start && g.end == p.end)
            {
                Some(g) => {
                    let s = r.per_type.entry(t.clone()).or_default();
                    s.span_match += 1;
                    if value_eq(&g.value, &p.value) {
                        s.value_match += 1;
                    } else {
                        r.errors.push(format!(
                            "line {line_no} VALUE {t} {:?}: got {} want {}",
                            p.text, p.value, g.value
                        ));
                    }
                }
                None => r.errors.push(format!(
                    "line {line_no} SPURIOUS {t} {:?} [{}..{}] {} in {:?}",
                    p.text, p.start, p.end, p.value, l.text
                )),
            }
        }
        for g in &l.entities {
            if !pred
                .iter()
                .any(|p| g.kind == p.kind && g.start == p.start && g.end == p.end)
            {
                r.errors.push(format!(
                    "line {line_no} MISSED {} {:?} [{}..{}] in {:?}",
                    type_name(g.kind),
                    g.text,
                    g.start,
                    g.end,
                    l.text
                ));
            }
        }
    }
    Ok(r)
}

impl Report {
    /// Totals over all types (micro-averaged).
    pub fn total(&self) -> TypeScore {
        let mut t = TypeScore::default();
        for s in self.per_type.values() {
            t.gold += s.gold;
            t.predicted += s.predicted;
            t.span_match += s.span_match;
            t.value_match += s.value_match;
        }
        t
    }

    /// A Markdown table: one row per type plus the micro-averaged total.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} examples ({} without entities)\n\n| type | gold | predicted | precision | recall | F1 | value accuracy |\n|---|---:|---:|---:|---:|---:|---:|\n",
            self.examples, self.negatives
        );
        let row = |name: &str, s: &TypeScore| {
            format!(
                "| {name} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
                s.gold,
                s.predicted,
                s.precision(),
                s.recall(),
                s.f1(),
                s.value_accuracy()
            )
        };
        for (k, s) in &self.per_type {
            out.push_str(&row(k, s));
        }
        out.push_str(&row("**all (micro)**", &self.total()));
        out
    }
}
