//! A BERT layer that can be trained. `candle_transformers`' BERT layers normalize with candle's
//! fused layer-norm op, which has no backward pass: gradients stop there, so tuned layers built
//! from them never learn. This layer does the same math with differentiable ops (the slow
//! layer norm, the generic softmax) and is used for the tuned top layers only.

use candle_core::{D, Tensor};
use candle_nn::{Linear, Module, VarBuilder};
use candle_transformers::models::bert::Config;

use crate::error::Result;

struct Norm {
    w: Tensor,
    b: Tensor,
    eps: f32,
}

impl Norm {
    fn load(vb: VarBuilder, h: usize, eps: f64) -> Result<Self> {
        Ok(Norm {
            w: vb.get(h, "weight")?,
            b: vb.get(h, "bias")?,
            eps: eps as f32,
        })
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(candle_nn::ops::layer_norm_slow(
            x, &self.w, &self.b, self.eps,
        )?)
    }
}

fn linear(vb: VarBuilder, i: usize, o: usize) -> Result<Linear> {
    Ok(Linear::new(
        vb.get((o, i), "weight")?,
        Some(vb.get(o, "bias")?),
    ))
}

/// One post-norm BERT layer (self-attention, GELU feed-forward), Hugging Face weight names.
pub struct TrainableLayer {
    q: Linear,
    k: Linear,
    v: Linear,
    ao: Linear,
    aln: Norm,
    fi: Linear,
    fo: Linear,
    oln: Norm,
    heads: usize,
}

impl TrainableLayer {
    pub fn load(vb: VarBuilder, c: &Config) -> Result<Self> {
        let (h, ff, eps) = (c.hidden_size, c.intermediate_size, c.layer_norm_eps);
        let a = vb.pp("attention");
        Ok(TrainableLayer {
            q: linear(a.pp("self").pp("query"), h, h)?,
            k: linear(a.pp("self").pp("key"), h, h)?,
            v: linear(a.pp("self").pp("value"), h, h)?,
            ao: linear(a.pp("output").pp("dense"), h, h)?,
            aln: Norm::load(a.pp("output").pp("LayerNorm"), h, eps)?,
            fi: linear(vb.pp("intermediate").pp("dense"), h, ff)?,
            fo: linear(vb.pp("output").pp("dense"), ff, h)?,
            oln: Norm::load(vb.pp("output").pp("LayerNorm"), h, eps)?,
            heads: c.num_attention_heads,
        })
    }

    /// `x` `[B, T, H]`, `bias` the additive attention mask `[B, 1, 1, T]`.
    pub fn forward(&self, x: &Tensor, bias: &Tensor) -> Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let hd = h / self.heads;
        let split = |y: Tensor| -> Result<Tensor> {
            Ok(y.reshape((b, t, self.heads, hd))?
                .transpose(1, 2)?
                .contiguous()?)
        };
        let q = split(self.q.forward(x)?)?;
        let k = split(self.k.forward(x)?)?;
        let v = split(self.v.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(bias)?;
        let p = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let ctx = p
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, t, h))?;
        let a = self.aln.forward(&(self.ao.forward(&ctx)? + x)?)?;
        let f = self.fo.forward(&self.fi.forward(&a)?.gelu_erf()?)?;
        self.oln.forward(&(f + a)?)
    }
}

/// A stack of [`TrainableLayer`]s.
pub struct TrainableStack(Vec<TrainableLayer>);

impl TrainableStack {
    /// Layers `from..to`, read under their own indices from `vb` (rooted at the model).
    pub fn load(vb: VarBuilder, c: &Config, from: usize, to: usize) -> Result<Self> {
        (from..to)
            .map(|l| TrainableLayer::load(vb.pp(format!("encoder.layer.{l}")), c))
            .collect::<Result<Vec<_>>>()
            .map(TrainableStack)
    }

    pub fn forward(&self, x: &Tensor, bias: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for l in &self.0 {
            x = l.forward(&x, bias)?;
        }
        Ok(x)
    }
}
