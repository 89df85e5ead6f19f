//! The funnel over a date range (`GET /v1/funnel?from=&to=`): of the conversations created in
//! the range, how many reached each playbook stage (stages are ordered, so a conversation now in
//! stage k passed every stage before it) and the conversion from one stage to the next; the
//! outcomes recorded for them (won / lost / follow-up); how long customers waited for a person;
//! and the same per agent.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use tuoke_store::{FunnelData, Role};

use crate::auth::Auth;
use crate::error::{ApiError, Q};
use crate::http::input::{day_start_ms, server_tz};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/funnel", get(funnel))
}

#[derive(Debug, Deserialize, Default)]
pub struct FunnelQuery {
    /// `YYYY-MM-DD`, inclusive (default: 29 days before `to`).
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive (default: today in the server's time zone).
    pub to: Option<String>,
}

/// The `q`-quantile (nearest rank) of sorted `v`.
fn quantile(v: &[i64], q: f64) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    Some(v[i])
}

fn waits_json(mut w: Vec<i64>) -> Value {
    w.sort_unstable();
    json!({"median": quantile(&w, 0.5), "p90": quantile(&w, 0.9), "max": w.last()})
}

/// The funnel's JSON from the stored numbers and the playbook's stage order.
pub fn funnel_json(stage_order: &[String], d: &FunnelData, from: &str, to: &str) -> Value {
    let total: i64 = d.stages.iter().map(|(_, n)| n).sum();
    let index = |s: &str| stage_order.iter().position(|x| x == s).unwrap_or(0);
    let mut at = vec![0i64; stage_order.len().max(1)];
    for (s, n) in &d.stages {
        at[index(s)] += n;
    }
    let mut stages = Vec::new();
    let mut prev: Option<i64> = None;
    for (i, id) in stage_order.iter().enumerate() {
        let reached: i64 = at[i..].iter().sum();
        let conversion = prev.map(|p| {
            if p > 0 {
                reached as f64 / p as f64
            } else {
                0.0
            }
        });
        stages.push(json!({"id": id, "reached": reached, "conversion": conversion}));
        prev = Some(reached);
    }
    let mut outcomes: BTreeMap<&str, i64> = [("won", 0), ("lost", 0), ("follow_up", 0)].into();
    #[derive(Default)]
    struct Agent {
        taken: i64,
        waits: Vec<i64>,
        outcomes: BTreeMap<String, i64>,
    }
    let mut agents: BTreeMap<String, Agent> = BTreeMap::new();
    for (o, agent, n) in &d.outcomes {
        *outcomes.entry(o.as_str()).or_default() += n;
        if let Some(a) = agent {
            *agents
                .entry(a.clone())
                .or_default()
                .outcomes
                .entry(o.clone())
                .or_default() += n;
        }
    }
    let mut waits = Vec::new();
    let mut taken = 0;
    for h in &d.handoffs {
        if let Some(t) = h.taken_at {
            taken += 1;
            let w = ((t - h.requested_at) / 1000).max(0);
            waits.push(w);
            if let Some(a) = &h.agent {
                let e = agents.entry(a.clone()).or_default();
                e.taken += 1;
                e.waits.push(w);
            }
        }
    }
    let closed = outcomes["won"] + outcomes["lost"];
    json!({
        "from": from, "to": to, "conversations": total, "stages": stages,
        "outcomes": outcomes,
        "win_rate": (closed > 0).then(|| outcomes["won"] as f64 / closed as f64),
        "handoffs": {"requested": d.handoffs.len(), "taken": taken, "untaken": d.handoffs.len() as i64 - taken,
                     "wait_seconds": waits_json(waits)},
        "agents": agents.into_iter().map(|(name, a)| json!({
            "agent": name, "taken": a.taken, "wait_seconds": waits_json(a.waits),
            "won": a.outcomes.get("won").copied().unwrap_or(0), "lost": a.outcomes.get("lost").copied().unwrap_or(0),
            "follow_up": a.outcomes.get("follow_up").copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
    })
}

/// The funnel of the conversations created from `from` to `to` (inclusive days).
#[utoipa::path(get, path = "/v1/funnel", tag = "leads",
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses((status = 200, description = "{from, to, conversations, stages: [{id, reached, conversion}], outcomes: {won, lost, follow_up}, win_rate, handoffs: {requested, taken, untaken, wait_seconds: {median, p90, max}}, agents: [{agent, taken, wait_seconds, won, lost, follow_up}]}"),
              (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn funnel(
    State(st): State<Arc<AppState>>,
    auth: Auth,
    Q(q): Q<FunnelQuery>,
) -> Result<Json<Value>, ApiError> {
    auth.require(&[Role::Agent])?;
    let tz = server_tz(&st);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let to =
        q.to.filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| today.format("%Y-%m-%d").to_string());
    let to_ms = day_start_ms("to", &to, tz, true)?;
    let from = match q.from.filter(|s| !s.trim().is_empty()) {
        Some(f) => f,
        None => chrono::NaiveDate::parse_from_str(&to, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.checked_sub_days(chrono::Days::new(29)))
            .unwrap_or(today)
            .format("%Y-%m-%d")
            .to_string(),
    };
    let from_ms = day_start_ms("from", &from, tz, false)?;
    if from_ms >= to_ms {
        return Err(ApiError::bad_request("from must not be after to"));
    }
    let d = st.store.funnel_data(from_ms, to_ms).await?;
    let order: Vec<String> = st
        .company
        .playbook()
        .stages
        .iter()
        .map(|s| s.id.clone())
        .collect();
    Ok(Json(funnel_json(&order, &d, &from, &to)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tuoke_store::HandoffTiming;

    #[test]
    fn conversion_between_ordered_stages() {
        let order = vec!["a".to_string(), "b".into(), "c".into()];
        let d = FunnelData {
            stages: vec![("a".into(), 2), ("b".into(), 1), ("c".into(), 1)],
            outcomes: vec![
                ("won".into(), Some("Li".into()), 1),
                ("lost".into(), Some("Li".into()), 1),
            ],
            handoffs: vec![
                HandoffTiming {
                    requested_at: 0,
                    taken_at: Some(30_000),
                    agent: Some("Li".into()),
                },
                HandoffTiming {
                    requested_at: 0,
                    taken_at: None,
                    agent: None,
                },
            ],
        };
        let f = funnel_json(&order, &d, "2025-01-01", "2025-01-31");
        assert_eq!(f["conversations"], 4);
        assert_eq!(f["stages"][0]["reached"], 4);
        assert_eq!(f["stages"][1]["reached"], 2);
        assert_eq!(f["stages"][1]["conversion"], 0.5);
        assert_eq!(f["stages"][2]["conversion"], 0.5);
        assert_eq!(f["win_rate"], 0.5);
        assert_eq!(f["handoffs"]["untaken"], 1);
        assert_eq!(f["handoffs"]["wait_seconds"]["median"], 30);
        assert_eq!(f["agents"][0]["agent"], "Li");
        assert_eq!(f["agents"][0]["won"], 1);
    }
}
