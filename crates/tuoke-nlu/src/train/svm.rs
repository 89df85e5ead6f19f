//! The full-rank linear component: one-vs-rest L2-regularized L2-loss (squared hinge) linear SVMs over
//! TF-IDF, L2-normalized binary features, solved in the dual by coordinate descent with shrinking.
//!
//! This is liblinear's default solver (Hsieh et al., ICML 2008, "A dual coordinate descent method for
//! large-scale linear SVM"; `solve_l2r_l1l2_svc` in liblinear) — the same model as scikit-learn's
//! `LinearSVC`, the TF-IDF + linear-SVM baseline of the benchmarks. It is written here because no
//! maintained pure-Rust crate offers it over our hashed sparse rows without copying them into its own
//! dense types (linfa-svm is kernel SMO, far slower on 100k+ sparse features). The bias is an extra
//! constant feature of value 1, regularized like the rest, as liblinear's `-B 1`.
//!
//! Determinism: the labels' binary problems are independent and run in parallel (rayon); each one
//! shuffles with its own seeded RNG, so the weights depend only on data, config and seed.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::config::LinearNorm;
use super::data::splitmix;
use crate::model::IDF_STEPS;

/// Compressed sparse rows: document `i` has features `idx[ptr[i]..ptr[i+1]]` with values `val[..]`.
pub(crate) struct Csr {
    pub(crate) ptr: Vec<usize>,
    pub(crate) idx: Vec<u32>,
    pub(crate) val: Vec<f32>,
    /// The corpus constant `c` of [`LinearNorm::Sqrt`] (1 with [`LinearNorm::L2`]).
    pub(crate) sqrt_norm_c: f32,
}

impl Csr {
    /// Rows of each document (already mapped to the component's row ids) → TF-IDF values, normalized
    /// as `norm` says.
    pub(crate) fn build(docs: &[Vec<u32>], idf: &[u8], norm: LinearNorm) -> Csr {
        let idf_of = |r: u32| f32::from(idf.get(r as usize).copied().unwrap_or(0)) / IDF_STEPS;
        // c² = mean over the documents of (Σ idf²)/n.
        let sqrt_norm_c = match norm {
            LinearNorm::L2 => 1.0,
            LinearNorm::Sqrt => {
                let (mut sum, mut count) = (0f64, 0usize);
                for d in docs.iter().filter(|d| !d.is_empty()) {
                    let ss: f64 = d.iter().map(|&r| f64::from(idf_of(r)).powi(2)).sum();
                    sum += ss / d.len() as f64;
                    count += 1;
                }
                if count > 0 && sum > 0.0 {
                    (sum / count as f64).sqrt() as f32
                } else {
                    1.0
                }
            }
        };
        let mut ptr = Vec::with_capacity(docs.len() + 1);
        let total: usize = docs.iter().map(Vec::len).sum();
        let mut idx = Vec::with_capacity(total);
        let mut val = Vec::with_capacity(total);
        ptr.push(0);
        for d in docs {
            let start = val.len();
            for &r in d {
                idx.push(r);
                val.push(idf_of(r));
            }
            let div = match norm {
                LinearNorm::L2 => val[start..].iter().map(|v| v * v).sum::<f32>().sqrt(),
                LinearNorm::Sqrt => sqrt_norm_c * (d.len() as f32).sqrt(),
            };
            if div > 0.0 {
                val[start..].iter_mut().for_each(|v| *v /= div);
            }
            ptr.push(val.len());
        }
        Csr {
            ptr,
            idx,
            val,
            sqrt_norm_c,
        }
    }

    fn len(&self) -> usize {
        self.ptr.len().saturating_sub(1)
    }
}

/// Solver settings.
pub(crate) struct SvmParams {
    /// Regularization: larger C fits the training data harder.
    pub(crate) c: f32,
    /// Stopping tolerance on the projected-gradient spread (liblinear's default 0.1).
    pub(crate) eps: f32,
    pub(crate) max_iter: usize,
    pub(crate) seed: u64,
}

/// Fit one binary SVM per label. Returns the weights `features × labels` (row-major by feature) and
/// the bias of every label.
pub(crate) fn fit_ovr(
    x: &Csr,
    labels: &[usize],
    example_weight: &[f32],
    nl: usize,
    nf: usize,
    p: &SvmParams,
) -> (Vec<f32>, Vec<f32>) {
    let cols: Vec<(Vec<f32>, f32)> = (0..nl)
        .into_par_iter()
        .map(|k| solve_binary(x, labels, example_weight, k, nf, p))
        .collect();
    let mut w = vec![0f32; nf * nl];
    let mut bias = vec![0f32; nl];
    for (k, (col, b)) in cols.into_iter().enumerate() {
        for (f, v) in col.into_iter().enumerate() {
            w[f * nl + k] = v;
        }
        bias[k] = b;
    }
    (w, bias)
}

