//! Teachers: a classification head over the pooled embedding of an [`Encoder`], optionally with
//! its top layers fine-tuned, trained on the CPU with AdamW.
//!
//! The frozen part runs once: every training (and dev) text goes through the embeddings and the
//! frozen lower layers a single time, and only the tuned top layers and the head run per epoch
//! (with no tuned layers the cache holds one pooled vector per text). Training is deterministic
//! per seed: a seeded head init, a seeded order per epoch, no dropout. Memory is the encoder plus
//! the cache (tokens × hidden × 4 bytes for tuned layers, texts × hidden × 4 bytes without).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{D, DType, Tensor, Var};
use candle_nn::{AdamW, Linear, Module, Optimizer, ParamsAdamW, VarMap};
use candle_transformers::models::bert::BertEncoder;

use crate::layer::TrainableStack;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::encoder::{Encoder, EncoderOptions};
use crate::error::{Error, Result};
use crate::model::{attention_bias, mean_pool, pad_batch};

const META_FILE: &str = "teacher.json";
const WEIGHTS_FILE: &str = "teacher.safetensors";
const FORMAT: u32 = 1;

/// How to train.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeachConfig {
    /// Top layers fine-tuned (0: the head alone over frozen embeddings).
    pub tune_layers: usize,
    pub epochs: usize,
    pub batch: usize,
    pub lr_head: f64,
    pub lr_layers: f64,
    pub weight_decay: f64,
    pub seed: u64,
}

impl Default for TeachConfig {
    fn default() -> Self {
        TeachConfig {
            tune_layers: 2,
            epochs: 6,
            batch: 16,
            lr_head: 2e-2,
            lr_layers: 1e-4,
            weight_decay: 0.01,
            seed: 42,
        }
    }
}

/// One epoch's numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochStat {
    pub epoch: usize,
    pub train_loss: f64,
    pub dev_accuracy: Option<f64>,
    pub seconds: f64,
}

/// What training reports while it runs.
pub enum Progress<'a> {
    /// Texts run through the frozen layers so far.
    Cache {
        done: usize,
        total: usize,
    },
    /// One optimizer step of an epoch.
    Step {
        epoch: usize,
        step: usize,
        steps: usize,
        loss: f64,
    },
    Epoch(&'a EpochStat),
}

/// The saved description of a teacher (`teacher.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeacherMeta {
    pub format: u32,
    /// The encoder it was trained on (a path; `--encoder` can name another copy).
    pub encoder: PathBuf,
    pub hidden: usize,
    pub layers: usize,
    pub max_len: usize,
    pub labels: Vec<String>,
    pub config: TeachConfig,
    pub history: Vec<EpochStat>,
    /// The epoch whose weights were kept (best dev accuracy, or the last without dev).
    pub kept_epoch: usize,
    pub train_examples: usize,
    pub train_seconds: f64,
}

/// A trained classifier: encoder, tuned top layers, head.
pub struct Teacher {
    pub meta: TeacherMeta,
    encoder: Encoder,
    lower: BertEncoder,
    upper: Option<TrainableStack>,
    head: Linear,
    weights: HashMap<String, Tensor>,
}

/// Cached output of the frozen part for one text.
enum Cached {
    /// Hidden states after the frozen layers, `[T, H]`.
    Hidden(Tensor),
    /// Pooled vector `[H]` (nothing tuned).
    Pooled(Tensor),
}

fn cut_of(enc: &Encoder, tune: usize) -> Result<usize> {
    enc.layers().checked_sub(tune).ok_or_else(|| {
        Error::Invalid(format!(
            "cannot tune {tune} layers of a {}-layer encoder",
            enc.layers()
        ))
    })
}

