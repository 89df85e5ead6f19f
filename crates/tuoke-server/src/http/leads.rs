//! Leads: the list filtered and sorted (`GET /v1/leads`) and the dashboard's statistics
//! (`GET /v1/stats`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tuoke_store::{LeadFilter, LeadSort, Role};

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody, Q};
use crate::http::input::parse_status;
use crate::state::AppState;
use crate::views::conversation::LeadRowOut;
use crate::views::list::Items;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/leads", get(list_leads))
        .route("/stats", get(stats))
}

#[derive(Debug, Deserialize, Default)]
pub struct ListLeads {
    pub grade: Option<String>,
    pub stage: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Leads, filtered and sorted.
#[utoipa::path(get, path = "/v1/leads", tag = "leads",
    params(("grade" = Option<String>, Query), ("stage" = Option<String>, Query), ("status" = Option<String>, Query),
           ("sort" = Option<String>, Query, description = "-score (default) | score | -last_activity"),
           ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = Items<LeadRowOut>),
              (status = 400, body = ErrorBody), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_leads(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Q(q): Q<ListLeads>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let grade = match q.grade.as_deref() {
        None | Some("") => None,
        Some(g @ ("A" | "B" | "C" | "D")) => Some(g.to_string()),
        Some(_) => return Err(ApiError::bad_request("grade must be A, B, C or D")),
    };
    let sort = match q.sort.as_deref() {
        None | Some("") | Some("-score") => LeadSort::ScoreDesc,
        Some("score") => LeadSort::ScoreAsc,
        Some("-last_activity") => LeadSort::ActivityDesc,
        Some(_) => {
            return Err(ApiError::bad_request(
                "sort must be -score, score or -last_activity",
            ));
        }
    };
    let items = st
        .store
        .list_leads(&LeadFilter {
            grade,
            stage: q.stage.filter(|s| !s.is_empty()),
            status: parse_status(&q.status)?,
            sort,
            limit: q.limit.unwrap_or(100),
            offset: q.offset.unwrap_or(0),
        })
        .await?;
    Ok(Json(Items::of(items.iter().map(LeadRowOut::from))).into_response())
}

#[utoipa::path(get, path = "/v1/stats", tag = "leads",
    responses((status = 200, description = "{leads_by_grade, intents, sentiment_by_day, funnel, conversations_per_day}"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn stats(State(st): State<Arc<AppState>>, auth: Auth) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let s = st.store.stats().await?;
    Ok(Json(s).into_response())
}
