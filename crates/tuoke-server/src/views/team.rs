//! What the sales team's endpoints answer: notes, outcomes, who holds a conversation, the
//! workspace around a transcript, and the bodies of take-over, release, close, agent messages,
//! read marks and stream tokens.

use serde::Serialize;
use serde_json::Value;
use tuoke_dialogue::Variety;
use tuoke_store::{Handoff, Note, Outcome, Owner};
use utoipa::ToSchema;

use crate::views::contact::ContactOut;
use crate::views::conversation::ConversationOut;
use crate::views::message::MessageOut;
use crate::views::time::ts;

/// A private note.
#[derive(Serialize, ToSchema)]
pub struct NoteOut<'a> {
    pub id: &'a str,
    pub author: &'a str,
    pub text: &'a str,
    pub created_at: String,
}

impl<'a> From<&'a Note> for NoteOut<'a> {
    fn from(n: &'a Note) -> Self {
        NoteOut {
            id: &n.id,
            author: &n.author,
            text: &n.text,
            created_at: ts(n.created_at),
        }
    }
}

/// The outcome a conversation was closed with.
#[derive(Serialize, ToSchema)]
pub struct OutcomeOut<'a> {
    pub outcome: &'a str,
    pub agent: Option<&'a str>,
    pub note: Option<&'a str>,
    pub closed_at: String,
}

impl<'a> From<&'a Outcome> for OutcomeOut<'a> {
    fn from(o: &'a Outcome) -> Self {
        OutcomeOut {
            outcome: &o.outcome,
            agent: o.agent.as_deref(),
            note: o.note.as_deref(),
            closed_at: ts(o.closed_at),
        }
    }
}

/// Who holds a conversation; `mine` when it is the caller's key (or no key is recorded).
#[derive(Serialize, ToSchema)]
pub struct OwnerOut<'a> {
    pub agent: Option<&'a str>,
    pub mine: bool,
}

impl<'a> OwnerOut<'a> {
    pub fn of(o: &'a Owner, key_id: &str) -> Self {
        OwnerOut {
            agent: o.agent.as_deref(),
            mine: o.key_id.as_deref() == Some(key_id) || o.key_id.is_none(),
        }
    }
}

/// The open handoff of a conversation, as the workspace shows it.
#[derive(Serialize)]
pub struct HandoffRowOut<'a> {
    pub reason: &'a str,
    pub agent: Option<&'a str>,
    pub requested_at: String,
    pub taken_at: Option<String>,
}

impl<'a> From<&'a Handoff> for HandoffRowOut<'a> {
    fn from(h: &'a Handoff) -> Self {
        HandoffRowOut {
            reason: &h.reason,
            agent: h.agent.as_deref(),
            requested_at: ts(h.requested_at),
            taken_at: h.taken_at.map(ts),
        }
    }
}

/// `GET /v1/conversations/{id}/workspace`.
#[derive(Serialize)]
pub struct WorkspaceOut<'a> {
    pub conversation_id: &'a str,
    /// Contact details as the caller may see them.
    pub customer: Option<ContactOut<'a>>,
    pub channel: &'a str,
    pub variety: Variety,
    pub owner: Option<OwnerOut<'a>>,
    pub notes: Vec<NoteOut<'a>>,
    pub outcome: Option<OutcomeOut<'a>>,
    pub handoff: Option<HandoffRowOut<'a>>,
    pub summary: Value,
}

/// The handoff of a take-over's response.
#[derive(Serialize)]
pub struct TakenOut<'a> {
    pub reason: &'a str,
    pub agent: &'a str,
    pub summary: Value,
}

/// `POST /v1/conversations/{id}/takeover`.
#[derive(Serialize)]
pub struct TakeoverOut<'a> {
    pub handoff: TakenOut<'a>,
    pub conversation: ConversationOut<'a>,
    pub owner: OwnerOut<'a>,
}

/// `POST /v1/conversations/{id}/close`.
#[derive(Serialize)]
pub struct CloseOut<'a> {
    pub conversation: ConversationOut<'a>,
    pub outcome: OutcomeOut<'a>,
}

/// `{conversation}`: the answer of a release.
#[derive(Serialize)]
pub struct ConversationBody<'a> {
    pub conversation: ConversationOut<'a>,
}

/// `{message}`: the answer of an agent message.
#[derive(Serialize)]
pub struct MessageBody<'a> {
    pub message: Option<MessageOut<'a>>,
}

/// `{note}`: the answer of a new note.
#[derive(Serialize, ToSchema)]
pub struct NoteBody<'a> {
    pub note: NoteOut<'a>,
}

/// `{seq}`: the caller's read mark.
#[derive(Serialize, ToSchema)]
pub struct ReadOut {
    pub seq: i64,
}

/// `{token, expires_in}`: a stream token.
#[derive(Serialize, ToSchema)]
pub struct StreamTokenOut {
    pub token: String,
    pub expires_in: i64,
}
