//! `tuoke nlu oos-eval` — out-of-scope detection measured without an out-of-scope label (issue 12):
//! a seeded share of the training labels is held out, a model is trained on the rest, and every
//! out-of-scope score is thresholded on in-scope dev texts so the retained accuracy stays ≥
//! `--retain`; the table shows how many held-out-label texts each score rejects (see
//! `tuoke_nlu::heldout_eval` for the exact protocol).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tuoke_nlu::{Example, HeldoutConfig, HeldoutProgress, HeldoutReport, ModelKind};

use super::examples::read_jsonl;

#[derive(Args)]
pub struct OosEvalArgs {
    /// Training data (JSONL); a share of its labels is held out.
    #[arg(long)]
    train: PathBuf,
    /// Test data (JSONL): texts of held-out labels are the out-of-scope test texts.
    #[arg(long)]
    test: PathBuf,
    /// Share of the labels held out.
    #[arg(long, default_value_t = 0.25)]
    fraction: f32,
    /// Share of the in-scope training texts used as the dev set (thresholds, calibration).
    #[arg(long, default_value_t = 0.1)]
    dev_fraction: f32,
    /// Retained in-scope accuracy (accuracy with rejection ÷ accuracy without) kept on dev.
    #[arg(long, default_value_t = 0.95)]
    retain: f32,
    /// Seed of the held-out labels, the dev split and the model.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Model kind of the in-scope model.
    #[arg(long, default_value = "ensemble")]
    model_kind: ModelKind,
    /// Centroid entries kept per label (0 = all).
    #[arg(long, default_value_t = 0)]
    centroid_max: usize,
    /// One JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
}

fn examples(path: &std::path::Path) -> anyhow::Result<Vec<Example>> {
    Ok(read_jsonl(path)?.into_iter().map(|l| l.ex).collect())
}

pub fn oos_eval(a: OosEvalArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let train = examples(&a.train)?;
    let test = examples(&a.test)?;
    let mut cfg = HeldoutConfig {
        fraction: a.fraction,
        dev_fraction: a.dev_fraction,
        retain: a.retain,
        seed: a.seed,
        centroid_max_per_label: a.centroid_max,
        ..HeldoutConfig::default()
    };
    cfg.train.seed = a.seed;
    cfg.train.kind = a.model_kind;
    let bar = ProgressBar::new(cfg.train.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {pos}/{len} [{bar:30}] {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("training epoch");
    let report = tuoke_nlu::heldout_eval(&train, &test, &cfg, &mut |p| match p {
        HeldoutProgress::Training(t) => {
            bar.set_position(t.epoch as u64);
            bar.set_message(format!("loss {:.4}", t.train_loss));
        }
        HeldoutProgress::Scoring { done, total } => {
            if bar.length() != Some(*total as u64) {
                bar.set_prefix("scoring texts");
                bar.set_message("");
                bar.set_length(*total as u64);
            }
            bar.set_position(*done as u64);
        }
    })?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report);
        println!("({:.1}s)", started.elapsed().as_secs_f64());
    }
    Ok(())
}

fn print_report(r: &HeldoutReport) {
    println!(
        "held out {} of {} labels (seed {}): {}",
        r.held_out_labels.len(),
        r.held_out_labels.len() + r.in_scope_labels,
        r.config.seed,
        r.held_out_labels.join(", ")
    );
    println!(
        "train {} · dev {} in-scope + {} OOS · test {} in-scope + {} OOS · in-scope accuracy dev {:.4}, test {:.4}",
        r.train_examples,
        r.dev_in_scope,
        r.dev_oos,
        r.test_in_scope,
        r.test_oos,
        r.dev_accuracy,
        r.test_accuracy
    );
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "score",
        "threshold",
        "dev recall",
        "test recall",
        "test retained",
        "test in-scope acc",
        "test AUROC",
        "recall @ test thr.",
    ]);
    for d in &r.detectors {
        let mark = if d.score == r.best { " *" } else { "" };
        t.add_row(vec![
            format!("{}{mark}", d.score),
            format!("{:.4}", d.threshold),
            format!("{:.4}", d.dev_recall),
            format!("{:.4}", d.test_recall),
            format!("{:.4}", d.test_retained),
            format!("{:.4}", d.test_in_scope_accuracy),
            format!("{:.4}", d.test_auroc),
            format!("{:.4}", d.test_recall_at_test_threshold),
        ]);
    }
    println!("{t}");
    println!(
        "recall = share of held-out-label texts rejected; thresholds keep retained accuracy ≥ {} on dev \
         (retained = correct and accepted ÷ correct); * = best dev recall",
        r.config.retain
    );
}
