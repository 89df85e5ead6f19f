//! Money, quantity, phone, e-mail and WeChat rules on the normalized text.

use regex::Regex;
use serde_json::json;
use tuoke_core::EntityType;

use crate::normalize::Normalized;
use crate::numbers::{english_number, parse_number};
use crate::{Candidate, EntitiesError, Tier};

/// A number as the regexes see it: Arabic digits (with 万/千 after them) or a Chinese numeral run.
const NUM: &str =
    r"(?:\d+(?:,\d{3})*(?:\.\d+)?[十百千万亿]*|[零〇一二两三四五六七八九十百千万亿]+)";

pub(crate) struct Rules {
    money: Regex,
    quantity: Regex,
    phone_run: Regex,
    email: Regex,
    wechat_cue: Regex,
}

fn re(p: &str) -> Result<Regex, EntitiesError> {
    Regex::new(p).map_err(|e| EntitiesError::Pattern(e.to_string()))
}

impl Rules {
    pub fn new() -> Result<Rules, EntitiesError> {
        let cur_pre = r"hk\$|us\$|\$|¥|rmb|cny|usd|hkd|人民币|港币|美金";
        let cur_suf =
            r"块钱|块|蚊|元|圆|美元|美金|港币|港元|港纸|人民币|rmb|usd|hkd|cny|dollars?|bucks|刀";
        let money = format!(
            r"(?:(?P<pre>{cur_pre})\s*)?(?P<a>{NUM})(?P<ak>[kw])?(?:\s*(?:-|~|到|至|to)\s*(?:{cur_pre})?\s*(?P<b>{NUM})(?P<bk>[kw])?)?(?:\s*(?P<suf>{cur_suf}))?"
        );
        let en_num = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred";
        let quantity = format!(
            r"(?P<a>{NUM}|{en_num})(?:\s*(?:-|~|到|至|to)\s*(?P<b>{NUM}|{en_num}))?\s*(?P<u>个子账号|个账号|个用户|个人|个席位|个坐席|个授权|个终端|个门店|子账号|账号|用户|席位|坐席|授权|终端|门店|口人|(?:个\s*)?(?:seats?|licen[cs]es?|users?|units?|accounts?|people|persons?|employees?|staff|members?|agents?|sets?|pcs)|台|套|个|件|张|部|人|位|名|家)"
        );
        Ok(Rules {
            money: re(&money)?,
            quantity: re(&quantity)?,
            phone_run: re(r"(?:\+|00)?\d(?:[ \-]{0,2}\d)*")?,
            email: re(
                r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24}",
            )?,
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

    fn phones(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        let d = &n.digits;
        if d.bytes().filter(u8::is_ascii_digit).count() < 8 {
            return;
        }
        for m in self.phone_run.find_iter(d) {
            // Groups of digits separated by spaces/dashes, as char spans of the digit view.
            let mut groups: Vec<(usize, usize, String)> = Vec::new();
            let base = n.digit_char_at(m.start());
            let mut cur = String::new();
            let mut gstart = base;
            for (k, c) in m.as_str().chars().enumerate() {
                let pos = base + k;
                if c == ' ' || c == '-' {
                    if !cur.is_empty() {
                        groups.push((gstart, pos, std::mem::take(&mut cur)));
                    }
                    gstart = pos + 1;
                } else {
                    if cur.is_empty() {
                        gstart = pos;
                    }
                    cur.push(c);
                }
            }
            if !cur.is_empty() {
                groups.push((gstart, base + m.as_str().chars().count(), cur));
            }
            let mut i = 0;
            while i < groups.len() {
                let mut best: Option<(usize, String)> = None;
                let mut concat = String::new();
                for (j, g) in groups.iter().enumerate().skip(i) {
                    concat.push_str(&g.2);
                    if concat.len() > 16 {
                        break;
                    }
                    let spaced_hk = j == i + 1 && groups[i].2.len() == 4 && g.2.len() == 4;
                    if let Some(e164) = phone_value(&concat, spaced_hk || phone_cue(n, groups[i].0))
                    {
                        best = Some((j, e164));
                    }
                }
                match best {
                    Some((j, e164)) => {
                        let (s, e) = (groups[i].0, groups[j].1);
                        if !not_a_phone(n, s, e) {
                            out.push(Candidate::new(
                                EntityType::Phone,
                                s,
                                e,
                                json!(e164),
                                Tier::Specific,
                            ));
                        }
                        i = j + 1;
                    }
                    None => i += 1,
                }
            }
        }
    }

    fn money(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        let cantonese = n
            .chars
            .iter()
            .any(|c| "係嘅唔冇咗啲喺嗰佢哋蚊".contains(*c));
        for c in self.money.captures_iter(&n.text) {
            let Some(m) = c.get(0) else { continue };
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            let pre = c.name("pre").map(|x| x.as_str());
            let suf = c.name("suf").map(|x| x.as_str());
            let ak = c.name("ak").map(|x| x.as_str());
            let bk = c.name("bk").map(|x| x.as_str());
            let Some(a_str) = c.name("a").map(|x| x.as_str()) else {
                continue;
            };
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
                let wan = big(a_str) || c.name("b").is_some_and(|x| big(x.as_str()));
                if !(price_cue(n, s) || price_follows(n, e) || wan) || unit_follows(n, e) {
                    continue;
                }
            }
            let mult = |k: Option<&str>| match k {
                Some("k") => 1000.0,
                Some("w") => 10_000.0,
                _ => 1.0,
            };
            // "八九千", "三四百", "七八万": two neighbouring digits before a unit are a range.
            if c.name("b").is_none()
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
            let mut b = match c.name("b") {
                Some(x) => match parse_number(x.as_str()) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => None,
            };
            a *= mult(ak);
            if let (Some(bv), Some(bs)) = (b.as_mut(), c.name("b").map(|x| x.as_str())) {
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
            if currency == "USD" && pre == Some("$") && cantonese {
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
        for c in self.quantity.captures_iter(&n.text) {
            let (Some(m), Some(a), Some(u)) = (c.get(0), c.name("a"), c.name("u")) else {
                continue;
            };
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            let unit_raw = u.as_str();
            let a_str = a.as_str();
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
            // "一个/一件/一张" is mostly the article "a", not a count.
            if a_str == "一" && matches!(unit_raw, "个" | "件" | "张" | "部" | "位" | "家") {
                continue;
            }
            let num = |x: &str| parse_number(x).or_else(|| english_number(x));
            let Some(av) = num(a_str) else { continue };
            let bv = match c.name("b") {
                Some(b) => match num(b.as_str()) {
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

/// A price word shortly before a bare number: "预算3000", "price is 500".
fn price_cue(n: &Normalized, s: usize) -> bool {
    let before = n.before(s, 8);
    [
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
    ]
    .iter()
    .any(|c| before.contains(c))
}

/// Bargaining words right after a bare number ("3999能不能少点", "299包邮吗") or 出 right before
/// it ("我出2500").
fn price_follows(n: &Normalized, e: usize) -> bool {
    let after = n.after(e, 4);
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
    .any(|c| after.trim_start().starts_with(c))
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

/// A phone word shortly before char index `s`.
fn phone_cue(n: &Normalized, s: usize) -> bool {
    let before = n.before(s, 14);
    [
        "电话", "手机", "联络", "联系", "号码", "call", "phone", "tel", "whatsapp", "mobile",
        "cell", "打俾", "打给", "致电", "搵我", "contact", "短讯", "sms", "短信",
    ]
    .iter()
    .any(|c| before.contains(c))
}

/// Digits that look like a phone but are a price or an order number.
fn not_a_phone(n: &Normalized, s: usize, e: usize) -> bool {
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
    let before = n.before(s, 8);
    [
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
    ]
    .iter()
    .any(|c| before.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

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
