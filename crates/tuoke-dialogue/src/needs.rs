//! Needs discovery: what one customer turn says about what they need — product category, budget
//! (a value or a range: "两千左右", "3k 以内", "一千多", "under 2,000"), room size (㎡ / 平 /
//! sq ft), household (pets, children, elderly) and concerns (noise, formaldehyde, installation,
//! smart-home ecosystem, allergies). Pure text rules over the customer's words and the analyzer's
//! money entities; the results go into slots (`category`, `budget`, `room_size`, `household`,
//! `concerns`) that [`recommend`](crate::recommend) ranks products by.

use serde_json::{Value, json};
use tuoke_core::Analysis;

use crate::company::Company;

/// What one turn said about the customer's needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    /// Category id (`categories[].id` of `products.yaml`).
    pub category: Option<String>,
    /// `{amount, currency, min?, max?}`.
    pub budget: Option<Value>,
    /// Room size in m².
    pub room_sqm: Option<f64>,
    /// `pets`, `children`, `elderly`.
    pub household: Vec<&'static str>,
    /// `noise`, `formaldehyde`, `installation`, `smart_home`, `allergy`, and ecosystems
    /// `homekit`, `mi_home`, `google_home`, `matter`.
    pub concerns: Vec<&'static str>,
    /// The customer asks what to choose ("推荐一下", "哪款适合", "which one should I get").
    pub asks_recommendation: bool,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        self.category.is_none()
            && self.budget.is_none()
            && self.room_sqm.is_none()
            && self.household.is_empty()
            && self.concerns.is_empty()
    }
}

const HOUSEHOLD: &[(&str, &[&str])] = &[
    (
        "pets",
        &[
            "宠物",
            "寵物",
            "猫",
            "貓",
            "狗",
            "毛孩",
            "掉毛",
            "养了只",
            "pet",
            "pets",
            "cat",
            "cats",
            "dog",
            "dogs",
            "fur",
        ],
    ),
    (
        "children",
        &[
            "孩子", "小孩", "宝宝", "寶寶", "婴儿", "嬰兒", "儿童", "兒童", "细路", "細路", "bb",
            "baby", "kids", "children", "child", "toddler", "newborn",
        ],
    ),
    (
        "elderly",
        &[
            "老人",
            "父母",
            "爸妈",
            "爸媽",
            "长辈",
            "長輩",
            "老人家",
            "公公婆婆",
            "elderly",
            "parents",
            "grandparents",
            "grandma",
            "grandpa",
        ],
    ),
];

const CONCERNS: &[(&str, &[&str])] = &[
    (
        "noise",
        &[
            "噪音",
            "吵",
            "安静",
            "安靜",
            "静音",
            "靜音",
            "声音大",
            "聲音大",
            "嘈",
            "睡觉",
            "睡覺",
            "瞓覺",
            "quiet",
            "noise",
            "noisy",
            "loud",
            "silent",
        ],
    ),
    (
        "formaldehyde",
        &[
            "甲醛",
            "装修",
            "裝修",
            "新房",
            "formaldehyde",
            "renovat",
            "new flat",
            "new apartment",
        ],
    ),
    (
        "installation",
        &["安装", "安裝", "装机", "師傅", "师傅", "install"],
    ),
    (
        "allergy",
        &[
            "过敏", "過敏", "鼻炎", "花粉", "哮喘", "allerg", "pollen", "asthma",
        ],
    ),
    (
        "homekit",
        &[
            "homekit",
            "apple 家庭",
            "apple家庭",
            "apple home",
            "苹果家庭",
            "蘋果家庭",
            "siri",
        ],
    ),
    (
        "mi_home",
        &[
            "米家",
            "小米生态",
            "小米生態",
            "mi home",
            "xiaomi home",
            "mijia",
        ],
    ),
    ("google_home", &["google home", "谷歌", "google assistant"]),
    ("matter", &["matter"]),
    (
        "smart_home",
        &[
            "智能家居",
            "全屋智能",
            "联动",
            "聯動",
            "smart home",
            "home automation",
        ],
    ),
];

