//! The in-process bus of live events ([`Bus`], [`BusEvent`]) and the form events take between
//! processes on one PostgreSQL (`NOTIFY` payloads, see [`crate::peers`]). What is published is
//! decided in one place, [`crate::service::publish`].

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

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
    /// to [`crate::peers::forward_to_peers`], which sends it to the other processes.
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
    /// How many events never reached the other processes since the last call.
    pub(crate) fn take_remote_dropped(&self) -> u64 {
        self.remote_dropped
            .swap(0, std::sync::atomic::Ordering::Relaxed)
    }
    pub(crate) fn count_remote_dropped(&self, n: u64) {
        self.remote_dropped
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
    /// Starts handing every published event to `tx` (see [`crate::peers::forward_to_peers`]).
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
pub(crate) struct PeerEvent {
    pub conversation_id: String,
    pub kind: String,
    pub seq: Option<i64>,
    pub data: serde_json::Value,
}

pub(crate) fn static_kind(k: &str) -> Option<&'static str> {
    ["message", "lead", "handoff", "conversation", "lagged"]
        .into_iter()
        .find(|known| *known == k)
}

/// The `NOTIFY` payloads for a batch of this process's events; when `dropped` events never went
/// out before it, a `lagged` event first, so the other processes' dashboards re-read.
pub(crate) fn peer_payloads(
    node: &str,
    batch: impl Iterator<Item = BusEvent>,
    dropped: u64,
) -> Vec<String> {
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
        assert_eq!(bus.take_remote_dropped(), 2);
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
