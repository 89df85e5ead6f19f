//! Context carry-over: fill slots from one turn's analysis, resolve references to products in
//! context ("那这个多少钱", "另一款呢", "还是要第一个"), and apply corrections ("不是A，是B").

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tuoke_core::{Analysis, EntityType};

use crate::company::Company;
use crate::state::ConversationState;

/// What one turn contributed, for conditions and grading.
#[derive(Debug, Default)]
pub struct TurnFacts {
    /// Entity kinds present (incl. `product` / `competitor` found by name, `contact`, `reference`).
    pub entities: BTreeSet<&'static str>,
    /// Slots whose value changed this turn.
    pub filled: BTreeSet<String>,
    /// A reference to a product in context ("另一款", "the first one") was resolved.
    pub reference: bool,
    /// The customer corrected something ("不是…是…", "I mean").
    pub correction: bool,
}

const FIRST: &[&str] = &[
    "第一个",
    "第一款",
    "第一個",
    "第一种",
    "第一種",
    "頭一個",
    "头一个",
    "first one",
    "the first",
];
const SECOND: &[&str] = &[
    "第二个",
    "第二款",
    "第二個",
    "第二种",
    "第二種",
    "second one",
    "the second",
];
const OTHER: &[&str] = &[
    "另一款",
    "另一个",
    "另外一款",
    "另外那款",
    "另外一个",
    "另一個",
    "另外嗰",
    "另一部",
    "其他款",
    "其它款",
    "the other one",
    "the other",
    "another one",
    "other model",
];
const PREVIOUS: &[&str] = &[
    "刚才那",
    "剛才",
    "头先",
    "頭先",
    "上一个",
    "上一款",
    "上一個",
    "previous one",
    "the previous",
    "earlier one",
];
const NEGATIONS: &[&str] = &["不是", "不要", "唔係", "唔要", "并非", "not ", "no "];
const CORRECTIONS: &[&str] = &[
    "不是",
    "唔係",
    "我是说",
    "我意思是",
    "我嘅意思",
    "应该是",
    "應該係",
    "改成",
    "更正",
    "i mean",
    "not ",
    "actually",
    "sorry,",
];

/// Words that make a time a purchase timeline ("月底前要", "need it by Friday").
const TIMELINE: &[&str] = &[
    "之前",
    "以前",
    "前要",
    "前到",
    "要用",
    "入住",
    "搬家",
    "下单",
    "下單",
    "落單",
    "落单",
    "买",
    "買",
    "装修",
    "裝修",
    "before",
    "by ",
    "need it",
    "move in",
    "moving in",
    "moving into",
    "move into",
    "order",
];

fn contains_any(hay: &str, needles: &'static [&'static str]) -> bool {
    crate::words::any(hay, needles)
}

/// Is the word starting at char offset `start` preceded, in the same clause and within a few
/// chars, by a negation ("不是A，是B" → A negated, B not)?
fn negated_at(lower_chars: &[char], start: usize) -> bool {
    let end = start.min(lower_chars.len());
    let from = end.saturating_sub(8);
    let window = lower_chars.get(from..end).unwrap_or(&[]);
    let clause_start = window
        .iter()
        .rposition(|c| {
            matches!(
                c,
                ',' | '，' | '。' | ';' | '；' | '!' | '！' | '?' | '？' | '、'
            )
        })
        .map(|i| i + 1)
        .unwrap_or(0);
    let clause: String = window.get(clause_start..).unwrap_or(&[]).iter().collect();
    crate::words::any(&clause, NEGATIONS)
}

fn set_slot(st: &mut ConversationState, facts: &mut TurnFacts, name: &str, v: Value) {
    if st.slots.get(name) != Some(&v) {
        st.slots.insert(name.to_string(), v);
        facts.filled.insert(name.to_string());
    }
}

