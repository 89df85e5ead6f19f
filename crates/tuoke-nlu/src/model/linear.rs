//! The full-rank linear component: `z = Σ_f x_f·W[f] + b` over TF-IDF features, with `W` stored
//! feature-major in f32 or int8 (one scale per label, or per feature row in version-2 files).
//! Fitted as one-vs-rest linear SVMs in `train/linear.rs` and `train/svm.rs`.

use rustc_hash::FxHashMap;

use super::rows::LinearRows;
use crate::error::NluError;
use crate::features::{Features, NamedFeature};

/// Weights of the linear component, `rows × labels` in memory and in the file (one feature's weights
/// over the labels are contiguous, so a prediction gathers one short run per feature).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LinearWeights {
    F32(Vec<f32>),
    /// int8 with one scale per row of the weight matrix `W` (labels × features), i.e. per label
    /// (`w[f][l] ≈ q[f][l] · scales[l]`): format version 3, written by
    /// [`Model::quantize`](crate::Model::quantize).
    I8PerLabel {
        q: Vec<i8>,
        scales: Vec<f32>,
    },
    /// int8 with a power-of-two scale per feature (`scales.len() == rows`): format version 2 files.
    I8PerFeature {
        q: Vec<i8>,
        scales: Vec<f32>,
    },
}

/// The full-rank linear component.
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    pub(crate) rows: LinearRows,
    /// Inverse document frequency of each row in 1/16 steps (`idf = q / 16`); features are
    /// `x_f = idf_f / ‖idf‖₂`. `None`: the idf (and a corpus constant) is folded into the weights and
    /// features are `x_f = 1/sqrt(n)` over the `n` known features of the text.
    pub(crate) idf: Option<Vec<u8>>,
    pub(crate) w: LinearWeights,
    pub(crate) bias: Vec<f32>,
    /// Factor on this component's logits.
    pub(crate) weight: f32,
}

impl Linear {
    pub(crate) fn new(
        nl: usize,
        rows: LinearRows,
        idf: Option<Vec<u8>>,
        w: LinearWeights,
        bias: Vec<f32>,
        weight: f32,
    ) -> Result<Linear, NluError> {
        let n = rows.len();
        let cells = n.checked_mul(nl);
        let w_ok = match &w {
            LinearWeights::F32(v) => Some(v.len()) == cells,
            LinearWeights::I8PerLabel { q, scales } => Some(q.len()) == cells && scales.len() == nl,
            LinearWeights::I8PerFeature { q, scales } => {
                Some(q.len()) == cells && scales.len() == n
            }
        };
        if !w_ok || idf.as_ref().is_some_and(|i| i.len() != n) || bias.len() != nl {
            return Err(NluError::Format(
                "inconsistent linear model dimensions".into(),
            ));
        }
        if !weight.is_finite() {
            return Err(NluError::Format(format!("bad component weight {weight}")));
        }
        Ok(Linear {
            rows,
            idf,
            w,
            bias,
            weight,
        })
    }

    pub(crate) fn num_rows(&self) -> usize {
        self.rows.len()
    }

    /// The feature value factor of row `r` before normalization: its idf, or 1 when folded.
    #[inline]
    fn idf_of(&self, r: u32) -> f32 {
        match &self.idf {
            Some(idf) => f32::from(idf.get(r as usize).copied().unwrap_or(0)) / IDF_STEPS,
            None => 1.0,
        }
    }

    /// Known rows of the features and the normalizer (`‖idf‖₂`, or `sqrt(n)` with folded idf).
    fn rows_and_norm(&self, features: &Features) -> (Vec<u32>, f32) {
        let mut rows = Vec::with_capacity(features.buckets.len());
        let mut ss = 0f32;
        for &b in &features.buckets {
            if let Some(r) = self.rows.row(b) {
                if self.idf.is_some() {
                    let v = self.idf_of(r);
                    ss += v * v;
                }
                rows.push(r);
            }
        }
        let norm = if self.idf.is_some() {
            ss.sqrt()
        } else {
            (rows.len() as f32).sqrt()
        };
        (rows, norm)
    }

    /// Adds `weight · (Σ x_f W[f] + b)` to `z`; returns the number of known features.
    pub(crate) fn add_logits(&self, features: &Features, z: &mut [f32]) -> usize {
        let nl = z.len();
        let (rows, norm) = self.rows_and_norm(features);
        let mut acc = vec![0f32; nl];
        if norm > 0.0 {
            match &self.w {
                LinearWeights::F32(w) => {
                    for &r in &rows {
                        let x = self.idf_of(r);
                        let r = r as usize * nl;
                        if let Some(row) = w.get(r..r + nl) {
                            for (a, v) in acc.iter_mut().zip(row) {
                                *a += x * v;
                            }
                        }
                    }
                }
                LinearWeights::I8PerFeature { q, scales } => {
                    for &r in &rows {
                        let x = self.idf_of(r) * scales.get(r as usize).copied().unwrap_or(0.0);
                        let r = r as usize * nl;
                        if let Some(row) = q.get(r..r + nl) {
                            for (a, v) in acc.iter_mut().zip(row) {
                                *a += x * f32::from(*v);
                            }
                        }
                    }
                }
                LinearWeights::I8PerLabel { q, scales } if self.idf.is_none() => {
                    // Folded idf: the features are all 1/sqrt(n), so the sum runs in integers.
                    let mut acc_i = vec![0i32; nl];
                    for &r in &rows {
                        let r = r as usize * nl;
                        if let Some(row) = q.get(r..r + nl) {
                            for (a, v) in acc_i.iter_mut().zip(row) {
                                *a += i32::from(*v);
                            }
                        }
                    }
                    for ((a, s), ai) in acc.iter_mut().zip(scales).zip(&acc_i) {
                        *a = *ai as f32 * s;
                    }
                }
                LinearWeights::I8PerLabel { q, scales } => {
                    for &r in &rows {
                        let x = self.idf_of(r);
                        let r = r as usize * nl;
                        if let Some(row) = q.get(r..r + nl) {
                            for (a, v) in acc.iter_mut().zip(row) {
                                *a += x * f32::from(*v);
                            }
                        }
                    }
                    for (a, s) in acc.iter_mut().zip(scales) {
                        *a *= s;
                    }
                }
            }
        }
        let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        for ((zi, a), b) in z.iter_mut().zip(&acc).zip(&self.bias) {
            *zi += self.weight * (a * inv + b);
        }
        rows.len()
    }

