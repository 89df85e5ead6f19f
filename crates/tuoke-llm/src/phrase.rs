//! The phrasing step: the LLM rewords the dialogue engine's reply, and what it says is shown only
//! if the grounding checker accepts it. A deadline to the first token, a deadline for the whole
//! answer, an error or a rejection all yield the template reply, so with an LLM configured a
//! customer never waits long and never reads an unchecked fact.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tuoke_dialogue::Variety;

use crate::grounding::{Grounding, Rejection, Verdict, check};
use crate::{ChatMessage, ChatRequest, LlmBackend, Role, Sampling, StreamEvent};

/// Deadlines and limits of the phrasing step.
#[derive(Debug, Clone)]
pub struct PhraserConfig {
    /// Time to the first token before the template is used (default 1.5 s).
    pub first_token: Duration,
    /// Time for the whole answer (default 10 s).
    pub total: Duration,
    /// Most tokens to generate (default 120).
    pub max_tokens: usize,
    /// Characters of each cited fact put in the prompt (default 240).
    pub fact_chars: usize,
    pub sampling: Sampling,
}

impl Default for PhraserConfig {
    fn default() -> Self {
        PhraserConfig {
            first_token: Duration::from_millis(1500),
            total: Duration::from_secs(10),
            max_tokens: 120,
            fact_chars: 240,
            sampling: Sampling::Greedy,
        }
    }
}

/// What one reply is phrased from.
#[derive(Debug, Clone)]
pub struct PhraseInput<'a> {
    /// The dialogue engine's reply.
    pub template: &'a str,
    /// Texts of the cited KB entries.
    pub facts: &'a [String],
    /// The last turns, oldest first (customer = `Role::User`, bot = `Role::Assistant`).
    pub last_turns: &'a [ChatMessage],
    /// Everything the customer said in the conversation (their numbers may be repeated).
    pub customer_words: &'a [String],
    pub variety: Variety,
    /// Every product and competitor name of the company.
    pub known_names: &'a [String],
}

/// How a reply came about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Phrased {
    /// The LLM's rephrasing passed the checker and is the reply.
    Llm,
    /// The checker rejected the rephrasing; the template is the reply.
    Rejected { rejection: Rejection },
    /// No first token (or no complete answer) in time; the template is the reply.
    TimedOut,
    /// The backend failed; the template is the reply.
    Failed { error: String },
}

/// The reply to send and how it came about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhraseOutcome {
    /// What the customer gets.
    pub text: String,
    pub phrased: Phrased,
    /// What the LLM said (also when it was not used).
    pub candidate: Option<String>,
    pub first_token_ms: Option<u64>,
    pub total_ms: u64,
    pub tokens: usize,
}

/// Phrases replies with one backend.
pub struct Phraser {
    backend: Arc<dyn LlmBackend>,
    config: PhraserConfig,
}

/// Short on purpose: on 2 cores every prompt token costs time to the first token.
fn system_prompt(v: Variety) -> &'static str {
    match v {
        Variety::Cmn => {
            "把【原回复】改写得自然亲切，用普通话。不要添加原回复和资料里没有的数字、价格、\
             产品名、品牌、优惠或承诺（如包邮、免费、保证）。只输出改写后的回复。"
        }
        Variety::Yue => {
            "用廣東話口語（係、嘅、唔、咗）將【原回复】改寫得自然親切啲。唔好加原回复同資料冇嘅數字、\
             價錢、產品名、品牌、優惠或者承諾（例如包郵、免費、保證）。只輸出改寫後嘅回覆。"
        }
        Variety::En => {
            "Rewrite the ORIGINAL REPLY in natural, friendly English. Add no number, price, \
             product or brand name, discount or promise (free shipping, guarantee) that the reply \
             and the facts do not contain. Output only the rewritten reply."
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    let mut t: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        t.push('…');
    }
    t
}

/// The chat messages the LLM is given.
pub fn prompt(input: &PhraseInput<'_>, fact_chars: usize) -> Vec<ChatMessage> {
    let en = input.variety == Variety::En;
    let (facts_h, turns_h, orig_h, cust, bot) = if en {
        (
            "FACTS",
            "LAST TURNS",
            "ORIGINAL REPLY",
            "Customer",
            "Assistant",
        )
    } else {
        ("【资料】", "【最近对话】", "【原回复】", "顾客", "客服")
    };
    let mut user = String::new();
    if !input.facts.is_empty() {
        user.push_str(facts_h);
        user.push('\n');
        for f in input.facts {
            user.push_str("- ");
            user.push_str(&truncate(f.trim(), fact_chars));
            user.push('\n');
        }
    }
    if !input.last_turns.is_empty() {
        user.push_str(turns_h);
        user.push('\n');
        for t in input.last_turns {
            let who = if t.role == Role::User { cust } else { bot };
            user.push_str(who);
            user.push_str(": ");
            user.push_str(&truncate(t.content.trim(), 200));
            user.push('\n');
        }
    }
    user.push_str(orig_h);
    user.push('\n');
    user.push_str(input.template);
    vec![
        ChatMessage::new(Role::System, system_prompt(input.variety)),
        ChatMessage::new(Role::User, user),
    ]
}

