//! Webhook subscriptions and their persisted outbox: queueing events, claiming due deliveries
//! under a lease, recording each attempt's outcome, and listing the outbox.

use crate::{Delivery, OutboxRow, Result, Store, Webhook, from_json, new_id, now_ms, to_json};

impl Store {
    pub async fn create_webhook(
        &self,
        url: &str,
        events: &[String],
        secret: &str,
    ) -> Result<Webhook> {
        let w = Webhook {
            id: new_id(),
            url: url.to_string(),
            events: events.to_vec(),
            secret: secret.to_string(),
            active: true,
            created_at: now_ms(),
        };
        write!(self, p => {
            sqlx::query("INSERT INTO webhooks (id, url, events, secret, active, created_at) VALUES ($1, $2, $3, $4, 1, $5)")
                .bind(&w.id).bind(&w.url).bind(to_json(&w.events)).bind(&w.secret).bind(w.created_at)
                .execute(p).await?;
        });
        Ok(w)
    }

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        let rows: Vec<(String, String, String, String, i64, i64)> = read!(self, p => {
            sqlx::query_as("SELECT id, url, events, secret, active, created_at FROM webhooks ORDER BY created_at").fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(id, url, events, secret, active, created_at)| {
                Ok(Webhook {
                    id,
                    url,
                    events: from_json("webhook events", &events)?,
                    secret,
                    active: active != 0,
                    created_at,
                })
            })
            .collect()
    }

    pub async fn delete_webhook(&self, id: &str) -> Result<bool> {
        let n = write!(self, p => sqlx::query("UPDATE webhooks SET active = 0 WHERE id = $1").bind(id).execute(p).await?.rows_affected());
        Ok(n > 0)
    }

    /// Queues an event for every active subscription that wants it (outside a turn).
    pub async fn enqueue_event(&self, event: &str, payload: &serde_json::Value) -> Result<usize> {
        let subs = self.list_webhooks().await?;
        let now = now_ms();
        let mut n = 0;
        for w in subs
            .iter()
            .filter(|w| w.active && w.events.iter().any(|e| e == event || e == "*"))
        {
            write!(self, p => {
                sqlx::query("INSERT INTO webhook_outbox (id, webhook_id, event, payload, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 0, $5, $5)")
                    .bind(new_id()).bind(&w.id).bind(event).bind(to_json(payload)).bind(now)
                    .execute(p).await?;
            });
            n += 1;
        }
        Ok(n)
    }

    /// Claims up to `limit` due deliveries for `lease_ms` (so that other workers, also in other
    /// processes, skip them) and returns them with their subscription's URL and secret.
    pub async fn claim_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let rows: Vec<(String, String, String, String, i64, i64)> = write!(self, p => {
            // The outer conditions are re-checked by PostgreSQL on the locked row, so two
            // processes never claim the same delivery.
            sqlx::query_as("UPDATE webhook_outbox SET locked_until = $1 \
                            WHERE id IN (SELECT id FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2 \
                                         AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at LIMIT $3) \
                              AND delivered_at IS NULL AND failed_at IS NULL AND (locked_until IS NULL OR locked_until < $2) \
                            RETURNING id, webhook_id, event, payload, attempts, created_at")
                .bind(now + lease_ms).bind(now).bind(limit).fetch_all(p).await?
        });
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let hooks = self.list_webhooks().await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, webhook_id, event, payload, attempts, created_at) in rows {
            match hooks.iter().find(|w| w.id == webhook_id) {
                Some(w) if w.active => out.push(Delivery {
                    id,
                    webhook_id,
                    url: w.url.clone(),
                    secret: w.secret.clone(),
                    event,
                    payload,
                    attempts,
                    created_at,
                }),
                _ => {
                    self.fail_delivery(&id, now, "subscription removed").await?;
                }
            }
        }
        Ok(out)
    }

    pub async fn mark_delivered(&self, id: &str, now: i64) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE webhook_outbox SET delivered_at = $1, attempts = attempts + 1, locked_until = NULL, last_error = NULL WHERE id = $2")
                .bind(now).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Records a failed attempt and schedules the next one at `next_at`.
    pub async fn retry_delivery(&self, id: &str, next_at: i64, error: &str) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
                .bind(next_at).bind(error).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Gives up on a delivery for good.
    pub async fn fail_delivery(&self, id: &str, now: i64, error: &str) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE webhook_outbox SET attempts = attempts + 1, failed_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
                .bind(now).bind(error).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Outbox rows (for the admin view and tests).
    pub async fn list_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows: Vec<(
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            i64,
        )> = read!(self, p => {
            sqlx::query_as("SELECT id, webhook_id, event, attempts, delivered_at, failed_at, last_error, created_at FROM webhook_outbox ORDER BY created_at DESC LIMIT $1")
                .bind(limit.clamp(1, 1000)).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    webhook_id,
                    event,
                    attempts,
                    delivered_at,
                    failed_at,
                    last_error,
                    created_at,
                )| {
                    OutboxRow {
                        id,
                        webhook_id,
                        event,
                        attempts,
                        delivered_at,
                        failed_at,
                        last_error,
                        created_at,
                    }
                },
            )
            .collect())
    }
}
