//! The HTTP API: one module per resource, each with its own router, merged here under `/v1`
//! with the operational routes, the embedded web assets and the layers every request passes
//! (body limit, CORS, the request deadline, metrics and the access log).

pub mod admin;
pub mod chat;
pub mod company;
pub mod conversations;
pub mod events;
pub mod funnel;
pub mod handoff;
pub mod inbox;
pub mod input;
pub mod leads;
pub mod ops;
pub mod team;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tower_http::cors::{Any, CorsLayer};

use crate::error::ApiError;
use crate::state::AppState;
use crate::{assets, openapi};

pub fn router(state: Arc<AppState>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("last-event-id"),
            header::HeaderName::from_static(crate::public::TOKEN_HEADER),
        ]);
    let v1 = Router::new()
        .merge(conversations::router())
        .merge(events::router())
        .merge(handoff::router())
        .merge(chat::router())
        .merge(team::router())
        .merge(inbox::router())
        .merge(funnel::router())
        .merge(leads::router())
        .merge(company::router())
        .merge(admin::router());
    Router::new()
        .nest("/v1", v1)
        .merge(ops::router())
        .route("/openapi.json", get(openapi::serve))
        .merge(assets::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        // Outermost but for the metrics: preflights are answered before routing (a route has no
        // OPTIONS handler of its own).
        .layer(cors)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::serve::deadline,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::not_found("route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Metrics and an access log line per request. The log has the route pattern and status only:
/// no query strings (they may hold `key=`), no bodies (they hold customer text).
async fn observe(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let sse = route.ends_with("/events");
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    st.metrics
        .http_requests
        .get_or_create(&crate::metrics::HttpLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    let secs = start.elapsed().as_secs_f64();
    if !sse {
        st.metrics.http_duration.observe(secs);
    }
    tracing::debug!(%method, %route, status, ms = secs * 1000.0, "request");
    resp
}
