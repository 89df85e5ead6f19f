//! Knowledge-base retrieval: Okapi BM25 over jieba tokens.
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

use crate::catalog::{Competitor, Faq, Product};
use crate::concepts;
use crate::qtype::{self, Want};
use crate::text::Text;

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
];

/// Tokens for BM25: jieba search-mode words, lower-cased, without punctuation and stop words.
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    JIEBA
        .cut_for_search(&lower, true)
        .into_iter()
        .map(|t| t.word.trim())
        .filter(|w| !w.is_empty() && w.chars().any(char::is_alphanumeric))
        .filter(|w| !STOPWORDS.contains(w))
        .map(str::to_string)
        .collect()
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
                len: toks.len() as f32,
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
        let mut q: Vec<&String> = query.iter().collect();
        q.sort();
        q.dedup();
        let mut scores = vec![0f32; self.docs.len()];
        for term in q {
            let Some(list) = self.postings.get(term.as_str()) else {
                continue;
            };
            let idf = self.idf(term);
            for &(d, tf) in list {
                let (Some(doc), Some(s)) = (self.docs.get(d as usize), scores.get_mut(d as usize))
                else {
                    continue;
                };
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

/// What a passage states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    Faq,
    Price,
    Feature,
    Spec,
    Delivery,
    Warranty,
    Trial,
    Discount,
}

/// One answerable fact of the KB: a FAQ answer, or one fact of a product. Ids:
/// `faq:<id>`, `product:<id>:price`, `product:<id>:feature:<i>`, `product:<id>:spec:<i>`,
/// `product:<id>:delivery|warranty|trial|discount` (`i` 0-based in the file's list).
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub id: String,
    pub kind: PassageKind,
    /// The product the fact is about.
    pub product: Option<String>,
    /// What a reply quoting it cites (`faq:<id>` or `product:<id>`).
    pub cite: String,
    /// A spec's name ("噪音" / "Noise"), said before its value.
    pub key: Option<Text>,
    /// The fact itself (a price passage has none: the price is formatted from the product).
    pub text: Option<Text>,
    /// The kinds of value it states (a duration, a measure…), for questions that want one.
    pub values: Vec<Want>,
}

/// Words customers use when they ask about a kind of product fact; indexed with those facts.
const KIND_WORDS: &[(PassageKind, &str)] = &[
    (
        PassageKind::Price,
        "价格 售价 多少钱 价钱 價錢 幾多錢 几多钱 几钱 幾錢 卖 賣 price cost costs much how-much 钱 錢 贵 貴",
    ),
    (
        PassageKind::Delivery,
        "配送 发货 發貨 送货 送貨 快递 速递 到货 几天 幾耐 多久 寄 运费 運費 包邮 delivery deliver shipping ship ships arrive",
    ),
    (
        PassageKind::Warranty,
        "保修 质保 質保 保用 售后 售後 维修 維修 退货 退貨 换新 warranty guarantee repair return",
    ),
    (
        PassageKind::Trial,
        "试用 試用 体验 體驗 演示 示范 睇 试 demo trial try showroom",
    ),
    (
        PassageKind::Discount,
        "优惠 優惠 折扣 便宜 平啲 打折 减 減 折 discount cheaper deal offer bulk",
    ),
];

fn kind_words(kind: PassageKind) -> &'static str {
    KIND_WORDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, w)| *w)
        .unwrap_or("")
}

/// The intent whose questions a kind of passage answers (for boosting).
fn kind_intent(kind: PassageKind) -> &'static [&'static str] {
    match kind {
        PassageKind::Price => &["ask_price"],
        PassageKind::Delivery => &["ask_delivery"],
        PassageKind::Warranty => &["ask_after_sales"],
        PassageKind::Trial => &["ask_trial"],
        PassageKind::Discount => &["ask_discount"],
        PassageKind::Feature | PassageKind::Spec => &["ask_feature"],
        PassageKind::Faq => &[],
    }
}

/// How much the focus moves a passage's BM25 score (multipliers). Chosen on the dev retrieval
/// table (`tests/retrieval.rs`, `retrieval_dev_tuning`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boosts {
    /// A fact of a product the question names / of another product.
    pub named: f32,
    pub unnamed: f32,
    /// Without a named product: a fact of a product in play / of another product.
    pub in_play: f32,
    pub out_of_play: f32,
    /// A company-wide FAQ answer while a product is in focus.
    pub faq_focused: f32,
    /// A kind of fact the intent asks about (price for `ask_price`…).
    pub intent_kind: f32,
    /// A passage stating the kind of value the question wants.
    pub wanted_value: f32,
    /// A passage stating an address, for a "where" question.
    pub wanted_place: f32,
}

