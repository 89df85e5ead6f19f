//! The money rule: amounts with a currency word or sign, ranges ("3-5万", "八九千"), and bare
//! numbers that a price word, a bargaining word or a 千/万 count makes money.

use serde_json::json;
use tuoke_core::EntityType;

use super::Rules;
use super::amounts::split_money;
use crate::candidate::{Candidate, Tier};
use crate::normalize::Normalized;
use crate::numbers::parse_number;

/// Cantonese particles: in Cantonese text a bare "$" is Hong Kong dollars.
fn is_cantonese(n: &Normalized) -> bool {
    n.chars.iter().any(|c| {
        matches!(
            c,
            '係' | '嘅' | '唔' | '冇' | '咗' | '啲' | '喺' | '嗰' | '佢' | '哋' | '蚊'
        )
    })
}

impl Rules {
    /// A price word shortly before a bare number: "预算3000", "price is 500".
    fn price_cue(&self, n: &Normalized, s: usize) -> bool {
        self.price_cues.is_match(n.before(s, 8))
    }

    pub(super) fn money(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        // The regex only finds the span (lazy DFA); the parts are split by hand from the short
        // match, because computing capture groups on this large pattern costs ~5k instructions.
        for m in self.money.find_iter(&n.text) {
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            let Some(p) = split_money(m.as_str()) else {
                continue;
            };
            let (pre, suf, ak, bk, a_str) = (p.pre, p.suf, p.ak, p.bk, p.a);
            // A letter glued after an ASCII ending ("3kg", "5 dollarsx") means this is not money.
            if m.as_str().ends_with(|ch: char| ch.is_ascii_alphabetic())
                && n.at(e).is_some_and(|ch| ch.is_ascii_alphabetic())
            {
                continue;
            }
            // Vague amounts: 几百块, 十几块, 好几万.
            if matches!(n.at(s.wrapping_sub(1)), Some('几' | '多' | '数' | '第')) {
                continue;
            }
            if n.at(s.wrapping_sub(1))
                .is_some_and(|ch| ch.is_ascii_alphanumeric())
                && pre.is_none()
            {
                continue;
            }
            let marked = pre.is_some() || suf.is_some() || ak.is_some() || bk.is_some();
            if !marked {
                // A bare number is money after a price word ("预算3000") or when it is counted in
                // 千/万 ("三千五", "1.5万", "3-5万"), and never before a unit ("5万用户", "8折",
                // "2026年", "三千多人").
                // ... but a run that starts with a unit (万一 = "in case") is a word, not a number.
                let big = |x: &str| {
                    x.contains(['千', '万', '亿'])
                        && x.starts_with(|c: char| {
                            c.is_ascii_digit()
                                || c == '十'
                                || crate::numbers::cn_digit_value(c).is_some()
                        })
                };
                let wan = big(a_str) || p.b.is_some_and(big);
                if !(self.price_cue(n, s) || price_follows(n, e) || wan) || unit_follows(n, e) {
                    continue;
                }
            }
            let mult = |k: Option<&str>| match k {
                Some("k") => 1000.0,
                Some("w") => 10_000.0,
                _ => 1.0,
            };
            // "八九千", "三四百", "七八万": two neighbouring digits before a unit are a range.
            if p.b.is_none()
                && let Some((lo, hi)) = approx_range(a_str)
            {
                let m = mult(ak);
                let currency = currency_of(pre)
                    .or_else(|| currency_of(suf))
                    .unwrap_or("CNY");
                let (lo, hi) = (lo * m, hi * m);
                out.push(Candidate::new(
                    EntityType::Money,
                    s,
                    e,
                    json!({"amount": lo, "currency": currency, "min": lo, "max": hi}),
                    Tier::General,
                ));
                continue;
            }
            let Some(mut a) = parse_number(a_str) else {
                continue;
            };
            let mut b = match p.b {
                Some(x) => match parse_number(x) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => None,
            };
            a *= mult(ak);
            if let (Some(bv), Some(bs)) = (b.as_mut(), p.b) {
                *bv *= mult(bk);
                // "3-5万", "5-8k", "三到五万": the second number's multiplier applies to both.
                if ak.is_none() && !has_multiplier(a_str) {
                    let m = mult(bk) * trailing_multiplier(bs);
                    a *= m;
                }
            }
            if let Some(bv) = b
                && bv < a
            {
                // "2000-300" is not a range we understand.
                continue;
            }
            if a <= 0.0 {
                continue;
            }
            let mut currency = currency_of(pre)
                .or_else(|| currency_of(suf))
                .unwrap_or("CNY");
            // In Cantonese text a bare "$" means Hong Kong dollars.
            if currency == "USD" && pre == Some("$") && is_cantonese(n) {
                currency = "HKD";
            }
            let value = match b {
                Some(bv) => json!({"amount": a, "currency": currency, "min": a, "max": bv}),
                None => json!({"amount": a, "currency": currency}),
            };
            out.push(Candidate::new(
                EntityType::Money,
                s,
                e,
                value,
                Tier::General,
            ));
        }
    }
}

/// Does the normalized number string carry its own multiplier (十百千万亿)?
fn has_multiplier(s: &str) -> bool {
    s.ends_with(['十', '百', '千', '万', '亿'])
}

/// The product of the trailing multiplier chars of a number string ("5万" → 10000, "5千" → 1000).
fn trailing_multiplier(s: &str) -> f64 {
    let mut m = 1.0;
    for c in s.chars().rev() {
        m *= match c {
            '十' => 10.0,
            '百' => 100.0,
            '千' => 1000.0,
            '万' => 10_000.0,
            '亿' => 100_000_000.0,
            _ => break,
        };
    }
    m
}

fn currency_of(s: Option<&str>) -> Option<&'static str> {
    Some(match s? {
        "hk$" | "hkd" | "港币" | "港元" | "港纸" | "蚊" => "HKD",
        "us$" | "$" | "usd" | "美元" | "美金" | "dollars" | "dollar" | "bucks" | "刀" => "USD",
        _ => "CNY",
    })
}

/// Bargaining words right after a bare number ("3999能不能少点", "299包邮吗") or 出 right before
/// it ("我出2500").
fn price_follows(n: &Normalized, e: usize) -> bool {
    let after = n.after(e, 4).trim_start();
    [
        "包邮",
        "能不能少",
        "能少",
        "少点",
        "卖吗",
        "卖不卖",
        "能卖",
        "行不行",
        "肯卖",
    ]
    .iter()
    .any(|c| after.starts_with(c))
}

/// "八九千" → (8000, 9000): two neighbouring Chinese digits followed by unit chars.
fn approx_range(s: &str) -> Option<(f64, f64)> {
    let mut it = s.chars();
    let d1 = crate::numbers::cn_digit_value(it.next()?)?;
    let d2 = crate::numbers::cn_digit_value(it.next()?)?;
    let rest: String = it.collect();
    if d2 != d1 + 1.0 || rest.is_empty() {
        return None;
    }
    let m = parse_number(&format!("一{rest}"))?;
    Some((d1 * m, d2 * m))
}

/// A counting unit or a non-money word right after a number: "5万用户", "8折", "2026年",
/// also after 多/余/来 ("三千多人").
fn unit_follows(n: &Normalized, e: usize) -> bool {
    let mut i = e;
    while matches!(n.at(i), Some(' ' | '多' | '余' | '来')) {
        i += 1;
    }
    match n.at(i) {
        Some(c) if c.is_ascii_alphabetic() => true,
        Some(c) => {
            "折%个台套件张部人位年月号日点岁天周时分秒次倍成楼层米斤克户账用席坐条".contains(c)
        }
        None => false,
    }
}
