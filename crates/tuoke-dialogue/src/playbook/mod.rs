//! The sales playbook (话术): stages, nodes, replies per language variety, transitions.
//!
//! # Format (`playbook.yaml`)
//! ```yaml
//! version: 1
//! start: greet              # node that opens every conversation (Engine::start)
//! fallback: fallback        # node used when nothing matches and retries are used up
//! languages: [cmn, yue, en] # every reply / reprompt must exist in each of these
//! min_confidence: 0.4       # an intent below this confidence is treated as unknown
//! sorry: {cmn: "…", yue: "…", en: "…"}   # said before a re-prompt
//! handoff:
//!   after_fallbacks: 2      # that many fallbacks in a row → go to fallback_node
//!   fallback_node: handoff_confused
//!   on_grade: A             # lead reaches this grade → append grade_node's reply, notify staff
//!   grade_node: handoff_hot
//!   wait_minutes: 10        # a requested person has not come after this long → say so once…
//!                           # (or wait_seconds: N, not both; the chat widget then offers a call-back form)
//!   callback_node: ask_callback_time   # …and go here to offer a call-back
//! stages: [{id: greeting, name: {zh: 问候, en: Greeting}}, …]
//! interrupts: [{when: {…}, goto: node}]   # checked first, from any node
//! rules:      [{when: {…}, goto: node}]   # checked after the current node's transitions
//! nodes:
//!   - id: quote_price
//!     stage: presentation
//!     reply: {cmn: ["{product}的价格是{price}。", "…second visit…"], yue: …, en: …}
//!     reprompt: {…}         # optional: re-asks the node's pending question (retries, detours)
//!     max_retries: 1        # re-prompts before giving up to `fallback`
//!     detour: false         # true: answer, then return to the pending question of the current node
//!     kb_answer: true       # a specific KB answer to the customer's question (a passage, a
//!                           # comparison, a recommendation) replaces this node's generic reply
//!     otherwise: ask_product   # taken when a placeholder cannot be filled (e.g. no product yet)
//!     actions: [handoff]    # handoff | close | schedule_follow_up
//!     handoff_reason: request_human
//!     transitions: [{when: {intent: affirm}, goto: ask_contact}]
//! ```
//! A reply is a string or a list of variants; visit *n* of a node uses variant *min(n, len-1)*,
//! so repeated visits can escalate (e.g. a haggler hears the bulk tiers first, then the limit).
//!
//! **Conditions** (`when`): every given field must hold; a list means "any of".
//! `intent`, `entity` (money, quantity, phone, email, wechat, datetime, product, competitor, contact,
//! reference), `slot` (all set), `no_slot` (none set), `filled` (set by this turn), `sentiment`
//! (positive|neutral|negative), `stage`, `always: true`.
//!
//! **Placeholders**: see [`PLACEHOLDERS`]. Template text itself must not contain digits: every
//! number a customer reads comes from the knowledge base or from the customer's own words.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::error::Problem;
use crate::schema::{parse_yaml, problem};
use crate::text::{Text, Variety};

mod condition;

const FILE: &str = "playbook.yaml";

/// Placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    // company
    "company",
    "hours",
    "company_phone",
    "company_email",
    "product_list",
    // product in context (fallible: needs the `product` slot)
    "product",
    "price",
    "features",
    "specs",
    "delivery",
    "warranty",
    "stock",
    "trial",
    "discount",
    "max_discount",
    "discount_note",
    // customer slots (fallible)
    "quantity",
    // "How many do you need?" while no count is known, else nothing (never fails)
    "ask_quantity",
    "budget",
    "callback_time",
    "timeline",
    // competitor in context (fallible: needs the `competitor` slot)
    "competitor",
    "competitor_facts",
    "switching_offer",
    "our_match",
    // best FAQ answer for the customer's words (fallible)
    "faq",
];

pub use condition::{CondInput, Condition, ENTITY_KINDS, OneOrMany, SLOTS, Variants};

