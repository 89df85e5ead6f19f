//! Conversations: open one (the robot greets), list and read them and their messages, and the
//! customer's turn (`POST /v1/conversations/{id}/messages`: analysis → dialogue engine → one
//! commit → the response, stored once for idempotent resends).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use tuoke_core::{Analysis, Dialect, EntityType, Language};
use tuoke_dialogue::Action;
use tuoke_store::{
    ContactChange, HandoffChange, MessageRole, NewConversation, NewCustomer, NewMessage, Role,
};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::cache::Loaded;
use crate::error::{ApiError, JsonBody, P, Q};
use crate::http::input::{check_len, check_plain, now_local, parse_status, valid_email};
use crate::service::{
    Change, Mutated, Plan, lead_update, load_conversation, load_for_change, mutate, parse_state,
    publish, webhook_events,
};
use crate::state::AppState;
use crate::views::chat::quick_replies;
use crate::views::conversation::{ConversationOut, status_of};
use crate::views::list::Items;
use crate::views::message::MessageOut;
use crate::views::turn::turn_body;
use crate::{llm, pii, script};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/conversations",
            post(create_conversation).get(list_conversations),
        )
        .route("/conversations/{id}", get(get_conversation))
        .route(
            "/conversations/{id}/messages",
            post(post_message).get(list_messages),
        )
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

/// Open a conversation; the robot greets.
#[utoipa::path(post, path = "/v1/conversations", tag = "conversations", request_body = CreateConversation,
    responses((status = 201, description = "{id, customer_id, status, stage, created_at, messages: [greeting], ...conversation}"),
              (status = 400), (status = 401), (status = 403), (status = 413), (status = 429)),
    security(("bearer" = [])))]
