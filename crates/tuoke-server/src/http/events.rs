//! The two Server-Sent-Events streams: one conversation's (`GET /v1/conversations/{id}/events`)
//! and every conversation's (`GET /v1/events`, agents and admins).
//!
//! Per-conversation streams are resumable without loss or duplicates: the SSE `id:` of a
//! `message` event is the message's per-conversation `seq`. A stream first replays the stored
//! messages after `Last-Event-ID` (or `?after=`), then forwards live events, skipping any message
//! at or below the last seq sent. It also re-reads the store every `sse_poll`, which picks up
//! messages committed by other server processes on the same PostgreSQL and anything dropped
//! by a lagging broadcast receiver.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;
use tuoke_store::Role;

use crate::auth::Auth;
use crate::bus::BusEvent;
use crate::error::{ApiError, P, Q};
use crate::state::{AppState, stopped};
use crate::views::customer;
use crate::views::message::MessageOut;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/conversations/{id}/events", get(conversation_events))
        .route("/events", get(all_events))
}

#[derive(Debug, Deserialize, Default)]
pub struct AfterQuery {
    pub after: Option<i64>,
}

fn to_event(e: &BusEvent, with_id: bool) -> Event {
    let mut ev = Event::default().event(e.kind).data(&*e.data);
    if with_id && let Some(s) = e.seq {
        ev = ev.id(s.to_string());
    }
    ev
}

/// Decrements the SSE client gauge when a stream ends.
struct ClientGuard(Arc<AppState>);
impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.metrics.sse_clients.dec();
    }
}

/// `GET /v1/conversations/{id}/events?after=SEQ` — this conversation's events.
#[utoipa::path(get, path = "/v1/conversations/{id}/events", tag = "events",
    params(("id" = String, Path), ("after" = Option<i64>, Query, description = "resume after this message seq (or Last-Event-ID)")),
    responses((status = 200, description = "text/event-stream of message, lead, handoff, conversation events"), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = []), ("key" = [])))]
pub async fn conversation_events(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
    Q(q): Q<AfterQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let conv = st
        .store
        .get_conversation(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    auth.may_access(&st, &conv.id, conv.created_by_key.as_deref())?;
    // A widget key gets the customer's view of its stream ([`crate::views::customer`]).
    let customer = auth.role() == Role::Widget;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<i64>().ok());
    let mut last = last_event_id.or(q.after).unwrap_or(0).max(0);
    let mut rx = st.bus.subscribe();
    let mut shutdown = st.shutdown.clone();
    st.metrics.sse_clients.inc();
    let guard = ClientGuard(st.clone());
    let poll = st.config.sse_poll;
    let stream = async_stream::stream! {
        let _guard = guard;
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Catch up from the store: the replay on connect, and every poll tick.
            match st.store.list_messages(&id, last, 1000).await {
                Ok(msgs) => for m in msgs {
                    last = m.seq;
                    let mut data = MessageOut::new(&m, &st.cards);
                    if customer {
                        data = data.for_customer();
                    }
                    yield Ok(Event::default().event("message").id(m.seq.to_string())
                        .data(serde_json::to_string(&data).unwrap_or_default()));
                },
                Err(e) => tracing::warn!(error = %e, "sse catch-up failed"),
            }
            loop {
                tokio::select! {
                    _ = stopped(&mut shutdown) => return,
                    _ = tick.tick() => break,
                    r = rx.recv() => match r {
                        Ok(e) if e.conversation_id == id => {
                            if let Some(seq) = e.seq {
                                if seq <= last { continue; }
                                if seq > last + 1 {
                                    // A gap (an event of another process, or one still in
                                    // flight): fill it from the store first.
                                    break;
                                }
                                last = seq;
                            }
                            if customer {
                                if let Some(ev) = customer::event(&e) {
                                    yield Ok(ev);
                                }
                            } else {
                                yield Ok(to_event(&e, true));
                            }
                        }
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// `GET /v1/events` — every conversation's events (agents and admins; for the dashboard).
#[utoipa::path(get, path = "/v1/events", tag = "events",
    responses((status = 200, description = "text/event-stream of all events, each with conversation_id"), (status = 401), (status = 403)),
    security(("bearer" = []), ("key" = [])))]
pub async fn all_events(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    auth.require(&[Role::Agent])?;
    let mut rx = st.bus.subscribe();
    let mut shutdown = st.shutdown.clone();
    st.metrics.sse_clients.inc();
    let guard = ClientGuard(st.clone());
    let stream = async_stream::stream! {
        let _guard = guard;
        loop {
            tokio::select! {
                _ = stopped(&mut shutdown) => return,
                r = rx.recv() => match r {
                    Ok(e) => yield Ok(to_event(&e, false)),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        yield Ok(Event::default().event("lagged").data(json!({"missed": n}).to_string()));
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
