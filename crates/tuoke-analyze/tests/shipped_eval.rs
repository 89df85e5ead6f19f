//! Evaluations of the shipped models on held-out data, with floors.
//!
//! * dialect: per source, every line in both scripts, none trained on: Cantonese ctcpc lines held out
//!   from training (index % 10 == 0, the rule of `scripts/prep-dialect.py`) that carry a
//!   written-Cantonese character, the project's evaluation-only Cantonese lines
//!   (`data/dialect/eval_yue_sales.txt`); Mandarin texts of SMP2017, ChnSentiCorp test and the
//!   conversation_sentiment_zh chat turns (`../shared`).
//! * sentiment: ChnSentiCorp test and the conversation_sentiment_zh chat turns (binary, sign of the
//!   score; neither trained on), and the project's sales-talk table `data/sentiment/eval_sales.jsonl`.
//! * intent: the project's dev split (data/intents/*.dev.jsonl), through the whole analyzer.
//! * lexicon: data/lexicon/yue_cmn_tests.tsv.
//!
//! Tests needing `../shared` skip with a printed reason when it is missing, and fail instead when
//! `TUOKE_REQUIRE_ALL=1`.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, TimeZone};
use tuoke_analyze::Analyzer;
use tuoke_core::Dialect;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("TUOKE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared"));
    if p.join("datasets").is_dir() {
        return Some(p);
    }
    tuoke_testkit::skip(
        "shipped_eval",
        &format!("../shared not found at {} (set TUOKE_SHARED)", p.display()),
    );
    None
}

fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .unwrap()
}

