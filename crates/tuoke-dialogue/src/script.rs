//! The reply's Chinese script follows the customer's: a Hong Kong or Taiwan customer writing
//! Traditional characters reads Traditional, a Guangdong customer typing Cantonese in Simplified
//! reads Simplified.
//!
//! Templates are written in one script per variety (Mandarin Simplified, Cantonese Traditional)
//! and most knowledge-base facts only in Simplified, so without this step a Cantonese reply quoted
//! Simplified facts inside Traditional sentences ("資料係咁寫嘅：下单后…").
//!
//! The decision is kept in the conversation state like the variety ([`crate::lang`]): a turn with
//! characters of one script only and at least [`CLEAR`] of them decides; a turn with none, or with
//! both, changes nothing (model numbers, "ok", 的 and 是 are the same in both scripts). With no
//! decision yet the variety's own script is used: Mandarin Simplified, Cantonese Traditional.
//!
//! Conversion: Traditional → Simplified with `fast2s` (the normalizer's, one char per char);
//! Simplified → Traditional with OpenCC's Hong Kong tables (`ferrous-opencc`, Apache-2.0, phrase
//! aware: 米家 stays 米家, 顺丰 becomes 順豐, 弥敦道 彌敦道), built once per process.

use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use serde::{Deserialize, Serialize};

use crate::text::Variety;

/// A Chinese script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    Simplified,
    Traditional,
}

/// Characters of one script (and none of the other) a turn needs to decide.
const CLEAR: usize = 1;

/// OpenCC's Simplified → Traditional (Hong Kong) converter, or `None` if its embedded tables
/// failed to load (never seen; replies then stay as written).
fn to_traditional() -> Option<&'static OpenCC> {
    static CC: OnceLock<Option<OpenCC>> = OnceLock::new();
    CC.get_or_init(|| match OpenCC::from_config(BuiltinConfig::S2hk) {
        Ok(cc) => Some(cc),
        Err(e) => {
            tracing::warn!(error = %e, "Simplified → Traditional tables did not load; replies keep their script");
            None
        }
    })
    .as_ref()
}

/// Characters that differ between `a` and `b`, position by position (both conversions keep one
/// char per char for Chinese text; a length change counts as one difference).
fn differing(a: &str, b: &str) -> usize {
    let mut n = a.chars().zip(b.chars()).filter(|(x, y)| x != y).count();
    if a.chars().count() != b.chars().count() {
        n += 1;
    }
    n
}

/// Traditional-only and Simplified-only characters in `text`.
pub fn evidence(text: &str) -> (usize, usize) {
    if !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return (0, 0);
    }
    let traditional = differing(text, &fast2s::convert(text));
    let simplified = to_traditional().map_or(0, |cc| differing(text, &cc.convert(text)));
    (traditional, simplified)
}

/// The script after a customer turn: `current` unless the turn is clearly in one script.
/// `default` is the script replies have without a decision (the variety's own).
///
/// (Cheap first: Traditional characters are found with `fast2s`, one table lookup per char; the
/// OpenCC pass that finds Simplified ones runs only when its answer could change something.)
pub fn decide(current: Option<Script>, default: Option<Script>, text: &str) -> Option<Script> {
    if !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return current;
    }
    let traditional = differing(text, &fast2s::convert(text));
    let simplified = || to_traditional().map_or(0, |cc| differing(text, &cc.convert(text)));
    if traditional >= CLEAR {
        // A Traditional turn with Simplified characters too (a pasted address) decides nothing.
        return if simplified() == 0 {
            Some(Script::Traditional)
        } else {
            current
        };
    }
    if current.or(default) == Some(Script::Simplified) {
        // Already Simplified: a Simplified turn changes nothing.
        return current;
    }
    if simplified() >= CLEAR {
        Some(Script::Simplified)
    } else {
        current
    }
}

/// The script a reply in `variety` is written in: the customer's, else the variety's own.
/// `None` for English.
///
/// (Mandarin templates and the KB's facts are Simplified already: a Simplified Mandarin reply
/// needs no conversion, which [`needs_conversion`] says.)
pub fn for_reply(variety: Variety, customer: Option<Script>) -> Option<Script> {
    match variety {
        Variety::En => None,
        Variety::Cmn => Some(customer.unwrap_or(Script::Simplified)),
        Variety::Yue => Some(customer.unwrap_or(Script::Traditional)),
    }
}

/// Whether a reply in `variety` must be converted to be in `script`.
pub fn needs_conversion(variety: Variety, script: Script) -> bool {
    !(variety == Variety::Cmn && script == Script::Simplified)
}

/// `text` written in `script`.
pub fn convert(text: &str, script: Script) -> String {
    match script {
        Script::Simplified => fast2s::convert(text),
        Script::Traditional => match to_traditional() {
            Some(cc) => cc.convert(text),
            None => text.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_counts_each_script() {
        assert_eq!(evidence("A7 多少钱？"), (0, 1));
        assert_eq!(evidence("A7 幾錢？"), (2, 0));
        assert_eq!(evidence("ok A7?"), (0, 0));
        // 嘅 and 唔 are the same in both scripts: no evidence either way.
        assert_eq!(evidence("佢哋嘅"), (0, 0));
    }

    #[test]
    fn a_clear_turn_decides_and_an_unclear_one_keeps() {
        let trad = Some(Script::Traditional);
        let t = decide(None, trad, "送貨去九龍要幾耐？");
        assert_eq!(t, trad);
        assert_eq!(decide(t, trad, "A7？"), trad);
        assert_eq!(decide(t, trad, "几钱呀？"), Some(Script::Simplified));
        // Both scripts in one turn (a pasted address): nothing changes.
        assert_eq!(decide(t, trad, "几钱？送去旺角彌敦道"), t);
        // A Simplified turn in a Simplified talk: no decision needed.
        assert_eq!(decide(None, Some(Script::Simplified), "多少钱"), None);
        assert_eq!(decide(None, trad, "几钱呀"), Some(Script::Simplified));
    }

    #[test]
    fn replies_default_to_the_varietys_script() {
        assert_eq!(for_reply(Variety::Yue, None), Some(Script::Traditional));
        assert_eq!(for_reply(Variety::Cmn, None), Some(Script::Simplified));
        assert_eq!(
            for_reply(Variety::Cmn, Some(Script::Traditional)),
            Some(Script::Traditional)
        );
        assert_eq!(for_reply(Variety::En, Some(Script::Traditional)), None);
    }

    #[test]
    fn conversion_is_phrase_aware_both_ways() {
        let t = convert(
            "港澳顺丰跨境 3–5 个工作日，支持米家和 HomeKit，旺角弥敦道",
            Script::Traditional,
        );
        assert_eq!(
            t,
            "港澳順豐跨境 3–5 個工作日，支持米家和 HomeKit，旺角彌敦道"
        );
        assert_eq!(
            convert("雲棲空氣清新機 A7嘅售價係¥2499", Script::Simplified),
            "云栖空气清新机 A7嘅售价系¥2499"
        );
    }
}
