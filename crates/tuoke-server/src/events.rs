//! Live events: an in-process broadcast bus and the two Server-Sent-Events streams.
//!
//! Per-conversation streams are resumable without loss or duplicates: the SSE `id:` of a
//! `message` event is the message's per-conversation `seq`. A stream first replays the stored
//! messages after `Last-Event-ID` (or `?after=`), then forwards live events, skipping any message
//! at or below the last seq sent. It also re-reads the store every `sse_poll`, which picks up
//! messages committed by other server processes on the same PostgreSQL and anything dropped
//! by a lagging broadcast receiver.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;
use tuoke_store::Role;

use crate::AppState;
use crate::api::message_json;
use crate::auth::Auth;
use crate::error::{ApiError, P, Q};

/// One live event.
#[derive(Debug, Clone)]
pub struct BusEvent {
    pub conversation_id: String,
    /// `message`, `lead`, `handoff`, `conversation`, or `lagged` (events were missed: re-read).
    pub kind: &'static str,
    /// Message seq for `message` events.
    pub seq: Option<i64>,
    /// The event body as JSON text, serialized once for every stream that forwards it.
    pub data: Arc<str>,
}

/// An event body: `v` as JSON text.
pub fn data<T: serde::Serialize + ?Sized>(v: &T) -> Arc<str> {
    Arc::from(serde_json::to_string(v).unwrap_or_else(|_| "{}".into()))
}

pub struct Bus {
    tx: broadcast::Sender<BusEvent>,
    /// With several processes on one PostgreSQL: every event published here is also handed
    /// to [`forward_to_peers`], which sends it to the other processes.
    remote: std::sync::OnceLock<tokio::sync::mpsc::Sender<BusEvent>>,
    /// Events that never reached the other processes (queue full, or a failed `NOTIFY`) since
    /// the last batch that went out; the next batch tells them with a `lagged` event.
    remote_dropped: std::sync::atomic::AtomicU64,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub fn new() -> Bus {
        Bus {
            tx: broadcast::channel(4096).0,
            remote: std::sync::OnceLock::new(),
            remote_dropped: std::sync::atomic::AtomicU64::new(0),
        }
    }
    /// Publishes an event of this process: to its streams, and to the other processes.
    pub fn publish(&self, e: BusEvent) {
        // Bounded: if PostgreSQL cannot keep up, other processes' dashboards miss events (as a
        // lagging stream does) rather than this process's memory growing without limit.
        if let Some(r) = self.remote.get()
            && r.try_send(e.clone()).is_err()
        {
            tracing::debug!("live event not sent to other processes (queue full)");
            self.count_remote_dropped(1);
        }
        self.publish_local(e);
    }
    /// Publishes to this process's streams only (events that came from another process).
    pub fn publish_local(&self, e: BusEvent) {
        // No receivers is fine.
        let _ = self.tx.send(e);
    }
    /// Whether anyone may read events: a stream of this process, or other processes.
    /// Without either, callers skip building event bodies.
    pub fn has_listeners(&self) -> bool {
        self.tx.receiver_count() > 0 || self.remote.get().is_some()
    }
    fn count_remote_dropped(&self, n: u64) {
        self.remote_dropped
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
    /// Starts handing every published event to `tx` (see [`forward_to_peers`]).
    pub fn set_remote(&self, tx: tokio::sync::mpsc::Sender<BusEvent>) {
        let _ = self.remote.set(tx);
    }
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.tx.subscribe()
    }
}

/// An event as it travels between processes: the `NOTIFY` payload is the sending process's id,
/// a newline (so a process skips its own events without parsing them), then this as JSON.
#[derive(Deserialize)]
struct PeerEvent {
    conversation_id: String,
    kind: String,
    seq: Option<i64>,
    data: serde_json::Value,
}

fn static_kind(k: &str) -> Option<&'static str> {
    ["message", "lead", "handoff", "conversation", "lagged"]
        .into_iter()
        .find(|known| *known == k)
}

/// The `NOTIFY` payloads for a batch of this process's events; when `dropped` events never went
/// out before it, a `lagged` event first, so the other processes' dashboards re-read.
fn peer_payloads(node: &str, batch: impl Iterator<Item = BusEvent>, dropped: u64) -> Vec<String> {
    let lagged = (dropped > 0).then(|| BusEvent {
        conversation_id: String::new(),
        kind: "lagged",
        seq: None,
        data: data(&json!({"missed": dropped, "reason": "peer_events_dropped"})),
    });
    lagged
        .into_iter()
        .chain(batch)
        .map(|e| {
            // `data` is already JSON text: embedded as is, not parsed again.
            format!(
                "{node}\n{{\"conversation_id\":{},\"kind\":{},\"seq\":{},\"data\":{}}}",
                serde_json::Value::from(e.conversation_id),
                serde_json::Value::from(e.kind),
                e.seq.map_or("null".to_string(), |s| s.to_string()),
                e.data
            )
        })
        .collect()
}

