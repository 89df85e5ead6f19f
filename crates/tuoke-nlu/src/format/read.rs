//! Reading a model file of any supported version: the checks in order (magic, version, length,
//! checksum), then the header and the component blocks.

use std::path::Path;

use super::{BagHeader, FIXED, FORMAT_VERSION, HeaderV1, HeaderV2, MAGIC, ScaleLayout};
use crate::error::NluError;
use crate::model::{Bag, Embedding, HashedRows, Linear, LinearRows, LinearWeights, Model, row_map};

impl Model {
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

/// Reads the file front to back; running past the end is an error, never a panic.
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
