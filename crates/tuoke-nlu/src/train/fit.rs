//! Fitting the components a [`TrainConfig`] asks for on one training set: the linear SVMs on their
//! own thread next to the bag's SGD.

use rustc_hash::FxHashMap;

use super::bag::fit_bag;
use super::config::{TrainConfig, TrainProgress};
use super::data::{DevSet, class_weights};
use super::linear::fit_linear;
use crate::error::NluError;
use crate::model::{Bag, Linear, ModelKind};

/// The fitted components (weights not yet set by the calibration) and the bag's epochs.
pub(super) struct Fitted {
    pub(super) bag: Option<Bag>,
    pub(super) linear: Option<Linear>,
    pub(super) epochs_run: usize,
    pub(super) best_epoch: usize,
}

/// Fits the components `cfg.kind` asks for on `feats` (document frequencies and class weights
/// computed here); the bag stops early on `dev` when given.
pub(super) fn fit_components(
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
pub(super) fn fit_linear_all(
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
