//! Each change of a conversation is one transaction (issue 14 item 9), through the HTTP API on
//! SQLite and PostgreSQL: a customer turn with contact details, an agent's take-over and
//! release. A trigger makes the later write fail (`tuoke_testkit::fault`: the customer update,
//! the audit entry); the request fails (503) and nothing of the change is stored. After the fault is
//! removed the same request goes through. And a repeated request for a person keeps one open
//! handoff.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use tuoke_testkit::fault::{self, Write};
use tuoke_testkit::{fresh_pg_database, pg_url_or_skip};

/// A server on a fresh SQLite file, with the database URL.
async fn on_sqlite() -> (TestServer, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    (start_with(Some(url.clone()), test_config()).await, url, dir)
}

/// A server on a fresh PostgreSQL database, with its URL; `None` when none is configured.
async fn on_postgres(test: &str) -> Option<(TestServer, String)> {
    let url = fresh_pg_database(&pg_url_or_skip(test)?).await.unwrap();
    Some((start_with(Some(url.clone()), test_config()).await, url))
}

/// The handoff rows of a conversation (`released_at` null: open), from the customer export.
async fn handoffs(t: &TestServer, conversation: &Value) -> Vec<Value> {
    let customer = conversation["customer_id"].as_str().unwrap();
    let export = t.store.export_customer(customer).await.unwrap().unwrap();
    export.conversations[0].handoffs.clone()
}

/// The answer to a request whose write failed in the database: 503 `unavailable`.
fn assert_db_error(status: u16, v: &Value) {
    assert_eq!(
        (status, &v["error"]["code"]),
        (503, &json!("unavailable")),
        "{v}"
    );
}

/// What a failed change must leave as it was.
async fn stored(t: &TestServer, conversation: &Value) -> (i64, i64, String, usize, Vec<Value>) {
    let id = conversation["id"].as_str().unwrap();
    let c = t.store.get_conversation_fresh(id).await.unwrap().unwrap();
    let n = t.store.list_messages(id, 0, 1000).await.unwrap().len();
    let status = c.status.as_str().to_string();
    (
        c.version,
        c.last_seq,
        status,
        n,
        handoffs(t, conversation).await,
    )
}

async fn contact_details_go_with_the_turn(t: TestServer, url: &str) {
    let conv = t.create_conversation(&t.widget).await;
    let id = conv["id"].as_str().unwrap();
    let customer = conv["customer_id"].as_str().unwrap();
    let before = stored(&t, &conv).await;
    let path = format!("/v1/conversations/{id}/messages");
    let body = json!({"text": "我的电话是13912345678，邮箱 buyer@example.com", "client_message_id": "c-1"});

    fault::fail(url, "customers", Write::Update).await.unwrap();
    let (s, v) = t
        .json(Method::POST, &path, &t.widget, Some(body.clone()))
        .await;
    assert_db_error(s, &v);
    assert_eq!(stored(&t, &conv).await, before, "a partial turn was stored");
    assert!(t.store.turn_result(id, "c-1").await.unwrap().is_none());
    let cu = t.store.get_customer(customer).await.unwrap().unwrap();
    assert_eq!((cu.phone, cu.email), (None, None));

    // The same message again once the fault is gone: stored, with the details.
    fault::heal(url, "customers").await.unwrap();
    let (s, v) = t.json(Method::POST, &path, &t.widget, Some(body)).await;
    assert_eq!(s, 200, "{v}");
    let after = stored(&t, &conv).await;
    assert_eq!((after.0, after.3), (before.0 + 1, before.3 + 2));
    let cu = t.store.get_customer(customer).await.unwrap().unwrap();
    assert!(cu.phone.is_some_and(|p| p.ends_with("13912345678")));
    assert_eq!(cu.email.as_deref(), Some("buyer@example.com"));
    t.stop().await;
}

/// The conversation's status and handoff state as an agent sees them.
async fn status_of(t: &TestServer, id: &str) -> (String, String) {
    let path = format!("/v1/conversations/{id}");
    let (s, v) = t.json(Method::GET, &path, &t.agent, None).await;
    assert_eq!(s, 200, "{v}");
    (v["status"].to_string(), v["handoff"].to_string())
}

