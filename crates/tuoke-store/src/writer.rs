//! The SQLite group-commit writer.
//!
//! SQLite has one writer at a time. When every request task ran its own transaction on the one
//! write connection, the connection was held across six `await`s (BEGIN, UPDATE, two INSERTs,
//! UPDATE, COMMIT), and between each the task waited its turn on the Tokio run queue behind
//! hundreds of other requests: the write lock was busy mostly waiting, and the server stalled at
//! ~600 turns/s with the CPUs half idle.
//!
//! Instead, conversation commits are sent to one thread that owns the write path. It takes what
//! has queued up (up to [`MAX_BATCH`] jobs), applies them in one transaction and answers each
//! caller. The statements run synchronously on this thread through rusqlite on the sqlx write
//! connection's own handle (locked with `lock_handle` for the group, so sqlx's other writes wait
//! on the pool as before): sqlx would send every statement to its connection worker thread and
//! back, and on two busy cores each of those hand-offs waited for the scheduler. Jobs that conflict (stale version), name an unknown conversation or reuse a
//! `client_message_id` are detected before they write anything, so they do not disturb the rest
//! of the group. If the group transaction fails for any other reason it is rolled back and each
//! job is retried in a transaction of its own, so one bad job cannot fail its neighbours.
//!
//! Durability is unchanged: a caller hears `Ok` only after the transaction holding its job has
//! committed.
//!
//! WAL checkpoints run in the writer's commits (SQLite's auto-checkpoint, set to 500 pages on
//! the write connection). Measured alternatives were worse for latency: a PASSIVE checkpoint
//! beside the writer never catches up with a WAL that grows by ~50 KB per turn, so the WAL
//! cannot restart and the eventual large checkpoint (with its fsync) stalls the writer for
//! ~100 ms; small frequent checkpoints keep each stall to a few milliseconds
//! (docs/benchmarks.md, "Service").

use std::sync::Arc;

use rusqlite::OptionalExtension;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::writes::{Job, Outcome, Stmt, commit_writes, conversation_update, delivery_writes, sql};
use crate::{Message, Result, StoreError};

/// Most jobs applied in one transaction. Larger groups amortize BEGIN/COMMIT further but make
/// the first caller of a group wait for the others' statements.
pub(crate) const MAX_BATCH: usize = 64;

struct Request {
    job: Job,
    reply: oneshot::Sender<Result<Vec<Message>>>,
}

/// Handle to the writer thread; cheap to clone. The thread ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    tx: Arc<mpsc::UnboundedSender<Request>>,
}

impl Writer {
    /// Starts the writer thread on `pool` (the single-connection write pool).
    pub(crate) fn start(pool: SqlitePool) -> Result<Writer> {
        let (tx, rx) = mpsc::unbounded_channel();
        // A current-thread runtime of its own: the writer's awaits are answered by SQLite's
        // worker thread alone and never queue behind request tasks.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
        std::thread::Builder::new()
            .name("tuoke-sqlite-writer".into())
            .spawn(move || rt.block_on(run(pool, rx)))
            .map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
        Ok(Writer { tx: Arc::new(tx) })
    }

    /// Applies `job` (grouped with whatever else is queued); returns its committed messages.
    pub(crate) async fn commit(&self, job: Job) -> Result<Vec<Message>> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { job, reply })
            .map_err(|_| StoreError::Db(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| StoreError::Db(sqlx::Error::PoolClosed))?
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::UnboundedReceiver<Request>) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs: Vec<&Job> = batch.iter().map(|r| &r.job).collect();
        match apply_group(&pool, &jobs).await {
            Ok(outcomes) => {
                for (req, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = req.reply.send(answer(req.job, outcome));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = batch.len(), "group commit failed; retrying its jobs one by one");
                for req in batch.drain(..) {
                    let r = match apply_group(&pool, &[&req.job]).await {
                        Ok(outcomes) => {
                            answer(req.job, outcomes.first().copied().unwrap_or(Outcome::Done))
                        }
                        Err(GroupError::Sqlite(e)) if is_unique_violation(&e) => {
                            Err(StoreError::Duplicate)
                        }
                        Err(e) => Err(e.into()),
                    };
                    let _ = req.reply.send(r);
                }
            }
        }
    }
    tracing::debug!("sqlite writer stops");
}

fn answer(job: Job, outcome: Outcome) -> Result<Vec<Message>> {
    outcome.result(job.messages)
}

/// Why a group transaction failed.
#[derive(Debug, thiserror::Error)]
enum GroupError {
    #[error("{0}")]
    Pool(#[from] sqlx::Error),
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl From<GroupError> for StoreError {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::Pool(e) => StoreError::Db(e),
            GroupError::Sqlite(e) => StoreError::Sqlite(e),
        }
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Applies `jobs` in one transaction; any database error rolls back all of them.
async fn apply_group(
    pool: &SqlitePool,
    jobs: &[&Job],
) -> std::result::Result<Vec<Outcome>, GroupError> {
    let mut conn = pool.acquire().await?;
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the handle is sqlx's open connection, locked for us until `handle` drops, which is
    // after `db` is dropped at the end of this block. `from_handle` does not take ownership: the
    // rusqlite wrapper finalizes its own statements on drop and leaves the connection open.
    // Every transaction it begins is committed or rolled back before it is dropped, so sqlx gets
    // the connection back in autocommit mode.
    let db = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr())? };
    let r = apply_group_sync(&db, jobs);
    drop(db);
    drop(handle);
    Ok(r?)
}

