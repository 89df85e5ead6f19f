//! What a conversation commit writes, built once for both engines: the SQL ([`sql`]), the
//! values bound to it ([`Param`], engine-neutral: the SQLite [`writer`](crate::writer) binds them
//! through rusqlite, [`pg_commit`](crate::pg_commit) through sqlx), the [`Job`] a commit becomes
//! and the statements it runs once its version-checked conversation update matched
//! ([`commit_writes`], [`delivery_writes`]).

use std::borrow::Cow;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};

use crate::{
    ContactChange, HandoffChange, Message, NewAudit, NewOutcome, Result, Status, StoreError,
};

/// The SQL of a conversation commit, shared by the SQLite writer (rusqlite) and the PostgreSQL
/// path (sqlx). `$n` placeholders are understood by both engines; SQLite numbers them by first
/// appearance, which here is always in order.
pub(crate) mod sql {
    /// Moves the conversation to its new state if it is still at the expected version and the
    /// client_message_id (NULL never matches) is unused.
    pub const UPDATE_CONVERSATION: &str = "UPDATE conversations SET state = $1, status = $2, stage = $3, \
        version = version + 1, last_seq = $4, updated_at = $5 WHERE id = $6 AND version = $7 \
        AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $6 AND client_message_id = $8)";
    pub const CONVERSATION_VERSION: &str = "SELECT version FROM conversations WHERE id = $1";
    pub const CLIENT_MESSAGE_USED: &str =
        "SELECT seq FROM messages WHERE conversation_id = $1 AND client_message_id = $2";
    pub const INSERT_MESSAGE: &str = "INSERT INTO messages (id, conversation_id, seq, role, text, analysis, \
        citations, agent, intent, sentiment, client_message_id, result, day, created_at, llm) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    /// A customer message and the bot's reply in one statement.
    pub const INSERT_MESSAGE_PAIR: &str = "INSERT INTO messages (id, conversation_id, seq, role, text, analysis, \
        citations, agent, intent, sentiment, client_message_id, result, day, created_at, llm) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15), \
        ($16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)";
    pub const UPDATE_LEAD: &str = "UPDATE leads SET score = $1, grade = $2, evidence = $3, last_activity = $4, \
        last_message = COALESCE($5, last_message) WHERE conversation_id = $6";
    pub const TOUCH_LEAD: &str = "UPDATE leads SET last_activity = $1, last_message = COALESCE($2, last_message) \
        WHERE conversation_id = $3";
    /// A request for a person, unless one is open already (it joins that one). The
    /// version-checked conversation update before it holds the conversation, so no other commit
    /// adds an open handoff in between.
    pub const INSERT_HANDOFF: &str = "INSERT INTO handoffs (id, conversation_id, reason, summary, \
        requested_at) SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS \
        (SELECT 1 FROM handoffs WHERE conversation_id = $2 AND released_at IS NULL)";
    /// Gives the open handoff to an agent and the agent's key (taken when first assigned).
    pub const ASSIGN_HANDOFF: &str = "UPDATE handoffs SET agent = $1, agent_key = $2, \
        taken_at = COALESCE(taken_at, $3) WHERE conversation_id = $4 AND released_at IS NULL";
    pub const RELEASE_HANDOFF: &str =
        "UPDATE handoffs SET released_at = $1 WHERE conversation_id = $2 AND released_at IS NULL";
    /// Contact fields that are still empty get the given ones (`NULL` leaves a field alone).
    pub const FILL_CONTACT: &str = "UPDATE customers SET name = COALESCE(name, $1), \
        phone = COALESCE(phone, $2), email = COALESCE(email, $3), wechat = COALESCE(wechat, $4) \
        WHERE id = (SELECT customer_id FROM conversations WHERE id = $5)";
    /// Contact fields get the given ones (`NULL` leaves a field alone).
    pub const UPDATE_CONTACT: &str = "UPDATE customers SET name = COALESCE($1, name), \
        phone = COALESCE($2, phone), email = COALESCE($3, email), wechat = COALESCE($4, wechat) \
        WHERE id = (SELECT customer_id FROM conversations WHERE id = $5)";
    pub const INSERT_AUDIT: &str = "INSERT INTO audit_events (id, at, actor, action, target, detail) \
        VALUES ($1, $2, $3, $4, $5, $6)";
    /// A conversation's outcome (closing it again replaces it).
    pub const UPSERT_OUTCOME: &str = "INSERT INTO outcomes (conversation_id, outcome, agent, agent_key, \
        note, closed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id) DO UPDATE SET \
        outcome = excluded.outcome, agent = excluded.agent, agent_key = excluded.agent_key, \
        note = excluded.note, closed_at = excluded.closed_at";
    pub const ACTIVE_WEBHOOKS: &str = "SELECT id, events FROM webhooks WHERE active = 1";
    pub const INSERT_DELIVERY: &str = "INSERT INTO webhook_outbox (id, webhook_id, event, payload, attempts, \
        next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 0, $5, $5)";
}

