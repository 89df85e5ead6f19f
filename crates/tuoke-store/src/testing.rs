//! Helpers for tests of this crate and the crates above it.

use sqlx::{Connection, PgConnection};

/// Env var naming a PostgreSQL server for tests (`postgres://user@host:port/db`).
pub const PG_ENV: &str = "TUOKE_PG_URL";

/// Says on the terminal that a test is skipped, and why. It writes to stderr directly: the
/// test harness captures `eprintln!` of passing tests, so a skip would go unseen.
pub fn note_skip(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {message}");
}

/// Whether tests must fail instead of skipping when a resource is missing.
pub fn require_all() -> bool {
    std::env::var("TUOKE_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// The PostgreSQL URL for tests, or `None` (after printing why) when it is not set.
/// Panics when `TUOKE_REQUIRE_ALL=1` and it is missing.
pub fn pg_url_or_skip(test: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                !require_all(),
                "{test}: {PG_ENV} is not set but TUOKE_REQUIRE_ALL=1"
            );
            note_skip(&format!(
                "{test}: {PG_ENV} is not set (scripts/pg-test-cluster.sh starts one)"
            ));
            None
        }
    }
}

/// Creates a fresh, empty database on the server of `base_url` and returns its URL, so each
/// test starts from nothing.
pub async fn fresh_pg_database(base_url: &str) -> Result<String, sqlx::Error> {
    let mut conn = PgConnection::connect(base_url).await?;
    let name = format!("tuoke_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let (prefix, rest) = base_url.rsplit_once('/').unwrap_or((base_url, ""));
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    Ok(format!("{prefix}/{name}{query}"))
}
