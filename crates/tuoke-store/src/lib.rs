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
// Row tuples for `sqlx::query_as` mirror each SELECT's column list one for one; naming every
// tuple as a type alias would only move the column list away from its query.
#![allow(clippy::type_complexity)]

mod model;
mod writer;
pub use model::*;

use std::str::FromStr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, PgPool, Row, SqlitePool};

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

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Db,
}

/// Runs `$body` with `$p` bound to the read pool of either engine.
macro_rules! read {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.db {
            Db::Sqlite { read: $p, .. } => $body,
            Db::Pg($p) => $body,
        }
    };
}

/// Runs `$body` with `$p` bound to the write pool of either engine.
macro_rules! write {
    ($self:expr, $p:ident => $body:expr) => {
        match &$self.db {
            Db::Sqlite { write: $p, .. } => $body,
            Db::Pg($p) => $body,
        }
    };
}

// After the `read!` / `write!` macros, which it uses.
mod key_admin;
pub use key_admin::ApiKeyInfo;
mod migrate;
mod team;
pub use team::*;

/// Rows changed by one retention statement: small, so the SQLite write lock is held for a few
/// milliseconds at a time and turns keep flowing while old data is cleared.
const PRUNE_BATCH: i64 = 200;
/// After each retention batch the sweep pauses this many times the batch's duration, so it
/// takes at most a quarter of the write path while turns are coming in.
const PRUNE_PAUSE_FACTOR: u32 = 3;

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

/// `params` as sqlx arguments of either engine.
fn sqlx_args<DB: sqlx::Database>(
    params: &[writer::Param<'_>],
) -> std::result::Result<DB::Arguments, sqlx::error::BoxDynError>
where
    for<'t> Option<&'t str>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    use sqlx::Arguments;
    let mut args = DB::Arguments::default();
    for p in params {
        match p {
            writer::Param::Text(t) => args.add(t.as_deref())?,
            writer::Param::Int(i) => args.add(*i)?,
        }
    }
    Ok(args)
}

/// A commit statement as an sqlx query of either engine.
fn stmt_query<'q, DB: sqlx::Database>(
    s: &writer::Stmt<'_>,
) -> std::result::Result<sqlx::query::Query<'q, DB, DB::Arguments>, sqlx::Error>
where
    for<'t> Option<&'t str>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let args = sqlx_args::<DB>(&s.params).map_err(sqlx::Error::Encode)?;
    Ok(sqlx::query_with(s.sql, args))
}

/// A customer turn (two messages, no handoff, no webhook events) in one PostgreSQL statement:
/// the version-checked conversation update, both message rows and the lead update as
/// data-modifying CTEs that write only if the update matched. One statement is one implicit
/// transaction, so a turn costs one round trip instead of five (BEGIN, update, insert, lead,
/// COMMIT). Under READ COMMITTED a concurrent commit to the same conversation makes the update wait
/// for its row lock and then re-check `version`, which no longer matches: nothing is written.
const PG_TURN: &str = "WITH upd AS (\
        UPDATE conversations SET state = $1, status = $2, stage = $3, version = version + 1, \
        last_seq = $4, updated_at = $5 WHERE id = $6 AND version = $7 \
        AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $6 AND client_message_id = $8) \
        RETURNING id), \
    ins AS (INSERT INTO messages (id, conversation_id, seq, role, text, analysis, citations, agent, \
        intent, sentiment, client_message_id, result, day, created_at) \
        SELECT * FROM (VALUES \
        ($9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22), \
        ($23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)) AS v \
        WHERE EXISTS (SELECT 1 FROM upd) RETURNING 1), \
    lead AS (UPDATE leads SET score = COALESCE($37, score), grade = COALESCE($38, grade), \
        evidence = COALESCE($39, evidence), last_activity = $5, \
        last_message = COALESCE($40, last_message) \
        WHERE conversation_id = $6 AND EXISTS (SELECT 1 FROM upd) RETURNING 1) \
    SELECT count(*) FROM upd";

/// Whether [`apply_pg_turn`] can write `job` (the common customer turn).
fn is_plain_turn(job: &writer::Job) -> bool {
    job.messages.len() == 2 && job.handoff.is_none() && job.events.is_empty()
}

