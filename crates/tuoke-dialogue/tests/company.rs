//! Loading and validating companies: the demo, the fixture, and a set of broken playbooks.

use tuoke_dialogue::{Company, CompanySources, DialogueError, Problem};

fn fixture() -> CompanySources {
    CompanySources {
        company: include_str!("fixtures/company.yaml").into(),
        products: include_str!("fixtures/products.yaml").into(),
        faq: include_str!("fixtures/faq.yaml").into(),
        competitors: include_str!("fixtures/competitors.yaml").into(),
        playbook: include_str!("../../../companies/demo/playbook.yaml").into(),
        grading: include_str!("../../../companies/demo/grading.yaml").into(),
    }
}

fn problems(src: &CompanySources) -> Vec<Problem> {
    match Company::from_sources(src) {
        Ok(_) => Vec::new(),
        Err(DialogueError::Invalid(p)) => p,
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[test]
fn demo_company_is_valid() {
    let src = CompanySources::demo();
    let p = problems(&src);
    assert!(
        p.is_empty(),
        "{}",
        p.iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let c = Company::demo();
    assert!(!c.products().is_empty());
}

#[test]
fn fixture_company_is_valid() {
    let p = problems(&fixture());
    assert!(
        p.is_empty(),
        "{}",
        p.iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
