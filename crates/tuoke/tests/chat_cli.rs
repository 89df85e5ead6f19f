//! `tuoke chat` end to end: real analyzer + dialogue engine on the demo company, piped stdin.

use std::io::Write;
use std::process::{Command, Stdio};

fn chat(args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tuoke"))
        .arg("chat")
        .args(["--now", "2026-11-26T10:00:00+08:00"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tuoke");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn chat_answers_a_price_question_from_the_kb() {
    let (ok, out, err) = chat(&[], "扫拖机器人X20多少钱？\n/quit\n");
    assert!(ok, "{err}");
    assert!(out.starts_with("bot> "), "{out}");
    assert!(out.contains("¥3999"), "{out}");
}

#[test]
fn chat_debug_prints_analysis_stage_slots_and_grade() {
    let (ok, out, err) = chat(&["--debug"], "扫拖机器人X20多少钱？\n");
    assert!(ok, "{err}");
    for needle in [
        "intent ",
        "sentiment ",
        "stage ",
        "slots ",
        "lead ",
        "yq-vac-x20",
    ] {
        assert!(out.contains(needle), "missing {needle}: {out}");
    }
}

#[test]
fn chat_in_english_and_handoff_on_request() {
    let (ok, out, err) = chat(
        &["--lang", "en"],
        "I want to talk to a real person\nhello?\n/release\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("Welcome to Yunqi Smart Home"), "{out}");
    assert!(out.contains("HANDOFF"), "{out}");
    assert!(out.contains("the bot is back"), "{out}");
}

#[test]
fn chat_reports_every_problem_of_a_broken_company_dir() {
    let dir = std::env::temp_dir().join(format!("tuoke-chat-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../companies/demo");
    for f in [
        "company.yaml",
        "products.yaml",
        "faq.yaml",
        "competitors.yaml",
        "grading.yaml",
    ] {
        std::fs::copy(format!("{demo}/{f}"), dir.join(f)).unwrap();
    }
    let pb = std::fs::read_to_string(format!("{demo}/playbook.yaml"))
        .unwrap()
        .replacen("start: greet", "start: welcome", 1)
        .replacen("{callback_time}联系您", "{callback_at}联系您", 1);
    std::fs::write(dir.join("playbook.yaml"), pb).unwrap();
    let (ok, _out, err) = chat(&["--company", dir.to_str().unwrap()], "");
    std::fs::remove_dir_all(&dir).ok();
    assert!(!ok);
    assert!(
        err.contains("unknown node 'welcome'")
            && err.contains("unknown placeholder '{callback_at}'"),
        "{err}"
    );
}
