//! The recommendation part of a reply: the products that fit the needs the customer told
//! (budget, room, household, concerns), the category's range, or the one most useful question.

use serde_json::Value;

use super::understand::Understood;
use super::{Engine, TurnCtx};
use crate::answer::{self, Answer};
use crate::phrases;
use crate::recommend;

/// A customer turn's sentiment score at or below which the engine recommends nothing.
const UPSET_SCORE: f32 = -0.4;

impl Engine {
    /// A recommendation (or the one most useful question) when the turn gave needs or asked what
    /// to choose and no product is chosen yet; `true` with it when it is a bundle of several
    /// categories ([`crate::bundle`]), which answers the turn's price and choice questions too.
    pub(super) fn recommendation(&self, t: &TurnCtx<'_>, u: &Understood) -> Option<(Answer, bool)> {
        let company = &*self.company;
        let v = t.st.variety;
        let lower = t.analysis.text.to_lowercase();
        let asked = u.needs.asks_recommendation;
        let gave = !u.needs_filled.is_empty();
        // Clearly upset (a weak negative reading of a plain statement — "Our company is
        // evaluating robot vacuums…" scored -0.22 — is no reason to hold back a recommendation).
        // (Asked again for the choice we made, however it sounds: "为什么选它？" reads negative.)
        let again = asked
            && (crate::needs::asks_why_chosen(&lower)
                || !crate::state::list_slot(&t.st.slots, "recommended").is_empty());
        let upset = u.sentiment == "negative"
            && !again
            && t.st
                .sentiment_trend
                .last()
                .is_some_and(|s| *s <= UPSET_SCORE);
        let busy = upset
            || u.intent.as_deref().is_some_and(|i| {
                matches!(
                    i,
                    "complaint"
                        | "request_human"
                        | "not_interested"
                        | "goodbye"
                        | "busy_later"
                        | "provide_contact"
                )
            });
        if busy {
            return None;
        }
        // "I'll take the cheaper one" picked a product discussed: no search for another.
        // ("为什么选它？" asks the reasons again.)
        if u.facts.reference
            && !crate::needs::asks_for_another(&lower)
            && !crate::needs::asks_why_chosen(&lower)
        {
            return None;
        }
        // Several categories at once ("门锁、净水器、洗碗机都要，总预算15000"): one of each.
        // (Only when needs were given or a choice asked: no category scan on other turns.)
        let cats = if asked || gave {
            crate::bundle::categories_in_turn(company, &t.analysis.text, &t.analysis.normalized)
        } else {
            Vec::new()
        };
        if crate::bundle::is_bundle_turn(&cats, asked, t.st.slots.contains_key("budget"))
            && let Some((text, citations)) =
                crate::bundle::render_bundle(company, &t.st.slots, &cats, v)
        {
            let bundle = Answer {
                kind: answer::AnswerKind::Compare,
                text,
                citations,
                passage: None,
            };
            return Some((bundle, true));
        }
        // "这两款哪个好" about the products just discussed is a comparison, not a new search.
        // ("咁邊部靜啲？" weighs them by one spec: the side-by-side; "A3 同 A7 揀邊部好？" asks
        // for a choice, which the ranking makes.)
        if (answer::refers_to_several(&lower)
            || (crate::question::compares(&lower) && !crate::needs::asks_choice(&lower)))
            && t.st.products_mentioned().len() >= 2
        {
            return None;
        }
        if !(asked || gave)
            || (t.st.product().is_some() && !asked && u.facts.entities.contains("product"))
        {
            return None;
        }
        // "跟扫地机一起买有优惠吗" about the speaker in context: a question about the offer, not a
        // new search of the category it names.
        if u.product_before.is_some()
            && !asked
            && u.intent.as_deref().is_some_and(|i| {
                matches!(
                    i,
                    "ask_discount" | "ask_payment" | "ask_delivery" | "ask_after_sales"
                )
            })
        {
            return None;
        }
        // A product in context that only we put forward, and needs told without a question
        // ("两室一厅 90 平，预算两千左右" after a first suggestion): the ranking runs again.
        let ours = u.product_before.as_deref().is_some_and(|p| {
            crate::state::list_slot(&t.st.slots, "recommended")
                .iter()
                .any(|r| r == p)
        }) && !u.clauses.iter().any(|c| c.question);
        // ("音箱声音大不大？" names the S3's own category: no new search either.)
        let same_category = u.needs.category.is_none()
            || u.product_before
                .as_deref()
                .and_then(|p| company.product(p))
                .is_some_and(|p| p.category_id.as_deref() == u.needs.category.as_deref());
        if u.product_before.is_some() && !asked && same_category && !ours {
            // Needs about the product already in context ("A7 适合15平吗") are questions for retrieval.
            return None;
        }
        let mut cands = recommend::candidates(company, &t.st.slots);
        // "Anything under 500 RMB I could give as a gift?": an open request whose budget no
        // product of the category in play meets looks at everything we sell within it.
        if asked
            && let Some((_, max)) = crate::needs::budget_range(&t.st.slots)
            && !cands.iter().any(|p| p.price.amount <= max)
            && has_open_request(&lower)
        {
            let within: Vec<_> = company
                .products()
                .iter()
                .filter(|p| p.price.amount <= max)
                .collect();
            if !within.is_empty() {
                cands = within;
            }
        }
        // "有没有比较便宜的？" with the A7 in play: only what costs less than the A7.
        if crate::needs::asks_alternative(&lower)
            && crate::needs::asks_cheaper(&lower)
            && let Some(cur) = u.product_before.as_deref().and_then(|p| company.product(p))
            && cands.iter().any(|p| p.price.amount < cur.price.amount)
        {
            cands.retain(|p| p.price.amount < cur.price.amount);
        }
        let only_category = !t.st.slots.contains_key("budget")
            && !t.st.slots.contains_key("room_size")
            && !t.st.slots.contains_key("household")
            && !t.st.slots.contains_key("concerns");
        let question = recommend::next_question(company, &t.st.slots, &cands, v);
        let mut text;
        let mut citations = Vec::new();
        // "朋友入伙，想送啲智能家居嘢，預算 2000 左右": a gift on a budget, any category — what
        // we sell within it, ranked.
        let open_gift = !t.st.slots.contains_key("category")
            && t.st.product().is_none()
            && has_open_request(&lower)
            && crate::needs::budget_range(&t.st.slots).is_some();
        if open_gift
            && let Some((_, max)) = crate::needs::budget_range(&t.st.slots)
            && let within = company
                .products()
                .iter()
                .filter(|p| p.price.amount <= max)
                .collect::<Vec<_>>()
            && !within.is_empty()
            && let Some((body, c)) = recommend::render_recommendation(
                company,
                &recommend::rank(company, &t.st.slots, &within),
                v,
            )
        {
            text = body;
            citations = c;
        } else if !t.st.slots.contains_key("category") && t.st.product().is_none() {
            // Without a category nothing sensible can be ranked: ask for it.
            text = question?;
        } else if only_category && cands.len() > 1 && !asked {
            // A category word: the products in it with prices, then the most useful question.
            let list: Vec<String> = cands
                .iter()
                .map(|p| {
                    citations.push(format!("product:{}", p.id));
                    format!(
                        "{}{}",
                        p.name.get(v),
                        if v.is_chinese() {
                            format!(
                                "（{}）",
                                crate::text::fmt_price(p.price.amount, &p.price.currency)
                            )
                        } else {
                            format!(
                                " ({})",
                                crate::text::fmt_price(p.price.amount, &p.price.currency)
                            )
                        }
                    )
                })
                .collect();
            let cat =
                t.st.slots
                    .get("category")
                    .and_then(Value::as_str)
                    .and_then(|c| company.category(c))
                    .map(|c| c.name.get(v).to_string())
                    .unwrap_or_default();
            text = match v {
                crate::text::Variety::En => format!("Our {cat} range: {}.", list.join(", ")),
                crate::text::Variety::Yue => format!("我哋嘅{cat}有：{}。", list.join("、")),
                crate::text::Variety::Cmn => format!("我们的{cat}有：{}。", list.join("、")),
            };
            if let Some(q) = question {
                text.push_str(phrases::sep(v));
                text.push_str(&q);
            }
        } else {
            let fits = recommend::rank(company, &t.st.slots, &cands);
            let (body, c) = recommend::render_recommendation(company, &fits, v)?;
            text = body;
            citations = c;
            // "…the rate for 120 smart locks": the volume tier that count reaches, too.
            if let Some(p) = fits.first().map(|f| f.product)
                && let Some(tier) =
                    t.st.slots
                        .get("quantity")
                        .and_then(Value::as_f64)
                        .and_then(|q| crate::render::volume_tier(p, q, v))
            {
                text.push_str(phrases::sep(v));
                text.push_str(&tier);
                text.push_str(if v.is_chinese() { "。" } else { "." });
            }
            if let Some(q) = question.filter(|_| fits.len() > 1) {
                text.push_str(phrases::sep(v));
                text.push_str(&q);
            }
        }
        let rec = Answer {
            kind: answer::AnswerKind::Compare,
            text,
            citations,
            passage: None,
        };
        Some((rec, false))
    }
}

/// Words that open a request to any product ("anything", "任何", a gift).
const OPEN_REQUEST: &[&str] = &[
    "想送",
    "送俾",
    "送畀",
    "送给",
    "送給",
    "入伙",
    "入夥",
    "乔迁",
    "喬遷",
    "housewarming",
    "anything",
    "something",
    "any product",
    "gift",
    "present",
    "任何",
    "什么都",
    "乜都",
    "送礼",
    "送禮",
    "礼物",
    "禮物",
    "别的产品",
    "其他产品",
    "其他產品",
];

fn has_open_request(lower: &str) -> bool {
    crate::words::any(lower, OPEN_REQUEST)
}
