//! The customer chat's server side (issue 15, items 1–4): product cards on bot messages that cite
//! a product, quick replies per node/stage, the widget settings (AI assistant, opening hours,
//! handoff wait), the call-back request, the agent's name on take-over events and one script in
//! a Cantonese conversation.

mod common;

use common::start;
use reqwest::Method;
use serde_json::{Value, json};

/// Characters whose Simplified form differs from the Traditional one.
const SIMPLIFIED_ONLY: &[char] = &[
    '这', '们', '说', '么', '还', '没', '为', '发', '货', '价', '钱', '与', '应', '该', '让', '选',
    '样', '点', '东', '车', '门', '问', '题', '时', '间', '处', '动', '关', '净', '气', '栖', '扫',
    '机',
];

fn simplified_chars(s: &str) -> Vec<char> {
    s.chars().filter(|c| SIMPLIFIED_ONLY.contains(c)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_quick_replies_and_widget_config() {
    let t = start().await;
    let (s, cfg) = t
        .json(Method::GET, "/v1/widget/config", &t.widget, None)
        .await;
    assert_eq!(s, 200, "{cfg}");
    assert_eq!(cfg["assistant"], "ai");
    assert!(cfg["availability"]["open"].is_boolean(), "{cfg}");
    // The demo company has opening hours, so there is always a next change within a week.
    assert!(cfg["availability"]["next_change"].is_string(), "{cfg}");
    assert_eq!(cfg["handoff_wait_seconds"], 600);
    assert_eq!(cfg["company"]["name"]["yue"], "雲棲智能家居");

    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    let greet_quick = c["quick_replies"].as_array().expect("quick replies");
    assert!(!greet_quick.is_empty() && greet_quick.len() <= 4, "{c}");

    let r = t.say(&t.widget, id, "你好，X20多少钱？").await;
    let cards = r["reply_message"]["cards"]
        .as_array()
        .unwrap_or_else(|| panic!("a price reply carries a card: {r}"));
    let x20 = cards
        .iter()
        .find(|c| c["product_id"] == "yq-vac-x20")
        .unwrap_or_else(|| panic!("X20 card: {r}"));
    assert_eq!(x20["price"], "¥3,999");
    let facts = x20["facts"].as_array().unwrap();
    assert!((2..=3).contains(&facts.len()), "{x20}");
    assert!(
        x20["cta"]["message"]["zh"]
            .as_str()
            .unwrap()
            .contains("X20")
    );
    // Quick replies follow the stage/node.
    let q = r["quick_replies"].as_array().expect("quick replies");
    assert!(!q.is_empty(), "{r}");
    assert_ne!(
        q, greet_quick,
        "the presentation stage suggests other questions"
    );
    // The same card when the messages are listed (and on the stream).
    let (_, msgs) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}/messages?after=0"),
            &t.widget,
            None,
        )
        .await;
    let listed = msgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == r["reply_message"]["id"])
        .cloned()
        .unwrap();
    assert_eq!(listed["cards"], r["reply_message"]["cards"]);
    // Customer messages never carry cards.
    assert!(r["message"].get("cards").is_none());
    let (_, conv) = t
        .json(
            Method::GET,
            &format!("/v1/conversations/{id}"),
            &t.widget,
            None,
        )
        .await;
    assert_eq!(conv["quick_replies"], r["quick_replies"]);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_request_is_validated_and_stored() {
    let t = start().await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap();
    let cust = c["customer_id"].as_str().unwrap();
    t.say(&t.widget, id, "我要转人工").await;
    let path = format!("/v1/conversations/{id}/callback");
    for bad in [
        json!({"phone": "12"}),
        json!({"phone": "call me maybe"}),
        json!({"phone": "13912345678", "name": "x".repeat(101)}),
        json!({"phone": "13912345678", "extra": 1}),
    ] {
        let (s, v) = t
            .json(Method::POST, &path, &t.widget, Some(bad.clone()))
            .await;
        assert!(s == 400 || s == 422, "{bad} → {s} {v}");
    }
    let (s, v) = t
        .json(
            Method::POST,
            &path,
            &t.widget,
            Some(json!({"name": "王先生", "phone": "139 1234 5678", "preferred_time": "下午"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["callback"]["phone"], "139 1234 5678");
    let slot = &v["conversation"]["state"]["slots"]["callback"];
    assert_eq!(slot["name"], "王先生");
    assert_eq!(slot["preferred_time"], "下午");
    assert!(slot["requested_at"].is_string());
    // The customer record has the name and phone; the dashboard's export shows them.
    let (_, export) = t
        .json(
            Method::GET,
            &format!("/v1/customers/{cust}/export"),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(export["customer"]["phone"], "139 1234 5678", "{export}");
    assert_eq!(export["customer"]["name"], "王先生");
    // Another site's widget may not leave a call-back on this conversation.
    let (s, _) = t
        .json(
            Method::POST,
            &path,
            &t.widget2,
            Some(json!({"phone": "13912345678"})),
        )
        .await;
    assert_eq!(s, 403);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cantonese_conversations_read_one_script() {
    let t = start().await;
    let (s, c) = t
        .json(
            Method::POST,
            "/v1/conversations",
            &t.widget,
            Some(json!({"language": "zh", "dialect": "yue"})),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap();
    let greeting = c["messages"][0]["text"].as_str().unwrap();
    assert!(
        simplified_chars(greeting).is_empty(),
        "greeting in Traditional: {greeting}"
    );
    for q in c["quick_replies"].as_array().unwrap() {
        assert!(simplified_chars(q.as_str().unwrap()).is_empty(), "{q}");
    }
    for text in ["X20 幾錢呀？", "有冇得平啲？", "空氣清新機有咩推介？"] {
        let r = t.say(&t.widget, id, text).await;
        assert_eq!(r["state"]["variety"], "yue", "{r}");
        let reply = r["reply_message"]["text"].as_str().unwrap_or_default();
        assert!(
            simplified_chars(reply).is_empty(),
            "{text} → Simplified in a Cantonese reply: {reply}"
        );
        assert_eq!(r["reply"]["text"], r["reply_message"]["text"]);
        for card in r["reply_message"]["cards"].as_array().into_iter().flatten() {
            let name = card["name"]["yue"].as_str().unwrap();
            assert!(simplified_chars(name).is_empty(), "{card}");
        }
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takeover_event_names_the_agent() {
    use futures_util::StreamExt;
    let t = start().await;
    let c = t.create_conversation(&t.widget).await;
    let id = c["id"].as_str().unwrap().to_string();
    let resp = t
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
    assert_eq!(resp.status(), 200);
    let (s, _) = t
        .json(
            Method::POST,
            &format!("/v1/conversations/{id}/takeover"),
            &t.agent,
            Some(json!({"agent": "小王"})),
        )
        .await;
    assert_eq!(s, 200);
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let event: Value = loop {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("a conversation event in time")
            .expect("stream open")
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(data) = buf
            .split("\n\n")
            .filter(|e| e.contains("event: conversation"))
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .find(|v| v["handoff"] == "taken_over")
        {
            break data;
        }
    };
    assert_eq!(event["agent"], "小王", "{event}");
    t.stop().await;
}
