//! `tuoke nlu train|eval|predict|quantize` — the scripted contract of the NLU engine.
//!
//! Input files are JSONL, one `{"text": .., "label": ..}` object per line (other keys ignored).
//! Handling of bad input (documented, never a panic):
//! * a line that is not valid UTF-8, not JSON, or lacks a string `text`/`label` → error naming `file:line`;
//! * a text that is empty or only whitespace/control characters → error naming `file:line`;
//! * blank lines are skipped; an empty file (no examples) → error;
//! * a label with a single training example → warning on stderr, training goes on;
//! * very long lines (e.g. 1 MB) are read; only the first `MAX_TEXT_CHARS` (4096) chars of a text are
//!   used as features; lines over 64 MiB are refused.
//! * `predict` on stdin: blank lines are skipped, a non-UTF-8 line is an error naming the line.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use rayon::prelude::*;
use tuoke_nlu::{Example, Metrics, Model, PredictOptions, Prediction, TrainConfig};

use super::examples::{Line, print_table, read_jsonl};

#[derive(Subcommand)]
pub enum NluCommand {
    /// Train a classifier from JSONL ({"text", "label"} per line).
    Train(TrainArgs),
    /// Evaluate a model on a labelled JSONL file.
    Eval(EvalArgs),
    /// Predict labels for TEXT, or for each line of stdin; prints JSONL.
    Predict(PredictArgs),
    /// Convert a model to int8 weights.
    Quantize(QuantizeArgs),
    /// Out-of-scope detection on held-out labels: which score rejects unknown-label texts best.
    OosEval(super::oos::OosEvalArgs),
    /// Fine-tune a transformer teacher (classification head, optional top layers).
    Teach(super::teach::TeachArgs),
    /// Evaluate a teacher on a labelled JSONL file.
    TeachEval(super::teach::TeachEvalArgs),
}

#[derive(Args)]
pub struct TrainArgs {
    /// Training data (JSONL).
    #[arg(long)]
    train: PathBuf,
    /// Dev data (JSONL): early stopping, the ensemble mix, confidence calibration and the OOS
    /// threshold. Without it a linear or ensemble model uses a seeded 10% of --train for those.
    #[arg(long)]
    dev: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Write an int8 model instead of f32.
    #[arg(long)]
    quantize: bool,
    /// Report this label when the confidence is below a threshold chosen on the dev set.
    #[arg(long)]
    fallback_label: Option<String>,
    /// Fixed threshold for --fallback-label (instead of choosing it on dev).
    #[arg(long)]
    threshold: Option<f32>,
    /// The score the threshold applies to: confidence, max_logit, energy or margin (see
    /// `tuoke nlu oos-eval`, which compares them).
    #[arg(long, default_value = "confidence")]
    oos_score: tuoke_nlu::OosScore,
    /// Maximum epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Embedding width.
    #[arg(long)]
    dim: Option<usize>,
    /// Initial learning rate.
    #[arg(long)]
    lr: Option<f32>,
    /// Longest char n-gram (default 3).
    #[arg(long)]
    ngram_max: Option<u8>,
    /// Keep at most this many feature buckets (most frequent).
    #[arg(long)]
    max_features: Option<usize>,
    /// Drop features seen in fewer training texts (embedding bag).
    #[arg(long)]
    min_count: Option<u32>,
    /// Model kind: `ensemble` (embedding bag + linear model, mixed on dev; when the mix lowers the
    /// dev log-loss by less than 1% against one part alone, only that part is kept), `linear`
    /// (TF-IDF features → one-vs-rest linear SVMs) or `bag` (fastText-style embedding bag).
    #[arg(long, default_value = "ensemble")]
    model_kind: tuoke_nlu::ModelKind,
    /// Linear model: SVM regularization C (default 1).
    #[arg(long)]
    svm_c: Option<f32>,
    /// Linear model: keep at most this many feature buckets (default 200000; sparse layout only).
    #[arg(long)]
    linear_max_features: Option<usize>,
    /// Linear model row layout: `0` = one row per kept feature bucket (bucket ids stored), 8..=24 =
    /// hashed table of 2^N slots (no ids stored, idf folded into the weights). Default: for 2-label
    /// sets the smallest 2^N ≥ the distinct training features (N in 8..=24), else 0.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=24))]
    linear_hash_bits: Option<u8>,
}

