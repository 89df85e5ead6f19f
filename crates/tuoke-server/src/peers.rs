//! Live events between server processes on one PostgreSQL: each process sends its events to
//! the others (`NOTIFY tuoke_events`, batched) and publishes theirs on its own bus (`LISTEN`),
//! so a dashboard on any process shows every conversation.

use std::sync::Arc;

use serde_json::json;

use crate::bus::{BusEvent, PeerEvent, data, peer_payloads, static_kind};
use crate::state::{AppState, stopped};

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
                let dropped = st.bus.take_remote_dropped();
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
