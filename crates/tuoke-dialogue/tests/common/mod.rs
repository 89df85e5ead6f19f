//! Shared helpers of the integration tests: the fixture company, analysis builders, and a
//! conversation driver that checks every turn (valid state, JSON round trip, KB facts only).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use tuoke_core::{Analysis, Clause, Dialect, Entity, EntityType, Language, SentimentLabel};
use tuoke_dialogue::{
    Action, Company, CompanySources, ConversationState, Engine, Grade, TurnOutput,
};

pub fn fixture_sources() -> CompanySources {
    CompanySources {
        company: include_str!("../fixtures/company.yaml").into(),
        products: include_str!("../fixtures/products.yaml").into(),
        faq: include_str!("../fixtures/faq.yaml").into(),
        competitors: include_str!("../fixtures/competitors.yaml").into(),
        playbook: include_str!("../../../../companies/demo/playbook.yaml").into(),
        grading: include_str!("../../../../companies/demo/grading.yaml").into(),
    }
}

pub fn fixture() -> Arc<Company> {
    static C: OnceLock<Arc<Company>> = OnceLock::new();
    C.get_or_init(|| {
        Arc::new(Company::from_sources(&fixture_sources()).expect("fixture company is valid"))
    })
    .clone()
}

pub fn demo() -> Arc<Company> {
    static C: OnceLock<Arc<Company>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Company::demo())).clone()
}

/// Thursday 2026-11-26 10:00 Beijing time.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

/// Builder methods on `Analysis` for tests.
pub trait Build: Sized {
    fn ent(self, kind: EntityType, text: &str, value: Value) -> Self;
    fn product(self, text: &str, id: &str) -> Self {
        self.ent(EntityType::Product, text, json!(id))
    }
    fn competitor(self, text: &str, id: &str) -> Self {
        self.ent(EntityType::Competitor, text, json!(id))
    }
    fn qty(self, text: &str, n: f64) -> Self {
        self.ent(
            EntityType::Quantity,
            text,
            json!({"amount": n, "unit": "台"}),
        )
    }
    fn money(self, text: &str, n: f64) -> Self {
        self.ent(
            EntityType::Money,
            text,
            json!({"amount": n, "currency": "CNY"}),
        )
    }
    fn phone(self, text: &str, e164: &str) -> Self {
        self.ent(EntityType::Phone, text, json!(e164))
    }
    fn wechat(self, text: &str, id: &str) -> Self {
        self.ent(EntityType::Wechat, text, json!(id))
    }
    fn datetime(self, text: &str, rfc3339: &str, grain: &str) -> Self {
        self.ent(
            EntityType::Datetime,
            text,
            json!({"datetime": rfc3339, "grain": grain}),
        )
    }
    /// Split the turn into clauses, each with the intent given: `("A7多少钱？", "ask_price")`.
    /// Call after the entities: a clause holds those inside it.
    fn clauses(self, parts: &[(&str, &str)]) -> Self;
    fn negative(self) -> Self;
    fn positive(self) -> Self;
    fn yue(self) -> Self;
    fn en(self) -> Self;
}

impl Build for Analysis {
    fn ent(mut self, kind: EntityType, text: &str, value: Value) -> Self {
        // Char offset of the n-th occurrence (after the entities of the same text already added).
        let chars: Vec<char> = self.text.chars().collect();
        let needle: Vec<char> = text.chars().collect();
        let used = self.entities.iter().filter(|e| e.text == text).count();
        let start = (0..chars.len())
            .filter(|&i| chars.get(i..i + needle.len()) == Some(&needle[..]))
            .nth(used)
            .unwrap_or(0);
        self.entities.push(Entity {
            kind,
            text: text.into(),
            start,
            end: start + needle.len(),
            value,
        });
        self.entities.sort_by_key(|e| e.start);
        self
    }
    fn clauses(mut self, parts: &[(&str, &str)]) -> Self {
        let mut start = 0;
        for (text, intent) in parts {
            let end = start + text.chars().count();
            let mut c = Clause {
                text: text.to_string(),
                normalized: text.to_lowercase(),
                start,
                end,
                intent: say(text, intent).intent,
                sentiment: self.sentiment.clone(),
                entities: self
                    .entities
                    .iter()
                    .filter(|e| e.start >= start && e.end <= end)
                    .cloned()
                    .collect(),
                question: false,
            };
            c.question = ["?", "？", "吗", "呢", "什么", "哪", "多少", "几", "怎么"]
                .iter()
                .any(|q| text.contains(q));
            self.clauses.push(c);
            start = end;
        }
        self
    }
    fn negative(mut self) -> Self {
        self.sentiment.label = SentimentLabel::Negative;
        self.sentiment.score = -0.8;
        self
    }
    fn positive(mut self) -> Self {
        self.sentiment.label = SentimentLabel::Positive;
        self.sentiment.score = 0.7;
        self
    }
    fn yue(mut self) -> Self {
        self.dialect = Dialect::Yue;
        self
    }
    fn en(mut self) -> Self {
        self.language = Language::En;
        self
    }
}

