//! Routes and handlers of the `/v1` JSON API (shape fixed in docs/contracts.md "HTTP API").

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_http::cors::{Any, CorsLayer};
use tuoke_core::{Analysis, Dialect, EntityType, Language};
use tuoke_dialogue::{Action, ConversationState, Lead, TurnOutput};
use tuoke_store::{
    Commit, Conversation, HandoffChange, LeadFilter, LeadRow, LeadSort, LeadUpdate, Message,
    MessageRole, NewConversation, NewCustomer, NewMessage, Role, Status, StoreError,
};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Auth;
use crate::cache::Loaded;
use crate::error::{ApiError, JsonBody, P, Q};
use crate::messages::MessageOut;
pub use crate::messages::{message_event, message_json};
use crate::{assets, events, openapi, pii, script};

/// Webhook event names a subscription may ask for (`*` = all).
pub const WEBHOOK_EVENTS: [&str; 3] = [
    "lead.grade_changed",
    "handoff.requested",
    "callback.requested",
];

pub fn router(state: Arc<AppState>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("last-event-id"),
            header::HeaderName::from_static(crate::public::TOKEN_HEADER),
        ]);
    let v1 = Router::new()
        .route(
            "/conversations",
            post(create_conversation).get(list_conversations),
        )
        .route("/conversations/{id}", get(get_conversation))
        .route(
            "/conversations/{id}/messages",
            post(post_message).get(list_messages),
        )
        .route(
            "/conversations/{id}/events",
            get(events::conversation_events),
        )
        .route("/events", get(events::all_events))
        .route("/leads", get(list_leads))
        .route("/analyze", post(analyze))
        .route("/stats", get(stats))
        .route("/company", get(company))
        .route("/api_keys", post(create_api_key))
        .route("/api_keys/{id}", delete(revoke_api_key))
        .route("/webhooks", post(create_webhook).get(list_webhooks))
        .route("/webhooks/{id}", delete(delete_webhook))
        .route("/webhooks/outbox", get(list_outbox))
        .route("/audit", get(list_audit))
        .route("/customers/{id}/export", get(export_customer))
        .route("/customers/{id}", delete(delete_customer))
        .merge(crate::chat::routes())
        .merge(crate::handoff::routes())
        .merge(crate::team::routes());
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi::serve))
        .merge(assets::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        // Outermost but for the metrics: preflights are answered before routing (a route has no
        // OPTIONS handler of its own).
        .layer(cors)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::serve::deadline,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}

/// Metrics and an access log line per request. The log has the route pattern and status only:
/// no query strings (they may hold `key=`), no bodies (they hold customer text).
async fn observe(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let sse = route.ends_with("/events");
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    st.metrics
        .http_requests
        .get_or_create(&crate::metrics::HttpLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    let secs = start.elapsed().as_secs_f64();
    if !sse {
        st.metrics.http_duration.observe(secs);
    }
    tracing::debug!(%method, %route, status, ms = secs * 1000.0, "request");
    resp
}

// ------------------------------------------------------------------ JSON views

pub fn ts(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The conversation state as a turn response shows it: everything but `history` (the
/// conversation's messages, which the messages endpoints list). Keeps a turn's response and its
/// stored idempotency copy at ~4 KB instead of ~18 KB. `GET /v1/conversations/{id}` has the
/// whole state.
#[derive(Serialize)]
struct StateOut<'a> {
    schema_version: u32,
    stage: &'a str,
    node: &'a str,
    slots: &'a std::collections::BTreeMap<String, Value>,
    handed_off: bool,
    closed: bool,
    variety: &'a tuoke_dialogue::Variety,
    turn: usize,
    counters: &'a tuoke_dialogue::Counters,
    lead: &'a Lead,
    sentiment_trend: &'a [f32],
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff_reason: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a String>,
    /// `bot`, `requested` (a person was asked for; the bot keeps answering) or `taken_over`.
    handoff: tuoke_dialogue::HandoffState,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff_requested_at: Option<DateTime<Utc>>,
    started_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'a> From<&'a ConversationState> for StateOut<'a> {
    fn from(s: &'a ConversationState) -> Self {
        // Destructured so a new state field is a compile error here until it is shown or left out.
        let ConversationState {
            schema_version,
            stage,
            node,
            slots,
            handed_off,
            closed,
            variety,
            turn,
            history: _,
            counters,
            lead,
            sentiment_trend,
            handoff_reason,
            agent,
            handoff_requested_at,
            handoff_wait_told: _,
            lang: _,
            last_question: _,
            started_at,
            updated_at,
        } = s;
        StateOut {
            schema_version: *schema_version,
            stage,
            node,
            slots,
            handed_off: *handed_off,
            closed: *closed,
            variety,
            turn: *turn,
            counters,
            lead,
            sentiment_trend,
            handoff_reason: handoff_reason.as_ref(),
            agent: agent.as_ref(),
            handoff: s.handoff_state(),
            handoff_requested_at: *handoff_requested_at,
            started_at: *started_at,
            updated_at: *updated_at,
        }
    }
}

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
    /// Suggested next questions for the conversation's node or stage ([`crate::chat`]).
    quick_replies: Vec<String>,
}

/// A customer turn's response for a widget key: the customer's view ([`crate::customer`]).
#[derive(Serialize)]
struct CustomerTurnOut<'a> {
    message: Option<MessageOut<'a>>,
    reply_message: Option<MessageOut<'a>>,
    reply: Option<CustomerReplyOut<'a>>,
    state: crate::customer::CustomerState<'a>,
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
fn turn_body(
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
            state: crate::customer::CustomerState::from(&out.state),
            conversation: brief,
            quick_replies: crate::chat::quick_replies(st, &out.state),
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
        quick_replies: crate::chat::quick_replies(st, &out.state),
    };
    // Our own plain types always serialize.
    serde_json::to_string(&body).unwrap_or_else(|_| "{}".into())
}

