//! The reply variety is a conversation-level decision, not a per-turn echo of the dialect model.
//!
//! Each customer turn gives a [`Signal`]: an explicit request ("English please", "讲普通话啦",
//! "可唔可以講廣東話"), a clear one (English words; Cantonese-only words such as 嘅 係 唔 咩 哋;
//! Mandarin-only function words such as 的 是 吗 什么 with no Cantonese word), or none (a model
//! number, "ok", "A7？", a Chinese sentence with no marker either way). The decision:
//! * the first turn with any signal decides at once (Chinese with no marker either way answers in
//!   Mandarin but leaves the decision to the first turn with a marker);
//! * an explicit request switches at once and is remembered: after it, only another explicit
//!   request or two clear turns in a row switch back;
//! * Chinese ↔ English: one clear turn switches (a customer writing a whole sentence in the other
//!   language wants it);
//! * Mandarin → Cantonese: one clear turn with two Cantonese words or one the dialect model agrees
//!   with; a single Cantonese word in a Mandarin-looking turn needs a second turn;
//!   Cantonese → Mandarin: two clear Mandarin turns in a row (a Cantonese speaker's short turn
//!   often has no Cantonese word);
//! * a turn without a signal never changes anything.

use tuoke_core::{Analysis, Dialect, Language};

use crate::state::LangState;
use crate::text::Variety;

/// What one turn says about the variety the customer wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Explicit(Variety),
    Clear(Variety),
    None,
}

/// Words only written Cantonese uses (both scripts). One is evidence enough.
const YUE_MARKERS: &[&str] = &[
    "嘅",
    "係",
    "唔",
    "咩",
    "哋",
    "喺",
    "啲",
    "冇",
    "嚟",
    "佢",
    "睇",
    "咁",
    "嗰",
    "乜",
    "嘢",
    "咗",
    "噉",
    "諗",
    "攞",
    "俾",
    "畀",
    "點解",
    "点解",
    "幾多",
    "几多",
    "邊度",
    "边度",
    "邊個",
    "边个",
    "邊款",
    "边款",
    "邊部",
    "边部",
    "而家",
    "鍾意",
    "钟意",
    "靚",
    "靓",
    "啱",
    "冚",
    "揾",
    "搵",
    "喎",
    "囉",
    "啰",
    "㗎",
    "嘞",
    "呀嘛",
    "係咪",
    "系咪",
    "有冇",
    "得唔得",
    "可唔可以",
    "識唔識",
    "识唔识",
    "平啲",
    "貴啲",
    "贵啲",
    "使唔使",
    "幾錢",
    "几钱",
    "琴日",
    "聽日",
    "听日",
    "尋日",
    "寻日",
    "屋企",
    "攰",
    "返工",
    "嗮",
    "咋",
    "几大个",
    "幾大個",
    "几耐",
    "幾耐",
    "边间",
    "邊間",
    "点样",
    "點樣",
    "呢个",
    "呢個",
    "呢部",
    "呢款",
    "落单",
    "落單",
    "梳化",
    "雪柜",
    "雪櫃",
    "镬",
    "鑊",
    "搞掂",
    "啫",
    // Hong Kong words for things ("睡房", "空氣清新機").
    "睡房",
    "清新机",
    "清新機",
];

/// Mandarin function words that written Cantonese replaces (的→嘅, 是→係, 不→唔, 吗→咩/嗎 …).
const CMN_MARKERS: &[&str] = &[
    "的",
    "是",
    "吗",
    "什么",
    "什麼",
    "怎么",
    "怎麼",
    "这个",
    "這個",
    "那个",
    "那個",
    "们",
    "們",
    "没有",
    "沒有",
    "哪个",
    "哪個",
    "哪款",
    "多少钱",
    "多少錢",
    "不是",
    "一下",
    "呢吗",
    "啥",
    "能不能",
    "可不可以",
    "是不是",
    "有没有",
    "有沒有",
    "了吗",
    "怎样",
    "怎樣",
];

const ASK_EN: &[&str] = &[
    "english please",
    "in english",
    "speak english",
    "english, please",
    "can you speak english",
    "reply in english",
    "english pls",
    "講英文",
    "讲英文",
    "说英文",
    "說英文",
    "用英文",
    "用英语",
    "用英語",
];
const ASK_CMN: &[&str] = &[
    "讲普通话",
    "講普通話",
    "说普通话",
    "說普通話",
    "用普通话",
    "用普通話",
    "讲国语",
    "講國語",
    "说中文",
    "說中文",
    "讲中文",
    "講中文",
    "用中文",
    "in mandarin",
    "speak mandarin",
    "in chinese",
    "speak chinese",
];
const ASK_YUE: &[&str] = &[
    "讲广东话",
    "講廣東話",
    "说广东话",
    "說廣東話",
    "用广东话",
    "用廣東話",
    "讲粤语",
    "講粵語",
    "说粤语",
    "說粵語",
    "用粤语",
    "用粵語",
    "讲白话",
    "講白話",
    "in cantonese",
    "speak cantonese",
];

