//! Recommendation and comparison from the customer's needs and the products' `attributes`.
//!
//! Ranking (deterministic, explainable): a product within the budget +3, above it −5 × the share
//! it is over; a room within what it is made for +1, a larger room −2; pets +1.5 where the KB says
//! it suits pets; a noise concern + (40 − quietest dB) / 10; formaldehyde ±2; an ecosystem the
//! customer named ±2; installation included +0.5. Every reason and trade-off quotes a fact of the
//! product (its passage is cited); nothing is said that the KB does not state.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalog::Product;
use crate::company::Company;
use crate::kb::{Passage, PassageKind};
use crate::needs::{budget_range, list_slot};
use crate::phrases::{self, Phrase};
use crate::text::{Variety, fmt_price};

/// How one product fits the needs.
#[derive(Debug, Clone)]
pub struct Fit<'a> {
    pub product: &'a Product,
    pub score: f32,
    /// Within the budget (`None`: no budget known).
    pub in_budget: Option<bool>,
    /// Facts that speak for it: passage ids.
    pub reasons: Vec<String>,
    /// What speaks against it, as phrases.
    pub tradeoffs: Vec<&'static Phrase>,
}

/// The products the needs choose from: the category's, else every product.
pub fn candidates<'a>(company: &'a Company, slots: &BTreeMap<String, Value>) -> Vec<&'a Product> {
    // Without a category named, the category of the product in context ("有没有更安静的？").
    let from_product = || {
        slots
            .get("product")
            .and_then(Value::as_str)
            .and_then(|p| company.product(p))
            .and_then(|p| p.category_id.as_deref())
    };
    match slots
        .get("category")
        .and_then(Value::as_str)
        .or_else(from_product)
    {
        Some(c) => {
            let v = company.products_in(c);
            if v.is_empty() {
                company.products().iter().collect()
            } else {
                v
            }
        }
        None => company.products().iter().collect(),
    }
}

/// The first passage of a product whose text contains one of the words (a Latin word as a
/// whole word: "pet" is not in "carpet").
fn passage_with<'a>(company: &'a Company, p: &Product, words: &[&str]) -> Option<&'a Passage> {
    company.kb().passages().iter().find(|x| {
        x.product.as_deref() == Some(p.id.as_str())
            && matches!(x.kind, PassageKind::Feature | PassageKind::Spec)
            && x.key.iter().chain(x.text.iter()).any(|t| {
                t.all()
                    .any(|s| words.iter().any(|w| crate::text::contains_word(s, w)))
            })
    })
}

/// Rank the candidates by the needs in the slots, best first (ties: cheaper first).
pub fn rank<'a>(
    company: &'a Company,
    slots: &BTreeMap<String, Value>,
    candidates: &[&'a Product],
) -> Vec<Fit<'a>> {
    let budget = budget_range(slots);
    let room = slots
        .get("room_size")
        .and_then(|r| r.get("sqm"))
        .and_then(Value::as_f64);
    let household = list_slot(slots, "household");
    let concerns = list_slot(slots, "concerns");
    let mut out: Vec<Fit<'a>> = candidates
        .iter()
        .map(|p| {
            let a = &p.attributes;
            let mut f = Fit {
                product: p,
                score: 0.0,
                in_budget: None,
                reasons: Vec::new(),
                tradeoffs: Vec::new(),
            };
            let reason = |f: &mut Fit<'a>, words: &[&str]| {
                if let Some(x) = passage_with(company, p, words)
                    && !f.reasons.contains(&x.id)
                {
                    f.reasons.push(x.id.clone());
                }
            };
            if let Some((_, hi)) = budget {
                let price = p.price.amount;
                if price <= hi {
                    f.score += 3.0;
                    f.in_budget = Some(true);
                } else {
                    f.score -= 5.0 * ((price - hi) / hi.max(1.0)) as f32;
                    f.in_budget = Some(false);
                    f.tradeoffs.push(&phrases::OVER_BUDGET);
                }
            }
            if let (Some(r), Some([_, hi])) = (room, a.room_sqm) {
                if r <= hi {
                    f.score += 1.0;
                    reason(&mut f, &["适用", "㎡", "m²"]);
                } else {
                    f.score -= 2.0;
                    f.tradeoffs.push(&phrases::FOR_ROOM_TOO_SMALL);
                }
            }
            if household.iter().any(|h| h == "pets") {
                match a.pets {
                    Some(true) => {
                        f.score += 1.5;
                        reason(&mut f, &["宠物", "猫狗", "pet"]);
                    }
                    Some(false) => f.score -= 1.0,
                    None => {}
                }
            }
            if concerns.iter().any(|c| c == "noise")
                && let Some(db) = a.quiet_db
            {
                f.score += ((40.0 - db) / 10.0) as f32;
                reason(&mut f, &["噪音", "dB"]);
            }
            if concerns.iter().any(|c| c == "formaldehyde") {
                match a.formaldehyde {
                    Some(true) => {
                        f.score += 2.0;
                        reason(&mut f, &["甲醛"]);
                    }
                    Some(false) => {
                        f.score -= 2.0;
                        f.tradeoffs.push(&phrases::NO_FORMALDEHYDE);
                    }
                    None => {}
                }
            }
            for eco in ["homekit", "mi_home", "google_home", "matter"] {
                if concerns.iter().any(|c| c == eco) {
                    if a.ecosystems
                        .iter()
                        .any(|e| e == eco || e == "matter" && eco == "matter")
                    {
                        f.score += 2.0;
                        reason(&mut f, &["Matter", "HomeKit", "Apple"]);
                    } else {
                        f.score -= 2.0;
                        f.tradeoffs.push(&phrases::NO_ECOSYSTEM);
                    }
                }
            }
            if concerns.iter().any(|c| c == "installation") && a.installation_included == Some(true)
            {
                f.score += 0.5;
            }
            f
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.product.price.amount.total_cmp(&b.product.price.amount))
    });
    out
}

