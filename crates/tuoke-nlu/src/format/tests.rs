use serde::Serialize;

use super::write::{begin_file, put_buckets, put_f32s, put_rows, seal};
use super::*;
use crate::error::NluError;
use crate::model::{Embedding, LinearRows, LinearWeights, Model};
use crate::{Example, ModelKind, TrainConfig, train};

/// A model of `kind` trained on `pairs` (text, label), 30 epochs, batch 2; with `dev` the
/// training data is also the dev set.
fn toy(pairs: &[(&str, &str)], kind: ModelKind, dev: bool) -> Model {
    let data: Vec<Example> = pairs.iter().map(|(t, l)| Example::new(*t, *l)).collect();
    let cfg = TrainConfig {
        epochs: 30,
        batch_size: 2,
        kind,
        ..TrainConfig::default()
    };
    train(&data, dev.then_some(data.as_slice()), &cfg, &mut |_| {}).unwrap()
}

fn model() -> Model {
    let pairs = [
        ("多少钱", "price"),
        ("价格多少", "price"),
        ("how much", "price"),
        ("你好", "hi"),
        ("hello there", "hi"),
        ("您好", "hi"),
    ];
    toy(&pairs, TrainConfig::default().kind, false)
}

#[test]
fn round_trip_f32_and_int8() {
    let m = model();
    let back = Model::from_bytes(&m.to_bytes()).unwrap();
    assert_eq!(back.to_bytes(), m.to_bytes());
    assert_eq!(back.predict("多少钱啊"), m.predict("多少钱啊"));

    let q = m.quantize();
    assert!(q.is_quantized());
    let qb = q.to_bytes();
    let q2 = Model::from_bytes(&qb).unwrap();
    assert!(q2.is_quantized());
    assert_eq!(q2.to_bytes(), qb);
    // int8 predictions stay close to f32
    for t in ["多少钱啊", "hello", "你好呀", "价格"] {
        let (a, b) = (m.predict(t), q2.predict(t));
        assert_eq!(a.label, b.label, "{t}");
        assert!(
            (a.confidence - b.confidence).abs() < 0.05,
            "{t}: {} vs {}",
            a.confidence,
            b.confidence
        );
    }
    // int8 weights reconstruct the f32 rows within half a quantization step
    let (Some(mb), Some(qb8)) = (&m.bag, &q.bag) else {
        panic!("expected bag components");
    };
    let (Embedding::F32(e), Embedding::I8 { q: qi, scales }) = (&mb.emb, &qb8.emb) else {
        panic!("expected f32 and int8 embeddings");
    };
    for (r, s) in scales.iter().enumerate() {
        for j in 0..mb.dim {
            let x = e[r * mb.dim + j];
            let y = f32::from(qi[r * mb.dim + j]) * s;
            assert!((x - y).abs() <= s * 0.5 + 1e-6);
        }
    }
    assert!(qb.len() * 3 < m.to_bytes().len());
    assert_eq!(q.quantize().to_bytes(), qb);
}

/// The version-1 encoder (the format before the linear component), kept to test reading old files.
fn v1_bytes(m: &Model) -> Vec<u8> {
    let b = m.bag.as_ref().expect("a bag model");
    let header = HeaderV1 {
        labels: m.labels.clone(),
        feature_config: m.feature_config().clone(),
        dim: b.dim,
        rows: b.row_buckets.len(),
        quantized: matches!(b.emb, Embedding::I8 { .. }),
        temperature: m.temperature,
        oos: m.oos.clone(),
        train_info: m.info.clone(),
        pooling: b.pooling,
    };
    let hjson = serde_json::to_vec(&header).unwrap();
    let mut out = begin_file(1, &hjson);
    put_buckets(&mut out, &b.row_buckets);
    put_rows(&mut out, &b.emb);
    put_f32s(&mut out, &b.out);
    put_f32s(&mut out, &b.bias);
    seal(out)
}

#[test]
fn reads_version_1_files() {
    for m in [model(), model().quantize()] {
        let old = Model::from_bytes(&v1_bytes(&m)).unwrap();
        assert_eq!(old.kind(), ModelKind::Bag);
        assert_eq!(old.is_quantized(), m.is_quantized());
        for t in ["多少钱啊", "hello", "你好呀"] {
            assert_eq!(old.predict(t), m.predict(t), "{t}");
        }
        // re-saved as version 2, same model
        assert_eq!(
            Model::from_bytes(&old.to_bytes()).unwrap().to_bytes(),
            m.to_bytes()
        );
    }
}

