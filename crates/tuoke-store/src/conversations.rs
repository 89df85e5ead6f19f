//! Conversations and their messages: creating a conversation with its customer, greeting and
//! lead row; reading and listing them; the stored result of a turn; and [`Store::commit`], the
//! one way a conversation changes afterwards (SQLite through [`writer`](crate::writer),
//! PostgreSQL through [`pg_commit`](crate::pg_commit); what it writes is in
//! [`writes`](crate::writes)).

use sqlx::Row;

use crate::pg_commit::{apply_pg, apply_pg_turn, is_plain_turn, stmt_query};
use crate::{
    Commit, Committed, Conversation, CreatedConversation, Db, LlmMark, Message, MessageRole,
    NewConversation, Result, Status, Store, StoreError, day_of, from_json, is_unique_violation,
    new_id, to_json, writes,
};

/// The columns `conversation_from_row!` reads, in its order: one list for every query that uses it.
macro_rules! conversation_select {
    () => {
        "SELECT id, customer_id, channel, status, stage, state, version, last_seq, created_by_key, created_at, updated_at FROM conversations"
    };
}

macro_rules! conversation_from_row {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<Conversation> {
            let status: String = r.try_get("status")?;
            let state: String = r.try_get("state")?;
            Ok(Conversation {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                channel: r.try_get("channel")?,
                status: Status::parse(&status).unwrap_or(Status::Bot),
                stage: r.try_get("stage")?,
                state: from_json("conversation state", &state)?,
                version: r.try_get("version")?,
                last_seq: r.try_get("last_seq")?,
                created_by_key: r.try_get("created_by_key")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })()
    }};
}

macro_rules! message_from_row {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<Message> {
            let role: String = r.try_get("role")?;
            let analysis: Option<String> = r.try_get("analysis")?;
            let citations: Option<String> = r.try_get("citations")?;
            Ok(Message {
                id: r.try_get("id")?,
                conversation_id: r.try_get("conversation_id")?,
                seq: r.try_get("seq")?,
                role: MessageRole::parse(&role).unwrap_or(MessageRole::Bot),
                text: r.try_get("text")?,
                analysis: analysis
                    .map(|a| from_json("message analysis", &a))
                    .transpose()?,
                citations: citations
                    .map(|c| from_json("message citations", &c))
                    .transpose()?,
                agent: r.try_get("agent")?,
                llm: r
                    .try_get::<Option<String>, _>("llm")?
                    .as_deref()
                    .and_then(LlmMark::parse),
                created_at: r.try_get("created_at")?,
            })
        })()
    }};
}

impl Store {
    /// Creates a customer (unless `customer_id` names an existing one), a conversation, its first
    /// messages (the greeting) and its lead row, in one transaction.
    pub async fn create_conversation(&self, new: NewConversation) -> Result<CreatedConversation> {
        let now = new.now;
        let day = day_of(now);
        let conv_id = new_id();
        let customer_id = new_id();
        let n_msgs = new.messages.len() as i64;
        let mut messages = Vec::with_capacity(new.messages.len());
        for (i, m) in new.messages.into_iter().enumerate() {
            messages.push(m.into_message(&conv_id, i as i64 + 1, now));
        }
        let last_message = messages.last().map(|m| m.text.clone());
        write!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO customers (id, name, phone, email, wechat, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&customer_id).bind(&new.customer.name).bind(&new.customer.phone)
                .bind(&new.customer.email).bind(&new.customer.wechat).bind(now)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO conversations (id, customer_id, channel, status, stage, state, version, last_seq, created_by_key, day, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $10)")
                .bind(&conv_id).bind(&customer_id).bind(&new.channel).bind(new.status.as_str()).bind(&new.stage)
                .bind(to_json(&new.state)).bind(n_msgs).bind(&new.created_by_key).bind(&day).bind(now)
                .execute(&mut *tx).await?;
            for m in &messages {
                let insert = writes::Stmt {
                    sql: writes::sql::INSERT_MESSAGE,
                    params: writes::message_params(m, None, None).into(),
                };
                stmt_query(&insert)?.execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO leads (conversation_id, customer_id, score, grade, evidence, last_activity, last_message) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&conv_id).bind(&customer_id).bind(new.lead.score).bind(&new.lead.grade)
                .bind(to_json(&new.lead.evidence)).bind(now).bind(&last_message)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(CreatedConversation {
            conversation: Conversation {
                id: conv_id,
                customer_id,
                channel: new.channel,
                status: new.status,
                stage: new.stage,
                state: new.state,
                version: 1,
                last_seq: n_msgs,
                created_by_key: new.created_by_key,
                created_at: now,
                updated_at: now,
            },
            messages,
        })
    }

    pub async fn get_conversation(&self, id: &str) -> Result<Option<Conversation>> {
        let row = read!(self, p => {
            sqlx::query(concat!(conversation_select!(), " WHERE id = $1"))
                .bind(id).fetch_optional(p).await?.map(|r| conversation_from_row!(r)).transpose()?
        });
        Ok(row)
    }

