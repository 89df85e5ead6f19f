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

pub mod assets;
pub mod auth;
pub mod bus;
pub mod cache;
pub mod cards;
pub mod config;
pub mod egress;
pub mod error;
pub mod http;
pub mod keys;
pub mod llm;
pub mod metrics;
pub mod openapi;
pub mod peers;
pub mod pii;
pub mod public;
pub mod request;
pub mod retention;
pub mod script;
pub mod serve;
pub mod service;
pub mod state;
pub mod views;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tuoke_analyze::Analyzer;
use tuoke_dialogue::Company;
use tuoke_store::{Role, Store};

pub use config::ServerConfig;
pub use error::{ApiError, ServerError};
pub use state::AppState;

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
                tokio::spawn(peers::forward_to_peers(state.clone(), node.clone(), rx));
                tokio::spawn(peers::relay_from_peers(state.clone(), node, listener));
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
    let app = http::router(state.clone());
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
