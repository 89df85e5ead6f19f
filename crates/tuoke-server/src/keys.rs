//! API keys a process holds: the short-lived cache of looked-up keys (a revoked key stops
//! working within its time to live, at once when revoked through this process) and the
//! short-lived stream tokens (`st1.…`) that open event streams without putting a key in a URL.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;
use tuoke_store::{ApiKey, Store, hash_key};

use crate::error::ApiError;
use crate::public::same_secret;

/// Positive lookups are cached for a short time so a turn does not pay a database round trip
/// for authentication; a revoked key stops working within `ttl`.
pub struct KeyCache {
    entries: RwLock<HashMap<String, (ApiKey, Instant)>>,
    ttl: Duration,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        KeyCache {
            entries: RwLock::new(HashMap::new()),
            ttl,
        }
    }

    /// Drops the cached entry of the key with this id (it was revoked here).
    pub async fn forget(&self, key_id: &str) {
        self.entries
            .write()
            .await
            .retain(|_, (k, _)| k.id != key_id);
    }

    pub async fn lookup(&self, store: &Store, key: &str) -> Result<Option<ApiKey>, ApiError> {
        let h = hash_key(key);
        if let Some((k, at)) = self.entries.read().await.get(&h)
            && at.elapsed() < self.ttl
        {
            return Ok(Some(k.clone()));
        }
        let found = store.find_api_key(key).await?;
        let mut w = self.entries.write().await;
        match &found {
            Some(k) => {
                if w.len() > 100_000 {
                    w.clear();
                }
                w.insert(h, (k.clone(), Instant::now()));
            }
            None => {
                w.remove(&h);
            }
        }
        Ok(found)
    }
}

/// How long a stream token opens streams (an open stream stays open).
pub const STREAM_TOKEN_SECS: i64 = 300;

fn token_mac(key_hash: &str, key_id: &str, exp: i64) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key_hash.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("stream.{key_id}.{exp}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `st1.<key id>.<expiry, Unix s>.<HMAC-SHA256 under the key's stored hash>`: any process on the
/// same database can check it, and revoking the key ends it.
pub async fn issue_stream_token(store: &Store, key_id: &str) -> Result<String, ApiError> {
    let Some((_, hash)) = store.api_key_with_hash(key_id).await? else {
        return Err(ApiError::unauthorized("invalid API key"));
    };
    let exp = chrono::Utc::now().timestamp() + STREAM_TOKEN_SECS;
    Ok(format!(
        "st1.{key_id}.{exp}.{}",
        token_mac(&hash, key_id, exp)
    ))
}

pub(crate) async fn check_stream_token(store: &Store, token: &str) -> Result<ApiKey, ApiError> {
    let bad = || ApiError::unauthorized("invalid or expired stream token");
    let mut parts = token.split('.');
    let (Some("st1"), Some(key_id), Some(exp), Some(mac), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let exp: i64 = exp.parse().map_err(|_| bad())?;
    if exp < chrono::Utc::now().timestamp() {
        return Err(bad());
    }
    let Some((key, hash)) = store.api_key_with_hash(key_id).await? else {
        return Err(bad());
    };
    if same_secret(&token_mac(&hash, key_id, exp), mac) {
        Ok(key)
    } else {
        Err(bad())
    }
}
