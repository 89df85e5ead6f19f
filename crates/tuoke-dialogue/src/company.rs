//! The company: knowledge base files + playbook + grading, loaded from YAML texts and validated
//! together.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::grading::GradingRules;
use crate::kb::KnowledgeBase;
use crate::playbook::Playbook;
use crate::text::Text;
use crate::{DialogueError, Problem};

/// The six YAML texts of a company (the caller reads them; this crate does no IO).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySources {
    pub company: String,
    pub products: String,
    pub faq: String,
    pub competitors: String,
    pub playbook: String,
    pub grading: String,
}

impl CompanySources {
    /// File names inside a company directory, in the order of the fields.
    pub const FILE_NAMES: [&'static str; 6] = [
        "company.yaml",
        "products.yaml",
        "faq.yaml",
        "competitors.yaml",
        "playbook.yaml",
        "grading.yaml",
    ];

    /// The demo company shipped in `companies/demo/`, embedded at compile time.
    pub fn demo() -> CompanySources {
        CompanySources {
            company: include_str!("../../../companies/demo/company.yaml").to_string(),
            products: include_str!("../../../companies/demo/products.yaml").to_string(),
            faq: include_str!("../../../companies/demo/faq.yaml").to_string(),
            competitors: include_str!("../../../companies/demo/competitors.yaml").to_string(),
            playbook: include_str!("../../../companies/demo/playbook.yaml").to_string(),
            grading: include_str!("../../../companies/demo/grading.yaml").to_string(),
        }
    }
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub key: Text,
    pub value: Text,
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
struct ProductsFile {
    products: Vec<Product>,
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
struct FaqFile {
    faqs: Vec<Faq>,
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
struct CompetitorsFile {
    competitors: Vec<Competitor>,
}

/// An id with every name it goes by (names and aliases, any script) — for the entity gazetteer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedEntry {
    pub id: String,
    pub names: Vec<String>,
}

/// Product and competitor names for `tuoke_entities::Gazetteer` (same shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GazetteerLists {
    pub products: Vec<NamedEntry>,
    pub competitors: Vec<NamedEntry>,
}

/// A loaded, validated company. Immutable; share it with `Arc`.
#[derive(Debug)]
pub struct Company {
    pub(crate) info: CompanyInfo,
    pub(crate) products: Vec<Product>,
    pub(crate) faqs: Vec<Faq>,
    pub(crate) competitors: Vec<Competitor>,
    pub(crate) playbook: Playbook,
    pub(crate) grading: GradingRules,
    pub(crate) kb: KnowledgeBase,
    /// (lower-cased name, is_product, id), longest name first — used when the analysis carries
    /// no product/competitor entity.
    pub(crate) names: Vec<(String, bool, String)>,
    /// Per competitor: (our matching product id, words describing that pairing), precomputed
    /// for [`context`](crate::context) ("小米的门锁" → our lock).
    pub(crate) matches: std::collections::HashMap<String, Vec<(String, BTreeSet<String>)>>,
}

pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match serde_yaml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let location = e
                .location()
                .map(|l| format!("line {} column {}", l.line(), l.column()))
                .unwrap_or_else(|| "file".to_string());
            problems.push(Problem {
                file: file.to_string(),
                location,
                message: e.to_string(),
            });
            None
        }
    }
}

pub(crate) fn problem(
    file: &str,
    location: impl Into<String>,
    message: impl Into<String>,
) -> Problem {
    Problem {
        file: file.to_string(),
        location: location.into(),
        message: message.into(),
    }
}