pub const NODE_ACTIONS: &[&str] = &["handoff", "close", "schedule_follow_up"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub when: Condition,
    pub goto: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    #[serde(default)]
    pub name: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: String,
    pub stage: String,
    pub reply: Variants,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<Variants>,
    #[serde(default = "one")]
    pub max_retries: u32,
    #[serde(default)]
    pub detour: bool,
    /// A specific KB answer replaces this node's reply (see the module docs).
    #[serde(default)]
    pub kb_answer: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<String>,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_reason: Option<String>,
    #[serde(default)]
    pub transitions: Vec<Transition>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HandoffConfig {
    #[serde(default)]
    pub after_fallbacks: Option<u32>,
    #[serde(default)]
    pub fallback_node: Option<String>,
    #[serde(default)]
    pub on_grade: Option<String>,
    #[serde(default)]
    pub grade_node: Option<String>,
    /// Minutes a requested handoff may wait for an agent before the bot says nobody came.
    #[serde(default)]
    pub wait_minutes: Option<u32>,
    /// The same in seconds (for a short wait); give one of the two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_seconds: Option<u32>,
    /// Where the conversation goes when nobody came: a node that asks for a call-back time.
    #[serde(default)]
    pub callback_node: Option<String>,
}

impl HandoffConfig {
    /// How long a requested person may take before the customer is offered a call-back
    /// (`wait_seconds`, else `wait_minutes`, else 10 minutes).
    pub fn wait_secs(&self) -> u64 {
        match (self.wait_seconds, self.wait_minutes) {
            (Some(s), _) => u64::from(s),
            (None, Some(m)) => u64::from(m) * 60,
            (None, None) => 600,
        }
    }
}

/// A parsed playbook. Use [`Company::from_sources`](crate::Company::from_sources) to load one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub version: u32,
    pub start: String,
    pub fallback: String,
    pub languages: Vec<String>,
    #[serde(default = "default_min_conf")]
    pub min_confidence: f32,
    #[serde(default)]
    pub sorry: Option<Variants>,
    #[serde(default)]
    pub handoff: HandoffConfig,
    pub stages: Vec<Stage>,
    #[serde(default)]
    pub interrupts: Vec<Transition>,
    #[serde(default)]
    pub rules: Vec<Transition>,
    pub nodes: Vec<Node>,
    #[serde(skip)]
    index: BTreeMap<String, usize>,
}

fn default_min_conf() -> f32 {
    0.4
}

/// Placeholders used in a template, or an error message for a malformed one.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        let tail = rest.get(open..).unwrap_or("");
        if tail.starts_with('}') {
            return Err("'}' without '{'".into());
        }
        let inner = tail.get(1..).unwrap_or("");
        let Some(close) = inner.find('}') else {
            return Err("'{' without '}'".into());
        };
        let name = inner.get(..close).unwrap_or("");
        if name.contains('{') {
            return Err(format!("nested '{{' in '{{{name}}}'"));
        }
        out.push(name);
        rest = inner.get(close + 1..).unwrap_or("");
    }
    Ok(out)
}

