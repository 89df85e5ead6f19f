//! The embedding-bag component: hashed feature buckets → embedding rows (f32, or int8 with a scale
//! per row), pooled (`1/n` or `1/sqrt(n)`) into `h`, then `z = O·h + b`. Trained by SGD in
//! `train/bag.rs`.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::rows::row_map;
use crate::error::NluError;
use crate::features::{Features, NamedFeature};

/// Embedding rows, f32 or int8 with a scale per row (`value ≈ q as f32 * scale`).
#[derive(Debug, Clone, PartialEq)]
pub enum Embedding {
    F32(Vec<f32>),
    I8 { q: Vec<i8>, scales: Vec<f32> },
}

/// How the embedding rows of a text are combined: `h = scale(n) * Σ E[f]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// `1/n` (fastText).
    #[default]
    Mean,
    /// `1/sqrt(n)`: longer texts keep more signal (like an L2-normalized bag of words).
    Sqrt,
}

impl Pooling {
    pub fn scale(self, n: usize) -> f32 {
        if n == 0 {
            return 0.0;
        }
        match self {
            Pooling::Mean => 1.0 / n as f32,
            Pooling::Sqrt => 1.0 / (n as f32).sqrt(),
        }
    }
}

/// The embedding-bag component.
#[derive(Debug, Clone)]
pub(crate) struct Bag {
    pub(crate) dim: usize,
    /// Bucket id of each row, ascending.
    pub(crate) row_buckets: Vec<u32>,
    pub(crate) rows: FxHashMap<u32, u32>,
    pub(crate) emb: Embedding,
    /// `labels × dim`, row-major by label.
    pub(crate) out: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    pub(crate) pooling: Pooling,
    /// Factor on this component's logits.
    pub(crate) weight: f32,
}

impl Bag {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        nl: usize,
        dim: usize,
        row_buckets: Vec<u32>,
        emb: Embedding,
        out: Vec<f32>,
        bias: Vec<f32>,
        pooling: Pooling,
        weight: f32,
    ) -> Result<Bag, NluError> {
        let n = row_buckets.len();
        let emb_ok = match &emb {
            Embedding::F32(v) => Some(v.len()) == n.checked_mul(dim),
            Embedding::I8 { q, scales } => Some(q.len()) == n.checked_mul(dim) && scales.len() == n,
        };
        if dim == 0 || !emb_ok || Some(out.len()) != nl.checked_mul(dim) || bias.len() != nl {
            return Err(NluError::Format("inconsistent model dimensions".into()));
        }
        if !weight.is_finite() {
            return Err(NluError::Format(format!("bad component weight {weight}")));
        }
        Ok(Bag {
            dim,
            rows: row_map(&row_buckets),
            row_buckets,
            emb,
            out,
            bias,
            pooling,
            weight,
        })
    }

    /// Pooled hidden vector and the number of known features.
    fn hidden(&self, features: &Features) -> (Vec<f32>, usize) {
        let d = self.dim;
        let mut h = vec![0f32; d];
        let mut n = 0usize;
        match &self.emb {
            Embedding::F32(e) => {
                for b in &features.buckets {
                    if let Some(&r) = self.rows.get(b) {
                        let r = r as usize * d;
                        if let Some(row) = e.get(r..r + d) {
                            for (x, w) in h.iter_mut().zip(row) {
                                *x += *w;
                            }
                            n += 1;
                        }
                    }
                }
            }
            Embedding::I8 { q, scales } => {
                for b in &features.buckets {
                    if let Some(&r) = self.rows.get(b) {
                        let s = scales.get(r as usize).copied().unwrap_or(0.0);
                        let r = r as usize * d;
                        if let Some(row) = q.get(r..r + d) {
                            for (x, w) in h.iter_mut().zip(row) {
                                *x += s * f32::from(*w);
                            }
                            n += 1;
                        }
                    }
                }
            }
        }
        if n > 0 {
            let inv = self.pooling.scale(n);
            for x in &mut h {
                *x *= inv;
            }
        }
        (h, n)
    }

    /// Adds `weight · (O·h + b)` to `z`; returns the number of known features.
    pub(crate) fn add_logits(&self, features: &Features, z: &mut [f32]) -> usize {
        let (h, n) = self.hidden(features);
        for ((zi, row), b) in z
            .iter_mut()
            .zip(self.out.chunks_exact(self.dim))
            .zip(&self.bias)
        {
            *zi += self.weight * (b + row.iter().zip(&h).map(|(a, x)| a * x).sum::<f32>());
        }
        n
    }

    /// Logit-margin share of each named feature for `class` (relative to the mean label).
    pub(crate) fn explain_into(
        &self,
        named: &[NamedFeature],
        class: usize,
        nl: usize,
        n: usize,
        acc: &mut FxHashMap<u32, f32>,
    ) {
        let d = self.dim;
        let mut dir = vec![0f32; d];
        for row in self.out.chunks_exact(d) {
            for (x, w) in dir.iter_mut().zip(row) {
                *x -= w / nl as f32;
            }
        }
        if let Some(row) = self.out.get(class * d..(class + 1) * d) {
            for (x, w) in dir.iter_mut().zip(row) {
                *x += w;
            }
        }
        let k = self.pooling.scale(n) * self.weight;
        for nf in named {
            let Some(&r) = self.rows.get(&nf.bucket) else {
                continue;
            };
            let r = r as usize;
            let dot: f32 = match &self.emb {
                Embedding::F32(e) => e
                    .get(r * d..(r + 1) * d)
                    .map(|row| row.iter().zip(&dir).map(|(a, b)| a * b).sum())
                    .unwrap_or(0.0),
                Embedding::I8 { q, scales } => {
                    let s = scales.get(r).copied().unwrap_or(0.0);
                    q.get(r * d..(r + 1) * d)
                        .map(|row| {
                            row.iter()
                                .zip(&dir)
                                .map(|(a, b)| f32::from(*a) * b)
                                .sum::<f32>()
                                * s
                        })
                        .unwrap_or(0.0)
                }
            };
            *acc.entry(nf.bucket).or_insert(0.0) += dot * k;
        }
    }
}

/// Per-row symmetric int8: every row is scaled by `max|x| / 127` and rounded.
pub(crate) fn quantize_rows(e: &[f32], width: usize) -> Embedding {
    let mut q = Vec::with_capacity(e.len());
    let mut scales = Vec::with_capacity(e.len() / width.max(1));
    for row in e.chunks_exact(width.max(1)) {
        let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        scales.push(scale);
        q.extend(
            row.iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
        );
    }
    Embedding::I8 { q, scales }
}
