//! What kind of answer a question wants: "滤芯多久换" wants a duration, "能爬多高" a measure, "能录
//! 几个指纹" a count, "滤芯多少钱" an amount of money. A passage that states such a value (a number
//! with a matching unit) is the likelier answer; the retriever boosts it
//! ([`crate::kb::KnowledgeBase::search_passages`]). The classic answer-type step of question
//! answering, done with word lists because the KB's facts are short and unit-marked.

/// The kind of value a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Duration,
    Money,
    Measure,
    Count,
    /// Where: an address ("上海的体验店在哪", "address of your store").
    Place,
    /// When in the day: a clock time ("几点开门", "what time do you open" → "10:00–21:00").
    Time,
}

const TIME_CUES: &[&str] = &[
    "几点",
    "幾點",
    "营业时间",
    "營業時間",
    "开门时间",
    "開門時間",
    "what time",
    "opening hours",
    "open until",
    "open till",
    "when do you open",
    "when do you close",
    "when are you open",
];

const DURATION_CUES: &[&str] = &[
    "多少日",
    "多少天",
    "多久",
    "多长时间",
    "多長時間",
    "几天",
    "幾天",
    "几耐",
    "幾耐",
    "几日",
    "幾日",
    "几个月",
    "幾個月",
    "几年",
    "幾年",
    "how long",
    "how many days",
    "how soon",
    "how often",
    "how frequently",
    "how often",
    "how many years",
];
const MONEY_CUES: &[&str] = &[
    // "滤网几耐换一次？贵唔贵？": whether it is dear asks what it costs.
    "贵不贵",
    "貴不貴",
    "贵唔贵",
    "貴唔貴",
    "多少钱",
    "多少錢",
    "几钱",
    "幾錢",
    "几多钱",
    "幾多錢",
    "收费",
    "收費",
    "费用",
    "費用",
    "how much",
    "cost",
    "fee",
];
/// A fee named with a how-much word anywhere ("运费多少？", "寄去澳门运费要多少？"): a sum is
/// wanted, not a count.
const FEE_WORDS: &[&str] = &[
    "运费",
    "運費",
    "邮费",
    "郵費",
    "安装费",
    "安裝費",
    "shipping",
];
/// Whether there is a fee ("寄過去要唔要運費？"): the answer is the sum (or that it is free).
const FEE_YES_NO: &[&str] = &[
    "要不要",
    "要唔要",
    "收不收",
    "收唔收",
    "使唔使",
    "用不用",
    "免不免",
    "包不包",
    "包唔包",
    "有没有",
    "有冇",
    "is there",
    "do i pay",
    "any ",
];
const HOW_MUCH: &[&str] = &[
    "多少",
    "几多",
    "幾多",
    "几钱",
    "幾錢",
    "怎么算",
    "怎麼算",
    "点计",
    "點計",
    "点收",
    "點收",
    "how much",
    "what",
    "how do you charge",
];
const MEASURE_CUES: &[&str] = &[
    // "洗一次要用多少水": litres, not a count of programmes.
    "多少水",
    "几多水",
    "幾多水",
    "how much water",
    "多大",
    "多高",
    "多重",
    "多宽",
    "多寬",
    "多厚",
    "多长",
    "多長",
    "几大",
    "幾大",
    "几重",
    "幾重",
    "几高",
    "幾高",
    "多少平",
    "多少分贝",
    "多少分貝",
    "多吵",
    "how big",
    "how heavy",
    "how tall",
    "how loud",
    "how high",
    "how wide",
    "how much power",
    "dimension",
    "size",
];
const PLACE_CUES: &[&str] = &[
    "地址",
    "在哪里",
    "店在哪",
    "在什么地方",
    "在什麼地方",
    "喺边度",
    "喺邊度",
    "喺边",
    "喺邊",
    "怎么去",
    "点去",
    "點去",
    "where is",
    "where's",
    "where are",
    "address",
    "located",
    "location",
    // A shop to go to: its address and hours are the answer ("能去店里看看吗", "shop in HK?").
    "店里",
    "门店",
    "门市",
    "实体店",
    "体验店",
    "店铺",
    "线下店",
    "去店",
    "到店",
    "几点开门",
    "几点关门",
    "营业时间",
    "shop",
    "store",
    "showroom",
    "opening hours",
    // Seeing the real thing somewhere ("香港边度可以睇实物？", "where can I see one?").
    "看实物",
    "看實物",
    "睇实物",
    "睇實物",
    "看真机",
    "看真機",
    "睇真机",
    "睇真機",
    "哪里可以看",
    "哪里能看",
    "边度可以睇",
    "邊度可以睇",
    "where can i see",
    "where can i try",
];
/// "What's your email address?", "where is my data stored?": the place of no shop.
const NOT_A_PLACE: &[&str] = &[
    "email", "e-mail", "邮箱", "郵箱", "电邮", "電郵", "data", "数据", "數據", "资料", "資料",
];
/// Words an address is made of.
const PLACE_WORDS: &[&str] = &[
    "路", "道", "街", "号", "號", "大厦", "大廈", "广场", "廣場", "中心", "road", "street",
    "building", "plaza", "avenue",
];
const COUNT_CUES: &[&str] = &[
    "几个",
    "幾個",
    "几种",
    "幾種",
    "多少个",
    "多少個",
    "几多个",
    "幾多個",
    "几多种",
    "幾多種",
    "几套",
    "幾套",
    "多少套",
    "how many",
];

