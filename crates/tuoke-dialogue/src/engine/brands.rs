//! Brands the company has no talking points for ("What about Dreame or iRobot?", "云鲸的拖地是不是
//! 比你们强？"): found in the turn ([`unknown_brand`], from [`KNOWN_BRANDS`]
//! minus the competitors file), and answered honestly — nothing is said about that brand; our own
//! product in context is described instead ([`Engine::unknown_brand_answer`]).

use serde_json::Value;

use super::Engine;
use crate::answer::{self, Answer};
use crate::phrases;

/// Well-known home-appliance brands (lower-case, both scripts). A company's own competitors
/// file names the rivals it has talking points for; any other brand named here gets an honest
/// "we have no information on it" and our own facts, never a comparison invented for it nor one
/// meant for another brand.
const KNOWN_BRANDS: &[&str] = &[
    "追觅",
    "追覓",
    "dreame",
    "irobot",
    "roomba",
    "云鲸",
    "雲鯨",
    "narwal",
    "飞利浦",
    "飛利浦",
    "philips",
    "松下",
    "panasonic",
    "海尔",
    "海爾",
    "haier",
    "格力",
    "gree",
    "华为",
    "華為",
    "huawei",
    "三星",
    "samsung",
    "西门子",
    "西門子",
    "siemens",
    "博世",
    "bosch",
    "方太",
    "fotile",
    "德施曼",
    "dessmann",
    "凯迪仕",
    "凱迪仕",
    "kaadas",
    "鹿客",
    "霍尼韦尔",
    "霍尼韋爾",
    "honeywell",
    "夏普",
    "大金",
    "daikin",
    "布鲁雅尔",
    "布魯雅爾",
    "blueair",
    "沁园",
    "沁園",
    "安吉尔",
    "安吉爾",
    "史密斯",
    "a.o. smith",
    "ao smith",
    "小度",
    "sonos",
    "海康",
    "hikvision",
    "萤石",
    "螢石",
    "ezviz",
    "eufy",
    "科勒",
    "kohler",
    "美诺",
    "美諾",
    "miele",
    "lg",
    "tcl",
    "奥克斯",
    "奧克斯",
    "九阳",
    "九陽",
    "joyoung",
    "苏泊尔",
    "蘇泊爾",
    "supor",
    "添可",
    "tineco",
    "莱克",
    "萊克",
    "lexy",
    "google nest",
    "yale",
    "耶鲁",
    "耶魯",
];

/// A brand the customer names that the company's competitors file does not know ("What about
/// Dreame or iRobot?"), as the customer wrote it.
pub(super) fn unknown_brand(company: &crate::Company, text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let same = lower.len() == text.len();
    KNOWN_BRANDS.iter().find_map(|b| {
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
