//! Polarity-lexicon features: a model's own word list of positive and negative words, matched in the
//! normalized text, becomes a handful of extra features whose weights are learned like any other.
//!
//! Each lexicon entry found (leftmost-longest, non-overlapping; Latin entries only between word
//! boundaries; one-char CJK entries are not matched, "美" would fire inside "美国") has a sign. When a
//! negator stands just before it ("不满意", "一点都不开心", "not happy", "唔开心") the sign is flipped.
//! The features are the effective signs present (`pol:+`, `pol:-`), two or more of one sign (`pol:++`,
//! `pol:--`) and the negated raw signs (`pol:!+`, `pol:!-`), so the model learns how much a
//! lexicon hit and a negation are worth from its training data instead of from a hand-set rule.
//!
//! The names are hashed into the same bucket space as the n-grams (with their own seed), so a model
//! with a lexicon stores its weights like any feature, and a model without one never sees them.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::error::NluError;
use crate::normalize::Normalizer;

/// Chinese negators: right before a match, or before at most two [`ZH_FILLERS`] ("不太满意").
const ZH_NEGATORS: &[char] = &['不', '没', '别', '未', '唔', '冇', '勿', '莫'];
/// Degree words and the like that may stand between a negator and the word ("不是很好", "没那么开心").
const ZH_FILLERS: &[char] = &[
    '很', '太', '都', '也', '是', '那', '么', '怎', '够', '再', '有',
];
/// Words in which a negator char does not negate ("不过很好", "特别麻烦", "别人好").
const ZH_NOT_NEGATING: &[&str] = &[
    "不过", "不仅", "不但", "不管", "不论", "不断", "不少", "不愧", "不禁", "要不", "差不", "别人",
    "别的", "特别", "分别", "区别", "告别", "差别", "级别", "类别", "性别", "个别", "识别", "离别",
    "未来", "没准", "莫名",
];
/// English negators among the three words before a match (the text is lower-cased).
const EN_NEGATORS: &[&str] = &[
    "not", "no", "never", "nothing", "hardly", "isnt", "arent", "wasnt", "werent", "dont",
    "doesnt", "didnt", "cant", "couldnt", "wont", "wouldnt", "havent", "hasnt", "aint",
];

/// The matcher of one lexicon.
#[derive(Debug, Clone)]
pub(crate) struct Polarity {
    matcher: AhoCorasick,
    signs: Vec<i8>,
}

/// What one text's lexicon matches add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Hits {
    pub pos: u8,
    pub neg: u8,
    pub negated_pos: bool,
    pub negated_neg: bool,
}

