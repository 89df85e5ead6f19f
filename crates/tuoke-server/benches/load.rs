//! Load generator for the tuoke HTTP API: N concurrent conversations, each sending customer
//! turns back to back, against loopback only, bounded in turns and time.
//!
//!   cargo bench -p tuoke-server --bench load -- [--db sqlite|URL] [--conversations 256]
//!       [--turns 20000] [--seconds 20] [--threads-server 2] [--rate TURNS_PER_S] [--warmup 1]
//!       [--no-dashboard] [--series] [--resend-window-secs N]
//!       [--url http://127.0.0.1:8080 --widget-key K --agent-key K [--server-pid PID]]
//!
//! With `--url` it drives an already running `tuoke serve` instead (RSS and CPU are then read
//! from `/proc/PID` of `--server-pid`, and the stored-turn check goes through the API).
//!
//! Without `--rate` every conversation sends its next turn as soon as the last one is answered
//! (closed loop: shows the most the server can do; latency is then queueing, 256 / throughput).
//! With `--rate` the conversations together offer that many turns per second on a fixed
//! schedule (open loop, like customers who type at their own pace), and latency is measured from
//! each turn's due time.
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
use tuoke_store::Store;

mod support;

// The same allocator as the `tuoke` binary, so the numbers are those of `tuoke serve`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

#[derive(serde::Deserialize)]
struct TurnReply {
    message: Option<StoredMessage>,
}

#[derive(serde::Deserialize)]
struct StoredMessage {
    id: String,
}

/// `/proc/<pid>` of the measured server: this process, or `--server-pid`.
fn proc_dir(pid: Option<u32>) -> String {
    pid.map_or("/proc/self".to_string(), |p| format!("/proc/{p}"))
}

/// CPU time (user + system) the server process has used so far, in seconds (all threads).
fn cpu_seconds(pid: Option<u32>) -> f64 {
    let ticks = std::fs::read_to_string(format!("{}/stat", proc_dir(pid)))
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and may contain spaces.
            let rest = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    // USER_HZ is 100 on Linux.
    ticks as f64 / 100.0
}

fn rss_kib(pid: Option<u32>) -> u64 {
    std::fs::read_to_string(format!("{}/status", proc_dir(pid)))
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
    dashboard: bool,
    /// Print latency per half second of the run (shows stalls that percentiles hide).
    series: bool,
    /// Drive a running `tuoke serve` at this base URL instead of an in-process server.
    url: Option<String>,
    widget_key: String,
    agent_key: String,
    /// Its process id, for RSS and CPU.
    server_pid: Option<u32>,
    /// Offered load in turns/s over all conversations (open loop); 0 = closed loop, each
    /// conversation sends its next turn as soon as the last one is answered.
    rate: f64,
    /// Turns sent in the first `warmup` seconds are stored and checked but not timed (cold
    /// caches: every conversation's first turn reads it from the database).
    warmup: f64,
    /// The server's resend window in seconds (0: the default, 24 h); with a short one the
    /// retention sweep runs during the load, every quarter window.
    resend_window_secs: u64,
}

