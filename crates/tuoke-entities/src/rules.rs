//! Money, quantity, phone, e-mail and WeChat rules on the normalized text.

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde_json::json;
use tuoke_core::EntityType;

use crate::normalize::Normalized;
use crate::numbers::{english_number, parse_number};
use crate::{Candidate, EntitiesError, Tier};

/// A number as the regexes see it: Arabic digits (with 万/千 after them) or a Chinese numeral run.
const NUM: &str =
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
struct Parts<'a> {
    pre: Option<&'a str>,
    a: &'a str,
    ak: Option<&'a str>,
    b: Option<&'a str>,
    bk: Option<&'a str>,
    suf: Option<&'a str>,
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
fn split_money(t: &str) -> Option<Parts<'_>> {
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
fn split_quantity(t: &str) -> Option<Parts<'_>> {
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

/// Cantonese particles: in Cantonese text a bare "$" is Hong Kong dollars.
fn is_cantonese(n: &Normalized) -> bool {
    n.chars.iter().any(|c| {
        matches!(
            c,
            '係' | '嘅' | '唔' | '冇' | '咗' | '啲' | '喺' | '嗰' | '佢' | '哋' | '蚊'
        )
    })
}

pub(crate) struct Rules {
    money: Regex,
    quantity: Regex,
    email: Regex,
    wechat_cue: Regex,
    /// Price words before a bare number ("预算3000").
    price_cues: AhoCorasick,
    /// Phone words before a bare Hong Kong number.
    phone_cues: AhoCorasick,
    /// Order / invoice / id words: digits after them are not phones.
    order_cues: AhoCorasick,
}

/// One automaton per cue list: a handful of `str::contains` calls per candidate cost more than
/// all the regexes together.
fn cues(words: &[&str]) -> Result<AhoCorasick, EntitiesError> {
    AhoCorasick::new(words).map_err(|e| EntitiesError::Pattern(e.to_string()))
}

fn re(p: &str) -> Result<Regex, EntitiesError> {
    Regex::new(p).map_err(|e| EntitiesError::Pattern(e.to_string()))
}

impl Rules {
    /// Digits that look like a phone but are a price or an order number.
    fn not_a_phone(&self, n: &Normalized, s: usize, e: usize) -> bool {
        let mut i = s;
        while i > 0 && n.at(i - 1) == Some(' ') {
            i -= 1;
        }
        if matches!(n.at(i.wrapping_sub(1)), Some('¥' | '$')) {
            return true;
        }
        let after = n.after(e, 3);
        if after.starts_with(['元', '块', '蚊']) || after.trim_start().starts_with("rmb") {
            return true;
        }
        self.order_cues.is_match(n.before(s, 8))
    }

    /// A phone word shortly before char index `s`.
    fn phone_cue(&self, n: &Normalized, s: usize) -> bool {
        self.phone_cues.is_match(n.before(s, 14))
    }

    /// A price word shortly before a bare number: "预算3000", "price is 500".
    fn price_cue(&self, n: &Normalized, s: usize) -> bool {
        self.price_cues.is_match(n.before(s, 8))
    }