/// Runs texts through the embeddings and the frozen layers, one entry per text.
fn cache(
    enc: &Encoder,
    lower: &BertEncoder,
    tune: usize,
    texts: &[&str],
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<Cached>> {
    let ids = enc.token_ids(texts)?;
    let mut out: Vec<Option<Cached>> = (0..ids.len()).map(|_| None).collect();
    let mut done = 0;
    for chunk in Encoder::length_batches(&ids, enc.options().batch) {
        let rows: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
        let (padded, mask) = enc.pad(&rows)?;
        let h = lower.forward(&enc.model.embed(&padded)?, &attention_bias(&mask)?)?;
        if tune == 0 {
            let p = mean_pool(&h, &mask)?;
            for (k, &i) in chunk.iter().enumerate() {
                out[i] = Some(Cached::Pooled(p.get(k)?));
            }
        } else {
            for (k, &i) in chunk.iter().enumerate() {
                let t = h.get(k)?.narrow(0, 0, ids[i].len())?.contiguous()?;
                out[i] = Some(Cached::Hidden(t));
            }
        }
        done += chunk.len();
        progress(Progress::Cache {
            done,
            total: ids.len(),
        });
    }
    out.into_iter()
        .map(|c| c.ok_or_else(|| Error::Invalid("uncached text".into())))
        .collect()
}

/// Logits `[B, labels]` of a batch of cached entries.
fn logits(
    batch: &[&Cached],
    upper: Option<&TrainableStack>,
    head: &Linear,
    enc: &Encoder,
) -> Result<Tensor> {
    let dev = enc.model.device();
    let pooled = match (batch.first(), upper) {
        (Some(Cached::Hidden(_)), Some(upper)) => {
            let t = batch
                .iter()
                .map(|c| match c {
                    Cached::Hidden(h) => h.dim(0).unwrap_or(0),
                    Cached::Pooled(_) => 0,
                })
                .max()
                .unwrap_or(0);
            let mut rows = Vec::with_capacity(batch.len());
            let mut lens = Vec::with_capacity(batch.len());
            for c in batch {
                let Cached::Hidden(h) = c else {
                    return Err(Error::Invalid("mixed cache".into()));
                };
                let n = h.dim(0)?;
                lens.push(vec![0u32; n]);
                rows.push(if n < t {
                    Tensor::cat(
                        &[h, &Tensor::zeros((t - n, h.dim(1)?), DType::F32, dev)?],
                        0,
                    )?
                } else {
                    h.clone()
                });
            }
            let x = Tensor::stack(&rows, 0)?;
            let (_, mask) = pad_batch(&lens, 0, dev)?;
            let h = upper.forward(&x, &attention_bias(&mask)?)?;
            mean_pool(&h, &mask)?
        }
        _ => {
            let rows = batch
                .iter()
                .map(|c| match c {
                    Cached::Pooled(p) => Ok(p.clone()),
                    Cached::Hidden(_) => Err(Error::Invalid("mixed cache".into())),
                })
                .collect::<Result<Vec<_>>>()?;
            Tensor::stack(&rows, 0)?
        }
    };
    Ok(head.forward(&pooled)?)
}

fn accuracy(
    cached: &[Cached],
    gold: &[u32],
    upper: Option<&TrainableStack>,
    head: &Linear,
    enc: &Encoder,
) -> Result<f64> {
    let mut right = 0usize;
    let all: Vec<&Cached> = cached.iter().collect();
    for (chunk, g) in all.chunks(64).zip(gold.chunks(64)) {
        let pred = logits(chunk, upper, head, enc)?
            .argmax(D::Minus1)?
            .to_vec1::<u32>()?;
        right += pred.iter().zip(g).filter(|(p, g)| p == g).count();
    }
    Ok(right as f64 / gold.len().max(1) as f64)
}

fn label_ids(labels: &[String], rows: &[(&str, &str)]) -> Result<Vec<u32>> {
    rows.iter()
        .map(|(t, l)| {
            labels
                .iter()
                .position(|x| x == l)
                .map(|i| i as u32)
                .ok_or_else(|| Error::Invalid(format!("label {l:?} of {t:?} is not in training")))
        })
        .collect()
}

fn snapshot(vars: &VarMap) -> Result<HashMap<String, Tensor>> {
    let data = vars
        .data()
        .lock()
        .map_err(|_| Error::Invalid("variable map lock poisoned".into()))?;
    data.iter()
        .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?)))
        .collect()
}

