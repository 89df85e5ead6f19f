//! The few connecting phrases the engine writes around KB facts when it composes an answer
//! (recommendations, comparisons, "I don't know that", the handoff notices), per variety.
//!
//! Kept in code, not in the playbook, because they carry no business content: no number, no
//! promise, no product claim — those always come from the KB. A company changes its tone in
//! `playbook.yaml`; these only glue facts together. Like templates, they contain no digits
//! (checked by a unit test).

use crate::text::Variety;

/// One phrase in the three varieties.
#[derive(Debug)]
pub struct Phrase {
    pub cmn: &'static str,
    pub yue: &'static str,
    pub en: &'static str,
}

impl Phrase {
    pub fn get(&self, v: Variety) -> &'static str {
        match v {
            Variety::Cmn => self.cmn,
            Variety::Yue => self.yue,
            Variety::En => self.en,
        }
    }
}

macro_rules! phrase {
    ($name:ident, $cmn:expr, $yue:expr, $en:expr) => {
        pub const $name: Phrase = Phrase {
            cmn: $cmn,
            yue: $yue,
            en: $en,
        };
    };
}

phrase!(
    RECOMMEND,
    "根据您的需求，推荐",
    "按你嘅需要，推介",
    "For what you need, I'd recommend the "
);
// A home furnished at once: one product per category ([`crate::bundle`]).
phrase!(
    BUNDLE_PRICES,
    "各类产品的价格：",
    "每類產品嘅價錢：",
    "Prices by category: "
);
phrase!(
    BUNDLE_WITHIN,
    "按您的总预算，可以这样配：",
    "按你嘅總預算，可以咁配：",
    "Within your total budget you could get: "
);
phrase!(
    BUNDLE_CHEAPEST,
    "每样选最实惠的一款：",
    "每樣揀最抵嗰款：",
    "The most affordable option in each: "
);
phrase!(
    BUNDLE_FITS,
    "合计在预算之内。",
    "加埋喺預算之內。",
    " All together that stays within your budget."
);
phrase!(
    BUNDLE_OVER,
    "不过合计会超出您的预算。",
    "不過加埋會超出你嘅預算。",
    " Even so, the total comes to more than your budget."
);
phrase!(BUNDLE_OTHERS, "另可选：", "另外仲有：", "Other options: ");
// A need the product asked about does not meet, and the one that does ("要除甲醛的话，建议选 A7").
phrase!(
    FOR_FORMALDEHYDE,
    "要除甲醛的话，建议选",
    "要除甲醛嘅話，建議揀",
    "For formaldehyde, choose the "
);
phrase!(
    FOR_PETS,
    "家里有宠物的话，建议选",
    "屋企有寵物嘅話，建議揀",
    "With pets, choose the "
);
phrase!(
    ALSO_CONSIDER,
    "也可以考虑",
    "都可以考慮",
    "You could also consider the "
);
phrase!(
    OVER_BUDGET,
    "超出您的预算",
    "超出你嘅預算",
    "is above your budget"
);
phrase!(
    NONE_IN_BUDGET,
    "预算内暂时没有合适的款式，最接近的是",
    "預算內暫時冇啱嘅款，最接近嘅係",
    "Nothing fits that budget; the closest is the "
);
phrase!(
    VARIETY_SWITCHED,
    "好的，接下来我用普通话为您服务。",
    "好呀，跟住我用廣東話同你傾。",
    "Sure, I'll continue in English."
);
phrase!(
    UNKNOWN_BRAND,
    "{brand}的产品我们没有相关资料，不便评价或比较。我们这边的是：",
    "{brand}嘅產品我哋冇相關資料，唔方便評價或者比較。我哋呢邊嘅係：",
    "I don't have information on {brand} products, so I can't compare or comment on them. Ours: "
);
phrase!(
    FOR_ROOM_TOO_SMALL,
    "适用面积小于您的房间",
    "適用面積細過你間房",
    "is rated for a smaller room than yours"
);
phrase!(
    NO_FORMALDEHYDE,
    "不除甲醛",
    "唔除甲醛",
    "does not remove formaldehyde"
);
phrase!(
    NO_ECOSYSTEM,
    "不支持您提到的智能家居平台",
    "唔支援你講嘅智能家居平台",
    "does not support the smart-home platform you mentioned"
);
phrase!(
    CHOSEN,
    "没问题，就定{product}（{price}）。",
    "冇問題，就揀{product}（{price}）。",
    "The {product} ({price}) it is."
);
phrase!(
    NOT_LISTED,
    "上面列出的产品不包括{product}。",
    "上面列出嘅產品唔包括{product}。",
    "The {product} is not among the products listed."
);
phrase!(COMPARE_INTRO, "两款对比：", "兩款比較：", "Side by side: ");
phrase!(PRICE_WORD, "售价", "售價", "price");
phrase!(
    DONT_KNOW,
    "这个问题我们的资料里没有写，我不想乱说。可以帮您转给顾问确认，或者您拨打{phone}咨询。",
    "呢個問題我哋嘅資料冇寫，我唔想亂講。可以幫你轉畀顧問確認，或者你打{phone}查詢。",
    "Our product information doesn't cover that, and I'd rather not guess. I can pass it to an adviser, or you can call {phone}."
);
phrase!(
    NOT_COVERED,
    "至于{q}，我们的资料里没有写，我不想乱说，可以帮您请顾问确认。",
    "至於{q}，我哋嘅資料冇寫，我唔想亂講，可以幫你搵顧問確認。",
    "As for {q}: our information doesn't cover it and I'd rather not guess; an adviser can confirm."
);
phrase!(
    THAT_QUESTION,
    "您问的另一点",
    "你問嘅另一點",
    "your other question"
);
phrase!(
    PRICES_IN,
    "价格以{currency}计。",
    "價錢以{currency}計。",
    "Prices are in {currency}."
);
phrase!(NOTED, "好的，记下了。", "好，記低咗。", "Got it, noted.");
phrase!(
    NOTED_PRODUCT,
    "{product}还有什么想了解的吗？需要的话我也可以帮您安排订购。",
    "{product}仲有咩想了解？要嘅話我都可以幫你安排落單。",
    "Anything else you'd like to know about the {product}? I can also arrange the order for you."
);
phrase!(
    HANDOFF_WAITING,
    "已通知顾问，顾问接入前我可以继续为您解答。",
    "已經通知顧問，顧問接手之前我可以繼續幫你解答。",
    "I've notified an adviser; until they join, I can keep answering your questions."
);
phrase!(
    HANDOFF_NOBODY,
    "抱歉，顾问暂时都在忙，还没能接入。方便告诉我一个时间，我们安排顾问回电给您吗？",
    "唔好意思，顧問暫時都好忙，仲未可以接手。方唔方便話我知一個時間，我哋安排顧問覆電畀你？",
    "Sorry, our advisers are all busy and nobody has joined yet. Tell me a good time and we'll have an adviser call you back."
);
phrase!(
    ASK_CATEGORY,
    "请问您想看哪类产品？我们有：",
    "請問你想睇邊類產品？我哋有：",
    "Which kind of product are you looking for? We have: "
);
phrase!(
    ASK_BUDGET,
    "您的预算大概是多少？",
    "你預算大概幾多？",
    "What budget do you have in mind?"
);
phrase!(
    ASK_ROOM,
    "您打算放在多大的房间？",
    "你打算放喺幾大嘅房？",
    "How big is the room it's for?"
);
phrase!(
    ASK_PETS,
    "家里有宠物吗？",
    "屋企有冇寵物？",
    "Do you have pets at home?"
);
phrase!(
    ASK_WHICH,
    "您想了解哪一款？",
    "你想了解邊一款？",
    "Which one would you like to know more about?"
);