impl Hits {
    /// The feature names of these hits (see the module docs).
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> {
        [
            (self.pos >= 1, "pol:+"),
            (self.neg >= 1, "pol:-"),
            (self.pos >= 2, "pol:++"),
            (self.neg >= 2, "pol:--"),
            (self.negated_pos, "pol:!+"),
            (self.negated_neg, "pol:!-"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{3400}'..='\u{9FFF}').contains(&c) || ('\u{20000}'..='\u{2FFFF}').contains(&c)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '\''
}

impl Polarity {
    /// From `(entry, sign)` pairs; entries are normalized like the text, signs must be ±1; one-char CJK
    /// entries are skipped; a later duplicate wins.
    pub(crate) fn new(entries: &[(String, i8)], normalizer: &Normalizer) -> Result<Self, NluError> {
        let mut by_key: std::collections::BTreeMap<String, i8> = Default::default();
        for (word, sign) in entries {
            if *sign != 1 && *sign != -1 {
                return Err(NluError::InvalidConfig(format!(
                    "polarity of {word:?} must be 1 or -1, got {sign}"
                )));
            }
            let key = normalizer.normalize(word);
            let mut cs = key.chars();
            let one_cjk = matches!((cs.next(), cs.next()), (Some(c), None) if is_cjk(c));
            if key.is_empty() || one_cjk {
                continue;
            }
            by_key.insert(key, *sign);
        }
        if by_key.is_empty() {
            return Err(NluError::InvalidConfig(
                "polarity lexicon has no usable entry".into(),
            ));
        }
        let (keys, signs): (Vec<String>, Vec<i8>) = by_key.into_iter().unzip();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&keys)
            .map_err(|e| NluError::InvalidConfig(format!("polarity lexicon: {e}")))?;
        Ok(Polarity { matcher, signs })
    }

    /// The lexicon hits of a normalized text.
    pub(crate) fn hits(&self, text: &str) -> Hits {
        let mut h = Hits::default();
        for m in self.matcher.find_iter(text) {
            let (before, rest) = text.split_at(m.start());
            let matched = &rest[..m.len()];
            let first = matched.chars().next().unwrap_or(' ');
            let latin = first.is_ascii_alphanumeric();
            if latin
                && (before.chars().next_back().is_some_and(is_word_char)
                    || rest[m.len()..].chars().next().is_some_and(is_word_char))
            {
                continue;
            }
            // An entry that starts with a negator ("不好", "没用") is negated already.
            let negated = if latin {
                en_negated(before)
            } else {
                !ZH_NEGATORS.contains(&first) && zh_negated(before)
            };
            let sign = self.signs.get(m.pattern().as_usize()).copied().unwrap_or(1);
            if negated {
                if sign > 0 {
                    h.negated_pos = true;
                } else {
                    h.negated_neg = true;
                }
            }
            if (sign > 0) != negated {
                h.pos = h.pos.saturating_add(1);
            } else {
                h.neg = h.neg.saturating_add(1);
            }
        }
        h
    }
}

/// A negator right before a match, or before at most two fillers, that is not part of a
/// non-negating word.
fn zh_negated(before: &str) -> bool {
    // Nearest char first.
    let tail: Vec<char> = before.chars().rev().take(4).collect();
    let mut i = 0;
    while i < 2 && tail.get(i).is_some_and(|c| ZH_FILLERS.contains(c)) {
        i += 1;
    }
    let Some(&c) = tail.get(i) else {
        return false;
    };
    if !ZH_NEGATORS.contains(&c) {
        return false;
    }
    let word = |a: char, b: char| ZH_NOT_NEGATING.contains(&String::from_iter([a, b]).as_str());
    let with_prev = tail.get(i + 1).is_some_and(|&p| word(p, c));
    let with_next = i > 0 && tail.get(i - 1).is_some_and(|&n| word(c, n));
    !(with_prev || with_next)
}

/// An English negator among the three words before a match.
fn en_negated(before: &str) -> bool {
    before
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .rev()
        .take(3)
        .any(|w| EN_NEGATORS.contains(&w.replace('\'', "").as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> Polarity {
        let e: Vec<(String, i8)> = [
            ("开心", 1),
            ("满意", 1),
            ("不错", 1),
            ("难过", -1),
            ("美", 1),
            ("happy", 1),
            ("bad", -1),
        ]
        .iter()
        .map(|(w, s)| (w.to_string(), *s))
        .collect();
        Polarity::new(&e, &Normalizer::new()).unwrap()
    }

    #[test]
    fn signs_negation_and_boundaries() {
        let p = lex();
        let n = Normalizer::new();
        let h = |t: &str| p.hits(&n.normalize(t));
        assert_eq!(h("今天好开心").pos, 1);
        assert_eq!(h("好难过想淋雨").neg, 1);
        let neg = h("一点都不满意");
        assert_eq!((neg.pos, neg.neg, neg.negated_pos), (0, 1, true));
        // 不错 is an entry of its own (leftmost-longest), not a negated 错.
        assert_eq!(h("还不错").pos, 1);
        // 不过 does not negate; one-char entries are not matched (美国).
        assert_eq!(h("不过很开心").pos, 1);
        assert_eq!(h("不是很开心").neg, 1);
        assert_eq!(h("特别难过").neg, 1);
        assert_eq!(h("回不去难过").neg, 1);
        assert_eq!(h("美国"), Hits::default());
        assert_eq!(h("I'm not happy").neg, 1);
        assert_eq!(h("unhappy badge").pos + h("unhappy badge").neg, 0);
        assert_eq!(h("so happy, happy").pos, 2);
        let names: Vec<_> = h("开心又难过").names().collect();
        assert_eq!(names, ["pol:+", "pol:-"]);
    }

    #[test]
    fn bad_lexicon_is_rejected() {
        let n = Normalizer::new();
        assert!(Polarity::new(&[("好".into(), 1)], &n).is_err());
        assert!(Polarity::new(&[("开心".into(), 2)], &n).is_err());
    }
}
