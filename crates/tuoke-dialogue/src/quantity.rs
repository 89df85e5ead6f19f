//! How many an English customer wants when no unit says it ("What if I buy two?", "maybe 12 A7
//! purifiers", "we'd like to order 12"): the entity rules need a unit ("12 units"); these turns
//! have a buying verb or a product name instead. Chinese counts always carry a measure word
//! (两台, 20 把) and come from the entity rules.

use crate::company::Company;

const VERBS: &[&str] = &[
    "buy", "order", "get", "take", "need", "want", "purchase", "for", "ordering", "buying",
];

/// Words after a number that make it something else than a count of products.
const NOT_A_COUNT: &[&str] = &[
    "percent", "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
    "minute", "minutes", "am", "pm", "rmb", "yuan", "dollar", "dollars", "hkd", "usd", "cny", "k",
    "sq", "square", "bedroom", "bedrooms", "room", "rooms", "floor", "floors", "people", "person",
    "kids", "children", "cats", "dogs", "pets", "o", "oclock", "times", "bucks",
];

fn number(w: &str) -> Option<f64> {
    const WORDS: &[(&str, f64)] = &[
        ("one", 1.0),
        ("two", 2.0),
        ("three", 3.0),
        ("four", 4.0),
        ("five", 5.0),
        ("six", 6.0),
        ("seven", 7.0),
        ("eight", 8.0),
        ("nine", 9.0),
        ("ten", 10.0),
        ("eleven", 11.0),
        ("twelve", 12.0),
        ("fifteen", 15.0),
        ("twenty", 20.0),
        ("thirty", 30.0),
        ("fifty", 50.0),
        ("hundred", 100.0),
    ];
    if !w.is_empty() && w.len() <= 5 && w.chars().all(|c| c.is_ascii_digit()) {
        return w.parse().ok().filter(|n: &f64| *n > 0.0);
    }
    WORDS.iter().find(|(s, _)| *s == w).map(|(_, n)| *n)
}

/// The count an English turn asks for, if it states one as above.
pub fn english_count(company: &Company, text: &str) -> Option<f64> {
    let lower = text.to_lowercase();
    // Chinese text splits into Latin pieces that only look adjacent ("120平的话…X20" is no
    // order of 120 X20s): its counts come from the entity rules.
    if lower
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count()
        >= 2
    {
        return None;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // A product or category word right after the number ("12 A7 purifiers", "two X10s").
    let names_product = |at: usize| {
        words.get(at).is_some_and(|w| {
            let w = w.strip_suffix('s').unwrap_or(w);
            company
                .find_names(w)
                .iter()
                .any(|(start, is_product, _)| *is_product && *start == 0)
                || company.find_category(w).is_some()
        })
    };
    for (i, w) in words.iter().enumerate() {
        let Some(n) = number(w) else { continue };
        let next = words.get(i + 1).copied().unwrap_or("");
        if NOT_A_COUNT.contains(&next) {
            continue;
        }
        let after_verb = i > 0 && words.get(i - 1).is_some_and(|p| VERBS.contains(p));
        // ("30 of the R8 water purifiers")
        let of_the = match (next, words.get(i + 2).copied()) {
            ("of", Some("the" | "your" | "those" | "these")) => i + 3,
            ("of", _) => i + 2,
            _ => i + 1,
        };
        if after_verb || names_product(i + 1) || (of_the != i + 1 && names_product(of_the)) {
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_has_no_english_count() {
        let c = crate::Company::demo();
        assert_eq!(
            english_count(&c, "120平的话扫地机选哪个？X20一次充电能扫完吗？"),
            None
        );
        assert_eq!(english_count(&c, "maybe 12 A7 purifiers"), Some(12.0));
    }

    #[test]
    fn counts_without_units() {
        let c = Company::demo();
        assert_eq!(
            english_count(&c, "What if I buy two? Is there a discount for two?"),
            Some(2.0)
        );
        assert_eq!(
            english_count(&c, "maybe 12 A7 purifiers for our meeting rooms"),
            Some(12.0)
        );
        assert_eq!(
            english_count(&c, "OK, we'd like to order 12 now."),
            Some(12.0)
        );
        assert_eq!(english_count(&c, "The warranty is for two years?"), None);
        assert_eq!(english_count(&c, "my budget is 3000 rmb"), None);
        assert_eq!(english_count(&c, "we have two cats"), None);
        assert_eq!(english_count(&c, "call me at 10 am"), None);
    }
}
