//! The errors of the server. [`ApiError`] is the one error of the HTTP layer: every failure is
//! `{"error": {"code", "message"}}`, and its variants are the one catalogue of codes, each
//! mapped to its status in [`ApiError::status_and_code`]. [`ServerError`] is what starting or
//! running the server can fail with.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tuoke_store::StoreError;

/// Errors starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("store: {0}")]
    Store(#[from] tuoke_store::StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("http client: {0}")]
    Http(String),
}

/// An API error. The variant is the machine-readable code (see [`ApiError::status_and_code`]);
/// its text, the human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`: a field's value is not accepted.
    #[error("{0}")]
    BadRequest(String),
    /// 400 `bad_json`: the body is no JSON, or JSON of the wrong shape.
    #[error("{0}")]
    BadJson(String),
    /// 400 `bad_query`.
    #[error("{0}")]
    BadQuery(String),
    /// 400 `bad_path`.
    #[error("{0}")]
    BadPath(String),
    /// 401 `unauthorized`: no key, an unknown or revoked key, a bad stream token.
    #[error("{0}")]
    Unauthorized(String),
    /// 401 `invalid_conversation_token`: a widget key's request on a conversation without its
    /// valid token.
    #[error(
        "this conversation needs its token (X-Conversation-Token); it is missing, wrong or expired"
    )]
    InvalidConversationToken,
    /// 403 `forbidden`: the key's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// 405 `method_not_allowed`.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// 408 `timeout`: the request (or its body) took too long.
    #[error("the request took too long")]
    Timeout,
    /// 409 `conflict`: the conversation changed concurrently.
    #[error("the conversation changed concurrently; retry")]
    Conflict,
    /// 409 `busy`: too many concurrent changes of one conversation.
    #[error("too many concurrent changes; retry")]
    Busy,
    /// 409 `duplicate`: already exists (a used `client_message_id`, a known key).
    #[error("{0}")]
    Duplicate(String),
    /// 409 `idempotency_mismatch`: a `client_message_id` reused for a different text.
    #[error("client_message_id was used for a different text")]
    IdempotencyMismatch,
    /// 409 `closed`: the conversation is closed.
    #[error("the conversation is closed")]
    Closed,
    /// 409 `not_handed_off`: an agent message before a take-over.
    #[error("take the conversation over before replying as an agent")]
    NotHandedOff,
    /// 409 `assigned`: another agent holds the conversation.
    #[error("{0}")]
    Assigned(String),
    /// 413 `too_long`: a text field over its length.
    #[error("{0}")]
    TooLong(String),
    /// 413 `payload_too_large`: the body is over the server's limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415 `unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429 `rate_limited`, with `Retry-After` in seconds.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// 500 `internal`.
    #[error("{0}")]
    Internal(String),
    /// 503 `unavailable`: the database (or the server) cannot answer now.
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    /// The status and the code of every error: the one catalogue.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use ApiError as E;
        match self {
            E::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            E::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            E::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query"),
            E::BadPath(_) => (StatusCode::BAD_REQUEST, "bad_path"),
            E::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            E::InvalidConversationToken => (StatusCode::UNAUTHORIZED, "invalid_conversation_token"),
            E::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            E::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            E::Timeout => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            E::Conflict => (StatusCode::CONFLICT, "conflict"),
            E::Busy => (StatusCode::CONFLICT, "busy"),
            E::Duplicate(_) => (StatusCode::CONFLICT, "duplicate"),
            E::IdempotencyMismatch => (StatusCode::CONFLICT, "idempotency_mismatch"),
            E::Closed => (StatusCode::CONFLICT, "closed"),
            E::NotHandedOff => (StatusCode::CONFLICT, "not_handed_off"),
            E::Assigned(_) => (StatusCode::CONFLICT, "assigned"),
            E::TooLong(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_long"),
            E::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            E::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            E::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            E::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            E::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }
    /// 404 "no such `what`".
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("no such {what}"))
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::Unauthorized(message.into())
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(message.into())
    }
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::Internal(message.into())
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::Unavailable(message.into())
    }
}

/// The error envelope: `{"error": {"code", "message"}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = Json(ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
            },
        });
        let mut r = (status, body).into_response();
        if let ApiError::RateLimited { retry_after, .. } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict => ApiError::Conflict,
            StoreError::Duplicate => ApiError::Duplicate("already exists".into()),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::unavailable("database error")
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if is_body_timeout(&r) {
            return ApiError::Timeout;
        }
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(r.body_text()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(r.body_text()),
            // Syntax errors (400) and well-formed JSON of the wrong shape (axum: 422) are both
            // the client's malformed request.
            _ => ApiError::BadJson(r.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadQuery(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadPath(r.body_text())
    }
}

/// JSON body extractor whose rejections are [`ApiError`]s.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let Json(v) = Json::<T>::from_request(req, state).await?;
        Ok(JsonBody(v))
    }
}

/// Query extractor whose rejections are [`ApiError`]s.
pub struct Q<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Q<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let axum::extract::Query(v) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Q(v))
    }
}

/// Path extractor whose rejections are [`ApiError`]s.
pub struct P<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for P<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let axum::extract::Path(v) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(P(v))
    }
}

/// Whether a body-read failure was [`crate::serve::deadline`]'s body timeout.
fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = e.source();
    }
    false
}
