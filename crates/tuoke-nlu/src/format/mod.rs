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
//!
//! This file holds the constants and the header structs; `write.rs` writes a file
//! ([`Model::to_bytes`](crate::Model::to_bytes), [`Model::save`](crate::Model::save)), `read.rs`
//! checks and parses one ([`Model::from_bytes`](crate::Model::from_bytes),
//! [`Model::load`](crate::Model::load)).

use serde::{Deserialize, Serialize};

use crate::features::FeatureConfig;
use crate::model::{OosThreshold, Pooling, TrainInfo};

mod read;
#[cfg(test)]
mod tests;
mod write;

pub const MAGIC: &[u8; 8] = b"TUOKENLU";
/// The version written; versions 1, 2 and 3 are read.
pub const FORMAT_VERSION: u32 = 3;
/// Bytes before the header JSON: magic, version, total length, header length.
const FIXED: usize = 24;

/// The version-1 header (read only): a bag model, all in one header.
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

/// The shape of the bag block.
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

/// serde's default for [`LinearHeader::idf`].
fn yes() -> bool {
    true
}

/// The shape and layout of the linear block (a version-2 header has only the first three fields).
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

/// The header of versions 2 and 3 (a version-1 header is read into it too).
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
