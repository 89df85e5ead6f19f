//! The company: knowledge base files + playbook + grading, loaded from YAML texts and validated
//! together.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tuoke_core::{Gazetteer, GazetteerEntry};

use crate::catalog::{
    Category, CompanyInfo, Competitor, CompetitorsFile, Faq, FaqFile, Product, ProductsFile,
    validate_kb,
};
use crate::error::DialogueError;
use crate::grading::GradingRules;
use crate::kb::KnowledgeBase;
use crate::playbook::Playbook;
use crate::schema::parse_yaml;
use crate::text::{Text, contains_word, fmt_num};

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

/// A loaded, validated company. Immutable; share it with `Arc`.
#[derive(Debug)]
pub struct Company {
    pub(crate) info: CompanyInfo,
    pub(crate) categories: Vec<Category>,
    pub(crate) products: Vec<Product>,
    pub(crate) faqs: Vec<Faq>,
    pub(crate) competitors: Vec<Competitor>,
    pub(crate) playbook: Playbook,
    pub(crate) grading: GradingRules,
    pub(crate) kb: KnowledgeBase,
    /// (lower-cased name, is_product, id), longest name first — used when the analysis carries
    /// no product/competitor entity.
    pub(crate) names: Vec<(String, bool, String)>,
    /// One automaton over `names` (pattern i = names\[i\]): every turn scans its text for them
    /// several times, and one substring search per name cost more than the rest of the turn.
    names_ac: Option<aho_corasick::AhoCorasick>,
    /// Every category's names and aliases, lower-cased, longest first.
    category_words: Vec<String>,
    /// One automaton over [`Self::category_words`] (a substring search per word was a tenth of
    /// a turn).
    category_ac: Option<aho_corasick::AhoCorasick>,
    /// Per category (file order): its id and its names and aliases, lower-cased — read on every
    /// turn by [`Company::categories_named`], so lower-cased once here.
    category_names: Vec<(String, Vec<String>)>,
    /// Per competitor: (our matching product id, words describing that pairing), precomputed
    /// for [`context`](crate::context) ("小米的门锁" → our lock).
    pub(crate) matches: std::collections::HashMap<String, Vec<(String, BTreeSet<String>)>>,
}

/// Feature words that hold a category's word ("child lock" is no door lock, "锁屏" no lock).
const NOT_A_CATEGORY: &[&str] = &[
    "child lock",
    "child-lock",
    "childproof lock",
    "kid lock",
    "童锁",
    "童鎖",
    "儿童锁",
    "兒童鎖",
    "锁屏",
    "鎖屏",
    "screen lock",
];

