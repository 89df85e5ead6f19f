//! The dialogue engine: a pure state machine over the playbook.
//!
//! One customer turn:
//! 1. remember the turn (compact analysis), choose the reply variety from language + dialect;
//! 2. carry context over: fill slots, resolve "另一款"/"the first one", apply corrections
//!    ([`context`](crate::context)); a bare follow-up such as "那X2呢" inherits the previous intent;
//! 3. grade the lead ([`GradingRules`](crate::GradingRules)), with evidence;
//! 4. if handed off: stay silent (the agent talks) — stop here;
//! 5. pick the next node: playbook `interrupts`, then the current node's `transitions`, then the
//!    global `rules`; nothing matched → re-prompt the pending question (`max_retries`), then the
//!    `fallback` node; `handoff.after_fallbacks` fallbacks in a row → `handoff.fallback_node`;
//! 6. render the reply in the variety (a detour node answers, then re-asks the pending question
//!    and the conversation stays where it was); a placeholder that cannot be filled sends the turn
//!    to the node's `otherwise`;
//! 7. node actions (handoff / close / schedule_follow_up), the grade-reached handoff, and
//!    `StageChanged` / `SlotFilled` / `LeadGradeChanged` actions.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tuoke_core::{Analysis, Dialect, Language, SentimentLabel};

use crate::company::Company;
use crate::context;
use crate::playbook::{CondInput, Node, Transition, Variants};
use crate::render::RenderCtx;
use crate::state::{
    Action, ConversationState, Counters, Evidence, Grade, HISTORY_LIMIT, HandoffSummary, Lead,
    Reply, Role, SCHEMA_VERSION, TurnAnalysis, TurnOutput, TurnRecord,
};
use crate::text::Variety;

/// Intents whose question a bare "那X2呢" / "另一款呢" repeats about another product.
const CARRY_INTENTS: &[&str] = &[
    "ask_price",
    "ask_feature",
    "ask_delivery",
    "ask_after_sales",
    "ask_trial",
    "ask_discount",
    "ask_payment",
];

/// How many `otherwise` hops a turn may take before it gives up to the fallback node.
const MAX_OTHERWISE_HOPS: usize = 4;

/// The engine. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Engine {
    company: Arc<Company>,
}

fn sentiment_str(s: SentimentLabel) -> &'static str {
    match s {
        SentimentLabel::Positive => "positive",
        SentimentLabel::Neutral => "neutral",
        SentimentLabel::Negative => "negative",
    }
}

fn push_history(rec: TurnRecord, st: &mut ConversationState) {
    st.history.push(rec);
    if st.history.len() > HISTORY_LIMIT {
        let drop = st.history.len() - HISTORY_LIMIT;
        st.history.drain(..drop);
    }
}

impl Engine {
    pub fn new(company: Arc<Company>) -> Engine {
        Engine { company }
    }

    pub fn company(&self) -> &Arc<Company> {
        &self.company
    }

    fn lead_of(&self, st: &ConversationState) -> Lead {
        st.lead.clone()
    }

