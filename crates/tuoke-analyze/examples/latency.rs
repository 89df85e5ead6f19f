//! Per-utterance latency distribution of the full `Analyzer::analyze` on one thread, over the project's
//! intent dev utterances (Mandarin, Cantonese, English; 1,365 texts), 5 rounds after a warm-up round.
//! Complements the criterion bench (`benches/analyze.rs`) with p50/p90/p99 over real, varied inputs.
//!
//! `cargo run --release -p tuoke-analyze --example latency`

use std::time::{Duration, Instant};

use chrono::{FixedOffset, TimeZone};
use tuoke_analyze::Analyzer;

fn main() -> anyhow::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts = Vec::new();
    for v in ["cmn", "yue", "en"] {
        let t = std::fs::read_to_string(root.join(format!("data/intents/{v}.dev.jsonl")))?;
        for line in t.lines().filter(|l| !l.trim().is_empty()) {
            let j: serde_json::Value = serde_json::from_str(line)?;
            if let Some(s) = j["text"].as_str() {
                texts.push(s.to_string());
            }
        }
    }
    let t0 = Instant::now();
    let a = Analyzer::shipped()?;
    tuoke_nlu::warm_up();
    eprintln!(
        "load (models + lexicon + gazetteer + jieba): {:?}",
        t0.elapsed()
    );
    let now = FixedOffset::east_opt(8 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single())
        .ok_or_else(|| anyhow::anyhow!("time"))?;
    for t in &texts {
        let _ = a.analyze(t, now);
    }
    let mut d: Vec<Duration> = Vec::with_capacity(texts.len() * 5);
    for _ in 0..5 {
        for t in &texts {
            let s = Instant::now();
            let r = a.analyze(t, now);
            d.push(s.elapsed());
            std::hint::black_box(r.ok());
        }
    }
    d.sort();
    let q = |p: f64| d[((d.len() as f64 - 1.0) * p) as usize];
    let mean = d.iter().sum::<Duration>() / d.len() as u32;
    println!(
        "{} texts x 5 rounds, one thread: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}, mean {:?}",
        texts.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        d[d.len() - 1],
        mean
    );
    Ok(())
}
