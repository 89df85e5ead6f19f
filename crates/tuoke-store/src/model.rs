//! Rows and inputs of the store. Conversation state and lead evidence are kept as JSON values so
//! the store does not depend on the dialogue engine's types (the server converts).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tuoke_core::Analysis;

/// Role of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Agent,
    Widget,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Widget => "widget",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "agent" => Some(Role::Agent),
            "widget" => Some(Role::Widget),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

/// Who is talking to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Bot,
    HandedOff,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Bot => "bot",
            Status::HandedOff => "handed_off",
            Status::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "bot" => Some(Status::Bot),
            "handed_off" => Some(Status::HandedOff),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    Customer,
    Bot,
    Agent,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::Customer => "customer",
            MessageRole::Bot => "bot",
            MessageRole::Agent => "agent",
        }
    }
    pub fn parse(s: &str) -> Option<MessageRole> {
        match s {
            "customer" => Some(MessageRole::Customer),
            "bot" => Some(MessageRole::Bot),
            "agent" => Some(MessageRole::Agent),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewCustomer {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub created_at: i64,
}

/// What became of an LLM's rewording of a bot message (issue 13), stored in `messages.llm` as
/// `used`, `rejected:<reason>`, `timed_out` or `failed`; NULL (`None`) when no LLM was asked.
/// Only [`LlmMark::Used`] means the stored text is the LLM's (checked) rewording; every other
/// mark means the customer got the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum LlmMark {
    /// The rewording passed the grounding check and is the message's text.
    Used,
    /// The grounding check rejected the rewording, for this reason (`invented_number`, …).
    Rejected(String),
    /// No first token, or no complete answer, in time.
    TimedOut,
    /// The backend failed.
    Failed,
}

impl LlmMark {
    /// The column value.
    pub fn to_db(&self) -> String {
        match self {
            LlmMark::Used => "used".into(),
            LlmMark::Rejected(r) => format!("rejected:{r}"),
            LlmMark::TimedOut => "timed_out".into(),
            LlmMark::Failed => "failed".into(),
        }
    }
    /// A column value; `None` for one this version does not know.
    pub fn parse(s: &str) -> Option<LlmMark> {
        match s {
            "used" => Some(LlmMark::Used),
            "timed_out" => Some(LlmMark::TimedOut),
            "failed" => Some(LlmMark::Failed),
            _ => s
                .strip_prefix("rejected:")
                .map(|r| LlmMark::Rejected(r.to_string())),
        }
    }
}

/// A message to be stored; the store assigns id and seq.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub role: MessageRole,
    pub text: String,
    pub analysis: Option<Analysis>,
    pub citations: Option<Vec<String>>,
    pub agent: Option<String>,
    /// A bot message: what became of the LLM's rewording, if an LLM was asked.
    pub llm: Option<LlmMark>,
}

impl NewMessage {
    pub fn text(role: MessageRole, text: impl Into<String>) -> NewMessage {
        NewMessage {
            role,
            text: text.into(),
            analysis: None,
            citations: None,
            agent: None,
            llm: None,
        }
    }

