//! Classification metrics with the exact JSON keys of `tuoke nlu eval --json`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::NluError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OosMetrics {
    /// Accuracy on the examples whose true label is not the OOS label.
    pub in_scope_accuracy: f64,
    /// Share of true OOS examples predicted as OOS.
    pub recall: f64,
    /// Share of OOS predictions that are truly OOS.
    pub precision: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub accuracy: f64,
    /// Unweighted mean F1 over every label that occurs as truth or prediction (as scikit-learn).
    pub macro_f1: f64,
    /// Mean F1 weighted by true support.
    pub weighted_f1: f64,
    pub per_label: BTreeMap<String, LabelMetrics>,
    /// true label → predicted label → count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub oos: Option<OosMetrics>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Compare predictions with gold labels.
pub fn evaluate<G: AsRef<str>, P: AsRef<str>>(
    gold: &[G],
    pred: &[P],
    oos_label: Option<&str>,
) -> Result<Metrics, NluError> {
    if gold.len() != pred.len() {
        return Err(NluError::InvalidConfig(format!(
            "{} gold labels but {} predictions",
            gold.len(),
            pred.len()
        )));
    }
    if gold.is_empty() {
        return Err(NluError::NoExamples);
    }
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut labels = BTreeSet::new();
    let mut correct = 0usize;
    for (g, p) in gold.iter().zip(pred) {
        let (g, p) = (g.as_ref(), p.as_ref());
        labels.insert(g.to_string());
        labels.insert(p.to_string());
        *confusion
            .entry(g.to_string())
            .or_default()
            .entry(p.to_string())
            .or_insert(0) += 1;
        if g == p {
            correct += 1;
        }
    }
    let mut per_label = BTreeMap::new();
    let (mut macro_sum, mut weighted_sum) = (0f64, 0f64);
    for l in &labels {
        let tp = confusion
            .get(l)
            .and_then(|r| r.get(l))
            .copied()
            .unwrap_or(0);
        let support: usize = confusion.get(l).map(|r| r.values().sum()).unwrap_or(0);
        let predicted: usize = confusion.values().filter_map(|r| r.get(l)).sum();
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        macro_sum += f1;
        weighted_sum += f1 * support as f64;
        per_label.insert(
            l.clone(),
            LabelMetrics {
                precision,
                recall,
                f1,
                support,
            },
        );
    }
    let oos = oos_label.map(|o| {
        let (mut in_total, mut in_ok, mut oos_total, mut oos_hit, mut pred_oos) = (0, 0, 0, 0, 0);
        for (g, p) in gold.iter().zip(pred) {
            let (g, p) = (g.as_ref(), p.as_ref());
            if p == o {
                pred_oos += 1;
            }
            if g == o {
                oos_total += 1;
                if p == o {
                    oos_hit += 1;
                }
            } else {
                in_total += 1;
                if g == p {
                    in_ok += 1;
                }
            }
        }
        OosMetrics {
            in_scope_accuracy: ratio(in_ok, in_total),
            recall: ratio(oos_hit, oos_total),
            precision: ratio(oos_hit, pred_oos),
        }
    });
    Ok(Metrics {
        accuracy: ratio(correct, gold.len()),
        macro_f1: macro_sum / labels.len() as f64,
        weighted_f1: weighted_sum / gold.len() as f64,
        per_label,
        confusion,
        oos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // gold: a a a b b c ; pred: a a b b c c
        let gold = ["a", "a", "a", "b", "b", "c"];
        let pred = ["a", "a", "b", "b", "c", "c"];
        let m = evaluate(&gold, &pred, None).unwrap();
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // a: p=2/2 r=2/3 f1=0.8 ; b: p=1/2 r=1/2 f1=0.5 ; c: p=1/2 r=1/1 f1=2/3
        let a = &m.per_label["a"];
        assert!((a.precision - 1.0).abs() < 1e-12 && (a.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.f1 - 0.8).abs() < 1e-12);
        assert!((m.per_label["b"].f1 - 0.5).abs() < 1e-12);
        assert!((m.per_label["c"].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.macro_f1 - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((m.weighted_f1 - (0.8 * 3.0 + 0.5 * 2.0 + 2.0 / 3.0) / 6.0).abs() < 1e-12);
        assert_eq!(m.confusion["a"]["b"], 1);
        assert_eq!(m.confusion["b"]["c"], 1);
        assert_eq!(m.per_label["c"].support, 1);
        assert!(m.oos.is_none());
        let v = serde_json::to_value(&m).unwrap();
        assert!(v.get("oos").is_none());
        for k in [
            "accuracy",
            "macro_f1",
            "weighted_f1",
            "per_label",
            "confusion",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
    }

    #[test]
    fn oos_metrics() {
        let gold = ["x", "oos", "oos", "y", "y"];
        let pred = ["x", "oos", "y", "oos", "y"];
        let m = evaluate(&gold, &pred, Some("oos")).unwrap();
        let o = m.oos.unwrap();
        assert!((o.in_scope_accuracy - 2.0 / 3.0).abs() < 1e-12);
        assert!((o.recall - 0.5).abs() < 1e-12);
        assert!((o.precision - 0.5).abs() < 1e-12);
    }

    #[test]
    fn errors() {
        assert!(evaluate::<&str, &str>(&[], &[], None).is_err());
        assert!(evaluate(&["a"], &["a", "b"], None).is_err());
    }
}