    fn output(
        &self,
        st: ConversationState,
        reply: Option<Reply>,
        actions: Vec<Action>,
    ) -> TurnOutput {
        let lead = self.lead_of(&st);
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
            started_at: now,
            updated_at: now,
        };
        let reply = self.say(&mut st, &pb.start.clone(), "", None, now);
        self.output(st, reply, Vec::new())
    }

    /// Render node `id` (following `otherwise` when a placeholder is missing), record it in the
    /// history and count the visit. Returns the reply; updates nothing else.
    fn say(
        &self,
        st: &mut ConversationState,
        id: &str,
        text: &str,
        intent: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<Reply> {
        let (node_id, body, cites) = self.render_node(st, id, text, intent)?;
        let reply = Reply {
            text: body,
            citations: cites,
            node: node_id.clone(),
        };
        push_history(
            TurnRecord {
                turn: st.turn,
                role: Role::Bot,
                text: reply.text.clone(),
                analysis: None,
                node: Some(node_id),
                at: now,
            },
            st,
        );
        Some(reply)
    }

    fn pick<'v>(&self, v: &'v Variants, variety: Variety, visit: u32) -> Option<&'v str> {
        let pb = &self.company.playbook;
        let list = v
            .get(variety.as_str())
            .or_else(|| {
                if variety == Variety::Yue {
                    v.get("cmn")
                } else {
                    None
                }
            })
            .or_else(|| pb.languages.first().and_then(|l| v.get(l)))?
            .as_slice();
        let i = (visit as usize).min(list.len().saturating_sub(1));
        list.get(i).map(String::as_str)
    }

    /// Render a node's reply; follow `otherwise` on a missing placeholder, then the fallback node.
    fn render_node(
        &self,
        st: &mut ConversationState,
        id: &str,
        text: &str,
        intent: Option<&str>,
    ) -> Option<(String, String, Vec<String>)> {
        let pb = &self.company.playbook;
        let mut cur = id.to_string();
        for hop in 0..=MAX_OTHERWISE_HOPS {
            let node = pb.node(&cur).or_else(|| pb.node(&pb.fallback))?;
            let visit = st.counters.node_visits.get(&node.id).copied().unwrap_or(0);
            let tpl = self.pick(&node.reply, st.variety, visit)?;
            let ctx = RenderCtx {
                company: &self.company,
                state: st,
                variety: st.variety,
                text,
                intent,
            };
            match ctx.render(tpl) {
                Ok((body, cites)) => {
                    *st.counters.node_visits.entry(node.id.clone()).or_default() += 1;
                    return Some((node.id.clone(), body, cites));
                }
                Err(missing) => {
                    tracing::debug!(node = %node.id, placeholder = %missing, "placeholder unavailable");
                    cur = match &node.otherwise {
                        Some(o) if hop < MAX_OTHERWISE_HOPS => o.clone(),
                        _ if node.id != pb.fallback => pb.fallback.clone(),
                        _ => return None,
                    };
                }
            }
        }
        None
    }

    /// Make a stored state usable with this company (unknown node/stage after a playbook edit,
    /// counters out of range). Never fails.
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
        st.schema_version = SCHEMA_VERSION;
        st
    }

    /// One customer turn.
    pub fn turn(
        &self,
        state: &ConversationState,
        analysis: &Analysis,
        now: DateTime<Utc>,
    ) -> TurnOutput {
        let company = &*self.company;
        let pb = &company.playbook;
        let mut st = self.sanitize(state);
        let mut actions = Vec::new();
        st.closed = false; // a customer writing again reopens the conversation
        st.turn += 1;
        st.updated_at = now;
        st.variety = Variety::from_analysis(analysis.language, analysis.dialect);
        let from_stage = st.stage.clone();

        // 1. Intent (below min_confidence = unknown) and context carry-over.
        let raw_intent = Some(analysis.intent.label.as_str())
            .filter(|_| {
                analysis.intent.confidence.is_finite()
                    && analysis.intent.confidence >= pb.min_confidence
            })
            .filter(|l| tuoke_core::INTENTS.contains(l));
        let facts = context::apply(company, &mut st, analysis, raw_intent);
        let prev_intent = st.history.iter().rev().find_map(|r| {
            r.analysis
                .as_ref()
                .filter(|_| r.role == Role::Customer)
                .map(|a| a.intent.clone())
        });
        let mut intent: Option<String> = raw_intent.map(str::to_string);
        if facts.entities.contains("product")
            && (matches!(intent.as_deref(), None | Some("out_of_scope") | Some("affirm"))
                // "那X10呢" is sometimes read as provide_contact; without a contact it is a follow-up.
                || (intent.as_deref() == Some("provide_contact") && !facts.entities.contains("contact")))
            && let Some(p) = prev_intent.filter(|p| CARRY_INTENTS.contains(&p.as_str()))
        {
            intent = Some(p);
        }
        let sentiment = sentiment_str(analysis.sentiment.label);
        let score = if analysis.sentiment.score.is_finite() {
            analysis.sentiment.score.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        st.sentiment_trend.push(score);
        if st.sentiment_trend.len() > 10 {
            st.sentiment_trend.remove(0);
        }
        push_history(
            TurnRecord {
                turn: st.turn,
                role: Role::Customer,
                text: analysis.text.clone(),
                analysis: Some(TurnAnalysis {
                    intent: intent.clone().unwrap_or_else(|| "unknown".into()),
                    confidence: if analysis.intent.confidence.is_finite() {
                        analysis.intent.confidence
                    } else {
                        0.0
                    },
                    sentiment: analysis.sentiment.label,
                    sentiment_score: score,
                    variety: st.variety,
                    entities: analysis
                        .entities
                        .iter()
                        .map(|e| (e.kind, e.text.clone()))
                        .collect(),
                }),
                node: None,
                at: now,
            },
            &mut st,
        );
        for name in &facts.filled {
            if let Some(v) = st.slots.get(name) {
                actions.push(Action::SlotFilled {
                    name: name.clone(),
                    value: v.clone(),
                });
            }
        }

        // 2. Lead grading.
        let stage_now = st.stage.clone();
        let input = CondInput {
            intent: intent.as_deref(),
            entities: &facts.entities,
            slots: &st.slots,
            filled: &facts.filled,
            sentiment,
            stage: &stage_now,
        };
        let old_grade = st.lead.grade;
        let fired: Vec<(String, i32, String)> = company
            .grading
            .fired(&input, &st.counters.signals)
            .map(|s| {
                let mut detail = s
                    .detail
                    .as_ref()
                    .map(|d| d.en.clone())
                    .unwrap_or_else(|| s.id.clone());
                if let Some(i) = &intent
                    && s.when.intent.is_some()
                {
                    detail.push_str(&format!(" (intent {i}, {:.2})", analysis.intent.confidence));
                }
                (s.id.clone(), s.points, detail)
            })
            .collect();
        for (id, points, detail) in fired {
            *st.counters.signals.entry(id.clone()).or_default() += 1;
            st.lead.evidence.push(Evidence {
                turn: st.turn,
                signal: id,
                points,
                detail,
            });
        }
        st.lead.score = company.grading.score(&st.lead.evidence);
        st.lead.grade = company.grading.grade(st.lead.score);
        if st.lead.grade != old_grade {
            actions.push(Action::LeadGradeChanged {
                from: Some(old_grade),
                to: st.lead.grade,
                score: st.lead.score,
            });
        }

        // 3. Handed off: the agent talks, the bot is silent.
        if st.handed_off {
            return self.output(st, None, actions);
        }

        // 4. Policy.
        let input = CondInput {
            intent: intent.as_deref(),
            entities: &facts.entities,
            slots: &st.slots,
            filled: &facts.filled,
            sentiment,
            stage: &stage_now,
        };
        let first = |list: &[Transition]| {
            list.iter()
                .find(|t| t.when.matches(&input))
                .map(|t| t.goto.clone())
        };
        let current: Option<&Node> = pb.node(&st.node);
        let target = first(&pb.interrupts)
            .or_else(|| current.and_then(|n| first(&n.transitions)))
            .or_else(|| first(&pb.rules));
        let text = analysis.text.as_str();
        let mut reply: Option<Reply>;
        let mut node_actions: Vec<String> = Vec::new();
        let mut handoff_reason: Option<String> = None;
        match target {
            Some(t) => {
                st.counters.consecutive_fallbacks = 0;
                let tnode = pb.node(&t);
                let pending =
                    current.and_then(|c| c.reprompt.as_ref().map(|r| (c.id.clone(), r.clone())));
                if let (Some(tn), Some((_, rep))) = (tnode, pending.as_ref())
                    && tn.detour
                {
                    // Answer, then return to the pending question; node and stage stay.
                    reply = self.say(&mut st, &t, text, intent.as_deref(), now);
                    if let Some(r) = reply.as_mut()
                        && let Some(q) = self.pick(rep, st.variety, 0)
                    {
                        let ctx = RenderCtx {
                            company,
                            state: &st,
                            variety: st.variety,
                            text,
                            intent: intent.as_deref(),
                        };
                        if let Ok((q, c)) = ctx.render(q) {
                            r.text = format!(
                                "{}{}{}",
                                r.text,
                                if st.variety.is_chinese() { "" } else { " " },
                                q
                            );
                            r.citations.extend(c);
                            if let Some(h) = st.history.last_mut() {
                                h.text = r.text.clone();
                            }
                        }
                    }
                    if let Some(r) = &reply
                        && let Some(n) = pb.node(&r.node)
                    {
                        node_actions = n.actions.clone();
                        handoff_reason = n.handoff_reason.clone();
                    }
                } else {
                    reply = self.say(&mut st, &t, text, intent.as_deref(), now);
                    if let Some(r) = &reply
                        && let Some(n) = pb.node(&r.node)
                    {
                        if n.detour {
                            // A detour with no pending question: answer and stay.
                        } else {
                            st.node = n.id.clone();
                            st.stage = n.stage.clone();
                            st.counters.retries = 0;
                        }
                        node_actions = n.actions.clone();
                        handoff_reason = n.handoff_reason.clone();
                    }
                }
            }
            None => {
                st.counters.consecutive_fallbacks += 1;
                st.counters.total_fallbacks += 1;
                let limit = pb.handoff.after_fallbacks;
                let retry = current.and_then(|c| {
                    c.reprompt
                        .as_ref()
                        .filter(|_| st.counters.retries < c.max_retries)
                });
                if let (Some(limit), Some(hn)) = (limit, pb.handoff.fallback_node.as_ref())
                    && st.counters.consecutive_fallbacks >= limit
                {
                    reply = self.say(&mut st, hn, text, intent.as_deref(), now);
                    if let Some(n) = reply.as_ref().and_then(|r| pb.node(&r.node)) {
                        st.node = n.id.clone();
                        st.stage = n.stage.clone();
                        node_actions = n.actions.clone();
                        handoff_reason = n
                            .handoff_reason
                            .clone()
                            .or_else(|| Some("repeated_fallback".into()));
                        if !node_actions.iter().any(|a| a == "handoff") {
                            node_actions.push("handoff".into());
                        }
                    }
                } else if let Some(rep) = retry.cloned() {
                    st.counters.retries += 1;
                    let sorry = pb
                        .sorry
                        .as_ref()
                        .and_then(|s| self.pick(s, st.variety, 0))
                        .unwrap_or("");
                    let q = self.pick(&rep, st.variety, 0).unwrap_or("");
                    let ctx = RenderCtx {
                        company,
                        state: &st,
                        variety: st.variety,
                        text,
                        intent: intent.as_deref(),
                    };
                    let (q, c) = ctx.render(q).unwrap_or_default();
                    let sep = if st.variety.is_chinese() || sorry.is_empty() {
                        ""
                    } else {
                        " "
                    };
                    let body = format!("{sorry}{sep}{q}");
                    let node = st.node.clone();
                    push_history(
                        TurnRecord {
                            turn: st.turn,
                            role: Role::Bot,
                            text: body.clone(),
                            analysis: None,
                            node: Some(node.clone()),
                            at: now,
                        },
                        &mut st,
                    );
                    reply = Some(Reply {
                        text: body,
                        citations: c,
                        node,
                    });
                } else {
                    let fb = pb.fallback.clone();
                    reply = self.say(&mut st, &fb, text, intent.as_deref(), now);
                    if let Some(n) = reply.as_ref().and_then(|r| pb.node(&r.node)) {
                        if !n.detour {
                            st.node = n.id.clone();
                            st.stage = n.stage.clone();
                        }
                        st.counters.retries = 0;
                        node_actions = n.actions.clone();
                        handoff_reason = n.handoff_reason.clone();
                    }
                }
            }
        }

        // 5. Actions of the node, then the grade-reached handoff.
        let mut handed = false;
        for a in &node_actions {
            match a.as_str() {
                "handoff" => {
                    let reason = handoff_reason.clone().unwrap_or_else(|| st.node.clone());
                    handed = true;
                    self.hand_off(&mut st, &reason, &mut actions);
                }
                "close" => {
                    st.closed = true;
                    actions.push(Action::Close {
                        reason: reply.as_ref().map(|r| r.node.clone()).unwrap_or_default(),
                    });
                }
                "schedule_follow_up" => {
                    if let Some(at) = st
                        .slots
                        .get("callback_time")
                        .and_then(Value::as_str)
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    {
                        actions.push(Action::ScheduleFollowUp {
                            at: at.with_timezone(&Utc),
                        });
                    }
                }
                _ => {}
            }
        }
        if !handed
            && !st.closed
            && let (Some(g), Some(gn)) = (
                pb.handoff.on_grade.as_deref().and_then(Grade::parse),
                pb.handoff.grade_node.clone(),
            )
            && st.lead.grade <= g
            && old_grade > g
        {
            if let Some(extra) = self.say(&mut st, &gn, text, intent.as_deref(), now) {
                match reply.as_mut() {
                    Some(r) => {
                        r.text = format!(
                            "{}{}{}",
                            r.text,
                            if st.variety.is_chinese() { "" } else { " " },
                            extra.text
                        );
                        r.citations.extend(extra.citations);
                        let n = st.history.len();
                        // Merge the two bot records into one message.
                        if n >= 2 {
                            st.history.remove(n - 1);
                            if let Some(h) = st.history.last_mut() {
                                h.text = r.text.clone();
                            }
                        }
                    }
                    None => reply = Some(extra),
                }
            }
            let reason = format!("grade_{}", g.as_str());
            self.hand_off(&mut st, &reason, &mut actions);
        }
        if st.stage != from_stage {
            actions.insert(
                0,
                Action::StageChanged {
                    from: from_stage,
                    to: st.stage.clone(),
                },
            );
        }
        if let Some(r) = reply.as_mut() {
            let mut seen = std::collections::BTreeSet::new();
            r.citations.retain(|c| seen.insert(c.clone()));
        }
        self.output(st, reply, actions)
    }

    fn hand_off(&self, st: &mut ConversationState, reason: &str, actions: &mut Vec<Action>) {
        if st.handed_off {
            return;
        }
        st.handed_off = true;
        st.handoff_reason = Some(reason.to_string());
        actions.push(Action::Handoff {
            reason: reason.to_string(),
            summary: Box::new(self.summary(st, reason)),
        });
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

    /// An agent takes the conversation over: the bot goes silent.
    pub fn take_over(
        &self,
        state: &ConversationState,
        agent: &str,
        now: DateTime<Utc>,
    ) -> TurnOutput {
        let mut st = self.sanitize(state);
        st.updated_at = now;
        st.agent = Some(agent.to_string());
        let mut actions = Vec::new();
        if st.handed_off {
            // Already handed off (e.g. by a trigger): the agent just claims it.
            return self.output(st, None, actions);
        }
        self.hand_off(&mut st, "agent_takeover", &mut actions);
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

    /// Give the conversation back to the bot.
    pub fn release(&self, state: &ConversationState, now: DateTime<Utc>) -> TurnOutput {
        let mut st = self.sanitize(state);
        st.updated_at = now;
        st.handed_off = false;
        st.handoff_reason = None;
        st.agent = None;
        st.counters.consecutive_fallbacks = 0;
        st.counters.retries = 0;
        self.output(st, None, Vec::new())
    }

    /// Check that a state is consistent with this company's playbook (used by tests and by
    /// callers that load stored states).
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
        if st.handed_off != st.handoff_reason.is_some() {
            errs.push("handed_off and handoff_reason disagree".into());
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
