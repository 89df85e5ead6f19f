//! The dialogue engine: a pure state machine over the playbook.
//!
//! One customer turn ([`Engine::turn`]) runs these steps, each a method of its own:
//! 1. [`begin`](Engine::begin) — a usable copy of the state, the turn counted, the reply variety
//!    decided for the conversation ([`lang`](crate::lang));
//! 2. [`understand`](Engine::understand) — the intent of each clause (false triggers removed: a
//!    time word inside a question is no deferral, a hedge is no refusal), slots and products in
//!    context ([`context`](crate::context)), the customer's needs ([`needs`](crate::needs));
//! 3. [`grade`](Engine::grade) — the lead score with evidence, over every clause's intent;
//! 4. an agent holds the conversation → silence; otherwise
//! 5. [`respond`](Engine::respond) — one answer per question ([`answer`](crate::answer)), a
//!    recommendation when needs were given, the playbook node ([`policy`]) composed with them, the
//!    honest "I don't know" when nothing specific is known, a brand we have nothing on answered
//!    with our own facts ([`brands`]), the handoff notices ([`handoff`]);
//! 6. [`act`](Engine::act) — the node's actions, the hot-lead notification, stage changes.

mod brands;
mod buying;
mod clauses;
mod cues;
mod handoff;
mod moods;
mod policy;
mod respond;
mod suggest;
mod topics;
mod understand;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tuoke_core::{Analysis, Dialect, Language};

use crate::company::Company;
use crate::state::{
    Action, ConversationState, Counters, HISTORY_LIMIT, LangState, Lead, Reply, SCHEMA_VERSION,
    TurnOutput,
};
use crate::text::Variety;

pub use understand::Understood;

/// The engine. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Engine {
    company: Arc<Company>,
}

/// One turn in progress: the state being changed and what the steps found so far.
pub struct TurnCtx<'a> {
    pub st: ConversationState,
    pub analysis: &'a Analysis,
    pub now: DateTime<Utc>,
    pub actions: Vec<Action>,
    /// Stage and grade before the turn.
    pub from_stage: String,
    pub from_grade: crate::state::Grade,
}

impl Engine {
    pub fn new(company: Arc<Company>) -> Engine {
        Engine { company }
    }

    pub fn company(&self) -> &Arc<Company> {
        &self.company
    }

    fn output(
        &self,
        st: ConversationState,
        reply: Option<Reply>,
        actions: Vec<Action>,
    ) -> TurnOutput {
        let lead = st.lead.clone();
        // The reply in the customer's script; the history keeps the engine's own wording, which
        // the next turns compare new answers with.
        let reply = reply.map(|mut r| {
            if let Some(script) = crate::script::for_reply(st.variety, st.lang.script)
                && crate::script::needs_conversion(st.variety, script)
            {
                r.text = crate::script::convert(&r.text, script);
            }
            r
        });
        TurnOutput {
            state: st,
            reply,
            actions,
            lead,
        }
    }

    /// A fresh conversation: the start node's greeting.
    pub fn start(&self, now: DateTime<Utc>, language: Language, dialect: Dialect) -> TurnOutput {
        let pb = &self.company.playbook;
        let variety = Variety::from_analysis(language, dialect);
        let stage = pb
            .node(&pb.start)
            .map(|n| n.stage.clone())
            .unwrap_or_default();
        let score = self.company.grading.score(&[]);
        let mut st = ConversationState {
            schema_version: SCHEMA_VERSION,
            stage,
            node: pb.start.clone(),
            slots: BTreeMap::new(),
            handed_off: false,
            closed: false,
            variety,
            turn: 0,
            history: Vec::new(),
            counters: Counters::default(),
            lead: Lead {
                score,
                grade: self.company.grading.grade(score),
                evidence: Vec::new(),
            },
            sentiment_trend: Vec::new(),
            handoff_reason: None,
            agent: None,
            handoff_requested_at: None,
            handoff_wait_told: false,
            lang: LangState::default(),
            last_question: None,
            started_at: now,
            updated_at: now,
        };
        let start = pb.start.clone();
        let reply = self.say(&mut st, &start, "", None);
        if let Some(r) = &reply {
            self.remember_reply(&mut st, r, now);
        }
        self.output(st, reply, Vec::new())
    }

    /// Make a stored state usable with this company (unknown node/stage after a playbook edit,
    /// counters out of range; a state from before requested/taken-over were told apart, where a
    /// bot-triggered handoff silenced the bot, becomes a request). Never fails.
    fn sanitize(&self, state: &ConversationState) -> ConversationState {
        let pb = &self.company.playbook;
        let mut st = state.clone();
        if pb.node(&st.node).is_none() {
            st.node = pb.start.clone();
        }
        if let Some(n) = pb.node(&st.node) {
            st.stage = n.stage.clone();
        }
        if let Some(p) = st.product()
            && self.company.product(p).is_none()
        {
            st.slots.remove("product");
        }
        if st.handed_off && st.agent.is_none() {
            st.handed_off = false;
            st.handoff_requested_at.get_or_insert(st.updated_at);
        }
        if !st.handed_off && st.handoff_requested_at.is_none() {
            st.handoff_reason = None;
        }
        if (st.handed_off || st.handoff_requested_at.is_some()) && st.handoff_reason.is_none() {
            st.handoff_reason = Some("unknown".into());
        }
        st.schema_version = SCHEMA_VERSION;
        st
    }

