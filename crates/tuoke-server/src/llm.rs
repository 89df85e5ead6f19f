//! LLM phrasing of the robot's replies (issue 13, `tuoke serve --llm`). The dialogue engine still
//! decides what is said; before a customer turn is committed, the LLM may reword the engine's
//! reply, and the grounding checker decides whether the rewording or the template is stored,
//! sent and streamed. A rewording that fails the check, a first token later than the deadline,
//! an answer that is not complete within the total timeout, a backend error, or no free LLM slot
//! all yield the template: nothing unchecked ever reaches a customer.
//!
//! Dependency direction: this crate depends on `tuoke-llm` (as on `tuoke-dialogue`), never the
//! other way round, and not on the CLI. The binary opens the backend (`gguf:` / `openai:`) and
//! passes it in as an `Arc<dyn LlmBackend>` ([`LlmConfig`]); the prompt, the deadlines and the
//! grounding check ([`tuoke_llm::TurnPhraser`]) run here, so whatever backend is passed in — a
//! local model, a remote server, a test double — its words reach a customer only through the
//! checker. The backend generates off the async runtime (the GGUF model on a thread of its own;
//! an HTTP client is I/O on a task) and the check is a short pure function, so the runtime's
//! workers never block on the LLM.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tuoke_dialogue::{Company, TurnOutput};
use tuoke_llm::{LlmBackend, PhraseOutcome, Phrased, PhraserConfig, TurnPhraser};
use tuoke_store::LlmMark;

use crate::metrics::{Metrics, ReasonLabel, ResultLabel};

/// The LLM a server phrases with (`ServerConfig::llm`).
#[derive(Clone)]
pub struct LlmConfig {
    pub backend: Arc<dyn LlmBackend>,
    /// Deadline to the first token, total timeout, token limit.
    pub phraser: PhraserConfig,
    /// Turns phrased at the same time; a turn that finds every slot taken gets the template at
    /// once (`result="busy"`), so a slow model cannot queue up the whole server (default 4).
    pub max_concurrent: usize,
}

impl LlmConfig {
    pub fn new(backend: Arc<dyn LlmBackend>, phraser: PhraserConfig) -> Self {
        LlmConfig {
            backend,
            phraser,
            max_concurrent: 4,
        }
    }
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `describe` never holds a secret (no API key).
        f.debug_struct("LlmConfig")
            .field("backend", &self.backend.describe())
            .field("phraser", &self.phraser)
            .field("max_concurrent", &self.max_concurrent)
            .finish()
    }
}

/// The phrasing handle of a running server: present when a backend is configured and the
/// company's `company.yaml` does not switch phrasing off (`llm: {phrase: false}`).
pub struct ServerLlm {
    phraser: TurnPhraser,
    slots: Semaphore,
}

/// What the LLM made of one turn's reply, before the commit.
pub(crate) enum Phrasing {
    /// Every slot was taken; the LLM was not asked.
    Busy,
    /// The LLM was asked to reword `template` (the engine's reply text).
    Asked {
        template: String,
        outcome: PhraseOutcome,
    },
}

/// What became of the phrasing in the committed turn: counted in `/metrics` after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TurnLlm {
    Busy,
    /// The turn was re-planned (another change won the race) and the engine's reply is not the
    /// one the LLM reworded: the new template is sent, unmarked.
    Discarded,
    Marked(LlmMark),
}

impl ServerLlm {
    /// The handle for `company`, or `None` when its `company.yaml` switches phrasing off.
    pub fn new(config: &LlmConfig, company: &Company) -> Option<ServerLlm> {
        if !company.info().llm.phrase {
            tracing::warn!(
                backend = %config.backend.describe(),
                "company.yaml has llm.phrase: false; replies are not phrased by the LLM"
            );
            return None;
        }
        tracing::info!(
            backend = %config.backend.describe(),
            first_token_ms = config.phraser.first_token.as_millis() as u64,
            timeout_ms = config.phraser.total.as_millis() as u64,
            "replies are phrased by the LLM, each checked against the cited facts"
        );
        Some(ServerLlm {
            phraser: TurnPhraser::new(config.backend.clone(), config.phraser.clone(), company),
            slots: Semaphore::new(config.max_concurrent.max(1)),
        })
    }

    /// Asks the LLM to reword the reply of `out` (`None` when there is no reply).
    pub(crate) async fn phrase(
        &self,
        company: &Company,
        out: &TurnOutput,
        metrics: &Metrics,
    ) -> Option<Phrasing> {
        let template = out.reply.as_ref()?.text.clone();
        let Ok(_slot) = self.slots.try_acquire() else {
            return Some(Phrasing::Busy);
        };
        let started = Instant::now();
        let outcome = self.phraser.phrase(company, out).await?;
        metrics
            .llm_duration
            .observe(started.elapsed().as_secs_f64());
        Some(Phrasing::Asked { template, outcome })
    }
}

/// The store's mark of a phrasing outcome.
pub(crate) fn mark_of(p: &Phrased) -> LlmMark {
    match p {
        Phrased::Llm => LlmMark::Used,
        Phrased::Rejected { rejection } => LlmMark::Rejected(rejection.kind().to_string()),
        Phrased::TimedOut => LlmMark::TimedOut,
        Phrased::Failed { .. } => LlmMark::Failed,
    }
}

/// Puts the phrasing into the engine's output of a plan: the checked rewording becomes the
/// reply when the checker accepted it and the engine's reply is still the one reworded.
/// Returns what to count and the mark to store on the bot message.
pub(crate) fn apply(phrasing: Option<&Phrasing>, out: &mut TurnOutput) -> Option<TurnLlm> {
    let reply = out.reply.as_mut()?;
    match phrasing? {
        Phrasing::Busy => Some(TurnLlm::Busy),
        Phrasing::Asked { template, .. } if *template != reply.text => Some(TurnLlm::Discarded),
        Phrasing::Asked { outcome, .. } => {
            if outcome.phrased == Phrased::Llm {
                reply.text.clone_from(&outcome.text);
            }
            Some(TurnLlm::Marked(mark_of(&outcome.phrased)))
        }
    }
}

/// Counts a committed turn's phrasing in `/metrics`.
pub(crate) fn count(metrics: &Metrics, t: &TurnLlm) {
    let result = match t {
        TurnLlm::Busy => "busy",
        TurnLlm::Discarded => "discarded",
        TurnLlm::Marked(LlmMark::Used) => "used",
        TurnLlm::Marked(LlmMark::Rejected(reason)) => {
            metrics
                .llm_rejections
                .get_or_create(&ReasonLabel {
                    reason: reason.clone(),
                })
                .inc();
            "rejected"
        }
        TurnLlm::Marked(LlmMark::TimedOut) => "timed_out",
        TurnLlm::Marked(LlmMark::Failed) => "error",
    };
    metrics
        .llm_replies
        .get_or_create(&ResultLabel {
            result: result.to_string(),
        })
        .inc();
}

/// The mark stored on the bot message of a turn.
pub(crate) fn stored_mark(t: Option<&TurnLlm>) -> Option<LlmMark> {
    match t {
        Some(TurnLlm::Marked(m)) => Some(m.clone()),
        _ => None,
    }
}
