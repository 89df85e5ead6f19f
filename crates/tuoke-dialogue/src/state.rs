//! Conversation state and the engine's outputs. Everything here is plain serde data: the caller
//! stores [`ConversationState`] as JSON and hands it back on the next turn.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tuoke_core::{EntityType, SentimentLabel};

use crate::text::Variety;

/// Version of the [`ConversationState`] JSON layout. Bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// How many history records a state keeps (older ones are dropped; the lead evidence keeps
/// the turn numbers, and the store keeps every message). 20 records are the last ~10 exchanges:
/// enough for the engine and the handoff summary, and the state — stored and rewritten on every
/// turn — stays near 8 KB instead of 15 KB.
pub const HISTORY_LIMIT: usize = 20;

/// Who said something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Bot,
    Agent,
}

/// What the engine keeps of one customer turn's analysis (compact: no explanation, no top-k).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnAnalysis {
    pub intent: String,
    pub confidence: f32,
    pub sentiment: SentimentLabel,
    pub sentiment_score: f32,
    pub variety: Variety,
    #[serde(default)]
    pub entities: Vec<(EntityType, String)>,
}

/// One message of the conversation as the engine remembers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    /// Customer turn number this record belongs to (1-based; 0 = the greeting).
    pub turn: usize,
    pub role: Role,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<TurnAnalysis>,
    /// Playbook node that produced a bot message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub at: DateTime<Utc>,
}

/// Counters the policy uses for retries and fallbacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Fallbacks in a row (reset by any understood turn).
    pub consecutive_fallbacks: u32,
    pub total_fallbacks: u32,
    /// Re-prompts at the current node.
    pub retries: u32,
    /// How often each node has been visited (chooses the reply variant).
    pub node_visits: BTreeMap<String, u32>,
    /// How often each grading signal has fired.
    pub signals: BTreeMap<String, u32>,
}

/// Lead grade.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Grade {
    A,
    B,
    C,
    #[default]
    D,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }
    pub fn parse(s: &str) -> Option<Grade> {
        match s {
            "A" => Some(Grade::A),
            "B" => Some(Grade::B),
            "C" => Some(Grade::C),
            "D" => Some(Grade::D),
            _ => None,
        }
    }
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the score moved: which customer turn, which signal of `grading.yaml`, how many points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub turn: usize,
    pub signal: String,
    pub points: i32,
    /// Human-readable reason (never contains the customer's phone/e-mail).
    pub detail: String,
}

/// The lead: score 0–100, grade, and the evidence that explains the score
/// (`score = clamp(base + Σ points, 0, 100)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Lead {
    pub score: u8,
    pub grade: Grade,
    pub evidence: Vec<Evidence>,
}

/// Where the conversation stands with people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffState {
    /// The bot talks; nobody was asked for.
    Bot,
    /// A person was asked for (staff notified); the bot keeps answering until an agent takes over.
    Requested,
    /// An agent holds the conversation; the bot is silent.
    TakenOver,
}

