//! Step 2 of a turn: what the customer said. The intent of each clause (below `min_confidence`
//! unknown), with the false triggers removed — a time word inside a question is no deferral
//! ("晚上开着吵不吵"), a hedge is no refusal or complaint ("不是很贵", "也不是不想买", "not too
//! expensive") — the slots and products in context, the customer's needs, and the history record.

use tuoke_core::{Analysis, SentimentLabel};

use super::policy::push_history;
use super::{Engine, TurnCtx};
use crate::context::{self, TurnFacts};
use crate::needs::{self, Needs};
use crate::state::{Action, Role, TurnAnalysis, TurnRecord};

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

/// Accepting what was offered (a price, a term).
const ACCEPT: &[&str] = &[
    "能接受",
    "可以接受",
    "接受得了",
    "接受到",
    "接受得到",
    "价格还行",
    "價格還行",
    "价钱可以",
    "價錢可以",
    "acceptable",
    "i can accept",
    "i can live with",
    "price is fine",
    "price is ok",
    "price is okay",
];

/// Wanting to compare before deciding.
const SHOPPING_AROUND: &[&str] = &[
    "再比较",
    "再比較",
    "比较比较",
    "比較比較",
    "比较吓",
    "比較吓",
    "比较下",
    "比較下",
    "货比三家",
    "貨比三家",
    "compare a bit",
    "compare a little",
    "compare more",
    "compare some more",
    "shop around",
    "look around a bit",
];

/// Words that ask for a person.
const HUMAN: &[&str] = &[
    "转人工",
    "轉人工",
    "人工客服",
    "找人工",
    "要人工",
    "真人",
    "real person",
    "a human",
    "speak to someone",
    "talk to someone",
    "speak to a person",
    "talk to a person",
    "live agent",
    "human agent",
];

/// Intents that are questions the knowledge base may answer.
pub(crate) const ASK_INTENTS: &[&str] = &[
    "ask_price",
    "ask_feature",
    "ask_delivery",
    "ask_after_sales",
    "ask_trial",
    "ask_payment",
];

/// Intents that do something in the conversation (the playbook acts on them even when another
/// clause of the turn asks a question).
const ACT_INTENTS: &[&str] = &[
    "request_human",
    "complaint",
    "goodbye",
    "purchase_intent",
    "provide_contact",
    "busy_later",
    "not_interested",
    "hesitate",
    "ask_discount",
    "compare_competitor",
];

/// Words of a real deferral ("在开会，晚点打给我", "call me tomorrow", "遲啲打俾我").
const DEFERRAL: &[&str] = &[
    "忙",
    "开会",
    "開會",
    "晚点",
    "晚點",
    "稍后",
    "稍後",
    "回头",
    "回頭",
    "改天",
    "等下",
    "等一下",
    "待会",
    "待會",
    "一会",
    "一會",
    "再联系",
    "再聯系",
    "再聯絡",
    "打给我",
    "打給我",
    "打电话",
    "打電話",
    "回电",
    "回電",
    "联系我",
    "聯系我",
    "聯絡我",
    "call me",
    "call back",
    "later",
    "busy",
    "meeting",
    "tomorrow",
    "遲啲",
    "迟啲",
    "晏啲",
    "一陣",
    "一阵",
    "打俾我",
    "打畀我",
    "覆我",
    "唔得閒",
    "唔得闲",
    "没空",
    "沒空",
    "有空再",
    "下次再",
    "再倾",
    "再傾",
    "再聊",
    "not now",
    "another time",
    "get back to",
];

/// Words of a refusal ("不需要了", "算了", "no thanks").
const REFUSAL: &[&str] = &[
    "不需要",
    "不用了",
    "不要了",
    "不买",
    "不買",
    "算了",
    "没兴趣",
    "沒興趣",
    "不感兴趣",
    "不感興趣",
    "不考虑",
    "不考慮",
    "唔使",
    "唔要",
    "唔買",
    "唔买",
    "冇兴趣",
    "冇興趣",
    "算啦",
    "唔需要",
    "no thanks",
    "no, thanks",
    "not interested",
    "don't need",
    "do not need",
    "don't want",
    "forget it",
    "no need",
    "not for me",
    "not buying",
    "pass on",
    "stop",
    "别再",
    "別再",
    "不要再",
    "太贵了不",
    "不了",
];

