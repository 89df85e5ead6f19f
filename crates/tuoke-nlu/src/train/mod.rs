//! Training. The bag component: mini-batch SGD on softmax cross-entropy with a linearly decaying
//! learning rate (as fastText), class weights, early stopping on a dev set. The linear component:
//! one-vs-rest linear SVMs (`svm.rs`). Then, on the dev set: each component's temperature, the
//! ensemble mix, the final temperature and the OOS threshold. Without a dev set, a linear or ensemble
//! model is first fitted on 90% of the training set to choose those on the held-out 10%, then refitted
//! on all of it.
//!
//! Determinism: the per-example forward/backward passes of a mini-batch run in parallel (rayon) against
//! the same parameters; their gradients are then applied in example order on one thread. The result
//! depends only on the data, the config and the seed, never on the thread count or scheduling.
//!
//! The files, in the order a model is made: `config.rs` (what the caller sets), this file ([`train`]:
//! labels, features, the hold-out), `fit.rs` (both components on one training set), `bag.rs` and
//! `linear.rs` (each component; `svm.rs` is the linear solver), `calibrate.rs` (temperatures, mix and
//! threshold on dev); `data.rs` holds what several of them share.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::NluError;
use crate::features::Featurizer;
use crate::model::{Model, ModelKind, OosThreshold, TrainInfo};

mod bag;
mod calibrate;
mod config;
mod data;
mod fit;
mod linear;
mod svm;
#[cfg(test)]
mod tests;

use calibrate::{Calibration, calibrate};
pub use config::{
    ClassWeighting, Example, LinearNorm, TrainConfig, TrainProgress, auto_linear_hash_bits,
};
pub(crate) use data::argmax;
use data::{DevSet, splitmix};
use fit::{Fitted, fit_components, fit_linear_all};

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
    if !cfg.oos_score.from_logits() {
        return Err(NluError::InvalidConfig(format!(
            "out-of-scope score {} cannot be stored in a model (only confidence, max_logit, energy, margin)",
            cfg.oos_score
        )));
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
                score: cfg.oos_score,
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
