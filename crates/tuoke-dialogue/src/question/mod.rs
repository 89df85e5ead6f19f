//! What a customer's question is made of, before the knowledge base is asked: its query tokens
//! (without product names and price words, with concepts and character bigrams), whether it asks
//! for a price, about several products, about something in particular, or only follows up on the
//! previous question. [`crate::answer`] retrieves with these.

use crate::bm25::BIGRAM_MARK;
use crate::company::Company;
use crate::concepts;
use crate::kb::{cjk_bigrams, tokenize};
use crate::text::contains_word;

mod compare;
pub use compare::refers_to_several;
pub(crate) use compare::{DIFFERENCE, PLURAL, compares};

const PRICE: &[&str] = &[
    "多少钱",
    "多少錢",
    "价格",
    "價格",
    "价钱",
    "價錢",
    "售价",
    "售價",
    "几钱",
    "幾錢",
    "几多钱",
    "幾多錢",
    "怎么卖",
    "怎麼賣",
    "点卖",
    "點賣",
    "贵不贵",
    "貴不貴",
    "贵唔贵",
    "貴唔貴",
    "how much",
    "price",
    "cost",
];

/// Words of a price question that say nothing about what is priced.
const PRICE_WORDS: &[&str] = &[
    "多少钱",
    "多少錢",
    "钱",
    "錢",
    "价格",
    "價格",
    "价钱",
    "價錢",
    "售价",
    "售價",
    "几钱",
    "幾錢",
    "几多",
    "幾多",
    "卖",
    "賣",
    "much",
    "price",
    "cost",
    "costs",
    "priced",
    "much",
    "pricing",
    "贵",
    "貴",
    "便宜",
    // Asking for a quote ("Kindly share the rate for 120 locks", "报个价").
    "quotation",
    "quote for",
    "rate for",
    "rates for",
    "best rate",
    "your rate",
    "your rates",
    "报价",
    "報價",
    "报个价",
    "報個價",
];

/// Does a (lower-cased) text ask for a price in words ("多少钱", "幾錢", "how much")?
pub(crate) fn asks_price(lower: &str) -> bool {
    // "how much water", "how much noise": "how much" before a noun asks an amount of it.
    let amount_of = |at: usize| {
        let next = lower[at + "how much".len()..]
            .split(|c: char| !c.is_ascii_alphabetic())
            .find(|w| !w.is_empty())
            .unwrap_or("");
        !next.is_empty()
            && ![
                "is",
                "are",
                "does",
                "do",
                "will",
                "would",
                "for",
                "the",
                "a",
                "an",
                "it",
                "that",
                "this",
                "they",
                "these",
                "those",
                "money",
                "was",
                "extra",
                "more",
                "should",
                "to",
                "can",
                "did",
                "per",
                "each",
                "altogether",
                "in",
                "if",
                "with",
                "after",
                "before",
            ]
            .contains(&next)
    };
    PRICE.iter().any(|w| {
        if *w == "how much" {
            lower.match_indices(w).any(|(at, _)| !amount_of(at))
        } else {
            contains_word(lower, w)
        }
    })
}

pub(crate) fn has(hay: &str, words: &'static [&'static str]) -> bool {
    crate::words::any_word(hay, words)
}

/// Words that ask for a product in general, not for one fact of it.
const GENERIC: &[&str] = &[
    "功能",
    "参数",
    "介绍",
    "详细",
    "详情",
    "信息",
    "资料",
    "了解",
    "怎么样",
    "如何",
    "好不好",
    "好用",
    "产品",
    "看看",
    "说说",
    "讲讲",
    "特点",
    "优点",
    "亮点",
    "配置",
    "规格",
    "性能",
    "那",
    "还有",
    "它",
    "他",
    "呢",
    "一下",
    "样",
    "点样",
    "好唔好",
    "features",
    "feature",
    "specs",
    "spec",
    "details",
    "detail",
    "info",
    "information",
    "tell",
    "about",
    "more",
    "know",
    "good",
    "like",
    "product",
    "products",
    "model",
    "models",
    "it",
    "there",
    "please",
    "thanks",
    "show",
    "again",
    "also",
    "so",
    "well",
    "then",
    "okay",
    "ok",
    "other",
    "one",
    "another",
    // "Possible?", "Doable?": the clause before asks, this one only presses.
    "possibl",
    "possible",
    "doabl",
    "doable",
    "feasibl",
    "feasible",
];

/// Does the question ask about something in particular? (See [`Asked::specific`].)
pub fn is_specific(company: &Company, text: &str) -> bool {
    topic_tokens(company, text, true)
        .iter()
        .filter(|t| !t.starts_with(BIGRAM_MARK))
        .any(|t| t.starts_with('#') || !GENERIC.contains(&t.as_str()))
}

