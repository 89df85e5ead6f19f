//! Fitting the embedding-bag component: mini-batch SGD on softmax cross-entropy, a linearly
//! decaying learning rate, feature dropout, early stopping on the dev set.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::config::{TrainConfig, TrainProgress};
use super::data::{DevSet, argmax, select_vocab, splitmix};
use crate::error::NluError;
use crate::model::{Bag, Embedding, ModelKind, Pooling, softmax_in_place};

/// The bag's parameters during training: embedding rows `E`, output layer `O` (labels × dim), bias `b`.
struct Params {
    e: Vec<f32>,
    o: Vec<f32>,
    b: Vec<f32>,
}

/// (dev accuracy, dev NLL, epoch, E, O, b) of the best epoch so far.
type Snapshot = (f32, f32, usize, Vec<f32>, Vec<f32>, Vec<f32>);
/// (h, dlogits, dh, loss, rows used) of one example.
type Grad = (Vec<f32>, Vec<f32>, Vec<f32>, f32, Vec<u32>);

/// A training text as the rows of its kept buckets, and its label.
struct Doc {
    rows: Vec<u32>,
    label: usize,
}

/// The pooled hidden vector of `rows`.
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

/// `O·h + b`.
fn logits(p: &Params, d: usize, h: &[f32]) -> Vec<f32> {
    p.o.chunks_exact(d)
        .zip(&p.b)
        .map(|(row, b)| b + row.iter().zip(h).map(|(a, x)| a * x).sum::<f32>())
        .collect()
}

/// Returns the bag component, the epochs run and the kept epoch.
#[allow(clippy::too_many_arguments)]
pub(super) fn fit_bag(
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

/// Dev accuracy and mean NLL of the current parameters (chooses the kept epoch).
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
