//! Conversation stories (the `tuoke test` format) and the checks run on every turn.
//!
//! A story file (`<company>/stories/*.yaml`) holds `stories:`; each story has an `id`, the
//! customer's `variety` (cmn | yue | en), an optional `triple` id (the same story told in the three
//! varieties must end with the same grade and a score within 5 points) and `steps`:
//! `customer: TEXT` with an optional `expect:`, `wait: 15m`, `agent: take_over | release`,
//! `agent: {say: TEXT}`. Format reference: `companies/demo/stories/README.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tuoke_dialogue::{Company, ConversationState, TurnOutput, Variety};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryFile {
    pub stories: Vec<Story>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Story {
    pub id: String,
    pub variety: String,
    /// Who the customer is and what they want (for people reading the file).
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
    #[serde(default)]
    pub triple: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Step {
    Customer {
        customer: String,
        #[serde(default)]
        expect: Box<Expect>,
    },
    Wait {
        wait: String,
    },
    Agent {
        agent: AgentStep,
    },
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AgentStep {
    /// `take_over` or `release`.
    Act(String),
    Say {
        say: String,
    },
}

/// What one turn must show; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub contains_all: Vec<String>,
    #[serde(default)]
    pub contains_any: Vec<String>,
    #[serde(default)]
    pub not_contains: Vec<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub slots: Vec<String>,
    #[serde(default)]
    pub slot_values: BTreeMap<String, String>,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub no_actions: Vec<String>,
    #[serde(default)]
    pub grade: Option<String>,
    #[serde(default)]
    pub silent: Option<bool>,
    #[serde(default)]
    pub variety: Option<String>,
}

/// `15m`, `2h`, `30s` → seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    match unit.trim() {
        "s" => Some(n),
        "m" | "min" => Some(n * 60),
        "h" => Some(n * 3600),
        "d" => Some(n * 86_400),
        _ => None,
    }
}

/// Text folded for comparisons: NFKC, lower case, Traditional → Simplified, whitespace collapsed,
/// thousands separators between digits dropped.
pub struct Folder(tuoke_nlu::Normalizer);

impl Folder {
    pub fn new() -> Folder {
        Folder(tuoke_nlu::Normalizer::new())
    }
    pub fn fold(&self, s: &str) -> String {
        let n = self.0.normalize(s);
        let chars: Vec<char> = n.chars().collect();
        let mut out = String::with_capacity(n.len());
        for (i, &c) in chars.iter().enumerate() {
            let digit = |j: Option<usize>| {
                j.and_then(|j| chars.get(j))
                    .is_some_and(char::is_ascii_digit)
            };
            if c == ',' && digit(i.checked_sub(1)) && digit(Some(i + 1)) {
                continue;
            }
            out.push(c);
        }
        out
    }
}

/// Numbers in a text ("2,499" → "2499", "3.5" → "3.5").
fn numbers(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty() && next_digit) {
            cur.push(c);
        } else if c == ',' && !cur.is_empty() && next_digit {
        } else if !cur.is_empty() {
            out.insert(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.insert(cur);
    }
    out
}

fn action_type(a: &tuoke_dialogue::Action) -> &'static str {
    use tuoke_dialogue::Action::*;
    match a {
        Handoff { .. } => "handoff",
        LeadGradeChanged { .. } => "lead_grade_changed",
        StageChanged { .. } => "stage_changed",
        SlotFilled { .. } => "slot_filled",
        ScheduleFollowUp { .. } => "schedule_follow_up",
        Close { .. } => "close",
    }
}

/// Is a reply written in the variety? (The grounding checker of `tuoke-llm` runs the same check
/// on every LLM rewording.)
pub use tuoke_llm::grounding::variety_problem;

/// Everything a turn's check needs.
pub struct TurnCheck<'a> {
    pub company: &'a Company,
    pub folder: &'a Folder,
    pub before: &'a ConversationState,
    pub customer: &'a str,
    /// Every customer message so far (numbers they said may be repeated).
    pub customer_text: &'a str,
    pub out: &'a TurnOutput,
    pub expect: &'a Expect,
    pub variety: Variety,
}

