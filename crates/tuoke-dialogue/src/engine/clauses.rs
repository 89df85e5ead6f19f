//! Step 5a: the KB's answer to each question clause of a turn — the clause's query (an elliptical
//! follow-up carries the previous clause, "那 X10 呢？" the previous turn's question), then
//! [`answer::answer_at`].

use super::Engine;
use super::cues::ASK_INTENTS;
use super::understand::{ClauseView, Understood};
use crate::answer::{self, Ask};
use crate::state::ConversationState;

/// Clause intents the playbook answers better than a passage (escalating discounts, competitor
/// talk, contact, people).
const NODE_ONLY: &[&str] = &[
    "ask_discount",
    "request_human",
    "provide_contact",
    "complaint",
    "goodbye",
    "greeting",
    "busy_later",
    "not_interested",
];

/// Topics that have a price of their own ("滤芯多少钱", "运费几多", "安装收费吗"): a bare price
/// question after a clause about one of them asks its price.
const PRICED_TOPICS: &[&str] = &[
    "#filter",
    "#delivery",
    "#install",
    "#install_fee",
    "#warranty",
    "#capacity",
    "#battery",
];

impl Engine {
    /// The KB's answer to each question clause of the turn, in order (`None`: the KB has nothing
    /// at `tuning`). Clauses the playbook answers (a discount request, a competitor named) are
    /// not asked.
    pub(crate) fn clause_answers(
        &self,
        st: &ConversationState,
        u: &Understood,
        tuning: &answer::Tuning,
    ) -> Vec<answer::Asked> {
        let mut out = Vec::new();
        // An elliptical follow-up ("A3 滤网多少钱？多久要换？") asks about the previous
        // question's topic: its query carries the previous clause along.
        let mut prev: Option<&str> = None;
        // The clause before, whatever it asked (a clause may go on from it).
        let mut last: Option<&str> = None;
        let turn_named: Vec<String> = if u.clauses.len() > 1 {
            let all: Vec<&str> = u.clauses.iter().map(|c| c.text.as_str()).collect();
            let named = answer::named_products(&self.company, &all.join(" "));
            // ("几钱呀？同 X10 一齐买会唔会平啲？" about the S3: the X10 is bought along with it;
            // the price asked is the S3's.)
            let along = st.product().is_some_and(|p| !named.iter().any(|n| n == p))
                && u.clauses.iter().any(|c| {
                    crate::concepts::tokens(&c.query)
                        .iter()
                        .any(|t| t == "#bundle")
                });
            if along { Vec::new() } else { named }
        } else {
            Vec::new()
        };
        let clauses: Vec<ClauseView> = u
            .clauses
            .iter()
            .flat_map(|c| conjoined(&self.company, c))
            .collect();
        for c in &clauses {
            let intent = c.intent.as_deref();
            // (A statement asks nothing but may be what the next clause goes on from: "Taiwan
            // uses 110V. Would it work here?")
            let before = last.replace(&c.query);
            // What the clause is about in KB terms ("续航", "配送"…): a clause that names one of
            // our topics asks about it, whatever intent the model read ("它续航多久" is no
            // discount request, "energy rating of the D13" is a question without a mark).
            // (A place alone — "We're moving to Beijing next month." — asks nothing.)
            let topics: Vec<String> = crate::concepts::tokens(&c.query)
                .into_iter()
                .filter(|t| {
                    !matches!(
                        t.as_str(),
                        "#discount" | "#contact" | "#company" | "#mainland" | "#hkmo" | "#overseas"
                    )
                })
                .collect();
            // ("你好，我们要买10台，A7多少钱？": a greeting's or a complaint's clause that asks a
            // price or a value still asks it.)
            let asks_value = c.question
                && (crate::question::asks_price(&c.query.to_lowercase())
                    || crate::qtype::wanted(&c.query.to_lowercase()).is_some())
                && intent.is_some_and(|i| {
                    matches!(
                        i,
                        "greeting" | "complaint" | "goodbye" | "not_interested" | "busy_later"
                    )
                });
            if intent.is_some_and(|i| NODE_ONLY.contains(&i)) && topics.is_empty() && !asks_value {
                continue;
            }
            // "Can you call me tomorrow morning?": a time to call back, not a question about
            // next-day delivery ("tomorrow" is a delivery word too).
            if intent == Some("busy_later") && u.facts.entities.contains("datetime") && !asks_value
            {
                continue;
            }
            if intent == Some("compare_competitor") && u.facts.entities.contains("competitor") {
                continue;
            }
            // "可以講普通話嗎？我老公睇唔明廣東話。": the language of the talk, not of a product.
            if u.switched_variety
                && (crate::lang::requested(&c.text.to_lowercase()).is_some()
                    || topics.iter().any(|t| t == "#language"))
            {
                last = None;
                continue;
            }
            // ("部機開唔著": a fault told, not asked about, is answered with the terms too.)
            let asks = c.question
                || topics.iter().any(|t| t == "#fault")
                || intent.is_some_and(|i| ASK_INTENTS.contains(&i))
                || (!topics.is_empty()
                    && intent.is_none_or(|i| {
                        !matches!(i, "purchase_intent" | "provide_contact" | "goodbye")
                    }));
            if !asks {
                continue;
            }
            // "S3 识唔识听广东话？几钱一部？": the price clause asks the product's price, not the
            // price of the language (only a sub-thing the previous clause named carries over:
            // "滤芯多久换？多少钱？").
            let plain_price = crate::question::asks_price(&c.query.to_lowercase())
                && prev.is_some_and(|p| {
                    crate::question::topic_concepts(&self.company, p)
                        .iter()
                        .all(|t| !PRICED_TOPICS.contains(&t.as_str()))
                });
            let elliptical = answer::is_elliptical(&self.company, &c.query) && !plain_price;
            // "咁濾水器 R8 呢？" on the turn after "澳門師傅上唔上門裝？": the last question again.
            let what_about = prev.is_none()
                && crate::question::is_what_about(&self.company, &c.query.to_lowercase());
            let query = match (prev, st.last_question.as_deref()) {
                (Some(p), _) if elliptical => format!("{p} {}", c.query),
                (None, Some(last)) if what_about => format!("{} {last}", c.query),
                _ => c.query.clone(),
            };
            // ("What about the other one, the A7?": a clause of fillers leaves the last question
            // to the next one.)
            if answer::is_specific(&self.company, &c.query) {
                prev = Some(&c.query);
            }
            let ask = Ask {
                text: &query,
                intent,
                turn_named: &turn_named,
            };
            let mut found = answer::answer_at(&self.company, st, ask, st.variety, tuning);
            // "Will your team do the installation, and what is the timeline?": a clause the KB
            // has nothing for alone may go on from the one before it (the installation's
            // timeline), asked together.
            if found.is_none()
                && let Some(p) = before.filter(|_| query == c.query)
            {
                let joined = format!("{p} {}", c.query);
                let ask = Ask {
                    text: &joined,
                    intent,
                    turn_named: &turn_named,
                };
                found = answer::answer_at(&self.company, st, ask, st.variety, tuning).filter(|x| {
                    out.iter()
                        .all(|a: &answer::Asked| a.answer.as_ref() != Some(x))
                });
            }
            out.push(answer::Asked {
                text: c.text.clone(),
                question: c.question,
                specific: answer::is_specific(&self.company, &query),
                query: query.clone(),
                intent: c.intent.clone(),
                turn_named: turn_named.clone(),
                answer: found,
            });
        }
        out
    }
}

