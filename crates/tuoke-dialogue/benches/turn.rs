//! One dialogue turn: analysis given → policy + context + grading + reply rendering.
//! `cargo bench -p tuoke-dialogue --bench turn`

use std::hint::black_box;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use tuoke_core::{Analysis, Dialect, Entity, EntityType, Language};
use tuoke_dialogue::{Company, ConversationState, Engine};

fn with_product(text: &str, intent: &str, name: &str, id: &str) -> Analysis {
    let mut a = Analysis::with_intent(text, intent, 0.9);
    let start = text
        .find(name)
        .map(|b| text[..b].chars().count())
        .unwrap_or(0);
    a.entities.push(Entity {
        kind: EntityType::Product,
        text: name.into(),
        start,
        end: start + name.chars().count(),
        value: json!(id),
    });
    a
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new(Arc::new(Company::demo()));
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    let fresh = engine.start(now, Language::Zh, Dialect::Cmn).state;

    // A conversation already 8 turns long (history, slots, evidence).
    let mut mid: ConversationState = fresh.clone();
    for a in [
        with_product("X20多少钱", "ask_price", "X20", "yq-vac-x20"),
        Analysis::with_intent("有什么功能", "ask_feature", 0.9),
        Analysis::with_intent("能便宜点吗", "ask_discount", 0.9),
        with_product("那X10呢", "out_of_scope", "X10", "yq-vac-x10"),
        Analysis::with_intent("多久发货", "ask_delivery", 0.9),
        Analysis::with_intent("保修多久", "ask_after_sales", 0.9),
        Analysis::with_intent("还是要第一个", "ask_price", 0.9),
        Analysis::with_intent("嗯", "affirm", 0.9),
    ] {
        mid = engine.turn(&mid, &a, now).state;
    }

    let price = with_product("扫拖机器人X20多少钱？", "ask_price", "X20", "yq-vac-x20");
    c.bench_function("dialogue_turn/price_fresh_state", |b| {
        b.iter(|| engine.turn(black_box(&fresh), black_box(&price), now))
    });
    c.bench_function("dialogue_turn/price_mid_conversation", |b| {
        b.iter(|| engine.turn(black_box(&mid), black_box(&price), now))
    });
    let faq = Analysis::with_intent("可以开发票吗？支持分期付款吗？", "ask_payment", 0.9);
    c.bench_function("dialogue_turn/faq_bm25_mid_conversation", |b| {
        b.iter(|| engine.turn(black_box(&mid), black_box(&faq), now))
    });
    let comp = Analysis::with_intent("我家现在用的是小米的门锁", "compare_competitor", 0.9);
    c.bench_function("dialogue_turn/competitor_by_name_scan", |b| {
        b.iter(|| engine.turn(black_box(&fresh), black_box(&comp), now))
    });
}

/// The real product path: raw text → shipped analyzer → one dialogue turn.
fn bench_with_analyzer(c: &mut Criterion) {
    let Ok(analyzer) = tuoke_analyze::Analyzer::shipped() else {
        eprintln!("shipped analyzer unavailable; skipping the text benchmarks");
        return;
    };
    let engine = Engine::new(Arc::new(Company::demo()));
    let now8 = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00+08:00").unwrap();
    let now = now8.to_utc();
    let fresh = engine.start(now, Language::Zh, Dialect::Cmn).state;
    for (name, text) in [
        ("text_turn/price_cmn", "扫拖机器人X20多少钱？"),
        (
            "text_turn/callback_cmn",
            "我现在在开会没空，明天下午三点再打给我吧",
        ),
        ("text_turn/price_en", "How much is the X20 Ultra?"),
        // Two questions, each retrieved from the KB passages (price + filter life).
        ("text_turn/two_questions_cmn", "A7 多少钱？滤芯多久换？"),
        // Needs → ranking → a recommendation with reasons.
        (
            "text_turn/needs_recommend_cmn",
            "想买个净化器，卧室 15 平，预算一千多",
        ),
        ("text_turn/delivery_yue", "L5 Pro 幾錢？可唔可以寄香港？"),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let a = analyzer.analyze(black_box(text), now8).unwrap();
                engine.turn(black_box(&fresh), &a, now)
            })
        });
    }
}

criterion_group!(benches, bench, bench_with_analyzer);
criterion_main!(benches);
