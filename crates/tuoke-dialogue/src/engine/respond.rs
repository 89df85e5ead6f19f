//! Steps 3, 5 and 6 of a turn: grading, the composed reply, and the actions.
//!
//! The reply is composed from parts, in the customer's order: a recommendation when the turn gave
//! needs and no product is chosen yet; one answer per question clause ([`answer`]); the playbook
//! node's reply, unless a specific answer replaced a generic node (`kb_answer: true`). A question
//! nothing specific answers gets the honest "our information doesn't cover that" with an offer of a
//! person, never a guess.

use serde_json::Value;

use super::cues::ASK_INTENTS;
use super::understand::Understood;
use super::{Engine, TurnCtx};
use crate::answer::{self, Answer};
use crate::phrases;
use crate::playbook::CondInput;
use crate::recommend;
use crate::state::{Action, ConversationState, Evidence, Grade, Reply, TurnOutput};

/// Nodes whose reply says "I did not understand" or "I can't help with that".
fn is_generic(node: &str, fallback: &str) -> bool {
    node == fallback || node == "faq_unknown" || node == "off_topic"
}

impl Engine {
    /// Step 3: fire the grading signals of every clause's intent (each signal once per turn).
    pub fn grade(&self, t: &mut TurnCtx<'_>, u: &Understood) {
        let company = &*self.company;
        let stage = t.st.stage.clone();
        let mut fired: Vec<(String, i32, String)> = Vec::new();
        // A worried question ("不喜欢能退吗？", "会不会很吵？") is no bad mood: the sentiment
        // signal counts statements and complaints only.
        let asks_only = !u.clauses.is_empty()
            && u.clauses.iter().all(|c| c.question)
            && u.intent.as_deref() != Some("complaint");
        let sentiment = if asks_only && u.sentiment == "negative" {
            "neutral"
        } else {
            u.sentiment
        };
        let intents: Vec<Option<&str>> = if u.intents.is_empty() {
            vec![None]
        } else {
            u.intents.iter().map(|s| Some(s.as_str())).collect()
        };
        for intent in intents {
            let input = CondInput {
                intent,
                entities: &u.facts.entities,
                slots: &t.st.slots,
                filled: &filled(u),
                sentiment,
                stage: &stage,
            };
            for s in company.grading.fired(&input, &t.st.counters.signals) {
                if fired.iter().any(|(id, _, _)| *id == s.id) {
                    continue;
                }
                let mut detail = s
                    .detail
                    .as_ref()
                    .map(|d| d.en.clone())
                    .unwrap_or_else(|| s.id.clone());
                if let Some(i) = intent
                    && s.when.intent.is_some()
                {
                    detail.push_str(&format!(" (intent {i})"));
                }
                fired.push((s.id.clone(), s.points, detail));
            }
        }
        for (id, points, detail) in fired {
            *t.st.counters.signals.entry(id.clone()).or_default() += 1;
            t.st.lead.evidence.push(Evidence {
                turn: t.st.turn,
                signal: id,
                points,
                detail,
            });
        }
        t.st.lead.score = company.grading.score(&t.st.lead.evidence);
        t.st.lead.grade = company.grading.grade(t.st.lead.score);
        if t.st.lead.grade != t.from_grade {
            t.actions.push(Action::LeadGradeChanged {
                from: Some(t.from_grade),
                to: t.st.lead.grade,
                score: t.st.lead.score,
            });
        }
    }

    /// "Noted", then the next step: more about the product in context, else the most useful
    /// question about their needs.
    fn noted(&self, st: &ConversationState) -> String {
        let company = &*self.company;
        let v = st.variety;
        let next = match st.product().and_then(|id| company.product(id)) {
            Some(p) => Some(
                phrases::NOTED_PRODUCT
                    .get(v)
                    .replace("{product}", p.name.get(v)),
            ),
            None => {
                let cands = recommend::candidates(company, &st.slots);
                recommend::next_question(company, &st.slots, &cands, v)
            }
        };
        let mut text = phrases::NOTED.get(v).to_string();
        if let Some(n) = next {
            text.push_str(phrases::sep(v));
            text.push_str(&n);
        }
        text
    }