/// Apply one customer turn to the slots.
/// Words that pick a product by price among those discussed ("the cheaper one", "平嗰部").
pub(crate) const CHEAPER: &[&str] = &[
    "平那部",
    "平那个",
    "平那款",
    "cheaper one",
    "cheapest one",
    "the cheaper",
    "便宜的那",
    "便宜那",
    "便宜嗰",
    "平嗰",
    "平啲嗰",
    "平的那",
    "便宜的那款",
    "便宜那款",
    "便宜一点的",
    "便宜点的那",
    "便宜些的",
    "平少少嗰",
    "平啲嘅",
    "less expensive one",
    "the budget one",
];
pub(crate) const PRICIER: &[&str] = &[
    "贵那部",
    "pricier one",
    "more expensive one",
    "the expensive one",
    "the pricier",
    "贵的那",
    "贵那",
    "贵嗰",
    "貴嗰",
    "貴的那",
    "贵的那款",
    "贵一点的",
    "貴一點的",
    "贵点的那",
    "贵些的",
    "贵啲嗰",
    "貴啲嗰",
    "贵啲嘅",
    "貴啲嘅",
    "the dearer",
    "more expensive model",
];

/// "the cheaper one" → `Some(true)`, "the pricier one" / "贵的那个" → `Some(false)`.
fn price_reference(lower: &str) -> Option<bool> {
    if contains_any(lower, CHEAPER) {
        Some(true)
    } else if contains_any(lower, PRICIER) {
        Some(false)
    } else {
        None
    }
}

