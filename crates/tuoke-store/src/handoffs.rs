//! Handoffs to a human agent: the open one of a conversation. (A handoff is requested, taken
//! over and released as part of a [`Store::commit`], see [`HandoffChange`](crate::HandoffChange).)

use crate::{Handoff, Result, Store, from_json};

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
}