/// Words of a hesitation ("我再考虑考虑", "let me think").
const HESITATION: &[&str] = &[
    "考虑",
    "考慮",
    "想想",
    "想一想",
    "犹豫",
    "猶豫",
    "再看看",
    "再说",
    "再說",
    "不确定",
    "不確定",
    "纠结",
    "糾結",
    "拿不定",
    "諗下",
    "谂下",
    "諗吓",
    "谂吓",
    "睇吓先",
    "睇下先",
    "再睇",
    "唔肯定",
    "think about",
    "think it over",
    "let me think",
    "not sure",
    "hesitant",
    "unsure",
    "maybe later",
    "on the fence",
    "need time",
    "hmm",
    "嗯…",
    "有点贵",
    "有點貴",
    "太贵",
    "太貴",
    "贵了",
    "貴咗",
    "expensive",
];

/// Hedges that keep a negation from being a refusal or a complaint.
const HEDGES: &[&str] = &[
    "不是很贵",
    "不是很貴",
    "不算贵",
    "不算貴",
    "不太贵",
    "不太貴",
    "也不是不想",
    "不是不想",
    "也不是不买",
    "唔係好貴",
    "唔係唔想",
    "唔算貴",
    "not too expensive",
    "not that expensive",
    "not expensive",
    "not saying no",
    "not that i don't",
    "isn't too bad",
    "not bad",
    "不错",
    "不錯",
    "唔錯",
    "挺好",
    "还行",
    "還行",
    "不贵",
    "不貴",
];

/// Words of a commitment to buy ("好，我要一把", "两部我要晒", "I'll take one"): the customer
/// decided, whatever the intent model read into the rest of the clause.
const COMMIT: &[&str] = &[
    "我要一",
    "我要两",
    "我要兩",
    "我要了",
    "要一台",
    "要一把",
    "要一部",
    "要一个",
    "要一個",
    "要两台",
    "要兩台",
    "要两部",
    "要兩部",
    "要两把",
    "要兩把",
    "要晒",
    "我买了",
    "我買了",
    "就买",
    "就買",
    "就要这",
    "就要這",
    "就它了",
    "就佢啦",
    "就呢部",
    "下单",
    "下單",
    "落单",
    "落單",
    "订一",
    "訂一",
    "买一台",
    "買一台",
    "买两台",
    "買兩台",
    "我要買",
    "我要买",
    "i'll take",
    "i will take",
    "we'll take",
    "we will take",
    "i'll buy",
    "i will buy",
    "we'll buy",
    "i'd like to buy",
    "i want to buy",
    "i'll order",
    "i will order",
    "let's go with",
    "i'll go with",
    "sign me up",
    "place an order",
    "i'll get one",
    "i'll get two",
];

/// Words that close a conversation.
const FAREWELL: &[&str] = &[
    "bye",
    "再见",
    "再見",
    "拜拜",
    "byebye",
    "see you",
    "下次再聊",
    "先这样",
    "先這樣",
    "走先",
    "good night",
];

/// Words that undo a commitment ("我不要了", "唔要", "I won't take it").
const UNCOMMIT: &[&str] = &[
    "不要了",
    "不买",
    "不買",
    "唔要",
    "唔买",
    "唔買",
    "don't",
    "won't",
    "not ",
    "no longer",
    "不用了",
    "算了",
];

/// The ask intents a question's topics stand for (`concepts.yaml`): "运费几多？" asks about
/// delivery whatever the model read.
pub(crate) fn topic_intents(query: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let lower = query.to_lowercase();
    if crate::question::asks_price(&lower) {
        out.push("ask_price");
    }
    for t in crate::concepts::tokens(&lower) {
        if let Some(i) = concept_intent(&t)
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

/// The ask intent a topic concept stands for, if one does.
fn concept_intent(concept: &str) -> Option<&'static str> {
    Some(match concept {
        "#delivery" | "#overseas" | "#hkmo" => "ask_delivery",
        "#warranty" | "#returns" => "ask_after_sales",
        "#trial" => "ask_trial",
        "#payment" | "#invoice" => "ask_payment",
        "#discount" => "ask_discount",
        _ => return None,
    })
}

/// A clause as the engine reads it.
#[derive(Debug, Clone)]
pub struct ClauseView {
    pub text: String,
    /// What retrieval matches: the analyzer's normalized clause (Simplified, lower-case,
    /// Cantonese words in Mandarin), else the text.
    pub query: String,
    pub intent: Option<String>,
    pub question: bool,
}

/// What the engine understood of a turn.
#[derive(Debug)]
pub struct Understood {
    /// The intent the playbook acts on.
    pub intent: Option<String>,
    /// Every clause's intent (for grading).
    pub intents: Vec<String>,
    pub clauses: Vec<ClauseView>,
    pub facts: TurnFacts,
    pub needs: Needs,
    /// Need slots this turn changed.
    pub needs_filled: Vec<String>,
    pub sentiment: &'static str,
    /// The product in context before the turn.
    pub product_before: Option<String>,
}

fn has(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| hay.contains(w))
}

