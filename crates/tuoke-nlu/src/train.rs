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

    let feats: Vec<Vec<u32>> = train
        .par_iter()
        .map(|e| featurizer.featurize(&e.text).buckets)
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

fn fit_linear(
    feats: &[Vec<u32>],
    y: &[usize],
    nl: usize,
    class_w: &[f32],
    df: &FxHashMap<u32, u32>,
    cfg: &TrainConfig,
) -> Result<Linear, NluError> {
    let n = feats.len();
    let (hash_bits, norm) = cfg.linear_layout(nl, df.len());
    // Rows, each document's row ids and each row's document frequency.
    let (rows, docs, row_df): (LinearRows, Vec<Vec<u32>>, Vec<u32>) = if hash_bits == 0 {
        let row_buckets = select_vocab(df, cfg.linear_min_count, cfg.linear_max_features);
        let row_of: FxHashMap<u32, u32> = row_buckets
            .iter()
            .enumerate()
            .map(|(i, &b)| (b, i as u32))
            .collect();
        let row_df = row_buckets
            .iter()
            .map(|b| df.get(b).copied().unwrap_or(0))
            .collect();
        let docs = feats
            .iter()
            .map(|f| f.iter().filter_map(|b| row_of.get(b).copied()).collect())
            .collect();
        (
            LinearRows::Sparse {
                rows: row_map(&row_buckets),
                row_buckets,
            },
            docs,
            row_df,
        )
    } else {
        if !LINEAR_HASH_BITS.contains(&hash_bits) {
            return Err(NluError::InvalidConfig(format!(
                "linear_hash_bits must be 0 or {}..={}, got {hash_bits}",
                LINEAR_HASH_BITS.start(),
                LINEAR_HASH_BITS.end()
            )));
        }
        // Slots of each document (colliding features stay separate entries, as at prediction).
        let slots: Vec<Vec<u32>> = feats
            .iter()
            .map(|f| f.iter().map(|&b| hashed_row(b, hash_bits)).collect())
            .collect();
        let mut slot_df = vec![0u32; 1 << hash_bits];
        let mut seen: Vec<u32> = Vec::new();
        for d in &slots {
            seen.clear();
            seen.extend_from_slice(d);
            seen.sort_unstable();
            seen.dedup();
            for &s in &seen {
                slot_df[s as usize] += 1;
            }
        }
        let min = cfg.linear_min_count.max(1);
        let kept: Vec<u32> = (0..slot_df.len() as u32)
            .filter(|&s| slot_df[s as usize] >= min)
            .collect();
        let h = HashedRows::from_slots(hash_bits, &kept)
            .ok_or_else(|| NluError::InvalidConfig("bad linear hash table".into()))?;
        let rows = LinearRows::Hashed(h);
        let docs = feats
            .iter()
            .map(|f| f.iter().filter_map(|&b| rows.row(b)).collect())
            .collect();
        let row_df = kept.iter().map(|&s| slot_df[s as usize]).collect();
        (rows, docs, row_df)
    };
    let nf = rows.len();
    let idf: Vec<u8> = row_df
        .iter()
        .map(|&d| {
            if cfg.linear_idf {
                idf_q(n, d)
            } else {
                crate::model::IDF_STEPS as u8
            }
        })
        .collect();
    let x = Csr::build(&docs, &idf, norm);
    drop(docs);
    let ew: Vec<f32> = y.iter().map(|&l| class_w[l]).collect();
    let (mut w, bias) = fit_ovr(
        &x,
        y,
        &ew,
        nl,
        nf,
        &SvmParams {
            c: cfg.svm_c,
            eps: 0.1,
            max_iter: 1000,
            seed: cfg.seed,
        },
    );
    let idf = match norm {
        LinearNorm::L2 => Some(idf),
        LinearNorm::Sqrt => {
            // Fold x_f = idf_f / (c·sqrt(n)) into the weights: w'[f] = w[f]·idf_f / c.
            for (row, &q) in w.chunks_exact_mut(nl.max(1)).zip(&idf) {
                let k = f32::from(q) / crate::model::IDF_STEPS / x.sqrt_norm_c;
                row.iter_mut().for_each(|v| *v *= k);
            }
            None
        }
    };
    Linear::new(nl, rows, idf, LinearWeights::F32(w), bias, 1.0)
}

