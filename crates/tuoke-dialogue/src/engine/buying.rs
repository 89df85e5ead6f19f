//! The words of buying the engine reads a turn by, beside the intent model: commitments and
//! their withdrawal, purchases supposed, buying verbs, budgets, price objections and their
//! hedges, discount words, contact details. Matched like [`super::cues`] (substrings of the
//! lower-cased clause).

/// Words of a commitment to buy ("好，我要一把", "两部我要晒", "I'll take one"): the customer
/// decided, whatever the intent model read into the rest of the clause.
pub(super) const COMMIT: &[&str] = &[
    "我要一",
    "我要两",
    "我要兩",
    "我要了",
    "要一台",
    "要一把",
    "要一部",
    "要一个",
    "要一個",
    "要两台",
    "要兩台",
    "要两部",
    "要兩部",
    "要两把",
    "要兩把",
    "要晒",
    "我买了",
    "我買了",
    "就买",
    "就買",
    "就要这",
    "就要這",
    "就它了",
    "就佢啦",
    "就呢部",
    "下单",
    "下單",
    "落单",
    "落單",
    "订一",
    "訂一",
    "买一台",
    "買一台",
    "买两台",
    "買兩台",
    "我要買",
    "我要买",
    "i'll take",
    "i will take",
    "we'll take",
    "we will take",
    "i'll buy",
    "i will buy",
    "we'll buy",
    "i'd like to buy",
    "i want to buy",
    "i'll order",
    "i will order",
    "let's go with",
    "i'll go with",
    "sign me up",
    "place an order",
    "i'll get one",
    "i'll get two",
    // "行，先定20把", "两台都要", "我哋决定先买 20 把", "Let's do it.": the deal, however put.
    "先定",
    "就定",
    "定了",
    "都要",
    "全要",
    "决定买",
    "決定買",
    "决定先买",
    "決定先買",
    "决定要",
    "決定要",
    "先买",
    "先買",
    "订了",
    "訂咗",
    "订咗",
    "let's do it",
    "let's go ahead",
    "go ahead with",
    "we'll go with",
    "we'll go for",
    "i'll go for",
    "book it",
    "it's a deal",
    "we'll order",
];

/// Words that undo a commitment ("我不要了", "唔要", "I won't take it").
pub(super) const UNCOMMIT: &[&str] = &[
    "不要了",
    "不买",
    "不買",
    "唔要",
    "唔买",
    "唔買",
    "don't",
    "won't",
    "not ",
    "no longer",
    "不用了",
    "算了",
];

/// "太贵了", "有啲貴喎", "a bit pricey": the price is the objection. Checked after the hedges
/// ("不是很贵" objects to nothing).
pub(super) const PRICE_OBJECTION: &[&str] = &[
    "太贵",
    "太貴",
    "有点贵",
    "有點貴",
    "有啲贵",
    "有啲貴",
    "好贵",
    "好貴",
    "贵喎",
    "貴喎",
    "贵咗",
    "貴咗",
    "超预算",
    "超預算",
    "too expensive",
    "a bit expensive",
    "quite expensive",
    "so expensive",
    "too pricey",
    "a bit pricey",
    "bit steep",
    "over my budget",
    "over budget",
];

/// "要是买两台呢", "If I order the X10 tonight…": a purchase supposed, not made.
pub(super) const SUPPOSING: &[&str] = &[
    "要是",
    "如果",
    "假如",
    "假设",
    "假設",
    "万一",
    "萬一",
    "若果",
    "如果我",
    "if i ",
    "if we ",
    "what if",
    "suppose",
    "should i ",
    "would it",
    // "那我买了下个月降价咋办": what follows a purchase, asked.
    "我买了",
    "买了之后",
    "买了以后",
    "买完",
    "買咗",
    "买咗",
    "after i buy",
    "once i buy",
    "after buying",
];