fn jsonl_texts(path: &std::path::Path) -> Vec<(String, String)> {
    let t = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    t.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["text"].as_str().unwrap_or("").to_string(),
                v["label"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Written-Cantonese characters (Wikipedia "Written Cantonese"); tags the held-out ctcpc lines a
/// reader can tell are Cantonese at all. Same list as scripts/prep-dialect.py. Not used by the model.
const CANTONESE_CHARS: &str =
    "嘅係唔咗喺哋咁嘢冇佢啲睇俾畀嚟噉啱嗰乜嘞囉咩吖啫㗎喎咪咋攞搵諗揾嬲瞓冚嚿邊噃";

/// Every text of a source in both scripts (the original and its conversion).
fn both_scripts(texts: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    for t in texts {
        let t = t.trim().to_string();
        if t.is_empty() {
            continue;
        }
        out.push(character_converter::traditional_to_simplified(&t).into_owned());
        out.push(character_converter::simplified_to_traditional(&t).into_owned());
    }
    out
}

/// Dialect accuracy per evaluation source (the sources of `scripts/prep-dialect.py`, none trained
/// on), both scripts; the floors are the release numbers of docs/benchmarks.md rounded down.
#[test]
fn dialect_per_source_both_scripts() {
    let Some(sh) = shared() else { return };
    let a = Analyzer::shipped().unwrap();
    let ds = sh.join("datasets");
    let texts = |rel: &str| -> Vec<String> {
        jsonl_texts(&ds.join(rel))
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    };
    let ctcpc: Vec<String> = texts("cantonese_text_yue/ctcpc.jsonl")
        .into_iter()
        .enumerate()
        .filter(|(i, t)| i % 10 == 0 && t.chars().any(|c| CANTONESE_CHARS.contains(c)))
        .map(|(_, t)| t)
        .collect();
    let yue_sales: Vec<String> =
        std::fs::read_to_string(workspace().join("data/dialect/eval_yue_sales.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
    let mut smp = Vec::new();
    for split in ["train", "dev", "test"] {
        smp.extend(texts(&format!("smp2017_intent_zh/{split}.jsonl")));
    }
    // (source, is Cantonese, texts, floor)
    let sources = [
        ("ctcpc_heldout (marked)", true, both_scripts(ctcpc), 0.99),
        ("yue_sales", true, both_scripts(yue_sales), 0.98),
        ("smp2017", false, both_scripts(smp), 0.995),
        (
            "chnsenticorp_test",
            false,
            both_scripts(texts("chnsenticorp_sentiment_zh/test.jsonl")),
            0.995,
        ),
        (
            "conversation",
            false,
            both_scripts(texts("conversation_sentiment_zh/test.jsonl")),
            0.995,
        ),
    ];
    let (mut pred_yue, mut true_yue) = (0usize, 0usize);
    for (name, yue, rows, floor) in &sources {
        let mut ok = 0usize;
        let mut errors = Vec::new();
        for t in rows {
            let said_yue = a.dialect_of(t).0 == Dialect::Yue;
            pred_yue += usize::from(said_yue);
            true_yue += usize::from(said_yue && *yue);
            if said_yue == *yue {
                ok += 1;
            } else if errors.len() < 5 {
                errors.push(t.chars().take(30).collect::<String>());
            }
        }
        let acc = ok as f64 / rows.len().max(1) as f64;
        eprintln!("dialect {name}: {acc:.4} (n={}) {errors:?}", rows.len());
        assert!(!rows.is_empty(), "{name}: no rows");
        assert!(acc >= *floor, "dialect {name}: {acc} < {floor}: {errors:?}");
    }
    let precision = true_yue as f64 / pred_yue.max(1) as f64;
    eprintln!("dialect yue precision: {precision:.4} (predicted yue {pred_yue})");
    assert!(precision >= 0.998, "yue precision {precision}");
}

/// Binary accuracy (sign of the sentiment score) on a positive/negative JSONL set.
fn sentiment_sign_accuracy(a: &Analyzer, rows: &[(String, String)]) -> f64 {
    let ok = rows
        .iter()
        .filter(|(t, label)| {
            let score = a
                .analyze(t, now())
                .map(|r| r.sentiment.score)
                .unwrap_or(0.0);
            let bin = if score >= 0.0 { "positive" } else { "negative" };
            bin == label
        })
        .count();
    ok as f64 / rows.len().max(1) as f64
}

#[test]
fn sentiment_on_chnsenticorp_test_and_chat_turns() {
    let Some(sh) = shared() else { return };
    let a = Analyzer::shipped().unwrap();
    for (name, rel, floor) in [
        (
            "ChnSentiCorp test",
            "chnsenticorp_sentiment_zh/test.jsonl",
            0.90,
        ),
        ("chat turns", "conversation_sentiment_zh/test.jsonl", 0.80),
    ] {
        let rows = jsonl_texts(&sh.join("datasets").join(rel));
        assert!(!rows.is_empty(), "{rel}: no rows");
        let acc = sentiment_sign_accuracy(&a, &rows);
        eprintln!(
            "sentiment {name}, sign of score: {acc:.4} (n={})",
            rows.len()
        );
        assert!(acc >= floor, "{name} sentiment accuracy {acc} < {floor}");
    }
}

/// The project's sales-talk table (3 classes, evaluation only), per variety.
#[test]
fn sentiment_on_sales_talk_table() {
    let a = Analyzer::shipped().unwrap();
    let text =
        std::fs::read_to_string(workspace().join("data/sentiment/eval_sales.jsonl")).unwrap();
    let mut by: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let t = v["text"].as_str().unwrap_or("");
        let got = a
            .analyze(t, now())
            .map(|r| format!("{:?}", r.sentiment.label).to_lowercase())
            .unwrap_or_default();
        let ok = usize::from(got == v["label"].as_str().unwrap_or(""));
        for k in [v["variety"].as_str().unwrap_or("?"), "all"] {
            let e = by.entry(k.to_string()).or_default();
            e.0 += ok;
            e.1 += 1;
        }
    }
    for (k, (ok, n)) in &by {
        let acc = *ok as f64 / (*n).max(1) as f64;
        eprintln!("sentiment sales table {k}: {acc:.4} (n={n})");
        // The release numbers of docs/benchmarks.md (all 0.887, cmn 0.925, yue 0.889, en 0.838),
        // rounded down.
        let floor = match k.as_str() {
            "all" => 0.88,
            "en" => 0.83,
            _ => 0.88,
        };
        assert!(acc >= floor, "sales sentiment {k}: {acc} < {floor}");
    }
}

#[test]
fn intent_dev_accuracy_per_variety() {
    let a = Analyzer::shipped().unwrap();
    let mut total = (0usize, 0usize);
    for v in ["cmn", "yue", "en"] {
        let rows = jsonl_texts(&workspace().join(format!("data/intents/{v}.dev.jsonl")));
        let ok = rows
            .iter()
            .filter(|(t, l)| {
                a.analyze(t, now())
                    .map(|r| &r.intent.label == l)
                    .unwrap_or(false)
            })
            .count();
        let acc = ok as f64 / rows.len() as f64;
        eprintln!("intent dev {v}: {acc:.4} (n={})", rows.len());
        // The release numbers of docs/benchmarks.md (0.874 / 0.945 / 0.953), rounded down.
        let floor = match v {
            "cmn" => 0.87,
            "yue" => 0.94,
            _ => 0.95,
        };
        assert!(acc >= floor, "{v} intent dev accuracy {acc} < {floor}");
        total.0 += ok;
        total.1 += rows.len();
    }
    let acc = total.0 as f64 / total.1 as f64;
    assert!(acc >= 0.92, "intent dev accuracy {acc}");
}

#[test]
fn cantonese_lexicon_test_table() {
    let path = workspace().join("data/lexicon/yue_cmn_tests.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let a = Analyzer::shipped().unwrap();
    let (mut ok, mut n) = (0usize, 0usize);
    let mut failures = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(input), Some(expected)) = (cols.next(), cols.next()) else {
            continue;
        };
        if input == "input" || input == "yue" {
            continue; // header
        }
        let got = a.normalize_for(input, Dialect::Yue);
        let want = a.normalize_for(expected, Dialect::Cmn);
        n += 1;
        if got == want {
            ok += 1;
        } else if failures.len() < 20 {
            failures.push(format!("{input} -> {got} (want {want})"));
        }
    }
    assert!(n > 0, "no test rows in {}", path.display());
    let rate = ok as f64 / n as f64;
    eprintln!("lexicon tests: {ok}/{n}; first failures: {failures:#?}");
    assert!(rate >= 0.9, "lexicon test pass rate {rate}: {failures:#?}");
}

/// The shipped sentiment model reads its polarity lexicon with negation (`pol:*` features,
/// tuoke-nlu `polarity.rs`): lexicon words inside a chat turn, negated ones flipped.
#[test]
fn sentiment_reads_lexicon_words_and_negation() {
    let a = Analyzer::shipped().unwrap();
    let score = |t: &str| a.analyze(t, now()).unwrap().sentiment.score;
    for t in [
        "好难过想淋雨",
        "一点都不满意",
        "今天不开心",
        "not happy with this",
    ] {
        assert!(score(t) < 0.0, "{t}: {}", score(t));
    }
    for t in ["今天好开心", "并不难过", "挺满意的"] {
        assert!(score(t) > 0.0, "{t}: {}", score(t));
    }
}
