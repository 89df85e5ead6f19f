//! What the company knows, read-only: the knowledge base and playbook (`GET /v1/company`; a
//! widget key gets the customer's view) and the stateless analysis of one utterance
//! (`POST /v1/analyze`).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use tuoke_dialogue::catalog::CompanyInfo;
use tuoke_dialogue::{Competitor, Faq, Playbook, Product};
use tuoke_store::Role;
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, JsonBody};
use crate::http::input::{check_len, now_local};
use crate::state::AppState;
use crate::views::customer;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/analyze", post(analyze))
        .route("/company", get(company))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnalyzeIn {
    pub text: String,
}

/// Stateless analysis of one utterance.
#[utoipa::path(post, path = "/v1/analyze", tag = "analysis", request_body = AnalyzeIn,
    responses((status = 200, description = "Analysis"), (status = 400), (status = 401), (status = 413)),
    security(("bearer" = [])))]
pub async fn analyze(
    State(st): State<Arc<AppState>>,
    _auth: Auth,
    JsonBody(body): JsonBody<AnalyzeIn>,
) -> Result<Response, ApiError> {
    check_len(
        "text",
        &Some(body.text.clone()),
        st.config.max_message_chars,
    )?;
    if body.text.trim().is_empty() {
        return Err(ApiError::bad_request("text is empty"));
    }
    let t = Instant::now();
    let a = st
        .analyzer
        .analyze(&body.text, now_local(&st))
        .map_err(|e| ApiError::bad_request(format!("text could not be analyzed: {e}")))?;
    st.metrics
        .analyze_duration
        .observe(t.elapsed().as_secs_f64());
    Ok(Json(a).into_response())
}

/// Read-only views of the company knowledge base and playbook.
#[utoipa::path(get, path = "/v1/company", tag = "company",
    responses((status = 200, description = "{company, products, faqs, competitors, playbook}; a widget key gets {company, products (no discount.max_pct), faqs}"), (status = 401)),
    security(("bearer" = [])))]
pub async fn company(State(st): State<Arc<AppState>>, auth: Auth) -> Result<Response, ApiError> {
    let c = &st.company;
    if auth.role() == Role::Widget {
        return Ok(Json(customer::company(c)).into_response());
    }
    Ok(Json(CompanyOut {
        company: c.info(),
        products: c.products(),
        faqs: c.faqs(),
        competitors: c.competitors(),
        playbook: c.playbook(),
    })
    .into_response())
}

/// The company as staff read it.
#[derive(Serialize)]
pub struct CompanyOut<'a> {
    pub company: &'a CompanyInfo,
    pub products: &'a [Product],
    pub faqs: &'a [Faq],
    pub competitors: &'a [Competitor],
    pub playbook: &'a Playbook,
}