    /// Like [`get_conversation`](Self::get_conversation) but reads from the primary (the writer
    /// connection on SQLite), so a retry after a conflict sees the latest version.
    pub async fn get_conversation_fresh(&self, id: &str) -> Result<Option<Conversation>> {
        let row = write!(self, p => {
            sqlx::query(concat!(conversation_select!(), " WHERE id = $1"))
                .bind(id).fetch_optional(p).await?.map(|r| conversation_from_row!(r)).transpose()?
        });
        Ok(row)
    }

    pub async fn list_conversations(
        &self,
        status: Option<Status>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Conversation>> {
        let limit = limit.clamp(1, 500);
        let offset = offset.max(0);
        let rows = read!(self, p => {
            let q = match status {
                Some(s) => sqlx::query(concat!(conversation_select!(), " WHERE status = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3")).bind(s.as_str()),
                None => sqlx::query(concat!(conversation_select!(), " WHERE $1 = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3")).bind(""),
            };
            q.bind(limit).bind(offset).fetch_all(p).await?.into_iter().map(|r| conversation_from_row!(r)).collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// Messages with `seq > after`, in order.
    pub async fn list_messages(
        &self,
        conversation_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let limit = limit.clamp(1, 10_000);
        let rows = read!(self, p => {
            sqlx::query("SELECT id, conversation_id, seq, role, text, analysis, citations, agent, llm, created_at FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                .bind(conversation_id).bind(after).bind(limit).fetch_all(p).await?
                .into_iter().map(|r| message_from_row!(r)).collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// The stored result of an earlier turn with this `client_message_id`, if any.
    pub async fn turn_result(
        &self,
        conversation_id: &str,
        client_message_id: &str,
    ) -> Result<Option<serde_json::Value>> {
        // A reader sees every committed turn (WAL), and a turn that commits after this read is
        // still caught by the commit's own check.
        let r: Option<Option<String>> = read!(self, p => {
            sqlx::query_scalar("SELECT result FROM messages WHERE conversation_id = $1 AND client_message_id = $2")
                .bind(conversation_id).bind(client_message_id).fetch_optional(p).await?
        });
        match r {
            Some(Some(s)) => Ok(Some(from_json("turn result", &s)?)),
            _ => Ok(None),
        }
    }

    /// Commits one change to a conversation (a customer turn, an agent message, a takeover, a
    /// release) in one transaction, if the conversation is still at `expected_version`: the
    /// conversation row, its messages, lead, handoff, the customer's contact details, an audit
    /// entry and the webhook outbox rows are all written or none is.
    /// Returns [`StoreError::Conflict`] when another writer got there first (re-read and retry),
    /// [`StoreError::Duplicate`] when `client_message_id` was already used.
    ///
    /// `result` (JSON text, if any) is stored with the first new message so a repeated
    /// `client_message_id` can return it; the closure gets the committed messages (with their
    /// sequence numbers) to build it.
    pub async fn commit(
        &self,
        c: Commit,
        result: impl FnOnce(&[Message]) -> Option<String>,
    ) -> Result<Committed> {
        let now = c.now;
        let n = c.messages.len() as i64;
        let base = c.expected_last_seq;
        let messages: Vec<Message> = c
            .messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| m.into_message(&c.conversation_id, base + i as i64 + 1, now))
            .collect();
        let result_json = result(&messages);
        let job = writes::Job {
            conversation_id: c.conversation_id,
            expected_version: c.expected_version,
            last_seq: base + n,
            state: c.state,
            status: c.status,
            stage: c.stage,
            messages,
            client_message_id: c.client_message_id,
            result: result_json,
            lead: c.lead.map(|l| writes::JobLead {
                score: l.score,
                grade: l.grade,
                evidence: to_json(&l.evidence),
            }),
            handoff: c.handoff,
            events: c.events,
            contact: c.contact,
            audit: c.audit,
            outcome: c.outcome,
            now,
        };
        let messages = match &self.db {
            Db::Sqlite { writer, .. } => writer.commit(job).await?,
            Db::Pg(p) if is_plain_turn(&job) => match apply_pg_turn(p, &job).await {
                Ok(outcome) => outcome.result(job.messages)?,
                Err(e) if is_unique_violation(&e) => return Err(StoreError::Duplicate),
                Err(e) => return Err(e.into()),
            },
            Db::Pg(p) => {
                let mut tx = p.begin().await?;
                let outcome = match apply_pg(&mut tx, &job).await {
                    Ok(o) => o,
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::Duplicate),
                    Err(e) => return Err(e.into()),
                };
                if outcome == writes::Outcome::Done {
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                outcome.result(job.messages)?
            }
        };
        Ok(Committed {
            version: c.expected_version + 1,
            last_seq: base + n,
            messages,
        })
    }

    /// Number of stored messages (all roles); for tests and the crash check.
    pub async fn count_messages(&self) -> Result<i64> {
        Ok(
            read!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(p).await?),
        )
    }

    /// Whether a message with this id exists.
    pub async fn message_exists(&self, id: &str) -> Result<bool> {
        let r: Option<i64> = read!(self, p => sqlx::query_scalar("SELECT seq FROM messages WHERE id = $1").bind(id).fetch_optional(p).await?);
        Ok(r.is_some())
    }
}
