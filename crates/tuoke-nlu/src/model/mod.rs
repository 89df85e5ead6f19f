//! The classifier: up to two components over the same hashed features, whose logits are summed.
//!
//! * **bag** (`bag.rs`) — a fastText-style hashed embedding bag: `h = pool(E[f] for f in features)`,
//!   `z = O·h + b`.
//! * **linear** (`linear.rs`) — a full-rank linear model over TF-IDF binary features,
//!   `z = Σ_f x_f·W[f] + b` (one weight per feature × label; trained as one-vs-rest L2-loss linear
//!   SVMs, see `train/svm.rs`). Either sparse rows (one per kept bucket, ids stored) with
//!   `x_f = idf_f / ‖idf‖₂` and an idf table, or a hashed table ([`LinearRows::Hashed`], no ids) with
//!   `x_f = 1/sqrt(n)` and the idf folded into `W` (see [`crate::LinearNorm`]). How a bucket finds
//!   its row is in `rows.rs`.
//!
//! `logits = a_bag·z_bag + a_lin·z_lin` (the `a` are fitted on dev: each component's own inverse
//! temperature), `p = softmax(logits / T)`. Only buckets (or hashed slots) seen in training get a row
//! (an unseen bucket carries no information), which keeps files small. Weights are f32 or, after
//! [`Model::quantize`], int8: bag rows with one symmetric scale per row, the linear matrix with one
//! symmetric scale per label (a row of `W` as labels × features). The int8 model predicts straight from
//! the int8 weights (gather + scale), it is never expanded back to f32.
//!
//! This file holds [`Model`] (prediction, explanation, quantization) and the public types around it;
//! reading and writing model files is in `format/`, training in `train/`.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use tuoke_core::{FeatureWeight, LabelScore};

use crate::error::NluError;
use crate::features::{FeatureConfig, Features, Featurizer};
use crate::oos::{LogitScores, OosScore};

mod bag;
mod linear;
mod rows;

pub(crate) use bag::{Bag, quantize_rows};
pub use bag::{Embedding, Pooling};
pub(crate) use linear::{IDF_STEPS, Linear, LinearWeights, pow2, quantize_per_label};
pub(crate) use rows::{HashedRows, LINEAR_HASH_BITS, LinearRows, hashed_row, row_map};

/// Out-of-scope handling by threshold: predictions whose out-of-scope `score` is below `threshold`
/// are reported as `fallback_label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OosThreshold {
    pub fallback_label: String,
    pub threshold: f32,
    /// The score compared with `threshold`: one computed from the logits (see [`LogitScores`]).
    /// Files without the field (every file before it existed) use the calibrated confidence, and
    /// a confidence threshold is written without it, so such files stay byte for byte the same.
    #[serde(default, skip_serializing_if = "OosScore::is_confidence")]
    pub score: OosScore,
}

impl OosThreshold {
    /// A threshold on the calibrated confidence (the rule of every model before scores existed).
    pub fn confidence(fallback_label: impl Into<String>, threshold: f32) -> OosThreshold {
        OosThreshold {
            fallback_label: fallback_label.into(),
            threshold,
            score: OosScore::Confidence,
        }
    }

    /// Checks that a model can compute the score.
    pub(crate) fn check(&self) -> Result<(), NluError> {
        if !self.score.from_logits() {
            return Err(NluError::Format(format!(
                "out-of-scope score {} is not computed from the logits and cannot be stored in a model",
                self.score
            )));
        }
        if self.threshold.is_nan() {
            return Err(NluError::Format("out-of-scope threshold is NaN".into()));
        }
        Ok(())
    }
}

/// Which components a model has (and which [`crate::train`] fits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Hashed embedding bag → softmax (fastText-style; small, low-rank).
    #[default]
    Bag,
    /// Full-rank linear model over TF-IDF features (one-vs-rest L2-loss SVMs, dual coordinate descent).
    Linear,
    /// Both, logits summed with dev-fitted weights.
    Ensemble,
}

impl std::str::FromStr for ModelKind {
    type Err = NluError;
    fn from_str(s: &str) -> Result<Self, NluError> {
        match s {
            "bag" => Ok(ModelKind::Bag),
            "linear" => Ok(ModelKind::Linear),
            "ensemble" => Ok(ModelKind::Ensemble),
            _ => Err(NluError::InvalidConfig(format!(
                "model kind must be bag, linear or ensemble, got {s:?}"
            ))),
        }
    }
}

/// Facts about how a model was trained (stored in the file, shown by the CLI).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainInfo {
    pub seed: u64,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub train_examples: usize,
    pub dev_examples: usize,
    /// Dev accuracy of the kept epoch (before thresholding), when a dev set was given.
    pub dev_accuracy: Option<f32>,
}

