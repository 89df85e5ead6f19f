//! The tuoke HTTP service (axum): conversations with the sales robot, leads, human handoff,
//! Server-Sent Events, webhooks from a persisted outbox, API keys with roles, a per-key rate
//! limit, Prometheus metrics, an OpenAPI document and the embedded web UI.
//!
//! State lives in the database ([`tuoke_store::Store`]); a server process keeps only caches, so
//! many processes can share one PostgreSQL. A customer turn is: analyze the text (outside any
//! transaction) → run the dialogue engine on the stored state → commit state, messages, lead,
//! handoff and webhook outbox rows in one transaction guarded by the conversation's version; on a
//! version conflict (another turn won the race, maybe in another process) re-read and re-run the
//! engine, so racing turns are all stored, in order, with no lost update.

pub mod api;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod cards;
pub mod chat;
pub mod customer;
pub mod egress;
pub mod error;
pub mod events;
pub mod funnel;
pub mod handoff;
pub mod inbox;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod pii;
pub mod public;
pub mod retention;
pub mod script;
pub mod serve;
pub mod team;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tuoke_analyze::Analyzer;
use tuoke_dialogue::{Company, Engine};
use tuoke_store::{Role, Store};

pub use error::ApiError;

/// Errors starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("store: {0}")]
    Store(#[from] tuoke_store::StoreError),
    #[error("analyzer: {0}")]
    Analyze(#[from] tuoke_analyze::AnalyzeError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("http client: {0}")]
    Http(String),
}

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
    /// otherwise, at registration and at connect time). See [`egress`].
    pub webhook_allow: Vec<egress::IpNet>,
    /// How often an SSE stream re-reads the store for messages committed by other processes.
    pub sse_poll: Duration,
    /// Time zone offset (seconds east of UTC) for resolving dates in customer text.
    pub tz_offset_secs: i32,
    /// A widget key that may appear in public pages (`/demo` host page); only the demo sets it.
    pub public_widget_key: Option<String>,
    /// How long a turn's response is kept for resends of its `client_message_id`
    /// (`None`: forever). See [`retention`].
    pub resend_window: Option<Duration>,
    /// How long delivered or given-up webhook outbox rows are kept (`None`: forever).
    pub outbox_retention: Option<Duration>,
    /// How often the retention sweep runs.
    pub retention_interval: Duration,
    /// The company's canned replies for agents (`canned.yaml`; the demo's by default).
    pub canned: Arc<tuoke_dialogue::canned::CannedReplies>,
    /// Timeouts and the connection cap of the HTTP server ([`serve`]).
    pub http: serve::HttpLimits,
    /// Per-client limits of public keys and conversation tokens ([`public`]).
    pub public: public::PublicLimits,
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
        }
    }
}

/// Everything a request handler needs; shared behind an `Arc`.
pub struct AppState {
    pub store: Store,
    pub engine: Engine,
    pub company: Arc<Company>,
    pub analyzer: Arc<Analyzer>,
    pub config: ServerConfig,
    pub keys: auth::KeyCache,
    /// Rate limits, failed-key blocks and conversation tokens ([`public`]).
    pub guard: public::Guard,
    pub metrics: metrics::Metrics,
    /// Product cards of the company's products, built once.
    pub cards: cards::Cards,
    pub bus: events::Bus,
    /// Conversations this process changed last, with parsed state (customer-turn fast path).
    pub conversations: cache::ConvCache,
    /// Wakes the webhook worker after a commit queued deliveries.
    pub webhook_wake: tokio::sync::Notify,
    /// Which addresses webhooks may reach (from `config.webhook_allow`).
    pub egress: Arc<egress::EgressPolicy>,
    /// Flips to true when the server shuts down (ends SSE streams and workers).
    pub shutdown: watch::Receiver<bool>,
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
        AppState {
            egress: Arc::new(egress::EgressPolicy::new(config.webhook_allow.clone())),
            store,
            engine: Engine::new(company.clone()),
            cards: cards::Cards::new(&company),
            company,
            analyzer,
            config,
            // A key revoked by another process (or `tuoke keys revoke`) stops working within 5 s;
            // one revoked through this process's API at once.
            keys: auth::KeyCache::new(Duration::from_secs(5)),
            guard,
            metrics: metrics::Metrics::default(),
            bus: events::Bus::new(),
            conversations: cache::ConvCache::new(4096),
            webhook_wake: tokio::sync::Notify::new(),
            shutdown,
        }
    }
}

