//! Entity extraction for tuoke: money, quantities with units, phone numbers, e-mail addresses,
//! WeChat ids, dates/times resolved against a reference time, and product / competitor names from
//! a gazetteer the caller supplies. Pure: no IO, no clock ("now" is a parameter), no panics.
//!
//! ```
//! use tuoke_entities::{Extractor, Gazetteer, GazetteerEntry};
//! let gaz = Gazetteer {
//!     products: vec![GazetteerEntry { id: "crm-pro".into(), names: vec!["CRM Pro".into(), "专业版".into()] }],
//!     competitors: vec![GazetteerEntry { id: "huawei".into(), names: vec!["华为".into(), "Huawei".into()] }],
//! };
//! let ex = Extractor::new(&gaz).unwrap();
//! let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00+08:00").unwrap();
//! let ents = ex.extract("专业版两台三千五块，明天下午三点打我电话139 1234 5678", now);
//! let kinds: Vec<String> = ents.iter().map(|e| format!("{:?} {}", e.kind, e.value)).collect();
//! assert_eq!(kinds, [
//!     r#"Product "crm-pro""#,
//!     r#"Quantity {"amount":2.0,"unit":"台"}"#,
//!     r#"Money {"amount":3500.0,"currency":"CNY"}"#,
//!     r#"Datetime {"datetime":"2026-11-26T15:00:00+08:00","grain":"hour"}"#,
//!     r#"Phone "+8613912345678""#,
//! ]);
//! ```
//!
//! # How it works
//! The text is folded char by char (full width → half width, ASCII lower case, a small
//! Traditional → Simplified table), keeping exactly one normalized char per original char, so every
//! span found in the folded text is the same char span in the original. Rules (regexes compiled once
//! per process) find candidates; a gazetteer automaton (Aho-Corasick, leftmost-longest) finds
//! products and competitors. Overlapping candidates are resolved: phones, e-mails and WeChat ids
//! first, then the longest candidate, then the earliest.
//!
//! # Values
//! - money: `{"amount", "currency": "CNY"|"USD"|"HKD"}`; a range ("2000-3000元", "3-5万", "八九千")
//!   also has `"min"` and `"max"`, and `amount` = `min` (the lower bound, the figure said first).
//!   No currency word → CNY; `蚊`, `港币`, `HK$` → HKD; `$`, `美元`, `dollars` → USD, except that a
//!   bare `$` in Cantonese text (係, 唔, 冇, 嘅 … present) is HKD. A number without a currency
//!   word is money when it is counted in 千/万/亿 ("三千五", "1.5万"), follows a price word
//!   (预算, 价, budget, price, 出到 …) or precedes a bargaining word (包邮, 能不能少 …) — and never
//!   when a unit follows it ("5万用户", "8折", "2026年").
//! - quantity: `{"amount", "unit"}`; Chinese units are kept in Simplified (`台`, `套`, `个`, `件`,
//!   `张`, `部`, `账号`, `用户`, `席位`, `人` for 人/位/名/口人), English units singular (`seat`,
//!   `license`, `user`, `unit`, `account`, `set`, `person` for people/employees/staff). Ranges have
//!   `min`/`max` like money. "一个/一件/一张" (the article "a") and durations ("三个月") are not
//!   quantities.
//! - phone: E.164 (`+8613912345678`, `+85291234567`). Mainland mobiles 1[3-9]xxxxxxxxx with spaces,
//!   dashes, `+86`/`0086`, or typed as Chinese digits (一三九…, 幺 = 1). A Hong Kong 8-digit number
//!   needs `+852`, a phone word before it (电话, 手机, call, whatsapp …), or the `XXXX XXXX` form.
//!   Digits right after `¥`/`$`, before `元`/`块`, or after 订单/单号/order/发票 are not phones.
//!   Landlines (010-…, 0755-…) are not recognised.
//! - e-mail: lower-cased address. WeChat: the id after a WeChat cue (微信, 微信号, vx, wx, v信,
//!   wechat …, optionally followed by 是/号/:/id/is/就是), 6–20 chars, starting with a letter,
//!   lower-cased. A phone number after the cue is a phone.
//! - datetime: `{"datetime": RFC 3339 in now's offset, "grain": "minute"|"hour"|"day"|"week"|"month"}`.
//!   Neighbouring pieces form one expression ("明天下午三点", "this Friday afternoon",
//!   "at 10am tomorrow" — a leading "at"/"on" belongs to the span). Conventions: weeks start on
//!   Monday; 周五 = the next Friday that is today or later; 这周五/this Friday = Friday of this
//!   week; 下周五/next Friday = Friday of next week; a part of the day alone gets a default hour
//!   (morning 9, noon 12, afternoon 15, dusk 18, evening 20, small hours 2); an hour 1–7 with no
//!   part of the day and no am/pm is p.m.; a time without a day that has passed means tomorrow;
//!   a date without a year that has passed means next year, 5号 that has passed next month; `5/3`
//!   is month/day; 下周 = Monday of next week (grain week); 下个月 = the 1st (grain month); 月底 =
//!   last day of this month; 月初 said after the 10th = the 1st of next month; relative "两小时后"
//!   / "in 30 minutes" = now + duration (grain minute), "三天后" = that day (grain day); fixed-date
//!   holidays (元旦, 国庆, 圣诞, 双十一 …) but no lunar ones; Cantonese 聽日/聽朝/聽晚/琴日/下晝 and
//!   "三點三" (= 3:15, 5-minute marks). Recurring times ("每天下午") are skipped.
//! - product / competitor: the gazetteer entry id. Matching is case-, width- and (for the ~220
//!   chars in the built-in table) Traditional/Simplified-insensitive; names that begin or end with
//!   an ASCII letter or digit match only on ASCII word boundaries; the longest name wins. For
//!   Traditional chars outside the small built-in table, give both scripts as names. There is no
//!   context check: "小米粥" (millet porridge) contains the competitor name 小米.
//!
//! # Speed
//! One case-folding pass over the text, then: money and quantity regexes only find spans (lazy
//! DFA) and the short match is split by hand; dates use one multi-pattern regex whose pattern id
//! says which alternative matched, and only that small alternative computes capture groups; phone
//! numbers are scanned by hand; cue word lists are Aho-Corasick automata. Numbers are in
//! docs/benchmarks.md ("Entities").