/// Cleans an answer: surrounding whitespace and quotes, a leading label the model adds.
pub fn clean(answer: &str) -> String {
    let mut s = answer.trim();
    for label in [
        "改写后的回复：",
        "改写后：",
        "改写：",
        "回复：",
        "Rewritten reply:",
        "Reply:",
    ] {
        if let Some(rest) = s.strip_prefix(label) {
            s = rest.trim_start();
        }
    }
    let quotes = [('"', '"'), ('“', '”'), ('「', '」'), ('\'', '\'')];
    for (a, b) in quotes {
        if s.len() > 2 && s.starts_with(a) && s.ends_with(b) {
            s = &s[a.len_utf8()..s.len() - b.len_utf8()];
        }
    }
    s.trim().to_string()
}

impl Phraser {
    pub fn new(backend: Arc<dyn LlmBackend>, config: PhraserConfig) -> Self {
        Phraser { backend, config }
    }

    pub fn backend(&self) -> &Arc<dyn LlmBackend> {
        &self.backend
    }

    /// Phrases one reply. Never fails: every problem yields the template with the reason.
    pub async fn phrase(&self, input: &PhraseInput<'_>) -> PhraseOutcome {
        let started = Instant::now();
        let fallback = |phrased, candidate, first: Option<u64>, tokens| PhraseOutcome {
            text: input.template.to_string(),
            phrased,
            candidate,
            first_token_ms: first,
            total_ms: started.elapsed().as_millis() as u64,
            tokens,
        };
        let mut request = ChatRequest::new(prompt(input, self.config.fact_chars));
        // A rewording is about as long as the template (a Chinese char is about one token);
        // more is cut, and what the checker would reject as too long is not waited for.
        let template_chars = input.template.chars().count();
        request.max_tokens = self.config.max_tokens.min(template_chars * 3 / 2 + 24);
        let too_long = crate::grounding::max_chars(template_chars);
        request.sampling = self.config.sampling;
        request.timeout = self.config.total;
        let mut stream = self.backend.stream(request);
        let mut text = String::new();
        let mut tokens = 0usize;
        let mut first_ms = None;
        let first_deadline = tokio::time::Instant::from_std(started + self.config.first_token);
        loop {
            let next = if first_ms.is_none() {
                match tokio::time::timeout_at(first_deadline, stream.next()).await {
                    Ok(n) => n,
                    Err(_) => {
                        stream.cancel();
                        tracing::info!("LLM gave no first token in time; template used");
                        return fallback(Phrased::TimedOut, None, None, 0);
                    }
                }
            } else {
                stream.next().await
            };
            match next {
                Some(Ok(StreamEvent::Token(t))) => {
                    first_ms.get_or_insert(started.elapsed().as_millis() as u64);
                    tokens += 1;
                    text.push_str(&t);
                    if text.chars().count() > too_long {
                        stream.cancel();
                        let rejection = Rejection::TooLong;
                        return fallback(
                            Phrased::Rejected { rejection },
                            Some(text),
                            first_ms,
                            tokens,
                        );
                    }
                }
                Some(Ok(StreamEvent::Done(f))) => {
                    if f.reason == crate::FinishReason::Length {
                        let rejection = Rejection::Truncated;
                        return fallback(
                            Phrased::Rejected { rejection },
                            Some(text),
                            first_ms,
                            tokens,
                        );
                    }
                    break;
                }
                Some(Err(crate::LlmError::Deadline(_))) => {
                    return fallback(Phrased::TimedOut, Some(text), first_ms, tokens);
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "LLM failed; template used");
                    let error = e.to_string();
                    return fallback(Phrased::Failed { error }, Some(text), first_ms, tokens);
                }
                None => {
                    let error = "the stream ended without a finish".to_string();
                    return fallback(Phrased::Failed { error }, Some(text), first_ms, tokens);
                }
            }
        }
        let candidate = clean(&text);
        let grounding = Grounding {
            template: input.template,
            facts: input.facts,
            customer: input.customer_words,
            variety: input.variety,
            known_names: input.known_names,
        };
        match check(&candidate, &grounding) {
            Verdict::Accept => PhraseOutcome {
                text: candidate.clone(),
                phrased: Phrased::Llm,
                candidate: Some(candidate),
                first_token_ms: first_ms,
                total_ms: started.elapsed().as_millis() as u64,
                tokens,
            },
            Verdict::Reject { rejection } => {
                tracing::info!(
                    reason = rejection.kind(),
                    "LLM rephrasing rejected; template used"
                );
                fallback(
                    Phrased::Rejected { rejection },
                    Some(candidate),
                    first_ms,
                    tokens,
                )
            }
        }
    }
}
