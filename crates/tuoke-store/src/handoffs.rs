//! Handoffs to a human agent: the open one of a conversation and taking it. (A handoff is
//! requested and released as part of a [`Store::commit`].)

use crate::{Handoff, Result, Store, from_json, now_ms};

impl Store {
    pub async fn open_handoff(&self, conversation_id: &str) -> Result<Option<Handoff>> {
        let r: Option<(
            String,
            String,
            String,
            String,
            Option<String>,
            i64,
            Option<i64>,
        )> = read!(self, p => {
            sqlx::query_as("SELECT id, conversation_id, reason, summary, agent, requested_at, taken_at FROM handoffs WHERE conversation_id = $1 AND released_at IS NULL ORDER BY requested_at DESC LIMIT 1")
                .bind(conversation_id).fetch_optional(p).await?
        });
        match r {
            None => Ok(None),
            Some((id, conversation_id, reason, summary, agent, requested_at, taken_at)) => {
                Ok(Some(Handoff {
                    id,
                    conversation_id,
                    reason,
                    summary: from_json("handoff summary", &summary)?,
                    agent,
                    requested_at,
                    taken_at,
                }))
            }
        }
    }

    /// Marks the open handoff of a conversation as taken by `agent`.
    pub async fn take_handoff(&self, conversation_id: &str, agent: &str) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE handoffs SET agent = $1, taken_at = $2 WHERE conversation_id = $3 AND released_at IS NULL AND taken_at IS NULL")
                .bind(agent).bind(now_ms()).bind(conversation_id).execute(p).await?;
        });
        Ok(())
    }
}
