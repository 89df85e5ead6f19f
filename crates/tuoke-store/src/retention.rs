//! Retention: clearing stored turn results and finished outbox rows older than a cut-off, in
//! small batches so turns keep flowing meanwhile.

use crate::{Result, Store};

/// Rows changed by one retention statement: small, so the SQLite write lock is held for a few
/// milliseconds at a time and turns keep flowing while old data is cleared.
const PRUNE_BATCH: i64 = 200;
/// After each retention batch the sweep pauses this many times the batch's duration, so it
/// takes at most a quarter of the write path while turns are coming in.
const PRUNE_PAUSE_FACTOR: u32 = 3;

impl Store {
    /// Clears the stored responses of turns created before `before` (Unix ms). A resend of such
    /// a turn's `client_message_id` is still refused as a duplicate (the message keeps its id),
    /// it just no longer gets the first response back. Returns how many were cleared.
    pub async fn prune_turn_results(&self, before: i64) -> Result<u64> {
        self.prune_in_batches(
            "UPDATE messages SET result = NULL WHERE id IN (SELECT id FROM messages \
             WHERE result IS NOT NULL AND created_at < $1 LIMIT $2)",
            before,
        )
        .await
    }

    /// Deletes webhook outbox rows that were delivered, or given up, before `before` (Unix ms).
    /// Rows still pending are never touched. Returns how many were deleted.
    pub async fn prune_outbox(&self, before: i64) -> Result<u64> {
        let delivered = self
            .prune_in_batches(
                "DELETE FROM webhook_outbox WHERE id IN (SELECT id FROM webhook_outbox \
                 WHERE delivered_at IS NOT NULL AND delivered_at < $1 LIMIT $2)",
                before,
            )
            .await?;
        let failed = self
            .prune_in_batches(
                "DELETE FROM webhook_outbox WHERE id IN (SELECT id FROM webhook_outbox \
                 WHERE delivered_at IS NULL AND failed_at IS NOT NULL AND failed_at < $1 LIMIT $2)",
                before,
            )
            .await?;
        Ok(delivered + failed)
    }

    /// Runs `sql` (binding `$1` = `before`, `$2` = the batch size) until it changes fewer rows
    /// than a batch; each run is its own short transaction, followed by a pause.
    async fn prune_in_batches(&self, sql: &'static str, before: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let started = std::time::Instant::now();
            let n = write!(self, p => {
                sqlx::query(sql).bind(before).bind(PRUNE_BATCH).execute(p).await?.rows_affected()
            });
            total += n;
            if n < PRUNE_BATCH as u64 {
                return Ok(total);
            }
            tokio::time::sleep(started.elapsed() * PRUNE_PAUSE_FACTOR).await;
        }
    }
}
