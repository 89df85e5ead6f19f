//! Trains, quantizes, evaluates and writes the three shipped models (intent, sentiment, dialect).
//!
//! Run through `scripts/build-models.sh`, which first prepares the dialect and sentiment training sets
//! (`scripts/prep-*.py`) into `--data`. Everything here is deterministic for the fixed seed.
//!
//! ```text
//! cargo run --release -p tuoke-analyze --example build_models -- \
//!     --repo . --data target/model-data --out models [--shared ../shared] [--only intent,sentiment,dialect]
//! ```
//! Writes `models/{intent,sentiment,dialect}.tkm` and `target/model-data/report.json` (all metrics).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{FixedOffset, TimeZone};
use serde_json::{Value, json};
use tuoke_analyze::Analyzer;
use tuoke_core::Dialect;
use tuoke_nlu::{
    ClassWeighting, Example, FeatureConfig, Model, Normalizer, TrainConfig, evaluate, train,
};

const SEED: u64 = 20261127;

/// Hyper-parameter with an environment override (`BM_INTENT_DIM=32`), for experiments only; the
/// shipped models are built with the defaults written here.
fn hp(name: &str, default: usize) -> usize {
    std::env::var(format!("BM_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The one feature config every shipped model uses, so the analyzer computes features once.
fn features() -> FeatureConfig {
    FeatureConfig {
        char_ngram_min: 1,
        char_ngram_max: hp("CHAR_MAX", 3) as u8,
        words: true,
        word_bigrams: hp("WORD_BIGRAMS", 1) == 1,
        boundaries: true,
        hash_bits: hp("HASH_BITS", 20) as u8,
        lexicon: Vec::new(),
    }
}

struct Args {
    repo: PathBuf,
    data: PathBuf,
    out: PathBuf,
    shared: Option<PathBuf>,
    only: Vec<String>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        repo: PathBuf::from("."),
        data: PathBuf::from("target/model-data"),
        out: PathBuf::from("models"),
        shared: None,
        only: vec!["intent".into(), "sentiment".into(), "dialect".into()],
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--repo" => a.repo = v.into(),
            "--data" => a.data = v.into(),
            "--out" => a.out = v.into(),
            "--shared" => a.shared = Some(v.into()),
            "--only" => a.only = v.split(',').map(str::to_string).collect(),
            _ => bail!("unknown argument {k}"),
        }
    }
    Ok(a)
}

#[derive(Clone)]
struct Row {
    text: String,
    label: String,
    extra: Value,
}

fn read_jsonl(path: &Path) -> Result<Vec<Row>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: bad JSON", path.display(), i + 1))?;
        let t = v
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let l = v
            .get("label")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if t.is_empty() || l.is_empty() {
            continue;
        }
        out.push(Row {
            text: t,
            label: l,
            extra: v,
        });
    }
    Ok(out)
}

fn examples(rows: &[Row]) -> Vec<Example> {
    rows.iter()
        .map(|r| Example::new(r.text.clone(), r.label.clone()))
        .collect()
}

/// Deterministic split: every `k`-th row (by a stable hash of its text) goes to the second part.
fn split(rows: Vec<Row>, k: u64) -> (Vec<Row>, Vec<Row>) {
    rows.into_iter().partition(|r| {
        let h = r.text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        h % k != 0
    })
}

fn fit(name: &str, tr: &[Example], dev: &[Example], cfg: &TrainConfig) -> Result<Model> {
    let t0 = std::time::Instant::now();
    let m = train(tr, Some(dev), cfg, &mut |p| {
        eprintln!(
            "  [{name}] epoch {}/{} loss {:.4} dev acc {:?}",
            p.epoch, p.epochs, p.train_loss, p.dev_accuracy
        )
    })
    .with_context(|| format!("training {name}"))?;
    let q = m.quantize();
    eprintln!(
        "[{name}] {} train / {} dev, {} rows x dim {}, {:.1}s",
        tr.len(),
        dev.len(),
        q.num_rows(),
        q.dim(),
        t0.elapsed().as_secs_f32()
    );
    Ok(q)
}

fn write_model(out: &Path, name: &str, m: &Model) -> Result<u64> {
    let p = out.join(format!("{name}.tkm"));
    let bytes = m.to_bytes();
    fs::write(&p, &bytes).with_context(|| format!("writing {}", p.display()))?;
    Ok(bytes.len() as u64)
}

fn lexicon_pairs(repo: &Path) -> Result<Vec<(String, String)>> {
    let t = fs::read_to_string(repo.join("data/lexicon/yue_cmn.tsv"))?;
    Ok(tuoke_analyze::lexicon::parse_tsv(&t)?)
}

