//! A customer's budget in one turn: from the money entities and the words around them ("两千左右",
//! "3k 以内", "一千多", "under 2000"), or, where the extractor saw no money, a bare number after a
//! budget word or before a currency word ("budget under 10,000 yuan").

use serde_json::{Value, json};
use tuoke_core::{Analysis, EntityType};

fn has(hay: &str, needles: &'static [&'static str]) -> bool {
    crate::words::any(hay, needles)
}

/// A budget from the turn's money entities and the words around them.
pub(crate) fn budget(a: &Analysis) -> Option<Value> {
    let chars: Vec<char> = a.text.to_lowercase().chars().collect();
    let e = a
        .entities_of(EntityType::Money)
        .filter(|e| {
            e.value
                .get("amount")
                .and_then(Value::as_f64)
                .is_some_and(|n| n.is_finite() && (0.0..=1e12).contains(&n))
        })
        .last();
    let (amount, currency, start, end, mut min, mut max) = match e {
        Some(e) => (
            e.value.get("amount").and_then(Value::as_f64)?,
            e.value
                .get("currency")
                .and_then(Value::as_str)
                .unwrap_or("CNY"),
            e.start,
            e.end,
            e.value.get("min").and_then(Value::as_f64),
            e.value.get("max").and_then(Value::as_f64),
        ),
        None => {
            let (amount, start, end) = plain_budget(&chars)?;
            (amount, "CNY", start, end, None, None)
        }
    };
    let window = |from: usize, to: usize| -> String {
        chars
            .get(from.min(chars.len())..to.min(chars.len()))
            .unwrap_or(&[])
            .iter()
            .collect()
    };
    let before = window(start.saturating_sub(12), start);
    let after = window(end, end + 6);
    const UPTO_AFTER: &[&str] = &["以内", "以下", "之内", "內", "内", "封顶", "为限", "為限"];
    const UPTO_BEFORE: &[&str] = &[
        "不超过",
        "不超過",
        "唔超過",
        "唔超过",
        "不能超过",
        "最多",
        "低于",
        "低於",
        "少于",
        "少於",
        "少過",
        "under",
        "below",
        "less than",
        "within",
        "max",
        "up to",
        "no more than",
        "not more than",
        "at most",
    ];
    const AROUND_AFTER: &[&str] = &["左右", "上下", "前后", "前後", "度", "ish"];
    const AROUND_BEFORE: &[&str] = &[
        "大概",
        "大约",
        "大約",
        "差不多",
        "around",
        "about",
        "roughly",
        "approximately",
        "~",
        "约",
        "約",
    ];
    const OVER_AFTER: &[&str] = &["以上", "起"];
    const OVER_BEFORE: &[&str] = &["over", "more than", "above", "at least", "至少"];
    if min.is_none() && max.is_none() {
        if has(&after, UPTO_AFTER) || has(&before, UPTO_BEFORE) {
            max = Some(amount);
        } else if after.starts_with('多') || after.starts_with("幾") || after.starts_with("几") {
            // "一千多" = 1,000–1,999: the next step of the leading digit.
            let step = 10f64.powf(amount.log10().floor().max(0.0));
            min = Some(amount);
            max = Some(amount + step);
        } else if has(&after, AROUND_AFTER) || has(&before, AROUND_BEFORE) {
            min = Some(amount * 0.8);
            max = Some(amount * 1.2);
        } else if has(&after, OVER_AFTER) || has(&before, OVER_BEFORE) {
            min = Some(amount);
        }
    }
    let mut v = json!({"amount": amount, "currency": currency});
    if let Some(m) = min {
        v["min"] = json!(m);
    }
    if let Some(m) = max {
        v["max"] = json!(m);
    }
    Some(v)
}

/// A budget the money extractor left as a bare number: "budget under 10,000 yuan", "budget
/// 2000", "under 3000 rmb". Digits (thousands separators allowed) after a budget word or before
/// a currency word. Returns the amount and its char span.
fn plain_budget(chars: &[char]) -> Option<(f64, usize, usize)> {
    const CUES_BEFORE: &[&str] = &["budget", "预算", "預算", "spend", "afford"];
    const CURRENCY_AFTER: &[&str] = &[
        " yuan", "yuan", " rmb", "rmb", " cny", " kuai", " bucks", "元", "块", "蚊",
    ];
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || (chars[i] == ','
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                    && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())))
        {
            if chars[i] != ',' {
                digits.push(chars[i]);
            }
            i += 1;
        }
        let end = i;
        // A model number ("A7", "X10") or a size ("120 m2") is no budget.
        if chars
            .get(end)
            .is_some_and(|c| c.is_ascii_alphabetic() && *c != 'k')
        {
            continue;
        }
        let Ok(n) = digits.parse::<f64>() else {
            continue;
        };
        let (n, end) = if chars.get(end) == Some(&'k') {
            (n * 1000.0, end + 1)
        } else {
            (n, end)
        };
        let before: String = chars[start.saturating_sub(24)..start].iter().collect();
        let after: String = chars[end..(end + 6).min(chars.len())].iter().collect();
        let cued = crate::words::any(&before, CUES_BEFORE)
            || CURRENCY_AFTER.iter().any(|c| after.starts_with(c));
        if cued && n >= 50.0 && n.is_finite() {
            return Some((n, start, end));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_budgets_in_english() {
        let chars = |t: &str| t.to_lowercase().chars().collect::<Vec<char>>();
        assert_eq!(
            plain_budget(&chars("budget under 10,000 yuan")).map(|x| x.0),
            Some(10000.0)
        );
        assert_eq!(
            plain_budget(&chars("my budget is 2000")).map(|x| x.0),
            Some(2000.0)
        );
        assert_eq!(
            plain_budget(&chars("about 3k rmb")).map(|x| x.0),
            Some(3000.0)
        );
        // Sizes, counts and model numbers are no budget.
        assert_eq!(plain_budget(&chars("120 m2 with three bedrooms")), None);
        assert_eq!(
            plain_budget(&chars("is the X10 good for a 2000 sq ft house")),
            None
        );
    }
}
