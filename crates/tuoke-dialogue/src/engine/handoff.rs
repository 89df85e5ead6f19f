//! People in the conversation. Two states, kept apart:
//! * **requested** — a person was asked for (the customer asked, a complaint, repeated
//!   misunderstanding, or the lead reached the hot grade): staff are notified by the
//!   [`Action::Handoff`] (event + webhook), the customer is told a person will follow up, and the
//!   bot **keeps answering**. If no agent takes over within `handoff.wait_minutes` (or `wait_seconds`), the bot says so
//!   once and offers a call-back at a time the customer names (`handoff.callback_node`).
//! * **taken over** — an agent holds the conversation ([`Engine::take_over`]); only then is the
//!   bot silent, until [`Engine::release`].

use chrono::{DateTime, Utc};

use super::Engine;
use super::policy::push_history;
use crate::phrases;
use crate::state::{Action, ConversationState, HandoffSummary, Role, TurnOutput, TurnRecord};

impl Engine {
    /// Ask for a person: notify staff with the summary. The bot keeps talking. A request already
    /// waiting is not started again (its wait keeps running); when the customer asks once more
    /// (`again`), staff are notified again, so the second "我要找人工" reaches someone.
    pub(crate) fn request_handoff(
        &self,
        st: &mut ConversationState,
        reason: &str,
        now: DateTime<Utc>,
        again: bool,
        actions: &mut Vec<Action>,
    ) {
        if st.handed_off {
            return;
        }
        if st.handoff_requested_at.is_some() {
            if again {
                actions.push(Action::Handoff {
                    reason: reason.to_string(),
                    summary: Box::new(self.summary(st, reason)),
                });
            }
            return;
        }
        st.handoff_requested_at = Some(now);
        st.handoff_wait_told = false;
        st.handoff_reason = Some(reason.to_string());
        actions.push(Action::Handoff {
            reason: reason.to_string(),
            summary: Box::new(self.summary(st, reason)),
        });
    }

    /// While a request waits: after `handoff.wait_minutes` (or `wait_seconds`) with no agent, the notice that nobody
    /// came and the offer of a call-back (said once; the conversation moves to the call-back node).
    pub(crate) fn waiting_notice(
        &self,
        st: &mut ConversationState,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let pb = &self.company.playbook;
        let at = st.handoff_requested_at?;
        if st.handed_off || st.handoff_wait_told {
            return None;
        }
        let wait = i64::try_from(pb.handoff.wait_secs()).unwrap_or(i64::MAX);
        if now.signed_duration_since(at).num_seconds() < wait {
            return None;
        }
        st.handoff_wait_told = true;
        if let Some(n) = pb
            .handoff
            .callback_node
            .as_deref()
            .and_then(|id| pb.node(id))
        {
            st.node = n.id.clone();
            st.stage = n.stage.clone();
        }
        Some(phrases::HANDOFF_NOBODY.get(st.variety).to_string())
    }

    /// The salesperson's summary of a conversation.
    pub fn summary(&self, st: &ConversationState, reason: &str) -> HandoffSummary {
        let mut needs: Vec<String> = Vec::new();
        for r in &st.history {
            if let Some(a) = &r.analysis
                && r.role == Role::Customer
                && a.intent != "unknown"
                && !["greeting", "affirm", "deny", "goodbye", "out_of_scope"]
                    .contains(&a.intent.as_str())
                && !needs.contains(&a.intent)
            {
                needs.push(a.intent.clone());
            }
        }
        for p in st.products_mentioned() {
            if let Some(p) = self.company.product(&p) {
                needs.push(format!("product {} ({})", p.id, p.name.en));
            }
        }
        let n = st.sentiment_trend.len().max(1) as f32;
        HandoffSummary {
            reason: reason.to_string(),
            stage: st.stage.clone(),
            needs,
            slots: st.slots.clone(),
            score: st.lead.score,
            grade: st.lead.grade,
            evidence: st.lead.evidence.clone(),
            sentiment: st.sentiment_trend.iter().sum::<f32>() / n,
            last_turns: st.last_turns(6),
        }
    }

    /// An agent takes the conversation over: the bot goes silent. A conversation nobody had asked
    /// a person for gets its handoff action (reason `agent_takeover`) so staff see the summary.
    pub fn take_over(
        &self,
        state: &ConversationState,
        agent: &str,
        now: DateTime<Utc>,
    ) -> TurnOutput {
        let mut st = self.sanitize(state);
        st.updated_at = now;
        let mut actions = Vec::new();
        self.request_handoff(&mut st, "agent_takeover", now, false, &mut actions);
        st.handed_off = true;
        st.agent = Some(agent.to_string());
        self.output(st, None, actions)
    }

    /// Remember what the agent said (the bot stays silent).
    pub fn agent_message(
        &self,
        state: &ConversationState,
        text: &str,
        now: DateTime<Utc>,
    ) -> ConversationState {
        let mut st = self.sanitize(state);
        st.updated_at = now;
        push_history(
            TurnRecord {
                turn: st.turn,
                role: Role::Agent,
                text: text.to_string(),
                analysis: None,
                node: None,
                at: now,
            },
            &mut st,
        );
        st
    }

    /// Give the conversation back to the bot (the request, if any, is settled).
    pub fn release(&self, state: &ConversationState, now: DateTime<Utc>) -> TurnOutput {
        let mut st = self.sanitize(state);
        st.updated_at = now;
        st.handed_off = false;
        st.handoff_reason = None;
        st.handoff_requested_at = None;
        st.handoff_wait_told = false;
        st.agent = None;
        st.counters.consecutive_fallbacks = 0;
        st.counters.retries = 0;
        self.output(st, None, Vec::new())
    }
}
