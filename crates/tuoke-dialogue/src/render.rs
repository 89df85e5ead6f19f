//! Reply rendering: fills `{placeholder}`s from the knowledge base and the slots, collecting the
//! ids of the KB entries quoted. A placeholder that cannot be filled makes the whole template fail
//! (the engine then takes the node's `otherwise`), so nothing is ever made up.

use serde_json::Value;

use crate::catalog::{Price, Product};
use crate::company::Company;
use crate::kb::DocKind;
use crate::playbook::placeholders;
use crate::state::ConversationState;
use crate::text::{Text, Variety};

/// Minimum BM25 score for a FAQ answer to count as relevant.
pub const FAQ_MIN_SCORE: f32 = 1.0;

pub struct RenderCtx<'a> {
    pub company: &'a Company,
    pub state: &'a ConversationState,
    pub variety: Variety,
    /// The customer's words this turn (for `{faq}`).
    pub text: &'a str,
    pub intent: Option<&'a str>,
}

pub use crate::text::{fmt_num, fmt_price};

fn price(p: &Price) -> String {
    fmt_price(p.amount, &p.currency)
}

fn join(v: Variety, items: impl Iterator<Item = String>) -> String {
    // KB sentences end with their own full stop; the separator (and the template) supplies it.
    let items: Vec<String> = items
        .map(|s| {
            s.trim()
                .trim_end_matches(['。', '；', ';', '.'])
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect();
    items.join(if v.is_chinese() { "；" } else { "; " })
}

/// Collapse punctuation doubled where a KB text ending in a full stop meets a template's own
/// ("…抵¥150。。" → "…抵¥150。", "trade-in.." → "trade-in."). An ellipsis ("...") and decimal
/// points are left alone.
fn tidy_punctuation(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut last: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let cjk_double =
            matches!(c, '。' | '；') && matches!(last, Some('。' | '；' | '！' | '？'));
        let en_double = c == '.'
            && last == Some('.')
            && (i < 2 || chars[i - 2] != '.')
            && chars.get(i + 1) != Some(&'.');
        if cjk_double || en_double {
            continue;
        }
        // "…可无理由退货。，您可以放心体验" → "…可无理由退货，您可以放心体验".
        if matches!(c, '，' | '、') && last == Some('。') {
            out.pop();
        }
        if c == ',' && last == Some('.') && (i < 2 || chars[i - 2] != '.') {
            out.pop();
        }
        out.push(c);
        last = Some(c);
    }
    out
}

fn list(v: Variety, items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    items.join(if v.is_chinese() { "、" } else { ", " })
}

fn fmt_time(s: &str, v: Variety) -> Option<String> {
    let dt = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    // A day without an hour ("这周末", "on Friday") is stored at midnight: say the day only.
    if chrono::Timelike::hour(&dt) == 0 && chrono::Timelike::minute(&dt) == 0 {
        return Some(if v.is_chinese() {
            dt.format("%-m月%-d日").to_string()
        } else {
            dt.format("on %b %-d").to_string()
        });
    }
    Some(if v.is_chinese() {
        dt.format("%-m月%-d日 %H:%M").to_string()
    } else {
        dt.format("on %b %-d at %H:%M").to_string()
    })
}

impl RenderCtx<'_> {
    fn product(&self) -> Option<&Product> {
        self.state.product().and_then(|id| self.company.product(id))
    }

    fn text(&self, t: &Text) -> String {
        t.get(self.variety).to_string()
    }

    /// Value of one placeholder and the citations it adds; `None` when it cannot be filled.
    fn value(&self, name: &str, cites: &mut Vec<String>) -> Option<String> {
        let v = self.variety;
        let c = self.company;
        let cite_product =
            |p: &Product, cites: &mut Vec<String>| cites.push(format!("product:{}", p.id));
        let out = match name {
            "company" => self.text(&c.info.name),
            "hours" => {
                cites.push("company".into());
                Some(self.text(&c.info.hours)).filter(|s| !s.is_empty())?
            }
            "company_phone" => {
                cites.push("company".into());
                Some(c.info.contact.phone.clone()).filter(|s| !s.is_empty())?
            }
            "company_email" => {
                cites.push("company".into());
                Some(c.info.contact.email.clone()).filter(|s| !s.is_empty())?
            }
            "product_list" => {
                for p in &c.products {
                    cite_product(p, cites);
                }
                list(v, c.products.iter().map(|p| self.text(&p.name)))
            }
            "product" | "price" | "features" | "specs" | "delivery" | "warranty" | "stock"
            | "trial" | "discount" | "max_discount" | "discount_note" => {
                let p = self.product()?;
                let s = match name {
                    "product" => self.text(&p.name),
                    "price" => price(&p.price),
                    "features" => join(v, p.features.iter().take(3).map(|f| self.text(f))),
                    "specs" => join(
                        v,
                        p.specs.iter().take(4).map(|s| {
                            format!(
                                "{}{}{}",
                                self.text(&s.key),
                                if v.is_chinese() { "：" } else { ": " },
                                self.text(&s.value)
                            )
                        }),
                    ),
                    "delivery" => self.text(p.delivery.as_ref()?),
                    "warranty" => self.text(p.warranty.as_ref()?),
                    "trial" => self.text(p.trial.as_ref()?),
                    "stock" => p.stock?.to_string(),
                    "discount" => {
                        if p.discount.bulk.is_empty() {
                            return None;
                        }
                        // The tier the count they gave reaches, then every tier. With no count,
                        // or one below the first tier, the policy note (what one unit can get,
                        // the tiers, the trade-in) instead.
                        let qty = self.state.slots.get("quantity").and_then(Value::as_f64);
                        let reached = qty.and_then(|q| volume_tier(p, q, v));
                        let sep = if v.is_chinese() { "；" } else { "; " };
                        if reached.is_none()
                            && let Some(note) = p.discount.note.as_ref()
                        {
                            cite_product(p, cites);
                            return Some(match qty.and_then(|q| below_tiers(p, q, v)) {
                                Some(below) => format!("{below}{sep}{}", self.text(note)),
                                None => self.text(note),
                            });
                        }
                        let all = join(
                            v,
                            p.discount.bulk.iter().map(|t| match v {
                                Variety::En => format!(
                                    "{}% off from {} units",
                                    fmt_num(t.pct),
                                    fmt_num(t.min_qty)
                                ),
                                Variety::Yue => {
                                    format!("{}件或以上減{}%", fmt_num(t.min_qty), fmt_num(t.pct))
                                }
                                Variety::Cmn => {
                                    format!("{}件及以上优惠{}%", fmt_num(t.min_qty), fmt_num(t.pct))
                                }
                            }),
                        );
                        match reached {
                            Some(r) => format!("{r}{sep}{all}"),
                            None => all,
                        }
                    }
                    "max_discount" => {
                        if p.discount.max_pct <= 0.0 {
                            return None;
                        }
                        format!("{}%", fmt_num(p.discount.max_pct))
                    }
                    _ => self.text(p.discount.note.as_ref()?),
                };
                if s.trim().is_empty() {
                    return None;
                }
                cite_product(p, cites);
                s
            }
            "quantity" => fmt_num(self.state.slots.get("quantity")?.as_f64()?),
            // "How many do you need?" only while the count is unknown (never fails).
            "ask_quantity" => match self.state.slots.get("quantity") {
                Some(_) => String::new(),
                None => crate::phrases::ASK_QUANTITY.get(v).to_string(),
            },
            "budget" => {
                let b = self.state.slots.get("budget")?;
                fmt_price(
                    b.get("amount")?.as_f64()?,
                    b.get("currency").and_then(Value::as_str).unwrap_or("CNY"),
                )
            }
            "callback_time" | "timeline" => fmt_time(self.state.slots.get(name)?.as_str()?, v)?,
            "competitor" | "competitor_facts" | "switching_offer" | "our_match" => {
                let comp = self
                    .state
                    .slots
                    .get("competitor")
                    .and_then(Value::as_str)
                    .and_then(|id| c.competitor(id))?;
                let cite = format!("competitor:{}", comp.id);
                // The competitor product to compare: the one matching our product in context;
                // with none in context, the first. A product in context the competitor has no
                // pairing for (a water purifier against Xiaomi) is compared by its own facts.
                let ours = self.state.product().and_then(|id| c.product(id));
                let cp = match ours {
                    Some(our) => comp
                        .products
                        .iter()
                        .find(|cp| cp.our_match.as_deref() == Some(our.id.as_str())),
                    None => comp.products.first(),
                };
                let s = match name {
                    "competitor" => self.text(&comp.name),
                    "competitor_facts" => {
                        let mut facts: Vec<String> = Vec::new();
                        match (cp, ours) {
                            (Some(cp), _) => facts.extend(cp.facts.iter().map(|f| self.text(f))),
                            (None, Some(our)) => {
                                cite_product(our, cites);
                                facts.extend(our.features.iter().take(2).map(|f| {
                                    format!(
                                        "{}{}{}",
                                        self.text(&our.name),
                                        if v.is_chinese() { "：" } else { ": " },
                                        self.text(f)
                                    )
                                }));
                            }
                            (None, None) => {}
                        }
                        facts.extend(
                            comp.weaknesses
                                .iter()
                                .filter(|w| ours.is_none_or(|our| about_product(c, w, our)))
                                .take(2)
                                .map(|f| self.text(f)),
                        );
                        let s = join(v, facts.into_iter());
                        if s.is_empty() {
                            return None;
                        }
                        s
                    }
                    "switching_offer" => self.text(comp.switching_offer.as_ref()?),
                    _ => {
                        let ours = cp
                            .and_then(|cp| cp.our_match.as_deref())
                            .and_then(|id| c.product(id))
                            .or(ours)?;
                        cite_product(ours, cites);
                        self.text(&ours.name)
                    }
                };
                if s.trim().is_empty() {
                    return None;
                }
                cites.push(cite);
                s
            }
            "faq" => {
                let extra: Vec<&str> = self.intent.into_iter().collect();
                let hit =
                    c.kb.search(self.text, &extra, Some(DocKind::Faq), 1)
                        .into_iter()
                        .next()
                        .filter(|h| h.score >= FAQ_MIN_SCORE)?;
                let f = c.faq(&hit.id)?;
                cites.push(format!("faq:{}", f.id));
                self.text(&f.answer)
            }
            _ => return None,
        };
        Some(out)
    }

    /// Render a template. `Err(name)` names the first placeholder that could not be filled.
    pub fn render(&self, template: &str) -> Result<(String, Vec<String>), String> {
        let mut cites = Vec::new();
        let mut out = String::with_capacity(template.len() + 64);
        let mut rest = template;
        let names = placeholders(template).map_err(|e| e.to_string())?;
        for name in names {
            let pat = format!("{{{name}}}");
            let Some(pos) = rest.find(&pat) else { break };
            out.push_str(rest.get(..pos).unwrap_or(""));
            let val = self
                .value(name, &mut cites)
                .ok_or_else(|| name.to_string())?;
            out.push_str(&val);
            rest = rest.get(pos + pat.len()..).unwrap_or("");
        }
        out.push_str(rest);
        let out = tidy_punctuation(&out);
        let mut seen = std::collections::BTreeSet::new();
        cites.retain(|c| seen.insert(c.clone()));
        Ok((out, cites))
    }
}

