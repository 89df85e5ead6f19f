//! One answer per customer question, from the knowledge base.
//!
//! For each question clause of a turn, in this order:
//! 1. **comparison** — "这两款有什么区别", "哪个好", "what's the difference": the products the
//!    clause names, else the last two mentioned, else the category in play → key specs and prices
//!    side by side ([`recommend::render_comparison`]);
//! 2. **price** — a price question about products in play → their prices; but a price question
//!    about something else ("滤芯多少钱", "运费多少") is a retrieval question;
//! 3. **retrieval** — BM25 over every KB passage (FAQ answers and single product facts), boosted by
//!    the products in focus and the intent ([`KnowledgeBase::search_passages`]); the best passage
//!    answers if its score reaches [`MIN_SCORE`] (chosen on `data/retrieval/demo.dev.jsonl`).
//!
//! Nothing here invents: every answer quotes a passage or a product's price and cites it.

use serde_json::Value;

use crate::company::{Company, contains_word};
use crate::kb::{Focus, Passage, PassageKind, tokenize};
use crate::recommend::{passage_text, render_comparison};
use crate::state::ConversationState;
use crate::text::{Variety, fmt_price};

/// Lowest boosted BM25 score at which a passage answers a question. Chosen on the dev table
/// (`tuoke-dialogue/tests/retrieval.rs` prints the sweep); below it the bot says it does not know.
pub const MIN_SCORE: f32 = 4.0;

/// What kind of answer a clause got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    Passage,
    Price,
    Compare,
}

/// An answer to one question clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub kind: AnswerKind,
    pub text: String,
    pub citations: Vec<String>,
    /// The passage quoted (retrieval answers).
    pub passage: Option<String>,
}

/// One question of a turn.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub text: &'a str,
    pub intent: Option<&'a str>,
}

const COMPARE: &[&str] = &[
    "区别",
    "區別",
    "分别",
    "分別",
    "不同",
    "差别",
    "差別",
    "差异",
    "差異",
    "对比",
    "對比",
    "比较",
    "比較",
    "哪个好",
    "哪個好",
    "哪款好",
    "哪个更",
    "哪款更",
    "邊部好",
    "边部好",
    "邊款好",
    "边款好",
    "邊個好",
    "边个好",
    "有咩唔同",
    "difference",
    "differ",
    "compare",
    "comparison",
    "which is better",
    "which one is better",
    "vs",
    "versus",
];

const PRICE: &[&str] = &[
    "多少钱",
    "多少錢",
    "价格",
    "價格",
    "价钱",
    "價錢",
    "售价",
    "售價",
    "几钱",
    "幾錢",
    "几多钱",
    "幾多錢",
    "几多",
    "幾多",
    "怎么卖",
    "怎麼賣",
    "点卖",
    "點賣",
    "how much",
    "price",
    "cost",
];

/// Words of a price question that say nothing about what is priced.
const PRICE_WORDS: &[&str] = &[
    "多少钱",
    "多少錢",
    "钱",
    "錢",
    "价格",
    "價格",
    "价钱",
    "價錢",
    "售价",
    "售價",
    "几钱",
    "幾錢",
    "几多",
    "幾多",
    "卖",
    "賣",
    "much",
    "price",
    "cost",
    "costs",
    "priced",
    "贵",
    "貴",
    "便宜",
];

/// Words that make a clause about several products at once ("这两款", "它们", "both").
const PLURAL: &[&str] = &[
    "两款",
    "兩款",
    "两个",
    "兩個",
    "两部",
    "兩部",
    "它们",
    "它們",
    "佢哋",
    "both",
    "these two",
    "the two",
    "them",
];

fn has(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| contains_word(hay, w))
}

/// Products named in a text, in order of first mention.
pub fn named_products(company: &Company, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, is_product, id) in company.find_names(text) {
        if is_product && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The products a clause is about when it names none: the product in context; for a plural
/// reference the last two mentioned; else the category's products.
fn in_play(company: &Company, st: &ConversationState, lower: &str) -> Vec<String> {
    let mentioned = st.products_mentioned();
    if has(lower, PLURAL) && mentioned.len() >= 2 {
        return mentioned[mentioned.len() - 2..].to_vec();
    }
    if let Some(p) = st.product() {
        return vec![p.to_string()];
    }
    if let Some(c) = st.slots.get("category").and_then(Value::as_str) {
        return company
            .products_in(c)
            .into_iter()
            .map(|p| p.id.clone())
            .collect();
    }
    Vec::new()
}

/// The query tokens of a clause without product names and price words.
fn topic_tokens(company: &Company, text: &str, drop_price: bool) -> Vec<String> {
    let mut lower = text.to_lowercase();
    for (start, is_product, _) in company.find_names(text).into_iter().rev() {
        if !is_product {
            continue;
        }
        // Blank out the name (the KB passages do not carry product names; the focus does).
        if let Some(rest) = lower.get(start..) {
            let len = company
                .names
                .iter()
                .find(|(n, p, _)| *p && rest.starts_with(n.as_str()))
                .map(|(n, _, _)| n.len())
                .unwrap_or(0);
            lower.replace_range(start..start + len, " ");
        }
    }
    tokenize(&lower)
        .into_iter()
        .filter(|t| !(drop_price && PRICE_WORDS.contains(&t.as_str())))
        .collect()
}

/// The best passage for a question, if it is good enough.
pub fn retrieve<'a>(
    company: &'a Company,
    st: &ConversationState,
    ask: Ask<'_>,
    drop_price: bool,
) -> Option<(&'a Passage, f32)> {
    let lower = ask.text.to_lowercase();
    let named = named_products(company, ask.text);
    let play = in_play(company, st, &lower);
    let q = topic_tokens(company, ask.text, drop_price);
    if q.is_empty() {
        return None;
    }
    let hits = company.kb().search_passages(
        &q,
        Focus {
            named: &named,
            in_play: &play,
            intent: ask.intent,
        },
        3,
    );
    let best = hits
        .into_iter()
        .find(|h| !(drop_price && h.passage.kind == PassageKind::Price))?;
    (best.score >= MIN_SCORE).then_some((best.passage, best.score))
}