impl Boosts {
    pub const DEFAULT: Boosts = Boosts {
        named: 1.6,
        unnamed: 0.2,
        in_play: 1.4,
        out_of_play: 0.5,
        faq_focused: 0.75,
        intent_kind: 1.4,
        wanted_value: 1.3,
        wanted_place: 2.0,
    };
}

impl Default for Boosts {
    fn default() -> Self {
        Boosts::DEFAULT
    }
}

/// The products a passage search is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Focus<'a> {
    /// Products the question names.
    pub named: &'a [String],
    /// Products in play in the conversation (context, category).
    pub in_play: &'a [String],
    pub intent: Option<&'a str>,
    /// The kind of value the question wants ("多久" → a duration).
    pub want: Option<Want>,
    pub boosts: Boosts,
}

/// A passage hit with its boosted score.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageHit<'a> {
    pub passage: &'a Passage,
    pub score: f32,
}

/// The company's searchable knowledge base: whole entries (`index`, for `{faq}` and the
/// competitor lookup) and single facts (`passages`, for answering questions).
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    pub index: Bm25,
    passages: Vec<Passage>,
    passage_index: Bm25,
    passage_pos: HashMap<String, usize>,
}

impl KnowledgeBase {
    pub fn build(products: &[Product], faqs: &[Faq], competitors: &[Competitor]) -> KnowledgeBase {
        let mut items = Vec::new();
        for p in products {
            let mut text = String::new();
            for t in [&p.name, &p.category] {
                text.extend(t.all().map(|s| format!("{s} ")));
            }
            for a in &p.aliases {
                text.push_str(a);
                text.push(' ');
            }
            for f in &p.features {
                text.extend(f.all().map(|s| format!("{s} ")));
            }
            for s in &p.specs {
                text.extend(s.key.all().map(|s| format!("{s} ")));
                text.extend(s.value.all().map(|s| format!("{s} ")));
            }
            items.push((DocKind::Product, p.id.clone(), tokenize(&text)));
        }
        for f in faqs {
            let mut text = String::new();
            // The question counts twice: it is what customers' wording resembles.
            text.extend(f.question.all().map(|s| format!("{s} {s} ")));
            text.extend(f.answer.all().map(|s| format!("{s} ")));
            let mut toks = tokenize(&text);
            toks.extend(f.tags.iter().map(|t| t.to_lowercase()));
            items.push((DocKind::Faq, f.id.clone(), toks));
        }
        for c in competitors {
            let mut text = String::new();
            text.extend(c.name.all().map(|s| format!("{s} ")));
            for a in &c.aliases {
                text.push_str(a);
                text.push(' ');
            }
            for p in &c.products {
                text.push_str(&p.name);
                text.push(' ');
            }
            items.push((DocKind::Competitor, c.id.clone(), tokenize(&text)));
        }
        let passages = build_passages(products, faqs);
        let mut pitems = Vec::with_capacity(passages.len());
        for p in &passages {
            let mut text = String::new();
            if let Some(k) = &p.key {
                // A spec's name counts twice: "噪音多大" names the key, not the value.
                text.extend(k.all().map(|s| format!("{s} {s} ")));
            }
            if let Some(t) = &p.text {
                text.extend(t.all().map(|s| format!("{s} ")));
            }
            let mut toks = tokenize(&text);
            toks.extend(tokenize(kind_words(p.kind)));
            let mut about = format!("{text} {}", kind_words(p.kind));
            if p.kind == PassageKind::Faq
                && let Some(f) = faqs.iter().find(|f| p.id == format!("faq:{}", f.id))
            {
                text.clear();
                text.extend(f.question.all().map(|s| format!("{s} {s} ")));
                toks.extend(tokenize(&text));
                toks.extend(f.tags.iter().map(|t| t.to_lowercase()));
                about.push_str(&text);
                about.push_str(&f.tags.join(" "));
            }
            // What the passage is about, in customers' words too (`concepts.yaml`).
            toks.extend(concepts::tokens(&about));
            pitems.push((DocKind::Faq, p.id.clone(), toks));
        }
        let passage_pos = passages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        KnowledgeBase {
            index: Bm25::new(items),
            passage_index: Bm25::new(pitems),
            passages,
            passage_pos,
        }
    }

    /// Every passage, in KB order.
    pub fn passages(&self) -> &[Passage] {
        &self.passages
    }

    pub fn passage(&self, id: &str) -> Option<&Passage> {
        self.passage_pos.get(id).and_then(|&i| self.passages.get(i))
    }

