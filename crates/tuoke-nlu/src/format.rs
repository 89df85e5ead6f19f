//! The model file format, little-endian. Version 2 (written):
//!
//! ```text
//! 0   8  magic "TUOKENLU"
//! 8   4  format version (u32) = 2
//! 12  8  total file length in bytes (u64), checksum included
//! 20  4  header length H (u32)
//! 24  H  header: JSON {labels, feature_config, temperature, oos, train_info,
//!                      bag: {dim, rows, quantized, pooling, weight} | null,
//!                      linear: {rows, quantized, weight} | null}
//! ..     bag block (if any): row bucket ids (ascending, LEB128 varints of the gaps);
//!        embedding f32 rows×dim, or i8 rows×dim followed by f32 scale per row;
//!        output layer f32 labels×dim; bias f32 labels
//! ..     linear block (if any): row bucket ids (as above); idf u8 per row (1/16 steps);
//!        weights f32 rows×labels, or i8 rows×labels followed by one i8 exponent `e` per row
//!        (row scale `2^e`); bias f32 labels
//! end-4  CRC-32 (IEEE) of every byte before it
//! ```
//! Version 1 (read only; the embedding-bag model before the linear component existed) has the header
//! `{labels, feature_config, dim, rows, quantized, temperature, oos, train_info, pooling}` followed by
//! one bag block.
//!
//! Checks run in this order so the error names the real problem: magic, version, length (truncation),
//! checksum (corruption), then structure.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::NluError;
use crate::features::FeatureConfig;
use crate::model::{Bag, Embedding, Linear, Model, OosThreshold, Pooling, TrainInfo};

pub const MAGIC: &[u8; 8] = b"TUOKENLU";
/// The version written; versions 1 and 2 are read.
pub const FORMAT_VERSION: u32 = 2;
const FIXED: usize = 24;

#[derive(Serialize, Deserialize)]
struct HeaderV1 {
    labels: Vec<String>,
    feature_config: FeatureConfig,
    dim: usize,
    rows: usize,
    quantized: bool,
    temperature: f32,
    oos: Option<OosThreshold>,
    train_info: TrainInfo,
    #[serde(default)]
    pooling: Pooling,
}

#[derive(Serialize, Deserialize)]
struct BagHeader {
    dim: usize,
    rows: usize,
    quantized: bool,
    pooling: Pooling,
    weight: f32,
}

#[derive(Serialize, Deserialize)]
struct LinearHeader {
    rows: usize,
    quantized: bool,
    weight: f32,
}

