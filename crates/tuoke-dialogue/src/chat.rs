//! The chat settings of `company.yaml` (`chat:`): when people answer (opening hours, so the chat
//! can say whether an adviser is online and offer a call-back outside them) and the quick-reply
//! buttons suggested under a bot reply, per playbook node or stage. Pure data: "now" is a
//! parameter.
//!
//! ```yaml
//! chat:
//!   utc_offset: "+08:00"             # the time zone of the hours below
//!   opening_hours:                   # when advisers answer; none given = always
//!     - {days: [mon, tue, wed, thu, fri, sat, sun], from: "09:00", to: "21:00"}
//!   quick_replies:                   # text sent when the button is pressed (zh, en, yue optional)
//!     default: [{zh: "有哪些参数？", en: "What are the specs?"}]
//!     stages: {presentation: […]}    # by the conversation's stage…
//!     nodes: {quote_price: […]}      # …or node (a node's list wins over its stage's)
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Problem;
use crate::playbook::Playbook;
use crate::schema::{check_text, problem};
use crate::text::{Text, Variety};

const FILE: &str = "company.yaml";
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Most buttons shown under one reply.
pub const MAX_QUICK_REPLIES: usize = 4;

/// `chat:` of `company.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// Offset of the opening hours' time zone, `+HH:MM` or `-HH:MM` (default `+08:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opening_hours: Vec<Period>,
    #[serde(default)]
    pub quick_replies: QuickReplies,
}

/// One opening period: the same hours on each of `days`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// `mon` … `sun`; none given = every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    /// `HH:MM`, local time.
    pub from: String,
    /// `HH:MM` after `from`; `24:00` is midnight at the end of the day.
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuickReplies {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default: Vec<Text>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, Vec<Text>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nodes: BTreeMap<String, Vec<Text>>,
}

/// Whether advisers answer now, and when that changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Availability {
    pub open: bool,
    /// The next opening (when closed) or closing (when open) within a week; `None` when the
    /// hours are "always" (no periods).
    pub next_change: Option<DateTime<Utc>>,
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Minutes since midnight of `HH:MM` (`24:00` allowed as 1440).
fn parse_hhmm(s: &str) -> Option<u32> {
    if s == "24:00" {
        return Some(24 * 60);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M").ok()?;
    (s.len() == 5).then(|| chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t))
}

impl ChatSettings {
    fn offset(&self) -> FixedOffset {
        self.utc_offset
            .as_deref()
            .and_then(parse_offset)
            .or_else(|| FixedOffset::east_opt(8 * 3600))
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
    }

    /// The periods as (weekday mask, from minute, to minute); unparsable ones left out.
    fn periods(&self) -> Vec<(u8, u32, u32)> {
        self.opening_hours
            .iter()
            .filter_map(|p| {
                let mask = if p.days.is_empty() {
                    0x7f
                } else {
                    DAYS.iter()
                        .enumerate()
                        .filter(|(_, d)| p.days.iter().any(|x| x == *d))
                        .fold(0u8, |m, (i, _)| m | 1 << i)
                };
                Some((mask, parse_hhmm(&p.from)?, parse_hhmm(&p.to)?))
            })
            .collect()
    }

