//! The demo company's conversation stories (`companies/demo/stories/`), run through `tuoke test`
//! exactly as a company runs its own. Measured pass rates are in docs/benchmarks.md; the floor
//! below is the rate the engine has reached, so a change that makes customers' talks worse fails.

use std::process::Command;

/// Share of story turns that must pass. First run of the 84 stories (written before the engine
/// changes ran on them): 57.9 % of 473 turns. Held-out sets written blind later, each first run
/// before any change was made for it: `fresh.yaml` 78.5 % of 121 turns, `fresh2.yaml` 80.0 % of
/// 125, `fresh3.yaml` 80.5 % of 113, `fresh4.yaml` 82.4 % of 142, `fresh5.yaml` 73.6 % of 125,
/// `fresh6.yaml` 80.0 % of 145, `fresh7.yaml` 85.5 % of 159, `fresh8.yaml` 82.0 % of 150,
/// `fresh9.yaml` 78.0 % of 141, `fresh10.yaml` 84.7 % of 144, `fresh11.yaml` 86.9 % of 168,
/// `fresh12.yaml` 89.9 % of 149, `fresh13.yaml` 88.8 % of 170. All 396 stories (2,325 turns) now
/// 95.1 %. Raise this as the engine improves; the target is 0.97.
const FLOOR: f64 = 0.95;

#[test]
fn demo_stories_pass_at_least_the_floor() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_tuoke"))
        .current_dir(&root)
        .args(["test", "--json", "--min-turn-pass", &FLOOR.to_string()])
        .output()
        .expect("run tuoke test");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("tuoke test --json prints JSON");
    let rate = report["turn_pass_rate"].as_f64().expect("rate");
    assert!(report["stories"].as_u64().unwrap_or(0) >= 80, "{report}");
    assert!(report["turns"].as_u64().unwrap_or(0) >= 320);
    assert!(
        out.status.success(),
        "turn pass rate {rate:.3} below {FLOOR}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_failing_expectation_fails_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bad.yaml"),
        "stories:\n  - id: impossible\n    variety: cmn\n    steps:\n      - customer: \"A7 多少钱\"\n        expect:\n          contains_all: [\"一个KB里没有的词\"]\n",
    )
    .expect("write story");
    let out = Command::new(env!("CARGO_BIN_EXE_tuoke"))
        .args(["test", "--stories"])
        .arg(dir.path())
        .output()
        .expect("run tuoke test");
    assert!(!out.status.success(), "a failing story must exit non-zero");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL impossible"), "{text}");
    assert!(text.contains("missing"), "{text}");
}
