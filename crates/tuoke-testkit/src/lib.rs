//! Helpers for tuoke's tests, used as a dev-dependency only (no crate depends on it at run
//! time): a test whose resource is missing (a PostgreSQL server, fetched models, shared data
//! sets, a browser) is skipped with a printed reason, or fails when `TUOKE_REQUIRE_ALL=1` (CI);
//! each PostgreSQL test gets a fresh database; [`fault`] makes writes to a table fail.

use sqlx::{Connection, PgConnection};

pub mod fault;

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

/// `test` cannot run because of `reason`: a printed skip, or a panic (the test fails) when
/// `TUOKE_REQUIRE_ALL=1`.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !require_all(),
        "{test}: {reason} (TUOKE_REQUIRE_ALL=1, so this is a failure)"
    );
    note_skip(&format!("{test}: {reason}"));
}

/// The PostgreSQL URL for tests, or `None` (after printing why) when it is not set.
/// Panics when `TUOKE_REQUIRE_ALL=1` and it is missing.
pub fn pg_url_or_skip(test: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            skip(
                test,
                &format!("{PG_ENV} is not set (scripts/pg-test-cluster.sh starts one)"),
            );
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
