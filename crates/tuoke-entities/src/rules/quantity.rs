//! The quantity rule: a number (Chinese, Arabic or an English word) or a range before a counting
//! unit, with the unit in its canonical form.

use serde_json::json;
use tuoke_core::EntityType;

use super::Rules;
use super::amounts::split_quantity;
use crate::candidate::{Candidate, Tier};
use crate::normalize::Normalized;
use crate::numbers::{english_number, parse_number};

impl Rules {
    pub(super) fn quantity(&self, n: &Normalized, out: &mut Vec<Candidate>) {
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