/// Trains a teacher on `(text, label)` rows; with `dev`, the epoch of best dev accuracy is kept.
pub fn teach(
    encoder: Encoder,
    train: &[(&str, &str)],
    dev: Option<&[(&str, &str)]>,
    cfg: &TeachConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Teacher> {
    if train.is_empty() || cfg.epochs == 0 || cfg.batch == 0 {
        return Err(Error::Invalid(
            "need training rows, epochs ≥ 1 and batch ≥ 1".into(),
        ));
    }
    let start = Instant::now();
    let mut labels: Vec<String> = train.iter().map(|(_, l)| l.to_string()).collect();
    labels.sort();
    labels.dedup();
    if labels.len() < 2 {
        return Err(Error::Invalid("need at least two labels".into()));
    }
    let gold = label_ids(&labels, train)?;
    let dev_gold = dev.map(|d| label_ids(&labels, d)).transpose()?;
    let (h, n_layers, tune) = (encoder.dim(), encoder.layers(), cfg.tune_layers);
    let cut = cut_of(&encoder, tune)?;
    let lower = encoder.model.frozen_layers(0, cut)?;
    let texts: Vec<&str> = train.iter().map(|(t, _)| *t).collect();
    let cached = cache(&encoder, &lower, tune, &texts, progress)?;
    let dev_cached = match dev {
        Some(d) => Some(cache(
            &encoder,
            &lower,
            tune,
            &d.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            progress,
        )?),
        None => None,
    };
    tracing::info!(texts = texts.len(), cut, tune, "frozen part cached");

    let dev_ = encoder.model.device().clone();
    let vars = VarMap::new();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let bound = 1.0 / (h as f32).sqrt();
    let w: Vec<f32> = (0..labels.len() * h)
        .map(|_| rng.random_range(-bound..bound))
        .collect();
    let head_w = Var::from_tensor(&Tensor::from_vec(w, (labels.len(), h), &dev_)?)?;
    let head_b = Var::from_tensor(&Tensor::zeros(labels.len(), DType::F32, &dev_)?)?;
    let upper = (tune > 0)
        .then(|| encoder.model.trainable_layers(cut, n_layers, &vars))
        .transpose()?;
    let layer_vars = vars.all_vars();
    {
        let mut data = vars
            .data()
            .lock()
            .map_err(|_| Error::Invalid("variable map lock poisoned".into()))?;
        data.insert("head.weight".into(), head_w.clone());
        data.insert("head.bias".into(), head_b.clone());
    }
    let head = Linear::new(head_w.as_tensor().clone(), Some(head_b.as_tensor().clone()));
    let params = |lr| ParamsAdamW {
        lr,
        weight_decay: cfg.weight_decay,
        ..Default::default()
    };
    let mut opt_head = AdamW::new(vec![head_w, head_b], params(cfg.lr_head))?;
    let mut opt_layers = (!layer_vars.is_empty())
        .then(|| AdamW::new(layer_vars, params(cfg.lr_layers)))
        .transpose()?;

    let steps_per_epoch = train.len().div_ceil(cfg.batch);
    let total_steps = (steps_per_epoch * cfg.epochs) as f64;
    let warmup = (total_steps * 0.06).max(1.0);
    let mut history = Vec::new();
    let mut best: Option<(f64, usize, HashMap<String, Tensor>)> = None;
    let mut step_all = 0usize;
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(
            cfg.seed.wrapping_add(epoch as u64),
        ));
        let mut loss_sum = 0.0;
        for (step, idx) in order.chunks(cfg.batch).enumerate() {
            step_all += 1;
            let s = step_all as f64;
            let scale = if s < warmup {
                s / warmup
            } else {
                ((total_steps - s) / (total_steps - warmup).max(1.0)).max(0.0)
            };
            opt_head.set_learning_rate(cfg.lr_head * scale);
            if let Some(o) = opt_layers.as_mut() {
                o.set_learning_rate(cfg.lr_layers * scale);
            }
            let batch: Vec<&Cached> = idx.iter().map(|&i| &cached[i]).collect();
            let target: Vec<u32> = idx.iter().map(|&i| gold[i]).collect();
            let target = Tensor::new(target.as_slice(), &dev_)?;
            let lg = logits(&batch, upper.as_ref(), &head, &encoder)?;
            let loss = candle_nn::loss::cross_entropy(&lg, &target)?;
            let grads = loss.backward()?;
            opt_head.step(&grads)?;
            if let Some(o) = opt_layers.as_mut() {
                o.step(&grads)?;
            }
            let l = f64::from(loss.to_scalar::<f32>()?);
            if !l.is_finite() {
                return Err(Error::Invalid(format!(
                    "training diverged (loss {l}) at epoch {epoch}: lower the learning rates"
                )));
            }
            loss_sum += l;
            progress(Progress::Step {
                epoch,
                step: step + 1,
                steps: steps_per_epoch,
                loss: l,
            });
        }
        let dev_accuracy = match (&dev_cached, &dev_gold) {
            (Some(c), Some(g)) => Some(accuracy(c, g, upper.as_ref(), &head, &encoder)?),
            _ => None,
        };
        let stat = EpochStat {
            epoch,
            train_loss: loss_sum / steps_per_epoch as f64,
            dev_accuracy,
            seconds: t0.elapsed().as_secs_f64(),
        };
        progress(Progress::Epoch(&stat));
        tracing::info!(epoch, loss = stat.train_loss, ?dev_accuracy, "epoch done");
        let score = dev_accuracy.unwrap_or(epoch as f64);
        if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
            best = Some((score, epoch, snapshot(&vars)?));
        }
        history.push(stat);
    }
    let (_, kept_epoch, weights) =
        best.ok_or_else(|| Error::Invalid("no epoch was trained".into()))?;
    let meta = TeacherMeta {
        format: FORMAT,
        encoder: encoder.path.clone(),
        hidden: h,
        layers: n_layers,
        max_len: encoder.options().max_len,
        labels,
        config: cfg.clone(),
        history,
        kept_epoch,
        train_examples: train.len(),
        train_seconds: start.elapsed().as_secs_f64(),
    };
    Teacher::assemble(meta, encoder, weights)
}

