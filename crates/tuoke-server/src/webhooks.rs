//! Webhook delivery from the persisted outbox.
//!
//! Rows are written in the same transaction as the turn that caused them, so an event exists
//! exactly when its turn was committed. A worker in every server process claims due rows with a
//! lease (so processes sharing a PostgreSQL never send the same row twice at once), POSTs them
//! signed, and either marks them delivered or schedules the next attempt with exponential
//! back-off. Nothing is kept in memory only: after a restart, undelivered rows are picked up again.
//!
//! Request: `POST <url>` with JSON body `{"id", "event", "created_at", "data"}` and headers
//! `X-Tuoke-Event`, `X-Tuoke-Delivery` (the row id; receivers dedupe on it) and
//! `X-Tuoke-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tuoke_store::{Delivery, now_ms};

use crate::error::ServerError;
use crate::metrics::ResultLabel;
use crate::state::{AppState, stopped};
use crate::views::time::ts;

/// Webhook event names a subscription may ask for (`*` = all).
pub const WEBHOOK_EVENTS: [&str; 3] = [
    "lead.grade_changed",
    "handoff.requested",
    "callback.requested",
];

/// HMAC-SHA256 over `"<t>.<body>"` with `secret`: the one place the signed layout is written.
fn mac(secret: &str, t: i64, body: &str) -> Option<Hmac<Sha256>> {
    // HMAC accepts keys of any length; new_from_slice cannot fail for Hmac<Sha256>.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Some(mac)
}

/// `t=<ts>,v1=<hex>` for `body` signed with `secret` at `t` (Unix seconds).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    match mac(secret, t, body) {
        Some(m) => format!("t={t},v1={}", hex::encode(m.finalize().into_bytes())),
        None => String::new(),
    }
}

/// Checks a signature header as a receiver would (constant-time compare of the MAC).
pub fn verify(secret: &str, header: &str, body: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = hex::decode(x).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    mac(secret, t, body).is_some_and(|m| m.verify_slice(&v1).is_ok())
}

/// The body of a delivery: stable across retries.
pub fn envelope(d: &Delivery, created_at: i64) -> String {
    let data: serde_json::Value =
        serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({"id": d.id, "event": d.event, "created_at": ts(created_at), "data": data})
        .to_string()
}

/// Delay before attempt number `attempts + 1` (after `attempts` failures).
pub fn backoff(base: Duration, max: Duration, attempts: i64) -> Duration {
    let exp = attempts.clamp(0, 30) as u32;
    base.saturating_mul(2u32.saturating_pow(exp)).min(max)
}

pub(crate) fn run_worker(st: Arc<AppState>) -> Result<impl Future<Output = ()>, ServerError> {
    let client = reqwest::Client::builder()
        .timeout(st.config.webhook_timeout)
        .user_agent(concat!("tuoke-webhooks/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        // Every connection goes to an address the egress policy permits: names through this
        // resolver, IP literals checked before each send. No proxy, which would resolve for us.
        .dns_resolver(crate::egress::GuardedResolver::new(st.egress.clone()))
        .no_proxy()
        .build()
        .map_err(|e| ServerError::Http(e.to_string()))?;
    Ok(async move {
        let mut shutdown = st.shutdown.clone();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let worked = match deliver_due(&st, &client).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook worker");
                    false
                }
            };
            if worked {
                continue;
            }
            tokio::select! {
                _ = stopped(&mut shutdown) => return,
                _ = st.webhook_wake.notified() => {}
                _ = tokio::time::sleep(st.config.webhook_poll) => {}
            }
        }
    })
}