/// Returns the bag component, the epochs run and the kept epoch.
#[allow(clippy::too_many_arguments)]
fn fit_bag(
    feats: &[Vec<u32>],
    y: &[usize],
    nl: usize,
    class_w: &[f32],
    df: &FxHashMap<u32, u32>,
    dev: Option<&DevSet>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&TrainProgress),
) -> Result<(Bag, usize, usize), NluError> {
    let d = cfg.dim;
    let row_buckets = select_vocab(df, cfg.min_count, cfg.max_features);
    let row_of: FxHashMap<u32, u32> = row_buckets
        .iter()
        .enumerate()
        .map(|(i, &b)| (b, i as u32))
        .collect();
    let to_rows = |buckets: &[u32]| -> Vec<u32> {
        buckets
            .iter()
            .filter_map(|b| row_of.get(b).copied())
            .collect()
    };
    let docs: Vec<Doc> = feats
        .iter()
        .zip(y)
        .map(|(f, &label)| Doc {
            rows: to_rows(f),
            label,
        })
        .collect();
    let dev_docs: Option<Vec<(Vec<u32>, Option<usize>)>> =
        dev.map(|ds| ds.docs.iter().map(|(b, g)| (to_rows(b), *g)).collect());

    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let bound = 1.0 / d as f32;
    let mut p = Params {
        e: (0..row_buckets.len() * d)
            .map(|_| rng.random_range(-bound..bound))
            .collect(),
        o: vec![0f32; nl * d],
        b: vec![0f32; nl],
    };
    let total_steps = (cfg.epochs * docs.len()) as f32;
    let mut seen = 0usize;
    let mut order: Vec<usize> = (0..docs.len()).collect();
    let mut best: Option<Snapshot> = None;
    let mut since_best = 0usize;
    let mut epochs_run = 0usize;

    for epoch in 1..=cfg.epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0f64;
        for batch in order.chunks(cfg.batch_size) {
            let lr = cfg.lr * (1.0 - seen as f32 / total_steps).max(0.0);
            seen += batch.len();
            let grad = |&i: &usize| -> Grad {
                let doc = &docs[i];
                let rows: Vec<u32> = if cfg.feature_dropout > 0.0 && doc.rows.len() > 1 {
                    let cut = (f64::from(cfg.feature_dropout) * u64::MAX as f64) as u64;
                    let base =
                        splitmix(cfg.seed ^ splitmix(epoch as u64) ^ (i as u64).rotate_left(32));
                    let kept: Vec<u32> = doc
                        .rows
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| splitmix(base ^ *j as u64) >= cut)
                        .map(|(_, r)| *r)
                        .collect();
                    if kept.is_empty() {
                        doc.rows.clone()
                    } else {
                        kept
                    }
                } else {
                    doc.rows.clone()
                };
                let h = forward(&p, d, &rows, cfg.pooling);
                let mut z = logits(&p, d, &h);
                softmax_in_place(&mut z, 1.0);
                let w = class_w[doc.label];
                let loss = -z[doc.label].max(1e-12).ln() * w;
                z[doc.label] -= 1.0;
                z.iter_mut().for_each(|g| *g *= w);
                // gradient w.r.t. h
                let mut gh = vec![0f32; d];
                for (row, g) in p.o.chunks_exact(d).zip(&z) {
                    for (x, o) in gh.iter_mut().zip(row) {
                        *x += g * o;
                    }
                }
                (h, z, gh, loss, rows)
            };
            // In an ensemble the linear fit runs alongside on the other cores, and per-batch
            // parallelism (16 small examples) would only make the two compete; the result is the
            // same either way (gradients against the same parameters, applied in example order).
            let grads: Vec<Grad> = if cfg.kind == ModelKind::Bag {
                batch.par_iter().map(grad).collect()
            } else {
                batch.iter().map(grad).collect()
            };
            for (h, gz, gh, loss, rows) in grads {
                loss_sum += f64::from(loss);
                for ((row, g), b) in p.o.chunks_exact_mut(d).zip(&gz).zip(p.b.iter_mut()) {
                    let s = lr * g;
                    for (o, x) in row.iter_mut().zip(&h) {
                        *o -= s * x;
                    }
                    *b -= s;
                }
                if rows.is_empty() {
                    continue;
                }
                let s = lr * cfg.pooling.scale(rows.len());
                for &r in &rows {
                    let r = r as usize * d;
                    for (e, g) in p.e[r..r + d].iter_mut().zip(&gh) {
                        *e -= s * g;
                    }
                }
            }
        }
        epochs_run = epoch;
        let train_loss = (loss_sum / docs.len() as f64) as f32;
        let dev_acc = dev_docs.as_ref().map(|dd| {
            let (acc, nll) = dev_score(&p, d, dd, cfg.pooling);
            let better = match &best {
                None => true,
                Some((ba, bl, ..)) => acc > *ba || (acc == *ba && nll < *bl),
            };
            if better {
                best = Some((acc, nll, epoch, p.e.clone(), p.o.clone(), p.b.clone()));
                since_best = 0;
            } else {
                since_best += 1;
            }
            acc
        });
        tracing::debug!(epoch, train_loss, ?dev_acc, "epoch done");
        progress(&TrainProgress {
            epoch,
            epochs: cfg.epochs,
            train_loss,
            dev_accuracy: dev_acc,
        });
        if dev_docs.is_some() && since_best >= cfg.patience {
            break;
        }
    }

    let best_epoch = match best {
        Some((_, _, ep, e, o, b)) => {
            p = Params { e, o, b };
            ep
        }
        None => epochs_run,
    };

    Ok((
        Bag::new(
            nl,
            d,
            row_buckets,
            Embedding::F32(p.e),
            p.o,
            p.b,
            cfg.pooling,
            1.0,
        )?,
        epochs_run,
        best_epoch,
    ))
}

