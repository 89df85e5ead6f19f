//! Evaluation of the analyzer built from the written model files, per source, on text the models
//! were never trained on. Every number lands in `report.json` (quoted in docs/benchmarks.md).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, TimeZone};
use serde_json::{Value, json};
use tuoke_analyze::Analyzer;
use tuoke_core::{Dialect, OUT_OF_SCOPE};
use tuoke_nlu::{Model, evaluate};

use crate::{Args, Row, lexicon_pairs, read_jsonl};

fn rate(ok: usize, n: usize) -> f64 {
    ok as f64 / n.max(1) as f64
}

fn now() -> Result<DateTime<FixedOffset>> {
    FixedOffset::east_opt(8 * 3600)
        .context("tz")?
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .single()
        .context("time")
}

/// Evaluate the full pipeline of the analyzer built from the written model files.
pub(crate) fn evaluate_all(a: &Args, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let load = |n: &str| {
        Model::load(a.out.join(format!("{n}.tkm"))).with_context(|| format!("loading {n}"))
    };
    let an = Analyzer::from_parts(
        load("intent")?,
        load("sentiment")?,
        load("dialect")?,
        lexicon_pairs(&a.repo)?,
        tuoke_analyze::gazetteer::demo()?,
    )?;
    intent(a, &an, report)?;
    dialect(a, &an, report)?;
    sentiment(a, &an, report)?;
    Ok(())
}

fn intent(a: &Args, an: &Analyzer, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let now = now()?;
    // Dev split of every variety, through the whole analyzer (dialect decides the lexicon).
    let mut gold = Vec::new();
    let mut pred = Vec::new();
    let mut per_variety = BTreeMap::new();
    for v in ["cmn", "yue", "en"] {
        let rows = read_jsonl(&a.repo.join(format!("data/intents/{v}.dev.jsonl")))?;
        let (mut g, mut p) = (Vec::new(), Vec::new());
        for r in &rows {
            let l = match an.analyze(&r.text, now) {
                Ok(x) => x.intent.label,
                Err(_) => "<error>".to_string(),
            };
            g.push(r.label.clone());
            p.push(l);
        }
        let m = evaluate(&g, &p, Some(OUT_OF_SCOPE))?;
        per_variety.insert(
            v.to_string(),
            json!({"accuracy": m.accuracy, "macro_f1": m.macro_f1, "n": rows.len()}),
        );
        gold.extend(g);
        pred.extend(p);
    }
    let m = evaluate(&gold, &pred, Some(OUT_OF_SCOPE))?;
    eprintln!(
        "intent dev: accuracy {:.4} macro-F1 {:.4} {per_variety:?}",
        m.accuracy, m.macro_f1
    );
    report.insert(
        "intent_dev".into(),
        json!({"metrics": m, "per_variety": per_variety}),
    );

    // Customer turns that are not sales talk (voice-assistant / chat queries): how many end up
    // out_of_scope, and which sales labels absorb the rest.
    let Some(sh) = &a.shared else { return Ok(()) };
    let mut oos = BTreeMap::new();
    for (name, rel) in [
        ("smp2017_test_cmn", "datasets/smp2017_intent_zh/test.jsonl"),
        ("snips_test_en", "datasets/snips_intent_slots_en/test.jsonl"),
    ] {
        let p = sh.join(rel);
        if !p.exists() {
            continue;
        }
        let rows = read_jsonl(&p)?;
        let mut labels: BTreeMap<String, usize> = BTreeMap::new();
        for r in &rows {
            let l = an
                .analyze(&r.text, now)
                .map(|x| x.intent.label)
                .unwrap_or_else(|_| "<error>".into());
            *labels.entry(l).or_default() += 1;
        }
        let n_oos = labels.get(OUT_OF_SCOPE).copied().unwrap_or(0);
        let mut top: Vec<(String, usize)> = labels.into_iter().collect();
        top.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        top.truncate(6);
        let v = json!({"n": rows.len(), "out_of_scope_rate": rate(n_oos, rows.len()), "top_labels": top});
        eprintln!("non-sales turns {name}: {v}");
        oos.insert(name.to_string(), v);
    }
    report.insert("intent_non_sales_turns".into(), json!(oos));
    Ok(())
}