/// Words that make "speak Cantonese" / "讲广东话" a fact about someone else, not a request
/// ("My parents only speak Cantonese", "我爸妈只会讲广东话").
const ABOUT_OTHERS: &[&str] = &[
    // What a product speaks or shows: "Is the app available in English?", "说明书有英文吗".
    "the app",
    "your app",
    "available in",
    "manual",
    "menu",
    "interface",
    "instructions",
    "voice assistant",
    "说明书",
    "說明書",
    "界面",
    "菜单",
    "菜單",
    "语音助手",
    "語音助手",
    "only speak",
    "parents",
    "mum ",
    "mom ",
    "dad ",
    "mother",
    "father",
    "grandma",
    "grandpa",
    "grandparent",
    "they speak",
    "he speaks",
    "she speaks",
    "understand",
    "爸妈",
    "爸媽",
    "父母",
    "老人",
    "爷爷",
    "爺爺",
    "奶奶",
    "外婆",
    "婆婆",
    "老豆",
    "阿爸",
    "阿妈",
    "阿媽",
    "只会讲",
    "只會講",
    "只识讲",
    "只識講",
    "听得懂",
    "聽得懂",
    "识听",
    "識聽",
];

/// A request form, which keeps a switch a switch even when others are named ("可唔可以用普通话？
/// 我阿妈睇唔明广东话").
const REQUEST_CUES: &[&str] = &[
    "可唔可以",
    "可不可以",
    "能不能",
    "能唔能",
    "可以用",
    "请用",
    "請用",
    "用普通话",
    "用普通話",
    "用广东话",
    "用廣東話",
    "啦",
    "can you",
    "could you",
    "can we",
    "please",
    "let's",
];

fn count(hay: &str, needles: &[&str]) -> usize {
    needles.iter().filter(|n| hay.contains(*n)).count()
}

/// Mandarin words that contain a Cantonese marker character (關係 = 关系), removed before counting.
/// Mandarin's 咋 ("how": 咋办, 咋样, 咋回事) comes before a word; Cantonese 咋 is a sentence-final
/// particle ("得咁多咋？"), so a 咋 followed by a Chinese character is dropped too.
fn without_false_markers(text: &str) -> String {
    let t = ["關係", "关系", "沒關係", "係統", "聯係"]
        .iter()
        .fold(text.to_string(), |t, w| t.replace(w, ""));
    let chars: Vec<char> = t.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|(i, c)| !(**c == '咋' && chars.get(i + 1).is_some_and(|n| is_cjk(*n))))
        .map(|(_, c)| *c)
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Latin words of two letters or more that are not product/brand names or units.
fn english_words(text: &str) -> usize {
    const NOT_WORDS: &[&str] = &[
        "ok", "okay", "app", "wifi", "matter", "homekit", "ultra", "pro", "usb", "type", "mm",
        "cm", "kg", "db", "pa", "cadr", "hepa", "ro", "tds", "nfc", "pm", "ai", "vs", "yunqi",
        "xiaomi", "dyson", "midea", "ecovacs", "roborock", "fps", "payme", "alipay", "wechat",
        "visa", "hk", "rmb", "hkd", "usd", "cny", "sf", "apple", "google", "home",
    ];
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .filter(|w| !NOT_WORDS.contains(&w.to_ascii_lowercase().as_str()))
        .count()
}

/// Cantonese words in a text: the markers, and 蚊 after an amount ("2000 蚊", "三千蚊": the
/// Cantonese word for yuan/dollars; Mandarin says 块 or 元).
fn yue_count(text: &str) -> usize {
    let mut dollars = 0;
    let mut prev: Option<char> = None;
    for ch in text.chars().filter(|c| !c.is_whitespace()) {
        if ch == '蚊'
            && prev.is_some_and(|p| p.is_ascii_digit() || "十百千万萬两兩幾几".contains(p))
        {
            dollars += 1;
        }
        prev = Some(ch);
    }
    count(text, YUE_MARKERS) + dollars
}

fn cjk_chars(text: &str) -> usize {
    text.chars().filter(|c| is_cjk(*c)).count()
}

/// How many Cantonese-only and Mandarin-only words a text has (for checking replies).
pub fn marker_counts(text: &str) -> (usize, usize) {
    let t = without_false_markers(&text.to_lowercase());
    (yue_count(&t), count(&t, CMN_MARKERS))
}

