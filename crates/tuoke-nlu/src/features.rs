//! Hashed sparse features: character n-grams over the normalized text, jieba words and word bigrams.
//!
//! Every feature is hashed to a `u32` bucket in `[0, 2^hash_bits)`. The hash is written here (FNV-style
//! mixing over code points + the murmur3 finalizer) rather than taken from a crate because model files
//! store bucket ids: the function must never change between versions or platforms, which general-purpose
//! hashers do not promise.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

use crate::error::NluError;
use crate::normalize::Normalizer;
use crate::polarity::Polarity;

/// Texts longer than this many chars (after normalization) are cut to it before featurization.
pub const MAX_TEXT_CHARS: usize = 4096;

/// jieba's dictionary takes ~100 ms to load: one instance per process, built on first use.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Force the shared jieba instance to load now (e.g. at server start) instead of on first use.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// What features to extract. Stored in every model file; two models can share one [`Featurizer`]
/// (features computed once) when their configs are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Smallest char n-gram (≥ 1).
    pub char_ngram_min: u8,
    /// Largest char n-gram (≤ 8); 0 disables char n-grams.
    pub char_ngram_max: u8,
    /// jieba word unigrams (Latin words come out of jieba as whole words).
    pub words: bool,
    /// Adjacent word pairs.
    pub word_bigrams: bool,
    /// Mark the text start/end so n-grams at the edges differ from inner ones.
    pub boundaries: bool,
    /// Buckets = 2^hash_bits (10..=30).
    pub hash_bits: u8,
    /// Dialect/lexicon replacement pairs applied by the normalizer (see [`Normalizer::with_lexicon`]).
    #[serde(default)]
    pub lexicon: Vec<(String, String)>,
    /// Polarity lexicon, `(entry, 1 | -1)`: its matches in the normalized text add a few `pol:*`
    /// features ([`crate::polarity`]). Empty = none; models that should share one featurizer compare
    /// their configs without it ([`FeatureConfig::without_polarity`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub polarity: Vec<(String, i8)>,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            char_ngram_min: 1,
            char_ngram_max: 3,
            words: true,
            word_bigrams: true,
            boundaries: true,
            hash_bits: 24,
            lexicon: Vec::new(),
            polarity: Vec::new(),
        }
    }
}

impl FeatureConfig {
    /// The same config with no polarity lexicon: what the features shared by several models are
    /// computed with ([`Featurizer::with_polarity`] adds a model's own lexicon features).
    pub fn without_polarity(&self) -> FeatureConfig {
        FeatureConfig {
            polarity: Vec::new(),
            ..self.clone()
        }
    }

    pub fn validate(&self) -> Result<(), NluError> {
        if !(10..=30).contains(&self.hash_bits) {
            return Err(NluError::InvalidConfig(format!(
                "hash_bits must be 10..=30, got {}",
                self.hash_bits
            )));
        }
        if self.char_ngram_max > 8 {
            return Err(NluError::InvalidConfig(
                "char_ngram_max must be <= 8".into(),
            ));
        }
        if self.char_ngram_max > 0
            && (self.char_ngram_min == 0 || self.char_ngram_min > self.char_ngram_max)
        {
            return Err(NluError::InvalidConfig(format!(
                "char n-gram range {}..={} is empty",
                self.char_ngram_min, self.char_ngram_max
            )));
        }
        if self.char_ngram_max == 0 && !self.words && !self.word_bigrams {
            return Err(NluError::InvalidConfig("no feature kind enabled".into()));
        }
        Ok(())
    }
}

/// The features of one text: the normalized text and its hashed bucket ids (duplicates removed, sorted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Features {
    pub normalized: String,
    pub buckets: Vec<u32>,
}

const BOS: u32 = 0x0002;
const EOS: u32 = 0x0003;
const SEED_CHAR: u64 = 0x9E37_79B9_7F4A_7C15;
const SEED_WORD: u64 = 0xC2B2_AE3D_27D4_EB4F;
const SEED_BIGRAM: u64 = 0x1656_67B1_9E37_79F9;
const SEED_POLARITY: u64 = 0x85EB_CA77_C2B2_AE63;

#[inline]
fn step(h: u64, c: u32) -> u64 {
    (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01B3)
}

#[inline]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// Turns text into [`Features`]. Owns the normalizer; jieba is shared process-wide.
#[derive(Debug, Clone)]
pub struct Featurizer {
    config: FeatureConfig,
    normalizer: Normalizer,
    polarity: Option<Polarity>,
}

/// One feature with its human-readable name (for explanations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFeature {
    pub bucket: u32,
    pub name: String,
}

