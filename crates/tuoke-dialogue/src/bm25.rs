//! Okapi BM25 over jieba tokens: the index the knowledge base (`kb.rs`) searches.
//!
//! Why a small hand-written BM25 instead of tantivy: a company's KB is tens to a few hundred short
//! entries that live in memory next to the playbook; the engine must stay pure (no index
//! directory, no writer threads) and cheap to build per company; and we want our own tokenizer
//! (jieba search-mode for Chinese, lower-cased words for English) on both sides. tantivy would
//! bring a large dependency tree and a segment/commit lifecycle for an index that fits in a
//! few kilobytes. The scoring below is the textbook formula (k1 = 1.2, b = 0.75, idf with +1
//! smoothing) and is unit-tested against hand-computed values.

use std::collections::HashMap;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

/// jieba with its embedded default dictionary, built once per process (no IO: the dictionary is
/// compiled into the jieba-rs crate).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words that carry no retrieval signal.
const STOPWORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "是",
    "我",
    "你",
    "您",
    "我们",
    "你们",
    "这",
    "那",
    "这个",
    "那个",
    // Pointing at a product ("那部会不会自己倒垃圾"): the focus says which, not the words.
    "那部",
    "这部",
    "那台",
    "这台",
    "那款",
    "这款",
    "那把",
    "这把",
    "有",
    "在",
    "和",
    "也",
    "就",
    "都",
    "要",
    "想",
    "请问",
    "一下",
    "什么",
    "怎么",
    "多少",
    "可以",
    "能",
    "嗎",
    "呀",
    "係",
    "嘅",
    "咩",
    "佢",
    "唔",
    "啲",
    "喺",
    "個",
    "嗰",
    "呢個",
    "點",
    "幾",
    "a",
    "an",
    "the",
    "is",
    "are",
    "do",
    "does",
    "you",
    "your",
    "i",
    "my",
    "me",
    "we",
    "to",
    "of",
    "and",
    "or",
    "for",
    "it",
    "what",
    "how",
    "can",
    "in",
    "on",
    "with",
    "this",
    "that",
    "there",
    "any",
    "可不可以",
    "可不",
    "不可",
    "不用",
    "用不用",
    "用",
    "给",
    "这么",
    "个",
    "去",
    "得",
    "about",
    "need",
    "will",
    "would",
    "could",
    "should",
    "us",
    "our",
    "be",
    "have",
    "has",
    "get",
    "if",
    "so",
    "just",
    "also",
    "too",
    "please",
    "tell",
    "know",
    "want",
    "like",
    "does",
    "did",
    "是不是",
    "不是",
    "吓",
    "问吓",
    "顺便",
    "顺便问",
    "啦",
    "喇",
    "么",
    // "适合多大的房间", "適唔適合老人家": the verb of nearly every fit question, not what it asks.
    "适合",
    "適合",
];

/// Tokens for BM25: jieba search-mode words, lower-cased, without punctuation and stop words;
/// English words stemmed (Snowball), so "installing" meets "installation".
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    JIEBA
        .cut_for_search(&lower, true)
        .into_iter()
        .map(|t| t.word.trim())
        .filter(|w| !w.is_empty() && w.chars().any(char::is_alphanumeric))
        .filter(|w| !STOPWORDS.contains(w))
        .map(stem)
        .collect()
}

/// An English word's Snowball stem ("installation" → "instal"); anything else as it is.
pub fn stem(word: &str) -> String {
    if word.len() > 3 && word.chars().all(|c| c.is_ascii_alphabetic()) {
        STEMMER.stem(word).into_owned()
    } else {
        word.to_string()
    }
}

static STEMMER: LazyLock<rust_stemmers::Stemmer> =
    LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// Marks a character-bigram token (see [`cjk_bigrams`]); its matches weigh [`BIGRAM_WEIGHT`].
pub const BIGRAM_MARK: char = '²';

/// How much a matching character bigram counts against a matching word.
pub const BIGRAM_WEIGHT: f32 = 0.3;

/// Character bigrams of every run of Chinese characters (`²` + two characters): they match
/// where jieba cuts the two sides differently ("一次用多少水" / "单次用水" share "次用") and
/// Cantonese words jieba does not know.
pub fn cjk_bigrams(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let cjk = ('\u{4e00}'..='\u{9fff}').contains(&c);
        if let (Some(p), true) = (prev, cjk) {
            out.push(format!("{BIGRAM_MARK}{p}{c}"));
        }
        prev = cjk.then_some(c);
    }
    out
}

/// What a document is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Product,
    Faq,
    Competitor,
}

/// One indexed entry.
#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: DocKind,
    pub id: String,
    len: f32,
}

/// A search hit: the entry and its BM25 score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub kind: DocKind,
    pub id: String,
    pub score: f32,
    /// Share of the query's weight (idf) the entry holds: 1.0 when it has every query term,
    /// low when the query's rarest words are nowhere in it ("R8 龙头有几种**颜色**").
    #[serde(default)]
    pub coverage: f32,
}

/// BM25 index: per term, the documents holding it with their term frequency (an inverted index,
/// so a query touches only the documents that share a term with it).
#[derive(Debug, Clone, Default)]
pub struct Bm25 {
    docs: Vec<Doc>,
    postings: HashMap<String, Vec<(u32, u32)>>,
    avg_len: f32,
}

pub const K1: f32 = 1.2;
pub const B: f32 = 0.75;