/// Claims and sends one batch; returns how many were attempted.
async fn deliver_due(
    st: &AppState,
    client: &reqwest::Client,
) -> Result<usize, tuoke_store::StoreError> {
    let now = now_ms();
    let lease = (st.config.webhook_timeout.as_millis() as i64) * 2 + 5_000;
    let batch = st.store.claim_deliveries(now, lease, 16).await?;
    let n = batch.len();
    let sends = batch.into_iter().map(|d| async move {
        if let Err(refused) = st.egress.check_literal(&d.url) {
            return (d, Err(Refused(refused)));
        }
        let body = envelope(&d, d.created_at);
        let sig = signature(&d.secret, now / 1000, &body);
        let r = client
            .post(&d.url)
            .header("content-type", "application/json")
            .header("x-tuoke-event", &d.event)
            .header("x-tuoke-delivery", &d.id)
            .header("x-tuoke-signature", sig)
            .body(body)
            .send()
            .await
            .map_err(Failed);
        (d, r)
    });
    for (d, r) in futures_util::future::join_all(sends).await {
        let done = now_ms();
        let mut permanent = false;
        let err = match r {
            Ok(resp) if resp.status().is_success() => None,
            Ok(resp) => Some(format!("HTTP {}", resp.status().as_u16())),
            // Error text from reqwest names the URL, not the payload; no PII. A name that
            // resolves only to internal addresses shows up here (the resolver's error).
            Err(Failed(e)) => Some(error_chain(&e)),
            // An internal IP literal will never become deliverable: give up at once.
            Err(Refused(e)) => {
                permanent = true;
                Some(e)
            }
        };
        match err {
            None => {
                st.store.mark_delivered(&d.id, done).await?;
                st.metrics
                    .webhook_deliveries
                    .get_or_create(&ResultLabel {
                        result: "ok".into(),
                    })
                    .inc();
            }
            Some(e) if permanent || d.attempts + 1 >= st.config.webhook_max_attempts => {
                tracing::warn!(delivery = %d.id, error = %e, "webhook delivery given up");
                st.store.fail_delivery(&d.id, done, &e).await?;
                st.metrics
                    .webhook_deliveries
                    .get_or_create(&ResultLabel {
                        result: "failed".into(),
                    })
                    .inc();
            }
            Some(e) => {
                let wait = backoff(
                    st.config.webhook_backoff_base,
                    st.config.webhook_backoff_max,
                    d.attempts,
                );
                tracing::info!(delivery = %d.id, error = %e, retry_in_ms = wait.as_millis() as u64, "webhook delivery failed");
                st.store
                    .retry_delivery(&d.id, done + wait.as_millis() as i64, &e)
                    .await?;
                st.metrics
                    .webhook_deliveries
                    .get_or_create(&ResultLabel {
                        result: "retry".into(),
                    })
                    .inc();
            }
        }
    }
    Ok(n)
}

/// Why a delivery was not sent: refused by the egress policy before connecting, or failed.
enum NotSent {
    Refused(String),
    Failed(reqwest::Error),
}
use NotSent::{Failed, Refused};

/// `e` and its sources, so the resolver's refusal is visible in the delivery log.
fn error_chain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_and_detects_tampering() {
        let s = signature("sekrit-key", 1_700_000_000, r#"{"a":1}"#);
        assert!(s.starts_with("t=1700000000,v1="));
        assert!(verify("sekrit-key", &s, r#"{"a":1}"#));
        assert!(!verify("sekrit-key", &s, r#"{"a":2}"#));
        assert!(!verify("other-key", &s, r#"{"a":1}"#));
        assert!(!verify("sekrit-key", "garbage", r#"{"a":1}"#));
        // Known vectors, computed independently (Python: hmac.new(b"key", b"1.x",
        // hashlib.sha256).hexdigest()): the signed layout is "<t>.<body>".
        assert_eq!(
            signature("key", 1, "x"),
            "t=1,v1=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec"
        );
        assert_eq!(
            s,
            "t=1700000000,v1=da4ae17e1246b161cb13d015787d8340bd0b881763cd09ae142bb2722a4c79f2"
        );
        // A receiver's check written apart from ours accepts it.
        assert!(verify(
            "key",
            "t=1,v1=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec",
            "x"
        ));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(2);
        let m = Duration::from_secs(60);
        assert_eq!(backoff(b, m, 0), Duration::from_secs(2));
        assert_eq!(backoff(b, m, 1), Duration::from_secs(4));
        assert_eq!(backoff(b, m, 4), Duration::from_secs(32));
        assert_eq!(backoff(b, m, 5), m);
        assert_eq!(backoff(b, m, 1000), m);
    }
}