pub fn apply(
    company: &Company,
    st: &mut ConversationState,
    a: &Analysis,
    intent: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> TurnFacts {
    let mut facts = TurnFacts::default();
    let lower = a.text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    facts.correction = contains_any(&lower, CORRECTIONS);

    // Products and competitors: the analyzer's gazetteer entities first, our own name scan otherwise.
    let mut products: Vec<(usize, String)> = Vec::new();
    let mut competitors: Vec<(usize, String)> = Vec::new();
    for e in &a.entities {
        let Some(id) = e.value.as_str() else { continue };
        match e.kind {
            EntityType::Product if company.product(id).is_some() => {
                products.push((e.start, id.to_string()))
            }
            EntityType::Competitor if company.competitor(id).is_some() => {
                competitors.push((e.start, id.to_string()))
            }
            _ => {}
        }
    }
    if products.is_empty() && competitors.is_empty() {
        for (byte_start, is_product, id) in company.find_names(&a.text) {
            let start = lower
                .get(..byte_start)
                .map(|s| s.chars().count())
                .unwrap_or(0);
            if is_product {
                products.push((start, id));
            } else {
                competitors.push((start, id));
            }
        }
    }
    products.sort();
    competitors.sort();

    let mut mentioned = st.products_mentioned();
    let current = st.product().map(str::to_string);
    let mut chosen: Option<String> = None;
    if !products.is_empty() {
        facts.entities.insert("product");
        // The last product that is not negated ("不是A，是B" → B; "要B，不要A" → B).
        chosen = products
            .iter()
            .rev()
            .find(|(s, _)| !negated_at(&chars, *s))
            .or(products.last())
            .map(|(_, id)| id.clone());
        for (_, id) in &products {
            if !mentioned.contains(id) {
                mentioned.push(id.clone());
            }
        }
        // ("几钱呀？同 X10 一齐买会唔会平啲？": the one bought along with the product in context
        // is named; the product in context stays.)
        if products.len() == 1 && current.is_some() && chosen != current && bundled(&lower, a) {
            chosen = current.clone();
        }
    } else {
        // References to products in context.
        let pick = if contains_any(&lower, FIRST) {
            mentioned.first().cloned()
        } else if contains_any(&lower, SECOND) {
            mentioned.get(1).cloned()
        } else if contains_any(&lower, OTHER) {
            other_product(company, &mentioned, current.as_deref())
        } else if let Some(cheaper) = price_reference(&lower) {
            // "the cheaper one", "贵的那个": by price among the products discussed, or among
            // the category's products when the question names one ("Which of your vacuums is
            // the cheaper one?").
            let in_category: Vec<String> = match company.categories_named(&lower).as_slice() {
                [cat] => company
                    .products_in(cat)
                    .iter()
                    .map(|p| p.id.clone())
                    .collect(),
                _ => Vec::new(),
            };
            let pool = if in_category.len() >= 2 {
                &in_category
            } else {
                &mentioned
            };
            let mut by_price: Vec<&String> = pool
                .iter()
                .filter(|p| company.product(p).is_some())
                .collect();
            by_price.sort_by(|a, b| {
                let pa = company.product(a).map_or(0.0, |p| p.price.amount);
                let pb = company.product(b).map_or(0.0, |p| p.price.amount);
                pa.total_cmp(&pb)
            });
            let pick = if cheaper {
                by_price.first()
            } else {
                by_price.last()
            };
            match pick.filter(|_| by_price.len() >= 2) {
                Some(p) => Some((*p).clone()),
                // One product discussed: the cheaper (dearer) one of its category.
                None => current
                    .as_deref()
                    .and_then(|c| company.product(c))
                    .and_then(|cur| {
                        let cat = cur.category_id.as_deref()?;
                        let others = company.products_in(cat);
                        let pick = others.iter().filter(|p| p.id != cur.id).filter(|p| {
                            if cheaper {
                                p.price.amount < cur.price.amount
                            } else {
                                p.price.amount > cur.price.amount
                            }
                        });
                        if cheaper {
                            pick.max_by(|a, b| a.price.amount.total_cmp(&b.price.amount))
                        } else {
                            pick.min_by(|a, b| a.price.amount.total_cmp(&b.price.amount))
                        }
                        .map(|p| p.id.clone())
                    }),
            }
        } else if contains_any(&lower, PREVIOUS) {
            mentioned
                .iter()
                .rev()
                .find(|p| Some(p.as_str()) != current.as_deref())
                .cloned()
        } else {
            None
        };
        if let Some(p) = pick {
            facts.reference = true;
            facts.entities.insert("reference");
            facts.entities.insert("product");
            if !mentioned.contains(&p) {
                mentioned.push(p.clone());
            }
            chosen = Some(p);
        } else if let [cat] = company.categories_named(&lower).as_slice()
            && let [only] = company.products_in(cat).as_slice()
            && current.as_deref() != Some(only.id.as_str())
            // ("同门锁一齐买会唔会平啲？": bought along with, the product in context stays.)
            && !bundled(&lower, a)
        {
            // "What about the water purifier?": a category of one product names it (the
            // product comes into context; it is not "named" for the playbook's conditions).
            if !mentioned.contains(&only.id) {
                mentioned.push(only.id.clone());
            }
            chosen = Some(only.id.clone());
        }
    }
    // The products being weighed against each other: two or more named in one turn, or "这两款
    //有什么区别" about the last two; one product named or picked ends the comparison.
    let several_named = {
        let mut ids: Vec<&String> = products.iter().map(|(_, id)| id).collect();
        ids.dedup();
        ids.len() >= 2
    };
    if several_named {
        st.slots.remove("recommended");
        let mut ids: Vec<String> = Vec::new();
        for (_, id) in &products {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        st.slots.insert("compared".into(), json!(ids));
    } else if chosen.is_some() {
        st.slots.remove("compared");
        st.slots.remove("recommended");
    } else if mentioned.len() >= 2
        && (crate::question::compares(&lower) || contains_any(&lower, crate::question::PLURAL))
    {
        st.slots
            .insert("compared".into(), json!(mentioned[mentioned.len() - 2..]));
    }
    if let Some(p) = chosen {
        set_slot(st, &mut facts, "product", Value::String(p));
    }
    if !mentioned.is_empty() {
        let v = Value::Array(mentioned.into_iter().map(Value::String).collect());
        if st.slots.get("products_mentioned") != Some(&v) {
            st.slots.insert("products_mentioned".into(), v);
        }
    }
    if let Some((_, c)) = competitors
        .iter()
        .rev()
        .find(|(s, _)| !negated_at(&chars, *s))
        .or(competitors.last())
    {
        facts.entities.insert("competitor");
        set_slot(st, &mut facts, "competitor", Value::String(c.clone()));
        // Winning the competitor's customer: our matching product becomes the one in context.
        if st.product().is_none()
            && let Some(m) = company
                .competitor(c)
                .and_then(|comp| matching_product(company, comp, &a.text))
        {
            set_slot(st, &mut facts, "product", Value::String(m.clone()));
            st.mention_products([m]);
        }
    }

    // Other entities: the last non-negated one of each kind wins (a correction overrides).
    let last = |kind: EntityType| {
        let all: Vec<_> = a.entities_of(kind).collect();
        all.iter()
            .rev()
            .find(|e| !negated_at(&chars, e.start))
            .or(all.last())
            .copied()
    };
    for e in &a.entities {
        let k = match e.kind {
            EntityType::Money => "money",
            EntityType::Quantity => "quantity",
            EntityType::Phone => "phone",
            EntityType::Email => "email",
            EntityType::Wechat => "wechat",
            EntityType::Datetime => "datetime",
            EntityType::Product | EntityType::Competitor => continue,
        };
        facts.entities.insert(k);
        if matches!(k, "phone" | "email" | "wechat") {
            facts.entities.insert("contact");
        }
    }
    if let Some(e) = last(EntityType::Quantity)
        && let Some(n) = e
            .value
            .get("amount")
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite() && (0.01..=1e7).contains(n))
    {
        set_slot(st, &mut facts, "quantity", json!(n));
    } else if let Some(n) = crate::quantity::english_count(company, &a.text) {
        facts.entities.insert("quantity");
        set_slot(st, &mut facts, "quantity", json!(n));
    }
    if let Some(e) = last(EntityType::Money)
        && let Some(n) = e
            .value
            .get("amount")
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite() && (0.0..=1e12).contains(n))
    {
        let cur = e
            .value
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or("CNY");
        set_slot(
            st,
            &mut facts,
            "budget",
            json!({"amount": n, "currency": cur}),
        );
    }
    for (kind, slot) in [
        (EntityType::Phone, "phone"),
        (EntityType::Email, "email"),
        (EntityType::Wechat, "wechat"),
    ] {
        if let Some(e) = last(kind) {
            let v = e
                .value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| e.text.clone());
            if !v.trim().is_empty() {
                set_slot(st, &mut facts, slot, Value::String(v));
            }
        }
    }
    if let Some(e) = last(EntityType::Datetime)
        && let Some(dt) = e
            .value
            .get("datetime")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    {
        // A time is a call-back time in a deferral or while a call-back is being arranged, a
        // timeline when the customer says when they need it; a time word inside a question
        // ("晚上开着吵不吵") is neither.
        let slot = if intent == Some("busy_later") || st.stage == "follow_up" {
            Some("callback_time")
        } else if (matches!(intent, Some("purchase_intent" | "ask_delivery"))
            || contains_any(&lower, TIMELINE))
            // "上周买的 X10 坏了": a time past is when something happened, not when they buy.
            && dt.with_timezone(&chrono::Utc) >= now - chrono::Duration::hours(12)
        {
            Some("timeline")
        } else {
            None
        };
        if let Some(slot) = slot {
            set_slot(st, &mut facts, slot, Value::String(dt.to_rfc3339()));
        }
    }
    facts
}

