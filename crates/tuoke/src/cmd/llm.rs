//! `--llm SPEC` for `tuoke chat`, `tuoke test` and `tuoke serve`: the dialogue engine decides the
//! reply, the LLM (a local GGUF or an OpenAI-compatible server, `tuoke-llm`) may reword it, and the
//! grounding checker decides whether the rewording or the template reaches the customer. `serve`
//! only opens the backend here ([`LlmArgs::open_backend`]); the server phrases with it itself
//! (`tuoke_server::llm`). `llm: {phrase: false}` in company.yaml turns it off for that company. With
//! `tuoke test --llm … --llm-audit FILE`, every LLM output and the checker's verdict are written
//! out (JSON, and a Markdown table beside it) for reading by hand.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use tuoke_dialogue::{Company, TurnOutput};
use tuoke_llm::{LlmBackend, PhraseOutcome, Phrased, PhraserConfig, TurnPhraser};

#[derive(clap::Args, Clone, Debug, Default)]
pub struct LlmArgs {
    /// Reword replies with an LLM: `gguf:PATH[#tokenizer.json]` (local, candle) or
    /// `openai:URL[#model]` (API key from TUOKE_LLM_API_KEY). Every rewording is checked against
    /// the cited facts; the template reply is sent when it fails or is late.
    #[arg(long, value_name = "SPEC")]
    pub llm: Option<String>,
    /// Milliseconds to the LLM's first token before the template is sent.
    #[arg(long, default_value_t = 1500)]
    pub llm_first_token_ms: u64,
    /// Milliseconds for the LLM's whole answer.
    #[arg(long, default_value_t = 15000)]
    pub llm_timeout_ms: u64,
    /// Characters of each cited KB fact put into the prompt (0: none; the checker always sees
    /// them all).
    #[arg(long, default_value_t = 0)]
    pub llm_fact_chars: usize,
}

/// An opened LLM with its runtime (the CLI is synchronous).
pub struct Llm {
    phraser: TurnPhraser,
    rt: tokio::runtime::Runtime,
}

impl LlmArgs {
    /// The phrasing deadlines and limits these flags set.
    pub fn phraser_config(&self) -> PhraserConfig {
        PhraserConfig {
            first_token: Duration::from_millis(self.llm_first_token_ms),
            total: Duration::from_millis(self.llm_timeout_ms),
            fact_chars: self.llm_fact_chars,
            ..PhraserConfig::default()
        }
    }

    /// Opens the backend `--llm` names (`None` without `--llm`); the API key of an
    /// `openai:` backend comes from `TUOKE_LLM_API_KEY` and is never logged. A local model is
    /// loaded here (seconds), so call it before serving.
    pub fn open_backend(&self) -> Result<Option<Arc<dyn LlmBackend>>> {
        let Some(spec) = &self.llm else {
            return Ok(None);
        };
        let started = std::time::Instant::now();
        let backend = tuoke_llm::open(spec).with_context(|| format!("--llm {spec}"))?;
        tracing::info!(
            backend = %backend.describe(),
            ms = started.elapsed().as_millis() as u64,
            "LLM ready"
        );
        Ok(Some(backend))
    }
}

impl Llm {
    /// Opens the backend `args.llm` names, or `None` without `--llm`.
    pub fn open(args: &LlmArgs, company: &Company) -> Result<Option<Llm>> {
        if args.llm.is_none() {
            return Ok(None);
        }
        if !company.info().llm.phrase {
            tracing::warn!("company.yaml has llm.phrase: false; --llm is ignored for this company");
            return Ok(None);
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("starting the LLM runtime")?;
        let Some(backend) = args.open_backend()? else {
            return Ok(None);
        };
        Ok(Some(Llm {
            phraser: TurnPhraser::new(backend, args.phraser_config(), company),
            rt,
        }))
    }

    /// Rewords the reply of `out` (None when there is no reply to reword).
    pub fn phrase(&self, company: &Company, out: &TurnOutput) -> Option<PhraseOutcome> {
        self.rt.block_on(self.phraser.phrase(company, out))
    }
}

/// One LLM output for the audit table.
#[derive(Debug, Serialize)]
pub struct AuditRow {
    pub story: String,
    pub variety: String,
    pub customer: String,
    pub template: String,
    pub citations: Vec<String>,
    pub outcome: PhraseOutcome,
}

/// What became of an LLM rewording, in words.
pub fn verdict_text(p: &Phrased) -> String {
    match p {
        Phrased::Llm => "used".into(),
        Phrased::Rejected { rejection } => format!("rejected: {rejection}"),
        Phrased::TimedOut => "timed out".into(),
        Phrased::Failed { error } => format!("failed: {error}"),
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Writes the rows as JSON to `path` and as a Markdown table to `path` with `.md`.
pub fn write_audit(path: &Path, rows: &[AuditRow]) -> Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(rows)?)
        .with_context(|| format!("writing {}", path.display()))?;
    let mut md = String::from(
        "# LLM audit: every LLM rewording and the grounding checker's verdict\n\n\
         Written by `tuoke test --llm SPEC --llm-audit FILE` (see docs/benchmarks.md, issue 13).\n\n\
         | # | story | variety | customer | template | LLM output | verdict | ms |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let verdict = verdict_text(&r.outcome.phrased);
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            i + 1,
            cell(&r.story),
            r.variety,
            cell(&r.customer),
            cell(&r.template),
            cell(r.outcome.candidate.as_deref().unwrap_or("")),
            cell(&verdict),
            r.outcome.total_ms
        ));
    }
    let md_path = path.with_extension("md");
    std::fs::write(&md_path, md).with_context(|| format!("writing {}", md_path.display()))?;
    Ok(())
}

/// Counts of a run with an LLM: used, rejected by reason, timed out, failed.
#[derive(Debug, Default, Serialize)]
pub struct LlmStats {
    pub phrased: usize,
    pub used: usize,
    pub rejected: std::collections::BTreeMap<String, usize>,
    pub timed_out: usize,
    pub failed: usize,
    pub mean_first_token_ms: Option<f64>,
}

impl LlmStats {
    pub fn of(rows: &[AuditRow]) -> LlmStats {
        let mut s = LlmStats {
            phrased: rows.len(),
            ..LlmStats::default()
        };
        let mut first = Vec::new();
        for r in rows {
            match &r.outcome.phrased {
                Phrased::Llm => s.used += 1,
                Phrased::Rejected { rejection } => {
                    *s.rejected.entry(rejection.kind().to_string()).or_default() += 1
                }
                Phrased::TimedOut => s.timed_out += 1,
                Phrased::Failed { .. } => s.failed += 1,
            }
            first.extend(r.outcome.first_token_ms);
        }
        if !first.is_empty() {
            s.mean_first_token_ms = Some(first.iter().sum::<u64>() as f64 / first.len() as f64);
        }
        s
    }
}
