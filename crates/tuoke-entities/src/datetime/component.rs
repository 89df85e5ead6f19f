//! Turning one regex match into a component: which day, part of the day, clock time or relative
//! duration it says, with the word tables (weekdays, months, parts of the day) it reads.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, Timelike};
use regex::Captures;

use super::parts::{Comp, Day, Grain, Period, Time};
use super::resolve::{add_days, first_of_month, last_of_month, monday_of, upcoming_date};
use crate::normalize::Normalized;
use crate::numbers::{english_number, parse_number};

/// Turn one regex match into a component, or `None` when it is not a date/time after all.
pub(super) fn component(
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
        // "用咗三日就坏", "两日内到", "五日前買咗": in Cantonese "N日" is also N days (a
        // duration), never a date after an aspect marker or before 就/内/之后/前.
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
                    .is_some_and(|ch| "就之后後内內左右都先前".contains(ch))
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
        // "after 6 months", "at 3 units": a count, not a clock hour.
        let next_word = n
            .after(e, 12)
            .trim_start()
            .split(|ch: char| !ch.is_ascii_alphabetic())
            .next()
            .unwrap_or("");
        const COUNTED: &[&str] = &[
            "month", "months", "day", "days", "year", "years", "week", "weeks", "unit", "units",
            "pcs", "piece", "pieces", "people", "minute", "minutes", "min", "mins", "hour",
            "hours", "set", "sets", "room", "rooms", "sqm", "m", "kg", "percent", "items", "of",
            "or", "and", "to", "more", "times", "floors", "locks", "pm", "am",
        ];
        if COUNTED.contains(&next_word) {
            return None;
        }
        let hour = num(c, "ath")?;
        if !(1..=12).contains(&hour) {
            return None;
        }
        // "call me after 6", "ring me at 5": a call-back asked for names a clock hour on its
        // own; elsewhere "at 3" alone is not enough (it needs a day or a part of the day).
        let before = n.before(s, 24);
        let callback = ["call", "ring", "phone", "contact", "reach", "get back"]
            .iter()
            .any(|w| before.contains(w));
        return Some(Comp::Time(Time {
            hour,
            minute: 0,
            has_minute: false,
            pm: None,
            weak: false,
            bare_at: !callback,
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
