//! The classifier: a fastText-style hashed embedding bag → linear softmax.
//!
//! `h = mean(E[f] for f in features of the text)`, `logits = O·h + b`, `p = softmax(logits / T)`.
//! Only buckets seen in training get a row of `E` (an unseen bucket carries no information), which keeps
//! files small. `E` is stored as f32 or, after [`Model::quantize`], as int8 with one symmetric scale per
//! row; the int8 model predicts straight from the int8 rows (gather + per-row scale), it is never expanded
//! back to f32.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use tuoke_core::{FeatureWeight, LabelScore};

use crate::NluError;
use crate::features::{FeatureConfig, Features, Featurizer};

/// Embedding rows, f32 or int8 with a scale per row (`value ≈ q as f32 * scale`).
#[derive(Debug, Clone, PartialEq)]
pub enum Embedding {
    F32(Vec<f32>),
    I8 { q: Vec<i8>, scales: Vec<f32> },
}

/// Out-of-scope handling by threshold: predictions whose calibrated confidence is below `threshold`
/// are reported as `fallback_label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OosThreshold {
    pub fallback_label: String,
    pub threshold: f32,
}

/// How the embedding rows of a text are combined: `h = scale(n) * Σ E[f]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// `1/n` (fastText).
    #[default]
    Mean,
    /// `1/sqrt(n)`: longer texts keep more signal (like an L2-normalized bag of words).
    Sqrt,
}

