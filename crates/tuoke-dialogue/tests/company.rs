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

const MINI: &str = r#"
version: 1
start: hello
fallback: sorry
languages: [cmn, yue, en]
stages:
  - {id: greeting}
  - {id: sales}
rules:
  - {when: {intent: ask_price}, goto: price}
nodes:
  - id: hello
    stage: greeting
    reply: {cmn: "您好", yue: "你好", en: "Hi"}
  - id: price
    stage: sales
    otherwise: hello
    reply: {cmn: "{product}：{price}", yue: "{product}：{price}", en: "{product}: {price}"}
  - id: sorry
    stage: sales
    reply: {cmn: "抱歉", yue: "唔好意思", en: "Sorry"}
"#;

fn with_playbook(pb: &str) -> Vec<Problem> {
    let mut src = fixture();
    src.playbook = pb.to_string();
    problems(&src)
}

/// Asserts one problem mentions both the location part and the message part.
fn has(problems: &[Problem], location: &str, message: &str) -> bool {
    problems
        .iter()
        .any(|p| p.location.contains(location) && p.message.contains(message))
}

#[test]
fn minimal_playbook_is_valid() {
    assert_eq!(with_playbook(MINI), Vec::<Problem>::new());
}

#[test]
fn broken_playbook_reports_every_problem_with_its_location() {
    let broken = r#"
version: 1
start: hello
fallback: sorry
languages: [cmn, yue, en]
stages:
  - {id: greeting}
  - {id: sales}
  - {id: ghost_stage}
interrupts:
  - {when: {intent: ask_prize}, goto: price}
  - {when: {}, goto: hello}
rules:
  - {when: {intent: ask_price, sentiment: angry}, goto: nowhere}
  - {when: {entity: colour, slot: [product, shoe_size]}, goto: price}
nodes:
  - id: hello
    stage: greting
    reply: {cmn: "您好{customer_name}", en: "Hi"}
  - id: price
    stage: sales
    reply: {cmn: "{product}：{price}", yue: "{product}：{price", en: "It costs 99 yuan"}
    actions: [dance]
  - id: orphan
    stage: sales
    reply: {cmn: "孤儿", yue: "孤兒", en: "Orphan", fr: "Orphelin"}
  - id: sorry
    stage: sales
    reply: {cmn: "抱歉{price}", yue: "唔好意思", en: "Sorry"}
  - id: price
    stage: sales
    reply: {cmn: "重复", yue: "重複", en: "dup"}
"#;
    let p = with_playbook(broken);
    let show = p
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let expect = [
        ("interrupts[0].when.intent", "unknown intent 'ask_prize'"),
        ("interrupts[1].when", "empty condition"),
        ("rules[0].when.sentiment", "unknown sentiment 'angry'"),
        ("rules[0].goto", "unknown node 'nowhere'"),
        ("rules[1].when.entity", "unknown entity kind 'colour'"),
        ("rules[1].when.slot", "unknown slot 'shoe_size'"),
        ("nodes[0] (hello).stage", "unknown stage 'greting'"),
        ("nodes[0] (hello).reply", "missing reply for language 'yue'"),
        (
            "nodes[0] (hello).reply.cmn[0]",
            "unknown placeholder '{customer_name}'",
        ),
        ("nodes[1] (price).reply.yue[0]", "malformed placeholder"),
        ("nodes[1] (price).reply.en[0]", "digits in a template"),
        ("nodes[1] (price).actions", "unknown action 'dance'"),
        ("nodes[2] (orphan)", "unreachable"),
        ("nodes[2] (orphan).reply.fr", "unknown language 'fr'"),
        (
            "nodes[3] (sorry).reply",
            "fallback node may only use placeholders that are always available",
        ),
        ("nodes[4] (price)", "duplicate node id 'price'"),
        ("stages (ghost_stage)", "has no node"),
    ];
    for (loc, msg) in expect {
        assert!(
            has(&p, loc, msg),
            "missing problem {loc}: {msg}\nall problems:\n{show}"
        );
    }
    assert!(p.iter().all(|p| p.file == "playbook.yaml"), "{show}");
    assert!(p.len() >= expect.len());
}