/// A value bound to a commit statement, the same for both engines: the SQLite writer binds it
/// through rusqlite, the PostgreSQL path through sqlx (`sqlx_args` in
/// [`pg_commit`](crate::pg_commit)). NULLs keep their type (PostgreSQL checks parameter types).
/// Text borrows from the job where it can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param<'a> {
    Text(Option<Cow<'a, str>>),
    Int(Option<i64>),
}

impl<'a> Param<'a> {
    fn text(s: &'a str) -> Self {
        Param::Text(Some(Cow::Borrowed(s)))
    }
    fn opt(s: Option<&'a str>) -> Self {
        Param::Text(s.map(Cow::Borrowed))
    }
    fn owned(s: Option<String>) -> Self {
        Param::Text(s.map(Cow::Owned))
    }
    fn int(i: i64) -> Self {
        Param::Int(Some(i))
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Int(Some(i)) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Param::Text(None) | Param::Int(None) => ToSqlOutput::Owned(SqlValue::Null),
        })
    }
}

/// One statement of a commit with its values.
#[derive(Debug)]
pub(crate) struct Stmt<'a> {
    pub sql: &'static str,
    pub params: Vec<Param<'a>>,
}

/// The 8 values of [`sql::UPDATE_CONVERSATION`] for `job`.
pub(crate) fn conversation_update(job: &Job) -> Vec<Param<'_>> {
    vec![
        Param::text(&job.state),
        Param::text(job.status.as_str()),
        Param::text(&job.stage),
        Param::int(job.last_seq),
        Param::int(job.now),
        Param::text(&job.conversation_id),
        Param::int(job.expected_version),
        Param::opt(job.client_message_id.as_deref()),
    ]
}

/// The `sentiment` column value of a message's analysis.
fn sentiment_str(a: &tuoke_core::Analysis) -> &'static str {
    match a.sentiment.label {
        tuoke_core::SentimentLabel::Positive => "positive",
        tuoke_core::SentimentLabel::Neutral => "neutral",
        tuoke_core::SentimentLabel::Negative => "negative",
    }
}

/// The 15 column values of one message row, in [`sql::INSERT_MESSAGE`] order.
pub(crate) fn message_params<'a>(
    m: &'a Message,
    cmid: Option<&'a str>,
    result: Option<&'a str>,
) -> [Param<'a>; 15] {
    [
        Param::text(&m.id),
        Param::text(&m.conversation_id),
        Param::int(m.seq),
        Param::text(m.role.as_str()),
        Param::text(&m.text),
        Param::owned(m.analysis.as_ref().map(crate::to_json)),
        Param::owned(m.citations.as_ref().map(crate::to_json)),
        Param::opt(m.agent.as_deref()),
        Param::opt(m.analysis.as_ref().map(|a| a.intent.label.as_str())),
        Param::opt(m.analysis.as_ref().map(sentiment_str)),
        Param::opt(cmid),
        Param::opt(result),
        Param::owned(Some(crate::day_of(m.created_at))),
        Param::int(m.created_at),
        Param::owned(m.llm.as_ref().map(crate::LlmMark::to_db)),
    ]
}

