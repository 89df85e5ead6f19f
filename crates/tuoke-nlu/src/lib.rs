//! # tuoke-nlu — the NLU engine of tuoke
//!
//! Data in, data out; the only IO is [`Model::save`]/[`Model::load`] on a path the caller names.
//!
//! * [`Normalizer`] — NFKC/full-width→half-width, lower-casing, whitespace/control clean-up,
//!   Traditional→Simplified (fast2s), emoji kept, optional dialect lexicon (greedy longest match),
//!   with a char-offset map back to the original text.
//! * [`FeatureConfig`] / [`Featurizer`] — hashed char n-grams + jieba words + word bigrams → [`Features`].
//! * [`train`] with a [`TrainConfig`] → [`Model`] of a [`ModelKind`]: a fastText-style embedding bag →
//!   softmax (mini-batch SGD), a full-rank linear model over TF-IDF features (one-vs-rest linear SVMs,
//!   dual coordinate descent), or both with their logits mixed; rayon, deterministic per seed, class
//!   weights, early stopping on dev, temperature calibration, out-of-scope by explicit label and by a
//!   dev-chosen confidence threshold with a fallback label.
//! * [`Model::predict`] → [`Prediction`] `{label, confidence, top_k, explanation}`;
//!   [`Model::quantize`] → int8 model that predicts from int8 rows;
//!   [`Model::to_bytes`]/[`Model::from_bytes`], [`Model::save`]/[`Model::load`] (checked file format).
//! * [`evaluate`] → [`Metrics`] (the `tuoke nlu eval --json` schema).
//!
//! ## Several models on one text
//! Features are computed once and given to each model, when the models share a [`FeatureConfig`]:
//! ```no_run
//! # use tuoke_nlu::*;
//! # fn f(intent: &Model, sentiment: &Model) {
//! let feats = intent.featurizer().featurize("这个多少钱？");
//! let opts = PredictOptions { top_k: 3, explain: 0 };
//! let i = intent.predict_features(&feats, &opts);
//! if sentiment.feature_config() == intent.feature_config() {
//!     let s = sentiment.probabilities(&feats);
//! }
//! # }
//! ```
//! jieba's dictionary is loaded once per process on first use ([`warm_up`] forces it).

mod features;
mod format;
mod linear;
mod metrics;
mod model;
mod normalize;
mod polarity;
mod train;

pub use features::{FeatureConfig, Features, Featurizer, MAX_TEXT_CHARS, NamedFeature, warm_up};
pub use format::{FORMAT_VERSION, MAGIC};
pub use metrics::{LabelMetrics, Metrics, OosMetrics, evaluate};
pub use model::{
    Embedding, Model, ModelKind, OosThreshold, Pooling, PredictOptions, Prediction, TrainInfo,
};
pub use normalize::{Normalized, Normalizer};
pub use train::{
    ClassWeighting, Example, LinearNorm, TrainConfig, TrainProgress, auto_linear_hash_bits, train,
};
pub use tuoke_core::{FeatureWeight, LabelScore};

/// Everything that can go wrong in the NLU engine.
#[derive(Debug, thiserror::Error)]
pub enum NluError {
    #[error("no examples")]
    NoExamples,
    #[error("example {index} has no features (empty or whitespace-only text)")]
    EmptyText { index: usize },
    #[error(
        "all training examples have the same label {0:?}; a classifier needs at least two labels"
    )]
    SingleLabel(String),
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid lexicon: {0}")]
    Lexicon(String),
    #[error("not a tuoke NLU model file (bad magic)")]
    NotAModel,
    #[error("unsupported model format version {found} (this build reads version {supported})")]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("model file is truncated: expected {expected} bytes, found {actual}")]
    Truncated { expected: u64, actual: u64 },
    #[error("model file is corrupted: checksum {stored:#010x} stored, {computed:#010x} computed")]
    Checksum { stored: u32, computed: u32 },
    #[error("malformed model file: {0}")]
    Format(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
