//! Finding the fetched models (skip with a reason, or fail under `TUOKE_REQUIRE_ALL=1`).

use std::path::PathBuf;

/// `rel` under `tuoke_encoder::models_dir()`, or `None` after saying why the test skips.
pub fn fetched(test: &str, rel: &str) -> Option<PathBuf> {
    let p = tuoke_encoder::models_dir().join(rel);
    if p.exists() {
        return Some(p);
    }
    tuoke_testkit::skip(
        test,
        &format!(
            "{} missing (run scripts/fetch-encoders.sh or set TUOKE_MODELS)",
            p.display()
        ),
    );
    None
}

#[allow(dead_code)] // not every test binary compares vectors
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}