/// What a commit writes once its version-checked conversation update matched: the messages
/// (the first one carries the client_message_id and the stored result), the lead, the
/// customer's contact details, the handoff, a close's outcome and the audit entry, in that order. Webhook outbox
/// rows need the subscriptions and come from [`delivery_writes`].
pub(crate) fn commit_writes(job: &Job) -> Vec<Stmt<'_>> {
    let mut out = message_writes(job);
    let conv = Param::text(&job.conversation_id);
    let last_message = Param::opt(job.messages.last().map(|m| m.text.as_str()));
    if let Some(lead) = &job.lead {
        out.push(Stmt {
            sql: sql::UPDATE_LEAD,
            params: vec![
                Param::int(lead.score),
                Param::text(&lead.grade),
                Param::text(&lead.evidence),
                Param::int(job.now),
                last_message,
                conv.clone(),
            ],
        });
    } else if !job.messages.is_empty() {
        out.push(Stmt {
            sql: sql::TOUCH_LEAD,
            params: vec![Param::int(job.now), last_message, conv.clone()],
        });
    }
    if let Some(contact) = &job.contact {
        let (sql, c) = match contact {
            ContactChange::Fill(c) => (sql::FILL_CONTACT, c),
            ContactChange::Update(c) => (sql::UPDATE_CONTACT, c),
        };
        out.push(Stmt {
            sql,
            params: vec![
                Param::opt(c.name.as_deref()),
                Param::opt(c.phone.as_deref()),
                Param::opt(c.email.as_deref()),
                Param::opt(c.wechat.as_deref()),
                conv.clone(),
            ],
        });
    }
    if let Some(h) = &job.handoff {
        out.extend(handoff_writes(job, h));
    }
    if let Some(o) = &job.outcome {
        out.push(Stmt {
            sql: sql::UPSERT_OUTCOME,
            params: vec![
                conv.clone(),
                Param::text(&o.outcome),
                Param::opt(o.agent.as_deref()),
                Param::text(&o.agent_key),
                Param::opt(o.note.as_deref()),
                Param::int(o.closed_at),
            ],
        });
    }
    if let Some(a) = &job.audit {
        out.push(audit_write(
            a.actor.as_deref(),
            &a.action,
            Some(&job.conversation_id),
            &a.detail,
            job.now,
        ));
    }
    out
}

/// The message rows of `job`: a customer message and its reply in one statement.
fn message_writes(job: &Job) -> Vec<Stmt<'_>> {
    let (cmid, res) = (job.client_message_id.as_deref(), job.result.as_deref());
    match job.messages.as_slice() {
        [] => Vec::new(),
        [a, b] => {
            let mut params = Vec::with_capacity(30);
            params.extend(message_params(a, cmid, res));
            params.extend(message_params(b, None, None));
            vec![Stmt {
                sql: sql::INSERT_MESSAGE_PAIR,
                params,
            }]
        }
        [first, rest @ ..] => std::iter::once(Stmt {
            sql: sql::INSERT_MESSAGE,
            params: message_params(first, cmid, res).into(),
        })
        .chain(rest.iter().map(|m| Stmt {
            sql: sql::INSERT_MESSAGE,
            params: message_params(m, None, None).into(),
        }))
        .collect(),
    }
}

/// The handoff rows a commit changes.
fn handoff_writes<'a>(job: &'a Job, h: &'a HandoffChange) -> Vec<Stmt<'a>> {
    let conv = Param::text(&job.conversation_id);
    let request = |reason: &'a str, summary: &serde_json::Value| Stmt {
        sql: sql::INSERT_HANDOFF,
        params: vec![
            Param::owned(Some(crate::new_id())),
            conv.clone(),
            Param::text(reason),
            Param::owned(Some(crate::to_json(summary))),
            Param::int(job.now),
        ],
    };
    match h {
        HandoffChange::Requested { reason, summary } => vec![request(reason, summary)],
        HandoffChange::TakenOver {
            reason,
            summary,
            agent,
            key_id,
        } => vec![
            request(reason, summary),
            Stmt {
                sql: sql::ASSIGN_HANDOFF,
                params: vec![
                    Param::text(agent),
                    Param::text(key_id),
                    Param::int(job.now),
                    conv.clone(),
                ],
            },
        ],
        HandoffChange::Released => vec![Stmt {
            sql: sql::RELEASE_HANDOFF,
            params: vec![Param::int(job.now), conv.clone()],
        }],
    }
}