/// The reply-variety decision's memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangState {
    /// The customer asked for this variety explicitly ("English please", "讲普通话啦").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub explicit: bool,
    /// A variety other than the current one that the last turns clearly pointed to, and how many
    /// turns in a row did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Variety>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pending_turns: u8,
    /// Set once a customer turn has given any signal at all (the first signal decides at once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub settled: bool,
    /// The Chinese script the customer writes in, once a turn showed it (see [`crate::script`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<crate::script::Script>,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// The whole state of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationState {
    pub schema_version: u32,
    /// Current stage id of the playbook.
    pub stage: String,
    /// Current node id of the playbook (its transitions apply to the next customer turn).
    pub node: String,
    /// Slots: `product` (product id), `products_mentioned` (ids in order), `compared` (ids), `quantity` (number),
    /// `budget` ({amount, currency}), `timeline` (RFC 3339), `callback_time` (RFC 3339),
    /// `phone`, `email`, `wechat`, `competitor` (competitor id), `decision_maker` (bool) …
    pub slots: BTreeMap<String, Value>,
    /// An agent has taken the conversation over: the bot is silent until it is released.
    pub handed_off: bool,
    pub closed: bool,
    /// The conversation's reply variety: a conversation-level decision with hysteresis
    /// ([`lang`](crate::lang)); one ambiguous turn never flips it.
    pub variety: Variety,
    /// Number of customer turns so far.
    pub turn: usize,
    pub history: Vec<TurnRecord>,
    pub counters: Counters,
    pub lead: Lead,
    /// Sentiment polarity of the last customer turns (newest last, at most 10).
    pub sentiment_trend: Vec<f32>,
    /// Why a person was asked for (set while a handoff is requested or an agent holds the talk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_reason: Option<String>,
    /// The agent holding the conversation (set only by a take-over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// A person was asked for and no agent has taken over yet: the bot keeps answering.
    /// `handed_off` is the other state: an agent holds the conversation and the bot is silent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_requested_at: Option<DateTime<Utc>>,
    /// The customer has been told that nobody came within the company's waiting time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handoff_wait_told: bool,
    /// Reply-variety bookkeeping (hysteresis; see [`lang`](crate::lang)).
    #[serde(default)]
    pub lang: LangState,
    /// The last question clause the customer asked, as matched (normalized, product names
    /// left out): "咁 R8 呢？" on the next turn asks it again about the R8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_question: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ConversationState {
    /// Where the conversation stands with people.
    pub fn handoff_state(&self) -> HandoffState {
        if self.handed_off {
            HandoffState::TakenOver
        } else if self.handoff_requested_at.is_some() {
            HandoffState::Requested
        } else {
            HandoffState::Bot
        }
    }

    /// The product currently in context.
    pub fn product(&self) -> Option<&str> {
        self.slots.get("product").and_then(Value::as_str)
    }

    /// The products being compared (two or three), until the customer names one.
    pub fn compared(&self) -> Vec<String> {
        list_slot(&self.slots, "compared")
    }

    /// The products mentioned so far, in order of first mention.
    pub fn products_mentioned(&self) -> Vec<String> {
        list_slot(&self.slots, "products_mentioned")
    }

    /// Add products to those mentioned (each once, after the earlier ones).
    pub fn mention_products<I: IntoIterator<Item = String>>(&mut self, ids: I) {
        let mut mentioned = self.products_mentioned();
        let before = mentioned.len();
        for id in ids {
            if !mentioned.contains(&id) {
                mentioned.push(id);
            }
        }
        if mentioned.len() > before {
            self.slots.insert(
                "products_mentioned".into(),
                Value::Array(mentioned.into_iter().map(Value::String).collect()),
            );
        }
    }

    /// Text of the last customer turns (newest last), at most `n`.
    pub fn last_turns(&self, n: usize) -> Vec<TurnRecord> {
        let start = self.history.len().saturating_sub(n);
        self.history
            .get(start..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }
}

/// The bot's reply to a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    /// Knowledge-base entry ids the reply quotes: `product:<id>`, `faq:<id>`, `competitor:<id>`, `company`.
    pub citations: Vec<String>,
    /// Playbook node that produced the reply.
    pub node: String,
}

/// What a salesperson sees when a conversation is handed to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffSummary {
    pub reason: String,
    pub stage: String,
    /// Short description of what the customer wants (intents and products seen).
    pub needs: Vec<String>,
    pub slots: BTreeMap<String, Value>,
    pub score: u8,
    pub grade: Grade,
    pub evidence: Vec<Evidence>,
    /// Mean sentiment polarity of the last customer turns.
    pub sentiment: f32,
    pub last_turns: Vec<TurnRecord>,
}

/// Side effects the caller carries out (store, notify, schedule). Serialized with a `type` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// A person is asked for: notify staff. The bot keeps answering until an agent takes over.
    Handoff {
        reason: String,
        summary: Box<HandoffSummary>,
    },
    LeadGradeChanged {
        from: Option<Grade>,
        to: Grade,
        score: u8,
    },
    StageChanged {
        from: String,
        to: String,
    },
    SlotFilled {
        name: String,
        value: Value,
    },
    ScheduleFollowUp {
        at: DateTime<Utc>,
    },
    Close {
        reason: String,
    },
}

/// Result of one engine call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnOutput {
    pub state: ConversationState,
    /// `None` only while an agent holds the conversation (or for take-over / release calls).
    pub reply: Option<Reply>,
    pub actions: Vec<Action>,
    pub lead: Lead,
}

/// A string list slot (`products_mentioned`, `compared`, `household`, `concerns`).
pub fn list_slot(slots: &BTreeMap<String, Value>, name: &str) -> Vec<String> {
    slots
        .get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
