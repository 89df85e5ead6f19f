//! A message as the API shows it (turn responses, lists, SSE): the stored message, and for a
//! bot message the product cards of the products it cites ([`crate::cards`]).

use std::sync::Arc;

use serde::Serialize;
use tuoke_core::Analysis;
use tuoke_store::{LlmMark, Message, MessageRole};
use utoipa::ToSchema;

use crate::bus;
use crate::cards::{Card, Cards};
use crate::views::time::ts;

/// A message as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct MessageOut<'a> {
    id: &'a str,
    conversation_id: &'a str,
    seq: i64,
    role: &'static str,
    text: &'a str,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    analysis: Option<&'a Analysis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    citations: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    agent: Option<&'a String>,
    /// A bot message: what became of the LLM's rewording (`{"status": "used"}`,
    /// `{"status": "rejected", "reason": "invented_number"}`, `timed_out`, `failed`); absent
    /// when no LLM was asked. Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    llm: Option<&'a LlmMark>,
    /// Product cards of the products a bot message cites ([`crate::cards`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    cards: Vec<&'a Card>,
}

impl<'a> MessageOut<'a> {
    pub fn new(m: &'a Message, cards: &'a Cards) -> Self {
        MessageOut {
            id: &m.id,
            conversation_id: &m.conversation_id,
            seq: m.seq,
            role: m.role.as_str(),
            text: &m.text,
            created_at: ts(m.created_at),
            analysis: m.analysis.as_ref(),
            citations: m.citations.as_ref(),
            agent: m.agent.as_ref(),
            llm: m.llm.as_ref(),
            cards: match (&m.role, &m.citations) {
                (MessageRole::Bot, Some(c)) => cards.for_citations(c),
                _ => Vec::new(),
            },
        }
    }
}

impl MessageOut<'_> {
    /// The message as its customer sees it (no analysis, no LLM mark;
    /// [`crate::views::customer`]).
    pub fn for_customer(mut self) -> Self {
        self.analysis = None;
        self.llm = None;
        self
    }
}

/// A message as a live event body (JSON text).
pub fn message_event(m: &Message, cards: &Cards) -> Arc<str> {
    bus::data(&MessageOut::new(m, cards))
}
