//! The sales team's workspace (issue 15): the inbox (waiting / mine / all with unread counts),
//! who holds a taken-over conversation, private notes, outcomes of closed conversations, search
//! over customer fields and every message, and the raw numbers of the funnel.

use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::{LeadRow, Result, Status, Store, from_json, new_id, now_ms};

/// Who holds a taken-over conversation: the name shown and the API key that took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub agent: Option<String>,
    pub key_id: Option<String>,
}

/// A private note of the sales team on a conversation (never shown to the customer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: String,
    pub conversation_id: String,
    pub author: String,
    pub text: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// How a closed conversation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub conversation_id: String,
    /// `won`, `lost` or `follow_up`.
    pub outcome: String,
    pub agent: Option<String>,
    pub note: Option<String>,
    pub closed_at: i64,
}

/// Which inbox tab a listing is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InboxTab {
    /// Every conversation.
    #[default]
    All,
    /// A person was asked for and nobody took over yet; oldest first.
    Waiting,
    /// Taken over with the caller's key.
    Mine,
}

/// Filters of the inbox / leads listing; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// The caller's API key id: its read marks give `unread`, and `Mine` means held with it.
    pub key_id: String,
    pub tab: InboxTab,
    /// Words searched in the customer's name, phone, e-mail, WeChat and every message.
    pub q: Option<String>,
    pub grade: Option<String>,
    pub stage: Option<String>,
    pub status: Option<Status>,
    pub channel: Option<String>,
    pub min_score: Option<i64>,
    /// Only conversations created at or after this time (Unix ms).
    pub from: Option<i64>,
    /// Only conversations created before this time (Unix ms).
    pub to: Option<i64>,
    pub limit: i64,
}

/// One row of the inbox: the lead, its conversation and customer, who holds it and what is new.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    pub lead: LeadRow,
    pub channel: String,
    /// The conversation state (JSON) for variety, products and the handoff reason.
    pub state: serde_json::Value,
    pub created_at: i64,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub customer_email: Option<String>,
    pub customer_wechat: Option<String>,
    pub owner: Option<Owner>,
    /// When the open request for a person was made (waiting conversations only).
    pub waiting_since: Option<i64>,
    /// Customer messages after the caller's read mark.
    pub unread: i64,
    pub outcome: Option<String>,
}

/// Size and unread conversations of one inbox tab.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TabCount {
    pub total: i64,
    /// Conversations in the tab with a customer message the caller has not read.
    pub unread: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InboxCounts {
    pub waiting: TabCount,
    pub mine: TabCount,
    pub all: TabCount,
}

/// One handoff as the funnel counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoffTiming {
    pub requested_at: i64,
    pub taken_at: Option<i64>,
    pub agent: Option<String>,
}

/// What the funnel is computed from, for conversations created in a date range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FunnelData {
    /// Conversations created in the range by their current stage.
    pub stages: Vec<(String, i64)>,
    /// Outcomes recorded in the range: `(outcome, agent, n)`.
    pub outcomes: Vec<(String, Option<String>, i64)>,
    /// Handoffs requested in the range.
    pub handoffs: Vec<HandoffTiming>,
}

/// `%text%` for LIKE, lower-case, with `\` escaping LIKE's wildcards.
fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The digits of a search that looks like (part of) a phone number: 4 or more digits and
/// nothing but phone punctuation.
fn phone_digits(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let phoneish = s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    (phoneish && digits.len() >= 4).then_some(digits)
}

/// The open handoff's agent / key / requested / taken columns for conversation `c`.
const OPEN_HANDOFF: &str = "FROM handoffs h WHERE h.conversation_id = c.id AND h.released_at IS NULL \
     ORDER BY h.requested_at DESC LIMIT 1";