/// The failures of one turn (empty: it passed).
pub fn check_turn(c: &TurnCheck<'_>) -> Vec<String> {
    let mut fails = Vec::new();
    let e = c.expect;
    let reply = c.out.reply.as_ref().map(|r| r.text.as_str()).unwrap_or("");
    let folded = c.folder.fold(reply);
    let silent_expected = e.silent == Some(true);
    if silent_expected {
        if !reply.is_empty() {
            fails.push("expected silence (an agent holds it), got a reply".into());
        }
    } else if reply.is_empty() && !c.out.state.handed_off {
        fails.push("no reply although no agent has taken over".into());
    }
    for s in &e.contains_all {
        if !folded.contains(&c.folder.fold(s)) {
            fails.push(format!("missing {s:?}"));
        }
    }
    if !e.contains_any.is_empty()
        && !e
            .contains_any
            .iter()
            .any(|s| folded.contains(&c.folder.fold(s)))
    {
        fails.push(format!("none of {:?}", e.contains_any));
    }
    for s in &e.not_contains {
        if folded.contains(&c.folder.fold(s)) {
            fails.push(format!("must not say {s:?}"));
        }
    }
    if let Some(st) = &e.stage
        && &c.out.state.stage != st
    {
        fails.push(format!("stage {} (expected {st})", c.out.state.stage));
    }
    for s in &e.slots {
        let set = if s == "contact" {
            ["phone", "email", "wechat"]
                .iter()
                .any(|k| c.out.state.slots.contains_key(*k))
        } else {
            c.out.state.slots.get(s).is_some_and(|v| !v.is_null())
        };
        if !set {
            fails.push(format!("slot {s} not filled"));
        }
    }
    for (k, want) in &e.slot_values {
        let got = c.out.state.slots.get(k).and_then(Value::as_str);
        if got != Some(want.as_str()) {
            fails.push(format!("slot {k} = {got:?} (expected {want})"));
        }
    }
    let kinds: BTreeSet<&str> = c.out.actions.iter().map(action_type).collect();
    for a in &e.actions {
        if !kinds.contains(a.as_str()) {
            fails.push(format!("action {a} missing"));
        }
    }
    for a in &e.no_actions {
        if kinds.contains(a.as_str()) {
            fails.push(format!("unexpected action {a}"));
        }
    }
    if let Some(g) = &e.grade
        && c.out.state.lead.grade.as_str() != g
    {
        fails.push(format!(
            "grade {} ({}) expected {g}",
            c.out.state.lead.grade, c.out.state.lead.score
        ));
    }
    if !reply.is_empty() {
        fails.extend(variety_problem(reply, c.variety));
        fails.extend(invented_numbers(c, reply));
        if let Some(r) = &c.out.reply
            && is_not_understood(c.company, reply)
            && tuoke_dialogue::answer::retrieve(
                c.company,
                c.before,
                tuoke_dialogue::answer::Ask {
                    text: c.customer,
                    intent: None,
                    turn_named: &[],
                },
                false,
            )
            .is_some()
        {
            fails.push(format!(
                "\"didn't understand\" (node {}) for a question the KB answers",
                r.node
            ));
        }
    }
    fails
}

/// The playbook's "sorry, I didn't understand" texts.
fn is_not_understood(company: &Company, reply: &str) -> bool {
    let pb = company.playbook();
    let mut texts: Vec<String> = Vec::new();
    if let Some(s) = &pb.sorry {
        texts.extend(s.values().flat_map(|v| v.as_slice().to_vec()));
    }
    if let Some(n) = pb.node(&pb.fallback) {
        texts.extend(n.reply.values().flat_map(|v| v.as_slice().to_vec()));
    }
    texts
        .iter()
        .any(|t| !t.is_empty() && reply.contains(t.as_str()))
}

/// Numbers in the reply that neither a cited KB entry nor the customer stated.
fn invented_numbers(c: &TurnCheck<'_>, reply: &str) -> Option<String> {
    let mut allowed = numbers(c.customer_text);
    if let Some(r) = &c.out.reply {
        for cite in &r.citations {
            if let Some(t) = c.company.entry_text(cite) {
                allowed.extend(numbers(&t));
            }
        }
    }
    for k in ["callback_time", "timeline"] {
        if let Some(t) = c
            .out
            .state
            .slots
            .get(k)
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        {
            allowed.extend(numbers(&t.format("%m %d %H %M %-m %-d %-H").to_string()));
        }
    }
    let bad: Vec<String> = numbers(reply)
        .into_iter()
        .filter(|n| !allowed.contains(n))
        .collect();
    (!bad.is_empty()).then(|| {
        format!(
            "numbers stated by neither the KB nor the customer: {}",
            bad.join(", ")
        )
    })
}

/// One turn's result in the report.
#[derive(Debug, Serialize)]
pub struct TurnResult {
    pub customer: String,
    pub reply: String,
    pub node: String,
    pub stage: String,
    pub grade: String,
    pub score: u8,
    pub failures: Vec<String>,
    /// For a failing turn: how each question was looked up in the KB (clause, intent, query
    /// tokens → best passages with scores), so a playbook author sees why a fact was missed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retrieval: Vec<String>,
}

/// One story's result.
#[derive(Debug, Serialize)]
pub struct StoryResult {
    pub id: String,
    pub file: String,
    pub variety: String,
    pub triple: Option<String>,
    pub turns: Vec<TurnResult>,
    pub final_grade: String,
    pub final_score: u8,
    /// The grading signals that fired, as `signal@turn` (what the score is made of).
    pub final_evidence: Vec<String>,
    pub error: Option<String>,
}

impl StoryResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.turns.iter().all(|t| t.failures.is_empty())
    }
}
