//! The classifier: up to two components over the same hashed features, whose logits are summed.
//!
//! * **bag** — a fastText-style hashed embedding bag: `h = pool(E[f] for f in features)`, `z = O·h + b`.
//! * **linear** — a full-rank linear model over TF-IDF binary features, `z = Σ_f x_f·W[f] + b` (one
//!   weight per feature × label; trained as one-vs-rest L2-loss linear SVMs, see `linear.rs`). Either
//!   sparse rows (one per kept bucket, ids stored) with `x_f = idf_f / ‖idf‖₂` and an idf table, or
//!   a hashed table ([`LinearRows::Hashed`], no ids) with `x_f = 1/sqrt(n)` and the idf folded into
//!   `W` (see [`crate::LinearNorm`]).
//!
//! `logits = a_bag·z_bag + a_lin·z_lin` (the `a` are fitted on dev: each component's own inverse
//! temperature), `p = softmax(logits / T)`. Only buckets (or hashed slots) seen in training get a row
//! (an unseen bucket carries no information), which keeps files small. Weights are f32 or, after
//! [`Model::quantize`], int8: bag rows with one symmetric scale per row, the linear matrix with one
//! symmetric scale per label (a row of `W` as labels × features). The int8 model predicts straight from
//! the int8 weights (gather + scale), it is never expanded back to f32.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use tuoke_core::{FeatureWeight, LabelScore};

use crate::NluError;
use crate::features::{FeatureConfig, Features, Featurizer, NamedFeature};

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

/// The embedding-bag component.
#[derive(Debug, Clone)]
pub(crate) struct Bag {
    pub(crate) dim: usize,
    /// Bucket id of each row, ascending.
    pub(crate) row_buckets: Vec<u32>,
    pub(crate) rows: FxHashMap<u32, u32>,
    pub(crate) emb: Embedding,
    /// `labels × dim`, row-major by label.
    pub(crate) out: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    pub(crate) pooling: Pooling,
    /// Factor on this component's logits.
    pub(crate) weight: f32,
}

/// How the linear component finds the weight row of a feature bucket.
#[derive(Debug, Clone)]
pub(crate) enum LinearRows {
    /// One row per bucket kept from training; the ascending bucket ids are stored in the file
    /// (LEB128 gaps, about a byte per row).
    Sparse {
        row_buckets: Vec<u32>,
        rows: FxHashMap<u32, u32>,
    },
    /// The hashing trick: a bucket's slot is a multiplicative hash into `2^bits` slots (colliding
    /// features share a slot); only slots seen in training have a row, marked in an occupancy bitmap
    /// of `2^bits` bits (the file stores the bitmap, no ids). Row of a slot = its rank in the bitmap.
    Hashed(HashedRows),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HashedRows {
    pub(crate) bits: u8,
    /// `2^bits / 64` words, bit `s % 64` of word `s / 64` set when slot `s` has a row.
    pub(crate) occupied: Vec<u64>,
    /// Number of set bits before each word.
    rank: Vec<u32>,
    len: usize,
}

impl HashedRows {
    /// From the occupancy words; `None` when their number does not match `bits`.
    pub(crate) fn new(bits: u8, occupied: Vec<u64>) -> Option<HashedRows> {
        if !LINEAR_HASH_BITS.contains(&bits) || occupied.len() != (1usize << bits) / 64 {
            return None;
        }
        let mut rank = Vec::with_capacity(occupied.len());
        let mut len = 0usize;
        for w in &occupied {
            rank.push(len as u32);
            len += w.count_ones() as usize;
        }
        Some(HashedRows {
            bits,
            occupied,
            rank,
            len,
        })
    }

