//! The change service: every change of a conversation is planned, committed and announced here.
//! [`mutate`] reads the conversation, plans the change, commits it guarded by the version and
//! re-plans on a conflict; [`publish`] sends the live events of a committed change — the one
//! place that decides which events a change makes.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use tuoke_dialogue::{Action, ConversationState, Lead, TurnOutput};
use tuoke_store::{
    Commit, ContactChange, Conversation, HandoffChange, LeadUpdate, Message, NewAudit, NewMessage,
    NewOutcome, Owner, Status, StoreError,
};

use crate::auth::Auth;
use crate::bus::{self, BusEvent};
use crate::cache::Loaded;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::conversation::{handoff_label, status_of};
use crate::views::event::{CallbackEvent, ConversationEvent, HandoffEvent, LeadEvent, NoteEvent};
use crate::views::message::message_event;
use crate::views::team::NoteOut;

/// The lead columns a change writes.
pub(crate) fn lead_update(l: &Lead) -> LeadUpdate {
    LeadUpdate {
        score: i64::from(l.score),
        grade: l.grade.as_str().to_string(),
        evidence: serde_json::to_value(&l.evidence).unwrap_or(json!([])),
    }
}

pub(crate) fn parse_state(c: &Conversation) -> Result<ConversationState, ApiError> {
    ConversationState::deserialize(&c.state).map_err(|e| {
        tracing::error!(conversation = %c.id, error = %e, "stored state does not parse");
        ApiError::internal("stored conversation state is unreadable")
    })
}

/// A conversation row with its parsed state, for a change.
fn loaded_of(conv: Conversation) -> Result<Loaded, ApiError> {
    let state = Arc::new(parse_state(&conv)?);
    Ok(Loaded { conv, state })
}

/// The conversation a change starts from: from this process's cache of recently changed
/// conversations when `cached` (the customer-turn path), else from the database.
pub(crate) async fn load_for_change(
    st: &AppState,
    id: &str,
    auth: &Auth,
    cached: bool,
) -> Result<Loaded, ApiError> {
    if cached && let Some(l) = st.conversations.get(id) {
        auth.may_access(st, id, l.conv.created_by_key.as_deref())?;
        return Ok(l);
    }
    loaded_of(load_conversation(st, id, auth).await?)
}