/// Asking for another product that is better in one respect ("有没有更安静的？", "anything
/// cheaper?"): a recommendation within the category in play, ranked by the needs known.
const ALTERNATIVE: &[&str] = &[
    "更安静",
    "更安靜",
    "更静",
    "更靜",
    "安静点的",
    "安靜啲",
    "静啲",
    "靜啲",
    "更便宜",
    "便宜点的",
    "便宜一点的",
    "比较便宜的",
    "比較便宜的",
    "较便宜的",
    "便宜些的",
    "便宜一些的",
    "有没有便宜的",
    "有沒有便宜的",
    "平一啲嘅",
    "入门款",
    "入門款",
    "便宜啲嘅",
    "平啲嘅",
    "更平",
    "更实惠",
    "更實惠",
    "更大的",
    "更好的",
    "其他款",
    "其他型号",
    "其他型號",
    "别的款",
    "別的款",
    "第二款",
    "quieter",
    "cheaper one",
    "cheaper model",
    "something cheaper",
    "anything cheaper",
    "a cheaper",
    "less expensive",
    "lower-priced",
    "lower priced",
    "budget model",
    "budget option",
    "entry-level",
    "entry level",
    "other models",
    "another model",
];

const RECOMMEND: &[&str] = &[
    // Asked again after a recommendation ("那选哪款？", "So which one?"; why it: [`asks_why_chosen`]).
    "so which one",
    "which one then",
    "so which",
    "那选哪",
    "那买哪",
    "咁揀邊",
    "咁买边",
    "咁買邊",
    "推荐",
    "怎么配",
    "点配",
    "帮我配",
    "配齐",
    "what would fit",
    "what fits",
    "what can we get",
    "what could we get",
    "what can i get",
    "what could i get",
    "推薦",
    "哪款好",
    "哪个好",
    "哪個好",
    "哪款适合",
    "哪款合适",
    "哪个适合",
    "买哪个",
    "买哪款",
    "选哪个",
    "选哪款",
    "选哪",
    "邊款好",
    "边款好",
    "邊部好",
    "边部好",
    "邊款啱",
    "边款啱",
    "邊部啱",
    "揀邊",
    "拣边",
    "啱我",
    "适合我",
    "適合我",
    "适合我家",
    "recommend",
    "which one would you",
    "which would you",
    "would you pick",
    "would you choose",
    "would you go for",
    "you pick",
    "should i get",
    "should i buy",
    "should we get",
    "should we buy",
    "which one should",
    "which should i",
    "what do you suggest",
    "suggest",
    "best for me",
    "which is better",
    "which one is better",
    "哪个更好",
    "哪款更好",
    "有什么推荐",
    "有咩推介",
    "推介",
    // A gift or anything within a budget: "Anything under 500 RMB I could give as a gift?"
    "anything under",
    "anything below",
    "anything for under",
    "something under",
    "something below",
    "as a gift",
    "gift for",
    "送礼",
    "送禮",
    "当礼物",
    "當禮物",
    "有没有什么",
    "有冇咩",
    "有什么适合",
    "有咩啱",
    // What is there at all: "what have you got that's not too expensive", "你哋有咩卖".
    "what have you got",
    "what have u got",
    "what do you have",
    "what do you sell",
    "what do u have",
    "有什么卖",
    "有咩卖",
    "有咩賣",
    "有什么产品",
    "有哪些产品",
    "有咩产品",
    "有咩產品",
];

fn has(hay: &str, needles: &'static [&'static str]) -> bool {
    crate::words::any(hay, needles)
}

/// "为什么选它？", "why that one?": the reasons for the product put forward.
pub fn asks_why_chosen(lower: &str) -> bool {
    const WHY: &[&str] = &[
        "为什么选",
        "為什麼選",
        "为什么推荐",
        "為什麼推薦",
        "点解揀",
        "點解揀",
        "点解拣",
        "点解推荐",
        "點解推薦",
        "why that one",
        "why this one",
        "why do you recommend",
        "why recommend",
        "why would you pick",
    ];
    has(lower, WHY)
}

/// The (lower-case) text asks what to choose, or for another product.
pub fn asks_recommendation(lower: &str) -> bool {
    asks_choice(lower) || asks_alternative(lower)
}

/// The (lower-case) text asks what to choose ("揀邊部好", "which would you pick"), or why the
/// choice we made.
pub fn asks_choice(lower: &str) -> bool {
    has(lower, RECOMMEND) || asks_why_chosen(lower)
}

