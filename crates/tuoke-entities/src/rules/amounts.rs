//! Splitting a money or quantity match into its parts by hand (the regexes only find the span):
//! currency words, the numbers of a range, their k/w multipliers and the unit.

use crate::numbers::english_number;

/// A number as the regexes see it: Arabic digits (with 万/千 after them) or a Chinese numeral run.
pub(super) const NUM: &str =
    r"(?:[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?[十百千万亿]*|[零〇一二两三四五六七八九十百千万亿]+)";

const CUR_PRE: [&str; 11] = [
    "人民币",
    "hk$",
    "us$",
    "rmb",
    "cny",
    "usd",
    "hkd",
    "港币",
    "美金",
    "$",
    "¥",
];
const CUR_SUF: [&str; 19] = [
    "块钱",
    "块",
    "蚊",
    "元",
    "圆",
    "美元",
    "美金",
    "港币",
    "港元",
    "港纸",
    "人民币",
    "rmb",
    "usd",
    "hkd",
    "cny",
    "dollars",
    "dollar",
    "bucks",
    "刀",
];
const RANGE_SEP: [&str; 5] = ["-", "~", "到", "至", "to"];

/// The parts of a money or quantity match: currency before, first number and its k/w, second
/// number of a range and its k/w, and the currency word or unit after.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Parts<'a> {
    pub(super) pre: Option<&'a str>,
    pub(super) a: &'a str,
    pub(super) ak: Option<&'a str>,
    pub(super) b: Option<&'a str>,
    pub(super) bk: Option<&'a str>,
    pub(super) suf: Option<&'a str>,
}

/// Strip the longest word of `list` that `t` starts with.
fn strip_any<'a>(t: &'a str, list: &[&str]) -> Option<(&'a str, &'a str)> {
    list.iter()
        .filter(|w| t.starts_with(**w))
        .max_by_key(|w| w.len())
        .map(|w| t.split_at(w.len()))
}

fn is_cn_numeral(c: char) -> bool {
    matches!(
        c,
        '零' | '〇'
            | '一'
            | '二'
            | '两'
            | '三'
            | '四'
            | '五'
            | '六'
            | '七'
            | '八'
            | '九'
            | '十'
            | '百'
            | '千'
            | '万'
            | '亿'
    )
}

/// A leading number as the `NUM` pattern reads it.
fn take_num(t: &str) -> Option<(&str, &str)> {
    let end = if t.starts_with(|c: char| c.is_ascii_digit()) {
        let d = t
            .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
            .unwrap_or(t.len());
        let tail = t.get(d..).unwrap_or("");
        d + tail
            .find(|c: char| !matches!(c, '十' | '百' | '千' | '万' | '亿'))
            .unwrap_or(tail.len())
    } else {
        t.find(|c: char| !is_cn_numeral(c)).unwrap_or(t.len())
    };
    (end > 0).then(|| t.split_at(end))
}

/// A leading English number word ("two seats").
fn take_en(t: &str) -> Option<(&str, &str)> {
    let end = t
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(t.len());
    let (w, rest) = t.split_at(end);
    english_number(w).map(|_| (w, rest))
}

fn take_kw(t: &str) -> (Option<&str>, &str) {
    match t.as_bytes().first() {
        Some(b'k' | b'w') => {
            let (k, r) = t.split_at(1);
            (Some(k), r)
        }
        _ => (None, t),
    }
}

/// Split a match of the money regex (which guarantees the shape).
pub(super) fn split_money(t: &str) -> Option<Parts<'_>> {
    let mut p = Parts::default();
    let rest = match strip_any(t, &CUR_PRE) {
        Some((pre, r)) => {
            p.pre = Some(pre);
            r.trim_start()
        }
        None => t,
    };
    let (a, rest) = take_num(rest)?;
    p.a = a;
    let (ak, mut rest) = take_kw(rest);
    p.ak = ak;
    if let Some((_, r)) = strip_any(rest.trim_start(), &RANGE_SEP) {
        let r = r.trim_start();
        let r = strip_any(r, &CUR_PRE).map_or(r, |(_, x)| x).trim_start();
        if let Some((b, r)) = take_num(r) {
            let (bk, r) = take_kw(r);
            (p.b, p.bk, rest) = (Some(b), bk, r);
        }
    }
    let rest = rest.trim_start();
    if !rest.is_empty() {
        p.suf = Some(*CUR_SUF.iter().find(|w| **w == rest)?);
    }
    Some(p)
}

/// Split a match of the quantity regex; the unit is returned in `suf`.
pub(super) fn split_quantity(t: &str) -> Option<Parts<'_>> {
    let mut p = Parts::default();
    let (a, mut rest) = take_num(t).or_else(|| take_en(t))?;
    p.a = a;
    if let Some((_, r)) = strip_any(rest.trim_start(), &RANGE_SEP) {
        let r = r.trim_start();
        if let Some((b, r)) = take_num(r).or_else(|| take_en(r)) {
            (p.b, rest) = (Some(b), r);
        }
    }
    let unit = rest.trim_start();
    if unit.is_empty() {
        return None;
    }
    p.suf = Some(unit);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_money_and_quantity() {
        let p = split_money("hk$3,800").unwrap();
        assert_eq!((p.pre, p.a, p.suf), (Some("hk$"), "3,800", None));
        let p = split_money("3-5万").unwrap();
        assert_eq!((p.a, p.b), ("3", Some("5万")));
        let p = split_money("5k to 8k usd").unwrap();
        assert_eq!(
            (p.a, p.ak, p.b, p.bk, p.suf),
            ("5", Some("k"), Some("8"), Some("k"), Some("usd"))
        );
        let p = split_money("两百块钱").unwrap();
        assert_eq!((p.a, p.suf), ("两百", Some("块钱")));
        let p = split_quantity("10-20个账号").unwrap();
        assert_eq!((p.a, p.b, p.suf), ("10", Some("20"), Some("个账号")));
        let p = split_quantity("two licenses").unwrap();
        assert_eq!((p.a, p.suf), ("two", Some("licenses")));
        assert_eq!(split_money("abc"), None);
    }
}
