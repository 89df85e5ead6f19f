//! Leads (one per conversation: score, grade, evidence) and the dashboard's aggregates.

use sqlx::{AssertSqlSafe, Row};

use crate::{LeadFilter, LeadRow, LeadSort, Result, Stats, Status, Store, from_json};

/// The columns `lead_from_row!` reads, in its order, with the join they come from.
macro_rules! lead_select {
    () => {
        "SELECT l.conversation_id, l.customer_id, l.score, l.grade, l.evidence, c.stage, c.status, l.last_activity, l.last_message FROM leads l JOIN conversations c ON c.id = l.conversation_id"
    };
}

macro_rules! lead_from_row {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<LeadRow> {
            let evidence: String = r.try_get("evidence")?;
            let status: String = r.try_get("status")?;
            Ok(LeadRow {
                conversation_id: r.try_get("conversation_id")?,
                customer_id: r.try_get("customer_id")?,
                score: r.try_get("score")?,
                grade: r.try_get("grade")?,
                evidence: from_json("lead evidence", &evidence)?,
                stage: r.try_get("stage")?,
                status: Status::parse(&status).unwrap_or(Status::Bot),
                last_activity: r.try_get("last_activity")?,
                last_message: r.try_get("last_message")?,
            })
        })()
    }};
}

impl Store {
    pub async fn get_lead(&self, conversation_id: &str) -> Result<Option<LeadRow>> {
        let r = read!(self, p => {
            sqlx::query(concat!(lead_select!(), " WHERE l.conversation_id = $1"))
                .bind(conversation_id).fetch_optional(p).await?.map(|r| lead_from_row!(r)).transpose()?
        });
        Ok(r)
    }

    pub async fn list_leads(&self, f: &LeadFilter) -> Result<Vec<LeadRow>> {
        let mut sql = String::from(concat!(lead_select!(), " WHERE 1 = 1"));
        let mut args: Vec<String> = Vec::new();
        if let Some(g) = &f.grade {
            args.push(g.clone());
            sql.push_str(&format!(" AND l.grade = ${}", args.len()));
        }
        if let Some(s) = &f.stage {
            args.push(s.clone());
            sql.push_str(&format!(" AND c.stage = ${}", args.len()));
        }
        if let Some(s) = f.status {
            args.push(s.as_str().to_string());
            sql.push_str(&format!(" AND c.status = ${}", args.len()));
        }
        sql.push_str(match f.sort {
            LeadSort::ScoreDesc => " ORDER BY l.score DESC, l.last_activity DESC",
            LeadSort::ScoreAsc => " ORDER BY l.score ASC, l.last_activity DESC",
            LeadSort::ActivityDesc => " ORDER BY l.last_activity DESC",
        });
        sql.push_str(&format!(
            " LIMIT {} OFFSET {}",
            f.limit.clamp(1, 1000),
            f.offset.max(0)
        ));
        let rows = read!(self, p => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in &args { q = q.bind(a.clone()); }
            q.fetch_all(p).await?.into_iter().map(|r| lead_from_row!(r)).collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// Aggregates for the dashboard.
    pub async fn stats(&self) -> Result<Stats> {
        let s = read!(self, p => {
            let grades: Vec<(String, i64)> = sqlx::query_as("SELECT grade, COUNT(*) FROM leads GROUP BY grade").fetch_all(p).await?;
            let intents: Vec<(String, i64)> = sqlx::query_as("SELECT intent, COUNT(*) FROM messages WHERE role = 'customer' AND intent IS NOT NULL GROUP BY intent").fetch_all(p).await?;
            let sent: Vec<(String, String, i64)> = sqlx::query_as("SELECT day, sentiment, COUNT(*) FROM messages WHERE role = 'customer' AND sentiment IS NOT NULL GROUP BY day, sentiment ORDER BY day").fetch_all(p).await?;
            let funnel: Vec<(String, i64)> = sqlx::query_as("SELECT stage, COUNT(*) FROM conversations GROUP BY stage").fetch_all(p).await?;
            let per_day: Vec<(String, i64)> = sqlx::query_as("SELECT day, COUNT(*) FROM conversations GROUP BY day ORDER BY day").fetch_all(p).await?;
            let statuses: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM conversations GROUP BY status").fetch_all(p).await?;
            Stats::assemble(grades, intents, sent, funnel, per_day, statuses)
        });
        Ok(s)
    }
}
