//! The knowledge-base files: `company.yaml`, `products.yaml`, `faq.yaml`, `competitors.yaml` —
//! their types and their validation. Pure data; the [`Company`](crate::Company) aggregate builds
//! the retrieval index and the name tables from it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Problem;
use crate::schema::{check_text, problem};
use crate::text::Text;

/// `company.yaml`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyInfo {
    pub id: String,
    pub name: Text,
    #[serde(default)]
    pub tagline: Text,
    #[serde(default)]
    pub hours: Text,
    #[serde(default)]
    pub contact: Contact,
    /// The chat widget: opening hours and quick replies ([`crate::chat`]).
    #[serde(default)]
    pub chat: crate::chat::ChatSettings,
    /// What an LLM configured on the server may do for this company ([`LlmSettings`]).
    #[serde(default, skip_serializing_if = "LlmSettings::is_default")]
    pub llm: LlmSettings,
}

/// `llm:` of `company.yaml` (issue 13): whether an LLM that `tuoke serve --llm` (or `chat` /
/// `test --llm`) configured may reword this company's replies. Without a backend configured it
/// changes nothing; with one, `phrase: false` keeps every reply of this company the template.
///
/// ```yaml
/// llm:
///   phrase: false   # default true
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmSettings {
    /// The LLM rewords replies (each rewording checked against the cited facts).
    #[serde(default = "yes")]
    pub phrase: bool,
}

fn yes() -> bool {
    true
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings { phrase: true }
    }
}