/// Per-example logits of one component (weight as set), for the dev set.
fn component_logits(
    dev: &DevSet,
    nl: usize,
    f: &(dyn Fn(&Features, &mut [f32]) + Sync),
) -> Vec<Vec<f32>> {
    dev.docs
        .par_iter()
        .map(|(b, _)| {
            let feats = Features {
                normalized: String::new(),
                buckets: b.clone(),
            };
            let mut z = vec![0f32; nl];
            f(&feats, &mut z);
            z
        })
        .collect()
}

fn accuracy(logits: &[Vec<f32>], dd: &[(Vec<u32>, Option<usize>)]) -> f32 {
    let ok = logits
        .iter()
        .zip(dd)
        .filter(|(z, (_, g))| *g == Some(argmax(z)))
        .count();
    ok as f32 / dd.len().max(1) as f32
}

/// Component weights, temperature and threshold on the dev (or hold-out) set. With two components
/// each is first scaled by its own inverse temperature; the mix `λ·bag + (1−λ)·linear` is the λ on a
/// 0.1 grid with the lowest dev NLL (after its own temperature fit).
fn calibrate(fitted: &Fitted, dev: &DevSet, labels: &[String], cfg: &TrainConfig) -> Calibration {
    let nl = labels.len();
    let dd = &dev.docs;
    let zb = fitted.bag.as_ref().map(|b| {
        component_logits(dev, nl, &|f, z| {
            b.add_logits(f, z);
        })
    });
    let zl = fitted.linear.as_ref().map(|l| {
        component_logits(dev, nl, &|f, z| {
            l.add_logits(f, z);
        })
    });
    let fit = |z: &[Vec<f32>]| -> f32 {
        if cfg.calibrate {
            fit_temperature(z, dd)
        } else {
            1.0
        }
    };
    let (w_bag, w_lin, combined) = match (&zb, &zl) {
        (Some(zb), Some(zl)) => {
            let (tb, tl) = (fit(zb), fit(zl));
            let mix = |lam: f32| -> Vec<Vec<f32>> {
                zb.iter()
                    .zip(zl)
                    .map(|(a, b)| {
                        a.iter()
                            .zip(b)
                            .map(|(x, y)| lam * x / tb + (1.0 - lam) * y / tl)
                            .collect()
                    })
                    .collect()
            };
            let grid: Vec<(f32, f32)> = (0..=10)
                .map(|step| {
                    let lam = step as f32 / 10.0;
                    let z = mix(lam);
                    let t = fit_temperature(&z, dd);
                    let nll = nll_at(&z, dd, t);
                    tracing::debug!(lam, nll, acc = accuracy(&z, dd), "ensemble mix");
                    (lam, nll)
                })
                .collect();
            let lam = choose_mix(&grid);
            (lam / tb, (1.0 - lam) / tl, mix(lam))
        }
        (Some(zb), None) => (1.0, 1.0, zb.clone()),
        (None, Some(zl)) => (1.0, 1.0, zl.clone()),
        (None, None) => (1.0, 1.0, Vec::new()),
    };
    let temperature = fit(&combined);
    let oos = cfg.fallback_label.as_ref().map(|fb| OosThreshold {
        fallback_label: fb.clone(),
        threshold: cfg
            .oos_threshold
            .unwrap_or_else(|| choose_threshold(&combined, &dev.gold, labels, fb, temperature)),
    });
    Calibration {
        w_bag,
        w_lin,
        temperature,
        oos,
        dev_accuracy: Some(accuracy(&combined, dd)),
    }
}

