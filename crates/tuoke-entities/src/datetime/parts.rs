//! The pieces of a date expression: the components one regex match becomes (a day, a part of the
//! day, a clock time, or a datetime computed directly), the group neighbouring components form,
//! and the grain of the result.

use chrono::{NaiveDate, NaiveDateTime};

/// How precise a resolved datetime is (the `grain` of the value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Grain {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

impl Grain {
    pub(super) fn name(self) -> &'static str {
        match self {
            Grain::Minute => "minute",
            Grain::Hour => "hour",
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }
}

/// A part of the day, with the hour it means when no clock time is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Period {
    Morning,
    Noon,
    Afternoon,
    Dusk,
    Evening,
    SmallHours,
}

impl Period {
    pub(super) fn default_hour(self) -> u32 {
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
pub(super) enum Day {
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

/// What a clock-time component says.
#[derive(Debug, Clone, Copy)]
pub(super) struct Time {
    pub(super) hour: u32,
    pub(super) minute: u32,
    pub(super) has_minute: bool,
    /// am/pm given explicitly (`Some(true)` = pm).
    pub(super) pm: Option<bool>,
    /// A Chinese-numeral hour that is only a time after a day or a part of the day (一点).
    pub(super) weak: bool,
    /// `at 3` — only meaningful next to a day or a part of the day.
    pub(super) bare_at: bool,
}

/// Neighbouring components (only spaces or 的 between them) that form one expression.
#[derive(Debug, Default)]
pub(super) struct Group {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) day: Option<Day>,
    pub(super) period: Option<Period>,
    pub(super) time: Option<Time>,
    /// An absolute result computed directly (relative durations).
    pub(super) direct: Option<(NaiveDateTime, Grain)>,
    /// Number of components in the group.
    pub(super) parts: usize,
}

/// What one regex match says.
pub(super) enum Comp {
    Day(Day),
    DayPeriod(Day, Period),
    Period(Period),
    Time(Time),
    Direct(NaiveDateTime, Grain),
}
