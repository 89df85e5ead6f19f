//! Full `Analyzer::analyze` (normalization, features, dialect, intent, sentiment, entities) on one
//! thread. `cargo bench -p tuoke-analyze --bench analyze`
//!
//! Each benchmark analyzes one utterance per iteration; `dev_mix` cycles through a fixed mix of
//! Mandarin, Cantonese, English and mixed utterances (one utterance per iteration), so its median is
//! the median per-utterance time over that mix.

use std::hint::black_box;

use chrono::{FixedOffset, TimeZone};
use criterion::{Criterion, criterion_group, criterion_main};
use tuoke_analyze::Analyzer;

const MIX: &[&str] = &[
    "这个多少钱",
    "能便宜点吗，我在用小米那款",
    "你们什么时候发货？明天下午三点前能到吗",
    "我的手机是13912345678，微信 abc_123",
    "算了，太贵了，不需要",
    "呢個幾多錢呀",
    "我哋想要二十個賬號，有冇折頭",
    "唔該幫我轉人工",
    "how much is the pro plan for 20 seats",
    "Can you deliver by next Monday?",
    "this price is a bit high, any discount?",
    "这个price可以再低点吗",
    "ok 就这样吧，谢谢",
    "你好",
    "再见",
    "今天天气怎么样",
];

fn bench(c: &mut Criterion) {
    let a = Analyzer::shipped().expect("models");
    let now = FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .unwrap();
    tuoke_nlu::warm_up();
    let mut g = c.benchmark_group("analyze");
    for (name, text) in [
        ("cmn_short", "这个多少钱"),
        (
            "cmn_entities",
            "能便宜点吗，我在用小米那款，明天下午三点打13912345678",
        ),
        ("yue", "我哋想要二十個賬號，有冇折頭"),
        ("en", "how much is the pro plan for 20 seats"),
        ("mixed", "这个price可以再低点吗"),
    ] {
        g.bench_function(name, |b| b.iter(|| a.analyze(black_box(text), now)));
    }
    let mut i = 0usize;
    g.bench_function("dev_mix", |b| {
        b.iter(|| {
            i = (i + 1) % MIX.len();
            a.analyze(black_box(MIX[i]), now)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
