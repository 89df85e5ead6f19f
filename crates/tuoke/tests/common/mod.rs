//! Helpers shared by the integration tests of the `tuoke` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder of shared dataset `set` (`$TUOKE_SHARED/datasets/<set>`, by default
/// `../shared` beside the repository), if it has a `train.jsonl`. Missing: a printed skip, or a
/// panic when `TUOKE_REQUIRE_ALL=1` (CI).
pub fn shared(set: &str) -> Option<PathBuf> {
    let p = std::env::var_os("TUOKE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let d = p.join("datasets").join(set);
    if d.join("train.jsonl").exists() {
        return Some(d);
    }
    tuoke_testkit::skip(
        &format!("shared dataset {set}"),
        &format!("not found at {} (set TUOKE_SHARED)", d.display()),
    );
    None
}

/// `tuoke nlu eval --json` of `model` on `test`: the report object (asserts the command worked).
pub fn eval_json(model: &Path, test: &Path) -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_tuoke"))
        .args(["nlu", "eval", "--json", "--model"])
        .arg(model)
        .arg("--test")
        .arg(test)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}
