//! The HTTP API over a real server on loopback with a real store (SQLite; the flow test also on
//! PostgreSQL when `TUOKE_PG_URL` is set).

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use tuoke_server::ServerConfig;
use tuoke_testkit::{fresh_pg_database, pg_url_or_skip};

async fn conversation_flow(t: &TestServer) {
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["status"], "bot");
    assert!(c["customer_id"].is_string());
    assert!(c["created_at"].is_string());
    let greeting = &c["messages"][0];
    assert_eq!(greeting["role"], "bot");
    assert_eq!(greeting["seq"], 1);
    assert!(!greeting["text"].as_str().unwrap().is_empty());

    let r = t.say(&t.widget, &id, "你好，X20多少钱？").await;
    assert_eq!(r["message"]["role"], "customer");
    assert_eq!(r["message"]["seq"], 2);
    assert!(
        r["reply"]["text"].as_str().is_some_and(|s| !s.is_empty()),
        "{r}"
    );
    assert_eq!(r["reply_message"]["seq"], 3);
    assert!(r["state"]["stage"].is_string());
    // The widget gets the customer's view (tests/customer_view.rs); staff see the analysis below.
    assert_eq!(r.get("analysis"), None);

    // Idempotent retry with the same client_message_id: same result, nothing stored twice.
    let body = json!({"text": "我想买两台，电话13912345678", "client_message_id": "cm-1"});
    let (s1, r1) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/messages"),
            &t.widget,
            Some(body.clone()),
        )
        .await;
    let (s2, r2) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/messages"),
            &t.widget,
            Some(body),
        )
        .await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(r1, r2);
    let (_, msgs) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}/messages"),
            &t.agent,
            None,
        )
        .await;
    let items = msgs["items"].as_array().unwrap();
    let seqs: Vec<i64> = items.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    assert_eq!(items.iter().filter(|m| m["role"] == "customer").count(), 2);
    assert_eq!(items[1]["analysis"]["intent"]["label"], "ask_price");
    let (_, after) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}/messages?after=3"),
            &t.agent,
            None,
        )
        .await;
    assert_eq!(after["items"][0]["seq"], 4);

    let (s, conv) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}"),
            &t.agent,
            None,
        )
        .await;
    assert_eq!(s, 200);
    for f in [
        "id",
        "customer_id",
        "channel",
        "status",
        "stage",
        "state",
        "lead",
        "created_at",
        "updated_at",
    ] {
        assert!(!conv[f].is_null(), "{f} missing in {conv}");
    }
    // The phone number the customer typed is on the customer record.
    let cust = t
        .store
        .get_customer(conv["customer_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cust.phone.as_deref(), Some("+8613912345678"));

    let (s, list) = t
        .json(
            Method::GET,
            "/v1/conversations?status=bot&limit=10",
            &t.agent,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let (s, leads) = t
        .json(Method::GET, "/v1/leads?sort=-score&limit=5", &t.agent, None)
        .await;
    assert_eq!(s, 200);
    let l = &leads["items"][0];
    for f in [
        "conversation_id",
        "customer_id",
        "score",
        "grade",
        "stage",
        "status",
        "evidence",
        "last_activity",
        "last_message",
    ] {
        assert!(l.get(f).is_some(), "{f} missing in {l}");
    }
    let (s, stats) = t.json(Method::GET, "/v1/stats", &t.agent, None).await;
    assert_eq!(s, 200);
    assert!(
        stats["intents"]["ask_price"].as_i64().unwrap() >= 1,
        "{stats}"
    );
    assert!(stats["leads_by_grade"]["A"].is_number());
    assert!(stats["sentiment_by_day"].as_array().unwrap().len() == 1);
    assert!(stats["conversations_per_day"][0]["n"].as_i64().unwrap() >= 1);
    assert!(stats["funnel"].is_object());
    let (s, comp) = t.json(Method::GET, "/v1/company", &t.agent, None).await;
    assert_eq!(s, 200);
    assert!(!comp["products"].as_array().unwrap().is_empty());
    assert!(comp["playbook"].is_object());
    let (s, a) = t
        .json(
            Method::POST,
            "/v1/analyze",
            &t.agent,
            Some(json!({"text": "太贵了"})),
        )
        .await;
    assert_eq!(s, 200);
    assert!(a["intent"]["label"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_on_sqlite() {
    let t = start().await;
    conversation_flow(&t).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_on_postgres() {
    let Some(t) = start_on_pg("flow_on_postgres", test_config()).await else {
        return;
    };
    conversation_flow(&t).await;
    t.stop().await;
}

/// Every route: no key → 401, wrong key → 401, a role without the right → 403, the right role → not 401/403.
/// On PostgreSQL each process hears the other processes' live events over a LISTEN connection.
/// When that connection drops and comes back, whatever was sent meanwhile is lost, so the
/// dashboard stream gets a `lagged` event and re-reads its lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_is_told_to_reread_when_peer_events_reconnect() {
    use futures_util::StreamExt;
    let Some(base) = pg_url_or_skip("dashboard_is_told_to_reread_when_peer_events_reconnect")
    else {
        return;
    };
    let url = fresh_pg_database(&base).await.unwrap();
    let t = start_with(Some(url.clone()), test_config()).await;
    let resp = t.get_with_query_key("/v1/events", &t.agent).await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut ended = Vec::new();
    while ended.is_empty() && std::time::Instant::now() < deadline {
        ended = sqlx::query_scalar::<_, bool>(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        )
        .fetch_all(&admin)
        .await
        .unwrap();
        if ended.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(
        ended,
        [true],
        "the server's LISTEN connection was not found"
    );
    let mut text = String::new();
    while std::time::Instant::now() < deadline && !text.contains("peer_events_reconnected") {
        match tokio::time::timeout(Duration::from_millis(500), body.next()).await {
            Ok(Some(Ok(b))) => text.push_str(&String::from_utf8_lossy(&b)),
            Ok(_) => break,
            Err(_) => {}
        }
    }
    assert!(
        text.contains("event: lagged") && text.contains("peer_events_reconnected"),
        "no lagged event after the LISTEN connection dropped; got: {text}"
    );
    admin.close().await;
    t.stop().await;
}

/// Past the resend window a turn's stored response is cleared by the retention sweep: a late
/// resend of its client_message_id is refused (409), not answered from nothing or processed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_after_the_window_is_refused_not_reprocessed() {
    let config = ServerConfig {
        resend_window: Some(Duration::ZERO),
        // The sweep at start finds nothing; this test runs the next one itself.
        retention_interval: Duration::from_secs(3600),
        ..test_config()
    };
    let t = start_with(None, config).await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap().to_string();
    let path = format!("/v1/conversations/{id}/messages");
    let body = json!({"text": "X20多少钱", "client_message_id": "late-1"});
    let (s1, r1) = t
        .json(Method::POST, &path, &t.widget, Some(body.clone()))
        .await;
    let (s2, r2) = t
        .json(Method::POST, &path, &t.widget, Some(body.clone()))
        .await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(r1, r2);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let swept = tuoke_server::retention::sweep(&t.server.as_ref().unwrap().state)
        .await
        .unwrap();
    assert_eq!(swept.turn_results, 1);
    let m = t.metrics().await;
    assert!(
        m.contains(r#"tuoke_retention_cleared_total{kind="turn_results"} 1"#),
        "{m}"
    );
    let (s3, r3) = t.json(Method::POST, &path, &t.widget, Some(body)).await;
    assert_eq!(s3, 409, "{r3}");
    assert_eq!(r3["error"]["code"], "duplicate");
    let (_, msgs) = t.json(Method::GET, &path, &t.widget, None).await;
    let customer_turns = msgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "customer")
        .count();
    assert_eq!(customer_turns, 1);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_auth_and_roles() {
    let t = start().await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    let cust = c["customer_id"].as_str().unwrap();
    let p = |s: &str| s.replace("{id}", id).replace("{cust}", cust);
    // (method, path, body, roles allowed: a=admin g=agent w=widget(own conversation))
    let routes: Vec<(Method, String, Option<Value>, &str)> = vec![
        (Method::POST, p("/v1/conversations"), Some(json!({})), "aw"),
        (Method::GET, p("/v1/conversations"), None, "ag"),
        (Method::GET, p("/v1/conversations/{id}"), None, "agw"),
        (
            Method::GET,
            p("/v1/conversations/{id}/messages"),
            None,
            "agw",
        ),
        (
            Method::POST,
            p("/v1/conversations/{id}/messages"),
            Some(json!({"text": "你好"})),
            "aw",
        ),
        (
            Method::POST,
            p("/v1/conversations/{id}/takeover"),
            Some(json!({})),
            "ag",
        ),
        (
            Method::POST,
            p("/v1/conversations/{id}/agent_messages"),
            Some(json!({"text": "您好，我是小王"})),
            "ag",
        ),
        (
            Method::POST,
            p("/v1/conversations/{id}/release"),
            None,
            "ag",
        ),
        (Method::GET, p("/v1/leads"), None, "ag"),
        (Method::GET, p("/v1/stats"), None, "ag"),
        (
            Method::POST,
            p("/v1/analyze"),
            Some(json!({"text": "多少钱"})),
            "agw",
        ),
        (Method::GET, p("/v1/company"), None, "agw"),
        (
            Method::POST,
            p("/v1/api_keys"),
            Some(json!({"role": "agent", "name": "bob"})),
            "a",
        ),
        (Method::DELETE, p("/v1/api_keys/nope"), None, "a"),
        (
            Method::POST,
            p("/v1/webhooks"),
            Some(json!({"url": "http://127.0.0.1:9/x", "events": ["*"], "secret": "0123456789"})),
            "a",
        ),
        (Method::GET, p("/v1/webhooks"), None, "a"),
        (Method::DELETE, p("/v1/webhooks/nope"), None, "a"),
        (Method::GET, p("/v1/webhooks/outbox"), None, "a"),
        (Method::GET, p("/v1/audit"), None, "a"),
        (Method::GET, p("/v1/customers/{cust}/export"), None, "a"),
        (Method::GET, p("/v1/events"), None, "ag"),
        (Method::GET, p("/v1/conversations/{id}/events"), None, "agw"),
        (Method::GET, p("/v1/widget/config"), None, "agw"),
        (
            Method::POST,
            p("/v1/conversations/{id}/callback"),
            Some(json!({"phone": "13912345678"})),
            "aw",
        ),
        (Method::DELETE, p("/v1/customers/{cust}"), None, "a"),
    ];
    for (m, path, body, allowed) in &routes {
        let r = t.req(m.clone(), path, None, body.clone()).await;
        assert_eq!(r.status(), 401, "{m} {path} without key");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "unauthorized");
        let r = t
            .req(m.clone(), path, Some("tk_not_a_key"), body.clone())
            .await;
        assert_eq!(r.status(), 401, "{m} {path} with a bad key");
        for (role, key) in [('a', &t.admin), ('g', &t.agent), ('w', &t.widget)] {
            let r = t.req(m.clone(), path, Some(key), body.clone()).await;
            let s = r.status().as_u16();
            if allowed.contains(role) {
                // Allowed: the route does its work (a missing id is a plain 404; the admin took
                // the conversation over first, so the agent's take-over and messages are a
                // conflict), never 5xx.
                let ok = (200..300).contains(&s)
                    || (path.contains("nope") && s == 404)
                    || ((path.ends_with("/takeover") || path.ends_with("/agent_messages"))
                        && role == 'g'
                        && s == 409)
                    // A loopback receiver is refused (no internal webhook targets), after the
                    // role check.
                    || (path.ends_with("/v1/webhooks") && *m == Method::POST && s == 400);
                assert!(ok, "{m} {path} as {role}: {s}");
            } else {
                assert_eq!(s, 403, "{m} {path} as {role}");
                let v: Value = r.json().await.unwrap();
                assert_eq!(v["error"]["code"], "forbidden");
            }
        }
        // Another site's widget key may not touch this conversation.
        if path.contains(id) && allowed.contains('w') {
            let r = t.req(m.clone(), path, Some(&t.widget2), body.clone()).await;
            assert_eq!(r.status(), 403, "{m} {path} as another widget");
        }
    }
    // ?key= works for event streams (EventSource cannot send headers), and only there.
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    let r = t
        .client
        .get(format!(
            "{}/v1/conversations/{id}/events?key={}&conversation_token={}",
            t.base,
            t.widget,
            t.token_header(&format!("/v1/conversations/{id}"))
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    drop(r);
    let r = t
        .get_with_query_key(&format!("/v1/conversations/{id}"), &t.widget)
        .await;
    assert_eq!(r.status(), 401);
    // Public routes.
    for path in ["/healthz", "/metrics", "/openapi.json"] {
        assert_eq!(
            t.req(Method::GET, path, None, None).await.status(),
            200,
            "{path}"
        );
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_errors_are_json() {
    let mut cfg = test_config();
    cfg.max_message_chars = 50;
    cfg.max_body_bytes = 4096;
    let t = start_with(None, cfg).await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    let url = format!("{}/v1/conversations/{id}/messages", t.base);

    let check = |s: u16, code: &str, v: &Value, want_s: u16, want_code: &str| {
        assert_eq!(s, want_s, "{v}");
        assert_eq!(code, want_code, "{v}");
        assert!(v["error"]["message"].is_string());
    };
    // 413: body over the cap, and text over the character limit.
    let r = t
        .client
        .post(&url)
        .bearer_auth(&t.widget)
        .header("x-conversation-token", t.token_header(&url))
        .header("content-type", "application/json")
        .body(format!("{{\"text\": \"{}\"}}", "长".repeat(5000)))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    check(
        s,
        v["error"]["code"].as_str().unwrap(),
        &v,
        413,
        "payload_too_large",
    );
    let (s, v) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/messages"),
            &t.widget,
            Some(json!({"text": "好".repeat(51)})),
        )
        .await;
    check(s, v["error"]["code"].as_str().unwrap(), &v, 413, "too_long");
    // 400: malformed JSON, wrong shape, empty text.
    for bad in [
        "{\"text\": ",
        "not json",
        "[1,2]",
        "{\"txt\": \"hi\"}",
        "{\"text\": 5}",
    ] {
        let r = t
            .client
            .post(&url)
            .bearer_auth(&t.widget)
            .header("x-conversation-token", t.token_header(&url))
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        check(s, v["error"]["code"].as_str().unwrap(), &v, 400, "bad_json");
    }
    let (s, v) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/messages"),
            &t.widget,
            Some(json!({"text": "   "})),
        )
        .await;
    check(
        s,
        v["error"]["code"].as_str().unwrap(),
        &v,
        400,
        "bad_request",
    );
    let (s, v) = t
        .json(Method::GET, "/v1/leads?grade=Z", &t.agent, None)
        .await;
    check(
        s,
        v["error"]["code"].as_str().unwrap(),
        &v,
        400,
        "bad_request",
    );
    let (s, v) = t
        .json(Method::GET, "/v1/conversations?limit=abc", &t.agent, None)
        .await;
    check(
        s,
        v["error"]["code"].as_str().unwrap(),
        &v,
        400,
        "bad_query",
    );
    // 404: unknown ids and routes.
    for (m, path) in [
        (Method::GET, "/v1/conversations/nope".to_string()),
        (Method::POST, "/v1/conversations/nope/messages".to_string()),
        (Method::GET, "/v1/customers/nope/export".to_string()),
        (Method::DELETE, "/v1/customers/nope".to_string()),
        (Method::GET, "/v1/nothing-here".to_string()),
        (Method::GET, "/assets/../Cargo.toml".to_string()),
    ] {
        let (s, v) = t
            .json(m.clone(), &path, &t.admin, Some(json!({"text": "hi"})))
            .await;
        assert_eq!(s, 404, "{m} {path}: {v}");
        assert_eq!(v["error"]["code"], "not_found");
    }
    // Odd but valid input does not break anything.
    for text in [
        "\u{0}",
        "😀😀😀",
        "ab\u{301}c",
        "<script>alert(1)</script>",
        "\u{202e}evil",
        "０１２３",
    ] {
        let (s, v) = t
            .json(
                Method::POST,
                &format!("/v1/conversations/{id}/messages"),
                &t.widget,
                Some(json!({"text": text})),
            )
            .await;
        // A NUL alone is no message (nothing left once control characters go); the rest are.
        let want = if text == "\u{0}" { 400 } else { 200 };
        assert_eq!(s, want, "{text:?}: {v}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_key_rate_limit_answers_429() {
    let mut cfg = test_config();
    cfg.rate_limit_per_sec = 1;
    cfg.rate_limit_burst = 3;
    let t = start_with(None, cfg).await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        let r = t
            .req(Method::GET, "/v1/company", Some(&t.widget), None)
            .await;
        codes.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().get("retry-after").is_some());
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], "rate_limited");
        }
    }
    assert_eq!(&codes[..3], &[200, 200, 200]);
    assert!(codes[3..].contains(&429), "{codes:?}");
    // Another key has its own budget.
    assert_eq!(
        t.req(Method::GET, "/v1/company", Some(&t.agent), None)
            .await
            .status(),
        200
    );
    let (_, m) = (
        0,
        t.req(Method::GET, "/metrics", None, None)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(m.contains("tuoke_rate_limited_total"), "{m}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoff_and_events_resume_without_loss_or_duplicates() {
    let t = start().await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap().to_string();
    t.say(&t.widget, &id, "X20多少钱").await;

    // A stream that resumes after seq 1 replays 2 and 3, then gets live events.
    let resp = t
        .client
        .get(format!("{}/v1/conversations/{id}/events", t.base))
        .bearer_auth(&t.widget)
        .header("x-conversation-token", t.token_header(&url_of(&id)))
        .header("last-event-id", "1")
        .send()
        .await
        .unwrap();
    let all = t.get_with_query_key("/v1/events", &t.agent).await;
    assert_eq!(all.status(), 200);

    let r = t.say(&t.widget, &id, "我要找人工客服").await;
    // A person is requested, nobody has taken over: the bot keeps answering.
    assert_eq!(r["conversation"]["status"], "bot", "{r}");
    assert!(r["reply"].is_object(), "{r}");
    let (s, ho) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/takeover"),
            &t.agent,
            Some(json!({"agent": "小王"})),
        )
        .await;
    assert_eq!(s, 200, "{ho}");
    assert_eq!(ho["conversation"]["status"], "handed_off");
    assert!(ho["handoff"]["summary"].is_object(), "{ho}");
    assert!(
        ho["handoff"]["reason"] == "request_human" || ho["handoff"]["reason"] == "agent_takeover",
        "{ho}"
    );
    let (s, am) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/agent_messages"),
            &t.agent,
            Some(json!({"text": "您好，我是小王"})),
        )
        .await;
    assert_eq!(s, 200, "{am}");
    assert_eq!(am["message"]["role"], "agent");
    // While handed off, the bot is silent.
    let r = t.say(&t.widget, &id, "好的谢谢").await;
    assert!(r["reply"].is_null(), "{r}");
    let (s, rel) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/release"),
            &t.agent,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(rel["conversation"]["status"], "bot");

    let (_, msgs) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}/messages"),
            &t.agent,
            None,
        )
        .await;
    let total = msgs["items"].as_array().unwrap().len();
    let got = read_messages(resp, total - 1).await;
    let seqs: Vec<i64> = got.iter().map(|(id, _)| id.unwrap()).collect();
    assert_eq!(
        seqs,
        (2..=total as i64).collect::<Vec<_>>(),
        "no loss, no duplicates"
    );
    assert!(
        got.iter()
            .any(|(_, m)| m["role"] == "agent" && m["text"] == "您好，我是小王")
    );
    assert!(got.iter().all(|(_, m)| m["conversation_id"] == id.as_str()));
    let global = read_messages(all, 3).await;
    assert!(global.len() >= 3);

    // Resume from the middle.
    let resp = t
        .client
        .get(format!(
            "{}/v1/conversations/{id}/events?after=4&key={}&conversation_token={}",
            t.base,
            t.widget,
            t.token_header(&url_of(&id))
        ))
        .send()
        .await
        .unwrap();
    let got = read_messages(resp, total - 4).await;
    assert_eq!(got.first().and_then(|g| g.0), Some(5));
    assert_eq!(got.len(), total - 4);
    t.stop().await;
}

/// Two turns racing on one conversation in one process: both stored, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_turns_are_all_stored_in_order() {
    let t = start().await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let client = t.client.clone();
        let url = format!("{}/v1/conversations/{id}/messages", t.base);
        let key = t.widget.clone();
        let token = t.token_header(&url);
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(key)
                .header("x-conversation-token", token)
                .json(&json!({"text": format!("第{i}个问题：多少钱")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }));
    }
    for x in tasks {
        x.await.unwrap();
    }
    let (_, msgs) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}/messages"),
            &t.agent,
            None,
        )
        .await;
    let items = msgs["items"].as_array().unwrap();
    let customer: Vec<&Value> = items.iter().filter(|m| m["role"] == "customer").collect();
    assert_eq!(customer.len(), 12);
    let seqs: Vec<i64> = items.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=items.len() as i64).collect::<Vec<_>>());
    // The engine saw every turn: its turn counter counts all 12.
    let (_, conv) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}"),
            &t.agent,
            None,
        )
        .await;
    let history = conv["state"]["history"]
        .as_array()
        .map(|h| h.iter().filter(|r| r["role"] == "customer").count());
    if let Some(h) = history {
        assert!(h >= 1);
    }
    assert_eq!(
        conv["state"]["turn"].as_u64(),
        Some(12),
        "{}",
        conv["state"]["turn"]
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_exports_and_deletes_a_customer() {
    let t = start().await;
    let (s, c) = t
        .json(
            Method::POST,
            "/v1/conversations",
            &t.widget,
            Some(json!({"customer": {"name": "李女士", "email": "li@example.com"}})),
        )
        .await;
    assert_eq!(s, 201);
    let id = c["id"].as_str().unwrap();
    let cust = c["customer_id"].as_str().unwrap();
    t.say(&t.widget, id, "我的微信是 li_wechat88").await;
    let r = t
        .req(
            Method::GET,
            &format!("/v1/customers/{cust}/export"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let ex: Value = r.json().await.unwrap();
    assert_eq!(ex["customer"]["email"], "li@example.com");
    assert_eq!(
        ex["conversations"][0]["messages"].as_array().unwrap().len(),
        3
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
    let (s, _) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}"),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = t
        .json(
            Method::GET,
            &format!("/v1/customers/{cust}/export"),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (_, audit) = t.json(Method::GET, "/v1/audit", &t.admin, None).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"customer.export") && actions.contains(&"customer.delete"),
        "{actions:?}"
    );
    // The audit log has no personal data.
    assert!(!audit.to_string().contains("li@example.com"));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_can_be_created_and_revoked() {
    let t = start().await;
    let (s, k) = t
        .json(
            Method::POST,
            "/v1/api_keys",
            &t.admin,
            Some(json!({"role": "agent", "name": "bob"})),
        )
        .await;
    assert_eq!(s, 201);
    let key = k["key"].as_str().unwrap();
    assert_eq!(
        t.req(Method::GET, "/v1/leads", Some(key), None)
            .await
            .status(),
        200
    );
    let (s, _) = t
        .json(
            Method::POST,
            "/v1/api_keys",
            &t.admin,
            Some(json!({"role": "root", "name": "x"})),
        )
        .await;
    assert_eq!(s, 400);
    let r = t
        .req(
            Method::DELETE,
            &format!("/v1/api_keys/{}", k["id"].as_str().unwrap()),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    // Revocation is immediate on the DB; the in-process cache may keep it for up to 30 s,
    // so check through the store.
    assert!(t.store.find_api_key(key).await.unwrap().is_none());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_metrics_health_and_static_files() {
    let t = start().await;
    let doc: Value = t
        .req(Method::GET, "/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/v1/conversations",
        "/v1/conversations/{id}/messages",
        "/v1/leads",
        "/v1/events",
        "/v1/webhooks",
        "/v1/customers/{id}/export",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    let c = t.create_conversation(&t.widget).await;
    t.say(&t.widget, c["id"].as_str().unwrap(), "你好").await;
    let m = t.metrics().await;
    assert!(m.contains("tuoke_turns_total 1"), "{m}");
    assert!(m.contains("tuoke_http_requests_total{"), "{m}");
    let h: Value = t
        .req(Method::GET, "/healthz", None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    let w = t.req(Method::GET, "/widget.js", None, None).await;
    if std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/static/widget.js"
    ))
    .exists()
    {
        assert_eq!(w.status(), 200);
        assert!(
            w.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript")
        );
        assert_eq!(
            t.req(Method::GET, "/dashboard", None, None).await.status(),
            200
        );
        assert_eq!(t.req(Method::GET, "/chat", None, None).await.status(), 200);
    }
    t.stop().await;
}

/// The path of a conversation (for its token).
fn url_of(id: &str) -> String {
    format!("/v1/conversations/{id}")
}
