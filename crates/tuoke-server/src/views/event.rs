//! The bodies of the live events a change publishes ([`crate::service::publish`]); `message`
//! events carry the message view ([`crate::views::message`]).

use serde::Serialize;
use tuoke_dialogue::{Evidence, Grade, HandoffSummary};

use crate::views::team::NoteOut;

/// `lead`: the conversation's lead changed.
#[derive(Serialize)]
pub struct LeadEvent<'a> {
    pub conversation_id: &'a str,
    pub score: u8,
    pub grade: Grade,
    pub evidence: &'a [Evidence],
}

/// `handoff`: the customer asked for a person (staff are notified).
#[derive(Serialize)]
pub struct HandoffEvent<'a> {
    pub conversation_id: &'a str,
    pub reason: &'a str,
    pub summary: &'a HandoffSummary,
}

/// `conversation`: the conversation was created, or its status, stage, handoff state or agent
/// changed.
#[derive(Serialize)]
pub struct ConversationEvent<'a> {
    pub conversation_id: &'a str,
    pub status: &'static str,
    pub stage: &'a str,
    /// `bot`, `requested` or `taken_over`.
    pub handoff: &'static str,
    /// Who holds it (the name given at take-over), `null` otherwise.
    pub agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_stage: Option<&'a str>,
    /// Set on the event of a conversation just opened.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub created: bool,
}

/// `callback`: the customer left a call-back request (its details are on the conversation).
#[derive(Serialize)]
pub struct CallbackEvent<'a> {
    pub conversation_id: &'a str,
}

/// `note`: a private note was added (staff streams only).
#[derive(Serialize)]
pub struct NoteEvent<'a> {
    pub conversation_id: &'a str,
    pub note: &'a NoteOut<'a>,
}