fn inbox_sql(f: &InboxFilter, args: &mut Vec<String>) -> String {
    args.push(f.key_id.clone());
    let mut sql = format!(
        "SELECT l.conversation_id, l.customer_id, l.score, l.grade, l.evidence, c.stage, c.status, \
         l.last_activity, l.last_message, c.channel, c.state, c.created_at, \
         cu.name AS cu_name, cu.phone AS cu_phone, cu.email AS cu_email, cu.wechat AS cu_wechat, \
         (SELECT h.agent {OPEN_HANDOFF}) AS owner_name, \
         (SELECT h.agent_key {OPEN_HANDOFF}) AS owner_key, \
         (SELECT h.taken_at {OPEN_HANDOFF}) AS taken_at, \
         (SELECT h.requested_at {OPEN_HANDOFF}) AS requested_at, \
         (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer' \
            AND m.seq > COALESCE((SELECT r.seq FROM read_marks r WHERE r.key_id = $1 \
            AND r.conversation_id = c.id), 0)) AS unread, \
         o.outcome AS outcome \
         FROM leads l JOIN conversations c ON c.id = l.conversation_id \
         JOIN customers cu ON cu.id = c.customer_id \
         LEFT JOIN outcomes o ON o.conversation_id = c.id WHERE 1 = 1"
    );
    let bind = |v: String, args: &mut Vec<String>| {
        args.push(v);
        format!("${}", args.len())
    };
    match f.tab {
        InboxTab::All => {}
        InboxTab::Waiting => sql.push_str(
            " AND c.status = 'bot' AND EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id \
             AND h.released_at IS NULL AND h.taken_at IS NULL)",
        ),
        InboxTab::Mine => sql.push_str(
            " AND c.status = 'handed_off' AND EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id \
             AND h.released_at IS NULL AND h.agent_key = $1)",
        ),
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let p = bind(like_pattern(q), args);
        let mut cond = format!(
            "LOWER(COALESCE(cu.name, '')) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(cu.phone, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(COALESCE(cu.email, '')) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(cu.wechat, '')) LIKE {p} ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND LOWER(m.text) LIKE {p} ESCAPE '\\')"
        );
        if let Some(d) = phone_digits(q) {
            let pd = bind(format!("%{d}%"), args);
            cond.push_str(&format!(
                " OR REPLACE(REPLACE(REPLACE(REPLACE(COALESCE(cu.phone, ''), ' ', ''), '-', ''), '+', ''), '.', '') LIKE {pd}"
            ));
        }
        sql.push_str(&format!(" AND ({cond})"));
    }
    if let Some(g) = &f.grade {
        let p = bind(g.clone(), args);
        sql.push_str(&format!(" AND l.grade = {p}"));
    }
    if let Some(s) = &f.stage {
        let p = bind(s.clone(), args);
        sql.push_str(&format!(" AND c.stage = {p}"));
    }
    if let Some(s) = f.status {
        let p = bind(s.as_str().to_string(), args);
        sql.push_str(&format!(" AND c.status = {p}"));
    }
    if let Some(ch) = &f.channel {
        let p = bind(ch.clone(), args);
        sql.push_str(&format!(" AND c.channel = {p}"));
    }
    // Numbers are formatted by Rust, never taken from text: safe to inline.
    if let Some(m) = f.min_score {
        sql.push_str(&format!(" AND l.score >= {m}"));
    }
    if let Some(t) = f.from {
        sql.push_str(&format!(" AND c.created_at >= {t}"));
    }
    if let Some(t) = f.to {
        sql.push_str(&format!(" AND c.created_at < {t}"));
    }
    sql.push_str(match f.tab {
        InboxTab::Waiting => " ORDER BY requested_at ASC, c.id",
        _ => " ORDER BY l.last_activity DESC, c.id",
    });
    sql.push_str(&format!(" LIMIT {}", f.limit.clamp(1, 5000)));
    sql
}

