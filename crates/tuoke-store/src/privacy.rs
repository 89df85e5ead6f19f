//! Customers and the privacy duties: contact details (written with a turn, see
//! [`Store::commit`]), the audit log, a data-subject export, and erasure (deleting a customer
//! and everything about them, then scrubbing the SQLite WAL).

use std::time::Duration;

use sqlx::AssertSqlSafe;

use crate::pg_commit::stmt_query;
use crate::{
    AuditEvent, ConversationExport, Customer, CustomerExport, Db, Result, Store, from_json, now_ms,
    writes,
};

impl Store {
    /// Records an audit event. `detail` must not contain PII.
    pub async fn audit(
        &self,
        actor: Option<&str>,
        action: &str,
        target: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<()> {
        let insert = writes::audit_write(actor, action, target, detail, now_ms());
        write!(self, p => { stmt_query(&insert)?.execute(p).await?; });
        Ok(())
    }

    pub async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEvent>> {
        let rows: Vec<(String, i64, Option<String>, String, Option<String>, String)> = read!(self, p => {
            sqlx::query_as("SELECT id, at, actor, action, target, detail FROM audit_events ORDER BY at DESC, id DESC LIMIT $1")
                .bind(limit.clamp(1, 1000)).fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(id, at, actor, action, target, detail)| {
                Ok(AuditEvent {
                    id,
                    at,
                    actor,
                    action,
                    target,
                    detail: from_json("audit detail", &detail)?,
                })
            })
            .collect()
    }

    pub async fn get_customer(&self, id: &str) -> Result<Option<Customer>> {
        let r: Option<(
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
        )> = read!(self, p => {
            sqlx::query_as("SELECT id, name, phone, email, wechat, created_at FROM customers WHERE id = $1").bind(id).fetch_optional(p).await?
        });
        Ok(
            r.map(|(id, name, phone, email, wechat, created_at)| Customer {
                id,
                name,
                phone,
                email,
                wechat,
                created_at,
            }),
        )
    }

    /// Everything stored about a customer, for a data-subject export.
    pub async fn export_customer(&self, id: &str) -> Result<Option<CustomerExport>> {
        let Some(customer) = self.get_customer(id).await? else {
            return Ok(None);
        };
        let conv_ids: Vec<String> = read!(self, p => {
            sqlx::query_scalar("SELECT id FROM conversations WHERE customer_id = $1 ORDER BY created_at").bind(id).fetch_all(p).await?
        });
        let mut conversations = Vec::new();
        for cid in conv_ids {
            let Some(conversation) = self.get_conversation(&cid).await? else {
                continue;
            };
            let messages = self.list_messages(&cid, 0, 10_000).await?;
            let lead = self.get_lead(&cid).await?;
            let handoffs: Vec<(
                String,
                String,
                Option<String>,
                i64,
                Option<i64>,
                Option<i64>,
            )> = read!(self, p => {
                sqlx::query_as("SELECT reason, summary, agent, requested_at, taken_at, released_at FROM handoffs WHERE conversation_id = $1 ORDER BY requested_at")
                    .bind(&cid).fetch_all(p).await?
            });
            let handoffs = handoffs
                .into_iter()
                .map(|(reason, summary, agent, requested_at, taken_at, released_at)| {
                    serde_json::json!({"reason": reason, "summary": serde_json::from_str::<serde_json::Value>(&summary).unwrap_or_default(),
                                       "agent": agent, "requested_at": requested_at, "taken_at": taken_at, "released_at": released_at})
                })
                .collect();
            conversations.push(ConversationExport {
                conversation,
                messages,
                lead,
                handoffs,
            });
        }
        Ok(Some(CustomerExport {
            customer,
            conversations,
        }))
    }

    /// Deletes a customer and everything about them (conversations, messages, leads, handoffs,
    /// queued webhook payloads that mention their conversations). Returns false if unknown.
    pub async fn delete_customer(&self, id: &str) -> Result<bool> {
        let n = write!(self, p => {
            let mut tx = p.begin().await?;
            let convs: Vec<String> = sqlx::query_scalar("SELECT id FROM conversations WHERE customer_id = $1").bind(id).fetch_all(&mut *tx).await?;
            for cid in &convs {
                sqlx::query("DELETE FROM messages WHERE conversation_id = $1").bind(cid).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM leads WHERE conversation_id = $1").bind(cid).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM handoffs WHERE conversation_id = $1").bind(cid).execute(&mut *tx).await?;
                for t in ["notes", "outcomes", "read_marks"] {
                    sqlx::query(AssertSqlSafe(format!("DELETE FROM {t} WHERE conversation_id = $1"))).bind(cid).execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM webhook_outbox WHERE delivered_at IS NULL AND payload LIKE $1").bind(format!("%{cid}%")).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM conversations WHERE customer_id = $1").bind(id).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM customers WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            n
        });
        if n > 0 {
            self.scrub_wal().await?;
        }
        Ok(n > 0)
    }

    /// On SQLite, copies the WAL into the database and truncates it to zero bytes, so the old
    /// page images written before an erasure are gone from the files (the database pages
    /// themselves were zeroed by `secure_delete`). On PostgreSQL a no-op: dead rows stay in
    /// the heap until `VACUUM` (see the README).
    async fn scrub_wal(&self) -> Result<()> {
        if let Db::Sqlite { write, .. } = &self.db {
            // Readers holding an old snapshot make TRUNCATE return busy = 1 without waiting
            // for them; retry briefly, the read pool's statements are short.
            for attempt in 0..50 {
                let (busy, _, _): (i64, i64, i64) =
                    sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                        .fetch_one(write)
                        .await?;
                if busy == 0 {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(10 * (attempt + 1).min(10))).await;
            }
            tracing::warn!("WAL checkpoint after an erasure stayed busy; retried at the next one");
        }
        Ok(())
    }
}
