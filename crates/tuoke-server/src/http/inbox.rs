//! The inbox and the leads list of the dashboard (`GET /v1/inbox`): tabs waiting for a person
//! (oldest first) / mine / all with unread counts, columns for the customer, products of
//! interest, channel, variety and holder, search over the customer's fields and every message,
//! and the same list as CSV (`GET /v1/inbox/export`). Agents see phone numbers masked.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tuoke_dialogue::Text;
use tuoke_store::{InboxCounts, InboxFilter, InboxRow, InboxTab, Role, Status};

use crate::auth::Auth;
use crate::error::{ApiError, Q};
use crate::http::input::{day_start_ms, nonempty, server_tz};
use crate::state::AppState;
use crate::views::contact::{ContactOut, mask_phone, sees_contacts};
use crate::views::conversation::LeadRowOut;
use crate::views::team::OwnerOut;
use crate::views::time::ts;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/inbox", get(inbox))
        .route("/inbox/export", get(export))
}

#[derive(Debug, Deserialize, Default)]
pub struct InboxQuery {
    /// `waiting`, `mine` or `all` (default).
    pub tab: Option<String>,
    pub q: Option<String>,
    pub grade: Option<String>,
    pub stage: Option<String>,
    pub status: Option<String>,
    pub channel: Option<String>,
    pub min_score: Option<String>,
    /// `YYYY-MM-DD` (inclusive, the server's time zone): conversations created from that day.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (inclusive): conversations created up to that day.
    pub to: Option<String>,
    pub limit: Option<i64>,
}

fn filter_of(st: &AppState, auth: &Auth, q: &InboxQuery) -> Result<InboxFilter, ApiError> {
    let tab = match q.tab.as_deref() {
        None | Some("") | Some("all") => InboxTab::All,
        Some("waiting") => InboxTab::Waiting,
        Some("mine") => InboxTab::Mine,
        Some(_) => return Err(ApiError::bad_request("tab must be waiting, mine or all")),
    };
    let grade = match nonempty(&q.grade).as_deref() {
        None => None,
        Some(g @ ("A" | "B" | "C" | "D")) => Some(g.to_string()),
        Some(_) => return Err(ApiError::bad_request("grade must be A, B, C or D")),
    };
    let status = match nonempty(&q.status) {
        None => None,
        Some(s) => Some(
            Status::parse(&s)
                .ok_or_else(|| ApiError::bad_request("status must be bot, handed_off or closed"))?,
        ),
    };
    let min_score = match nonempty(&q.min_score) {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| ApiError::bad_request("min_score must be a number"))?,
        ),
    };
    let tz = server_tz(st);
    let from = nonempty(&q.from)
        .map(|d| day_start_ms("from", &d, tz, false))
        .transpose()?;
    let to = nonempty(&q.to)
        .map(|d| day_start_ms("to", &d, tz, true))
        .transpose()?;
    let search = nonempty(&q.q);
    if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(ApiError::bad_request("q is longer than 100 characters"));
    }
    Ok(InboxFilter {
        key_id: auth.key.id.clone(),
        tab,
        q: search,
        grade,
        stage: nonempty(&q.stage),
        status,
        channel: nonempty(&q.channel),
        min_score,
        from,
        to,
        limit: q.limit.unwrap_or(500),
    })
}

/// `bot`, `requested` or `taken_over` of a listed conversation.
fn handoff_of(r: &InboxRow) -> &'static str {
    match r.lead.status {
        Status::HandedOff => "taken_over",
        Status::Bot if r.waiting_since.is_some() => "requested",
        _ => "bot",
    }
}