    pub(crate) fn into_message(self, conversation_id: &str, seq: i64, now: i64) -> Message {
        Message {
            id: crate::new_id(),
            conversation_id: conversation_id.to_string(),
            seq,
            role: self.role,
            text: self.text,
            analysis: self.analysis,
            citations: self.citations,
            agent: self.agent,
            llm: self.llm,
            created_at: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub role: MessageRole,
    pub text: String,
    pub analysis: Option<Analysis>,
    pub citations: Option<Vec<String>>,
    pub agent: Option<String>,
    /// A bot message: what became of the LLM's rewording ([`LlmMark`]); `None` when no LLM was
    /// asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmMark>,
    pub created_at: i64,
}

/// Score, grade and evidence of a conversation's lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadUpdate {
    pub score: i64,
    pub grade: String,
    pub evidence: Value,
}

#[derive(Debug, Clone)]
pub struct NewConversation {
    pub customer: NewCustomer,
    pub channel: String,
    pub status: Status,
    pub stage: String,
    pub state: Value,
    pub created_by_key: Option<String>,
    /// Opening messages (the greeting), stored with seq 1, 2, …
    pub messages: Vec<NewMessage>,
    pub lead: LeadUpdate,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub customer_id: String,
    pub channel: String,
    pub status: Status,
    pub stage: String,
    pub state: Value,
    pub version: i64,
    pub last_seq: i64,
    pub created_by_key: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct CreatedConversation {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

/// Change of the handoff record that goes with a commit.
#[derive(Debug, Clone)]
pub enum HandoffChange {
    /// A person is asked for (the customer, or the engine's rules). Written only when the
    /// conversation has no open handoff: a second request joins the open one.
    Requested { reason: String, summary: Value },
    /// An agent takes the conversation over: the open handoff (a new one with `reason` and
    /// `summary` when none is open) is given to `agent` with API key `key_id`.
    TakenOver {
        reason: String,
        summary: Value,
        agent: String,
        key_id: String,
    },
    /// The agent hands the conversation back to the bot.
    Released,
}

/// Contact details of the conversation's customer that go with a commit.
#[derive(Debug, Clone, PartialEq)]
pub enum ContactChange {
    /// Fills the fields that are still empty with the `Some` ones: details seen in the chat
    /// never replace what the customer gave at creation or in a form.
    Fill(NewCustomer),
    /// Replaces fields with the `Some` ones (a form the customer filled in).
    Update(NewCustomer),
}

/// An audit entry that goes with a commit; its target is the conversation. `detail` must not
/// contain PII.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    pub actor: Option<String>,
    pub action: String,
    pub detail: Value,
}

/// The outcome a conversation is closed with, written with the closing commit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutcome {
    /// `won`, `lost` or `follow_up`.
    pub outcome: String,
    pub agent: Option<String>,
    /// The key of the agent who closed it.
    pub agent_key: String,
    pub note: Option<String>,
    pub closed_at: i64,
}

/// One optimistic-concurrency change of a conversation.
#[derive(Debug, Clone)]
pub struct Commit {
    pub conversation_id: String,
    /// `version` as read; the commit fails with `Conflict` if it moved on.
    pub expected_version: i64,
    /// `last_seq` as read together with `expected_version`.
    pub expected_last_seq: i64,
    /// The new conversation state as JSON text (serialized once by the caller).
    pub state: String,
    pub status: Status,
    pub stage: String,
    pub messages: Vec<NewMessage>,
    pub client_message_id: Option<String>,
    pub lead: Option<LeadUpdate>,
    pub handoff: Option<HandoffChange>,
    /// Webhook events `(name, payload)` to queue for subscribers in the same transaction.
    pub events: Vec<(String, Value)>,
    /// Contact details for the conversation's customer, written in the same transaction.
    pub contact: Option<ContactChange>,
    /// An audit entry about the change (a take-over, a release), in the same transaction.
    pub audit: Option<NewAudit>,
    /// The outcome of a close (the funnel's row), in the same transaction.
    pub outcome: Option<NewOutcome>,
    pub now: i64,
}

#[derive(Debug, Clone)]
pub struct Committed {
    pub version: i64,
    pub last_seq: i64,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadRow {
    pub conversation_id: String,
    pub customer_id: String,
    pub score: i64,
    pub grade: String,
    pub evidence: Value,
    pub stage: String,
    pub status: Status,
    pub last_activity: i64,
    pub last_message: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LeadSort {
    #[default]
    ScoreDesc,
    ScoreAsc,
    ActivityDesc,
}

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub grade: Option<String>,
    pub stage: Option<String>,
    pub status: Option<Status>,
    pub sort: LeadSort,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub id: String,
    pub conversation_id: String,
    pub reason: String,
    pub summary: Value,
    pub agent: Option<String>,
    pub requested_at: i64,
    pub taken_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentDay {
    pub day: String,
    pub positive: i64,
    pub neutral: i64,
    pub negative: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayCount {
    pub day: String,
    pub n: i64,
}

/// Dashboard aggregates (`GET /v1/stats`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub leads_by_grade: BTreeMap<String, i64>,
    pub intents: BTreeMap<String, i64>,
    pub sentiment_by_day: Vec<SentimentDay>,
    pub funnel: BTreeMap<String, i64>,
    pub conversations_per_day: Vec<DayCount>,
    pub conversations_by_status: BTreeMap<String, i64>,
}

impl Stats {
    pub(crate) fn assemble(
        grades: Vec<(String, i64)>,
        intents: Vec<(String, i64)>,
        sentiment: Vec<(String, String, i64)>,
        funnel: Vec<(String, i64)>,
        per_day: Vec<(String, i64)>,
        statuses: Vec<(String, i64)>,
    ) -> Stats {
        let mut leads_by_grade: BTreeMap<String, i64> = ["A", "B", "C", "D"]
            .iter()
            .map(|g| (g.to_string(), 0))
            .collect();
        for (g, n) in grades {
            *leads_by_grade.entry(g).or_default() += n;
        }
        let mut days: BTreeMap<String, SentimentDay> = BTreeMap::new();
        for (day, label, n) in sentiment {
            let e = days.entry(day.clone()).or_insert(SentimentDay {
                day,
                positive: 0,
                neutral: 0,
                negative: 0,
            });
            match label.as_str() {
                "positive" => e.positive += n,
                "negative" => e.negative += n,
                _ => e.neutral += n,
            }
        }
        Stats {
            leads_by_grade,
            intents: intents.into_iter().collect(),
            sentiment_by_day: days.into_values().collect(),
            funnel: funnel.into_iter().collect(),
            conversations_per_day: per_day
                .into_iter()
                .map(|(day, n)| DayCount { day, n })
                .collect(),
            conversations_by_status: statuses.into_iter().collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    #[serde(skip_serializing)]
    pub secret: String,
    pub active: bool,
    pub created_at: i64,
}

/// A claimed outbox row, ready to POST.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub url: String,
    pub secret: String,
    pub event: String,
    /// The JSON body, exactly as it will be signed and sent.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When the event happened (the outbox row was written), Unix ms: the same on every retry.
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub attempts: i64,
    pub delivered_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationExport {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    pub lead: Option<LeadRow>,
    pub handoffs: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerExport {
    pub customer: Customer,
    pub conversations: Vec<ConversationExport>,
}
