//! The retrieval table (`data/retrieval/`): customer questions in three varieties labelled with
//! the KB passages that answer them, or with none. Each question goes through the real path —
//! shipped analyzer (clauses, intents) → the engine's per-question answers
//! ([`Engine::question_answers`]) — and the first answer given is scored:
//! * **top-1**: on answerable questions, the answer quotes one of the labelled passages (a price
//!   answer counts as `product:<id>:price`);
//! * **no answer**: the engine answered nothing; precision and recall of that against the
//!   questions the KB cannot answer.
//!
//! `retrieval_dev_threshold_sweep` prints the sweep of [`answer::MIN_SCORE`] on the dev table
//! (run with `--nocapture`); `retrieval_dev_tuning` (ignored: slow) searches the focus boosts on
//! the dev table; `retrieval_test_table` holds the test-table floors.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::{Value, json};
use tuoke_analyze::Analyzer;
use tuoke_core::{Dialect, Language};
use tuoke_dialogue::answer::{self, Answer, AnswerKind, Tuning};
use tuoke_dialogue::kb::Boosts;
use tuoke_dialogue::{ConversationState, Engine};

#[derive(Deserialize)]
struct Row {
    text: String,
    variety: String,
    answers: Vec<String>,
    #[serde(default)]
    product: Option<String>,
}

fn rows(src: &str) -> Vec<Row> {
    src.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect()
}

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| Analyzer::shipped().expect("shipped analyzer loads"))
}

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00+08:00").unwrap()
}

/// The passage id an answer stands for.
fn answered_id(a: &Answer) -> String {
    match (a.kind, &a.passage) {
        (_, Some(p)) => p.clone(),
        (AnswerKind::Price, None) => a
            .citations
            .first()
            .map(|c| format!("{c}:price"))
            .unwrap_or_default(),
        (AnswerKind::Compare, None) => "compare".into(),
        (AnswerKind::Passage, None) => String::new(),
    }
}

/// The state a question is asked in: a fresh conversation in the row's variety, with the row's
/// product in context.
fn state_for(engine: &Engine, row: &Row) -> ConversationState {
    let (lang, dialect) = match row.variety.as_str() {
        "yue" => (Language::Zh, Dialect::Yue),
        "en" => (Language::En, Dialect::Cmn),
        _ => (Language::Zh, Dialect::Cmn),
    };
    let mut st = engine.start(common::t0(), lang, dialect).state;
    if let Some(p) = &row.product {
        st.slots.insert("product".into(), json!(p));
        st.slots.insert("products_mentioned".into(), json!([p]));
    }
    st
}

/// What the engine answered each row with (first answer's passage id, if any).
fn predictions(engine: &Engine, rows: &[Row], tuning: &Tuning) -> Vec<Option<String>> {
    rows.iter()
        .map(|r| {
            let a = analyzer().analyze(&r.text, now()).expect("analyzable");
            let st = state_for(engine, r);
            let (_, asked) = engine.question_answers(&st, &a, common::t0(), tuning);
            asked
                .into_iter()
                .find_map(|q| q.answer)
                .map(|a| answered_id(&a))
        })
        .collect()
}

/// Why a row went wrong: each question's query tokens and best passages.
fn explain(engine: &Engine, r: &Row) -> String {
    let a = analyzer().analyze(&r.text, now()).expect("analyzable");
    let lines = engine.explain_questions(&state_for(engine, r), &a, common::t0());
    if lines.is_empty() {
        return format!("\n      no question clause (intent {})", a.intent.label);
    }
    lines.iter().map(|l| format!("\n      {l}")).collect()
}

#[derive(Default, Debug, Clone, Copy)]
struct Score {
    answerable: usize,
    top1: usize,
    unanswerable: usize,
    /// Said nothing, rightly.
    none_right: usize,
    /// Said nothing although the KB answers.
    none_wrong: usize,
}

impl Score {
    fn add(&mut self, row: &Row, pred: &Option<String>) {
        if row.answers.is_empty() {
            self.unanswerable += 1;
            if pred.is_none() {
                self.none_right += 1;
            }
        } else {
            self.answerable += 1;
            match pred {
                Some(p) if row.answers.contains(p) => self.top1 += 1,
                None => self.none_wrong += 1,
                Some(_) => {}
            }
        }
    }
    fn top1(&self) -> f64 {
        self.top1 as f64 / self.answerable.max(1) as f64
    }
    fn none_precision(&self) -> f64 {
        let said_none = self.none_right + self.none_wrong;
        if said_none == 0 {
            1.0
        } else {
            self.none_right as f64 / said_none as f64
        }
    }
    fn none_recall(&self) -> f64 {
        self.none_right as f64 / self.unanswerable.max(1) as f64
    }
}

