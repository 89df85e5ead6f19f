//! Unit tests of the clause splitter.

use super::*;

fn parts(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    split(text)
        .into_iter()
        .map(|(s, e)| chars[s..e].iter().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn voice_typed_questions_without_punctuation_split() {
    assert_eq!(
        parts("a7多少钱滤芯多久换一次能不能便宜点"),
        ["a7多少钱", "滤芯多久换一次", "能不能便宜点"]
    );
    assert_eq!(
        parts("我想問下個空氣清新機a7幾多錢呀濾網幾耐換一次有冇得平啲"),
        [
            "我想問下個空氣清新機a7幾多錢呀",
            "濾網幾耐換一次",
            "有冇得平啲"
        ]
    );
    assert_eq!(
        parts("the x20 ultra how much and the mop can wash by itself or not"),
        [
            "the x20 ultra how much",
            "and the mop can wash by itself or not"
        ]
    );
    // One question stays whole.
    assert_eq!(parts("x10多少钱"), ["x10多少钱"]);
    assert_eq!(parts("有没有便宜点的"), ["有没有便宜点的"]);
    assert_eq!(parts("你们能不能开发票"), ["你们能不能开发票"]);
}

#[test]
fn a_space_between_chinese_questions_splits_like_a_comma() {
    assert_eq!(parts("几钱 保养几耐"), ["几钱", "保养几耐"]);
    assert_eq!(
        parts("我屋企得400呎 够唔够佢扫"),
        ["我屋企得400呎 够唔够佢扫"]
    );
    assert_eq!(parts("X10 多少钱"), ["X10 多少钱"]);
}

#[test]
fn a_two_character_price_question_stays_a_clause() {
    assert_eq!(
        parts("幾錢？寄香港要幾耐、使唔使運費？"),
        ["幾錢？", "寄香港要幾耐、", "使唔使運費？"]
    );
    assert_eq!(parts("嗯，X20多少钱？"), ["嗯，X20多少钱？"]);
}

#[test]
fn english_periods_end_sentences_but_not_numbers_or_abbreviations() {
    let text = "We're moving to Beijing next month. How much is the R8?";
    let parts: Vec<String> = split(text)
        .iter()
        .map(|&(s, e)| text.chars().skip(s).take(e - s).collect())
        .collect();
    assert_eq!(
        parts,
        [
            "We're moving to Beijing next month. ",
            "How much is the R8?"
        ]
    );
    for whole in [
        "The ratio is 2.5 to 1 I think",
        "Mr. Li asked about the A7 price",
        "Is it approx. 60 dB at night",
    ] {
        assert_eq!(split(whole).len(), 1, "{whole}");
    }
}

#[test]
fn splits_questions_and_connectives() {
    assert_eq!(
        parts("A7 多少钱？滤芯多久换？"),
        vec!["A7 多少钱？", "滤芯多久换？"]
    );
    assert_eq!(
        parts("A7多少钱，滤芯多久换"),
        vec!["A7多少钱，", "滤芯多久换"]
    );
    assert_eq!(
        parts("能开发票吗，另外多久能到"),
        vec!["能开发票吗，", "另外多久能到"]
    );
    assert_eq!(
        parts("how much is the A7 and also does it work with HomeKit"),
        vec!["how much is the A7", "and also does it work with HomeKit"]
    );
    assert_eq!(
        parts("呢部幾多錢？仲有保養幾耐"),
        vec!["呢部幾多錢？", "仲有保養幾耐"]
    );
}

#[test]
fn what_follows_a_greeting() {
    assert_eq!(
        after_greeting("你好，X20多少钱？").as_deref(),
        Some("X20多少钱？")
    );
    assert_eq!(
        after_greeting("Hi, how much is the A7?").as_deref(),
        Some("how much is the A7?")
    );
    assert_eq!(after_greeting("你好"), None);
    assert_eq!(after_greeting("你好吗"), None);
    assert_eq!(after_greeting("X20多少钱"), None);
}

#[test]
fn keeps_statements_with_commas_together() {
    assert_eq!(
        parts("想买个净化器，卧室 15 平，预算一千多"),
        vec!["想买个净化器，卧室 15 平，预算一千多"]
    );
    assert_eq!(parts("好的，谢谢"), vec!["好的，谢谢"]);
    assert_eq!(parts("嗯。A7 多少钱"), vec!["嗯。A7 多少钱"]);
    assert_eq!(parts(""), Vec::<String>::new());
    assert_eq!(parts("？？"), vec!["？？"]);
}

#[test]
fn question_detection() {
    assert!(is_question("晚上开着吵不吵"));
    assert!(is_question("有冇得平啲"));
    assert!(is_question("does it work with HomeKit"));
    assert!(!is_question("在开会，晚点打给我"));
    assert!(!is_question("我要买两台"));
    assert!(!is_question("I want to buy it"));
    assert!(is_question("is the 12 month plan interest free"));
    assert!(is_question("洗碗机除菌效果咋样"));
    assert!(!is_question("Island delivery is fine"));
    // 呢 + measure word is Cantonese "this"; the particle 呢 still asks.
    assert!(!is_question("好，两部我要晒，呢个周末前送到"));
    assert!(is_question("那X2呢"));
}
