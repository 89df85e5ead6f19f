//! LLM backends for tuoke and the checks that keep them to the facts.
//!
//! One trait, [`LlmBackend`], streams the tokens of a chat completion with a deadline and
//! cancellation; two backends implement it: a local GGUF model run by candle ([`gguf`], the
//! `qwen2` architecture, tokenizer built from the file's own vocab and merges) and a client for
//! OpenAI-compatible chat-completions servers ([`openai`]: vLLM, llama.cpp, Ollama, DeepSeek …).
//!
//! The LLM never decides what is said. [`phrase`] asks it to reword the dialogue engine's
//! template reply given the cited KB facts and the last turns, and [`grounding`] checks every
//! number, name, promise word and the language of its answer before anyone sees it; anything
//! that fails — a check, the deadline to the first token, an error — yields the template.

pub mod error;
pub mod gguf;
mod gguf_tokenizer;
pub mod grounding;
mod numbers;
pub mod openai;
pub mod phrase;
mod sse;
pub mod turn;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use error::LlmError;
pub use grounding::{Grounding, Rejection, Verdict, check};
pub use phrase::{PhraseInput, PhraseOutcome, Phrased, Phraser, PhraserConfig};
pub use turn::TurnPhraser;

/// Who said a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
}

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// Always the most likely token (deterministic).
    Greedy,
    /// Temperature / nucleus sampling from a seeded generator (deterministic per seed for the
    /// local backend; a server may ignore the seed).
    Seeded {
        temperature: f64,
        top_p: Option<f64>,
        seed: u64,
    },
}

/// A chat-completion request.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    pub max_tokens: usize,
    pub sampling: Sampling,
    /// The whole request must end within this time; the stream then ends with
    /// [`LlmError::Deadline`].
    pub timeout: Duration,
}

impl ChatRequest {
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        ChatRequest {
            messages,
            max_tokens: 128,
            sampling: Sampling::Greedy,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Why a generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn (end-of-turn / eos token, or the server said `stop`).
    Stop,
    /// `max_tokens` was reached.
    Length,
}

/// The end of a stream: why it stopped and how many tokens it took.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finish {
    pub reason: FinishReason,
    /// Prompt tokens, where the backend knows them.
    pub prompt_tokens: Option<usize>,
    /// Tokens generated (streamed chunks for a server that does not report usage).
    pub completion_tokens: usize,
}

/// What a [`TokenStream`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The next piece of text (one token, or one server chunk).
    Token(String),
    /// The last event of a successful stream.
    Done(Finish),
}

/// A shared cancellation flag; [`TokenStream`] sets it when cancelled or dropped.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// One item of a stream.
pub type EventResult = Result<StreamEvent, LlmError>;

/// The tokens of one request as they come. Dropping it (or [`TokenStream::cancel`]) stops the
/// generation: the local model stops after the current token, an HTTP request is aborted.
#[derive(Debug)]
pub struct TokenStream {
    rx: tokio::sync::mpsc::Receiver<EventResult>,
    cancel: CancelToken,
}

/// The producer half of a [`TokenStream`], for backends. Sending an event after the consumer
/// is gone returns false.
#[derive(Debug, Clone)]
pub struct TokenSink {
    tx: tokio::sync::mpsc::Sender<EventResult>,
    cancel: CancelToken,
}

impl TokenSink {
    /// Whether the consumer is gone or cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled() || self.tx.is_closed()
    }
    /// Sends from a blocking thread; false when the consumer is gone.
    pub fn blocking_send(&self, ev: EventResult) -> bool {
        self.tx.blocking_send(ev).is_ok()
    }
    /// Sends from async code; false when the consumer is gone.
    pub async fn send(&self, ev: EventResult) -> bool {
        self.tx.send(ev).await.is_ok()
    }
    /// Resolves when the consumer dropped the stream.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}

impl TokenStream {
    /// A connected sink and stream, for implementing a backend.
    pub fn channel() -> (TokenSink, TokenStream) {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let cancel = CancelToken::default();
        (
            TokenSink {
                tx,
                cancel: cancel.clone(),
            },
            TokenStream { rx, cancel },
        )
    }

    /// The next event; `None` after `Done` or an error.
    pub async fn next(&mut self) -> Option<EventResult> {
        self.rx.recv().await
    }

    /// Stops the generation.
    pub fn cancel(&mut self) {
        self.cancel.cancel();
        self.rx.close();
    }

    /// Reads the stream to its end: the whole text and how it finished.
    pub async fn collect(mut self) -> Result<(String, Finish), LlmError> {
        let mut text = String::new();
        while let Some(ev) = self.next().await {
            match ev? {
                StreamEvent::Token(t) => text.push_str(&t),
                StreamEvent::Done(f) => return Ok((text, f)),
            }
        }
        Err(LlmError::Protocol(
            "the stream ended without a finish".into(),
        ))
    }
}

impl Drop for TokenStream {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A chat-completion backend. `stream` must be called inside a tokio runtime; the work runs on
/// a blocking thread (local model) or a task (HTTP), so the caller is never blocked.
pub trait LlmBackend: Send + Sync {
    /// A short description for logs (never a secret).
    fn describe(&self) -> String;
    /// Starts a completion and returns its tokens as they come.
    fn stream(&self, request: ChatRequest) -> TokenStream;
}

/// Opens the backend a `--llm` spec names: `gguf:PATH[#tokenizer.json]` or
/// `openai:URL[#model]` (the API key, if any, from the `TUOKE_LLM_API_KEY` environment variable).
pub fn open(spec: &str) -> Result<Arc<dyn LlmBackend>, LlmError> {
    let bad = |reason: &str| LlmError::BadSpec {
        spec: spec.to_string(),
        reason: reason.to_string(),
    };
    if let Some(rest) = spec.strip_prefix("gguf:") {
        let (path, tok) = match rest.split_once('#') {
            Some((p, t)) => (p, Some(t)),
            None => (rest, None),
        };
        if path.is_empty() {
            return Err(bad("no path after gguf:"));
        }
        let model =
            gguf::GgufBackend::load(std::path::Path::new(path), tok.map(std::path::Path::new))?;
        Ok(Arc::new(model))
    } else if let Some(rest) = spec.strip_prefix("openai:") {
        let (url, model) = match rest.split_once('#') {
            Some((u, m)) => (u, m),
            None => (rest, ""),
        };
        let config = openai::OpenAiConfig::from_env(url, model).map_err(|r| bad(&r))?;
        Ok(Arc::new(openai::OpenAiBackend::new(config)?))
    } else {
        Err(bad("expected gguf:PATH or openai:URL[#model]"))
    }
}