fn score(rows: &[Row], preds: &[Option<String>]) -> (Score, BTreeMap<String, Score>) {
    let mut all = Score::default();
    let mut by: BTreeMap<String, Score> = BTreeMap::new();
    for (r, p) in rows.iter().zip(preds) {
        all.add(r, p);
        by.entry(r.variety.clone()).or_default().add(r, p);
    }
    (all, by)
}

fn report(name: &str, all: &Score, by: &BTreeMap<String, Score>) -> Value {
    let line = |s: &Score| {
        json!({"answerable": s.answerable, "top1": s.top1(), "unanswerable": s.unanswerable,
               "no_answer_precision": s.none_precision(), "no_answer_recall": s.none_recall()})
    };
    let v = json!({"table": name, "all": line(all),
                   "by_variety": by.iter().map(|(k, s)| (k.clone(), line(s))).collect::<BTreeMap<_, _>>()});
    println!("{v}");
    v
}

fn engine() -> Engine {
    Engine::new(common::demo())
}

/// Every wrong answer of a table with its explanation (on stderr).
fn print_misses(e: &Engine, rows: &[Row], preds: &[Option<String>]) {
    for (r, p) in rows.iter().zip(preds) {
        let ok = if r.answers.is_empty() {
            p.is_none()
        } else {
            p.as_ref().is_some_and(|p| r.answers.contains(p))
        };
        if !ok {
            eprintln!(
                "MISS [{}] {} → {:?} (want {:?}){}",
                r.variety,
                r.text,
                p,
                r.answers,
                explain(e, r)
            );
        }
    }
}

#[test]
fn retrieval_test_table() {
    let rows = rows(include_str!("../../../data/retrieval/demo.test.jsonl"));
    assert!(rows.len() >= 180, "table has {} rows", rows.len());
    let e = engine();
    let preds = predictions(&e, &rows, &answer::TUNING);
    print_misses(&e, &rows, &preds);
    let (all, by) = score(&rows, &preds);
    report("demo.test", &all, &by);
    // Floors at the measured numbers (docs/benchmarks.md): they only move up, with one
    // exception, said there: two unanswerable rows ("洗碗機使唔使落洗碗鹽", "你哋有冇賣抽濕機")
    // were refused only because the engine misread them as a refusal / a competitor comparison
    // (which ended or derailed the talk); read right, they reach retrieval and score above the
    // threshold. No-answer recall 0.639 → 0.583 on 2026-12-07; session 11: top-1 0.814,
    // no-answer precision 0.636; session 12: 0.823, 0.656. Session 13 (the second exception):
    // the no-concept boost turns one wrong answer ("有冇email可以联络你哋" → the dishwasher
    // installation entry) into "no answer" although the row is answerable, so precision
    // 0.656 → 0.636 while a miss is fixed and the dev table gains (docs/benchmarks.md); later
    // in the session (concepts for e-mail, repairs, privacy; English phrases start a word) the
    // table reached top-1 0.832, precision 0.677, and 0.845 with the intent's passage kind ×1.1.
    assert!(all.top1() >= 0.84, "top-1 {:.3}", all.top1());
    assert!(
        all.none_precision() >= 0.67 && all.none_recall() >= 0.58,
        "no-answer P {:.3} R {:.3}",
        all.none_precision(),
        all.none_recall()
    );
}

/// One point of a dev sweep, printed: its utility (right answers plus right silences, balanced).
fn dev_point(e: &Engine, rows: &[Row], tuning: &Tuning, label: &str) -> f64 {
    let preds = predictions(e, rows, tuning);
    let (all, _) = score(rows, &preds);
    let util = (all.top1 + all.none_right) as f64 / rows.len() as f64;
    println!(
        "{label}: top-1 {:.3}  no-answer P {:.3} R {:.3}  utility {util:.3}",
        all.top1(),
        all.none_precision(),
        all.none_recall()
    );
    util
}