/// The variety a (lower-case) text explicitly asks for ("English please", "可以講普通話嗎？"), if
/// it does (not "我妈只会讲粤语", which speaks of someone else).
pub fn requested(lower: &str) -> Option<Variety> {
    [
        (ASK_EN, Variety::En),
        (ASK_YUE, Variety::Yue),
        (ASK_CMN, Variety::Cmn),
    ]
    .into_iter()
    .find(|(list, _)| {
        count(lower, list) > 0
            && (count(lower, ABOUT_OTHERS) == 0 || count(lower, REQUEST_CUES) > 0)
    })
    .map(|(_, v)| v)
}

/// The signal of one customer turn.
pub fn signal(a: &Analysis) -> Signal {
    let lower = a.text.to_lowercase();
    if let Some(v) = requested(&lower) {
        return Signal::Explicit(v);
    }
    let cjk = cjk_chars(&lower);
    let en = english_words(&lower);
    if a.language == Language::En || (cjk == 0 && en >= 1) {
        return if en >= 2 || (en >= 1 && cjk == 0 && lower.trim().len() >= 4) {
            Signal::Clear(Variety::En)
        } else {
            Signal::None
        };
    }
    if cjk == 0 {
        return Signal::None;
    }
    // Mostly English with a Chinese product name ("how much is the 云栖 A7").
    if en >= 3 && cjk <= 4 {
        return Signal::Clear(Variety::En);
    }
    let cleaned = without_false_markers(&lower);
    let yue = yue_count(&cleaned);
    let cmn = count(&cleaned, CMN_MARKERS);
    if yue > 0 && (yue >= cmn || a.dialect == Dialect::Yue) {
        return Signal::Clear(Variety::Yue);
    }
    if cmn > 0 && yue == 0 {
        return Signal::Clear(Variety::Cmn);
    }
    // No marker either way: a Chinese sentence is at least not English, and Mandarin is the
    // prior (calling a text Cantonese needs a Cantonese word; the dialect model alone is not enough).
    if cjk >= 2 {
        return Signal::Clear(Variety::Cmn);
    }
    Signal::None
}

/// Marker-free Chinese: tells Chinese from English only.
fn marker_free_chinese(a: &Analysis) -> bool {
    let lower = without_false_markers(&a.text.to_lowercase());
    yue_count(&lower) == 0 && count(&lower, CMN_MARKERS) == 0
}

/// Cantonese evidence strong enough to leave Mandarin on one turn: two Cantonese words, or one
/// that the dialect model agrees with. A single marker in an otherwise Mandarin sentence waits
/// for a second turn.
fn strong_cantonese(a: &Analysis) -> bool {
    let cleaned = without_false_markers(&a.text.to_lowercase());
    yue_count(&cleaned) >= 2 || a.dialect == Dialect::Yue
}

/// Decide the reply variety for this turn and update the memory.
pub fn decide(current: Variety, mem: &mut LangState, a: &Analysis) -> Variety {
    let sig = signal(a);
    let weak_chinese = matches!(sig, Signal::Clear(Variety::Cmn)) && marker_free_chinese(a);
    match sig {
        Signal::None => current,
        Signal::Explicit(v) => {
            mem.explicit = true;
            mem.pending = None;
            mem.pending_turns = 0;
            mem.settled = true;
            v
        }
        Signal::Clear(v) => {
            if !mem.settled {
                // Chinese with no marker either way ("想買部掃地機") is Mandarin for now, but
                // the first turn with a marker still decides at once.
                mem.settled = !weak_chinese;
                mem.pending = None;
                mem.pending_turns = 0;
                return v;
            }
            if v == current {
                mem.pending = None;
                mem.pending_turns = 0;
                return current;
            }
            if weak_chinese && current.is_chinese() {
                // Chinese without markers while the conversation is Chinese: keep the variety.
                return current;
            }
            let needed = if mem.explicit {
                2
            } else {
                match (current, v) {
                    (Variety::Yue, Variety::Cmn) => 2,
                    (Variety::Cmn, Variety::Yue) if !strong_cantonese(a) => 2,
                    _ => 1,
                }
            };
            let n = if mem.pending == Some(v) {
                mem.pending_turns.saturating_add(1)
            } else {
                1
            };
            if n >= needed {
                mem.pending = None;
                mem.pending_turns = 0;
                mem.explicit = false;
                v
            } else {
                mem.pending = Some(v);
                mem.pending_turns = n;
                current
            }
        }
    }
}

#[cfg(test)]
mod tests;