const V1_FIXTURES: [(&str, bool); 2] = [("v1-bag.tkm", false), ("v1-bag-int8.tkm", true)];

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Writes the committed version-1 files with the old encoder:
/// `cargo test -p tuoke-nlu --lib write_version_1_fixtures -- --ignored`.
#[test]
#[ignore]
fn write_version_1_fixtures() {
    for (name, quantized) in V1_FIXTURES {
        let m = if quantized {
            model().quantize()
        } else {
            model()
        };
        std::fs::create_dir_all(fixture("")).unwrap();
        std::fs::write(fixture(name), v1_bytes(&m)).unwrap();
    }
}

#[test]
fn reads_committed_version_1_bytes() {
    // Bytes written once by the version-1 encoder and committed: today's reader against
    // yesterday's files, not against today's writer.
    for (name, quantized) in V1_FIXTURES {
        let bytes = std::fs::read(fixture(name)).expect("committed fixture");
        let m = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.kind(), ModelKind::Bag, "{name}");
        assert_eq!(m.is_quantized(), quantized, "{name}");
        assert_eq!(
            m.labels,
            vec!["hi".to_string(), "price".to_string()],
            "{name}"
        );
        for (t, want) in [("多少钱啊", "price"), ("价格", "price"), ("你好呀", "hi")] {
            assert_eq!(m.predict(t).label, want, "{name}: {t}");
        }
    }
}

#[test]
fn reads_the_shipped_models() {
    // The analyzer's models in the repository were written as version 1.
    // The three models are committed in the repository: each must be there and load.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    for name in ["intent.tkm", "sentiment.tkm", "dialect.tkm"] {
        let p = dir.join(name);
        let m = Model::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let label = m.predict("这个多少钱").label;
        assert!(m.labels.contains(&label), "{name}: {label}");
        assert!(m.labels.len() >= 2, "{name}: {:?}", m.labels);
    }
}

fn toy_linear(kind: ModelKind) -> Model {
    let pairs = [
        ("多少钱", "price"),
        ("价格多少", "price"),
        ("how much", "price"),
        ("多少钱一个", "price"),
        ("你好", "hi"),
        ("hello there", "hi"),
        ("您好", "hi"),
        ("hi", "hi"),
        ("天气怎么样", "other"),
        ("讲个笑话", "other"),
        ("weather", "other"),
        ("放首歌", "other"),
    ];
    toy(&pairs, kind, true)
}

#[test]
fn round_trip_linear_and_ensemble() {
    for kind in [ModelKind::Linear, ModelKind::Ensemble] {
        let m = toy_linear(kind);
        assert!(m.linear.is_some(), "{kind:?}");
        let b = m.to_bytes();
        assert_eq!(&b[8..12], &FORMAT_VERSION.to_le_bytes());
        let back = Model::from_bytes(&b).unwrap();
        assert_eq!(back.to_bytes(), b);
        assert_eq!(back.predict("多少钱啊"), m.predict("多少钱啊"));
        let q = m.quantize();
        assert!(q.is_quantized());
        let qb = q.to_bytes();
        let q2 = Model::from_bytes(&qb).unwrap();
        assert_eq!(q2.to_bytes(), qb);
        assert!(qb.len() < b.len());
        for t in ["多少钱啊", "hello", "你好呀", "讲笑话"] {
            let (a, b) = (m.predict(t), q2.predict(t));
            assert_eq!(a.label, b.label, "{kind:?} {t}");
            assert!((a.confidence - b.confidence).abs() < 0.05, "{kind:?} {t}");
        }
        // every prefix and a flipped byte fail cleanly
        for n in (0..qb.len()).step_by(53) {
            assert!(Model::from_bytes(&qb[..n]).is_err());
        }
        let mut c = qb.clone();
        let i = c.len() - 10;
        c[i] ^= 0x40;
        assert!(matches!(
            Model::from_bytes(&c),
            Err(NluError::Checksum { .. })
        ));
    }
}