/// The `lead` live event of a conversation.
fn lead_event(conversation_id: &str, l: &Lead) -> events::BusEvent {
    events::BusEvent {
        conversation_id: conversation_id.to_string(),
        kind: "lead",
        seq: None,
        data: events::data(
            &json!({"conversation_id": conversation_id, "score": l.score, "grade": l.grade, "evidence": l.evidence}),
        ),
    }
}

fn lead_of_state(state: &Value) -> Value {
    let l = &state["lead"];
    json!({"score": l["score"], "grade": l["grade"], "evidence": l.get("evidence").cloned().unwrap_or(json!([]))})
}

/// [`conversation_json`] of a conversation whose state is held parsed (after a change).
pub(crate) fn loaded_json(l: &Loaded) -> Value {
    let mut c = l.conv.clone();
    c.state = serde_json::to_value(&*l.state).unwrap_or(Value::Null);
    conversation_json(&c)
}

/// [`handoff_of`] for a state held parsed.
fn handoff_label(s: &ConversationState) -> &'static str {
    match s.handoff_state() {
        tuoke_dialogue::HandoffState::Bot => "bot",
        tuoke_dialogue::HandoffState::Requested => "requested",
        tuoke_dialogue::HandoffState::TakenOver => "taken_over",
    }
}

/// `bot`, `requested` (a person was asked for and the bot keeps answering) or `taken_over`, read
/// off the stored status and state so the widget and dashboard show the same thing.
fn handoff_of(c: &Conversation) -> &'static str {
    if c.status == Status::HandedOff {
        "taken_over"
    } else if c.status == Status::Bot && !c.state["handoff_requested_at"].is_null() {
        "requested"
    } else {
        "bot"
    }
}

pub fn conversation_json(c: &Conversation) -> Value {
    json!({
        "id": c.id, "customer_id": c.customer_id, "channel": c.channel, "status": c.status.as_str(),
        "handoff": handoff_of(c),
        "stage": c.stage, "state": c.state, "lead": lead_of_state(&c.state), "version": c.version,
        "last_seq": c.last_seq, "created_at": ts(c.created_at), "updated_at": ts(c.updated_at),
    })
}

fn lead_row_json(l: &LeadRow) -> Value {
    json!({
        "conversation_id": l.conversation_id, "customer_id": l.customer_id, "score": l.score,
        "grade": l.grade, "stage": l.stage, "status": l.status.as_str(), "evidence": l.evidence,
        "last_activity": ts(l.last_activity), "last_message": l.last_message,
    })
}

fn lead_update(l: &Lead) -> LeadUpdate {
    LeadUpdate {
        score: i64::from(l.score),
        grade: l.grade.as_str().to_string(),
        evidence: serde_json::to_value(&l.evidence).unwrap_or(json!([])),
    }
}

fn status_of(s: &ConversationState) -> Status {
    if s.closed {
        Status::Closed
    } else if s.handed_off {
        Status::HandedOff
    } else {
        Status::Bot
    }
}

fn now_local(st: &AppState) -> DateTime<FixedOffset> {
    let off = FixedOffset::east_opt(st.config.tz_offset_secs)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    Utc::now().with_timezone(&off)
}

