//! Labelled JSONL files for the `tuoke nlu` commands (train, eval, teach, oos-eval) and the
//! metrics table they print. Bad input is an error naming `file:line`, never a panic (see
//! `nlu.rs` for the rules).

use std::path::Path;

use anyhow::{Context, bail};
use tuoke_nlu::{Example, Metrics};

const MAX_LINE_BYTES: usize = 64 << 20;

/// One example with the line it came from.
pub(super) struct Line {
    pub(super) line: usize,
    pub(super) ex: Example,
}

#[derive(serde::Deserialize)]
struct RawLine {
    text: serde_json::Value,
    label: serde_json::Value,
}

/// Read a labelled JSONL file; every problem names `file:line`.
pub(super) fn read_jsonl(path: &Path) -> anyhow::Result<Vec<Line>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display();
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.len() > MAX_LINE_BYTES {
            bail!(
                "{name}:{line}: line is {} bytes, the limit is {MAX_LINE_BYTES}",
                raw.len()
            );
        }
        let s = std::str::from_utf8(raw).map_err(|e| {
            anyhow::anyhow!(
                "{name}:{line}: not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            )
        })?;
        if s.trim().is_empty() {
            continue;
        }
        let r: RawLine = serde_json::from_str(s)
            .map_err(|e| anyhow::anyhow!("{name}:{line}: malformed JSONL line: {e}"))?;
        let text = match r.text {
            serde_json::Value::String(t) => t,
            other => bail!("{name}:{line}: \"text\" must be a string, got {other}"),
        };
        let label = match r.label {
            serde_json::Value::String(l) => l,
            serde_json::Value::Number(n) => n.to_string(),
            other => bail!("{name}:{line}: \"label\" must be a string, got {other}"),
        };
        if label.trim().is_empty() {
            bail!("{name}:{line}: empty label");
        }
        if text.chars().all(|c| c.is_whitespace() || c.is_control()) {
            bail!("{name}:{line}: empty text");
        }
        out.push(Line {
            line,
            ex: Example { text, label },
        });
    }
    if out.is_empty() {
        bail!("{name}: no examples (the file is empty)");
    }
    Ok(out)
}

pub(super) fn print_table(m: &Metrics) {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec!["label", "precision", "recall", "f1", "support"]);
    for (l, s) in &m.per_label {
        t.add_row(vec![
            l.clone(),
            format!("{:.4}", s.precision),
            format!("{:.4}", s.recall),
            format!("{:.4}", s.f1),
            s.support.to_string(),
        ]);
    }
    println!("{t}");
    println!(
        "accuracy {:.4}   macro F1 {:.4}   weighted F1 {:.4}",
        m.accuracy, m.macro_f1, m.weighted_f1
    );
    if let Some(o) = &m.oos {
        println!(
            "OOS: in-scope accuracy {:.4}   recall {:.4}   precision {:.4}",
            o.in_scope_accuracy, o.recall, o.precision
        );
    }
}
