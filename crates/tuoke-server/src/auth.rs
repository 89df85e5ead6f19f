//! API-key authentication (`Authorization: Bearer <key>`; on SSE routes, where EventSource
//! cannot set headers, a short-lived `?token=` from `POST /v1/stream_token`, or — for old
//! clients — `?key=`), roles, and the per-key rate limit.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use tokio::sync::RwLock;
use tuoke_store::{ApiKey, Role, Store, hash_key};

use crate::AppState;
use crate::error::ApiError;

/// The caller, as proven by its API key.
#[derive(Debug, Clone)]
pub struct Auth {
    pub key: ApiKey,
    /// The client's address ([`crate::public::client_addr`]).
    pub client: std::net::IpAddr,
    /// A widget conversation's token, if the request carried one.
    pub conversation_token: Option<String>,
}

impl Auth {
    pub fn role(&self) -> Role {
        self.key.role
    }

    /// 403 unless the caller has one of `roles` (admin always passes).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.key.role == Role::Admin || roles.contains(&self.key.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} key may not do this",
                self.key.role.as_str()
            )))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(&[Role::Admin])
    }

    /// Agents and admins read everything; a widget key only the conversations it created, and
    /// only with the conversation's token (401 `invalid_conversation_token` without a valid
    /// one). Widget requests on a conversation also count against the conversation's own
    /// rate limit.
    pub fn may_access(
        &self,
        st: &AppState,
        conversation_id: &str,
        created_by_key: Option<&str>,
    ) -> Result<(), ApiError> {
        match self.key.role {
            Role::Admin | Role::Agent => Ok(()),
            Role::Widget if created_by_key == Some(self.key.id.as_str()) => {
                let valid = self
                    .conversation_token
                    .as_deref()
                    .is_some_and(|t| st.guard.token_valid(t, conversation_id, &self.key.id));
                if !valid {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_conversation_token",
                        "this conversation needs its token (X-Conversation-Token); it is missing, wrong or expired",
                    ));
                }
                st.guard.check_request(&format!("c|{conversation_id}"))
            }
            Role::Widget => Err(ApiError::forbidden(
                "this widget key did not create this conversation",
            )),
        }
    }
}

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

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(axum::http::header::AUTHORIZATION)?;
    let s = v.to_str().ok()?;
    let (scheme, key) = s.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim().to_string())
}

/// The value of `name=` in the query of an event stream's URL (only there: URLs end up in
/// proxy logs, so only short-lived tokens belong in them).
pub(crate) fn stream_query_param(parts: &Parts, name: &str) -> Option<String> {
    if !parts.uri.path().ends_with("/events") {
        return None;
    }
    let q = parts.uri.query()?;
    for pair in q.split('&') {
        if let Some(v) = pair.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            return Some(percent_decode(v));
        }
    }
    None
}

fn query_key(parts: &Parts) -> Option<String> {
    stream_query_param(parts, "key")
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

async fn check_stream_token(store: &Store, token: &str) -> Result<ApiKey, ApiError> {
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

/// Constant-time comparison of two MACs (hex text).
pub(crate) fn same_secret(want: &str, got: &str) -> bool {
    want.len() == got.len()
        && want
            .bytes()
            .zip(got.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Minimal percent-decoding for the `key` query value (keys are `tk_` + hex, so this only
/// matters for odd clients); invalid escapes are kept literally.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let client = crate::public::client_addr(parts, &state.config.public);
        let conversation_token = crate::public::token_of(parts);
        let auth = |key: ApiKey| Auth {
            key,
            client,
            conversation_token: conversation_token.clone(),
        };
        state.guard.check_blocked(client)?;
        let bearer_key = bearer(parts);
        let stream_token = bearer_key
            .is_none()
            .then(|| stream_query_param(parts, "token"))
            .flatten();
        if let Some(token) = stream_token {
            let k = match check_stream_token(&state.store, &token).await {
                Ok(k) => k,
                Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                    return Err(state.guard.failed_key(client, e));
                }
                Err(e) => return Err(e),
            };
            return Ok(auth(k));
        }
        let Some(key) = bearer_key.or_else(|| query_key(parts)) else {
            return Err(ApiError::unauthorized(
                "missing API key (Authorization: Bearer <key>)",
            ));
        };
        let found = if key.is_empty() || key.len() > 200 {
            None
        } else {
            state.keys.lookup(&state.store, &key).await?
        };
        let Some(k) = found else {
            return Err(state
                .guard
                .failed_key(client, ApiError::unauthorized("invalid API key")));
        };
        // A public key is shared by every visitor: its budget is per client, so one client
        // cannot use up everybody's.
        let bucket = match k.role {
            Role::Widget => format!("w|{}|{client}", k.id),
            Role::Admin | Role::Agent => format!("k|{}", k.id),
        };
        if let Err(e) = state.guard.check_request(&bucket) {
            state.metrics.rate_limited.inc();
            return Err(e);
        }
        Ok(auth(k))
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent_escapes_without_panicking() {
        assert_eq!(percent_decode("tk_ab%41"), "tk_abA");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%4"), "a%4");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("é%"), "é%");
    }
}