    pub fn new() -> Result<Rules, EntitiesError> {
        let cur_pre = r"hk\$|us\$|\$|¥|rmb|cny|usd|hkd|人民币|港币|美金";
        let cur_suf =
            r"块钱|块|蚊|元|圆|美元|美金|港币|港元|港纸|人民币|rmb|usd|hkd|cny|dollars?|bucks|刀";
        let money = format!(
            r"(?:(?P<pre>{cur_pre})[ \t\n]*)?(?P<a>{NUM})(?P<ak>[kw])?(?:[ \t\n]*(?:-|~|到|至|to)[ \t\n]*(?:{cur_pre})?[ \t\n]*(?P<b>{NUM})(?P<bk>[kw])?)?(?:[ \t\n]*(?P<suf>{cur_suf}))?"
        );
        let en_num = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred";
        let quantity = format!(
            r"(?P<a>{NUM}|{en_num})(?:[ \t\n]*(?:-|~|到|至|to)[ \t\n]*(?P<b>{NUM}|{en_num}))?[ \t\n]*(?P<u>个子账号|个账号|个用户|个人|个席位|个坐席|个授权|个终端|个门店|子账号|账号|用户|席位|坐席|授权|终端|门店|口人|(?:个[ \t\n]*)?(?:seats?|licen[cs]es?|users?|units?|accounts?|people|persons?|employees?|staff|members?|agents?|sets?|pcs)|台|套|个|件|张|部|把|人|位|名|家)"
        );
        Ok(Rules {
            money: re(&money)?,
            quantity: re(&quantity)?,
            email: re(
                r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24}",
            )?,
            price_cues: cues(&[
                "预算",
                "价",
                "budget",
                "price",
                "多少钱",
                "报价",
                "费",
                "花",
                "付",
                "cost",
                "pay",
                "便宜",
                "贵",
                "出到",
                "我出",
                "接受",
                "钱",
            ])?,
            phone_cues: cues(&[
                "电话",
                "手机",
                "联络",
                "联系",
                "号码",
                "call",
                "phone",
                "tel",
                "whatsapp",
                "mobile",
                "cell",
                "打俾",
                "打给",
                "致电",
                "搵我",
                "contact",
                "短讯",
                "sms",
                "短信",
                "my number",
                "reach me",
                "text me",
                "ring me",
            ])?,
            order_cues: cues(&[
                "订单",
                "单号",
                "order",
                "编号",
                "运单",
                "快递",
                "tracking",
                "发票",
                "no.",
                "#",
                "账号",
                "卡号",
                "身份证",
            ])?,
            wechat_cue: re(r"微信号|微信|威信|薇信|v信|vx号|vx|wx号|wx|weixin|wechat|加v")?,
        })
    }

    pub fn run(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        self.phones(n, out);
        self.emails(n, out);
        self.wechat(n, out);
        self.money(n, out);
        self.quantity(n, out);
    }

    fn emails(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        if !n.text.contains('@') {
            return;
        }
        for m in self.email.find_iter(&n.text) {
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            if n.at(e).is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            out.push(Candidate::new(
                EntityType::Email,
                s,
                e,
                json!(m.as_str()),
                Tier::Specific,
            ));
        }
    }

    fn wechat(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        for m in self.wechat_cue.find_iter(&n.text) {
            let cs = n.char_at(m.start());
            if m.as_str().starts_with(|c: char| c.is_ascii_alphabetic())
                && n.at(cs.wrapping_sub(1))
                    .is_some_and(|c| c.is_ascii_alphabetic())
            {
                continue;
            }
            let mut i = n.char_at(m.end());
            // Skip separators and filler between the cue and the id: "微信: ", "wechat id is ", "微信就是".
            loop {
                match n.at(i) {
                    Some(
                        ' ' | ':' | '=' | '是' | '为' | '号' | '叫' | '：' | '-' | '>' | '搜'
                        | '加',
                    ) => i += 1,
                    // "id" / "is" as words ("wechat id: x", "my wechat is x"), not the start of an id.
                    Some('i')
                        if matches!(n.at(i + 1), Some('d' | 's'))
                            && !n.at(i + 2).is_some_and(|c| {
                                c.is_ascii_alphanumeric() || c == '_' || c == '-'
                            }) =>
                    {
                        i += 2
                    }
                    Some('就') if n.at(i + 1) == Some('是') => i += 2,
                    _ => break,
                }
            }
            let start = i;
            if !n.at(start).is_some_and(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            let mut end = start;
            while n
                .at(end)
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                end += 1;
            }
            // An e-mail address after the cue is an e-mail, not a WeChat id.
            if matches!(n.at(end), Some('@')) {
                continue;
            }
            let len = end - start;
            if !(6..=20).contains(&len) {
                continue;
            }
            // Value: the id folded to half width and lower case (WeChat ids are case-insensitive).
            let id = n.slice(start, end).to_string();
            out.push(Candidate::new(
                EntityType::Wechat,
                start,
                end,
                json!(id),
                Tier::Specific,
            ));
        }
    }

    /// Phone numbers: runs of digits (ASCII or Chinese digit characters) with single spaces or
    /// dashes between groups, scanned by hand (one pass, no allocation per run), then every
    /// sequence of neighbouring groups is tried as a phone number.
    fn phones(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        let digit = |i: usize| {
            n.at(i).and_then(|c| {
                if c.is_ascii_digit() {
                    Some(c)
                } else {
                    crate::normalize::cn_digit(c)
                }
            })
        };
        let len = n.len();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut concat = String::new();
        let mut i = 0;
        while i < len {
            let run_start = i;
            let plus = n.at(i) == Some('+') && digit(i + 1).is_some();
            if !plus && digit(i).is_none() {
                i += 1;
                continue;
            }
            groups.clear();
            let mut j = if plus { i + 1 } else { i };
            let mut total = 0;
            loop {
                let gs = j;
                while digit(j).is_some() {
                    j += 1;
                }
                groups.push((gs, j));
                total += j - gs;
                let mut k = j;
                let mut seps = 0;
                while seps < 2 && matches!(n.at(k), Some(' ' | '-')) {
                    k += 1;
                    seps += 1;
                }
                if seps > 0 && digit(k).is_some() {
                    j = k;
                } else {
                    break;
                }
            }
            i = j.max(i + 1);
            if total < 8 {
                continue;
            }
            let gstart = |g: usize| {
                if g == 0 && plus {
                    run_start
                } else {
                    groups.get(g).map_or(run_start, |x| x.0)
                }
            };
            let mut gi = 0;
            while gi < groups.len() {
                let mut best: Option<(usize, String)> = None;
                let cue = self.phone_cue(n, gstart(gi));
                concat.clear();
                if gi == 0 && plus {
                    concat.push('+');
                }
                for (gj, &(gs, ge)) in groups.iter().enumerate().skip(gi) {
                    concat.extend((gs..ge).filter_map(digit));
                    if concat.len() > 16 {
                        break;
                    }
                    let spaced_hk = gj == gi + 1
                        && groups.get(gi).is_some_and(|g| g.1 - g.0 == 4)
                        && ge - gs == 4;
                    if let Some(e164) = phone_value(&concat, spaced_hk || cue) {
                        best = Some((gj, e164));
                    }
                }
                match best {
                    Some((gj, e164)) => {
                        let (s, e) = (gstart(gi), groups.get(gj).map_or(run_start, |x| x.1));
                        if !self.not_a_phone(n, s, e) {
                            out.push(Candidate::new(
                                EntityType::Phone,
                                s,
                                e,
                                json!(e164),
                                Tier::Specific,
                            ));
                        }
                        gi = gj + 1;
                    }
                    None => gi += 1,
                }
            }
        }
    }

    fn money(&self, n: &Normalized, out: &mut Vec<Candidate>) {
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

    fn quantity(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        for m in self.quantity.find_iter(&n.text) {
            let Some(p) = split_quantity(m.as_str()) else {
                continue;
            };
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            let (unit_raw, a_str) = (p.suf.unwrap_or(""), p.a);
            let prev = n.at(s.wrapping_sub(1));
            if prev.is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '.') {
                continue;
            }
            if matches!(prev, Some('第' | '几' | '每' | '这' | '那' | '哪')) {
                continue;
            }
            let ascii_unit = unit_raw.is_ascii();
            if ascii_unit && n.at(e).is_some_and(|ch| ch.is_ascii_alphabetic()) {
                continue;
            }
            if a_str.is_ascii() && a_str.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
                // English number word: needs a word boundary and an English unit.
                if !ascii_unit {
                    continue;
                }
            }
            let next = n.at(e);
            // Durations and other words that start with a classifier: 三个月, 两个小时, 一部分, 人民币.
            let blocked = match unit_raw {
                "个" => matches!(
                    next,
                    Some(
                        '月' | '小' | '钟' | '星' | '礼' | '工' | '季' | '半' | '多' | '点' | '字'
                    )
                ),
                "部" => matches!(next, Some('分' | '门')),
                "把" => matches!(next, Some('手' | '握' | '关')),
                "人" | "个人" => matches!(next, Some('民' | '版')),
                "位" => matches!(next, Some('置' | '数' | '于')),
                "名" => matches!(next, Some('字' | '称' | '片' | '额' | '单' | '义' | '牌')),
                "家" => !matches!(
                    next,
                    None | Some(' ' | '，' | ',' | '。' | '门' | '店' | '公' | '企')
                ),
                "台" => matches!(next, Some('湾' | '风' | '阶')),
                "张" => matches!(next, Some('三' | '总' | '先' | '小' | '姐' | '经')),
                _ => false,
            };
            if blocked {
                continue;
            }
            // "一个/一件/一张" is mostly the article "a", not a count ("一部" counts machines in
            // Cantonese like "一台" does: "我要一部").
            if a_str == "一" && matches!(unit_raw, "个" | "件" | "张" | "位" | "家") {
                continue;
            }
            let num = |x: &str| parse_number(x).or_else(|| english_number(x));
            let Some(av) = num(a_str) else { continue };
            let bv = match p.b {
                Some(b) => match num(b) {
                    Some(v) if v >= av => Some(v),
                    _ => continue,
                },
                None => None,
            };
            if av <= 0.0 {
                continue;
            }
            let unit = canonical_unit(unit_raw);
            let value = match bv {
                Some(bv) => json!({"amount": av, "unit": unit, "min": av, "max": bv}),
                None => json!({"amount": av, "unit": unit}),
            };
            out.push(Candidate::new(
                EntityType::Quantity,
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

fn canonical_unit(u: &str) -> &'static str {
    match u.trim_start_matches('个').trim_start() {
        "子账号" | "账号" => "账号",
        "用户" => "用户",
        "席位" | "坐席" => "席位",
        "授权" => "授权",
        "终端" => "终端",
        "门店" => "门店",
        "台" => "台",
        "套" => "套",
        "" => "个",
        "件" => "件",
        "张" => "张",
        "部" => "部",
        "把" => "把",
        "人" | "位" | "名" | "口人" => "人",
        "家" => "家",
        "seat" | "seats" => "seat",
        "license" | "licenses" | "licence" | "licences" => "license",
        "user" | "users" => "user",
        "unit" | "units" => "unit",
        "account" | "accounts" => "account",
        "people" | "person" | "persons" | "employee" | "employees" | "staff" | "member"
        | "members" | "agent" | "agents" => "person",
        "set" | "sets" => "set",
        "pcs" => "piece",
        _ => "个",
    }
}

/// E.164 value of a digit string if it is a phone number we accept.
/// `hk_ok` allows a bare 8-digit Hong Kong number (when a phone cue precedes it or it is typed 4+4).
fn phone_value(s: &str, hk_ok: bool) -> Option<String> {
    let (prefix, rest) = if let Some(r) = s.strip_prefix("+") {
        ("+", r)
    } else if let Some(r) = s.strip_prefix("00") {
        ("00", r)
    } else {
        ("", s)
    };
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(rest) {
        return None;
    }
    let mainland = |x: &str| {
        x.len() == 11 && x.starts_with('1') && matches!(x.as_bytes().get(1), Some(b'3'..=b'9'))
    };
    let hk = |x: &str| x.len() == 8 && matches!(x.as_bytes().first(), Some(b'2'..=b'9'));
    let hk_mobile =
        |x: &str| x.len() == 8 && matches!(x.as_bytes().first(), Some(b'5' | b'6' | b'9'));
    if prefix.is_empty() {
        if mainland(rest) {
            return Some(format!("+86{rest}"));
        }
        if rest.starts_with("86") && mainland(&rest[2..]) {
            // "86 139..." without +: accept, it is how many people type the country code.
            return Some(format!("+{rest}"));
        }
        if hk_ok && hk_mobile(rest) {
            return Some(format!("+852{rest}"));
        }
        return None;
    }
    if let Some(r) = rest.strip_prefix("86")
        && mainland(r)
    {
        return Some(format!("+86{r}"));
    }
    if let Some(r) = rest.strip_prefix("852")
        && hk(r)
    {
        return Some(format!("+852{r}"));
    }
    None
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

    #[test]
    fn phone_values() {
        assert_eq!(
            phone_value("13912345678", false).as_deref(),
            Some("+8613912345678")
        );
        assert_eq!(
            phone_value("+8613912345678", false).as_deref(),
            Some("+8613912345678")
        );
        assert_eq!(
            phone_value("008613912345678", false).as_deref(),
            Some("+8613912345678")
        );
        assert_eq!(
            phone_value("+85291234567", false).as_deref(),
            Some("+85291234567")
        );
        assert_eq!(phone_value("91234567", false), None);
        assert_eq!(
            phone_value("91234567", true).as_deref(),
            Some("+85291234567")
        );
        assert_eq!(phone_value("12345678901", false), None);
        assert_eq!(phone_value("+", false), None);
    }
}
