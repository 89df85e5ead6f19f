//! `tuoke analyze` end to end: single text, batch in order, and every kind of bad line.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const NOW: &str = "2026-11-27T10:00:00+08:00";

fn tuoke() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tuoke"))
}

fn run_batch(input: &[u8], extra: &[&str]) -> (Vec<Value>, std::process::Output) {
    let dir = std::env::temp_dir().join(format!("tuoke-analyze-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("in-{}.txt", input.len()));
    std::fs::write(&path, input).unwrap();
    let out = tuoke()
        .args(["analyze", "--now", NOW, "--batch"])
        .arg(&path)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad output line {l:?}: {e}")))
        .collect();
    (lines, out)
}

#[test]
fn single_text_prints_one_analysis_object() {
    let out = tuoke()
        .args(["analyze", "--now", NOW, "能便宜点吗，我在用小米那款"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(s.trim().lines().count(), 1);
    let v: Value = serde_json::from_str(s.trim()).unwrap();
    for k in [
        "text",
        "normalized",
        "language",
        "dialect",
        "intent",
        "sentiment",
        "entities",
        "explanation",
    ] {
        assert!(v.get(k).is_some(), "missing {k} in {v}");
    }
    assert_eq!(v["text"], "能便宜点吗，我在用小米那款");
    assert_eq!(v["language"], "zh");
    assert_eq!(v["dialect"], "cmn");
    assert_eq!(v["intent"]["label"], "ask_discount");
    assert!(v["intent"]["confidence"].as_f64().unwrap() > 0.0);
    assert!(!v["intent"]["top_k"].as_array().unwrap().is_empty());
    assert!(v["sentiment"]["score"].as_f64().unwrap().abs() <= 1.0);
    let ents = v["entities"].as_array().unwrap();
    assert!(
        ents.iter()
            .any(|e| e["type"] == "competitor" && e["text"] == "小米"),
        "no competitor entity in {ents:?}"
    );
}

#[test]
fn empty_text_argument_is_a_clear_error() {
    let out = tuoke()
        .args(["analyze", "--now", NOW, "  "])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    let out = tuoke().args(["analyze"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn batch_keeps_order_and_reports_every_bad_line() {
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice("{\"text\": \"这个多少钱\", \"id\": 7}\n".as_bytes()); // 1 JSONL
    input.extend_from_slice("呢個幾多錢呀\n".as_bytes()); // 2 plain line
    input.extend_from_slice(b"\n"); // 3 empty
    input.extend_from_slice(b"{\"text\": \"broken\"\n"); // 4 invalid JSON
    input.extend_from_slice(b"\xff\xfe not utf-8 \xc3\x28\n"); // 5 non-UTF-8
    input.extend_from_slice("好".repeat(40_000).as_bytes()); // 6 ~120 KB line
    input.push(b'\n');
    input.extend_from_slice(b"{\"id\": 1}\n"); // 7 no text
    input.extend_from_slice(b"{\"text\": 42}\n"); // 8 text not a string
    input.extend_from_slice(b"how much for 20 seats\r\n"); // 9 CRLF
    input.extend_from_slice("last line without newline 再见".as_bytes()); // 10
    let (out, _) = run_batch(&input, &[]);
    assert_eq!(out.len(), 10, "{out:#?}");
    assert_eq!(out[0]["text"], "这个多少钱");
    assert_eq!(out[1]["dialect"], "yue");
    let code = |i: usize| out[i]["error"]["code"].as_str().unwrap_or("").to_string();
    assert_eq!(code(2), "empty");
    assert_eq!(code(3), "invalid_json");
    assert_eq!(code(4), "invalid_utf8");
    assert_eq!(code(5), "too_long");
    assert_eq!(code(6), "missing_text");
    assert_eq!(code(7), "bad_text");
    for (i, line) in [2usize, 3, 4, 5, 6, 7].iter().map(|&i| (i, i + 1)) {
        assert_eq!(out[i]["line"], line, "{}", out[i]);
        assert!(!out[i]["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(out[8]["text"], "how much for 20 seats");
    assert_eq!(out[8]["language"], "en");
    assert_eq!(out[9]["text"], "last line without newline 再见");
}

#[test]
fn batch_across_blocks_is_in_input_order() {
    // More lines than one parallel block (8192), each distinguishable.
    let n = 9000;
    let mut input = String::new();
    for i in 0..n {
        input.push_str(&format!("{{\"text\": \"第{i}台多少钱\"}}\n"));
    }
    let (out, _) = run_batch(input.as_bytes(), &["--threads", "2"]);
    assert_eq!(out.len(), n);
    for (i, v) in out.iter().enumerate() {
        assert_eq!(v["text"], format!("第{i}台多少钱"));
    }
}

#[test]
fn batch_reads_stdin() {
    let mut child = tuoke()
        .args(["analyze", "--now", NOW, "--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("你好\n谢谢，再见\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    let v: Vec<Value> = s
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["intent"]["label"], "greeting");
}

#[test]
fn missing_batch_file_is_a_clear_error() {
    let out = tuoke()
        .args(["analyze", "--batch", "/nonexistent/file.jsonl"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.jsonl"));
}
