//! Erasure on SQLite: after `DELETE /v1/customers/{id}` the customer's contact details are in
//! none of the database's files (db, -wal, -shm), neither while the server runs nor after it
//! stopped.

mod common;

use std::path::Path;

use reqwest::Method;
use serde_json::json;

const PHONE: &str = "13912345678";
const EMAIL: &str = "erase.me.please@example.com";
const NAME: &str = "Zhang Erasable";

/// The files of the database `db` that exist, with how often each needle occurs in them.
fn scan(db: &Path, needles: &[&str]) -> Vec<(String, usize, Vec<usize>)> {
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = db.with_file_name(format!(
            "{}{suffix}",
            db.file_name().unwrap().to_string_lossy()
        ));
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let counts = needles
            .iter()
            .map(|n| {
                bytes
                    .windows(n.len())
                    .filter(|w| *w == n.as_bytes())
                    .count()
            })
            .collect();
        out.push((p.display().to_string(), bytes.len(), counts));
    }
    out
}

fn assert_clean(db: &Path, when: &str) {
    let found = scan(db, &[PHONE, EMAIL, NAME]);
    assert!(!found.is_empty(), "{when}: no database file found");
    for (file, len, counts) in &found {
        assert!(
            counts.iter().all(|&c| c == 0),
            "{when}: {file} ({len} bytes) still holds [phone, e-mail, name] {counts:?} times"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_customer_leaves_no_bytes_in_sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let url = format!("sqlite://{}", db.display());
    let t = common::start_with(Some(url), common::test_config()).await;

    // A customer whose contact details are given at creation and repeated in the chat, plus a
    // second customer who must survive the erasure.
    let (s, c) = t
        .json(
            Method::POST,
            "/v1/conversations",
            &t.widget,
            Some(json!({"customer": {"name": NAME, "email": EMAIL, "phone": PHONE}})),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let conv = c["id"].as_str().unwrap().to_string();
    let cust = c["customer_id"].as_str().unwrap().to_string();
    for i in 0..20 {
        t.say(
            &t.widget,
            &conv,
            &format!("我的电话是 {PHONE}，邮箱 {EMAIL}，第{i}次"),
        )
        .await;
    }
    t.say(&t.widget, &conv, "我要转人工").await;
    let other = t.create_conversation(&t.widget).await;
    let other_id = other["id"].as_str().unwrap().to_string();
    t.say(&t.widget, &other_id, "净水器多少钱").await;

    let before = scan(&db, &[PHONE, EMAIL]);
    assert!(
        before.iter().any(|(_, _, c)| c.iter().all(|&n| n > 0)),
        "the test data never reached the files: {before:?}"
    );

    let r = t
        .req(
            Method::DELETE,
            &format!("/v1/customers/{cust}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_clean(&db, "after the delete, server running");

    // Later writes must not bring anything back, and the other customer is intact.
    t.say(&t.widget, &other_id, "还有别的颜色吗").await;
    let (s, _) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{other_id}"),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_clean(&db, "after later turns");

    t.stop().await;
    assert_clean(&db, "after shutdown");
}
