//! The grounding checker: may an LLM's rephrasing of a template reply be shown to a customer?
//!
//! Pure and deterministic. Every number (prices, percentages, dates, model numbers), every
//! product and competitor name and every promise word of the rephrasing must appear in the
//! cited KB facts, the template reply or the customer's own words, and the rephrasing must be in
//! the customer's variety (the same check `tuoke test` runs on every reply). All texts are
//! compared after tuoke-nlu's normalization (full → half width, lower case, Traditional →
//! Simplified), so `¥1,999` in the reply meets `1999元` in a fact and 免費 meets 免费.

use std::collections::BTreeSet;

use tuoke_dialogue::Variety;

use crate::numbers::numbers;

/// What a rephrasing is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Grounding<'a> {
    /// The dialogue engine's reply (always allowed).
    pub template: &'a str,
    /// The texts of the KB entries the reply cites.
    pub facts: &'a [String],
    /// What the customer said in this conversation.
    pub customer: &'a [String],
    /// The customer's variety (the reply's language).
    pub variety: Variety,
    /// Every product and competitor name the company knows (and their aliases).
    pub known_names: &'a [String],
}

/// Why a rephrasing was rejected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum Rejection {
    /// Nothing (or only whitespace) came back.
    Empty,
    /// Much longer than the template: a model that went on talking.
    TooLong,
    /// The answer was cut at the token limit: the customer would read half a sentence.
    Truncated,
    /// Chat-template or markup text leaked into the reply.
    Markup(String),
    /// A number none of the facts, the template or the customer stated.
    InventedNumber(String),
    /// A product, competitor or brand name the facts do not name.
    InventedName(String),
    /// A promise word (free shipping, guarantee, discount …) the facts do not make.
    NewPromise(String),
    /// Not in the customer's variety.
    WrongVariety(String),
    /// A number or model code the template states is missing: the rewording dropped a fact the
    /// engine chose to say (a price, a tier, a duration).
    Omitted(String),
}

impl Rejection {
    /// The reason's short name (for metrics and tables).
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::TooLong => "too_long",
            Rejection::Truncated => "truncated",
            Rejection::Markup(_) => "markup",
            Rejection::InventedNumber(_) => "invented_number",
            Rejection::InventedName(_) => "invented_name",
            Rejection::NewPromise(_) => "new_promise",
            Rejection::WrongVariety(_) => "wrong_variety",
            Rejection::Omitted(_) => "omitted",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Empty => write!(f, "empty"),
            Rejection::TooLong => write!(f, "too long"),
            Rejection::Truncated => write!(f, "cut at the token limit"),
            Rejection::Markup(s) => write!(f, "markup {s:?}"),
            Rejection::InventedNumber(s) => write!(f, "number {s} is in no fact"),
            Rejection::InventedName(s) => write!(f, "name {s:?} is in no fact"),
            Rejection::NewPromise(s) => write!(f, "promise {s:?} is in no fact"),
            Rejection::WrongVariety(s) => write!(f, "{s}"),
            Rejection::Omitted(s) => write!(f, "{s} of the template is missing"),
        }
    }
}

/// The checker's answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Accept,
    Reject { rejection: Rejection },
}

impl Verdict {
    pub fn accepted(&self) -> bool {
        matches!(self, Verdict::Accept)
    }
}

