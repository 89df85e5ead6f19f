//! Similarity of a text to the in-scope training texts in the hashed feature space.
//!
//! A text is the set of its feature buckets, weighted by `idf(b) = ln((N+1)/(df(b)+1)) + 1` over the
//! `N` training texts (a bucket never seen in training gets the largest idf, so novel words pull a
//! text away from everything) and L2-normalized. [`Centroids`] keeps one unit-length centroid per
//! label (the normalized sum of its texts' vectors, at most `max_per_label` largest entries), and
//! scores a text by its cosine to the nearest centroid; [`Knn`] keeps every training vector and
//! scores by the mean cosine to the `k` nearest.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Unique buckets of a text, ascending.
fn unique(buckets: &[u32]) -> Vec<u32> {
    let mut v = buckets.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

/// Document frequencies and the idf of an unseen bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Idf {
    idf: FxHashMap<u32, f32>,
    unseen: f32,
}

impl Idf {
    fn fit<'a>(docs: impl Iterator<Item = &'a [u32]>) -> Idf {
        let mut df: FxHashMap<u32, u32> = FxHashMap::default();
        let mut n = 0usize;
        for d in docs {
            n += 1;
            for b in unique(d) {
                *df.entry(b).or_insert(0) += 1;
            }
        }
        let nf = n as f32 + 1.0;
        Idf {
            idf: df
                .into_iter()
                .map(|(b, c)| (b, (nf / (c as f32 + 1.0)).ln() + 1.0))
                .collect(),
            unseen: nf.ln() + 1.0,
        }
    }

    /// The unit TF-IDF vector of a text: (bucket, weight) for its unique buckets.
    fn vector(&self, buckets: &[u32]) -> Vec<(u32, f32)> {
        let mut v: Vec<(u32, f32)> = unique(buckets)
            .into_iter()
            .map(|b| (b, self.idf.get(&b).copied().unwrap_or(self.unseen)))
            .collect();
        let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|(_, w)| *w /= norm);
        }
        v
    }
}

/// One unit centroid per label over the hashed features, as an inverted index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Centroids {
    idf: Idf,
    labels: usize,
    /// bucket → (label, centroid weight).
    postings: FxHashMap<u32, Vec<(u32, f32)>>,
}

impl Centroids {
    /// Fit on training texts given as (buckets, label index < `labels`), keeping the
    /// `max_per_label` largest entries of each centroid (0 = all).
    pub fn fit(docs: &[(Vec<u32>, usize)], labels: usize, max_per_label: usize) -> Centroids {
        let idf = Idf::fit(docs.iter().map(|(b, _)| b.as_slice()));
        let mut sums: Vec<FxHashMap<u32, f32>> = vec![FxHashMap::default(); labels];
        for (b, l) in docs {
            if let Some(s) = sums.get_mut(*l) {
                for (bucket, w) in idf.vector(b) {
                    *s.entry(bucket).or_insert(0.0) += w;
                }
            }
        }
        let mut postings: FxHashMap<u32, Vec<(u32, f32)>> = FxHashMap::default();
        for (l, s) in sums.into_iter().enumerate() {
            let mut entries: Vec<(u32, f32)> = s.into_iter().collect();
            entries.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            if max_per_label > 0 {
                entries.truncate(max_per_label);
            }
            let norm = entries.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm <= 0.0 {
                continue;
            }
            for (b, w) in entries {
                postings.entry(b).or_default().push((l as u32, w / norm));
            }
        }
        Centroids {
            idf,
            labels,
            postings,
        }
    }

    /// Cosine to every label's centroid.
    pub fn cosines(&self, buckets: &[u32]) -> Vec<f32> {
        let mut dots = vec![0f32; self.labels];
        for (b, w) in self.idf.vector(buckets) {
            if let Some(p) = self.postings.get(&b) {
                for &(l, c) in p {
                    if let Some(d) = dots.get_mut(l as usize) {
                        *d += w * c;
                    }
                }
            }
        }
        dots
    }

    /// Cosine to the nearest centroid (0 for a text with no features).
    pub fn score(&self, buckets: &[u32]) -> f32 {
        self.cosines(buckets).into_iter().fold(0f32, f32::max)
    }

    /// Number of stored (bucket, label) entries.
    pub fn entries(&self) -> usize {
        self.postings.values().map(Vec::len).sum()
    }
}

/// Every training vector, as an inverted index (evaluation only).
#[derive(Debug, Clone)]
pub struct Knn {
    idf: Idf,
    docs: usize,
    k: usize,
    postings: FxHashMap<u32, Vec<(u32, f32)>>,
}

impl Knn {
    pub fn fit(docs: &[Vec<u32>], k: usize) -> Knn {
        let idf = Idf::fit(docs.iter().map(Vec::as_slice));
        let mut postings: FxHashMap<u32, Vec<(u32, f32)>> = FxHashMap::default();
        for (i, d) in docs.iter().enumerate() {
            for (b, w) in idf.vector(d) {
                postings.entry(b).or_default().push((i as u32, w));
            }
        }
        Knn {
            idf,
            docs: docs.len(),
            k: k.max(1),
            postings,
        }
    }

    /// Mean cosine to the `k` nearest training texts.
    pub fn score(&self, buckets: &[u32]) -> f32 {
        let mut dots = vec![0f32; self.docs];
        for (b, w) in self.idf.vector(buckets) {
            if let Some(p) = self.postings.get(&b) {
                for &(i, c) in p {
                    if let Some(d) = dots.get_mut(i as usize) {
                        *d += w * c;
                    }
                }
            }
        }
        let k = self.k.min(dots.len());
        if k == 0 {
            return 0.0;
        }
        dots.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        dots[..k].iter().sum::<f32>() / k as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearer_texts_score_higher() {
        let docs = vec![
            (vec![1, 2, 3], 0),
            (vec![1, 2, 4], 0),
            (vec![10, 11, 12], 1),
            (vec![10, 11, 13], 1),
        ];
        let c = Centroids::fit(&docs, 2, 0);
        let cos = c.cosines(&[1, 2, 3]);
        assert!(cos[0] > 0.5 && cos[1] == 0.0, "{cos:?}");
        // A text of unseen buckets is far from everything.
        assert_eq!(c.score(&[100, 101]), 0.0);
        assert!(c.score(&[1, 2, 100]) < c.score(&[1, 2, 3]));
        let knn = Knn::fit(&docs.iter().map(|d| d.0.clone()).collect::<Vec<_>>(), 1);
        assert!((knn.score(&[10, 11, 12]) - 1.0).abs() < 1e-5);
        assert_eq!(knn.score(&[100]), 0.0);
        // Pruning keeps at most that many entries per label.
        assert!(Centroids::fit(&docs, 2, 2).entries() <= 4);
    }
}
