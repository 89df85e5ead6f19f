//! Golden multi-turn scenarios on the fixture company with the demo playbook and grading.
//! Analyses are constructed (the shape the shipped analyzer produces); `golden_text.rs` drives
//! scenarios from raw customer text through the real analyzer.

mod common;

use common::*;
use serde_json::json;
use tuoke_core::{Dialect, Language};
use tuoke_dialogue::{Action, Grade};

#[test]
fn g01_mandarin_price_buy_contact_reaches_a_and_hands_off() {
    let mut c = Convo::zh();
    assert_eq!(c.stage(), "greeting");
    assert!(
        c.out.reply.as_ref().unwrap().text.contains("智能门锁X1"),
        "greeting lists products"
    );
    let r = c.turn(say("智能门锁X1多少钱？", "ask_price").product("智能门锁X1", "lock-x1"));
    assert!(r.contains("¥1999"), "{r}");
    assert_eq!(c.cites(), vec!["product:lock-x1"]);
    assert_eq!(c.stage(), "presentation");
    assert_eq!(c.slot("product"), Some(&json!("lock-x1")));
    assert!(c.out.actions.contains(&Action::StageChanged {
        from: "greeting".into(),
        to: "presentation".into()
    }));
    assert_eq!((c.score(), c.grade()), (20, Grade::D));

    let r = c.turn(say("好的，我要买", "purchase_intent"));
    assert_eq!(c.node(), "ask_contact");
    assert!(r.contains("手机号"), "{r}");
    assert_eq!((c.stage(), c.score(), c.grade()), ("closing", 50, Grade::B));

    let r = c.turn(
        say("我的手机是13912345678", "provide_contact").phone("13912345678", "+8613912345678"),
    );
    assert!(
        r.contains("已记下您的联系方式") && r.contains("资深顾问"),
        "{r}"
    );
    assert_eq!(c.slot("phone"), Some(&json!("+8613912345678")));
    assert_eq!((c.score(), c.grade()), (75, Grade::A));
    assert_eq!(c.handoff_reason().as_deref(), Some("grade_A"));
    assert!(c.out.actions.contains(&Action::LeadGradeChanged {
        from: Some(Grade::B),
        to: Grade::A,
        score: 75
    }));
    let Some(Action::Handoff { summary, .. }) = c
        .out
        .actions
        .iter()
        .find(|a| matches!(a, Action::Handoff { .. }))
    else {
        panic!("no handoff")
    };
    assert_eq!(summary.grade, Grade::A);
    assert!(summary.needs.iter().any(|n| n == "purchase_intent"));
    assert!(summary.needs.iter().any(|n| n.contains("lock-x1")));
    assert_eq!(
        summary.evidence.iter().map(|e| e.points).sum::<i32>() + 10,
        75
    );
    assert!(summary.last_turns.iter().any(|t| t.text.contains("我要买")));
    // Staff are notified, but nobody has taken over: the bot keeps answering.
    assert_eq!(
        c.state().handoff_state(),
        tuoke_dialogue::HandoffState::Requested
    );
    assert!(!c.state().handed_off);
    let r = c.turn(say("多久能发货？", "ask_delivery"));
    assert!(r.contains("48小时"), "the bot still answers: {r}");
    let taken = c.engine.take_over(c.state(), "li", c.now);
    assert!(
        taken.actions.is_empty(),
        "already requested: no second notification"
    );
    c.out = taken;
    assert_eq!(
        c.turn(say("什么时候联系我？", "ask_delivery")),
        "",
        "an agent holds it"
    );
}

#[test]
fn g02_context_carry_over_this_other_first() {
    let mut c = Convo::zh();
    c.turn(say("X1多少钱", "ask_price").product("X1", "lock-x1"));
    assert!(c.reply().contains("¥1999"));
    // "那另一款呢": no product named, low-information intent → the other lock, same question.
    let r = c.turn(Analysis_low("那另一款呢"));
    assert_eq!(c.slot("product"), Some(&json!("lock-x2")));
    assert!(r.contains("¥2999") && r.contains("X2 Pro"), "{r}");
    assert_eq!(c.cites(), vec!["product:lock-x2"]);
    // "还是要第一个吧": back to the first one, and buy it.
    let r = c.turn(say("还是要第一个吧", "purchase_intent"));
    assert_eq!(c.slot("product"), Some(&json!("lock-x1")));
    assert_eq!(c.node(), "ask_contact", "{r}");
    // "那这个多少钱": the product in context.
    let r = c.turn(say("那这个多少钱", "ask_price"));
    assert!(r.contains("¥1999") && !r.contains("2999"), "{r}");
    assert_eq!(
        c.slot("products_mentioned"),
        Some(&json!(["lock-x1", "lock-x2"]))
    );
}

