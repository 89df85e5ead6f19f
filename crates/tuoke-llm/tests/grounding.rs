//! The grounding checker on the demo company's real KB texts: invented prices, discounts,
//! delivery promises, products and language switches are rejected; faithful rephrasings kept.

use tuoke_dialogue::{Company, Variety};
use tuoke_llm::grounding::{Grounding, Rejection, Verdict, check};

struct Case {
    facts: Vec<String>,
    names: Vec<String>,
}

fn a7() -> Case {
    let company = Company::demo();
    let facts = vec![
        company
            .entry_text("product:yq-air-a7")
            .expect("A7 is in the demo KB"),
    ];
    let g = company.gazetteer();
    let names = g
        .products
        .iter()
        .chain(&g.competitors)
        .flat_map(|e| e.names.clone())
        .collect();
    Case { facts, names }
}

fn verdict(c: &Case, template: &str, customer: &str, variety: Variety, candidate: &str) -> Verdict {
    let customer = vec![customer.to_string()];
    check(
        candidate,
        &Grounding {
            template,
            facts: &c.facts,
            customer: &customer,
            variety,
            known_names: &c.names,
        },
    )
}

fn rejected_as(v: Verdict) -> &'static str {
    match v {
        Verdict::Accept => "accept",
        Verdict::Reject { rejection } => rejection.kind(),
    }
}

const T_PRICE: &str = "云栖空气净化器 A7 的价格是 ¥2499。";

#[test]
fn faithful_rephrasings_are_kept() {
    let c = a7();
    let q = "A7多少钱？";
    for ok in [
        "您好！云栖空气净化器 A7 现在售价 2,499 元哦。",
        "A7 的价格是2499元，有需要随时问我~",
        "亲，云栖A7 只要 ¥2499，适合 42 到 72 平米的房间。",
        "A7 售价两千四百九十九元。",
    ] {
        assert_eq!(
            rejected_as(verdict(&c, T_PRICE, q, Variety::Cmn, ok)),
            "accept",
            "{ok}"
        );
    }
    // Traditional script and Cantonese words for a Cantonese customer.
    let yue = verdict(
        &c,
        "雲棲空氣清新機 A7 嘅價錢係 ¥2499。",
        "A7幾錢呀？",
        Variety::Yue,
        "雲棲A7 而家賣 ¥2,499 㗎，有咩想問都可以搵我。",
    );
    assert_eq!(rejected_as(yue), "accept");
    let en = verdict(
        &c,
        "The Yunqi Air Purifier A7 costs ¥2499.",
        "How much is the A7?",
        Variety::En,
        "The A7 is ¥2,499 — happy to help with anything else!",
    );
    assert_eq!(rejected_as(en), "accept");
}

#[test]
fn invented_price_and_discount_are_rejected() {
    let c = a7();
    let q = "A7多少钱？";
    let price = verdict(&c, T_PRICE, q, Variety::Cmn, "A7 现在只要 1999 元！");
    assert_eq!(
        price,
        Verdict::Reject {
            rejection: Rejection::InventedNumber("1999".into())
        }
    );
    let cn_price = verdict(&c, T_PRICE, q, Variety::Cmn, "A7 只要一千九百九十九元。");
    assert_eq!(rejected_as(cn_price), "invented_number");
    let pct = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 售价 2499 元，今天下单立享 8% 的优惠。",
    );
    assert_eq!(rejected_as(pct), "invented_number");
    let zhe = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 售价 2499 元，现在打八折。",
    );
    assert_eq!(rejected_as(zhe), "invented_number");
    // A discount word with no number, where the template makes no offer: still a new promise
    // unless the cited facts have it (A7's facts speak of 优惠, so try a word they lack).
    let coupon = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 售价 2499 元，还可以领优惠券。",
    );
    assert_eq!(rejected_as(coupon), "new_promise");
    let en = verdict(
        &c,
        "The Yunqi Air Purifier A7 costs ¥2499.",
        "How much is the A7?",
        Variety::En,
        "The A7 costs ¥2499, and there's a coupon for you today.",
    );
    assert_eq!(rejected_as(en), "new_promise");
}

#[test]
fn delivery_and_service_promises_are_rejected() {
    let c = a7();
    // The faq about smart locks promises nothing about shipping; use a fact-free template.
    let none: Case = Case {
        facts: Vec::new(),
        names: c.names.clone(),
    };
    let t = "好的，我帮您转给专属顾问。";
    for (bad, kind) in [
        ("好的，我帮您转给专属顾问，明天就能送到。", "new_promise"),
        ("好的，马上帮您转接顾问，全国包邮哦。", "new_promise"),
        ("好的，我帮您转给顾问，保证让您满意。", "new_promise"),
        ("好的，顾问会联系您，购买后享受终身保修。", "new_promise"),
    ] {
        assert_eq!(
            rejected_as(verdict(&none, t, "我想找人工", Variety::Cmn, bad)),
            kind,
            "{bad}"
        );
    }
    let switched = verdict(
        &none,
        t,
        "我想找人工",
        Variety::Cmn,
        "OK, an advisor will call you, and shipping is free.",
    );
    assert_ne!(rejected_as(switched), "accept");
    let en = verdict(
        &none,
        "Sure, I'll pass you to an advisor.",
        "can I talk to someone",
        Variety::En,
        "Sure, an advisor will contact you — delivery is guaranteed by tomorrow.",
    );
    assert_eq!(rejected_as(en), "new_promise");
    // The 110 V case: the A7 is 220 V; a reply saying it works on 110 V invents a number.
    let volt = verdict(
        &c,
        T_PRICE,
        "美国能用吗",
        Variety::Cmn,
        "A7 售价 2499 元，110V 也能直接用。",
    );
    assert_eq!(rejected_as(volt), "invented_number");
}

