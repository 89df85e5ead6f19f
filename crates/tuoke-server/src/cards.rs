//! Product cards: a bot message that cites a product as a whole (`product:<id>`) or its price
//! (`product:<id>:price`) carries a card per product — name, price with thousands separators, the
//! first key facts of the KB and a call to action — so the widget can show more than plain text.
//! Built once per company from the knowledge base (every text in `zh`, `en` and `yue`, the last
//! converted to Traditional where the KB has only Simplified), so a message costs a lookup.

use std::collections::HashMap;

use serde::Serialize;
use tuoke_dialogue::{Company, Product, Text};

use crate::script;

/// Key facts on a card.
const FACTS: usize = 3;
/// Cards on one message.
const MAX_CARDS: usize = 3;

/// A text in the three varieties the widget may show (`yue` always filled).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Localized {
    pub zh: String,
    pub en: String,
    pub yue: String,
}

impl Localized {
    fn of(t: &Text) -> Localized {
        Localized {
            zh: t.zh.clone(),
            en: t.en.clone(),
            yue: t
                .yue
                .clone()
                .unwrap_or_else(|| script::to_hk(&t.zh).into_owned()),
        }
    }

    fn fill(zh: &str, en: &str, yue: &str, name: &Localized) -> Localized {
        Localized {
            zh: zh.replace("{name}", &name.zh),
            en: en.replace("{name}", &name.en),
            yue: yue.replace("{name}", &name.yue),
        }
    }
}

/// The call to action: a button label and the message it sends for the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub label: Localized,
    pub message: Localized,
}

/// One product card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub product_id: String,
    pub name: Localized,
    pub category: Localized,
    /// The price as the KB states it, formatted (`¥3,999`, `HK$1,280.50`).
    pub price: String,
    pub amount: f64,
    pub currency: String,
    pub facts: Vec<Localized>,
    pub cta: Action,
}

/// `1234567.5` → `1,234,567.50`; whole amounts without decimals.
pub fn thousands(amount: f64) -> String {
    let cents = (amount.abs() * 100.0).round() as u64;
    let (whole, frac) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    if amount < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if frac != 0 {
        out.push_str(&format!(".{frac:02}"));
    }
    out
}

/// A price with its currency's sign: `¥3,999` (CNY), `HK$499`, `US$20`, else `EUR 20`.
pub fn price_text(amount: f64, currency: &str) -> String {
    let n = thousands(amount);
    match currency {
        "CNY" | "RMB" => format!("¥{n}"),
        "HKD" => format!("HK${n}"),
        "USD" => format!("US${n}"),
        "MOP" => format!("MOP${n}"),
        c => format!("{c} {n}"),
    }
}

fn card(p: &Product) -> Card {
    let name = Localized::of(&p.name);
    Card {
        product_id: p.id.clone(),
        category: Localized::of(&p.category),
        price: price_text(p.price.amount, &p.price.currency),
        amount: p.price.amount,
        currency: p.price.currency.clone(),
        facts: p.features.iter().take(FACTS).map(Localized::of).collect(),
        cta: Action {
            label: Localized::fill("我想买", "I'd like this", "我想買", &name),
            message: Localized::fill(
                "我想买{name}，怎么下单？",
                "I'd like to buy the {name}. How do I order?",
                "我想買{name}，點樣落單？",
                &name,
            ),
        },
        name,
    }
}

/// The cards of a company's products, by product id.
#[derive(Debug, Default)]
pub struct Cards {
    by_id: HashMap<String, Card>,
}

impl Cards {
    pub fn new(company: &Company) -> Cards {
        Cards {
            by_id: company
                .products()
                .iter()
                .map(|p| (p.id.clone(), card(p)))
                .collect(),
        }
    }

    /// The cards for a bot message's citations: each product cited whole or by its price, in
    /// order, once, at most three.
    pub fn for_citations(&self, citations: &[String]) -> Vec<&Card> {
        let mut out: Vec<&Card> = Vec::new();
        for c in citations {
            let Some(rest) = c.strip_prefix("product:") else {
                continue;
            };
            let id = match rest.split_once(':') {
                None => rest,
                Some((id, "price")) => id,
                Some(_) => continue,
            };
            if let Some(card) = self.by_id.get(id)
                && !out.iter().any(|x| x.product_id == card.product_id)
            {
                out.push(card);
                if out.len() == MAX_CARDS {
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_have_thousands_separators() {
        assert_eq!(thousands(3999.0), "3,999");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_234_567.5), "1,234,567.50");
        assert_eq!(price_text(4599.0, "CNY"), "¥4,599");
        assert_eq!(price_text(1280.5, "HKD"), "HK$1,280.50");
    }

    #[test]
    fn cards_for_whole_products_and_prices_only() {
        let company = Company::demo();
        let cards = Cards::new(&company);
        let c = cards.for_citations(&[
            "product:yq-vac-x20:price".into(),
            "product:yq-vac-x20".into(),
            "product:yq-air-a7:spec:1".into(),
            "faq:delivery".into(),
            "product:yq-air-a3".into(),
        ]);
        let ids: Vec<&str> = c.iter().map(|c| c.product_id.as_str()).collect();
        assert_eq!(ids, ["yq-vac-x20", "yq-air-a3"]);
        let x20 = c[0];
        assert_eq!(x20.price, "¥3,999");
        assert!((2..=3).contains(&x20.facts.len()));
        assert!(x20.name.yue.contains("雲棲"), "{}", x20.name.yue);
        assert!(x20.cta.message.zh.contains(&x20.name.zh));
        // A fact with only zh and en gets a Traditional Cantonese-side text.
        assert!(!x20.facts[0].yue.contains('细'));
    }
}
