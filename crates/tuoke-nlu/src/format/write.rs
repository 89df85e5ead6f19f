//! Writing a model file (always the current [`FORMAT_VERSION`]).

use std::path::Path;

use super::{BagHeader, FIXED, FORMAT_VERSION, HeaderV2, LinearHeader, MAGIC, ScaleLayout};
use crate::error::NluError;
use crate::model::{Embedding, LinearRows, LinearWeights, Model};

/// An unsigned LEB128 varint (7 bits a byte, low bits first).
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

/// Ascending bucket ids as varints of the gaps (the first id as is).
pub(super) fn put_buckets(out: &mut Vec<u8>, buckets: &[u32]) {
    let mut prev = 0u32;
    for (i, &b) in buckets.iter().enumerate() {
        put_varint(out, if i == 0 { b } else { b - prev });
        prev = b;
    }
}

/// Embedding rows: f32, or i8 followed by the f32 scale of each row.
pub(super) fn put_rows(out: &mut Vec<u8>, e: &Embedding) {
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
pub(super) fn begin_file(version: u32, header_json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FIXED + header_json.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
    out.extend_from_slice(header_json);
    out
}

/// Patches the total length into a file begun by [`begin_file`] and appends the CRC-32.
pub(super) fn seal(mut out: Vec<u8>) -> Vec<u8> {
    let total = (out.len() + 4) as u64;
    out[12..20].copy_from_slice(&total.to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Little-endian f32s.
pub(super) fn put_f32s(out: &mut Vec<u8>, v: &[f32]) {
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

    /// Write the model file to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NluError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_bytes()).map_err(|source| NluError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}