/// The version-2 encoder (linear rows with a power-of-two scale per feature row), kept to test
/// reading the files written before version 3.
fn v2_bytes(m: &Model, quantize: bool) -> Vec<u8> {
    #[derive(Serialize)]
    struct LinearHeaderV2 {
        rows: usize,
        quantized: bool,
        weight: f32,
    }
    #[derive(Serialize)]
    struct V2 {
        labels: Vec<String>,
        feature_config: FeatureConfig,
        temperature: f32,
        oos: Option<OosThreshold>,
        train_info: TrainInfo,
        bag: Option<BagHeader>,
        linear: Option<LinearHeaderV2>,
    }
    let l = m.linear.as_ref().expect("a linear model");
    assert!(m.bag.is_none());
    let (LinearRows::Sparse { row_buckets, .. }, Some(idf), LinearWeights::F32(w)) =
        (&l.rows, &l.idf, &l.w)
    else {
        panic!("a sparse f32 linear model with idf");
    };
    let nl = m.labels.len();
    let header = V2 {
        labels: m.labels.clone(),
        feature_config: m.feature_config().clone(),
        temperature: m.temperature,
        oos: m.oos.clone(),
        train_info: m.info.clone(),
        bag: None,
        linear: Some(LinearHeaderV2 {
            rows: row_buckets.len(),
            quantized: quantize,
            weight: l.weight,
        }),
    };
    let hjson = serde_json::to_vec(&header).unwrap();
    let mut out = begin_file(2, &hjson);
    put_buckets(&mut out, row_buckets);
    out.extend_from_slice(idf);
    if quantize {
        // version 2's quantizer: per row, the power of two that maps max|w| into 64..=127
        let mut exps = Vec::new();
        for row in w.chunks_exact(nl) {
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            let mut e = -120i32;
            while e < 120 && max / crate::model::pow2(e) > 127.0 {
                e += 1;
            }
            let s = crate::model::pow2(e);
            out.extend(
                row.iter()
                    .map(|x| (x / s).round().clamp(-127.0, 127.0) as i8 as u8),
            );
            exps.push(e as i8 as u8);
        }
        out.extend_from_slice(&exps);
    } else {
        put_f32s(&mut out, w);
    }
    put_f32s(&mut out, &l.bias);
    seal(out)
}

#[test]
fn reads_version_2_files() {
    let m = toy_linear(ModelKind::Linear);
    let f = Model::from_bytes(&v2_bytes(&m, false)).unwrap();
    assert_eq!(f.to_bytes(), m.to_bytes());
    let q = Model::from_bytes(&v2_bytes(&m, true)).unwrap();
    assert!(q.is_quantized());
    assert!(matches!(
        q.linear.as_ref().unwrap().w,
        LinearWeights::I8PerFeature { .. }
    ));
    for t in ["多少钱啊", "hello", "你好呀", "讲笑话"] {
        let (a, b) = (m.predict(t), q.predict(t));
        assert_eq!(a.label, b.label, "{t}");
        assert!((a.confidence - b.confidence).abs() < 0.05, "{t}");
        assert!(!b.explanation.is_empty() || a.explanation.is_empty(), "{t}");
    }
    // re-saved as version 3 (per-feature scales kept), same model
    let b3 = q.to_bytes();
    assert_eq!(&b3[8..12], &FORMAT_VERSION.to_le_bytes());
    let q3 = Model::from_bytes(&b3).unwrap();
    assert_eq!(q3.to_bytes(), b3);
    assert_eq!(q3.predict("多少钱啊"), q.predict("多少钱啊"));
    // a version-2 header may not carry version-3 layouts (per-label scales)
    let b3 = m.quantize().to_bytes();
    let mut v = b3[..b3.len() - 4].to_vec();
    v[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&seal(v)),
        Err(NluError::Format(_))
    ));
}