impl Bm25 {
    /// Build from `(kind, id, tokens)`.
    pub fn new(items: Vec<(DocKind, String, Vec<String>)>) -> Bm25 {
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut docs = Vec::with_capacity(items.len());
        for (i, (kind, id, toks)) in items.into_iter().enumerate() {
            let mut tf: HashMap<&str, u32> = HashMap::new();
            for t in &toks {
                *tf.entry(t.as_str()).or_default() += 1;
            }
            for (t, n) in tf {
                postings
                    .entry(t.to_string())
                    .or_default()
                    .push((i as u32, n));
            }
            docs.push(Doc {
                kind,
                id,
                // Bigrams restate the words: the length is counted in words.
                len: toks.iter().filter(|t| !t.starts_with(BIGRAM_MARK)).count() as f32,
            });
        }
        let avg_len = if docs.is_empty() {
            0.0
        } else {
            docs.iter().map(|d| d.len).sum::<f32>() / docs.len() as f32
        };
        Bm25 {
            docs,
            postings,
            avg_len,
        }
    }

    /// `ln(1 + (N - df + 0.5) / (df + 0.5))` — always positive.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.docs.len() as f32;
        let df = self.postings.get(term).map_or(0, Vec::len) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Hits of the given kind (or all kinds) with score > 0, best first (ties: index order).
    pub fn search(&self, query: &[String], kind: Option<DocKind>, limit: usize) -> Vec<Hit> {
        self.search_with(query, &[], kind, limit)
    }

    /// [`Bm25::search`] with context terms (an intent label) that score like query terms but
    /// are not part of what the question asks ([`Hit::coverage`] leaves them out).
    pub fn search_with(
        &self,
        query: &[String],
        context: &[String],
        kind: Option<DocKind>,
        limit: usize,
    ) -> Vec<Hit> {
        let mut q: Vec<(&String, bool)> = query
            .iter()
            .map(|t| (t, true))
            .chain(context.iter().map(|t| (t, false)))
            .collect();
        q.sort();
        q.dedup_by(|a, b| a.0 == b.0);
        let mut scores = vec![0f32; self.docs.len()];
        let mut covered = vec![0f32; self.docs.len()];
        let mut total = 0f32;
        for (term, asked) in q {
            let mut idf = self.idf(term);
            if term.starts_with(BIGRAM_MARK) {
                idf *= BIGRAM_WEIGHT;
            }
            let cov = if asked { idf } else { 0.0 };
            total += cov;
            let Some(list) = self.postings.get(term.as_str()) else {
                continue;
            };
            for &(d, tf) in list {
                let (Some(doc), Some(s)) = (self.docs.get(d as usize), scores.get_mut(d as usize))
                else {
                    continue;
                };
                if let Some(c) = covered.get_mut(d as usize) {
                    *c += cov;
                }
                let tf = tf as f32;
                let norm = if self.avg_len > 0.0 {
                    doc.len / self.avg_len
                } else {
                    1.0
                };
                *s += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * norm));
            }
        }
        let mut hits: Vec<(usize, f32)> = scores
            .into_iter()
            .enumerate()
            .filter(|&(i, s)| {
                s > 0.0 && kind.is_none_or(|k| self.docs.get(i).is_some_and(|d| d.kind == k))
            })
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.into_iter()
            .take(limit)
            .filter_map(|(i, score)| {
                self.docs.get(i).map(|d| Hit {
                    kind: d.kind,
                    id: d.id.clone(),
                    score,
                    coverage: if total > 0.0 {
                        covered.get(i).copied().unwrap_or(0.0) / total
                    } else {
                        0.0
                    },
                })
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn bm25_matches_hand_computed_scores() {
        // Three docs; "lock" occurs in two of them.
        let idx = Bm25::new(vec![
            (DocKind::Faq, "a".into(), toks("lock lock door")),
            (DocKind::Faq, "b".into(), toks("lock camera")),
            (DocKind::Faq, "c".into(), toks("vacuum robot cleaner mop")),
        ]);
        let n = 3.0f32;
        let idf_lock = (1.0 + (n - 2.0 + 0.5) / (2.0 + 0.5)).ln();
        assert!((idx.idf("lock") - idf_lock).abs() < 1e-6);
        let avg = (3.0 + 2.0 + 4.0) / 3.0;
        let expect_a = idf_lock * 2.0 * (K1 + 1.0) / (2.0 + K1 * (1.0 - B + B * 3.0 / avg));
        let hits = idx.search(&toks("lock"), None, 10);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].id, "a");
        assert!(
            (hits[0].score - expect_a).abs() < 1e-5,
            "{} vs {expect_a}",
            hits[0].score
        );
        // Unknown terms score nothing; the kind filter applies.
        assert!(idx.search(&toks("zzz"), None, 10).is_empty());
        assert!(
            idx.search(&toks("lock"), Some(DocKind::Product), 10)
                .is_empty()
        );
    }

    #[test]
    fn rarer_terms_weigh_more() {
        let idx = Bm25::new(vec![
            (DocKind::Faq, "a".into(), toks("price delivery")),
            (DocKind::Faq, "b".into(), toks("price warranty")),
            (DocKind::Faq, "c".into(), toks("price invoice")),
        ]);
        let hits = idx.search(&toks("price warranty"), None, 3);
        assert_eq!(hits[0].id, "b");
    }

    #[test]
    fn tokenizer_cuts_chinese_and_drops_stopwords() {
        let t = tokenize("请问你们的智能门锁保修多久？");
        assert!(t.iter().any(|w| w == "保修"), "{t:?}");
        assert!(t.iter().any(|w| w.contains("门锁")), "{t:?}");
        assert!(!t.iter().any(|w| w == "的" || w == "？"), "{t:?}");
        let e = tokenize("How long is the WARRANTY?");
        assert!(e.contains(&"warranti".to_string()), "stemmed: {e:?}");
        assert_eq!(tokenize("installing"), tokenize("installation"));
        assert!(!e.contains(&"the".to_string()));
        assert!(tokenize("").is_empty());
        assert!(tokenize("？！。，").is_empty());
    }
}