#[allow(non_snake_case)]
fn Analysis_low(text: &str) -> tuoke_core::Analysis {
    tuoke_core::Analysis::with_intent(text, "out_of_scope", 0.3)
}

#[test]
fn g03_cantonese_customer_gets_cantonese_replies() {
    let mut c = Convo::new(fixture(), Language::Zh, Dialect::Yue);
    assert!(c.reply().contains("歡迎嚟到測試家居"), "{}", c.reply());
    let r = c.turn(
        say("X1幾錢呀？", "ask_price")
            .product("X1", "lock-x1")
            .yue(),
    );
    assert!(r.contains("嘅售價係¥1999"), "{r}");
    let r = c.turn(say("有咩保養？", "ask_after_sales").yue());
    // The KB's fact (written in Simplified) is quoted in the reply's script.
    assert!(r.contains("售後保障") && r.contains("整機保修2年"), "{r}");
    assert_eq!(c.cites(), vec!["product:lock-x1"]);
    let r = c.turn(say("好，我要一部", "purchase_intent").yue());
    assert!(r.contains("請留低你嘅手機號碼"), "{r}");
    assert_eq!(c.stage(), "closing");
    assert_eq!(c.state().variety, tuoke_dialogue::Variety::Yue);
    assert_eq!(c.grade(), Grade::B); // 10 + 10 price + 5 details + 30 purchase = 55
    assert_eq!(c.score(), 55);
}

#[test]
fn g03b_cantonese_typed_in_simplified_is_answered_in_simplified() {
    let mut c = Convo::new(fixture(), Language::Zh, Dialect::Yue);
    let r = c.turn(
        say("X1几钱呀？", "ask_price")
            .product("X1", "lock-x1")
            .yue(),
    );
    assert!(r.contains("嘅售价系¥1999"), "{r}");
    // A turn with no script-specific character keeps the decision.
    let r = c.turn(say("有冇保用？", "ask_after_sales").yue());
    assert!(r.contains("售后保障") && r.contains("整机保修2年"), "{r}");
}

#[test]
fn g04_english_customer_specs_delivery_goodbye() {
    let mut c = Convo::new(fixture(), Language::En, Dialect::Cmn);
    assert!(
        c.reply().starts_with("Hello! Welcome to Fixture Home"),
        "{}",
        c.reply()
    );
    let r = c.turn(
        say("How much is the Smart Lock X2 Pro?", "ask_price")
            .product("Smart Lock X2 Pro", "lock-x2")
            .en(),
    );
    assert_eq!(
        r,
        "The Smart Lock X2 Pro costs ¥2999. Shall I arrange an order for you?"
    );
    let r = c.turn(say("What are the specs?", "ask_feature").en());
    assert!(
        r.contains("Battery: 5000 mAh lithium") && r.contains("Palm-vein recognition"),
        "{r}"
    );
    let r = c.turn(say("How fast can you deliver?", "ask_delivery").en());
    assert!(r.contains("Ships within 72 hours"), "{r}");
    assert_eq!(c.stage(), "presentation");
    let r = c.turn(say("OK thanks, bye", "goodbye").en());
    assert!(r.starts_with("Thanks for chatting"), "{r}");
    assert!(c.state().closed);
    assert!(
        c.out
            .actions
            .iter()
            .any(|a| matches!(a, Action::Close { .. }))
    );
    assert_eq!(c.stage(), "end");
    assert_eq!(c.score(), 10 + 10 + 5 + 5);
}