/// Words without which no clause is a purchase ("那寄到深圳我哥那边，他帮我带过来" says where to
/// ship, not that they buy): buying, ordering, paying, choosing one.
/// Words of placing an order (narrower than [`BUY_WORDS`]: no "要", "want", "take").
pub(super) const ORDER_WORDS: &[&str] = &[
    "下单",
    "下單",
    "落单",
    "落單",
    "订购",
    "訂購",
    "我要买",
    "我要買",
    "帮我订",
    "幫我訂",
    "各来",
    "各來",
    "来一套",
    "來一套",
    "来一台",
    "來一台",
    "order",
    "buy",
    "purchase",
    "checkout",
];

/// A wish to buy stated ("想给爸妈买个", "我想買部", "想一次把…配齐", "I'd like to buy"):
/// 想/要/打算/准备 and 买 (配齐, 添置) close after it, or the English phrases.
pub(super) fn wants_to_buy(lower: &str) -> bool {
    const EN: &[&str] = &[
        "want to buy",
        "like to buy",
        "planning to buy",
        "plan to buy",
        "going to buy",
        "looking to buy",
        "need to buy",
        "want to get",
        "like to get",
        "thinking of buying",
        "thinking about buying",
    ];
    if crate::words::any(lower, EN) {
        return true;
    }
    let chars: Vec<char> = lower.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        let wish = matches!(c, '想' | '要' | '打' | '准' | '準')
            && (*c != '打' || chars.get(i + 1) == Some(&'算'))
            // "要不要买延保？" asks whether to; it wishes nothing.
            && !matches!(chars.get(i + 1), Some('不' | '唔'))
            && !(i > 0 && matches!(chars[i - 1], '不' | '唔'))
            && (!matches!(c, '准' | '準') || matches!(chars.get(i + 1), Some('备' | '備')));
        if !wish {
            return false;
        }
        let window: String = chars[i + 1..]
            .iter()
            .take(20)
            .take_while(|c| !"，,。？?！!".contains(**c))
            .collect();
        ["买", "買", "配齐", "配齊", "添置", "置办", "置辦"]
            .iter()
            .any(|w| window.contains(w))
    })
}

/// A purchase made or supposed made ("去年买的", "买了要自己装吗", "I bought it last year").
pub(super) const BOUGHT: &[&str] = &[
    "买的",
    "買的",
    "买了",
    "買了",
    "买咗",
    "買咗",
    "购买的",
    "購買的",
    "bought",
    "purchased",
    "i got it",
    "we got it",
];

pub(super) const BUY_WORDS: &[&str] = &[
    "买",
    "買",
    "要",
    "订",
    "訂",
    "下单",
    "下單",
    "落单",
    "落單",
    "入手",
    "拿一",
    "拿两",
    "付款",
    "付钱",
    "俾钱",
    "畀钱",
    "成交",
    "就这",
    "就這",
    "就它",
    "就佢",
    "就呢",
    "搞掂",
    "决定",
    "決定",
    "buy",
    "order",
    "take",
    "purchase",
    "get one",
    "get two",
    "get it",
    "i'll have",
    "go with",
    "go for",
    "sign me up",
    "checkout",
    "check out",
    "pay",
    "want",
    "need",
    "deal",
    "let's do",
    "sold",
    "我换",
    "換你",
    "换你",
    "换成你",
    "換成你",
    "转用",
    "轉用",
    "用你们",
    "用你哋",
    "switch",
];

/// Words that state a budget ("预算一千多", "budget around 2k").
pub(super) const BUDGET: &[&str] = &[
    "预算",
    "預算",
    "budget",
    "以内",
    "以內",
    "控制在",
    "不超过",
    "不超過",
];

/// Words of a discount request; a clause the model reads as one without any of them asks about
/// something else ("A3 有冇 UV 殺菌燈？", "Anything under 500 RMB as a gift?").
pub(super) const DISCOUNT_WORDS: &[&str] = &[
    "优惠",
    "優惠",
    "折",
    "便宜",
    "平啲",
    "平d",
    "平一点",
    "平少少",
    "减",
    "減",
    "送",
    "赠",
    "贈",
    "活动",
    "活動",
    "价",
    "價",
    "券",
    "团购",
    "團購",
    "以旧换新",
    "以舊換新",
    "旧机",
    "舊機",
    "抵",
    "让利",
    "讓利",
    "划算",
    "discount",
    "cheaper",
    "deal",
    "offer",
    "coupon",
    "promo",
    "price",
    "sale",
    "off",
    "bulk",
    "trade",
    "bargain",
    "best you can do",
    "lower",
    "reduc",
    "voucher",
    "code",
    "free",
];