fn dialect(a: &Args, an: &Analyzer, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let path = a.data.join("dialect.eval.jsonl");
    if !path.exists() {
        return Ok(());
    }
    let rows = read_jsonl(&path)?;
    // source -> (ok, n); also source_script and marked-only subsets.
    let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    // The same, by the dialect model alone (P(yue) >= threshold, the rule before the evidence gate).
    let mut model_only: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let thr = an.dialect_threshold();
    let mut all_errors = Vec::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut pred_yue, mut true_pred_yue) = (0usize, 0usize);
    let get = |r: &Row, k: &str| {
        r.extra
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    for r in &rows {
        let (d, p) = an.dialect_of(&r.text);
        let is_yue = r.label == "yue";
        let ok = (d == Dialect::Yue) == is_yue;
        let m_yue =
            tuoke_analyze::language::detect(&r.text) != tuoke_core::Language::En && p >= thr;
        let m_ok = m_yue == is_yue;
        if d == Dialect::Yue {
            pred_yue += 1;
            true_pred_yue += usize::from(is_yue);
        }
        let source = get(r, "source");
        let script = get(r, "script");
        let marked = r.extra.get("marked").and_then(Value::as_bool) == Some(true);
        let mut keys = vec![source.clone(), format!("{source}/{script}")];
        if is_yue && marked {
            keys.push(format!("{source}/marked"));
        }
        for k in keys {
            let e = model_only.entry(k.clone()).or_default();
            e.0 += usize::from(m_ok);
            e.1 += 1;
            let e = groups.entry(k).or_default();
            e.0 += usize::from(ok);
            e.1 += 1;
        }
        if !ok {
            all_errors.push(format!("{source}\t{}\t{p:.3}\t{}", r.label, r.text));
        }
        let errs = errors.entry(source).or_default();
        if !ok && errs.len() < 12 {
            errs.push(format!(
                "{} (p_yue {p:.2})",
                r.text.chars().take(40).collect::<String>()
            ));
        }
    }
    let mut g: BTreeMap<String, Value> = groups
        .into_iter()
        .map(|(k, (ok, n))| {
            let m = model_only.get(&k).copied().unwrap_or_default();
            (
                k,
                json!({"accuracy": rate(ok, n), "n": n, "model_only_accuracy": rate(m.0, m.1)}),
            )
        })
        .collect();
    g.insert(
        "yue_precision".into(),
        json!({"precision": rate(true_pred_yue, pred_yue), "predicted_yue": pred_yue}),
    );
    for (k, v) in &g {
        eprintln!("dialect {k}: {v}");
    }
    for (k, v) in &errors {
        eprintln!("dialect errors {k}: {v:?}");
    }
    // Every error, for inspection: target/model-data/dialect.errors.tsv.
    std::fs::write(a.data.join("dialect.errors.tsv"), all_errors.join("\n"))?;
    report.insert("dialect_eval".into(), json!(g));
    Ok(())
}

/// Binary accuracy by the sign of the score on a positive/negative set.
fn binary(an: &Analyzer, path: &Path, out: &Path) -> Result<Value> {
    let now = now()?;
    let rows = read_jsonl(path)?;
    let mut errors = Vec::new();
    let (mut ok, mut neutral) = (0usize, 0usize);
    for r in &rows {
        let s = an.analyze(&r.text, now).map(|x| x.sentiment);
        let (label, score) = match s {
            Ok(s) => (format!("{:?}", s.label).to_lowercase(), s.score),
            Err(_) => ("error".into(), 0.0),
        };
        neutral += usize::from(label == "neutral");
        let bin = if score >= 0.0 { "positive" } else { "negative" };
        ok += usize::from(bin == r.label);
        if bin != r.label {
            errors.push(format!("{}\t{label}\t{score:.2}\t{}", r.label, r.text));
        }
    }
    // Every error, for inspection: target/model-data/<file stem>.errors.tsv.
    let stem = path
        .parent()
        .and_then(|p| p.file_name())
        .map_or_else(|| "sentiment".into(), |s| s.to_string_lossy().into_owned());
    std::fs::write(out.join(format!("{stem}.errors.tsv")), errors.join("\n"))?;
    Ok(
        json!({"n": rows.len(), "accuracy_sign_of_score": rate(ok, rows.len()),
              "predicted_neutral": neutral}),
    )
}

fn sentiment(a: &Args, an: &Analyzer, report: &mut BTreeMap<String, Value>) -> Result<()> {
    let now = now()?;
    if let Some(sh) = &a.shared {
        for (name, rel) in [
            (
                "sentiment_chnsenticorp_test",
                "datasets/chnsenticorp_sentiment_zh/test.jsonl",
            ),
            (
                "sentiment_conversation",
                "datasets/conversation_sentiment_zh/test.jsonl",
            ),
        ] {
            let p = sh.join(rel);
            if p.exists() {
                let v = binary(an, &p, &a.data)?;
                eprintln!("{name}: {v}");
                report.insert(name.into(), v);
            }
        }
    }
    // The project's sales-talk table (3 classes, written before tuning, never trained on).
    let rows = read_jsonl(&a.repo.join("data/sentiment/eval_sales.jsonl"))?;
    let mut by: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut errors = Vec::new();
    for r in &rows {
        let v = r
            .extra
            .get("variety")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let p = an
            .analyze(&r.text, now)
            .map(|x| format!("{:?}", x.sentiment.label).to_lowercase())
            .unwrap_or_else(|_| "error".into());
        if p != r.label && errors.len() < 40 {
            errors.push(format!("{} [{}→{p}]", r.text, r.label));
        }
        for k in [v, "all"] {
            let e = by.entry(k.to_string()).or_default();
            e.0.push(r.label.clone());
            e.1.push(p.clone());
        }
    }
    let mut out = BTreeMap::new();
    for (k, (g, p)) in &by {
        let m = evaluate(g, p, None)?;
        out.insert(
            k.clone(),
            json!({"accuracy": m.accuracy, "macro_f1": m.macro_f1, "n": g.len()}),
        );
    }
    eprintln!("sentiment eval_sales: {out:?}\n  errors: {errors:#?}");
    report.insert("sentiment_eval_sales".into(), json!(out));
    Ok(())
}
