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
//!
//! This file holds [`DateRules`] (the regex, and the grouping of neighbouring components); a match
//! becomes a component in `component.rs`, the pieces are defined in `parts.rs`, and a group is
//! resolved to a datetime in `resolve.rs`.

use chrono::{DateTime, Datelike, FixedOffset};
use regex::Regex;
use serde_json::json;
use tuoke_core::EntityType;

use crate::candidate::{Candidate, Tier};
use crate::error::EntitiesError;
use crate::normalize::Normalized;
use component::component;
use parts::{Comp, Day, Grain, Group, Time};
use resolve::{resolve, rfc3339};

mod component;
mod parts;
mod resolve;

/// A Chinese numeral of one to three chars (a month, day, hour or count).
const CN: &str = "[零〇一二两三四五六七八九十]{1,3}";

/// The compiled date and time patterns (built once per process).
pub(crate) struct DateRules {
    /// All alternatives as one multi-pattern regex (leftmost-first, earlier pattern wins at the
    /// same start): finds the spans and which alternative matched, with the lazy DFA.
    re: regex_automata::meta::Regex,
    /// Each alternative alone, anchored at both ends, with its capture groups: capture groups on
    /// the combined pattern cost ~13k instructions per match (bounded backtracker over a large
    /// NFA); on one small alternative they are cheap.
    alts: Vec<(String, Regex)>,
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
|(?P<at>(?:at|after|around)[\ \t\n]+(?P<ath>[0-9]{{1,2}}))
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
