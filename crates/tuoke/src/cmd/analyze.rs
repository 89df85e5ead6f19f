//! `tuoke analyze "TEXT"` and `tuoke analyze --batch FILE`: the shipped sales models on the command line.
//!
//! Batch input is JSONL (`{"text": ...}`, other keys ignored) or plain text, one utterance a line
//! (a line that starts with `{` is read as JSON). Output is one JSON object per input line, in input
//! order: the `Analysis`, or `{"line": N, "error": {"code", "message"}}` for a line that cannot be
//! analyzed (empty, too long, invalid JSON, no `text`, not UTF-8). No line is ever dropped.
//! Lines are processed in blocks; each block is analyzed on all cores (rayon) and written in order.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, Utc};
use rayon::prelude::*;
use serde_json::json;
use tuoke_analyze::{AnalyzeError, Analyzer, MAX_INPUT_CHARS};

#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// Text to analyze (prints one JSON object).
    pub text: Option<String>,
    /// Analyze every line of FILE (`-` = stdin): JSONL `{"text": ...}` or plain lines.
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    pub batch: Option<PathBuf>,
    /// Reference time for relative dates, RFC 3339 (default: now, in +08:00).
    #[arg(long)]
    pub now: Option<String>,
    /// Worker threads for --batch (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Pretty-print (single text only).
    #[arg(long)]
    pub pretty: bool,
    /// Print a throughput summary to stderr after --batch.
    #[arg(long)]
    pub stats: bool,
}

/// Lines analyzed per parallel block.
const BLOCK: usize = 8192;
/// Lines longer than this many bytes are rejected before parsing (the analyzer's char limit
/// can never be met by them).
const MAX_LINE_BYTES: usize = MAX_INPUT_CHARS * 4 + 4096;

fn reference_time(now: Option<&str>) -> Result<DateTime<FixedOffset>> {
    match now {
        Some(s) => {
            DateTime::parse_from_rfc3339(s).with_context(|| format!("--now {s:?} is not RFC 3339"))
        }
        None => {
            let tz = FixedOffset::east_opt(8 * 3600).context("time zone")?;
            Ok(Utc::now().with_timezone(&tz))
        }
    }
}

pub fn run(a: AnalyzeArgs) -> Result<()> {
    let now = reference_time(a.now.as_deref())?;
    let analyzer = Analyzer::shipped().context("loading the embedded models")?;
    if let Some(path) = &a.batch {
        return batch(&analyzer, path, now, a.threads, a.stats);
    }
    let Some(text) = a.text else {
        bail!("give a TEXT to analyze or --batch FILE (see `tuoke analyze --help`)");
    };
    let r = analyzer.analyze(&text, now)?;
    let out = if a.pretty {
        serde_json::to_string_pretty(&r)?
    } else {
        serde_json::to_string(&r)?
    };
    println!("{out}");
    Ok(())
}

fn error_line(line: usize, code: &str, message: &str) -> String {
    json!({"line": line, "error": {"code": code, "message": message}}).to_string()
}

fn analyze_error_code(e: &AnalyzeError) -> &'static str {
    match e {
        AnalyzeError::Empty => "empty",
        AnalyzeError::TooLong { .. } => "too_long",
        _ => "analyze_failed",
    }
}

/// One input line (without its newline) → one output JSON line.
fn process_line(an: &Analyzer, now: DateTime<FixedOffset>, line_no: usize, raw: &[u8]) -> String {
    if raw.len() > MAX_LINE_BYTES {
        return error_line(
            line_no,
            "too_long",
            &format!("line is {} bytes (limit {MAX_LINE_BYTES})", raw.len()),
        );
    }
    let Ok(s) = std::str::from_utf8(raw) else {
        return error_line(line_no, "invalid_utf8", "line is not valid UTF-8");
    };
    let trimmed = s.trim();
    let owned;
    let text: &str = if trimmed.starts_with('{') {
        match serde_json::from_str::<serde_json::Value>(trimmed) {
            Ok(v) => match v.get("text") {
                Some(serde_json::Value::String(t)) => {
                    owned = t.clone();
                    &owned
                }
                Some(_) => return error_line(line_no, "bad_text", "`text` is not a string"),
                None => return error_line(line_no, "missing_text", "JSON object has no `text`"),
            },
            Err(e) => return error_line(line_no, "invalid_json", &format!("invalid JSON: {e}")),
        }
    } else {
        s
    };
    match an.analyze(text, now) {
        Ok(r) => serde_json::to_string(&r)
            .unwrap_or_else(|e| error_line(line_no, "serialize_failed", &e.to_string())),
        Err(e) => error_line(line_no, analyze_error_code(&e), &e.to_string()),
    }
}

fn read_block(r: &mut dyn BufRead, block: &mut Vec<Vec<u8>>) -> Result<bool> {
    block.clear();
    while block.len() < BLOCK {
        let mut buf = Vec::new();
        let n = r
            .read_until(b'\n', &mut buf)
            .context("reading batch input")?;
        if n == 0 {
            return Ok(false);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        block.push(buf);
    }
    Ok(true)
}

fn batch(
    an: &Analyzer,
    path: &PathBuf,
    now: DateTime<FixedOffset>,
    threads: Option<usize>,
    stats: bool,
) -> Result<()> {
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?)
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let t0 = Instant::now();
    let (mut total, mut errors) = (0usize, 0usize);
    let mut block = Vec::with_capacity(BLOCK);
    loop {
        let more = read_block(&mut reader, &mut block)?;
        let first = total + 1;
        let results: Vec<String> = pool.install(|| {
            block
                .par_iter()
                .enumerate()
                .map(|(i, raw)| process_line(an, now, first + i, raw))
                .collect()
        });
        for r in &results {
            if r.starts_with("{\"error\"") || r.starts_with("{\"line\"") {
                errors += 1;
            }
            out.write_all(r.as_bytes())?;
            out.write_all(b"\n")?;
        }
        total += results.len();
        if !more {
            break;
        }
    }
    out.flush()?;
    if stats {
        let secs = t0.elapsed().as_secs_f64();
        eprintln!(
            "analyzed {total} lines ({errors} errors) in {secs:.3} s: {:.0} lines/s on {} threads",
            total as f64 / secs.max(1e-9),
            pool.current_num_threads()
        );
    }
    Ok(())
}