impl Pooling {
    pub fn scale(self, n: usize) -> f32 {
        if n == 0 {
            return 0.0;
        }
        match self {
            Pooling::Mean => 1.0 / n as f32,
            Pooling::Sqrt => 1.0 / (n as f32).sqrt(),
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
    /// True when `label` is the fallback because `confidence` was below the threshold.
    pub below_threshold: bool,
}

/// A trained classifier. `Send + Sync`; share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) labels: Vec<String>,
    pub(crate) featurizer: Featurizer,
    pub(crate) dim: usize,
    /// Bucket id of each row, ascending.
    pub(crate) row_buckets: Vec<u32>,
    pub(crate) rows: FxHashMap<u32, u32>,
    pub(crate) emb: Embedding,
    /// `labels.len() × dim`, row-major by label.
    pub(crate) out: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    pub(crate) temperature: f32,
    pub(crate) oos: Option<OosThreshold>,
    pub(crate) info: TrainInfo,
    pub(crate) pooling: Pooling,
}

impl Model {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        labels: Vec<String>,
        config: &FeatureConfig,
        dim: usize,
        row_buckets: Vec<u32>,
        emb: Embedding,
        out: Vec<f32>,
        bias: Vec<f32>,
        temperature: f32,
        oos: Option<OosThreshold>,
        info: TrainInfo,
        pooling: Pooling,
    ) -> Result<Model, NluError> {
        let n = row_buckets.len();
        let l = labels.len();
        let emb_ok = match &emb {
            Embedding::F32(v) => v.len() == n * dim,
            Embedding::I8 { q, scales } => q.len() == n * dim && scales.len() == n,
        };
        if l == 0 || dim == 0 || !emb_ok || out.len() != l * dim || bias.len() != l {
            return Err(NluError::Format("inconsistent model dimensions".into()));
        }
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(NluError::Format(format!("bad temperature {temperature}")));
        }
        let mut rows = FxHashMap::default();
        rows.reserve(n);
        for (i, &b) in row_buckets.iter().enumerate() {
            rows.insert(b, i as u32);
        }
        Ok(Model {
            labels,
            featurizer: Featurizer::new(config)?,
            dim,
            row_buckets,
            rows,
            emb,
            out,
            bias,
            temperature,
            oos,
            info,
            pooling,
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

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of embedding rows (distinct feature buckets kept from training).
    pub fn num_rows(&self) -> usize {
        self.row_buckets.len()
    }

    pub fn is_quantized(&self) -> bool {
        matches!(self.emb, Embedding::I8 { .. })
    }

    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    pub fn oos_threshold(&self) -> Option<&OosThreshold> {
        self.oos.as_ref()
    }

    /// Set, change or remove the confidence threshold and its fallback label.
    pub fn set_oos_threshold(&mut self, oos: Option<OosThreshold>) {
        self.oos = oos;
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
        let (h, _) = self.hidden(features);
        self.softmax_from_hidden(&h)
    }

    pub(crate) fn hidden(&self, features: &Features) -> (Vec<f32>, usize) {
        let d = self.dim;
        let mut h = vec![0f32; d];
        let mut n = 0usize;
        match &self.emb {
            Embedding::F32(e) => {
                for b in &features.buckets {
                    if let Some(&r) = self.rows.get(b) {
                        let r = r as usize * d;
                        if let Some(row) = e.get(r..r + d) {
                            for (x, w) in h.iter_mut().zip(row) {
                                *x += *w;
                            }
                            n += 1;
                        }
                    }
                }
            }
            Embedding::I8 { q, scales } => {
                for b in &features.buckets {
                    if let Some(&r) = self.rows.get(b) {
                        let s = scales.get(r as usize).copied().unwrap_or(0.0);
                        let r = r as usize * d;
                        if let Some(row) = q.get(r..r + d) {
                            for (x, w) in h.iter_mut().zip(row) {
                                *x += s * f32::from(*w);
                            }
                            n += 1;
                        }
                    }
                }
            }
        }
        if n > 0 {
            let inv = self.pooling.scale(n);
            for x in &mut h {
                *x *= inv;
            }
        }
        (h, n)
    }

    pub(crate) fn logits_from_hidden(&self, h: &[f32]) -> Vec<f32> {
        let d = self.dim;
        self.out
            .chunks_exact(d)
            .zip(&self.bias)
            .map(|(row, b)| b + row.iter().zip(h).map(|(a, x)| a * x).sum::<f32>())
            .collect()
    }

    fn softmax_from_hidden(&self, h: &[f32]) -> Vec<f32> {
        let mut z = self.logits_from_hidden(h);
        softmax_in_place(&mut z, self.temperature);
        z
    }

    /// Predict from precomputed features (see [`Featurizer::featurize`]).
    pub fn predict_features(&self, features: &Features, opts: &PredictOptions) -> Prediction {
        let (h, n) = self.hidden(features);
        let p = self.softmax_from_hidden(&h);
        let mut best = 0usize;
        for (i, &v) in p.iter().enumerate() {
            if v > p.get(best).copied().unwrap_or(f32::MIN) {
                best = i;
            }
        }
        let confidence = p.get(best).copied().unwrap_or(0.0);
        let model_label = self.labels.get(best).cloned().unwrap_or_default();
        let (label, below_threshold) = match &self.oos {
            Some(o) if confidence < o.threshold => (o.fallback_label.clone(), true),
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
        let explanation = if opts.explain > 0 && n > 0 {
            self.explain(&features.normalized, best, n, opts.explain)
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

    /// Exact decomposition of the logit margin: feature f adds `E[f]·(O[c] − mean_l O[l]) · scale(n)` to
    /// label c's logit relative to the average label.
    fn explain(&self, normalized: &str, class: usize, n: usize, k: usize) -> Vec<FeatureWeight> {
        let d = self.dim;
        let l = self.labels.len();
        let mut dir = vec![0f32; d];
        for row in self.out.chunks_exact(d) {
            for (x, w) in dir.iter_mut().zip(row) {
                *x -= w / l as f32;
            }
        }
        if let Some(row) = self.out.get(class * d..(class + 1) * d) {
            for (x, w) in dir.iter_mut().zip(row) {
                *x += w;
            }
        }
        let mut scored: Vec<FeatureWeight> = Vec::new();
        for nf in self.featurizer.named_features(normalized) {
            let Some(&r) = self.rows.get(&nf.bucket) else {
                continue;
            };
            let r = r as usize;
            let dot: f32 = match &self.emb {
                Embedding::F32(e) => e
                    .get(r * d..(r + 1) * d)
                    .map(|row| row.iter().zip(&dir).map(|(a, b)| a * b).sum())
                    .unwrap_or(0.0),
                Embedding::I8 { q, scales } => {
                    let s = scales.get(r).copied().unwrap_or(0.0);
                    q.get(r * d..(r + 1) * d)
                        .map(|row| {
                            row.iter()
                                .zip(&dir)
                                .map(|(a, b)| f32::from(*a) * b)
                                .sum::<f32>()
                                * s
                        })
                        .unwrap_or(0.0)
                }
            };
            scored.push(FeatureWeight {
                feature: nf.name,
                weight: dot * self.pooling.scale(n) / self.temperature,
            });
        }
        scored.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.feature.cmp(&b.feature))
        });
        scored.retain(|f| f.weight > 0.0);
        scored.truncate(k);
        scored
    }

    /// An int8 copy: every embedding row is scaled by `max|x| / 127` and rounded. The small output
    /// layer stays f32. Quantizing a quantized model returns it unchanged.
    pub fn quantize(&self) -> Model {
        let Embedding::F32(e) = &self.emb else {
            return self.clone();
        };
        let d = self.dim;
        let mut q = Vec::with_capacity(e.len());
        let mut scales = Vec::with_capacity(self.row_buckets.len());
        for row in e.chunks_exact(d) {
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            scales.push(scale);
            q.extend(
                row.iter()
                    .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
            );
        }
        let mut m = self.clone();
        m.emb = Embedding::I8 { q, scales };
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
