//! `tuoke analyze ...` (owned by the sales-NLU work).
#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// Text to analyze.
    pub text: Option<String>,
}

pub fn run(_a: AnalyzeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`tuoke analyze` is not built yet")
}
