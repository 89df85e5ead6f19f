//! Training. The bag component: mini-batch SGD on softmax cross-entropy with a linearly decaying
//! learning rate (as fastText), class weights, early stopping on a dev set. The linear component:
//! one-vs-rest linear SVMs (`linear.rs`). Then, on the dev set: each component's temperature, the
//! ensemble mix, the final temperature and the OOS threshold. Without a dev set, a linear or ensemble
//! model is first fitted on 90% of the training set to choose those on the held-out 10%, then refitted
//! on all of it.
//!
//! Determinism: the per-example forward/backward passes of a mini-batch run in parallel (rayon) against
//! the same parameters; their gradients are then applied in example order on one thread. The result
//! depends only on the data, the config and the seed, never on the thread count or scheduling.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::NluError;
use crate::features::{FeatureConfig, Features, Featurizer};
use crate::linear::{Csr, SvmParams, fit_ovr, idf_q};
use crate::model::{
    Bag, Embedding, Linear, Model, ModelKind, OosThreshold, Pooling, TrainInfo, softmax_in_place,
};
use crate::model::{HashedRows, LINEAR_HASH_BITS, LinearRows, LinearWeights, hashed_row, row_map};

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

struct Params {
    e: Vec<f32>,
    o: Vec<f32>,
    b: Vec<f32>,
}

/// (dev accuracy, dev NLL, epoch, E, O, b) of the best epoch so far.
type Snapshot = (f32, f32, usize, Vec<f32>, Vec<f32>, Vec<f32>);
/// (h, dlogits, dh, loss, rows used) of one example.
type Grad = (Vec<f32>, Vec<f32>, Vec<f32>, f32, Vec<u32>);

struct Doc {
    rows: Vec<u32>,
    label: usize,
}

fn forward(p: &Params, d: usize, rows: &[u32], pooling: Pooling) -> Vec<f32> {
    let mut h = vec![0f32; d];
    for &r in rows {
        let r = r as usize * d;
        for (x, w) in h.iter_mut().zip(&p.e[r..r + d]) {
            *x += w;
        }
    }
    let inv = pooling.scale(rows.len());
    h.iter_mut().for_each(|x| *x *= inv);
    h
}

fn logits(p: &Params, d: usize, h: &[f32]) -> Vec<f32> {
    p.o.chunks_exact(d)
        .zip(&p.b)
        .map(|(row, b)| b + row.iter().zip(h).map(|(a, x)| a * x).sum::<f32>())
        .collect()
}

