//! On the dev set: component temperatures, the ensemble mix, the final temperature and the
//! out-of-scope threshold.

use rayon::prelude::*;

use super::config::TrainConfig;
use super::data::{DevSet, argmax};
use super::fit::Fitted;
use crate::features::Features;
use crate::model::{OosThreshold, softmax_in_place};
use crate::oos::{LogitScores, OosScore};

/// What the dev set chose: the component weights, the temperature, the threshold, and the dev
/// accuracy of the result.
pub(super) struct Calibration {
    pub(super) w_bag: f32,
    pub(super) w_lin: f32,
    pub(super) temperature: f32,
    pub(super) oos: Option<OosThreshold>,
    pub(super) dev_accuracy: Option<f32>,
}

/// Component weights, temperature and threshold on the dev (or hold-out) set. With two components
/// each is first scaled by its own inverse temperature; the mix `λ·bag + (1−λ)·linear` is the λ on a
/// 0.1 grid with the lowest dev NLL (after its own temperature fit).
pub(super) fn calibrate(
    fitted: &Fitted,
    dev: &DevSet,
    labels: &[String],
    cfg: &TrainConfig,
) -> Calibration {
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
        threshold: cfg.oos_threshold.unwrap_or_else(|| {
            choose_threshold(&combined, &dev.gold, labels, fb, temperature, cfg.oos_score)
        }),
        score: cfg.oos_score,
    });
    Calibration {
        w_bag,
        w_lin,
        temperature,
        oos,
        dev_accuracy: Some(accuracy(&combined, dd)),
    }
}

/// A mix must lower the dev NLL by this fraction of the better single component's NLL to be
/// kept; otherwise that component alone is kept and the other dropped. On ChnSentiCorp the best
/// mix (λ = 0.1) was 0.12 % better than the linear model alone, at 40× the model size and the
/// same test accuracy; on BANKING77 and SMP2017 mixes gain 7–12 % (docs/benchmarks.md).
pub(super) const MIN_MIX_GAIN: f32 = 0.01;

/// The λ to use from `(λ, dev NLL)` pairs of a grid that includes λ = 0 (linear only) and
/// λ = 1 (bag only): the lowest NLL, unless a single component is within [`MIN_MIX_GAIN`].
pub(super) fn choose_mix(grid: &[(f32, f32)]) -> f32 {
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

pub(super) fn nll_at(logits: &[Vec<f32>], dd: &[(Vec<u32>, Option<usize>)], t: f32) -> f32 {
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
pub(super) fn fit_temperature(logits: &[Vec<f32>], dd: &[(Vec<u32>, Option<usize>)]) -> f32 {
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

/// Pick the threshold of `score` on dev. If dev has examples of the fallback label, maximize the dev
/// accuracy where "below threshold ⇒ fallback"; otherwise reject at most 1% of the correctly
/// classified dev examples.
pub(super) fn choose_threshold(
    logits: &[Vec<f32>],
    gold: &[String],
    labels: &[String],
    fallback: &str,
    t: f32,
    score: OosScore,
) -> f32 {
    let rows: Vec<(f32, bool, bool)> = logits
        .iter()
        .zip(gold)
        .map(|(z, g)| {
            let s = LogitScores::from_logits(z, t);
            let a = argmax(z);
            let pred = labels.get(a).map(String::as_str).unwrap_or("");
            (
                s.get(score).unwrap_or(s.confidence),
                pred == g,
                g == fallback,
            )
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
        let v = ok.get(k).copied().unwrap_or(0.0);
        // Just below the k-th smallest score, so that it is kept.
        if score == OosScore::Confidence {
            v * 0.999
        } else {
            v - 1e-3 * v.abs().max(1e-3)
        }
    }
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