fn sentiment_str(s: SentimentLabel) -> &'static str {
    match s {
        SentimentLabel::Positive => "positive",
        SentimentLabel::Neutral => "neutral",
        SentimentLabel::Negative => "negative",
    }
}

impl Engine {
    /// The confident, known intent of a text, with false triggers removed.
    fn clause_intent(
        &self,
        label: &str,
        confidence: f32,
        text: &str,
        question: bool,
    ) -> Option<String> {
        let pb = &self.company.playbook;
        let lower = text.to_lowercase();
        if !question && has(&lower, COMMIT) && !has(&lower, UNCOMMIT) {
            return Some("purchase_intent".into());
        }
        // "转人工吧，我留个电话 135…": asking for a person is the point, whatever else is said
        // (but "人工客服几点下班？" asks about the hotline).
        if has(&lower, HUMAN) && !(question && crate::qtype::wanted(&lower).is_some()) {
            return Some("request_human".into());
        }
        // "价格不是很贵，能接受": the customer accepts (the price words are no price question).
        if !question && has(&lower, ACCEPT) {
            return Some("affirm".into());
        }
        // "就是想再比较比较", "I just want to compare a bit more": hesitation, whatever the model read.
        if !question && has(&lower, SHOPPING_AROUND) {
            return Some("hesitate".into());
        }
        // "OK thanks, I'll check with my cousin. Bye!": a farewell ends the turn's point.
        if !question && has(&lower, FAREWELL) {
            return Some("goodbye".into());
        }
        let label = Some(label)
            .filter(|_| confidence.is_finite() && confidence >= pb.min_confidence)
            .filter(|l| tuoke_core::INTENTS.contains(l))?;
        let hedged = has(&lower, HEDGES);
        match label {
            // A deferral needs deferral words; a time word in a question is not one.
            "busy_later"
                if !has(&lower, DEFERRAL)
                    || (question && !has(&lower, &["打", "call", "ring me", "phone me"])) =>
            {
                None
            }
            // A refusal and a hesitation need their words ("budget under 4000" refuses nothing,
            // "Will it fit?" hesitates about nothing).
            "not_interested" if !has(&lower, REFUSAL) => None,
            "hesitate" if !has(&lower, HESITATION) => None,
            // "一次用多少水", "运费几多": no price words, another topic — the topic's question.
            "ask_price" if !crate::question::asks_price(&lower) => {
                // Topics of the words besides product names ("扫拖机器人 X20" asks no mopping).
                let topics = crate::question::topic_concepts(&self.company, text);
                let intent = topics
                    .iter()
                    .filter_map(|t| concept_intent(t))
                    .find(|i| *i != "ask_discount");
                let other = topics
                    .iter()
                    .any(|t| !matches!(t.as_str(), "#discount" | "#payment" | "#contact"));
                match intent {
                    Some(i) => Some(i.to_string()),
                    None if other => Some("ask_feature".into()),
                    None => Some("ask_price".into()),
                }
            }
            // "也不是不想买": a hedged refusal is hesitation.
            "not_interested" if hedged => Some("hesitate".into()),
            "complaint" | "deny" if hedged => None,
            l => Some(l.to_string()),
        }
    }