    /// Whether advisers answer at `now`, by the opening hours (always, when none are given).
    pub fn availability(&self, now: DateTime<Utc>) -> Availability {
        if self.opening_hours.is_empty() {
            return Availability {
                open: true,
                next_change: None,
            };
        }
        let periods = self.periods();
        let open_at = |d: usize, m: u32| {
            periods
                .iter()
                .any(|&(mask, from, to)| mask & (1 << d) != 0 && from <= m && m < to)
        };
        let local = now.with_timezone(&self.offset());
        let minute = |t: DateTime<FixedOffset>| {
            (
                t.weekday().num_days_from_monday() as usize,
                chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t),
            )
        };
        let (d, m) = minute(local);
        let open = open_at(d, m);
        // Scan minute by minute from the next whole minute, at most a week ahead (10,080 steps).
        let start = local - Duration::seconds(i64::from(chrono::Timelike::second(&local)))
            + Duration::minutes(1);
        let next_change = (0..7 * 24 * 60).find_map(|i| {
            let t = start + Duration::minutes(i);
            let (d, m) = minute(t);
            (open_at(d, m) != open).then(|| t.with_timezone(&Utc))
        });
        Availability { open, next_change }
    }

    /// The quick replies for a conversation at `node` in `stage`, in `variety` (at most
    /// [`MAX_QUICK_REPLIES`]): the node's list, else the stage's, else the default.
    pub fn quick_replies(&self, node: &str, stage: &str, variety: Variety) -> Vec<String> {
        let q = &self.quick_replies;
        let list = q
            .nodes
            .get(node)
            .or_else(|| q.stages.get(stage))
            .unwrap_or(&q.default);
        list.iter()
            .take(MAX_QUICK_REPLIES)
            .map(|t| t.get(variety).to_string())
            .collect()
    }

    /// Every problem of `chat:`, located; stages and nodes must exist in the playbook.
    pub(crate) fn validate(&self, playbook: Option<&Playbook>, problems: &mut Vec<Problem>) {
        if let Some(o) = &self.utc_offset
            && parse_offset(o).is_none()
        {
            problems.push(problem(
                FILE,
                "chat.utc_offset",
                format!("'{o}' is no UTC offset (+HH:MM or -HH:MM)"),
            ));
        }
        for (i, p) in self.opening_hours.iter().enumerate() {
            let loc = format!("chat.opening_hours[{i}]");
            for d in &p.days {
                if !DAYS.contains(&d.as_str()) {
                    problems.push(problem(
                        FILE,
                        format!("{loc}.days"),
                        format!("unknown day '{d}' (mon, tue, wed, thu, fri, sat, sun)"),
                    ));
                }
            }
            match (parse_hhmm(&p.from), parse_hhmm(&p.to)) {
                (Some(f), Some(t)) if f < t && f < 24 * 60 => {}
                (Some(_), Some(_)) => problems.push(problem(
                    FILE,
                    loc,
                    format!("'from' ({}) must be before 'to' ({})", p.from, p.to),
                )),
                _ => problems.push(problem(
                    FILE,
                    loc,
                    format!("times must be HH:MM (got from '{}', to '{}')", p.from, p.to),
                )),
            }
        }
        let q = &self.quick_replies;
        let mut lists: Vec<(String, &Vec<Text>)> =
            vec![("chat.quick_replies.default".into(), &q.default)];
        for (s, l) in &q.stages {
            if let Some(pb) = playbook
                && !pb.stages.iter().any(|x| &x.id == s)
            {
                problems.push(problem(
                    FILE,
                    format!("chat.quick_replies.stages.{s}"),
                    format!("unknown stage '{s}' (not in playbook.yaml)"),
                ));
            }
            lists.push((format!("chat.quick_replies.stages.{s}"), l));
        }
        for (n, l) in &q.nodes {
            if let Some(pb) = playbook
                && pb.node(n).is_none()
            {
                problems.push(problem(
                    FILE,
                    format!("chat.quick_replies.nodes.{n}"),
                    format!("unknown node '{n}' (not in playbook.yaml)"),
                ));
            }
            lists.push((format!("chat.quick_replies.nodes.{n}"), l));
        }
        for (loc, l) in lists {
            if l.len() > MAX_QUICK_REPLIES {
                problems.push(problem(
                    FILE,
                    loc.clone(),
                    format!(
                        "at most {MAX_QUICK_REPLIES} quick replies (got {})",
                        l.len()
                    ),
                ));
            }
            for (i, t) in l.iter().enumerate() {
                check_text(FILE, &format!("{loc}[{i}]"), t, problems);
                if t.all().any(|s| s.chars().count() > 40) {
                    problems.push(problem(
                        FILE,
                        format!("{loc}[{i}]"),
                        "a quick reply is at most 40 characters",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(yaml: &str) -> ChatSettings {
        serde_yaml::from_str(yaml).expect("chat settings parse")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn open_by_the_hours_in_their_time_zone() {
        let c = settings(
            "utc_offset: '+08:00'\nopening_hours: [{days: [mon, tue, wed, thu, fri], from: '09:00', to: '21:00'}]",
        );
        // Monday 2025-06-02 10:00 in Beijing = 02:00 UTC.
        let a = c.availability(at("2025-06-02T02:00:00Z"));
        assert!(a.open);
        assert_eq!(a.next_change, Some(at("2025-06-02T13:00:00Z")));
        // 21:00 Beijing: closed; opens Tuesday 09:00.
        let a = c.availability(at("2025-06-02T13:00:00Z"));
        assert!(!a.open);
        assert_eq!(a.next_change, Some(at("2025-06-03T01:00:00Z")));
        // Saturday: closed until Monday 09:00.
        let a = c.availability(at("2025-06-07T04:00:00Z"));
        assert!(!a.open);
        assert_eq!(a.next_change, Some(at("2025-06-09T01:00:00Z")));
    }

    #[test]
    fn no_hours_means_always_and_midnight_is_24_00() {
        let c = ChatSettings::default();
        assert!(c.availability(at("2025-06-02T02:00:00Z")).open);
        let c = settings("utc_offset: '+00:00'\nopening_hours: [{from: '00:00', to: '24:00'}]");
        let a = c.availability(at("2025-06-02T23:59:30Z"));
        assert!(a.open);
        assert_eq!(a.next_change, None);
    }

    #[test]
    fn quick_replies_by_node_then_stage_then_default() {
        let c = settings(
            "quick_replies:\n  default: [{zh: 甲, en: a}]\n  stages: {s: [{zh: 乙, en: b, yue: 乙乙}]}\n  nodes: {n: [{zh: 丙, en: c}]}",
        );
        assert_eq!(c.quick_replies("n", "s", Variety::Cmn), vec!["丙"]);
        assert_eq!(c.quick_replies("x", "s", Variety::Yue), vec!["乙乙"]);
        assert_eq!(c.quick_replies("x", "y", Variety::En), vec!["a"]);
    }

    #[test]
    fn problems_are_located() {
        let c = settings(
            "utc_offset: '8'\nopening_hours: [{days: [monday], from: '21:00', to: '09:00'}, {from: '9', to: '10:00'}]\nquick_replies: {default: [{zh: '', en: x}]}",
        );
        let mut p = Vec::new();
        c.validate(None, &mut p);
        let locs: Vec<&str> = p.iter().map(|p| p.location.as_str()).collect();
        assert!(locs.contains(&"chat.utc_offset"), "{locs:?}");
        assert!(locs.contains(&"chat.opening_hours[0].days"), "{locs:?}");
        assert!(locs.contains(&"chat.opening_hours[0]"), "{locs:?}");
        assert!(locs.contains(&"chat.opening_hours[1]"), "{locs:?}");
        assert!(locs.contains(&"chat.quick_replies.default[0]"), "{locs:?}");
    }
}