/// The turn speaks of buying things together ("同 X10 一齐买", "together with the lock").
fn bundled(lower: &str, a: &Analysis) -> bool {
    crate::concepts::tokens(&format!("{lower} {}", a.normalized.to_lowercase()))
        .iter()
        .any(|t| t == "#bundle")
}

/// Our product matching what the customer says about a competitor ("小米的门锁" → our lock): the
/// competitor product whose name or whose match's category shares most words with the text;
/// the first one with a match otherwise.
fn matching_product(
    company: &Company,
    comp: &crate::catalog::Competitor,
    text: &str,
) -> Option<String> {
    let pairs = company.matches.get(&comp.id)?;
    let words: BTreeSet<String> = crate::kb::tokenize(text).into_iter().collect();
    let mut best: Option<(usize, &str)> = None;
    for (ours, about) in pairs {
        let n = words.intersection(about).count();
        if best.is_none_or(|(b, _)| n > b) {
            best = Some((n, ours));
        }
    }
    best.map(|(_, id)| id.to_string())
}

/// "另一款": the most recently mentioned other product, else the next product of the same category;
/// none when the category has no other ("the other one we're looking at" beside our only water
/// purifier is another brand's, not a robot vacuum).
fn other_product(company: &Company, mentioned: &[String], current: Option<&str>) -> Option<String> {
    if let Some(p) = mentioned.iter().rev().find(|p| Some(p.as_str()) != current) {
        return Some(p.clone());
    }
    let cur = current.and_then(|c| company.product(c))?;
    company
        .products()
        .iter()
        .find(|p| p.id != cur.id && p.category == cur.category)
        .map(|p| p.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_is_detected_before_a_word() {
        let c: Vec<char> = "不是a1，是b2".chars().collect();
        assert!(negated_at(&c, 2));
        assert!(!negated_at(&c, 6));
        let c: Vec<char> = "not the x1, the x2".chars().collect();
        assert!(negated_at(&c, 8));
        assert!(!negated_at(&c, 0));
        assert!(!negated_at(&[], 5));
    }
}