/// Punctuation between two sentences of a composed reply.
pub fn sep(v: Variety) -> &'static str {
    if v.is_chinese() { "" } else { " " }
}

/// Between two items of a list.
pub fn item_sep(v: Variety) -> &'static str {
    if v.is_chinese() { "；" } else { "; " }
}

/// End of a sentence.
pub fn stop(v: Variety) -> &'static str {
    if v.is_chinese() { "。" } else { "." }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_contain_no_digits() {
        for p in [
            RECOMMEND,
            ALSO_CONSIDER,
            OVER_BUDGET,
            NONE_IN_BUDGET,
            FOR_ROOM_TOO_SMALL,
            NO_FORMALDEHYDE,
            NO_ECOSYSTEM,
            COMPARE_INTRO,
            PRICE_WORD,
            DONT_KNOW,
            NOT_COVERED,
            THAT_QUESTION,
            HANDOFF_WAITING,
            HANDOFF_NOBODY,
            ASK_CATEGORY,
            ASK_BUDGET,
            ASK_ROOM,
            ASK_PETS,
            ASK_WHICH,
        ] {
            for v in Variety::ALL {
                assert!(
                    !p.get(v).chars().any(|c| c.is_ascii_digit()),
                    "{}",
                    p.get(v)
                );
            }
        }
    }
}

phrase!(
    VOLUME_TIER,
    "买{qty}件可享{min}件及以上的{pct}%优惠",
    "買{qty}件可以享{min}件或以上嘅{pct}%折扣",
    "{qty} units get the {pct}% discount for {min} or more"
);

phrase!(
    VOLUME_BELOW,
    "买{qty}件还不到批量优惠（{min}件起）",
    "買{qty}件未夠批量優惠（{min}件起）",
    "{qty} units is below the volume discounts (they start at {min})"
);

phrase!(
    ASK_QUANTITY,
    "您大概需要几件？",
    "你大概要幾多件？",
    "How many units do you need?"
);
