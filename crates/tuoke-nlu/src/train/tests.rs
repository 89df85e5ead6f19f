use rand::Rng;

use super::calibrate::{choose_mix, choose_threshold};
use super::*;
use crate::model::{LinearRows, LinearWeights};

fn toy() -> Vec<Example> {
    let mut v = Vec::new();
    for t in [
        "多少钱",
        "价格多少",
        "这个多少钱啊",
        "报价",
        "怎么卖",
        "how much",
        "price please",
    ] {
        v.push(Example::new(t, "ask_price"));
    }
    for t in [
        "你好",
        "您好",
        "hello",
        "hi there",
        "早上好",
        "在吗",
        "哈喽",
    ] {
        v.push(Example::new(t, "greeting"));
    }
    for t in [
        "今天天气",
        "讲个笑话",
        "weather today",
        "放首歌",
        "你是谁",
        "吃了吗",
        "几点了",
    ] {
        v.push(Example::new(t, "oos"));
    }
    v
}

#[test]
fn trains_deterministically_and_predicts() {
    let data = toy();
    let cfg = TrainConfig {
        epochs: 60,
        batch_size: 2,
        ..TrainConfig::default()
    };
    let m1 = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
    let m2 = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
    assert_eq!(m1.to_bytes(), m2.to_bytes());
    let p = m1.predict("多少钱一个");
    assert_eq!(p.label, "ask_price");
    assert!(p.confidence > 0.3);
    assert_eq!(p.top_k[0].label, "ask_price");
    assert!(!p.explanation.is_empty());
    assert_eq!(m1.predict("hello!").label, "greeting");
}

#[test]
fn mix_is_kept_only_when_it_clearly_beats_one_component() {
    let grid = |nll: [f32; 3]| vec![(0.0, nll[0]), (0.5, nll[1]), (1.0, nll[2])];
    // ChnSentiCorp-like: the mix is 0.1 % better than linear alone → linear alone.
    assert_eq!(choose_mix(&grid([265.6, 265.3, 294.0])), 0.0);
    // BANKING77-like: 12 % better → the mix.
    assert_eq!(choose_mix(&grid([350.3, 307.6, 407.4])), 0.5);
    // The bag alone is best → the bag alone.
    assert_eq!(choose_mix(&grid([300.0, 250.0, 249.0])), 1.0);
    // Non-finite values (a degenerate dev set) never win.
    assert_eq!(choose_mix(&grid([f32::NAN, 10.0, f32::INFINITY])), 0.5);
    assert_eq!(choose_mix(&[]), 0.5);
}

#[test]
fn linear_and_ensemble_train_deterministically() {
    let data = toy();
    for kind in [ModelKind::Linear, ModelKind::Ensemble] {
        let cfg = TrainConfig {
            epochs: 60,
            batch_size: 2,
            kind,
            ..TrainConfig::default()
        };
        // no dev set (and too few examples for a hold-out)
        let m1 = train(&data, None, &cfg, &mut |_| {}).unwrap();
        let m2 = train(&data, None, &cfg, &mut |_| {}).unwrap();
        assert_eq!(m1.to_bytes(), m2.to_bytes(), "{kind:?}");
        assert_eq!(m1.kind(), kind);
        let p = m1.predict("多少钱一个");
        assert_eq!(p.label, "ask_price", "{kind:?}");
        assert!(!p.explanation.is_empty(), "{kind:?}");
        assert!(p.explanation.iter().all(|f| f.weight > 0.0));
        assert_eq!(m1.predict("hello!").label, "greeting", "{kind:?}");
        // with a dev set
        let m3 = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
        assert_eq!(m3.predict("价格多少呢").label, "ask_price", "{kind:?}");
    }
}

#[test]
fn holdout_calibrates_without_dev() {
    // 300 synthetic texts: each label has its own words plus shared noise words.
    let words = [
        ["价格", "多少钱", "报价", "优惠", "便宜"],
        ["你好", "您好", "早上好", "哈喽", "在吗"],
        ["天气", "笑话", "音乐", "电影", "新闻"],
    ];
    let noise = ["我", "想", "问", "一下", "那个", "请", "吧"];
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let data: Vec<Example> = (0..300)
        .map(|i| {
            let l = i % 3;
            let text: String = (0..4)
                .map(|k| {
                    if k % 2 == 0 {
                        words[l][rng.random_range(0..5)]
                    } else {
                        noise[rng.random_range(0..noise.len())]
                    }
                })
                .collect();
            Example::new(text, ["price", "greet", "other"][l])
        })
        .collect();
    let cfg = TrainConfig {
        kind: ModelKind::Linear,
        ..TrainConfig::default()
    };
    let m = train(&data, None, &cfg, &mut |_| {}).unwrap();
    assert_ne!(m.temperature(), 1.0, "hold-out fitted a temperature");
    assert_eq!(m.train_info().train_examples, 300);
    assert!(m.train_info().dev_accuracy.is_some_and(|a| a > 0.9));
    assert_eq!(m.predict("请问报价多少钱").label, "price");
    assert_eq!(
        m.to_bytes(),
        train(&data, None, &cfg, &mut |_| {}).unwrap().to_bytes()
    );
}

#[test]
fn explanation_names_the_deciding_features() {
    let data = toy();
    let cfg = TrainConfig {
        kind: ModelKind::Linear,
        ..TrainConfig::default()
    };
    let m = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
    let p = m.predict("多少钱");
    assert_eq!(p.label, "ask_price");
    let names: Vec<&str> = p.explanation.iter().map(|f| f.feature.as_str()).collect();
    assert!(
        names.iter().any(|n| n.contains("多少") || n.contains("钱")),
        "{names:?}"
    );
}

