//! One answer per customer question, from the knowledge base.
//!
//! For each question clause of a turn, in this order:
//! 1. **comparison** — "这两款有什么区别", "哪个好", "what's the difference": the products the
//!    clause names, else the last two mentioned, else the category in play → key specs and prices
//!    side by side ([`recommend::render_comparison`]);
//! 2. **price** — a price question about products in play → their prices; but a price question
//!    about something else ("滤芯多少钱", "运费多少") is a retrieval question;
//! 3. **retrieval** — BM25 over every KB passage (FAQ answers and single product facts), boosted by
//!    the products in focus and the intent ([`crate::retrieve`]); the best passage answers if its
//!    score reaches [`MIN_SCORE`] (chosen on `data/retrieval/demo.dev.jsonl`); a question about
//!    several products gets each one's passage.
//!
//! What a question is made of (its query tokens, price and comparison words) is read in
//! [`crate::question`]. Nothing here invents: every answer quotes a passage or a product's price
//! and cites it.

use crate::company::Company;
use crate::kb::{Passage, PassageKind};
use crate::phrases;
use crate::question::{DIFFERENCE, PLURAL, asks_currency, asks_price, has, topic_concepts};
pub use crate::question::{is_elliptical, is_specific, refers_to_several};
use crate::recommend::{passage_text, render_comparison};
pub use crate::retrieve::{
    Ask, COVERED_MIN_SCORE, MIN_COVERAGE, MIN_SCORE, TUNING, Tuning, UNMET_WANT, explain,
    named_products, retrieve, retrieve_at,
};
use crate::retrieve::{in_play, retrieve_for, retrieve_other_topic, retrieve_priced};
use crate::state::ConversationState;
use crate::text::{Variety, contains_word, currency_name, fmt_price, states_amount};

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

/// A question of a turn as the engine asked it of the KB, and what it got.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    /// The clause as the customer wrote it.
    pub text: String,
    /// The clause asks something (a mark, a particle, a question word).
    pub question: bool,
    /// The clause as matched (normalized).
    pub query: String,
    /// It asks about something in particular ("多重", "颜色"), not for the product in general
    /// ("X10 怎么样", "tell me about the A7"): unanswered, it gets an honest "not covered".
    pub specific: bool,
    pub intent: Option<String>,
    /// Products named in the turn's other clauses ([`Ask::turn_named`]).
    pub turn_named: Vec<String>,
    pub answer: Option<Answer>,
}

/// Answer one question clause, or `None` when the KB has nothing specific (the playbook node
/// then answers, or the engine says honestly that it does not know).
pub fn answer(
    company: &Company,
    st: &ConversationState,
    ask: Ask<'_>,
    v: Variety,
) -> Option<Answer> {
    answer_at(company, st, ask, v, &TUNING)
}

