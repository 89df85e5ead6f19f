//! What a public (widget) key is shown (issue 14, item 5): the customer's own view — messages
//! without their analysis, the conversation's status, stage, handoff state, agent name, reply
//! variety and the call-back the customer left; the company's public facts. Never the playbook,
//! competitor talking points, the lead score or its evidence, the handoff summary, private
//! notes, or the engine's counters.

use axum::response::sse::Event;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use tuoke_dialogue::{Company, ConversationState, HandoffState, Variety};

use crate::bus::BusEvent;

/// The conversation state as its customer may see it.
#[derive(Serialize)]
pub struct CustomerState<'a> {
    stage: &'a str,
    variety: &'a Variety,
    handoff: HandoffState,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff_requested_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a String>,
    closed: bool,
    /// Only what the customer gave through the chat's own forms (the call-back request).
    slots: serde_json::Map<String, Value>,
}

impl<'a> From<&'a ConversationState> for CustomerState<'a> {
    fn from(s: &'a ConversationState) -> Self {
        let mut slots = serde_json::Map::new();
        if let Some(cb) = s.slots.get("callback") {
            slots.insert("callback".into(), cb.clone());
        }
        CustomerState {
            stage: &s.stage,
            variety: &s.variety,
            handoff: s.handoff_state(),
            handoff_requested_at: s.handoff_requested_at,
            agent: s.agent.as_ref(),
            closed: s.closed,
            slots,
        }
    }
}

/// A message JSON without what the models made of the customer's text and of the reply (the
/// LLM mark).
pub fn message(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("analysis");
        o.remove("llm");
    }
    v
}

/// A live event of the customer's own conversation stream, or `None` for one that is staff-only
/// (lead changes, notes).
pub fn event(e: &BusEvent) -> Option<Event> {
    let mut ev = Event::default().event(e.kind);
    match e.kind {
        "message" => {
            let v: Value = serde_json::from_str(&e.data).ok()?;
            ev = ev.data(serde_json::to_string(&message(v)).ok()?);
            if let Some(s) = e.seq {
                ev = ev.id(s.to_string());
            }
        }
        "conversation" | "callback" => ev = ev.data(&*e.data),
        // The customer learns that a person was asked for, not the summary written for staff.
        "handoff" => ev = ev.data(json!({"conversation_id": e.conversation_id}).to_string()),
        _ => return None,
    }
    Some(ev)
}

/// The company as a customer may read it: its info, products without the largest discount the
/// sales team may give, and the FAQ.
pub fn company(c: &Company) -> Value {
    let mut products = serde_json::to_value(c.products()).unwrap_or(Value::Null);
    if let Some(ps) = products.as_array_mut() {
        for p in ps {
            if let Some(d) = p.get_mut("discount").and_then(Value::as_object_mut) {
                d.remove("max_pct");
            }
        }
    }
    json!({"company": c.info(), "products": products, "faqs": c.faqs()})
}