/// What [`Model::predict_features`] should compute besides the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredictOptions {
    /// How many labels to list in `top_k` (0 = none).
    pub top_k: usize,
    /// How many features to list in `explanation` (0 = skip the explanation, which is the costly part).
    pub explain: usize,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions {
            top_k: 5,
            explain: 5,
        }
    }
}

/// One prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The decided label (the fallback label when the threshold rejected the model's choice).
    pub label: String,
    /// Calibrated probability of the model's top label.
    pub confidence: f32,
    /// Labels by probability, highest first (the model's own labels, never the fallback).
    pub top_k: Vec<LabelScore>,
    /// Features that pushed the decision most towards the model's top label, with their logit share.
    pub explanation: Vec<FeatureWeight>,
    /// True when `label` is the fallback because the out-of-scope score was below the threshold.
    pub below_threshold: bool,
}

/// A trained classifier. `Send + Sync`; share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) labels: Vec<String>,
    pub(crate) featurizer: Featurizer,
    pub(crate) bag: Option<Bag>,
    pub(crate) linear: Option<Linear>,
    pub(crate) temperature: f32,
    pub(crate) oos: Option<OosThreshold>,
    pub(crate) info: TrainInfo,
}

impl Model {
    pub(crate) fn from_components(
        labels: Vec<String>,
        config: &FeatureConfig,
        bag: Option<Bag>,
        linear: Option<Linear>,
        temperature: f32,
        oos: Option<OosThreshold>,
        info: TrainInfo,
    ) -> Result<Model, NluError> {
        if labels.is_empty() || (bag.is_none() && linear.is_none()) {
            return Err(NluError::Format(
                "model has no labels or no component".into(),
            ));
        }
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(NluError::Format(format!("bad temperature {temperature}")));
        }
        if let Some(o) = &oos {
            o.check()?;
        }
        Ok(Model {
            labels,
            featurizer: Featurizer::new(config)?,
            bag,
            linear,
            temperature,
            oos,
            info,
        })
    }

    /// The labels, in the model's internal order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn feature_config(&self) -> &FeatureConfig {
        self.featurizer.config()
    }

    /// The model's own featurizer (also usable to compute features once for several models with the
    /// same [`FeatureConfig`]).
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// Which components the model has.
    pub fn kind(&self) -> ModelKind {
        match (&self.bag, &self.linear) {
            (Some(_), Some(_)) => ModelKind::Ensemble,
            (None, Some(_)) => ModelKind::Linear,
            _ => ModelKind::Bag,
        }
    }

    /// Embedding width of the bag component (0 for a linear-only model).
    pub fn dim(&self) -> usize {
        self.bag.as_ref().map_or(0, |b| b.dim)
    }

    /// Number of weight rows (distinct feature buckets kept from training), over all components.
    pub fn num_rows(&self) -> usize {
        self.bag.as_ref().map_or(0, |b| b.row_buckets.len())
            + self.linear.as_ref().map_or(0, Linear::num_rows)
    }

    pub fn is_quantized(&self) -> bool {
        let bag_q = self
            .bag
            .as_ref()
            .is_none_or(|b| matches!(b.emb, Embedding::I8 { .. }));
        let lin_q = self
            .linear
            .as_ref()
            .is_none_or(|l| !matches!(l.w, LinearWeights::F32(_)));
        bag_q && lin_q
    }

    /// Pooling of the bag component (the default for a linear-only model).
    pub fn pooling(&self) -> Pooling {
        self.bag.as_ref().map_or(Pooling::default(), |b| b.pooling)
    }

    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    pub fn oos_threshold(&self) -> Option<&OosThreshold> {
        self.oos.as_ref()
    }

    /// Set, change or remove the out-of-scope threshold and its fallback label. A score the model
    /// cannot compute (not from the logits) is an error and leaves the model unchanged.
    pub fn set_oos_threshold(&mut self, oos: Option<OosThreshold>) -> Result<(), NluError> {
        if let Some(o) = &oos {
            o.check()
                .map_err(|e| NluError::InvalidConfig(e.to_string()))?;
        }
        self.oos = oos;
        Ok(())
    }

    pub fn train_info(&self) -> &TrainInfo {
        &self.info
    }

    /// Predict with the default options (top 5 labels, top 5 explanation features).
    pub fn predict(&self, text: &str) -> Prediction {
        let f = self.featurizer.featurize(text);
        self.predict_features(&f, &PredictOptions::default())
    }

    /// Calibrated probabilities over [`Model::labels`] for precomputed features.
    ///
    /// The features must come from a featurizer with this model's [`FeatureConfig`]; features from
    /// another config are not an error but give meaningless results.
    pub fn probabilities(&self, features: &Features) -> Vec<f32> {
        let (mut z, _) = self.logits(features);
        softmax_in_place(&mut z, self.temperature);
        z
    }

    /// Uncalibrated summed logits and (bag known features, linear known features).
    pub(crate) fn logits(&self, features: &Features) -> (Vec<f32>, (usize, usize)) {
        let mut z = vec![0f32; self.labels.len()];
        let nb = self
            .bag
            .as_ref()
            .map_or(0, |b| b.add_logits(features, &mut z));
        let nlin = self
            .linear
            .as_ref()
            .map_or(0, |l| l.add_logits(features, &mut z));
        (z, (nb, nlin))
    }

    /// Predict from precomputed features (see [`Featurizer::featurize`]).
    pub fn predict_features(&self, features: &Features, opts: &PredictOptions) -> Prediction {
        let (mut p, (nb, nlin)) = self.logits(features);
        let oos_score = match &self.oos {
            Some(o) if o.score != OosScore::Confidence => {
                LogitScores::from_logits(&p, self.temperature).get(o.score)
            }
            _ => None,
        };
        softmax_in_place(&mut p, self.temperature);
        let mut best = 0usize;
        for (i, &v) in p.iter().enumerate() {
            if v > p.get(best).copied().unwrap_or(f32::MIN) {
                best = i;
            }
        }
        let confidence = p.get(best).copied().unwrap_or(0.0);
        let model_label = self.labels.get(best).cloned().unwrap_or_default();
        let (label, below_threshold) = match &self.oos {
            Some(o) if oos_score.unwrap_or(confidence) < o.threshold => {
                (o.fallback_label.clone(), true)
            }
            _ => (model_label, false),
        };
        let top_k = if opts.top_k > 0 {
            let mut idx: Vec<usize> = (0..p.len()).collect();
            idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
            idx.into_iter()
                .take(opts.top_k)
                .map(|i| LabelScore {
                    label: self.labels[i].clone(),
                    score: p[i],
                })
                .collect()
        } else {
            Vec::new()
        };
        let explanation = if opts.explain > 0 && nb + nlin > 0 {
            self.explain(features, best, nb, opts.explain)
        } else {
            Vec::new()
        };
        Prediction {
            label,
            confidence,
            top_k,
            explanation,
            below_threshold,
        }
    }

    /// Exact decomposition of the logit margin: each feature's share of label `class`'s logit relative
    /// to the average label, summed over the components, divided by the temperature.
    fn explain(
        &self,
        features: &Features,
        class: usize,
        nb: usize,
        k: usize,
    ) -> Vec<FeatureWeight> {
        let nl = self.labels.len();
        let named = self.featurizer.named_features(&features.normalized);
        let mut acc: FxHashMap<u32, f32> = FxHashMap::default();
        if let Some(b) = &self.bag
            && nb > 0
        {
            b.explain_into(&named, class, nl, nb, &mut acc);
        }
        if let Some(l) = &self.linear {
            l.explain_into(features, &named, class, nl, &mut acc);
        }
        let mut scored: Vec<FeatureWeight> = named
            .into_iter()
            .filter_map(|nf| {
                acc.get(&nf.bucket).map(|w| FeatureWeight {
                    feature: nf.name,
                    weight: w / self.temperature,
                })
            })
            .collect();
        scored.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.feature.cmp(&b.feature))
        });
        scored.retain(|f| f.weight > 0.0);
        scored.truncate(k);
        scored
    }

    /// An int8 copy: every bag embedding row is scaled by `max|x| / 127` (one f32 scale per row), the
    /// linear weight matrix per label (one f32 scale per label, see `quantize_per_label`), and
    /// rounded. The small bag output layer, the biases and an 8-bit idf table (if the linear model
    /// has one) stay as they are. Quantizing a quantized model returns it unchanged.
    pub fn quantize(&self) -> Model {
        let mut m = self.clone();
        if let Some(b) = &mut m.bag
            && let Embedding::F32(e) = &b.emb
        {
            b.emb = quantize_rows(e, b.dim);
        }
        let nl = self.labels.len();
        if let Some(l) = &mut m.linear
            && let LinearWeights::F32(w) = &l.w
        {
            l.w = quantize_per_label(w, nl);
        }
        m
    }
}

pub(crate) fn softmax_in_place(z: &mut [f32], temperature: f32) {
    let t = if temperature > 0.0 { temperature } else { 1.0 };
    let max = z.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x / t));
    let mut sum = 0f32;
    for x in z.iter_mut() {
        *x = (*x / t - max).exp();
        sum += *x;
    }
    if sum > 0.0 {
        for x in z.iter_mut() {
            *x /= sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_kind_parses() {
        assert_eq!("linear".parse::<ModelKind>().unwrap(), ModelKind::Linear);
        assert_eq!(
            "ensemble".parse::<ModelKind>().unwrap(),
            ModelKind::Ensemble
        );
        assert_eq!("bag".parse::<ModelKind>().unwrap(), ModelKind::Bag);
        assert!("svm".parse::<ModelKind>().is_err());
    }
}