#[test]
fn round_trip_hashed_binary_linear() {
    let data: Vec<Example> = [
        ("很好用", "pos"),
        ("非常满意", "pos"),
        ("great phone", "pos"),
        ("推荐购买", "pos"),
        ("太差了", "neg"),
        ("不满意", "neg"),
        ("terrible", "neg"),
        ("退货了", "neg"),
    ]
    .iter()
    .map(|(t, l)| Example::new(*t, *l))
    .collect();
    let cfg = TrainConfig {
        kind: ModelKind::Linear,
        ..TrainConfig::default()
    };
    let m = train(&data, Some(&data), &cfg, &mut |_| {}).unwrap();
    assert!(matches!(
        m.linear.as_ref().unwrap().rows,
        LinearRows::Hashed(_)
    ));
    let b = m.to_bytes();
    let back = Model::from_bytes(&b).unwrap();
    assert_eq!(back.to_bytes(), b);
    assert_eq!(back.predict("很满意"), m.predict("很满意"));
    let q = m.quantize();
    let qb = q.to_bytes();
    let q2 = Model::from_bytes(&qb).unwrap();
    assert_eq!(q2.to_bytes(), qb);
    assert_eq!(q2.predict("太差"), q.predict("太差"));
    // int8 body: 2^k-bit bitmap + 2 bytes per row + 2 label scales + 2 biases; f32: 8 per row
    let rows = m.num_rows();
    let LinearRows::Hashed(h) = &m.linear.as_ref().unwrap().rows else {
        panic!("hashed rows expected");
    };
    let bitmap = (1usize << h.bits) / 8;
    // (+1: the f32 header says `"quantized":false`, one byte longer than `true`)
    assert_eq!(b.len() - qb.len(), rows * 6 - 8 + 1);
    assert!(qb.len() >= bitmap + rows * 2);
    for n in (0..qb.len()).step_by(4099) {
        assert!(Model::from_bytes(&qb[..n]).is_err());
    }
    // a header row count that disagrees with the bitmap is a format error
    let body = &qb[..qb.len() - 4];
    let hlen = u32::from_le_bytes([body[20], body[21], body[22], body[23]]) as usize;
    let header = std::str::from_utf8(&body[24..24 + hlen]).unwrap();
    let wrong = header.replacen(
        &format!("\"rows\":{rows}"),
        &format!("\"rows\":{}", rows + 1),
        1,
    );
    assert_ne!(wrong, header);
    let mut v = body[..20].to_vec();
    v.extend_from_slice(&(wrong.len() as u32).to_le_bytes());
    v.extend_from_slice(wrong.as_bytes());
    v.extend_from_slice(&body[24 + hlen..]);
    let e = Model::from_bytes(&seal(v)).unwrap_err();
    assert!(e.to_string().contains("bitmap"), "{e}");
}

#[test]
fn defects_are_reported() {
    let b = model().to_bytes();
    assert!(matches!(Model::from_bytes(&[]), Err(NluError::NotAModel)));
    assert!(matches!(
        Model::from_bytes(b"TUOKENLX1234"),
        Err(NluError::NotAModel)
    ));
    assert!(matches!(
        Model::from_bytes(&b[..10]),
        Err(NluError::Truncated { .. })
    ));
    assert!(matches!(
        Model::from_bytes(&b[..b.len() - 1]),
        Err(NluError::Truncated { .. })
    ));
    let mut c = b.clone();
    let i = c.len() / 2;
    c[i] ^= 1;
    assert!(matches!(
        Model::from_bytes(&c),
        Err(NluError::Checksum { .. })
    ));
    let mut v = b.clone();
    v[8..12].copy_from_slice(&7u32.to_le_bytes());
    let e = Model::from_bytes(&v).unwrap_err();
    assert!(matches!(
        e,
        NluError::UnsupportedVersion {
            found: 7,
            supported: FORMAT_VERSION
        }
    ));
    assert!(e.to_string().contains("version 7"));
    let mut long = b.clone();
    long.push(0);
    assert!(Model::from_bytes(&long).is_err());
    // every prefix fails cleanly
    for n in (0..b.len()).step_by(97) {
        assert!(Model::from_bytes(&b[..n]).is_err());
    }
}

#[test]
fn oos_score_is_stored_only_when_not_confidence() {
    use crate::{OosScore, OosThreshold};
    let mut m = model();
    m.set_oos_threshold(Some(OosThreshold::confidence("other", 0.3)))
        .unwrap();
    let conf = m.to_bytes();
    // A confidence threshold is written as before the score existed.
    assert!(!conf.windows(7).any(|w| w == b"\"score\""));
    let text = "多少钱啊";
    let s = m.logit_scores(&m.featurizer().featurize(text));
    for (t, rejected) in [(s.max_logit + 0.5, true), (s.max_logit - 0.5, false)] {
        let o = OosThreshold {
            fallback_label: "other".into(),
            threshold: t,
            score: OosScore::MaxLogit,
        };
        m.set_oos_threshold(Some(o.clone())).unwrap();
        let back = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.oos_threshold(), Some(&o));
        let p = back.predict(text);
        assert_eq!(p.below_threshold, rejected);
        assert_eq!(p.label == "other", rejected);
    }
    // A score the model cannot compute is refused and leaves the threshold as it was.
    let knn = OosThreshold {
        score: OosScore::Knn,
        ..OosThreshold::confidence("other", 0.1)
    };
    assert!(m.set_oos_threshold(Some(knn)).is_err());
    assert_eq!(m.oos_threshold().map(|o| o.score), Some(OosScore::MaxLogit));
}