fn products_of<'a>(st: &'a AppState, state: &'a Value) -> Vec<ProductRef<'a>> {
    state["slots"]["products_mentioned"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter_map(|id| st.company.product(id))
                .map(|p| ProductRef {
                    id: &p.id,
                    name: &p.name,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A product of interest in an inbox row.
#[derive(Serialize)]
struct ProductRef<'a> {
    id: &'a str,
    name: &'a Text,
}

/// One conversation of the inbox.
#[derive(Serialize)]
struct InboxRowOut<'a> {
    #[serde(flatten)]
    lead: LeadRowOut<'a>,
    customer: ContactOut<'a>,
    handoff: &'static str,
    channel: &'a str,
    variety: &'a Value,
    products: Vec<ProductRef<'a>>,
    owner: Option<OwnerOut<'a>>,
    waiting_since: Option<String>,
    unread: i64,
    outcome: Option<&'a str>,
    handoff_reason: &'a Value,
    created_at: String,
}

fn row_out<'a>(st: &'a AppState, auth: &Auth, r: &'a InboxRow) -> InboxRowOut<'a> {
    InboxRowOut {
        lead: LeadRowOut::from(&r.lead),
        customer: ContactOut::new(
            auth,
            &r.customer_name,
            &r.customer_phone,
            &r.customer_email,
            &r.customer_wechat,
        ),
        handoff: handoff_of(r),
        channel: &r.channel,
        variety: &r.state["variety"],
        products: products_of(st, &r.state),
        // Here `mine` only when held with the caller's key (the workspace also counts a holder
        // without a recorded key as the caller's).
        owner: r.owner.as_ref().map(|o| OwnerOut {
            agent: o.agent.as_deref(),
            mine: o.key_id.as_deref() == Some(auth.key.id.as_str()),
        }),
        waiting_since: r.waiting_since.map(ts),
        unread: r.unread,
        outcome: r.outcome.as_deref(),
        handoff_reason: &r.state["handoff_reason"],
        created_at: ts(r.created_at),
    }
}

/// `GET /v1/inbox`.
#[derive(Serialize)]
struct InboxOut<'a> {
    items: Vec<InboxRowOut<'a>>,
    counts: InboxCounts,
}

/// The inbox: one tab's conversations (waiting: oldest first) and every tab's counts.
#[utoipa::path(get, path = "/v1/inbox", tag = "leads",
    params(("tab" = Option<String>, Query, description = "waiting | mine | all"), ("q" = Option<String>, Query, description = "customer name/phone/e-mail/WeChat or any message"),
           ("grade" = Option<String>, Query), ("stage" = Option<String>, Query), ("status" = Option<String>, Query),
           ("channel" = Option<String>, Query), ("min_score" = Option<String>, Query),
           ("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD"), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "{items: [{conversation_id, customer: {name, phone, phone_masked}, products, channel, variety, owner, waiting_since, unread, ...lead}], counts: {waiting, mine, all: {total, unread}}}"),
              (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn inbox(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Q(q): Q<InboxQuery>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let f = filter_of(&st, &auth, &q)?;
    let rows = st.store.inbox(&f).await?;
    let counts = st.store.inbox_counts(&auth.key.id).await?;
    Ok(Json(InboxOut {
        items: rows.iter().map(|r| row_out(&st, &auth, r)).collect(),
        counts,
    })
    .into_response())
}

/// One CSV field: quoted when needed, and a leading `= + - @` defused (spreadsheet formulas).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub const CSV_COLUMNS: [&str; 15] = [
    "conversation_id",
    "customer_name",
    "phone",
    "grade",
    "score",
    "stage",
    "status",
    "handoff",
    "channel",
    "variety",
    "products",
    "owner",
    "outcome",
    "last_activity",
    "last_message",
];

/// The filtered list as CSV (UTF-8 with a BOM, so spreadsheets read Chinese right).
#[utoipa::path(get, path = "/v1/inbox/export", tag = "leads",
    params(("tab" = Option<String>, Query), ("q" = Option<String>, Query), ("grade" = Option<String>, Query), ("stage" = Option<String>, Query),
           ("status" = Option<String>, Query), ("channel" = Option<String>, Query), ("min_score" = Option<String>, Query),
           ("from" = Option<String>, Query), ("to" = Option<String>, Query)),
    responses((status = 200, description = "text/csv, columns as CSV_COLUMNS"), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn export(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Q(q): Q<InboxQuery>,
) -> Result<Response, ApiError> {
    auth.require(&[Role::Agent])?;
    let mut f = filter_of(&st, &auth, &q)?;
    f.limit = q.limit.unwrap_or(5000);
    let rows = st.store.inbox(&f).await?;
    let full = sees_contacts(&auth);
    let mut out = String::from("\u{feff}");
    out.push_str(&CSV_COLUMNS.join(","));
    out.push_str("\r\n");
    for r in &rows {
        let l = &r.lead;
        let products = products_of(&st, &r.state)
            .iter()
            .map(|p| p.name.zh.clone())
            .collect::<Vec<_>>()
            .join("; ");
        let phone = r
            .customer_phone
            .as_deref()
            .map(|p| if full { p.to_string() } else { mask_phone(p) })
            .unwrap_or_default();
        let fields = [
            l.conversation_id.clone(),
            r.customer_name.clone().unwrap_or_default(),
            phone,
            l.grade.clone(),
            l.score.to_string(),
            l.stage.clone(),
            l.status.as_str().to_string(),
            handoff_of(r).to_string(),
            r.channel.clone(),
            r.state["variety"].as_str().unwrap_or_default().to_string(),
            products,
            r.owner
                .as_ref()
                .and_then(|o| o.agent.clone())
                .unwrap_or_default(),
            r.outcome.clone().unwrap_or_default(),
            ts(l.last_activity),
            l.last_message.clone().unwrap_or_default(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|s| csv_field(s))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    st.store
        .audit(
            Some(&auth.key.id),
            "leads.export",
            None,
            &json!({"rows": rows.len()}),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tuoke-leads.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("价格"), "价格");
    }
}