    /// From the ascending occupied slots.
    pub(crate) fn from_slots(bits: u8, slots: &[u32]) -> Option<HashedRows> {
        let words = (1usize << bits.min(31)) / 64;
        let mut occupied = vec![0u64; words];
        for &s in slots {
            *occupied.get_mut(s as usize / 64)? |= 1u64 << (s % 64);
        }
        HashedRows::new(bits, occupied)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn row(&self, bucket: u32) -> Option<u32> {
        let s = hashed_row(bucket, self.bits);
        let (i, bit) = (s as usize / 64, s % 64);
        let w = *self.occupied.get(i)?;
        if w >> bit & 1 == 0 {
            return None;
        }
        let below = (w & ((1u64 << bit) - 1)).count_ones();
        Some(self.rank.get(i)? + below)
    }
}

/// Smallest and largest `bits` of [`LinearRows::Hashed`].
pub(crate) const LINEAR_HASH_BITS: std::ops::RangeInclusive<u8> = 8..=24;

/// Slot of `bucket` in a `2^bits`-slot hashed table (Fibonacci hashing: the top bits of
/// `bucket · 2^32/φ`, which spreads the buckets' low and high bits over the table).
#[inline]
pub(crate) fn hashed_row(bucket: u32, bits: u8) -> u32 {
    bucket.wrapping_mul(0x9E37_79B1) >> (32 - u32::from(bits.clamp(1, 31)))
}

impl LinearRows {
    pub(crate) fn len(&self) -> usize {
        match self {
            LinearRows::Sparse { row_buckets, .. } => row_buckets.len(),
            LinearRows::Hashed(h) => h.len,
        }
    }

    #[inline]
    pub(crate) fn row(&self, bucket: u32) -> Option<u32> {
        match self {
            LinearRows::Sparse { rows, .. } => rows.get(&bucket).copied(),
            LinearRows::Hashed(h) => h.row(bucket),
        }
    }
}

/// Weights of the linear component, `rows × labels` in memory and in the file (one feature's weights
/// over the labels are contiguous, so a prediction gathers one short run per feature).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LinearWeights {
    F32(Vec<f32>),
    /// int8 with one scale per row of the weight matrix `W` (labels × features), i.e. per label
    /// (`w[f][l] ≈ q[f][l] · scales[l]`): format version 3, written by [`Model::quantize`].
    I8PerLabel {
        q: Vec<i8>,
        scales: Vec<f32>,
    },
    /// int8 with a power-of-two scale per feature (`scales.len() == rows`): format version 2 files.
    I8PerFeature {
        q: Vec<i8>,
        scales: Vec<f32>,
    },
}

/// The full-rank linear component.
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    pub(crate) rows: LinearRows,
    /// Inverse document frequency of each row in 1/16 steps (`idf = q / 16`); features are
    /// `x_f = idf_f / ‖idf‖₂`. `None`: the idf (and a corpus constant) is folded into the weights and
    /// features are `x_f = 1/sqrt(n)` over the `n` known features of the text.
    pub(crate) idf: Option<Vec<u8>>,
    pub(crate) w: LinearWeights,
    pub(crate) bias: Vec<f32>,
    /// Factor on this component's logits.
    pub(crate) weight: f32,
}

pub(crate) fn row_map(row_buckets: &[u32]) -> FxHashMap<u32, u32> {
    let mut rows = FxHashMap::default();
    rows.reserve(row_buckets.len());
    for (i, &b) in row_buckets.iter().enumerate() {
        rows.insert(b, i as u32);
    }
    rows
}