impl Teacher {
    fn assemble(
        meta: TeacherMeta,
        encoder: Encoder,
        weights: HashMap<String, Tensor>,
    ) -> Result<Self> {
        let get = |n: &str| {
            weights
                .get(n)
                .cloned()
                .ok_or_else(|| Error::Invalid(format!("teacher weights lack {n}")))
        };
        let (w, b) = (get("head.weight")?, get("head.bias")?);
        if w.dims() != [meta.labels.len(), meta.hidden] || b.dims() != [meta.labels.len()] {
            return Err(Error::Invalid(format!(
                "head {:?} does not fit {} labels × {}",
                w.dims(),
                meta.labels.len(),
                meta.hidden
            )));
        }
        if encoder.dim() != meta.hidden || encoder.layers() != meta.layers {
            return Err(Error::Invalid(format!(
                "encoder {} has {}×{} but the teacher was trained on {}×{}",
                encoder.path.display(),
                encoder.layers(),
                encoder.dim(),
                meta.layers,
                meta.hidden
            )));
        }
        let cut = cut_of(&encoder, meta.config.tune_layers)?;
        let lower = encoder.model.frozen_layers(0, cut)?;
        let upper = (meta.config.tune_layers > 0)
            .then(|| encoder.model.stack_from(weights.clone(), cut, meta.layers))
            .transpose()?;
        Ok(Teacher {
            meta,
            encoder,
            lower,
            upper,
            head: Linear::new(w, Some(b)),
            weights,
        })
    }

    /// Writes `teacher.json` and `teacher.safetensors` into `dir` (created if missing).
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let w = dir.join(WEIGHTS_FILE);
        candle_core::safetensors::save(&self.weights, &w)?;
        let meta =
            serde_json::to_string_pretty(&self.meta).map_err(|e| Error::Invalid(e.to_string()))?;
        let m = dir.join(META_FILE);
        std::fs::write(&m, meta).map_err(|e| Error::io(&m, e))
    }

    /// Reads a teacher saved by [`Teacher::save`]; `encoder` overrides the path in its meta.
    pub fn load(dir: &Path, encoder: Option<&Path>) -> Result<Self> {
        let m = dir.join(META_FILE);
        let text = std::fs::read_to_string(&m).map_err(|e| Error::io(&m, e))?;
        let meta: TeacherMeta = serde_json::from_str(&text).map_err(|e| Error::Config {
            path: m.clone(),
            what: e.to_string(),
        })?;
        if meta.format != FORMAT {
            return Err(Error::Config {
                path: m,
                what: format!("format {} (this build reads {FORMAT})", meta.format),
            });
        }
        let enc_path = encoder.unwrap_or(&meta.encoder).to_path_buf();
        let enc = Encoder::load(
            &enc_path,
            EncoderOptions {
                max_len: meta.max_len,
                ..Default::default()
            },
        )?;
        let w = dir.join(WEIGHTS_FILE);
        let weights =
            candle_core::safetensors::load(&w, enc.model.device()).map_err(|e| Error::Format {
                path: w.clone(),
                what: e.to_string(),
            })?;
        Self::assemble(meta, enc, weights)
    }

    pub fn labels(&self) -> &[String] {
        &self.meta.labels
    }

    /// Label probabilities of each text (rows in the order of [`Teacher::labels`]); with
    /// `temperature` ≠ 1 the logits are divided by it first (soft labels for distillation).
    pub fn predict(&self, texts: &[&str], temperature: f64) -> Result<Vec<Vec<f32>>> {
        let tune = self.meta.config.tune_layers;
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(256) {
            let cached = cache(&self.encoder, &self.lower, tune, chunk, &mut |_| {})?;
            let refs: Vec<&Cached> = cached.iter().collect();
            for b in refs.chunks(64) {
                let lg = (logits(b, self.upper.as_ref(), &self.head, &self.encoder)?
                    / temperature.max(1e-6))?;
                out.extend(candle_nn::ops::softmax_last_dim(&lg)?.to_vec2::<f32>()?);
            }
        }
        Ok(out)
    }
}
