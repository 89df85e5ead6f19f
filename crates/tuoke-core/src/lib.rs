//! Types shared by every layer of tuoke: what the model layer says about one customer utterance
//! ([`Analysis`]), the fixed sales-intent taxonomy, and the product and competitor names the
//! entity extractor looks for ([`Gazetteer`]).
//!
//! This crate has no logic and no IO; it exists so that `tuoke-dialogue`, `tuoke-store` and
//! `tuoke-server` can agree on the analysis format without depending on the models themselves.

use serde::{Deserialize, Serialize};

/// The 20 sales intents. Other tools key on these exact names.
pub const INTENTS: [&str; 20] = [
    "greeting",
    "ask_price",
    "ask_discount",
    "ask_feature",
    "purchase_intent",
    "hesitate",
    "not_interested",
    "busy_later",
    "compare_competitor",
    "ask_delivery",
    "ask_after_sales",
    "ask_trial",
    "provide_contact",
    "request_human",
    "complaint",
    "affirm",
    "deny",
    "goodbye",
    "ask_payment",
    "out_of_scope",
];

/// Label used for utterances that are not about the sale.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

/// Written language of an utterance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Zh,
    En,
    /// Chinese and Latin-script words in one utterance.
    Mixed,
}

/// Spoken variety of Chinese, decided from words, never from the script alone.
/// For English-only text this is `cmn` by convention and carries no meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Cmn,
    Yue,
}

/// One label with its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelScore {
    pub label: String,
    pub score: f32,
}

/// Intent decision: the label, its calibrated confidence and the runners-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub label: String,
    pub confidence: f32,
    pub top_k: Vec<LabelScore>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Positive,
    #[default]
    Neutral,
    Negative,
}

/// Sentiment of a customer turn. `score` is a polarity in [-1, 1]:
/// P(positive) - P(negative); `confidence` is the probability of `label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: SentimentLabel,
    pub score: f32,
    #[serde(default)]
    pub confidence: f32,
}

impl Default for Sentiment {
    fn default() -> Self {
        Sentiment {
            label: SentimentLabel::Neutral,
            score: 0.0,
            confidence: 1.0,
        }
    }
}

/// Kinds of entities the model layer extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// value: `{"amount": f64, "currency": "CNY"|"USD"|"HKD"}`
    Money,
    /// value: `{"amount": f64, "unit": "台"|"seat"|...}`
    Quantity,
    /// value: `"+8613912345678"` (E.164)
    Phone,
    /// value: lower-cased address
    Email,
    /// value: the WeChat id
    Wechat,
    /// value: `{"datetime": RFC 3339, "grain": "day"|"hour"|"minute"|"month"|"week"}`
    Datetime,
    /// value: the canonical product id from the gazetteer
    Product,
    /// value: the canonical competitor id from the gazetteer
    Competitor,
}

/// The names of products and competitors the entity extractor finds in a text: the company's
/// catalog, built by `tuoke_dialogue::Company::gazetteer` and read by `tuoke_entities::Extractor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gazetteer {
    pub products: Vec<GazetteerEntry>,
    pub competitors: Vec<GazetteerEntry>,
}

/// One product or competitor: its canonical id and every name it goes by (aliases, any script).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GazetteerEntry {
    pub id: String,
    pub names: Vec<String>,
}

/// An entity with its span in the original (un-normalized) text, as char offsets
/// (Unicode scalar values, end exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    #[serde(rename = "type")]
    pub kind: EntityType,
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub value: serde_json::Value,
}

/// A feature that pushed the intent decision, with its signed contribution to the winning label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureWeight {
    pub feature: String,
    pub weight: f32,
}

/// Everything the model layer says about one utterance. This is the input of the dialogue engine
/// and what the HTTP API returns as `analysis`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub text: String,
    pub normalized: String,
    pub language: Language,
    pub dialect: Dialect,
    pub intent: Intent,
    pub sentiment: Sentiment,
    pub entities: Vec<Entity>,
    pub explanation: Vec<FeatureWeight>,
    /// The turn's clauses in order ("A7 多少钱？滤芯多久换？" → two), each analyzed on its own;
    /// the turn-level fields above describe the whole text. Empty for analyses built by hand
    /// (then the whole text is one clause). In JSON only when there are two or more: a one-clause
    /// turn's clause is the turn itself, and repeating it doubled every stored and streamed
    /// analysis (753 → 1,544 bytes for a typical turn).
    #[serde(default, skip_serializing_if = "fewer_than_two")]
    pub clauses: Vec<Clause>,
}

fn fewer_than_two(c: &[Clause]) -> bool {
    c.len() < 2
}

/// One clause of a turn, split on sentence punctuation and on connectives ("还有", "另外",
/// "and also"), analyzed on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clause {
    pub text: String,
    /// The clause as the models read it: NFKC, lower-case, Simplified script and, for Cantonese,
    /// the Cantonese→Mandarin lexicon applied (what retrieval matches against the KB). Empty in
    /// analyses that predate it; then `text` stands in.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub normalized: String,
    /// Char offsets of the clause in `Analysis::text` (`start..end`).
    pub start: usize,
    pub end: usize,
    pub intent: Intent,
    pub sentiment: Sentiment,
    /// Entities inside the clause (spans into `Analysis::text`, like the turn's).
    pub entities: Vec<Entity>,
    /// The clause asks something: a question mark, a question particle or a question word.
    pub question: bool,
}

impl Analysis {
    /// Entities of one kind, in text order.
    pub fn entities_of(&self, kind: EntityType) -> impl Iterator<Item = &Entity> {
        self.entities.iter().filter(move |e| e.kind == kind)
    }

    /// A neutral analysis with the given intent; handy for tests of the layers above.
    pub fn with_intent(text: &str, label: &str, confidence: f32) -> Self {
        Analysis {
            text: text.to_string(),
            normalized: text.to_string(),
            language: Language::Zh,
            dialect: Dialect::Cmn,
            intent: Intent {
                label: label.to_string(),
                confidence,
                top_k: vec![LabelScore {
                    label: label.to_string(),
                    score: confidence,
                }],
            },
            sentiment: Sentiment::default(),
            entities: Vec::new(),
            explanation: Vec::new(),
            clauses: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_serializes_with_contract_field_names() {
        let mut a = Analysis::with_intent("两台多少钱", "ask_price", 0.9);
        a.entities.push(Entity {
            kind: EntityType::Quantity,
            text: "两台".into(),
            start: 0,
            end: 2,
            value: serde_json::json!({"amount": 2.0, "unit": "台"}),
        });
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["intent"]["label"], "ask_price");
        assert_eq!(v["entities"][0]["type"], "quantity");
        assert_eq!(v["language"], "zh");
        assert_eq!(v["dialect"], "cmn");
        assert_eq!(v["sentiment"]["label"], "neutral");
        let back: Analysis = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn taxonomy_has_twenty_distinct_labels() {
        let mut v = INTENTS.to_vec();
        v.sort();
        v.dedup();
        assert_eq!(v.len(), 20);
        assert!(INTENTS.contains(&OUT_OF_SCOPE));
    }
}