/// Sends this process's events to the other processes on the same PostgreSQL, batching what
/// has queued into one `NOTIFY` round trip. Ends when the server shuts down.
pub(crate) async fn forward_to_peers(
    st: Arc<AppState>,
    node: String,
    mut rx: tokio::sync::mpsc::Receiver<BusEvent>,
) {
    let mut shutdown = st.shutdown.clone();
    let mut batch = Vec::with_capacity(256);
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            n = rx.recv_many(&mut batch, 256) => {
                if n == 0 {
                    return;
                }
                let dropped = st.bus.remote_dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
                let payloads = peer_payloads(&node, batch.drain(..), dropped);
                if let Err(e) = st.store.notify_events(&payloads).await {
                    tracing::warn!(error = %e, events = payloads.len(), "could not send live events to other processes");
                    st.bus.count_remote_dropped(payloads.len() as u64);
                }
            }
        }
    }
}

/// Publishes the events other processes send to this process's streams. Ends when the
/// server shuts down.
pub(crate) async fn relay_from_peers(
    st: Arc<AppState>,
    node: String,
    mut listener: tuoke_store::EventListener,
) {
    let mut shutdown = st.shutdown.clone();
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            r = listener.recv() => match r {
                Ok(None) => {
                    // The LISTEN connection was lost and is back: whatever other processes sent
                    // meanwhile is gone. Dashboards re-read their lists on `lagged`.
                    tracing::warn!("live events from other processes resumed after a lost connection");
                    st.bus.publish_local(BusEvent {
                        conversation_id: String::new(),
                        kind: "lagged",
                        seq: None,
                        data: data(&json!({"missed": null, "reason": "peer_events_reconnected"})),
                    });
                }
                Ok(Some(payload)) => {
                    let Some((origin, body)) = payload.split_once('\n') else { continue };
                    if origin == node {
                        continue;
                    }
                    let Ok(e) = serde_json::from_str::<PeerEvent>(body) else {
                        tracing::warn!("unreadable live event from another process");
                        continue;
                    };
                    let Some(kind) = static_kind(&e.kind) else { continue };
                    st.bus.publish_local(BusEvent {
                        conversation_id: e.conversation_id,
                        kind,
                        seq: e.seq,
                        data: data(&e.data),
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "live events from other processes interrupted");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            },
        }
    }
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

/// Resolves when the server shuts down.
pub(crate) async fn stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
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
    // A widget key gets the customer's view of its stream ([`crate::customer`]).
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
                    let mut data = message_json(&m, &st.cards);
                    if customer {
                        data = crate::customer::message(data);
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
                                if let Some(ev) = crate::customer::event(&e) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str) -> BusEvent {
        BusEvent {
            conversation_id: id.into(),
            kind: "message",
            seq: Some(2),
            data: data(&json!({"text": "你好"})),
        }
    }

    #[test]
    fn events_that_could_not_be_queued_for_peers_are_counted() {
        let bus = Bus::new();
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        bus.set_remote(tx);
        for i in 0..3 {
            bus.publish(ev(&format!("c{i}")));
        }
        assert_eq!(
            bus.remote_dropped
                .swap(0, std::sync::atomic::Ordering::Relaxed),
            2
        );
    }

    #[test]
    fn a_batch_after_drops_starts_with_lagged_and_peers_can_read_it() {
        let p = peer_payloads("n1", [ev("c1")].into_iter(), 5);
        assert_eq!(p.len(), 2);
        let (node, body) = p[0].split_once('\n').unwrap();
        assert_eq!(node, "n1");
        let e: PeerEvent = serde_json::from_str(body).unwrap();
        assert_eq!(static_kind(&e.kind), Some("lagged"));
        assert_eq!(e.data["missed"], 5);
        let m: PeerEvent = serde_json::from_str(p[1].split_once('\n').unwrap().1).unwrap();
        assert_eq!(
            (m.conversation_id.as_str(), m.kind.as_str(), m.seq),
            ("c1", "message", Some(2))
        );
        assert_eq!(m.data["text"], "你好");
        assert_eq!(peer_payloads("n1", [ev("c1")].into_iter(), 0).len(), 1);
    }
}
