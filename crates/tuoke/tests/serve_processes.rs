//! `tuoke serve` as real processes: two servers on one PostgreSQL racing turns on one
//! conversation, a kill -9 during load (every 200'd turn survives), and a restart that keeps the
//! webhook outbox.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN: &str = "tk_serve_test_admin_0123456789abcdef";

#[path = "common/server.rs"]
mod server;
use server::Proc;

/// `tuoke serve` on `data_dir` (and `database`) with the test's admin key.
fn serve(data_dir: &Path, database: Option<&str>, extra: &[&str]) -> Proc {
    let mut args = vec!["--data-dir", data_dir.to_str().expect("utf-8 temp dir")];
    if let Some(db) = database {
        args.extend(["--database", db]);
    }
    args.extend_from_slice(extra);
    server::serve(&args, Some(ADMIN))
}

async fn key(client: &reqwest::Client, base: &str, role: &str) -> String {
    let r: Value = client
        .post(format!("{base}/v1/api_keys"))
        .bearer_auth(ADMIN)
        .json(&json!({"role": role, "name": format!("{role}-test")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["key"].as_str().unwrap().to_string()
}

async fn create(client: &reqwest::Client, base: &str, widget: &str) -> String {
    let r: Value = client
        .post(format!("{base}/v1/conversations"))
        .bearer_auth(widget)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["id"].as_str().unwrap().to_string()
}

/// Two `tuoke serve` processes on a fresh database of the PostgreSQL server at `base_url`
/// (their data dirs live as long as the returned guard).
async fn two_servers(base_url: &str) -> (Proc, Proc, [tempfile::TempDir; 2]) {
    let url = tuoke_testkit::fresh_pg_database(base_url).await.unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = serve(dirs[0].path(), Some(&url), &[]);
    let b = serve(dirs[1].path(), Some(&url), &[]);
    tuoke_server::install_crypto_provider();
    (a, b, dirs)
}

/// Two `tuoke serve` processes on one PostgreSQL; turns for one conversation alternate between
/// them concurrently. Every turn is stored once, seqs are contiguous, and the engine state
/// counted every turn (no lost update).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_race_on_one_postgres_without_lost_updates() {
    let Some(base_url) = tuoke_testkit::pg_url_or_skip("two_processes_race") else {
        return;
    };
    let (a, b, _dirs) = two_servers(&base_url).await;
    let client = reqwest::Client::new();
    // The customer side talks with the admin key: these tests are about processes and
    // durability; widget keys (conversation tokens, per-client limits) are tested in tuoke-server.
    let widget = ADMIN.to_string();
    let conv = create(&client, &a.base, &widget).await;
    let n = 20;
    let mut tasks = Vec::new();
    for i in 0..n {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let (client, widget, conv) = (client.clone(), widget.clone(), conv.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/v1/conversations/{conv}/messages"))
                .bearer_auth(&widget)
                .json(&json!({"text": format!("问题{i}：X20多少钱")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let msgs: Value = client
        .get(format!("{}/v1/conversations/{conv}/messages", b.base))
        .bearer_auth(&widget)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = msgs["items"].as_array().unwrap();
    let seqs: Vec<i64> = items.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=items.len() as i64).collect::<Vec<_>>());
    let mut texts: Vec<&str> = items
        .iter()
        .filter(|m| m["role"] == "customer")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), n);
    let conv_v: Value = client
        .get(format!("{}/v1/conversations/{conv}", a.base))
        .bearer_auth(&widget)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(conv_v["state"]["turn"].as_u64(), Some(n as u64));
}

/// Two processes on one PostgreSQL: a dashboard stream (`/v1/events`) open on one of them sees
/// the conversation events of a turn taken by the other (LISTEN/NOTIFY between processes), and
/// sees each of them once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_on_one_process_sees_turns_of_another() {
    use futures_util::StreamExt;
    let Some(base_url) = tuoke_testkit::pg_url_or_skip("dashboard_across_processes") else {
        return;
    };
    let (a, b, _dirs) = two_servers(&base_url).await;
    let client = reqwest::Client::new();
    // The customer side talks with the admin key: these tests are about processes and
    // durability; widget keys (conversation tokens, per-client limits) are tested in tuoke-server.
    let widget = ADMIN.to_string();
    let agent = key(&client, &a.base, "agent").await;
    let stream = client
        .get(format!("{}/v1/events", a.base))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    // The conversation is opened and talked to on process B only.
    let conv = create(&client, &b.base, &widget).await;
    let r = client
        .post(format!("{}/v1/conversations/{conv}/messages", b.base))
        .bearer_auth(&widget)
        .json(&json!({"text": "X20多少钱？", "client_message_id": "x1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let turn: Value = r.json().await.unwrap();
    let reply_id = turn["reply_message"]["id"].as_str().unwrap().to_string();
    // A's stream carries B's events: the greeting, the customer message and the reply.
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && !text.contains(&reply_id) {
        match tokio::time::timeout(Duration::from_millis(500), body.next()).await {
            Ok(Some(Ok(b))) => text.push_str(&String::from_utf8_lossy(&b)),
            Ok(_) => break,
            Err(_) => {}
        }
    }
    assert!(
        text.contains(&reply_id),
        "process A's dashboard stream never showed B's reply; got: {text}"
    );
    assert!(
        text.contains(&conv) && text.contains("event: message"),
        "{text}"
    );
    assert_eq!(
        text.matches(&reply_id).count(),
        1,
        "the reply arrived more than once: {text}"
    );
}

/// kill -9 while turns are in flight; after a restart on the same SQLite file, every turn that
/// got a 200 is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_turn() {
    let dir = tempfile::tempdir().unwrap();
    let p = serve(dir.path(), None, &[]);
    tuoke_server::install_crypto_provider();
    let client = reqwest::Client::new();
    // The customer side talks with the admin key: these tests are about processes and
    // durability; widget keys (conversation tokens, per-client limits) are tested in tuoke-server.
    let widget = ADMIN.to_string();
    let mut convs = Vec::new();
    for _ in 0..16 {
        convs.push(create(&client, &p.base, &widget).await);
    }
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let mut tasks = Vec::new();
    for c in convs {
        let (client, widget, base, acked) = (
            client.clone(),
            widget.clone(),
            p.base.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let r = client
                    .post(format!("{base}/v1/conversations/{c}/messages"))
                    .bearer_auth(&widget)
                    .json(&json!({"text": format!("第{i}次：多少钱")}))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status() != 200 {
                    break;
                }
                let Ok(v) = r.json::<Value>().await else {
                    break;
                };
                acked
                    .lock()
                    .unwrap()
                    .push((c.clone(), v["message"]["id"].as_str().unwrap().to_string()));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut p = p;
    let pid = p.child.id();
    // SIGKILL: no shutdown code runs.
    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    let _ = p.child.wait();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "too few turns before the kill: {}",
        acked.len()
    );
    drop(p);
    let p2 = serve(dir.path(), None, &[]);
    let mut by_conv: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (c, m) in &acked {
        by_conv.entry(c.clone()).or_default().push(m.clone());
    }
    for (c, ids) in by_conv {
        let v: Value = client
            .get(format!(
                "{}/v1/conversations/{c}/messages?limit=10000",
                p2.base
            ))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stored: std::collections::HashSet<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        for id in &ids {
            assert!(
                stored.contains(id.as_str()),
                "acknowledged message {id} lost"
            );
        }
    }
    eprintln!(
        "kill -9 test: {} acknowledged turns, all present after restart",
        acked.len()
    );
}

/// A webhook whose receiver is down stays in the outbox across a restart and is delivered, signed,
/// once the receiver is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_outbox_survives_restart() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    // Reserve a port for the receiver, then close it so the first deliveries fail.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let p = serve(
        dir.path(),
        None,
        &[
            "--webhook-backoff-ms",
            "200",
            "--webhook-allow",
            "127.0.0.1",
        ],
    );
    tuoke_server::install_crypto_provider();
    let client = reqwest::Client::new();
    // The customer side talks with the admin key: these tests are about processes and
    // durability; widget keys (conversation tokens, per-client limits) are tested in tuoke-server.
    let widget = ADMIN.to_string();
    let r = client
        .post(format!("{}/v1/webhooks", p.base))
        .bearer_auth(ADMIN)
        .json(&json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["*"], "secret": "hook-secret-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let conv = create(&client, &p.base, &widget).await;
    // An explicit request for a human hands off (webhook handoff.requested).
    for text in ["我要转人工", "找人工客服"] {
        let r = client
            .post(format!("{}/v1/conversations/{conv}/messages", p.base))
            .bearer_auth(&widget)
            .json(&json!({"text": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let outbox: Value = client
        .get(format!("{}/v1/webhooks/outbox", p.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let queued = outbox["items"].as_array().unwrap().len();
    assert!(queued >= 1, "no webhook queued: {outbox}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(p); // the process is killed with deliveries still pending

    // Receiver up, server restarted: the outbox is delivered.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let p2 = serve(
        dir.path(),
        None,
        &[
            "--webhook-backoff-ms",
            "200",
            "--webhook-allow",
            "127.0.0.1",
        ],
    );
    let (mut sock, _) = tokio::time::timeout(Duration::from_secs(60), listener.accept())
        .await
        .expect("no delivery within 60 s")
        .unwrap();
    let mut buf = vec![0u8; 65536];
    let mut got = Vec::new();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        got.extend_from_slice(&buf[..n]);
        let s = String::from_utf8_lossy(&got);
        if let Some(h) = s.find("\r\n\r\n") {
            let len: usize = s[..h]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if got.len() >= h + 4 + len {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    let s = String::from_utf8_lossy(&got).to_string();
    let (head, body) = s.split_once("\r\n\r\n").unwrap();
    let sig = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("x-tuoke-signature:")
                .then(|| l.split_once(':').unwrap().1.trim().to_string())
        })
        .expect("signature header");
    assert!(
        tuoke_server::webhooks::verify("hook-secret-1", &sig, body),
        "bad signature"
    );
    let v: Value = serde_json::from_str(body).unwrap();
    assert!(
        v["event"] == "handoff.requested" || v["event"] == "lead.grade_changed",
        "{v}"
    );
    drop(p2);
}
