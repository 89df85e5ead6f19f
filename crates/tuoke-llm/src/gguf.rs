//! A local GGUF model (architecture `qwen2`) run by candle's quantized kernels on the CPU.
//!
//! Loading reads the file once; each request clears the KV cache, feeds the Qwen2.5 chat
//! template and generates on a blocking thread until `<|im_end|>`/eos, `max_tokens`, the
//! deadline or cancellation. One request runs at a time (the model holds one KV cache); others
//! wait for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling as CandleSampling};
use candle_transformers::models::quantized_qwen2::ModelWeights;
use tokenizers::Tokenizer;

use crate::{
    ChatMessage, ChatRequest, Finish, FinishReason, LlmBackend, LlmError, Sampling, StreamEvent,
    TokenSink, TokenStream, gguf_tokenizer,
};

/// Repetition penalty over the last tokens (small models loop without it).
const REPEAT_PENALTY: f32 = 1.1;
const REPEAT_LAST_N: usize = 64;

/// A loaded GGUF chat model.
pub struct GgufBackend {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    model: Mutex<ModelWeights>,
    tokenizer: Tokenizer,
    stop_ids: Vec<u32>,
    context: usize,
}

impl std::fmt::Debug for GgufBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufBackend")
            .field("path", &self.inner.path)
            .finish()
    }
}

/// Renders messages in the Qwen2.5 chat template, ready for the assistant's turn. Text that
/// looks like a control token (`<|im_end|>` typed by a customer) is defused so it stays text.
pub fn qwen_chat_prompt(messages: &[ChatMessage]) -> String {
    let mut out = String::new();
    if messages.first().map(|m| m.role) != Some(crate::Role::System) {
        out.push_str("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n");
    }
    for m in messages {
        out.push_str("<|im_start|>");
        out.push_str(m.role.as_str());
        out.push('\n');
        out.push_str(&m.content.replace("<|", "< |"));
        out.push_str("<|im_end|>\n");
    }
    out.push_str("<|im_start|>assistant\n");
    out
}

impl GgufBackend {
    /// Loads a qwen2 GGUF file; the tokenizer comes from its metadata unless `tokenizer_json`
    /// names a `tokenizer.json`.
    pub fn load(path: &Path, tokenizer_json: Option<&Path>) -> Result<Self, LlmError> {
        let started = Instant::now();
        let io = |source| LlmError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(|e| LlmError::bad_model(path, format!("not a GGUF file: {e}")))?;
        match content
            .metadata
            .get("general.architecture")
            .map(|v| v.to_string())
        {
            Some(Ok(a)) if a == "qwen2" => {}
            Some(Ok(a)) => {
                return Err(LlmError::bad_model(
                    path,
                    format!("architecture {a:?} is not qwen2"),
                ));
            }
            _ => return Err(LlmError::bad_model(path, "no general.architecture")),
        }
        let context = content
            .metadata
            .get("qwen2.context_length")
            .and_then(|v| v.to_u32().ok())
            .map_or(4096, |c| c as usize);
        let eos = content
            .metadata
            .get("tokenizer.ggml.eos_token_id")
            .and_then(|v| v.to_u32().ok());
        let tokenizer = match tokenizer_json {
            Some(t) => gguf_tokenizer::from_file(t)?,
            None => gguf_tokenizer::from_gguf(&content, path)?,
        };
        let mut stop_ids: Vec<u32> = ["<|im_end|>", "<|endoftext|>"]
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect();
        stop_ids.extend(eos);
        if stop_ids.is_empty() {
            return Err(LlmError::bad_model(
                path,
                "no end-of-turn token in the vocabulary",
            ));
        }
        let model = ModelWeights::from_gguf(content, &mut file, &Device::Cpu)
            .map_err(|e| LlmError::bad_model(path, e.to_string()))?;
        tracing::info!(
            path = %path.display(),
            ms = started.elapsed().as_millis() as u64,
            "GGUF model loaded"
        );
        Ok(GgufBackend {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                model: Mutex::new(model),
                tokenizer,
                stop_ids,
                context,
            }),
        })
    }

    /// The tokenizer in use (from the GGUF or the named file).
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.inner.tokenizer
    }
}