#[test]
fn retrieval_dev_threshold_sweep() {
    let rows = rows(include_str!("../../../data/retrieval/demo.dev.jsonl"));
    let e = engine();
    let mut best = (f64::MIN, 0.0f32);
    for step in 0..=24 {
        let t = step as f32 * 0.5;
        let tuning = Tuning {
            min_score: t,
            ..answer::TUNING
        };
        let util = dev_point(&e, &rows, &tuning, &format!("min_score {t:>4.1}"));
        if util > best.0 {
            best = (util, t);
        }
    }
    println!("best dev threshold {:.1} (utility {:.3})", best.1, best.0);
    // The coverage rule: a fully matched short question answers from a lower score.
    let mut best_cov = (f64::MIN, 0.0f32, 0.0f32);
    for cov in [0.6, 0.7, 0.8, 0.9, 1.1] {
        for low in [2.0, 3.0, 4.0, 5.0] {
            let tuning = Tuning {
                min_coverage: cov,
                covered_min_score: low,
                ..answer::TUNING
            };
            let label = format!("min_coverage {cov:.1} from score {low:.1}");
            let util = dev_point(&e, &rows, &tuning, &label);
            if util > best_cov.0 {
                best_cov = (util, cov, low);
            }
        }
    }
    println!(
        "best dev coverage rule {:.1} from {:.1} (utility {:.3})",
        best_cov.1, best_cov.2, best_cov.0
    );
    for unmet in [1.0, 1.2, 1.5, 2.0, 3.0] {
        let tuning = Tuning {
            unmet_want: unmet,
            ..answer::TUNING
        };
        dev_point(&e, &rows, &tuning, &format!("unmet want x{unmet:.1}"));
    }
    // One boost at a time, the others as shipped.
    type SetBoost = fn(&mut tuoke_dialogue::kb::Boosts, f32);
    let sweeps: [(&str, &[f32], SetBoost); 3] = [
        ("all concepts", &[1.0, 1.2, 1.5, 2.0], |b, x| {
            b.all_concepts = x
        }),
        ("other place", &[1.0, 0.8, 0.6, 0.4], |b, x| {
            b.other_place = x
        }),
        ("money want", &[1.3, 2.0, 3.0], |b, x| b.wanted_money = x),
    ];
    for (label, values, set) in sweeps {
        for &x in values {
            let mut tuning = answer::TUNING;
            set(&mut tuning.boosts, x);
            dev_point(&e, &rows, &tuning, &format!("{label} x{x:.1}"));
        }
    }
    for (topic, place) in [(1.0, 2.0), (1.2, 2.0), (1.4, 2.0), (1.0, 3.0), (1.3, 3.0)] {
        let tuning = Tuning {
            boosts: tuoke_dialogue::kb::Boosts {
                topic,
                wanted_place: place,
                ..answer::TUNING.boosts
            },
            ..answer::TUNING
        };
        dev_point(
            &e,
            &rows,
            &tuning,
            &format!("topic boost {topic:.1}, place {place:.1}"),
        );
    }
    let preds = predictions(&e, &rows, &answer::TUNING);
    print_misses(&e, &rows, &preds);
    let (all, by) = score(&rows, &preds);
    report("demo.dev", &all, &by);
    let at_min = (all.top1 + all.none_right) as f64 / rows.len() as f64;
    assert!(
        at_min + 0.02 >= best.0,
        "MIN_SCORE {} is not (near) the dev optimum {:.1}: {at_min:.3} vs {:.3}",
        answer::MIN_SCORE,
        best.1,
        best.0
    );
}

/// Grid search of the focus boosts and the threshold on the dev table (about a minute):
/// `cargo test --release -p tuoke-dialogue --test retrieval retrieval_dev_tuning -- --ignored --nocapture`.
#[test]
#[ignore]
fn retrieval_dev_tuning() {
    let rows = rows(include_str!("../../../data/retrieval/demo.dev.jsonl"));
    let e = engine();
    let mut best: Option<(f64, Tuning)> = None;
    for named in [1.3, 1.6, 2.0] {
        for unnamed in [0.2, 0.5] {
            for faq_focused in [0.6, 0.75, 0.9, 1.0] {
                for intent_kind in [1.0, 1.2, 1.4] {
                    for min_score in [3.0, 4.0, 5.0, 6.0] {
                        let tuning = Tuning {
                            min_score,
                            min_coverage: answer::MIN_COVERAGE,
                            covered_min_score: answer::COVERED_MIN_SCORE,
                            unmet_want: answer::UNMET_WANT,
                            boosts: Boosts {
                                named,
                                unnamed,
                                faq_focused,
                                intent_kind,
                                ..Boosts::DEFAULT
                            },
                        };
                        let preds = predictions(&e, &rows, &tuning);
                        let (all, _) = score(&rows, &preds);
                        let util = (all.top1 + all.none_right) as f64 / rows.len() as f64;
                        if best.is_none_or(|(u, _)| util > u) {
                            println!("{util:.3} {tuning:?}");
                            best = Some((util, tuning));
                        }
                    }
                }
            }
        }
    }
    let (util, tuning) = best.expect("a grid point");
    println!("best on dev: {util:.3} with {tuning:?}");
    assert!(util > 0.0);
}