    /// Passages answering `query` (already tokenized), best first, with the focus [`Boosts`]:
    /// passages about the products the question names up (others down); without a named product,
    /// about the products in play up (others down); a passage kind that the intent asks about up.
    pub fn search_passages<'a>(
        &'a self,
        query: &[String],
        focus: Focus<'_>,
        limit: usize,
    ) -> Vec<PassageHit<'a>> {
        let mut q = query.to_vec();
        if let Some(i) = focus.intent {
            q.push(i.to_string());
        }
        let mut hits: Vec<PassageHit<'a>> = self
            .passage_index
            .search(&q, None, usize::MAX)
            .into_iter()
            .filter_map(|h| {
                let p = self.passage(&h.id)?;
                let b = &focus.boosts;
                let mut score = h.score;
                let focused = !focus.named.is_empty() || !focus.in_play.is_empty();
                if p.product.is_none() && focused {
                    // With a product in focus, its own facts come before company-wide FAQ.
                    score *= b.faq_focused;
                }
                if let Some(prod) = &p.product {
                    if !focus.named.is_empty() {
                        score *= if focus.named.contains(prod) {
                            b.named
                        } else {
                            b.unnamed
                        };
                    } else if !focus.in_play.is_empty() {
                        score *= if focus.in_play.contains(prod) {
                            b.in_play
                        } else {
                            b.out_of_play
                        };
                    }
                }
                if focus
                    .intent
                    .is_some_and(|i| kind_intent(p.kind).contains(&i))
                {
                    score *= b.intent_kind;
                }
                if let Some(w) = focus.want.filter(|w| p.values.contains(w)) {
                    // An address is what a "where" question wants, whichever product is in play.
                    score *= if w == Want::Place {
                        b.wanted_place
                    } else {
                        b.wanted_value
                    };
                }
                Some(PassageHit { passage: p, score })
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(limit);
        hits
    }

    /// Search the text plus extra query tokens (e.g. the intent label, which FAQ tags can name).
    pub fn search(
        &self,
        text: &str,
        extra: &[&str],
        kind: Option<DocKind>,
        limit: usize,
    ) -> Vec<Hit> {
        let mut q = tokenize(text);
        q.extend(extra.iter().map(|s| s.to_string()));
        self.index.search(&q, kind, limit)
    }
}

/// Every passage of the KB (see [`Passage`] for the ids).
fn build_passages(products: &[Product], faqs: &[Faq]) -> Vec<Passage> {
    let mut out = Vec::new();
    for f in faqs {
        out.push(Passage {
            id: format!("faq:{}", f.id),
            kind: PassageKind::Faq,
            product: None,
            cite: format!("faq:{}", f.id),
            key: None,
            text: Some(f.answer.clone()),
            values: Vec::new(),
        });
    }
    for p in products {
        let mk = |id: String, kind, key: Option<Text>, text: Option<Text>| Passage {
            id,
            kind,
            product: Some(p.id.clone()),
            cite: format!("product:{}", p.id),
            key,
            text,
            values: Vec::new(),
        };
        out.push(mk(
            format!("product:{}:price", p.id),
            PassageKind::Price,
            None,
            None,
        ));
        for (i, f) in p.features.iter().enumerate() {
            out.push(mk(
                format!("product:{}:feature:{i}", p.id),
                PassageKind::Feature,
                None,
                Some(f.clone()),
            ));
        }
        for (i, s) in p.specs.iter().enumerate() {
            out.push(mk(
                format!("product:{}:spec:{i}", p.id),
                PassageKind::Spec,
                Some(s.key.clone()),
                Some(s.value.clone()),
            ));
        }
        for (kind, name, t) in [
            (PassageKind::Delivery, "delivery", &p.delivery),
            (PassageKind::Warranty, "warranty", &p.warranty),
            (PassageKind::Trial, "trial", &p.trial),
            (PassageKind::Discount, "discount", &p.discount.note),
        ] {
            if let Some(t) = t {
                out.push(mk(
                    format!("product:{}:{name}", p.id),
                    kind,
                    None,
                    Some(t.clone()),
                ));
            }
        }
    }
    for x in &mut out {
        let t = x
            .text
            .as_ref()
            .map(|t| t.all().collect::<Vec<_>>().join(" "));
        let t = t.unwrap_or_default();
        let all = [
            Want::Duration,
            Want::Money,
            Want::Measure,
            Want::Count,
            Want::Place,
        ];
        x.values = all.into_iter().filter(|w| qtype::states(&t, *w)).collect();
    }
    out
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
        assert!(e.contains(&"warranty".to_string()), "{e:?}");
        assert!(!e.contains(&"the".to_string()));
        assert!(tokenize("").is_empty());
        assert!(tokenize("？！。，").is_empty());
    }
}
