//! tuoke-dialogue: the pure dialogue engine of the tuoke sales robot.
//!
//! Data in, data out: no files, no network, no clock ("now" is always a parameter).
//!
//! * [`Company`] — the knowledge base (company, products, FAQ, competitors), the sales playbook
//!   (话术) and the lead-grading rules, all loaded from YAML texts ([`CompanySources`]) and validated
//!   together: every problem is reported with its file and location ([`Problem`]).
//! * [`Engine`] — a state machine `(state, analysis, now) → (new state, actions, reply, lead)`.
//!   [`ConversationState`] is plain serde data with a schema version, stored by the caller.
//! * [`kb`] — BM25 retrieval over jieba tokens.
//!
//! See `docs/dialogue.md`-style documentation in the module docs of [`playbook`] and [`grading`]
//! for the file formats.

pub mod company;
pub mod context;
pub mod engine;
pub mod grading;
pub mod kb;
pub mod playbook;
pub mod render;
pub mod state;
pub mod text;

pub use company::{Company, CompanySources, GazetteerLists, NamedEntry};
pub use engine::Engine;
pub use grading::GradingRules;
pub use playbook::Playbook;
pub use state::{
    Action, ConversationState, Counters, Evidence, Grade, HandoffSummary, Lead, Reply, Role,
    SCHEMA_VERSION, TurnOutput, TurnRecord,
};
pub use text::{Text, Variety};

/// One problem found while loading a company: which file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// `company.yaml`, `products.yaml`, `faq.yaml`, `competitors.yaml`, `playbook.yaml` or `grading.yaml`.
    pub file: String,
    /// Location inside the file, e.g. `nodes[3] (quote_price).reply.yue` or `line 12 column 5`.
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.location, self.message)
    }
}

/// Errors of the dialogue crate.
#[derive(Debug, thiserror::Error)]
pub enum DialogueError {
    /// The company files have problems; all of them are listed.
    #[error("invalid company files ({} problem(s)):\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// A stored conversation state cannot be used with this company.
    #[error("invalid conversation state: {0}")]
    State(String),
}
