//! The sales team's side of a conversation: the workspace view (customer, holder, notes, outcome,
//! handoff summary), private notes, closing with an outcome, read marks for the inbox's unread
//! counts, the company's canned replies and the short-lived stream tokens for SSE.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tuoke_store::{HandoffChange, NewOutcome, Outcome, Role, Status};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, JsonBody, P};
use crate::http::input::{check_len, required_text};
use crate::keys::{STREAM_TOKEN_SECS, issue_stream_token};
use crate::service::{
    self, Change, Plan, check_owner, load_for_change, load_open, mutate, publish, unmutate,
};
use crate::state::AppState;
use crate::views::contact::ContactOut;
use crate::views::conversation::ConversationOut;
use crate::views::list::Items;
use crate::views::team::{
    CloseOut, HandoffRowOut, NoteBody, NoteOut, OutcomeOut, OwnerOut, ReadOut, StreamTokenOut,
    WorkspaceOut,
};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/conversations/{id}/workspace", get(workspace))
        .route("/conversations/{id}/notes", post(add_note))
        .route("/conversations/{id}/close", post(close))
        .route("/conversations/{id}/read", post(mark_read))
        .route("/canned_replies", get(canned_replies))
        .route("/grading_signals", get(grading_signals))
        .route("/stream_token", post(stream_token))
}

/// Outcomes a conversation may be closed with.
pub const OUTCOMES: [&str; 3] = ["won", "lost", "follow_up"];

