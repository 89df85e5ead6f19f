//! A conversation as the API shows it: the conversation JSON (`GET /v1/conversations/{id}`,
//! lists, change responses), the state of a turn response (everything but `history`), the lead
//! columns and the handoff label shared by the widget and the dashboard.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tuoke_dialogue::{ConversationState, Lead};
use tuoke_store::{Conversation, LeadRow, Status};
use utoipa::ToSchema;

use crate::cache::Loaded;
use crate::views::customer::CustomerState;
use crate::views::message::MessageOut;
use crate::views::time::ts;

/// The conversation state as a turn response shows it: everything but `history` (the
/// conversation's messages, which the messages endpoints list). Keeps a turn's response and its
/// stored idempotency copy at ~4 KB instead of ~18 KB. `GET /v1/conversations/{id}` has the
/// whole state.
#[derive(Serialize)]
pub struct StateOut<'a> {
    schema_version: u32,
    stage: &'a str,
    node: &'a str,
    slots: &'a BTreeMap<String, Value>,
    handed_off: bool,
    closed: bool,
    variety: &'a tuoke_dialogue::Variety,
    turn: usize,
    counters: &'a tuoke_dialogue::Counters,
    lead: &'a Lead,
    sentiment_trend: &'a [f32],
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff_reason: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a String>,
    /// `bot`, `requested` (a person was asked for; the bot keeps answering) or `taken_over`.
    handoff: tuoke_dialogue::HandoffState,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff_requested_at: Option<DateTime<Utc>>,
    started_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'a> From<&'a ConversationState> for StateOut<'a> {
    fn from(s: &'a ConversationState) -> Self {
        // Destructured so a new state field is a compile error here until it is shown or left out.
        let ConversationState {
            schema_version,
            stage,
            node,
            slots,
            handed_off,
            closed,
            variety,
            turn,
            history: _,
            counters,
            lead,
            sentiment_trend,
            handoff_reason,
            agent,
            handoff_requested_at,
            handoff_wait_told: _,
            lang: _,
            last_question: _,
            started_at,
            updated_at,
        } = s;
        StateOut {
            schema_version: *schema_version,
            stage,
            node,
            slots,
            handed_off: *handed_off,
            closed: *closed,
            variety,
            turn: *turn,
            counters,
            lead,
            sentiment_trend,
            handoff_reason: handoff_reason.as_ref(),
            agent: agent.as_ref(),
            handoff: s.handoff_state(),
            handoff_requested_at: *handoff_requested_at,
            started_at: *started_at,
            updated_at: *updated_at,
        }
    }
}

/// [`handoff_of`] for a state held parsed.
pub fn handoff_label(s: &ConversationState) -> &'static str {
    match s.handoff_state() {
        tuoke_dialogue::HandoffState::Bot => "bot",
        tuoke_dialogue::HandoffState::Requested => "requested",
        tuoke_dialogue::HandoffState::TakenOver => "taken_over",
    }
}

/// `bot`, `requested` (a person was asked for and the bot keeps answering) or `taken_over`, read
/// off the stored status and state so the widget and dashboard show the same thing.
pub fn handoff_of(c: &Conversation) -> &'static str {
    handoff_by(c.status, !c.state["handoff_requested_at"].is_null())
}

fn handoff_by(status: Status, requested: bool) -> &'static str {
    if status == Status::HandedOff {
        "taken_over"
    } else if status == Status::Bot && requested {
        "requested"
    } else {
        "bot"
    }
}

/// A row of the leads list (`GET /v1/leads`).
#[derive(Serialize, ToSchema)]
pub struct LeadRowOut<'a> {
    pub conversation_id: &'a str,
    pub customer_id: &'a str,
    pub score: i64,
    pub grade: &'a str,
    pub stage: &'a str,
    pub status: &'static str,
    #[schema(value_type = Object)]
    pub evidence: &'a Value,
    pub last_activity: String,
    pub last_message: Option<&'a str>,
}