/// A product named with its price, as lists say it: "the Yunqi Air Purifier A7 (¥2499)",
/// "云栖空气净化器 A7（¥2499）".
pub(crate) fn name_and_price(p: &Product, v: Variety) -> String {
    match v {
        Variety::En => format!("the {} ({})", p.name.get(v), price(&p.price)),
        _ => format!("{}（{}）", p.name.get(v), price(&p.price)),
    }
}

/// "买30件可享20件及以上的10%优惠": the volume tier `qty` units of `p` reach, in words.
pub(crate) fn volume_tier(p: &Product, qty: f64, v: Variety) -> Option<String> {
    // (A count is whole: "20.83 units" is no order, and would be stated rounded.)
    if !(qty >= 2.0 && qty.is_finite() && qty.fract() == 0.0) {
        return None;
    }
    let t = p.discount.tier_for(qty)?;
    Some(
        crate::phrases::VOLUME_TIER
            .get(v)
            .replace("{qty}", &fmt_num(qty))
            .replace("{min}", &fmt_num(t.min_qty))
            .replace("{pct}", &fmt_num(t.pct)),
    )
}

/// "买2件还不到批量优惠（5件起）": `qty` units of `p` reach no volume tier.
fn below_tiers(p: &Product, qty: f64, v: Variety) -> Option<String> {
    let first = p
        .discount
        .bulk
        .iter()
        .map(|t| t.min_qty)
        .min_by(f64::total_cmp)?;
    (qty >= 1.0 && qty < first && qty.fract() == 0.0).then(|| {
        crate::phrases::VOLUME_BELOW
            .get(v)
            .replace("{qty}", &fmt_num(qty))
            .replace("{min}", &fmt_num(first))
    })
}