/// Dual coordinate descent for `min ½‖w‖² + Σ C_i max(0, 1 − y_i w·x_i)²` (label `k` vs the rest).
fn solve_binary(
    x: &Csr,
    labels: &[usize],
    example_weight: &[f32],
    k: usize,
    nf: usize,
    p: &SvmParams,
) -> (Vec<f32>, f32) {
    let n = x.len();
    let mut w = vec![0f32; nf];
    let mut b = 0f32;
    let mut alpha = vec![0f32; n];
    let y: Vec<f32> = labels
        .iter()
        .map(|&l| if l == k { 1.0 } else { -1.0 })
        .collect();
    // L2 loss: the dual has no upper bound and a diagonal term 1/(2 C_i).
    let diag: Vec<f32> = (0..n)
        .map(|i| 0.5 / (p.c * example_weight.get(i).copied().unwrap_or(1.0)).max(1e-6))
        .collect();
    let qd: Vec<f32> = (0..n)
        .map(|i| {
            let s: f32 = x.val[x.ptr[i]..x.ptr[i + 1]].iter().map(|v| v * v).sum();
            s + 1.0 + diag[i]
        })
        .collect();
    let mut index: Vec<u32> = (0..n as u32).collect();
    let mut active = n;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ splitmix(k as u64 + 1));
    // (liblinear's PGmin_old is only needed with an upper bound on the duals, which L2 loss lacks.)
    let mut pg_max_old = f32::INFINITY;
    for _ in 0..p.max_iter {
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        index[..active].shuffle(&mut rng);
        let mut s = 0usize;
        while s < active {
            let i = index[s] as usize;
            let (lo, hi) = (x.ptr[i], x.ptr[i + 1]);
            let mut dot = b;
            for (&f, &v) in x.idx[lo..hi].iter().zip(&x.val[lo..hi]) {
                dot += w[f as usize] * v;
            }
            let yi = y[i];
            let g = yi * dot - 1.0 + alpha[i] * diag[i];
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    // Shrink: a zero dual variable whose gradient stays positive will not move.
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * yi;
                for (&f, &v) in x.idx[lo..hi].iter().zip(&x.val[lo..hi]) {
                    w[f as usize] += d * v;
                }
                b += d;
            }
            s += 1;
        }
        if pg_max - pg_min <= p.eps {
            if active == n {
                break;
            }
            // Converged on the active set: check every example once more.
            active = n;
            pg_max_old = f32::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f32::INFINITY } else { pg_max };
    }
    (w, b)
}

/// Smoothed inverse document frequency `ln((1+N)/(1+df)) + 1` in 1/16 steps (scikit-learn's formula).
pub(crate) fn idf_q(n_docs: usize, df: u32) -> u8 {
    let idf = ((1.0 + n_docs as f64) / (1.0 + f64::from(df))).ln() + 1.0;
    (idf * f64::from(IDF_STEPS)).round().clamp(1.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_a_toy_problem() {
        // features 0,1 → label 0; features 2,3 → label 1; feature 4 everywhere
        let docs = vec![
            vec![0, 4],
            vec![1, 4],
            vec![0, 1, 4],
            vec![2, 4],
            vec![3, 4],
            vec![2, 3, 4],
        ];
        let labels = vec![0, 0, 0, 1, 1, 1];
        let idf = vec![16u8; 5];
        let x = Csr::build(&docs, &idf, LinearNorm::L2);
        let p = SvmParams {
            c: 1.0,
            eps: 0.01,
            max_iter: 100,
            seed: 1,
        };
        let (w, b) = fit_ovr(&x, &labels, &[1.0; 6], 2, 5, &p);
        for (i, d) in docs.iter().enumerate() {
            let score = |k: usize| -> f32 {
                let (lo, hi) = (x.ptr[i], x.ptr[i + 1]);
                b[k] + x.idx[lo..hi]
                    .iter()
                    .zip(&x.val[lo..hi])
                    .map(|(&f, v)| w[f as usize * 2 + k] * v)
                    .sum::<f32>()
            };
            let pred = usize::from(score(1) > score(0));
            assert_eq!(pred, labels[i], "doc {d:?}");
        }
        // the shared feature carries (almost) no weight towards either label
        assert!(w[4 * 2].abs() < w[0].abs());
        // deterministic
        assert_eq!(fit_ovr(&x, &labels, &[1.0; 6], 2, 5, &p).0, w);
    }

    #[test]
    fn feature_values_by_normalization() {
        let docs = vec![vec![0, 1], vec![1, 2, 3, 0]];
        let idf = vec![16u8, 32, 48, 16]; // 1, 2, 3, 1
        let l2 = Csr::build(&docs, &idf, LinearNorm::L2);
        let n0 = 5f32.sqrt();
        assert!((l2.val[0] - 1.0 / n0).abs() < 1e-6 && (l2.val[1] - 2.0 / n0).abs() < 1e-6);
        assert_eq!(l2.sqrt_norm_c, 1.0);
        let sq = Csr::build(&docs, &idf, LinearNorm::Sqrt);
        // c² = mean((1+4)/2, (4+9+1+1)/4) = (2.5 + 3.75) / 2
        let c = 3.125f32.sqrt();
        assert!((sq.sqrt_norm_c - c).abs() < 1e-6);
        assert!((sq.val[1] - 2.0 / (c * 2f32.sqrt())).abs() < 1e-6);
        assert!((sq.val[3] - 3.0 / (c * 2.0)).abs() < 1e-6);
        assert_eq!(sq.ptr, vec![0, 2, 6]);
    }

    #[test]
    fn idf_is_smoothed_and_quantized() {
        assert_eq!(idf_q(9, 9), 16); // ln(1) + 1 = 1
        assert_eq!(idf_q(9, 0), ((10f64.ln() + 1.0) * 16.0).round() as u8);
        assert!(idf_q(1_000_000_000, 0) == 255 || idf_q(1_000_000_000, 0) > 200);
    }
}
