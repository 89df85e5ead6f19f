//! The sales team's workspace (issue 15, items 5–9 and 11) on both engines: the inbox tabs with
//! unread counts (waiting oldest first), assignment between two agents (409 `assigned` until an
//! explicit, audited take-over), notes, close with an outcome, canned replies, search over the
//! customer's fields and every message, masked phones for agents, CSV export, the funnel over a
//! date range and short-lived stream tokens.

mod common;

use common::{TestServer, start_with, test_config};
use reqwest::Method;
use serde_json::{Value, json};
use tuoke_store::Role;
use tuoke_testkit::{fresh_pg_database, pg_url_or_skip};

async fn post(t: &TestServer, key: &str, path: &str, body: Value) -> (u16, Value) {
    t.json(Method::POST, path, key, Some(body)).await
}

async fn get(t: &TestServer, key: &str, path: &str) -> (u16, Value) {
    t.json(Method::GET, path, key, None).await
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["conversation_id"].as_str().unwrap().to_string())
        .collect()
}

async fn workspace_flow(t: TestServer) {
    let bob = t
        .store
        .create_api_key(Role::Agent, "agent-bob")
        .await
        .unwrap()
        .1;
    let alice = t.agent.clone();

    // Two customers ask for a person, one after the other; a third only chats.
    let mut convs = Vec::new();
    for (phone, words) in [
        ("13812345678", "我想买扫地机器人，家里有猫"),
        ("13900001111", "空气净化器有货吗"),
    ] {
        let (s, c) = post(
            &t,
            &t.widget,
            "/v1/conversations",
            json!({"language": "zh", "customer": {"name": format!("客户{}", &phone[7..]), "phone": phone}}),
        )
        .await;
        assert_eq!(s, 201, "{c}");
        let id = c["id"].as_str().unwrap().to_string();
        t.say(&t.widget, &id, words).await;
        t.say(&t.widget, &id, "我要转人工").await;
        convs.push(id);
    }
    let quiet = t.create_conversation(&t.widget).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.say(&t.widget, &quiet, "你好").await;

    // The waiting tab: both, oldest first; counts per tab with unread.
    let (s, inbox) = get(&t, &alice, "/v1/inbox?tab=waiting").await;
    assert_eq!(s, 200, "{inbox}");
    assert_eq!(ids(&inbox), convs, "waiting, oldest first");
    assert_eq!(inbox["counts"]["waiting"]["total"], 2, "{inbox}");
    assert_eq!(inbox["counts"]["waiting"]["unread"], 2);
    assert_eq!(inbox["counts"]["all"]["total"], 3);
    assert_eq!(inbox["counts"]["mine"]["total"], 0);
    let first = &inbox["items"][0];
    assert_eq!(first["handoff"], "requested");
    assert!(first["waiting_since"].is_string(), "{first}");
    assert!(first["unread"].as_i64().unwrap() >= 2, "{first}");
    // Agents see the phone masked, admins in full; the name is shown.
    assert_eq!(first["customer"]["phone"], "138******78");
    assert_eq!(first["customer"]["phone_masked"], true);
    assert_eq!(first["customer"]["name"], "客户5678");
    let (_, as_admin) = get(&t, &t.admin, "/v1/inbox?tab=waiting").await;
    assert_eq!(as_admin["items"][0]["customer"]["phone"], "13812345678");

    // Reading clears the unread mark for that key only.
    let a = &convs[0];
    let (s, _) = post(
        &t,
        &alice,
        &format!("/v1/conversations/{a}/read"),
        json!({"seq": 1000}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, inbox) = get(&t, &alice, "/v1/inbox?tab=waiting").await;
    assert_eq!(inbox["counts"]["waiting"]["unread"], 1, "{inbox}");
    assert_eq!(inbox["items"][0]["unread"], 0);
    let (_, bobs) = get(&t, &bob, "/v1/inbox?tab=waiting").await;
    assert_eq!(bobs["counts"]["waiting"]["unread"], 2);

    // Alice takes over: the conversation is hers.
    let (s, tk) = post(
        &t,
        &alice,
        &format!("/v1/conversations/{a}/takeover"),
        json!({"agent": "Alice"}),
    )
    .await;
    assert_eq!(s, 200, "{tk}");
    let (_, mine) = get(&t, &alice, "/v1/inbox?tab=mine").await;
    assert_eq!(ids(&mine), vec![a.clone()]);
    assert_eq!(mine["items"][0]["owner"]["agent"], "Alice");
    assert_eq!(mine["items"][0]["owner"]["mine"], true);
    let (_, bob_mine) = get(&t, &bob, "/v1/inbox?tab=mine").await;
    assert!(ids(&bob_mine).is_empty());
    let (_, waiting) = get(&t, &bob, "/v1/inbox?tab=waiting").await;
    assert_eq!(
        ids(&waiting),
        vec![convs[1].clone()],
        "taken ones wait no more"
    );

    // Bob cannot post, release, close or plainly take it over: 409 assigned, in the envelope.
    for (path, body) in [
        ("agent_messages", json!({"text": "我来吧"})),
        ("release", json!({})),
        ("close", json!({"outcome": "lost"})),
        ("takeover", json!({"agent": "Bob"})),
    ] {
        let (s, e) = post(&t, &bob, &format!("/v1/conversations/{a}/{path}"), body).await;
        assert_eq!(s, 409, "{path}: {e}");
        assert_eq!(e["error"]["code"], "assigned", "{path}: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("Alice"),
            "{e}"
        );
    }
    let (_, ws) = get(&t, &bob, &format!("/v1/conversations/{a}/workspace")).await;
    assert_eq!(ws["owner"]["agent"], "Alice");
    assert_eq!(ws["owner"]["mine"], false);
    assert_eq!(ws["customer"]["phone"], "138******78");
    assert!(ws["summary"]["needs"].is_array(), "{ws}");
    assert!(ws["handoff"]["reason"].is_string(), "{ws}");
    // Alice replies.
    let (s, _) = post(
        &t,
        &alice,
        &format!("/v1/conversations/{a}/agent_messages"),
        json!({"text": "您好，我是Alice"}),
    )
    .await;
    assert_eq!(s, 200);
    // Bob takes it over explicitly: allowed and audited; now Alice is the one refused.
    let (s, tk) = post(
        &t,
        &bob,
        &format!("/v1/conversations/{a}/takeover"),
        json!({"agent": "Bob", "force": true}),
    )
    .await;
    assert_eq!(s, 200, "{tk}");
    let (s, e) = post(
        &t,
        &alice,
        &format!("/v1/conversations/{a}/agent_messages"),
        json!({"text": "还在吗"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("assigned")),
        "{e}"
    );
    let (s, _) = post(
        &t,
        &bob,
        &format!("/v1/conversations/{a}/agent_messages"),
        json!({"text": "我是Bob，接着为您服务"}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, audit) = get(&t, &t.admin, "/v1/audit").await;
    let forced = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "conversation.takeover_forced")
        .unwrap_or_else(|| panic!("audit entry for the explicit take-over: {audit}"));
    assert_eq!(forced["target"], a.as_str());
    assert_eq!(forced["detail"]["from_agent"], "Alice");
    assert_eq!(forced["detail"]["agent"], "Bob");

    // Notes are private and listed on the workspace.
    let (s, n) = post(
        &t,
        &alice,
        &format!("/v1/conversations/{a}/notes"),
        json!({"text": "客户下周搬家，周五前送到"}),
    )
    .await;
    assert_eq!(s, 201, "{n}");
    let (s, _) = post(
        &t,
        &alice,
        &format!("/v1/conversations/{a}/notes"),
        json!({"text": "  "}),
    )
    .await;
    assert_eq!(s, 400);
    let (_, ws) = get(&t, &bob, &format!("/v1/conversations/{a}/workspace")).await;
    assert_eq!(ws["notes"][0]["text"], "客户下周搬家，周五前送到");
    assert_eq!(ws["notes"][0]["author"], "agent-alice");
    let (_, msgs) = get(
        &t,
        &t.widget,
        &format!("/v1/conversations/{a}/messages?after=0"),
    )
    .await;
    assert!(
        !msgs.to_string().contains("周五前送到"),
        "notes never reach the customer"
    );

    // Canned replies of the company.
    let (s, canned) = get(&t, &alice, "/v1/canned_replies").await;
    assert_eq!(s, 200);
    assert!(canned["items"].as_array().unwrap().len() >= 3, "{canned}");
    assert!(canned["items"][0]["text"]["zh"].is_string());

    // Close with an outcome: bad outcome 400, the holder closes, then 409 closed.
    let (s, _) = post(
        &t,
        &bob,
        &format!("/v1/conversations/{a}/close"),
        json!({"outcome": "maybe"}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, c) = post(
        &t,
        &bob,
        &format!("/v1/conversations/{a}/close"),
        json!({"outcome": "won", "note": "10 台"}),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["conversation"]["status"], "closed");
    let (s, _) = post(
        &t,
        &bob,
        &format!("/v1/conversations/{a}/close"),
        json!({"outcome": "won"}),
    )
    .await;
    assert_eq!(s, 409);
    let b = &convs[1];
    let (s, _) = post(
        &t,
        &alice,
        &format!("/v1/conversations/{b}/close"),
        json!({"outcome": "lost"}),
    )
    .await;
    assert_eq!(s, 200);

    // Search: by phone (any punctuation), by a word the customer said in an earlier turn, none.
    let (_, r) = get(&t, &alice, "/v1/inbox?q=139%200000").await;
    assert_eq!(ids(&r), vec![b.clone()], "{r}");
    let (_, r) = get(&t, &alice, &format!("/v1/inbox?q={}", "%E7%8C%AB")).await; // 猫
    assert_eq!(ids(&r), vec![a.clone()], "{r}");
    let (_, r) = get(&t, &alice, "/v1/inbox?q=zzzz-nothing").await;
    assert!(ids(&r).is_empty());
    let (_, r) = get(&t, &alice, "/v1/inbox?status=closed").await;
    assert_eq!(ids(&r).len(), 2);
    let (_, r) = get(&t, &alice, "/v1/inbox?tab=nope").await;
    assert_eq!(r["error"]["code"], "bad_request");
    let all = get(&t, &alice, "/v1/inbox").await.1;
    let row = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["conversation_id"] == a.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["outcome"], "won");
    assert!(
        row["products"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"]["zh"].is_string()),
        "{row}"
    );
    assert_eq!(row["channel"], "web");

    // CSV export of the filtered list: header, one row, masked phone for agents.
    let r = t
        .req(
            Method::GET,
            "/v1/inbox/export?q=13812345678",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].starts_with("conversation_id,customer_name,phone,"),
        "{csv}"
    );
    assert!(
        lines[1].starts_with(&format!("{a},客户5678,138******78,")),
        "{csv}"
    );
    assert!(lines[1].contains(",won,"), "{csv}");
    let csv = t
        .req(
            Method::GET,
            "/v1/inbox/export?q=13812345678",
            Some(&t.admin),
            None,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains(",13812345678,"), "{csv}");

    // The funnel over a date range: today has all three; a past range none.
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(1)).format("%Y-%m-%d");
    let to = (today + chrono::Days::new(1)).format("%Y-%m-%d");
    let (s, f) = get(&t, &alice, &format!("/v1/funnel?from={from}&to={to}")).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["conversations"], 3, "{f}");
    assert_eq!(f["stages"][0]["reached"], 3, "{f}");
    assert_eq!(f["outcomes"]["won"], 1);
    assert_eq!(f["outcomes"]["lost"], 1);
    assert_eq!(f["win_rate"], 0.5);
    assert_eq!(f["handoffs"]["requested"], 2, "{f}");
    assert_eq!(f["handoffs"]["taken"], 1, "{f}");
    assert!(f["handoffs"]["wait_seconds"]["median"].is_i64(), "{f}");
    let bob_row = f["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["agent"] == "Bob")
        .cloned();
    assert_eq!(bob_row.map(|b| b["won"].clone()), Some(json!(1)), "{f}");
    let (_, past) = get(&t, &alice, "/v1/funnel?from=2001-01-01&to=2001-01-31").await;
    assert_eq!(past["conversations"], 0, "{past}");
    let (s, _) = get(&t, &alice, "/v1/funnel?from=2001-02-01&to=2001-01-01").await;
    assert_eq!(s, 400);

    // Stream tokens: a token opens the stream; a tampered one and a missing key do not.
    let (s, tok) = post(&t, &alice, "/v1/stream_token", json!({})).await;
    assert_eq!(s, 200, "{tok}");
    let token = tok["token"].as_str().unwrap();
    assert!(!token.contains(&alice));
    let ok = t
        .client
        .get(format!("{}/v1/events?token={token}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    drop(ok);
    // Change the last character (to a different one: a token ending in '0' stayed valid).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let bad = format!("{}{last}", &token[..token.len() - 1]);
    let r = t
        .client
        .get(format!("{}/v1/events?token={bad}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Tokens are for streams only.
    let r = t
        .client
        .get(format!("{}/v1/inbox?token={token}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_on_sqlite() {
    workspace_flow(start_with(None, test_config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_on_postgres() {
    let Some(base) = pg_url_or_skip("workspace_on_postgres") else {
        return;
    };
    let url = fresh_pg_database(&base).await.unwrap();
    workspace_flow(start_with(Some(url), test_config()).await).await;
}
