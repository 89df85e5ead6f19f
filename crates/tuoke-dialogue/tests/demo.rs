//! The shipped demo company: every product question in every variety quotes only KB facts, and
//! a few golden conversations on the real demo data.

mod common;

use common::*;
use serde_json::json;
use tuoke_core::{Dialect, Language};
use tuoke_dialogue::{Action, Engine, Grade, Variety};

#[test]
fn every_product_question_in_every_variety_quotes_only_kb_facts() {
    let company = demo();
    let engine = Engine::new(company.clone());
    let mut replies = 0;
    for p in company.products() {
        for v in Variety::ALL {
            let (lang, dialect) = match v {
                Variety::Cmn => (Language::Zh, Dialect::Cmn),
                Variety::Yue => (Language::Zh, Dialect::Yue),
                Variety::En => (Language::En, Dialect::Cmn),
            };
            let mut c = Convo {
                engine: engine.clone(),
                out: engine.start(t0(), lang, dialect),
                now: t0(),
                all_actions: vec![],
            };
            let name = p.name.get(v).to_string();
            for intent in [
                "ask_price",
                "ask_feature",
                "ask_delivery",
                "ask_after_sales",
                "ask_trial",
                "ask_payment",
                "ask_discount",
                "ask_discount",
                "ask_discount",
                "hesitate",
            ] {
                let mut a = say(&format!("{name}?"), intent).product(&name, &p.id);
                a.language = lang;
                a.dialect = dialect;
                let r = c.turn(a); // checks KB facts, state validity, JSON round trip
                assert!(!r.is_empty(), "{} {intent} {v:?}: no reply", p.id);
                assert!(
                    !r.contains('{') && !r.contains('}'),
                    "unrendered placeholder: {r}"
                );
                replies += 1;
            }
            // Price replies cite the product and state its KB price.
            let mut a = say(&name, "ask_price").product(&name, &p.id);
            a.language = lang;
            a.dialect = dialect;
            let r = c.turn(a);
            assert!(c.cites().contains(&format!("product:{}", p.id)), "{r}");
            assert!(r.contains(&plain(p.price.amount)), "{r}");
        }
    }
    assert_eq!(replies, company.products().len() * 3 * 10);
}

#[test]
fn every_competitor_comparison_quotes_only_kb_facts() {
    let company = demo();
    for comp in company.competitors() {
        for (lang, dialect) in [
            (Language::Zh, Dialect::Cmn),
            (Language::Zh, Dialect::Yue),
            (Language::En, Dialect::Cmn),
        ] {
            let mut c = Convo::new(company.clone(), lang, dialect);
            let name = comp.name.zh.clone();
            let mut a =
                say(&format!("我在用{name}"), "compare_competitor").competitor(&name, &comp.id);
            a.language = lang;
            a.dialect = dialect;
            let r = c.turn(a);
            assert_eq!(c.node(), "competitor_compare", "{r}");
            assert!(
                c.cites().contains(&format!("competitor:{}", comp.id)),
                "{r}"
            );
        }
    }
}

#[test]
fn demo_mandarin_lock_buyer_from_xiaomi() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    let r = c.turn(
        say(
            "我家现在用的是小米的门锁，你们的门锁怎么样",
            "compare_competitor",
        )
        .competitor("小米", "xiaomi"),
    );
    assert_eq!(
        c.slot("product"),
        Some(&json!("yq-lock-l5")),
        "the lock, not the vacuum: {r}"
    );
    assert!(r.contains("¥150"), "switching offer from the KB: {r}");
    let r = c.turn(say("那这个多少钱", "ask_price"));
    let l5 = demo().product("yq-lock-l5").unwrap().price.amount;
    assert!(r.contains(&format!("¥{}", plain(l5))), "{r}");
    c.turn(say("行，我换你们的", "purchase_intent"));
    c.turn(say("电话13912345678", "provide_contact").phone("13912345678", "+8613912345678"));
    assert_eq!(c.grade(), Grade::A);
    assert!(
        c.all_actions
            .iter()
            .any(|a| matches!(a, Action::Handoff { reason, .. } if reason == "grade_A"))
    );
}

#[test]
fn demo_faq_questions_find_the_right_entry() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    for (text, intent, faq) in [
        ("可以开发票吗", "ask_payment", "faq:faq-invoice"),
        ("能分期付款吗", "ask_payment", "faq:faq-installments"),
    ] {
        let r = c.turn(say(text, intent));
        assert_eq!(c.cites(), vec![faq.to_string()], "{text} → {r}");
    }
}