#[derive(Args)]
pub struct EvalArgs {
    #[arg(long)]
    model: PathBuf,
    /// Labelled test data (JSONL).
    #[arg(long)]
    test: PathBuf,
    /// The out-of-scope label: adds in-scope accuracy and OOS recall/precision.
    #[arg(long)]
    oos_label: Option<String>,
    /// One JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report (per-label table, confusion heat map, worst errors).
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Args)]
pub struct PredictArgs {
    #[arg(long)]
    model: PathBuf,
    /// Labels to list in top_k.
    #[arg(long, default_value_t = 5)]
    top_k: usize,
    /// Text to classify; without it every non-blank stdin line is classified.
    text: Option<String>,
}

#[derive(Args)]
pub struct QuantizeArgs {
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    out: PathBuf,
}

pub fn run(c: NluCommand) -> anyhow::Result<()> {
    match c {
        NluCommand::Train(a) => train(a),
        NluCommand::Eval(a) => eval(a),
        NluCommand::Predict(a) => predict(a),
        NluCommand::Quantize(a) => quantize(a),
        NluCommand::OosEval(a) => super::oos::oos_eval(a),
        NluCommand::Teach(a) => super::teach::teach(a),
        NluCommand::TeachEval(a) => super::teach::teach_eval(a),
    }
}

fn load_model(path: &Path) -> anyhow::Result<Model> {
    Model::load(path).with_context(|| format!("cannot load model {}", path.display()))
}