fn apply_group_sync(db: &rusqlite::Connection, jobs: &[&Job]) -> rusqlite::Result<Vec<Outcome>> {
    let tx = rusqlite::Transaction::new_unchecked(db, rusqlite::TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        // An error drops `tx`, which rolls the whole group back.
        outcomes.push(apply_sync(&tx, job)?);
    }
    tx.commit()?;
    Ok(outcomes)
}

/// Applies one job inside the group's transaction. A conflict, an unknown conversation or a
/// used `client_message_id` is found before anything is written, so such a job leaves the
/// transaction untouched and the rest of the group goes on.
fn apply_sync(db: &rusqlite::Connection, job: &Job) -> rusqlite::Result<Outcome> {
    let run = |s: &Stmt| {
        db.prepare_cached(s.sql)?
            .execute(rusqlite::params_from_iter(&s.params))
    };
    let updated = run(&Stmt {
        sql: sql::UPDATE_CONVERSATION,
        params: conversation_update(job),
    })?;
    if updated == 0 {
        let exists: Option<i64> = db
            .prepare_cached(sql::CONVERSATION_VERSION)?
            .query_row([&job.conversation_id], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Ok(Outcome::NotFound);
        }
        if let Some(cmid) = &job.client_message_id {
            let used: Option<i64> = db
                .prepare_cached(sql::CLIENT_MESSAGE_USED)?
                .query_row([&job.conversation_id, cmid], |r| r.get(0))
                .optional()?;
            if used.is_some() {
                return Ok(Outcome::Duplicate);
            }
        }
        return Ok(Outcome::Conflict);
    }
    for s in commit_writes(job) {
        run(&s)?;
    }
    if !job.events.is_empty() {
        let subs: Vec<(String, String)> = db
            .prepare_cached(sql::ACTIVE_WEBHOOKS)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for s in delivery_writes(job, &subs) {
            run(&s)?;
        }
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Db, LeadUpdate, MessageRole, NewConversation, NewCustomer, NewMessage, Status, Store,
        now_ms,
    };

    fn job(conversation_id: &str, version: i64, last_seq: i64, text: &str) -> Job {
        let now = now_ms();
        Job {
            conversation_id: conversation_id.into(),
            expected_version: version,
            last_seq: last_seq + 1,
            state: r#"{"stage":"qualify"}"#.into(),
            status: Status::Bot,
            stage: "qualify".into(),
            messages: vec![NewMessage::text(MessageRole::Customer, text).into_message(
                conversation_id,
                last_seq + 1,
                now,
            )],
            client_message_id: None,
            result: None,
            lead: None,
            handoff: None,
            events: Vec::new(),
            contact: None,
            audit: None,
            outcome: None,
            now,
        }
    }

    /// A job that fails with a database error inside a group does not take the group down:
    /// the group is rolled back and every job retried alone, so only the bad one fails.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = Store::connect(&url).await.unwrap();
        let Db::Sqlite { write, .. } = &store.db else {
            panic!("sqlite store expected")
        };
        sqlx::raw_sql(
            "CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.text = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .execute(write)
        .await
        .unwrap();
        let mut ids = Vec::new();
        for _ in 0..6 {
            let c = store
                .create_conversation(NewConversation {
                    customer: NewCustomer::default(),
                    channel: "web".into(),
                    status: Status::Bot,
                    stage: "greet".into(),
                    state: serde_json::json!({}),
                    created_by_key: None,
                    messages: Vec::new(),
                    lead: LeadUpdate {
                        score: 0,
                        grade: "D".into(),
                        evidence: serde_json::json!([]),
                    },
                    now: now_ms(),
                })
                .await
                .unwrap();
            ids.push(c.conversation.id);
        }
        // All requests are queued before the writer loop starts, so they form one group.
        let (tx, rx) = mpsc::unbounded_channel();
        let mut answers = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let text = if i == 3 { "boom" } else { "hello" };
            let (reply, answer) = oneshot::channel();
            tx.send(Request {
                job: job(id, 1, 0, text),
                reply,
            })
            .unwrap();
            answers.push(answer);
        }
        drop(tx);
        run(write.clone(), rx).await;
        for (i, a) in answers.into_iter().enumerate() {
            let r = a.await.unwrap();
            if i == 3 {
                assert!(matches!(r, Err(StoreError::Sqlite(_))), "{r:?}");
            } else {
                assert_eq!(r.unwrap().len(), 1, "job {i}");
            }
        }
        for (i, id) in ids.iter().enumerate() {
            let c = store.get_conversation(id).await.unwrap().unwrap();
            assert_eq!(c.version, if i == 3 { 1 } else { 2 }, "conversation {i}");
            let n = store.list_messages(id, 0, 10).await.unwrap().len();
            assert_eq!(n, usize::from(i != 3), "conversation {i}");
        }
    }
}