#[test]
fn a_statement_that_tells_us_something_is_noted_not_misunderstood() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    c.turn(say("A3 怎么样", "ask_feature").product("A3", "yq-air-a3"));
    // No intent the playbook acts on, but a timeline: noted, with the next step about the A3.
    let r = c.turn(say("下个月中旬搬过去住，到时候要用", "unknown").datetime(
        "下个月中旬",
        "2026-12-15T00:00:00+08:00",
        "day",
    ));
    assert!(c.slot("timeline").is_some(), "timeline kept: {r}");
    assert!(r.starts_with("好的，记下了。"), "{r}");
    assert!(r.contains("A3") && !r.contains("没太"), "{r}");
    // Nothing told: still the honest re-prompt.
    let r = c.turn(say("嗯嗯", "unknown"));
    assert!(!r.contains("记下了"), "{r}");
}

#[test]
fn a_weakly_negative_reading_does_not_hold_back_a_recommendation() {
    let mut c = Convo::new(demo(), Language::En, Dialect::Cmn);
    let mut a = say(
        "Our company is evaluating robot vacuums, around 20 units",
        "unknown",
    )
    .en()
    .qty("20 units", 20.0);
    // What the shipped sentiment model read into it.
    a.sentiment.label = tuoke_core::SentimentLabel::Negative;
    a.sentiment.score = -0.22;
    let r = c.turn(a);
    assert!(
        r.contains("X10") && r.contains("X20"),
        "the category's products: {r}"
    );
}

#[test]
fn a_discount_question_with_a_price_question_states_the_price_too() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    let r = c.turn(
        say("A7多少钱？有优惠吗", "ask_discount")
            .product("A7", "yq-air-a7")
            .clauses(&[("A7多少钱？", "ask_price"), ("有优惠吗", "ask_discount")]),
    );
    assert!(r.contains("2499"), "the price is stated: {r}");
    assert!(r.contains("优惠"), "and the offer: {r}");
}

#[test]
fn a_need_told_before_a_question_is_no_complaint() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    // The intent model reads "掉毛很厉害" as a complaint; the turn asks about the product and
    // holds no word of a fault, a delivery or the service.
    let r = c.turn(
        say("家里两只猫，掉毛很厉害，X20吸得干净吗？", "complaint").product("X20", "yq-vac-x20"),
    );
    assert!(
        !r.contains("抱歉"),
        "no apology for a complaint never made: {r}"
    );
    assert!(
        !c.all_actions
            .iter()
            .any(|a| matches!(a, Action::Handoff { .. })),
        "no hand-off: {r}"
    );
    assert!(r.contains("X20"), "{r}");
}

#[test]
fn a_discount_reading_without_discount_words_asks_nothing_about_offers() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    let r = c.turn(say("X20 能自动集尘吗？", "ask_discount").product("X20", "yq-vac-x20"));
    assert!(
        !r.contains("批量优惠"),
        "no offer list for a feature question: {r}"
    );
    assert!(r.contains("集尘"), "the feature is answered: {r}");
}

#[test]
fn a_budget_is_no_price_question() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    c.turn(say("想买个空气净化器", "purchase_intent"));
    let r = c.turn(say("预算两千左右", "ask_price").money("两千", 2000.0));
    assert!(
        !r.contains("哪一款的价格") && !r.contains("哪款"),
        "a budget is not a question about which price: {r}"
    );
    assert!(r.contains("A3"), "the purifier within the budget: {r}");
}

#[test]
fn after_a_comparison_follow_ups_answer_for_both_until_one_is_chosen() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    let r = c.turn(
        say("A3和A7有什么区别", "compare_competitor")
            .product("A3", "yq-air-a3")
            .product("A7", "yq-air-a7")
            .clauses(&[("A3和A7有什么区别", "compare_competitor")]),
    );
    assert!(r.contains("1099") && r.contains("2499"), "{r}");
    // Our own products compared: no question about a competitor's brand afterwards.
    let r = c.turn(say("滤芯多久换", "ask_after_sales"));
    assert!(r.contains("12 个月") && r.contains("8 个月"), "both: {r}");
    assert!(!r.contains("品牌"), "{r}");
    // The cheaper one chosen: confirmed by name and price, then the contact step.
    let r = c.turn(say("好，便宜的那款帮我下单", "purchase_intent"));
    assert!(r.contains("A3") && r.contains("1099"), "{r}");
    assert!(!r.contains("A7"), "no second recommendation: {r}");
    // Chosen: the next question is about the A3 alone.
    let r = c.turn(say("滤芯多久换", "ask_after_sales"));
    assert!(r.contains("8 个月") && !r.contains("12 个月"), "{r}");
}

