//! What keeps one visitor from spoiling a public (widget) key for everyone (issue 14, item 1):
//! the client's address (the socket's peer, or a trusted proxy's header when the server is told
//! to trust one), rate limits per key *and client* and per conversation instead of per key, a cap
//! on the conversations one client may open, a limit on failed keys per client, and
//! per-conversation tokens — a widget key alone reads or writes no conversation: the token
//! returned when the conversation was created (and refreshed by `GET /v1/conversations/{id}`)
//! must come with it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderName;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// The request header carrying a widget conversation's token.
pub const TOKEN_HEADER: &str = "x-conversation-token";
/// The query parameter carrying it on event streams (EventSource cannot set headers).
pub const TOKEN_QUERY: &str = "conversation_token";

/// Tunables of the public surface.
#[derive(Debug, Clone)]
pub struct PublicLimits {
    /// A header set by a reverse proxy in front of the server with the client's address (the
    /// last entry of a comma-separated list counts). `None`: the socket's peer address.
    pub trusted_proxy_header: Option<HeaderName>,
    /// Conversations one client (address) may create per hour with one widget key (0 = no cap).
    pub conversations_per_client_per_hour: u32,
    /// Requests with an unknown key one client may make per minute before it gets 429.
    pub failed_keys_per_client_per_minute: u32,
    /// How long a conversation token is valid (a `GET` of the conversation renews it).
    pub conversation_token_ttl: Duration,
}

impl Default for PublicLimits {
    fn default() -> Self {
        PublicLimits {
            trusted_proxy_header: None,
            conversations_per_client_per_hour: 60,
            failed_keys_per_client_per_minute: 30,
            conversation_token_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

/// The limiters and the token key of one process.
pub struct Guard {
    /// Per admin/agent key; per widget key + client; per widget conversation.
    pub requests: Option<DefaultKeyedRateLimiter<String>>,
    creations: Option<DefaultKeyedRateLimiter<String>>,
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Clients that ran out of failed attempts, until when (no key lookup for them meanwhile).
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    secret: Vec<u8>,
    ttl: Duration,
}

fn keyed<K: std::hash::Hash + Eq + Clone>(q: Option<Quota>) -> Option<DefaultKeyedRateLimiter<K>> {
    q.map(RateLimiter::keyed)
}

impl Guard {
    pub fn new(rate: u32, burst: u32, limits: &PublicLimits, secret: Vec<u8>) -> Guard {
        let requests = NonZeroU32::new(rate)
            .map(|r| Quota::per_second(r).allow_burst(NonZeroU32::new(burst.max(1)).unwrap_or(r)));
        let creations = NonZeroU32::new(limits.conversations_per_client_per_hour)
            .map(|n| Quota::per_hour(n).allow_burst(n));
        let failures = NonZeroU32::new(limits.failed_keys_per_client_per_minute)
            .map(|n| Quota::per_minute(n).allow_burst(n));
        Guard {
            requests: keyed(requests),
            creations: keyed(creations),
            failures: keyed(failures),
            blocked: Mutex::new(HashMap::new()),
            secret,
            ttl: limits.conversation_token_ttl,
        }
    }

    /// 429 when `bucket` of the request limiter is empty.
    pub fn check_request(&self, bucket: &str) -> Result<(), ApiError> {
        check(
            self.requests.as_ref(),
            &bucket.to_string(),
            "too many requests",
        )
    }

    /// 429 when this client created too many conversations with this key lately.
    pub fn check_creation(&self, key_id: &str, client: IpAddr) -> Result<(), ApiError> {
        check(
            self.creations.as_ref(),
            &format!("{key_id}|{client}"),
            "too many new conversations from this client; retry later",
        )
    }

    /// 429 while `client` is blocked for failed keys.
    pub fn check_blocked(&self, client: IpAddr) -> Result<(), ApiError> {
        let Ok(mut b) = self.blocked.lock() else {
            return Ok(());
        };
        match b.get(&client) {
            Some(until) if *until > Instant::now() => Err(too_many(
                "too many requests with invalid keys",
                until.saturating_duration_since(Instant::now()),
            )),
            Some(_) => {
                b.remove(&client);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed key of `client` and returns its answer: `unauthorized`, or 429 once the
    /// client is over the limit (it is then blocked for a while, with no key lookups).
    pub fn failed_key(&self, client: IpAddr, unauthorized: ApiError) -> ApiError {
        let Some(l) = &self.failures else {
            return unauthorized;
        };
        let Err(not_until) = l.check_key(&client) else {
            return unauthorized;
        };
        let wait = not_until
            .wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ))
            .max(Duration::from_secs(1));
        if let Ok(mut b) = self.blocked.lock() {
            if b.len() > 100_000 {
                b.clear();
            }
            b.insert(client, Instant::now() + wait);
        }
        too_many("too many requests with invalid keys", wait)
    }

    /// Forgets idle buckets (called by the retention sweep).
    pub fn shrink(&self) {
        if let Some(l) = &self.requests {
            l.retain_recent();
        }
        if let Some(l) = &self.creations {
            l.retain_recent();
        }
        if let Some(l) = &self.failures {
            l.retain_recent();
        }
        if let Ok(mut b) = self.blocked.lock() {
            let now = Instant::now();
            b.retain(|_, until| *until > now);
        }
    }

    /// `ct1.<expiry, Unix s>.<HMAC-SHA256 of conversation id, key id and expiry>`.
    pub fn issue_token(&self, conversation_id: &str, key_id: &str) -> String {
        let exp = chrono::Utc::now().timestamp() + self.ttl.as_secs() as i64;
        format!("ct1.{exp}.{}", self.mac(conversation_id, key_id, exp))
    }

    /// Seconds a token issued now is valid.
    pub fn token_ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// Whether `token` was issued for this conversation and key and has not expired.
    pub fn token_valid(&self, token: &str, conversation_id: &str, key_id: &str) -> bool {
        let mut parts = token.split('.');
        let (Some("ct1"), Some(exp), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(exp) = exp.parse::<i64>() else {
            return false;
        };
        exp >= chrono::Utc::now().timestamp()
            && same_secret(&self.mac(conversation_id, key_id, exp), mac)
    }

    fn mac(&self, conversation_id: &str, key_id: &str, exp: i64) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.secret)
            .expect("HMAC takes keys of any length");
        mac.update(format!("conversation.{conversation_id}.{key_id}.{exp}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn too_many(message: &str, wait: Duration) -> ApiError {
    ApiError::RateLimited {
        message: message.into(),
        retry_after: wait.as_secs().max(1),
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    l: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
    message: &str,
) -> Result<(), ApiError> {
    let Some(l) = l else { return Ok(()) };
    l.check_key(key).map_err(|not_until| {
        too_many(
            message,
            not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            )),
        )
    })
}

/// Constant-time comparison of two MACs (hex text).
pub fn same_secret(want: &str, got: &str) -> bool {
    want.len() == got.len()
        && want
            .bytes()
            .zip(got.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