/// Everything the dashboard shows around a transcript, rendered for people: the customer (masked
/// for agents), who holds the conversation, notes, the outcome and the handoff reason and summary
/// (the open handoff's, else the summary of the conversation as it stands).
#[utoipa::path(get, path = "/v1/conversations/{id}/workspace", tag = "team", params(("id" = String, Path)),
    responses((status = 200, description = "{customer, owner, notes, outcome, handoff: {reason, requested_at, taken_at}, summary}"),
              (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn workspace(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let conv = load_for_change(&st, &id, &auth, false).await?;
    let customer = st.store.get_customer(&conv.conv.customer_id).await?;
    let owner = if conv.conv.status == Status::HandedOff {
        st.store.handoff_owner(&id).await?
    } else {
        None
    };
    let notes = st.store.list_notes(&id).await?;
    let outcome = st.store.get_outcome(&id).await?;
    let ho = st.store.open_handoff(&id).await?;
    let summary = match &ho {
        Some(h) => h.summary.clone(),
        None => serde_json::to_value(st.engine.summary(&conv.state, "none")).unwrap_or(Value::Null),
    };
    Ok(Json(WorkspaceOut {
        conversation_id: &id,
        customer: customer
            .as_ref()
            .map(|c| ContactOut::new(&auth, &c.name, &c.phone, &c.email, &c.wechat)),
        channel: &conv.conv.channel,
        variety: conv.state.variety,
        owner: owner.as_ref().map(|o| OwnerOut::of(o, &auth.key.id)),
        notes: notes.iter().map(NoteOut::from).collect(),
        outcome: outcome.as_ref().map(OutcomeOut::from),
        handoff: ho.as_ref().map(HandoffRowOut::from),
        summary,
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    pub text: String,
}

/// A private note on the conversation (staff only; the customer never sees it).
#[utoipa::path(post, path = "/v1/conversations/{id}/notes", tag = "team", params(("id" = String, Path)), request_body = NoteIn,
    responses((status = 201, body = NoteBody), (status = 400), (status = 401), (status = 403), (status = 404), (status = 413)),
    security(("bearer" = [])))]
pub async fn add_note(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    JsonBody(body): JsonBody<NoteIn>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let text = required_text("text", &body.text, 2000)?;
    let conv = load_for_change(&st, &id, &auth, false).await?;
    let n = st
        .store
        .add_note(&id, &auth.key.name, &auth.key.id, &text)
        .await?;
    publish(
        &st,
        &Change {
            note: Some(NoteOut::from(&n)),
            ..Change::of(&conv, &conv, &[])
        },
    );
    Ok((
        axum::http::StatusCode::CREATED,
        Json(NoteBody {
            note: NoteOut::from(&n),
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIn {
    /// `won`, `lost` or `follow_up`.
    pub outcome: String,
    pub note: Option<String>,
}

/// Closes (resolves) the conversation with an outcome; it feeds the funnel.
#[utoipa::path(post, path = "/v1/conversations/{id}/close", tag = "team", params(("id" = String, Path)), request_body = CloseIn,
    responses((status = 200, description = "{conversation, outcome}"), (status = 400), (status = 401), (status = 403), (status = 404),
              (status = 409, description = "closed already, or assigned: another agent holds it")),
    security(("bearer" = [])))]
pub async fn close(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    JsonBody(body): JsonBody<CloseIn>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    if !OUTCOMES.contains(&body.outcome.as_str()) {
        return Err(ApiError::bad_request(
            "outcome must be won, lost or follow_up",
        ));
    }
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    check_len("note", &note, 2000)?;
    let (conv, owner) = load_open(&st, &id, &auth).await?;
    check_owner(&owner, &auth)?;
    let agent = owner
        .and_then(|o| o.agent)
        .unwrap_or_else(|| auth.key.name.clone());
    let o = Outcome {
        conversation_id: id.clone(),
        outcome: body.outcome.clone(),
        agent: Some(agent.clone()),
        note,
        closed_at: tuoke_store::now_ms(),
    };
    // The close, its outcome and its audit entry: one transaction.
    let done = mutate(
        &st,
        conv,
        None,
        |_c, state| {
            let mut s = state.clone();
            let open = s.handoff_state() != tuoke_dialogue::HandoffState::Bot;
            s.closed = true;
            s.updated_at = chrono::Utc::now();
            Ok(Plan {
                handoff: open.then_some(HandoffChange::Released),
                outcome: Some(NewOutcome {
                    outcome: o.outcome.clone(),
                    agent: o.agent.clone(),
                    agent_key: auth.key.id.clone(),
                    note: o.note.clone(),
                    closed_at: o.closed_at,
                }),
                audit: Some(service::audit(
                    &auth,
                    "conversation.close",
                    json!({"outcome": o.outcome, "agent": agent}),
                )),
                ..Plan::state(s)
            })
        },
        |_, _, _| None,
    )
    .await
    .map_err(unmutate)?;
    publish(&st, &Change::of(&done.before, &done.after, &done.messages));
    Ok(Json(CloseOut {
        conversation: ConversationOut::loaded(&done.after),
        outcome: OutcomeOut::from(&o),
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    /// The last message seq the caller has seen.
    pub seq: i64,
}

/// The caller has read the conversation up to `seq` (the inbox's unread counts are per key).
#[utoipa::path(post, path = "/v1/conversations/{id}/read", tag = "team", params(("id" = String, Path)), request_body = ReadIn,
    responses((status = 200, body = ReadOut), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn mark_read(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    JsonBody(body): JsonBody<ReadIn>,
) -> Result<Json<ReadOut>, ApiError> {
    auth.require(&[Role::Agent])?;
    let conv = load_for_change(&st, &id, &auth, false).await?;
    let seq = body.seq.clamp(0, conv.conv.last_seq);
    st.store.mark_read(&auth.key.id, &id, seq).await?;
    Ok(Json(ReadOut { seq }))
}

/// The company's canned replies (`canned.yaml`).
#[utoipa::path(get, path = "/v1/canned_replies", tag = "team",
    responses((status = 200, description = "{items: [{id, title: {zh, en, yue?}, text: {zh, en, yue?}}]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn canned_replies(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    Ok(Json(Items::of(&st.config.canned.canned_replies)).into_response())
}

/// A grading signal as the dashboard shows it.
#[derive(Serialize)]
struct SignalOut<'a> {
    id: &'a str,
    points: i32,
    detail: Option<&'a tuoke_dialogue::Text>,
}

/// The grading signals with their texts in every language, so the dashboard shows a lead's
/// evidence in the UI language.
#[utoipa::path(get, path = "/v1/grading_signals", tag = "team",
    responses((status = 200, description = "{items: [{id, points, detail: {zh, en, yue?}}]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn grading_signals(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let items = st.company.grading().signals.iter().map(|s| SignalOut {
        id: &s.id,
        points: s.points,
        detail: s.detail.as_ref(),
    });
    Ok(Json(Items::of(items)).into_response())
}

/// A short-lived token for opening event streams (`?token=`), so no API key is put in a URL.
#[utoipa::path(post, path = "/v1/stream_token", tag = "events",
    responses((status = 200, body = StreamTokenOut), (status = 401)),
    security(("bearer" = [])))]
pub async fn stream_token(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Json<StreamTokenOut>, ApiError> {
    let token = issue_stream_token(&st.store, &auth.key.id).await?;
    Ok(Json(StreamTokenOut {
        token,
        expires_in: STREAM_TOKEN_SECS,
    }))
}