pub(crate) async fn load_conversation(
    st: &AppState,
    id: &str,
    auth: &Auth,
) -> Result<Conversation, ApiError> {
    let c = st
        .store
        .get_conversation(id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    auth.may_access(st, id, c.created_by_key.as_deref())?;
    Ok(c)
}

/// 409 `assigned` when the conversation is held with another key than the caller's.
pub(crate) fn check_owner(owner: &Option<Owner>, auth: &Auth) -> Result<(), ApiError> {
    match owner {
        Some(Owner {
            key_id: Some(k),
            agent,
        }) if k != &auth.key.id => Err(ApiError::Assigned(format!(
            "{} is handling this conversation; take it over explicitly to reply",
            agent.as_deref().unwrap_or("another agent")
        ))),
        _ => Ok(()),
    }
}

/// A conversation that is not closed (409 `closed`), with who holds it if it is taken over.
pub(crate) async fn load_open(
    st: &AppState,
    id: &str,
    auth: &Auth,
) -> Result<(Loaded, Option<Owner>), ApiError> {
    let conv = load_for_change(st, id, auth, false).await?;
    if conv.conv.status == Status::Closed {
        return Err(ApiError::Closed);
    }
    let owner = if conv.conv.status == Status::HandedOff {
        st.store.handoff_owner(id).await?
    } else {
        None
    };
    Ok((conv, owner))
}

// ------------------------------------------------------------------ optimistic-concurrency core

/// What one change of a conversation writes, all in one transaction.
pub(crate) struct Plan {
    pub state: Arc<ConversationState>,
    pub messages: Vec<NewMessage>,
    pub lead: Option<LeadUpdate>,
    pub handoff: Option<HandoffChange>,
    pub webhooks: Vec<(String, Value)>,
    /// Contact details for the customer record.
    pub contact: Option<ContactChange>,
    /// The audit entry of a staff action.
    pub audit: Option<NewAudit>,
    /// The outcome a close records (the funnel's row).
    pub outcome: Option<NewOutcome>,
    pub out: Option<TurnOutput>,
}

impl Plan {
    /// A change to `state` that writes nothing else (fields are added with `..`).
    pub fn state(state: ConversationState) -> Plan {
        Plan {
            state: Arc::new(state),
            messages: Vec::new(),
            lead: None,
            handoff: None,
            webhooks: Vec::new(),
            contact: None,
            audit: None,
            outcome: None,
            out: None,
        }
    }
}

impl Plan {
    /// The plan with the engine's output it came from.
    pub fn with_output(mut self, out: TurnOutput) -> Plan {
        self.out = Some(out);
        self
    }
}

/// The audit entry of an action by the caller's key on a conversation.
pub(crate) fn audit(auth: &Auth, action: &str, detail: Value) -> NewAudit {
    NewAudit {
        actor: Some(auth.key.id.clone()),
        action: action.to_string(),
        detail,
    }
}

/// A committed change: the conversation it was planned from and as it is now, the plan and
/// the stored messages.
pub(crate) struct Committed {
    pub before: Loaded,
    pub after: Loaded,
    pub plan: Plan,
    pub messages: Vec<Message>,
}

/// Reads → plans → commits with the version check, re-reading and re-planning on conflict, so
/// racing changes (also from other processes) are all applied in some order, none lost.
pub(crate) async fn mutate(
    st: &AppState,
    mut cur: Loaded,
    client_message_id: Option<String>,
    mut plan: impl FnMut(&Conversation, &ConversationState) -> Result<Plan, ApiError>,
    result: impl Fn(&Conversation, &Plan, &[Message]) -> Option<String>,
) -> Result<Committed, Mutated> {
    for _attempt in 0..64 {
        let p = plan(&cur.conv, &cur.state)?;
        let status = status_of(&p.state);
        let commit = Commit {
            conversation_id: cur.conv.id.clone(),
            expected_version: cur.conv.version,
            expected_last_seq: cur.conv.last_seq,
            state: serde_json::to_string(&*p.state)
                .map_err(|e| ApiError::internal(format!("state does not serialize: {e}")))?,
            status,
            stage: p.state.stage.clone(),
            messages: p.messages.clone(),
            client_message_id: client_message_id.clone(),
            lead: p.lead.clone(),
            handoff: p.handoff.clone(),
            events: p.webhooks.clone(),
            contact: p.contact.clone(),
            audit: p.audit.clone(),
            outcome: p.outcome.clone(),
            now: tuoke_store::now_ms(),
        };
        let now = commit.now;
        match st
            .store
            .commit(commit, |msgs| result(&cur.conv, &p, msgs))
            .await
        {
            Ok(done) => {
                // The stored state JSON is not needed any more: the parsed state is held.
                cur.conv.state = Value::Null;
                let mut after = cur.conv.clone();
                after.version = done.version;
                after.last_seq = done.last_seq;
                after.status = status;
                after.stage = p.state.stage.clone();
                after.state = Value::Null;
                after.updated_at = now;
                if !p.webhooks.is_empty() {
                    st.webhook_wake.notify_one();
                }
                let after = Loaded {
                    conv: after,
                    state: p.state.clone(),
                };
                st.conversations.put(after.clone());
                return Ok(Committed {
                    before: cur,
                    after,
                    plan: p,
                    messages: done.messages,
                });
            }
            Err(StoreError::Conflict) => {
                st.metrics.turn_conflicts.inc();
                let fresh = st.store.get_conversation_fresh(&cur.conv.id).await;
                let fresh = match fresh {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        st.conversations.remove(&cur.conv.id);
                        return Err(ApiError::not_found("conversation").into());
                    }
                    Err(e) => return Err(e.into()),
                };
                cur = loaded_of(fresh)?;
            }
            Err(StoreError::Duplicate) => return Err(Mutated::Duplicate),
            Err(e) => {
                st.conversations.remove(&cur.conv.id);
                return Err(e.into());
            }
        }
    }
    Err(ApiError::Busy.into())
}

pub(crate) enum Mutated {
    Api(ApiError),
    /// The client_message_id was used by a turn that committed first.
    Duplicate,
}

impl From<ApiError> for Mutated {
    fn from(e: ApiError) -> Self {
        Mutated::Api(e)
    }
}
impl From<StoreError> for Mutated {
    fn from(e: StoreError) -> Self {
        Mutated::Api(e.into())
    }
}