/// A follow-up that names no topic of its own: only question words and fillers ("多久要换？",
/// "要几天？", "how long?").
pub fn is_elliptical(company: &Company, text: &str) -> bool {
    let lower = text.to_lowercase();
    crate::qtype::wanted(&lower).is_some()
        && topic_tokens(company, text, true).iter().all(|t| {
            t.starts_with('#')
                || t.starts_with(BIGRAM_MARK)
                || GENERIC.contains(&t.as_str())
                || t.chars().count() <= 1
                || [
                    "多久",
                    "几天",
                    "要换",
                    "多少",
                    "long",
                    "much",
                    "many",
                    "often",
                    "money",
                    "cost",
                    "costs",
                    "price",
                    "价格",
                    "价钱",
                    "贵不贵",
                    "不贵",
                    "他们",
                    "它们",
                    "they",
                    "them",
                ]
                .contains(&t.as_str())
        })
}

/// "那 X10 呢？", "咁濾水器 R8 呢？", "X10 得唔得？", "What about the A3?": a product or category
/// named and nothing else asked — the previous question again, about it.
pub fn is_what_about(company: &Company, lower: &str) -> bool {
    const FILLERS: &[&str] = &[
        "what about",
        "how about",
        "and the",
        "and",
        "the",
        "what",
        "about",
        "那么",
        "这么",
        "那",
        "这",
        "呢",
        "个",
        "的",
        "款",
        "吗",
        "行不行",
        "可不可以",
        "可以吗",
        "又怎样",
        "又如何",
        "也是",
        "也",
        "还有",
        "?",
        "？",
        "。",
        ".",
        ",",
        "，",
        "!",
        "！",
    ];
    // Such a follow-up is short; a long clause asks something of its own (and the checks below
    // cost more than the rest of a turn when run on every clause).
    if lower.chars().count() > 24
        || (!company.find_names(lower).iter().any(|(_, p, _)| *p)
            && company.categories_named(lower).is_empty())
    {
        return false;
    }
    let mut rest = company.strip_names(lower);
    for f in FILLERS {
        rest = rest.replace(f, " ");
    }
    rest.trim().is_empty()
}

/// "你哋有咩卖？", "What do you sell?", "what have u got": the customer asks what we sell.
pub fn asks_catalogue(lower: &str) -> bool {
    const WORDS: &[&str] = &[
        "有什么卖",
        "有咩卖",
        "有咩賣",
        "卖什么",
        "卖些什么",
        "卖啲咩",
        "賣啲咩",
        "有什么产品",
        "有哪些产品",
        "有咩产品",
        "有咩產品",
        "what do you sell",
        "what do you have",
        "what do u have",
        "what have you got",
        "what have u got",
        "product range",
    ];
    crate::words::any(lower, WORDS)
}

/// "一台", "两个", "个", "one", "each": how many, not what.
fn is_quantity_word(t: &str) -> bool {
    const UNITS: &str = "台个個把部套件只款";
    const NUMS: &str = "一二两兩三四五六七八九十几幾单單每";
    let cs: Vec<char> = t.chars().collect();
    match cs.as_slice() {
        [u] => UNITS.contains(*u),
        [n, u] => (NUMS.contains(*n) || n.is_ascii_digit()) && UNITS.contains(*u),
        _ => matches!(t, "one" | "each" | "unit" | "units" | "piece" | "a"),
    }
}

/// The concepts (`#noise`…) a clause asks about, besides product and category names.
pub(crate) fn topic_concepts(company: &Company, text: &str) -> Vec<String> {
    topic_tokens(company, text, true)
        .into_iter()
        .filter(|t| t.starts_with('#'))
        .collect()
}

/// Recent [`topic_tokens`] results: a clause is tokenized by several steps of one turn
/// (question kind, specificity, retrieval with and without price words), and jieba plus the
/// concept scan are most of a turn's cost. Keyed by the company's address, the flag and the text.
type TokenCache = Vec<(usize, bool, String, std::rc::Rc<Vec<String>>)>;

thread_local! {
    static TOKEN_CACHE: std::cell::RefCell<TokenCache> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The query tokens of a clause without product names and price words.
pub(crate) fn topic_tokens(company: &Company, text: &str, drop_price: bool) -> Vec<String> {
    let key = company as *const Company as usize;
    let hit = TOKEN_CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, d, t, _)| *k == key && *d == drop_price && t == text)
            .map(|(_, _, _, v)| v.clone())
    });
    if let Some(v) = hit {
        return v.as_ref().clone();
    }
    let toks = topic_tokens_uncached(company, text, drop_price);
    TOKEN_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 8 {
            c.remove(0);
        }
        c.push((
            key,
            drop_price,
            text.to_string(),
            std::rc::Rc::new(toks.clone()),
        ));
    });
    toks
}

