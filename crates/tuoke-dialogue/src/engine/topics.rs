//! The ask intents a clause's topics stand for (`concepts.yaml` → intent): "运费几多？" asks about
//! delivery, "部機開唔著" about after-sales, whatever the intent model read.

use super::buying::BUDGET;
use super::cues::has;

/// The ask intents a question's topics stand for (`concepts.yaml`): "运费几多？" asks about
/// delivery whatever the model read.
pub(crate) fn topic_intents(query: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let lower = query.to_lowercase();
    if crate::question::asks_price(&lower) && !states_budget(&lower) {
        out.push("ask_price");
    }
    for t in crate::concepts::tokens(&lower) {
        if let Some(i) = concept_intent(&t)
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

/// "预算一千几蚊" (几 is no question there), "budget under 2k": a budget stated, no price asked.
pub(super) fn states_budget(lower: &str) -> bool {
    has(lower, BUDGET)
        && !has(
            lower,
            &[
                "多少钱",
                "多少錢",
                "几多钱",
                "幾多錢",
                "几钱",
                "幾錢",
                "价格",
                "價格",
                "价钱",
                "價錢",
                "how much",
                "price",
            ],
        )
}

/// The ask intent a topic concept stands for, if one does.
pub(super) fn concept_intent(concept: &str) -> Option<&'static str> {
    Some(match concept {
        "#delivery" | "#overseas" | "#hkmo" | "#tracking" => "ask_delivery",
        "#warranty" | "#returns" | "#out_of_warranty" | "#repair_process" | "#fault" => {
            "ask_after_sales"
        }
        "#trial" => "ask_trial",
        "#payment" | "#invoice" | "#credit_terms" => "ask_payment",
        "#discount" => "ask_discount",
        // "含安装吗", "Does the price include installation?": what the price covers.
        "#install_fee" => "ask_price",
        _ => return None,
    })
}
