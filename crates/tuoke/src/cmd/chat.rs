//! `tuoke chat [--company DIR] [--debug] [--llm SPEC]`: talk with the sales robot in the terminal.
//!
//! Every customer line goes through the shipped analyzer (`tuoke-analyze`, with the company's
//! products and competitors as its gazetteer) and then the dialogue engine (`tuoke-dialogue`).
//! Lines starting with `/` are commands: `/state` (the state as JSON), `/takeover`, `/release`,
//! `/quit`. Reads stdin to the end, so it also works with piped input. With `--llm` an LLM
//! rewords each reply and the grounding checker decides whether the customer sees it
//! (`--debug` shows the template, the LLM's text and the verdict).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, Utc};
use tuoke_core::{Analysis, Dialect, Language};
use tuoke_dialogue::{Action, ConversationState, Engine, TurnOutput};

#[derive(clap::Args)]
pub struct ChatArgs {
    /// Company directory with company.yaml, products.yaml, faq.yaml, competitors.yaml,
    /// playbook.yaml and grading.yaml (default: the embedded demo company).
    #[arg(long, value_name = "DIR")]
    pub company: Option<PathBuf>,
    /// Print the analysis, stage, slots and grade of every turn.
    #[arg(long)]
    pub debug: bool,
    /// Language of the opening greeting: zh, yue or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Fixed reference time (RFC 3339) instead of the clock, for reproducible runs.
    #[arg(long)]
    pub now: Option<String>,
    #[command(flatten)]
    pub llm: super::llm::LlmArgs,
}

struct Clock(Option<DateTime<FixedOffset>>);

impl Clock {
    fn now(&self) -> DateTime<FixedOffset> {
        let tz = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix());
        self.0.unwrap_or_else(|| Utc::now().with_timezone(&tz))
    }
}

use chrono::Offset;

fn print_output(out: &TurnOutput, debug: bool, w: &mut impl Write) -> Result<()> {
    match &out.reply {
        Some(r) => {
            writeln!(w, "bot> {}", r.text)?;
            if debug && !r.citations.is_empty() {
                writeln!(
                    w,
                    "     [node {} · cites {}]",
                    r.node,
                    r.citations.join(", ")
                )?;
            } else if debug {
                writeln!(w, "     [node {}]", r.node)?;
            }
        }
        None if out.state.handed_off => writeln!(
            w,
            "     (handed off to a salesperson: the bot stays silent; /release to give it back)"
        )?,
        None => {}
    }
    for a in &out.actions {
        match a {
            Action::Handoff { reason, summary } => writeln!(
                w,
                "  >> HANDOFF ({reason}): grade {} score {}, needs: {}",
                summary.grade,
                summary.score,
                summary.needs.join(", ")
            )?,
            Action::ScheduleFollowUp { at } => writeln!(w, "  >> follow-up scheduled at {at}")?,
            Action::Close { reason } => writeln!(w, "  >> conversation closed ({reason})")?,
            Action::LeadGradeChanged { from, to, score } if debug => writeln!(
                w,
                "  >> lead grade {} → {to} (score {score})",
                from.map(|g| g.to_string()).unwrap_or_else(|| "-".into())
            )?,
            Action::StageChanged { from, to } if debug => writeln!(w, "  >> stage {from} → {to}")?,
            _ => {}
        }
    }
    Ok(())
}

fn print_debug(a: &Analysis, st: &ConversationState, w: &mut impl Write) -> Result<()> {
    let top: Vec<String> = a
        .intent
        .top_k
        .iter()
        .map(|l| format!("{} {:.2}", l.label, l.score))
        .collect();
    writeln!(
        w,
        "  ·· intent {} ({:.2}) [{}] · sentiment {:?} ({:+.2}) · {:?}/{:?}",
        a.intent.label,
        a.intent.confidence,
        top.join(", "),
        a.sentiment.label,
        a.sentiment.score,
        a.language,
        a.dialect
    )?;
    for e in &a.entities {
        writeln!(w, "  ·· entity {:?} {:?} → {}", e.kind, e.text, e.value)?;
    }
    writeln!(
        w,
        "  ·· stage {} · node {} · slots {}",
        st.stage,
        st.node,
        serde_json::to_string(&st.slots)?
    )?;
    writeln!(w, "  ·· lead {} (score {})", st.lead.grade, st.lead.score)?;
    for e in &st.lead.evidence {
        writeln!(
            w,
            "  ··   turn {} {} {:+} — {}",
            e.turn, e.signal, e.points, e.detail
        )?;
    }
    Ok(())
}

pub fn run(a: ChatArgs) -> Result<()> {
    let clock = Clock(match &a.now {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .with_context(|| format!("--now {s:?} is not RFC 3339"))?,
        ),
        None => None,
    });
    let (language, dialect) = match a.lang.as_str() {
        "zh" | "cmn" => (Language::Zh, Dialect::Cmn),
        "yue" => (Language::Zh, Dialect::Yue),
        "en" => (Language::En, Dialect::Cmn),
        other => bail!("--lang {other:?}: use zh, yue or en"),
    };
    let company = super::load_company(a.company.as_deref())?;
    let analyzer = super::analyzer_for(&company).context("loading the embedded models")?;
    let llm = super::llm::Llm::open(&a.llm, &company)?;
    let engine = Engine::new(Arc::new(company));
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();

    let mut out = engine.start(clock.now().to_utc(), language, dialect);
    print_output(&out, a.debug, &mut w)?;
    let mut state = out.state.clone();
    loop {
        if interactive {
            write!(w, "you> ")?;
        }
        w.flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if !interactive {
            writeln!(w, "you> {text}")?;
        }
        let now = clock.now();
        match text {
            "/quit" | "/exit" => break,
            "/state" => {
                writeln!(w, "{}", serde_json::to_string_pretty(&state)?)?;
                continue;
            }
            "/takeover" => {
                out = engine.take_over(&state, "terminal", now.to_utc());
                print_output(&out, a.debug, &mut w)?;
                state = out.state.clone();
                continue;
            }
            "/release" => {
                out = engine.release(&state, now.to_utc());
                writeln!(w, "     (the bot is back)")?;
                state = out.state.clone();
                continue;
            }
            _ => {}
        }
        let analysis = match analyzer.analyze(text, now) {
            Ok(x) => x,
            Err(e) => {
                writeln!(w, "  !! cannot analyze this line: {e}")?;
                continue;
            }
        };
        out = engine.turn(&state, &analysis, now.to_utc());
        if a.debug {
            print_debug(&analysis, &out.state, &mut w)?;
        }
        if let Some(llm) = &llm
            && let Some(o) = llm.phrase(engine.company(), &out)
        {
            if a.debug {
                let template = out.reply.as_ref().map(|r| r.text.as_str()).unwrap_or("");
                writeln!(w, "  ·· template: {template}")?;
                writeln!(
                    w,
                    "  ·· llm {}: {:?} ({} ms)",
                    super::llm::verdict_text(&o.phrased),
                    o.candidate,
                    o.total_ms
                )?;
            }
            if let Some(r) = out.reply.as_mut() {
                r.text = o.text;
            }
        }
        print_output(&out, a.debug, &mut w)?;
        state = out.state.clone();
    }
    Ok(())
}
