//! One visitor cannot lock out every customer (issue 14, item 1): public (widget) keys are
//! limited per client address and per conversation, conversation creation is capped per client,
//! failed keys are limited per client, and a conversation id alone grants nothing without the
//! conversation's token. Clients are told apart by binding to different loopback addresses
//! (127.0.0.2, 127.0.0.3, …), all inside 127.0.0.0/8.

mod common;

use std::net::IpAddr;

use common::{TestServer, start_with, test_config};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use tuoke_server::ServerConfig;
use tuoke_server::public::PublicLimits;
use tuoke_testkit::{fresh_pg_database, pg_url_or_skip};

/// A client whose connections come from `127.0.0.<n>`.
fn client_from(n: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::from([127, 0, 0, n]))
        .build()
        .unwrap()
}

/// `method path` with `key` and (if given) a conversation token; status and JSON body.
async fn call(
    t: &TestServer,
    c: &Client,
    method: Method,
    path: &str,
    key: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = c
        .request(method, format!("{}{path}", t.base))
        .bearer_auth(key);
    if let Some(tok) = token {
        r = r.header("x-conversation-token", tok);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `GET /v1/widget/config` with `key` from client `c`: the status.
async fn settings(t: &TestServer, c: &Client, key: &str) -> u16 {
    call(t, c, Method::GET, "/v1/widget/config", key, None, None)
        .await
        .0
}

/// A server with `public` limits (no request rate limit).
async fn start_public(public: PublicLimits) -> TestServer {
    start_with(
        None,
        ServerConfig {
            public,
            ..test_config()
        },
    )
    .await
}

async fn create(t: &TestServer, c: &Client) -> (u16, Value) {
    call(
        t,
        c,
        Method::POST,
        "/v1/conversations",
        &t.widget,
        None,
        Some(json!({"language": "zh"})),
    )
    .await
}

async fn conversation_token_is_required(t: TestServer) {
    let c = Client::new();
    let (s, conv) = create(&t, &c).await;
    assert_eq!(s, 201, "{conv}");
    let id = conv["id"].as_str().unwrap().to_string();
    let token = conv["token"].as_str().unwrap().to_string();
    assert_eq!(conv["token_expires_in"], 12 * 3600);
    let (_, other) = create(&t, &c).await;
    let other_token = other["token"].as_str().unwrap().to_string();
    let last = if token.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &token[..token.len() - 1]);
    let routes = [
        (Method::GET, format!("/v1/conversations/{id}"), None),
        (
            Method::GET,
            format!("/v1/conversations/{id}/messages"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/messages"),
            Some(json!({"text": "X20多少钱"})),
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/callback"),
            Some(json!({"phone": "13800138000"})),
        ),
    ];
    for (m, path, body) in &routes {
        for bad in [None, Some(other_token.as_str()), Some(tampered.as_str())] {
            let (s, v) = call(&t, &c, m.clone(), path, &t.widget, bad, body.clone()).await;
            assert_eq!(s, 401, "{m} {path} with {bad:?}: {v}");
            assert_eq!(v["error"]["code"], "invalid_conversation_token", "{v}");
        }
    }
    // The event stream takes the token in its query.
    let events = format!("{}/v1/conversations/{id}/events", t.base);
    let r = c.get(&events).bearer_auth(&t.widget).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(format!("{events}?conversation_token={token}"))
        .bearer_auth(&t.widget)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(r);
    // With the token every route works, and a GET hands out a fresh one.
    for (m, path, body) in &routes {
        let (s, v) = call(
            &t,
            &c,
            m.clone(),
            path,
            &t.widget,
            Some(&token),
            body.clone(),
        )
        .await;
        assert_eq!(s, 200, "{m} {path}: {v}");
    }
    let (_, v) = call(
        &t,
        &c,
        Method::GET,
        &format!("/v1/conversations/{id}"),
        &t.widget,
        Some(&token),
        None,
    )
    .await;
    let fresh = v["token"].as_str().unwrap();
    let (s, _) = call(
        &t,
        &c,
        Method::GET,
        &format!("/v1/conversations/{id}/messages"),
        &t.widget,
        Some(fresh),
        None,
    )
    .await;
    assert_eq!(s, 200);
    // Another widget key gets 403 even with the token; staff need none.
    let (s, _) = call(
        &t,
        &c,
        Method::GET,
        &format!("/v1/conversations/{id}"),
        &t.widget2,
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, v) = call(
        &t,
        &c,
        Method::GET,
        &format!("/v1/conversations/{id}"),
        &t.agent,
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(v.get("token").is_none(), "{v}");
    t.stop().await;
}

#[tokio::test]
async fn conversation_token_is_required_on_sqlite() {
    conversation_token_is_required(start_with(None, test_config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversation_token_is_required_on_postgres() {
    let Some(base) = pg_url_or_skip("conversation_token_is_required_on_postgres") else {
        return;
    };
    let url = fresh_pg_database(&base).await.unwrap();
    conversation_token_is_required(start_with(Some(url), test_config()).await).await;
}

fn limited(public: PublicLimits) -> ServerConfig {
    ServerConfig {
        rate_limit_per_sec: 1,
        rate_limit_burst: 5,
        public,
        ..test_config()
    }
}

#[tokio::test]
async fn a_widget_key_is_limited_per_client_not_for_everyone() {
    let t = start_with(None, limited(PublicLimits::default())).await;
    let (flooder, polite) = (client_from(2), client_from(3));
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let s = settings(&t, &flooder, &t.widget).await;
        statuses.push(s);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    let (s, v) = call(
        &t,
        &flooder,
        Method::GET,
        "/v1/widget/config",
        &t.widget,
        None,
        None,
    )
    .await;
    assert_eq!(s, 429);
    assert_eq!(v["error"]["code"], "rate_limited");
    // The other visitor has its own budget.
    for _ in 0..5 {
        assert_eq!(settings(&t, &polite, &t.widget).await, 200);
    }
    // A forwarded-for header is not believed unless the server is told to.
    let r = flooder
        .get(format!("{}/v1/widget/config", t.base))
        .bearer_auth(&t.widget)
        .header("x-forwarded-for", "127.0.0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    t.stop().await;
}

#[tokio::test]
async fn a_trusted_proxy_header_names_the_client_when_configured() {
    let t = start_with(
        None,
        limited(PublicLimits {
            trusted_proxy_header: Some("x-forwarded-for".parse().unwrap()),
            ..PublicLimits::default()
        }),
    )
    .await;
    let c = Client::new();
    let get = |xff: &'static str| {
        c.get(format!("{}/v1/widget/config", t.base))
            .bearer_auth(&t.widget)
            .header("x-forwarded-for", xff)
            .send()
    };
    for _ in 0..5 {
        assert_eq!(get("10.0.0.1, 127.0.0.5").await.unwrap().status(), 200);
    }
    assert_eq!(get("10.0.0.1, 127.0.0.5").await.unwrap().status(), 429);
    // The last entry (the one the proxy added) is the client.
    assert_eq!(get("127.0.0.5, 127.0.0.6").await.unwrap().status(), 200);
    t.stop().await;
}

#[tokio::test]
async fn a_conversation_has_its_own_budget() {
    let t = start_with(None, limited(PublicLimits::default())).await;
    let (s, conv) = create(&t, &client_from(2)).await;
    assert_eq!(s, 201);
    let id = conv["id"].as_str().unwrap();
    let token = conv["token"].as_str().unwrap();
    let path = format!("/v1/conversations/{id}/messages");
    // Four clients (each within its own budget) share the conversation's five requests.
    let mut statuses = Vec::new();
    for n in 3..7 {
        let c = client_from(n);
        for _ in 0..2 {
            let (s, _) = call(&t, &c, Method::GET, &path, &t.widget, Some(token), None).await;
            statuses.push(s);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
    t.stop().await;
}

#[tokio::test]
async fn conversation_creation_is_capped_per_client() {
    let t = start_public(PublicLimits {
        conversations_per_client_per_hour: 3,
        ..PublicLimits::default()
    })
    .await;
    let flooder = client_from(2);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(create(&t, &flooder).await.0);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let r = flooder
        .post(format!("{}/v1/conversations", t.base))
        .bearer_auth(&t.widget)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=1200).contains(&wait), "{wait}");
    // Only 3 were created; another visitor still can.
    let (s, _) = create(&t, &client_from(3)).await;
    assert_eq!(s, 201);
    let (_, stats) = t
        .json(Method::GET, "/v1/conversations?limit=100", &t.admin, None)
        .await;
    assert_eq!(stats["items"].as_array().unwrap().len(), 4);
    t.stop().await;
}

#[tokio::test]
async fn failed_keys_are_limited_per_client() {
    let t = start_public(PublicLimits {
        failed_keys_per_client_per_minute: 5,
        ..PublicLimits::default()
    })
    .await;
    let guesser = client_from(2);
    let mut statuses = Vec::new();
    for i in 0..7 {
        let s = settings(&t, &guesser, &format!("tk_guess_{i}")).await;
        statuses.push(s);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    // Blocked for a while, even with a good key; other clients are not.
    let s = settings(&t, &guesser, &t.widget).await;
    assert_eq!(s, 429);
    let other = client_from(3);
    let s = settings(&t, &other, &t.widget).await;
    assert_eq!(s, 200);
    let s = settings(&t, &other, "tk_nope").await;
    assert_eq!(s, 401);
    t.stop().await;
}
