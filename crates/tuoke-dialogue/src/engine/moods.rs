//! How the customer feels about buying, in words, beside the intent and sentiment models:
//! refusals (and the A-not-A questions that only look like one), hesitations and shopping
//! around, the hedges that soften a negation, complaints. Matched like every cue list
//! ([`super::cues::has`]).

use super::buying::PRICE_HEDGES;
use super::cues::has;

/// Wanting to compare before deciding.
pub(super) const SHOPPING_AROUND: &[&str] = &[
    "再比较",
    "再比較",
    "比较比较",
    "比較比較",
    "比较吓",
    "比較吓",
    "比较下",
    "比較下",
    "货比三家",
    "貨比三家",
    "compare a bit",
    "compare a little",
    "compare more",
    "compare some more",
    "shop around",
    "look around a bit",
];

/// Words of a refusal ("不需要了", "算了", "no thanks").
pub(super) const REFUSAL: &[&str] = &[
    "不需要",
    "不用了",
    "不要了",
    "不买",
    "不買",
    "算了",
    "没兴趣",
    "沒興趣",
    "不感兴趣",
    "不感興趣",
    "不考虑",
    "不考慮",
    "唔使",
    "唔要",
    "唔買",
    "唔买",
    "冇兴趣",
    "冇興趣",
    "算啦",
    "唔需要",
    "no thanks",
    "no, thanks",
    "not interested",
    "don't need",
    "do not need",
    "don't want",
    "forget it",
    "no need",
    "not for me",
    "not buying",
    "pass on",
    "stop",
    "别再",
    "別再",
    "不要再",
    "太贵了不",
    "不了",
];

/// Words of a hesitation ("我再考虑考虑", "let me think").
pub(super) const HESITATION: &[&str] = &[
    "考虑",
    "考慮",
    "想想",
    "想一想",
    "犹豫",
    "猶豫",
    "再看看",
    "再说",
    "再說",
    "不确定",
    "不確定",
    "纠结",
    "糾結",
    "拿不定",
    "諗下",
    "谂下",
    "諗吓",
    "谂吓",
    "睇吓先",
    "睇下先",
    "再睇",
    "唔肯定",
    "think about",
    "think it over",
    "let me think",
    "not sure",
    "hesitant",
    "unsure",
    "maybe later",
    "on the fence",
    "need time",
    "hmm",
    "嗯…",
    "有点贵",
    "有點貴",
    "太贵",
    "太貴",
    "贵了",
    "貴咗",
    "expensive",
];

/// Hedges that keep a negation from being a refusal or a complaint, with [`PRICE_HEDGES`]
/// (see [`hedged`]).
pub(super) const HEDGES: &[&str] = &[
    "也不是不想",
    "不是不想",
    "也不是不买",
    "唔係唔想",
    "not saying no",
    "not that i don't",
    "isn't too bad",
    "not bad",
    "不错",
    "不錯",
    "唔錯",
    "挺好",
    "还行",
    "還行",
];

/// The text hedges a negation: any of [`HEDGES`] or [`PRICE_HEDGES`].
pub(super) fn hedged(lower: &str) -> bool {
    has(lower, HEDGES) || has(lower, PRICE_HEDGES)
}

/// The text refuses: a word of [`REFUSAL`] outside an A-not-A question and not the tail of
/// another word ("超预算了" and "我打算了解一下" hold 算了 and refuse nothing).
pub(super) fn refuses(lower: &str) -> bool {
    let mut t = without_a_not_a(lower);
    for w in [
        "预算", "預算", "打算", "划算", "劃算", "计算", "計算", "就算", "总算", "總算",
    ] {
        if t.contains(w) {
            t = t.replace(w, "，");
        }
    }
    has(&t, REFUSAL)
}