    /// Step 5: the reply, and the node whose actions apply (if any).
    pub fn respond(
        &self,
        t: &mut TurnCtx<'_>,
        u: &Understood,
    ) -> (Option<Reply>, Option<NodeActs>) {
        let company = &*self.company;
        let pb = &company.playbook;
        let v = t.st.variety;
        let mut parts: Vec<Answer> = Vec::new();
        // Another product in context starts the replies over: its discounts are told from the
        // first variant, not with "we can't go lower" left from haggling over the last one.
        if u.product_before.is_some() && t.st.product() != u.product_before.as_deref() {
            t.st.counters.node_visits.clear();
        }
        // A recommendation the last bot turn already gave is not given again ("多少钱？" right
        // after it: the price, not the whole recommendation once more) unless they ask for it
        // again ("那选哪款？", "why that one?").
        let last_bot =
            t.st.history
                .iter()
                .rev()
                .find(|r| r.role == crate::state::Role::Bot)
                .map(|r| r.text.clone())
                .unwrap_or_default();
        let (rec, bundled) = match self.recommendation(t, u) {
            // (The product in context answers a question about another brand.)
            Some((r, bundle))
                if !((last_bot.contains(&r.text)
                    && !u.clauses.iter().any(|c| {
                        crate::needs::asks_recommendation(&c.text.to_lowercase())
                            || crate::needs::asks_recommendation(&c.query.to_lowercase())
                    }))
                    || (u.unknown_brand.is_some() && t.st.product().is_some())) =>
            {
                (Some(r), bundle)
            }
            _ => (None, false),
        };
        let had_rec = rec.is_some();
        if let Some(r) = &rec {
            // The products we just put forward are in play: "那便宜的那款", "这两款" refer to them.
            let ids = cited_products(company, &r.citations);
            // The first product put forward is the one in context ("它声音大不大？", "买3台
            // 什么价？"); two or three put forward are weighed against each other until one is
            // chosen.
            // (A product in context only because an earlier recommendation put it forward gives
            // way: "预算一千多" after the X20 was suggested makes the X10 the one in play.)
            let from_rec = t.st.product().is_some_and(|p| {
                crate::state::list_slot(&t.st.slots, "recommended")
                    .iter()
                    .any(|r| r == p)
            });
            if (t.st.product().is_none() || from_rec)
                && let Some(first) = ids.first()
            {
                t.st.slots
                    .insert("product".into(), Value::String(first.clone()));
            }
            t.st.slots.insert(
                "recommended".into(),
                Value::Array(ids.iter().cloned().map(Value::String).collect()),
            );
            if ids.len() >= 2 {
                t.st.slots.insert(
                    "compared".into(),
                    Value::Array(ids.iter().take(3).cloned().map(Value::String).collect()),
                );
            }
            t.st.mention_products(ids);
        }
        parts.extend(rec);
        if let Some(brand) = &u.unknown_brand {
            parts.insert(0, self.unknown_brand_answer(&t.st, brand));
        }
        if u.switched_variety {
            parts.insert(
                0,
                Answer {
                    kind: answer::AnswerKind::Passage,
                    text: phrases::VARIETY_SWITCHED.get(v).to_string(),
                    citations: Vec::new(),
                    passage: None,
                },
            );
        }
        // "好，平啲嗰部帮我落单": the product chosen by name or reference, confirmed with its price.
        // (A purchase asked about — "Can I buy the L5 Pro here?" — chooses nothing.)
        if u.intent.as_deref() == Some("purchase_intent")
            && !u.clauses.iter().any(|c| c.question)
            && u.facts.entities.contains("product")
            && let Some(p) = t.st.product().and_then(|id| company.product(id))
        {
            let price = crate::text::fmt_price(p.price.amount, &p.price.currency);
            parts.push(Answer {
                kind: answer::AnswerKind::Passage,
                text: phrases::CHOSEN
                    .get(v)
                    .replace("{product}", p.name.get(v))
                    .replace("{price}", &price),
                citations: vec![format!("product:{}", p.id)],
                passage: None,
            });
        }
        let mut open_question = false;
        // Particular questions the KB has no answer for ("机身有几种颜色？").
        let mut not_covered: Vec<String> = Vec::new();
        let mut asked = self.clause_answers(&t.st, u, &answer::TUNING);
        // A bundle states each category's price and choice: the clauses asking prices, what to
        // choose or how the products compare are answered by it.
        if bundled {
            asked.retain(|a| {
                let lower = a.query.to_lowercase();
                !(crate::question::asks_price(&lower)
                    || crate::needs::asks_recommendation(&lower)
                    || a.answer
                        .as_ref()
                        .is_some_and(|x| x.kind == answer::AnswerKind::Compare))
            });
        }
        // A recommendation weighs the products it names: a side-by-side table of the same
        // products for "哪一款比较适合养猫的家庭？" says it again at length.
        if let Some(r) = parts.first().filter(|_| had_rec) {
            let named = cited_products(company, &r.citations);
            // (A clause asking what to choose is answered by a recommendation that names one,
            // and so are the needs told without a question: "睡房大概 35 平方米" is no question
            // about a 35 W motor.)
            if !named.is_empty() {
                asked.retain(|a| {
                    a.question && !crate::needs::asks_recommendation(&a.text.to_lowercase())
                });
            }
            asked.retain(|a| {
                a.answer.as_ref().is_none_or(|x| {
                    x.kind != answer::AnswerKind::Compare
                        || !cited_products(company, &x.citations)
                            .iter()
                            .all(|p| named.contains(p))
                })
            });
        }
        // The last question with a topic, remembered for a "那 X10 呢？" next turn.
        if let Some(q) = asked
            .iter()
            .rev()
            .filter(|a| {
                a.question && !crate::question::is_what_about(company, &a.query.to_lowercase())
            })
            .map(|a| company.strip_names(&a.query.to_lowercase()))
            .find(|q| q.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
        {
            t.st.last_question = Some(q.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        for a in asked {
            match a.answer {
                Some(x) if !parts.iter().any(|p| said_already(&p.text, &x.text)) => parts.push(x),
                Some(_) => {}
                None => {
                    open_question = true;
                    // The playbook's node for a topic answers it from the KB fields ("多久能
                    // 发货" → the delivery node); only a question no node is about is uncovered.
                    // (Not abroad: the node's terms are the mainland's — "带到新加坡还保修吗".)
                    let node_answers = a.intent.as_deref().is_some_and(|i| {
                        i != "ask_feature" && super::topics::topic_intents(&a.query).contains(&i)
                    }) && !crate::concepts::tokens(&a.query)
                        .iter()
                        .any(|t| t == "#overseas");
                    // A clause asking what to choose is answered by the recommendation.
                    let recommended =
                        had_rec && crate::needs::asks_recommendation(&a.text.to_lowercase());
                    if a.specific && a.question && !node_answers && !recommended {
                        let q = a
                            .text
                            .trim()
                            .trim_end_matches(['？', '?', '。', '.', '，', ',']);
                        let mut q: String = q.chars().take(24).collect();
                        if a.text.chars().count() > 24 {
                            q.push('…');
                        }
                        // (What another brand does is said not to be known already.)
                        if u.unknown_brand.is_none() {
                            not_covered.push(q);
                        }
                    }
                }
            }
        }

        // One product's facts quoted with none in context: it is the one in context now ("Do you
        // have a voice assistant…?" → the S3; "How much is that one?").
        if t.st.product().is_none() {
            let cited: Vec<String> = parts.iter().flat_map(|p| p.citations.clone()).collect();
            if let [only] = cited_products(company, &cited).as_slice() {
                let only = only.clone();
                t.st.slots
                    .insert("product".into(), Value::String(only.clone()));
                t.st.mention_products([only]);
            }
        }
        // The playbook.
        let filled = filled(u);
        let stage_now = t.st.stage.clone();
        let input = CondInput {
            intent: u.intent.as_deref(),
            entities: &u.facts.entities,
            slots: &t.st.slots,
            filled: &filled,
            sentiment: u.sentiment,
            stage: &stage_now,
        };
        let target = self.target(&t.st, &input);
        let requested = t.st.handoff_requested_at.is_some();
        let text = t.analysis.text.clone();
        let answered = !parts.is_empty();
        let out = self.run_node(&mut t.st, target, &text, u.intent.as_deref(), answered);
        let node = out.reply.as_ref().and_then(|r| pb.node(&r.node)).cloned();
        let node_id = node.as_ref().map(|n| n.id.clone()).unwrap_or_default();
        let replaceable = node.as_ref().is_some_and(|n| n.kb_answer)
            || out.fallback
            || (had_rec && node_id == "ask_contact" && u.product_before.is_none())
            // "有没有比较便宜的？" asks for a cheaper product, which the recommendation names;
            // the discount node its price word reached is not what was asked.
            || (had_rec
                && u.intent.as_deref() == Some("ask_discount")
                && crate::needs::asks_alternative(&t.analysis.text.to_lowercase()))
            || (parts.iter().any(|p| p.kind == answer::AnswerKind::Compare)
                && node.as_ref().is_some_and(|n| n.stage == "competitor")
                && !u.facts.filled.contains("competitor"));
        let mut node_reply = out.reply.clone();
        // A price part the node's own reply already states (the playbook's wording, with its
        // call to action) is dropped in favour of the node, unless other answers replace the
        // node (then the price stays with them: "X10 多少钱？能拖地吗？" states both).
        let covered = |p: &Answer| {
            node_reply.as_ref().is_some_and(|n| {
                !out.fallback
                    && p.kind == answer::AnswerKind::Price
                    && p.citations.iter().all(|c| n.citations.contains(c))
                    && states_prices(company, n, &p.citations)
            })
        };
        let replaces = replaceable && parts.iter().any(|p| !covered(p));
        // The node states an answer of this turn (its price): it stays, whatever else is open.
        let node_states_answer = !replaces && parts.iter().any(covered);
        if !replaces {
            parts.retain(|p| !covered(p));
        }
        // A statement the playbook cannot place but that told us something ("下个月中搬过去住，
        // 到时要用": a timeline) is noted, not met with "didn't understand".
        if out.fallback
            && parts.is_empty()
            && !requested
            && !u.clauses.iter().any(|c| c.question)
            && (!u.facts.filled.is_empty() || !u.needs_filled.is_empty())
        {
            t.st.counters.consecutive_fallbacks = 0;
            node_reply = Some(Reply {
                text: self.noted(&t.st),
                citations: t
                    .st
                    .product()
                    .map(|p| format!("product:{p}"))
                    .into_iter()
                    .collect(),
                node: node_id.clone(),
            });
        }
        if replaces {
            node_reply = None;
        } else if parts.is_empty()
            && !node_states_answer
            && (open_question || out.fallback)
            && (is_generic(&node_id, &pb.fallback)
                || (!not_covered.is_empty()
                    && (out.fallback || node.as_ref().is_some_and(|n| n.kb_answer))))
            && (open_question || u.clauses.iter().any(|c| c.question))
            && (requested || self.about_us(t, u))
        {
            // A question about what we sell that the KB does not answer: say so, offer a person.
            let phone = company.info.contact.phone.clone();
            node_reply = Some(Reply {
                text: phrases::DONT_KNOW.get(v).replace("{phone}", &phone),
                citations: vec!["company".into()],
                node: node_id.clone(),
            });
        }
        // A request already waits: repeating it, or a turn the bot cannot place, gets the truth.
        if requested
            && !t.st.handed_off
            && (out.actions.iter().any(|a| a == "handoff") || out.fallback)
            && parts.is_empty()
        {
            node_reply = Some(Reply {
                text: phrases::HANDOFF_WAITING.get(v).to_string(),
                citations: Vec::new(),
                node: node_id.clone(),
            });
        }

        let node_first = out.actions.iter().any(|a| a == "handoff" || a == "close");
        let mut texts: Vec<String> = Vec::new();
        let mut citations: Vec<String> = Vec::new();
        if node_first && let Some(r) = &node_reply {
            texts.push(r.text.clone());
            citations.extend(r.citations.clone());
        }
        for p in &parts {
            texts.push(p.text.clone());
            citations.extend(p.citations.clone());
        }
        // Answered in part: say which question the KB does not cover, rather than skip it.
        let uncovered: Vec<String> = if parts.is_empty() && !node_states_answer {
            Vec::new()
        } else {
            not_covered
                .iter()
                .map(|q| {
                    // Quoted only without digits: a reply states no number the KB does not.
                    let q = if q.chars().any(|c| c.is_ascii_digit()) {
                        phrases::THAT_QUESTION.get(v).to_string()
                    } else if v.is_chinese() {
                        format!("「{q}」")
                    } else {
                        format!("\"{q}\"")
                    };
                    phrases::NOT_COVERED.get(v).replace("{q}", &q)
                })
                .collect()
        };
        if !node_states_answer {
            texts.extend(uncovered.iter().cloned());
        }
        if !node_first && let Some(r) = &node_reply {
            texts.push(r.text.clone());
            citations.extend(r.citations.clone());
        }
        if node_states_answer {
            texts.extend(uncovered);
        }
        if let Some((q, c)) = &out.reprompt {
            texts.push(q.clone());
            citations.extend(c.clone());
        }
        if let Some(n) = self.waiting_notice(&mut t.st, t.now) {
            texts.push(n);
        }
        let node_acts = NodeActs {
            actions: out.actions.clone(),
            handoff_reason: out.handoff_reason.clone(),
        };
        if texts.is_empty() {
            return (None, Some(node_acts));
        }
        let mut seen = std::collections::BTreeSet::new();
        citations.retain(|c| seen.insert(c.clone()));
        let reply = Reply {
            text: crate::text::without_repeats(&texts.join(phrases::sep(v))),
            citations,
            node: if node_id.is_empty() {
                t.st.node.clone()
            } else {
                node_id
            },
        };
        (Some(reply), Some(node_acts))
    }

    /// The turn is about what we sell: it names a product, a category or one of our topics, or
    /// a product is in context.
    fn about_us(&self, t: &TurnCtx<'_>, u: &Understood) -> bool {
        u.facts.entities.contains("product")
            || u.needs.category.is_some()
            || t.st.product().is_some()
            || u.intent
                .as_deref()
                .is_some_and(|i| ASK_INTENTS.contains(&i))
    }

    /// Step 6: the node's actions, the hot-lead notification, stage changes; the reply recorded.
    pub fn act(
        &self,
        mut t: TurnCtx<'_>,
        u: &Understood,
        mut reply: Option<Reply>,
        node: Option<NodeActs>,
    ) -> TurnOutput {
        let pb = &self.company.playbook;
        let node = node.unwrap_or_default();
        for a in &node.actions {
            match a.as_str() {
                "handoff" => {
                    let reason = node
                        .handoff_reason
                        .clone()
                        .unwrap_or_else(|| t.st.node.clone());
                    self.request_handoff(&mut t.st, &reason, t.now, true, &mut t.actions);
                }
                "close" => {
                    t.st.closed = true;
                    t.actions.push(Action::Close {
                        reason: reply.as_ref().map(|r| r.node.clone()).unwrap_or_default(),
                    });
                }
                "schedule_follow_up" => {
                    if let Some(at) =
                        t.st.slots
                            .get("callback_time")
                            .and_then(Value::as_str)
                            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    {
                        t.actions.push(Action::ScheduleFollowUp {
                            at: at.with_timezone(&chrono::Utc),
                        });
                    }
                }
                _ => {}
            }
        }
        // The hot grade notifies staff; the bot keeps answering.
        if !t.st.closed
            && let (Some(g), Some(gn)) = (
                pb.handoff.on_grade.as_deref().and_then(Grade::parse),
                pb.handoff.grade_node.clone(),
            )
            && t.st.lead.grade <= g
            && t.from_grade > g
            && t.st.handoff_requested_at.is_none()
        {
            let text = t.analysis.text.clone();
            if let Some(extra) = self.say(&mut t.st, &gn, &text, u.intent.as_deref()) {
                match reply.as_mut() {
                    Some(r) => {
                        r.text = format!("{}{}{}", r.text, phrases::sep(t.st.variety), extra.text);
                        r.citations.extend(extra.citations);
                    }
                    None => reply = Some(extra),
                }
            }
            let reason = format!("grade_{}", g.as_str());
            self.request_handoff(&mut t.st, &reason, t.now, false, &mut t.actions);
        }
        if t.st.stage != t.from_stage {
            t.actions.insert(
                0,
                Action::StageChanged {
                    from: t.from_stage.clone(),
                    to: t.st.stage.clone(),
                },
            );
        }
        if let Some(r) = &reply {
            self.remember_reply(&mut t.st, r, t.now);
        }
        self.output(t.st, reply, t.actions)
    }
}

/// The node's side effects for [`Engine::act`].
#[derive(Debug, Default, Clone)]
pub struct NodeActs {
    pub actions: Vec<String>,
    pub handoff_reason: Option<String>,
}

/// The node's reply states the price of every cited product (a discount node cites the product
/// but says only its tiers: "X20 几钱？有冇折扣？" still needs the price).
fn states_prices(company: &crate::company::Company, n: &Reply, cites: &[String]) -> bool {
    let digits: String = n.text.chars().filter(|c| *c != ',').collect();
    cites.iter().all(|c| {
        c.strip_prefix("product:")
            .and_then(|id| company.product(id))
            .is_none_or(|p| digits.contains(&format!("{}", p.price.amount)))
    })
}

/// The products a reply's citations are about (`product:<id>` and `product:<id>:<fact>`), each
/// once, in order.
fn cited_products(company: &crate::company::Company, citations: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in citations
        .iter()
        .filter_map(|c| c.strip_prefix("product:"))
        .map(|c| c.split(':').next().unwrap_or(c))
    {
        if company.product(id).is_some() && !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    ids
}

fn filled(u: &Understood) -> std::collections::BTreeSet<String> {
    u.facts
        .filled
        .iter()
        .chain(u.needs_filled.iter())
        .cloned()
        .collect()
}

/// `new` says nothing `earlier` has not: the same text, or the same fact after its product label
/// ("R8: RO reverse osmosis…" after a recommendation that quoted it).
fn said_already(earlier: &str, new: &str) -> bool {
    if earlier == new {
        return true;
    }
    let fact = new
        .split_once('：')
        .or_else(|| new.split_once(": "))
        .map_or(new, |(_, f)| f)
        .trim()
        .trim_end_matches(['。', '.']);
    fact.chars().count() >= 12 && earlier.contains(fact)
}
