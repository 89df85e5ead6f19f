//! `tuoke test [--company DIR] [--stories DIR] [--json] [--story ID] [--min-turn-pass F]`:
//! run conversation stories against a company, like `rasa test` runs end-to-end stories.
//!
//! Every customer turn goes through the shipped analyzer and the dialogue engine exactly as in
//! `tuoke chat`; its expectations and the generic checks ([`stories::check_turn`]) are applied;
//! stories sharing a `triple` id must end with the same grade and scores within 5 points. Prints a
//! readable report (or `--json`) and exits non-zero when the turn pass rate is below
//! `--min-turn-pass` (default 1.0: every turn must pass).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, FixedOffset};
use serde::Serialize;
use tuoke_core::{Dialect, Language};
use tuoke_dialogue::{Engine, Variety};

use super::llm::{AuditRow, Llm, LlmStats, write_audit};
use super::stories::{
    AgentStep, Folder, Step, StoryFile, StoryResult, TurnCheck, TurnResult, check_turn,
    parse_duration,
};

#[derive(clap::Args)]
pub struct TestArgs {
    /// Company directory (default: the embedded demo company).
    #[arg(long, value_name = "DIR")]
    pub company: Option<PathBuf>,
    /// Story directory (default: `<company>/stories`, or `companies/demo/stories`).
    #[arg(long, value_name = "DIR")]
    pub stories: Option<PathBuf>,
    /// Only the story with this id (repeatable).
    #[arg(long = "story")]
    pub only: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print every turn, not only the failing ones.
    #[arg(long)]
    pub verbose: bool,
    /// Lowest share of passing turns that still exits 0.
    #[arg(long, default_value_t = 1.0)]
    pub min_turn_pass: f64,
    #[command(flatten)]
    pub llm: super::llm::LlmArgs,
    /// With `--llm`: write every LLM output and the checker's verdict to FILE (JSON) and a
    /// Markdown table beside it (FILE with `.md`).
    #[arg(long, value_name = "FILE", requires = "llm")]
    pub llm_audit: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report {
    stories: usize,
    stories_passed: usize,
    turns: usize,
    turns_passed: usize,
    turn_pass_rate: f64,
    per_variety: BTreeMap<String, (usize, usize)>,
    /// With `--llm`: how many replies the LLM reworded, and what became of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    llm: Option<super::llm::LlmStats>,
    triples: Vec<TripleResult>,
    results: Vec<StoryResult>,
}

#[derive(Serialize)]
struct TripleResult {
    id: String,
    grades: Vec<(String, String, u8)>,
    ok: bool,
}

fn start_time() -> DateTime<FixedOffset> {
    // A fixed Thursday morning in the company's time zone: reproducible dates in every run.
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00+08:00").unwrap_or_else(|_| {
        chrono::Utc::now()
            .with_timezone(&FixedOffset::east_opt(0).unwrap_or_else(|| chrono::Utc.fix()))
    })
}

use chrono::Offset;

fn variety(s: &str) -> Result<Variety> {
    Variety::parse(s).with_context(|| format!("unknown variety {s:?} (cmn, yue or en)"))
}

/// The LLM of a `--llm` run and the audit rows it collects.
struct LlmRun<'a> {
    llm: &'a Llm,
    rows: Vec<AuditRow>,
    /// Where the audit goes; rewritten after every row, so a long run stopped early keeps
    /// what it did.
    audit: Option<&'a Path>,
}