/// Train a classifier. `dev` enables early stopping, temperature scaling, the ensemble mix and
/// threshold selection (a linear or ensemble model without `dev` uses a 10% hold-out for those).
pub fn train(
    train: &[Example],
    dev: Option<&[Example]>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&TrainProgress),
) -> Result<Model, NluError> {
    if train.is_empty() {
        return Err(NluError::NoExamples);
    }
    if cfg.dim == 0
        || cfg.dim > 1024
        || cfg.epochs == 0
        || cfg.batch_size == 0
        || cfg.lr.is_nan()
        || cfg.lr <= 0.0
    {
        return Err(NluError::InvalidConfig(
            "dim must be 1..=1024, epochs, batch_size and lr must be positive".into(),
        ));
    }
    if !(cfg.svm_c.is_finite() && cfg.svm_c > 0.0) {
        return Err(NluError::InvalidConfig("svm_c must be positive".into()));
    }
    let featurizer = Featurizer::new(&cfg.features)?;

    // Labels, sorted for a stable order.
    let mut labels: Vec<String> = train.iter().map(|e| e.label.clone()).collect();
    labels.sort();
    labels.dedup();
    if labels.len() < 2 {
        return Err(NluError::SingleLabel(
            labels.first().cloned().unwrap_or_default(),
        ));
    }
    let label_idx: FxHashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();

    let plain = if cfg.polarity_dropout > 0.0 && !cfg.features.polarity.is_empty() {
        Some(Featurizer::new(&cfg.features.without_polarity())?)
    } else {
        None
    };
    let cut = (f64::from(cfg.polarity_dropout.clamp(0.0, 1.0)) * u64::MAX as f64) as u64;
    let feats: Vec<Vec<u32>> = train
        .par_iter()
        .enumerate()
        .map(|(i, e)| match &plain {
            Some(p) if splitmix(cfg.seed ^ 0x0070_6f6c ^ i as u64) < cut => p.featurize(&e.text),
            _ => featurizer.featurize(&e.text),
        })
        .map(|f| f.buckets)
        .collect();
    if let Some(i) = feats.iter().position(|f| f.is_empty()) {
        return Err(NluError::EmptyText { index: i });
    }
    let y: Vec<usize> = train
        .iter()
        .map(|e| label_idx.get(e.label.as_str()).copied().unwrap_or(0))
        .collect();
    let dev_set: Option<DevSet> = dev.filter(|d| !d.is_empty()).map(|dev| DevSet {
        docs: dev
            .par_iter()
            .map(|e| {
                (
                    featurizer.featurize(&e.text).buckets,
                    label_idx.get(e.label.as_str()).copied(),
                )
            })
            .collect(),
        gold: dev.iter().map(|e| e.label.clone()).collect(),
    });

    let nl = labels.len();
    // Fix the automatic linear table size on all training texts, so that a hold-out fit and the
    // refit on everything share it.
    let resolved;
    let cfg = if cfg.kind != ModelKind::Bag && cfg.linear_hash_bits.is_none() && nl <= 2 {
        let distinct: FxHashSet<u32> = feats.iter().flatten().copied().collect();
        resolved = TrainConfig {
            linear_hash_bits: Some(auto_linear_hash_bits(distinct.len())),
            ..cfg.clone()
        };
        &resolved
    } else {
        cfg
    };
    let holdout = dev_set.is_none()
        && cfg.kind != ModelKind::Bag
        && cfg.calibrate
        && train.len() >= MIN_HOLDOUT_TRAIN;
    let (fitted, calib) = if holdout {
        // Choose temperature, mix and threshold on a seeded 10% hold-out, then refit on everything.
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x486f_6c64));
        let n_hold = (train.len() / 10).max(1);
        let (hold, rest) = order.split_at(n_hold);
        let sub_feats: Vec<Vec<u32>> = rest.iter().map(|&i| feats[i].clone()).collect();
        let sub_y: Vec<usize> = rest.iter().map(|&i| y[i]).collect();
        let hold_set = DevSet {
            docs: hold
                .iter()
                .map(|&i| (feats[i].clone(), Some(y[i])))
                .collect(),
            gold: hold.iter().map(|&i| train[i].label.clone()).collect(),
        };
        // The bag keeps its early stopping on the hold-out; the (fast) linear component is refitted
        // on all examples with the mix and temperature chosen for its 90% version. That refit does
        // not depend on the calibration, so it runs alongside the 90% fits (the bag's SGD leaves a
        // core mostly idle between its parallel steps).
        let (sub, calib, full_linear) = std::thread::scope(|s| {
            let full = s.spawn(|| fit_linear_all(&feats, &y, nl, cfg));
            let sub = fit_components(&sub_feats, &sub_y, nl, Some(&hold_set), cfg, progress);
            let full = full.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            sub.map(|sub| {
                let calib = calibrate(&sub, &hold_set, &labels, cfg);
                (sub, calib, full)
            })
        })?;
        let mut sub = sub;
        if sub.linear.is_some() && calib.w_lin > 0.0 {
            sub.linear = Some(full_linear?);
        }
        (sub, calib)
    } else {
        let fitted = fit_components(&feats, &y, nl, dev_set.as_ref(), cfg, progress)?;
        let calib = match &dev_set {
            Some(ds) => calibrate(&fitted, ds, &labels, cfg),
            None => Calibration {
                w_bag: 1.0,
                w_lin: 1.0,
                temperature: 1.0,
                oos: None,
                dev_accuracy: None,
            },
        };
        (fitted, calib)
    };
    let mut oos = calib.oos;
    if oos.is_none() {
        if let (Some(fb), Some(t)) = (&cfg.fallback_label, cfg.oos_threshold) {
            oos = Some(OosThreshold {
                fallback_label: fb.clone(),
                threshold: t,
            });
        } else if cfg.fallback_label.is_some() {
            tracing::warn!(
                "fallback label given but no dev set and no fixed threshold: no threshold set"
            );
        }
    }
    let Fitted {
        mut bag,
        mut linear,
        epochs_run,
        best_epoch,
    } = fitted;
    // A component the dev mix gave no weight is dropped (it would only cost time and space).
    if calib.w_bag == 0.0 && linear.is_some() {
        bag = None;
    }
    if calib.w_lin == 0.0 && bag.is_some() {
        linear = None;
    }
    if let Some(b) = &mut bag {
        b.weight = calib.w_bag;
    }
    if let Some(l) = &mut linear {
        l.weight = calib.w_lin;
    }
    Model::from_components(
        labels,
        &cfg.features,
        bag,
        linear,
        calib.temperature,
        oos,
        TrainInfo {
            seed: cfg.seed,
            epochs_run,
            best_epoch,
            train_examples: train.len(),
            dev_examples: dev.map_or(0, <[Example]>::len),
            dev_accuracy: calib.dev_accuracy,
        },
    )
}