#[test]
fn g05_competitor_customer_switches() {
    let mut c = Convo::zh();
    let r = c.turn(say("我家现在用的是小米的门锁", "compare_competitor").competitor("小米", "mi"));
    assert_eq!(c.node(), "competitor_compare");
    assert_eq!(c.stage(), "competitor");
    assert!(
        r.contains("不支持3D人脸识别") && r.contains("立减200元"),
        "{r}"
    );
    assert!(c.cites().contains(&"competitor:mi".to_string()));
    assert_eq!(c.slot("competitor"), Some(&json!("mi")));
    let r = c.turn(say("那你们的X1多少钱", "ask_price").product("X1", "lock-x1"));
    assert!(r.contains("¥1999"), "{r}");
    c.turn(say("行，那我换你们的吧", "purchase_intent"));
    assert_eq!(c.node(), "ask_contact");
    let r =
        c.turn(say("加我微信 lock_fan88", "provide_contact").wechat("lock_fan88", "lock_fan88"));
    assert!(r.contains("已记下"), "{r}");
    // 10 + 5 competitor + 10 price + 30 purchase + 25 contact
    assert_eq!((c.score(), c.grade()), (80, Grade::A));
    assert!(c.has_signal("competitor_in_use"));
    assert_eq!(c.handoff_reason().as_deref(), Some("grade_A"));
}

#[test]
fn g06_competitor_without_name_then_named_in_english() {
    let mut c = Convo::new(fixture(), Language::En, Dialect::Cmn);
    let r = c.turn(say("How do you compare to other brands?", "compare_competitor").en());
    assert_eq!(c.node(), "competitor_ask", "{r}");
    let r = c.turn(
        say("Dessmann", "out_of_scope")
            .competitor("Dessmann", "dessmann")
            .en(),
    );
    assert_eq!(c.node(), "competitor_compare");
    assert!(
        r.contains("costs 300 yuan less") && r.contains("Free installation when you switch"),
        "{r}"
    );
    assert_eq!(
        c.slot("product"),
        Some(&json!("lock-x2")),
        "our match becomes the product in context"
    );
}

#[test]
fn g07_price_haggler_hears_only_kb_discounts() {
    let mut c = Convo::zh();
    c.turn(say("X1多少钱", "ask_price").product("X1", "lock-x1"));
    // No count given: the policy note (what one unit can get), and how many they need.
    let r = c.turn(say("能便宜点吗？", "ask_discount"));
    assert!(
        r.contains("单台最多优惠5%，批量最多优惠10%") && r.contains("需要几件"),
        "{r}"
    );
    assert_eq!(c.stage(), "objection");
    let r = c.turn(say("再便宜点嘛", "ask_discount"));
    assert!(r.contains("单台最多优惠5%，批量最多优惠10%"), "{r}");
    let r = c.turn(say("打个八折吧", "ask_discount").negative());
    assert!(
        r.contains("没法再低") && r.contains("单台最多优惠5%"),
        "{r}"
    );
    // Third ask: still the KB limit, never a new number.
    assert!(!r.contains('8'));
    assert_eq!(c.score(), 10 + 10 + 5 - 5);
    // Another product starts over: its own volume tier first, then (it has no discount note)
    // its maximum from the KB.
    let r = c.turn(say("X2 Pro呢，能便宜吗", "ask_discount").product("X2 Pro", "lock-x2"));
    assert_eq!(c.node(), "discount");
    assert!(r.contains("10件及以上优惠8%"), "{r}");
    let r = c.turn(say("再便宜点呢", "ask_discount"));
    assert_eq!(c.node(), "discount_max");
    assert!(r.contains("最多能优惠8%"), "{r}");
    // A product without any discount.
    let r = c.turn(say("那C1能打折吗", "ask_discount").product("C1", "cam-c1"));
    assert_eq!(c.node(), "discount_none");
    assert!(r.contains("没有额外折扣") && r.contains("¥399"), "{r}");
}

