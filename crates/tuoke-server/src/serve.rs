//! The accept loop: HTTP/1.1 connections served by hyper with the limits a public server needs
//! (issue 14, item 4) — a header read timeout (also ends sockets that never send a request), a
//! per-frame body read timeout and a whole-request deadline (both answered with the JSON error
//! envelope, see [`deadline`]), and a cap on open connections (above it a new connection gets a
//! 503 and is closed). Each request carries its peer address as axum's `ConnectInfo`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use crate::error::ApiError;
use crate::state::AppState;

/// Connection and request limits of the HTTP server.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Time a connection may take to send a request's headers (also the longest a connection
    /// may sit idle between requests).
    pub header_read_timeout: Duration,
    /// Longest wait for the next piece of a request body.
    pub body_read_timeout: Duration,
    /// Longest time from the request's headers to the response's headers (event streams, once
    /// open, are not limited).
    pub request_timeout: Duration,
    /// Open connections at most; above it new connections get 503 and are closed.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 2048,
        }
    }
}

/// What a connection over the cap is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
connection: close\r\nretry-after: 1\r\ncontent-length: 74\r\n\r\n\
{\"error\":{\"code\":\"unavailable\",\"message\":\"too many open connections\"}}\n\n";

/// Serves `app` on `listener` until `shutdown` turns true, then lets open connections finish
/// (idle ones are closed at once; event streams end on the same signal).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    st: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let limits = st.config.http.clone();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|v| *v) => break,
            r = listener.accept() => r,
        };
        let (sock, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            st.metrics.connections_refused.inc();
            // Best effort, never waits on the client.
            let _ = sock.try_write(BUSY);
            drop(sock);
            continue;
        };
        let _ = sock.set_nodelay(true);
        let app = app.clone();
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let r: Result<Response, Infallible> =
                    app.oneshot(req.map(axum::body::Body::new)).await;
                r
            }
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(sock), svc));
        tokio::spawn(async move {
            // Errors here are the client's (reset, timeout, malformed): nothing to report.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    // In-flight requests finish; a stuck one does not hold the shutdown forever.
    let _ = tokio::time::timeout(limits.request_timeout, graceful.shutdown()).await;
    Ok(())
}

/// The request deadline, and request bodies that stop arriving, as JSON errors (408).
pub async fn deadline(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limits = &st.config.http;
    let req = req.map(|b| {
        axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
            limits.body_read_timeout,
            b,
        ))
    });
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