impl Bag {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        nl: usize,
        dim: usize,
        row_buckets: Vec<u32>,
        emb: Embedding,
        out: Vec<f32>,
        bias: Vec<f32>,
        pooling: Pooling,
        weight: f32,
    ) -> Result<Bag, NluError> {
        let n = row_buckets.len();
        let emb_ok = match &emb {
            Embedding::F32(v) => Some(v.len()) == n.checked_mul(dim),
            Embedding::I8 { q, scales } => Some(q.len()) == n.checked_mul(dim) && scales.len() == n,
        };
        if dim == 0 || !emb_ok || Some(out.len()) != nl.checked_mul(dim) || bias.len() != nl {
            return Err(NluError::Format("inconsistent model dimensions".into()));
        }
        if !weight.is_finite() {
            return Err(NluError::Format(format!("bad component weight {weight}")));
        }
        Ok(Bag {
            dim,
            rows: row_map(&row_buckets),
            row_buckets,
            emb,
            out,
            bias,
            pooling,
            weight,
        })
    }

    /// Pooled hidden vector and the number of known features.
    fn hidden(&self, features: &Features) -> (Vec<f32>, usize) {
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

    /// Adds `weight · (O·h + b)` to `z`; returns the number of known features.
    pub(crate) fn add_logits(&self, features: &Features, z: &mut [f32]) -> usize {
        let (h, n) = self.hidden(features);
        for ((zi, row), b) in z
            .iter_mut()
            .zip(self.out.chunks_exact(self.dim))
            .zip(&self.bias)
        {
            *zi += self.weight * (b + row.iter().zip(&h).map(|(a, x)| a * x).sum::<f32>());
        }
        n
    }

    /// Logit-margin share of each named feature for `class` (relative to the mean label).
    fn explain_into(
        &self,
        named: &[NamedFeature],
        class: usize,
        nl: usize,
        n: usize,
        acc: &mut FxHashMap<u32, f32>,
    ) {
        let d = self.dim;
        let mut dir = vec![0f32; d];
        for row in self.out.chunks_exact(d) {
            for (x, w) in dir.iter_mut().zip(row) {
                *x -= w / nl as f32;
            }
        }
        if let Some(row) = self.out.get(class * d..(class + 1) * d) {
            for (x, w) in dir.iter_mut().zip(row) {
                *x += w;
            }
        }
        let k = self.pooling.scale(n) * self.weight;
        for nf in named {
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
            *acc.entry(nf.bucket).or_insert(0.0) += dot * k;
        }
    }
}

impl Linear {
    pub(crate) fn new(
        nl: usize,
        rows: LinearRows,
        idf: Option<Vec<u8>>,
        w: LinearWeights,
        bias: Vec<f32>,
        weight: f32,
    ) -> Result<Linear, NluError> {
        let n = rows.len();
        let cells = n.checked_mul(nl);
        let w_ok = match &w {
            LinearWeights::F32(v) => Some(v.len()) == cells,
            LinearWeights::I8PerLabel { q, scales } => Some(q.len()) == cells && scales.len() == nl,
            LinearWeights::I8PerFeature { q, scales } => {
                Some(q.len()) == cells && scales.len() == n
            }
        };
        if !w_ok || idf.as_ref().is_some_and(|i| i.len() != n) || bias.len() != nl {
            return Err(NluError::Format(
                "inconsistent linear model dimensions".into(),
            ));
        }
        if !weight.is_finite() {
            return Err(NluError::Format(format!("bad component weight {weight}")));
        }
        Ok(Linear {
            rows,
            idf,
            w,
            bias,
            weight,
        })
    }

    pub(crate) fn num_rows(&self) -> usize {
        self.rows.len()
    }

    /// The feature value factor of row `r` before normalization: its idf, or 1 when folded.
    #[inline]
    fn idf_of(&self, r: u32) -> f32 {
        match &self.idf {
            Some(idf) => f32::from(idf.get(r as usize).copied().unwrap_or(0)) / IDF_STEPS,
            None => 1.0,
        }
    }

    /// Known rows of the features and the normalizer (`‖idf‖₂`, or `sqrt(n)` with folded idf).
    fn rows_and_norm(&self, features: &Features) -> (Vec<u32>, f32) {
        let mut rows = Vec::with_capacity(features.buckets.len());
        let mut ss = 0f32;
        for &b in &features.buckets {
            if let Some(r) = self.rows.row(b) {
                if self.idf.is_some() {
                    let v = self.idf_of(r);
                    ss += v * v;
                }
                rows.push(r);
            }
        }
        let norm = if self.idf.is_some() {
            ss.sqrt()
        } else {
            (rows.len() as f32).sqrt()
        };
        (rows, norm)
    }