fn args() -> Args {
    let mut a = Args {
        db: "sqlite".into(),
        conversations: 256,
        turns: 20_000,
        seconds: 20,
        server_threads: 2,
        dashboard: true,
        series: false,
        url: None,
        widget_key: String::new(),
        agent_key: String::new(),
        server_pid: None,
        rate: 0.0,
        warmup: 1.0,
        resend_window_secs: 0,
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
            "--rate" => a.rate = next.parse::<f64>().unwrap_or(0.0).max(0.0),
            "--url" => a.url = Some(next.trim_end_matches('/').to_string()),
            "--widget-key" => a.widget_key = next,
            "--agent-key" => a.agent_key = next,
            "--server-pid" => a.server_pid = next.parse().ok(),
            "--warmup" => a.warmup = next.parse::<f64>().unwrap_or(1.0).clamp(0.0, 60.0),
            "--resend-window-secs" => a.resend_window_secs = next.parse().unwrap_or(0),
            "--no-dashboard" => {
                a.dashboard = false;
                i += 1;
                continue;
            }
            "--series" => {
                a.series = true;
                i += 1;
                continue;
            }
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
    // reqwest is built with rustls and no default provider (see tuoke-server's Cargo.toml).
    tuoke_server::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    // Server runtime: its own threads, like a separate process would have.
    let server_rt = support::runtime(a.server_threads);
    let pid = a.server_pid;
    let (base, store, widget, agent) = if let Some(url) = &a.url {
        (url.clone(), None, a.widget_key.clone(), a.agent_key.clone())
    } else {
        let (addr, store, widget, agent) = start_server(&a, &server_rt, &dir);
        (format!("http://{addr}"), Some(store), widget, agent)
    };
    std::thread::sleep(Duration::from_millis(300));
    let rss_idle = rss_kib(pid);
    let in_process_sqlite = a.url.is_none() && a.db == "sqlite";
    let stored = run(a, server_rt, base, store, widget, agent, rss_idle);
    if in_process_sqlite {
        // What the run left on disk: the database file and its WAL.
        let size = |name: &str| {
            std::fs::metadata(dir.path().join(name)).map_or(0, |m| m.len()) as f64 / 1048576.0
        };
        let (db, wal) = (size("load.db"), size("load.db-wal"));
        println!(
            "database: file_mib={db:.1} wal_mib={wal:.1} kib_per_stored_turn={:.2}",
            (db + wal) * 1024.0 / stored.max(1) as f64
        );
    }
}

/// Starts the server in this process (fresh SQLite file in `dir`, or a fresh PostgreSQL database);
/// returns its address, the store and a widget and an agent key.
fn start_server(
    a: &Args,
    server_rt: &tokio::runtime::Runtime,
    dir: &tempfile::TempDir,
) -> (std::net::SocketAddr, Store, String, String) {
    let url = if a.db == "sqlite" {
        format!("sqlite://{}", dir.path().join("load.db").display())
    } else {
        server_rt
            .block_on(tuoke_testkit::fresh_pg_database(&a.db))
            .expect("fresh PostgreSQL database")
    };
    let mut cfg = ServerConfig {
        rate_limit_per_sec: 0,
        // All the bench's conversations come from one loopback address.
        public: tuoke_server::public::PublicLimits {
            conversations_per_client_per_hour: 0,
            ..Default::default()
        },
        ..ServerConfig::default()
    };
    if a.resend_window_secs > 0 {
        cfg.resend_window = Some(Duration::from_secs(a.resend_window_secs));
        cfg.retention_interval = Duration::from_millis(a.resend_window_secs.saturating_mul(250));
    }
    server_rt.block_on(support::start(&url, cfg))
}

fn run(
    a: Args,
    server_rt: tokio::runtime::Runtime,
    base: String,
    store: Option<Store>,
    widget: String,
    agent: String,
    rss_idle: u64,
) -> usize {
    let pid = a.server_pid;

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("loadgen")
        .enable_all()
        .build()
        .expect("runtime");
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let peak_rss = Arc::new(AtomicU64::new(rss_idle));
    let (lat, errors, ok_ids, elapsed, event_bytes, cpu, series) = client_rt.block_on(async {
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
            // A widget key needs the conversation's token on each of its turns (issue 14).
            let token = r["token"].as_str().unwrap_or_default().to_string();
            convs.push((r["id"].as_str().expect("id").to_string(), token));
        }
        let sampler = {
            let stop = stop.clone();
            let peak = peak_rss.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        // A sales dashboard is open during the run (it receives every event), unless
        // `--no-dashboard`.
        let dashboard = a.dashboard.then(|| {
            let client = client.clone();
            let base = base.clone();
            let agent = agent.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                use futures_util::StreamExt;
                let mut bytes = 0usize;
                let Ok(r) = client
                    .get(format!("{base}/v1/events"))
                    .bearer_auth(&agent)
                    .send()
                    .await
                else {
                    return 0;
                };
                let mut body = r.bytes_stream();
                while !stop.load(Ordering::Relaxed) {
                    match tokio::time::timeout(Duration::from_millis(200), body.next()).await {
                        Ok(Some(Ok(b))) => bytes += b.len(),
                        Ok(_) => break,
                        Err(_) => {}
                    }
                }
                bytes
            })
        });
        let start = Instant::now();
        let timed_from = start + Duration::from_secs_f64(a.warmup);
        let cpu_start = std::sync::Arc::new(std::sync::Mutex::new(None::<f64>));
        {
            // CPU time is counted from the end of the warm-up, like latency.
            let cpu_start = cpu_start.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(timed_from.into()).await;
                if let Ok(mut c) = cpu_start.lock() {
                    *c = Some(cpu_seconds(pid));
                }
            });
        }
        let deadline = start + Duration::from_secs(a.seconds);
        let mut tasks = Vec::new();
        for (ci, (id, token)) in convs.into_iter().enumerate() {
            let client = client.clone();
            let base = base.clone();
            let widget = widget.clone();
            let done = done.clone();
            let stop = stop.clone();
            let budget = a.turns;
            let want_series = a.series;
            // Open loop: this conversation's turns are due every `period`, staggered so the
            // conversations do not all send at once.
            let period =
                (a.rate > 0.0).then(|| Duration::from_secs_f64(a.conversations as f64 / a.rate));
            let first_due = period.map(|p| start + p.mul_f64(ci as f64 / a.conversations as f64));
            tasks.push(tokio::spawn(async move {
                let mut due = first_due;
                let mut series: Vec<(u64, u64)> = Vec::new();
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
                    // Like the chat widget: every message carries an idempotency key.
                    let cmid = format!("load-{ci}-{i}");
                    // Latency counts from when the turn was due, not from when it could be sent,
                    // so a slow server is not flattered by sending less (coordinated omission).
                    let t = match due {
                        Some(d) => {
                            tokio::time::sleep_until(d.into()).await;
                            d
                        }
                        None => Instant::now(),
                    };
                    if let (Some(d), Some(p)) = (due.as_mut(), period) {
                        *d += p;
                    }
                    if Instant::now() >= deadline {
                        break;
                    }
                    let r = client
                        .post(format!("{base}/v1/conversations/{id}/messages"))
                        .bearer_auth(&widget)
                        .header("x-conversation-token", &token)
                        .json(&json!({"text": text, "client_message_id": cmid}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status() == 200 => {
                            // Only the stored message's id is needed; serde skips the rest
                            // without building it, so the load generator stays cheap.
                            let v: Option<TurnReply> = r.json().await.ok();
                            if t >= timed_from {
                                lat.push(t.elapsed().as_micros() as u64);
                            }
                            if want_series {
                                series.push((
                                    (t - start).as_millis() as u64,
                                    t.elapsed().as_micros() as u64,
                                ));
                            }
                            if let Some(m) = v.and_then(|v| v.message) {
                                ok_ids.push((id.clone(), m.id));
                            }
                        }
                        _ => errors += 1,
                    }
                }
                (lat, errors, ok_ids, series)
            }));
        }
        let mut lat = Vec::new();
        let mut errors = 0;
        let mut ok_ids = Vec::new();
        let mut series = Vec::new();
        for t in tasks {
            let (l, e, ids, ser) = t.await.expect("task");
            series.extend(ser);
            lat.extend(l);
            errors += e;
            ok_ids.extend(ids);
        }
        let elapsed = timed_from.elapsed();
        let cpu_from = cpu_start.lock().ok().and_then(|c| *c).unwrap_or(0.0);
        let cpu = cpu_seconds(pid) - cpu_from;
        stop.store(true, Ordering::Relaxed);
        let _ = sampler.await;
        let event_bytes = match dashboard {
            Some(d) => d.await.unwrap_or(0),
            None => 0,
        };
        // One dashboard-style read to make sure reads still work after the run.
        let _ = client
            .get(format!("{base}/v1/leads?limit=5"))
            .bearer_auth(&agent)
            .send()
            .await;
        (lat, errors, ok_ids, elapsed, event_bytes, cpu, series)
    });
    let mut lat = lat;
    lat.sort_unstable();
    let n = lat.len() as f64;
    let secs = elapsed.as_secs_f64();
    // Every 200'd turn is in the store (asked of the store, or of the external server's API).
    let missing = match &store {
        Some(store) => server_rt.block_on(async {
            let mut missing = 0;
            for (_, id) in &ok_ids {
                if !store.message_exists(id).await.unwrap_or(false) {
                    missing += 1;
                }
            }
            missing
        }),
        None => client_rt.block_on(async {
            let client = reqwest::Client::new();
            let mut by_conv: std::collections::HashMap<&str, Vec<&str>> = Default::default();
            for (c, m) in &ok_ids {
                by_conv.entry(c.as_str()).or_default().push(m.as_str());
            }
            let mut missing = 0;
            for (c, ids) in by_conv {
                let stored: Value = match client
                    .get(format!("{base}/v1/conversations/{c}/messages?limit=10000"))
                    .bearer_auth(&agent)
                    .send()
                    .await
                {
                    Ok(r) => r.json().await.unwrap_or(Value::Null),
                    Err(_) => Value::Null,
                };
                let have: std::collections::HashSet<&str> = stored["items"]
                    .as_array()
                    .map(|v| v.iter().filter_map(|m| m["id"].as_str()).collect())
                    .unwrap_or_default();
                missing += ids.iter().filter(|m| !have.contains(**m)).count();
            }
            missing
        }),
    };
    let stored = ok_ids.len();
    let mean = if lat.is_empty() {
        0.0
    } else {
        lat.iter().sum::<u64>() as f64 / n / 1000.0
    };
    println!(
        "engine={} conversations={} offered_per_s={} turns_ok={} errors={} seconds={:.2} turns_per_s={:.0} \
         latency_ms p50={:.2} p90={:.2} p99={:.2} max={:.2} mean={:.2} missing_after_run={} \
         rss_idle_mib={:.1} rss_peak_mib={:.1} dashboard_event_kib={:.0} cpu_ms_per_turn={:.3}",
        store.as_ref().map_or("external", |s| s.engine().as_str()),
        a.conversations,
        if a.rate > 0.0 {
            format!("{:.0}", a.rate)
        } else {
            "closed-loop".into()
        },
        lat.len(),
        errors,
        secs,
        if secs > 0.0 { n / secs } else { 0.0 },
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        mean,
        missing,
        rss_idle as f64 / 1024.0,
        peak_rss.load(Ordering::Relaxed) as f64 / 1024.0,
        event_bytes as f64 / 1024.0,
        if lat.is_empty() {
            0.0
        } else {
            cpu * 1000.0 / n
        },
    );
    if a.series {
        // Half-second buckets by due time: turns, p50 and max latency (ms), as a text chart.
        let mut buckets: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
        for (at, l) in series {
            buckets.entry(at / 500).or_default().push(l);
        }
        println!("series: from_s turns p50_ms max_ms  (one # per 5 ms of max)");
        for (b, mut v) in buckets {
            v.sort_unstable();
            let max = pct(&v, 1.0);
            println!(
                "series: {:6.1} {:5} {:7.1} {:7.1}  {}",
                b as f64 / 2.0,
                v.len(),
                pct(&v, 0.5),
                max,
                "#".repeat(((max / 5.0).ceil() as usize).min(60))
            );
        }
    }
    if a.url.is_some() && a.server_pid.is_some() {
        println!(
            "note: RSS and CPU are of the server process (--server-pid); cpu_ms_per_turn is its \
             CPU time over the timed run divided by answered turns"
        );
    } else {
        println!(
            "note: RSS and CPU are of this process (server + load generator together); \
             cpu_ms_per_turn is process CPU time over the timed run divided by answered turns"
        );
    }
    stored
}
