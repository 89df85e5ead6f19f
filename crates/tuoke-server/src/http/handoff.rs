//! Take over, reply, release — with assignment: a taken-over conversation belongs to the API key
//! that took it. Another agent gets 409 `assigned` ("<agent> is handling this") on a reply, a
//! release or a plain take-over, and takes it over only explicitly (`{"force": true}`), which is
//! written to the audit log.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use tuoke_dialogue::Action;
use tuoke_store::{HandoffChange, MessageRole, NewMessage, Role, Status};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, JsonBody, P};
use crate::http::input::{check_len, required_text};
use crate::service::{
    self, Change, Plan, check_owner, load_for_change, load_open, mutate, publish, unmutate,
};
use crate::state::AppState;
use crate::views::conversation::ConversationOut;
use crate::views::message::MessageOut;
use crate::views::team::{ConversationBody, MessageBody, OwnerOut, TakenOut, TakeoverOut};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/conversations/{id}/takeover", post(takeover))
        .route("/conversations/{id}/agent_messages", post(agent_message))
        .route("/conversations/{id}/release", post(release))
}

#[derive(Debug, Deserialize, Default, ToSchema)]
pub struct TakeoverIn {
    pub agent: Option<String>,
    /// Take over a conversation another agent holds (audited as `conversation.takeover_forced`).
    #[serde(default)]
    pub force: bool,
}

/// An agent takes the conversation over; the bot goes silent and the conversation is the agent's.
#[utoipa::path(post, path = "/v1/conversations/{id}/takeover", tag = "handoff", params(("id" = String, Path)),
    request_body(content = TakeoverIn, description = "optional"),
    responses((status = 200, description = "{handoff: {reason, summary, agent}, conversation}"), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "closed, or assigned: another agent holds it (send force: true)")),
    security(("bearer" = [])))]
pub async fn takeover(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    // The body is optional: empty, or {"agent": "...", "force": bool}.
    let body: TakeoverIn = if body.iter().all(u8::is_ascii_whitespace) {
        TakeoverIn::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadJson(e.to_string()))?
    };
    let agent = body
        .agent
        .filter(|a| !a.trim().is_empty())
        .map(|a| a.trim().to_string())
        .unwrap_or_else(|| auth.key.name.clone());
    check_len("agent", &Some(agent.clone()), 200)?;
    let (conv, previous) = load_open(&st, &id, &auth).await?;
    let forced_from = match check_owner(&previous, &auth) {
        Ok(()) => None,
        Err(_) if body.force => previous.clone(),
        Err(e) => return Err(e),
    };
    // The take-over is one commit: the state, the handoff (opened if nobody had asked for a
    // person) given to the agent and the caller's key, and the audit entry.
    let audit = match &forced_from {
        Some(from) => service::audit(
            &auth,
            "conversation.takeover_forced",
            json!({"agent": agent, "from_agent": from.agent, "from_key": from.key_id}),
        ),
        None => service::audit(&auth, "conversation.takeover", json!({"agent": agent})),
    };
    let engine = &st.engine;
    let done = mutate(
        &st,
        conv,
        None,
        |_c, state| {
            let out = engine.take_over(state, &agent, Utc::now());
            let summary = out
                .actions
                .iter()
                .find_map(|a| match a {
                    Action::Handoff { summary, .. } => Some(summary.as_ref().clone()),
                    _ => None,
                })
                .unwrap_or_else(|| engine.summary(&out.state, "agent_takeover"));
            Ok(Plan {
                handoff: Some(HandoffChange::TakenOver {
                    reason: "agent_takeover".into(),
                    summary: serde_json::to_value(&summary).unwrap_or(Value::Null),
                    agent: agent.clone(),
                    key_id: auth.key.id.clone(),
                }),
                audit: Some(audit.clone()),
                ..Plan::state(out.state.clone())
            }
            .with_output(out))
        },
        |_, _, _| None,
    )
    .await
    .map_err(unmutate)?;
    let ho = st.store.open_handoff(&id).await?;
    // No `handoff` event: a take-over is no customer asking for a person (dashboards would
    // announce one); the `conversation` event tells who holds it now (also when one agent takes
    // it from another: the agent changes).
    let after = &done.after;
    publish(&st, &Change::of(&done.before, after, &done.messages));
    let summary = ho.as_ref().map(|h| h.summary.clone()).unwrap_or_else(|| {
        serde_json::to_value(st.engine.summary(&done.plan.state, "agent_takeover"))
            .unwrap_or(Value::Null)
    });
    Ok(Json(TakeoverOut {
        handoff: TakenOut {
            reason: ho.as_ref().map_or("agent_takeover", |h| h.reason.as_str()),
            agent: &agent,
            summary,
        },
        conversation: ConversationOut::loaded(after),
        owner: OwnerOut {
            agent: Some(&agent),
            mine: true,
        },
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AgentMessageIn {
    pub text: String,
}

/// An agent writes to the customer (after taking the conversation over).
#[utoipa::path(post, path = "/v1/conversations/{id}/agent_messages", tag = "handoff", params(("id" = String, Path)),
    request_body = AgentMessageIn,
    responses((status = 200, description = "{message}"), (status = 400), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "not_handed_off, or assigned: another agent holds it"), (status = 413)),
    security(("bearer" = [])))]