    /// Adds `weight · (Σ x_f W[f] + b)` to `z`; returns the number of known features.
    pub(crate) fn add_logits(&self, features: &Features, z: &mut [f32]) -> usize {
        let nl = z.len();
        let (rows, norm) = self.rows_and_norm(features);
        let mut acc = vec![0f32; nl];
        if norm > 0.0 {
            match &self.w {
                LinearWeights::F32(w) => {
                    for &r in &rows {
                        let x = self.idf_of(r);
                        let r = r as usize * nl;
                        if let Some(row) = w.get(r..r + nl) {
                            for (a, v) in acc.iter_mut().zip(row) {
                                *a += x * v;
                            }
                        }
                    }
                }
                LinearWeights::I8PerFeature { q, scales } => {
                    for &r in &rows {
                        let x = self.idf_of(r) * scales.get(r as usize).copied().unwrap_or(0.0);
                        let r = r as usize * nl;
                        if let Some(row) = q.get(r..r + nl) {
                            for (a, v) in acc.iter_mut().zip(row) {
                                *a += x * f32::from(*v);
                            }
                        }
                    }
                }
                LinearWeights::I8PerLabel { q, scales } if self.idf.is_none() => {
                    // Folded idf: the features are all 1/sqrt(n), so the sum runs in integers.
                    let mut acc_i = vec![0i32; nl];
                    for &r in &rows {
                        let r = r as usize * nl;
                        if let Some(row) = q.get(r..r + nl) {
                            for (a, v) in acc_i.iter_mut().zip(row) {
                                *a += i32::from(*v);
                            }
                        }
                    }
                    for ((a, s), ai) in acc.iter_mut().zip(scales).zip(&acc_i) {
                        *a = *ai as f32 * s;
                    }
                }
                LinearWeights::I8PerLabel { q, scales } => {
                    for &r in &rows {
                        let x = self.idf_of(r);
                        let r = r as usize * nl;
                        if let Some(row) = q.get(r..r + nl) {
                            for (a, v) in acc.iter_mut().zip(row) {
                                *a += x * f32::from(*v);
                            }
                        }
                    }
                    for (a, s) in acc.iter_mut().zip(scales) {
                        *a *= s;
                    }
                }
            }
        }
        let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        for ((zi, a), b) in z.iter_mut().zip(&acc).zip(&self.bias) {
            *zi += self.weight * (a * inv + b);
        }
        rows.len()
    }

    /// The (de-scaled) weights of row `r` over the labels, for explanations.
    fn row_weights(&self, r: usize, nl: usize) -> Option<Vec<f32>> {
        let span = r.checked_mul(nl)?..(r + 1).checked_mul(nl)?;
        match &self.w {
            LinearWeights::F32(w) => w.get(span).map(<[f32]>::to_vec),
            LinearWeights::I8PerLabel { q, scales } => q.get(span).map(|row| {
                row.iter()
                    .zip(scales)
                    .map(|(&v, s)| f32::from(v) * s)
                    .collect()
            }),
            LinearWeights::I8PerFeature { q, scales } => {
                let s = scales.get(r).copied().unwrap_or(0.0);
                q.get(span)
                    .map(|row| row.iter().map(|&v| f32::from(v) * s).collect())
            }
        }
    }

    fn explain_into(
        &self,
        features: &Features,
        named: &[NamedFeature],
        class: usize,
        nl: usize,
        acc: &mut FxHashMap<u32, f32>,
    ) {
        let (_, norm) = self.rows_and_norm(features);
        if norm <= 0.0 {
            return;
        }
        for nf in named {
            let Some(r) = self.rows.row(nf.bucket) else {
                continue;
            };
            let x = self.idf_of(r) / norm;
            let Some(row) = self.row_weights(r as usize, nl) else {
                continue;
            };
            let Some(&wc) = row.get(class) else {
                continue;
            };
            let mean = row.iter().sum::<f32>() / nl as f32;
            let share = (wc - mean) * x * self.weight;
            *acc.entry(nf.bucket).or_insert(0.0) += share;
        }
    }
}

/// `idf` is stored in steps of 1/16.
pub(crate) const IDF_STEPS: f32 = 16.0;

