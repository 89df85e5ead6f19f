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

mod error;
mod features;
mod format;
mod metrics;
mod model;
mod normalize;
mod oos;
mod polarity;
mod train;

pub use error::NluError;
pub use features::{FeatureConfig, Features, Featurizer, MAX_TEXT_CHARS, NamedFeature, warm_up};
pub use format::{FORMAT_VERSION, MAGIC};
pub use metrics::{LabelMetrics, Metrics, OosMetrics, evaluate};
pub use model::{
    Embedding, Model, ModelKind, OosThreshold, Pooling, PredictOptions, Prediction, TrainInfo,
};
pub use normalize::{Normalized, Normalizer};
pub use oos::{
    Centroids, DetectorResult, HeldoutConfig, HeldoutProgress, HeldoutReport, Knn, LogitScores,
    OosScore, heldout_eval, threshold_at_retained,
};
pub use train::{
    ClassWeighting, Example, LinearNorm, TrainConfig, TrainProgress, auto_linear_hash_bits, train,
};
pub use tuoke_core::{FeatureWeight, LabelScore};