fn run_story(
    engine: &Engine,
    analyzer: &tuoke_analyze::Analyzer,
    folder: &Folder,
    story: &super::stories::Story,
    file: &str,
    mut llm: Option<&mut LlmRun<'_>>,
) -> StoryResult {
    let mut res = StoryResult {
        id: story.id.clone(),
        file: file.to_string(),
        variety: story.variety.clone(),
        triple: story.triple.clone(),
        turns: Vec::new(),
        final_grade: String::new(),
        final_score: 0,
        final_evidence: Vec::new(),
        error: None,
    };
    let base = match variety(&story.variety) {
        Ok(v) => v,
        Err(e) => {
            res.error = Some(e.to_string());
            return res;
        }
    };
    let mut now = start_time();
    let (lang, dialect) = match base {
        Variety::En => (Language::En, Dialect::Cmn),
        Variety::Yue => (Language::Zh, Dialect::Yue),
        Variety::Cmn => (Language::Zh, Dialect::Cmn),
    };
    let mut out = engine.start(now.to_utc(), lang, dialect);
    let mut expected = base;
    let mut said = String::new();
    for step in &story.steps {
        match step {
            Step::Wait { wait } => match parse_duration(wait) {
                Some(s) => now += Duration::seconds(s),
                None => {
                    res.error = Some(format!("bad wait {wait:?} (use 30s, 15m, 2h)"));
                    return res;
                }
            },
            Step::Agent { agent } => match agent {
                AgentStep::Act(a) if a == "take_over" => {
                    out = engine.take_over(&out.state, "agent", now.to_utc())
                }
                AgentStep::Act(a) if a == "release" => {
                    out = engine.release(&out.state, now.to_utc())
                }
                AgentStep::Act(a) => {
                    res.error = Some(format!(
                        "unknown agent step {a:?} (take_over, release, say)"
                    ));
                    return res;
                }
                AgentStep::Say { say } => {
                    let st = engine.agent_message(&out.state, say, now.to_utc());
                    out.state = st;
                }
            },
            Step::Customer { customer, expect } => {
                now += Duration::seconds(30);
                if let Some(v) = &expect.variety {
                    match variety(v) {
                        Ok(v) => expected = v,
                        Err(e) => {
                            res.error = Some(e.to_string());
                            return res;
                        }
                    }
                }
                said.push_str(customer);
                said.push('\n');
                let analysis = match analyzer.analyze(customer, now) {
                    Ok(a) => a,
                    Err(e) => {
                        res.error = Some(format!("cannot analyze {customer:?}: {e}"));
                        return res;
                    }
                };
                let before = out.state.clone();
                out = engine.turn(&before, &analysis, now.to_utc());
                if let Some(run) = llm.as_deref_mut() {
                    reword(run, engine, &mut out, story, customer);
                }
                let failures = check_turn(&TurnCheck {
                    company: engine.company(),
                    folder,
                    before: &before,
                    customer,
                    customer_text: &said,
                    out: &out,
                    expect,
                    variety: expected,
                });
                let retrieval = if failures.is_empty() {
                    Vec::new()
                } else {
                    engine.explain_questions(&before, &analysis, now.to_utc())
                };
                res.turns.push(TurnResult {
                    customer: customer.clone(),
                    reply: out
                        .reply
                        .as_ref()
                        .map(|r| r.text.clone())
                        .unwrap_or_default(),
                    node: out
                        .reply
                        .as_ref()
                        .map(|r| r.node.clone())
                        .unwrap_or_default(),
                    stage: out.state.stage.clone(),
                    grade: out.state.lead.grade.to_string(),
                    score: out.state.lead.score,
                    failures,
                    retrieval,
                });
            }
        }
    }
    res.final_grade = out.state.lead.grade.to_string();
    res.final_score = out.state.lead.score;
    res.final_evidence = out
        .state
        .lead
        .evidence
        .iter()
        .map(|e| format!("{}@{}", e.signal, e.turn))
        .collect();
    res
}

/// Rewords the reply with the LLM; the customer gets (and the checks see) what it yields.
fn reword(
    run: &mut LlmRun<'_>,
    engine: &Engine,
    out: &mut tuoke_dialogue::TurnOutput,
    story: &super::stories::Story,
    customer: &str,
) {
    let Some(outcome) = run.llm.phrase(engine.company(), out) else {
        return;
    };
    let Some(reply) = out.reply.as_mut() else {
        return;
    };
    run.rows.push(AuditRow {
        story: story.id.clone(),
        variety: out.state.variety.as_str().to_string(),
        customer: customer.to_string(),
        template: reply.text.clone(),
        citations: reply.citations.clone(),
        outcome: outcome.clone(),
    });
    reply.text = outcome.text;
    if let Some(path) = run.audit
        && let Err(e) = write_audit(path, &run.rows)
    {
        tracing::warn!(error = %e, "cannot write the LLM audit");
    }
}

fn story_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading story folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no *.yaml story files in {}", dir.display());
    }
    Ok(files)
}