/// The (lower-case) text asks for another product than the one in play ("有没有比较便宜的？",
/// "a quieter one").
pub fn asks_alternative(lower: &str) -> bool {
    has(lower, ALTERNATIVE)
}

/// "有没有便宜点的", "anything cheaper?": the other product asked for costs less.
pub fn asks_cheaper(lower: &str) -> bool {
    const CHEAPER: &[&str] = &[
        "便宜",
        "平啲",
        "平少少",
        "平一啲",
        "实惠",
        "實惠",
        "入门",
        "入門",
        "cheaper",
        "cheapest",
        "less expensive",
        "lower price",
        "lower-price",
        "budget",
    ];
    has(lower, CHEAPER)
}

/// "有冇平啲嘅？", "Is there a quieter one?": asks whether another product exists, not about
/// one already discussed ("平啲嘅幾錢？" asks the price of the cheaper one named before).
pub fn asks_for_another(lower: &str) -> bool {
    const EXISTS: &[&str] = &[
        "有没有",
        "有沒有",
        "有冇",
        "有无",
        "有無",
        "还有",
        "還有",
        "仲有",
        "is there",
        "are there",
        "do you have",
        "do you sell",
        "got any",
        "have any",
        "anything",
        "something",
    ];
    // The other product follows the "is there" closely: "If I get two of the cheaper one, is
    // there a discount?" asks about a discount.
    let starts = |words: &[&str]| -> Vec<usize> {
        words
            .iter()
            .flat_map(|w| lower.match_indices(w).map(|(i, _)| i))
            .collect()
    };
    let others: Vec<usize> = starts(ALTERNATIVE)
        .into_iter()
        .chain(starts(crate::context::CHEAPER))
        .collect();
    EXISTS.iter().any(|e| {
        lower.match_indices(e).any(|(i, _)| {
            let end = i + e.len();
            others.iter().any(|&o| o >= end && o - end <= 15)
        })
    })
}

/// The needs stated in one turn.
pub fn extract(company: &Company, a: &Analysis) -> Needs {
    let lower = a.text.to_lowercase();
    // Words are matched in the text as written and as normalized (Simplified, Mandarin
    // wording): "空气清新机" in a Simplified Cantonese turn, "貓" in a Traditional one.
    let both = format!("{lower} {}", a.normalized.to_lowercase());
    let mut n = Needs {
        category: company.find_category(&both),
        asks_recommendation: asks_recommendation(&both),
        ..Needs::default()
    };
    for (name, words) in HOUSEHOLD {
        if has(&both, words) && !n.household.contains(name) {
            n.household.push(name);
        }
    }
    for (name, words) in CONCERNS {
        if has(&both, words) && !n.concerns.contains(name) {
            n.concerns.push(name);
        }
    }
    n.room_sqm = room_size(&lower);
    n.budget = crate::budget::budget(a);
    n
}

