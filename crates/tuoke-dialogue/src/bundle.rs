//! One product per category for a customer who furnishes a whole home at once ("门锁、净水器、洗碗机、
//! 扫地机器人都要，总预算15000左右", "a lock, a purifier and a vacuum for about 8,000 RMB"): the
//! combination the needs rank best that stays within the total budget, or each category's prices
//! when no budget is known. Every price said is a product's own; a total is said in words only
//! (a computed sum is a number the KB does not state).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalog::Product;
use crate::company::Company;
use crate::needs::budget_range;
use crate::phrases;
use crate::recommend::rank;
use crate::render::name_and_price;
use crate::text::Variety;

/// The categories a turn names, in the order it names them (as written, else as normalized).
pub fn categories_in_turn(company: &Company, text: &str, normalized: &str) -> Vec<String> {
    for t in [text, normalized] {
        let lower = t.to_lowercase();
        let mut cats = company.categories_named(&lower);
        if cats.len() >= 2 {
            let at = |id: &String| {
                company
                    .category(id)
                    .map(|c| {
                        c.aliases
                            .iter()
                            .map(String::as_str)
                            .chain(c.name.all())
                            .filter_map(|n| lower.find(&n.to_lowercase()))
                            .min()
                            .unwrap_or(usize::MAX)
                    })
                    .unwrap_or(usize::MAX)
            };
            cats.sort_by_key(at);
            return cats;
        }
    }
    Vec::new()
}

/// A turn the bundle answers: two or more categories, and a request, a budget or three of them.
pub fn is_bundle_turn(cats: &[String], asked: bool, has_budget: bool) -> bool {
    cats.len() >= 2 && (asked || has_budget || cats.len() >= 3)
}

/// How many products of each category a bundle weighs (the best ranked).
const PER_CATEGORY: usize = 3;

/// The bundle reply and its citations for the categories named (two or more), or `None` when
/// fewer than two of them have products.
pub fn render_bundle(
    company: &Company,
    slots: &BTreeMap<String, Value>,
    categories: &[String],
    v: Variety,
) -> Option<(String, Vec<String>)> {
    // Each category ranked by the needs other than the budget (the budget is the whole's).
    let mut per_item = slots.clone();
    per_item.remove("budget");
    let ranked: Vec<(String, Vec<&Product>)> = categories
        .iter()
        .filter_map(|c| {
            let cands = company.products_in(c);
            let fits = rank(company, &per_item, &cands);
            let best: Vec<&Product> = fits.iter().take(PER_CATEGORY).map(|f| f.product).collect();
            let name = company.category(c)?.name.get(v).to_string();
            (!best.is_empty()).then_some((name, best))
        })
        .collect();
    if ranked.len() < 2 {
        return None;
    }
    let mut citations: Vec<String> = Vec::new();
    let item = |cat: &str, p: &Product| match v {
        Variety::En => format!("{cat}: {}", name_and_price(p, v)),
        _ => format!("{cat}：{}", name_and_price(p, v)),
    };
    let list_sep = if v.is_chinese() { "；" } else { "; " };
    let end = if v.is_chinese() { "。" } else { "." };
    let Some((_, max)) = budget_range(slots) else {
        // No budget: every product of each category with its price.
        let lines: Vec<String> = ranked
            .iter()
            .map(|(cat, ps)| {
                let names: Vec<String> = ps
                    .iter()
                    .map(|p| {
                        citations.push(format!("product:{}", p.id));
                        name_and_price(p, v)
                    })
                    .collect();
                let joined = names.join(if v.is_chinese() { "、" } else { " or " });
                match v {
                    Variety::En => format!("{cat}: {joined}"),
                    _ => format!("{cat}：{joined}"),
                }
            })
            .collect();
        let text = format!(
            "{}{}{end}",
            phrases::BUNDLE_PRICES.get(v),
            lines.join(list_sep)
        );
        return Some((text, citations));
    };
    // Every combination (ranked position as the score: earlier is better), best within budget.
    let mut best: Option<(usize, f64, Vec<&Product>)> = None;
    let mut cheapest: Option<(f64, Vec<&Product>)> = None;
    let mut pick = vec![0usize; ranked.len()];
    loop {
        let combo: Vec<&Product> = pick
            .iter()
            .zip(&ranked)
            .map(|(&i, (_, ps))| ps[i])
            .collect();
        let total: f64 = combo.iter().map(|p| p.price.amount).sum();
        let rank_sum: usize = pick.iter().sum();
        if total <= max
            && best
                .as_ref()
                .is_none_or(|(r, t, _)| (rank_sum, total) < (*r, *t))
        {
            best = Some((rank_sum, total, combo.clone()));
        }
        if cheapest.as_ref().is_none_or(|(t, _)| total < *t) {
            cheapest = Some((total, combo));
        }
        // Next combination (odometer over the categories).
        let mut k = 0;
        while k < pick.len() {
            pick[k] += 1;
            if pick[k] < ranked[k].1.len() {
                break;
            }
            pick[k] = 0;
            k += 1;
        }
        if k == pick.len() {
            break;
        }
    }
    let (chosen, fits) = match (best, cheapest) {
        (Some((_, _, c)), _) => (c, true),
        (None, Some((_, c))) => (c, false),
        (None, None) => return None,
    };
    let items: Vec<String> = chosen
        .iter()
        .zip(&ranked)
        .map(|(p, (cat, _))| {
            citations.push(format!("product:{}", p.id));
            item(cat, p)
        })
        .collect();
    let mut text = format!(
        "{}{}{end}{}",
        if fits {
            phrases::BUNDLE_WITHIN.get(v)
        } else {
            phrases::BUNDLE_CHEAPEST.get(v)
        },
        items.join(list_sep),
        if fits {
            phrases::BUNDLE_FITS.get(v)
        } else {
            phrases::BUNDLE_OVER.get(v)
        }
    );
    // The other products of those categories, so the customer sees the choice.
    let others: Vec<String> = ranked
        .iter()
        .flat_map(|(_, ps)| ps.iter())
        .filter(|p| !chosen.iter().any(|c| c.id == p.id))
        .map(|p| {
            citations.push(format!("product:{}", p.id));
            name_and_price(p, v)
        })
        .collect();
    if !others.is_empty() {
        text.push_str(phrases::sep(v));
        text.push_str(phrases::BUNDLE_OTHERS.get(v));
        text.push_str(&others.join(if v.is_chinese() { "、" } else { ", " }));
        text.push_str(end);
    }
    Some((text, citations))
}