/// The one most useful question still open, for the candidates in play.
pub fn next_question(
    company: &Company,
    slots: &BTreeMap<String, Value>,
    candidates: &[&Product],
    v: Variety,
) -> Option<String> {
    if !slots.contains_key("category") && !slots.contains_key("product") {
        let names: Vec<&str> = company.categories().iter().map(|c| c.name.get(v)).collect();
        if !names.is_empty() {
            let list = names.join(if v.is_chinese() { "、" } else { ", " });
            return Some(format!(
                "{}{list}{}",
                phrases::ASK_CATEGORY.get(v),
                phrases::stop(v)
            ));
        }
    }
    if candidates.len() < 2 {
        return None;
    }
    let prices_differ = candidates
        .windows(2)
        .any(|w| (w[0].price.amount - w[1].price.amount).abs() > 1.0);
    if !slots.contains_key("budget") && prices_differ {
        return Some(phrases::ASK_BUDGET.get(v).to_string());
    }
    if !slots.contains_key("room_size")
        && candidates.iter().any(|p| p.attributes.room_sqm.is_some())
    {
        return Some(phrases::ASK_ROOM.get(v).to_string());
    }
    if !slots.contains_key("household") && candidates.iter().any(|p| p.attributes.pets.is_some()) {
        return Some(phrases::ASK_PETS.get(v).to_string());
    }
    None
}

/// A passage's text in a variety, trimmed of its final stop.
pub fn passage_text(p: &Passage, v: Variety) -> String {
    let t = p.text.as_ref().map(|t| t.get(v)).unwrap_or("");
    let s = match &p.key {
        Some(k) => format!(
            "{}{}{}",
            k.get(v),
            if v.is_chinese() { "：" } else { ": " },
            t
        ),
        None => t.to_string(),
    };
    s.trim()
        .trim_end_matches(['。', '；', ';', '.'])
        .to_string()
}

fn price_of(p: &Product, v: Variety) -> String {
    let price = fmt_price(p.price.amount, &p.price.currency);
    match v {
        Variety::En => format!("{} {price}", phrases::PRICE_WORD.get(v)),
        _ => format!("{}{price}", phrases::PRICE_WORD.get(v)),
    }
}

/// "推荐 X（售价¥…）：reason；reason。X2 超出您的预算。也可以考虑 …" with citations.
pub fn render_recommendation(
    company: &Company,
    fits: &[Fit<'_>],
    v: Variety,
) -> Option<(String, Vec<String>)> {
    let best = fits.first()?;
    let mut cites = Vec::new();
    let mut out = String::new();
    let (open, close) = if v.is_chinese() {
        ("（", "）")
    } else {
        (" (", ")")
    };
    let describe = |f: &Fit<'_>, cites: &mut Vec<String>| -> String {
        let p = f.product;
        cites.push(format!("product:{}", p.id));
        let mut facts: Vec<String> = f
            .reasons
            .iter()
            .filter_map(|id| company.kb().passage(id))
            .map(|x| passage_text(x, v))
            .collect();
        if facts.is_empty() {
            facts.extend(
                p.features
                    .iter()
                    .take(2)
                    .map(|t| t.get(v).trim_end_matches(['。', '.']).to_string()),
            );
        }
        format!(
            "{}{open}{}{close}{}{}",
            p.name.get(v),
            price_of(p, v),
            if v.is_chinese() { "：" } else { ": " },
            facts.join(phrases::item_sep(v))
        )
    };
    if best.in_budget == Some(false) {
        out.push_str(phrases::NONE_IN_BUDGET.get(v));
    } else {
        out.push_str(phrases::RECOMMEND.get(v));
    }
    out.push_str(&describe(best, &mut cites));
    out.push_str(phrases::stop(v));
    for t in &best.tradeoffs {
        out.push_str(phrases::sep(v));
        out.push_str(&tradeoff(best.product, t, v));
    }
    if let Some(second) = fits.get(1).filter(|s| s.score > best.score - 3.0) {
        out.push_str(phrases::sep(v));
        out.push_str(phrases::ALSO_CONSIDER.get(v));
        out.push_str(&describe(second, &mut cites));
        out.push_str(phrases::stop(v));
        for t in &second.tradeoffs {
            out.push_str(phrases::sep(v));
            out.push_str(&tradeoff(second.product, t, v));
        }
    }
    Some((out, cites))
}

