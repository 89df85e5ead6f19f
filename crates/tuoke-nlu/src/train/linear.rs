//! Fitting the linear component: its rows (sparse kept buckets or a hashed table), the idf of each
//! row, the one-vs-rest SVMs (`svm.rs`) and, with [`LinearNorm::Sqrt`], the idf folded into the
//! weights.

use rustc_hash::FxHashMap;

use super::config::{LinearNorm, TrainConfig};
use super::data::select_vocab;
use super::svm::{Csr, SvmParams, fit_ovr, idf_q};
use crate::error::NluError;
use crate::model::{
    HashedRows, LINEAR_HASH_BITS, Linear, LinearRows, LinearWeights, hashed_row, row_map,
};

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
