pub mod analyze;
pub mod chat;
pub mod company;
pub mod keys;
pub mod nlu;
pub mod serve;
pub mod stories;
pub mod test;

use std::path::Path;

use anyhow::Context;
use tuoke_dialogue::{Company, CompanySources};

/// The company in `dir` (its six YAML files), or the embedded demo company.
pub fn load_company(dir: Option<&Path>) -> anyhow::Result<Company> {
    let Some(dir) = dir else {
        return Ok(Company::demo());
    };
    let read = |f: &str| -> anyhow::Result<String> {
        std::fs::read_to_string(dir.join(f))
            .with_context(|| format!("reading {}", dir.join(f).display()))
    };
    let src = CompanySources {
        company: read("company.yaml")?,
        products: read("products.yaml")?,
        faq: read("faq.yaml")?,
        competitors: read("competitors.yaml")?,
        playbook: read("playbook.yaml")?,
        grading: read("grading.yaml")?,
    };
    Company::from_sources(&src).with_context(|| format!("company folder {}", dir.display()))
}