/// The text with [`NOT_A_CATEGORY`] words blanked ("Does it have a child lock?" asks a feature
/// of the dishwasher, not about door locks).
fn without_feature_words(lower: &str) -> std::borrow::Cow<'_, str> {
    if crate::words::any(lower, NOT_A_CATEGORY) {
        NOT_A_CATEGORY
            .iter()
            .fold(lower.to_string(), |t, w| t.replace(w, " "))
            .into()
    } else {
        lower.into()
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

        let (categories, products) = products
            .map(|p| (p.categories, p.products))
            .unwrap_or_default();
        let faqs = faqs.map(|f| f.faqs).unwrap_or_default();
        let competitors = competitors.map(|c| c.competitors).unwrap_or_default();
        validate_kb(&categories, &products, &faqs, &competitors, &mut problems);
        if let Some(pb) = &playbook {
            pb.validate(&mut problems);
        }
        if let Some(g) = &grading {
            g.validate(&mut problems);
        }
        if let Some(i) = &info {
            i.chat.validate(playbook.as_ref(), &mut problems);
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
                let category_words = {
                    let mut w: Vec<String> = categories
                        .iter()
                        .flat_map(|c| c.aliases.iter().map(String::as_str).chain(c.name.all()))
                        .map(str::to_lowercase)
                        .filter(|n| !n.is_empty())
                        .collect();
                    w.sort_by_key(|n| std::cmp::Reverse(n.len()));
                    w.dedup();
                    w
                };
                let category_names = categories
                    .iter()
                    .map(|c| {
                        let names = c
                            .aliases
                            .iter()
                            .map(String::as_str)
                            .chain(c.name.all())
                            .map(str::to_lowercase)
                            .filter(|n| !n.is_empty())
                            .collect();
                        (c.id.clone(), names)
                    })
                    .collect();
                Ok(Company {
                    categories,
                    category_names,
                    matches,
                    info,
                    products,
                    faqs,
                    competitors,
                    playbook,
                    grading,
                    kb,
                    category_ac: aho_corasick::AhoCorasick::new(&category_words)
                        .inspect_err(|e| tracing::error!(error = %e, "category automaton"))
                        .ok(),
                    category_words,
                    names_ac: aho_corasick::AhoCorasick::new(names.iter().map(|(n, _, _)| n))
                        .inspect_err(|e| tracing::error!(error = %e, "name automaton"))
                        .ok(),
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
    /// Every category name and alias, lower-cased, longest first.
    pub fn category_words(&self) -> &[String] {
        &self.category_words
    }

    /// Where category words stand in a lower-cased text (byte ranges, overlapping).
    pub(crate) fn category_spans(&self, lower: &str) -> Vec<(usize, usize)> {
        let Some(ac) = &self.category_ac else {
            return Vec::new();
        };
        match ac.try_find_overlapping_iter(lower) {
            Ok(it) => it.map(|m| (m.start(), m.end())).collect(),
            Err(_) => Vec::new(),
        }
    }
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }
    /// Products of a category, in file order.
    pub fn products_in(&self, category: &str) -> Vec<&Product> {
        self.products
            .iter()
            .filter(|p| p.category_id.as_deref() == Some(category))
            .collect()
    }
    /// The category a (lower-cased) text names: its longest alias or name found (Latin names as
    /// whole words).
    pub fn find_category(&self, lower: &str) -> Option<String> {
        let lower = &*without_feature_words(lower);
        // (Most texts name no category: one automaton pass says so before any word is tried.)
        if self.category_spans(lower).is_empty() {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        for (id, names) in &self.category_names {
            for n in names {
                let len = n.chars().count();
                if best.is_some_and(|(l, _)| l >= len) {
                    continue;
                }
                if contains_word(lower, n) {
                    best = Some((len, id.as_str()));
                }
            }
        }
        best.map(|(_, id)| id.to_string())
    }
    /// Every category a (lower-cased) text names, in file order ("净水器和洗碗机" → both). A
    /// name found only inside another category's longer name does not count ("purifier" in
    /// "water purifier" is no air purifier).
    pub fn categories_named(&self, lower: &str) -> Vec<String> {
        let lower = &*without_feature_words(lower);
        let found: Vec<(&str, &str)> = self
            .category_names
            .iter()
            .filter_map(|(id, names)| {
                names
                    .iter()
                    .filter(|n| contains_word(lower, n))
                    .max_by_key(|n| n.chars().count())
                    .map(|n| (id.as_str(), n.as_str()))
            })
            .collect();
        found
            .iter()
            .filter(|(id, n)| {
                !found
                    .iter()
                    .any(|(other, m)| other != id && m.len() > n.len() && m.contains(n))
            })
            .map(|(id, _)| id.to_string())
            .collect()
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

    /// Names and aliases of products and competitors: the entity extractor's gazetteer.
    pub fn gazetteer(&self) -> Gazetteer {
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
        Gazetteer {
            products: self
                .products
                .iter()
                .map(|p| GazetteerEntry {
                    id: p.id.clone(),
                    names: names(&p.name, &p.aliases),
                })
                .collect(),
            competitors: self
                .competitors
                .iter()
                .map(|c| GazetteerEntry {
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

    /// The (lower-cased) text with every product and category name blanked out:
    /// what a question asks besides whom it is about.
    pub(crate) fn strip_names(&self, lower: &str) -> String {
        let mut keep: Vec<bool> = vec![true; lower.len()];
        let mut blank = |start: usize, end: usize| {
            for k in keep.iter_mut().take(end).skip(start) {
                *k = false;
            }
        };
        if let Some(ac) = &self.names_ac
            && let Ok(it) = ac.try_find_overlapping_iter(lower)
        {
            for m in it {
                // Competitor names stay: "能接米家吗" asks about the ecosystem.
                if self
                    .names
                    .get(m.pattern().as_usize())
                    .is_some_and(|(_, is_product, _)| *is_product)
                {
                    blank(m.start(), m.end());
                }
            }
        }
        for (start, end) in self.category_spans(lower) {
            blank(start, end);
        }
        lower
            .char_indices()
            .map(|(i, ch)| if keep[i] { ch } else { ' ' })
            .collect()
    }

    /// Find product / competitor names in a text (longest match first, no overlaps), in text order.
    /// Returns `(char_start, is_product, id)`.
    pub(crate) fn find_names(&self, text: &str) -> Vec<(usize, bool, String)> {
        let lower = text.to_lowercase();
        let Some(ac) = &self.names_ac else {
            return Vec::new();
        };
        // Every occurrence of every name, then taken in the order of `names` (longest first) and
        // of position, skipping overlaps: a longer name wins over a name inside it.
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        if let Ok(it) = ac.try_find_overlapping_iter(lower.as_str()) {
            for m in it {
                let (i, start, end) = (m.pattern().as_usize(), m.start(), m.end());
                let Some((name, _, _)) = self.names.get(i) else {
                    continue;
                };
                // Latin names must be whole words.
                if name.is_ascii() {
                    let before = lower.get(..start).and_then(|s| s.chars().next_back());
                    let rest = lower.get(end..).unwrap_or("");
                    // A plural is the same name ("20 X10s").
                    let rest = match rest.strip_prefix('s') {
                        Some(r) if !r.starts_with(|c: char| c.is_ascii_alphanumeric()) => r,
                        _ => rest,
                    };
                    let after = rest.chars().next();
                    if before.is_some_and(|c| c.is_ascii_alphanumeric())
                        || after.is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        continue;
                    }
                }
                hits.push((i, start, end));
            }
        }
        hits.sort_unstable();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut found = Vec::new();
        for (i, start, end) in hits {
            if taken.iter().any(|&(s, e)| start < e && s < end) {
                continue;
            }
            taken.push((start, end));
            if let Some((_, is_product, id)) = self.names.get(i) {
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
            out.push_str(&n.as_f64().map(fmt_num).unwrap_or_else(|| n.to_string()));
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