/// What the question wants, if it says (the first cue list that matches, in the order duration,
/// count, measure, money: "多少个月" is a duration).
pub fn wanted(lower: &str) -> Option<Want> {
    let has = |cues: &'static [&'static str]| crate::words::any(lower, cues);
    if has(TIME_CUES) {
        Some(Want::Time)
    } else if has(PLACE_CUES) && !has(NOT_A_PLACE) {
        Some(Want::Place)
    } else if has(DURATION_CUES) {
        Some(Want::Duration)
    } else if has(COUNT_CUES) {
        Some(Want::Count)
    } else if has(MEASURE_CUES) {
        Some(Want::Measure)
    } else if has(MONEY_CUES) || (has(FEE_WORDS) && (has(HOW_MUCH) || has(FEE_YES_NO))) {
        Some(Want::Money)
    } else {
        None
    }
}

const DURATION_UNITS: &[&str] = &[
    "个月", "個月", "月", "天", "日", "年", "小时", "小時", "分钟", "分鐘", "周", "週", "month",
    "day", "year", "hour", "min", "week",
];
const MEASURE_UNITS: &[&str] = &[
    "mm", "cm", "kg", "㎡", "m²", "m³", "db", "ml", "l/", "l", "w", "v", "pa", "°c", "平", "毫米",
    "厘米", "公斤", "升", "m ", "l ",
];
const COUNT_UNITS: &[&str] = &[
    "个",
    "個",
    "种",
    "種",
    "套",
    "组",
    "組",
    "枚",
    "位",
    "档",
    "檔",
    "users",
    "groups",
    "sets",
    "modes",
    "fingerprints",
];

/// `after` starts with the unit; a Latin unit must end there ("75w" and "3 months", not "5 with").
fn unit_at(after: &str, unit: &str) -> bool {
    let Some(rest) = after.strip_prefix(unit) else {
        return false;
    };
    !unit.ends_with(|c: char| c.is_ascii_alphabetic())
        || rest
            .strip_prefix('s')
            .unwrap_or(rest)
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphabetic())
}

