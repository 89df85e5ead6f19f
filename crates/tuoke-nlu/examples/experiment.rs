//! Hyper-parameter experiments on the shared benchmark sets (evaluation data, read at run time).
//!
//! `cargo run --release -p tuoke-nlu --example experiment -- <dataset-dir> [key=value ...]`
//! keys: dim lr epochs batch min_count max_features ngram_min ngram_max words bigrams bits weighting seed
//! kind=bag|linear|ensemble c lmin lmax idf=0|1 norm=l2|sqrt|auto hbits=auto|0|8..=24 (linear hashed table)
//! dev=none (ignore dev.jsonl); devsplit=1 (tuning on a set without dev.jsonl: train on 90% of train,
//! use the other 10% as dev and report its score; the test score is then not the final one)
use std::time::Instant;

use tuoke_nlu::*;

fn read(path: &std::path::Path) -> Vec<Example> {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Example>(l).ok())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: experiment <dataset-dir> [key=value ...]");
        std::process::exit(2);
    };
    let dir = std::path::Path::new(dir);
    let mut cfg = TrainConfig::default();
    let mut use_dev = true;
    let mut devsplit = false;
    for kv in &args[1..] {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "dim" => cfg.dim = v.parse().unwrap_or(cfg.dim),
            "lr" => cfg.lr = v.parse().unwrap_or(cfg.lr),
            "epochs" => cfg.epochs = v.parse().unwrap_or(cfg.epochs),
            "batch" => cfg.batch_size = v.parse().unwrap_or(cfg.batch_size),
            "min_count" => cfg.min_count = v.parse().unwrap_or(cfg.min_count),
            "max_features" => cfg.max_features = v.parse().unwrap_or(cfg.max_features),
            "ngram_min" => cfg.features.char_ngram_min = v.parse().unwrap_or(1),
            "ngram_max" => cfg.features.char_ngram_max = v.parse().unwrap_or(3),
            "words" => cfg.features.words = v == "1",
            "bigrams" => cfg.features.word_bigrams = v == "1",
            "bounds" => cfg.features.boundaries = v == "1",
            "bits" => cfg.features.hash_bits = v.parse().unwrap_or(24),
            "patience" => cfg.patience = v.parse().unwrap_or(cfg.patience),
            "seed" => cfg.seed = v.parse().unwrap_or(42),
            "weighting" => {
                cfg.class_weighting = match v {
                    "none" => ClassWeighting::None,
                    "balanced" => ClassWeighting::Balanced,
                    _ => ClassWeighting::SqrtBalanced,
                }
            }
            "pool" => {
                cfg.pooling = if v == "sqrt" {
                    Pooling::Sqrt
                } else {
                    Pooling::Mean
                }
            }
            "dropout" => cfg.feature_dropout = v.parse().unwrap_or(0.0),
            "dev" => use_dev = v != "none",
            "devsplit" => devsplit = v == "1",
            "kind" => cfg.kind = v.parse().unwrap_or(cfg.kind),
            "c" => cfg.svm_c = v.parse().unwrap_or(cfg.svm_c),
            "lmin" => cfg.linear_min_count = v.parse().unwrap_or(cfg.linear_min_count),
            "lmax" => cfg.linear_max_features = v.parse().unwrap_or(cfg.linear_max_features),
            "idf" => cfg.linear_idf = v == "1",
            "norm" => {
                cfg.linear_norm = match v {
                    "sqrt" => Some(LinearNorm::Sqrt),
                    "l2" => Some(LinearNorm::L2),
                    _ => None,
                }
            }
            "hbits" => cfg.linear_hash_bits = v.parse().ok(),
            _ => eprintln!("unknown key {k}"),
        }
    }
    let mut train_set = read(&dir.join("train.jsonl"));
    let mut dev_set = read(&dir.join("dev.jsonl"));
    if devsplit {
        // every 10th example (file order) is dev
        let all = std::mem::take(&mut train_set);
        dev_set.clear();
        for (i, e) in all.into_iter().enumerate() {
            if i % 10 == 9 {
                dev_set.push(e);
            } else {
                train_set.push(e);
            }
        }
    }
    let test_set = read(&dir.join("test.jsonl"));
    let dev = (use_dev && !dev_set.is_empty()).then_some(dev_set.as_slice());
    warm_up();
    let t = Instant::now();
    let model = match train(&train_set, dev, &cfg, &mut |p| {
        eprintln!(
            "epoch {} loss {:.4} dev {:?}",
            p.epoch, p.train_loss, p.dev_accuracy
        )
    }) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("train failed: {e}");
            std::process::exit(1);
        }
    };
    let secs = t.elapsed().as_secs_f64();
    let q = model.quantize();
    let opts = PredictOptions {
        top_k: 0,
        explain: 0,
    };
    let gold: Vec<&str> = test_set.iter().map(|e| e.label.as_str()).collect();
    if let Some(dev) = dev {
        let dg: Vec<&str> = dev.iter().map(|e| e.label.as_str()).collect();
        let pred: Vec<String> = dev
            .iter()
            .map(|e| {
                model
                    .predict_features(&model.featurizer().featurize(&e.text), &opts)
                    .label
            })
            .collect();
        let r = evaluate(&dg, &pred, None).unwrap();
        println!(
            "{} DEV f32: acc {:.4} macro_f1 {:.4}",
            dir.display(),
            r.accuracy,
            r.macro_f1
        );
    }
    for (name, m) in [("f32", &model), ("int8", &q)] {
        let preds: Vec<Prediction> = test_set
            .iter()
            .map(|e| m.predict_features(&m.featurizer().featurize(&e.text), &opts))
            .collect();
        // Expected calibration error of the top-label confidence, 15 equal-width bins.
        let mut bins = [(0usize, 0f64, 0f64); 15];
        for (p, g) in preds.iter().zip(&gold) {
            let b = ((p.confidence as f64 * 15.0) as usize).min(14);
            bins[b].0 += 1;
            bins[b].1 += p.confidence as f64;
            bins[b].2 += f64::from(u8::from(p.label == *g));
        }
        let ece: f64 =
            bins.iter().map(|(_, c, a)| (c - a).abs()).sum::<f64>() / preds.len().max(1) as f64;
        eprintln!("{} {name}: ECE {ece:.4}", dir.display());
        let pred: Vec<String> = preds.into_iter().map(|p| p.label).collect();
        let r = evaluate(&gold, &pred, None).unwrap();
        println!(
            "{} {name}: acc {:.4} macro_f1 {:.4} bytes {} rows {} T {:.3} best_epoch {}/{} train {:.2}s kind {:?}",
            dir.display(),
            r.accuracy,
            r.macro_f1,
            m.to_bytes().len(),
            m.num_rows(),
            m.temperature(),
            m.train_info().best_epoch,
            m.train_info().epochs_run,
            secs,
            m.kind()
        );
    }
}
