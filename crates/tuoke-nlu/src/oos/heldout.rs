//! The held-out-labels protocol: out-of-scope detection measured on a labelled set without an
//! out-of-scope class.
//!
//! 1. The distinct training labels, sorted, are shuffled with ChaCha8 seeded by `seed`; the first
//!    `round(fraction · labels)` (at least 1, leaving at least 2) are *held out*.
//! 2. The training texts of the other (in-scope) labels are shuffled with `seed ^ 0x6f6f73` and split:
//!    `dev_fraction` is the in-scope dev set, the rest trains the model (with that dev set for
//!    early stopping and calibration). The held-out labels' training texts are the dev OOS texts.
//! 3. Test texts of in-scope labels are in-scope test, those of every other label OOS test.
//! 4. For every score, the threshold is chosen on the in-scope dev texts: the highest threshold at
//!    which the retained accuracy is ≥ `retain`, where **retained accuracy** = in-scope accuracy with
//!    rejection (a rejected in-scope text counts as wrong) ÷ in-scope accuracy without rejection
//!    = correctly classified *and* accepted ÷ correctly classified. A text is rejected when its score
//!    is below the threshold.
//! 5. Reported per score: OOS recall (share of OOS texts rejected) on dev and on test at that
//!    threshold, the retained accuracy reached on test, the test AUROC (in-scope vs OOS), and the
//!    test recall at a threshold chosen on the test in-scope texts themselves (the score's ceiling
//!    at exactly `retain`). The best score is the one with the highest dev recall.

use std::collections::BTreeSet;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::centroids::{Centroids, Knn};
use super::{LogitScores, OosScore, mean_std};
use crate::error::NluError;
use crate::model::ModelKind;
use crate::train::{Example, TrainConfig, TrainProgress, train};

/// The protocol's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldoutConfig {
    /// Share of the labels held out.
    pub fraction: f32,
    /// Share of the in-scope training texts kept as the dev set.
    pub dev_fraction: f32,
    /// Retained accuracy the thresholds keep on dev.
    pub retain: f32,
    /// Picks the held-out labels and the dev split (the model is trained with `train.seed`).
    pub seed: u64,
    pub train: TrainConfig,
    /// Centroid entries kept per label (0 = all).
    pub centroid_max_per_label: usize,
    /// Neighbours of the k-NN score.
    pub knn_k: usize,
}

impl Default for HeldoutConfig {
    fn default() -> Self {
        HeldoutConfig {
            fraction: 0.25,
            dev_fraction: 0.1,
            retain: 0.95,
            seed: 42,
            train: TrainConfig {
                kind: ModelKind::Ensemble,
                ..TrainConfig::default()
            },
            centroid_max_per_label: 0,
            knn_k: 5,
        }
    }
}

/// What [`heldout_eval`] is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum HeldoutProgress {
    /// Training the in-scope model (after every epoch).
    Training(TrainProgress),
    /// Scoring texts: `done` of `total`.
    Scoring { done: usize, total: usize },
}

/// One score's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorResult {
    pub score: OosScore,
    /// Chosen on the in-scope dev texts.
    pub threshold: f32,
    pub dev_recall: f32,
    pub dev_retained: f32,
    pub test_recall: f32,
    pub test_retained: f32,
    /// In-scope test accuracy with rejection (a rejected in-scope text counts as wrong).
    pub test_in_scope_accuracy: f32,
    pub test_auroc: f32,
    /// Test recall at the threshold that retains exactly `retain` of the test in-scope texts.
    pub test_recall_at_test_threshold: f32,
}

/// The protocol's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldoutReport {
    pub config: HeldoutConfig,
    pub held_out_labels: Vec<String>,
    pub in_scope_labels: usize,
    pub train_examples: usize,
    pub dev_in_scope: usize,
    pub dev_oos: usize,
    pub test_in_scope: usize,
    pub test_oos: usize,
    /// In-scope accuracy without rejection.
    pub dev_accuracy: f32,
    pub test_accuracy: f32,
    pub detectors: Vec<DetectorResult>,
    /// The score with the highest dev recall.
    pub best: OosScore,
}

/// The highest threshold that keeps at least `retain` of the correctly classified texts accepted
/// (`correct_scores`: the scores of the correctly classified in-scope texts).
pub fn threshold_at_retained(correct_scores: &[f32], retain: f32) -> f32 {
    let mut s: Vec<f32> = correct_scores
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if s.is_empty() {
        return f32::NEG_INFINITY;
    }
    s.sort_by(f32::total_cmp);
    let keep = (f64::from(retain.clamp(0.0, 1.0)) * s.len() as f64).ceil() as usize;
    s[s.len() - keep.max(1)]
}