impl Featurizer {
    pub fn new(config: &FeatureConfig) -> Result<Self, NluError> {
        config.validate()?;
        let normalizer = if config.lexicon.is_empty() {
            Normalizer::new()
        } else {
            Normalizer::with_lexicon(config.lexicon.clone())?
        };
        let polarity = if config.polarity.is_empty() {
            None
        } else {
            Some(Polarity::new(&config.polarity, &normalizer)?)
        };
        Ok(Featurizer {
            config: config.clone(),
            normalizer,
            polarity,
        })
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// Normalize `text` and extract its features.
    pub fn featurize(&self, text: &str) -> Features {
        let normalized = self.normalizer.normalize(text);
        let mut buckets = Vec::with_capacity(normalized.len() * 4);
        self.extract(&normalized, &mut |b, _| buckets.push(b), false);
        if let Some(p) = &self.polarity {
            buckets.extend(p.hits(&normalized).names().map(|n| self.polarity_bucket(n)));
        }
        buckets.sort_unstable();
        buckets.dedup();
        Features {
            normalized,
            buckets,
        }
    }

    /// `features` (computed by a featurizer of the same config without the polarity lexicon) plus
    /// this featurizer's polarity features; `None` when it has no lexicon or the text no match, so the
    /// common case copies nothing.
    pub fn with_polarity(&self, features: &Features) -> Option<Features> {
        let p = self.polarity.as_ref()?;
        let hits = p.hits(&features.normalized);
        let mut extra = hits.names().map(|n| self.polarity_bucket(n)).peekable();
        extra.peek()?;
        let mut buckets = features.buckets.clone();
        buckets.extend(extra);
        buckets.sort_unstable();
        buckets.dedup();
        Some(Features {
            normalized: features.normalized.clone(),
            buckets,
        })
    }

    fn polarity_bucket(&self, name: &str) -> u32 {
        let mut h = SEED_POLARITY;
        for c in name.chars() {
            h = step(h, u32::from(c));
        }
        self.bucket(h)
    }

    /// Features of an already normalized text, with their names (slower; for explanations).
    pub fn named_features(&self, normalized: &str) -> Vec<NamedFeature> {
        let mut out: Vec<NamedFeature> = Vec::new();
        self.extract(
            normalized,
            &mut |b, name: Option<String>| {
                out.push(NamedFeature {
                    bucket: b,
                    name: name.unwrap_or_default(),
                })
            },
            true,
        );
        if let Some(p) = &self.polarity {
            for n in p.hits(normalized).names() {
                out.push(NamedFeature {
                    bucket: self.polarity_bucket(n),
                    name: n.to_string(),
                });
            }
        }
        out.sort_by(|a, b| a.bucket.cmp(&b.bucket).then_with(|| a.name.cmp(&b.name)));
        out.dedup_by_key(|f| f.bucket);
        out
    }

    fn bucket(&self, h: u64) -> u32 {
        (fmix(h) >> (64 - u32::from(self.config.hash_bits))) as u32
    }

    fn extract(&self, normalized: &str, emit: &mut dyn FnMut(u32, Option<String>), names: bool) {
        let cfg = &self.config;
        let mut chars: Vec<u32> = Vec::with_capacity(normalized.len() + 2);
        if cfg.boundaries {
            chars.push(BOS);
        }
        chars.extend(normalized.chars().take(MAX_TEXT_CHARS).map(u32::from));
        if cfg.boundaries {
            chars.push(EOS);
        }
        let inner = if cfg.boundaries {
            chars.len().saturating_sub(2)
        } else {
            chars.len()
        };
        if inner == 0 {
            return;
        }
        if cfg.char_ngram_max > 0 {
            let nmin = usize::from(cfg.char_ngram_min);
            let nmax = usize::from(cfg.char_ngram_max);
            for i in 0..chars.len() {
                let mut h = SEED_CHAR;
                for n in 1..=nmax {
                    let Some(&c) = chars.get(i + n - 1) else {
                        break;
                    };
                    h = step(h, c);
                    if n < nmin {
                        continue;
                    }
                    // A lone boundary marker or a lone space says nothing.
                    if n == 1 && (c == BOS || c == EOS || c == 32) {
                        continue;
                    }
                    let name = if names {
                        Some(
                            chars[i..i + n]
                                .iter()
                                .map(|&u| match u {
                                    BOS => '^',
                                    EOS => '$',
                                    u => char::from_u32(u).unwrap_or('?'),
                                })
                                .collect::<String>(),
                        )
                    } else {
                        None
                    };
                    emit(self.bucket(h), name);
                }
            }
        }
        if cfg.words || cfg.word_bigrams {
            let text: String = if normalized.chars().count() > MAX_TEXT_CHARS {
                normalized.chars().take(MAX_TEXT_CHARS).collect()
            } else {
                normalized.to_string()
            };
            let tokens = JIEBA.cut(&text, true);
            let mut prev: Option<u64> = None;
            let mut prev_word: &str = "";
            for t in tokens {
                let w = t.word;
                if w.trim().is_empty() {
                    continue;
                }
                let mut h = SEED_WORD;
                for c in w.chars() {
                    h = step(h, u32::from(c));
                }
                if cfg.words {
                    emit(self.bucket(h), names.then(|| format!("w:{w}")));
                }
                if cfg.word_bigrams {
                    if let Some(p) = prev {
                        let hb = step(step(SEED_BIGRAM ^ p, 0x1F), (h >> 32) as u32) ^ h;
                        emit(self.bucket(hb), names.then(|| format!("w:{prev_word} {w}")));
                    }
                    prev = Some(h);
                    prev_word = w;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fz(cfg: FeatureConfig) -> Featurizer {
        Featurizer::new(&cfg).unwrap()
    }

    #[test]
    fn hashing_is_stable() {
        // Model files store bucket ids: this value must never change.
        let f = fz(FeatureConfig {
            char_ngram_min: 1,
            char_ngram_max: 1,
            words: false,
            word_bigrams: false,
            boundaries: false,
            hash_bits: 20,
            lexicon: vec![],
            polarity: vec![],
        });
        let a = f.featurize("a");
        assert_eq!(a.buckets.len(), 1);
        assert_eq!(a.buckets, vec![f.bucket(step(SEED_CHAR, 'a' as u32))]);
        assert_eq!(a.buckets, f.featurize("Ａ").buckets);
        assert_eq!(a.buckets[0], 582411);
    }

    #[test]
    fn counts_char_ngrams() {
        let f = fz(FeatureConfig {
            char_ngram_min: 1,
            char_ngram_max: 2,
            words: false,
            word_bigrams: false,
            boundaries: false,
            hash_bits: 30,
            lexicon: vec![],
            polarity: vec![],
        });
        // "abc": a b c ab bc = 5 distinct
        assert_eq!(f.featurize("abc").buckets.len(), 5);
        // "aaa": a, aa = 2 distinct after dedup
        assert_eq!(f.featurize("aaa").buckets.len(), 2);
        let named = f.named_features("ab");
        let mut names: Vec<_> = named.iter().map(|n| n.name.clone()).collect();
        names.sort();
        assert_eq!(names, vec!["a", "ab", "b"]);
    }

    #[test]
    fn buckets_in_range_and_mixed_text() {
        let f = fz(FeatureConfig {
            hash_bits: 12,
            ..FeatureConfig::default()
        });
        let feats = f.featurize("我想买iPhone 15 pro，多少钱？");
        assert!(!feats.buckets.is_empty());
        assert!(feats.buckets.iter().all(|&b| b < 4096));
        let named = f.named_features(&feats.normalized);
        assert!(named.iter().any(|n| n.name == "w:iphone"), "{named:?}");
        assert!(named.iter().any(|n| n.name == "w:多少"), "{named:?}");
        assert!(named.iter().any(|n| n.name == "^我"));
    }

    #[test]
    fn polarity_features_are_the_same_whichever_way_computed() {
        let plain = FeatureConfig::default();
        let with = FeatureConfig {
            polarity: vec![("开心".into(), 1), ("难过".into(), -1)],
            ..plain.clone()
        };
        assert_eq!(with.without_polarity(), plain);
        let (fp, fw) = (fz(plain), fz(with));
        let text = "今天不开心";
        let base = fp.featurize(text);
        let full = fw.featurize(text);
        assert_eq!(
            full.buckets.len(),
            base.buckets.len() + 2,
            "pol:- and pol:!+"
        );
        assert_eq!(fw.with_polarity(&base), Some(full.clone()));
        assert_eq!(fw.with_polarity(&fp.featurize("多少钱")), None);
        assert_eq!(fp.with_polarity(&base), None);
        let named = fw.named_features(&full.normalized);
        assert!(named.iter().any(|n| n.name == "pol:!+"), "{named:?}");
    }

    #[test]
    fn empty_text_has_no_features() {
        let f = fz(FeatureConfig::default());
        assert!(f.featurize("").buckets.is_empty());
        assert!(f.featurize(" \u{200B} ").buckets.is_empty());
    }

    #[test]
    fn long_text_is_capped() {
        let f = fz(FeatureConfig::default());
        let long = "价".repeat(MAX_TEXT_CHARS * 3);
        assert!(!f.featurize(&long).buckets.is_empty());
    }

    #[test]
    fn bad_config_is_rejected() {
        assert!(
            Featurizer::new(&FeatureConfig {
                hash_bits: 40,
                ..FeatureConfig::default()
            })
            .is_err()
        );
        assert!(
            Featurizer::new(&FeatureConfig {
                char_ngram_min: 3,
                char_ngram_max: 2,
                ..FeatureConfig::default()
            })
            .is_err()
        );
    }
}