macro_rules! inbox_row {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<InboxRow> {
            let evidence: String = r.try_get("evidence")?;
            let status: String = r.try_get("status")?;
            let state: String = r.try_get("state")?;
            let owner_key: Option<String> = r.try_get("owner_key")?;
            let owner_name: Option<String> = r.try_get("owner_name")?;
            let taken_at: Option<i64> = r.try_get("taken_at")?;
            let requested_at: Option<i64> = r.try_get("requested_at")?;
            let status = Status::parse(&status).unwrap_or(Status::Bot);
            let held = status == Status::HandedOff && taken_at.is_some();
            Ok(InboxRow {
                lead: LeadRow {
                    conversation_id: r.try_get("conversation_id")?,
                    customer_id: r.try_get("customer_id")?,
                    score: r.try_get("score")?,
                    grade: r.try_get("grade")?,
                    evidence: from_json("lead evidence", &evidence)?,
                    stage: r.try_get("stage")?,
                    status,
                    last_activity: r.try_get("last_activity")?,
                    last_message: r.try_get("last_message")?,
                },
                channel: r.try_get("channel")?,
                state: from_json("conversation state", &state)?,
                created_at: r.try_get("created_at")?,
                customer_name: r.try_get("cu_name")?,
                customer_phone: r.try_get("cu_phone")?,
                customer_email: r.try_get("cu_email")?,
                customer_wechat: r.try_get("cu_wechat")?,
                owner: held.then_some(Owner {
                    agent: owner_name,
                    key_id: owner_key,
                }),
                waiting_since: (status == Status::Bot && taken_at.is_none())
                    .then_some(requested_at)
                    .flatten(),
                unread: r.try_get("unread")?,
                outcome: r.try_get("outcome")?,
            })
        })()
    }};
}

impl Store {
    /// Who holds the conversation (an open, taken handoff), if anyone.
    pub async fn handoff_owner(&self, conversation_id: &str) -> Result<Option<Owner>> {
        let r: Option<(Option<String>, Option<String>)> = write!(self, p => {
            sqlx::query_as("SELECT agent, agent_key FROM handoffs WHERE conversation_id = $1 AND released_at IS NULL \
                            AND taken_at IS NOT NULL ORDER BY requested_at DESC LIMIT 1")
                .bind(conversation_id).fetch_optional(p).await?
        });
        Ok(r.map(|(agent, key_id)| Owner { agent, key_id }))
    }

    pub async fn add_note(
        &self,
        conversation_id: &str,
        author: &str,
        author_key: &str,
        text: &str,
    ) -> Result<Note> {
        let n = Note {
            id: new_id(),
            conversation_id: conversation_id.to_string(),
            author: author.to_string(),
            text: text.to_string(),
            created_at: now_ms(),
        };
        write!(self, p => {
            sqlx::query("INSERT INTO notes (id, conversation_id, author, author_key, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&n.id).bind(&n.conversation_id).bind(&n.author).bind(author_key).bind(&n.text).bind(n.created_at)
                .execute(p).await?;
        });
        Ok(n)
    }

    /// The notes of a conversation, oldest first.
    pub async fn list_notes(&self, conversation_id: &str) -> Result<Vec<Note>> {
        let rows: Vec<(String, String, String, String, i64)> = read!(self, p => {
            sqlx::query_as("SELECT id, conversation_id, author, text, created_at FROM notes WHERE conversation_id = $1 ORDER BY created_at, id")
                .bind(conversation_id).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, conversation_id, author, text, created_at)| Note {
                id,
                conversation_id,
                author,
                text,
                created_at,
            })
            .collect())
    }

    pub async fn get_outcome(&self, conversation_id: &str) -> Result<Option<Outcome>> {
        let r: Option<(String, String, Option<String>, Option<String>, i64)> = read!(self, p => {
            sqlx::query_as("SELECT conversation_id, outcome, agent, note, closed_at FROM outcomes WHERE conversation_id = $1")
                .bind(conversation_id).fetch_optional(p).await?
        });
        Ok(r.map(
            |(conversation_id, outcome, agent, note, closed_at)| Outcome {
                conversation_id,
                outcome,
                agent,
                note,
                closed_at,
            },
        ))
    }

