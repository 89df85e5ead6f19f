//! Step 2 of a turn: what the customer said. The intent of each clause (below `min_confidence`
//! unknown), with the false triggers removed — a time word inside a question is no deferral
//! ("晚上开着吵不吵"), a hedge is no refusal or complaint ("不是很贵", "也不是不想买", "not too
//! expensive") — the slots and products in context, the customer's needs, and the history record.

use tuoke_core::{Analysis, SentimentLabel};

use super::buying::*;
use super::cues::*;
use super::moods::*;
use super::policy::push_history;
use super::topics::{concept_intent, states_budget, topic_intents};
use super::{Engine, TurnCtx};
use crate::context::{self, TurnFacts};
use crate::needs::{self, Needs};
use crate::state::{Action, Role, TurnAnalysis, TurnRecord};

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
    /// The turn asks for another language ([`crate::lang::requested`]).
    pub switched_variety: bool,
    /// A brand named that the company has no talking points for
    /// ([`unknown_brand`](super::brands::unknown_brand)).
    pub unknown_brand: Option<String>,
}

/// "…呢？", "what about…": what about it ("咁买两部呢？", "如果凑到 10 台呢？", "What about 30
/// S3 hubs?", "And on 30 of the R8s?").
fn what_about(lower: &str) -> bool {
    const OPENERS: &[&str] = &[
        "what about",
        "how about",
        "and for ",
        "and on ",
        "and with ",
    ];
    lower
        .trim_end_matches(['?', '？', ' ', '啊', '呀'])
        .ends_with('呢')
        || OPENERS.iter().any(|o| lower.trim_start().starts_with(o))
}

/// The text could hold contact details: an e-mail, a phone-length run of digits, or words that
/// introduce them ("微信", "my number", "我姓陈").
fn gives_contact(lower: &str) -> bool {
    let mut run = 0;
    let mut longest = 0;
    for c in lower.chars() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else if !matches!(c, ' ' | '-') {
            run = 0;
        }
    }
    longest >= 7 || lower.contains('@') || has(lower, CONTACT_WORDS)
}