#[test]
fn invented_products_and_competitors_are_rejected() {
    let c = a7();
    let q = "A7多少钱？";
    // Another product of the company that the reply does not cite.
    let other = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 价格 2499 元，也可以看看云栖净水器 R8 1000G。",
    );
    assert_eq!(rejected_as(other), "invented_name");
    // A competitor the company knows, and a brand it does not list.
    let comp = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 售价 2499 元，比科沃斯的更好。",
    );
    assert_eq!(rejected_as(comp), "invented_name");
    let brand = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 售价 2499 元，比戴森的便宜多了。",
    );
    assert_eq!(rejected_as(brand), "invented_name");
    // A model number that does not exist.
    let model = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 售价 2499 元，升级版 A9 也有货。",
    );
    assert_eq!(
        model,
        Verdict::Reject {
            rejection: Rejection::InventedName("a9".into())
        }
    );
    // The customer's own words may be repeated.
    let theirs = verdict(
        &c,
        T_PRICE,
        "比小米的贵吗？A7多少钱",
        Variety::Cmn,
        "A7 售价 2499 元，和小米的定位不同。",
    );
    assert_eq!(rejected_as(theirs), "accept");
}

#[test]
fn language_switches_are_rejected() {
    let c = a7();
    let q = "A7多少钱？";
    let to_en = verdict(&c, T_PRICE, q, Variety::Cmn, "The A7 costs 2499 yuan.");
    assert_eq!(rejected_as(to_en), "wrong_variety");
    let mixed = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 售价 2499 元, very good choice for you!",
    );
    assert_eq!(rejected_as(mixed), "wrong_variety");
    let to_zh = verdict(
        &c,
        "The Yunqi Air Purifier A7 costs ¥2499.",
        "How much is the A7?",
        Variety::En,
        "A7 售价 2499 元。",
    );
    assert_eq!(rejected_as(to_zh), "wrong_variety");
    // Mandarin for a Cantonese customer, Cantonese for a Mandarin one.
    let yue_t = "雲棲空氣清新機 A7 嘅價錢係 ¥2499。";
    let to_cmn = verdict(
        &c,
        yue_t,
        "A7幾錢呀？",
        Variety::Yue,
        "A7 的价格是 2499 元，您还有什么想了解的吗？",
    );
    assert_eq!(rejected_as(to_cmn), "wrong_variety");
    let to_yue = verdict(
        &c,
        T_PRICE,
        q,
        Variety::Cmn,
        "A7 係 2499 蚊，你仲有咩想問？",
    );
    assert_ne!(rejected_as(to_yue), "accept");
}

#[test]
fn markup_empty_and_runaway_answers_are_rejected() {
    let c = a7();
    let q = "A7多少钱？";
    assert_eq!(
        rejected_as(verdict(&c, T_PRICE, q, Variety::Cmn, "  ")),
        "empty"
    );
    assert_eq!(
        rejected_as(verdict(
            &c,
            T_PRICE,
            q,
            Variety::Cmn,
            "A7 售价 2499 元<|im_end|>"
        )),
        "markup"
    );
    let long = "A7 售价 2499 元。".repeat(12);
    assert_eq!(
        rejected_as(verdict(&c, T_PRICE, q, Variety::Cmn, &long)),
        "too_long"
    );
}

#[test]
fn a_rewording_that_drops_a_stated_fact_is_rejected() {
    let c = a7();
    let q = "A7多少钱？滤芯多久换？";
    let template = "云栖空气净化器 A7 的价格是 ¥2499。滤芯约 12 个月更换一次。";
    // The price and the filter life both stay: accepted.
    let kept = verdict(
        &c,
        template,
        q,
        Variety::Cmn,
        "A7 售价 2499 元，滤芯大约每 12 个月换一次哦。",
    );
    assert_eq!(rejected_as(kept), "accept");
    // The filter life dropped: the engine chose to say it, so the template is sent.
    let dropped = verdict(&c, template, q, Variety::Cmn, "A7 售价 2499 元，欢迎选购！");
    assert_eq!(rejected_as(dropped), "omitted");
    // The model code dropped with the price kept.
    let no_code = verdict(
        &c,
        "The Yunqi Air Purifier A7 costs ¥2499.",
        "How much is the A7?",
        Variety::En,
        "It costs ¥2,499.",
    );
    assert_eq!(rejected_as(no_code), "omitted");
}
