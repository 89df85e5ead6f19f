//! The default gazetteer: product and competitor names of the demo company (`companies/demo`),
//! embedded at compile time. A company that installs tuoke passes its own with
//! [`crate::Analyzer::with_gazetteer`].

use serde::Deserialize;
use tuoke_core::{Gazetteer, GazetteerEntry};

use crate::AnalyzeError;

const DEMO_PRODUCTS: &str = include_str!("../../../companies/demo/products.yaml");
const DEMO_COMPETITORS: &str = include_str!("../../../companies/demo/competitors.yaml");

#[derive(Debug, Deserialize)]
struct Names {
    #[serde(default)]
    zh: Option<String>,
    #[serde(default)]
    en: Option<String>,
    #[serde(default)]
    yue: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Item {
    id: String,
    name: Names,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ProductsFile {
    #[serde(default)]
    products: Vec<Item>,
}

#[derive(Debug, Deserialize)]
struct CompetitorsFile {
    #[serde(default)]
    competitors: Vec<Item>,
}

fn entry(item: Item) -> GazetteerEntry {
    let mut names: Vec<String> = Vec::new();
    for n in [item.name.zh, item.name.en, item.name.yue]
        .into_iter()
        .flatten()
        .chain(item.aliases)
    {
        let n = n.trim().to_string();
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    }
    GazetteerEntry { id: item.id, names }
}

/// Build a gazetteer from the `products.yaml` and `competitors.yaml` texts of a company
/// (only `id`, `name` and `aliases` of each item are read).
pub fn from_yaml(products: &str, competitors: &str) -> Result<Gazetteer, AnalyzeError> {
    let p: ProductsFile = serde_yaml::from_str(products)
        .map_err(|e| AnalyzeError::Gazetteer(format!("products.yaml: {e}")))?;
    let c: CompetitorsFile = serde_yaml::from_str(competitors)
        .map_err(|e| AnalyzeError::Gazetteer(format!("competitors.yaml: {e}")))?;
    Ok(Gazetteer {
        products: p.products.into_iter().map(entry).collect(),
        competitors: c.competitors.into_iter().map(entry).collect(),
    })
}

/// The demo company's gazetteer (embedded).
pub fn demo() -> Result<Gazetteer, AnalyzeError> {
    from_yaml(DEMO_PRODUCTS, DEMO_COMPETITORS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_gazetteer_has_products_and_competitors_with_names() {
        let g = demo().expect("embedded demo YAML parses");
        assert!(!g.products.is_empty());
        assert!(!g.competitors.is_empty());
        for e in g.products.iter().chain(&g.competitors) {
            assert!(!e.id.is_empty());
            assert!(!e.names.is_empty(), "{} has no names", e.id);
        }
    }

    #[test]
    fn names_and_aliases_are_collected_without_duplicates() {
        let p = "products:\n  - id: p1\n    name: {zh: 智能音箱, en: Smart Speaker}\n    aliases: [音箱, Smart Speaker]\n";
        let c = "competitors:\n  - id: c1\n    name: {zh: 华为, en: Huawei}\n";
        let g = from_yaml(p, c).unwrap();
        assert_eq!(
            g.products[0].names,
            vec!["智能音箱", "Smart Speaker", "音箱"]
        );
        assert_eq!(g.competitors[0].names, vec!["华为", "Huawei"]);
    }

    #[test]
    fn broken_yaml_is_an_error() {
        assert!(from_yaml("products: [", "").is_err());
    }
}
