//! Administration (admin keys only): API keys, webhook subscriptions and their delivery log,
//! the audit log, and a customer's data (export, erasure).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tuoke_store::Role;
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody, JsonBody, P};
use crate::http::input::{check_plain, required_text};
use crate::state::AppState;
use crate::views::list::Items;
use crate::webhooks::WEBHOOK_EVENTS;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api_keys", post(create_api_key))
        .route("/api_keys/{id}", delete(revoke_api_key))
        .route("/webhooks", post(create_webhook).get(list_webhooks))
        .route("/webhooks/{id}", delete(delete_webhook))
        .route("/webhooks/outbox", get(list_outbox))
        .route("/audit", get(list_audit))
        .route("/customers/{id}/export", get(export_customer))
        .route("/customers/{id}", delete(delete_customer))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateKeyIn {
    /// admin | agent | widget
    pub role: String,
    pub name: String,
}

/// A new API key with its secret (shown this once).
#[derive(Serialize, ToSchema)]
pub struct KeyOut {
    pub id: String,
    pub key: String,
    pub role: &'static str,
    pub name: String,
}

/// Create an API key (the secret is shown once).
#[utoipa::path(post, path = "/v1/api_keys", tag = "admin", request_body = CreateKeyIn,
    responses((status = 201, body = KeyOut), (status = 400, body = ErrorBody), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn create_api_key(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    JsonBody(body): JsonBody<CreateKeyIn>,
) -> Result<(StatusCode, Json<KeyOut>), ApiError> {
    auth.require_admin()?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::bad_request("role must be admin, agent or widget"))?;
    let name = required_text("name", &body.name, 200)?;
    check_plain("name", Some(&name))?;
    let (k, secret) = st.store.create_api_key(role, &name).await?;
    st.store
        .audit(
            Some(&auth.key.id),
            "api_keys.create",
            Some(&k.id),
            &json!({"role": role.as_str()}),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(KeyOut {
            id: k.id,
            key: secret,
            role: role.as_str(),
            name: k.name,
        }),
    ))
}

#[utoipa::path(delete, path = "/v1/api_keys/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn revoke_api_key(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    auth.require_admin()?;
    if !st.store.revoke_api_key(&id).await? {
        return Err(ApiError::not_found("api key"));
    }
    st.keys.forget(&id).await;
    st.store
        .audit(Some(&auth.key.id), "api_keys.revoke", Some(&id), &json!({}))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWebhookIn {
    pub url: String,
    /// lead.grade_changed, handoff.requested, or * for all
    pub events: Vec<String>,
    /// HMAC-SHA256 key for the X-Tuoke-Signature header
    pub secret: String,
}

/// Subscribe a URL to events.
#[utoipa::path(post, path = "/v1/webhooks", tag = "admin", request_body = CreateWebhookIn,
    responses((status = 201, description = "{id, url, events, active, created_at}"), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn create_webhook(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    JsonBody(body): JsonBody<CreateWebhookIn>,
) -> Result<Response, ApiError> {
    auth.require_admin()?;
    let url =
        reqwest::Url::parse(&body.url).map_err(|e| ApiError::bad_request(format!("url: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::bad_request("url must be http or https"));
    }
    st.egress
        .check_registration(&body.url, &url)
        .await
        .map_err(ApiError::bad_request)?;
    if body.events.is_empty() {
        return Err(ApiError::bad_request("events is empty"));
    }
    for e in &body.events {
        if e != "*" && !WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(ApiError::bad_request(format!(
                "unknown event {e:?}; known: {}",
                WEBHOOK_EVENTS.join(", ")
            )));
        }
    }
    if body.secret.len() < 8 {
        return Err(ApiError::bad_request(
            "secret must have at least 8 characters",
        ));
    }
    let w = st
        .store
        .create_webhook(url.as_str(), &body.events, &body.secret)
        .await?;
    st.store
        .audit(
            Some(&auth.key.id),
            "webhooks.create",
            Some(&w.id),
            &json!({"events": w.events}),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(w)).into_response())
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "admin",
    responses((status = 200, description = "{items: [webhook]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_webhooks(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Response, ApiError> {
    auth.require_admin()?;
    Ok(Json(Items::of(st.store.list_webhooks().await?)).into_response())
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_webhook(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    auth.require_admin()?;
    if !st.store.delete_webhook(&id).await? {
        return Err(ApiError::not_found("webhook"));
    }
    st.store
        .audit(Some(&auth.key.id), "webhooks.delete", Some(&id), &json!({}))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/webhooks/outbox", tag = "admin",
    responses((status = 200, description = "{items: [delivery]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_outbox(
    State(st): State<Arc<AppState>>,
    auth: Auth,
) -> Result<Response, ApiError> {
    auth.require_admin()?;
    Ok(Json(Items::of(st.store.list_outbox(200).await?)).into_response())
}

#[utoipa::path(get, path = "/v1/audit", tag = "admin",
    responses((status = 200, description = "{items: [audit event]}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_audit(State(st): State<Arc<AppState>>, auth: Auth) -> Result<Response, ApiError> {
    auth.require_admin()?;
    Ok(Json(Items::of(st.store.list_audit(200).await?)).into_response())
}

/// Everything stored about a customer (data-subject export).
#[utoipa::path(get, path = "/v1/customers/{id}/export", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, description = "{customer, conversations: [{conversation, messages, lead, handoffs}]}"), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn export_customer(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<Response, ApiError> {
    auth.require_admin()?;
    let ex = st
        .store
        .export_customer(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    st.store
        .audit(Some(&auth.key.id), "customer.export", Some(&id), &json!({}))
        .await?;
    let mut r = Json(ex).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"customer-{id}.json\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Delete a customer and all their conversations.
#[utoipa::path(delete, path = "/v1/customers/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_customer(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    P(id): P<String>,
) -> Result<StatusCode, ApiError> {
    auth.require_admin()?;
    if !st.store.delete_customer(&id).await? {
        return Err(ApiError::not_found("customer"));
    }
    st.store
        .audit(Some(&auth.key.id), "customer.delete", Some(&id), &json!({}))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
