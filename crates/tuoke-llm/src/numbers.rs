//! Numbers in a text, normalized so that the same quantity written differently compares equal:
//! `1,999` = `1999` = `一千九百九十九`, `1.5万` = `15000`, `¥`/`元`/`RMB` ignored (a price is its
//! number). The text is expected lower-cased and half-width (tuoke-nlu's normalizer).

use std::collections::BTreeSet;

/// A number as a canonical string (`1999`, `3.5`).
fn canon(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn cn_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        _ => return None,
    })
}

fn is_cn_numeral(c: char) -> bool {
    cn_digit(c).is_some() || cn_unit(c).is_some() || c == '万' || c == '亿'
}

/// Words built from numeral characters that are no numbers.
const NOT_NUMBERS: &[&str] = &[
    "一下",
    "一起",
    "一些",
    "一点",
    "一直",
    "一定",
    "一样",
    "一般",
    "一切",
    "一边",
    "一旦",
    "一向",
    "一律",
    "一再",
    "一共",
    "一致",
    "一同",
    "一番",
    "一贯",
    "一概",
    "一路",
    "一时",
    "一口气",
    "万一",
    "千万",
    "十分",
    "统一",
    "唯一",
    "之一",
    "一流",
    "一体",
    "一站",
    "一键",
    "一次性",
    "一模一样",
    "三思",
    "不二",
    "一手",
    "一口",
    "一心",
    "一面",
    "一方面",
    "第一时间",
    "一目了然",
    "五金",
    "百分之百",
    "万事",
    "千家万户",
    "一览",
    "一对一",
    "一应俱全",
];

/// Measure words after which a single numeral character is a number ("三年", "两台").
const MEASURES: &[char] = &[
    '元', '块', '折', '年', '月', '天', '日', '号', '周', '台', '套', '升', '倍', '秒', '档', '平',
    '米', '寸', '斤', '瓦', '度', '%', '期', '箱', '挡', '个', '款', '种', '次', '位',
];

/// After a lone "一" only these make a number ("一个问题", "一台就够" are no quantities
/// worth checking; "一年质保", "一折" are).
const MEASURES_ONE: &[char] = &['元', '块', '折', '年', '月', '%', '倍', '升', '万'];

/// Parses a run of Chinese numerals ("一千九百九十九", "十五", "三", "一二三" digit by digit).
fn parse_cn(run: &[char]) -> Option<f64> {
    let has_unit = run
        .iter()
        .any(|&c| cn_unit(c).is_some() || c == '万' || c == '亿');
    if !has_unit {
        // Digit by digit: "一九九九" → 1999.
        let mut v: u64 = 0;
        for &c in run {
            v = v.checked_mul(10)?.checked_add(u64::from(cn_digit(c)?))?;
        }
        return Some(v as f64);
    }
    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut digit: Option<u64> = None;
    for &c in run {
        if let Some(d) = cn_digit(c) {
            digit = Some(u64::from(d));
        } else if let Some(u) = cn_unit(c) {
            section += digit.take().unwrap_or(1) * u;
        } else if c == '万' || c == '亿' {
            let scale = if c == '万' { 10_000 } else { 100_000_000 };
            section += digit.take().unwrap_or(0);
            total = (total + section.max(1)).checked_mul(scale)?;
            section = 0;
        }
    }
    Some((total + section + digit.unwrap_or(0)) as f64)
}

/// Every number in `text` (lower-cased, half-width), canonical. With `with_raw`, a scaled
/// number ("1.5万") also contributes its unscaled digits ("1.5"), for the set of allowed numbers.
pub(crate) fn numbers(text: &str, with_raw: bool) -> BTreeSet<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let mut s = String::new();
            let mut j = i;
            while j < chars.len() {
                let d = chars[j];
                let next_digit = chars.get(j + 1).is_some_and(char::is_ascii_digit);
                if d.is_ascii_digit() {
                    s.push(d);
                } else if d == '.' && next_digit && !s.contains('.') {
                    s.push('.');
                } else if d == ',' && next_digit && !s.contains('.') {
                    // thousands separator
                } else {
                    break;
                }
                j += 1;
            }
            let v: f64 = s.parse().unwrap_or(0.0);
            let scale = match chars.get(j) {
                Some('万') => Some(10_000.0),
                Some('千') => Some(1000.0),
                Some('亿') => Some(100_000_000.0),
                Some('k') if !chars.get(j + 1).is_some_and(|c| c.is_ascii_alphabetic()) => {
                    Some(1000.0)
                }
                _ => None,
            };
            match scale {
                Some(f) => {
                    out.insert(canon(v * f));
                    if with_raw {
                        out.insert(canon(v));
                    }
                }
                None => {
                    out.insert(canon(v));
                }
            }
            i = j.max(i + 1);
        } else if is_cn_numeral(c) {
            let mut j = i;
            while j < chars.len() && is_cn_numeral(chars[j]) {
                j += 1;
            }
            let run = &chars[i..j];
            let word_at = |k: usize| {
                NOT_NUMBERS.iter().any(|w| {
                    let w: Vec<char> = w.chars().collect();
                    chars.get(k..k + w.len()) == Some(&w[..])
                        || (k > 0 && chars.get(k - 1..k - 1 + w.len()) == Some(&w[..]))
                })
            };
            let single = run.len() == 1;
            let measures = if run == ['一'] {
                MEASURES_ONE
            } else {
                MEASURES
            };
            let measured = chars.get(j).is_some_and(|n| measures.contains(n));
            let lone_unit = single && cn_digit(c).is_none();
            if !word_at(i)
                && !lone_unit
                && (!single || measured)
                && let Some(v) = parse_cn(run)
            {
                out.insert(canon(v));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(s: &str) -> Vec<String> {
        numbers(s, false).into_iter().collect()
    }

    #[test]
    fn arabic_forms() {
        assert_eq!(nums("¥1,999 元"), vec!["1999"]);
        assert_eq!(nums("rmb 3.50, 20% off"), vec!["20", "3.5"]);
        assert_eq!(nums("1.5万"), vec!["15000"]);
        assert_eq!(nums("2000-3000元"), vec!["2000", "3000"]);
        assert_eq!(nums("a7"), vec!["7"]);
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(nums("一千九百九十九元"), vec!["1999"]);
        assert_eq!(nums("十五天"), vec!["15"]);
        assert_eq!(nums("两台"), vec!["2"]);
        assert_eq!(nums("三年质保"), vec!["3"]);
        assert_eq!(nums("打九折"), vec!["9"]);
        assert_eq!(nums("两万"), vec!["20000"]);
        assert_eq!(nums("一万二千"), vec!["12000"]);
    }

    #[test]
    fn words_that_are_no_numbers() {
        assert!(nums("您看一下，我们一起一定可以，十分好").is_empty());
        assert!(nums("这是一款好产品，一个问题").is_empty());
        assert_eq!(nums("三款都有"), vec!["3"]);
        assert!(nums("万一有问题").is_empty());
    }
}
