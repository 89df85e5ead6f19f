//! No panic and well-formed spans on any input.

use chrono::DateTime;
use proptest::prelude::*;
use tuoke_entities::{Extractor, Gazetteer, GazetteerEntry};

fn extractor() -> Extractor {
    let gaz = Gazetteer {
        products: vec![GazetteerEntry {
            id: "p".into(),
            names: vec!["X20".into(), "扫地机".into(), "".into(), "  ".into()],
        }],
        competitors: vec![GazetteerEntry {
            id: "c".into(),
            names: vec!["華為".into(), "ｍｉ".into()],
        }],
    };
    Extractor::new(&gaz).expect("builds")
}

fn check(ex: &Extractor, text: &str, now_s: &str) {
    let now = DateTime::parse_from_rfc3339(now_s).expect("valid now");
    let n = text.chars().count();
    let ents = ex.extract(text, now);
    let mut last_end = 0;
    for e in &ents {
        assert!(e.start < e.end && e.end <= n, "bad span {e:?} in {text:?}");
        assert!(e.start >= last_end, "overlap/order {ents:?} in {text:?}");
        last_end = e.end;
        let span: String = text.chars().skip(e.start).take(e.end - e.start).collect();
        assert_eq!(span, e.text);
    }
}

/// Characters that the rules care about, so random strings hit the interesting paths.
const ALPHABET: &[&str] = &[
    "0", "1", "3", "5", "8", "9", "１", "３", "一", "两", "三", "十", "百", "千", "万", "萬", "零",
    "幺", "点", "點", "半", "号", "月", "日", "周", "星期", "礼拜", "下", "个", "個", "台", "套",
    "账号", "人", "元", "块", "蚊", "¥", "$", "HK$", "k", "w", "-", " ", "/", ":", ".", ",", "@",
    "＠", "a", "b", "x", "微信", "vx", "+86", "+852", "明天", "后天", "今晚", "下午", "pm", "am",
    "tomorrow", "next", "monday", "in", "two", "hours", "小时", "后", "底", "X20", "華為", "ｍｉ",
    "🙂", "\u{0301}", "\u{200d}", "é", "İ",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let ex = extractor();
        check(&ex, &s, "2026-11-25T10:00:00+08:00");
    }

    #[test]
    fn rule_heavy_text_never_panics(parts in proptest::collection::vec(0..ALPHABET.len(), 0..40),
                                    now in prop_oneof![
                                        Just("2026-11-25T10:00:00+08:00"),
                                        Just("2026-12-31T23:59:59-05:00"),
                                        Just("2024-02-29T00:00:00+00:00"),
                                        Just("9999-12-31T23:59:59+14:00"),
                                        Just("0001-01-01T00:00:00+00:00"),
                                    ]) {
        let ex = extractor();
        let s: String = parts.iter().map(|&i| ALPHABET[i]).collect();
        check(&ex, &s, now);
    }
}

#[test]
fn long_and_odd_inputs() {
    let ex = extractor();
    for s in [
        String::new(),
        "9".repeat(100_000),
        "一".repeat(50_000),
        "万".repeat(5_000) + "元",
        "1".repeat(400) + "元",
        "下周".repeat(10_000),
        "13912345678 ".repeat(2_000),
        "微信 ".repeat(10_000) + "abcdefg",
        "a@".repeat(20_000),
    ] {
        check(&ex, &s, "2026-11-25T10:00:00+08:00");
    }
}
