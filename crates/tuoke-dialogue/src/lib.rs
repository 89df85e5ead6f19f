//! tuoke-dialogue: the pure dialogue engine of the tuoke sales robot.
//!
//! Data in, data out: no files, no network, no clock ("now" is always a parameter).
//!
//! * [`Company`] — the knowledge base ([`catalog`]: company, products, FAQ, competitors), the sales
//!   playbook (话术, [`playbook`]) and the lead-grading rules ([`grading`]), all loaded from YAML
//!   texts ([`CompanySources`]) and validated together: every problem is reported with its file and
//!   location ([`Problem`]).
//! * [`Engine`] — a state machine `(state, analysis, now) → (new state, actions, reply, lead)`.
//!   [`ConversationState`] is plain serde data with a schema version, stored by the caller.
//!   One turn runs named steps (see [`engine`]): reply variety ([`lang`]), context and needs
//!   ([`context`], [`needs`]), grading, one answer per question ([`answer`]: KB passages by BM25
//!   ([`kb`]), comparisons and recommendations ([`recommend`])), the playbook node, handoff.
//!
//! Module tree (no two modules import each other): `error` ← `text` ← `schema` ← `catalog`,
//! `playbook`, `grading` ← `kb` ← `company` ← `context`, `needs`, `lang`, `render`, `recommend`,
//! `retrieve` ← `answer` ← `engine`.

pub mod answer;
pub mod bm25;
mod budget;
pub mod bundle;
pub mod canned;
pub mod catalog;
pub mod chat;
pub mod company;
pub mod concepts;
pub mod context;
pub mod engine;
pub mod error;
pub mod grading;
pub mod kb;
pub mod lang;
pub mod needs;
pub mod phrases;
pub mod playbook;
pub mod qtype;
pub mod quantity;
pub mod question;
pub mod recommend;
pub mod render;
pub mod retrieve;
mod schema;
pub mod script;
pub mod state;
pub mod text;
pub mod words;

pub use catalog::{Competitor, Faq, Product};
pub use company::{Company, CompanySources};
pub use engine::Engine;
pub use error::{DialogueError, Problem};
pub use grading::GradingRules;
pub use playbook::Playbook;
pub use state::{
    Action, ConversationState, Counters, Evidence, Grade, HandoffState, HandoffSummary, Lead,
    Reply, Role, SCHEMA_VERSION, TurnOutput, TurnRecord,
};
pub use text::{Text, Variety};
