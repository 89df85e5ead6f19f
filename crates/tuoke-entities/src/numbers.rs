//! Numbers written with Arabic digits, Chinese numerals or a mix ("3500", "3,500", "三千五",
//! "一万二", "两百", "1.5万", "3千"), plus the `k`/`w` shorthands. No crate parses Chinese
//! numerals with the colloquial short forms (三千五 = 3500), so this is written by hand.

/// Value of a single Chinese digit char (normalized text), `两` included, `幺` excluded.
pub(crate) fn cn_digit_value(c: char) -> Option<f64> {
    Some(match c {
        '零' | '〇' => 0.0,
        '一' | '壹' => 1.0,
        '二' | '两' | '贰' => 2.0,
        '三' | '叁' => 3.0,
        '四' | '肆' => 4.0,
        '五' | '伍' => 5.0,
        '六' | '陆' => 6.0,
        '七' | '柒' => 7.0,
        '八' | '捌' => 8.0,
        '九' | '玖' => 9.0,
        _ => return None,
    })
}

fn small_unit(c: char) -> Option<f64> {
    Some(match c {
        '十' | '拾' => 10.0,
        '百' | '佰' => 100.0,
        '千' | '仟' => 1000.0,
        _ => return None,
    })
}

fn big_unit(c: char) -> Option<f64> {
    Some(match c {
        '万' => 10_000.0,
        '亿' => 100_000_000.0,
        _ => return None,
    })
}

/// Parse a number made of Arabic digit runs (with `,` thousands separators and one `.`), Chinese
/// digits and the units 十百千万亿. Returns `None` for anything else or a non-finite result.
///
/// Colloquial short forms: a single trailing digit right after a unit ≥ 百 is scaled one step
/// down (三千五 = 3500, 一万二 = 12000, 两百五 = 250), but not after 零 (一千零五 = 1005).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let chars: Vec<char> = s.chars().filter(|c| *c != ',').collect();
    if chars.is_empty() {
        return None;
    }
    let mut total = 0.0_f64; // sum of finished 万/亿 sections
    let mut section = 0.0_f64; // inside the current 万 section
    let mut current: Option<f64> = None; // last digit value not yet multiplied
    let mut last_unit = 0.0_f64;
    let mut after_zero = false;
    let mut digits_since_unit = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            // Arabic run with an optional decimal part.
            let mut j = i;
            let mut seen_dot = false;
            while j < chars.len() && (chars[j].is_ascii_digit() || (chars[j] == '.' && !seen_dot)) {
                if chars[j] == '.' {
                    seen_dot = true;
                }
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            let run = run.trim_end_matches('.');
            let v: f64 = run.parse().ok()?;
            if current.is_some() {
                return None;
            }
            current = Some(v);
            // "1万2" = 12000 like 一万二, but "1万25" is not a short form.
            digits_since_unit = if run.len() == 1 {
                digits_since_unit + 1
            } else {
                2
            };
            i = j;
            continue;
        }
        if let Some(d) = cn_digit_value(c) {
            if d == 0.0 {
                after_zero = true;
                current = None;
            } else {
                if current.is_some() {
                    // "二三" is not a number in this grammar.
                    return None;
                }
                current = Some(d);
                digits_since_unit += 1;
            }
        } else if let Some(u) = small_unit(c) {
            // 十 alone means 10 (十五 = 15).
            let d = current.take().unwrap_or(1.0);
            section += d * u;
            last_unit = u;
            after_zero = false;
            digits_since_unit = 0;
        } else if let Some(u) = big_unit(c) {
            let d = current.take().unwrap_or(0.0);
            let sec = section + d;
            let sec = if sec == 0.0 { 1.0 } else { sec };
            total = (total + sec) * u;
            section = 0.0;
            last_unit = u;
            after_zero = false;
            digits_since_unit = 0;
        } else {
            return None;
        }
        i += 1;
    }
    if let Some(mut d) = current {
        if !after_zero && last_unit >= 100.0 && digits_since_unit == 1 {
            d *= last_unit / 10.0;
        }
        section += d;
    }
    let v = total + section;
    if v.is_finite() { Some(v) } else { None }
}

/// English number words used for counts and durations.
pub(crate) fn english_number(s: &str) -> Option<f64> {
    Some(match s {
        "a" | "an" | "one" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" => 10.0,
        "eleven" => 11.0,
        "twelve" => 12.0,
        "fifteen" => 15.0,
        "twenty" => 20.0,
        "thirty" => 30.0,
        "fifty" => 50.0,
        "hundred" => 100.0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_arabic_numbers() {
        let cases = [
            ("3500", 3500.0),
            ("3,500", 3500.0),
            ("1.5", 1.5),
            ("三千五", 3500.0),
            ("两百", 200.0),
            ("一万二", 12000.0),
            ("1.5万", 15000.0),
            ("3千", 3000.0),
            ("十五", 15.0),
            ("二十", 20.0),
            ("一千零五", 1005.0),
            ("三千五百", 3500.0),
            ("两百五", 250.0),
            ("十万", 100_000.0),
            ("一百二十万", 1_200_000.0),
            ("五百", 500.0),
            ("两", 2.0),
            ("百", 100.0),
            ("2万5千", 25000.0),
            ("1万2", 12000.0),
        ];
        for (s, v) in cases {
            assert_eq!(parse_number(s), Some(v), "{s}");
        }
        assert_eq!(parse_number("二三"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("abc"), None);
    }
}