    /// The (de-scaled) weights of row `r` over the labels, for explanations.
    fn row_weights(&self, r: usize, nl: usize) -> Option<Vec<f32>> {
        let span = r.checked_mul(nl)?..(r + 1).checked_mul(nl)?;
        match &self.w {
            LinearWeights::F32(w) => w.get(span).map(<[f32]>::to_vec),
            LinearWeights::I8PerLabel { q, scales } => q.get(span).map(|row| {
                row.iter()
                    .zip(scales)
                    .map(|(&v, s)| f32::from(v) * s)
                    .collect()
            }),
            LinearWeights::I8PerFeature { q, scales } => {
                let s = scales.get(r).copied().unwrap_or(0.0);
                q.get(span)
                    .map(|row| row.iter().map(|&v| f32::from(v) * s).collect())
            }
        }
    }

    pub(crate) fn explain_into(
        &self,
        features: &Features,
        named: &[NamedFeature],
        class: usize,
        nl: usize,
        acc: &mut FxHashMap<u32, f32>,
    ) {
        let (_, norm) = self.rows_and_norm(features);
        if norm <= 0.0 {
            return;
        }
        for nf in named {
            let Some(r) = self.rows.row(nf.bucket) else {
                continue;
            };
            let x = self.idf_of(r) / norm;
            let Some(row) = self.row_weights(r as usize, nl) else {
                continue;
            };
            let Some(&wc) = row.get(class) else {
                continue;
            };
            let mean = row.iter().sum::<f32>() / nl as f32;
            let share = (wc - mean) * x * self.weight;
            *acc.entry(nf.bucket).or_insert(0.0) += share;
        }
    }
}

/// `idf` is stored in steps of 1/16.
pub(crate) const IDF_STEPS: f32 = 16.0;

/// Per-row symmetric int8 of the linear weight matrix `W` (labels × features), stored feature-major
/// (`w` is `rows × nl`): one scale per label, `max_f |w[f][l]| / 127`. No per-feature metadata, so a
/// 2-label model costs 2 bytes per feature row.
pub(crate) fn quantize_per_label(w: &[f32], nl: usize) -> LinearWeights {
    let nl = nl.max(1);
    let mut max = vec![0f32; nl];
    for row in w.chunks_exact(nl) {
        for (m, x) in max.iter_mut().zip(row) {
            if x.is_finite() {
                *m = m.max(x.abs());
            }
        }
    }
    let scales: Vec<f32> = max
        .iter()
        .map(|&m| if m > 0.0 { m / 127.0 } else { 1.0 })
        .collect();
    let mut q = Vec::with_capacity(w.len());
    for row in w.chunks_exact(nl) {
        q.extend(
            row.iter()
                .zip(&scales)
                .map(|(x, s)| (x / s).round().clamp(-127.0, 127.0) as i8),
        );
    }
    LinearWeights::I8PerLabel { q, scales }
}

/// `2^e`: the per-feature scales of version-2 int8 linear rows are stored as exponents.
pub(crate) fn pow2(e: i32) -> f32 {
    2f32.powi(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_label_quantization_round_trip() {
        // 3 feature rows × 2 labels; label 0's largest weight is 2.54, label 1's is 0.127
        let w = vec![2.54f32, 0.127, -1.0, -0.05, 0.0, 0.001];
        let LinearWeights::I8PerLabel { q, scales } = quantize_per_label(&w, 2) else {
            panic!("per-label int8 expected");
        };
        assert_eq!(scales.len(), 2);
        assert!((scales[0] - 0.02).abs() < 1e-7 && (scales[1] - 0.001).abs() < 1e-9);
        assert_eq!(q.len(), 6);
        assert_eq!((q[0], q[1]), (127, 127));
        for (i, (&x, &v)) in w.iter().zip(&q).enumerate() {
            let s = scales[i % 2];
            assert!((x - f32::from(v) * s).abs() <= s * 0.5 + 1e-7, "cell {i}");
        }
        // an all-zero label gets scale 1 and zeros; NaN is ignored for the scale
        let LinearWeights::I8PerLabel { q, scales } =
            quantize_per_label(&[0.0, 1.0, 0.0, f32::NAN], 2)
        else {
            panic!("per-label int8 expected");
        };
        assert_eq!(scales[0], 1.0);
        assert_eq!(q[0], 0);
        assert_eq!(q[1], 127);
    }
}