/// An audit row ([`sql::INSERT_AUDIT`]); `detail` must not contain PII.
pub(crate) fn audit_write<'a>(
    actor: Option<&'a str>,
    action: &'a str,
    target: Option<&'a str>,
    detail: &serde_json::Value,
    now: i64,
) -> Stmt<'a> {
    Stmt {
        sql: sql::INSERT_AUDIT,
        params: vec![
            Param::owned(Some(crate::new_id())),
            Param::int(now),
            Param::opt(actor),
            Param::text(action),
            Param::opt(target),
            Param::owned(Some(crate::to_json(detail))),
        ],
    }
}

/// The webhook outbox rows for `job`'s events and the active subscriptions `subs`.
pub(crate) fn delivery_writes<'a>(job: &'a Job, subs: &'a [(String, String)]) -> Vec<Stmt<'a>> {
    deliveries(subs, &job.events)
        .into_iter()
        .map(|(wid, event, payload)| Stmt {
            sql: sql::INSERT_DELIVERY,
            params: vec![
                Param::owned(Some(crate::new_id())),
                Param::text(wid),
                Param::text(event),
                Param::owned(Some(payload)),
                Param::int(job.now),
            ],
        })
        .collect()
}

/// The outbox rows `(webhook id, event, payload JSON)` for `events` and the active
/// subscriptions `subs` (`(id, events JSON list)`; `*` subscribes to everything).
pub(crate) fn deliveries<'a>(
    subs: &'a [(String, String)],
    events: &'a [(String, serde_json::Value)],
) -> Vec<(&'a str, &'a str, String)> {
    let mut out = Vec::new();
    for (event, payload) in events {
        for (wid, wanted) in subs {
            let wanted: Vec<String> = serde_json::from_str(wanted).unwrap_or_default();
            if wanted.iter().any(|w| w == event || w == "*") {
                out.push((wid.as_str(), event.as_str(), crate::to_json(payload)));
            }
        }
    }
    out
}

/// Lead columns of a commit, with the evidence already serialized.
#[derive(Debug)]
pub(crate) struct JobLead {
    pub score: i64,
    pub grade: String,
    pub evidence: String,
}

/// One conversation commit, ready to write (sequence numbers assigned, JSON serialized).
#[derive(Debug)]
pub(crate) struct Job {
    pub conversation_id: String,
    pub expected_version: i64,
    /// `last_seq` after this commit.
    pub last_seq: i64,
    pub state: String,
    pub status: Status,
    pub stage: String,
    pub messages: Vec<Message>,
    pub client_message_id: Option<String>,
    pub result: Option<String>,
    pub lead: Option<JobLead>,
    pub handoff: Option<HandoffChange>,
    pub events: Vec<(String, serde_json::Value)>,
    pub contact: Option<ContactChange>,
    pub audit: Option<NewAudit>,
    pub outcome: Option<NewOutcome>,
    pub now: i64,
}

/// How a job ended when it did not fail with a database error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Done,
    Conflict,
    NotFound,
    Duplicate,
}

impl Outcome {
    /// `done` if the job was applied, else the error its caller sees.
    pub(crate) fn result<T>(self, done: T) -> Result<T> {
        match self {
            Outcome::Done => Ok(done),
            Outcome::Conflict => Err(StoreError::Conflict),
            Outcome::NotFound => Err(StoreError::NotFound("conversation")),
            Outcome::Duplicate => Err(StoreError::Duplicate),
        }
    }
}