/// Hedges that take back a price objection ("不是很贵", "not too expensive"), unlike a hedge
/// about buying ("也不是不想买，就是觉得 X20 有点贵" still objects to the price).
pub(super) const PRICE_HEDGES: &[&str] = &[
    "不是很贵",
    "不是很貴",
    "不算贵",
    "不算貴",
    "不太贵",
    "不太貴",
    "唔係好貴",
    "唔系好贵",
    "唔算貴",
    "唔算贵",
    "不贵",
    "不貴",
    "not too expensive",
    "not that expensive",
    "not expensive",
    // A wish, not an objection ("预算一千多，不要太贵的", "nothing too pricey").
    "不要太贵",
    "不要太貴",
    "别太贵",
    "別太貴",
    "不能太贵",
    "不能太貴",
    "唔好太贵",
    "唔好太貴",
    "唔想太贵",
    "唔想太貴",
    "nothing too expensive",
    "nothing too pricey",
    "not too pricey",
];

/// Words that introduce contact details ("我微信是…", "my number is…", "我姓陈").
pub(super) const CONTACT_WORDS: &[&str] = &[
    "微信",
    "wechat",
    "电话",
    "電話",
    "手机",
    "手機",
    "号码",
    "號碼",
    "邮箱",
    "郵箱",
    "电邮",
    "電郵",
    "我姓",
    "我叫",
    "联系我",
    "聯絡我",
    "联络我",
    "whatsapp",
    "phone",
    "mobile",
    "number",
    "e-mail",
    "email",
    "my name",
    "call me",
    "reach me",
    "contact me",
];

/// A price the customer proposes ("2000 卖不卖？", "would you take 2000?").
pub(super) const COUNTER_OFFER: &[&str] = &[
    "卖不卖",
    "賣不賣",
    "卖唔卖",
    "賣唔賣",
    "行不行",
    "得唔得",
    "would you take",
    "can you do",
    "will you take",
];

/// Asking how big the discount is ("how much off for 10 units?", "打几折").
pub(super) const HOW_MUCH_OFF: &[&str] = &[
    "how much off",
    "percent off",
    "% off",
    "how much discount",
    "how big a discount",
    "what discount",
    "打几折",
    "打幾折",
    "几折",
    "幾折",
    "优惠多少",
    "優惠多少",
    "便宜多少",
    "平几多",
    "平幾多",
    // The lowest price asked ("最平可以幾錢攞到？"), not which product is cheapest ("哪款最便宜").
    "最平可以",
    "最便宜可以",
    "最低价",
    "最低價",
    "最低多少",
    "最平几多",
    "最平幾多",
    "最平几钱",
    "最平幾錢",
    "lowest price",
    "best price",
    "bottom price",
    "best you can do",
];

#[cfg(test)]
mod tests {
    use super::wants_to_buy;

    #[test]
    fn a_wish_to_buy_reads_the_same_in_every_variety() {
        for t in [
            "想给在成都的爸妈买个智能门锁",
            "想幫喺廣州嘅爸媽買把智能門鎖",
            "想一次把扫地机、空气净化器和智能门锁配齐",
            "i'd like to buy a smart lock for my parents",
            "我们打算买两台",
        ] {
            assert!(wants_to_buy(t), "{t}");
        }
        for t in [
            "想问下x20多少钱",
            "要不要买延保？",
            "买了之后不满意能退吗",
            "i bought it last week",
            "准时到吗，我上周买的",
        ] {
            assert!(!wants_to_buy(t), "{t}");
        }
    }
}