/// Per-text scores: the logit scores, centroid, k-NN, and whether the model's label is right.
#[derive(Clone, Copy)]
struct Row {
    logit: LogitScores,
    centroid: f32,
    knn: f32,
    correct: bool,
}

/// Standardization of the combined score's two parts, fitted on the in-scope dev texts.
struct Combo {
    logit: (f32, f32),
    centroid: (f32, f32),
}

impl Row {
    fn get(&self, k: OosScore, c: &Combo) -> f32 {
        match k {
            OosScore::Centroid => self.centroid,
            OosScore::Knn => self.knn,
            OosScore::MaxLogitCentroid => {
                (self.logit.max_logit - c.logit.0) / c.logit.1
                    + (self.centroid - c.centroid.0) / c.centroid.1
            }
            other => self.logit.get(other).unwrap_or(0.0),
        }
    }
}

fn share(n: usize, d: usize) -> f32 {
    if d == 0 { 0.0 } else { n as f32 / d as f32 }
}

/// Probability that an in-scope text scores above an OOS text (ties count half).
fn auroc(inside: &[f32], oos: &[f32]) -> f32 {
    let mut all: Vec<(f32, bool)> = inside.iter().map(|&s| (s, true)).collect();
    all.extend(oos.iter().map(|&s| (s, false)));
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut i) = (0f64, 0usize);
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j + 1) as f64 / 2.0;
        rank_sum += avg * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let (n1, n0) = (inside.len() as f64, oos.len() as f64);
    if n1 == 0.0 || n0 == 0.0 {
        return 0.0;
    }
    ((rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)) as f32
}

