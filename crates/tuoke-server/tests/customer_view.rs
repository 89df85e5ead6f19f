//! A public (widget) key sees what a customer should (issue 14, item 5): no playbook, competitor
//! talking points, lead score or evidence, analysis, handoff summary or private notes — on every
//! path a widget reads (company, conversation, turn, messages, event stream, call-back).

mod common;

use std::time::Duration;

use common::{TestServer, start_with, test_config};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::json;
use tuoke_testkit::{fresh_pg_database, pg_url_or_skip};

/// Words that only staff views contain.
const INTERNAL: [&str; 9] = [
    "\"lead\"",
    "\"score\"",
    "\"evidence\"",
    "\"analysis\"",
    "\"counters\"",
    "\"playbook\"",
    "\"competitors\"",
    "\"summary\"",
    "\"max_pct\"",
];

fn assert_customer_view(what: &str, v: &str) {
    for w in INTERNAL {
        assert!(!v.contains(w), "{what} shows {w} to a widget key: {v}");
    }
}

/// The event stream's text until `until` appears in it (or 10 s pass).
async fn stream_until(resp: reqwest::Response, until: &str) -> String {
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !buf.contains(until) {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(chunk))) => buf.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    buf
}

async fn customer_view(t: TestServer) {
    let (s, comp) = t.json(Method::GET, "/v1/company", &t.widget, None).await;
    assert_eq!(s, 200);
    assert_customer_view("company", &comp.to_string());
    assert!(!comp["products"].as_array().unwrap().is_empty());
    assert!(!comp["faqs"].as_array().unwrap().is_empty());
    let (_, staff) = t.json(Method::GET, "/v1/company", &t.agent, None).await;
    assert!(staff["playbook"].is_object() && staff["competitors"].is_array());
    assert!(staff["products"][0]["discount"]["max_pct"].is_number());

    let c = t.create_conversation(&t.widget).await;
    assert_customer_view("a new conversation", &c.to_string());
    let id = c["id"].as_str().unwrap().to_string();
    let events = t
        .client
        .get(format!("{}/v1/conversations/{id}/events", t.base))
        .bearer_auth(&t.widget)
        .header(
            "x-conversation-token",
            t.token_header(&format!("/v1/conversations/{id}")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    // A turn that moves the lead and asks for a person (staff get lead and handoff events).
    let r = t
        .say(
            &t.widget,
            &id,
            "和小米的比怎么样？我想买两台，电话13912345678",
        )
        .await;
    assert_customer_view("a turn", &r.to_string());
    assert!(r["reply"]["text"].is_string() && r["state"]["variety"].is_string());
    let r = t.say(&t.widget, &id, "我要找人工客服").await;
    assert_customer_view("a turn", &r.to_string());
    assert_eq!(r["state"]["handoff"], "requested", "{r}");
    let (s, note) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/notes"),
            &t.agent,
            Some(json!({"text": "私人备注：预算高"})),
        )
        .await;
    assert_eq!(s, 201, "{note}");
    let (s, cb) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/callback"),
            &t.widget,
            Some(json!({"phone": "13912345678"})),
        )
        .await;
    assert_eq!(s, 200, "{cb}");
    assert_customer_view("a call-back", &cb.to_string());
    assert_eq!(
        cb["conversation"]["state"]["slots"]["callback"]["phone"],
        "13912345678"
    );
    // The stream up to the call-back event: messages and handoff without internals, no note.
    let text = stream_until(events, "event: callback").await;
    assert!(text.contains("event: callback"), "{text}");
    assert!(text.contains("event: handoff"), "{text}");
    assert!(text.contains("event: message"), "{text}");
    assert!(
        !text.contains("event: lead") && !text.contains("event: note"),
        "{text}"
    );
    assert!(!text.contains("私人备注"), "{text}");
    assert_customer_view("the event stream", &text);

    let path = format!("/v1/conversations/{id}");
    let (s, conv) = t.json(Method::GET, &path, &t.widget, None).await;
    assert_eq!(s, 200);
    assert_customer_view("the conversation", &conv.to_string());
    assert!(conv["state"].get("history").is_none(), "{conv}");
    assert!(
        conv["state"]
            .get("slots")
            .is_some_and(|s| s.get("phone").is_none()),
        "{conv}"
    );
    let (s, msgs) = t
        .json(Method::GET, &format!("{path}/messages"), &t.widget, None)
        .await;
    assert_eq!(s, 200);
    assert_customer_view("the messages", &msgs.to_string());
    assert_eq!(msgs["items"].as_array().unwrap().len(), 5);
    // Staff still see it all.
    let (_, conv) = t.json(Method::GET, &path, &t.agent, None).await;
    assert!(conv["lead"]["score"].is_number() && conv["state"]["counters"].is_object());
    let (_, msgs) = t
        .json(Method::GET, &format!("{path}/messages"), &t.agent, None)
        .await;
    assert!(msgs["items"][1]["analysis"]["intent"]["label"].is_string());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_keys_get_the_customer_view_on_sqlite() {
    customer_view(start_with(None, test_config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_keys_get_the_customer_view_on_postgres() {
    let Some(base) = pg_url_or_skip("widget_keys_get_the_customer_view_on_postgres") else {
        return;
    };
    let url = fresh_pg_database(&base).await.unwrap();
    customer_view(start_with(Some(url), test_config()).await).await;
}