fn has_quantity(entities: &[tuoke_core::Entity]) -> bool {
    entities
        .iter()
        .any(|e| e.kind == tuoke_core::EntityType::Quantity)
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
        normalized: &str,
        question: bool,
        quantity: bool,
    ) -> Option<String> {
        let pb = &self.company.playbook;
        let lower = text.to_lowercase();
        // The topics' ask intents of the clause as written and as normalized, read by several
        // rules below: computed once, when the first of them asks.
        let topics_cell = std::cell::OnceCell::new();
        let topics =
            || topics_cell.get_or_init(|| [topic_intents(text), topic_intents(normalized)]);
        // The first topic intent, from the text as written if it has one.
        let first_topic = || {
            topics()
                .iter()
                .find_map(|t| t.first().map(|i| i.to_string()))
        };
        if !question && has(&lower, COMMIT) && !has(&lower, UNCOMMIT) {
            return Some("purchase_intent".into());
        }
        // "如果凑到 10 台呢？", "What if we take 12?": a count supposed, nothing else asked — the
        // price for that many, whatever the model read (often too unsure to count).
        let counted = quantity
            || crate::quantity::english_count(&self.company, text).is_some_and(|n| n >= 2.0);
        if question
            && counted
            && (has(&lower, SUPPOSING) || what_about(&lower))
            && topic_intents(text).iter().all(|i| *i == "ask_price")
        {
            return Some("ask_discount".into());
        }
        // "转人工吧，我留个电话 135…": asking for a person is the point, whatever else is said
        // (but "人工客服几点下班？" asks about the hotline).
        if has(&lower, HUMAN) {
            if !(question && crate::qtype::wanted(&lower).is_some()) {
                return Some("request_human".into());
            }
            // ("真人几点返工？": when the people are there — the hours, a question.)
            return Some(first_topic().unwrap_or_else(|| "ask_feature".into()));
        }
        // "价格不是很贵，能接受": the customer accepts (the price words are no price question).
        if !question && has(&lower, ACCEPT) {
            return Some("affirm".into());
        }
        // "OK thanks, I'll check with my cousin. Bye!", "好，我谂多两日先，拜拜": a farewell ends
        // the turn's point, a hesitation before it too.
        if !question && has(&lower, FAREWELL) {
            return Some("goodbye".into());
        }
        // "就是想再比较比较", "I just want to compare a bit more": hesitation, whatever the model read.
        if !question && (has(&lower, SHOPPING_AROUND) || has(&lower, THINK_IT_OVER)) {
            return Some("hesitate".into());
        }
        // "X20 要成四千蚊，有啲貴喎": the price is the objection — what the offer allows (the
        // discount node), not a product presentation.
        // ("太贵了，2000 卖不卖？": a counter-offer asked is the same objection.)
        let counter_offer =
            lower.chars().filter(char::is_ascii_digit).count() >= 3 || has(&lower, COUNTER_OFFER);
        // ("超预算了，太贵了吧": a sigh, not a question — no mark, no question word.)
        let sighed = !lower.contains(['?', '？']) && !has(&lower, ASKING_WORDS);
        if (!question || counter_offer || sighed)
            && has(&lower, PRICE_OBJECTION)
            && !has(&lower, PRICE_HEDGES)
            && !refuses(&lower)
        {
            return Some("ask_discount".into());
        }
        // "how much off for 10 units?": the discount is asked, not the price.
        if has(&lower, HOW_MUCH_OFF) {
            return Some("ask_discount".into());
        }
        let label = Some(label)
            .filter(|_| confidence.is_finite() && confidence >= pb.min_confidence)
            .filter(|l| tuoke_core::INTENTS.contains(l))?;
        let hedged = hedged(&lower);
        match label {
            // A deferral needs deferral words; a time word in a question is not one.
            "busy_later"
                if !has(&lower, DEFERRAL)
                    || (question
                        && !has(&lower, &["打", "call", "ring me", "phone me"])
                        && !has(&lower, CALL_ME)) =>
            {
                None
            }
            // A refusal and a hesitation need their words ("budget under 4000" refuses nothing,
            // "Will it fit?" hesitates about nothing).
            "not_interested" if !refuses(&lower) => None,
            // "预算一千多块": a budget stated asks no price.
            "ask_price" if states_budget(&lower) => None,
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
            // "想買三部A7放寫字樓，有冇批發價？": wanting to buy, and asking for the bulk price.
            "purchase_intent"
                if question && topics().iter().any(|t| t.contains(&"ask_discount")) =>
            {
                Some("ask_discount".into())
            }
            // "If I order the X10 tonight, when will it reach Kowloon?", "要是买两台呢？": a
            // purchase supposed inside a question asks what follows from it — the topic's
            // question, or what that many would cost.
            "purchase_intent"
                if question
                    && (has(&lower, SUPPOSING)
                        || crate::qtype::wanted(&lower).is_some()
                        // "咁买两部呢？": what about buying two.
                        || (quantity && what_about(&lower))) =>
            {
                let topic = topic_intents(text)
                    .into_iter()
                    .find(|i| *i != "ask_discount");
                match topic {
                    Some(i) => Some(i.to_string()),
                    None if counted => Some("ask_discount".into()),
                    None if crate::question::asks_price(&lower) => Some("ask_price".into()),
                    None => Some("purchase_intent".into()),
                }
            }
            // "What can you do on the X10 for that quantity?": an offer asked for, whatever the
            // model read.
            "ask_feature" | "out_of_scope"
                if question && topics().iter().any(|t| t.first() == Some(&"ask_discount")) =>
            {
                Some("ask_discount".into())
            }
            "purchase_intent" if !has(&lower, BUY_WORDS) => None,
            // "我去年买的 X10 充不进电了", "L5 Pro 买了要自己装吗？": an owner (or a buyer
            // already decided) asking about what follows, not a wish to buy.
            "purchase_intent" if question && has(&lower, BOUGHT) => {
                first_topic().or_else(|| Some("ask_feature".into()))
            }
            // "We're five people plus a helper", "我哋屋企四个人": a head count, not a request
            // for a person.
            "request_human" if quantity => None,
            // "要唔要自己搵人裝？": a person to install it is a question about installation, not a
            // request for one of our staff (those say 人工 / 真人 / agent, see HUMAN).
            "request_human" if question => first_topic().or_else(|| Some("request_human".into())),
            // "We're a 12-person startup, office is about 65 square metres.": no contact in it.
            "provide_contact" if !gives_contact(&lower) => None,
            "ask_discount" if !has(&lower, DISCOUNT_WORDS) => {
                if question {
                    Some("ask_feature".into())
                } else {
                    None
                }
            }
            // A complaint is about us (a fault, a delivery, the service); without such words, in a
            // turn that asks something, it is a need stated before the question.
            "complaint" if question && !has(&lower, COMPLAINT_CUES) => None,
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
                    &c.normalized,
                    c.question,
                    has_quantity(&c.entities),
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
        let mut intent = self.clause_intent(
            &a.intent.label,
            a.intent.confidence,
            &a.text,
            &a.normalized,
            turn_q,
            has_quantity(&a.entities),
        );
        // A statement read as a complaint, in a turn that asks something, with no word of one
        // ("Our toddler has dust allergies. Which purifier would you suggest?"): a need.
        // (A fault of the machine they had before — "旧嗰部扫地机直接辗过去" — is their story, not
        // a complaint about us.)
        // The turn lower-cased once, as written and as normalized, for the word lists below.
        let text_lower = a.text.to_lowercase();
        let norm_lower = a.normalized.to_lowercase();
        let complains = |l: &str| has(l, COMPLAINT_CUES) && !has(l, OLD_MACHINE);
        if turn_q && !complains(&text_lower) && !complains(&norm_lower) {
            for c in clauses.iter_mut() {
                if c.intent.as_deref() == Some("complaint") {
                    c.intent = None;
                }
            }
            if intent.as_deref() == Some("complaint") {
                intent = None;
            }
        }
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
        // A turn of several clauses acts on its first act intent, a hesitation giving way to
        // what else the turn does ("也不是不想买，就是觉得 X20 有点贵" is about the price; "我再
        // 考虑一下，有优惠吗" asks for the offer); otherwise the turn's intent.
        if clauses.len() > 1 {
            let acts: Vec<&str> = clauses
                .iter()
                .filter_map(|c| c.intent.as_deref())
                .filter(|i| ACT_INTENTS.contains(i))
                .collect();
            if let Some(act) = acts.iter().find(|i| **i != "hesitate").or(acts.first()) {
                intent = Some(act.to_string());
            }
        }

        // "明天下午两点你们打给我吧，电话 137…": a time to be called, with the number to call.
        // "…an air purifier for the nursery. Formaldehyde is a worry.": a worry about a product
        // not bought yet, with no word of a complaint, is a need.
        if intent.as_deref() == Some("complaint")
            && !complains(&text_lower)
            && !complains(&norm_lower)
            && !has(&text_lower, BOUGHT)
            && !has(&norm_lower, BOUGHT)
            && !has(
                &norm_lower,
                &["ordered", "下单了", "下了单", "订了", "收到"],
            )
            && company.find_category(&norm_lower).is_some()
        {
            intent = None;
        }
        // "我上个礼拜买咗部X10，点知…唔识返去充电座，激死我呀！": a machine bought that went
        // wrong is a complaint, though it sounds like a purchase or a feature question.
        let bought_faulty = |l: &str| has(l, FAULTS) && has(l, BOUGHT) && !has(l, OLD_MACHINE);
        if intent.as_deref() != Some("complaint")
            && (bought_faulty(&text_lower) || bought_faulty(&norm_lower))
        {
            intent = Some("complaint".into());
        }
        // "我跟老公商量一下，这周末再联系你们", "I'll get back to you Friday evening": a time
        // the talk goes on at, given with a purchase, a contact or a hesitation, is a follow-up.
        let has_time = a
            .entities
            .iter()
            .any(|e| e.kind == tuoke_core::EntityType::Datetime);
        let call_time = has_time && has(&text_lower, CALL_ME);
        let later = has_time && !turn_q && has(&text_lower, CONTACT_LATER);
        if (call_time || later)
            && matches!(
                intent.as_deref(),
                None | Some("provide_contact" | "purchase_intent" | "hesitate" | "busy_later")
            )
        {
            intent = Some("busy_later".into());
        }
        // "Thanks, talk tomorrow. Bye!" once the call is arranged: a farewell, not a new time.
        if t.st.slots.contains_key("callback_time")
            && !call_time
            && clauses
                .iter()
                .any(|c| c.intent.as_deref() == Some("goodbye"))
        {
            intent = Some("goodbye".into());
        }
        // "可以講普通話嗎？", "English please": a change of language, already made for this
        // turn's reply (lang), is no request for a person nor a question about the S3's languages.
        let switched_variety = crate::lang::requested(&text_lower).is_some();
        if switched_variety {
            for c in clauses.iter_mut() {
                if crate::lang::requested(&c.text.to_lowercase()).is_some() {
                    c.intent = None;
                    c.question = false;
                }
            }
            if matches!(
                intent.as_deref(),
                Some("request_human" | "out_of_scope" | "ask_feature")
            ) {
                intent = None;
            }
        }
        let needs = needs::extract(company, a);
        let facts = context::apply(company, &mut t.st, a, intent.as_deref(), t.now);
        let needs_filled = needs::apply(&needs, &mut t.st.slots);
        // "你好，我想要R8净水器", "hello, interested in the A7": a greeting that goes on to name
        // a product is about the product (presented, not answered with "how can I help?").
        if intent.as_deref() == Some("greeting") && facts.entities.contains("product") {
            intent = None;
        }
        // Needs read as something else ("15平米的房间" is no competitor comparison; "哪一款比较
        // 适合养猫的家庭？" asks about our products).
        if !needs.is_empty() {
            if matches!(intent.as_deref(), Some("deny" | "affirm")) {
                intent = None;
            } else if matches!(intent.as_deref(), None | Some("out_of_scope"))
                || (intent.as_deref() == Some("compare_competitor")
                    && !facts.entities.contains("competitor"))
            {
                intent = turn_q.then(|| "ask_feature".to_string());
            }
        }
        // "商用跟家用有区别没", "随便看看，你们有什么卖？": a comparison with no competitor named,
        // none remembered and no other brand spoken of is a question about our products.
        let no_rival = !facts.entities.contains("competitor")
            && !t.st.slots.contains_key("competitor")
            && !has(&text_lower, OTHER_BRANDS)
            && !has(&norm_lower, OTHER_BRANDS);
        // "我喺淘宝见到有人卖3400，点解你哋咁贵？": a lower price seen in a shop is a price
        // objection (the discount and price terms answer it), not a comparison with a brand.
        let marketplace_price = !facts.entities.contains("competitor")
            && (has(&text_lower, MARKETPLACES) || has(&norm_lower, MARKETPLACES))
            && has(&text_lower, PRICE_SEEN);
        if marketplace_price {
            if !matches!(
                intent.as_deref(),
                Some("complaint" | "request_human" | "purchase_intent" | "provide_contact")
            ) {
                intent = Some("ask_discount".to_string());
            }
            for c in clauses.iter_mut() {
                if c.intent.as_deref() == Some("compare_competitor") {
                    c.intent = Some("ask_discount".to_string());
                }
            }
        }
        if no_rival {
            if intent.as_deref() == Some("compare_competitor") {
                intent = turn_q.then(|| "ask_feature".to_string());
            }
            for c in clauses.iter_mut() {
                if c.intent.as_deref() == Some("compare_competitor") {
                    c.intent = c.question.then(|| "ask_feature".to_string());
                }
            }
        }
        // "What about Dreame or iRobot?": a brand we have nothing on is answered with our own
        // facts (respond), not with the talking points of a competitor named earlier.
        let unknown_brand = if facts.entities.contains("competitor") {
            None
        } else {
            super::brands::unknown_brand(company, &a.text)
        };
        if unknown_brand.is_some() {
            if matches!(
                intent.as_deref(),
                None | Some("compare_competitor" | "out_of_scope")
            ) {
                intent = Some("ask_feature".into());
            }
            for c in clauses.iter_mut() {
                if c.intent.as_deref() == Some("compare_competitor") {
                    c.intent = Some("ask_feature".into());
                }
            }
        }
        // "A3和A7有什么区别": a comparison of our own products is a question about them, not the
        // competitor stage ("您在对比哪个品牌呢？" would follow every answer after it).
        if intent.as_deref() == Some("compare_competitor")
            && !facts.entities.contains("competitor")
            && t.st.compared().len() >= 2
        {
            intent = Some("ask_feature".into());
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
        // Hedges in the customer's script or in the normalized text ("又唔系唔想买" is written
        // with the Simplified 系 the list does not hold; normalized it reads "又不是不想买").
        let hedged = hedged(&text_lower) || hedged(&norm_lower);
        let mut sentiment = sentiment_str(a.sentiment.label);
        let mut score = if a.sentiment.score.is_finite() {
            a.sentiment.score.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        // Stating needs or a timeline ("下个月中旬搬过去住，到时候要用") is no bad mood, whatever
        // a weak reading of the sentiment model says; a clear one (a complaint's) stands.
        let states_needs = (facts
            .filled
            .iter()
            .any(|f| !matches!(f.as_str(), "product" | "competitor"))
            || !needs_filled.is_empty())
            && !matches!(
                intent.as_deref(),
                Some("complaint" | "not_interested" | "hesitate")
            )
            && !complains(&a.text)
            && score > -0.9;
        if (hedged || states_needs) && sentiment == "negative" {
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
        // "I'd like to order, my number is …": contact details given to order are a purchase too
        // (the intent model reads only the contact; the Mandarin "我要下单" reads both).
        // So is "X20、A7、L5 Pro 各来一套，我手机…" (what, how many, and where to reach them), and
        // "想给爸妈买个智能门锁" (a wish to buy something we sell) in every variety alike.
        // (The category scan only when a buying word calls for it.)
        let names_goods = || {
            facts.entities.contains("product")
                || facts.entities.contains("quantity")
                || !company.categories_named(&text_lower).is_empty()
        };
        let orders = || {
            has(&text_lower, ORDER_WORDS)
                || (has(&text_lower, BUY_WORDS)
                    && has(&text_lower, &["来", "要", "定"])
                    && names_goods())
        };
        if !intents.iter().any(|i| i == "purchase_intent")
            && ((intents.iter().any(|i| i == "provide_contact") && orders())
                || (wants_to_buy(&text_lower) && names_goods()))
        {
            intents.push("purchase_intent".to_string());
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
            unknown_brand,
            switched_variety,
        }
    }
}