/// Words joining two things asked in one breath ("the price and the shipping fee", "发票和账期").
const AND_WORDS: &[&str] = &[" and ", "和", "以及", "还有", "同埋"];

/// A clause asking about two topics joined by "and" ("What's the price and the shipping fee to
/// HK?", "a special VAT invoice and 30-day credit") as two clauses, when each side asks about a
/// topic of its own (a concept, or a price); otherwise the clause as it is.
/// (A statement is not split — "it arrived 10 days ago and it's already rattling" tells one
/// story — nor a question about several products: "净水器和洗碗机一共多少钱" asks one price.)
fn conjoined(company: &crate::company::Company, c: &ClauseView) -> Vec<ClauseView> {
    if !c.question {
        return vec![c.clone()];
    }
    let lower = c.query.to_lowercase();
    if !AND_WORDS.iter().any(|w| lower.contains(w))
        || company.find_names(&lower).len() + company.categories_named(&lower).len() >= 2
    {
        return vec![c.clone()];
    }
    let topic = |t: &str| -> Option<Vec<String>> {
        let mut ts: Vec<String> = crate::question::topic_concepts(company, t)
            .into_iter()
            .filter(|t| !crate::kb::PLACE_CONCEPTS.contains(&t.as_str()))
            .collect();
        if crate::question::asks_price(&t.to_lowercase()) {
            ts.push("price".into());
        }
        (!ts.is_empty()).then_some(ts)
    };
    for w in AND_WORDS {
        let Some((left, right)) = lower.split_once(w) else {
            continue;
        };
        if left.trim().is_empty() || right.trim().is_empty() {
            continue;
        }
        let (Some(l), Some(r)) = (topic(left), topic(right)) else {
            continue;
        };
        if r.iter().all(|t| l.contains(t)) || l.iter().all(|t| r.contains(t)) {
            continue;
        }
        let part = |q: &str| ClauseView {
            text: q.trim().to_string(),
            query: q.trim().to_string(),
            ..c.clone()
        };
        return vec![part(left), part(right)];
    }
    vec![c.clone()]
}
