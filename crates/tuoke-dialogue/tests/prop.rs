//! Property test: random analyses (and agent actions) never panic the engine and always leave a
//! valid state that survives a JSON round trip.

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use tuoke_core::{
    Analysis, Dialect, Entity, EntityType, INTENTS, Intent, Language, Sentiment, SentimentLabel,
};
use tuoke_dialogue::{ConversationState, Engine};

fn texts() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("X1多少钱".to_string()),
        Just("不是X1，是X2 Pro".to_string()),
        Just("另一款呢".to_string()),
        Just("还是要第一个".to_string()),
        Just("the other one".to_string()),
        Just("我在用小米，科沃斯也看过".to_string()),
        Just("L5 Pro 和 X20 Ultra 哪个好".to_string()),
        Just("唔係A7，係A3".to_string()),
        ".{0,40}",
    ]
}

fn values() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("lock-x1")),
        Just(json!("lock-x2")),
        Just(json!("cam-c1")),
        Just(json!("yq-vac-x20")),
        Just(json!("yq-lock-l5")),
        Just(json!("mi")),
        Just(json!("xiaomi")),
        Just(json!("dessmann")),
        Just(json!("no-such-id")),
        Just(Value::Null),
        any::<f64>().prop_map(|f| json!(f)),
        (any::<f64>(), "[A-Z]{0,4}").prop_map(|(a, c)| json!({"amount": a, "currency": c})),
        Just(json!({"amount": -5})),
        Just(json!({"datetime": "2026-11-27T15:00:00+08:00", "grain": "hour"})),
        Just(json!({"datetime": "not a date"})),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn kinds() -> impl Strategy<Value = EntityType> {
    prop_oneof![
        Just(EntityType::Money),
        Just(EntityType::Quantity),
        Just(EntityType::Phone),
        Just(EntityType::Email),
        Just(EntityType::Wechat),
        Just(EntityType::Datetime),
        Just(EntityType::Product),
        Just(EntityType::Competitor),
    ]
}

fn floats() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(-1.0f32),
        Just(0.95f32),
        -2.0f32..2.0
    ]
}

fn analyses() -> impl Strategy<Value = Analysis> {
    let intent = prop_oneof![
        proptest::sample::select(INTENTS.to_vec()).prop_map(str::to_string),
        Just("no_such_intent".to_string())
    ];
    let entity = (kinds(), ".{0,6}", 0usize..60, 0usize..60, values()).prop_map(
        |(kind, text, start, end, value)| Entity {
            kind,
            text,
            start,
            end,
            value,
        },
    );
    (
        texts(),
        intent,
        floats(),
        floats(),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(entity, 0..5),
    )
        .prop_map(
            |(text, label, confidence, score, sl, en, yue, entities)| Analysis {
                normalized: text.clone(),
                text,
                language: if en { Language::En } else { Language::Zh },
                dialect: if yue { Dialect::Yue } else { Dialect::Cmn },
                intent: Intent {
                    label,
                    confidence,
                    top_k: vec![],
                },
                sentiment: Sentiment {
                    label: [
                        SentimentLabel::Negative,
                        SentimentLabel::Neutral,
                        SentimentLabel::Positive,
                    ][sl as usize],
                    score,
                    confidence: 1.0,
                },
                entities,
                explanation: vec![],
                clauses: vec![],
            },
        )
}

#[derive(Debug, Clone)]
enum Op {
    Turn(Box<Analysis>),
    TakeOver,
    Agent(String),
    Release,
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => analyses().prop_map(|a| Op::Turn(Box::new(a))),
        1 => Just(Op::TakeOver),
        1 => ".{0,10}".prop_map(Op::Agent),
        1 => Just(Op::Release),
    ]
}

fn run(engine: &Engine, ops: &[Op]) {
    let mut now = t0();
    let mut st: ConversationState = engine.start(now, Language::Zh, Dialect::Cmn).state;
    for op in ops {
        now += chrono::Duration::seconds(7);
        st = match op {
            Op::Turn(a) => {
                let out = engine.turn(&st, a, now);
                if st.handed_off {
                    assert!(out.reply.is_none(), "bot spoke while handed off");
                }
                assert_kb_facts_only(engine.company(), &out);
                out.state
            }
            Op::TakeOver => engine.take_over(&st, "agent", now).state,
            Op::Agent(t) => engine.agent_message(&st, t, now),
            Op::Release => engine.release(&st, now).state,
        };
        if let Err(e) = engine.check_state(&st) {
            panic!("invalid state after {op:?}: {e:?}");
        }
        let json = serde_json::to_string(&st).expect("serializes");
        let back: ConversationState = serde_json::from_str(&json).expect("deserializes");
        assert!(back == st, "JSON round trip changed the state after {op:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn random_analyses_never_break_the_fixture_engine(ops in proptest::collection::vec(ops(), 1..25)) {
        run(&Engine::new(fixture()), &ops);
    }

    #[test]
    fn random_analyses_never_break_the_demo_engine(ops in proptest::collection::vec(ops(), 1..25)) {
        run(&Engine::new(demo()), &ops);
    }
}

#[test]
fn a_state_from_another_playbook_is_repaired_not_a_panic() {
    let engine = Engine::new(fixture());
    let mut st = engine.start(t0(), Language::Zh, Dialect::Cmn).state;
    st.node = "deleted_node".into();
    st.stage = "deleted_stage".into();
    st.slots.insert("product".into(), json!("discontinued"));
    let out = engine.turn(
        &st,
        &say("X1多少钱", "ask_price").product("X1", "lock-x1"),
        t0(),
    );
    engine.check_state(&out.state).unwrap();
    assert!(out.reply.unwrap().text.contains("¥1999"));
}
