//! Prediction speed on short utterances, one thread.
//! `cargo bench -p tuoke-nlu --bench predict`
//! Uses models (ensemble = the CLI default, linear, bag) trained at bench start on SMP2017 train + dev
//! from `$TUOKE_SHARED` or `<workspace>/../shared`; without it, on a small built-in set (printed).
//! `linear_binary` is the 2-label linear model (hashed table, folded idf) of ChnSentiCorp train + dev.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use tuoke_nlu::{Example, Model, ModelKind, PredictOptions, TrainConfig, train};

fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("TUOKE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    p.join("datasets/smp2017_intent_zh/train.jsonl")
        .exists()
        .then_some(p)
}

fn read(p: &std::path::Path) -> Vec<Example> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The 2-label linear model `tuoke nlu train --model-kind linear` makes of ChnSentiCorp (hashed
/// table); a tiny built-in set without the shared data.
fn binary_model() -> Model {
    let (data, dev) = match shared() {
        Some(p) => (
            read(&p.join("datasets/chnsenticorp_sentiment_zh/train.jsonl")),
            read(&p.join("datasets/chnsenticorp_sentiment_zh/dev.jsonl")),
        ),
        None => {
            let d: Vec<Example> = ["很好", "满意", "推荐", "太差", "失望", "退货"]
                .iter()
                .enumerate()
                .map(|(i, t)| Example::new(*t, ["pos", "neg"][i / 3]))
                .collect();
            (d.clone(), d)
        }
    };
    let cfg = TrainConfig {
        kind: ModelKind::Linear,
        ..TrainConfig::default()
    };
    let m = train(&data, Some(&dev), &cfg, &mut |_| {}).expect("bench model trains");
    eprintln!("binary bench model: {} rows", m.num_rows());
    m
}

/// A model of `kind` trained like `tuoke nlu train` does (SMP2017 train + dev when present).
fn model(kind: ModelKind) -> Model {
    let (data, dev): (Vec<Example>, Vec<Example>) = match shared() {
        Some(p) => (
            read(&p.join("datasets/smp2017_intent_zh/train.jsonl")),
            read(&p.join("datasets/smp2017_intent_zh/dev.jsonl")),
        ),
        None => {
            eprintln!(
                "shared datasets not found: benchmarking a model trained on a tiny built-in set"
            );
            let d: Vec<Example> = ["多少钱", "价格多少", "你好", "您好", "天气", "讲个笑话"]
                .iter()
                .enumerate()
                .map(|(i, t)| Example::new(*t, ["price", "greet", "oos"][i / 2]))
                .collect();
            (d.clone(), d)
        }
    };
    let cfg = TrainConfig {
        kind,
        ..TrainConfig::default()
    };
    let m = train(&data, Some(&dev), &cfg, &mut |_| {}).expect("bench model trains");
    eprintln!(
        "{kind:?} bench model: {:?}, {} rows",
        m.kind(),
        m.num_rows()
    );
    m
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
    let fast = PredictOptions {
        top_k: 3,
        explain: 0,
    };
    // The CLI default (ensemble) first, then its two parts alone.
    for (name, kind) in [
        ("ensemble", ModelKind::Ensemble),
        ("linear", ModelKind::Linear),
        ("bag", ModelKind::Bag),
        ("linear_binary", ModelKind::Linear),
    ] {
        let m = if name == "linear_binary" {
            binary_model()
        } else {
            model(kind)
        };
        let q = m.quantize();
        if kind == ModelKind::Ensemble {
            c.bench_function("featurize", |b| {
                b.iter(|| black_box(m.featurizer().featurize(black_box(next()))))
            });
        }
        c.bench_function(&format!("predict_{name}_f32_full"), |b| {
            b.iter(|| black_box(m.predict(black_box(next()))))
        });
        c.bench_function(&format!("predict_{name}_int8_full"), |b| {
            b.iter(|| black_box(q.predict(black_box(next()))))
        });
        c.bench_function(&format!("predict_{name}_int8_no_explain"), |b| {
            b.iter(|| {
                black_box(q.predict_features(&q.featurizer().featurize(black_box(next())), &fast))
            })
        });
        if kind == ModelKind::Ensemble {
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
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