#[test]
fn an_open_request_within_a_budget_looks_past_the_category_in_play() {
    let mut c = Convo::new(demo(), Language::En, Dialect::Cmn);
    c.turn(
        say("Tell me about the X10", "ask_feature")
            .en()
            .product("X10", "yq-vac-x10"),
    );
    let r = c.turn(
        say(
            "Anything under 500 RMB I could give as a gift?",
            "ask_feature",
        )
        .en()
        .money("500 RMB", 500.0),
    );
    assert!(r.contains("S3") && r.contains("499"), "{r}");
    assert!(
        !r.contains("doesn't cover"),
        "the recommendation answers it: {r}"
    );
}

#[test]
fn a_product_missing_from_a_listed_answer_is_said_to_be_missing() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    let r = c.turn(say("X10 支持苹果 HomeKit 吗？", "ask_feature").product("X10", "yq-vac-x10"));
    assert!(r.contains("HomeKit") || r.contains("Apple"), "{r}");
    assert!(r.contains("不包括") && r.contains("X10"), "{r}");
    // Named by its category in the entry: nothing said about it missing.
    let r = c.turn(say("A7要安装吗", "ask_after_sales").product("A7", "yq-air-a7"));
    assert!(!r.contains("不包括"), "{r}");
}

#[test]
fn turns_the_kb_answers_never_add_up_to_a_confused_hand_off() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    // Intents the playbook cannot place, each question answered from the KB.
    for text in [
        "App 有英文版吗？",
        "能开发票吗？",
        "可以分期吗？",
        "App 要收费吗？",
    ] {
        let r = c.turn(say(text, "unknown").clauses(&[(text, "unknown")]));
        assert!(!r.contains("没太明白"), "{text} → {r}");
    }
    assert!(
        !c.all_actions
            .iter()
            .any(|a| matches!(a, Action::Handoff { .. })),
        "answered turns are no failures: {:?}",
        c.all_actions
    );
}

#[test]
fn a_statement_without_contact_details_is_no_contact_given() {
    let mut c = Convo::new(demo(), Language::En, Dialect::Cmn);
    // The intent model read the head count as contact details.
    let text = "We're a 12-person startup, office is about 65 square metres.";
    let r = c.turn(
        say(text, "provide_contact")
            .en()
            .clauses(&[(text, "provide_contact")]),
    );
    assert!(!r.contains("noted your contact"), "{r}");
}

#[test]
fn a_category_of_one_product_brings_it_into_context() {
    let mut c = Convo::new(demo(), Language::En, Dialect::Cmn);
    c.turn(
        say("Tell me about the D13", "ask_feature")
            .en()
            .product("D13", "yq-dish-d13"),
    );
    let r = c.turn(say("And the water purifier, how much is it?", "ask_price").en());
    assert_eq!(c.slot("product"), Some(&json!("yq-water-r8")), "{r}");
    assert!(r.contains("2999") && !r.contains("4599"), "{r}");
    // Bought along with: the product in context stays.
    let r = c.turn(say("同门锁一起买能便宜吗", "ask_discount"));
    assert_eq!(c.slot("product"), Some(&json!("yq-water-r8")), "{r}");
}

#[test]
fn a_need_the_product_does_not_meet_names_the_one_that_does() {
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    let r = c.turn(say("A3 能除甲醛吗？刚装修完", "ask_feature").product("A3", "yq-air-a3"));
    assert!(
        r.contains("A3") && r.contains("无除甲醛"),
        "the A3's own fact: {r}"
    );
    assert!(
        r.contains("A7") && r.contains("2499"),
        "and the A7 with its price: {r}"
    );
    assert!(c.cites().contains(&"product:yq-air-a7".to_string()), "{r}");
    // A product that meets the need is not talked out of it.
    let mut c = Convo::new(demo(), Language::Zh, Dialect::Cmn);
    let r = c.turn(say("A7 能除甲醛吗？", "ask_feature").product("A7", "yq-air-a7"));
    assert!(!r.contains("A3"), "{r}");
}

#[test]
fn a_whole_home_gets_one_product_per_category_within_the_budget() {
    let mut c = Convo::new(demo(), Language::En, Dialect::Cmn);
    let text = "Total budget is about 8,000 RMB for a smart lock, an air purifier and a robot vacuum. What would fit?";
    let r = c.turn(say(text, "ask_feature").en().ent(
        tuoke_core::EntityType::Money,
        "8,000 RMB",
        json!({"amount": 8000.0, "currency": "CNY"}),
    ));
    for price in ["1699", "1999"] {
        assert!(r.replace(',', "").contains(price), "{price} in {r}");
    }
    assert!(r.contains("within your budget"), "{r}");
    // One of each: both purifiers are never put together as the choice.
    let cited = c.cites();
    assert!(
        cited.contains(&"product:yq-lock-l5".to_string()),
        "{cited:?}"
    );
    // No computed total is stated (only the products' own prices).
    assert!(!r.replace(',', "").contains("6197"), "{r}");
}
