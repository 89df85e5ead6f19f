//! Per-utterance cost of entity extraction (the analyzer budget is ≤ 50 µs for everything).
//! `cargo bench -p tuoke-entities --bench extract`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tuoke_entities::{Extractor, Gazetteer};

fn bench(c: &mut Criterion) {
    let gaz: Gazetteer =
        serde_json::from_str(include_str!("../tests/data/gazetteer.json")).expect("gazetteer");
    let ex = Extractor::new(&gaz).expect("extractor");
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00+08:00").expect("now");
    let cases = [
        ("short_no_entities", "好的，我再考虑一下"),
        ("short_price", "X20多少钱？三千五能卖吗"),
        ("cantonese", "我哋要10個帳號，預算五萬蚊，聽日下晝得唔得"),
        (
            "english",
            "Need 20 licenses by next Friday, budget $2000, call +852 9123 4567",
        ),
        (
            "mixed_long",
            "要5台X20，明天下午3点前报价，电话139-1234-5678，邮箱 zhang.san@example.com，微信 abc_123，我们之前用的是小米和科沃斯",
        ),
    ];
    for (name, text) in cases {
        c.bench_function(name, |b| b.iter(|| ex.extract(black_box(text), now)));
    }
    let table = include_str!("../tests/data/entities.jsonl");
    let texts: Vec<String> = table
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    c.bench_function("whole_table_per_utterance_x188", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(ex.extract(black_box(t), now));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
