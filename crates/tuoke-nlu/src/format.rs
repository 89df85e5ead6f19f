//! The model file format, little-endian. Version 3 (written):
//!
//! ```text
//! 0   8  magic "TUOKENLU"
//! 8   4  format version (u32) = 3
//! 12  8  total file length in bytes (u64), checksum included
//! 20  4  header length H (u32)
//! 24  H  header: JSON {labels, feature_config, temperature, oos, train_info,
//!                      bag: {dim, rows, quantized, pooling, weight} | null,
//!                      linear: {rows, quantized, weight, hash_bits, idf, scales} | null}
//! ..     bag block (if any): row bucket ids (ascending, LEB128 varints of the gaps);
//!        embedding f32 rows×dim, or i8 rows×dim followed by f32 scale per row;
//!        output layer f32 labels×dim; bias f32 labels
//! ..     linear block (if any):
//!          row bucket ids as above when `hash_bits` is null; with `hash_bits = k` instead an
//!            occupancy bitmap of `2^k` bits (u64 words; a bucket's slot is a hash of it, the row of
//!            a set slot is its rank among the set bits);
//!          idf u8 per row (1/16 steps) — only when `idf` is true (else it is folded into the weights);
//!          weights rows×labels (feature-major): f32; or i8 followed by the scales: with
//!            `scales: "label"` one f32 per label (per-row quantization of W = labels × features),
//!            with `scales: "feature_pow2"` (version 2) one i8 exponent `e` per row (scale `2^e`);
//!          bias f32 labels
//! end-4  CRC-32 (IEEE) of every byte before it
//! ```
//! Version 2 (read only) is version 3 with a linear header `{rows, quantized, weight}` (the defaults
//! `hash_bits: null, idf: true, scales: "feature_pow2"`).
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
use crate::model::{
    Bag, Embedding, HashedRows, Linear, LinearRows, LinearWeights, Model, OosThreshold, Pooling,
    TrainInfo, row_map,
};

pub const MAGIC: &[u8; 8] = b"TUOKENLU";
/// The version written; versions 1, 2 and 3 are read.
pub const FORMAT_VERSION: u32 = 3;
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

/// How the scales of an int8 linear block are stored.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
enum ScaleLayout {
    /// One f32 per label (version 3).
    Label,
    /// One i8 power-of-two exponent per feature row (version 2).
    #[default]
    FeaturePow2,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, Deserialize)]
