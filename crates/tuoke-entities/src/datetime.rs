//! Dates and times, resolved against a reference time ("now").
//!
//! The text is cut into components by one regex (alternatives that share a start are tried in
//! order, so "next month" comes before the weekday "next mon…") (a day word, a weekday, a date, a part of the day,
//! a clock time, a relative duration); components next to each other (only spaces or 的 between)
//! form one expression, which is resolved to one datetime with a grain. No maintained Rust crate
//! resolves colloquial Chinese/Cantonese expressions (听日, 礼拜三, 下个月底, 三点半), so this is
//! written by hand; `chrono` does the calendar arithmetic.
//!
//! Conventions (documented in the crate docs too):
//! - weeks start on Monday; `周五` with no prefix = the next Friday that is today or later;
//!   `这周五`/`this Friday` = Friday of the current week; `下周五`/`next Friday` = Friday of next week;
//! - a part of the day without a clock time gets a default hour (morning 9, noon 12, afternoon 15,
//!   dusk 18, evening/night 20, small hours 2), grain `hour`;
//! - a clock hour 1–7 with no part of the day and no am/pm is taken as afternoon (15:00 for "三点"),
//!   because nobody books a sales call at 3 a.m.;
//! - a time without a day that has already passed today means tomorrow;
//! - a date without a year that has passed means next year; `5号` that has passed means next month;
//!   `5/3` is month/day (Chinese order);
//! - `下周`/`next week` = Monday of next week, grain `week`; `下个月` = the 1st of next month, grain
//!   `month`; `月底` = last day of this month, grain `day`.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, Timelike,
};
use regex::{Captures, Regex};
use serde_json::json;
use tuoke_core::EntityType;

use crate::normalize::Normalized;
use crate::numbers::{english_number, parse_number};
use crate::{Candidate, EntitiesError, Tier};

const CN: &str = "[零〇一二两三四五六七八九十]{1,3}";

