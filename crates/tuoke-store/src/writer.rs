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
//! caller. Jobs that conflict (stale version), name an unknown conversation or reuse a
//! `client_message_id` are detected before they write anything, so they do not disturb the rest
//! of the group. If the group transaction fails for any other reason it is rolled back and each
//! job is retried in a transaction of its own, so one bad job cannot fail its neighbours.
//!
//! Durability is unchanged: a caller hears `Ok` only after the transaction holding its job has
//! committed.

use std::sync::Arc;

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::{HandoffChange, Message, Result, Status, StoreError, is_unique_violation};

/// Most jobs applied in one transaction. Larger groups amortize BEGIN/COMMIT further but make
/// the first caller of a group wait for the others' statements.
pub(crate) const MAX_BATCH: usize = 64;

/// Lead columns of a commit, with the evidence already serialized.
#[derive(Debug)]
pub(crate) struct JobLead {
    pub score: i64,
    pub grade: String,
    pub evidence: String,
}

/// One conversation commit, ready to write (sequence numbers assigned, JSON serialized).
#[derive(Debug)]
pub(crate) struct Job {
    pub conversation_id: String,
    pub expected_version: i64,
    /// `last_seq` after this commit.
    pub last_seq: i64,
    pub state: String,
    pub status: Status,
    pub stage: String,
    pub messages: Vec<Message>,
    pub client_message_id: Option<String>,
    pub result: Option<String>,
    pub lead: Option<JobLead>,
    pub handoff: Option<HandoffChange>,
    pub events: Vec<(String, serde_json::Value)>,
    pub now: i64,
}

/// How a job ended when it did not fail with a database error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Done,
    Conflict,
    NotFound,
    Duplicate,
}

impl Outcome {
    pub(crate) fn into_error(self) -> StoreError {
        match self {
            Outcome::Conflict => StoreError::Conflict,
            Outcome::NotFound => StoreError::NotFound("conversation"),
            Outcome::Duplicate => StoreError::Duplicate,
            // Not an error; callers match `Done` first.
            Outcome::Done => StoreError::Conflict,
        }
    }
}

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
                        Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate),
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
    match outcome {
        Outcome::Done => Ok(job.messages),
        other => Err(other.into_error()),
    }
}

/// Applies `jobs` in one transaction; any database error rolls back all of them.
async fn apply_group(
    pool: &SqlitePool,
    jobs: &[&Job],
) -> std::result::Result<Vec<Outcome>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        outcomes.push(crate::apply_sqlite(&mut tx, job).await?);
    }
    tx.commit().await?;
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Db, LeadUpdate, MessageRole, NewConversation, NewCustomer, NewMessage, Store, now_ms,
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
                assert!(matches!(r, Err(StoreError::Db(_))), "{r:?}");
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
