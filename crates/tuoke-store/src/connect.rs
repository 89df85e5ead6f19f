//! Opening and closing a [`Store`], which engine it talks to, the liveness probe, and the live
//! events that PostgreSQL carries between server processes (`NOTIFY` / `LISTEN`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Db, Engine, Result, Store, StoreError, writer};

/// PostgreSQL channel that carries live events between server processes.
pub const EVENTS_CHANNEL: &str = "tuoke_events";

/// Receives the live-event payloads of other processes (see [`Store::listen_events`]).
pub struct EventListener {
    inner: sqlx::postgres::PgListener,
}

impl EventListener {
    /// The next payload, or `None` once after the connection was lost and re-established: events
    /// sent meanwhile were missed, so a caller tells its listeners to re-read what they show.
    pub async fn recv(&mut self) -> Result<Option<String>> {
        Ok(self
            .inner
            .try_recv()
            .await?
            .map(|n| n.payload().to_string()))
    }
}

impl Store {
    /// Opens a database by URL: `sqlite:PATH` / `sqlite://PATH` (created if missing),
    /// `sqlite::memory:`, or `postgres://…` / `postgresql://…`. Applies migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Store { db: Db::Pg(pool) }
        } else if url.starts_with("sqlite:") {
            let memory = url.contains(":memory:");
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::BadUrl(url.to_string()))?
                .create_if_missing(true)
                .journal_mode(if memory {
                    SqliteJournalMode::Memory
                } else {
                    SqliteJournalMode::Wal
                })
                // In WAL mode NORMAL loses no committed transaction on a process crash
                // (only on power loss / OS crash), and avoids an fsync per commit.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Deleted rows are overwritten with zeros, in the db file and in the WAL frames
                // that carry the changed pages, so an erasure leaves nothing in free pages.
                .pragma("secure_delete", "ON");
            if memory {
                // One shared connection: every pool sees the same in-memory database.
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(opts)
                    .await?;
                Store {
                    db: Db::Sqlite {
                        writer: writer::Writer::start(pool.clone())?,
                        write: pool.clone(),
                        read: pool,
                    },
                }
            } else {
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(
                        opts.clone()
                            // Checkpoint every 500 pages (2 MB; SQLite's default is 1000): many
                            // short stalls instead of fewer long ones. At 3,000 turns/s this
                            // gave p99 14 ms against 21 ms (1000) and 36 ms (2000).
                            .pragma("wal_autocheckpoint", "500"),
                    )
                    .await?;
                let read = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts.read_only(false))
                    .await?;
                Store {
                    db: Db::Sqlite {
                        writer: writer::Writer::start(write.clone())?,
                        write,
                        read,
                    },
                }
            }
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn engine(&self) -> Engine {
        match self.db {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Pg(_) => Engine::Postgres,
        }
    }

    /// Waits for checkpoint and closes all connections.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Pg(p) => p.close().await,
        }
    }

    /// Sends live-event payloads to the other server processes on the same PostgreSQL
    /// (`NOTIFY` on [`EVENTS_CHANNEL`], one round trip for all of them); a no-op on SQLite,
    /// where one process owns the database. Payloads over PostgreSQL's 8,000-byte limit are
    /// skipped with a warning (their readers still find the data in the store).
    pub async fn notify_events(&self, payloads: &[String]) -> Result<()> {
        let Db::Pg(pool) = &self.db else {
            return Ok(());
        };
        let fitting: Vec<&str> = payloads
            .iter()
            .filter(|p| {
                let ok = p.len() < 7_900;
                if !ok {
                    tracing::warn!(bytes = p.len(), "live event too large to NOTIFY; skipped");
                }
                ok
            })
            .map(String::as_str)
            .collect();
        if fitting.is_empty() {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(EVENTS_CHANNEL)
            .bind(&fitting)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// A listener for the payloads other processes send with
    /// [`notify_events`](Self::notify_events); `None` on SQLite.
    pub async fn listen_events(&self) -> Result<Option<EventListener>> {
        let Db::Pg(pool) = &self.db else {
            return Ok(None);
        };
        let mut l = sqlx::postgres::PgListener::connect_with(pool).await?;
        l.listen(EVENTS_CHANNEL).await?;
        Ok(Some(EventListener { inner: l }))
    }

    /// Cheap liveness probe.
    pub async fn ping(&self) -> Result<()> {
        read!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }
}