#[test]
fn binary_models_get_a_hashed_linear_table_with_folded_idf() {
    let two: Vec<Example> = toy().into_iter().filter(|e| e.label != "oos").collect();
    let cfg = TrainConfig {
        kind: ModelKind::Linear,
        ..TrainConfig::default()
    };
    assert_eq!(cfg.linear_layout(2, 828_000), (20, LinearNorm::Sqrt));
    assert_eq!(cfg.linear_layout(2, 1 << 20), (20, LinearNorm::Sqrt));
    assert_eq!(cfg.linear_layout(2, (1 << 20) + 1), (21, LinearNorm::Sqrt));
    assert_eq!(cfg.linear_layout(2, 10), (8, LinearNorm::Sqrt));
    assert_eq!(cfg.linear_layout(2, usize::MAX), (24, LinearNorm::Sqrt));
    assert_eq!(cfg.linear_layout(3, 828_000), (0, LinearNorm::L2));
    let m = train(&two, Some(&two), &cfg, &mut |_| {}).unwrap();
    let l = m.linear.as_ref().unwrap();
    let distinct: FxHashSet<u32> = two
        .iter()
        .flat_map(|e| m.featurizer().featurize(&e.text).buckets)
        .collect();
    let want = auto_linear_hash_bits(distinct.len());
    assert!(matches!(&l.rows, LinearRows::Hashed(h) if h.bits == want));
    assert!(l.idf.is_none());
    let three = train(&toy(), Some(&toy()), &cfg, &mut |_| {}).unwrap();
    let l3 = three.linear.as_ref().unwrap();
    assert!(matches!(l3.rows, LinearRows::Sparse { .. }) && l3.idf.is_some());
    // f32 and int8 (integer sums over the folded weights) agree, and both explain
    let q = m.quantize();
    assert!(matches!(
        q.linear.as_ref().unwrap().w,
        LinearWeights::I8PerLabel { .. }
    ));
    for t in ["多少钱", "hello", "这个怎么卖", "早上好呀"] {
        let (a, b) = (m.predict(t), q.predict(t));
        assert_eq!(a.label, b.label, "{t}");
        assert!((a.confidence - b.confidence).abs() < 0.02, "{t}");
        assert!(!b.explanation.is_empty(), "{t}");
    }
    let p = q.predict("多少钱");
    assert_eq!(p.label, "ask_price");
    assert!(
        p.explanation
            .iter()
            .any(|f| f.feature.contains("多少") || f.feature.contains("钱")),
        "{:?}",
        p.explanation
    );
    // an explicit layout overrides the automatic one; bad bits are a config error
    let sparse = TrainConfig {
        linear_hash_bits: Some(0),
        ..cfg.clone()
    };
    let ms = train(&two, Some(&two), &sparse, &mut |_| {}).unwrap();
    assert!(matches!(
        ms.linear.as_ref().unwrap().rows,
        LinearRows::Sparse { .. }
    ));
    let bad = TrainConfig {
        linear_hash_bits: Some(30),
        ..cfg
    };
    assert!(matches!(
        train(&two, None, &bad, &mut |_| {}),
        Err(NluError::InvalidConfig(_))
    ));
}

#[test]
fn rejects_bad_training_sets() {
    let cfg = TrainConfig::default();
    assert!(matches!(
        train(&[], None, &cfg, &mut |_| {}),
        Err(NluError::NoExamples)
    ));
    let one = vec![Example::new("a", "x"), Example::new("b", "x")];
    assert!(matches!(
        train(&one, None, &cfg, &mut |_| {}),
        Err(NluError::SingleLabel(_))
    ));
    let empty = vec![Example::new("a", "x"), Example::new("  ", "y")];
    assert!(matches!(
        train(&empty, None, &cfg, &mut |_| {}),
        Err(NluError::EmptyText { index: 1 })
    ));
    let bad_c = TrainConfig {
        svm_c: 0.0,
        kind: ModelKind::Linear,
        ..TrainConfig::default()
    };
    assert!(matches!(
        train(&toy(), None, &bad_c, &mut |_| {}),
        Err(NluError::InvalidConfig(_))
    ));
}

#[test]
fn threshold_maps_to_fallback() {
    let data = toy();
    let cfg = TrainConfig {
        fallback_label: Some("fallback".into()),
        oos_threshold: Some(0.99),
        ..TrainConfig::default()
    };
    let m = train(&data, None, &cfg, &mut |_| {}).unwrap();
    let p = m.predict("完全无关的一句话");
    assert_eq!(p.label, "fallback");
    assert!(p.below_threshold);
}

#[test]
fn threshold_choice_on_dev() {
    // two labels; the fallback examples get low confidence
    let labels = vec!["a".to_string(), "b".to_string()];
    let logits = vec![
        vec![5.0, 0.0],
        vec![0.0, 5.0],
        vec![0.1, 0.0],
        vec![0.0, 0.2],
    ];
    let dev: Vec<String> = ["a", "b", "oos", "oos"].map(String::from).to_vec();
    let t = choose_threshold(
        &logits,
        &dev,
        &labels,
        "oos",
        1.0,
        crate::oos::OosScore::Confidence,
    );
    assert!(t > 0.56 && t < 0.99, "{t}");
}
