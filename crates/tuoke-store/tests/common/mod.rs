//! What the store's integration tests share: a store on each engine (SQLite in a temp file,
//! PostgreSQL in a fresh database when `TUOKE_PG_URL` is set), `both!` to run a suite on both,
//! and the rows the suites create and commit.
#![allow(dead_code)]

use serde_json::json;
use tuoke_core::Analysis;
use tuoke_store::*;
use tuoke_testkit::{fresh_pg_database, pg_url_or_skip};

/// A store and the URL of its database (for a connection of the test's own).
pub struct Db {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    Db {
        store: Store::connect(&url).await.unwrap(),
        url,
        _dir: Some(dir),
    }
}

pub async fn pg(test: &str) -> Option<Db> {
    let base = pg_url_or_skip(test)?;
    let url = fresh_pg_database(&base).await.unwrap();
    Some(Db {
        store: Store::connect(&url).await.unwrap(),
        url,
        _dir: None,
    })
}

/// Runs `$suite(store)` (or `$suite(store, url)` with `url`) on SQLite and, when configured,
/// on PostgreSQL.
macro_rules! both {
    ($name:ident, $suite:ident $(, $url:ident)?) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_engine() {
                let db = common::sqlite().await;
                assert_eq!(db.store.engine(), Engine::Sqlite);
                $suite(db.store.clone() $(, both!(@$url db))?).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_engine() {
                if let Some(db) = common::pg(concat!(stringify!($name), "::postgres_engine")).await {
                    assert_eq!(db.store.engine(), Engine::Postgres);
                    $suite(db.store.clone() $(, both!(@$url db))?).await;
                }
            }
        }
    };
    (@url $db:ident) => {
        $db.url.clone()
    };
}

pub fn new_conv(key: Option<&str>) -> NewConversation {
    NewConversation {
        customer: NewCustomer {
            name: Some("王先生".into()),
            phone: Some("+8613912345678".into()),
            email: None,
            wechat: None,
        },
        channel: "web".into(),
        status: Status::Bot,
        stage: "greet".into(),
        state: json!({"schema_version": 1, "stage": "greet"}),
        created_by_key: key.map(str::to_string),
        messages: vec![NewMessage::text(MessageRole::Bot, "您好！")],
        lead: LeadUpdate {
            score: 0,
            grade: "D".into(),
            evidence: json!([]),
        },
        now: now_ms(),
    }
}

/// A new conversation of [`new_conv`] without a creating key.
pub async fn conversation(s: &Store) -> Conversation {
    s.create_conversation(new_conv(None))
        .await
        .unwrap()
        .conversation
}

pub fn turn_commit(c: &Conversation, text: &str, cmid: Option<&str>, score: i64) -> Commit {
    let mut customer = NewMessage::text(MessageRole::Customer, text);
    customer.analysis = Some(Analysis::with_intent(text, "ask_price", 0.9));
    let mut bot = NewMessage::text(MessageRole::Bot, format!("re: {text}"));
    bot.citations = Some(vec!["faq-price".into()]);
    Commit {
        conversation_id: c.id.clone(),
        expected_version: c.version,
        expected_last_seq: c.last_seq,
        state: json!({"schema_version": 1, "stage": "qualify", "turns": c.version}).to_string(),
        status: Status::Bot,
        stage: "qualify".into(),
        messages: vec![customer, bot],
        client_message_id: cmid.map(str::to_string),
        lead: Some(LeadUpdate {
            score,
            grade: if score >= 70 { "A".into() } else { "C".into() },
            evidence: json!([{"turn": 1, "signal": "ask_price", "points": 10, "detail": "x"}]),
        }),
        handoff: None,
        events: Vec::new(),
        contact: None,
        audit: None,
        outcome: None,
        now: now_ms(),
    }
}
