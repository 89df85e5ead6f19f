//! The crate's one error type.

use std::time::Duration;

/// Everything that can go wrong in a backend, a spec or the phrasing step.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// A `--llm` spec that is not `gguf:PATH` or `openai:URL[#model]`.
    #[error("bad LLM spec {spec:?}: {reason}")]
    BadSpec { spec: String, reason: String },
    /// A model or tokenizer file that cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A GGUF file that is not a usable qwen2 model (metadata, tensors, vocab).
    #[error("model {path}: {reason}")]
    BadModel { path: String, reason: String },
    /// The tokenizer could not be built or failed on a text.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// candle failed while running the model.
    #[error("inference: {0}")]
    Inference(String),
    /// The prompt does not fit the model's context with the tokens asked for.
    #[error("prompt of {prompt} tokens + {max_new} new exceeds the context of {context}")]
    PromptTooLong {
        prompt: usize,
        max_new: usize,
        context: usize,
    },
    /// The request's deadline passed before the answer was complete.
    #[error("deadline of {0:?} passed")]
    Deadline(Duration),
    /// The caller cancelled the request.
    #[error("cancelled")]
    Cancelled,
    /// Network error talking to an OpenAI-compatible server (after retries).
    #[error("http: {0}")]
    Http(String),
    /// The server answered with an error status (after retries where they apply).
    #[error("server answered {status}: {body}")]
    Status { status: u16, body: String },
    /// The server's answer was not the OpenAI chat-completions format.
    #[error("malformed answer from the server: {0}")]
    Protocol(String),
}

impl LlmError {
    pub(crate) fn bad_model(path: &std::path::Path, reason: impl Into<String>) -> Self {
        LlmError::BadModel {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

impl From<candle_core::Error> for LlmError {
    fn from(e: candle_core::Error) -> Self {
        LlmError::Inference(e.to_string())
    }
}
