//! Retention: clears data that is only useful for a while, so the database stops growing with
//! traffic that no one will ask about again.
//!
//! - A turn's stored response exists so a client that resends the same `client_message_id`
//!   (after a timeout, a dropped connection) gets the first answer back. Past the resend window it
//!   is cleared; the message keeps its id, so a late resend is still refused (409), never
//!   processed twice. It is about half of what a turn adds to the database (3.4 of 7.2 KiB in
//!   the load benchmark).
//! - Webhook outbox rows that were delivered or given up are deleted after their window; pending
//!   rows are never touched.
//!
//! Conversations, messages, leads, handoffs and audit events are kept: they are the business
//! record (an admin deletes a customer's data through the privacy endpoint).
//!
//! Every process runs the sweep. On a shared PostgreSQL the statements are idempotent: several
//! sweepers at once repeat each other's work or wait for each other's row locks, and one that
//! fails (say, on a deadlock) logs a warning and tries again at its next interval.

use std::sync::Arc;
use std::time::Duration;

use tuoke_store::now_ms;

use crate::state::{AppState, stopped};

/// What one sweep cleared.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub turn_results: u64,
    pub outbox_rows: u64,
}

/// Runs one sweep with the configured windows (a window of `None` keeps that data forever).
pub async fn sweep(st: &AppState) -> Result<Swept, tuoke_store::StoreError> {
    let now = now_ms();
    let before = |w: Duration| now.saturating_sub(i64::try_from(w.as_millis()).unwrap_or(i64::MAX));
    let mut out = Swept::default();
    if let Some(w) = st.config.resend_window {
        out.turn_results = st.store.prune_turn_results(before(w)).await?;
    }
    if let Some(w) = st.config.outbox_retention {
        out.outbox_rows = st.store.prune_outbox(before(w)).await?;
    }
    for (kind, n) in [
        ("turn_results", out.turn_results),
        ("outbox_rows", out.outbox_rows),
    ] {
        st.metrics
            .retention_cleared
            .get_or_create(&crate::metrics::KindLabel { kind: kind.into() })
            .inc_by(n);
    }
    Ok(out)
}

/// Sweeps at start and then every `retention_interval` until shutdown.
pub(crate) async fn run(st: Arc<AppState>) {
    let sweeps = st.config.resend_window.is_some() || st.config.outbox_retention.is_some();
    let mut shutdown = st.shutdown.clone();
    let mut tick = tokio::time::interval(st.config.retention_interval.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            _ = tick.tick() => {}
        }
        // Idle rate-limit buckets of past clients.
        st.guard.shrink();
        if !sweeps {
            continue;
        }
        // A sweep with a large backlog is cut short by shutdown; each batch is its own
        // statement, so what was cleared stays cleared and the rest waits for the next start.
        let r = tokio::select! {
            _ = stopped(&mut shutdown) => return,
            r = sweep(&st) => r,
        };
        match r {
            Ok(s) if s != Swept::default() => tracing::info!(
                turn_results = s.turn_results,
                outbox_rows = s.outbox_rows,
                "retention sweep cleared old data"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
        }
    }
}
