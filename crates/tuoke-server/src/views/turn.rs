//! The body of a customer turn's response, serialized once: stored with the customer message
//! for idempotent resends and sent. Staff keys get everything; a widget key the customer's view
//! ([`crate::views::customer`]).

use serde::Serialize;
use tuoke_core::Analysis;
use tuoke_dialogue::{Action, Lead, TurnOutput};
use tuoke_store::Message;

use crate::state::AppState;
use crate::views::chat::quick_replies;
use crate::views::conversation::{StateOut, status_of};
use crate::views::customer::CustomerState;
use crate::views::message::MessageOut;

#[derive(Serialize)]
struct ReplyOut<'a> {
    text: &'a str,
    citations: &'a [String],
    node: &'a str,
}

#[derive(Serialize)]
struct ConversationBrief<'a> {
    status: &'static str,
    stage: &'a str,
}

/// The body of a customer turn's response (and its stored idempotency copy).
#[derive(Serialize)]
struct TurnOut<'a> {
    message: Option<MessageOut<'a>>,
    reply_message: Option<MessageOut<'a>>,
    reply: Option<ReplyOut<'a>>,
    actions: &'a [Action],
    analysis: &'a Analysis,
    state: StateOut<'a>,
    lead: &'a Lead,
    conversation: ConversationBrief<'a>,
    /// Suggested next questions for the conversation's node or stage ([`crate::views::chat`]).
    quick_replies: Vec<String>,
}

/// A customer turn's response for a widget key: the customer's view ([`crate::views::customer`]).
#[derive(Serialize)]
struct CustomerTurnOut<'a> {
    message: Option<MessageOut<'a>>,
    reply_message: Option<MessageOut<'a>>,
    reply: Option<CustomerReplyOut<'a>>,
    state: CustomerState<'a>,
    conversation: ConversationBrief<'a>,
    quick_replies: Vec<String>,
}

#[derive(Serialize)]
struct CustomerReplyOut<'a> {
    text: &'a str,
    citations: &'a [String],
}

/// The response body of a customer turn as JSON text (serialized once, stored and sent);
/// `customer`: the customer's view (a widget key's turn).
pub fn turn_body(
    st: &AppState,
    msgs: &[Message],
    out: &TurnOutput,
    analysis: &Analysis,
    customer: bool,
) -> String {
    let brief = ConversationBrief {
        status: status_of(&out.state).as_str(),
        stage: &out.state.stage,
    };
    if customer {
        let body = CustomerTurnOut {
            message: msgs
                .first()
                .map(|m| MessageOut::new(m, &st.cards).for_customer()),
            reply_message: msgs
                .get(1)
                .map(|m| MessageOut::new(m, &st.cards).for_customer()),
            reply: out.reply.as_ref().map(|r| CustomerReplyOut {
                text: &r.text,
                citations: &r.citations,
            }),
            state: CustomerState::from(&out.state),
            conversation: brief,
            quick_replies: quick_replies(st, &out.state),
        };
        return serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
    }
    let body = TurnOut {
        message: msgs.first().map(|m| MessageOut::new(m, &st.cards)),
        reply_message: msgs.get(1).map(|m| MessageOut::new(m, &st.cards)),
        reply: out.reply.as_ref().map(|r| ReplyOut {
            text: &r.text,
            citations: &r.citations,
            node: &r.node,
        }),
        actions: &out.actions,
        analysis,
        state: StateOut::from(&out.state),
        lead: &out.lead,
        conversation: brief,
        quick_replies: quick_replies(st, &out.state),
    };
    // Our own plain types always serialize.
    serde_json::to_string(&body).unwrap_or_else(|_| "{}".into())
}