fn build_intent(a: &Args, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let yue_norm = Normalizer::with_lexicon(lexicon_pairs(&a.repo)?)?;
    // The dev split (data/intents/*.dev.jsonl) is only for the report: early stopping, temperature
    // and the out-of-scope threshold use a holdout of 1 in 10 training rows instead.
    let mut tr = Vec::new();
    let mut dev = Vec::new();
    let push = |dst: &mut Vec<Example>, v: &str, r: &Row, both: bool| {
        if v == "yue" {
            // Cantonese: the lexicon-mapped text (what the analyzer feeds the model when the dialect
            // model says yue) and, for training, the raw text too, so a Cantonese turn the dialect
            // model misses is still understood.
            let mapped = yue_norm.normalize(&r.text);
            if both && mapped != r.text {
                dst.push(Example::new(r.text.clone(), r.label.clone()));
            }
            dst.push(Example::new(mapped, r.label.clone()));
        } else {
            dst.push(Example::new(r.text.clone(), r.label.clone()));
        }
    };
    for v in ["cmn", "yue", "en"] {
        let rows = read_jsonl(&a.repo.join(format!("data/intents/{v}.train.jsonl")))?;
        let (t, d) = split(rows, 10);
        for r in &t {
            push(&mut tr, v, r, true);
        }
        for r in &d {
            push(&mut dev, v, r, false);
        }
    }
    let cfg = TrainConfig {
        seed: SEED,
        epochs: hp("INTENT_EPOCHS", 40),
        dim: hp("INTENT_DIM", 32),
        lr: hp("INTENT_LR_PCT", 50) as f32 / 100.0,
        batch_size: 16,
        min_count: hp("INTENT_MIN_COUNT", 1) as u32,
        max_features: hp("INTENT_MAX_FEATURES", 200_000),
        class_weighting: ClassWeighting::SqrtBalanced,
        patience: 6,
        calibrate: true,
        fallback_label: Some(tuoke_core::OUT_OF_SCOPE.to_string()),
        oos_threshold: None,
        features: features(),
        ..TrainConfig::default()
    };
    let m = fit("intent", &tr, &dev, &cfg)?;
    let size = write_model(&a.out, "intent", &m)?;
    report.insert(
        "intent_model".into(),
        json!({"bytes": size, "rows": m.num_rows(), "dim": m.dim(), "train_examples": tr.len(),
               "threshold": m.oos_threshold().map(|o| o.threshold)}),
    );
    Ok(())
}

fn build_sentiment(a: &Args, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let rows = read_jsonl(&a.data.join("sentiment.train.jsonl"))?;
    let (tr, dev) = split(rows, 20);
    let cfg = TrainConfig {
        seed: SEED,
        epochs: 12,
        dim: hp("SENTIMENT_DIM", 16),
        lr: 0.3,
        batch_size: 32,
        min_count: 2,
        max_features: hp("SENTIMENT_MAX_FEATURES", 40_000),
        class_weighting: ClassWeighting::SqrtBalanced,
        patience: 3,
        calibrate: true,
        fallback_label: None,
        oos_threshold: None,
        features: features(),
        ..TrainConfig::default()
    };
    let m = fit("sentiment", &examples(&tr), &examples(&dev), &cfg)?;
    let size = write_model(&a.out, "sentiment", &m)?;
    report.insert(
        "sentiment_model".into(),
        json!({"bytes": size, "rows": m.num_rows(), "dim": m.dim(), "train_examples": tr.len()}),
    );
    Ok(())
}

fn build_dialect(a: &Args, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let rows = read_jsonl(&a.data.join("dialect.train.jsonl"))?;
    let (tr, dev) = split(rows, 30);
    let cfg = TrainConfig {
        seed: SEED,
        epochs: 8,
        dim: hp("DIALECT_DIM", 8),
        lr: 0.3,
        batch_size: 32,
        min_count: 2,
        max_features: hp("DIALECT_MAX_FEATURES", 30_000),
        class_weighting: ClassWeighting::Balanced,
        patience: 2,
        calibrate: true,
        fallback_label: None,
        oos_threshold: None,
        features: features(),
        ..TrainConfig::default()
    };
    let m = fit("dialect", &examples(&tr), &examples(&dev), &cfg)?;
    let size = write_model(&a.out, "dialect", &m)?;
    report.insert(
        "dialect_model".into(),
        json!({"bytes": size, "rows": m.num_rows(), "dim": m.dim(), "train_examples": tr.len()}),
    );
    Ok(())
}