    /// Step 2.
    pub fn understand(&self, t: &mut TurnCtx<'_>) -> Understood {
        let a: &Analysis = t.analysis;
        let company = &*self.company;
        let product_before = t.st.product().map(str::to_string);
        let mut clauses: Vec<ClauseView> = a
            .clauses
            .iter()
            .map(|c| ClauseView {
                intent: self.clause_intent(
                    &c.intent.label,
                    c.intent.confidence,
                    &c.text,
                    c.question,
                ),
                question: c.question,
                text: c.text.clone(),
                query: if c.normalized.is_empty() {
                    c.text.clone()
                } else {
                    c.normalized.clone()
                },
            })
            .collect();
        let turn_q =
            clauses.iter().any(|c| c.question) || a.text.contains('?') || a.text.contains('？');
        let mut intent = self.clause_intent(&a.intent.label, a.intent.confidence, &a.text, turn_q);
        if clauses.is_empty() {
            clauses.push(ClauseView {
                text: a.text.clone(),
                query: if a.normalized.is_empty() {
                    a.text.clone()
                } else {
                    a.normalized.clone()
                },
                intent: intent.clone(),
                question: turn_q || intent.as_deref().is_some_and(|i| ASK_INTENTS.contains(&i)),
            });
        }
        // A turn of several clauses acts on its first act intent; otherwise the turn's intent.
        if clauses.len() > 1
            && let Some(act) = clauses
                .iter()
                .filter_map(|c| c.intent.as_deref())
                .find(|i| ACT_INTENTS.contains(i))
        {
            intent = Some(act.to_string());
        }

        let needs = needs::extract(company, a);
        let facts = context::apply(company, &mut t.st, a, intent.as_deref());
        let needs_filled = needs::apply(&needs, &mut t.st.slots);
        // Needs read as something else ("15平米的房间" is no competitor comparison).
        if !needs.is_empty()
            && (matches!(intent.as_deref(), Some("deny" | "affirm" | "out_of_scope"))
                || (intent.as_deref() == Some("compare_competitor")
                    && !facts.entities.contains("competitor")))
        {
            intent = None;
        }
        let prev_intent = t.st.history.iter().rev().find_map(|r| {
            r.analysis
                .as_ref()
                .filter(|_| r.role == Role::Customer)
                .map(|a| a.intent.clone())
        });
        if facts.entities.contains("product")
            && (matches!(intent.as_deref(), None | Some("out_of_scope") | Some("affirm"))
                // "那X10呢" is sometimes read as provide_contact; without a contact it is a follow-up.
                || (intent.as_deref() == Some("provide_contact") && !facts.entities.contains("contact")))
            && needs.is_empty()
            && let Some(p) = prev_intent.filter(|p| CARRY_INTENTS.contains(&p.as_str()))
        {
            intent = Some(p);
            if let [only] = clauses.as_mut_slice() {
                only.intent = intent.clone();
                only.question = true;
            }
        }
        let hedged = has(&a.text.to_lowercase(), HEDGES);
        let mut sentiment = sentiment_str(a.sentiment.label);
        let mut score = if a.sentiment.score.is_finite() {
            a.sentiment.score.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        if hedged && sentiment == "negative" {
            sentiment = "neutral";
            score = score.max(0.0);
        }
        t.st.sentiment_trend.push(score);
        if t.st.sentiment_trend.len() > 10 {
            t.st.sentiment_trend.remove(0);
        }
        let mut intents: Vec<String> = clauses.iter().filter_map(|c| c.intent.clone()).collect();
        if let Some(i) = &intent
            && !intents.contains(i)
        {
            intents.push(i.clone());
        }
        // What a question asks about is read from its words too (the same in every variety), so
        // the grade does not depend on how the intent model read one language.
        for c in clauses.iter().filter(|c| c.question) {
            for i in topic_intents(&c.query) {
                if !intents.iter().any(|x| x == i) {
                    intents.push(i.to_string());
                }
            }
        }
        let variety = t.st.variety;
        push_history(
            TurnRecord {
                turn: t.st.turn,
                role: Role::Customer,
                text: a.text.clone(),
                analysis: Some(TurnAnalysis {
                    intent: intent.clone().unwrap_or_else(|| "unknown".into()),
                    confidence: if a.intent.confidence.is_finite() {
                        a.intent.confidence
                    } else {
                        0.0
                    },
                    sentiment: a.sentiment.label,
                    sentiment_score: score,
                    variety,
                    entities: a
                        .entities
                        .iter()
                        .map(|e| (e.kind, e.text.clone()))
                        .collect(),
                }),
                node: None,
                at: t.now,
            },
            &mut t.st,
        );
        for name in facts.filled.iter().chain(needs_filled.iter()) {
            if let Some(v) = t.st.slots.get(name) {
                t.actions.push(Action::SlotFilled {
                    name: name.clone(),
                    value: v.clone(),
                });
            }
        }
        Understood {
            intent,
            intents,
            clauses,
            facts,
            needs,
            needs_filled,
            sentiment,
            product_before,
        }
    }
}
