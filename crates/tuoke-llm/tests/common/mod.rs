//! Finding the fetched model for tests: `$TUOKE_MODELS` or `<repo>/fetched-models`
//! (`scripts/fetch-llm.sh` fills it). Missing → the test is skipped with a message, or fails
//! when `TUOKE_REQUIRE_ALL=1`.
#![allow(dead_code)]

use std::path::PathBuf;

pub const GGUF: &str = "qwen2.5-coder-0.5b-instruct.gguf";

pub fn models_dir() -> PathBuf {
    match std::env::var_os("TUOKE_MODELS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fetched-models"),
    }
}

/// The path of `name` under the models folder, or `None` after saying why the test skips.
pub fn model_or_skip(test: &str, name: &str, how: &str) -> Option<PathBuf> {
    let p = models_dir().join(name);
    if p.exists() {
        return Some(p);
    }
    tuoke_testkit::skip(test, &format!("{} is missing ({how})", p.display()));
    None
}

/// Reads a stream to its end: the pieces, the time to the first, and the finish. Panics on an
/// error (the tests that call it expect an answer).
pub async fn read_all(
    mut s: tuoke_llm::TokenStream,
    started: std::time::Instant,
) -> (Vec<String>, Option<std::time::Duration>, tuoke_llm::Finish) {
    let mut pieces = Vec::new();
    let mut first = None;
    loop {
        match s.next().await.expect("a finish event") {
            Ok(tuoke_llm::StreamEvent::Token(t)) => {
                first.get_or_insert(started.elapsed());
                pieces.push(t);
            }
            Ok(tuoke_llm::StreamEvent::Done(f)) => return (pieces, first, f),
            Err(e) => panic!("generation failed: {e}"),
        }
    }
}
