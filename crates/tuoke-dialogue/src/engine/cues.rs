//! The words the engine reads a turn by, beside the intent model: deferrals, farewells, requests
//! for a person, other brands and shops. Each list is matched as substrings of the lower-cased
//! clause ([`has`]). Buying words (commitments, prices, budgets, discounts, contact details) are
//! in [`super::buying`]; refusals, hesitations, their hedges and complaints in [`super::moods`].

/// Intents whose question a bare "那X2呢" / "另一款呢" repeats about another product.
pub(super) const CARRY_INTENTS: &[&str] = &[
    "ask_price",
    "ask_feature",
    "ask_delivery",
    "ask_after_sales",
    "ask_trial",
    "ask_discount",
    "ask_payment",
];

/// Accepting what was offered (a price, a term).
pub(super) const ACCEPT: &[&str] = &[
    "能接受",
    "可以接受",
    "接受得了",
    "接受到",
    "接受得到",
    "价格还行",
    "價格還行",
    "价钱可以",
    "價錢可以",
    "acceptable",
    "i can accept",
    "i can live with",
    "price is fine",
    "price is ok",
    "price is okay",
];

/// Words that ask for a person.
pub(super) const HUMAN: &[&str] = &[
    "转人工",
    "轉人工",
    "人工客服",
    "找人工",
    "要人工",
    "真人",
    "real person",
    "a human",
    "speak to someone",
    "talk to someone",
    "speak to a person",
    "talk to a person",
    "live agent",
    "human agent",
    // "童锁和颜色帮我问问你们同事吧": the customer wants a person to find out.
    "问问你们同事",
    "問問你們同事",
    "问问同事",
    "問問同事",
    "问下同事",
    "問下同事",
    "问一下同事",
    "問一下同事",
    "问吓同事",
    "問吓同事",
    "问下你哋同事",
    "問下你哋同事",
    "搵同事",
    "找同事",
    "找个同事",
    "ask a colleague",
    "ask your colleague",
    "check with a colleague",
    "check with your colleague",
    "check with someone",
    "ask someone who knows",
];

/// Intents that are questions the knowledge base may answer.
pub(crate) const ASK_INTENTS: &[&str] = &[
    "ask_price",
    "ask_feature",
    "ask_delivery",
    "ask_after_sales",
    "ask_trial",
    "ask_payment",
];

/// Intents that do something in the conversation (the playbook acts on them even when another
/// clause of the turn asks a question).
pub(super) const ACT_INTENTS: &[&str] = &[
    "request_human",
    "complaint",
    "goodbye",
    "purchase_intent",
    "provide_contact",
    "busy_later",
    "not_interested",
    "hesitate",
    "ask_discount",
    "compare_competitor",
];

/// Asking to be called ("明天下午两点你们打给我吧", "ring me at 3").
pub(super) const CALL_ME: &[&str] = &[
    "打给我",
    "打給我",
    "打俾我",
    "打畀我",
    "打电话给我",
    "打電話給我",
    "联系我",
    "聯系我",
    "聯絡我",
    "回电",
    "回電",
    "call me",
    "ring me",
    "phone me",
    "give me a call",
    // Going on with the talk at a time ("can we continue at 8pm tonight?", "晚上八点再聊").
    "continue at",
    "continue tonight",
    "continue later",
    "talk at",
    "chat at",
    "再聊",
    "再倾",
    "再傾",
];

/// Words of a real deferral ("在开会，晚点打给我", "call me tomorrow", "遲啲打俾我").
pub(super) const DEFERRAL: &[&str] = &[
    "忙",
    "开会",
    "開會",
    "晚点",
    "晚點",
    "稍后",
    "稍後",
    "回头",
    "回頭",
    "改天",
    "等下",
    "等一下",
    "待会",
    "待會",
    "一会",
    "一會",
    "再联系",
    "再聯系",
    "再聯絡",
    "打给我",
    "打給我",
    "打电话",
    "打電話",
    "回电",
    "回電",
    "联系我",
    "聯系我",
    "聯絡我",
    "call me",
    "call back",
    "later",
    "busy",
    "meeting",
    "tomorrow",
    "遲啲",
    "迟啲",
    "晏啲",
    "一陣",
    "一阵",
    "打俾我",
    "打畀我",
    "覆我",
    "唔得閒",
    "唔得闲",
    "没空",
    "沒空",
    "有空再",
    "下次再",
    "再倾",
    "再傾",
    "再聊",
    "not now",
    "another time",
    "get back to",
    "driving",
    "在开车",
    "在開車",
    "开紧车",
    "開緊車",
    "揸紧车",
    "揸緊車",
    "in a meeting",
    "continue at",
    "continue later",
    "talk later",
    "chat later",
];

/// Words that close a conversation.
pub(super) const FAREWELL: &[&str] = &[
    "bye",
    "再见",
    "再見",
    "拜拜",
    "byebye",
    "see you",
    "下次再聊",
    "先这样",
    "先這樣",
    "走先",
    "good night",
];

/// Brands other than ours spoken of without a name ("别家", "其他牌子", "other brands"): a
/// comparison with competitors needs one of these or a competitor named.
pub(super) const OTHER_BRANDS: &[&str] = &[
    "别家",
    "別家",
    "别的牌子",
    "別的牌子",
    "其他牌子",
    "其他品牌",
    "别的品牌",
    "別的品牌",
    "其他家",
    "别人家",
    "人家的",
    "竞品",
    "競品",
    "同类产品",
    "市面上",
    "外面",
    "第二间",
    "其他牌",
    "出面",
    "人哋",
    "other brand",
    "another brand",
    "competitor",
    "elsewhere",
    "other compan",
    "other shop",
    "other store",
];

/// Shops that sell anyone's products ("我喺淘宝见到有人卖3400", "cheaper on Tmall"): a lower
/// price seen there is a price objection, not a comparison with another brand.
pub(super) const MARKETPLACES: &[&str] = &[
    "网上",
    "網上",
    "淘宝",
    "淘寶",
    "天猫",
    "天貓",
    "京东",
    "京東",
    "拼多多",
    "闲鱼",
    "閒魚",
    "抖音",
    "苏宁",
    "蘇寧",
    "online",
    "amazon",
    "taobao",
    "tmall",
    "jd.com",
    "on jd",
    "pinduoduo",
    "reseller",
];

/// Words that make a marketplace mention a price matter ("更便宜", "cheaper", "match").
pub(super) const PRICE_SEEN: &[&str] = &[
    "便宜", "平啲", "卖", "賣", "贵", "貴", "价", "價", "钱", "錢", "cheaper", "price", "match",
    "less", "deal",
];

/// Does `hay` (lower-cased) hold any of `words` ([`crate::words::any`])?
pub(super) fn has(hay: &str, words: &'static [&'static str]) -> bool {
    crate::words::any(hay, words)
}

/// Words that make a sentence a question even without a mark ("能不能便宜点", "点解咁贵").
pub(super) const ASKING_WORDS: &[&str] = &[
    "吗",
    "嗎",
    "能不能",
    "可不可以",
    "有没有",
    "有沒有",
    "有冇",
    "可唔可以",
    "得唔得",
    "点解",
    "點解",
    "为什么",
    "為什麼",
    "为啥",
    "怎么",
    "怎麼",
    "多少",
    "几多",
    "幾多",
    "why",
    "can you",
    "could you",
    "is there",
    "any ",
];
