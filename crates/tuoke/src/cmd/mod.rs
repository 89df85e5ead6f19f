pub mod analyze;
pub mod chat;
pub mod company;
pub mod examples;
pub mod keys;
pub mod llm;
pub mod nlu;
pub mod oos;
pub mod serve;
pub mod stories;
pub mod teach;
pub mod test;

use std::path::Path;

use anyhow::Context;
use tuoke_analyze::Analyzer;
use tuoke_dialogue::{Company, CompanySources};

/// The shipped analyzer with the company's product and competitor names as its gazetteer
/// (`chat`, `test` and `serve` analyze with it).
pub fn analyzer_for(company: &Company) -> anyhow::Result<Analyzer> {
    Ok(Analyzer::shipped()?.with_gazetteer(company.gazetteer()))
}

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

/// The canned replies of the company in `dir` (`canned.yaml`, optional: none when it is missing),
/// or the demo company's.
pub fn load_canned(dir: Option<&Path>) -> anyhow::Result<tuoke_dialogue::canned::CannedReplies> {
    use tuoke_dialogue::canned::{CannedReplies, FILE};
    let Some(dir) = dir else {
        return Ok(CannedReplies::demo());
    };
    match std::fs::read_to_string(dir.join(FILE)) {
        Ok(text) => CannedReplies::from_yaml(&text)
            .with_context(|| format!("company folder {}", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CannedReplies::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.join(FILE).display())),
    }
}