/// [`answer`] with the retrieval tuning given (the evaluation sweeps it).
pub fn answer_at(
    company: &Company,
    st: &ConversationState,
    ask: Ask<'_>,
    v: Variety,
    tuning: &Tuning,
) -> Option<Answer> {
    let lower = ask.text.to_lowercase();
    let named = named_products(company, ask.text);
    let names_competitor = company.find_names(ask.text).iter().any(|(_, p, _)| !p);

    // "你哋有咩卖？": everything we sell, with prices.
    if named.is_empty() && crate::question::asks_catalogue(&lower) {
        let items: Vec<String> = company
            .products()
            .iter()
            .map(|p| crate::render::name_and_price(p, v))
            .collect();
        let text = match v {
            Variety::Cmn => format!("我们有：{}。", items.join("、")),
            Variety::Yue => format!("我哋有：{}。", items.join("、")),
            Variety::En => format!("We sell {}.", items.join(", ")),
        };
        return Some(Answer {
            kind: AnswerKind::Passage,
            text,
            citations: company
                .products()
                .iter()
                .map(|p| format!("product:{}", p.id))
                .collect(),
            passage: None,
        });
    }
    let compares =
        crate::question::compares(&lower) || (has(&lower, DIFFERENCE) && !asks_price(&lower));
    if compares && !names_competitor {
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
            // The product in context (a recommendation, say) is the other side of "why not the A7?".
            if let Some(p) = st.product()
                && v.len() < 2
                && !v.iter().any(|x| x == p)
            {
                v.push(p.to_string());
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

    let price_q = ask.intent == Some("ask_price") || asks_price(&lower);
    if price_q {
        // Topics besides the product and the price words: "滤芯多少钱", "运费多少" ask the price
        // of something else; "How much is the R8 water purifier?" asks the product's.
        // (A place is no priced thing: "我们在深圳…L5 Pro多少钱" asks the lock's price.)
        let other_topic = topic_concepts(company, ask.text).iter().any(|t| {
            !matches!(t.as_str(), "#discount" | "#payment")
                && !crate::kb::PLACE_CONCEPTS.contains(&t.as_str())
        });
        // Something else we have a passage for: its price when the passage states one; else
        // ("How much is the D13 with installation?") the product's price, then the passage.
        let mut along: Option<(Answer, String)> = None;
        if other_topic
            && let Some((p, _)) = retrieve_priced(company, st, ask, v, tuning)
            && p.kind != PassageKind::Price
        {
            let body = passage_text(p, v);
            let a = quote(company, p, v);
            // A product's discount note states sums too (the trade-in credit), but it is not
            // the price of what was asked ("How much is the D13 with installation?").
            if (states_amount(&body) && p.kind != PassageKind::Discount) || p.product.is_none() {
                return Some(a);
            }
            along = Some((a, body));
        }
        let categories = company.categories_named(&lower);
        // The price of something else we have no passage for: not the product's price (unless
        // the question names the categories it prices: "装修…净水器和洗碗机一共多少钱").
        if other_topic && along.is_none() && categories.len() < 2 {
            return None;
        }
        let ids = if !named.is_empty() {
            named.clone()
        } else if !ask.turn_named.is_empty() {
            ask.turn_named.to_vec()
        } else if categories.len() >= 2 {
            // "净水器和洗碗机一共多少钱？": the products of each category named.
            categories
                .iter()
                .flat_map(|c| company.products_in(c))
                .map(|p| p.id.clone())
                .collect()
        } else {
            in_play(company, st, &lower)
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
            // "我们要买10台，A7多少钱？": the price, and the tier that many reach.
            if let [p] = products.as_slice()
                && let Some(t) = st
                    .slots
                    .get("quantity")
                    .and_then(serde_json::Value::as_f64)
                    .and_then(|q| crate::render::volume_tier(p, q, v))
            {
                text.push_str(if v.is_chinese() { "，" } else { "; " });
                text.push_str(&t);
            }
            text.push_str(if v.is_chinese() { "。" } else { "." });
            // "Is the X10 price in HKD or RMB?": say the currency in words too. Not a bare price
            // any more, so a node's own price line does not stand in for it.
            let currency = asks_currency(&lower)
                .then(|| products.first().map(|p| p.price.currency.as_str()))
                .flatten();
            let kind = match currency {
                Some(c) => {
                    text.push_str(phrases::sep(v));
                    text.push_str(
                        &phrases::PRICES_IN
                            .get(v)
                            .replace("{currency}", &currency_name(c, v)),
                    );
                    AnswerKind::Passage
                }
                None => AnswerKind::Price,
            };
            let mut citations: Vec<String> = products
                .iter()
                .map(|p| format!("product:{}", p.id))
                .collect();
            let mut kind = kind;
            let mut passage = None;
            if let Some((a, body)) = along {
                // "The D13 costs ¥4599. Price includes standard installation…"
                text.push_str(phrases::sep(v));
                text.push_str(body.trim_end_matches(['。', '.']));
                text.push_str(if v.is_chinese() { "。" } else { "." });
                citations.extend(a.citations);
                kind = AnswerKind::Passage;
                passage = a.passage;
            }
            return Some(Answer {
                kind,
                text,
                citations,
                passage,
            });
        }
        return along.map(|(a, _)| a);
    }

    let (p, _) = retrieve_at(company, st, ask, false, tuning)?;
    // "客厅那台要能除甲醛" about the A3, which has no formaldehyde layer: say so, and which has.
    if let Some(prod) = &p.product
        && let Some((text, citations)) =
            crate::recommend::unmet_need(company, prod, &crate::concepts::tokens(&lower), v)
    {
        return Some(Answer {
            kind: AnswerKind::Passage,
            text,
            citations,
            passage: Some(p.id.clone()),
        });
    }
    let mut a = quote(company, p, v);
    if let Some(q) = retrieve_other_topic(company, st, ask, p, tuning) {
        let b = quote(company, q, v);
        a.text.push_str(phrases::sep(v));
        a.text.push_str(&b.text);
        a.citations.extend(b.citations);
    }
    // "X10 支持 HomeKit 吗？" answered by an entry listing the products that do: a product
    // asked about and missing from the list is said to be missing, not left for the customer
    // to infer.
    if p.product.is_none() {
        let body = passage_text(p, v);
        let listed = named_products(company, &body);
        if listed.len() >= 2 {
            // Named by its category instead ("扫地机器人…不需要安装"): not missing.
            let body_lower = body.to_lowercase();
            let by_category = |id: &str| {
                company
                    .product(id)
                    .and_then(|x| x.category_id.as_deref())
                    .and_then(|c| company.category(c))
                    .is_some_and(|c| {
                        c.aliases
                            .iter()
                            .map(String::as_str)
                            .chain(c.name.all())
                            .any(|n| !n.is_empty() && contains_word(&body_lower, &n.to_lowercase()))
                    })
            };
            for missing in named
                .iter()
                .filter(|n| !listed.contains(n) && !by_category(n))
            {
                if let Some(prod) = company.product(missing) {
                    a.text.push_str(phrases::sep(v));
                    a.text.push_str(
                        &phrases::NOT_LISTED
                            .get(v)
                            .replace("{product}", prod.name.get(v)),
                    );
                    a.citations.push(format!("product:{}", prod.id));
                }
            }
        }
    }
    // Several products asked about ("X10 同 X20 可唔可以用 Siri 控制？", "它们开着吵吗"): each
    // one's own passage, in the order asked, when the first answer is one product's fact.
    if let Some(first) = p.product.as_deref() {
        for other in asked_about(company, st, ask.text)
            .iter()
            .filter(|o| o.as_str() != first)
        {
            if let Some((q, _)) = retrieve_for(company, st, ask, other, tuning) {
                let b = quote(company, q, v);
                a.text.push_str(phrases::sep(v));
                a.text.push_str(&b.text);
                a.citations.extend(b.citations);
            }
        }
    }
    Some(a)
}

/// The products a question is about when it is about several: two or more named, "它们" or
/// "both" with two mentioned before, or those still being compared (slot `compared`).
fn asked_about(company: &Company, st: &ConversationState, text: &str) -> Vec<String> {
    let named = named_products(company, text);
    if named.len() >= 2 {
        return named.into_iter().take(3).collect();
    }
    if !named.is_empty() {
        return Vec::new();
    }
    let mentioned = st.products_mentioned();
    if has(&text.to_lowercase(), PLURAL) && mentioned.len() >= 2 {
        return mentioned[mentioned.len() - 2..].to_vec();
    }
    st.compared()
}

/// The passage has its own Cantonese wording.
fn written_in_yue(p: &Passage) -> bool {
    p.text.as_ref().is_some_and(|t| t.yue.is_some())
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
            // A fact written only in standard Chinese is quoted as such, introduced in Cantonese.
            Variety::Yue if !written_in_yue(p) => {
                format!("{}嘅資料係咁寫嘅：{body}。", prod.name.get(v))
            }
            _ => format!("{}：{body}。", prod.name.get(v)),
        },
        (None, _) if v == Variety::Yue && !written_in_yue(p) => format!("資料係咁寫嘅：{body}。"),
        (None, _) => format!("{body}{}", if v.is_chinese() { "。" } else { "." }),
    };
    Answer {
        kind: AnswerKind::Passage,
        text,
        citations: vec![p.cite.clone()],
        passage: Some(p.id.clone()),
    }
}
