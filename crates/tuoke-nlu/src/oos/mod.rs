//! Out-of-scope scores: how much a text looks like the in-scope training data, higher = more
//! in-scope. A detector rejects a text whose score is below a threshold chosen on in-scope dev data.
//!
//! * from the model's logits `z` (summed over the components, before the temperature `T`):
//!   [`OosScore::Confidence`] `max softmax(z/T)` (the calibrated confidence, the original rule),
//!   [`OosScore::MaxLogit`] `max z`, [`OosScore::Energy`] `T·logsumexp(z/T)` (the negative free
//!   energy), [`OosScore::Margin`] `z₁ − z₂` (top two logits);
//! * from the training texts ([`Centroids`], `centroids.rs`): [`OosScore::Centroid`], the cosine of
//!   the text's TF-IDF vector over the hashed features to the nearest class centroid;
//!   [`OosScore::Knn`] (evaluation only, it needs the training texts) the mean cosine to the
//!   nearest training texts;
//! * [`OosScore::MaxLogitCentroid`]: the sum of max-logit and centroid scores, each standardized
//!   by its mean and standard deviation on in-scope dev texts.
//!
//! `heldout.rs` runs the held-out-labels protocol that compares them ([`heldout_eval`]).

use serde::{Deserialize, Serialize};

use crate::error::NluError;
use crate::features::Features;
use crate::model::{Model, softmax_in_place};

mod centroids;
mod heldout;

pub use centroids::{Centroids, Knn};
pub use heldout::{
    DetectorResult, HeldoutConfig, HeldoutProgress, HeldoutReport, heldout_eval,
    threshold_at_retained,
};

/// Which score an out-of-scope detector thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OosScore {
    /// Calibrated max probability (the rule of models trained before the score was selectable).
    #[default]
    Confidence,
    MaxLogit,
    Energy,
    Margin,
    Centroid,
    Knn,
    MaxLogitCentroid,
}

impl OosScore {
    /// Every score, in report order.
    pub const ALL: [OosScore; 7] = [
        OosScore::Confidence,
        OosScore::MaxLogit,
        OosScore::Energy,
        OosScore::Margin,
        OosScore::Centroid,
        OosScore::Knn,
        OosScore::MaxLogitCentroid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OosScore::Confidence => "confidence",
            OosScore::MaxLogit => "max_logit",
            OosScore::Energy => "energy",
            OosScore::Margin => "margin",
            OosScore::Centroid => "centroid",
            OosScore::Knn => "knn",
            OosScore::MaxLogitCentroid => "max_logit_centroid",
        }
    }

    /// Whether the score comes from the logits alone (only those can be stored in a model).
    pub fn from_logits(self) -> bool {
        matches!(
            self,
            OosScore::Confidence | OosScore::MaxLogit | OosScore::Energy | OosScore::Margin
        )
    }

    pub(crate) fn is_confidence(&self) -> bool {
        *self == OosScore::Confidence
    }
}

impl std::fmt::Display for OosScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for OosScore {
    type Err = NluError;
    fn from_str(s: &str) -> Result<Self, NluError> {
        OosScore::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = OosScore::ALL.iter().map(|k| k.name()).collect();
                NluError::InvalidConfig(format!(
                    "OOS score must be one of {}, got {s:?}",
                    names.join(", ")
                ))
            })
    }
}

/// The scores computed from one text's logits.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LogitScores {
    pub confidence: f32,
    pub max_logit: f32,
    pub energy: f32,
    pub margin: f32,
}

impl LogitScores {
    /// The scores of logits `z` at temperature `t`.
    pub fn from_logits(z: &[f32], t: f32) -> LogitScores {
        let t = if t.is_finite() && t > 0.0 { t } else { 1.0 };
        let (mut m1, mut m2) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for &v in z {
            if v > m1 {
                m2 = m1;
                m1 = v;
            } else if v > m2 {
                m2 = v;
            }
        }
        if z.is_empty() {
            return LogitScores::default();
        }
        let sum: f32 = z.iter().map(|&v| ((v - m1) / t).exp()).sum();
        let energy = m1 + t * sum.ln();
        let mut p = z.to_vec();
        softmax_in_place(&mut p, t);
        let confidence = p.iter().copied().fold(0f32, f32::max);
        LogitScores {
            confidence,
            max_logit: m1,
            energy,
            margin: if m2.is_finite() { m1 - m2 } else { 0.0 },
        }
    }

    /// The score of `kind`, if it comes from the logits alone.
    pub fn get(&self, kind: OosScore) -> Option<f32> {
        match kind {
            OosScore::Confidence => Some(self.confidence),
            OosScore::MaxLogit => Some(self.max_logit),
            OosScore::Energy => Some(self.energy),
            OosScore::Margin => Some(self.margin),
            _ => None,
        }
    }
}

impl Model {
    /// The logit-based out-of-scope scores of precomputed features.
    pub fn logit_scores(&self, features: &Features) -> LogitScores {
        let (z, _) = self.logits(features);
        LogitScores::from_logits(&z, self.temperature)
    }
}

/// Mean and standard deviation of `v` (standard deviation at least a tiny positive value).
pub(crate) fn mean_std(v: &[f32]) -> (f32, f32) {
    if v.is_empty() {
        return (0.0, 1.0);
    }
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean as f32, (var.sqrt() as f32).max(1e-6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_scores_follow_their_definitions() {
        let s = LogitScores::from_logits(&[2.0, 0.5, -1.0], 1.0);
        assert!((s.max_logit - 2.0).abs() < 1e-6);
        assert!((s.margin - 1.5).abs() < 1e-6);
        let lse = (2f32.exp() + 0.5f32.exp() + (-1f32).exp()).ln();
        assert!((s.energy - lse).abs() < 1e-5);
        assert!((s.confidence - 2f32.exp() / lse.exp()).abs() < 1e-5);
        // A flatter distribution is less in-scope on every score.
        let flat = LogitScores::from_logits(&[0.6, 0.5, 0.4], 1.0);
        assert!(flat.confidence < s.confidence && flat.energy < s.energy);
        assert_eq!(LogitScores::from_logits(&[], 1.0), LogitScores::default());
    }

    #[test]
    fn scores_parse_by_name() {
        for k in OosScore::ALL {
            assert_eq!(k.name().parse::<OosScore>().unwrap(), k);
        }
        assert!("msp".parse::<OosScore>().is_err());
    }
}
