//! What the fitters and the calibration share: the featurized dev set, the vocabulary a component
//! keeps, the class weights, the seeded hash that picks dropped features and examples, and argmax.

use rustc_hash::FxHashMap;

use super::config::ClassWeighting;

/// Featurized dev (or hold-out) examples: (buckets, label index if known) and the gold label strings.
pub(super) struct DevSet {
    pub(super) docs: Vec<(Vec<u32>, Option<usize>)>,
    pub(super) gold: Vec<String>,
}

/// Buckets seen in at least `min_count` texts, at most `max` of them (most frequent first), ascending.
pub(super) fn select_vocab(df: &FxHashMap<u32, u32>, min_count: u32, max: usize) -> Vec<u32> {
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

pub(super) fn class_weights(y: &[usize], nl: usize, weighting: ClassWeighting) -> Vec<f32> {
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

/// SplitMix64 finalizer: a cheap, seedable, platform-independent hash for feature dropout (also
/// picks the polarity-dropout examples and seeds each label's SVM).
pub(super) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Index of the largest value (the first on ties).
pub(crate) fn argmax(z: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in z.iter().enumerate() {
        if *v > z[best] {
            best = i;
        }
    }
    best
}