pub(crate) struct DateRules {
    /// All alternatives as one multi-pattern regex (leftmost-first, earlier pattern wins at the
    /// same start): finds the spans and which alternative matched, with the lazy DFA.
    re: regex_automata::meta::Regex,
    /// Each alternative alone, anchored at both ends, with its capture groups: capture groups on
    /// the combined pattern cost ~13k instructions per match (bounded backtracker over a large
    /// NFA); on one small alternative they are cheap.
    alts: Vec<(String, Regex)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Grain {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

impl Grain {
    fn name(self) -> &'static str {
        match self {
            Grain::Minute => "minute",
            Grain::Hour => "hour",
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Period {
    Morning,
    Noon,
    Afternoon,
    Dusk,
    Evening,
    SmallHours,
}

impl Period {
    fn default_hour(self) -> u32 {
        match self {
            Period::Morning => 9,
            Period::Noon => 12,
            Period::Afternoon => 15,
            Period::Dusk => 18,
            Period::Evening => 20,
            Period::SmallHours => 2,
        }
    }
}

/// What a day component says.
#[derive(Debug, Clone, Copy)]
enum Day {
    /// A resolved date with its grain; `explicit_today` blocks the "already passed → tomorrow" roll.
    Date { date: NaiveDate, grain: Grain },
    /// A month (first day given) that a following `5号` may refine.
    Month {
        first: NaiveDate,
        part: Option<char>,
    },
    /// `N号` alone: day of month, to be placed in the current or a given month.
    Nth(u32),
}

#[derive(Debug, Clone, Copy)]
struct Time {
    hour: u32,
    minute: u32,
    has_minute: bool,
    /// am/pm given explicitly (`Some(true)` = pm).
    pm: Option<bool>,
    /// A Chinese-numeral hour that is only a time after a day or a part of the day (一点).
    weak: bool,
    /// `at 3` — only meaningful next to a day or a part of the day.
    bare_at: bool,
}

#[derive(Debug, Default)]
struct Group {
    start: usize,
    end: usize,
    day: Option<Day>,
    period: Option<Period>,
    time: Option<Time>,
    /// An absolute result computed directly (relative durations).
    direct: Option<(NaiveDateTime, Grain)>,
    /// Number of components in the group.
    parts: usize,
}

enum Comp {
    Day(Day),
    DayPeriod(Day, Period),
    Period(Period),
    Time(Time),
    Direct(NaiveDateTime, Grain),
}

impl DateRules {
    pub fn new() -> Result<DateRules, EntitiesError> {
        let p = format!(
            r"(?x)
(?P<relday>大后天|后天|后日|明天|明日|明儿|听日|今天|今日|今儿|昨天|昨日|寻日|琴日|前天|前日|day\ after\ tomorrow|tomorrow|tmrw|tmr|today|yesterday)
|(?P<dayper>今晚|今夜|明晚|听晚|明早|今早|听朝|今朝|tonight)
|(?P<wk>(?P<wkpre>下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<wkd>[一二三四五六日天1-7]))
|(?P<weekend>(?P<wepre>下个?|这个?|本)?周末|(?:(?P<enwepre>this|next)[\ \t\n]+)?weekend)
|(?P<week>(?P<weekpre>下下个?|下个?|这个?|本|上个?)(?:周|星期|礼拜)|(?P<enweekpre>next|this)[\ \t\n]+week)
|(?P<month>(?P<mpre>下个?月|本月|这个?月|next\ month|this\ month)(?P<mpart>底|初|中)?|(?P<mpart2>月底|月初|月中)|end\ of\ (?:the\ |this\ )?month)
|(?P<enwk>(?:(?P<enpre>next|this|coming|on)[\ \t\n]+)?(?P<enday>monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri))
|(?P<holiday>元旦|国庆节|国庆|圣诞节|圣诞|平安夜|christmas\ eve|christmas|情人节|劳动节|双十一|双11|双十二|双12|new\ year'?s\ day)
|(?P<date>(?:(?P<y>[0-9]{{4}})[\ \t\n]?年[\ \t\n]?)?(?P<m>[0-9]{{1,2}}|{CN})[\ \t\n]?月[\ \t\n]?(?P<d>[0-9]{{1,2}}|{CN})[\ \t\n]?(?:日|号)?)
|(?P<iso>(?P<iy>[0-9]{{4}})[-/.](?P<im>[0-9]{{1,2}})[-/.](?P<id>[0-9]{{1,2}}))
|(?P<slash>(?P<sm>[0-9]{{1,2}})/(?P<sd>[0-9]{{1,2}}))
|(?P<endate>(?P<emon>january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?[\ \t\n]+(?P<eday>[0-9]{{1,2}})(?:st|nd|rd|th)?)
|(?P<rel>(?P<rn>[0-9]+|{CN}|半)[\ \t\n]*个?[\ \t\n]*(?P<ru>小时|钟头|钟|分钟|天|日|周|星期|礼拜|月)(?:之后|以后|后))
|(?P<dom>(?P<dd>[0-9]{{1,2}}|{CN})[\ \t\n]?(?:号|日))
|(?P<enrel>in[\ \t\n]+(?P<ern>[0-9]+|an?|one|two|three|four|five|six|seven|eight|nine|ten|half\ an?)[\ \t\n]+(?P<eru>hours?|hrs?|minutes?|mins?|days?|weeks?|months?))
|(?P<ampm>(?:at[\ \t\n]+)?(?P<ah>[0-9]{{1,2}})(?::(?P<amin>[0-9]{{2}}))?[\ \t\n]*(?P<ap>am|pm|a\.m\.|p\.m\.))
|(?P<clock>(?:at[\ \t\n]+)?(?P<ch>[0-9]{{1,2}}):(?P<cm>[0-9]{{2}}))
|(?P<time>(?P<h>[0-9]{{1,2}}|{CN})(?P<hu>点钟|点|时)(?:(?P<half>半)|(?P<q1>一刻)|(?P<q3>三刻)|(?P<mi>[0-9]{{1,2}}|[一二三四五]?十[一二三四五六七八九]?|零[一二三四五六七八九])分?|(?P<m5>[一二三四五六七八九])(?P<fen>分)?)?)
|(?P<at>at[\ \t\n]+(?P<ath>[0-9]{{1,2}}))
|(?P<period>上午|早上|早晨|清早|中午|下午|下昼|傍晚|晚上|夜里|夜晚|凌晨|半夜|晏昼|朝早|in\ the\ morning|in\ the\ afternoon|in\ the\ evening|this\ morning|this\ afternoon|this\ evening|morning|afternoon|evening|noon|night)
"
        );
        let err = |e: regex::Error| EntitiesError::Pattern(e.to_string());
        let mut alts = Vec::new();
        let mut sources = Vec::new();
        // One alternative per line of the pattern: "(?P<name>...)" or "|(?P<name>...)".
        for line in p.trim_start_matches("(?x)").lines() {
            let alt = line.trim().trim_start_matches('|');
            if alt.is_empty() {
                continue;
            }
            let name = alt
                .strip_prefix("(?P<")
                .and_then(|x| x.split('>').next())
                .ok_or_else(|| EntitiesError::Pattern(format!("unnamed date alternative {alt}")))?;
            alts.push((
                name.to_string(),
                Regex::new(&format!("(?x)^(?:{alt})$")).map_err(err)?,
            ));
            sources.push(format!("(?x){alt}"));
        }
        let re = regex_automata::meta::Regex::new_many(&sources)
            .map_err(|e| EntitiesError::Pattern(e.to_string()))?;
        Ok(DateRules { re, alts })
    }

    pub fn run(&self, n: &Normalized, now: DateTime<FixedOffset>, out: &mut Vec<Candidate>) {
        let today = now.date_naive();
        let mut groups: Vec<Group> = Vec::new();
        let mut cur: Option<Group> = None;
        for m in self.re.find_iter(n.text.as_str()) {
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            let Some((kind, re)) = self.alts.get(m.pattern().as_usize()) else {
                continue;
            };
            let Some(c) = n.text.get(m.range()).and_then(|t| re.captures(t)) else {
                continue;
            };
            let kind = kind.as_str();
            let Some(comp) = component(kind, &c, n, s, e, today, now) else {
                continue;
            };
            // Join with the open group if only spaces / 的 lie between and the slot is free.
            let joinable = cur.as_ref().is_some_and(|g| {
                g.end <= s
                    && n.slice(g.end, s).chars().all(|ch| ch == ' ' || ch == '的')
                    && n.slice(g.end, s).chars().count() <= 2
                    && fits(g, &comp)
            });
            if !joinable && let Some(g) = cur.take() {
                groups.push(g);
            }
            let starts_group = !joinable;
            if starts_group && matches!(comp, Comp::Time(Time { weak: true, .. })) {
                continue;
            }
            let g = cur.get_or_insert_with(|| Group {
                start: s,
                ..Group::default()
            });
            g.end = e;
            g.parts += 1;
            match comp {
                Comp::Day(d) => g.day = Some(merge_day(g.day, d)),
                Comp::DayPeriod(d, p) => {
                    g.day = Some(d);
                    g.period = Some(p);
                }
                Comp::Period(p) => g.period = Some(p),
                Comp::Time(t) => g.time = Some(t),
                Comp::Direct(dt, gr) => g.direct = Some((dt, gr)),
            }
        }
        if let Some(g) = cur {
            groups.push(g);
        }
        for g in groups {
            // "每天下午", "每周五": a recurring time, not a point in time.
            if n.before(g.start, 2).contains('每') {
                continue;
            }
            if let Some((dt, grain)) = resolve(&g, today, now)
                && let Some(v) = rfc3339(dt, now)
            {
                out.push(Candidate::new(
                    EntityType::Datetime,
                    g.start,
                    g.end,
                    json!({"datetime": v, "grain": grain.name()}),
                    Tier::General,
                ));
            }
        }
    }
}

/// Can this component join the group?
fn fits(g: &Group, c: &Comp) -> bool {
    if g.direct.is_some() {
        return false;
    }
    match c {
        Comp::Direct(..) => false,
        Comp::Day(Day::Nth(_)) => {
            matches!(g.day, None | Some(Day::Month { part: None, .. })) && g.time.is_none()
        }
        Comp::Day(_) => g.day.is_none(),
        Comp::DayPeriod(..) => g.day.is_none() && g.period.is_none() && g.time.is_none(),
        Comp::Period(_) => g.period.is_none() && g.time.is_none(),
        Comp::Time(_) => g.time.is_none(),
    }
}

fn merge_day(old: Option<Day>, new: Day) -> Day {
    match (old, new) {
        (Some(Day::Month { first, .. }), Day::Nth(d)) => match first.with_day(d) {
            Some(date) => Day::Date {
                date,
                grain: Grain::Day,
            },
            None => Day::Nth(d),
        },
        _ => new,
    }
}

fn num(c: &Captures, name: &str) -> Option<u32> {
    let s = c.name(name)?.as_str();
    let v = parse_number(s)?;
    if v.fract() != 0.0 || !(0.0..=10_000.0).contains(&v) {
        return None;
    }
    Some(v as u32)
}

fn weekday_index(ch: char) -> Option<i64> {
    Some(match ch {
        '一' | '1' => 0,
        '二' | '2' => 1,
        '三' | '3' => 2,
        '四' | '4' => 3,
        '五' | '5' => 4,
        '六' | '6' => 5,
        '日' | '天' | '7' => 6,
        _ => return None,
    })
}

fn en_weekday(s: &str) -> Option<i64> {
    Some(match s {
        "monday" | "mon" => 0,
        "tuesday" | "tue" | "tues" => 1,
        "wednesday" | "wed" => 2,
        "thursday" | "thu" | "thur" | "thurs" => 3,
        "friday" | "fri" => 4,
        "saturday" => 5,
        "sunday" => 6,
        _ => return None,
    })
}

fn en_month(s: &str) -> Option<u32> {
    let k = s.get(..3)?;
    Some(match k {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    })
}

fn add_days(d: NaiveDate, k: i64) -> Option<NaiveDate> {
    d.checked_add_signed(Duration::try_days(k)?)
}

fn monday_of(d: NaiveDate) -> Option<NaiveDate> {
    add_days(d, -(d.weekday().num_days_from_monday() as i64))
}

fn first_of_month(d: NaiveDate, add: u32) -> Option<NaiveDate> {
    d.with_day(1)?.checked_add_months(Months::new(add))
}

fn last_of_month(first: NaiveDate) -> Option<NaiveDate> {
    add_days(first.checked_add_months(Months::new(1))?, -1)
}

/// A date in the current year, or next year when it has passed.
fn upcoming_date(today: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), m, d)?;
    if this < today {
        NaiveDate::from_ymd_opt(today.year().checked_add(1)?, m, d)
    } else {
        Some(this)
    }
}

fn period_of(s: &str) -> Option<Period> {
    Some(match s {
        "上午" | "早上" | "早晨" | "清早" | "朝早" | "morning" | "in the morning"
        | "this morning" => Period::Morning,
        "中午" | "noon" => Period::Noon,
        "下午" | "下昼" | "晏昼" | "afternoon" | "in the afternoon" | "this afternoon" => {
            Period::Afternoon
        }
        "傍晚" => Period::Dusk,
        "晚上" | "夜里" | "夜晚" | "evening" | "in the evening" | "this evening" | "night" => {
            Period::Evening
        }
        "凌晨" | "半夜" => Period::SmallHours,
        _ => return None,
    })
}

fn is_ascii_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Turn one regex match into a component, or `None` when it is not a date/time after all.
fn component(
    kind: &str,
    c: &Captures,
    n: &Normalized,
    s: usize,
    e: usize,
    today: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Option<Comp> {
    let text = c.get(0)?.as_str();
    // ASCII word boundaries: "mon" in "money", "3pm" in "a3pm", "today" in "todays".
    if text.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && is_ascii_word(n.at(s.wrapping_sub(1)))
    {
        return None;
    }
    if text.ends_with(|ch: char| ch.is_ascii_alphanumeric()) && is_ascii_word(n.at(e)) {
        return None;
    }
    if kind == "relday" {
        let off = match text {
            "今天" | "今日" | "今儿" | "today" => 0,
            "明天" | "明日" | "明儿" | "听日" | "tomorrow" | "tmrw" | "tmr" => 1,
            "后天" | "后日" | "day after tomorrow" => 2,
            "大后天" => 3,
            "昨天" | "昨日" | "寻日" | "琴日" | "yesterday" => -1,
            "前天" | "前日" => -2,
            _ => return None,
        };
        return Some(Comp::Day(Day::Date {
            date: add_days(today, off)?,
            grain: Grain::Day,
        }));
    }
    if kind == "dayper" {
        let (off, p) = match text {
            "今晚" | "今夜" | "tonight" => (0, Period::Evening),
            "明晚" | "听晚" => (1, Period::Evening),
            "明早" | "听朝" => (1, Period::Morning),
            "今早" | "今朝" => (0, Period::Morning),
            _ => return None,
        };
        let d = Day::Date {
            date: add_days(today, off)?,
            grain: Grain::Day,
        };
        return Some(Comp::DayPeriod(d, p));
    }
    let this_monday = monday_of(today)?;
    let today_idx = today.weekday().num_days_from_monday() as i64;
    if kind == "wk" {
        let idx = weekday_index(c.name("wkd")?.as_str().chars().next()?)?;
        let pre = c.name("wkpre").map(|x| x.as_str()).unwrap_or("");
        let date = match pre.trim_end_matches('个') {
            "" => {
                if idx >= today_idx {
                    add_days(this_monday, idx)?
                } else {
                    add_days(this_monday, idx + 7)?
                }
            }
            "这" | "本" => add_days(this_monday, idx)?,
            "下" => add_days(this_monday, idx + 7)?,
            "下下" => add_days(this_monday, idx + 14)?,
            "上" => add_days(this_monday, idx - 7)?,
            _ => return None,
        };
        return Some(Comp::Day(Day::Date {
            date,
            grain: Grain::Day,
        }));
    }
    if kind == "enwk" {
        let idx = en_weekday(c.name("enday")?.as_str())?;
        let date = match c.name("enpre").map(|x| x.as_str()) {
            None | Some("on") => add_days(today, (idx - today_idx).rem_euclid(7))?,
            Some("coming") => {
                let k = (idx - today_idx).rem_euclid(7);
                add_days(today, if k == 0 { 7 } else { k })?
            }
            Some("this") => add_days(this_monday, idx)?,
            Some("next") => add_days(this_monday, idx + 7)?,
            _ => return None,
        };
        return Some(Comp::Day(Day::Date {
            date,
            grain: Grain::Day,
        }));
    }
    if kind == "weekend" {
        let next = c
            .name("wepre")
            .or(c.name("enwepre"))
            .is_some_and(|x| x.as_str().starts_with('下') || x.as_str() == "next");
        let date = add_days(this_monday, if next { 12 } else { 5 })?;
        return Some(Comp::Day(Day::Date {
            date,
            grain: Grain::Day,
        }));
    }
    if kind == "week" {
        let pre = c
            .name("weekpre")
            .or(c.name("enweekpre"))
            .map(|x| x.as_str())
            .unwrap_or("");
        let k = match pre.trim_end_matches('个') {
            "这" | "本" | "this" => 0,
            "下" | "next" => 7,
            "下下" => 14,
            "上" => -7,
            _ => return None,
        };
        return Some(Comp::Day(Day::Date {
            date: add_days(this_monday, k)?,
            grain: Grain::Week,
        }));
    }
    if kind == "month" {
        let (add, part) = if let Some(pre) = c.name("mpre") {
            let add = if pre.as_str().starts_with('下') || pre.as_str() == "next month" {
                1
            } else {
                0
            };
            (add, c.name("mpart").and_then(|x| x.as_str().chars().next()))
        } else if let Some(p2) = c.name("mpart2") {
            // 月初/月中 that have passed mean next month's (said on the 27th, 月初 = the 1st of next month).
            let part = p2.as_str().chars().last();
            let passed = match part {
                Some('初') => today.day() > 10,
                Some('中') => today.day() > 15,
                _ => false,
            };
            (u32::from(passed), part)
        } else {
            (0, Some('底'))
        };
        let first = first_of_month(today, add)?;
        return Some(Comp::Day(match part {
            Some('底') => Day::Date {
                date: last_of_month(first)?,
                grain: Grain::Day,
            },
            Some('初') => Day::Date {
                date: first,
                grain: Grain::Day,
            },
            Some('中') => Day::Date {
                date: first.with_day(15)?,
                grain: Grain::Day,
            },
            _ => Day::Month { first, part: None },
        }));
    }
    if kind == "holiday" {
        // Fixed-date holidays only; lunar ones (春节, 中秋) would need a lunar calendar.
        let (m, d) = match text {
            "元旦" | "new year's day" | "new years day" => (1, 1),
            "情人节" => (2, 14),
            "劳动节" => (5, 1),
            "国庆节" | "国庆" => (10, 1),
            "双十一" | "双11" => (11, 11),
            "双十二" | "双12" => (12, 12),
            "平安夜" | "christmas eve" => (12, 24),
            "圣诞节" | "圣诞" | "christmas" => (12, 25),
            _ => return None,
        };
        return Some(Comp::Day(Day::Date {
            date: upcoming_date(today, m, d)?,
            grain: Grain::Day,
        }));
    }
    if kind == "date" {
        let (m, d) = (num(c, "m")?, num(c, "d")?);
        let date = match num(c, "y") {
            Some(y) => NaiveDate::from_ymd_opt(y as i32, m, d)?,
            None => upcoming_date(today, m, d)?,
        };
        return Some(Comp::Day(Day::Date {
            date,
            grain: Grain::Day,
        }));
    }
    if kind == "iso" {
        let date = NaiveDate::from_ymd_opt(num(c, "iy")? as i32, num(c, "im")?, num(c, "id")?)?;
        return Some(Comp::Day(Day::Date {
            date,
            grain: Grain::Day,
        }));
    }
    if kind == "slash" {
        // Not part of a longer number or fraction chain ("1/2/3", "10/100").
        if matches!(n.at(e), Some('/' | '.')) || n.at(e).is_some_and(|ch| ch.is_ascii_digit()) {
            return None;
        }
        if matches!(n.at(s.wrapping_sub(1)), Some('/' | '.')) {
            return None;
        }
        let date = upcoming_date(today, num(c, "sm")?, num(c, "sd")?)?;
        return Some(Comp::Day(Day::Date {
            date,
            grain: Grain::Day,
        }));
    }
    if kind == "endate" {
        let date = upcoming_date(today, en_month(c.name("emon")?.as_str())?, num(c, "eday")?)?;
        return Some(Comp::Day(Day::Date {
            date,
            grain: Grain::Day,
        }));
    }
    if kind == "rel" {
        let rn = c.name("rn")?.as_str();
        let k = if rn == "半" { 0.5 } else { parse_number(rn)? };
        return relative(now, k, c.name("ru")?.as_str());
    }
    if kind == "enrel" {
        let rn = c.name("ern")?.as_str();
        let k = if rn.starts_with("half") {
            0.5
        } else {
            rn.parse::<f64>().ok().or_else(|| english_number(rn))?
        };
        let unit = match c.name("eru")?.as_str().trim_end_matches('s') {
            "hour" | "hr" => "小时",
            "minute" | "min" => "分钟",
            "day" => "天",
            "week" => "周",
            "month" => "月",
            _ => return None,
        };
        return relative(now, k, unit);
    }
    if kind == "dom" {
        let d = num(c, "dd")?;
        if !(1..=31).contains(&d) {
            return None;
        }
        // "5号楼", "3号线", "2号机" are not dates.
        if n.at(e)
            .is_some_and(|ch| "楼线门床位码机店室房车期厅口台院馆场".contains(ch))
        {
            return None;
        }
        // "用咗三日就坏", "两日内到": in Cantonese "N日" is also N days (a duration), never a
        // date after an aspect marker or before 就/内/之后.
        let by_day = c.get(0).is_some_and(|m| m.as_str().ends_with('日'));
        let spelled = c
            .name("dd")
            .is_some_and(|m| !m.as_str().starts_with(|ch: char| ch.is_ascii_digit()));
        if by_day
            && spelled
            && (n
                .at(s.wrapping_sub(1))
                .is_some_and(|ch| "咗了过過用住".contains(ch))
                || n.at(e)
                    .is_some_and(|ch| "就之后後内內左右都先".contains(ch))
                || c.name("dd")
                    .is_some_and(|m| m.as_str().starts_with(['两', '兩', '幾', '几'])))
        {
            return None;
        }
        return Some(Comp::Day(Day::Nth(d)));
    }
    if kind == "ampm" {
        let hour = num(c, "ah")?;
        let pm = c.name("ap")?.as_str().starts_with('p');
        if !(1..=12).contains(&hour) {
            return None;
        }
        let minute = num(c, "amin").unwrap_or(0);
        return Some(Comp::Time(Time {
            hour,
            minute,
            has_minute: c.name("amin").is_some(),
            pm: Some(pm),
            weak: false,
            bare_at: false,
        }));
    }
    if kind == "clock" {
        // Not a score or ratio inside a longer number ("1:2:3", "12:345").
        if n.at(e).is_some_and(|ch| ch.is_ascii_digit() || ch == ':') {
            return None;
        }
        return Some(Comp::Time(Time {
            hour: num(c, "ch")?,
            minute: num(c, "cm")?,
            has_minute: true,
            pm: None,
            weak: false,
            bare_at: false,
        }));
    }
    if kind == "time" {
        let h_str = c.name("h")?.as_str();
        let hour = num(c, "h")?;
        let (minute, has_minute) = if c.name("half").is_some() {
            (30, true)
        } else if c.name("q1").is_some() {
            (15, true)
        } else if c.name("q3").is_some() {
            (45, true)
        } else if c.name("mi").is_some() {
            (num(c, "mi")?, true)
        } else if c.name("m5").is_some() {
            // "三点五分" = 3:05; Cantonese "三點三" (no 分) counts 5-minute marks = 3:15.
            let k = num(c, "m5")?;
            (if c.name("fen").is_some() { k } else { k * 5 }, true)
        } else {
            (0, false)
        };
        let cn_hour = !h_str.starts_with(|ch: char| ch.is_ascii_digit());
        let with_zhong = c.name("hu").is_some_and(|x| x.as_str() == "点钟");
        // "便宜一点", "快一点", "有两点要求", "一时" are not times on their own: such an hour only
        // counts right after a day or a part of the day (下午一点).
        let weak = cn_hour
            && !has_minute
            && !with_zhong
            && (hour == 1
                || c.name("hu").is_some_and(|x| x.as_str() == "时")
                || n.at(e)
                    .is_some_and(|ch| "要问建意需不原理区疑多个些儿东".contains(ch)));
        return Some(Comp::Time(Time {
            hour,
            minute,
            has_minute,
            pm: None,
            weak,
            bare_at: false,
        }));
    }
    if kind == "at" {
        return Some(Comp::Time(Time {
            hour: num(c, "ath")?,
            minute: 0,
            has_minute: false,
            pm: None,
            weak: false,
            bare_at: true,
        }));
    }
    if kind == "period" {
        // Greetings are not times: 早上好, 下午好, good morning, good night.
        if n.at(e) == Some('好') || n.before(s, 5) == "good " {
            return None;
        }
        return Some(Comp::Period(period_of(text)?));
    }
    None
}

fn relative(now: DateTime<FixedOffset>, k: f64, unit: &str) -> Option<Comp> {
    if !(k > 0.0 && k <= 1000.0) {
        return None;
    }
    let base = now.naive_local().with_second(0)?.with_nanosecond(0)?;
    let today = now.date_naive();
    Some(match unit {
        "小时" | "钟头" | "钟" => {
            let mins = (k * 60.0).round() as i64;
            Comp::Direct(
                base.checked_add_signed(Duration::try_minutes(mins)?)?,
                Grain::Minute,
            )
        }
        "分钟" => Comp::Direct(
            base.checked_add_signed(Duration::try_minutes(k.round() as i64)?)?,
            Grain::Minute,
        ),
        "天" | "日" => Comp::Direct(
            add_days(today, k.round() as i64)?.and_hms_opt(0, 0, 0)?,
            Grain::Day,
        ),
        "周" | "星期" | "礼拜" => Comp::Direct(
            add_days(today, (k * 7.0).round() as i64)?.and_hms_opt(0, 0, 0)?,
            Grain::Day,
        ),
        "月" => if k.fract() != 0.0 {
            add_days(today, (k * 30.0).round() as i64)?.and_hms_opt(0, 0, 0)
        } else {
            today
                .checked_add_months(Months::new(k as u32))?
                .and_hms_opt(0, 0, 0)
        }
        .map(|d| Comp::Direct(d, Grain::Day))?,
        _ => return None,
    })
}

/// Resolve a group of components to one datetime and grain.
fn resolve(
    g: &Group,
    today: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Option<(NaiveDateTime, Grain)> {
    if let Some(d) = g.direct {
        return Some(d);
    }
    // "at 3" alone is not enough.
    if let Some(t) = g.time
        && t.bare_at
        && g.day.is_none()
        && g.period.is_none()
    {
        return None;
    }
    let (date, day_grain, has_day) = match g.day {
        Some(Day::Date { date, grain }) => (date, grain, true),
        Some(Day::Month { first, .. }) => (first, Grain::Month, true),
        Some(Day::Nth(d)) => {
            let this = today.with_day(d);
            let date = match this {
                Some(x) if x >= today => x,
                _ => first_of_month(today, 1)?.with_day(d)?,
            };
            (date, Grain::Day, true)
        }
        None => (today, Grain::Day, false),
    };
    if g.time.is_none() && g.period.is_none() {
        return Some((date.and_hms_opt(0, 0, 0)?, day_grain));
    }
    let (mut hour, minute, grain) = match g.time {
        Some(t) => {
            let mut h = t.hour;
            match (t.pm, g.period) {
                (Some(true), _) if h < 12 => h += 12,
                (Some(false), _) if h == 12 => h = 0,
                (Some(_), _) => {}
                (None, Some(Period::Afternoon | Period::Dusk | Period::Evening)) if h < 12 => {
                    h += 12
                }
                (None, Some(Period::Noon)) if h <= 2 => h += 12,
                (None, Some(_)) => {}
                (None, None) if (1..=7).contains(&h) => h += 12,
                (None, None) => {}
            }
            let grain = if t.has_minute {
                Grain::Minute
            } else {
                Grain::Hour
            };
            (h, t.minute, grain)
        }
        None => (g.period?.default_hour(), 0, Grain::Hour),
    };
    if hour > 24 || minute > 59 {
        return None;
    }
    let mut date = date;
    if hour == 24 {
        hour = 0;
        date = add_days(date, 1)?;
    }
    let mut dt = date.and_hms_opt(hour, minute, 0)?;
    if !has_day && g.time.is_some() && dt < now.naive_local() {
        dt = dt.checked_add_signed(Duration::try_days(1)?)?;
    }
    Some((dt, grain))
}

fn rfc3339(dt: NaiveDateTime, now: DateTime<FixedOffset>) -> Option<String> {
    Some(dt.and_local_timezone(*now.offset()).single()?.to_rfc3339())
}