#[test]
fn each_single_breakage_of_the_demo_playbook_is_reported() {
    let demo = include_str!("../../../companies/demo/playbook.yaml");
    let cases: &[(&str, &str, &str, &str)] = &[
        // (find, replace with, expected location part, expected message part)
        (
            "start: greet",
            "start: welcome",
            "start",
            "unknown node 'welcome'",
        ),
        (
            "goto: quote_price}",
            "goto: quote_prices}",
            "rules[10].goto",
            "unknown node 'quote_prices'",
        ),
        (
            "{intent: ask_discount}",
            "{intent: ask_discounts}",
            "rules[9].when.intent",
            "unknown intent",
        ),
        (
            "sentiment: negative}",
            "sentiment: furious}",
            "interrupts[1].when.sentiment",
            "unknown sentiment",
        ),
        (
            "    stage: follow_up\n    reply:",
            "    stage: followup\n    reply:",
            "(ask_callback_time).stage",
            "unknown stage 'followup'",
        ),
        (
            "{callback_time}联系您",
            "{callback_at}联系您",
            "(callback_scheduled).reply.cmn[0]",
            "unknown placeholder '{callback_at}'",
        ),
        (
            "      en: \"Hi! How can I help you?\"\n",
            "",
            "(greet_back).reply",
            "missing reply for language 'en'",
        ),
        (
            "actions: [schedule_follow_up]",
            "actions: [schedule]",
            "(callback_scheduled).actions",
            "unknown action",
        ),
        (
            "on_grade: A",
            "on_grade: S",
            "handoff.on_grade",
            "unknown grade 'S'",
        ),
        (
            "languages: [cmn, yue, en]",
            "languages: [cmn, yue, en, fr]",
            "languages",
            "unknown language 'fr'",
        ),
        (
            "otherwise: discount_max",
            "otherwise: discount_maxi",
            "(discount).otherwise",
            "unknown node 'discount_maxi'",
        ),
        (
            "  - {when: {intent: ask_trial}, goto: answer_trial}\n",
            "",
            "(answer_trial)",
            "unreachable",
        ),
    ];
    for (find, repl, loc, msg) in cases {
        assert!(demo.contains(find), "test case does not apply: {find}");
        let p = with_playbook(&demo.replacen(find, repl, 1));
        let show = p
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            has(&p, loc, msg),
            "after replacing {find:?}: missing {loc}: {msg}\n{show}"
        );
    }
}

#[test]
fn yaml_syntax_errors_in_several_files_are_all_reported_with_lines() {
    let mut src = fixture();
    src.playbook = "version: 1\nstart: [unclosed\n".into();
    src.grading = "version: 1\nbase: ten\n".into();
    src.products = "products:\n  - id: x\n    price: {amount: cheap}\n".into();
    let p = problems(&src);
    for f in ["playbook.yaml", "grading.yaml", "products.yaml"] {
        assert!(
            p.iter()
                .any(|p| p.file == f && p.location.starts_with("line ")),
            "{f}: {p:?}"
        );
    }
    // Unknown keys are errors, not silently ignored.
    let mut src = fixture();
    src.playbook = MINI.replace("fallback: sorry", "fallback: sorry\ntrasitions: []");
    let p = problems(&src);
    assert!(p.iter().any(|p| p.message.contains("trasitions")), "{p:?}");
}

#[test]
fn broken_grading_and_kb_are_reported() {
    let mut src = fixture();
    src.grading = r#"
version: 1
base: 150
thresholds: {A: 40, B: 50, C: 25}
signals:
  - {id: x, when: {intent: buy_now}, points: 10}
  - {id: x, when: {stage: closing}, points: 0}
"#
    .into();
    src.competitors = src
        .competitors
        .replace("our_match: lock-x2", "our_match: lock-x9");
    src.products = src.products.replace("max_pct: 8", "max_pct: 5");
    let p = problems(&src);
    let show = p
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for (file, loc, msg) in [
        ("grading.yaml", "base", "0–100"),
        ("grading.yaml", "thresholds", "A > B > C"),
        (
            "grading.yaml",
            "signals[0] (x).when.intent",
            "unknown intent 'buy_now'",
        ),
        ("grading.yaml", "signals[1] (x)", "duplicate signal"),
        ("grading.yaml", "signals[1] (x).points", "zero points"),
        ("grading.yaml", "signals[1] (x).when.stage", "not allowed"),
        (
            "competitors.yaml",
            "our_match",
            "unknown product id 'lock-x9'",
        ),
        ("products.yaml", "discount.bulk[0]", "exceeds max_pct"),
    ] {
        assert!(
            p.iter()
                .any(|p| p.file == file && p.location.contains(loc) && p.message.contains(msg)),
            "missing {file} {loc} {msg}\n{show}"
        );
    }
}

#[test]
fn gazetteer_lists_names_and_aliases() {
    let c = Company::demo();
    let g = c.gazetteer();
    assert_eq!(g.products.len(), c.products().len());
    assert!(g.competitors.len() >= 3);
    assert!(g.products.iter().all(|e| !e.names.is_empty()));
}

#[test]
fn llm_switch_of_company_yaml_is_parsed_and_checked() {
    // Absent: an LLM configured on the server may phrase (the default).
    assert!(Company::demo().info().llm.phrase);
    let mut src = CompanySources::demo();
    src.company.push_str("\nllm:\n  phrase: false\n");
    let c = Company::from_sources(&src).expect("llm: {phrase: false} is valid");
    assert!(!c.info().llm.phrase);
    // A wrong type and an unknown key are problems of company.yaml with their line, like any other.
    for bad in ["\nllm:\n  phrase: maybe\n", "\nllm:\n  phrse: false\n"] {
        let mut src = CompanySources::demo();
        src.company.push_str(bad);
        let p = problems(&src);
        assert!(
            p.iter()
                .any(|p| p.file == "company.yaml" && p.location.starts_with("line")),
            "{bad}: {p:?}"
        );
    }
}