/// Smallest training set that gets a hold-out when no dev set is given (10% of fewer examples says
/// too little; the model then keeps temperature 1 and equal component weights).
const MIN_HOLDOUT_TRAIN: usize = 200;

/// Featurized dev (or hold-out) examples: (buckets, label index if known) and the gold label strings.
struct DevSet {
    docs: Vec<(Vec<u32>, Option<usize>)>,
    gold: Vec<String>,
}

struct Fitted {
    bag: Option<Bag>,
    linear: Option<Linear>,
    epochs_run: usize,
    best_epoch: usize,
}

struct Calibration {
    w_bag: f32,
    w_lin: f32,
    temperature: f32,
    oos: Option<OosThreshold>,
    dev_accuracy: Option<f32>,
}

/// Buckets seen in at least `min_count` texts, at most `max` of them (most frequent first), ascending.
fn select_vocab(df: &FxHashMap<u32, u32>, min_count: u32, max: usize) -> Vec<u32> {
    let mut kept: Vec<(u32, u32)> = df
        .iter()
        .filter(|&(_, &c)| c >= min_count)
        .map(|(&b, &c)| (b, c))
        .collect();
    if kept.len() > max {
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(max);
    }
    let mut v: Vec<u32> = kept.into_iter().map(|(b, _)| b).collect();
    v.sort_unstable();
    v
}

fn class_weights(y: &[usize], nl: usize, weighting: ClassWeighting) -> Vec<f32> {
    let mut counts = vec![0usize; nl];
    for &l in y {
        if let Some(c) = counts.get_mut(l) {
            *c += 1;
        }
    }
    let raw: Vec<f32> = counts
        .iter()
        .map(|&c| match weighting {
            ClassWeighting::None => 1.0,
            ClassWeighting::Balanced => 1.0 / c.max(1) as f32,
            ClassWeighting::SqrtBalanced => 1.0 / (c.max(1) as f32).sqrt(),
        })
        .collect();
    // Normalized to mean 1 over the training examples.
    let mean: f32 = y.iter().map(|&l| raw[l]).sum::<f32>() / y.len().max(1) as f32;
    raw.iter().map(|w| w / mean).collect()
}

fn fit_components(
    feats: &[Vec<u32>],
    y: &[usize],
    nl: usize,
    dev: Option<&DevSet>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&TrainProgress),
) -> Result<Fitted, NluError> {
    let mut df: FxHashMap<u32, u32> = FxHashMap::default();
    for f in feats {
        for &b in f {
            *df.entry(b).or_insert(0) += 1;
        }
    }
    let class_w = class_weights(y, nl, cfg.class_weighting);
    // The linear fit (parallel over labels) runs on its own thread next to the bag's SGD, whose
    // sequential update steps leave cores idle. Both are deterministic on their own.
    let (linear, bag) = std::thread::scope(|s| {
        let linear = (cfg.kind != ModelKind::Bag)
            .then(|| s.spawn(|| fit_linear(feats, y, nl, &class_w, &df, cfg)));
        let bag = if cfg.kind != ModelKind::Linear {
            Some(fit_bag(feats, y, nl, &class_w, &df, dev, cfg, progress))
        } else {
            progress(&TrainProgress {
                epoch: cfg.epochs,
                epochs: cfg.epochs,
                train_loss: 0.0,
                dev_accuracy: None,
            });
            None
        };
        let linear = linear.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (linear, bag)
    });
    let linear = linear.transpose()?;
    let (bag, epochs_run, best_epoch) = match bag.transpose()? {
        Some((bag, run, best)) => (Some(bag), run, best),
        None => (None, 0, 0),
    };
    Ok(Fitted {
        bag,
        linear,
        epochs_run,
        best_epoch,
    })
}

/// The linear component on all of `feats` (document frequencies and class weights computed here).
fn fit_linear_all(
    feats: &[Vec<u32>],
    y: &[usize],
    nl: usize,
    cfg: &TrainConfig,
) -> Result<Linear, NluError> {
    let mut df: FxHashMap<u32, u32> = FxHashMap::default();
    for f in feats {
        for &b in f {
            *df.entry(b).or_insert(0) += 1;
        }
    }
    let class_w = class_weights(y, nl, cfg.class_weighting);
    fit_linear(feats, y, nl, &class_w, &df, cfg)
}

mod calibrate;
mod fit;
#[cfg(test)]
mod tests;

use calibrate::{calibrate, splitmix};
use fit::{fit_bag, fit_linear};
