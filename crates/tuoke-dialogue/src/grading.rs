//! Lead grading rules as data.
//!
//! # Format (`grading.yaml`)
//! ```yaml
//! version: 1
//! base: 10                         # score before any signal
//! thresholds: {A: 75, B: 50, C: 25}  # minimum score of each grade; below C is D
//! signals:
//!   - id: purchase_intent          # shown in the evidence
//!     when: {intent: purchase_intent}   # same conditions as the playbook (no `stage`)
//!     points: 30                   # may be negative
//!     max_times: 1                 # how often it may count in one conversation (default 1)
//!     detail: {zh: 表达购买意向, en: said they want to buy}
//! ```
//! `score = clamp(base + Σ points of fired signals, 0, 100)`; every fired signal is kept as
//! [`Evidence`](crate::Evidence) `{turn, signal, points, detail}`, so every grade can be explained.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::Problem;
use crate::playbook::{CondInput, Condition};
use crate::schema::{parse_yaml, problem};
use crate::state::Grade;
use crate::text::Text;

const FILE: &str = "grading.yaml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    #[serde(rename = "A")]
    pub a: u8,
    #[serde(rename = "B")]
    pub b: u8,
    #[serde(rename = "C")]
    pub c: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    pub id: String,
    pub when: Condition,
    pub points: i32,
    #[serde(default = "one")]
    pub max_times: u32,
    #[serde(default)]
    pub detail: Option<Text>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradingRules {
    pub version: u32,
    pub base: i32,
    pub thresholds: Thresholds,
    pub signals: Vec<Signal>,
}

impl GradingRules {
    pub(crate) fn parse(text: &str, problems: &mut Vec<Problem>) -> Option<GradingRules> {
        parse_yaml(FILE, text, problems)
    }

    pub(crate) fn validate(&self, problems: &mut Vec<Problem>) {
        if self.version != 1 {
            problems.push(problem(
                FILE,
                "version",
                format!("unsupported version {} (expected 1)", self.version),
            ));
        }
        if !(0..=100).contains(&self.base) {
            problems.push(problem(FILE, "base", "must be within 0–100"));
        }
        let t = &self.thresholds;
        if !(t.a > t.b && t.b > t.c && t.a <= 100) {
            problems.push(problem(FILE, "thresholds", "need 100 ≥ A > B > C"));
        }
        let mut ids = BTreeSet::new();
        for (i, s) in self.signals.iter().enumerate() {
            let loc = format!("signals[{i}] ({})", s.id);
            if !ids.insert(s.id.clone()) {
                problems.push(problem(FILE, &loc, format!("duplicate signal '{}'", s.id)));
            }
            if s.points == 0 {
                problems.push(problem(
                    FILE,
                    format!("{loc}.points"),
                    "zero points: the signal would do nothing",
                ));
            }
            if s.max_times == 0 {
                problems.push(problem(FILE, format!("{loc}.max_times"), "must be ≥ 1"));
            }
            s.when
                .validate(FILE, &format!("{loc}.when"), None, problems);
        }
    }

    /// Grade of a score.
    pub fn grade(&self, score: u8) -> Grade {
        let t = &self.thresholds;
        if score >= t.a {
            Grade::A
        } else if score >= t.b {
            Grade::B
        } else if score >= t.c {
            Grade::C
        } else {
            Grade::D
        }
    }

    /// Score from the base and the evidence.
    pub fn score(&self, evidence: &[crate::Evidence]) -> u8 {
        let s: i64 = self.base as i64 + evidence.iter().map(|e| e.points as i64).sum::<i64>();
        s.clamp(0, 100) as u8
    }

    /// Signals that fire for this turn, given how often each has fired before.
    pub(crate) fn fired<'a>(
        &'a self,
        input: &CondInput<'_>,
        counts: &std::collections::BTreeMap<String, u32>,
    ) -> impl Iterator<Item = &'a Signal> {
        let hits: Vec<&Signal> = self
            .signals
            .iter()
            .filter(|s| counts.get(&s.id).copied().unwrap_or(0) < s.max_times)
            .filter(|s| s.when.matches(input))
            .collect();
        hits.into_iter()
    }
}