fn topic_tokens_uncached(company: &Company, text: &str, drop_price: bool) -> Vec<String> {
    let mut lower = text.to_lowercase();
    for (start, is_product, _) in company.find_names(text).into_iter().rev() {
        if !is_product {
            continue;
        }
        // Blank out the name (the KB passages do not carry product names; the focus does).
        if let Some(rest) = lower.get(start..) {
            let len = company
                .names
                .iter()
                .find(|(n, p, _)| *p && rest.starts_with(n.as_str()))
                .map(|(n, _, _)| n.len())
                .unwrap_or(0);
            lower.replace_range(start..start + len, " ");
        }
    }
    // "便宜的那个能拖地不": the words that pick the product are not what is asked about.
    for phrase in crate::context::CHEAPER
        .iter()
        .chain(crate::context::PRICIER)
    {
        if let Some(at) = lower.find(phrase) {
            // With the measure word after it ("便宜的那个", "平嗰部").
            let end = at + phrase.len();
            let end = lower[end..]
                .chars()
                .next()
                .filter(|c| "个款部台把只".contains(*c))
                .map_or(end, |c| end + c.len_utf8());
            lower.replace_range(at..end, " ");
        }
    }
    // "寄到我在上海的公司", "我哋公司想買三部", "our office": the customer's own company is
    // no question about ours.
    for phrase in OWN_COMPANY {
        if lower.contains(phrase) {
            lower = lower.replace(phrase, " ");
        }
    }
    // "寄到我在上海的公司": a company of the speaker's, a few words after 我 (but "你们是哪里的
    // 公司" asks about ours).
    let at_de_gongsi: Vec<usize> = lower.match_indices("的公司").map(|(i, _)| i).collect();
    for at in at_de_gongsi.into_iter().rev() {
        let before: String = lower[..at].chars().rev().take(8).collect();
        let mine = before.find('我');
        let yours = before.find(['你', '您']);
        if mine.is_some_and(|m| yours.is_none_or(|y| m < y)) {
            lower.replace_range(at..at + "的公司".len(), " ");
        }
    }
    if drop_price {
        // "洗碗机多少钱一台" asks the product's price: without the price words, the category and
        // the quantity nothing is left, so no other passage is looked for.
        let spans = company.category_spans(&lower);
        if !spans.is_empty() {
            let mut keep = vec![true; lower.len()];
            for (start, end) in spans {
                keep.iter_mut()
                    .take(end)
                    .skip(start)
                    .for_each(|k| *k = false);
            }
            lower = blank_bytes(&lower, &keep);
        }
    }
    let mut toks: Vec<String> = tokenize(&lower)
        .into_iter()
        .filter(|t| !(drop_price && (PRICE_WORDS.contains(&t.as_str()) || is_quantity_word(t))))
        .collect();
    toks.extend(concepts::tokens(&lower));
    if drop_price {
        for w in PRICE_WORDS.iter().filter(|w| !w.is_ascii()) {
            lower = lower.replace(w, " ");
        }
    }
    toks.extend(cjk_bigrams(&lower));
    toks
}

/// The customer's own company or office (blanked from retrieval queries).
const OWN_COMPANY: &[&str] = &[
    "我们公司",
    "我們公司",
    "我公司",
    "我的公司",
    "我们的公司",
    "我們的公司",
    "我哋公司",
    "我哋嘅公司",
    "我司",
    "公司地址",
    // "公司在南京，下周一之前能送到吗？": where their company is (the place stays).
    "公司在",
    "公司喺",
    "公司係",
    "our company",
    "my company",
    "our office",
    "my office",
    "company address",
];

/// Words that ask which currency a price is in.
const CURRENCY: &[&str] = &[
    "人民币",
    "人民幣",
    "港币",
    "港幣",
    "港元",
    "港纸",
    "港紙",
    "美金",
    "美元",
    "币种",
    "幣種",
    "货币",
    "貨幣",
    "rmb",
    "cny",
    "hkd",
    "usd",
    "currency",
    "yuan",
    "renminbi",
    "hk dollar",
];

pub(crate) fn asks_currency(lower: &str) -> bool {
    has(lower, CURRENCY)
}

/// `text` with every character whose bytes are not all kept replaced by a space (a run of
/// such characters by one space).
fn blank_bytes(text: &str, keep: &[bool]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blanked = false;
    for (i, c) in text.char_indices() {
        if keep
            .get(i..i + c.len_utf8())
            .is_some_and(|k| k.iter().all(|x| *x))
        {
            out.push(c);
            blanked = false;
        } else if !blanked {
            out.push(' ');
            blanked = true;
        }
    }
    out
}