struct LinearHeader {
    rows: usize,
    quantized: bool,
    weight: f32,
    /// `Some(k)`: `2^k` hashed rows, no ids stored.
    #[serde(default)]
    hash_bits: Option<u8>,
    /// An idf table follows the ids.
    #[serde(default = "yes")]
    idf: bool,
    #[serde(default)]
    scales: ScaleLayout,
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

/// The fixed start of a model file: magic, format `version`, the total length (patched by
/// [`seal`]), the header's length and the header JSON.
fn begin_file(version: u32, header_json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FIXED + header_json.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
    out.extend_from_slice(header_json);
    out
}

/// Patches the total length into a file begun by [`begin_file`] and appends the CRC-32.
fn seal(mut out: Vec<u8>) -> Vec<u8> {
    let total = (out.len() + 4) as u64;
    out[12..20].copy_from_slice(&total.to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
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
                rows: l.num_rows(),
                quantized: !matches!(l.w, LinearWeights::F32(_)),
                weight: l.weight,
                hash_bits: match &l.rows {
                    LinearRows::Hashed(h) => Some(h.bits),
                    LinearRows::Sparse { .. } => None,
                },
                idf: l.idf.is_some(),
                scales: match l.w {
                    LinearWeights::I8PerFeature { .. } => ScaleLayout::FeaturePow2,
                    _ => ScaleLayout::Label,
                },
            }),
        };
        // Serializing plain data structs to JSON cannot fail.
        let hjson = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = begin_file(FORMAT_VERSION, &hjson);
        if let Some(b) = &self.bag {
            put_buckets(&mut out, &b.row_buckets);
            put_rows(&mut out, &b.emb);
            put_f32s(&mut out, &b.out);
            put_f32s(&mut out, &b.bias);
        }
        if let Some(l) = &self.linear {
            match &l.rows {
                LinearRows::Sparse { row_buckets, .. } => put_buckets(&mut out, row_buckets),
                LinearRows::Hashed(h) => h
                    .occupied
                    .iter()
                    .for_each(|w| out.extend_from_slice(&w.to_le_bytes())),
            }
            if let Some(idf) = &l.idf {
                out.extend_from_slice(idf);
            }
            match &l.w {
                LinearWeights::F32(w) => put_f32s(&mut out, w),
                LinearWeights::I8PerLabel { q, scales } => {
                    out.extend(q.iter().map(|&x| x as u8));
                    put_f32s(&mut out, scales);
                }
                LinearWeights::I8PerFeature { q, scales } => {
                    out.extend(q.iter().map(|&x| x as u8));
                    // Scales are exact powers of two (version-2 files): store the exponent.
                    out.extend(scales.iter().map(|s| {
                        let e = if *s > 0.0 { s.log2().round() } else { 0.0 };
                        e.clamp(-128.0, 127.0) as i8 as u8
                    }));
                }
            }
            put_f32s(&mut out, &l.bias);
        }
        seal(out)
    }

    /// Parse a model file (format version 1, 2 or 3). Every defect gives an error, never a panic.
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
        if !(1..=FORMAT_VERSION).contains(&version) {
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
                if version < 3
                    && (lh.hash_bits.is_some() || !lh.idf || lh.scales != ScaleLayout::FeaturePow2)
                {
                    return Err(NluError::Format(
                        "version-2 linear header with version-3 fields".into(),
                    ));
                }
                let rows = match lh.hash_bits {
                    Some(bits) => {
                        if !crate::model::LINEAR_HASH_BITS.contains(&bits) {
                            return Err(NluError::Format(format!(
                                "linear hash bits must be {}..={}, got {bits}",
                                crate::model::LINEAR_HASH_BITS.start(),
                                crate::model::LINEAR_HASH_BITS.end()
                            )));
                        }
                        let words = (1usize << bits) / 64;
                        let occupied: Vec<u64> = c
                            .take(words * 8)?
                            .chunks_exact(8)
                            .map(|b| {
                                u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
                            })
                            .collect();
                        let h = HashedRows::new(bits, occupied).ok_or_else(|| {
                            NluError::Format("bad linear occupancy bitmap".into())
                        })?;
                        if h.len() != lh.rows {
                            return Err(NluError::Format(format!(
                                "linear header says {} rows, the bitmap has {}",
                                lh.rows,
                                h.len()
                            )));
                        }
                        LinearRows::Hashed(h)
                    }
                    None => {
                        let row_buckets = c.buckets(lh.rows)?;
                        LinearRows::Sparse {
                            rows: row_map(&row_buckets),
                            row_buckets,
                        }
                    }
                };
                let idf = if lh.idf {
                    Some(c.take(lh.rows)?.to_vec())
                } else {
                    None
                };
                let cells = lh
                    .rows
                    .checked_mul(l)
                    .ok_or_else(|| NluError::Format("dimensions overflow".into()))?;
                let w = if !lh.quantized {
                    LinearWeights::F32(c.f32s(cells)?)
                } else {
                    let q = c.take(cells)?.iter().map(|&x| x as i8).collect();
                    match lh.scales {
                        ScaleLayout::Label => LinearWeights::I8PerLabel {
                            q,
                            scales: c.f32s(l)?,
                        },
                        ScaleLayout::FeaturePow2 => LinearWeights::I8PerFeature {
                            q,
                            scales: c
                                .take(lh.rows)?
                                .iter()
                                .map(|&e| crate::model::pow2(i32::from(e as i8)))
                                .collect(),
                        },
                    }
                };
                let bias = c.f32s(l)?;
                Some(Linear::new(l, rows, idf, w, bias, lh.weight)?)
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
}