#[test]
fn g08_busy_customer_asks_for_a_call_back() {
    let mut c = Convo::zh();
    c.turn(say("X2 Pro怎么样", "ask_feature").product("X2 Pro", "lock-x2"));
    let r = c.turn(say("我现在在开会，没空", "busy_later"));
    assert_eq!(c.node(), "ask_callback_time");
    assert_eq!(c.stage(), "follow_up");
    assert!(r.contains("什么时候方便"), "{r}");
    let r = c.turn(say("明天下午三点吧", "affirm").datetime(
        "明天下午三点",
        "2026-11-27T15:00:00+08:00",
        "hour",
    ));
    assert_eq!(c.node(), "callback_scheduled");
    assert!(r.contains("11月27日 15:00"), "{r}");
    assert_eq!(
        c.slot("callback_time"),
        Some(&json!("2026-11-27T15:00:00+08:00"))
    );
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-27T07:00:00Z")
        .unwrap()
        .to_utc();
    assert!(c.out.actions.contains(&Action::ScheduleFollowUp { at }));
    assert!(c.has_signal("callback_agreed"));
}

#[test]
fn g09_busy_with_time_in_one_sentence_english() {
    let mut c = Convo::new(fixture(), Language::En, Dialect::Cmn);
    let r = c.turn(
        say("I'm busy now, call me tomorrow at 10am", "busy_later")
            .datetime("tomorrow at 10am", "2026-11-27T10:00:00+08:00", "hour")
            .en(),
    );
    assert_eq!(c.node(), "callback_scheduled");
    assert!(r.contains("on Nov 27 at 10:00"), "{r}");
    assert_eq!(c.stage(), "follow_up");
}

#[test]
fn g10_complaint_escalates_and_the_bot_is_silent_only_while_an_agent_holds_it() {
    let mut c = Convo::zh();
    let r = c.turn(say("你们的锁老是没反应", "complaint"));
    assert_eq!(c.node(), "complaint_soothe", "{r}");
    assert!(!c.state().handed_off);
    let r = c.turn(say("太差劲了，气死我了！", "complaint").negative());
    assert_eq!(c.node(), "complaint_escalate");
    assert!(r.contains("专人"), "{r}");
    assert_eq!(c.handoff_reason().as_deref(), Some("complaint"));
    assert_eq!(c.stage(), "handoff");
    let Some(Action::Handoff { summary, .. }) = c
        .out
        .actions
        .iter()
        .find(|a| matches!(a, Action::Handoff { .. }))
    else {
        panic!()
    };
    assert!(summary.sentiment < 0.0);
    assert!(summary.needs.contains(&"complaint".to_string()));
    // Requested, not taken over: the customer is told the truth; asking again reminds staff
    // (a second Handoff action) without restarting the wait.
    let requested_at = c.state().handoff_requested_at;
    let r = c.turn(say("人呢？", "request_human").negative());
    assert!(r.contains("顾问接入前"), "{r}");
    assert!(!c.state().handed_off);
    assert_eq!(
        c.out
            .actions
            .iter()
            .filter(|a| matches!(a, Action::Handoff { .. }))
            .count(),
        1,
        "the second request notifies staff again"
    );
    assert_eq!(
        c.state().handoff_requested_at,
        requested_at,
        "the wait goes on"
    );
    let st = c
        .engine
        .agent_message(c.state(), "您好，我是客服小王，马上为您处理。", c.now);
    assert!(st.history.last().unwrap().text.contains("小王"));
    let taken = c.engine.take_over(&st, "wang", c.now);
    assert!(taken.actions.is_empty(), "already requested");
    c.out = taken.clone();
    assert_eq!(
        c.turn(say("快点", "complaint").negative()),
        "",
        "silent while an agent holds it"
    );
    let taken = c.out.clone();
    let released = c.engine.release(&taken.state, c.now);
    assert!(!released.state.handed_off);
    c.out = released;
    let r = c.turn(say("X1多少钱", "ask_price").product("X1", "lock-x1"));
    assert!(r.contains("¥1999"), "bot talks again after release: {r}");
    // complaint -10, negative ×2 -10, price +10
    assert_eq!(c.score(), 0);
    assert_eq!(c.grade(), Grade::D);
}

