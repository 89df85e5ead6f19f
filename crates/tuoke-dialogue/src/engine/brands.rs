//! Brands the company has no talking points for ("What about Dreame or iRobot?", "云鲸的拖地是不是
//! 比你们强？"): found in the turn ([`unknown_brand`], from [`KNOWN_BRANDS`](super::cues::KNOWN_BRANDS)
//! minus the competitors file), and answered honestly — nothing is said about that brand; our own
//! product in context is described instead ([`Engine::unknown_brand_answer`]).

use serde_json::Value;

use super::Engine;
use crate::answer::{self, Answer};
use crate::phrases;

/// A brand the customer names that the company's competitors file does not know ("What about
/// Dreame or iRobot?"), as the customer wrote it.
pub(super) fn unknown_brand(company: &crate::Company, text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let same = lower.len() == text.len();
    super::cues::KNOWN_BRANDS.iter().find_map(|b| {
        let at = lower
            .match_indices(b)
            .find(|&(i, _)| !b.is_ascii() || crate::text::word_bounded(&lower, i, i + b.len()))?;
        // A brand the company has talking points for is a competitor, not unknown.
        if company
            .find_names(b)
            .iter()
            .any(|(_, is_product, _)| !is_product)
        {
            return None;
        }
        let shown = if same {
            text.get(at.0..at.0 + b.len()).unwrap_or(b)
        } else {
            b
        };
        Some(shown.to_string())
    })
}

impl Engine {
    /// "We have nothing on Dreame; ours:" and the product in context (name, price, two key
    /// facts), else the products of the category in context.
    pub(super) fn unknown_brand_answer(
        &self,
        st: &crate::state::ConversationState,
        brand: &str,
    ) -> Answer {
        let company = &*self.company;
        let v = st.variety;
        let sep = crate::phrases::item_sep(v);
        let mut text = phrases::UNKNOWN_BRAND.get(v).replace("{brand}", brand);
        let mut citations = Vec::new();
        let describe = |p: &crate::Product| {
            let facts: Vec<&str> = p
                .features
                .iter()
                .take(2)
                .map(|f| f.get(v).trim_end_matches(['。', '.']))
                .collect();
            format!(
                "{}{}{}",
                crate::render::name_and_price(p, v),
                if v.is_chinese() { "：" } else { ": " },
                facts.join(sep)
            )
        };
        if let Some(p) = st.product().and_then(|id| company.product(id)) {
            citations.push(format!("product:{}", p.id));
            text.push_str(&describe(p));
        } else {
            let in_category: Vec<&crate::Product> = st
                .slots
                .get("category")
                .and_then(Value::as_str)
                .map(|c| company.products_in(c))
                .unwrap_or_default();
            let list: Vec<String> = in_category
                .iter()
                .map(|p| {
                    citations.push(format!("product:{}", p.id));
                    crate::render::name_and_price(p, v)
                })
                .collect();
            text.push_str(&list.join(sep));
        }
        text.push_str(phrases::stop(v));
        Answer {
            kind: answer::AnswerKind::Passage,
            text,
            citations,
            passage: None,
        }
    }
}