fn parse_state(c: &Conversation) -> Result<ConversationState, ApiError> {
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

async fn load_conversation(st: &AppState, id: &str, auth: &Auth) -> Result<Conversation, ApiError> {
    let c = st
        .store
        .get_conversation(id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    auth.may_access(st, id, c.created_by_key.as_deref())?;
    Ok(c)
}

// ------------------------------------------------------------------ optimistic-concurrency core

/// What one change of a conversation writes.
pub(crate) struct Plan {
    pub state: Arc<ConversationState>,
    pub messages: Vec<NewMessage>,
    pub lead: Option<LeadUpdate>,
    pub handoff: Option<HandoffChange>,
    pub webhooks: Vec<(String, Value)>,
    pub out: Option<TurnOutput>,
}

/// Reads → plans → commits with the version check, re-reading and re-planning on conflict, so
/// racing changes (also from other processes) are all applied in some order, none lost.
pub(crate) async fn mutate(
    st: &AppState,
    mut cur: Loaded,
    client_message_id: Option<String>,
    mut plan: impl FnMut(&Conversation, &ConversationState) -> Result<Plan, ApiError>,
    result: impl Fn(&Conversation, &Plan, &[Message]) -> Option<String>,
) -> Result<(Loaded, Plan, Vec<Message>), Mutated> {
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
            now: tuoke_store::now_ms(),
        };
        let now = commit.now;
        match st
            .store
            .commit(commit, |msgs| result(&cur.conv, &p, msgs))
            .await
        {
            Ok(done) => {
                let mut after = cur.conv;
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
                return Ok((after, p, done.messages));
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
    Err(ApiError::conflict("busy", "too many concurrent changes; retry").into())
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

/// Publishes the live events of a committed change.
pub(crate) fn publish(
    st: &AppState,
    before: &Loaded,
    after: &Loaded,
    msgs: &[Message],
    out: Option<&TurnOutput>,
) {
    // Nobody is listening (no dashboard or conversation stream open): build no event bodies.
    if !st.bus.has_listeners() {
        return;
    }
    let (before_state, before) = (&before.state, &before.conv);
    let (after_state, after) = (&after.state, &after.conv);
    for m in msgs {
        st.bus.publish(events::BusEvent {
            conversation_id: after.id.clone(),
            kind: "message",
            seq: Some(m.seq),
            data: message_event(m, &st.cards),
        });
    }
    if before_state.lead != after_state.lead {
        st.bus.publish(lead_event(&after.id, &after_state.lead));
    }
    if let Some(out) = out {
        for a in &out.actions {
            if let Action::Handoff { reason, summary } = a {
                st.bus.publish(events::BusEvent {
                    conversation_id: after.id.clone(),
                    kind: "handoff",
                    seq: None,
                    data: events::data(
                        &json!({"conversation_id": after.id, "reason": reason, "summary": summary}),
                    ),
                });
            }
        }
    }
    if before.status != after.status
        || before.stage != after.stage
        || before_state.handoff_state() != after_state.handoff_state()
    {
        st.bus.publish(events::BusEvent {
            conversation_id: after.id.clone(),
            kind: "conversation",
            seq: None,
            data: events::data(&json!({"conversation_id": after.id, "status": after.status.as_str(), "stage": after.stage,
                                  "handoff": handoff_label(after_state), "agent": after_state.agent,
                                  "previous_status": before.status.as_str(), "previous_stage": before.stage})),
        });
    }
}

fn webhook_events(conv: &Conversation, actions: &[Action]) -> Vec<(String, Value)> {
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

// ------------------------------------------------------------------ conversations

#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
}

#[derive(Debug, Deserialize, Default, ToSchema)]
pub struct CreateConversation {
    pub channel: Option<String>,
    pub customer: Option<CustomerIn>,
    /// "zh" or "en"
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
    /// "cmn" or "yue"
    #[schema(value_type = Option<String>)]
    pub dialect: Option<Dialect>,
}

/// 400 when a name-like field holds control characters (NUL, the ESC of ANSI sequences…) or
/// bidirectional overrides that would make it display as something else.
pub(crate) fn check_plain(field: &str, v: Option<&str>) -> Result<(), ApiError> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if v.is_some_and(|s| s.chars().any(hidden)) {
        return Err(ApiError::bad_request(format!(
            "{field} contains control or text-direction characters"
        )));
    }
    Ok(())
}

/// A plausible e-mail address: `local@domain.tld`, no spaces, at most 254 characters.
pub(crate) fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && !s.chars().any(char::is_whitespace)
        && !domain.contains('@')
        && domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.is_empty())
}

pub(crate) fn check_len(field: &str, v: &Option<String>, max: usize) -> Result<(), ApiError> {
    if let Some(s) = v
        && s.chars().count() > max
    {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(())
}

/// Open a conversation; the robot greets.
#[utoipa::path(post, path = "/v1/conversations", tag = "conversations", request_body = CreateConversation,
    responses((status = 201, description = "{id, customer_id, status, stage, created_at, messages: [greeting], ...conversation}"),
              (status = 400), (status = 401), (status = 403), (status = 413), (status = 429)),
    security(("bearer" = [])))]
