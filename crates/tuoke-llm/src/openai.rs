//! A client for OpenAI-compatible chat-completions servers (vLLM, llama.cpp's server, Ollama,
//! DeepSeek, Qwen/DashScope …): streaming over SSE, retries with back-off on 429/5xx and
//! connection errors before the first token, and one deadline for the whole request.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Deserialize;

use crate::sse::{SseData, SseParser};
use crate::{
    ChatRequest, Finish, FinishReason, LlmBackend, LlmError, Sampling, StreamEvent, TokenSink,
    TokenStream,
};

/// The environment variable the API key is read from.
pub const API_KEY_ENV: &str = "TUOKE_LLM_API_KEY";

/// How to reach a server.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The chat-completions endpoint (`…/v1/chat/completions`).
    pub endpoint: String,
    /// The model name sent with each request (some servers ignore it).
    pub model: String,
    /// Bearer token, if any. Never logged: `Debug` shows only whether there is one.
    api_key: Option<String>,
    /// Retries after the first attempt on 429, 5xx and connection errors.
    pub max_retries: u32,
    /// First back-off; doubled per retry, capped at 2 s, and never past the deadline.
    pub backoff: Duration,
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("max_retries", &self.max_retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl OpenAiConfig {
    /// A config for `url` (a base like `http://host:port/v1`, or the full
    /// `…/chat/completions` endpoint) and `model`, with no API key.
    pub fn new(url: &str, model: &str) -> Result<Self, String> {
        let url = url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err("the URL must start with http:// or https://".into());
        }
        let endpoint = if url.ends_with("/chat/completions") {
            url.to_string()
        } else {
            format!("{url}/chat/completions")
        };
        Ok(OpenAiConfig {
            endpoint,
            model: if model.is_empty() {
                "default".into()
            } else {
                model.into()
            },
            api_key: None,
            max_retries: 2,
            backoff: Duration::from_millis(250),
        })
    }

    /// [`OpenAiConfig::new`] with the API key from [`API_KEY_ENV`], if set.
    pub fn from_env(url: &str, model: &str) -> Result<Self, String> {
        let key = std::env::var(API_KEY_ENV).ok().filter(|k| !k.is_empty());
        Ok(Self::new(url, model)?.with_api_key(key))
    }

    pub fn with_api_key(mut self, key: Option<String>) -> Self {
        self.api_key = key;
        self
    }
}

/// The backend: one reqwest client, shared by every request.
#[derive(Debug, Clone)]
pub struct OpenAiBackend {
    config: OpenAiConfig,
    client: reqwest::Client,
}

impl OpenAiBackend {
    pub fn new(config: OpenAiConfig) -> Result<Self, LlmError> {
        // reqwest is built without a default TLS provider (as in tuoke-server); install ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| LlmError::Http(e.to_string()))?;
        Ok(OpenAiBackend { config, client })
    }

    fn body(&self, request: &ChatRequest) -> serde_json::Value {
        let mut body = serde_json::json!({
            "model": self.config.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "stream": true,
        });
        match request.sampling {
            Sampling::Greedy => body["temperature"] = 0.0.into(),
            Sampling::Seeded {
                temperature,
                top_p,
                seed,
            } => {
                body["temperature"] = temperature.into();
                body["seed"] = seed.into();
                if let Some(p) = top_p {
                    body["top_p"] = p.into();
                }
            }
        }
        body
    }
}

impl LlmBackend for OpenAiBackend {
    fn describe(&self) -> String {
        format!("openai:{}#{}", self.config.endpoint, self.config.model)
    }

    fn stream(&self, request: ChatRequest) -> TokenStream {
        let (sink, stream) = TokenStream::channel();
        let this = self.clone();
        let deadline = Instant::now() + request.timeout;
        tokio::spawn(async move {
            let timeout = request.timeout;
            let run = this.run(&request, deadline, &sink);
            let result = tokio::select! {
                r = tokio::time::timeout_at(deadline.into(), run) => {
                    r.unwrap_or(Err(LlmError::Deadline(timeout)))
                }
                () = sink.closed() => Err(LlmError::Cancelled),
            };
            let ev = result.map(StreamEvent::Done);
            sink.send(ev).await;
        });
        stream
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<Usage>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: Option<usize>,
    completion_tokens: Option<usize>,
}

fn retryable(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// The body of an error answer, shortened (servers sometimes send whole HTML pages).
async fn error_body(resp: reqwest::Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    text.chars().take(300).collect()
}

impl OpenAiBackend {
    async fn run(
        &self,
        request: &ChatRequest,
        deadline: Instant,
        sink: &TokenSink,
    ) -> Result<Finish, LlmError> {
        let body = self.body(request);
        let mut attempt = 0u32;
        let resp = loop {
            let mut req = self.client.post(&self.config.endpoint).json(&body);
            if let Some(key) = &self.config.api_key {
                req = req.bearer_auth(key);
            }
            let (retry, err, after) = match req.send().await {
                Ok(r) if r.status().is_success() => break r,
                Ok(r) => {
                    let status = r.status().as_u16();
                    let after = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = error_body(r).await;
                    (retryable(status), LlmError::Status { status, body }, after)
                }
                Err(e) => (
                    e.is_connect() || e.is_timeout() || e.is_request(),
                    LlmError::Http(e.without_url().to_string()),
                    None,
                ),
            };
            if !retry || attempt >= self.config.max_retries {
                return Err(err);
            }
            let backoff = self.config.backoff.saturating_mul(1 << attempt.min(8));
            let wait = after.unwrap_or(backoff).min(Duration::from_secs(2));
            if Instant::now() + wait >= deadline {
                return Err(err);
            }
            tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "LLM request failed; retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        };

        let mut parser = SseParser::default();
        let mut bytes = resp.bytes_stream();
        let mut chunks = 0usize;
        let mut reason = None;
        let mut usage = None;
        let mut done = false;
        while !done {
            let Some(chunk) = bytes.next().await else {
                break;
            };
            let chunk = chunk.map_err(|e| LlmError::Http(e.without_url().to_string()))?;
            for data in parser.feed(&chunk) {
                let json = match data {
                    SseData::Done => {
                        done = true;
                        break;
                    }
                    SseData::Json(j) => j,
                };
                let c: Chunk = serde_json::from_str(&json)
                    .map_err(|e| LlmError::Protocol(format!("{e} in {:.120}", json)))?;
                if let Some(err) = c.error {
                    return Err(LlmError::Protocol(format!(
                        "server error in the stream: {err}"
                    )));
                }
                if let Some(u) = c.usage {
                    usage = Some(u);
                }
                for choice in c.choices {
                    if let Some(text) = choice.delta.and_then(|d| d.content)
                        && !text.is_empty()
                    {
                        chunks += 1;
                        if !sink.send(Ok(StreamEvent::Token(text))).await {
                            return Err(LlmError::Cancelled);
                        }
                    }
                    if let Some(r) = choice.finish_reason {
                        reason = Some(r);
                    }
                }
            }
        }
        if parser.finish() == Some(SseData::Done) {
            done = true;
        }
        if !done && reason.is_none() {
            return Err(LlmError::Protocol("the stream ended before [DONE]".into()));
        }
        Ok(Finish {
            reason: if reason.as_deref() == Some("length") {
                FinishReason::Length
            } else {
                FinishReason::Stop
            },
            prompt_tokens: usage.as_ref().and_then(|u| u.prompt_tokens),
            completion_tokens: usage.and_then(|u| u.completion_tokens).unwrap_or(chunks),
        })
    }
}