/// What a committed change did, for [`publish`].
pub(crate) struct Change<'a> {
    /// The conversation before the change; `None` when the change created it.
    pub before: Option<&'a Loaded>,
    pub after: &'a Loaded,
    /// The messages the change stored.
    pub messages: &'a [Message],
    /// The engine's actions to announce: a `handoff` event for each person asked for (a
    /// take-over announces none — it is no customer asking for a person).
    pub actions: &'a [Action],
    /// The customer left a call-back request.
    pub callback: bool,
    /// A private note was added (staff streams only).
    pub note: Option<NoteOut<'a>>,
}

impl<'a> Change<'a> {
    /// A change of `before` into `after` that stored `messages`.
    pub fn of(before: &'a Loaded, after: &'a Loaded, messages: &'a [Message]) -> Self {
        Change {
            before: Some(before),
            after,
            messages,
            actions: &[],
            callback: false,
            note: None,
        }
    }
}

/// Publishes the live events of a committed change. The rules, one for every change:
/// - `message` for each stored message;
/// - `lead` when the lead (score, grade or evidence) differs from the one before;
/// - `handoff` for each person the engine reports asked for;
/// - `conversation` when the conversation was created or its status, stage, handoff state or
///   agent changed;
/// - `callback` and `note` when the change was one.
pub(crate) fn publish(st: &AppState, c: &Change) {
    // Nobody is listening (no dashboard or conversation stream open): build no event bodies.
    if !st.bus.has_listeners() {
        return;
    }
    let (after_state, after) = (&c.after.state, &c.after.conv);
    let id = after.id.as_str();
    let event = |kind: &'static str, data: Arc<str>| {
        st.bus.publish(BusEvent {
            conversation_id: after.id.clone(),
            kind,
            seq: None,
            data,
        })
    };
    for m in c.messages {
        st.bus.publish(BusEvent {
            conversation_id: after.id.clone(),
            kind: "message",
            seq: Some(m.seq),
            data: message_event(m, &st.cards),
        });
    }
    if c.before.is_some_and(|b| b.state.lead != after_state.lead) {
        let l = &after_state.lead;
        event(
            "lead",
            bus::data(&LeadEvent {
                conversation_id: id,
                score: l.score,
                grade: l.grade,
                evidence: &l.evidence,
            }),
        );
    }
    for a in c.actions {
        if let Action::Handoff { reason, summary } = a {
            event(
                "handoff",
                bus::data(&HandoffEvent {
                    conversation_id: id,
                    reason,
                    summary,
                }),
            );
        }
    }
    let changed = c.before.is_none_or(|b| {
        b.conv.status != after.status
            || b.conv.stage != after.stage
            || b.state.handoff_state() != after_state.handoff_state()
            || b.state.agent != after_state.agent
    });
    if changed {
        event(
            "conversation",
            bus::data(&ConversationEvent {
                conversation_id: id,
                status: after.status.as_str(),
                stage: &after.stage,
                handoff: handoff_label(after_state),
                agent: after_state.agent.as_deref(),
                previous_status: c.before.map(|b| b.conv.status.as_str()),
                previous_stage: c.before.map(|b| b.conv.stage.as_str()),
                created: c.before.is_none(),
            }),
        );
    }
    if c.callback {
        event(
            "callback",
            bus::data(&CallbackEvent {
                conversation_id: id,
            }),
        );
    }
    if let Some(note) = &c.note {
        event(
            "note",
            bus::data(&NoteEvent {
                conversation_id: id,
                note,
            }),
        );
    }
}

pub(crate) fn webhook_events(conv: &Conversation, actions: &[Action]) -> Vec<(String, Value)> {
    let mut v = Vec::new();
    for a in actions {
        match a {
            Action::LeadGradeChanged { from, to, score } => v.push((
                "lead.grade_changed".to_string(),
                json!({"conversation_id": conv.id, "customer_id": conv.customer_id, "from": from, "to": to, "score": score}),
            )),
            Action::Handoff { reason, summary } => v.push((
                "handoff.requested".to_string(),
                json!({"conversation_id": conv.id, "customer_id": conv.customer_id, "reason": reason, "summary": summary}),
            )),
            _ => {}
        }
    }
    v
}

pub(crate) fn unmutate(m: Mutated) -> ApiError {
    match m {
        Mutated::Api(e) => e,
        Mutated::Duplicate => ApiError::Duplicate("duplicate".into()),
    }
}