async fn audited(t: &TestServer, action: &str, id: &str) -> usize {
    let rows = t.store.list_audit(100).await.unwrap();
    rows.iter()
        .filter(|a| a.action == action && a.target.as_deref() == Some(id))
        .count()
}

async fn takeover_and_release_are_one_transaction(t: TestServer, url: &str) {
    let conv = t.create_conversation(&t.widget).await;
    let id = conv["id"].as_str().unwrap();
    t.say(&t.widget, id, "我要转人工").await;
    let before = stored(&t, &conv).await;
    let seen = status_of(&t, id).await;
    assert_eq!(seen.1, "\"requested\"");
    let takeover = format!("/v1/conversations/{id}/takeover");
    let release = format!("/v1/conversations/{id}/release");
    let alice = Some(json!({"agent": "Alice"}));

    fault::fail(url, "audit_events", Write::Insert)
        .await
        .unwrap();
    let (s, v) = t
        .json(Method::POST, &takeover, &t.agent, alice.clone())
        .await;
    assert_db_error(s, &v);
    assert_eq!(stored(&t, &conv).await, before, "a partial take-over");
    assert_eq!(status_of(&t, id).await, seen);
    assert!(t.store.handoff_owner(id).await.unwrap().is_none());
    assert_eq!(audited(&t, "conversation.takeover", id).await, 0);

    fault::heal(url, "audit_events").await.unwrap();
    let (s, v) = t.json(Method::POST, &takeover, &t.agent, alice).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["conversation"]["status"], "handed_off");
    let owner = t.store.handoff_owner(id).await.unwrap().unwrap();
    assert_eq!(owner.agent.as_deref(), Some("Alice"));
    assert_eq!(audited(&t, "conversation.takeover", id).await, 1);
    let held = stored(&t, &conv).await;
    assert_eq!(held.4.len(), 1, "one handoff, taken: {:?}", held.4);

    // The release and its audit entry: one transaction too.
    fault::fail(url, "audit_events", Write::Insert)
        .await
        .unwrap();
    let (s, v) = t.json(Method::POST, &release, &t.agent, None).await;
    assert_db_error(s, &v);
    assert_eq!(stored(&t, &conv).await, held, "a partial release");
    assert!(t.store.handoff_owner(id).await.unwrap().is_some());
    fault::heal(url, "audit_events").await.unwrap();
    let (s, v) = t.json(Method::POST, &release, &t.agent, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["conversation"]["status"], "bot");
    assert_eq!(audited(&t, "conversation.release", id).await, 1);
    t.stop().await;
}

/// Asking for a person again (and complaining) while a request is open opens no second handoff.
async fn repeated_requests_keep_one_open_handoff(t: TestServer, _url: &str) {
    let conv = t.create_conversation(&t.widget).await;
    let id = conv["id"].as_str().unwrap();
    let first = t.say(&t.widget, id, "我要转人工").await;
    assert_eq!(first["state"]["handoff"], "requested", "{first}");
    for text in ["我要转人工", "找人工客服", "我要投诉，太差了"] {
        t.say(&t.widget, id, text).await;
    }
    let rows = handoffs(&t, &conv).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0]["released_at"].is_null());
    t.stop().await;
}

/// `$suite(server, database URL)` on SQLite and, when `TUOKE_PG_URL` is set, on PostgreSQL.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $suite:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let (t, url, _dir) = on_sqlite().await;
            $suite(t, &url).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if let Some((t, url)) = on_postgres(stringify!($postgres)).await {
                $suite(t, &url).await;
            }
        }
    };
}

on_both!(
    turn_with_contact_details_on_sqlite,
    turn_with_contact_details_on_postgres,
    contact_details_go_with_the_turn
);
on_both!(
    takeover_and_release_on_sqlite,
    takeover_and_release_on_postgres,
    takeover_and_release_are_one_transaction
);
on_both!(
    repeated_requests_on_sqlite,
    repeated_requests_on_postgres,
    repeated_requests_keep_one_open_handoff
);