#[test]
fn g11_self_correcting_customer() {
    let mut c = Convo::zh();
    c.turn(
        say("我要买5台X1", "purchase_intent")
            .qty("5台", 5.0)
            .product("X1", "lock-x1"),
    );
    assert_eq!(c.slot("quantity"), Some(&json!(5.0)));
    assert_eq!(c.node(), "ask_contact");
    // Quantity correction.
    c.turn(
        say("不对，不是5台，是8台", "deny")
            .qty("5台", 5.0)
            .qty("8台", 8.0),
    );
    assert_eq!(c.slot("quantity"), Some(&json!(8.0)));
    assert!(c.out.actions.contains(&Action::SlotFilled {
        name: "quantity".into(),
        value: json!(8.0)
    }));
    // Product correction: "不是X1，是X2 Pro".
    let r = c.turn(
        say("哦还有，不是X1，是X2 Pro，多少钱？", "ask_price")
            .product("X1", "lock-x1")
            .product("X2 Pro", "lock-x2"),
    );
    assert_eq!(c.slot("product"), Some(&json!("lock-x2")));
    assert!(r.contains("¥2999"), "{r}");
    // Reversed order: "要X1，不要X2 Pro".
    c.turn(
        say("算了，要X1，不要X2 Pro", "purchase_intent")
            .product("X1", "lock-x1")
            .product("X2 Pro", "lock-x2"),
    );
    assert_eq!(c.slot("product"), Some(&json!("lock-x1")));
    assert!(c.has_signal("quantity_given"));
}

#[test]
fn g12_off_topic_then_back_to_the_pending_question() {
    let mut c = Convo::zh();
    c.turn(say("X1我要了", "purchase_intent").product("X1", "lock-x1"));
    assert_eq!(c.node(), "ask_contact");
    let r = c.turn(say("今天天气真不错", "out_of_scope"));
    assert!(
        r.contains("帮不上忙") && r.ends_with("方便留个手机号或微信吗？"),
        "{r}"
    );
    assert_eq!(c.node(), "off_topic");
    assert_eq!(
        c.state().node,
        "ask_contact",
        "still waiting for the contact"
    );
    assert_eq!(c.stage(), "closing");
    let r = c.turn(say("13800001111", "provide_contact").phone("13800001111", "+8613800001111"));
    assert!(r.contains("已记下"), "{r}");
}

#[test]
fn g13_topic_switch_mid_closing_and_return() {
    let mut c = Convo::zh();
    c.turn(say("X1我要了", "purchase_intent").product("X1", "lock-x1"));
    let r = c.turn(say("多久能发货？", "ask_delivery"));
    assert!(
        r.contains("下单后48小时内发货") && r.ends_with("方便留个手机号或微信吗？"),
        "{r}"
    );
    assert_eq!(c.cites(), vec!["product:lock-x1"]);
    assert_eq!(c.state().node, "ask_contact");
    let r = c.turn(say("可以分期吗", "ask_payment"));
    assert!(r.contains("12期免息"), "{r}");
    assert_eq!(c.cites(), vec!["faq:payment"]);
    let r = c.turn(say("好的", "affirm"));
    assert!(r.contains("请直接发送您的手机号"), "{r}");
    assert_eq!(c.stage(), "closing");
}

#[test]
fn g14_request_human_hands_off_with_summary() {
    let mut c = Convo::zh();
    c.turn(say("X2 Pro多少钱", "ask_price").product("X2 Pro", "lock-x2"));
    let r = c.turn(say("我要找真人客服", "request_human"));
    assert!(r.contains("人工顾问"), "{r}");
    assert_eq!(c.handoff_reason().as_deref(), Some("request_human"));
    let Some(Action::Handoff { summary, .. }) = c
        .out
        .actions
        .iter()
        .find(|a| matches!(a, Action::Handoff { .. }))
    else {
        panic!()
    };
    assert_eq!(summary.slots.get("product"), Some(&json!("lock-x2")));
    assert!(summary.last_turns.len() >= 4);
    assert_eq!(summary.stage, "handoff");
    assert_ne!(
        c.turn(say("在吗", "greeting")),
        "",
        "requested only: the bot answers"
    );
    c.out = c.engine.take_over(c.state(), "wang", c.now);
    assert_eq!(c.turn(say("在吗", "greeting")), "", "taken over: silent");
}