/// Evaluate the full pipeline of the analyzer built from the written model files.
fn evaluate_all(a: &Args, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let load = |n: &str| {
        Model::load(a.out.join(format!("{n}.tkm"))).with_context(|| format!("loading {n}"))
    };
    let an = Analyzer::from_parts(
        load("intent")?,
        load("sentiment")?,
        load("dialect")?,
        lexicon_pairs(&a.repo)?,
        tuoke_analyze::gazetteer::demo()?,
    )?;
    let now = FixedOffset::east_opt(8 * 3600)
        .context("tz")?
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .single()
        .context("time")?;

    // Intent: dev split of every variety, through the whole analyzer (dialect decides the lexicon).
    let mut gold = Vec::new();
    let mut pred = Vec::new();
    let mut per_variety = BTreeMap::new();
    for v in ["cmn", "yue", "en"] {
        let rows = read_jsonl(&a.repo.join(format!("data/intents/{v}.dev.jsonl")))?;
        let (mut ok, mut n) = (0usize, 0usize);
        for r in &rows {
            let p = match an.analyze(&r.text, now) {
                Ok(x) => x.intent.label,
                Err(_) => "<error>".to_string(),
            };
            n += 1;
            ok += usize::from(p == r.label);
            gold.push(r.label.clone());
            pred.push(p);
        }
        per_variety.insert(
            v.to_string(),
            json!({"accuracy": ok as f64 / n.max(1) as f64, "n": n}),
        );
    }
    let m = evaluate(&gold, &pred, Some(tuoke_core::OUT_OF_SCOPE))?;
    eprintln!(
        "intent dev: accuracy {:.4} macro-F1 {:.4} {per_variety:?}",
        m.accuracy, m.macro_f1
    );
    report.insert(
        "intent_dev".into(),
        json!({"metrics": m, "per_variety": per_variety}),
    );

    // Dialect dev set (held-out Cantonese + CrossWOZ Mandarin, both scripts).
    let dev_path = a.data.join("dialect.dev.jsonl");
    if dev_path.exists() {
        let rows = read_jsonl(&dev_path)?;
        let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for r in &rows {
            let (d, _) = an.dialect_of(&r.text);
            let ok = (d == Dialect::Yue) == (r.label == "yue");
            let script = r.extra.get("script").and_then(Value::as_str).unwrap_or("?");
            let marked = r
                .extra
                .get("marked")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let mut keys = vec![
                "all".to_string(),
                format!("{}_{}", r.label, script),
                r.label.clone(),
            ];
            if r.label == "cmn" || marked {
                keys.push("identifiable".into());
            }
            if r.label == "yue" && marked {
                keys.push("yue_marked".into());
            }
            for k in keys {
                let e = groups.entry(k).or_default();
                e.0 += usize::from(ok);
                e.1 += 1;
            }
        }
        let g: BTreeMap<String, Value> = groups
            .into_iter()
            .map(|(k, (ok, n))| (k, json!({"accuracy": ok as f64 / n.max(1) as f64, "n": n})))
            .collect();
        eprintln!("dialect dev: {g:?}");
        report.insert("dialect_dev".into(), json!(g));
    }

    // Sentiment on ChnSentiCorp test (never trained on).
    if let Some(sh) = &a.shared {
        let p = sh.join("datasets/chnsenticorp_sentiment_zh/test.jsonl");
        if p.exists() {
            let rows = read_jsonl(&p)?;
            let (mut ok3, mut ok2, mut neutral) = (0usize, 0usize, 0usize);
            for r in &rows {
                let s = an.analyze(&r.text, now).map(|x| x.sentiment);
                let (label, score) = match s {
                    Ok(s) => (format!("{:?}", s.label).to_lowercase(), s.score),
                    Err(_) => ("error".into(), 0.0),
                };
                ok3 += usize::from(label == r.label);
                neutral += usize::from(label == "neutral");
                let bin = if score >= 0.0 { "positive" } else { "negative" };
                ok2 += usize::from(bin == r.label);
            }
            let n = rows.len().max(1) as f64;
            let v = json!({"n": rows.len(), "accuracy_label": ok3 as f64 / n,
                           "accuracy_sign_of_score": ok2 as f64 / n, "predicted_neutral": neutral});
            eprintln!("chnsenticorp test: {v}");
            report.insert("sentiment_chnsenticorp_test".into(), v);
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let a = args()?;
    fs::create_dir_all(&a.out)?;
    let report_path = a.data.join("report.json");
    let mut report: BTreeMap<String, Value> = fs::read_to_string(&report_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if a.only.iter().any(|s| s == "intent") {
        build_intent(&a, &mut report)?;
    }
    if a.only.iter().any(|s| s == "sentiment") {
        build_sentiment(&a, &mut report)?;
    }
    if a.only.iter().any(|s| s == "dialect") {
        build_dialect(&a, &mut report)?;
    }
    evaluate_all(&a, &mut report)?;
    fs::write(&report_path, serde_json::to_string_pretty(&report)?)?;
    eprintln!("report: {}", report_path.display());
    Ok(())
}