fn dev_score(
    p: &Params,
    d: usize,
    dd: &[(Vec<u32>, Option<usize>)],
    pooling: Pooling,
) -> (f32, f32) {
    let r: Vec<(bool, f32)> = dd
        .par_iter()
        .map(|(rows, gold)| {
            let mut z = logits(p, d, &forward(p, d, rows, pooling));
            softmax_in_place(&mut z, 1.0);
            let arg = argmax(&z);
            match gold {
                Some(g) => (arg == *g, -z[*g].max(1e-12).ln()),
                None => (false, 0.0),
            }
        })
        .collect();
    let acc = r.iter().filter(|x| x.0).count() as f32 / dd.len().max(1) as f32;
    let nll = r.iter().map(|x| x.1).sum::<f32>() / dd.len().max(1) as f32;
    (acc, nll)
}

/// A mix must lower the dev NLL by this fraction of the better single component's NLL to be
/// kept; otherwise that component alone is kept and the other dropped. On ChnSentiCorp the best
/// mix (λ = 0.1) was 0.12 % better than the linear model alone, at 40× the model size and the
/// same test accuracy; on BANKING77 and SMP2017 mixes gain 7–12 % (docs/benchmarks.md).
const MIN_MIX_GAIN: f32 = 0.01;

/// The λ to use from `(λ, dev NLL)` pairs of a grid that includes λ = 0 (linear only) and
/// λ = 1 (bag only): the lowest NLL, unless a single component is within [`MIN_MIX_GAIN`].
fn choose_mix(grid: &[(f32, f32)]) -> f32 {
    let nll_at = |want: f32| {
        grid.iter()
            .find(|(lam, _)| *lam == want)
            .map_or(f32::INFINITY, |p| p.1)
    };
    let Some(&(best_lam, best_nll)) = grid
        .iter()
        .filter(|p| p.1.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return 0.5;
    };
    let (lin, bag) = (nll_at(0.0), nll_at(1.0));
    let (single_lam, single_nll) = if lin <= bag { (0.0, lin) } else { (1.0, bag) };
    if single_nll.is_finite() && best_nll > single_nll * (1.0 - MIN_MIX_GAIN) {
        single_lam
    } else {
        best_lam
    }
}

/// SplitMix64 finalizer: a cheap, seedable, platform-independent hash for feature dropout.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn argmax(z: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in z.iter().enumerate() {
        if *v > z[best] {
            best = i;
        }
    }
    best
}

fn nll_at(logits: &[Vec<f32>], dd: &[(Vec<u32>, Option<usize>)], t: f32) -> f32 {
    let mut s = 0f32;
    for (z, (_, g)) in logits.iter().zip(dd) {
        if let Some(g) = g {
            let mut z = z.clone();
            softmax_in_place(&mut z, t);
            s -= z[*g].max(1e-12).ln();
        }
    }
    s
}

/// Golden-section search of the temperature minimizing dev NLL, over log T in [ln 0.05, ln 20].
fn fit_temperature(logits: &[Vec<f32>], dd: &[(Vec<u32>, Option<usize>)]) -> f32 {
    if dd.iter().all(|(_, g)| g.is_none()) {
        return 1.0;
    }
    let (mut a, mut b) = (0.05f32.ln(), 20f32.ln());
    let phi = 0.618_034f32;
    let f = |x: f32| nll_at(logits, dd, x.exp());
    let mut c = b - phi * (b - a);
    let mut e = a + phi * (b - a);
    let (mut fc, mut fe) = (f(c), f(e));
    for _ in 0..40 {
        if fc < fe {
            b = e;
            e = c;
            fe = fc;
            c = b - phi * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = e;
            fc = fe;
            e = a + phi * (b - a);
            fe = f(e);
        }
    }
    ((a + b) / 2.0).exp()
}