impl LlmSettings {
    pub fn is_default(&self) -> bool {
        *self == LlmSettings::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub amount: f64,
    #[serde(default = "default_currency")]
    pub currency: String,
}

fn default_currency() -> String {
    "CNY".to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkTier {
    pub min_qty: f64,
    pub pct: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Discount {
    #[serde(default)]
    pub max_pct: f64,
    #[serde(default)]
    pub bulk: Vec<BulkTier>,
    #[serde(default)]
    pub note: Option<Text>,
}

impl Discount {
    /// The volume tier that `qty` units reach (the highest `min_qty` not above it).
    pub fn tier_for(&self, qty: f64) -> Option<&BulkTier> {
        self.bulk
            .iter()
            .filter(|t| t.min_qty <= qty)
            .max_by(|a, b| a.min_qty.total_cmp(&b.min_qty))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub key: Text,
    pub value: Text,
}

/// A product category of `products.yaml` (`categories:`): the names customers use for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: Text,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Smart-home ecosystems an attribute list may name.
pub const ECOSYSTEMS: &[&str] = &["matter", "homekit", "google_home", "mi_home"];

/// What the recommender ranks a product by (`attributes:` of a product). Every field is optional:
/// an attribute that is not given is unknown, never assumed. Every number here must also stand in
/// the product's facts (checked at load), so a recommendation can quote the fact it rests on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attributes {
    /// Room size the product is made for, m² (`[min, max]`; a vacuum: `[0, area per charge]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_sqm: Option<[f64; 2]>,
    /// Quietest operating level, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_db: Option<f64>,
    /// Made for homes with pets (true) or stated not to be (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pets: Option<bool>,
    /// Removes formaldehyde.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formaldehyde: Option<bool>,
    /// Standard installation is included in the price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_included: Option<bool>,
    /// Smart-home ecosystems it works with ([`ECOSYSTEMS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecosystems: Vec<String>,
}

/// One product of `products.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub name: Text,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub category: Text,
    /// Id of its entry in `categories:`.
    #[serde(default)]
    pub category_id: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
    pub price: Price,
    #[serde(default)]
    pub discount: Discount,
    #[serde(default)]
    pub features: Vec<Text>,
    #[serde(default)]
    pub specs: Vec<Spec>,
    #[serde(default)]
    pub delivery: Option<Text>,
    #[serde(default)]
    pub warranty: Option<Text>,
    #[serde(default)]
    pub stock: Option<i64>,
    #[serde(default)]
    pub trial: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProductsFile {
    #[serde(default)]
    pub(crate) categories: Vec<Category>,
    pub(crate) products: Vec<Product>,
}

/// One FAQ entry of `faq.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faq {
    pub id: String,
    pub question: Text,
    pub answer: Text,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FaqFile {
    pub(crate) faqs: Vec<Faq>,
}

/// A competitor's product with comparison facts against ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetitorProduct {
    pub name: String,
    /// A number, or `{amount, currency}`.
    #[serde(default)]
    pub price: Option<Value>,
    #[serde(default)]
    pub our_match: Option<String>,
    #[serde(default)]
    pub facts: Vec<Text>,
}

/// One competitor of `competitors.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Competitor {
    pub id: String,
    pub name: Text,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub products: Vec<CompetitorProduct>,
    #[serde(default)]
    pub weaknesses: Vec<Text>,
    #[serde(default)]
    pub switching_offer: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CompetitorsFile {
    pub(crate) competitors: Vec<Competitor>,
}

pub(crate) fn validate_kb(
    categories: &[Category],
    products: &[Product],
    faqs: &[Faq],
    competitors: &[Competitor],
    problems: &mut Vec<Problem>,
) {
    let mut ids = BTreeSet::new();
    if products.is_empty() {
        problems.push(problem("products.yaml", "products", "no products"));
    }
    let mut cat_ids = BTreeSet::new();
    for (i, c) in categories.iter().enumerate() {
        let loc = format!("categories[{i}] ({})", c.id);
        if !cat_ids.insert(c.id.clone()) {
            problems.push(problem("products.yaml", &loc, "duplicate category id"));
        }
        check_text("products.yaml", &format!("{loc}.name"), &c.name, problems);
    }
    for (i, p) in products.iter().enumerate() {
        let loc = format!("products[{i}] ({})", p.id);
        if let Some(c) = &p.category_id
            && !cat_ids.contains(c)
        {
            problems.push(problem(
                "products.yaml",
                format!("{loc}.category_id"),
                format!("unknown category '{c}'"),
            ));
        }
        validate_attributes(p, &loc, problems);
        if p.id.trim().is_empty() {
            problems.push(problem("products.yaml", &loc, "empty id"));
        }
        if !ids.insert(p.id.clone()) {
            problems.push(problem(
                "products.yaml",
                &loc,
                format!("duplicate product id '{}'", p.id),
            ));
        }
        check_text("products.yaml", &format!("{loc}.name"), &p.name, problems);
        if !(p.price.amount.is_finite() && p.price.amount >= 0.0) {
            problems.push(problem(
                "products.yaml",
                format!("{loc}.price"),
                "price must be a number ≥ 0",
            ));
        }
        if !(0.0..=100.0).contains(&p.discount.max_pct) {
            problems.push(problem(
                "products.yaml",
                format!("{loc}.discount.max_pct"),
                "must be within 0–100",
            ));
        }
        for (j, t) in p.discount.bulk.iter().enumerate() {
            if t.pct > p.discount.max_pct {
                problems.push(problem(
                    "products.yaml",
                    format!("{loc}.discount.bulk[{j}]"),
                    format!(
                        "bulk discount {}% exceeds max_pct {}%",
                        t.pct, p.discount.max_pct
                    ),
                ));
            }
        }
    }
    let mut fids = BTreeSet::new();
    for (i, f) in faqs.iter().enumerate() {
        let loc = format!("faqs[{i}] ({})", f.id);
        if !fids.insert(f.id.clone()) {
            problems.push(problem(
                "faq.yaml",
                &loc,
                format!("duplicate FAQ id '{}'", f.id),
            ));
        }
        check_text("faq.yaml", &format!("{loc}.answer"), &f.answer, problems);
    }
    let mut cids = BTreeSet::new();
    for (i, c) in competitors.iter().enumerate() {
        let loc = format!("competitors[{i}] ({})", c.id);
        if !cids.insert(c.id.clone()) {
            problems.push(problem(
                "competitors.yaml",
                &loc,
                format!("duplicate competitor id '{}'", c.id),
            ));
        }
        check_text(
            "competitors.yaml",
            &format!("{loc}.name"),
            &c.name,
            problems,
        );
        for (j, cp) in c.products.iter().enumerate() {
            if let Some(m) = &cp.our_match
                && !ids.contains(m)
            {
                problems.push(problem(
                    "competitors.yaml",
                    format!("{loc}.products[{j}].our_match"),
                    format!("unknown product id '{m}'"),
                ));
            }
        }
    }
}

/// Attribute names are known, ranges are ordered, and every number stands in the product's facts.
fn validate_attributes(p: &Product, loc: &str, problems: &mut Vec<Problem>) {
    let a = &p.attributes;
    let mut facts = String::new();
    for t in p.features.iter().chain(p.specs.iter().map(|s| &s.value)) {
        facts.push_str(&t.zh);
        facts.push(' ');
        facts.push_str(&t.en);
        facts.push(' ');
    }
    let mut check_number = |what: &str, n: f64| {
        if !n.is_finite() || n < 0.0 {
            problems.push(problem(
                "products.yaml",
                format!("{loc}.attributes.{what}"),
                "must be a number ≥ 0",
            ));
        } else if n > 0.0 && !facts.contains(&crate::text::fmt_num(n)) {
            problems.push(problem(
                "products.yaml",
                format!("{loc}.attributes.{what}"),
                format!(
                    "{} does not stand in the product's features or specs",
                    crate::text::fmt_num(n)
                ),
            ));
        }
    };
    if let Some([lo, hi]) = a.room_sqm {
        check_number("room_sqm", lo);
        check_number("room_sqm", hi);
    }
    if let Some(db) = a.quiet_db {
        check_number("quiet_db", db);
    }
    if let Some([lo, hi]) = a.room_sqm
        && lo > hi
    {
        problems.push(problem(
            "products.yaml",
            format!("{loc}.attributes.room_sqm"),
            "min is above max",
        ));
    }
    for e in &a.ecosystems {
        if !ECOSYSTEMS.contains(&e.as_str()) {
            problems.push(problem(
                "products.yaml",
                format!("{loc}.attributes.ecosystems"),
                format!("unknown ecosystem '{e}' (known: {})", ECOSYSTEMS.join(", ")),
            ));
        }
    }
}
