//! `tuoke` — the AI sales robot in one binary. Each subcommand lives in `cmd/`.

mod cmd;

use clap::{Parser, Subcommand};

// glibc's allocator spent ~25 % of a busy server's CPU in malloc/free and returned memory to
// the OS only to fault it back in; mimalloc cut CPU per customer turn by a third in the load
// benchmark (docs/benchmarks.md, "Service").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "tuoke", version, about = "tuoke (拓客): an AI sales robot")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train, evaluate, quantize and run intent classifiers.
    #[command(subcommand)]
    Nlu(cmd::nlu::NluCommand),
    /// Analyze customer utterances with the shipped sales models.
    Analyze(cmd::analyze::AnalyzeArgs),
    /// Talk with the sales robot in the terminal.
    Chat(cmd::chat::ChatArgs),
    /// Run the HTTP API, chat widget and sales dashboard.
    Serve(cmd::serve::ServeArgs),
    /// Start the server on embedded defaults with the demo company.
    Demo(cmd::serve::DemoArgs),
    /// Run conversation stories against a company's playbook and knowledge base.
    Test(cmd::test::TestArgs),
    /// Create, list and revoke API keys on the database of `tuoke serve` (no server needed).
    #[command(subcommand)]
    Keys(cmd::keys::KeysCommand),
    /// Check a company folder before deploying it.
    #[command(subcommand)]
    Company(cmd::company::CompanyCommand),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TUOKE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Nlu(c) => cmd::nlu::run(c),
        Command::Analyze(a) => cmd::analyze::run(a),
        Command::Chat(a) => cmd::chat::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Demo(a) => cmd::serve::demo(a),
        Command::Test(a) => cmd::test::run(a),
        Command::Keys(c) => cmd::keys::run(c),
        Command::Company(c) => cmd::company::run(c),
    }
}