/// Writes a plain turn with [`PG_TURN`]; when it writes nothing, finds out why.
async fn apply_pg_turn(
    pool: &sqlx::PgPool,
    job: &writer::Job,
) -> std::result::Result<writer::Outcome, sqlx::Error> {
    let [a, b] = job.messages.as_slice() else {
        return Err(sqlx::Error::Protocol(
            "a plain turn has two messages".into(),
        ));
    };
    let lead = job.lead.as_ref();
    let mut params = writer::conversation_update(job);
    params.extend(writer::message_params(
        a,
        job.client_message_id.as_deref(),
        job.result.as_deref(),
    ));
    params.extend(writer::message_params(b, None, None));
    params.extend([
        writer::Param::Int(lead.map(|l| l.score)),
        writer::Param::Text(lead.map(|l| l.grade.as_str().into())),
        writer::Param::Text(lead.map(|l| l.evidence.as_str().into())),
        writer::Param::Text(Some(b.text.as_str().into())),
    ]);
    let args = sqlx_args::<sqlx::Postgres>(&params).map_err(sqlx::Error::Encode)?;
    let updated: i64 = sqlx::query_scalar_with(PG_TURN, args)
        .fetch_one(pool)
        .await?;
    if updated > 0 {
        return Ok(writer::Outcome::Done);
    }
    let mut conn = pool.acquire().await?;
    why_not_written(&mut conn, job).await
}

/// After a version-checked update matched no row: the conversation is gone, the
/// client_message_id was used, or another writer moved the version on.
async fn why_not_written(
    conn: &mut sqlx::PgConnection,
    job: &writer::Job,
) -> std::result::Result<writer::Outcome, sqlx::Error> {
    use writer::sql;
    let exists: Option<i64> = sqlx::query_scalar(sql::CONVERSATION_VERSION)
        .bind(&job.conversation_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Ok(writer::Outcome::NotFound);
    }
    if let Some(cmid) = &job.client_message_id {
        let used: Option<i64> = sqlx::query_scalar(sql::CLIENT_MESSAGE_USED)
            .bind(&job.conversation_id)
            .bind(cmid)
            .fetch_optional(&mut *conn)
            .await?;
        if used.is_some() {
            return Ok(writer::Outcome::Duplicate);
        }
    }
    Ok(writer::Outcome::Conflict)
}

/// Applies one conversation commit inside an open PostgreSQL transaction. (SQLite commits go
/// through the writer thread, which runs the same SQL; see [`writer`].) A conflict, an unknown
/// conversation or a used `client_message_id` is found before anything is written.
async fn apply_pg(
    conn: &mut sqlx::PgConnection,
    job: &writer::Job,
) -> std::result::Result<writer::Outcome, sqlx::Error> {
    use writer::{Stmt, sql};
    // The update locks the row, and the version check makes the lost update impossible.
    let update = Stmt {
        sql: sql::UPDATE_CONVERSATION,
        params: writer::conversation_update(job),
    };
    let updated = stmt_query(&update)?
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated == 0 {
        return why_not_written(conn, job).await;
    }
    for s in writer::commit_writes(job) {
        stmt_query(&s)?.execute(&mut *conn).await?;
    }
    if !job.events.is_empty() {
        let subs: Vec<(String, String)> = sqlx::query_as(sql::ACTIVE_WEBHOOKS)
            .fetch_all(&mut *conn)
            .await?;
        for s in writer::delivery_writes(job, &subs) {
            stmt_query(&s)?.execute(&mut *conn).await?;
        }
    }
    Ok(writer::Outcome::Done)
}

fn sentiment_str(a: &tuoke_core::Analysis) -> &'static str {
    match a.sentiment.label {
        tuoke_core::SentimentLabel::Positive => "positive",
        tuoke_core::SentimentLabel::Neutral => "neutral",
        tuoke_core::SentimentLabel::Negative => "negative",
    }
}

/// The columns `conversation_from_row!` reads, in its order: one list for every query that uses it.
macro_rules! conversation_select {
    () => {
        "SELECT id, customer_id, channel, status, stage, state, version, last_seq, created_by_key, created_at, updated_at FROM conversations"
    };
}

/// The columns `lead_from_row!` reads, in its order, with the join they come from.
macro_rules! lead_select {
    () => {
        "SELECT l.conversation_id, l.customer_id, l.score, l.grade, l.evidence, c.stage, c.status, l.last_activity, l.last_message FROM leads l JOIN conversations c ON c.id = l.conversation_id"
    };
}

