//! The model file format (version 1), little-endian:
//!
//! ```text
//! 0   8  magic "TUOKENLU"
//! 8   4  format version (u32)
//! 12  8  total file length in bytes (u64), checksum included
//! 20  4  header length H (u32)
//! 24  H  header: JSON {labels, feature_config, dim, rows, quantized, temperature, oos, train_info}
//! ..     row bucket ids, ascending, as LEB128 varints of the gaps
//! ..     embedding: f32 rows×dim, or i8 rows×dim followed by f32 scale per row
//! ..     output layer f32 labels×dim, bias f32 labels
//! end-4  CRC-32 (IEEE) of every byte before it
//! ```
//! Checks run in this order so the error names the real problem: magic, version, length (truncation),
//! checksum (corruption), then structure.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::NluError;
use crate::features::FeatureConfig;
use crate::model::{Embedding, Model, OosThreshold, Pooling, TrainInfo};

pub const MAGIC: &[u8; 8] = b"TUOKENLU";
pub const FORMAT_VERSION: u32 = 1;
const FIXED: usize = 24;

#[derive(Serialize, Deserialize)]
struct Header {
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

impl Model {
    /// Serialize to the model file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            labels: self.labels.clone(),
            feature_config: self.feature_config().clone(),
            dim: self.dim,
            rows: self.row_buckets.len(),
            quantized: self.is_quantized(),
            temperature: self.temperature,
            oos: self.oos.clone(),
            train_info: self.info.clone(),
            pooling: self.pooling,
        };
        // Serializing plain data structs to JSON cannot fail.
        let hjson = serde_json::to_vec(&header).unwrap_or_default();
        let mut out =
            Vec::with_capacity(FIXED + hjson.len() + self.row_buckets.len() * (self.dim * 4 + 3));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // patched below
        out.extend_from_slice(&(hjson.len() as u32).to_le_bytes());
        out.extend_from_slice(&hjson);
        let mut prev = 0u32;
        for (i, &b) in self.row_buckets.iter().enumerate() {
            put_varint(&mut out, if i == 0 { b } else { b - prev });
            prev = b;
        }
        match &self.emb {
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
        self.out
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        self.bias
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        let total = (out.len() + 4) as u64;
        out[12..20].copy_from_slice(&total.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parse a model file. Every defect gives an error, never a panic.
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
        if version != FORMAT_VERSION {
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
        let h: Header = serde_json::from_slice(hbytes)
            .map_err(|e| NluError::Format(format!("bad header: {e}")))?;
        let mut row_buckets = Vec::with_capacity(h.rows.min(body.len()));
        let mut prev = 0u32;
        for i in 0..h.rows {
            let v = c.varint()?;
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
        let n = h.rows;
        let d = h.dim;
        let l = h.labels.len();
        let cells = n
            .checked_mul(d)
            .ok_or_else(|| NluError::Format("dimensions overflow".into()))?;
        let emb = if h.quantized {
            let q = c.take(cells)?.iter().map(|&x| x as i8).collect();
            let scales = c.f32s(n)?;
            Embedding::I8 { q, scales }
        } else {
            Embedding::F32(c.f32s(cells)?)
        };
        let out = c.f32s(
            l.checked_mul(d)
                .ok_or_else(|| NluError::Format("dimensions overflow".into()))?,
        )?;
        let bias = c.f32s(l)?;
        if c.pos != body.len() {
            return Err(NluError::Format(format!(
                "{} unexpected bytes after the weights",
                body.len() - c.pos
            )));
        }
        Model::from_parts(
            h.labels,
            &h.feature_config,
            d,
            row_buckets,
            emb,
            out,
            bias,
            h.temperature,
            h.oos,
            h.train_info,
            h.pooling,
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
    use crate::{Example, TrainConfig, train};

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
        let (Embedding::F32(e), Embedding::I8 { q: qi, scales }) = (&m.emb, &q.emb) else {
            panic!("expected f32 and int8 embeddings");
        };
        for (r, s) in scales.iter().enumerate() {
            for j in 0..m.dim {
                let x = e[r * m.dim + j];
                let y = f32::from(qi[r * m.dim + j]) * s;
                assert!((x - y).abs() <= s * 0.5 + 1e-6);
            }
        }
        assert!(qb.len() * 3 < m.to_bytes().len());
        assert_eq!(q.quantize().to_bytes(), qb);
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
                supported: 1
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
