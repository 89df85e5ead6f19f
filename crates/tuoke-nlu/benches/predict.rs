//! Prediction speed on short utterances, one thread.
//! `cargo bench -p tuoke-nlu --bench predict`
//! Uses a model trained (at bench start) on SMP2017 train from `$TUOKE_SHARED` or `<workspace>/../shared`;
//! without it, on a small built-in set (printed).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use tuoke_nlu::{Example, Model, Pooling, PredictOptions, TrainConfig, train};

fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("TUOKE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    p.join("datasets/smp2017_intent_zh/train.jsonl")
        .exists()
        .then_some(p)
}

fn model() -> Model {
    let data: Vec<Example> = match shared() {
        Some(p) => std::fs::read_to_string(p.join("datasets/smp2017_intent_zh/train.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        None => {
            eprintln!(
                "shared datasets not found: benchmarking a model trained on a tiny built-in set"
            );
            ["多少钱", "价格多少", "你好", "您好", "天气", "讲个笑话"]
                .iter()
                .enumerate()
                .map(|(i, t)| Example::new(*t, ["price", "greet", "oos"][i / 2]))
                .collect()
        }
    };
    let cfg = TrainConfig {
        pooling: Pooling::Sqrt,
        lr: 0.2,
        epochs: 10,
        ..TrainConfig::default()
    };
    train(&data, None, &cfg, &mut |_| {}).expect("bench model trains")
}

const UTTERANCES: [&str; 8] = [
    "这个多少钱",
    "有没有优惠啊",
    "我想买两台，什么时候能发货？",
    "How much is the pro version?",
    "打开微信",
    "明天北京天气怎么样",
    "能不能便宜点 iPhone 15",
    "唔該，幾多錢？",
];

fn bench(c: &mut Criterion) {
    let m = model();
    let q = m.quantize();
    tuoke_nlu::warm_up();
    let mut i = 0usize;
    let mut next = || {
        i = (i + 1) % UTTERANCES.len();
        UTTERANCES[i]
    };
    c.bench_function("normalize", |b| {
        let n = tuoke_nlu::Normalizer::new();
        b.iter(|| black_box(n.normalize(black_box(next()))))
    });
    c.bench_function("featurize", |b| {
        b.iter(|| black_box(m.featurizer().featurize(black_box(next()))))
    });
    c.bench_function("predict_f32_full", |b| {
        b.iter(|| black_box(m.predict(black_box(next()))))
    });
    c.bench_function("predict_int8_full", |b| {
        b.iter(|| black_box(q.predict(black_box(next()))))
    });
    let fast = PredictOptions {
        top_k: 3,
        explain: 0,
    };
    c.bench_function("predict_int8_no_explain", |b| {
        b.iter(|| {
            black_box(q.predict_features(&q.featurizer().featurize(black_box(next())), &fast))
        })
    });
    c.bench_function("three_models_shared_features", |b| {
        b.iter(|| {
            let f = q.featurizer().featurize(black_box(next()));
            let a = q.predict_features(&f, &fast);
            let s = q.probabilities(&f);
            let d = m.probabilities(&f);
            black_box((a, s, d))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
