//! Fitting the two components: the linear SVMs over TF-IDF rows and the embedding bag (SGD).

use super::calibrate::{argmax, dev_score};
use super::*;

pub(super) fn fit_linear(
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

/// Per-example logits of one component (weight as set), for the dev set.
pub(super) fn component_logits(
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

pub(super) fn accuracy(logits: &[Vec<f32>], dd: &[(Vec<u32>, Option<usize>)]) -> f32 {
    let ok = logits
        .iter()
        .zip(dd)
        .filter(|(z, (_, g))| *g == Some(argmax(z)))
        .count();
    ok as f32 / dd.len().max(1) as f32
}
