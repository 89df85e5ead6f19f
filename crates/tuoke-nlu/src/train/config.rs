//! What the caller of [`train`](super::train) sets: the labelled [`Example`]s, the
//! [`TrainConfig`] (with [`ClassWeighting`] and the linear component's [`LinearNorm`] and table
//! size) and the [`TrainProgress`] reported after every epoch.

use serde::{Deserialize, Serialize};

use crate::features::FeatureConfig;
use crate::model::{LINEAR_HASH_BITS, ModelKind, Pooling};
use crate::oos::OosScore;

/// One labelled text. JSONL lines `{"text": .., "label": ..}` deserialize into it (other keys ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub text: String,
    pub label: String,
}

impl Example {
    pub fn new(text: impl Into<String>, label: impl Into<String>) -> Self {
        Example {
            text: text.into(),
            label: label.into(),
        }
    }
}

/// How to weight the loss of each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeighting {
    /// Every example counts the same.
    None,
    /// Weight ∝ 1/count (sklearn's "balanced").
    Balanced,
    /// Weight ∝ 1/sqrt(count): a milder correction.
    SqrtBalanced,
}

/// Training hyper-parameters. `Default` is what the CLI uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub seed: u64,
    /// Maximum number of passes over the training data.
    pub epochs: usize,
    /// Embedding width.
    pub dim: usize,
    /// Initial learning rate (decays linearly to 0 over `epochs`).
    pub lr: f32,
    pub batch_size: usize,
    /// Drop feature buckets seen in fewer training texts.
    pub min_count: u32,
    /// Keep at most this many buckets (most frequent first).
    pub max_features: usize,
    pub class_weighting: ClassWeighting,
    /// Stop when dev accuracy has not improved for this many epochs (only with a dev set).
    pub patience: usize,
    /// Fit a softmax temperature on the dev set.
    pub calibrate: bool,
    /// Label reported when the confidence is below the threshold (chosen on dev, or `oos_threshold`).
    pub fallback_label: Option<String>,
    /// Fixed threshold; when `None` and a fallback label is set, it is chosen on the dev set.
    pub oos_threshold: Option<f32>,
    /// The score the threshold applies to (see [`OosScore`]; only scores computed from the logits).
    #[serde(default)]
    pub oos_score: OosScore,
    pub pooling: Pooling,
    /// Each feature of a training example is dropped with this probability (0 = off).
    pub feature_dropout: f32,
    /// With a polarity lexicon ([`FeatureConfig::polarity`]): this share of the training examples
    /// (chosen by the seed) is featurized without the `pol:*` features, so the n-grams of the
    /// sentiment words keep their own weights and texts with no lexicon word are still read well
    /// (otherwise the few lexicon features explain most of the training set away). 0 = off.
    pub polarity_dropout: f32,
    pub features: FeatureConfig,
    /// Which components to fit.
    pub kind: ModelKind,
    /// Linear component: SVM regularization C.
    pub svm_c: f32,
    /// Linear component: drop buckets seen in fewer training texts.
    pub linear_min_count: u32,
    /// Linear component: keep at most this many buckets (most frequent first).
    pub linear_max_features: usize,
    /// Linear component: TF-IDF weights (else binary), before normalization.
    pub linear_idf: bool,
    /// Linear component: how a text's feature vector is normalized (see [`LinearNorm`]); `None` =
    /// [`LinearNorm::Sqrt`] with a hashed table, [`LinearNorm::L2`] with sparse rows.
    pub linear_norm: Option<LinearNorm>,
    /// Linear component row layout: `Some(0)` = one row per kept bucket (bucket ids stored in the
    /// file, `linear_max_features` applies); `Some(k)`, k in 8..=24 = the hashing trick, `2^k` slots
    /// (occupancy bitmap stored, no ids; colliding features share a row; `linear_max_features` does
    /// not apply); `None` = hashed with [`auto_linear_hash_bits`] of the number of distinct training
    /// feature buckets for a 2-label model, sparse otherwise.
    pub linear_hash_bits: Option<u8>,
}

/// The hashed-table size `linear_hash_bits: None` picks for a 2-label model: the smallest `2^k` slots
/// (k in 8..=24) not fewer than the distinct feature buckets of the training texts (load factor ≤ 1, so
/// 39–63% of the slots are occupied and the occupancy bitmap costs ≤ 2.6 bits per row). With two weights
/// per feature, a bucket id and an idf byte per row would cost as much as the int8 weights themselves,
/// so binary models use the hashed table with the idf folded into the weights. On ChnSentiCorp (828k
/// distinct buckets → 2^20) this is also the size the dev split prefers (docs/benchmarks.md).
pub fn auto_linear_hash_bits(distinct_buckets: usize) -> u8 {
    let mut k = *LINEAR_HASH_BITS.start();
    while k < *LINEAR_HASH_BITS.end() && (1usize << k) < distinct_buckets {
        k += 1;
    }
    k
}

impl TrainConfig {
    /// The linear layout used for `nl` labels and `distinct_buckets` training feature buckets:
    /// (hash bits, 0 = sparse; normalization).
    pub fn linear_layout(&self, nl: usize, distinct_buckets: usize) -> (u8, LinearNorm) {
        let bits = self.linear_hash_bits.unwrap_or(if nl <= 2 {
            auto_linear_hash_bits(distinct_buckets)
        } else {
            0
        });
        let norm = self.linear_norm.unwrap_or(if bits == 0 {
            LinearNorm::L2
        } else {
            LinearNorm::Sqrt
        });
        (bits, norm)
    }
}

/// Normalization of the linear component's TF-IDF feature vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearNorm {
    /// `x_f = idf_f / ‖idf‖₂` (unit L2 norm, scikit-learn's `TfidfVectorizer`): the model keeps an
    /// idf table (one byte per row) to compute the norm.
    #[default]
    L2,
    /// `x_f = idf_f / (c · sqrt(n))` over the `n` known features of the text, `c²` = the corpus mean of
    /// `idf²` per text (so a typical vector has norm ≈ 1). The idf and `c` are folded into the weights
    /// after training: the model keeps no idf table.
    Sqrt,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 42,
            epochs: 20,
            dim: 64,
            lr: 0.2,
            batch_size: 16,
            min_count: 1,
            max_features: 200_000,
            class_weighting: ClassWeighting::SqrtBalanced,
            patience: 5,
            calibrate: true,
            fallback_label: None,
            oos_threshold: None,
            oos_score: OosScore::Confidence,
            pooling: Pooling::Sqrt,
            feature_dropout: 0.0,
            polarity_dropout: 0.0,
            features: FeatureConfig::default(),
            kind: ModelKind::Bag,
            svm_c: 1.0,
            linear_min_count: 1,
            linear_max_features: 200_000,
            linear_idf: true,
            linear_norm: None,
            linear_hash_bits: None,
        }
    }
}

/// Reported after every epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainProgress {
    pub epoch: usize,
    pub epochs: usize,
    pub train_loss: f32,
    pub dev_accuracy: Option<f32>,
}
