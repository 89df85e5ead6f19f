//! The tunables of a server process ([`ServerConfig`]).

use std::sync::Arc;
use std::time::Duration;

use crate::{egress, llm, public, serve};

/// Tunables of a server process.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Sustained requests per second allowed per API key (0 = no limit).
    pub rate_limit_per_sec: u32,
    /// Burst size of the per-key limit.
    pub rate_limit_burst: u32,
    /// Largest accepted request body in bytes (413 above).
    pub max_body_bytes: usize,
    /// Longest customer or agent message in characters (413 above).
    pub max_message_chars: usize,
    /// How often the webhook worker looks for due deliveries.
    pub webhook_poll: Duration,
    /// Back-off after the first failed delivery; doubles per attempt up to `webhook_backoff_max`.
    pub webhook_backoff_base: Duration,
    pub webhook_backoff_max: Duration,
    /// Attempts before a delivery is given up.
    pub webhook_max_attempts: i64,
    /// Timeout of one webhook POST.
    pub webhook_timeout: Duration,
    /// Run the webhook worker in this process.
    pub webhook_worker: bool,
    /// Internal networks webhooks may reach anyway (loopback, private, link-local… are refused
    /// otherwise, at registration and at connect time). See [`crate::egress`].
    pub webhook_allow: Vec<egress::IpNet>,
    /// How often an SSE stream re-reads the store for messages committed by other processes.
    pub sse_poll: Duration,
    /// Time zone offset (seconds east of UTC) for resolving dates in customer text.
    pub tz_offset_secs: i32,
    /// A widget key that may appear in public pages (`/demo` host page); only the demo sets it.
    pub public_widget_key: Option<String>,
    /// How long a turn's response is kept for resends of its `client_message_id`
    /// (`None`: forever). See [`crate::retention`].
    pub resend_window: Option<Duration>,
    /// How long delivered or given-up webhook outbox rows are kept (`None`: forever).
    pub outbox_retention: Option<Duration>,
    /// How often the retention sweep runs.
    pub retention_interval: Duration,
    /// The company's canned replies for agents (`canned.yaml`; the demo's by default).
    pub canned: Arc<tuoke_dialogue::canned::CannedReplies>,
    /// Timeouts and the connection cap of the HTTP server ([`crate::serve`]).
    pub http: serve::HttpLimits,
    /// Per-client limits of public keys and conversation tokens ([`crate::public`]).
    pub public: public::PublicLimits,
    /// An LLM that rewords replies, each rewording checked against the cited facts
    /// ([`crate::llm`]); `None` (the default): every reply is the template.
    pub llm: Option<llm::LlmConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            rate_limit_per_sec: 50,
            rate_limit_burst: 100,
            max_body_bytes: 64 * 1024,
            max_message_chars: 4000,
            webhook_poll: Duration::from_millis(500),
            webhook_backoff_base: Duration::from_secs(2),
            webhook_backoff_max: Duration::from_secs(3600),
            webhook_max_attempts: 12,
            webhook_timeout: Duration::from_secs(10),
            webhook_worker: true,
            webhook_allow: Vec::new(),
            sse_poll: Duration::from_secs(2),
            tz_offset_secs: 8 * 3600,
            public_widget_key: None,
            resend_window: Some(Duration::from_secs(24 * 3600)),
            outbox_retention: Some(Duration::from_secs(7 * 24 * 3600)),
            retention_interval: Duration::from_secs(600),
            canned: Arc::new(tuoke_dialogue::canned::CannedReplies::demo()),
            http: serve::HttpLimits::default(),
            public: public::PublicLimits::default(),
            llm: None,
        }
    }
}