/// Words that promise something (price, shipping, service, time); any of them in a rephrasing
/// must be in the facts, the template or the customer's words. Normalized forms (Simplified,
/// lower case); Cantonese spellings fold to these through the normalizer.
const PROMISE_WORDS: &[&str] = &[
    "包邮",
    "免邮",
    "免运费",
    "运费",
    "免费",
    "保证",
    "保障",
    "承诺",
    "担保",
    "绝对",
    "肯定",
    "百分百",
    "100%",
    "赠送",
    "赠品",
    "送你",
    "送您",
    "礼品",
    "优惠",
    "折扣",
    "打折",
    "折",
    "减免",
    "立减",
    "返现",
    "红包",
    "优惠券",
    "券",
    "补贴",
    "退款",
    "退货",
    "无理由",
    "包退",
    "包换",
    "保修",
    "质保",
    "保固",
    "终身",
    "永久",
    "最低价",
    "最便宜",
    "全网",
    "限时",
    "特价",
    "秒杀",
    "包安装",
    "免安装",
    "上门",
    "送货",
    "送达",
    "到货",
    "发货",
    "当天",
    "当日",
    "次日",
    "明天",
    "今天",
    "马上",
    "立即",
    "立刻",
    "包你",
    "一定",
    "现货",
    "库存",
    "安装费",
    "分期",
    "免息",
    "试用",
    "兼容",
    "通用",
    "110v",
    "guarantee",
    "guaranteed",
    "promise",
    "free",
    "shipping",
    "delivery",
    "deliver",
    "discount",
    "off",
    "refund",
    "return",
    "lifetime",
    "warranty",
    "cheapest",
    "lowest",
    "deal",
    "coupon",
    "gift",
    "tomorrow",
    "today",
    "same day",
    "next day",
    "overnight",
    "in stock",
    "install",
    "installation",
    "trial",
    "compatible",
    "works with",
    "definitely",
    "always",
    "never",
    "100%",
    "cashback",
    "voucher",
    "instalment",
    "installment",
    "interest-free",
];

/// Well-known brands of the trade that a company's KB may not list; naming one the facts do not
/// name is inventing a competitor.
const BRANDS: &[&str] = &[
    "小米",
    "米家",
    "华为",
    "荣耀",
    "苹果",
    "美的",
    "格力",
    "海尔",
    "海信",
    "tcl",
    "奥克斯",
    "西门子",
    "博世",
    "飞利浦",
    "松下",
    "戴森",
    "三星",
    "索尼",
    "lg",
    "方太",
    "老板电器",
    "九阳",
    "苏泊尔",
    "科沃斯",
    "石头",
    "追觅",
    "云鲸",
    "德尔玛",
    "莱克",
    "352",
    "布鲁雅尔",
    "霍尼韦尔",
    "艾美特",
    "沁园",
    "安吉尔",
    "怡口",
    "a.o.史密斯",
    "史密斯",
    "凯迪仕",
    "德施曼",
    "鹿客",
    "萤石",
    "天猫精灵",
    "小度",
    "小爱",
    "京东",
    "淘宝",
    "天猫",
    "拼多多",
    "亚马逊",
    "xiaomi",
    "huawei",
    "apple",
    "midea",
    "gree",
    "haier",
    "siemens",
    "bosch",
    "philips",
    "panasonic",
    "dyson",
    "samsung",
    "sony",
    "ecovacs",
    "roborock",
    "dreame",
    "narwal",
    "blueair",
    "honeywell",
    "amazon",
    "google",
    "alexa",
    "irobot",
    "roomba",
    "sharkninja",
    "shark",
];

/// Normalizes like `tuoke test` compares: NFKC, lower case, Traditional → Simplified.
fn norm(n: &tuoke_nlu::Normalizer, s: &str) -> String {
    n.normalize(s)
}

/// Is a reply written in the variety? (The check `tuoke test` runs on every reply.)
pub fn variety_problem(reply: &str, v: Variety) -> Option<String> {
    let cjk = reply
        .chars()
        .filter(|c| matches!(*c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF))
        .count();
    let (yue, cmn) = tuoke_dialogue::lang::marker_counts(reply);
    match v {
        Variety::En if cjk > 0 => Some(format!("English customer got {cjk} Chinese characters")),
        Variety::Cmn if cjk == 0 => Some("Mandarin customer got no Chinese".into()),
        Variety::Cmn if yue > 0 => Some("Mandarin customer got Cantonese words".into()),
        Variety::Yue if cjk == 0 => Some("Cantonese customer got no Chinese".into()),
        Variety::Yue if yue == 0 && cmn > 0 => Some("Cantonese customer got Mandarin only".into()),
        _ => None,
    }
}

/// English words (ASCII letters, two or more) of a normalized text.
fn english_words(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .collect()
}

/// Whether `word` occurs in `text` as a word (for Latin words: not inside a longer word).
fn has_word(text: &str, word: &str) -> bool {
    if !word.is_ascii() {
        return text.contains(word);
    }
    let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(word).any(|(i, _)| {
        !latin(text[..i].chars().next_back()) && !latin(text[i + word.len()..].chars().next())
    })
}