/// Value of a small Chinese numeral ("十五", "二十", "一百二十", "两百") or digits.
fn small_number(s: &str) -> Option<f64> {
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    let digit = |c: char| -> Option<usize> {
        Some(match c {
            '零' => 0,
            '一' => 1,
            '二' | '两' | '兩' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let mut total = 0usize;
    let mut cur: Option<usize> = None;
    for c in s.chars() {
        match c {
            '十' => {
                total += cur.unwrap_or(1) * 10;
                cur = None;
            }
            '百' => {
                total += cur.unwrap_or(1) * 100;
                cur = None;
            }
            c => cur = Some(digit(c)?),
        }
    }
    let n = total + cur.unwrap_or(0);
    (n > 0).then_some(n as f64)
}

/// Room size in m² ("卧室 15 平", "二十平米", "about 20 m²", "500 sq ft").
fn room_size(lower: &str) -> Option<f64> {
    const UNITS: &[(&str, f64)] = &[
        ("平方米", 1.0),
        ("平方", 1.0),
        ("平米", 1.0),
        ("平", 1.0),
        ("㎡", 1.0),
        ("m²", 1.0),
        ("m2", 1.0),
        ("sqm", 1.0),
        ("square meters", 1.0),
        ("square metres", 1.0),
        ("sq m", 1.0),
        ("sq ft", 0.092903),
        ("sqft", 0.092903),
        ("square feet", 0.092903),
        ("呎", 0.092903),
    ];
    let chars: Vec<char> = lower.chars().collect();
    for (unit, factor) in UNITS {
        let mut from = 0;
        while let Some(pos) = lower.get(from..).and_then(|s| s.find(unit)) {
            let byte = from + pos;
            from = byte + unit.len();
            // "平" alone must not be "平时" / "平价" / "平啲" (cheaper in Cantonese).
            if *unit == "平" {
                let next = lower.get(from..).and_then(|s| s.chars().next());
                if next.is_some_and(|c| "时時价價啲的安台板衡常稳穩均".contains(c)) {
                    continue;
                }
            }
            let end = lower.get(..byte).map(|s| s.chars().count()).unwrap_or(0);
            let mut start = end;
            while start > 0 && chars.get(start - 1).is_some_and(|c| *c == ' ') && end - start < 1 {
                start -= 1;
            }
            let num_end = start;
            while start > 0
                && chars.get(start - 1).is_some_and(|c| {
                    c.is_ascii_digit() || *c == '.' || "零一二两兩三四五六七八九十百".contains(*c)
                })
            {
                start -= 1;
            }
            let num: String = chars.get(start..num_end).unwrap_or(&[]).iter().collect();
            if let Some(n) = small_number(&num).filter(|n| (3.0..=20_000.0).contains(n)) {
                let sqm = (n * factor * 10.0).round() / 10.0;
                if (3.0..=2_000.0).contains(&sqm) {
                    return Some(sqm);
                }
            }
        }
    }
    None
}

/// Write the needs into the slots; returns the names of the slots that changed.
pub fn apply(needs: &Needs, slots: &mut std::collections::BTreeMap<String, Value>) -> Vec<String> {
    let mut changed = Vec::new();
    let mut set = |name: &str, v: Value, slots: &mut std::collections::BTreeMap<String, Value>| {
        if slots.get(name) != Some(&v) {
            slots.insert(name.to_string(), v);
            changed.push(name.to_string());
        }
    };
    if let Some(c) = &needs.category {
        set("category", Value::String(c.clone()), slots);
    }
    if let Some(b) = &needs.budget {
        set("budget", b.clone(), slots);
    }
    if let Some(r) = needs.room_sqm {
        set("room_size", json!({"sqm": r}), slots);
    }
    for (slot, new) in [
        ("household", &needs.household),
        ("concerns", &needs.concerns),
    ] {
        if new.is_empty() {
            continue;
        }
        let mut list: Vec<Value> = slots
            .get(slot)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for n in new.iter() {
            let v = Value::String(n.to_string());
            if !list.contains(&v) {
                list.push(v);
            }
        }
        set(slot, Value::Array(list), slots);
    }
    changed
}

/// The budget slot as (min, max) in the product currency; `None` when no budget is known.
pub fn budget_range(slots: &std::collections::BTreeMap<String, Value>) -> Option<(f64, f64)> {
    let b = slots.get("budget")?;
    let amount = b.get("amount").and_then(Value::as_f64)?;
    let min = b.get("min").and_then(Value::as_f64);
    let max = b.get("max").and_then(Value::as_f64);
    Some(match (min, max) {
        (Some(lo), Some(hi)) => (lo, hi),
        (None, Some(hi)) => (0.0, hi),
        (Some(lo), None) => (lo, f64::INFINITY),
        // A bare amount ("预算 2000"): up to about that much.
        (None, None) => (0.0, amount * 1.1),
    })
}

pub use crate::state::list_slot;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_sizes_in_many_forms() {
        assert_eq!(room_size("卧室 15 平，预算一千多"), Some(15.0));
        assert_eq!(room_size("二十平米的房间"), Some(20.0));
        assert_eq!(room_size("a 20 m² bedroom"), Some(20.0));
        assert_eq!(room_size("about 500 sq ft"), Some(46.5));
        assert_eq!(room_size("平时用得多"), None);
        assert_eq!(room_size("可唔可以平啲"), None);
        assert_eq!(room_size("六十平方"), Some(60.0));
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(small_number("十五"), Some(15.0));
        assert_eq!(small_number("二十"), Some(20.0));
        assert_eq!(small_number("两百"), Some(200.0));
        assert_eq!(small_number("一百二十"), Some(120.0));
        assert_eq!(small_number("九"), Some(9.0));
        assert_eq!(small_number("abc"), None);
    }
}
