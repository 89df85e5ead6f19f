//! Webhooks never reach internal addresses unless the allow-list says so: registration refuses
//! them (400, JSON envelope), and a delivery to one that got into the store anyway is refused at
//! connect time, after DNS resolution. Only loopback forms are used; no traffic leaves
//! 127.0.0.0/8 and ::1.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tuoke_server::ServerConfig;
use tuoke_server::egress::parse_allow_list;

/// A receiver on 127.0.0.1 that answers 200 and counts the connections it accepted.
async fn receiver() -> (u16, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            h.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (port, hits)
}

async fn register(t: &common::TestServer, url: &str) -> (u16, Value) {
    t.json(
        Method::POST,
        "/v1/webhooks",
        &t.admin,
        Some(json!({"url": url, "events": ["*"], "secret": "0123456789"})),
    )
    .await
}

/// Starts a conversation and asks for a human, which queues a `handoff.requested` delivery.
async fn trigger(t: &common::TestServer) {
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    t.say(&t.widget, id, "我要转人工").await;
    t.say(&t.widget, id, "找人工客服").await;
}

async fn outbox(t: &common::TestServer) -> Vec<Value> {
    let (s, v) = t
        .json(Method::GET, "/v1/webhooks/outbox", &t.admin, None)
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_refuses_internal_addresses() {
    let t = common::start().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://127.8.9.10/hook",
        "http://localhost:9/hook",
        "http://LOCALHOST./hook",
        "http://api.localhost/hook",
        "http://2130706433:9/hook",
        "http://0x7f000001/hook",
        "http://0177.0.0.1/hook",
        "http://127.1/hook",
        "http://[::1]:9/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::]:9/hook",
        "http://0.0.0.0:9/hook",
    ] {
        let (s, v) = register(&t, url).await;
        assert_eq!(s, 400, "{url}: {v}");
        assert_eq!(v["error"]["code"], "bad_request", "{url}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("webhook"),
            "{url}: {v}"
        );
    }
    let (_, list) = t.json(Method::GET, "/v1/webhooks", &t.admin, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_to_internal_address_is_refused_at_connect_time() {
    let t = common::start().await;
    let (port, hits) = receiver().await;
    // Rows that bypassed registration (registered before this check, or a name that resolved
    // elsewhere then): the worker must refuse them itself.
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
        format!("http://localhost:{port}/hook"),
    ] {
        t.store
            .create_webhook(&url, &["*".to_string()], "0123456789")
            .await
            .unwrap();
    }
    trigger(&t).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = outbox(&t).await;
        let settled = rows.len() >= 3 && rows.iter().all(|r| !r["last_error"].is_null());
        if settled || tokio::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(rows.len() >= 3, "{rows:?}");
    for r in &rows {
        assert!(r["delivered_at"].is_null(), "delivered: {r}");
        let e = r["last_error"].as_str().unwrap_or_default();
        assert!(e.contains("internal"), "unexpected error: {r}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the receiver was contacted");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_list_opts_in_to_a_loopback_receiver() {
    let config = ServerConfig {
        webhook_allow: parse_allow_list("127.0.0.0/8,::1").unwrap(),
        ..common::test_config()
    };
    let t = common::start_with(None, config).await;
    let (port, hits) = receiver().await;
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
    ] {
        let (s, v) = register(&t, &url).await;
        assert_eq!(s, 201, "{url}: {v}");
    }
    // The allow-list does not relax the spelling rule.
    let (s, v) = register(&t, &format!("http://2130706433:{port}/hook")).await;
    assert_eq!(s, 400, "{v}");
    trigger(&t).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows = outbox(&t).await;
        if !rows.is_empty() && rows.iter().all(|r| !r["delivered_at"].is_null()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(hits.load(Ordering::SeqCst) >= 2);
    t.stop().await;
}