pub async fn create_conversation(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    JsonBody(body): JsonBody<CreateConversation>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    auth.require(&[Role::Widget])?;
    if auth.role() == Role::Widget {
        st.guard.check_creation(&auth.key.id, auth.client)?;
    }
    let cust = body.customer.unwrap_or_default();
    for (f, v) in [
        ("customer.name", &cust.name),
        ("customer.phone", &cust.phone),
        ("customer.email", &cust.email),
        ("customer.wechat", &cust.wechat),
        ("channel", &body.channel),
    ] {
        check_len(f, v, 200)?;
        check_plain(f, v.as_deref())?;
    }
    if cust.email.as_deref().is_some_and(|e| !valid_email(e)) {
        return Err(ApiError::bad_request(
            "customer.email is not an e-mail address",
        ));
    }
    let language = body.language.unwrap_or_default();
    let dialect = body.dialect.unwrap_or_default();
    let now = Utc::now();
    let mut out = st.engine.start(now, language, dialect);
    if let Some(r) = &mut out.reply {
        r.text = script::for_variety(&r.text, out.state.variety).into_owned();
    }
    let mut messages = Vec::new();
    if let Some(r) = &out.reply {
        let mut m = NewMessage::text(MessageRole::Bot, r.text.clone());
        m.citations = Some(r.citations.clone());
        messages.push(m);
    }
    let state = serde_json::to_value(&out.state)
        .map_err(|e| ApiError::internal(format!("state does not serialize: {e}")))?;
    let created = st
        .store
        .create_conversation(NewConversation {
            customer: NewCustomer {
                name: cust.name,
                phone: cust.phone,
                email: cust.email,
                wechat: cust.wechat,
            },
            channel: body.channel.unwrap_or_else(|| "web".into()),
            status: status_of(&out.state),
            stage: out.state.stage.clone(),
            state,
            created_by_key: Some(auth.key.id.clone()),
            messages,
            lead: lead_update(&out.lead),
            now: now.timestamp_millis(),
        })
        .await?;
    let c = &created.conversation;
    for m in &created.messages {
        st.bus.publish(events::BusEvent {
            conversation_id: c.id.clone(),
            kind: "message",
            seq: Some(m.seq),
            data: message_event(m, &st.cards),
        });
    }
    st.bus.publish(events::BusEvent {
        conversation_id: c.id.clone(),
        kind: "conversation",
        seq: None,
        data: events::data(&json!({"conversation_id": c.id, "status": c.status.as_str(), "stage": c.stage, "created": true})),
    });
    let mut v = if auth.role() == Role::Widget {
        crate::customer::conversation(c, &out.state)
    } else {
        conversation_json(c)
    };
    v["messages"] = Value::Array(
        created
            .messages
            .iter()
            .map(|m| message_json(m, &st.cards))
            .collect(),
    );
    v["quick_replies"] = json!(crate::chat::quick_replies(&st, &out.state));
    add_token(&st, &auth, &c.id, &mut v);
    Ok((StatusCode::CREATED, Json(v)))
}