/// A competitor talking point that can be said while `ours` is in context: it names that
/// product, or names none of ours and no other category ("Robot vacuum batteries…" is not
/// said about a water purifier; "The X20 Ultra, A7, L5 Pro and S3 support Matter" neither).
fn about_product(c: &Company, point: &Text, ours: &Product) -> bool {
    let lower = point.all().collect::<Vec<_>>().join(" ").to_lowercase();
    let products: Vec<String> = c
        .find_names(&lower)
        .into_iter()
        .filter(|(_, is_product, _)| *is_product)
        .map(|(_, _, id)| id)
        .collect();
    if !products.is_empty() {
        return products.contains(&ours.id);
    }
    let categories = c.categories_named(&lower);
    categories.is_empty()
        || ours
            .category_id
            .as_ref()
            .is_some_and(|cat| categories.contains(cat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_without_noise() {
        assert_eq!(fmt_num(2999.0), "2999");
        assert_eq!(fmt_num(9.5), "9.5");
        assert_eq!(fmt_num(2.345678), "2.35");
        assert_eq!(fmt_num(f64::NAN), "");
        assert_eq!(fmt_price(1299.0, "CNY"), "¥1299");
        assert_eq!(fmt_price(99.0, "USD"), "US$99");
        assert_eq!(fmt_price(5.0, "JPY"), "JPY 5");
    }

    #[test]
    fn a_full_stop_before_a_comma_is_dropped() {
        assert_eq!(tidy_punctuation("可退货。，放心"), "可退货，放心");
        assert_eq!(tidy_punctuation("any reason., so"), "any reason, so");
        assert_eq!(tidy_punctuation("wait..., ok"), "wait..., ok");
    }

    #[test]
    fn doubled_sentence_marks_are_collapsed() {
        assert_eq!(tidy_punctuation("抵¥150。。"), "抵¥150。");
        assert_eq!(tidy_punctuation("烘干。；保修 2 年"), "烘干。保修 2 年");
        assert_eq!(tidy_punctuation("trade-in.. Offer"), "trade-in. Offer");
        assert_eq!(tidy_punctuation("wait... ok"), "wait... ok");
        assert_eq!(tidy_punctuation("版本 2.0。"), "版本 2.0。");
    }
}