mod candidate;
mod datetime;
mod error;
pub mod eval;
mod normalize;
mod numbers;
mod rules;

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use chrono::{DateTime, FixedOffset};
use tuoke_core::{Entity, EntityType};
/// The names of products and competitors to find in the text (the company catalog); the type
/// lives in `tuoke-core` so that the dialogue engine builds it without depending on this crate.
pub use tuoke_core::{Gazetteer, GazetteerEntry};

use candidate::{Candidate, Tier, resolve_overlaps};
pub use error::EntitiesError;
use normalize::{Normalized, fold_str};

struct Builtin {
    rules: rules::Rules,
    dates: datetime::DateRules,
}

fn builtin() -> Result<&'static Builtin, EntitiesError> {
    static B: OnceLock<Result<Builtin, String>> = OnceLock::new();
    let b = B.get_or_init(|| {
        Ok(Builtin {
            rules: rules::Rules::new().map_err(|e| e.to_string())?,
            dates: datetime::DateRules::new().map_err(|e| e.to_string())?,
        })
    });
    b.as_ref().map_err(|e| EntitiesError::Pattern(e.clone()))
}

/// Compiled gazetteer: one automaton over every folded name.
struct GazMatcher {
    ac: AhoCorasick,
    /// Per pattern: (kind, entry id, needs ASCII boundary at start, at end).
    meta: Vec<(EntityType, String, bool, bool)>,
}

impl GazMatcher {
    fn new(g: &Gazetteer) -> Result<Option<GazMatcher>, EntitiesError> {
        let mut pats = Vec::new();
        let mut meta = Vec::new();
        let lists = [
            (EntityType::Product, &g.products),
            (EntityType::Competitor, &g.competitors),
        ];
        for (kind, list) in lists {
            for e in list.iter() {
                for name in &e.names {
                    let f = fold_str(name.trim());
                    if f.chars().all(char::is_whitespace) {
                        continue;
                    }
                    let bs = f.starts_with(|c: char| c.is_ascii_alphanumeric());
                    let be = f.ends_with(|c: char| c.is_ascii_alphanumeric());
                    pats.push(f);
                    meta.push((kind, e.id.clone(), bs, be));
                }
            }
        }
        if pats.is_empty() {
            return Ok(None);
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&pats)
            .map_err(|e| EntitiesError::Gazetteer(e.to_string()))?;
        Ok(Some(GazMatcher { ac, meta }))
    }

