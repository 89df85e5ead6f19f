//! `tuoke nlu oos-eval` on a small real set: the first 16 labels (sorted) of BANKING77, 4 of them
//! held out (seed 42). Checks the protocol itself — the held-out labels, thresholds that keep the
//! retained accuracy on dev, and that the out-of-scope scores reject far more held-out-label texts
//! than chance. (Which score is best is measured on full sets in docs/benchmarks.md, "Issue 12:
//! out-of-scope detection"; on this small subset the ranking changes with the seed.)
//! Skips with a printed reason when `../shared` is missing, unless `TUOKE_REQUIRE_ALL=1`.

// Only `shared` is used here; `eval_json` serves the other tests.
#[allow(dead_code)]
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The lines of `src` whose label is in `keep`, written to `dst`.
fn subset(src: &Path, dst: &Path, keep: &BTreeSet<String>) {
    let text = std::fs::read_to_string(src).unwrap();
    let out: Vec<&str> = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["label"].as_str().map(|s| keep.contains(s)))
                .unwrap_or(false)
        })
        .collect();
    std::fs::write(dst, out.join("\n")).unwrap();
}

#[test]
fn oos_eval_on_held_out_banking_labels() {
    let Some(d) = common::shared("banking77_intent_en") else {
        return;
    };
    let all: BTreeSet<String> = std::fs::read_to_string(d.join("train.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["label"].as_str().map(str::to_string))
        .collect();
    let keep: BTreeSet<String> = all.into_iter().take(16).collect();
    let dir = std::env::temp_dir().join(format!("tuoke-nlu-oos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    subset(&d.join("train.jsonl"), &dir.join("train.jsonl"), &keep);
    subset(&d.join("test.jsonl"), &dir.join("test.jsonl"), &keep);
    let o = Command::new(env!("CARGO_BIN_EXE_tuoke"))
        .args(["nlu", "oos-eval", "--json", "--seed", "42", "--train"])
        .arg(dir.join("train.jsonl"))
        .arg("--test")
        .arg(dir.join("test.jsonl"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let held = r["held_out_labels"].as_array().unwrap();
    assert_eq!(held.len(), 4);
    assert_eq!(r["in_scope_labels"], 12);
    assert!(held.iter().all(|l| keep.contains(l.as_str().unwrap())));
    assert!(r["test_oos"].as_u64().unwrap() > 100);
    let det = r["detectors"].as_array().unwrap();
    let get = |name: &str, field: &str| -> f64 {
        det.iter().find(|x| x["score"] == name).unwrap()[field]
            .as_f64()
            .unwrap()
    };
    for x in det {
        // Every threshold keeps ≥ 95 % of the correctly classified dev texts.
        assert!(x["dev_retained"].as_f64().unwrap() >= 0.95, "{x}");
    }
    // Rejecting 5 % of the correct in-scope texts at random would reject ~5 % of the OOS texts.
    assert!(get("confidence", "test_recall") > 0.3, "{r}");
    assert!(get("confidence", "test_auroc") > 0.75, "{r}");
    // Every logit score separates held-out-label texts from in-scope ones well above chance.
    for name in ["confidence", "max_logit", "energy", "margin"] {
        assert!(get(name, "test_auroc") > 0.85, "{name}: {r}");
    }
}
