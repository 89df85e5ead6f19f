//! The embedded migrations per engine and applying them at start.

use sqlx::AssertSqlSafe;

use crate::{Db, Result, Store, StoreError, now_ms};

const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (3, include_str!("../migrations/sqlite/0003_team.sql")),
    (2, include_str!("../migrations/sqlite/0002_retention.sql")),
    (
        4,
        include_str!("../migrations/sqlite/0004_server_secrets.sql"),
    ),
    (5, include_str!("../migrations/sqlite/0005_message_llm.sql")),
];
const PG_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_retention.sql")),
    (4, include_str!("../migrations/postgres/0004_team.sql")),
    (3, include_str!("../migrations/postgres/0003_lz4.sql")),
    (
        5,
        include_str!("../migrations/postgres/0005_server_secrets.sql"),
    ),
    (
        6,
        include_str!("../migrations/postgres/0006_message_llm.sql"),
    ),
];

/// Lock id for PostgreSQL advisory locks around migrations (any constant; "tuoke" in ASCII).
const PG_MIGRATION_LOCK: i64 = 0x74756f6b65;

impl Store {
    /// Applies the embedded migrations that are not yet recorded in `schema_migrations`.
    /// On PostgreSQL an advisory lock makes concurrent starts of several processes safe.
    pub(crate) async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite { write, .. } => {
                sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
                    .execute(write)
                    .await?;
                for (version, sql) in SQLITE_MIGRATIONS {
                    let done: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM schema_migrations WHERE version = $1",
                    )
                    .bind(version)
                    .fetch_optional(write)
                    .await?;
                    if done.is_some() {
                        continue;
                    }
                    let mut tx = write.begin().await?;
                    sqlx::raw_sql(AssertSqlSafe(*sql))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| StoreError::Migration {
                            version: *version,
                            source: Box::new(e),
                        })?;
                    sqlx::query(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    )
                    .bind(version)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    tracing::info!(version, "applied sqlite migration");
                }
            }
            Db::Pg(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(PG_MIGRATION_LOCK)
                    .execute(&mut *conn)
                    .await?;
                let result: Result<()> = async {
                    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                        .execute(&mut *conn)
                        .await?;
                    for (version, sql) in PG_MIGRATIONS {
                        let done: Option<i64> = sqlx::query_scalar(
                            "SELECT version FROM schema_migrations WHERE version = $1",
                        )
                        .bind(version)
                        .fetch_optional(&mut *conn)
                        .await?;
                        if done.is_some() {
                            continue;
                        }
                        sqlx::raw_sql(AssertSqlSafe(format!(
                            "BEGIN; {sql}; INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, {}); COMMIT;",
                            now_ms()
                        )))
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| StoreError::Migration {
                            version: *version,
                            source: Box::new(e),
                        })?;
                        tracing::info!(version, "applied postgres migration");
                    }
                    Ok(())
                }
                .await;
                if result.is_err() {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                }
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(PG_MIGRATION_LOCK)
                    .execute(&mut *conn)
                    .await?;
                result?;
            }
        }
        Ok(())
    }
}