/// Answer one question clause, or `None` when the KB has nothing specific (the playbook node
/// then answers, or the engine says honestly that it does not know).
pub fn answer(
    company: &Company,
    st: &ConversationState,
    ask: Ask<'_>,
    v: Variety,
) -> Option<Answer> {
    let lower = ask.text.to_lowercase();
    let named = named_products(company, ask.text);
    let names_competitor = company.find_names(ask.text).iter().any(|(_, p, _)| !p);

    if has(&lower, COMPARE) && !names_competitor {
        let ids: Vec<String> = if named.len() >= 2 {
            named.clone()
        } else {
            let mentioned = st.products_mentioned();
            let mut v: Vec<String> = named.clone();
            for m in mentioned.iter().rev() {
                if v.len() >= 2 {
                    break;
                }
                if !v.contains(m) {
                    v.push(m.clone());
                }
            }
            if v.len() < 2 {
                in_play(company, st, &lower)
            } else {
                v
            }
        };
        let products: Vec<_> = ids.iter().filter_map(|id| company.product(id)).collect();
        if (2..=3).contains(&products.len())
            && let Some((text, citations)) = render_comparison(&products, v)
        {
            return Some(Answer {
                kind: AnswerKind::Compare,
                text,
                citations,
                passage: None,
            });
        }
    }

    let price_q = ask.intent == Some("ask_price") || has(&lower, PRICE);
    if price_q {
        // "滤芯多少钱" asks the price of something else: retrieval without the price words.
        if let Some((p, _)) = retrieve(company, st, ask, true)
            && p.kind != PassageKind::Price
        {
            return Some(quote(company, p, v));
        }
        let ids = if named.is_empty() {
            in_play(company, st, &lower)
        } else {
            named.clone()
        };
        let products: Vec<_> = ids.iter().filter_map(|id| company.product(id)).collect();
        if (1..=4).contains(&products.len()) {
            let parts: Vec<String> = products
                .iter()
                .map(|p| {
                    let price = fmt_price(p.price.amount, &p.price.currency);
                    match v {
                        Variety::Cmn => format!("{}的售价是{price}", p.name.get(v)),
                        Variety::Yue => format!("{}嘅售價係{price}", p.name.get(v)),
                        Variety::En => format!("the {} costs {price}", p.name.get(v)),
                    }
                })
                .collect();
            let mut text = parts.join(if v.is_chinese() { "，" } else { "; " });
            if v == Variety::En
                && let Some(f) = text.get(..1)
            {
                text = format!("{}{}", f.to_uppercase(), text.get(1..).unwrap_or(""));
            }
            text.push_str(if v.is_chinese() { "。" } else { "." });
            return Some(Answer {
                kind: AnswerKind::Price,
                text,
                citations: products
                    .iter()
                    .map(|p| format!("product:{}", p.id))
                    .collect(),
                passage: None,
            });
        }
        return None;
    }

    let (p, _) = retrieve(company, st, ask, false)?;
    Some(quote(company, p, v))
}

/// A passage as a reply sentence: "{product}的{key}：{value}。" / the FAQ answer.
pub fn quote(company: &Company, p: &Passage, v: Variety) -> Answer {
    let body = passage_text(p, v);
    let product = p.product.as_deref().and_then(|id| company.product(id));
    let text = match (product, p.kind) {
        (Some(prod), PassageKind::Price) => {
            let price = fmt_price(prod.price.amount, &prod.price.currency);
            match v {
                Variety::En => format!("The {} costs {price}.", prod.name.get(v)),
                Variety::Yue => format!("{}嘅售價係{price}。", prod.name.get(v)),
                Variety::Cmn => format!("{}的售价是{price}。", prod.name.get(v)),
            }
        }
        (Some(prod), PassageKind::Spec) => match v {
            Variety::En => format!("{} — {body}.", prod.name.get(v)),
            Variety::Yue => format!("{}嘅{body}。", prod.name.get(v)),
            Variety::Cmn => format!("{}的{body}。", prod.name.get(v)),
        },
        (Some(prod), _) => match v {
            Variety::En => format!("{}: {body}.", prod.name.get(v)),
            _ => format!("{}：{body}。", prod.name.get(v)),
        },
        (None, _) => format!("{body}{}", if v.is_chinese() { "。" } else { "." }),
    };
    Answer {
        kind: AnswerKind::Passage,
        text,
        citations: vec![p.cite.clone()],
        passage: Some(p.id.clone()),
    }
}
