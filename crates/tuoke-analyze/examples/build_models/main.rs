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
use serde_json::{Value, json};
use tuoke_nlu::{
    ClassWeighting, Example, FeatureConfig, Model, ModelKind, Normalizer, Pooling, TrainConfig,
    train,
};

mod eval;

const SEED: u64 = 20261127;

/// Hyper-parameter with an environment override (`BM_INTENT_DIM=32`), for experiments only; the
/// shipped models are built with the defaults written here.
fn hp(name: &str, default: usize) -> usize {
    std::env::var(format!("BM_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Model kind with an environment override (`BM_DIALECT_KIND=linear`), for experiments only.
fn kind(name: &str, default: ModelKind) -> ModelKind {
    std::env::var(format!("BM_{name}_KIND"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Pooling with an environment override (`BM_DIALECT_POOL=mean`), for experiments only.
fn pooling(name: &str, default: Pooling) -> Pooling {
    match std::env::var(format!("BM_{name}_POOL")).as_deref() {
        Ok("mean") => Pooling::Mean,
        Ok("sqrt") => Pooling::Sqrt,
        _ => default,
    }
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
        polarity: Vec::new(),
    }
}

/// The sentiment model's polarity lexicon: `data/sentiment/words.jsonl` (project), +1 / -1.
fn polarity_lexicon(repo: &Path) -> Result<Vec<(String, i8)>> {
    let mut out = Vec::new();
    for r in read_jsonl(&repo.join("data/sentiment/words.jsonl"))? {
        match r.label.as_str() {
            "positive" => out.push((r.text, 1)),
            "negative" => out.push((r.text, -1)),
            _ => {}
        }
    }
    Ok(out)
}

pub(crate) struct Args {
    pub(crate) repo: PathBuf,
    pub(crate) data: PathBuf,
    pub(crate) out: PathBuf,
    pub(crate) shared: Option<PathBuf>,
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
pub(crate) struct Row {
    pub(crate) text: String,
    pub(crate) label: String,
    pub(crate) extra: Value,
}

pub(crate) fn read_jsonl(path: &Path) -> Result<Vec<Row>> {
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

pub(crate) fn lexicon_pairs(repo: &Path) -> Result<Vec<(String, String)>> {
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
        pooling: pooling("INTENT", Pooling::Mean),
        kind: kind("INTENT", ModelKind::Ensemble),
        svm_c: hp("INTENT_C_PCT", 100) as f32 / 100.0,
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
        epochs: hp("SENTIMENT_EPOCHS", 12),
        dim: hp("SENTIMENT_DIM", 16),
        lr: hp("SENTIMENT_LR_PCT", 30) as f32 / 100.0,
        pooling: pooling("SENTIMENT", Pooling::Mean),
        kind: kind("SENTIMENT", ModelKind::Ensemble),
        svm_c: hp("SENTIMENT_C_PCT", 100) as f32 / 100.0,
        batch_size: 32,
        min_count: 2,
        max_features: hp("SENTIMENT_MAX_FEATURES", 40_000),
        class_weighting: ClassWeighting::SqrtBalanced,
        patience: 3,
        calibrate: true,
        fallback_label: None,
        oos_threshold: None,
        features: FeatureConfig {
            polarity: if hp("SENTIMENT_POLARITY", 1) == 1 {
                polarity_lexicon(&a.repo)?
            } else {
                Vec::new()
            },
            ..features()
        },
        polarity_dropout: hp("SENTIMENT_POL_DROPOUT_PCT", 50) as f32 / 100.0,
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
    let mut rows = read_jsonl(&a.data.join("dialect.train.jsonl"))?;
    // Mandarin twins of Cantonese lines: the Cantonese → Mandarin lexicon applied, kept when no
    // Cantonese evidence is left. Same length, topic and register as the Cantonese line, so the
    // model learns the Cantonese words, not "short sales talk" or "Wikipedia style" (see
    // docs/benchmarks.md: without them short Mandarin chat was called Cantonese).
    let twins_of = std::env::var("BM_DIALECT_TWINS").unwrap_or_else(|_| "project,ctcpc".into());
    let yue_norm = Normalizer::with_lexicon(lexicon_pairs(&a.repo)?)?;
    let base_norm = Normalizer::new();
    let mut twins = Vec::new();
    for r in &rows {
        let src = r.extra.get("src").and_then(Value::as_str).unwrap_or("");
        if r.label != "yue" || src.is_empty() || !twins_of.split(',').any(|s| s == src) {
            continue;
        }
        let mapped = yue_norm.normalize(&r.text);
        let had = tuoke_analyze::dialect::evidence(&base_norm.normalize(&r.text)).score > 0;
        if had && tuoke_analyze::dialect::evidence(&mapped).score == 0 {
            twins.push(Row {
                text: mapped,
                label: "cmn".into(),
                extra: Value::Null,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    twins.retain(|r| seen.insert(r.text.clone()));
    eprintln!(
        "[dialect] {} Mandarin twins of Cantonese lines ({twins_of})",
        twins.len()
    );
    rows.extend(twins);
    let (tr, dev) = split(rows, 30);
    let cfg = TrainConfig {
        seed: SEED,
        epochs: hp("DIALECT_EPOCHS", 8),
        dim: hp("DIALECT_DIM", 8),
        lr: hp("DIALECT_LR_PCT", 30) as f32 / 100.0,
        pooling: pooling("DIALECT", Pooling::Mean),
        kind: kind("DIALECT", ModelKind::Bag),
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
    eval::evaluate_all(&a, &mut report)?;
    fs::write(&report_path, serde_json::to_string_pretty(&report)?)?;
    eprintln!("report: {}", report_path.display());
    Ok(())
}