pub fn run(a: TestArgs) -> Result<()> {
    let company = super::load_company(a.company.as_deref())?;
    let analyzer = super::analyzer_for(&company)?;
    let llm = Llm::open(&a.llm, &company)?;
    let mut llm_run = llm.as_ref().map(|llm| LlmRun {
        llm,
        rows: Vec::new(),
        audit: a.llm_audit.as_deref(),
    });
    let engine = Engine::new(Arc::new(company));
    let dir = a.stories.clone().unwrap_or_else(|| match &a.company {
        Some(c) => c.join("stories"),
        None => PathBuf::from("companies/demo/stories"),
    });
    let folder = Folder::new();
    let mut results = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in story_files(&dir)? {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        let file: StoryFile =
            serde_yaml::from_str(&text).with_context(|| format!("story file {}", f.display()))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for s in &file.stories {
            if !seen.insert(s.id.clone()) {
                bail!("duplicate story id {:?} in {name}", s.id);
            }
            if !a.only.is_empty() && !a.only.contains(&s.id) {
                continue;
            }
            results.push(run_story(
                &engine,
                &analyzer,
                &folder,
                s,
                &name,
                llm_run.as_mut(),
            ));
        }
    }
    let mut report = summarize(results);
    if let Some(run) = &llm_run {
        report.llm = Some(LlmStats::of(&run.rows));
        if let Some(path) = &a.llm_audit {
            write_audit(path, &run.rows)?;
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, a.verbose);
    }
    let bad_triples = report.triples.iter().filter(|t| !t.ok).count();
    if report.turn_pass_rate + 1e-9 < a.min_turn_pass || (a.min_turn_pass >= 1.0 && bad_triples > 0)
    {
        bail!(
            "{} of {} turns passed ({:.1} %), below {:.1} %; {bad_triples} triple(s) graded unfairly",
            report.turns_passed,
            report.turns,
            report.turn_pass_rate * 100.0,
            a.min_turn_pass * 100.0
        );
    }
    Ok(())
}

fn summarize(results: Vec<StoryResult>) -> Report {
    let turns = results.iter().map(|r| r.turns.len()).sum();
    let turns_passed = results
        .iter()
        .map(|r| {
            if r.error.is_some() {
                0
            } else {
                r.turns.iter().filter(|t| t.failures.is_empty()).count()
            }
        })
        .sum();
    let mut per_variety: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &results {
        let e = per_variety.entry(r.variety.clone()).or_default();
        e.0 += r.turns.iter().filter(|t| t.failures.is_empty()).count();
        e.1 += r.turns.len();
    }
    let mut by_triple: BTreeMap<String, Vec<(String, String, u8)>> = BTreeMap::new();
    for r in &results {
        if let Some(t) = &r.triple {
            by_triple.entry(t.clone()).or_default().push((
                r.variety.clone(),
                r.final_grade.clone(),
                r.final_score,
            ));
        }
    }
    let triples = by_triple
        .into_iter()
        .map(|(id, grades)| {
            let same = grades.windows(2).all(|w| w[0].1 == w[1].1);
            let lo = grades.iter().map(|g| g.2).min().unwrap_or(0);
            let hi = grades.iter().map(|g| g.2).max().unwrap_or(0);
            TripleResult {
                ok: same && hi - lo <= 5,
                id,
                grades,
            }
        })
        .collect();
    Report {
        stories: results.len(),
        stories_passed: results.iter().filter(|r| r.passed()).count(),
        turns,
        turns_passed,
        turn_pass_rate: if turns == 0 {
            0.0
        } else {
            turns_passed as f64 / turns as f64
        },
        per_variety,
        llm: None,
        triples,
        results,
    }
}

fn print_report(r: &Report, verbose: bool) {
    use comfy_table::Table;
    for s in &r.results {
        let mark = if s.passed() { "PASS" } else { "FAIL" };
        println!(
            "{mark} {} ({}, {}) — grade {} {}",
            s.id, s.file, s.variety, s.final_grade, s.final_score
        );
        if let Some(e) = &s.error {
            println!("     error: {e}");
        }
        for (i, t) in s.turns.iter().enumerate() {
            if verbose || !t.failures.is_empty() {
                println!("  {}. you> {}", i + 1, t.customer);
                println!(
                    "     bot> {}  [{} · {} · {} {}]",
                    t.reply, t.node, t.stage, t.grade, t.score
                );
                for f in &t.failures {
                    println!("     ✗ {f}");
                }
                for x in &t.retrieval {
                    println!("     · kb: {x}");
                }
            }
        }
    }
    let mut table = Table::new();
    table.set_header(vec!["variety", "turns passed", "turns", "rate"]);
    for (v, (p, n)) in &r.per_variety {
        table.add_row(vec![
            v.clone(),
            p.to_string(),
            n.to_string(),
            format!(
                "{:.1} %",
                if *n == 0 {
                    0.0
                } else {
                    *p as f64 * 100.0 / *n as f64
                }
            ),
        ]);
    }
    println!("{table}");
    for t in &r.triples {
        let g: Vec<String> = t
            .grades
            .iter()
            .map(|(v, g, s)| format!("{v} {g} {s}"))
            .collect();
        println!(
            "triple {}: {} {}",
            t.id,
            g.join(" / "),
            if t.ok { "ok" } else { "UNFAIR" }
        );
    }
    println!(
        "{} of {} stories passed; {} of {} turns passed ({:.1} %)",
        r.stories_passed,
        r.stories,
        r.turns_passed,
        r.turns,
        r.turn_pass_rate * 100.0
    );
}