#[derive(Serialize, Deserialize)]
struct HeaderV2 {
    labels: Vec<String>,
    feature_config: FeatureConfig,
    temperature: f32,
    oos: Option<OosThreshold>,
    train_info: TrainInfo,
    bag: Option<BagHeader>,
    linear: Option<LinearHeader>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_buckets(out: &mut Vec<u8>, buckets: &[u32]) {
    let mut prev = 0u32;
    for (i, &b) in buckets.iter().enumerate() {
        put_varint(out, if i == 0 { b } else { b - prev });
        prev = b;
    }
}

fn put_rows(out: &mut Vec<u8>, e: &Embedding) {
    match e {
        Embedding::F32(e) => e
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Embedding::I8 { q, scales } => {
            out.extend(q.iter().map(|&x| x as u8));
            scales
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
    }
}

fn put_f32s(out: &mut Vec<u8>, v: &[f32]) {
    v.iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
}

impl Model {
    /// Serialize to the model file format (version [`FORMAT_VERSION`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = HeaderV2 {
            labels: self.labels.clone(),
            feature_config: self.feature_config().clone(),
            temperature: self.temperature,
            oos: self.oos.clone(),
            train_info: self.info.clone(),
            bag: self.bag.as_ref().map(|b| BagHeader {
                dim: b.dim,
                rows: b.row_buckets.len(),
                quantized: matches!(b.emb, Embedding::I8 { .. }),
                pooling: b.pooling,
                weight: b.weight,
            }),
            linear: self.linear.as_ref().map(|l| LinearHeader {
                rows: l.row_buckets.len(),
                quantized: matches!(l.w, Embedding::I8 { .. }),
                weight: l.weight,
            }),
        };
        // Serializing plain data structs to JSON cannot fail.
        let hjson = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::with_capacity(FIXED + hjson.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // patched below
        out.extend_from_slice(&(hjson.len() as u32).to_le_bytes());
        out.extend_from_slice(&hjson);
        if let Some(b) = &self.bag {
            put_buckets(&mut out, &b.row_buckets);
            put_rows(&mut out, &b.emb);
            put_f32s(&mut out, &b.out);
            put_f32s(&mut out, &b.bias);
        }
        if let Some(l) = &self.linear {
            put_buckets(&mut out, &l.row_buckets);
            out.extend_from_slice(&l.idf);
            match &l.w {
                Embedding::I8 { q, scales } => {
                    out.extend(q.iter().map(|&x| x as u8));
                    // Scales are exact powers of two (quantize_rows_pow2): store the exponent.
                    out.extend(scales.iter().map(|s| {
                        let e = if *s > 0.0 { s.log2().round() } else { 0.0 };
                        e.clamp(-128.0, 127.0) as i8 as u8
                    }));
                }
                w => put_rows(&mut out, w),
            }
            put_f32s(&mut out, &l.bias);
        }
        let total = (out.len() + 4) as u64;
        out[12..20].copy_from_slice(&total.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parse a model file (format version 1 or 2). Every defect gives an error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, NluError> {
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(NluError::NotAModel);
        }
        if bytes.len() < FIXED + 4 {
            return Err(NluError::Truncated {
                expected: (FIXED + 4) as u64,
                actual: bytes.len() as u64,
            });
        }
        let mut c = Cursor { b: bytes, pos: 8 };
        let version = c.u32()?;
        if version != 1 && version != FORMAT_VERSION {
            return Err(NluError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let total = c.u64()?;
        if (bytes.len() as u64) < total {
            return Err(NluError::Truncated {
                expected: total,
                actual: bytes.len() as u64,
            });
        }
        if bytes.len() as u64 != total {
            return Err(NluError::Format(format!(
                "file has {} bytes but its header says {total} (trailing data)",
                bytes.len()
            )));
        }
        let body = &bytes[..bytes.len() - 4];
        let stored = u32::from_le_bytes([
            bytes[bytes.len() - 4],
            bytes[bytes.len() - 3],
            bytes[bytes.len() - 2],
            bytes[bytes.len() - 1],
        ]);
        let actual = crc32fast::hash(body);
        if stored != actual {
            return Err(NluError::Checksum {
                stored,
                computed: actual,
            });
        }
        let mut c = Cursor { b: body, pos: 20 };
        let hlen = c.u32()? as usize;
        let hbytes = c.take(hlen)?;
        let h: HeaderV2 = if version == 1 {
            let h: HeaderV1 = serde_json::from_slice(hbytes)
                .map_err(|e| NluError::Format(format!("bad header: {e}")))?;
            HeaderV2 {
                labels: h.labels,
                feature_config: h.feature_config,
                temperature: h.temperature,
                oos: h.oos,
                train_info: h.train_info,
                bag: Some(BagHeader {
                    dim: h.dim,
                    rows: h.rows,
                    quantized: h.quantized,
                    pooling: h.pooling,
                    weight: 1.0,
                }),
                linear: None,
            }
        } else {
            serde_json::from_slice(hbytes)
                .map_err(|e| NluError::Format(format!("bad header: {e}")))?
        };
        let l = h.labels.len();
        let bag = match &h.bag {
            Some(bh) => {
                let row_buckets = c.buckets(bh.rows)?;
                let emb = c.rows(bh.rows, bh.dim, bh.quantized)?;
                let out = c.f32s(
                    l.checked_mul(bh.dim)
                        .ok_or_else(|| NluError::Format("dimensions overflow".into()))?,
                )?;
                let bias = c.f32s(l)?;
                Some(Bag::new(
                    l,
                    bh.dim,
                    row_buckets,
                    emb,
                    out,
                    bias,
                    bh.pooling,
                    bh.weight,
                )?)
            }
            None => None,
        };
        let linear = match &h.linear {
            Some(lh) => {
                let row_buckets = c.buckets(lh.rows)?;
                let idf = c.take(lh.rows)?.to_vec();
                let w = if lh.quantized {
                    let cells = lh
                        .rows
                        .checked_mul(l)
                        .ok_or_else(|| NluError::Format("dimensions overflow".into()))?;
                    let q = c.take(cells)?.iter().map(|&x| x as i8).collect();
                    let scales = c
                        .take(lh.rows)?
                        .iter()
                        .map(|&e| crate::model::pow2(i32::from(e as i8)))
                        .collect();
                    Embedding::I8 { q, scales }
                } else {
                    c.rows(lh.rows, l, false)?
                };
                let bias = c.f32s(l)?;
                Some(Linear::new(l, row_buckets, idf, w, bias, lh.weight)?)
            }
            None => None,
        };
        if c.pos != body.len() {
            return Err(NluError::Format(format!(
                "{} unexpected bytes after the weights",
                body.len() - c.pos
            )));
        }
        Model::from_components(
            h.labels,
            &h.feature_config,
            bag,
            linear,
            h.temperature,
            h.oos,
            h.train_info,
        )
    }

    /// Write the model file to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NluError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_bytes()).map_err(|source| NluError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Read a model file from `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Model, NluError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| NluError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Model::from_bytes(&bytes)
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], NluError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| {
                NluError::Format(format!(
                    "model data ends early (need {n} bytes at {})",
                    self.pos
                ))
            })?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, NluError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, NluError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn varint(&mut self) -> Result<u32, NluError> {
        let mut v: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = *self.take(1)?.first().unwrap_or(&0);
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| NluError::Format("varint overflow".into()));
            }
        }
        Err(NluError::Format("varint too long".into()))
    }
    fn buckets(&mut self, n: usize) -> Result<Vec<u32>, NluError> {
        let mut row_buckets = Vec::with_capacity(n.min(self.b.len()));
        let mut prev = 0u32;
        for i in 0..n {
            let v = self.varint()?;
            let b = if i == 0 {
                v
            } else {
                prev.checked_add(v)
                    .filter(|_| v > 0)
                    .ok_or_else(|| NluError::Format("row bucket ids are not ascending".into()))?
            };
            row_buckets.push(b);
            prev = b;
        }
        Ok(row_buckets)
    }
    fn rows(&mut self, n: usize, width: usize, quantized: bool) -> Result<Embedding, NluError> {
        let cells = n
            .checked_mul(width)
            .ok_or_else(|| NluError::Format("dimensions overflow".into()))?;
        Ok(if quantized {
            let q = self.take(cells)?.iter().map(|&x| x as i8).collect();
            let scales = self.f32s(n)?;
            Embedding::I8 { q, scales }
        } else {
            Embedding::F32(self.f32s(cells)?)
        })
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, NluError> {
        let bytes = n
            .checked_mul(4)
            .ok_or_else(|| NluError::Format("dimensions overflow".into()))?;
        let s = self.take(bytes)?;
        Ok(s.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Example, ModelKind, TrainConfig, train};

    fn model() -> Model {
        let data: Vec<Example> = [
            ("多少钱", "price"),
            ("价格多少", "price"),
            ("how much", "price"),
            ("你好", "hi"),
            ("hello there", "hi"),
            ("您好", "hi"),
        ]
        .iter()
        .map(|(t, l)| Example::new(*t, *l))
        .collect();
        let cfg = TrainConfig {
            epochs: 30,
            batch_size: 2,
            ..TrainConfig::default()
        };
        train(&data, None, &cfg, &mut |_| {}).unwrap()
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
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&(hjson.len() as u32).to_le_bytes());
        out.extend_from_slice(&hjson);
        put_buckets(&mut out, &b.row_buckets);
        put_rows(&mut out, &b.emb);
        put_f32s(&mut out, &b.out);
        put_f32s(&mut out, &b.bias);
        let total = (out.len() + 4) as u64;
        out[12..20].copy_from_slice(&total.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
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

    #[test]
    fn reads_the_shipped_models() {
        // The analyzer's models in the repository were written as version 1.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipping: no {}", dir.display());
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) == Some("tkm") {
                let m = Model::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                assert!(!m.predict("这个多少钱").label.is_empty());
            }
        }
    }

    fn toy_linear(kind: ModelKind) -> Model {
        let data: Vec<Example> = [
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
        ]
        .iter()
        .map(|(t, l)| Example::new(*t, *l))
        .collect();
        let cfg = TrainConfig {
            epochs: 30,
            batch_size: 2,
            kind,
            ..TrainConfig::default()
        };
        train(&data, Some(&data), &cfg, &mut |_| {}).unwrap()
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
}