/// A customer utterance with an intent at confidence 0.9.
pub fn say(text: &str, intent: &str) -> Analysis {
    Analysis::with_intent(text, intent, 0.9)
}

/// A number as a customer would read it (2499.0 → "2499", 0.5 → "0.5"): Rust's own `f64`
/// display, written apart from the renderer's formatting so that a renderer bug cannot agree
/// with itself.
pub fn plain(n: f64) -> String {
    format!("{n}")
}

fn numbers(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let t = cur.trim_end_matches('.').to_string();
        if !t.is_empty() {
            out.push(t);
        }
        cur.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty()) {
            cur.push(c);
        } else if c == ',' && !cur.is_empty() {
            // thousands separator: keep going
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Every number in a reply must appear in a cited KB entry or in the customer's own slots.
pub fn assert_kb_facts_only(company: &Company, out: &TurnOutput) {
    let Some(r) = &out.reply else { return };
    let mut allowed: BTreeSet<String> = BTreeSet::new();
    for c in &r.citations {
        let t = company
            .entry_text(c)
            .unwrap_or_else(|| panic!("reply cites unknown entry {c}"));
        allowed.extend(numbers(&t.replace(',', "")));
    }
    let s = &out.state.slots;
    if let Some(q) = s.get("quantity").and_then(Value::as_f64) {
        allowed.insert(plain(q));
    }
    if let Some(b) = s
        .get("budget")
        .and_then(|b| b.get("amount"))
        .and_then(Value::as_f64)
    {
        allowed.insert(plain(b));
    }
    for k in ["callback_time", "timeline"] {
        if let Some(t) = s
            .get(k)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        {
            allowed.extend(numbers(&t.format("%m %d %H %M %-m %-d").to_string()));
        }
    }
    for n in numbers(&r.text) {
        assert!(
            allowed.contains(&n),
            "reply states {n} which is in none of its cited entries {:?}: {}",
            r.citations,
            r.text
        );
    }
}

/// Drives one conversation; every turn is checked.
pub struct Convo {
    pub engine: Engine,
    pub out: TurnOutput,
    pub now: DateTime<Utc>,
    pub all_actions: Vec<Action>,
}

impl Convo {
    pub fn new(company: Arc<Company>, language: Language, dialect: Dialect) -> Convo {
        let engine = Engine::new(company);
        let now = t0();
        let out = engine.start(now, language, dialect);
        engine
            .check_state(&out.state)
            .expect("fresh state is valid");
        Convo {
            engine,
            out,
            now,
            all_actions: Vec::new(),
        }
    }

    pub fn zh() -> Convo {
        Convo::new(fixture(), Language::Zh, Dialect::Cmn)
    }

    pub fn state(&self) -> &ConversationState {
        &self.out.state
    }

    fn check(&self) {
        if let Err(e) = self.engine.check_state(&self.out.state) {
            panic!("invalid state after turn {}: {e:?}", self.out.state.turn);
        }
        let json = serde_json::to_string(&self.out.state).unwrap();
        let back: ConversationState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, self.out.state, "state JSON round trip");
        let _ = serde_json::to_string(&self.out).unwrap();
        assert_kb_facts_only(self.engine.company(), &self.out);
        assert_eq!(self.out.lead, self.out.state.lead);
    }

    /// One customer turn; returns the reply text ("" when silent).
    pub fn turn(&mut self, a: Analysis) -> String {
        self.now += chrono::Duration::seconds(30);
        // The caller stores the state as JSON between turns.
        let stored: ConversationState =
            serde_json::from_str(&serde_json::to_string(&self.out.state).unwrap()).unwrap();
        self.out = self.engine.turn(&stored, &a, self.now);
        self.check();
        self.all_actions.extend(self.out.actions.clone());
        self.reply()
    }

    pub fn reply(&self) -> String {
        self.out
            .reply
            .as_ref()
            .map(|r| r.text.clone())
            .unwrap_or_default()
    }
    pub fn node(&self) -> String {
        self.out
            .reply
            .as_ref()
            .map(|r| r.node.clone())
            .unwrap_or_default()
    }
    pub fn cites(&self) -> Vec<String> {
        self.out
            .reply
            .as_ref()
            .map(|r| r.citations.clone())
            .unwrap_or_default()
    }
    pub fn stage(&self) -> &str {
        &self.out.state.stage
    }
    pub fn slot(&self, k: &str) -> Option<&Value> {
        self.out.state.slots.get(k)
    }
    pub fn grade(&self) -> Grade {
        self.out.lead.grade
    }
    pub fn score(&self) -> u8 {
        self.out.lead.score
    }
    pub fn handoff_reason(&self) -> Option<String> {
        self.out.actions.iter().find_map(|a| match a {
            Action::Handoff { reason, .. } => Some(reason.clone()),
            _ => None,
        })
    }
    pub fn has_signal(&self, s: &str) -> bool {
        self.out.lead.evidence.iter().any(|e| e.signal == s)
    }
}