/// Builds the analyzer with the company's product and competitor names as its gazetteer.
pub fn analyzer_for(company: &Company) -> Result<Analyzer, ServerError> {
    let g = company.gazetteer();
    let conv = |v: Vec<tuoke_dialogue::NamedEntry>| {
        v.into_iter()
            .map(|e| tuoke_entities::GazetteerEntry {
                id: e.id,
                names: e.names,
            })
            .collect()
    };
    Ok(
        Analyzer::shipped()?.with_gazetteer(tuoke_entities::Gazetteer {
            products: conv(g.products),
            competitors: conv(g.competitors),
        }),
    )
}

/// Secrets of keys created on first start (shown once).
#[derive(Debug, Clone)]
pub struct BootstrapKeys {
    pub admin: String,
    pub widget: String,
}

/// On a database without any admin key, creates an admin key and a widget key and returns their
/// secrets. With `admin_key` given (e.g. from the environment) that key is registered as admin
/// instead of a random one, if it is not known yet.
pub async fn bootstrap_keys(
    store: &Store,
    admin_key: Option<&str>,
) -> Result<Option<BootstrapKeys>, ServerError> {
    if let Some(k) = admin_key {
        if store.find_api_key(k).await?.is_none() {
            match store
                .insert_api_key(k, Role::Admin, "bootstrap admin")
                .await
            {
                Ok(_) | Err(tuoke_store::StoreError::Duplicate) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(None);
    }
    if store.count_api_keys(Some(Role::Admin)).await? > 0 {
        return Ok(None);
    }
    let (_, admin) = store.create_api_key(Role::Admin, "first admin").await?;
    let (_, widget) = store.create_api_key(Role::Widget, "website widget").await?;
    store
        .audit(None, "api_keys.bootstrap", None, &serde_json::json!({}))
        .await?;
    Ok(Some(BootstrapKeys { admin, widget }))
}

/// A running server: its address and a handle to stop it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    shutdown_tx: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
}

impl RunningServer {
    /// Graceful shutdown: stop accepting, end event streams, let in-flight requests finish,
    /// stop the webhook worker, close the database.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.shutdown_tx.send(true);
        let r = match self.task.await {
            Ok(r) => r,
            Err(e) => Err(ServerError::Io(std::io::Error::other(e.to_string()))),
        };
        self.state.store.close().await;
        r
    }

    /// Resolves when the server task ends (e.g. after a shutdown signal).
    pub async fn wait(self) -> Result<(), ServerError> {
        let r = match self.task.await {
            Ok(r) => r,
            Err(e) => Err(ServerError::Io(std::io::Error::other(e.to_string()))),
        };
        self.state.store.close().await;
        r
    }

    /// A sender that triggers graceful shutdown when `true` is sent.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown_tx.clone()
    }
}

/// Installs the ring crypto provider for rustls (outgoing HTTPS webhooks). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Starts serving on `listener` with `store` and `company`; returns once listening.
pub async fn start(
    listener: TcpListener,
    store: Store,
    company: Arc<Company>,
    analyzer: Arc<Analyzer>,
    config: ServerConfig,
) -> Result<RunningServer, ServerError> {
    install_crypto_provider();
    let addr = listener.local_addr()?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let secret = store.server_secret("conversation_token").await?;
    let state = Arc::new(AppState::new(
        store,
        company,
        analyzer,
        config,
        secret.into_bytes(),
        shutdown_rx.clone(),
    ));
    // Several processes on one PostgreSQL: each sends its live events to the others, so a
    // dashboard on any node sees every conversation.
    if state.store.engine() == tuoke_store::Engine::Postgres {
        let node = tuoke_store::new_id();
        match state.store.listen_events().await {
            Ok(Some(listener)) => {
                let (tx, rx) = tokio::sync::mpsc::channel(8192);
                state.bus.set_remote(tx);
                tokio::spawn(events::forward_to_peers(state.clone(), node.clone(), rx));
                tokio::spawn(events::relay_from_peers(state.clone(), node, listener));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "no live events between processes (LISTEN failed)")
            }
        }
    }
    let worker = if state.config.webhook_worker {
        Some(tokio::spawn(webhooks::run_worker(state.clone())?))
    } else {
        None
    };
    let sweeper = tokio::spawn(retention::run(state.clone()));
    let app = api::router(state.clone());
    let rx = shutdown_rx;
    let st = state.clone();
    let task = tokio::spawn(async move {
        let r = serve::serve(listener, app, st, rx).await;
        if let Some(w) = worker {
            let _ = w.await;
        }
        let _ = sweeper.await;
        r.map_err(ServerError::Io)
    });
    tracing::info!(%addr, "tuoke server listening");
    Ok(RunningServer {
        addr,
        state,
        shutdown_tx,
        task,
    })
}
