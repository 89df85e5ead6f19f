//! API-key authentication (`Authorization: Bearer <key>`; on SSE routes, where EventSource
//! cannot set headers, a short-lived `?token=` from `POST /v1/stream_token`, or — for old
//! clients — `?key=`), roles, and the per-key rate limit. The keys themselves and stream tokens
//! are in [`crate::keys`], what a request carries in [`crate::request`].

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tuoke_store::{ApiKey, Role};

use crate::error::ApiError;
use crate::keys::check_stream_token;
use crate::request::{bearer, client_addr, query_key, stream_query_param, token_of};
use crate::state::AppState;

/// The caller, as proven by its API key.
#[derive(Debug, Clone)]
pub struct Auth {
    pub key: ApiKey,
    /// The client's address ([`crate::request::client_addr`]).
    pub client: std::net::IpAddr,
    /// A widget conversation's token, if the request carried one.
    pub conversation_token: Option<String>,
}

impl Auth {
    pub fn role(&self) -> Role {
        self.key.role
    }

    /// 403 unless the caller has one of `roles` (admin always passes).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.key.role == Role::Admin || roles.contains(&self.key.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} key may not do this",
                self.key.role.as_str()
            )))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(&[Role::Admin])
    }

    /// Agents and admins read everything; a widget key only the conversations it created, and
    /// only with the conversation's token (401 `invalid_conversation_token` without a valid
    /// one). Widget requests on a conversation also count against the conversation's own
    /// rate limit.
    pub fn may_access(
        &self,
        st: &AppState,
        conversation_id: &str,
        created_by_key: Option<&str>,
    ) -> Result<(), ApiError> {
        match self.key.role {
            Role::Admin | Role::Agent => Ok(()),
            Role::Widget if created_by_key == Some(self.key.id.as_str()) => {
                let valid = self
                    .conversation_token
                    .as_deref()
                    .is_some_and(|t| st.guard.token_valid(t, conversation_id, &self.key.id));
                if !valid {
                    return Err(ApiError::InvalidConversationToken);
                }
                st.guard.check_request(&format!("c|{conversation_id}"))
            }
            Role::Widget => Err(ApiError::forbidden(
                "this widget key did not create this conversation",
            )),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let client = client_addr(parts, &state.config.public);
        let conversation_token = token_of(parts);
        let auth = |key: ApiKey| Auth {
            key,
            client,
            conversation_token: conversation_token.clone(),
        };
        state.guard.check_blocked(client)?;
        let bearer_key = bearer(parts);
        let stream_token = bearer_key
            .is_none()
            .then(|| stream_query_param(parts, "token"))
            .flatten();
        if let Some(token) = stream_token {
            let k = match check_stream_token(&state.store, &token).await {
                Ok(k) => k,
                Err(e @ ApiError::Unauthorized(_)) => {
                    return Err(state.guard.failed_key(client, e));
                }
                Err(e) => return Err(e),
            };
            return Ok(auth(k));
        }
        let Some(key) = bearer_key.or_else(|| query_key(parts)) else {
            return Err(ApiError::unauthorized(
                "missing API key (Authorization: Bearer <key>)",
            ));
        };
        let found = if key.is_empty() || key.len() > 200 {
            None
        } else {
            state.keys.lookup(&state.store, &key).await?
        };
        let Some(k) = found else {
            return Err(state
                .guard
                .failed_key(client, ApiError::unauthorized("invalid API key")));
        };
        // A public key is shared by every visitor: its budget is per client, so one client
        // cannot use up everybody's.
        let bucket = match k.role {
            Role::Widget => format!("w|{}|{client}", k.id),
            Role::Admin | Role::Agent => format!("k|{}", k.id),
        };
        if let Err(e) = state.guard.check_request(&bucket) {
            state.metrics.rate_limited.inc();
            return Err(e);
        }
        Ok(auth(k))
    }
}