impl<'a> From<&'a LeadRow> for LeadRowOut<'a> {
    fn from(l: &'a LeadRow) -> Self {
        LeadRowOut {
            conversation_id: &l.conversation_id,
            customer_id: &l.customer_id,
            score: l.score,
            grade: &l.grade,
            stage: &l.stage,
            status: l.status.as_str(),
            evidence: &l.evidence,
            last_activity: ts(l.last_activity),
            last_message: l.last_message.as_deref(),
        }
    }
}

/// The stored status a state stands for.
pub fn status_of(s: &ConversationState) -> Status {
    if s.closed {
        Status::Closed
    } else if s.handed_off {
        Status::HandedOff
    } else {
        Status::Bot
    }
}

/// A conversation as the API shows it (`GET /v1/conversations/{id}`, lists, the conversation of
/// a change's response). Staff see the whole state and the lead; a widget key the customer's
/// view ([`ConversationOut::for_customer`]: no lead, [`CustomerState`]).
#[derive(Serialize, ToSchema)]
pub struct ConversationOut<'a> {
    pub id: &'a str,
    pub customer_id: &'a str,
    pub channel: &'a str,
    /// `bot`, `handed_off` or `closed`.
    pub status: &'static str,
    /// `bot`, `requested` or `taken_over`.
    pub handoff: &'static str,
    pub stage: &'a str,
    /// The conversation state (a widget key: the customer's part of it).
    #[schema(value_type = Object)]
    pub state: StateView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `{score, grade, evidence}` (staff only).
    #[schema(value_type = Option<Object>)]
    pub lead: Option<LeadView<'a>>,
    pub version: i64,
    pub last_seq: i64,
    pub created_at: String,
    pub updated_at: String,
    /// `POST /v1/conversations`: the greeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageOut<'a>>>,
    /// Suggested next questions ([`crate::views::chat`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quick_replies: Option<Vec<String>>,
    /// A widget key's conversation token (`X-Conversation-Token`) and its lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expires_in: Option<u64>,
}

/// The state of a [`ConversationOut`]: as stored, as held parsed, or the customer's view.
#[derive(Serialize)]
#[serde(untagged)]
pub enum StateView<'a> {
    Stored(&'a Value),
    Parsed(&'a ConversationState),
    Customer(CustomerState<'a>),
}

/// The lead of a [`ConversationOut`]: `{score, grade, evidence}`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum LeadView<'a> {
    Stored {
        score: &'a Value,
        grade: &'a Value,
        evidence: &'a Value,
    },
    Parsed(&'a Lead),
}

static NO_EVIDENCE: Value = Value::Array(Vec::new());

impl<'a> ConversationOut<'a> {
    fn new(c: &'a Conversation, state: StateView<'a>, lead: Option<LeadView<'a>>) -> Self {
        ConversationOut {
            id: &c.id,
            customer_id: &c.customer_id,
            channel: &c.channel,
            status: c.status.as_str(),
            handoff: handoff_of(c),
            stage: &c.stage,
            state,
            lead,
            version: c.version,
            last_seq: c.last_seq,
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
            messages: None,
            quick_replies: None,
            token: None,
            token_expires_in: None,
        }
    }

    /// A stored conversation row as staff see it.
    pub fn stored(c: &'a Conversation) -> Self {
        let l = &c.state["lead"];
        let lead = LeadView::Stored {
            score: &l["score"],
            grade: &l["grade"],
            evidence: l.get("evidence").unwrap_or(&NO_EVIDENCE),
        };
        Self::new(c, StateView::Stored(&c.state), Some(lead))
    }

    /// A conversation whose state is held parsed (after a change), as staff see it.
    pub fn loaded(l: &'a Loaded) -> Self {
        let mut v = Self::new(
            &l.conv,
            StateView::Parsed(&l.state),
            Some(LeadView::Parsed(&l.state.lead)),
        );
        v.handoff = handoff_by(l.conv.status, l.state.handoff_requested_at.is_some());
        v
    }

    /// The conversation as its customer sees it: no lead, the customer's state.
    pub fn for_customer(c: &'a Conversation, s: &'a ConversationState) -> Self {
        Self::new(c, StateView::Customer(CustomerState::from(s)), None)
    }
}