fn train(a: TrainArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let train_lines = read_jsonl(&a.train)?;
    let dev_lines = a.dev.as_deref().map(read_jsonl).transpose()?;
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for l in &train_lines {
        let e = counts.entry(l.ex.label.as_str()).or_insert((0, l.line));
        e.0 += 1;
    }
    if counts.len() < 2 {
        bail!(
            "{}: every example has the label {:?}; a classifier needs at least two labels",
            a.train.display(),
            counts.keys().next().copied().unwrap_or_default()
        );
    }
    for (label, (n, line)) in &counts {
        if *n == 1 {
            eprintln!(
                "warning: label {label:?} has a single training example ({}:{line}); it is kept but will be hard to learn",
                a.train.display()
            );
        }
    }
    let train_set: Vec<Example> = train_lines.iter().map(|l| l.ex.clone()).collect();
    let dev_set: Option<Vec<Example>> = dev_lines.map(|d| d.into_iter().map(|l| l.ex).collect());
    let mut cfg = TrainConfig {
        seed: a.seed,
        fallback_label: a.fallback_label.clone(),
        oos_threshold: a.threshold,
        oos_score: a.oos_score,
        kind: a.model_kind,
        ..TrainConfig::default()
    };
    if let Some(c) = a.svm_c {
        cfg.svm_c = c;
    }
    if let Some(n) = a.linear_max_features {
        cfg.linear_max_features = n;
    }
    if a.linear_hash_bits.is_some() {
        cfg.linear_hash_bits = a.linear_hash_bits;
    }
    if let Some(e) = a.epochs {
        cfg.epochs = e;
    }
    if let Some(d) = a.dim {
        cfg.dim = d;
    }
    if let Some(lr) = a.lr {
        cfg.lr = lr;
    }
    if let Some(n) = a.ngram_max {
        cfg.features.char_ngram_max = n;
    }
    if let Some(n) = a.max_features {
        cfg.max_features = n;
    }
    if let Some(n) = a.min_count {
        cfg.min_count = n;
    }
    let bar = indicatif::ProgressBar::new(cfg.epochs as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} epoch {pos}/{len} [{bar:30}] {elapsed} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let model = tuoke_nlu::train(&train_set, dev_set.as_deref(), &cfg, &mut |p| {
        bar.set_position(p.epoch as u64);
        match p.dev_accuracy {
            Some(d) => bar.set_message(format!("loss {:.4} dev acc {:.4}", p.train_loss, d)),
            None => bar.set_message(format!("loss {:.4}", p.train_loss)),
        }
    })
    .map_err(|e| match e {
        tuoke_nlu::NluError::EmptyText { index } => anyhow::anyhow!(
            "{}:{}: text has no features after normalization",
            a.train.display(),
            train_lines.get(index).map_or(0, |l| l.line)
        ),
        e => anyhow::Error::new(e).context("training failed"),
    })?;
    bar.finish_and_clear();
    let model = if a.quantize { model.quantize() } else { model };
    model
        .save(&a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    let info = model.train_info();
    let size = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "trained {} labels on {} examples{} in {:.1}s",
        model.labels().len(),
        info.train_examples,
        if info.dev_examples > 0 {
            format!(" (dev {})", info.dev_examples)
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64()
    );
    eprintln!(
        "epochs run {}, kept epoch {}{}",
        info.epochs_run,
        info.best_epoch,
        info.dev_accuracy
            .map(|d| format!(", dev accuracy {d:.4}"))
            .unwrap_or_default()
    );
    eprintln!(
        "{:?} model: {} feature rows, bag dim {}, temperature {:.3}{}",
        model.kind(),
        model.num_rows(),
        model.dim(),
        model.temperature(),
        model
            .oos_threshold()
            .map(|o| format!(
                ", {} below {:.3} → {:?}",
                o.score, o.threshold, o.fallback_label
            ))
            .unwrap_or_default()
    );
    eprintln!(
        "wrote {} ({}, {} bytes)",
        a.out.display(),
        if model.is_quantized() { "int8" } else { "f32" },
        size
    );
    Ok(())
}

fn eval(a: EvalArgs) -> anyhow::Result<()> {
    let model = load_model(&a.model)?;
    let test = read_jsonl(&a.test)?;
    let opts = PredictOptions {
        top_k: 3,
        explain: 0,
    };
    let preds: Vec<Prediction> = test
        .par_iter()
        .map(|l| model.predict_features(&model.featurizer().featurize(&l.ex.text), &opts))
        .collect();
    let gold: Vec<&str> = test.iter().map(|l| l.ex.label.as_str()).collect();
    let pred: Vec<&str> = preds.iter().map(|p| p.label.as_str()).collect();
    let m = tuoke_nlu::evaluate(&gold, &pred, a.oos_label.as_deref())?;
    if let Some(path) = &a.report {
        let html = report_html(&a, &m, &test, &preds);
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if a.json {
        println!("{}", serde_json::to_string(&m)?);
    } else {
        print_table(&m);
        if let Some(path) = &a.report {
            println!("report: {}", path.display());
        }
    }
    Ok(())
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn report_html(a: &EvalArgs, m: &Metrics, test: &[Line], preds: &[Prediction]) -> String {
    use std::fmt::Write as _;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>tuoke nlu eval</title><style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
td,th{{border:1px solid #ccc;padding:3px 6px;font-size:13px}}th{{background:#f3f3f3}}\
.cm td{{text-align:center;min-width:1.6em}}.cm th.r{{text-align:right}}.num{{text-align:right}}\
.rot{{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}}</style></head><body>\
<h1>NLU evaluation</h1><p>model <code>{}</code> · test <code>{}</code> · {} examples</p>\
<p><b>accuracy {:.4}</b> · macro F1 {:.4} · weighted F1 {:.4}</p>",
        esc(&a.model.display().to_string()),
        esc(&a.test.display().to_string()),
        test.len(),
        m.accuracy,
        m.macro_f1,
        m.weighted_f1
    );
    if let Some(o) = &m.oos {
        let _ = write!(
            h,
            "<p>OOS: in-scope accuracy {:.4} · recall {:.4} · precision {:.4}</p>",
            o.in_scope_accuracy, o.recall, o.precision
        );
    }
    h.push_str("<h2>Per label</h2><table><tr><th>label</th><th>precision</th><th>recall</th><th>f1</th><th>support</th></tr>");
    for (l, s) in &m.per_label {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=num>{:.4}</td><td class=num>{:.4}</td><td class=num>{:.4}</td><td class=num>{}</td></tr>",
            esc(l),
            s.precision,
            s.recall,
            s.f1,
            s.support
        );
    }
    h.push_str("</table><h2>Confusion matrix</h2><p>rows: true label, columns: predicted; colour = share of the row.</p><table class=cm><tr><th></th>");
    let labels: Vec<&String> = m.per_label.keys().collect();
    for l in &labels {
        let _ = write!(h, "<th><span class=rot>{}</span></th>", esc(l));
    }
    h.push_str("</tr>");
    for t in &labels {
        let row = m.confusion.get(*t);
        let total: usize = row.map(|r| r.values().sum()).unwrap_or(0);
        let _ = write!(h, "<tr><th class=r>{}</th>", esc(t));
        for p in &labels {
            let n = row.and_then(|r| r.get(*p)).copied().unwrap_or(0);
            let share = if total > 0 {
                n as f64 / total as f64
            } else {
                0.0
            };
            let (r, g, b) = if t == p {
                (
                    255.0 - 200.0 * share,
                    255.0 - 80.0 * share,
                    255.0 - 200.0 * share,
                )
            } else {
                (
                    255.0 - 30.0 * share,
                    255.0 - 220.0 * share,
                    255.0 - 220.0 * share,
                )
            };
            let _ = write!(
                h,
                "<td style=\"background:rgb({:.0},{:.0},{:.0})\" title=\"{} → {}: {}\">{}</td>",
                r,
                g,
                b,
                esc(t),
                esc(p),
                n,
                if n > 0 { n.to_string() } else { String::new() }
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</table><h2>Worst errors</h2><p>Wrong predictions, most confident first (at most 100).</p><table><tr><th>line</th><th>text</th><th>true</th><th>predicted</th><th>confidence</th></tr>");
    let mut errs: Vec<(&Line, &Prediction)> = test
        .iter()
        .zip(preds)
        .filter(|(l, p)| l.ex.label != p.label)
        .collect();
    errs.sort_by(|a, b| {
        b.1.confidence
            .total_cmp(&a.1.confidence)
            .then(a.0.line.cmp(&b.0.line))
    });
    for (l, p) in errs.into_iter().take(100) {
        let text: String = l.ex.text.chars().take(300).collect();
        let _ = write!(
            h,
            "<tr><td class=num>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=num>{:.3}</td></tr>",
            l.line,
            esc(&text),
            esc(&l.ex.label),
            esc(&p.label),
            p.confidence
        );
    }
    h.push_str("</table></body></html>\n");
    h
}

#[derive(serde::Serialize)]
struct PredictOut<'a> {
    label: &'a str,
    confidence: f32,
    top_k: &'a [tuoke_nlu::LabelScore],
    explanation: &'a [tuoke_nlu::FeatureWeight],
}

fn write_prediction(out: &mut impl Write, p: &Prediction) -> anyhow::Result<()> {
    let o = PredictOut {
        label: &p.label,
        confidence: p.confidence,
        top_k: &p.top_k,
        explanation: &p.explanation,
    };
    serde_json::to_writer(&mut *out, &o)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn predict(a: PredictArgs) -> anyhow::Result<()> {
    let model = load_model(&a.model)?;
    let opts = PredictOptions {
        top_k: a.top_k,
        explain: 5,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(text) = &a.text {
        if text.trim().is_empty() {
            bail!("empty text");
        }
        let p = model.predict_features(&model.featurizer().featurize(text), &opts);
        write_prediction(&mut out, &p)?;
    } else {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        let mut buf = Vec::new();
        let mut line = 0usize;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .context("cannot read stdin")?;
            if n == 0 {
                break;
            }
            line += 1;
            let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let s = std::str::from_utf8(raw).map_err(|e| {
                anyhow::anyhow!(
                    "stdin:{line}: not valid UTF-8 (bad byte at offset {})",
                    e.valid_up_to()
                )
            })?;
            if s.trim().is_empty() {
                continue;
            }
            let p = model.predict_features(&model.featurizer().featurize(s), &opts);
            write_prediction(&mut out, &p)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn quantize(a: QuantizeArgs) -> anyhow::Result<()> {
    let model = load_model(&a.model)?;
    if model.is_quantized() {
        eprintln!(
            "note: {} is already int8; writing it unchanged",
            a.model.display()
        );
    }
    let q = model.quantize();
    q.save(&a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    let before = std::fs::metadata(&a.model).map(|m| m.len()).unwrap_or(0);
    let after = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote {} (int8, {} bytes; f32 {} bytes, {:.2}× smaller)",
        a.out.display(),
        after,
        before,
        before as f64 / after.max(1) as f64
    );
    Ok(())
}
