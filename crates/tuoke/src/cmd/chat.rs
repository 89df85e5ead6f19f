//! `tuoke chat` (owned by the dialogue work).
#[derive(clap::Args)]
pub struct ChatArgs {
    /// Print the analysis, stage, slots and grade of every turn.
    #[arg(long)]
    pub debug: bool,
}

pub fn run(_a: ChatArgs) -> anyhow::Result<()> {
    anyhow::bail!("`tuoke chat` is not built yet")
}