/// Letter-first alphanumeric codes of a normalized text (`a7`, `x20`, `r8`), not inside a word.
fn model_codes(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts =
            chars[i].is_ascii_alphabetic() && !(i > 0 && chars[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let word: String = chars[i..j].iter().collect();
        let first_digit = word.find(|c: char| c.is_ascii_digit());
        if first_digit.is_some_and(|d| d > 0) {
            out.insert(word);
        }
        i = j;
    }
    out
}

/// The longest rewording accepted for a template of `template_chars` characters.
pub fn max_chars(template_chars: usize) -> usize {
    template_chars * 2 + 60
}

/// Checks an LLM's rephrasing against what it was given.
pub fn check(candidate: &str, g: &Grounding<'_>) -> Verdict {
    let reject = |rejection| Verdict::Reject { rejection };
    let n = tuoke_nlu::Normalizer::new();
    let out = norm(&n, candidate);
    if out.trim().is_empty() {
        return reject(Rejection::Empty);
    }
    for m in ["<|", "|>", "<im_", "```", "http://", "https://", "www."] {
        if out.contains(m) {
            return reject(Rejection::Markup(m.to_string()));
        }
    }
    if out.chars().count() > max_chars(g.template.chars().count()) {
        return reject(Rejection::TooLong);
    }

    let mut allowed_text = norm(&n, g.template);
    for t in g.facts.iter().chain(g.customer) {
        allowed_text.push('\n');
        allowed_text.push_str(&norm(&n, t));
    }
    // Names: the company's products and competitors, and well-known brands.
    let mut names: BTreeSet<String> = g.known_names.iter().map(|s| norm(&n, s)).collect();
    names.extend(BRANDS.iter().map(|s| s.to_string()));
    // Longest first, so "云栖空气净化器 a7" is judged before "a7".
    let mut names: Vec<String> = names.into_iter().filter(|s| !s.trim().is_empty()).collect();
    names.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    let mut rest = out.clone();
    for name in &names {
        if has_word(&rest, name) {
            if !has_word(&allowed_text, name) {
                return reject(Rejection::InventedName(name.clone()));
            }
            rest = rest.replace(name.as_str(), " ");
        }
    }
    // Model codes ("a7", "x20", "h13"): a letter-first code the facts do not have is a product
    // or part that does not exist (its digits alone may occur in some other number).
    let allowed_codes = model_codes(&allowed_text);
    if let Some(code) = model_codes(&out)
        .into_iter()
        .find(|c| !allowed_codes.contains(c))
    {
        return reject(Rejection::InventedName(code));
    }
    // Numbers.
    let allowed_numbers = numbers(&allowed_text, true);
    if let Some(bad) = numbers(&out, false)
        .into_iter()
        .find(|x| !allowed_numbers.contains(x))
    {
        return reject(Rejection::InventedNumber(bad));
    }
    // Omissions: every number and model code the template states stays in the rewording.
    let template = norm(&n, g.template);
    let said = numbers(&out, true);
    if let Some(lost) = numbers(&template, false)
        .into_iter()
        .find(|x| !said.contains(x))
    {
        return reject(Rejection::Omitted(lost));
    }
    let said_codes = model_codes(&out);
    if let Some(lost) = model_codes(&template)
        .into_iter()
        .find(|c| !said_codes.contains(c))
    {
        return reject(Rejection::Omitted(lost));
    }
    // Promise words.
    if let Some(p) = PROMISE_WORDS
        .iter()
        .find(|p| has_word(&out, p) && !has_word(&allowed_text, p))
    {
        return reject(Rejection::NewPromise(p.to_string()));
    }
    // Language.
    if let Some(p) = variety_problem(candidate, g.variety) {
        return reject(Rejection::WrongVariety(p));
    }
    if g.variety != Variety::En {
        // English words the template, facts and customer do not have: a switch to English.
        let new_en = english_words(&out)
            .into_iter()
            .filter(|w| !has_word(&allowed_text, w))
            .count();
        if new_en >= 2 {
            return reject(Rejection::WrongVariety(format!(
                "{new_en} English words in a Chinese reply"
            )));
        }
    }
    Verdict::Accept
}
