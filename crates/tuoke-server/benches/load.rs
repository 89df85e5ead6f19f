//! Load generator for the tuoke HTTP API: N concurrent conversations, each sending customer
//! turns back to back, against loopback only, bounded in turns and time.
//!
//!   cargo bench -p tuoke-server --bench load -- [--db sqlite|URL] [--conversations 256]
//!       [--turns 20000] [--seconds 20] [--threads-server 2]
//!
//! It starts the server in this process on 127.0.0.1 (its own Tokio runtime) with the demo
//! company and a fresh SQLite file (or the given PostgreSQL URL, in a fresh database), then drives
//! it over real HTTP/1.1 connections. Afterwards it checks that every turn that got a 200 is in the
//! store and prints turns/s, latency percentiles and the process RSS (idle and under load).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tuoke_server::ServerConfig;
use tuoke_store::{Role, Store};

const TEXTS: [&str; 8] = [
    "你好，X20多少钱？",
    "有没有优惠？买两台能便宜点吗",
    "送货要多久",
    "保修几年",
    "和小米的比怎么样",
    "可以试用吗",
    "我考虑一下",
    "How much is the X20?",
];

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

struct Args {
    db: String,
    conversations: usize,
    turns: u64,
    seconds: u64,
    server_threads: usize,
}

fn args() -> Args {
    let mut a = Args {
        db: "sqlite".into(),
        conversations: 256,
        turns: 20_000,
        seconds: 20,
        server_threads: 2,
    };
    let v: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < v.len() {
        let next = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--db" => a.db = next,
            "--conversations" => a.conversations = next.parse().unwrap_or(256),
            "--turns" => a.turns = next.parse().unwrap_or(20_000),
            "--seconds" => a.seconds = next.parse().unwrap_or(20).min(300),
            "--threads-server" => a.server_threads = next.parse().unwrap_or(2),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    // Server runtime: its own threads, like a separate process would have.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.server_threads)
        .enable_all()
        .build()
        .expect("runtime");
    let url = if a.db == "sqlite" {
        format!("sqlite://{}", dir.path().join("load.db").display())
    } else {
        server_rt
            .block_on(tuoke_store::testing::fresh_pg_database(&a.db))
            .expect("fresh PostgreSQL database")
    };
    let (addr, store, widget, agent) = server_rt.block_on(async {
        let store = Store::connect(&url).await.expect("store");
        let widget = store
            .create_api_key(Role::Widget, "load")
            .await
            .expect("key")
            .1;
        let agent = store
            .create_api_key(Role::Agent, "load-agent")
            .await
            .expect("key")
            .1;
        let company = Arc::new(tuoke_dialogue::Company::demo());
        let analyzer = Arc::new(tuoke_server::analyzer_for(&company).expect("analyzer"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let cfg = ServerConfig {
            rate_limit_per_sec: 0,
            ..ServerConfig::default()
        };
        let server = tuoke_server::start(listener, store.clone(), company, analyzer, cfg)
            .await
            .expect("server");
        let addr = server.addr;
        std::mem::forget(server);
        (addr, store, widget, agent)
    });
    let base = format!("http://{addr}");
    std::thread::sleep(Duration::from_millis(300));
    let rss_idle = rss_kib();

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let peak_rss = Arc::new(AtomicU64::new(rss_idle));
    let (lat, errors, ok_ids, elapsed) = client_rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(a.conversations)
            .build()
            .expect("client");
        // Open the conversations first (not timed).
        let mut convs = Vec::new();
        for _ in 0..a.conversations {
            let r: Value = client
                .post(format!("{base}/v1/conversations"))
                .bearer_auth(&widget)
                .json(&json!({"language": "zh"}))
                .send()
                .await
                .expect("create")
                .json()
                .await
                .expect("json");
            convs.push(r["id"].as_str().expect("id").to_string());
        }
        let sampler = {
            let stop = stop.clone();
            let peak = peak_rss.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        let start = Instant::now();
        let deadline = start + Duration::from_secs(a.seconds);
        let mut tasks = Vec::new();
        for (ci, id) in convs.into_iter().enumerate() {
            let client = client.clone();
            let base = base.clone();
            let widget = widget.clone();
            let done = done.clone();
            let stop = stop.clone();
            let budget = a.turns;
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let mut ok_ids = Vec::new();
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    if done.fetch_add(1, Ordering::Relaxed) >= budget {
                        break;
                    }
                    let text = TEXTS[(ci + i) % TEXTS.len()];
                    i += 1;
                    let t = Instant::now();
                    let r = client
                        .post(format!("{base}/v1/conversations/{id}/messages"))
                        .bearer_auth(&widget)
                        .json(&json!({"text": text}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status() == 200 => {
                            let v: Value = r.json().await.unwrap_or(Value::Null);
                            lat.push(t.elapsed().as_micros() as u64);
                            if let Some(mid) = v["message"]["id"].as_str() {
                                ok_ids.push(mid.to_string());
                            }
                        }
                        _ => errors += 1,
                    }
                }
                (lat, errors, ok_ids)
            }));
        }
        let mut lat = Vec::new();
        let mut errors = 0;
        let mut ok_ids = Vec::new();
        for t in tasks {
            let (l, e, ids) = t.await.expect("task");
            lat.extend(l);
            errors += e;
            ok_ids.extend(ids);
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        let _ = sampler.await;
        // One dashboard-style read to make sure reads still work after the run.
        let _ = client
            .get(format!("{base}/v1/leads?limit=5"))
            .bearer_auth(&agent)
            .send()
            .await;
        (lat, errors, ok_ids, elapsed)
    });
    let mut lat = lat;
    lat.sort_unstable();
    let n = lat.len() as f64;
    let secs = elapsed.as_secs_f64();
    // Every 200'd turn is in the store.
    let missing = server_rt.block_on(async {
        let mut missing = 0;
        for id in &ok_ids {
            if !store.message_exists(id).await.unwrap_or(false) {
                missing += 1;
            }
        }
        missing
    });
    let mean = if lat.is_empty() {
        0.0
    } else {
        lat.iter().sum::<u64>() as f64 / n / 1000.0
    };
    println!(
        "engine={} conversations={} turns_ok={} errors={} seconds={:.2} turns_per_s={:.0} \
         latency_ms p50={:.2} p90={:.2} p99={:.2} max={:.2} mean={:.2} missing_after_run={} \
         rss_idle_mib={:.1} rss_peak_mib={:.1}",
        store.engine().as_str(),
        a.conversations,
        lat.len(),
        errors,
        secs,
        n / secs,
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        mean,
        missing,
        rss_idle as f64 / 1024.0,
        peak_rss.load(Ordering::Relaxed) as f64 / 1024.0,
    );
    println!("note: RSS is of this process (server + load generator together)");
}