/// Pick the confidence threshold on dev. If dev has examples of the fallback label, maximize the dev
/// accuracy where "below threshold ⇒ fallback"; otherwise reject at most 1% of the correctly
/// classified dev examples.
fn choose_threshold(
    logits: &[Vec<f32>],
    gold: &[String],
    labels: &[String],
    fallback: &str,
    t: f32,
) -> f32 {
    let rows: Vec<(f32, bool, bool)> = logits
        .iter()
        .zip(gold)
        .map(|(z, g)| {
            let mut z = z.clone();
            softmax_in_place(&mut z, t);
            let a = argmax(&z);
            let pred = labels.get(a).map(String::as_str).unwrap_or("");
            (z[a], pred == g, g == fallback)
        })
        .collect();
    let has_fallback = rows.iter().any(|r| r.2);
    if has_fallback {
        let mut confs: Vec<f32> = rows.iter().map(|r| r.0).collect();
        confs.sort_by(f32::total_cmp);
        confs.dedup();
        let mut best = (0usize, 0f32);
        let mut cands = vec![0f32];
        cands.extend(confs.windows(2).map(|w| (w[0] + w[1]) / 2.0));
        for th in cands {
            let correct = rows
                .iter()
                .filter(|(c, ok, is_fb)| if *c < th { *is_fb } else { *ok })
                .count();
            if correct > best.0 {
                best = (correct, th);
            }
        }
        best.1
    } else {
        let mut ok: Vec<f32> = rows.iter().filter(|r| r.1).map(|r| r.0).collect();
        if ok.is_empty() {
            return 0.0;
        }
        ok.sort_by(f32::total_cmp);
        let k = ok.len() / 100;
        ok.get(k).copied().unwrap_or(0.0) * 0.999
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<Example> {
        let mut v = Vec::new();
        for t in [
            "多少钱",
            "价格多少",
            "这个多少钱啊",
            "报价",
            "怎么卖",
            "how much",
            "price please",
        ] {
            v.push(Example::new(t, "ask_price"));
        }
        for t in [
            "你好",
            "您好",
            "hello",
            "hi there",
            "早上好",
            "在吗",
            "哈喽",
        ] {
            v.push(Example::new(t, "greeting"));
        }
        for t in [
            "今天天气",
            "讲个笑话",
            "weather today",
            "放首歌",
            "你是谁",
            "吃了吗",
            "几点了",
        ] {
            v.push(Example::new(t, "oos"));
        }
        v
    }

    #[test]
    fn trains_deterministically_and_predicts() {
        let data = toy();
        let cfg = TrainConfig {
            epochs: 60,
            batch_size: 2,
            ..TrainConfig::default()
        };
        let m1 = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
        let m2 = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
        assert_eq!(m1.to_bytes(), m2.to_bytes());
        let p = m1.predict("多少钱一个");
        assert_eq!(p.label, "ask_price");
        assert!(p.confidence > 0.3);
        assert_eq!(p.top_k[0].label, "ask_price");
        assert!(!p.explanation.is_empty());
        assert_eq!(m1.predict("hello!").label, "greeting");
    }

    #[test]
    fn mix_is_kept_only_when_it_clearly_beats_one_component() {
        let grid = |nll: [f32; 3]| vec![(0.0, nll[0]), (0.5, nll[1]), (1.0, nll[2])];
        // ChnSentiCorp-like: the mix is 0.1 % better than linear alone → linear alone.
        assert_eq!(choose_mix(&grid([265.6, 265.3, 294.0])), 0.0);
        // BANKING77-like: 12 % better → the mix.
        assert_eq!(choose_mix(&grid([350.3, 307.6, 407.4])), 0.5);
        // The bag alone is best → the bag alone.
        assert_eq!(choose_mix(&grid([300.0, 250.0, 249.0])), 1.0);
        // Non-finite values (a degenerate dev set) never win.
        assert_eq!(choose_mix(&grid([f32::NAN, 10.0, f32::INFINITY])), 0.5);
        assert_eq!(choose_mix(&[]), 0.5);
    }

    #[test]
    fn linear_and_ensemble_train_deterministically() {
        let data = toy();
        for kind in [ModelKind::Linear, ModelKind::Ensemble] {
            let cfg = TrainConfig {
                epochs: 60,
                batch_size: 2,
                kind,
                ..TrainConfig::default()
            };
            // no dev set (and too few examples for a hold-out)
            let m1 = train(&data, None, &cfg, &mut |_| {}).unwrap();
            let m2 = train(&data, None, &cfg, &mut |_| {}).unwrap();
            assert_eq!(m1.to_bytes(), m2.to_bytes(), "{kind:?}");
            assert_eq!(m1.kind(), kind);
            let p = m1.predict("多少钱一个");
            assert_eq!(p.label, "ask_price", "{kind:?}");
            assert!(!p.explanation.is_empty(), "{kind:?}");
            assert!(p.explanation.iter().all(|f| f.weight > 0.0));
            assert_eq!(m1.predict("hello!").label, "greeting", "{kind:?}");
            // with a dev set
            let m3 = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
            assert_eq!(m3.predict("价格多少呢").label, "ask_price", "{kind:?}");
        }
    }

    #[test]
    fn holdout_calibrates_without_dev() {
        // 300 synthetic texts: each label has its own words plus shared noise words.
        let words = [
            ["价格", "多少钱", "报价", "优惠", "便宜"],
            ["你好", "您好", "早上好", "哈喽", "在吗"],
            ["天气", "笑话", "音乐", "电影", "新闻"],
        ];
        let noise = ["我", "想", "问", "一下", "那个", "请", "吧"];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let data: Vec<Example> = (0..300)
            .map(|i| {
                let l = i % 3;
                let text: String = (0..4)
                    .map(|k| {
                        if k % 2 == 0 {
                            words[l][rng.random_range(0..5)]
                        } else {
                            noise[rng.random_range(0..noise.len())]
                        }
                    })
                    .collect();
                Example::new(text, ["price", "greet", "other"][l])
            })
            .collect();
        let cfg = TrainConfig {
            kind: ModelKind::Linear,
            ..TrainConfig::default()
        };
        let m = train(&data, None, &cfg, &mut |_| {}).unwrap();
        assert_ne!(m.temperature(), 1.0, "hold-out fitted a temperature");
        assert_eq!(m.train_info().train_examples, 300);
        assert!(m.train_info().dev_accuracy.is_some_and(|a| a > 0.9));
        assert_eq!(m.predict("请问报价多少钱").label, "price");
        assert_eq!(
            m.to_bytes(),
            train(&data, None, &cfg, &mut |_| {}).unwrap().to_bytes()
        );
    }

    #[test]
    fn explanation_names_the_deciding_features() {
        let data = toy();
        let cfg = TrainConfig {
            kind: ModelKind::Linear,
            ..TrainConfig::default()
        };
        let m = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
        let p = m.predict("多少钱");
        assert_eq!(p.label, "ask_price");
        let names: Vec<&str> = p.explanation.iter().map(|f| f.feature.as_str()).collect();
        assert!(
            names.iter().any(|n| n.contains("多少") || n.contains("钱")),
            "{names:?}"
        );
    }

    #[test]
    fn binary_models_get_a_hashed_linear_table_with_folded_idf() {
        let two: Vec<Example> = toy().into_iter().filter(|e| e.label != "oos").collect();
        let cfg = TrainConfig {
            kind: ModelKind::Linear,
            ..TrainConfig::default()
        };
        assert_eq!(cfg.linear_layout(2, 828_000), (20, LinearNorm::Sqrt));
        assert_eq!(cfg.linear_layout(2, 1 << 20), (20, LinearNorm::Sqrt));
        assert_eq!(cfg.linear_layout(2, (1 << 20) + 1), (21, LinearNorm::Sqrt));
        assert_eq!(cfg.linear_layout(2, 10), (8, LinearNorm::Sqrt));
        assert_eq!(cfg.linear_layout(2, usize::MAX), (24, LinearNorm::Sqrt));
        assert_eq!(cfg.linear_layout(3, 828_000), (0, LinearNorm::L2));
        let m = train(&two, Some(&two), &cfg, &mut |_| {}).unwrap();
        let l = m.linear.as_ref().unwrap();
        let distinct: FxHashSet<u32> = two
            .iter()
            .flat_map(|e| m.featurizer().featurize(&e.text).buckets)
            .collect();
        let want = auto_linear_hash_bits(distinct.len());
        assert!(matches!(&l.rows, LinearRows::Hashed(h) if h.bits == want));
        assert!(l.idf.is_none());
        let three = train(&toy(), Some(&toy()), &cfg, &mut |_| {}).unwrap();
        let l3 = three.linear.as_ref().unwrap();
        assert!(matches!(l3.rows, LinearRows::Sparse { .. }) && l3.idf.is_some());
        // f32 and int8 (integer sums over the folded weights) agree, and both explain
        let q = m.quantize();
        assert!(matches!(
            q.linear.as_ref().unwrap().w,
            LinearWeights::I8PerLabel { .. }
        ));
        for t in ["多少钱", "hello", "这个怎么卖", "早上好呀"] {
            let (a, b) = (m.predict(t), q.predict(t));
            assert_eq!(a.label, b.label, "{t}");
            assert!((a.confidence - b.confidence).abs() < 0.02, "{t}");
            assert!(!b.explanation.is_empty(), "{t}");
        }
        let p = q.predict("多少钱");
        assert_eq!(p.label, "ask_price");
        assert!(
            p.explanation
                .iter()
                .any(|f| f.feature.contains("多少") || f.feature.contains("钱")),
            "{:?}",
            p.explanation
        );
        // an explicit layout overrides the automatic one; bad bits are a config error
        let sparse = TrainConfig {
            linear_hash_bits: Some(0),
            ..cfg.clone()
        };
        let ms = train(&two, Some(&two), &sparse, &mut |_| {}).unwrap();
        assert!(matches!(
            ms.linear.as_ref().unwrap().rows,
            LinearRows::Sparse { .. }
        ));
        let bad = TrainConfig {
            linear_hash_bits: Some(30),
            ..cfg
        };
        assert!(matches!(
            train(&two, None, &bad, &mut |_| {}),
            Err(NluError::InvalidConfig(_))
        ));
    }

    #[test]
    fn rejects_bad_training_sets() {
        let cfg = TrainConfig::default();
        assert!(matches!(
            train(&[], None, &cfg, &mut |_| {}),
            Err(NluError::NoExamples)
        ));
        let one = vec![Example::new("a", "x"), Example::new("b", "x")];
        assert!(matches!(
            train(&one, None, &cfg, &mut |_| {}),
            Err(NluError::SingleLabel(_))
        ));
        let empty = vec![Example::new("a", "x"), Example::new("  ", "y")];
        assert!(matches!(
            train(&empty, None, &cfg, &mut |_| {}),
            Err(NluError::EmptyText { index: 1 })
        ));
        let bad_c = TrainConfig {
            svm_c: 0.0,
            kind: ModelKind::Linear,
            ..TrainConfig::default()
        };
        assert!(matches!(
            train(&toy(), None, &bad_c, &mut |_| {}),
            Err(NluError::InvalidConfig(_))
        ));
    }

    #[test]
    fn threshold_maps_to_fallback() {
        let data = toy();
        let cfg = TrainConfig {
            fallback_label: Some("fallback".into()),
            oos_threshold: Some(0.99),
            ..TrainConfig::default()
        };
        let m = train(&data, None, &cfg, &mut |_| {}).unwrap();
        let p = m.predict("完全无关的一句话");
        assert_eq!(p.label, "fallback");
        assert!(p.below_threshold);
    }

    #[test]
    fn threshold_choice_on_dev() {
        // two labels; the fallback examples get low confidence
        let labels = vec!["a".to_string(), "b".to_string()];
        let logits = vec![
            vec![5.0, 0.0],
            vec![0.0, 5.0],
            vec![0.1, 0.0],
            vec![0.0, 0.2],
        ];
        let dev: Vec<String> = ["a", "b", "oos", "oos"].map(String::from).to_vec();
        let t = choose_threshold(&logits, &dev, &labels, "oos", 1.0);
        assert!(t > 0.56 && t < 0.99, "{t}");
    }
}
