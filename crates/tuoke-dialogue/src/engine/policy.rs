//! The playbook step of a turn: which node answers (interrupts, then the current node's
//! transitions, then the global rules; nothing matched → re-prompt the pending question, then the
//! fallback node; too many fallbacks in a row → the handoff node), and rendering a node's reply in
//! the conversation's variety (a missing placeholder follows the node's `otherwise`).

use chrono::{DateTime, Utc};

use super::Engine;
use crate::playbook::{CondInput, Node, Transition, Variants};
use crate::render::RenderCtx;
use crate::state::{ConversationState, Reply, Role, TurnRecord};
use crate::text::Variety;

/// How many `otherwise` hops a turn may take before it gives up to the fallback node.
const MAX_OTHERWISE_HOPS: usize = 4;

/// What the playbook said for a turn.
#[derive(Debug, Default)]
pub struct NodeOutcome {
    pub reply: Option<Reply>,
    /// The node's `actions` (handoff, close, schedule_follow_up).
    pub actions: Vec<String>,
    pub handoff_reason: Option<String>,
    /// Nothing matched: a re-prompt, the fallback node or the confused-handoff node answered.
    pub fallback: bool,
    /// A detour answered: the pending question to ask again after everything else is said.
    pub reprompt: Option<(String, Vec<String>)>,
}

pub(crate) fn push_history(rec: TurnRecord, st: &mut ConversationState) {
    st.history.push(rec);
    if st.history.len() > crate::state::HISTORY_LIMIT {
        let drop = st.history.len() - crate::state::HISTORY_LIMIT;
        st.history.drain(..drop);
    }
}

fn join(v: Variety, a: &str, b: &str) -> String {
    format!("{a}{}{b}", if v.is_chinese() { "" } else { " " })
}