    /// The caller (`key_id`) has read the conversation up to message `seq` (marks never go back).
    pub async fn mark_read(&self, key_id: &str, conversation_id: &str, seq: i64) -> Result<()> {
        write!(self, p => {
            sqlx::query("INSERT INTO read_marks (key_id, conversation_id, seq) VALUES ($1, $2, $3) \
                         ON CONFLICT (key_id, conversation_id) DO UPDATE SET seq = \
                         CASE WHEN excluded.seq > read_marks.seq THEN excluded.seq ELSE read_marks.seq END")
                .bind(key_id).bind(conversation_id).bind(seq).execute(p).await?;
        });
        Ok(())
    }

    /// The inbox / leads listing: leads with their customer, holder, waiting time and unread count.
    pub async fn inbox(&self, f: &InboxFilter) -> Result<Vec<InboxRow>> {
        let mut args = Vec::new();
        let sql = inbox_sql(f, &mut args);
        let rows = read!(self, p => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in &args { q = q.bind(a.clone()); }
            q.fetch_all(p).await?.into_iter().map(|r| inbox_row!(r)).collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// How many conversations each inbox tab holds and how many of them have unread messages.
    pub async fn inbox_counts(&self, key_id: &str) -> Result<InboxCounts> {
        let rows: Vec<(String, i64, i64, i64)> = read!(self, p => {
            sqlx::query_as("SELECT c.status, \
                 (SELECT COUNT(*) FROM handoffs h WHERE h.conversation_id = c.id AND h.released_at IS NULL AND h.taken_at IS NULL), \
                 (SELECT COUNT(*) FROM handoffs h WHERE h.conversation_id = c.id AND h.released_at IS NULL AND h.agent_key = $1), \
                 (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer' \
                    AND m.seq > COALESCE((SELECT r.seq FROM read_marks r WHERE r.key_id = $1 AND r.conversation_id = c.id), 0)) \
                 FROM conversations c")
                .bind(key_id).fetch_all(p).await?
        });
        let mut c = InboxCounts::default();
        for (status, open_untaken, held_by_me, unread) in rows {
            let add = |t: &mut TabCount| {
                t.total += 1;
                t.unread += i64::from(unread > 0);
            };
            add(&mut c.all);
            if status == "bot" && open_untaken > 0 {
                add(&mut c.waiting);
            }
            if status == "handed_off" && held_by_me > 0 {
                add(&mut c.mine);
            }
        }
        Ok(c)
    }

    /// The raw numbers of the funnel for conversations created in `[from, to)` (Unix ms).
    pub async fn funnel_data(&self, from: i64, to: i64) -> Result<FunnelData> {
        let d = read!(self, p => {
            let stages: Vec<(String, i64)> = sqlx::query_as("SELECT stage, COUNT(*) FROM conversations WHERE created_at >= $1 AND created_at < $2 GROUP BY stage ORDER BY stage")
                .bind(from).bind(to).fetch_all(p).await?;
            let outcomes: Vec<(String, Option<String>, i64)> = sqlx::query_as("SELECT o.outcome, o.agent, COUNT(*) FROM outcomes o JOIN conversations c ON c.id = o.conversation_id \
                 WHERE c.created_at >= $1 AND c.created_at < $2 GROUP BY o.outcome, o.agent ORDER BY o.outcome, o.agent")
                .bind(from).bind(to).fetch_all(p).await?;
            let handoffs: Vec<(i64, Option<i64>, Option<String>)> = sqlx::query_as("SELECT h.requested_at, h.taken_at, h.agent FROM handoffs h JOIN conversations c ON c.id = h.conversation_id \
                 WHERE c.created_at >= $1 AND c.created_at < $2 ORDER BY h.requested_at")
                .bind(from).bind(to).fetch_all(p).await?;
            FunnelData {
                stages,
                outcomes,
                handoffs: handoffs.into_iter().map(|(requested_at, taken_at, agent)| HandoffTiming { requested_at, taken_at, agent }).collect(),
            }
        });
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::{like_pattern, phone_digits};

    #[test]
    fn search_patterns() {
        assert_eq!(like_pattern("Ab%_"), "%ab\\%\\_%");
        assert_eq!(phone_digits("138 0013"), Some("1380013".into()));
        assert_eq!(phone_digits("静音"), None);
        assert_eq!(phone_digits("123"), None);
    }
}