/// The text without its A-not-A questions ("使唔使", "要不要", "需唔需要"): a refusal word
/// inside one ("唔使", "不要") asks, it refuses nothing.
pub(super) fn without_a_not_a(lower: &str) -> String {
    let c: Vec<char> = lower.chars().collect();
    let mut out = String::with_capacity(lower.len());
    let mut i = 0;
    while i < c.len() {
        // X不X / X唔X, and the two-character XY不XY / XY唔XY ("需不需要" keeps only its tail).
        if i + 2 < c.len() && matches!(c[i + 1], '不' | '唔') && c[i] == c[i + 2] {
            i += 3;
            continue;
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

/// "让我想想", "我谂谂先", "I'll think about it": the customer wants time to decide.
pub(super) const THINK_IT_OVER: &[&str] = &[
    "想想",
    "想一想",
    "想一下",
    "考虑一下",
    "考慮一下",
    "考虑下",
    "考慮下",
    "諗諗",
    "谂谂",
    "諗一諗",
    "谂一谂",
    "諗下先",
    "谂下先",
    "想下先",
    "think about it",
    "think it over",
    "let me think",
    "sleep on it",
    "諗多",
    "谂多",
    "諗清楚",
    "谂清楚",
    "想清楚",
    "商量一下",
    "商量下",
    "商量商量",
    "get back to you",
    "mull it over",
    "talk it over",
    // Asking the family or the boss first ("回去问问我老婆", "let me check with my wife first").
    "问问我老婆",
    "问问老婆",
    "问问我老公",
    "问问老公",
    "问问家里",
    "问问家人",
    "和家人商量",
    "跟家人商量",
    "跟家里人商量",
    "和家里人商量",
    "跟老婆商量",
    "跟老公商量",
    "和老婆商量",
    "和老公商量",
    "回去问问",
    "回去商量",
    "问下老婆",
    "问下老公",
    "问吓老婆",
    "问吓老公",
    "問下老婆",
    "問下老公",
    "同老婆商量",
    "同老公商量",
    "同屋企人商量",
    "问下屋企人",
    "問下屋企人",
    "问吓屋企人",
    "問吓屋企人",
    "check with my",
    "ask my wife",
    "ask my husband",
    "ask my partner",
    "ask my family",
    "ask my boss",
    "ask my parents",
    "discuss with my",
    "discuss it with",
    "talk to my wife",
    "talk to my husband",
    "talk to my partner",
    "talk with my wife",
    "talk with my husband",
    "consult my",
    "run it by",
];

/// Words that complain about us: a fault, a delivery or service gone wrong, a demand for redress.
/// A clause the model reads as a complaint without any of them, in a turn that asks something,
/// states a need ("Our toddler has dust allergies", "the air gets so dry in winter").
/// The machine a customer had before ours ("旧嗰部", "my old vacuum"): its faults are no
/// complaint about us.
pub(super) const OLD_MACHINE: &[&str] = &[
    "旧嗰部",
    "舊嗰部",
    "旧嗰个",
    "舊嗰個",
    "旧的那",
    "舊的那",
    "旧那",
    "舊那",
    "以前那",
    "以前部",
    "以前嗰",
    "之前那",
    "之前的那",
    "原来那",
    "原來那",
    "家里那台旧",
    "旧机",
    "舊機",
    "my old",
    "our old",
    "the old one",
    "previous one",
    "previous vacuum",
    "previous robot",
];

pub(super) const COMPLAINT_CUES: &[&str] = &[
    "投诉",
    "投訴",
    "差评",
    "差評",
    "太差",
    "很差",
    "好差",
    "差劲",
    "差勁",
    "垃圾",
    "坏",
    "壞",
    "不转",
    "不轉",
    "不动了",
    "不動了",
    "没反应",
    "沒反應",
    "冇反應",
    "冇反应",
    "出问题",
    "出問題",
    "毛病",
    "退货",
    "退貨",
    "退钱",
    "退錢",
    "不满意",
    "不滿意",
    "唔满意",
    "唔滿意",
    "坏了",
    "壞了",
    "坏掉",
    "壞掉",
    "壞咗",
    "坏咗",
    "故障",
    "不能用",
    "用不了",
    "唔用得",
    "退款",
    "骗",
    "騙",
    "失望",
    "生气",
    "生氣",
    "气死",
    "氣死",
    "嬲",
    "怎么回事",
    "怎麼回事",
    "搞什么",
    "搞什麼",
    "搞咩",
    "还没到",
    "還沒到",
    "没收到",
    "沒收到",
    "冇收到",
    "未收到",
    "漏水",
    "态度",
    "態度",
    "不理人",
    "没人理",
    "冇人理",
    "complain",
    "terrible",
    "worst",
    "refund",
    "disappointed",
    "angry",
    "not working",
    "doesn't work",
    "does not work",
    "stopped working",
    "broken",
    "faulty",
    "defective",
    "scam",
    "rip-off",
    "rip off",
    "useless",
    "never arrived",
    "hasn't arrived",
    "still waiting",
    "damaged",
    "rude",
    "problem with",
    "issue with",
    "won't turn on",
    "doesn't turn on",
    "not charging",
    "keeps stopping",
    "return it",
    // Abuse of the product ("什么破东西", "piece of junk").
    "破东西",
    "破東西",
    "破玩意",
    "什么破",
    "什麼破",
    "烂货",
    "爛貨",
    "垃圾货",
    "质量太差",
    "質量太差",
    "坑人",
    "不回充",
    "回不了充",
    "piece of junk",
    "junk",
    "garbage",
    "waste of money",
    "unacceptable",
    "dead on arrival",
    "ridiculous",
    "never called",
    "nobody called",
    "no one called",
    "离谱",
    "離譜",
];

/// A fault of a machine or the customer's anger at it ("一开大风就有怪声", "激死我呀",
/// "stopped working"): with a purchase stated, the turn is a complaint whatever else it sounds
/// like. Narrower than [`COMPLAINT_CUES`] (no 退货: asking about returns is no complaint).
pub(super) const FAULTS: &[&str] = &[
    "坏",
    "壞",
    "故障",
    "毛病",
    "出问题",
    "出問題",
    "不能用",
    "用不了",
    "唔用得",
    "怪声",
    "怪聲",
    "异响",
    "異響",
    "燶味",
    "焦味",
    "烧焦",
    "燒焦",
    "漏水",
    "不转",
    "不轉",
    "没反应",
    "沒反應",
    "冇反應",
    "冇反应",
    "不回充",
    "回不了充",
    "唔识返去",
    "唔識返去",
    "返唔到去",
    "找不到充电座",
    "回不去充电",
    "激死",
    "激嬲",
    "气死",
    "氣死",
    "嬲",
    "咁伏",
    "好伏",
    "中伏",
    "stopped working",
    "not working",
    "doesn't work",
    "broken",
    "faulty",
    "defective",
    "strange noise",
    "weird noise",
    "burning smell",
    "leaking",
    "won't turn on",
    "not charging",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_word_inside_another_word_or_an_a_not_a_question_refuses_nothing() {
        assert!(refuses("算了，不买了"));
        assert!(refuses("no thanks"));
        assert!(!refuses("超预算了，太贵了"));
        assert!(!refuses("我打算了解一下扫地机"));
        assert!(!refuses("使唔使另外俾钱"));
    }
}
