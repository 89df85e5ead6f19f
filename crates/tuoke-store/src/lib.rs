//! Persistence for tuoke: customers, conversations (state JSON + optimistic-concurrency version),
//! messages with a per-conversation sequence number, leads, handoffs, hashed API keys, webhook
//! subscriptions with a persisted outbox, and audit events.
//!
//! Two engines behind one API: SQLite (the embedded default, WAL mode, one writer connection and a
//! pool of readers) and PostgreSQL (many stateless server processes on one database). Queries are
//! plain SQL strings (no compile-time checking, so no `DATABASE_URL` at build time); the same SQL
//! text runs on both engines (`$n` placeholders are understood by both). Migrations are plain SQL
//! files per engine, embedded and applied at start.
//!
//! All times are Unix milliseconds (UTC). JSON columns are TEXT.
//!
//! This file holds the error type, the [`Store`] handle and the small helpers (ids, time, JSON,
//! API-key secrets). The [`Store`] methods live with their resource: `connect` (opening, closing,
//! live events), `keys` and `key_admin` (API keys), `conversations` (conversations, messages,
//! [`Store::commit`]), `leads`, `handoffs`, `outbox` (webhooks and deliveries), `retention`,
//! `privacy` (customers, audit, export, erasure), `team` (the sales team's workspace) and
//! `migrate`. Row types are in `model`; what a commit writes is in `writes`, and it is written
//! by `writer` (SQLite) or `pg_commit` (PostgreSQL).
// Row tuples for `sqlx::query_as` mirror each SELECT's column list one for one; naming every
// tuple as a type alias would only move the column list away from its query.
#![allow(clippy::type_complexity)]

use sha2::{Digest, Sha256};
use sqlx::{PgPool, SqlitePool};

mod model;
mod writer;
mod writes;
pub use model::*;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// An error of the SQLite group-commit writer, which drives SQLite directly.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("unsupported database URL (expected sqlite:… or postgres://…): {0}")]
    BadUrl(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The conversation changed since it was read (its version moved on); re-read and retry.
    #[error("conversation was modified concurrently")]
    Conflict,
    /// The `client_message_id` was already used in this conversation.
    #[error("duplicate client_message_id")]
    Duplicate,
    #[error("corrupt stored JSON in {what}: {source}")]
    Json {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("migration {version} failed: {source}")]
    Migration {
        version: i64,
        source: Box<sqlx::Error>,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
enum Db {
    /// SQLite allows one writer at a time; a single-connection write pool serializes writers in
    /// the process instead of letting them fight over the file lock (SQLITE_BUSY).
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// Conversation commits go through one writer thread that groups them into
        /// transactions (see [`writer`]).
        writer: writer::Writer,
    },
    Pg(PgPool),
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Db,
}

/// Runs `$body` with `$p` bound to the read pool of either engine.
macro_rules! read {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.db {
            $crate::Db::Sqlite { read: $p, .. } => $body,
            $crate::Db::Pg($p) => $body,
        }
    };
}

/// Runs `$body` with `$p` bound to the write pool of either engine.
macro_rules! write {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.db {
            $crate::Db::Sqlite { write: $p, .. } => $body,
            $crate::Db::Pg($p) => $body,
        }
    };
}

// The modules below come after the `read!` / `write!` macros, which they use.
mod connect;
mod conversations;
mod handoffs;
mod key_admin;
mod keys;
mod leads;
mod migrate;
mod outbox;
mod pg_commit;
mod privacy;
mod retention;
mod team;

pub use connect::{EVENTS_CHANNEL, EventListener};
pub use key_admin::ApiKeyInfo;
pub use team::*;

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `YYYY-MM-DD` (UTC) of a millisecond timestamp; used for per-day statistics.
pub fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// A new random id (UUID v7: time-ordered, so b-tree inserts stay local).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// SHA-256 of an API key, hex. Keys have 256 bits of entropy, so a plain hash is enough.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random API key: `tk_` + 64 hex chars (32 random bytes).
pub fn generate_key() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("tk_{}", hex::encode(bytes))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing our own plain data types cannot fail (no maps with non-string keys).
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn from_json<T: serde::de::DeserializeOwned>(what: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|source| StoreError::Json { what, source })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