macro_rules! conversation_from_row {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<Conversation> {
            let status: String = r.try_get("status")?;
            let state: String = r.try_get("state")?;
            Ok(Conversation {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                channel: r.try_get("channel")?,
                status: Status::parse(&status).unwrap_or(Status::Bot),
                stage: r.try_get("stage")?,
                state: from_json("conversation state", &state)?,
                version: r.try_get("version")?,
                last_seq: r.try_get("last_seq")?,
                created_by_key: r.try_get("created_by_key")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })()
    }};
}

macro_rules! message_from_row {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<Message> {
            let role: String = r.try_get("role")?;
            let analysis: Option<String> = r.try_get("analysis")?;
            let citations: Option<String> = r.try_get("citations")?;
            Ok(Message {
                id: r.try_get("id")?,
                conversation_id: r.try_get("conversation_id")?,
                seq: r.try_get("seq")?,
                role: MessageRole::parse(&role).unwrap_or(MessageRole::Bot),
                text: r.try_get("text")?,
                analysis: analysis
                    .map(|a| from_json("message analysis", &a))
                    .transpose()?,
                citations: citations
                    .map(|c| from_json("message citations", &c))
                    .transpose()?,
                agent: r.try_get("agent")?,
                created_at: r.try_get("created_at")?,
            })
        })()
    }};
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

    // ---------------------------------------------------------------- API keys

    /// Creates a key with a fresh random secret; returns the row and the secret (shown once).
    pub async fn create_api_key(&self, role: Role, name: &str) -> Result<(ApiKey, String)> {
        let key = generate_key();
        let row = self.insert_api_key(&key, role, name).await?;
        Ok((row, key))
    }

    /// Stores a key whose secret the caller chose (e.g. a bootstrap admin key from the
    /// environment). Only the hash is stored.
    pub async fn insert_api_key(&self, key: &str, role: Role, name: &str) -> Result<ApiKey> {
        let k = ApiKey {
            id: new_id(),
            name: name.to_string(),
            role,
            created_at: now_ms(),
        };
        write!(self, p => {
            sqlx::query("INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&k.id).bind(&k.name).bind(role.as_str()).bind(hash_key(key)).bind(k.created_at)
                .execute(p).await.map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { e.into() })?;
        });
        Ok(k)
    }

    /// Looks a key up by its secret. Revoked and unknown keys give `None`.
    pub async fn find_api_key(&self, key: &str) -> Result<Option<ApiKey>> {
        let h = hash_key(key);
        let row: Option<(String, String, String, i64)> = read!(self, p => {
            sqlx::query_as("SELECT id, name, role, created_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .bind(&h).fetch_optional(p).await?
        });
        Ok(row.and_then(|(id, name, role, created_at)| {
            Some(ApiKey {
                id,
                name,
                role: Role::parse(&role)?,
                created_at,
            })
        }))
    }

    pub async fn count_api_keys(&self, role: Option<Role>) -> Result<i64> {
        let n: i64 = read!(self, p => {
            match role {
                Some(r) => sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE role = $1 AND revoked_at IS NULL").bind(r.as_str()).fetch_one(p).await?,
                None => sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").fetch_one(p).await?,
            }
        });
        Ok(n)
    }

    pub async fn revoke_api_key(&self, id: &str) -> Result<bool> {
        let n = write!(self, p => {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_ms()).bind(id).execute(p).await?.rows_affected()
        });
        Ok(n > 0)
    }

    // ---------------------------------------------------------------- conversations

    /// Creates a customer (unless `customer_id` names an existing one), a conversation, its first
    /// messages (the greeting) and its lead row, in one transaction.
    pub async fn create_conversation(&self, new: NewConversation) -> Result<CreatedConversation> {
        let now = new.now;
        let day = day_of(now);
        let conv_id = new_id();
        let customer_id = new_id();
        let n_msgs = new.messages.len() as i64;
        let mut messages = Vec::with_capacity(new.messages.len());
        for (i, m) in new.messages.into_iter().enumerate() {
            messages.push(m.into_message(&conv_id, i as i64 + 1, now));
        }
        let last_message = messages.last().map(|m| m.text.clone());
        write!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO customers (id, name, phone, email, wechat, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&customer_id).bind(&new.customer.name).bind(&new.customer.phone)
                .bind(&new.customer.email).bind(&new.customer.wechat).bind(now)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO conversations (id, customer_id, channel, status, stage, state, version, last_seq, created_by_key, day, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $10)")
                .bind(&conv_id).bind(&customer_id).bind(&new.channel).bind(new.status.as_str()).bind(&new.stage)
                .bind(to_json(&new.state)).bind(n_msgs).bind(&new.created_by_key).bind(&day).bind(now)
                .execute(&mut *tx).await?;
            for m in &messages {
                let insert = writer::Stmt {
                    sql: writer::sql::INSERT_MESSAGE,
                    params: writer::message_params(m, None, None).into(),
                };
                stmt_query(&insert)?.execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO leads (conversation_id, customer_id, score, grade, evidence, last_activity, last_message) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&conv_id).bind(&customer_id).bind(new.lead.score).bind(&new.lead.grade)
                .bind(to_json(&new.lead.evidence)).bind(now).bind(&last_message)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(CreatedConversation {
            conversation: Conversation {
                id: conv_id,
                customer_id,
                channel: new.channel,
                status: new.status,
                stage: new.stage,
                state: new.state,
                version: 1,
                last_seq: n_msgs,
                created_by_key: new.created_by_key,
                created_at: now,
                updated_at: now,
            },
            messages,
        })
    }

    pub async fn get_conversation(&self, id: &str) -> Result<Option<Conversation>> {
        let row = read!(self, p => {
            sqlx::query(concat!(conversation_select!(), " WHERE id = $1"))
                .bind(id).fetch_optional(p).await?.map(|r| conversation_from_row!(r)).transpose()?
        });
        Ok(row)
    }

    /// Like [`get_conversation`](Self::get_conversation) but reads from the primary (the writer
    /// connection on SQLite), so a retry after a conflict sees the latest version.
    pub async fn get_conversation_fresh(&self, id: &str) -> Result<Option<Conversation>> {
        let row = write!(self, p => {
            sqlx::query(concat!(conversation_select!(), " WHERE id = $1"))
                .bind(id).fetch_optional(p).await?.map(|r| conversation_from_row!(r)).transpose()?
        });
        Ok(row)
    }

    pub async fn list_conversations(
        &self,
        status: Option<Status>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Conversation>> {
        let limit = limit.clamp(1, 500);
        let offset = offset.max(0);
        let rows = read!(self, p => {
            let q = match status {
                Some(s) => sqlx::query(concat!(conversation_select!(), " WHERE status = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3")).bind(s.as_str()),
                None => sqlx::query(concat!(conversation_select!(), " WHERE $1 = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3")).bind(""),
            };
            q.bind(limit).bind(offset).fetch_all(p).await?.into_iter().map(|r| conversation_from_row!(r)).collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// Messages with `seq > after`, in order.
    pub async fn list_messages(
        &self,
        conversation_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let limit = limit.clamp(1, 10_000);
        let rows = read!(self, p => {
            sqlx::query("SELECT id, conversation_id, seq, role, text, analysis, citations, agent, created_at FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                .bind(conversation_id).bind(after).bind(limit).fetch_all(p).await?
                .into_iter().map(|r| message_from_row!(r)).collect::<Result<Vec<_>>>()?
        });
        Ok(rows)
    }

    /// The stored result of an earlier turn with this `client_message_id`, if any.
    pub async fn turn_result(
        &self,
        conversation_id: &str,
        client_message_id: &str,
    ) -> Result<Option<serde_json::Value>> {
        // A reader sees every committed turn (WAL), and a turn that commits after this read is
        // still caught by the commit's own check.
        let r: Option<Option<String>> = read!(self, p => {
            sqlx::query_scalar("SELECT result FROM messages WHERE conversation_id = $1 AND client_message_id = $2")
                .bind(conversation_id).bind(client_message_id).fetch_optional(p).await?
        });
        match r {
            Some(Some(s)) => Ok(Some(from_json("turn result", &s)?)),
            _ => Ok(None),
        }
    }

    /// Commits one change to a conversation (a customer turn, an agent message, a takeover, a
    /// release) in one transaction, if the conversation is still at `expected_version`.
    /// Returns [`StoreError::Conflict`] when another writer got there first (re-read and retry),
    /// [`StoreError::Duplicate`] when `client_message_id` was already used.
    ///
    /// `result` (JSON text, if any) is stored with the first new message so a repeated
    /// `client_message_id` can return it; the closure gets the committed messages (with their
    /// sequence numbers) to build it.
    pub async fn commit(
        &self,
        c: Commit,
        result: impl FnOnce(&[Message]) -> Option<String>,
    ) -> Result<Committed> {
        let now = c.now;
        let n = c.messages.len() as i64;
        let base = c.expected_last_seq;
        let messages: Vec<Message> = c
            .messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| m.into_message(&c.conversation_id, base + i as i64 + 1, now))
            .collect();
        let result_json = result(&messages);
        let job = writer::Job {
            conversation_id: c.conversation_id,
            expected_version: c.expected_version,
            last_seq: base + n,
            state: c.state,
            status: c.status,
            stage: c.stage,
            messages,
            client_message_id: c.client_message_id,
            result: result_json,
            lead: c.lead.map(|l| writer::JobLead {
                score: l.score,
                grade: l.grade,
                evidence: to_json(&l.evidence),
            }),
            handoff: c.handoff,
            events: c.events,
            now,
        };
        let messages = match &self.db {
            Db::Sqlite { writer, .. } => writer.commit(job).await?,
            Db::Pg(p) if is_plain_turn(&job) => match apply_pg_turn(p, &job).await {
                Ok(outcome) => outcome.result(job.messages)?,
                Err(e) if is_unique_violation(&e) => return Err(StoreError::Duplicate),
                Err(e) => return Err(e.into()),
            },
            Db::Pg(p) => {
                let mut tx = p.begin().await?;
                let outcome = match apply_pg(&mut tx, &job).await {
                    Ok(o) => o,
                    Err(e) if is_unique_violation(&e) => return Err(StoreError::Duplicate),
                    Err(e) => return Err(e.into()),
                };
                if outcome == writer::Outcome::Done {
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                outcome.result(job.messages)?
            }
        };
        Ok(Committed {
            version: c.expected_version + 1,
            last_seq: base + n,
            messages,
        })
    }

    // ---------------------------------------------------------------- leads, stats

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

    /// Number of stored messages (all roles); for tests and the crash check.
    pub async fn count_messages(&self) -> Result<i64> {
        Ok(
            read!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(p).await?),
        )
    }

    /// Whether a message with this id exists.
    pub async fn message_exists(&self, id: &str) -> Result<bool> {
        let r: Option<i64> = read!(self, p => sqlx::query_scalar("SELECT seq FROM messages WHERE id = $1").bind(id).fetch_optional(p).await?);
        Ok(r.is_some())
    }

    pub async fn open_handoff(&self, conversation_id: &str) -> Result<Option<Handoff>> {
        let r: Option<(
            String,
            String,
            String,
            String,
            Option<String>,
            i64,
            Option<i64>,
        )> = read!(self, p => {
            sqlx::query_as("SELECT id, conversation_id, reason, summary, agent, requested_at, taken_at FROM handoffs WHERE conversation_id = $1 AND released_at IS NULL ORDER BY requested_at DESC LIMIT 1")
                .bind(conversation_id).fetch_optional(p).await?
        });
        match r {
            None => Ok(None),
            Some((id, conversation_id, reason, summary, agent, requested_at, taken_at)) => {
                Ok(Some(Handoff {
                    id,
                    conversation_id,
                    reason,
                    summary: from_json("handoff summary", &summary)?,
                    agent,
                    requested_at,
                    taken_at,
                }))
            }
        }
    }

    /// Marks the open handoff of a conversation as taken by `agent`.
    pub async fn take_handoff(&self, conversation_id: &str, agent: &str) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE handoffs SET agent = $1, taken_at = $2 WHERE conversation_id = $3 AND released_at IS NULL AND taken_at IS NULL")
                .bind(agent).bind(now_ms()).bind(conversation_id).execute(p).await?;
        });
        Ok(())
    }

    // ---------------------------------------------------------------- webhooks

    pub async fn create_webhook(
        &self,
        url: &str,
        events: &[String],
        secret: &str,
    ) -> Result<Webhook> {
        let w = Webhook {
            id: new_id(),
            url: url.to_string(),
            events: events.to_vec(),
            secret: secret.to_string(),
            active: true,
            created_at: now_ms(),
        };
        write!(self, p => {
            sqlx::query("INSERT INTO webhooks (id, url, events, secret, active, created_at) VALUES ($1, $2, $3, $4, 1, $5)")
                .bind(&w.id).bind(&w.url).bind(to_json(&w.events)).bind(&w.secret).bind(w.created_at)
                .execute(p).await?;
        });
        Ok(w)
    }

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        let rows: Vec<(String, String, String, String, i64, i64)> = read!(self, p => {
            sqlx::query_as("SELECT id, url, events, secret, active, created_at FROM webhooks ORDER BY created_at").fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(id, url, events, secret, active, created_at)| {
                Ok(Webhook {
                    id,
                    url,
                    events: from_json("webhook events", &events)?,
                    secret,
                    active: active != 0,
                    created_at,
                })
            })
            .collect()
    }

    pub async fn delete_webhook(&self, id: &str) -> Result<bool> {
        let n = write!(self, p => sqlx::query("UPDATE webhooks SET active = 0 WHERE id = $1").bind(id).execute(p).await?.rows_affected());
        Ok(n > 0)
    }

    /// Queues an event for every active subscription that wants it (outside a turn).
    pub async fn enqueue_event(&self, event: &str, payload: &serde_json::Value) -> Result<usize> {
        let subs = self.list_webhooks().await?;
        let now = now_ms();
        let mut n = 0;
        for w in subs
            .iter()
            .filter(|w| w.active && w.events.iter().any(|e| e == event || e == "*"))
        {
            write!(self, p => {
                sqlx::query("INSERT INTO webhook_outbox (id, webhook_id, event, payload, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 0, $5, $5)")
                    .bind(new_id()).bind(&w.id).bind(event).bind(to_json(payload)).bind(now)
                    .execute(p).await?;
            });
            n += 1;
        }
        Ok(n)
    }

    /// Claims up to `limit` due deliveries for `lease_ms` (so that other workers, also in other
    /// processes, skip them) and returns them with their subscription's URL and secret.
    pub async fn claim_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let rows: Vec<(String, String, String, String, i64, i64)> = write!(self, p => {
            // The outer conditions are re-checked by PostgreSQL on the locked row, so two
            // processes never claim the same delivery.
            sqlx::query_as("UPDATE webhook_outbox SET locked_until = $1 \
                            WHERE id IN (SELECT id FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2 \
                                         AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at LIMIT $3) \
                              AND delivered_at IS NULL AND failed_at IS NULL AND (locked_until IS NULL OR locked_until < $2) \
                            RETURNING id, webhook_id, event, payload, attempts, created_at")
                .bind(now + lease_ms).bind(now).bind(limit).fetch_all(p).await?
        });
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let hooks = self.list_webhooks().await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, webhook_id, event, payload, attempts, created_at) in rows {
            match hooks.iter().find(|w| w.id == webhook_id) {
                Some(w) if w.active => out.push(Delivery {
                    id,
                    webhook_id,
                    url: w.url.clone(),
                    secret: w.secret.clone(),
                    event,
                    payload,
                    attempts,
                    created_at,
                }),
                _ => {
                    self.fail_delivery(&id, now, "subscription removed").await?;
                }
            }
        }
        Ok(out)
    }

    pub async fn mark_delivered(&self, id: &str, now: i64) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE webhook_outbox SET delivered_at = $1, attempts = attempts + 1, locked_until = NULL, last_error = NULL WHERE id = $2")
                .bind(now).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Records a failed attempt and schedules the next one at `next_at`.
    pub async fn retry_delivery(&self, id: &str, next_at: i64, error: &str) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
                .bind(next_at).bind(error).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Gives up on a delivery for good.
    pub async fn fail_delivery(&self, id: &str, now: i64, error: &str) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE webhook_outbox SET attempts = attempts + 1, failed_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
                .bind(now).bind(error).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Clears the stored responses of turns created before `before` (Unix ms). A resend of such
    /// a turn's `client_message_id` is still refused as a duplicate (the message keeps its id),
    /// it just no longer gets the first response back. Returns how many were cleared.
    pub async fn prune_turn_results(&self, before: i64) -> Result<u64> {
        self.prune_in_batches(
            "UPDATE messages SET result = NULL WHERE id IN (SELECT id FROM messages \
             WHERE result IS NOT NULL AND created_at < $1 LIMIT $2)",
            before,
        )
        .await
    }

    /// Deletes webhook outbox rows that were delivered, or given up, before `before` (Unix ms).
    /// Rows still pending are never touched. Returns how many were deleted.
    pub async fn prune_outbox(&self, before: i64) -> Result<u64> {
        let delivered = self
            .prune_in_batches(
                "DELETE FROM webhook_outbox WHERE id IN (SELECT id FROM webhook_outbox \
                 WHERE delivered_at IS NOT NULL AND delivered_at < $1 LIMIT $2)",
                before,
            )
            .await?;
        let failed = self
            .prune_in_batches(
                "DELETE FROM webhook_outbox WHERE id IN (SELECT id FROM webhook_outbox \
                 WHERE delivered_at IS NULL AND failed_at IS NOT NULL AND failed_at < $1 LIMIT $2)",
                before,
            )
            .await?;
        Ok(delivered + failed)
    }

    /// Runs `sql` (binding `$1` = `before`, `$2` = the batch size) until it changes fewer rows
    /// than a batch; each run is its own short transaction, followed by a pause.
    async fn prune_in_batches(&self, sql: &'static str, before: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let started = std::time::Instant::now();
            let n = write!(self, p => {
                sqlx::query(sql).bind(before).bind(PRUNE_BATCH).execute(p).await?.rows_affected()
            });
            total += n;
            if n < PRUNE_BATCH as u64 {
                return Ok(total);
            }
            tokio::time::sleep(started.elapsed() * PRUNE_PAUSE_FACTOR).await;
        }
    }

    /// Outbox rows (for the admin view and tests).
    pub async fn list_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows: Vec<(
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            i64,
        )> = read!(self, p => {
            sqlx::query_as("SELECT id, webhook_id, event, attempts, delivered_at, failed_at, last_error, created_at FROM webhook_outbox ORDER BY created_at DESC LIMIT $1")
                .bind(limit.clamp(1, 1000)).fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    webhook_id,
                    event,
                    attempts,
                    delivered_at,
                    failed_at,
                    last_error,
                    created_at,
                )| {
                    OutboxRow {
                        id,
                        webhook_id,
                        event,
                        attempts,
                        delivered_at,
                        failed_at,
                        last_error,
                        created_at,
                    }
                },
            )
            .collect())
    }

    // ---------------------------------------------------------------- audit, privacy

    /// Records an audit event. `detail` must not contain PII.
    pub async fn audit(
        &self,
        actor: Option<&str>,
        action: &str,
        target: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<()> {
        write!(self, p => {
            sqlx::query("INSERT INTO audit_events (id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(new_id()).bind(now_ms()).bind(actor).bind(action).bind(target).bind(to_json(detail))
                .execute(p).await?;
        });
        Ok(())
    }

    pub async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEvent>> {
        let rows: Vec<(String, i64, Option<String>, String, Option<String>, String)> = read!(self, p => {
            sqlx::query_as("SELECT id, at, actor, action, target, detail FROM audit_events ORDER BY at DESC, id DESC LIMIT $1")
                .bind(limit.clamp(1, 1000)).fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(id, at, actor, action, target, detail)| {
                Ok(AuditEvent {
                    id,
                    at,
                    actor,
                    action,
                    target,
                    detail: from_json("audit detail", &detail)?,
                })
            })
            .collect()
    }

    pub async fn get_customer(&self, id: &str) -> Result<Option<Customer>> {
        let r: Option<(
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
        )> = read!(self, p => {
            sqlx::query_as("SELECT id, name, phone, email, wechat, created_at FROM customers WHERE id = $1").bind(id).fetch_optional(p).await?
        });
        Ok(
            r.map(|(id, name, phone, email, wechat, created_at)| Customer {
                id,
                name,
                phone,
                email,
                wechat,
                created_at,
            }),
        )
    }

    /// Fills contact fields that are still empty with the `Some` ones (details seen in the chat
    /// never replace what the customer gave at creation or in a form).
    pub async fn fill_customer_contact(&self, id: &str, c: &NewCustomer) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE customers SET name = COALESCE(name, $1), phone = COALESCE(phone, $2), email = COALESCE(email, $3), wechat = COALESCE(wechat, $4) WHERE id = $5")
                .bind(&c.name).bind(&c.phone).bind(&c.email).bind(&c.wechat).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Updates contact fields that are `Some` (e.g. a phone number the customer gave in chat).
    pub async fn update_customer_contact(&self, id: &str, c: &NewCustomer) -> Result<()> {
        write!(self, p => {
            sqlx::query("UPDATE customers SET name = COALESCE($1, name), phone = COALESCE($2, phone), email = COALESCE($3, email), wechat = COALESCE($4, wechat) WHERE id = $5")
                .bind(&c.name).bind(&c.phone).bind(&c.email).bind(&c.wechat).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// Everything stored about a customer, for a data-subject export.
    pub async fn export_customer(&self, id: &str) -> Result<Option<CustomerExport>> {
        let Some(customer) = self.get_customer(id).await? else {
            return Ok(None);
        };
        let conv_ids: Vec<String> = read!(self, p => {
            sqlx::query_scalar("SELECT id FROM conversations WHERE customer_id = $1 ORDER BY created_at").bind(id).fetch_all(p).await?
        });
        let mut conversations = Vec::new();
        for cid in conv_ids {
            let Some(conversation) = self.get_conversation(&cid).await? else {
                continue;
            };
            let messages = self.list_messages(&cid, 0, 10_000).await?;
            let lead = self.get_lead(&cid).await?;
            let handoffs: Vec<(
                String,
                String,
                Option<String>,
                i64,
                Option<i64>,
                Option<i64>,
            )> = read!(self, p => {
                sqlx::query_as("SELECT reason, summary, agent, requested_at, taken_at, released_at FROM handoffs WHERE conversation_id = $1 ORDER BY requested_at")
                    .bind(&cid).fetch_all(p).await?
            });
            let handoffs = handoffs
                .into_iter()
                .map(|(reason, summary, agent, requested_at, taken_at, released_at)| {
                    serde_json::json!({"reason": reason, "summary": serde_json::from_str::<serde_json::Value>(&summary).unwrap_or_default(),
                                       "agent": agent, "requested_at": requested_at, "taken_at": taken_at, "released_at": released_at})
                })
                .collect();
            conversations.push(ConversationExport {
                conversation,
                messages,
                lead,
                handoffs,
            });
        }
        Ok(Some(CustomerExport {
            customer,
            conversations,
        }))
    }

    /// Deletes a customer and everything about them (conversations, messages, leads, handoffs,
    /// queued webhook payloads that mention their conversations). Returns false if unknown.
    pub async fn delete_customer(&self, id: &str) -> Result<bool> {
        let n = write!(self, p => {
            let mut tx = p.begin().await?;
            let convs: Vec<String> = sqlx::query_scalar("SELECT id FROM conversations WHERE customer_id = $1").bind(id).fetch_all(&mut *tx).await?;
            for cid in &convs {
                sqlx::query("DELETE FROM messages WHERE conversation_id = $1").bind(cid).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM leads WHERE conversation_id = $1").bind(cid).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM handoffs WHERE conversation_id = $1").bind(cid).execute(&mut *tx).await?;
                for t in ["notes", "outcomes", "read_marks"] {
                    sqlx::query(AssertSqlSafe(format!("DELETE FROM {t} WHERE conversation_id = $1"))).bind(cid).execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM webhook_outbox WHERE delivered_at IS NULL AND payload LIKE $1").bind(format!("%{cid}%")).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM conversations WHERE customer_id = $1").bind(id).execute(&mut *tx).await?;
            let n = sqlx::query("DELETE FROM customers WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            n
        });
        if n > 0 {
            self.scrub_wal().await?;
        }
        Ok(n > 0)
    }

    /// On SQLite, copies the WAL into the database and truncates it to zero bytes, so the old
    /// page images written before an erasure are gone from the files (the database pages
    /// themselves were zeroed by `secure_delete`). On PostgreSQL a no-op: dead rows stay in
    /// the heap until `VACUUM` (see the README).
    async fn scrub_wal(&self) -> Result<()> {
        if let Db::Sqlite { write, .. } = &self.db {
            // Readers holding an old snapshot make TRUNCATE return busy = 1 without waiting
            // for them; retry briefly, the read pool's statements are short.
            for attempt in 0..50 {
                let (busy, _, _): (i64, i64, i64) =
                    sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                        .fetch_one(write)
                        .await?;
                if busy == 0 {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(10 * (attempt + 1).min(10))).await;
            }
            tracing::warn!("WAL checkpoint after an erasure stayed busy; retried at the next one");
        }
        Ok(())
    }
}

// Keep the row types referenced so both engines' `Row` impls are in scope for the macros.
#[allow(dead_code)]
fn _row_types(_: Option<SqliteRow>, _: Option<PgRow>) {}

/// Helpers for tests of this crate and the crates above it.
pub mod testing {
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
}