pub async fn agent_message(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    JsonBody(body): JsonBody<AgentMessageIn>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let text = required_text("text", &body.text, st.config.max_message_chars)?;
    let conv = load_for_change(&st, &id, &auth, false).await?;
    if conv.conv.status != Status::HandedOff {
        return Err(ApiError::NotHandedOff);
    }
    check_owner(&st.store.handoff_owner(&id).await?, &auth)?;
    let engine = &st.engine;
    let agent = auth.key.name.clone();
    let done = mutate(
        &st,
        conv,
        None,
        |_c, state| {
            let s = engine.agent_message(state, &text, Utc::now());
            let mut m = NewMessage::text(MessageRole::Agent, text.clone());
            m.agent = Some(state.agent.clone().unwrap_or_else(|| agent.clone()));
            Ok(Plan {
                messages: vec![m],
                ..Plan::state(s)
            })
        },
        |_, _, _| None,
    )
    .await
    .map_err(unmutate)?;
    if let Some(m) = done.messages.first() {
        st.store.mark_read(&auth.key.id, &id, m.seq).await?;
    }
    publish(&st, &Change::of(&done.before, &done.after, &done.messages));
    Ok(Json(MessageBody {
        message: done.messages.first().map(|m| MessageOut::new(m, &st.cards)),
    })
    .into_response())
}

/// The agent hands the conversation back to the bot.
#[utoipa::path(post, path = "/v1/conversations/{id}/release", tag = "handoff", params(("id" = String, Path)),
    responses((status = 200, description = "{conversation}"), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "assigned: another agent holds it")),
    security(("bearer" = [])))]
pub async fn release(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let conv = load_for_change(&st, &id, &auth, false).await?;
    if conv.conv.status == Status::HandedOff {
        check_owner(&st.store.handoff_owner(&id).await?, &auth)?;
    }
    let engine = &st.engine;
    let done = mutate(
        &st,
        conv,
        None,
        |_c, state| {
            let out = engine.release(state, Utc::now());
            let mut messages = Vec::new();
            if let Some(r) = &out.reply {
                let mut m = NewMessage::text(MessageRole::Bot, r.text.clone());
                m.citations = Some(r.citations.clone());
                messages.push(m);
            }
            Ok(Plan {
                messages,
                handoff: Some(HandoffChange::Released),
                audit: Some(service::audit(&auth, "conversation.release", json!({}))),
                ..Plan::state(out.state.clone())
            }
            .with_output(out))
        },
        |_, _, _| None,
    )
    .await
    .map_err(unmutate)?;
    publish(
        &st,
        &Change {
            actions: done.plan.out.as_ref().map_or(&[], |o| o.actions.as_slice()),
            ..Change::of(&done.before, &done.after, &done.messages)
        },
    );
    Ok(Json(ConversationBody {
        conversation: ConversationOut::loaded(&done.after),
    })
    .into_response())
}
