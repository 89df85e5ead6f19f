//! What every request handler and worker shares ([`AppState`]): the store, the engine and
//! analyzer, the configuration and this process's caches, limits, metrics and event bus.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tuoke_analyze::Analyzer;
use tuoke_dialogue::{Company, Engine};
use tuoke_store::Store;

use crate::config::ServerConfig;
use crate::{bus, cache, cards, egress, keys, llm, metrics, public};

/// Everything a request handler needs; shared behind an `Arc`.
pub struct AppState {
    pub store: Store,
    pub engine: Engine,
    pub company: Arc<Company>,
    pub analyzer: Arc<Analyzer>,
    pub config: ServerConfig,
    pub keys: keys::KeyCache,
    /// Rate limits, failed-key blocks and conversation tokens ([`crate::public`]).
    pub guard: public::Guard,
    pub metrics: metrics::Metrics,
    /// Product cards of the company's products, built once.
    pub cards: cards::Cards,
    pub bus: bus::Bus,
    /// Conversations this process changed last, with parsed state (customer-turn fast path).
    pub conversations: cache::ConvCache,
    /// Wakes the webhook worker after a commit queued deliveries.
    pub webhook_wake: tokio::sync::Notify,
    /// Which addresses webhooks may reach (from `config.webhook_allow`).
    pub egress: Arc<egress::EgressPolicy>,
    /// Flips to true when the server shuts down (ends SSE streams and workers).
    pub shutdown: watch::Receiver<bool>,
    /// Phrases replies when an LLM is configured and the company allows it ([`crate::llm`]).
    pub llm: Option<llm::ServerLlm>,
}

impl AppState {
    /// `token_secret` signs widget conversation tokens (the same on every process of a
    /// database: [`Store::server_secret`]).
    pub fn new(
        store: Store,
        company: Arc<Company>,
        analyzer: Arc<Analyzer>,
        config: ServerConfig,
        token_secret: Vec<u8>,
        shutdown: watch::Receiver<bool>,
    ) -> AppState {
        let guard = public::Guard::new(
            config.rate_limit_per_sec,
            config.rate_limit_burst,
            &config.public,
            token_secret,
        );
        let llm = config
            .llm
            .as_ref()
            .and_then(|l| llm::ServerLlm::new(l, &company));
        AppState {
            llm,
            egress: Arc::new(egress::EgressPolicy::new(config.webhook_allow.clone())),
            store,
            engine: Engine::new(company.clone()),
            cards: cards::Cards::new(&company),
            company,
            analyzer,
            config,
            // A key revoked by another process (or `tuoke keys revoke`) stops working within 5 s;
            // one revoked through this process's API at once.
            keys: keys::KeyCache::new(Duration::from_secs(5)),
            guard,
            metrics: metrics::Metrics::default(),
            bus: bus::Bus::new(),
            conversations: cache::ConvCache::new(4096),
            webhook_wake: tokio::sync::Notify::new(),
            shutdown,
        }
    }
}

/// Resolves when the server shuts down.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}