    fn run(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        for m in self.ac.find_iter(&n.text) {
            let Some((kind, id, bs, be)) = self.meta.get(m.pattern().as_usize()) else {
                continue;
            };
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            if (*bs && word(n.at(s.wrapping_sub(1)))) || (*be && word(n.at(e))) {
                continue;
            }
            out.push(Candidate::new(
                *kind,
                s,
                e,
                serde_json::Value::String(id.clone()),
                Tier::General,
            ));
        }
    }
}

/// An entity extractor: build once (compiles the gazetteer), then call [`Extractor::extract`] for
/// every utterance. `Send + Sync`; share it behind an `Arc`.
pub struct Extractor {
    builtin: &'static Builtin,
    gaz: Option<GazMatcher>,
}

impl std::fmt::Debug for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field(
                "gazetteer_names",
                &self.gaz.as_ref().map_or(0, |g| g.meta.len()),
            )
            .finish()
    }
}

impl Extractor {
    /// Compile the rules (once per process) and the gazetteer.
    pub fn new(gazetteer: &Gazetteer) -> Result<Extractor, EntitiesError> {
        Ok(Extractor {
            builtin: builtin()?,
            gaz: GazMatcher::new(gazetteer)?,
        })
    }

    /// All entities in `text`, in text order, with char spans into `text` and normalized values.
    /// Dates and times are resolved against `now` (its offset is the time zone of the result).
    pub fn extract(&self, text: &str, now: DateTime<FixedOffset>) -> Vec<Entity> {
        if text.is_empty() {
            return Vec::new();
        }
        let n = Normalized::new(text);
        let mut cands = Vec::new();
        self.builtin.rules.run(&n, &mut cands);
        self.builtin.dates.run(&n, now, &mut cands);
        if let Some(g) = &self.gaz {
            g.run(&n, &mut cands);
        }
        resolve_overlaps(&mut cands);
        cands
            .into_iter()
            .filter(|c| c.start < c.end && c.end <= n.len())
            .map(|c| Entity {
                kind: c.kind,
                text: n.original(text, c.start, c.end).to_string(),
                start: c.start,
                end: c.end,
                value: c.value,
            })
            .collect()
    }
}

/// One-off extraction: compiles the gazetteer on every call, so use [`Extractor`] for more than a
/// few texts. Returns no entities (and logs a warning) if the gazetteer cannot be compiled.
pub fn extract(text: &str, now: DateTime<FixedOffset>, gazetteer: &Gazetteer) -> Vec<Entity> {
    match Extractor::new(gazetteer) {
        Ok(x) => x.extract(text, now),
        Err(e) => {
            tracing::warn!(error = %e, "entity extractor could not be built");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extractor_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Extractor>();
    }

    #[test]
    fn overlaps_prefer_phone_then_longest() {
        let ex = Extractor::new(&Gazetteer::default()).expect("builds");
        let now = DateTime::parse_from_rfc3339("2026-11-25T10:00:00+08:00").expect("now");
        let e = ex.extract("电话 139 1234 5678，要两台", now);
        let kinds: Vec<EntityType> = e.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [EntityType::Phone, EntityType::Quantity]);
        assert_eq!(e[0].text, "139 1234 5678");
        assert_eq!((e[1].start, e[1].end), (18, 20));
    }

    #[test]
    fn hong_kong_number_after_my_number_is() {
        let ex = Extractor::new(&Gazetteer::default()).expect("builds");
        let now = DateTime::parse_from_rfc3339("2026-11-25T10:00:00+08:00").expect("now");
        let e = ex.extract("I'll take one. My number is 91234567.", now);
        let phone = e
            .iter()
            .find(|x| x.kind == EntityType::Phone)
            .expect("a phone");
        assert_eq!(phone.value, serde_json::json!("+85291234567"));
        // An order number is no phone.
        let e = ex.extract("order number is 91234567", now);
        assert!(e.iter().all(|x| x.kind != EntityType::Phone), "{e:?}");
    }

    #[test]
    fn empty_gazetteer_names_are_ignored() {
        let g = Gazetteer {
            products: vec![GazetteerEntry {
                id: "p".into(),
                names: vec!["".into(), " ".into()],
            }],
            competitors: vec![],
        };
        let ex = Extractor::new(&g).expect("builds");
        let now = DateTime::parse_from_rfc3339("2026-11-25T10:00:00+08:00").expect("now");
        assert!(ex.extract("   ", now).is_empty());
    }
}
