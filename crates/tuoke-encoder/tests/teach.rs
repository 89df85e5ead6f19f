//! Fine-tuning a teacher on a small real set: the project's Mandarin sales intents (20 labels),
//! 15 training rows per label, held-out rows from the dev file.

mod common;

use std::collections::BTreeMap;

use tuoke_encoder::{Encoder, EncoderOptions, TeachConfig, Teacher, teach};

fn rows(file: &str, per_label: usize) -> Vec<(String, String)> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/intents")
        .join(file);
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(p).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (t, l) = (v["text"].as_str().unwrap(), v["label"].as_str().unwrap());
        by.entry(l.to_string()).or_default().push(t.to_string());
    }
    // Every k-th row of each label, so the pick is spread over the file.
    by.into_iter()
        .flat_map(|(l, ts)| {
            let k = (ts.len() / per_label).max(1);
            ts.into_iter()
                .step_by(k)
                .take(per_label)
                .map(move |t| (t, l.clone()))
        })
        .collect()
}

fn refs(r: &[(String, String)]) -> Vec<(&str, &str)> {
    r.iter().map(|(t, l)| (t.as_str(), l.as_str())).collect()
}

fn accuracy(t: &Teacher, test: &[(&str, &str)]) -> f64 {
    let texts: Vec<&str> = test.iter().map(|r| r.0).collect();
    let p = t.predict(&texts, 1.0).unwrap();
    let right = p
        .iter()
        .zip(test)
        .filter(|(row, (_, gold))| {
            let best = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0;
            t.labels()[best] == *gold
        })
        .count();
    right as f64 / test.len() as f64
}

#[test]
fn fine_tuned_teacher_beats_chance_and_round_trips() {
    let Some(bin) = common::fetched("teach", tuoke_encoder::E5_FILE) else {
        return;
    };
    let opts = EncoderOptions {
        max_len: 64,
        ..Default::default()
    };
    let train = rows("cmn.train.jsonl", 15);
    let test = rows("cmn.dev.jsonl", 5);
    assert!(train.len() >= 280 && test.len() >= 90);
    let cfg = TeachConfig {
        tune_layers: 1,
        epochs: 6,
        ..Default::default()
    };
    let enc = Encoder::load(&bin, opts.clone()).unwrap();
    let t = teach(
        enc,
        &refs(&train),
        Some(&refs(&test[..40])),
        &cfg,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(t.labels().len(), 20);
    let acc = accuracy(&t, &refs(&test));
    eprintln!("teacher (top-1 layer, 300 rows): held-out accuracy {acc:.3}");
    // Chance is 0.05 over 20 labels.
    assert!(acc > 0.5, "held-out accuracy {acc}");

    let dir = std::env::temp_dir().join(format!("tuoke-teacher-{}", std::process::id()));
    t.save(&dir).unwrap();
    let back = Teacher::load(&dir, Some(&bin)).unwrap();
    let probe = ["这个多少钱", "我要找人工客服"];
    let (a, b) = (
        t.predict(&probe, 1.0).unwrap(),
        back.predict(&probe, 1.0).unwrap(),
    );
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        assert!((x - y).abs() < 1e-5);
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // Deterministic per seed (head only, which is quick): the same probabilities twice.
    let head_only = TeachConfig {
        tune_layers: 0,
        epochs: 2,
        ..Default::default()
    };
    let small = refs(&train[..120]);
    let run = || {
        let enc = Encoder::load(&bin, opts.clone()).unwrap();
        teach(enc, &small, None, &head_only, &mut |_| {})
            .unwrap()
            .predict(&probe, 2.0)
            .unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn tuned_layers_get_gradients() {
    let Some(bin) = common::fetched("tuned_layers_get_gradients", tuoke_encoder::E5_FILE) else {
        return;
    };
    let enc = Encoder::load(&bin, EncoderOptions::default()).unwrap();
    let vars = candle_nn::VarMap::new();
    let upper = enc.model.trainable_layers(10, 12, &vars).unwrap();
    let ids = enc.token_ids(&["多少钱"]).unwrap();
    let (padded, mask) = enc.pad(&ids).unwrap();
    let x = enc.model.embed(&padded).unwrap();
    let bias = tuoke_encoder::model::attention_bias(&mask).unwrap();
    let y = upper.forward(&x, &bias).unwrap();
    // Before training, the differentiable layers compute what the frozen (fused-op) ones do.
    let frozen = enc.model.frozen_layers(10, 12).unwrap();
    let d = (frozen.forward(&x, &bias).unwrap() - &y)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(d < 1e-3, "max difference {d}");
    let grads = y.sqr().unwrap().sum_all().unwrap().backward().unwrap();
    let all = vars.all_vars();
    let with = all
        .iter()
        .filter(|v| grads.get(v.as_tensor()).is_some())
        .count();
    eprintln!("{with} of {} tuned tensors got a gradient", all.len());
    assert!(
        with == all.len() && !all.is_empty(),
        "{with} of {}",
        all.len()
    );
}
