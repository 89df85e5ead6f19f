//! The web UI (chat widget, chat page, dashboard) embedded in the binary from `web/static/`
//! (owned by the front-end work), also in debug builds (`debug-embed`), so tests see what ships.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "../../web/static/"]
#[allow_missing = true]
struct Web;

fn file(path: &str) -> Response {
    match Web::get(path) {
        Some(f) => {
            let mime = f.metadata.mimetype().to_string();
            let cache = if path.starts_with("assets/") {
                "public, max-age=300"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, cache.to_string()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                ],
                f.data,
            )
                .into_response()
        }
        None => ApiError::not_found("file").into_response(),
    }
}

/// Where the pages may load from: their own origin only (styles may be set inline by the
/// scripts), framed by `frame_ancestors`.
fn csp(frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {frame_ancestors}"
    )
}

/// An HTML page with its content security policy (and `X-Frame-Options: DENY` when no site may
/// frame it, for browsers without `frame-ancestors`).
fn page(path: &str, frame_ancestors: &str) -> Response {
    let mut r = file(path);
    if r.status() == StatusCode::OK {
        let h = r.headers_mut();
        if let Ok(v) = header::HeaderValue::from_str(&csp(frame_ancestors)) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        if frame_ancestors == "'none'" {
            h.insert(
                header::X_FRAME_OPTIONS,
                header::HeaderValue::from_static("DENY"),
            );
        }
    }
    r
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(index))
        .route("/widget.js", get(|| async { file("widget.js") }))
        // The chat is framed by widget.js on the company's site (any origin); the dashboard is
        // framed by nobody.
        .route("/chat", get(|| async { page("chat.html", "*") }))
        .route(
            "/dashboard",
            get(|| async { page("dashboard.html", "'none'") }),
        )
        .route("/demo", get(demo_page))
        .route(
            "/assets/{*path}",
            get(|Path(p): Path<String>| async move {
                if p.split('/').any(|s| s == ".." || s.is_empty()) {
                    return ApiError::not_found("file").into_response();
                }
                file(&format!("assets/{p}"))
            }),
        )
}

async fn index() -> Html<&'static str> {
    Html(
        "<!doctype html><meta charset=utf-8><title>tuoke</title><h1>tuoke 拓客</h1><ul><li><a href=/chat>chat</a></li><li><a href=/dashboard>dashboard</a></li><li><a href=/demo>demo shop page with the widget</a></li><li><a href=/openapi.json>OpenAPI</a></li></ul>",
    )
}

/// A stand-in for a company's web page with the widget embedded (only when the server was given
/// a public widget key, i.e. `tuoke demo`).
async fn demo_page(State(st): State<Arc<AppState>>) -> Response {
    match &st.config.public_widget_key {
        Some(k) if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => Html(format!(
            "<!doctype html><html lang=zh><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><title>Demo shop</title>\
             <h1>Demo shop</h1><p>The chat button in the corner is the tuoke widget.</p>\
             <script src=\"/widget.js\" data-key=\"{k}\"></script></html>"
        ))
        .into_response(),
        _ => ApiError::NotFound("no demo page (start with `tuoke demo`)".into()).into_response(),
    }
}
