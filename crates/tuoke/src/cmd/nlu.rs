//! `tuoke nlu ...` (owned by the NLU engine work).
use clap::Subcommand;

#[derive(Subcommand)]
pub enum NluCommand {
    /// Train a classifier from JSONL.
    Train,
}

pub fn run(_c: NluCommand) -> anyhow::Result<()> {
    anyhow::bail!("`tuoke nlu` is not built yet")
}
