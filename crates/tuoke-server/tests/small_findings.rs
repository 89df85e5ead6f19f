//! Issue 14's smaller findings (item 6), each with its test: `client_message_id` misuse, a
//! revoked key, CORS preflights, the pages' security headers, webhook retries keeping the event
//! time, audited webhook deletion, hidden characters and invalid e-mails, and contact details
//! given at creation surviving the chat.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestServer, start_with, test_config};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tuoke_server::ServerConfig;
use tuoke_testkit::{fresh_pg_database, pg_url_or_skip};

async fn post_turn(t: &TestServer, id: &str, body: Value) -> (u16, Value) {
    t.json(
        Method::POST,
        &format!("/v1/conversations/{id}/messages"),
        &t.widget,
        Some(body),
    )
    .await
}

async fn findings(t: TestServer) {
    // client_message_id: empty is refused, reuse for another text is a conflict.
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap().to_string();
    let (s, v) = post_turn(&t, &id, json!({"text": "你好", "client_message_id": ""})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{v}"
    );
    let (s, v) = post_turn(&t, &id, json!({"text": "你好", "client_message_id": "  "})).await;
    assert_eq!(s, 400, "{v}");
    let (s, first) = post_turn(
        &t,
        &id,
        json!({"text": "X20多少钱", "client_message_id": "m1"}),
    )
    .await;
    assert_eq!(s, 200, "{first}");
    let (s, again) = post_turn(
        &t,
        &id,
        json!({"text": "X20多少钱", "client_message_id": "m1"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(again, first);
    let (s, v) = post_turn(
        &t,
        &id,
        json!({"text": "保修几年", "client_message_id": "m1"}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("idempotency_mismatch")),
        "{v}"
    );

    // Hidden characters and invalid e-mails at creation.
    for customer in [
        json!({"name": "Ann\u{0000}"}),
        json!({"name": "\u{001b}[31mred"}),
        json!({"name": "abc\u{202e}fdp.exe"}),
        json!({"wechat": "wx\u{2066}id"}),
        json!({"email": "not-an-email"}),
        json!({"email": "a@b"}),
        json!({"email": "a b@c.com"}),
    ] {
        let (s, v) = t
            .json(
                Method::POST,
                "/v1/conversations",
                &t.widget,
                Some(json!({"customer": customer})),
            )
            .await;
        assert_eq!(s, 400, "{customer}: {v}");
        assert_eq!(v["error"]["code"], "bad_request");
    }
    let (s, v) = t
        .json(
            Method::POST,
            "/v1/api_keys",
            &t.admin,
            Some(json!({"role": "agent", "name": "Li\u{0007}"})),
        )
        .await;
    assert_eq!(s, 400, "{v}");

    // Contact details given at creation are kept; the chat fills only what is missing.
    let (s, c) = t
        .json(
            Method::POST,
            "/v1/conversations",
            &t.widget,
            Some(json!({"customer": {"name": "陈先生", "phone": "13700246813", "email": "chen@example.com"}})),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let customer = c["customer_id"].as_str().unwrap().to_string();
    t.say(
        &t.widget,
        &id,
        "我的电话是13912345678，微信 chen_wx88，邮箱 other@example.org",
    )
    .await;
    let (s, ex) = t
        .json(
            Method::GET,
            &format!("/v1/customers/{customer}/export"),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(s, 200, "{ex}");
    assert_eq!(ex["customer"]["phone"], "13700246813", "{ex}");
    assert_eq!(ex["customer"]["email"], "chen@example.com", "{ex}");
    assert_eq!(ex["customer"]["wechat"], "chen_wx88", "{ex}");

    // A key revoked through the API stops working at once in this process.
    let (s, k) = t
        .json(
            Method::POST,
            "/v1/api_keys",
            &t.admin,
            Some(json!({"role": "agent", "name": "temp"})),
        )
        .await;
    assert_eq!(s, 201);
    let key = k["key"].as_str().unwrap().to_string();
    let (s, _) = t.json(Method::GET, "/v1/leads", &key, None).await;
    assert_eq!(s, 200);
    let (s, _) = t
        .json(
            Method::DELETE,
            &format!("/v1/api_keys/{}", k["id"].as_str().unwrap()),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = t.json(Method::GET, "/v1/leads", &key, None).await;
    assert_eq!(s, 401);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_findings_on_sqlite() {
    findings(start_with(None, test_config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_findings_on_postgres() {
    let Some(base) = pg_url_or_skip("small_findings_on_postgres") else {
        return;
    };
    let url = fresh_pg_database(&base).await.unwrap();
    findings(start_with(Some(url), test_config()).await).await;
}

#[tokio::test]
async fn preflights_and_page_headers() {
    let t = start_with(None, test_config()).await;
    let r = t
        .client
        .request(Method::OPTIONS, format!("{}/v1/conversations", t.base))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-conversation-token",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(allowed.contains("x-conversation-token"), "{allowed}");
    let chat = t.req(Method::GET, "/chat", None, None).await;
    assert_eq!(chat.status(), 200);
    let csp = chat.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.ends_with("frame-ancestors *"),
        "{csp}"
    );
    assert_eq!(chat.headers()["x-content-type-options"], "nosniff");
    assert!(chat.headers().get("x-frame-options").is_none());
    let dash = t.req(Method::GET, "/dashboard", None, None).await;
    let csp = dash.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert_eq!(dash.headers()["x-frame-options"], "DENY");
    assert_eq!(dash.headers()["x-content-type-options"], "nosniff");
    let js = t.req(Method::GET, "/widget.js", None, None).await;
    assert_eq!(js.headers()["x-content-type-options"], "nosniff");
    t.stop().await;
}

/// A receiver on 127.0.0.1 that fails the first delivery (500) and accepts the rest, keeping
/// every body it got.
async fn flaky_receiver() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let b = bodies.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            // Head, then as many body bytes as it announced.
            let body = loop {
                let Ok(n) = sock.read(&mut chunk).await else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= len {
                        break Some(body.to_string());
                    }
                }
            };
            let Some(body) = body else { continue };
            let first = {
                let mut v = b.lock().unwrap();
                v.push(body);
                v.len() == 1
            };
            let status = if first {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = sock
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    (port, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_retry_keeps_the_event_time_and_deleting_a_webhook_is_audited() {
    let t = start_with(
        None,
        ServerConfig {
            webhook_allow: tuoke_server::egress::parse_allow_list("127.0.0.1").unwrap(),
            ..test_config()
        },
    )
    .await;
    let (port, bodies) = flaky_receiver().await;
    let (s, w) = t
        .json(
            Method::POST,
            "/v1/webhooks",
            &t.admin,
            Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["handoff.requested"], "secret": "0123456789"})),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    let c = t.create_conversation(&t.widget).await;
    t.say(&t.widget, c["id"].as_str().unwrap(), "我要转人工")
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while bodies.lock().unwrap().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no retry arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got: Vec<Value> = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(got[0]["id"], got[1]["id"]);
    assert_eq!(got[0]["created_at"], got[1]["created_at"], "{got:?}");
    let (s, _) = t
        .json(
            Method::DELETE,
            &format!("/v1/webhooks/{}", w["id"].as_str().unwrap()),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (_, audit) = t.json(Method::GET, "/v1/audit", &t.admin, None).await;
    let deleted: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "webhooks.delete")
        .collect();
    assert_eq!(deleted.len(), 1, "{audit}");
    assert_eq!(deleted[0]["target"], w["id"], "{audit}");
    t.stop().await;
}