/// The text states a value of that kind: a number followed (within a space) by a matching unit,
/// or a currency sign before or after it.
pub fn states(text: &str, want: Want) -> bool {
    let lower = text.to_lowercase();
    if want == Want::Place {
        // A number before an address word ("文三路 90 号", "600 Nathan Road").
        return crate::words::any(&lower, PLACE_WORDS) && lower.chars().any(|c| c.is_ascii_digit());
    }
    let chars: Vec<(usize, char)> = lower.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !c.is_ascii_digit() {
            continue;
        }
        let next_is_digit = chars
            .get(i + 1)
            .is_some_and(|(_, n)| n.is_ascii_digit() || *n == '.' || *n == ',');
        if next_is_digit {
            continue;
        }
        // The number's first digit: the currency sign stands before it.
        let mut first = i;
        while first > 0
            && chars
                .get(first - 1)
                .is_some_and(|(_, p)| p.is_ascii_digit() || *p == '.' || *p == ',')
        {
            first -= 1;
        }
        let before = &lower[..chars.get(first).map_or(at, |(b, _)| *b)];
        let after = lower[at + c.len_utf8()..].trim_start_matches([' ', '–', '-']);
        let ok = match want {
            Want::Money => {
                before.ends_with('¥')
                    || before.ends_with('$')
                    || after.starts_with('元')
                    || after.starts_with('蚊')
                    || before.trim_end().ends_with("hkd")
                    || before.trim_end().ends_with("cny")
            }
            Want::Duration => DURATION_UNITS.iter().any(|u| unit_at(after, u)),
            Want::Measure => MEASURE_UNITS.iter().any(|u| unit_at(after, u)),
            Want::Count => COUNT_UNITS.iter().any(|u| unit_at(after, u)),
            // "10:00–21:00", "10点", "10am".
            Want::Time => {
                (after.starts_with(':')
                    && after[1..]
                        .chars()
                        .take(2)
                        .filter(char::is_ascii_digit)
                        .count()
                        == 2)
                    || after.starts_with('点')
                    || after.starts_with('點')
                    || unit_at(after, "am")
                    || unit_at(after, "pm")
            }
            Want::Place => false,
        };
        if ok {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_say_what_they_want() {
        assert_eq!(wanted("滤芯多久换"), Some(Want::Duration));
        assert_eq!(wanted("寄香港要幾耐"), Some(Want::Duration));
        assert_eq!(wanted("能爬多高的门槛"), Some(Want::Measure));
        assert_eq!(wanted("门锁能录几个指纹"), Some(Want::Count));
        assert_eq!(wanted("滤芯多少钱"), Some(Want::Money));
        assert_eq!(wanted("几点开门?"), Some(Want::Time));
        assert!(states("每天 10:00–21:00", Want::Time));
        assert!(!states("废水比 2.5:1", Want::Time));
        assert_eq!(wanted("寄去澳门运费要多少?"), Some(Want::Money));
        assert_eq!(wanted("what's the shipping fee?"), Some(Want::Money));
        assert_eq!(wanted("how long does delivery take"), Some(Want::Duration));
        assert_eq!(wanted("能接米家吗"), None);
        assert_eq!(wanted("where's your shanghai showroom"), Some(Want::Place));
        assert_eq!(wanted("快递单号在哪看"), None);
    }

    #[test]
    fn facts_state_values() {
        assert!(states("PPC 复合滤芯约 12 个月（¥199）", Want::Duration));
        assert!(states("PPC 复合滤芯约 12 个月（¥199）", Want::Money));
        assert!(states("越障高度：20mm", Want::Measure));
        assert!(states("可录入 100 组指纹", Want::Count));
        assert!(!states("支持 Matter", Want::Count));
        assert!(!states("", Want::Money));
        assert!(states("2–5 天内上门安装", Want::Duration));
        assert!(states("about 12 months", Want::Duration));
        assert!(!states("works with 5 with apps", Want::Measure));
        assert!(states("75W", Want::Measure));
        assert!(states("香港：旺角弥敦道 600 号", Want::Place));
        assert!(!states("可预约体验店现场演示", Want::Place));
    }
}