impl Company {
    /// Parse and validate all six files. Every problem found in any file is returned at once.
    pub fn from_sources(src: &CompanySources) -> Result<Company, DialogueError> {
        let mut problems = Vec::new();
        let info: Option<CompanyInfo> = parse_yaml("company.yaml", &src.company, &mut problems);
        let products: Option<ProductsFile> =
            parse_yaml("products.yaml", &src.products, &mut problems);
        let faqs: Option<FaqFile> = parse_yaml("faq.yaml", &src.faq, &mut problems);
        let competitors: Option<CompetitorsFile> =
            parse_yaml("competitors.yaml", &src.competitors, &mut problems);
        let playbook = Playbook::parse(&src.playbook, &mut problems);
        let grading = GradingRules::parse(&src.grading, &mut problems);

        let products = products.map(|p| p.products).unwrap_or_default();
        let faqs = faqs.map(|f| f.faqs).unwrap_or_default();
        let competitors = competitors.map(|c| c.competitors).unwrap_or_default();
        validate_kb(&products, &faqs, &competitors, &mut problems);
        if let Some(pb) = &playbook {
            pb.validate(&mut problems);
        }
        if let Some(g) = &grading {
            g.validate(&mut problems);
        }
        match (info, playbook, grading) {
            (Some(info), Some(playbook), Some(grading)) if problems.is_empty() => {
                let kb = KnowledgeBase::build(&products, &faqs, &competitors);
                let mut names = Vec::new();
                for p in &products {
                    for n in p
                        .name
                        .all()
                        .map(str::to_string)
                        .chain(p.aliases.iter().cloned())
                    {
                        names.push((n.to_lowercase(), true, p.id.clone()));
                    }
                }
                for c in &competitors {
                    for n in c
                        .name
                        .all()
                        .map(str::to_string)
                        .chain(c.aliases.iter().cloned())
                    {
                        names.push((n.to_lowercase(), false, c.id.clone()));
                    }
                }
                names.retain(|(n, _, _)| n.chars().count() >= 2);
                names.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.cmp(b)));
                names.dedup();
                let mut matches = std::collections::HashMap::new();
                for c in &competitors {
                    let mut v = Vec::new();
                    for cp in &c.products {
                        let Some(ours) = cp
                            .our_match
                            .as_deref()
                            .and_then(|m| products.iter().find(|p| p.id == m))
                        else {
                            continue;
                        };
                        let mut about = cp.name.clone();
                        for t in ours.category.all().chain(ours.name.all()) {
                            about.push(' ');
                            about.push_str(t);
                        }
                        v.push((
                            ours.id.clone(),
                            crate::kb::tokenize(&about).into_iter().collect(),
                        ));
                    }
                    matches.insert(c.id.clone(), v);
                }
                Ok(Company {
                    matches,
                    info,
                    products,
                    faqs,
                    competitors,
                    playbook,
                    grading,
                    kb,
                    names,
                })
            }
            _ => Err(DialogueError::Invalid(problems)),
        }
    }

    /// The demo company (`companies/demo/`, embedded). Its validity is checked by the crate's tests.
    pub fn demo() -> Company {
        match Company::from_sources(&CompanySources::demo()) {
            Ok(c) => c,
            // The embedded files are fixed at compile time and tested; this cannot fail at run time
            // unless the repository's demo files are broken, which the test suite catches.
            Err(e) => panic!("embedded demo company is invalid: {e}"),
        }
    }

    pub fn info(&self) -> &CompanyInfo {
        &self.info
    }
    pub fn products(&self) -> &[Product] {
        &self.products
    }
    pub fn faqs(&self) -> &[Faq] {
        &self.faqs
    }
    pub fn competitors(&self) -> &[Competitor] {
        &self.competitors
    }
    pub fn playbook(&self) -> &Playbook {
        &self.playbook
    }
    pub fn grading(&self) -> &GradingRules {
        &self.grading
    }
    pub fn kb(&self) -> &KnowledgeBase {
        &self.kb
    }
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }
    pub fn competitor(&self, id: &str) -> Option<&Competitor> {
        self.competitors.iter().find(|c| c.id == id)
    }
    pub fn faq(&self, id: &str) -> Option<&Faq> {
        self.faqs.iter().find(|f| f.id == id)
    }

    /// Names and aliases of products and competitors, for the entity gazetteer.
    pub fn gazetteer(&self) -> GazetteerLists {
        fn names(name: &Text, aliases: &[String]) -> Vec<String> {
            let mut v: Vec<String> = Vec::new();
            for n in name
                .all()
                .map(str::to_string)
                .chain(aliases.iter().cloned())
            {
                if !n.trim().is_empty() && !v.contains(&n) {
                    v.push(n);
                }
            }
            v
        }
        GazetteerLists {
            products: self
                .products
                .iter()
                .map(|p| NamedEntry {
                    id: p.id.clone(),
                    names: names(&p.name, &p.aliases),
                })
                .collect(),
            competitors: self
                .competitors
                .iter()
                .map(|c| NamedEntry {
                    id: c.id.clone(),
                    names: names(&c.name, &c.aliases),
                })
                .collect(),
        }
    }

    /// Every text of a cited KB entry (`product:<id>`, `faq:<id>`, `competitor:<id>`, `company`),
    /// all languages joined — what a reply citing it may quote. `None` for an unknown id.
    pub fn entry_text(&self, citation: &str) -> Option<String> {
        let (kind, id) = citation.split_once(':').unwrap_or((citation, ""));
        let v = match kind {
            "product" => serde_json::to_value(self.product(id)?).ok()?,
            "faq" => serde_json::to_value(self.faq(id)?).ok()?,
            "competitor" => serde_json::to_value(self.competitor(id)?).ok()?,
            "company" => serde_json::to_value(&self.info).ok()?,
            _ => return None,
        };
        let mut out = String::new();
        collect_strings(&v, &mut out);
        Some(out)
    }

    /// Find product / competitor names in a text (longest match first, no overlaps), in text order.
    /// Returns `(char_start, is_product, id)`.
    pub(crate) fn find_names(&self, text: &str) -> Vec<(usize, bool, String)> {
        let lower = text.to_lowercase();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut found = Vec::new();
        for (name, is_product, id) in &self.names {
            let mut from = 0;
            while let Some(pos) = lower.get(from..).and_then(|s| s.find(name.as_str())) {
                let start = from + pos;
                let end = start + name.len();
                from = end;
                // Latin names must be whole words.
                if name.is_ascii() {
                    let before = lower.get(..start).and_then(|s| s.chars().next_back());
                    let after = lower.get(end..).and_then(|s| s.chars().next());
                    if before.is_some_and(|c| c.is_ascii_alphanumeric())
                        || after.is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        continue;
                    }
                }
                if taken.iter().any(|&(s, e)| start < e && s < end) {
                    continue;
                }
                taken.push((start, end));
                found.push((start, *is_product, id.clone()));
            }
        }
        found.sort();
        found
    }
}

fn collect_strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Number(n) => {
            out.push_str(
                &n.as_f64()
                    .map(crate::render::fmt_num)
                    .unwrap_or_else(|| n.to_string()),
            );
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

fn check_text(file: &str, loc: &str, t: &Text, problems: &mut Vec<Problem>) {
    if t.zh.trim().is_empty() {
        problems.push(problem(file, loc, "missing Chinese text (zh)"));
    }
    if t.en.trim().is_empty() {
        problems.push(problem(file, loc, "missing English text (en)"));
    }
}

fn validate_kb(
    products: &[Product],
    faqs: &[Faq],
    competitors: &[Competitor],
    problems: &mut Vec<Problem>,
) {
    let mut ids = BTreeSet::new();
    if products.is_empty() {
        problems.push(problem("products.yaml", "products", "no products"));
    }
    for (i, p) in products.iter().enumerate() {
        let loc = format!("products[{i}] ({})", p.id);
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