#[test]
fn g15_repeated_fallback_hands_off() {
    let mut c = Convo::zh();
    let low = |t: &str| tuoke_core::Analysis::with_intent(t, "ask_price", 0.1);
    let r = c.turn(low("嗯嗯啊啊"));
    assert!(
        r.starts_with("不好意思，我没太明白。请问您对哪一款"),
        "retry re-asks: {r}"
    );
    let r = c.turn(low("呃"));
    assert_eq!(c.node(), "fallback", "{r}");
    let r = c.turn(low("哈？"));
    assert_eq!(c.node(), "handoff_confused", "{r}");
    assert_eq!(c.handoff_reason().as_deref(), Some("repeated_fallback"));
    assert_eq!(c.state().counters.total_fallbacks, 3);
}

#[test]
fn g16_not_interested_closes_and_a_new_message_reopens() {
    let mut c = Convo::zh();
    let r = c.turn(say("不需要，谢谢", "not_interested"));
    assert!(r.contains("打扰了"), "{r}");
    assert!(c.state().closed);
    assert_eq!((c.score(), c.grade()), (0, Grade::D));
    let r = c.turn(say("等等，X1多少钱", "ask_price").product("X1", "lock-x1"));
    assert!(!c.state().closed && r.contains("¥1999"), "{r}");
}

#[test]
fn g17_faq_and_unknown_questions_never_invent() {
    let mut c = Convo::zh();
    let r = c.turn(say("能开发票吗", "ask_payment"));
    assert_eq!(c.cites(), vec!["faq:invoice"], "{r}");
    assert!(r.contains("增值税"));
    // A trial question without product and without a matching FAQ → honest "let me check".
    let r = c.turn(say("可以先借我用用吗", "ask_trial"));
    assert_eq!(c.node(), "faq_unknown", "{r}");
    assert!(r.contains("400-000-1234"));
    assert_eq!(c.cites(), vec!["company"]);
    // Stock / warranty question on a product whose KB entry has no delivery info → FAQ, not a guess.
    let r = c.turn(say("C1多久能到", "ask_delivery").product("C1", "cam-c1"));
    assert_eq!(c.cites(), vec!["faq:shipping"], "{r}");
}

#[test]
fn g18_product_named_alone_presents_it_and_affirm_moves_to_closing() {
    let mut c = Convo::zh();
    let r = c.turn(
        tuoke_core::Analysis::with_intent("X2 Pro", "out_of_scope", 0.2)
            .product("X2 Pro", "lock-x2"),
    );
    assert_eq!(c.node(), "present_product");
    assert!(r.contains("掌静脉识别") && r.contains("¥2999"), "{r}");
    c.turn(say("可以", "affirm"));
    assert_eq!(c.node(), "ask_contact");
    let r = c.turn(say("不用了", "deny"));
    assert_eq!(c.node(), "contact_declined");
    assert!(r.contains("400-000-1234"));
}

#[test]
fn g19_budget_quantity_timeline_raise_the_grade_with_evidence() {
    let mut c = Convo::zh();
    c.turn(
        say("公司要采购20台门锁，预算5万，下个月装好", "purchase_intent")
            .qty("20台", 20.0)
            .money("5万", 50000.0)
            .datetime("下个月", "2026-12-01T00:00:00+08:00", "month"),
    );
    for s in [
        "purchase_intent",
        "quantity_given",
        "budget_given",
        "timeline_given",
    ] {
        assert!(c.has_signal(s), "{s}");
    }
    assert_eq!((c.score(), c.grade()), (70, Grade::B));
    assert!(c.out.lead.evidence.iter().all(|e| e.turn == 1));
    let r = c.turn(say("X1能打折吗", "ask_discount").product("X1", "lock-x1"));
    // Both tiers are quoted from the KB; +5 for the discount question reaches A → hot-lead handoff.
    assert!(
        r.contains("20件及以上优惠10%") && r.contains("资深顾问"),
        "{r}"
    );
    assert_eq!((c.score(), c.grade()), (75, Grade::A));
    assert_eq!(
        c.out
            .lead
            .evidence
            .last()
            .map(|e| (e.turn, e.signal.as_str(), e.points)),
        Some((2, "asked_discount", 5))
    );
    assert_eq!(c.handoff_reason().as_deref(), Some("grade_A"));
}