pub async fn create_conversation(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    JsonBody(body): JsonBody<CreateConversation>,
) -> Result<Response, ApiError> {
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
    let after = Loaded {
        conv: created.conversation,
        state: Arc::new(out.state),
    };
    let c = &after.conv;
    publish(
        &st,
        &Change {
            before: None,
            after: &after,
            messages: &created.messages,
            actions: &[],
            callback: false,
            note: None,
        },
    );
    let mut v = if auth.role() == Role::Widget {
        ConversationOut::for_customer(c, &after.state)
    } else {
        ConversationOut::stored(c)
    };
    v.messages = Some(
        created
            .messages
            .iter()
            .map(|m| MessageOut::new(m, &st.cards))
            .collect(),
    );
    v.quick_replies = Some(quick_replies(&st, &after.state));
    add_token(&st, &auth, &c.id, &mut v);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A widget caller gets the conversation's (fresh) token: `token` and `token_expires_in` (s).
fn add_token(st: &AppState, auth: &Auth, conversation_id: &str, v: &mut ConversationOut) {
    if auth.role() == Role::Widget {
        v.token = Some(st.guard.issue_token(conversation_id, &auth.key.id));
        v.token_expires_in = Some(st.guard.token_ttl_secs());
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListConversations {
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// List conversations, most recently active first.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations",
    params(("status" = Option<String>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Items<ConversationOut>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_conversations(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Q(q): Q<ListConversations>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let items = st
        .store
        .list_conversations(
            parse_status(&q.status)?,
            q.limit.unwrap_or(50),
            q.offset.unwrap_or(0),
        )
        .await?;
    Ok(Json(Items::of(items.iter().map(ConversationOut::stored))).into_response())
}

#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations", params(("id" = String, Path)),
    responses((status = 200, body = ConversationOut), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_conversation(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<Response, ApiError> {
    let c = load_conversation(&st, &id, &auth).await?;
    let state = parse_state(&c);
    let widget = auth.role() == Role::Widget;
    let mut v = match &state {
        Ok(s) if widget => ConversationOut::for_customer(&c, s),
        Err(_) if widget => {
            return Err(ApiError::internal(
                "stored conversation state is unreadable",
            ));
        }
        _ => ConversationOut::stored(&c),
    };
    if let Ok(s) = &state {
        v.quick_replies = Some(quick_replies(&st, s));
    }
    add_token(&st, &auth, &c.id, &mut v);
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct ListMessages {
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = String, Path), ("after" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = Items<MessageOut>), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_messages(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    Q(q): Q<ListMessages>,
) -> Result<Response, ApiError> {
    load_conversation(&st, &id, &auth).await?;
    let items = st
        .store
        .list_messages(&id, q.after.unwrap_or(0), q.limit.unwrap_or(1000))
        .await?;
    let customer = auth.role() == Role::Widget;
    let view = |m| {
        let v = MessageOut::new(m, &st.cards);
        if customer { v.for_customer() } else { v }
    };
    Ok(Json(Items::of(items.iter().map(view))).into_response())
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
    // A widget key gets the customer's view of the turn ([`crate::views::customer`]).
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
    let contact = contact_of(&analysis);
    // A resend (a client that gave up waiting for a phrased reply) is not phrased again.
    if st.llm.is_some()
        && let Some(cmid) = &body.client_message_id
        && let Some(r) = st.store.turn_result(&id, cmid).await?
    {
        return resend(r, &text);
    }
    // With an LLM: the engine's turn on the loaded state, its reply reworded (and checked)
    // before anything is committed; the first plan below uses that output.
    let (mut early, phrasing) = match &st.llm {
        Some(llm) => {
            let out = engine.turn(&cur.state, &analysis, Utc::now());
            let phrasing = llm.phrase(&st.company, &out, &st.metrics).await;
            (Some((cur.conv.version, out)), phrasing)
        }
        None => (None, None),
    };
    let mut turn_llm = None;
    // The body as stored with the customer message is also the response: serialized once.
    let stored_body = std::sync::Mutex::new(None::<String>);
    let r = mutate(
        &st,
        cur,
        body.client_message_id.clone(),
        |c, state| {
            let mut out = match early.take() {
                Some((version, out)) if version == c.version => out,
                _ => engine.turn(state, &analysis, Utc::now()),
            };
            turn_llm = llm::apply(phrasing.as_ref(), &mut out);
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
                bm.llm = llm::stored_mark(turn_llm.as_ref());
                msgs.push(bm);
            }
            let handoff = out.actions.iter().find_map(|a| match a {
                Action::Handoff { reason, summary } => Some(HandoffChange::Requested {
                    reason: reason.clone(),
                    summary: serde_json::to_value(summary).unwrap_or(Value::Null),
                }),
                _ => None,
            });
            Ok(Plan {
                messages: msgs,
                // An unchanged lead only has its activity time and last message touched,
                // which leaves the score and grade indexes alone.
                lead: (out.lead != state.lead).then(|| lead_update(&out.lead)),
                handoff,
                webhooks: webhook_events(c, &out.actions),
                contact: contact.clone(),
                ..Plan::state(out.state.clone())
            }
            .with_output(out))
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
    let done = match r {
        Ok(x) => x,
        Err(Mutated::Duplicate) => {
            let cmid = body.client_message_id.as_deref().unwrap_or_default();
            return match st.store.turn_result(&id, cmid).await? {
                Some(r) => resend(r, &text),
                None => Err(ApiError::Duplicate("client_message_id already used".into())),
            };
        }
        Err(Mutated::Api(e)) => return Err(e),
    };
    st.metrics.turns.inc();
    st.metrics
        .turn_duration
        .observe(started.elapsed().as_secs_f64());
    if let Some(t) = &turn_llm {
        llm::count(&st.metrics, t);
    }
    let (after, msgs) = (&done.after, &done.messages);
    let out = done.plan.out.as_ref();
    publish(
        &st,
        &Change {
            actions: out.map_or(&[], |o| o.actions.as_slice()),
            ..Change::of(&done.before, after, msgs)
        },
    );
    let body = match stored_body.into_inner().ok().flatten() {
        Some(b) => b,
        None => match out {
            Some(o) => turn_body(&st, msgs, o, &analysis, customer),
            None => "{}".to_string(),
        },
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The stored response of a turn, for a resend of its `client_message_id` with `text`.
fn resend(r: Value, text: &str) -> Result<Response, ApiError> {
    // The same id for another text is a client bug, not a resend (as Stripe does).
    if r["message"]["text"].as_str() != Some(text) {
        return Err(ApiError::IdempotencyMismatch);
    }
    Ok(Json(r).into_response())
}

/// Contact details the customer typed, for their customer record (written with the turn; they
/// fill empty fields only).
fn contact_of(analysis: &Analysis) -> Option<ContactChange> {
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
    (contact != NewCustomer::default()).then_some(ContactChange::Fill(contact))
}
