//! One visitor floods the public widget key; does a second one still get served? (issue 14,
//! item 1). Bounded and loopback only: the server runs in this process on 127.0.0.1 with its
//! default limits (50 requests/s and a burst of 100 per widget key *and client*, 60 new
//! conversations per client and hour); the flooder's connections come from 127.0.0.2, the polite
//! visitor's from 127.0.0.3.
//!
//!   cargo bench -p tuoke-server --bench flood -- [--seconds 8] [--flooders 4]
//!
//! The flooder's tasks alternate creating conversations and reading the widget settings as fast
//! as they can; the polite visitor, meanwhile, opens a conversation and then reads the settings,
//! sends a message (with the conversation's token) and reads the messages, 5 times a second.
//! Prints both sides' status counts and the polite visitor's success rate.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tuoke_server::ServerConfig;

mod support;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(name: &str, default: u64) -> u64 {
    let v: Vec<String> = std::env::args().collect();
    v.iter()
        .position(|a| a == name)
        .and_then(|i| v.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn client_from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, last]))
        .build()
        .expect("client")
}

type Counts = BTreeMap<u16, u64>;

async fn send(r: reqwest::RequestBuilder, counts: &mut Counts) -> Option<Value> {
    // A failed connection counts as status 0.
    let (s, v) = match r.send().await {
        Ok(r) => (r.status().as_u16(), r.json::<Value>().await.ok()),
        Err(_) => (0, None),
    };
    *counts.entry(s).or_default() += 1;
    v
}

fn main() {
    let seconds = arg("--seconds", 8).clamp(1, 60);
    let flooders = arg("--flooders", 4).clamp(1, 16);
    tuoke_server::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let server_rt = support::runtime(2);
    let url = format!("sqlite://{}", dir.path().join("flood.db").display());
    let (addr, _store, widget, _) =
        server_rt.block_on(support::start(&url, ServerConfig::default()));
    let base = format!("http://{addr}");
    let client_rt = support::runtime(1);
    let (flood, polite) = client_rt.block_on(async {
        let end = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for f in 0..flooders {
            let (base, widget) = (base.clone(), widget.clone());
            tasks.push(tokio::spawn(async move {
                let c = client_from(2);
                let mut counts = Counts::new();
                let mut i = f;
                while Instant::now() < end {
                    i += 1;
                    let r = if i % 2 == 0 {
                        c.post(format!("{base}/v1/conversations"))
                            .json(&json!({"language": "zh"}))
                    } else {
                        c.get(format!("{base}/v1/widget/config"))
                    };
                    send(r.bearer_auth(&widget), &mut counts).await;
                }
                counts
            }));
        }
        let polite = {
            let (base, widget) = (base.clone(), widget.clone());
            tokio::spawn(async move {
                let c = client_from(3);
                let mut counts = Counts::new();
                let conv = send(
                    c.post(format!("{base}/v1/conversations"))
                        .bearer_auth(&widget)
                        .json(&json!({"language": "zh"})),
                    &mut counts,
                )
                .await
                .unwrap_or_default();
                let id = conv["id"].as_str().unwrap_or_default().to_string();
                let token = conv["token"].as_str().unwrap_or_default().to_string();
                let mut tick = tokio::time::interval(Duration::from_millis(200));
                let mut i = 0;
                while Instant::now() < end {
                    tick.tick().await;
                    i += 1;
                    let on_conv = |r: reqwest::RequestBuilder| {
                        r.bearer_auth(&widget)
                            .header("x-conversation-token", &token)
                    };
                    send(
                        on_conv(c.get(format!("{base}/v1/widget/config"))),
                        &mut counts,
                    )
                    .await;
                    send(
                        on_conv(c.post(format!("{base}/v1/conversations/{id}/messages"))).json(
                            &json!({"text": "X20多少钱", "client_message_id": format!("p{i}")}),
                        ),
                        &mut counts,
                    )
                    .await;
                    send(
                        on_conv(c.get(format!("{base}/v1/conversations/{id}/messages"))),
                        &mut counts,
                    )
                    .await;
                }
                counts
            })
        };
        let mut flood = Counts::new();
        for t in tasks {
            for (s, n) in t.await.unwrap_or_default() {
                *flood.entry(s).or_default() += n;
            }
        }
        (flood, polite.await.unwrap_or_default())
    });
    let total = |c: &Counts| c.values().sum::<u64>();
    let ok = |c: &Counts| {
        c.iter()
            .filter(|(s, _)| (200..300).contains(*s))
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    println!(
        "flood: seconds={seconds} flooder_tasks={flooders} requests={} statuses={flood:?} conversations_created={}",
        total(&flood),
        // Every second flood request creates a conversation; 201s are the ones that got through.
        flood.get(&201).copied().unwrap_or(0)
    );
    println!(
        "polite visitor: requests={} statuses={polite:?} success_pct={:.2}",
        total(&polite),
        100.0 * ok(&polite) as f64 / total(&polite).max(1) as f64
    );
}
