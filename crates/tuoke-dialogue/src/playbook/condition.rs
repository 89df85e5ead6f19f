//! Conditions (`when:`) of the playbook's transitions, rules and interrupts, and the slot and
//! entity names they may test.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tuoke_core::INTENTS;

use crate::error::Problem;
use crate::schema::problem;

/// Slots the engine fills and conditions may test.
pub const SLOTS: &[&str] = &[
    "product",
    "products_mentioned",
    // products weighed against each other until one is named: follow-up questions answer for each
    "compared",
    // products the bot put forward in its last recommendation, until the customer names one
    "recommended",
    "quantity",
    "budget",
    "timeline",
    "callback_time",
    "phone",
    "email",
    "wechat",
    "contact",
    "competitor",
    "decision_maker",
    "category",
    "room_size",
    "household",
    "concerns",
];

/// Entity kinds a condition may name (`contact` = phone|email|wechat; `reference` = "另一款",
/// "the first one" … resolved to a product).
pub const ENTITY_KINDS: &[&str] = &[
    "money",
    "quantity",
    "phone",
    "email",
    "wechat",
    "datetime",
    "product",
    "competitor",
    "contact",
    "reference",
];

/// A string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

/// Reply variants keyed by variety (`cmn`, `yue`, `en`).
pub type Variants = BTreeMap<String, OneOrMany>;

/// A transition condition. All given fields must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_slot: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filled: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always: Option<bool>,
}

/// What a condition is evaluated against.
pub struct CondInput<'a> {
    /// `None` when the intent's confidence is below `min_confidence`.
    pub intent: Option<&'a str>,
    pub entities: &'a BTreeSet<&'static str>,
    pub slots: &'a BTreeMap<String, serde_json::Value>,
    pub filled: &'a BTreeSet<String>,
    pub sentiment: &'a str,
    pub stage: &'a str,
}

fn any_of(list: &Option<OneOrMany>, f: impl Fn(&str) -> bool) -> bool {
    list.as_ref()
        .is_none_or(|l| l.as_slice().iter().any(|s| f(s)))
}

fn slot_set(slots: &BTreeMap<String, serde_json::Value>, name: &str) -> bool {
    if name == "contact" {
        return ["phone", "email", "wechat"]
            .iter()
            .any(|s| slot_set(slots, s));
    }
    slots.get(name).is_some_and(|v| !v.is_null())
}

impl Condition {
    pub fn matches(&self, x: &CondInput<'_>) -> bool {
        if self.always == Some(false) {
            return false;
        }
        any_of(&self.intent, |i| x.intent == Some(i))
            && any_of(&self.entity, |e| x.entities.contains(e))
            && self
                .slot
                .as_ref()
                .is_none_or(|l| l.as_slice().iter().all(|s| slot_set(x.slots, s)))
            && self
                .no_slot
                .as_ref()
                .is_none_or(|l| l.as_slice().iter().all(|s| !slot_set(x.slots, s)))
            && any_of(&self.filled, |s| {
                x.filled.contains(s)
                    || (s == "contact"
                        && ["phone", "email", "wechat"]
                            .iter()
                            .any(|c| x.filled.contains(*c)))
            })
            && any_of(&self.sentiment, |s| s == x.sentiment)
            && any_of(&self.stage, |s| s == x.stage)
    }

    fn is_empty(&self) -> bool {
        self.intent.is_none()
            && self.entity.is_none()
            && self.slot.is_none()
            && self.no_slot.is_none()
            && self.filled.is_none()
            && self.sentiment.is_none()
            && self.stage.is_none()
            && self.always.is_none()
    }

    /// Check names; `stages` = known stage ids (None: stage conditions not allowed).
    pub(crate) fn validate(
        &self,
        file: &str,
        loc: &str,
        stages: Option<&BTreeSet<String>>,
        problems: &mut Vec<Problem>,
    ) {
        if self.is_empty() {
            problems.push(problem(
                file,
                loc,
                "empty condition (use `always: true` for an unconditional one)",
            ));
        }
        let mut check =
            |field: &str, list: &Option<OneOrMany>, ok: &dyn Fn(&str) -> bool, what: &str| {
                if let Some(l) = list {
                    if l.as_slice().is_empty() {
                        problems.push(problem(file, format!("{loc}.{field}"), "empty list"));
                    }
                    for v in l.as_slice() {
                        if !ok(v) {
                            problems.push(problem(
                                file,
                                format!("{loc}.{field}"),
                                format!("unknown {what} '{v}'"),
                            ));
                        }
                    }
                }
            };
        check("intent", &self.intent, &|s| INTENTS.contains(&s), "intent");
        check(
            "entity",
            &self.entity,
            &|s| ENTITY_KINDS.contains(&s),
            "entity kind",
        );
        check("slot", &self.slot, &|s| SLOTS.contains(&s), "slot");
        check("no_slot", &self.no_slot, &|s| SLOTS.contains(&s), "slot");
        check("filled", &self.filled, &|s| SLOTS.contains(&s), "slot");
        check(
            "sentiment",
            &self.sentiment,
            &|s| ["positive", "neutral", "negative"].contains(&s),
            "sentiment",
        );
        match stages {
            Some(st) => check("stage", &self.stage, &|s| st.contains(s), "stage"),
            None => {
                if self.stage.is_some() {
                    problems.push(problem(
                        file,
                        format!("{loc}.stage"),
                        "stage conditions are not allowed here",
                    ));
                }
            }
        }
    }
}