fn tradeoff(p: &Product, t: &Phrase, v: Variety) -> String {
    match v {
        Variety::En => format!("The {} {}.", p.name.get(v), t.get(v)),
        _ => format!("{}{}。", p.name.get(v), t.get(v)),
    }
}

/// Key facts of two or three products side by side: price and the first three specs each.
pub fn render_comparison(products: &[&Product], v: Variety) -> Option<(String, Vec<String>)> {
    if products.len() < 2 {
        return None;
    }
    let mut out = phrases::COMPARE_INTRO.get(v).to_string();
    let mut cites = Vec::new();
    for (i, p) in products.iter().take(3).enumerate() {
        cites.push(format!("product:{}", p.id));
        if i > 0 {
            out.push_str(phrases::sep(v));
        }
        let specs: Vec<String> = p
            .specs
            .iter()
            .take(3)
            .map(|s| {
                format!(
                    "{}{}{}",
                    s.key.get(v),
                    if v.is_chinese() { "：" } else { ": " },
                    s.value.get(v)
                )
            })
            .collect();
        out.push_str(&format!(
            "{}{}{}{}{}{}",
            p.name.get(v),
            if v.is_chinese() { "——" } else { " — " },
            price_of(p, v),
            phrases::item_sep(v),
            specs.join(phrases::item_sep(v)),
            phrases::stop(v)
        ));
    }
    Some((out, cites))
}

/// A need the customer names that the product asked about is stated not to meet ("A3 能除甲醛吗",
/// "the living room one has to deal with formaldehyde" with the A3 in play): the product's own
/// fact about it, then the product of the same category that meets it, with its fact and price.
/// `None` when the product meets it, says nothing about it, or no other product meets it.
pub(crate) fn unmet_need(
    company: &Company,
    product_id: &str,
    question_concepts: &[String],
    v: Variety,
) -> Option<(String, Vec<String>)> {
    let product = company.product(product_id)?;
    let &(concept, get, phrase) = NEEDS
        .iter()
        .find(|(c, _, _)| question_concepts.iter().any(|q| q == c))?;
    if get(product) != Some(false) {
        return None;
    }
    let meets = |p: &Product| get(p) == Some(true);
    let other = company
        .products()
        .iter()
        .filter(|p| {
            p.id != product.id
                && p.category_id.is_some()
                && p.category_id == product.category_id
                && meets(p)
        })
        .min_by_key(|p| p.price.amount as i64)?;
    let fact_of = |id: &str| {
        company.kb().passages().iter().find(|p| {
            p.product.as_deref() == Some(id)
                && p.kind != PassageKind::Price
                && p.concepts.iter().any(|c| c == concept)
        })
    };
    let own = fact_of(&product.id)?;
    let theirs = fact_of(&other.id)?;
    let price = fmt_price(other.price.amount, &other.price.currency);
    let sep = phrases::sep(v);
    let body = |p: &Passage| passage_text(p, v).trim_end_matches(['。', '.']).to_string();
    let text = match v {
        Variety::En => format!(
            "The {}: {}.{sep}{}{} ({price}): {}.",
            product.name.get(v),
            body(own),
            phrase.get(v),
            other.name.get(v),
            body(theirs)
        ),
        _ => format!(
            "{}：{}。{}{}（{price}）：{}。",
            product.name.get(v),
            body(own),
            phrase.get(v),
            other.name.get(v),
            body(theirs)
        ),
    };
    Some((text, vec![own.cite.clone(), theirs.cite.clone()]))
}

type NeedAttr = fn(&Product) -> Option<bool>;

/// The yes/no needs a product's attributes state, by the question concept that names them.
const NEEDS: &[(&str, NeedAttr, &Phrase)] = &[
    (
        "#formaldehyde",
        |p| p.attributes.formaldehyde,
        &phrases::FOR_FORMALDEHYDE,
    ),
    ("#pets", |p| p.attributes.pets, &phrases::FOR_PETS),
];