impl Playbook {
    pub(crate) fn parse(text: &str, problems: &mut Vec<Problem>) -> Option<Playbook> {
        let mut pb: Playbook = parse_yaml(FILE, text, problems)?;
        pb.index = pb
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        Some(pb)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).and_then(|&i| self.nodes.get(i))
    }

    pub fn stage_ids(&self) -> BTreeSet<String> {
        self.stages.iter().map(|s| s.id.clone()).collect()
    }

    pub fn varieties(&self) -> Vec<Variety> {
        self.languages
            .iter()
            .filter_map(|l| Variety::parse(l))
            .collect()
    }

    /// Every problem, each with its location.
    pub(crate) fn validate(&self, problems: &mut Vec<Problem>) {
        let stages = self.stage_ids();
        let mut seen = BTreeSet::new();
        for (i, s) in self.stages.iter().enumerate() {
            if !seen.insert(s.id.clone()) {
                problems.push(problem(
                    FILE,
                    format!("stages[{i}]"),
                    format!("duplicate stage '{}'", s.id),
                ));
            }
        }
        if self.version != 1 {
            problems.push(problem(
                FILE,
                "version",
                format!("unsupported version {} (expected 1)", self.version),
            ));
        }
        if self.languages.is_empty() {
            problems.push(problem(FILE, "languages", "no languages"));
        }
        for l in &self.languages {
            if Variety::parse(l).is_none() {
                problems.push(problem(
                    FILE,
                    "languages",
                    format!("unknown language '{l}' (cmn, yue, en)"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.min_confidence) {
            problems.push(problem(FILE, "min_confidence", "must be within 0–1"));
        }
        let node_ids: BTreeSet<&str> = self.nodes.iter().map(|n| n.id.as_str()).collect();
        let known = |id: &str| node_ids.contains(id);
        let check_ref = |loc: String, id: &str, problems: &mut Vec<Problem>| {
            if !known(id) {
                problems.push(problem(FILE, loc, format!("unknown node '{id}'")));
            }
        };
        check_ref("start".into(), &self.start, problems);
        check_ref("fallback".into(), &self.fallback, problems);
        if let Some(n) = &self.handoff.fallback_node {
            check_ref("handoff.fallback_node".into(), n, problems);
        }
        if let Some(n) = &self.handoff.callback_node {
            check_ref("handoff.callback_node".into(), n, problems);
        }
        if let Some(n) = &self.handoff.grade_node {
            check_ref("handoff.grade_node".into(), n, problems);
        }
        if self.handoff.wait_seconds.is_some() && self.handoff.wait_minutes.is_some() {
            problems.push(problem(
                FILE,
                "handoff",
                "give wait_minutes or wait_seconds, not both",
            ));
        }
        if self.handoff.after_fallbacks.is_some() != self.handoff.fallback_node.is_some() {
            problems.push(problem(
                FILE,
                "handoff",
                "after_fallbacks and fallback_node go together",
            ));
        }
        if let Some(g) = &self.handoff.on_grade {
            if crate::state::Grade::parse(g).is_none() {
                problems.push(problem(
                    FILE,
                    "handoff.on_grade",
                    format!("unknown grade '{g}' (A, B, C, D)"),
                ));
            }
            if self.handoff.grade_node.is_none() {
                problems.push(problem(FILE, "handoff", "on_grade needs grade_node"));
            }
        }
        if let Some(s) = &self.sorry {
            self.check_variants("sorry", s, false, problems);
        }
        for (list, name) in [(&self.interrupts, "interrupts"), (&self.rules, "rules")] {
            for (i, t) in list.iter().enumerate() {
                let loc = format!("{name}[{i}]");
                t.when
                    .validate(FILE, &format!("{loc}.when"), Some(&stages), problems);
                check_ref(format!("{loc}.goto"), &t.goto, problems);
            }
        }
        let mut ids = BTreeSet::new();
        let mut used_stages = BTreeSet::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let loc = format!("nodes[{i}] ({})", n.id);
            if !ids.insert(n.id.as_str()) {
                problems.push(problem(FILE, &loc, format!("duplicate node id '{}'", n.id)));
            }
            if stages.contains(&n.stage) {
                used_stages.insert(n.stage.clone());
            } else {
                problems.push(problem(
                    FILE,
                    format!("{loc}.stage"),
                    format!("unknown stage '{}'", n.stage),
                ));
            }
            let fallible = self.check_variants(&format!("{loc}.reply"), &n.reply, true, problems);
            if let Some(r) = &n.reprompt {
                let f = self.check_variants(&format!("{loc}.reprompt"), r, true, problems);
                if f {
                    problems.push(problem(
                        FILE,
                        format!("{loc}.reprompt"),
                        "a reprompt may only use placeholders that are always available",
                    ));
                }
            }
            if n.id == self.fallback && fallible {
                problems.push(problem(
                    FILE,
                    format!("{loc}.reply"),
                    "the fallback node may only use placeholders that are always available",
                ));
            }
            if let Some(o) = &n.otherwise {
                check_ref(format!("{loc}.otherwise"), o, problems);
                if o == &n.id {
                    problems.push(problem(
                        FILE,
                        format!("{loc}.otherwise"),
                        "a node cannot be its own `otherwise`",
                    ));
                }
            }
            for a in &n.actions {
                if !NODE_ACTIONS.contains(&a.as_str()) {
                    problems.push(problem(
                        FILE,
                        format!("{loc}.actions"),
                        format!("unknown action '{a}' (handoff, close, schedule_follow_up)"),
                    ));
                }
            }
            if n.detour && !n.transitions.is_empty() {
                problems.push(problem(
                    FILE,
                    format!("{loc}.transitions"),
                    "a detour node returns to the previous node; its transitions would never apply",
                ));
            }
            for (j, t) in n.transitions.iter().enumerate() {
                let tl = format!("{loc}.transitions[{j}]");
                t.when
                    .validate(FILE, &format!("{tl}.when"), Some(&stages), problems);
                check_ref(format!("{tl}.goto"), &t.goto, problems);
            }
        }
        for s in &stages {
            if !used_stages.contains(s) {
                problems.push(problem(
                    FILE,
                    format!("stages ({s})"),
                    format!("stage '{s}' has no node"),
                ));
            }
        }
        // Reachability from the start node through every edge.
        let mut reach: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        let mut roots: Vec<&str> = vec![self.start.as_str(), self.fallback.as_str()];
        roots.extend(
            self.interrupts
                .iter()
                .chain(&self.rules)
                .map(|t| t.goto.as_str()),
        );
        roots.extend(self.handoff.fallback_node.as_deref());
        roots.extend(self.handoff.grade_node.as_deref());
        for r in roots {
            if known(r) && reach.insert(r) {
                queue.push_back(r);
            }
        }
        while let Some(id) = queue.pop_front() {
            let Some(n) = self.node(id) else { continue };
            let next = n
                .transitions
                .iter()
                .map(|t| t.goto.as_str())
                .chain(n.otherwise.as_deref());
            for x in next {
                if known(x) && reach.insert(x) {
                    queue.push_back(x);
                }
            }
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if !reach.contains(n.id.as_str()) {
                problems.push(problem(
                    FILE,
                    format!("nodes[{i}] ({})", n.id),
                    format!("node '{}' is unreachable from '{}'", n.id, self.start),
                ));
            }
        }
    }

    /// Checks languages, placeholders, digits. Returns whether a fallible placeholder is used.
    fn check_variants(
        &self,
        loc: &str,
        v: &Variants,
        placeholders_ok: bool,
        problems: &mut Vec<Problem>,
    ) -> bool {
        let mut fallible = false;
        for l in &self.languages {
            match v.get(l) {
                None => problems.push(problem(
                    FILE,
                    loc,
                    format!("missing reply for language '{l}'"),
                )),
                Some(x)
                    if x.as_slice().is_empty()
                        || x.as_slice().iter().all(|s| s.trim().is_empty()) =>
                {
                    problems.push(problem(FILE, format!("{loc}.{l}"), "empty reply"))
                }
                _ => {}
            }
        }
        for (lang, x) in v {
            if Variety::parse(lang).is_none() {
                problems.push(problem(
                    FILE,
                    format!("{loc}.{lang}"),
                    format!("unknown language '{lang}'"),
                ));
            }
            for (k, t) in x.as_slice().iter().enumerate() {
                let tl = format!("{loc}.{lang}[{k}]");
                match placeholders(t) {
                    Err(e) => {
                        problems.push(problem(FILE, &tl, format!("malformed placeholder: {e}")))
                    }
                    Ok(ps) => {
                        for p in ps {
                            if !PLACEHOLDERS.contains(&p) {
                                problems.push(problem(
                                    FILE,
                                    &tl,
                                    format!("unknown placeholder '{{{p}}}'"),
                                ));
                            } else if !placeholders_ok {
                                problems.push(problem(
                                    FILE,
                                    &tl,
                                    format!("placeholder '{{{p}}}' not allowed here"),
                                ));
                            } else if is_fallible(p) {
                                fallible = true;
                            }
                        }
                    }
                }
                if t.chars()
                    .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
                {
                    problems.push(problem(
                        FILE,
                        &tl,
                        "digits in a template: numbers must come from the knowledge base (use a placeholder)",
                    ));
                }
            }
        }
        fallible
    }
}

/// Placeholders that need something in context (a product, a slot, a FAQ hit).
pub fn is_fallible(p: &str) -> bool {
    !matches!(
        p,
        "company" | "hours" | "company_phone" | "company_email" | "product_list" | "ask_quantity"
    )
}