    /// Step 1: a working copy of the state with the turn counted and the variety decided.
    pub fn begin<'a>(
        &self,
        state: &ConversationState,
        analysis: &'a Analysis,
        now: DateTime<Utc>,
    ) -> TurnCtx<'a> {
        let mut st = self.sanitize(state);
        st.closed = false; // a customer writing again reopens the conversation
        st.turn += 1;
        st.updated_at = now;
        let current = st.variety;
        st.variety = crate::lang::decide(current, &mut st.lang, analysis);
        let default = crate::script::for_reply(st.variety, None);
        st.lang.script = crate::script::decide(st.lang.script, default, &analysis.text);
        TurnCtx {
            from_stage: st.stage.clone(),
            from_grade: st.lead.grade,
            st,
            analysis,
            now,
            actions: Vec::new(),
        }
    }

    /// One customer turn: the steps above, in order.
    pub fn turn(
        &self,
        state: &ConversationState,
        analysis: &Analysis,
        now: DateTime<Utc>,
    ) -> TurnOutput {
        let mut t = self.begin(state, analysis, now);
        let u = self.understand(&mut t);
        self.grade(&mut t, &u);
        if t.st.handed_off {
            // An agent holds the conversation: the agent talks, the bot is silent.
            return self.output(t.st, None, t.actions);
        }
        let (reply, node) = self.respond(&mut t, &u);
        self.act(t, &u, reply, node)
    }

    /// The KB answers one turn would give, one per question clause in order (`None`: nothing good
    /// enough at `tuning`), with the state as the turn understood it, without changing anything:
    /// the retrieval evaluation's view of the engine (`tests/retrieval.rs` tunes on the dev table).
    pub fn question_answers(
        &self,
        state: &ConversationState,
        analysis: &Analysis,
        now: DateTime<Utc>,
        tuning: &crate::answer::Tuning,
    ) -> (ConversationState, Vec<crate::answer::Asked>) {
        let mut t = self.begin(state, analysis, now);
        let u = self.understand(&mut t);
        let asked = self.clause_answers(&t.st, &u, tuning);
        (t.st, asked)
    }

    /// How each question of a turn is looked up in the KB, one line each: `intent "query" [query
    /// tokens] → passage score, …` (what `tuoke test` prints for a failing turn).
    pub fn explain_questions(
        &self,
        state: &ConversationState,
        analysis: &Analysis,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        use crate::answer;
        let (st, asked) = self.question_answers(state, analysis, now, &answer::TUNING);
        asked
            .iter()
            .map(|q| {
                let ask = answer::Ask {
                    text: &q.query,
                    intent: q.intent.as_deref(),
                    turn_named: &q.turn_named,
                };
                let (toks, hits) = answer::explain(&self.company, &st, ask, false);
                let hits: Vec<String> = hits.iter().map(|(id, s)| format!("{id} {s:.1}")).collect();
                format!(
                    "{} {:?} {toks:?} → {} (needs ≥ {})",
                    q.intent.as_deref().unwrap_or("-"),
                    q.query,
                    hits.join(", "),
                    answer::MIN_SCORE
                )
            })
            .collect()
    }

    pub fn check_state(&self, st: &ConversationState) -> Result<(), Vec<String>> {
        let pb = &self.company.playbook;
        let mut errs = Vec::new();
        if st.schema_version != SCHEMA_VERSION {
            errs.push(format!(
                "schema_version {} != {SCHEMA_VERSION}",
                st.schema_version
            ));
        }
        match pb.node(&st.node) {
            None => errs.push(format!("unknown node '{}'", st.node)),
            Some(n) if n.stage != st.stage => errs.push(format!(
                "stage '{}' is not node {}'s stage '{}'",
                st.stage, n.id, n.stage
            )),
            _ => {}
        }
        if st.lead.score > 100 {
            errs.push("score > 100".into());
        }
        if self.company.grading.grade(st.lead.score) != st.lead.grade {
            errs.push(format!(
                "grade {} does not match score {}",
                st.lead.grade, st.lead.score
            ));
        }
        if self.company.grading.score(&st.lead.evidence) != st.lead.score {
            errs.push("score does not match the evidence".into());
        }
        if let Some(p) = st.product()
            && self.company.product(p).is_none()
        {
            errs.push(format!("unknown product '{p}' in slots"));
        }
        if let Some(c) = st.slots.get("competitor")
            && c.as_str()
                .and_then(|c| self.company.competitor(c))
                .is_none()
        {
            errs.push("unknown competitor in slots".into());
        }
        if st.history.len() > HISTORY_LIMIT {
            errs.push("history too long".into());
        }
        if st
            .sentiment_trend
            .iter()
            .any(|s| !s.is_finite() || s.abs() > 1.0)
        {
            errs.push("sentiment out of range".into());
        }
        if (st.handed_off || st.handoff_requested_at.is_some()) != st.handoff_reason.is_some() {
            errs.push("handoff state and handoff_reason disagree".into());
        }
        if st.handed_off != st.agent.is_some() {
            errs.push("handed_off and agent disagree".into());
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_and_company_are_send_sync() {
        assert_send_sync::<Engine>();
        assert_send_sync::<Company>();
    }
}