/// A widget caller gets the conversation's (fresh) token: `token` and `token_expires_in` (s).
fn add_token(st: &AppState, auth: &Auth, conversation_id: &str, v: &mut Value) {
    if auth.role() == Role::Widget {
        v["token"] = json!(st.guard.issue_token(conversation_id, &auth.key.id));
        v["token_expires_in"] = json!(st.guard.token_ttl_secs());
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListConversations {
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn parse_status(s: &Option<String>) -> Result<Option<Status>, ApiError> {
    match s.as_deref() {
        None | Some("") => Ok(None),
        Some(x) => Status::parse(x)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("status must be bot, handed_off or closed")),
    }
}

/// List conversations, most recently active first.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations",
    params(("status" = Option<String>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, description = "{items: [conversation]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_conversations(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Q(q): Q<ListConversations>,
) -> Result<Json<Value>, ApiError> {
    auth.require(&[Role::Agent])?;
    let items = st
        .store
        .list_conversations(
            parse_status(&q.status)?,
            q.limit.unwrap_or(50),
            q.offset.unwrap_or(0),
        )
        .await?;
    Ok(Json(
        json!({"items": items.iter().map(conversation_json).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations", params(("id" = String, Path)),
    responses((status = 200, description = "conversation"), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_conversation(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<Json<Value>, ApiError> {
    let c = load_conversation(&st, &id, &auth).await?;
    let mut v = conversation_json(&c);
    let state = parse_state(&c);
    if let Ok(s) = &state {
        if auth.role() == Role::Widget {
            v = crate::customer::conversation(&c, s);
        }
        v["quick_replies"] = json!(crate::chat::quick_replies(&st, s));
    } else if auth.role() == Role::Widget {
        return Err(ApiError::internal(
            "stored conversation state is unreadable",
        ));
    }
    add_token(&st, &auth, &c.id, &mut v);
    Ok(Json(v))
}

#[derive(Debug, Deserialize, Default)]
pub struct ListMessages {
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = String, Path), ("after" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "{items: [message]}"), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_messages(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    Q(q): Q<ListMessages>,
) -> Result<Json<Value>, ApiError> {
    load_conversation(&st, &id, &auth).await?;
    let items = st
        .store
        .list_messages(&id, q.after.unwrap_or(0), q.limit.unwrap_or(1000))
        .await?;
    let customer = auth.role() == Role::Widget;
    let view = |m: &Message| {
        let v = message_json(m, &st.cards);
        if customer {
            crate::customer::message(v)
        } else {
            v
        }
    };
    Ok(Json(
        json!({"items": items.iter().map(view).collect::<Vec<_>>()}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostMessage {
    pub text: String,
    /// Idempotency key: a repeated id returns the first result, within the server's resend
    /// window (24 h by default); after it a repeat is refused with 409 `duplicate`.
    pub client_message_id: Option<String>,
}

/// A customer turn: analysis → dialogue engine → stored reply.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "conversations", params(("id" = String, Path)),
    request_body = PostMessage,
    responses((status = 200, description = "{message, reply_message?, reply?: {text, citations, node}, actions, analysis, state (without history), lead, conversation: {status, stage}}"),
              (status = 400), (status = 401), (status = 403), (status = 404), (status = 409, description = "client_message_id used by a turn older than the resend window"), (status = 413), (status = 429)),
    security(("bearer" = [])))]
pub async fn post_message(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    JsonBody(body): JsonBody<PostMessage>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Widget])?;
    // A widget key gets the customer's view of the turn ([`crate::customer`]).
    let customer = auth.role() == Role::Widget;
    let started = Instant::now();
    // Control characters other than line breaks and tabs carry nothing a customer wrote (and
    // PostgreSQL's text type refuses NUL): dropped before anything is stored.
    let text: String = body
        .text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(ApiError::bad_request("text is empty"));
    }
    check_len("text", &Some(text.clone()), st.config.max_message_chars)?;
    check_len("client_message_id", &body.client_message_id, 200)?;
    if body
        .client_message_id
        .as_deref()
        .is_some_and(|c| c.trim().is_empty())
    {
        return Err(ApiError::bad_request("client_message_id is empty"));
    }
    let cur = load_for_change(&st, &id, &auth, true).await?;
    // A repeated client_message_id is found by the commit, which writes nothing for it
    // (Duplicate below), and answered with the stored result of its first send. Not looking it
    // up first saves a read on every turn; a resend costs one extra analysis.
    // Analysis is pure CPU and runs outside any transaction.
    let t = Instant::now();
    let analysis: Analysis = st.analyzer.analyze(&text, now_local(&st)).map_err(|e| {
        tracing::warn!(error = %e, text = %pii::mask(&text), "analysis failed");
        ApiError::bad_request(format!("text could not be analyzed: {e}"))
    })?;
    st.metrics
        .analyze_duration
        .observe(t.elapsed().as_secs_f64());
    let engine = &st.engine;
    // The body as stored with the customer message is also the response: serialized once.
    let stored_body = std::sync::Mutex::new(None::<String>);
    let r = mutate(
        &st,
        cur,
        body.client_message_id.clone(),
        |c, state| {
            let mut out = engine.turn(state, &analysis, Utc::now());
            if let Some(r) = &mut out.reply {
                r.text = script::for_variety(&r.text, out.state.variety).into_owned();
            }
            let mut msgs = Vec::with_capacity(2);
            let mut cm = NewMessage::text(MessageRole::Customer, text.clone());
            cm.analysis = Some(analysis.clone());
            msgs.push(cm);
            if let Some(r) = &out.reply {
                let mut bm = NewMessage::text(MessageRole::Bot, r.text.clone());
                bm.citations = Some(r.citations.clone());
                msgs.push(bm);
            }
            let handoff = out.actions.iter().find_map(|a| match a {
                Action::Handoff { reason, summary } => Some(HandoffChange::Requested {
                    reason: reason.clone(),
                    summary: serde_json::to_value(summary).unwrap_or(Value::Null),
                    agent: None,
                }),
                _ => None,
            });
            Ok(Plan {
                state: Arc::new(out.state.clone()),
                messages: msgs,
                // An unchanged lead only has its activity time and last message touched,
                // which leaves the score and grade indexes alone.
                lead: (out.lead != state.lead).then(|| lead_update(&out.lead)),
                handoff,
                webhooks: webhook_events(c, &out.actions),
                out: Some(out),
            })
        },
        |_c, p, msgs| {
            let body = p
                .out
                .as_ref()
                .map(|out| turn_body(&st, msgs, out, &analysis, customer));
            if let Ok(mut slot) = stored_body.lock() {
                slot.clone_from(&body);
            }
            body
        },
    )
    .await;
    let (after, plan, msgs) = match r {
        Ok(x) => x,
        Err(Mutated::Duplicate) => {
            let cmid = body.client_message_id.as_deref().unwrap_or_default();
            return match st.store.turn_result(&id, cmid).await? {
                // The same id for another text is a client bug, not a resend (as Stripe does).
                Some(r) if r["message"]["text"].as_str() != Some(text.as_str()) => {
                    Err(ApiError::conflict(
                        "idempotency_mismatch",
                        "client_message_id was used for a different text",
                    ))
                }
                Some(r) => Ok(Json(r).into_response()),
                None => Err(ApiError::conflict(
                    "duplicate",
                    "client_message_id already used",
                )),
            };
        }
        Err(Mutated::Api(e)) => return Err(e),
    };
    st.metrics.turns.inc();
    st.metrics
        .turn_duration
        .observe(started.elapsed().as_secs_f64());
    let out = plan.out.as_ref();
    // Contact details the customer typed become part of their customer record.
    let mut contact = NewCustomer::default();
    for e in &analysis.entities {
        let v = e.value.as_str().map(str::to_string);
        match e.kind {
            EntityType::Phone => contact.phone = contact.phone.or(v),
            EntityType::Email => contact.email = contact.email.or(v),
            EntityType::Wechat => contact.wechat = contact.wechat.or(v),
            _ => {}
        }
    }
    if contact != NewCustomer::default()
        && let Err(e) = st
            .store
            .fill_customer_contact(&after.conv.customer_id, &contact)
            .await
    {
        tracing::warn!(error = %e, "could not store contact details");
    }
    publish_turn(&st, &after, &msgs, out);
    let body = match stored_body.into_inner().ok().flatten() {
        Some(b) => b,
        None => match out {
            Some(o) => turn_body(&st, &msgs, o, &analysis, customer),
            None => "{}".to_string(),
        },
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Events of a customer turn: messages, and lead/handoff/conversation changes as the engine
/// reported them in its actions.
fn publish_turn(st: &AppState, after: &Loaded, msgs: &[Message], out: Option<&TurnOutput>) {
    if !st.bus.has_listeners() {
        return;
    }
    let (after_state, after) = (&after.state, &after.conv);
    for m in msgs {
        st.bus.publish(events::BusEvent {
            conversation_id: after.id.clone(),
            kind: "message",
            seq: Some(m.seq),
            data: message_event(m, &st.cards),
        });
    }
    let Some(out) = out else { return };
    let mut lead_changed = false;
    let mut conv_changed = false;
    for a in &out.actions {
        match a {
            Action::Handoff { reason, summary } => {
                conv_changed = true;
                st.bus.publish(events::BusEvent {
                    conversation_id: after.id.clone(),
                    kind: "handoff",
                    seq: None,
                    data: events::data(
                        &json!({"conversation_id": after.id, "reason": reason, "summary": summary}),
                    ),
                });
            }
            Action::LeadGradeChanged { .. } => lead_changed = true,
            Action::StageChanged { .. } | Action::Close { .. } => conv_changed = true,
            _ => {}
        }
    }
    // Score moves without a grade change are frequent; the dashboard wants them too.
    if lead_changed || !out.lead.evidence.is_empty() {
        st.bus.publish(lead_event(&after.id, &out.lead));
    }
    if conv_changed {
        st.bus.publish(events::BusEvent {
            conversation_id: after.id.clone(),
            kind: "conversation",
            seq: None,
            data: events::data(&json!({"conversation_id": after.id, "status": after.status.as_str(), "stage": after.stage,
                                  "handoff": handoff_label(after_state)})),
        });
    }
}

pub(crate) fn unmutate(m: Mutated) -> ApiError {
    match m {
        Mutated::Api(e) => e,
        Mutated::Duplicate => ApiError::conflict("duplicate", "duplicate"),
    }
}

// ------------------------------------------------------------------ leads, stats, analyze, company

#[derive(Debug, Deserialize, Default)]
pub struct ListLeads {
    pub grade: Option<String>,
    pub stage: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Leads, filtered and sorted.
#[utoipa::path(get, path = "/v1/leads", tag = "leads",
    params(("grade" = Option<String>, Query), ("stage" = Option<String>, Query), ("status" = Option<String>, Query),
           ("sort" = Option<String>, Query, description = "-score (default) | score | -last_activity"),
           ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, description = "{items: [{conversation_id, customer_id, score, grade, stage, status, evidence, last_activity, last_message}]}"),
              (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_leads(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Q(q): Q<ListLeads>,
) -> Result<Json<Value>, ApiError> {
    auth.require(&[Role::Agent])?;
    let grade = match q.grade.as_deref() {
        None | Some("") => None,
        Some(g @ ("A" | "B" | "C" | "D")) => Some(g.to_string()),
        Some(_) => return Err(ApiError::bad_request("grade must be A, B, C or D")),
    };
    let sort = match q.sort.as_deref() {
        None | Some("") | Some("-score") => LeadSort::ScoreDesc,
        Some("score") => LeadSort::ScoreAsc,
        Some("-last_activity") => LeadSort::ActivityDesc,
        Some(_) => {
            return Err(ApiError::bad_request(
                "sort must be -score, score or -last_activity",
            ));
        }
    };
    let items = st
        .store
        .list_leads(&LeadFilter {
            grade,
            stage: q.stage.filter(|s| !s.is_empty()),
            status: parse_status(&q.status)?,
            sort,
            limit: q.limit.unwrap_or(100),
            offset: q.offset.unwrap_or(0),
        })
        .await?;
    Ok(Json(
        json!({"items": items.iter().map(lead_row_json).collect::<Vec<_>>()}),
    ))
}

#[utoipa::path(get, path = "/v1/stats", tag = "leads",
    responses((status = 200, description = "{leads_by_grade, intents, sentiment_by_day, funnel, conversations_per_day}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn stats(State(st): State<Arc<AppState>>, auth: Auth) -> Result<Json<Value>, ApiError> {
    auth.require(&[Role::Agent])?;
    let s = st.store.stats().await?;
    Ok(Json(serde_json::to_value(s).unwrap_or(Value::Null)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnalyzeIn {
    pub text: String,
}

/// Stateless analysis of one utterance.
#[utoipa::path(post, path = "/v1/analyze", tag = "analysis", request_body = AnalyzeIn,
    responses((status = 200, description = "Analysis"), (status = 400), (status = 401), (status = 413)),
    security(("bearer" = [])))]
pub async fn analyze(
    State(st): State<Arc<AppState>>,
    _auth: Auth,
    JsonBody(body): JsonBody<AnalyzeIn>,
) -> Result<Json<Value>, ApiError> {
    check_len(
        "text",
        &Some(body.text.clone()),
        st.config.max_message_chars,
    )?;
    if body.text.trim().is_empty() {
        return Err(ApiError::bad_request("text is empty"));
    }
    let t = Instant::now();
    let a = st
        .analyzer
        .analyze(&body.text, now_local(&st))
        .map_err(|e| ApiError::bad_request(format!("text could not be analyzed: {e}")))?;
    st.metrics
        .analyze_duration
        .observe(t.elapsed().as_secs_f64());
    Ok(Json(serde_json::to_value(a).unwrap_or(Value::Null)))
}

/// Read-only views of the company knowledge base and playbook.
#[utoipa::path(get, path = "/v1/company", tag = "company",
    responses((status = 200, description = "{company, products, faqs, competitors, playbook}; a widget key gets {company, products (no discount.max_pct), faqs}"), (status = 401)),
    security(("bearer" = [])))]
pub async fn company(State(st): State<Arc<AppState>>, auth: Auth) -> Result<Json<Value>, ApiError> {
    let c = &st.company;
    if auth.role() == Role::Widget {
        return Ok(Json(crate::customer::company(c)));
    }
    Ok(Json(json!({
        "company": c.info(), "products": c.products(), "faqs": c.faqs(),
        "competitors": c.competitors(), "playbook": c.playbook(),
    })))
}

// ------------------------------------------------------------------ admin

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateKeyIn {
    /// admin | agent | widget
    pub role: String,
    pub name: String,
}

/// Create an API key (the secret is shown once).
#[utoipa::path(post, path = "/v1/api_keys", tag = "admin", request_body = CreateKeyIn,
    responses((status = 201, description = "{id, key, role, name}"), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn create_api_key(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    JsonBody(body): JsonBody<CreateKeyIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    auth.require_admin()?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::bad_request("role must be admin, agent or widget"))?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request("name is empty"));
    }
    check_len("name", &Some(name.to_string()), 200)?;
    check_plain("name", Some(name))?;
    let (k, secret) = st.store.create_api_key(role, name).await?;
    st.store
        .audit(
            Some(&auth.key.id),
            "api_keys.create",
            Some(&k.id),
            &json!({"role": role.as_str()}),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": k.id, "key": secret, "role": role.as_str(), "name": k.name})),
    ))
}

#[utoipa::path(delete, path = "/v1/api_keys/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn revoke_api_key(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    auth.require_admin()?;
    if !st.store.revoke_api_key(&id).await? {
        return Err(ApiError::not_found("api key"));
    }
    st.keys.forget(&id).await;
    st.store
        .audit(Some(&auth.key.id), "api_keys.revoke", Some(&id), &json!({}))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWebhookIn {
    pub url: String,
    /// lead.grade_changed, handoff.requested, or * for all
    pub events: Vec<String>,
    /// HMAC-SHA256 key for the X-Tuoke-Signature header
    pub secret: String,
}

/// Subscribe a URL to events.
#[utoipa::path(post, path = "/v1/webhooks", tag = "admin", request_body = CreateWebhookIn,
    responses((status = 201, description = "{id, url, events, active, created_at}"), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn create_webhook(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    JsonBody(body): JsonBody<CreateWebhookIn>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    auth.require_admin()?;
    let url =
        reqwest::Url::parse(&body.url).map_err(|e| ApiError::bad_request(format!("url: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::bad_request("url must be http or https"));
    }
    st.egress
        .check_registration(&body.url, &url)
        .await
        .map_err(ApiError::bad_request)?;
    if body.events.is_empty() {
        return Err(ApiError::bad_request("events is empty"));
    }
    for e in &body.events {
        if e != "*" && !WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(ApiError::bad_request(format!(
                "unknown event {e:?}; known: {}",
                WEBHOOK_EVENTS.join(", ")
            )));
        }
    }
    if body.secret.len() < 8 {
        return Err(ApiError::bad_request(
            "secret must have at least 8 characters",
        ));
    }
    let w = st
        .store
        .create_webhook(url.as_str(), &body.events, &body.secret)
        .await?;
    st.store
        .audit(
            Some(&auth.key.id),
            "webhooks.create",
            Some(&w.id),
            &json!({"events": w.events}),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(&w).unwrap_or(Value::Null)),
    ))
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "admin",
    responses((status = 200, description = "{items: [webhook]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_webhooks(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Json<Value>, ApiError> {
    auth.require_admin()?;
    Ok(Json(json!({"items": st.store.list_webhooks().await?})))
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_webhook(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    auth.require_admin()?;
    if !st.store.delete_webhook(&id).await? {
        return Err(ApiError::not_found("webhook"));
    }
    st.store
        .audit(Some(&auth.key.id), "webhooks.delete", Some(&id), &json!({}))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/webhooks/outbox", tag = "admin",
    responses((status = 200, description = "{items: [delivery]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_outbox(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Json<Value>, ApiError> {
    auth.require_admin()?;
    Ok(Json(json!({"items": st.store.list_outbox(200).await?})))
}

#[utoipa::path(get, path = "/v1/audit", tag = "admin",
    responses((status = 200, description = "{items: [audit event]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_audit(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Json<Value>, ApiError> {
    auth.require_admin()?;
    Ok(Json(json!({"items": st.store.list_audit(200).await?})))
}

/// Everything stored about a customer (data-subject export).
#[utoipa::path(get, path = "/v1/customers/{id}/export", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, description = "{customer, conversations: [{conversation, messages, lead, handoffs}]}"), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn export_customer(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<Response, ApiError> {
    auth.require_admin()?;
    let ex = st
        .store
        .export_customer(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    st.store
        .audit(Some(&auth.key.id), "customer.export", Some(&id), &json!({}))
        .await?;
    let mut r = Json(ex).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"customer-{id}.json\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Delete a customer and all their conversations.
#[utoipa::path(delete, path = "/v1/customers/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_customer(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    auth.require_admin()?;
    if !st.store.delete_customer(&id).await? {
        return Err(ApiError::not_found("customer"));
    }
    st.store
        .audit(Some(&auth.key.id), "customer.delete", Some(&id), &json!({}))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------ ops

#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "{status: ok, db}"), (status = 503)))]
pub async fn healthz(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    st.store.ping().await?;
    Ok(Json(
        json!({"status": "ok", "db": st.store.engine().as_str()}),
    ))
}

#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(),
    )
        .into_response()
}
