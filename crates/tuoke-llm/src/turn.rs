//! Phrasing the reply of one dialogue turn: what [`Phraser`] is given for a [`TurnOutput`] — the
//! texts of the cited KB entries, the last turns, everything the customer said, the customer's
//! variety and every product and competitor name of the company. `tuoke chat/test --llm` and
//! `tuoke serve --llm` both phrase through [`TurnPhraser`], so the prompt and the grounding are
//! the same everywhere.

use std::sync::Arc;

use tuoke_dialogue::{Company, TurnOutput, state::Role as TurnRole};

use crate::phrase::{PhraseInput, PhraseOutcome, Phraser, PhraserConfig};
use crate::{ChatMessage, LlmBackend, Role};

/// Customer and bot turns kept in the prompt.
pub const LAST_TURNS: usize = 2;

/// Every product and competitor name (and alias) of the company, and the names of the
/// competitors' products: a rewording may name only those the facts name.
pub fn known_names(company: &Company) -> Vec<String> {
    let g = company.gazetteer();
    let mut names: Vec<String> = g
        .products
        .iter()
        .chain(&g.competitors)
        .flat_map(|e| e.names.iter().cloned())
        .collect();
    for c in company.competitors() {
        names.extend(
            c.products
                .iter()
                .flat_map(|p| p.name.split('/').map(|s| s.trim().to_string())),
        );
    }
    names
}

/// A [`Phraser`] with the company's names: phrases the reply of a turn.
pub struct TurnPhraser {
    phraser: Phraser,
    names: Vec<String>,
}

impl TurnPhraser {
    pub fn new(backend: Arc<dyn LlmBackend>, config: PhraserConfig, company: &Company) -> Self {
        TurnPhraser {
            phraser: Phraser::new(backend, config),
            names: known_names(company),
        }
    }

    pub fn phraser(&self) -> &Phraser {
        &self.phraser
    }

    /// Rewords the reply of `out` (`None` when there is no reply to reword). `out.state.history`
    /// must end with this reply's record, as [`tuoke_dialogue::Engine::turn`] leaves it. Never
    /// fails: a timeout, an error or a rejection yields the template with the reason.
    pub async fn phrase(&self, company: &Company, out: &TurnOutput) -> Option<PhraseOutcome> {
        let reply = out.reply.as_ref()?;
        if reply.text.trim().is_empty() {
            return None;
        }
        let facts: Vec<String> = reply
            .citations
            .iter()
            .filter_map(|c| company.entry_text(c))
            .collect();
        let history = &out.state.history;
        // The last record is this reply itself.
        let before = history.len().saturating_sub(1);
        let last_turns: Vec<ChatMessage> = history[..before]
            .iter()
            .rev()
            .take(LAST_TURNS)
            .rev()
            .map(|r| {
                let role = if r.role == TurnRole::Customer {
                    Role::User
                } else {
                    Role::Assistant
                };
                ChatMessage::new(role, r.text.clone())
            })
            .collect();
        let customer_words: Vec<String> = history
            .iter()
            .filter(|r| r.role == TurnRole::Customer)
            .map(|r| r.text.clone())
            .collect();
        let input = PhraseInput {
            template: &reply.text,
            facts: &facts,
            last_turns: &last_turns,
            customer_words: &customer_words,
            variety: out.state.variety,
            known_names: &self.names,
        };
        Some(self.phraser.phrase(&input).await)
    }
}