impl Engine {
    /// The variant of a reply for the variety (Cantonese falls back to Mandarin) and visit count.
    pub(crate) fn pick<'v>(
        &self,
        v: &'v Variants,
        variety: Variety,
        visit: u32,
    ) -> Option<&'v str> {
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
    /// Counts the visit. Returns (node id, text, citations).
    pub(crate) fn render_node(
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

    /// Render node `id` as a reply (not yet in the history).
    pub(crate) fn say(
        &self,
        st: &mut ConversationState,
        id: &str,
        text: &str,
        intent: Option<&str>,
    ) -> Option<Reply> {
        let (node, text, citations) = self.render_node(st, id, text, intent)?;
        Some(Reply {
            text,
            citations,
            node,
        })
    }

    /// A variants text (re-prompt, sorry) rendered with the state; empty when it cannot be.
    fn render_variants(
        &self,
        st: &ConversationState,
        v: &Variants,
        text: &str,
        intent: Option<&str>,
    ) -> (String, Vec<String>) {
        let Some(t) = self.pick(v, st.variety, 0) else {
            return Default::default();
        };
        RenderCtx {
            company: &self.company,
            state: st,
            variety: st.variety,
            text,
            intent,
        }
        .render(t)
        .unwrap_or_default()
    }

    /// The first matching transition: interrupts, the current node's, the global rules.
    pub(crate) fn target(&self, st: &ConversationState, input: &CondInput<'_>) -> Option<String> {
        let pb = &self.company.playbook;
        let first = |list: &[Transition]| {
            list.iter()
                .find(|t| t.when.matches(input))
                .map(|t| t.goto.clone())
        };
        let current: Option<&Node> = pb.node(&st.node);
        first(&pb.interrupts)
            .or_else(|| current.and_then(|n| first(&n.transitions)))
            .or_else(|| first(&pb.rules))
    }

    /// Run the playbook for this turn: move to the target node (or re-prompt / fall back) and
    /// render its reply. Updates node, stage and counters.
    /// `answered`: the turn's questions already have answers from the knowledge base.
    pub(crate) fn run_node(
        &self,
        st: &mut ConversationState,
        target: Option<String>,
        text: &str,
        intent: Option<&str>,
        answered: bool,
    ) -> NodeOutcome {
        let pb = &self.company.playbook;
        let current = pb.node(&st.node).cloned();
        let mut out = NodeOutcome::default();
        let node_info = |out: &mut NodeOutcome, n: &Node| {
            out.actions = n.actions.clone();
            out.handoff_reason = n.handoff_reason.clone();
        };
        match target {
            Some(t) => {
                st.counters.consecutive_fallbacks = 0;
                let detour = pb.node(&t).is_some_and(|n| n.detour);
                // The start node's question ("which product?") is settled once a product is
                // in context.
                let pending = current
                    .as_ref()
                    .filter(|c| !(c.id == pb.start && st.product().is_some()))
                    .and_then(|c| c.reprompt.clone());
                out.reply = self.say(st, &t, text, intent);
                let Some(n) = out.reply.as_ref().and_then(|r| pb.node(&r.node)).cloned() else {
                    return out;
                };
                if detour && !n.detour {
                    // `otherwise` left the detour: a real move.
                } else if detour {
                    // Answer, then return to the pending question; node and stage stay.
                    if let Some(rep) = pending {
                        let (q, c) = self.render_variants(st, &rep, text, intent);
                        if !q.is_empty() {
                            out.reprompt = Some((q, c));
                        }
                    }
                    node_info(&mut out, &n);
                    return out;
                }
                if !n.detour {
                    st.node = n.id.clone();
                    st.stage = n.stage.clone();
                    st.counters.retries = 0;
                }
                node_info(&mut out, &n);
            }
            None => {
                out.fallback = true;
                // A turn the knowledge base answered is no failure to understand, whatever the
                // playbook could place: it neither counts toward nor triggers the hand-off.
                if answered {
                    st.counters.consecutive_fallbacks = 0;
                } else {
                    st.counters.consecutive_fallbacks += 1;
                    st.counters.total_fallbacks += 1;
                }
                let retry = current.as_ref().and_then(|c| {
                    c.reprompt
                        .clone()
                        .filter(|_| st.counters.retries < c.max_retries)
                });
                if let (Some(limit), Some(hn)) =
                    (pb.handoff.after_fallbacks, pb.handoff.fallback_node.clone())
                    && !answered
                    && st.counters.consecutive_fallbacks >= limit
                {
                    out.reply = self.say(st, &hn, text, intent);
                    if let Some(n) = out.reply.as_ref().and_then(|r| pb.node(&r.node)).cloned() {
                        st.node = n.id.clone();
                        st.stage = n.stage.clone();
                        node_info(&mut out, &n);
                        out.handoff_reason = n
                            .handoff_reason
                            .clone()
                            .or_else(|| Some("repeated_fallback".into()));
                        if !out.actions.iter().any(|a| a == "handoff") {
                            out.actions.push("handoff".into());
                        }
                    }
                } else if let Some(rep) = retry {
                    st.counters.retries += 1;
                    let sorry = pb
                        .sorry
                        .as_ref()
                        .map(|s| self.render_variants(st, s, text, intent).0)
                        .unwrap_or_default();
                    let (q, c) = self.render_variants(st, &rep, text, intent);
                    out.reply = Some(Reply {
                        text: if sorry.is_empty() {
                            q
                        } else {
                            join(st.variety, &sorry, &q)
                        },
                        citations: c,
                        node: st.node.clone(),
                    });
                } else {
                    let fb = pb.fallback.clone();
                    out.reply = self.say(st, &fb, text, intent);
                    if let Some(n) = out.reply.as_ref().and_then(|r| pb.node(&r.node)).cloned() {
                        if !n.detour {
                            st.node = n.id.clone();
                            st.stage = n.stage.clone();
                        }
                        st.counters.retries = 0;
                        node_info(&mut out, &n);
                    }
                }
            }
        }
        out
    }

    /// Record a bot reply in the history.
    pub(crate) fn remember_reply(
        &self,
        st: &mut ConversationState,
        reply: &Reply,
        now: DateTime<Utc>,
    ) {
        push_history(
            TurnRecord {
                turn: st.turn,
                role: Role::Bot,
                text: reply.text.clone(),
                analysis: None,
                node: Some(reply.node.clone()),
                at: now,
            },
            st,
        );
    }
}