/// Per-row symmetric int8: every row is scaled by `max|x| / 127` and rounded.
pub(crate) fn quantize_rows(e: &[f32], width: usize) -> Embedding {
    let mut q = Vec::with_capacity(e.len());
    let mut scales = Vec::with_capacity(e.len() / width.max(1));
    for row in e.chunks_exact(width.max(1)) {
        let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        scales.push(scale);
        q.extend(
            row.iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
        );
    }
    Embedding::I8 { q, scales }
}

/// Per-row symmetric int8 of the linear weight matrix `W` (labels × features), stored feature-major
/// (`w` is `rows × nl`): one scale per label, `max_f |w[f][l]| / 127`. No per-feature metadata, so a
/// 2-label model costs 2 bytes per feature row.
pub(crate) fn quantize_per_label(w: &[f32], nl: usize) -> LinearWeights {
    let nl = nl.max(1);
    let mut max = vec![0f32; nl];
    for row in w.chunks_exact(nl) {
        for (m, x) in max.iter_mut().zip(row) {
            if x.is_finite() {
                *m = m.max(x.abs());
            }
        }
    }
    let scales: Vec<f32> = max
        .iter()
        .map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 })
        .collect();
    let mut q = Vec::with_capacity(w.len());
    for row in w.chunks_exact(nl) {
        q.extend(
            row.iter()
                .zip(&scales)
                .map(|(x, s)| (x / s).round().clamp(-127.0, 127.0) as i8),
        );
    }
    LinearWeights::I8PerLabel { q, scales }
}

/// `2^e`: the per-feature scales of version-2 int8 linear rows are stored as exponents.
pub(crate) fn pow2(e: i32) -> f32 {
    2f32.powi(e)
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
    fn per_label_quantization_round_trip() {
        // 3 feature rows × 2 labels; label 0's largest weight is 2.54, label 1's is 0.127
        let w = vec![2.54f32, 0.127, -1.0, -0.05, 0.0, 0.001];
        let LinearWeights::I8PerLabel { q, scales } = quantize_per_label(&w, 2) else {
            panic!("per-label int8 expected");
        };
        assert_eq!(scales.len(), 2);
        assert!((scales[0] - 0.02).abs() < 1e-7 && (scales[1] - 0.001).abs() < 1e-9);
        assert_eq!(q.len(), 6);
        assert_eq!((q[0], q[1]), (127, 127));
        for (i, (&x, &v)) in w.iter().zip(&q).enumerate() {
            let s = scales[i % 2];
            assert!((x - f32::from(v) * s).abs() <= s * 0.5 + 1e-7, "cell {i}");
        }
        // an all-zero label gets scale 1 and zeros; NaN is ignored for the scale
        let LinearWeights::I8PerLabel { q, scales } =
            quantize_per_label(&[0.0, 1.0, 0.0, f32::NAN], 2)
        else {
            panic!("per-label int8 expected");
        };
        assert_eq!(scales[0], 1.0);
        assert_eq!(q[0], 0);
        assert_eq!(q[1], 127);
    }

    #[test]
    fn hashed_rows_rank_the_occupied_slots() {
        let h = HashedRows::from_slots(8, &[0, 5, 63, 64, 200, 255]).unwrap();
        assert_eq!(h.len(), 6);
        // find buckets that land on some of the slots and check the ranks
        let mut found = 0;
        for b in 0u32..100_000 {
            let s = hashed_row(b, 8);
            let want = [0, 5, 63, 64, 200, 255].iter().position(|&x| x == s);
            assert_eq!(h.row(b), want.map(|r| r as u32), "bucket {b} slot {s}");
            found += usize::from(want.is_some());
        }
        assert!(found > 0);
        assert!(hashed_row(u32::MAX, 8) < 256 && hashed_row(u32::MAX, 24) < 1 << 24);
        // the bitmap size must match the bits
        assert!(HashedRows::new(8, vec![0; 3]).is_none());
        assert!(HashedRows::new(7, vec![0; 2]).is_none());
        assert!(HashedRows::from_slots(8, &[256]).is_none());
    }

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