/// Run the protocol on `train` and `test`.
pub fn heldout_eval(
    train_set: &[Example],
    test: &[Example],
    cfg: &HeldoutConfig,
    progress: &mut dyn FnMut(&HeldoutProgress),
) -> Result<HeldoutReport, NluError> {
    if !(cfg.fraction > 0.0
        && cfg.fraction < 1.0
        && cfg.dev_fraction > 0.0
        && cfg.dev_fraction < 1.0)
    {
        return Err(NluError::InvalidConfig(
            "held-out and dev fractions must be between 0 and 1".into(),
        ));
    }
    let labels: Vec<&str> = train_set
        .iter()
        .map(|e| e.label.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if labels.len() < 3 {
        return Err(NluError::InvalidConfig(
            "holding labels out needs at least 3 training labels".into(),
        ));
    }
    let mut shuffled = labels.clone();
    shuffled.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
    let n_hold = ((labels.len() as f32 * cfg.fraction).round() as usize).clamp(1, labels.len() - 2);
    let mut held: Vec<String> = shuffled[..n_hold].iter().map(|s| s.to_string()).collect();
    held.sort();
    let in_scope: BTreeSet<&str> = shuffled[n_hold..].iter().copied().collect();

    let mut inside: Vec<&Example> = train_set
        .iter()
        .filter(|e| in_scope.contains(e.label.as_str()))
        .collect();
    inside.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x6f6f73));
    let n_dev = ((inside.len() as f32 * cfg.dev_fraction).round() as usize).max(1);
    let dev: Vec<Example> = inside[..n_dev].iter().map(|e| (*e).clone()).collect();
    let fit: Vec<Example> = inside[n_dev..].iter().map(|e| (*e).clone()).collect();
    let dev_oos: Vec<&Example> = train_set
        .iter()
        .filter(|e| !in_scope.contains(e.label.as_str()))
        .collect();
    let (test_in, test_oos): (Vec<&Example>, Vec<&Example>) = test
        .iter()
        .partition(|e| in_scope.contains(e.label.as_str()));

    let model = train(&fit, Some(&dev), &cfg.train, &mut |p| {
        progress(&HeldoutProgress::Training(p.clone()))
    })?;
    let fz = model.featurizer();
    let fit_feats: Vec<Vec<u32>> = fit
        .par_iter()
        .map(|e| fz.featurize(&e.text).buckets)
        .collect();
    let label_idx = |l: &str| model.labels().iter().position(|m| m == l).unwrap_or(0);
    let docs: Vec<(Vec<u32>, usize)> = fit_feats
        .iter()
        .zip(&fit)
        .map(|(b, e)| (b.clone(), label_idx(&e.label)))
        .collect();
    let centroids = Centroids::fit(&docs, model.labels().len(), cfg.centroid_max_per_label);
    let knn = Knn::fit(&fit_feats, cfg.knn_k);

    // Score every text, in chunks for the progress report.
    let groups: [Vec<&Example>; 4] = [dev.iter().collect(), dev_oos, test_in, test_oos];
    let total: usize = groups.iter().map(Vec::len).sum();
    let mut done = 0usize;
    let mut rows: Vec<Vec<Row>> = Vec::with_capacity(4);
    for g in &groups {
        let mut out = Vec::with_capacity(g.len());
        for chunk in g.chunks(256) {
            out.par_extend(chunk.par_iter().map(|e| {
                let f = fz.featurize(&e.text);
                let (z, _) = model.logits(&f);
                let best = crate::train::argmax(&z);
                Row {
                    logit: LogitScores::from_logits(&z, model.temperature()),
                    centroid: centroids.score(&f.buckets),
                    knn: knn.score(&f.buckets),
                    correct: model.labels().get(best).is_some_and(|l| *l == e.label),
                }
            }));
            done += chunk.len();
            progress(&HeldoutProgress::Scoring { done, total });
        }
        rows.push(out);
    }
    let [dev_rows, dev_oos_rows, test_rows, test_oos_rows] = <[Vec<Row>; 4]>::try_from(rows)
        .map_err(|_| NluError::InvalidConfig("internal: scoring groups".into()))?;
    let combo = Combo {
        logit: mean_std(
            &dev_rows
                .iter()
                .map(|r| r.logit.max_logit)
                .collect::<Vec<_>>(),
        ),
        centroid: mean_std(&dev_rows.iter().map(|r| r.centroid).collect::<Vec<_>>()),
    };
    let retained = |rows: &[Row], k: OosScore, t: f32| {
        let ok = rows.iter().filter(|r| r.correct).count();
        share(
            rows.iter()
                .filter(|r| r.correct && r.get(k, &combo) >= t)
                .count(),
            ok,
        )
    };
    let recall = |rows: &[Row], k: OosScore, t: f32| {
        share(
            rows.iter().filter(|r| r.get(k, &combo) < t).count(),
            rows.len(),
        )
    };
    let correct_scores = |rows: &[Row], k: OosScore| -> Vec<f32> {
        rows.iter()
            .filter(|r| r.correct)
            .map(|r| r.get(k, &combo))
            .collect()
    };
    let detectors: Vec<DetectorResult> = OosScore::ALL
        .into_iter()
        .map(|k| {
            let t = threshold_at_retained(&correct_scores(&dev_rows, k), cfg.retain);
            let t_test = threshold_at_retained(&correct_scores(&test_rows, k), cfg.retain);
            let all_in: Vec<f32> = test_rows.iter().map(|r| r.get(k, &combo)).collect();
            let all_oos: Vec<f32> = test_oos_rows.iter().map(|r| r.get(k, &combo)).collect();
            DetectorResult {
                score: k,
                threshold: t,
                dev_recall: recall(&dev_oos_rows, k, t),
                dev_retained: retained(&dev_rows, k, t),
                test_recall: recall(&test_oos_rows, k, t),
                test_retained: retained(&test_rows, k, t),
                test_in_scope_accuracy: share(
                    test_rows
                        .iter()
                        .filter(|r| r.correct && r.get(k, &combo) >= t)
                        .count(),
                    test_rows.len(),
                ),
                test_auroc: auroc(&all_in, &all_oos),
                test_recall_at_test_threshold: recall(&test_oos_rows, k, t_test),
            }
        })
        .collect();
    let best = detectors
        .iter()
        .max_by(|a, b| a.dev_recall.total_cmp(&b.dev_recall))
        .map_or(OosScore::Confidence, |d| d.score);
    let acc = |rows: &[Row]| share(rows.iter().filter(|r| r.correct).count(), rows.len());
    Ok(HeldoutReport {
        config: cfg.clone(),
        held_out_labels: held,
        in_scope_labels: in_scope.len(),
        train_examples: fit.len(),
        dev_in_scope: dev_rows.len(),
        dev_oos: dev_oos_rows.len(),
        test_in_scope: test_rows.len(),
        test_oos: test_oos_rows.len(),
        dev_accuracy: acc(&dev_rows),
        test_accuracy: acc(&test_rows),
        detectors,
        best,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_keeps_the_asked_share() {
        let s: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let t = threshold_at_retained(&s, 0.95);
        assert_eq!(s.iter().filter(|&&x| x >= t).count(), 95);
        assert_eq!(threshold_at_retained(&s, 1.0), 0.0);
        assert_eq!(threshold_at_retained(&[], 0.95), f32::NEG_INFINITY);
    }

    #[test]
    fn auroc_orders() {
        assert_eq!(auroc(&[2.0, 3.0], &[0.0, 1.0]), 1.0);
        assert_eq!(auroc(&[0.0, 1.0], &[2.0, 3.0]), 0.0);
        assert_eq!(auroc(&[1.0], &[1.0]), 0.5);
    }
}
