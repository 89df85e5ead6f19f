//! `tuoke serve` and `tuoke demo` (owned by the service work).
#[derive(clap::Args)]
pub struct ServeArgs {}

#[derive(clap::Args)]
pub struct DemoArgs {}

pub fn run(_a: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`tuoke serve` is not built yet")
}

pub fn demo(_a: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("`tuoke demo` is not built yet")
}