impl LlmBackend for GgufBackend {
    fn describe(&self) -> String {
        format!("gguf:{}", self.inner.path.display())
    }

    fn stream(&self, request: ChatRequest) -> TokenStream {
        let (sink, stream) = TokenStream::channel();
        let inner = Arc::clone(&self.inner);
        let deadline = Instant::now() + request.timeout;
        let spawned = std::thread::Builder::new()
            .name("tuoke-llm-gguf".into())
            .spawn(move || {
                let result = inner.generate(&request, deadline, &sink);
                match result {
                    Ok(finish) => sink.blocking_send(Ok(StreamEvent::Done(finish))),
                    Err(e) => sink.blocking_send(Err(e)),
                };
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the generation thread");
        }
        stream
    }
}

impl Inner {
    fn generate(
        &self,
        request: &ChatRequest,
        deadline: Instant,
        sink: &TokenSink,
    ) -> Result<Finish, LlmError> {
        let prompt = qwen_chat_prompt(&request.messages);
        let ids = self
            .tokenizer
            .encode(prompt, false)
            .map_err(|e| LlmError::Tokenizer(e.to_string()))?
            .get_ids()
            .to_vec();
        if ids.len() + request.max_tokens > self.context {
            return Err(LlmError::PromptTooLong {
                prompt: ids.len(),
                max_new: request.max_tokens,
                context: self.context,
            });
        }
        // A poisoned lock only means an earlier generation panicked inside candle; the KV cache
        // is cleared below, so the weights are still good.
        let mut model = self.model.lock().unwrap_or_else(|p| p.into_inner());
        model.clear_kv_cache();
        let mut sampler = match request.sampling {
            Sampling::Greedy => LogitsProcessor::from_sampling(0, CandleSampling::ArgMax),
            Sampling::Seeded {
                temperature,
                top_p,
                seed,
            } => LogitsProcessor::new(seed, Some(temperature), top_p),
        };
        let started = Instant::now();
        let check = |sink: &TokenSink| -> Result<(), LlmError> {
            if sink.is_cancelled() {
                Err(LlmError::Cancelled)
            } else if Instant::now() >= deadline {
                Err(LlmError::Deadline(request.timeout))
            } else {
                Ok(())
            }
        };
        check(sink)?;
        let input = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
        let mut logits = model.forward(&input, 0)?;
        let mut all = ids.clone();
        let mut decoder = self.tokenizer.decode_stream(true);
        let mut generated = 0usize;
        let mut first_token_ms = None;
        let reason = loop {
            let l = logits.squeeze(0)?.to_dtype(DType::F32)?;
            let start = all.len().saturating_sub(REPEAT_LAST_N);
            let l = candle_transformers::utils::apply_repeat_penalty(
                &l,
                REPEAT_PENALTY,
                &all[start..],
            )?;
            let next = sampler.sample(&l)?;
            if self.stop_ids.contains(&next) {
                break FinishReason::Stop;
            }
            generated += 1;
            all.push(next);
            if let Some(text) = decoder
                .step(next)
                .map_err(|e| LlmError::Tokenizer(e.to_string()))?
            {
                first_token_ms.get_or_insert(started.elapsed().as_millis() as u64);
                if !sink.blocking_send(Ok(StreamEvent::Token(text))) {
                    return Err(LlmError::Cancelled);
                }
            }
            if generated >= request.max_tokens {
                break FinishReason::Length;
            }
            check(sink)?;
            let input = Tensor::new(&[next], &Device::Cpu)?.unsqueeze(0)?;
            logits = model.forward(&input, all.len() - 1)?;
        };
        let secs = started.elapsed().as_secs_f64();
        tracing::debug!(
            prompt_tokens = ids.len(),
            generated,
            first_token_ms,
            tokens_per_s = if secs > 0.0 {
                generated as f64 / secs
            } else {
                0.0
            },
            "GGUF generation done"
        );
        Ok(Finish {
            reason,
            prompt_tokens: Some(ids.len()),
            completion_tokens: generated,
        })
    }
}
