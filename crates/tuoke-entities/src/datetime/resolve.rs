//! Resolving a group of components to one datetime and grain, and the calendar arithmetic it and
//! the components use.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime};

use super::parts::{Day, Grain, Group, Period};

/// Resolve a group of components to one datetime and grain.
pub(super) fn resolve(
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

pub(super) fn rfc3339(dt: NaiveDateTime, now: DateTime<FixedOffset>) -> Option<String> {
    Some(dt.and_local_timezone(*now.offset()).single()?.to_rfc3339())
}

pub(super) fn add_days(d: NaiveDate, k: i64) -> Option<NaiveDate> {
    d.checked_add_signed(Duration::try_days(k)?)
}

pub(super) fn monday_of(d: NaiveDate) -> Option<NaiveDate> {
    add_days(d, -(d.weekday().num_days_from_monday() as i64))
}

pub(super) fn first_of_month(d: NaiveDate, add: u32) -> Option<NaiveDate> {
    d.with_day(1)?.checked_add_months(Months::new(add))
}

pub(super) fn last_of_month(first: NaiveDate) -> Option<NaiveDate> {
    add_days(first.checked_add_months(Months::new(1))?, -1)
}

/// A date in the current year, or next year when it has passed.
pub(super) fn upcoming_date(today: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), m, d)?;
    if this < today {
        NaiveDate::from_ymd_opt(today.year().checked_add(1)?, m, d)
    } else {
        Some(this)
    }
}
