//! Localized text and the three language varieties replies are written in.

use serde::{Deserialize, Serialize};
use tuoke_core::{Dialect, Language};

/// A text a customer reads, in Mandarin (written Chinese), English and optionally Cantonese.
/// Cantonese falls back to `zh`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yue: Option<String>,
}

impl Text {
    /// The text for a variety (`yue` falls back to `zh`).
    pub fn get(&self, v: Variety) -> &str {
        match v {
            Variety::Cmn => &self.zh,
            Variety::En => &self.en,
            Variety::Yue => self.yue.as_deref().unwrap_or(&self.zh),
        }
    }

    /// All variants, for indexing and for checking facts.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        [
            Some(self.zh.as_str()),
            Some(self.en.as_str()),
            self.yue.as_deref(),
        ]
        .into_iter()
        .flatten()
    }
}

/// The language variety a reply is written in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Variety {
    /// Mandarin / standard written Chinese.
    #[default]
    Cmn,
    /// Cantonese (written Cantonese).
    Yue,
    /// English.
    En,
}

impl Variety {
    pub const ALL: [Variety; 3] = [Variety::Cmn, Variety::Yue, Variety::En];

    /// Chosen from the analysis: English text → `en`; otherwise the dialect decides.
    pub fn from_analysis(language: Language, dialect: Dialect) -> Variety {
        match (language, dialect) {
            (Language::En, _) => Variety::En,
            (_, Dialect::Yue) => Variety::Yue,
            _ => Variety::Cmn,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Variety::Cmn => "cmn",
            Variety::Yue => "yue",
            Variety::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Variety> {
        match s {
            "cmn" => Some(Variety::Cmn),
            "yue" => Some(Variety::Yue),
            "en" => Some(Variety::En),
            _ => None,
        }
    }

    pub fn is_chinese(self) -> bool {
        !matches!(self, Variety::En)
    }
}

/// Format a number without a useless fraction: 2999.0 → "2999", 9.5 → "9.5".
pub fn fmt_num(n: f64) -> String {
    if !n.is_finite() {
        return String::new();
    }
    if (n.fract()).abs() < 1e-9 {
        format!("{}", n.round() as i64)
    } else {
        let s = format!("{n:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn fmt_price(amount: f64, currency: &str) -> String {
    let sym = match currency {
        "CNY" | "RMB" => "¥",
        "USD" => "US$",
        "HKD" => "HK$",
        "EUR" => "€",
        _ => "",
    };
    if sym.is_empty() {
        format!("{} {}", currency, fmt_num(amount))
    } else {
        format!("{sym}{}", fmt_num(amount))
    }
}

/// The reply with every sentence said once: parts from different paths (a price answer, a price
/// with its passage) can state the same sentence, and a customer should not read it twice.
pub(crate) fn without_repeats(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut said: Vec<String> = Vec::new();
    let mut sentence = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        sentence.push(c);
        // A sentence ends at 。！？ or at ". " / "? " / "! " (not inside "2.6L" or "¥1,099.50").
        let end = matches!(c, '。' | '！' | '？')
            || (matches!(c, '.' | '?' | '!') && chars.peek().is_none_or(|n| *n == ' '));
        if end || chars.peek().is_none() {
            let key = sentence.trim().to_string();
            if key.chars().count() < 6 || !said.contains(&key) {
                out.push_str(&sentence);
                said.push(key);
            }
            sentence.clear();
        }
    }
    out.trim_end().to_string()
}

/// The text states a sum of money ("¥199", "60 元", "HK$60").
pub(crate) fn states_amount(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.chars().any(|c| c.is_ascii_digit())
        && ["¥", "￥", "$", "元", "蚊", "rmb", "hkd", "yuan"]
            .iter()
            .any(|m| lower.contains(m))
}

/// A currency code in the customer's words ("CNY" → 人民币 / RMB).
pub(crate) fn currency_name(code: &str, v: Variety) -> String {
    match (code, v) {
        ("CNY" | "RMB", Variety::En) => "RMB (CNY)".into(),
        ("CNY" | "RMB", Variety::Yue) => "人民幣（CNY）".into(),
        ("CNY" | "RMB", Variety::Cmn) => "人民币（CNY）".into(),
        ("HKD", Variety::En) => "Hong Kong dollars (HKD)".into(),
        ("HKD", Variety::Yue) => "港幣（HKD）".into(),
        ("HKD", _) => "港币（HKD）".into(),
        (c, _) => c.to_string(),
    }
}

/// `needle` occurs in `hay`; a Latin needle only as a whole word (or its plural in -s:
/// "vacuums", "locks").
pub(crate) fn contains_word(hay: &str, needle: &str) -> bool {
    if !needle.is_ascii() {
        return hay.contains(needle);
    }
    let mut from = 0;
    while let Some(pos) = hay.get(from..).and_then(|s| s.find(needle)) {
        let start = from + pos;
        let end = start + needle.len();
        if word_bounded(hay, start, end) {
            return true;
        }
        from = end;
    }
    false
}

/// `hay[start..end]` stands alone as a Latin word: no ASCII letter or digit right before it,
/// nor right after it (a plural `s` aside).
pub(crate) fn word_bounded(hay: &str, start: usize, end: usize) -> bool {
    let before = hay.get(..start).and_then(|s| s.chars().next_back());
    let mut rest = hay.get(end..).unwrap_or("").chars();
    let mut after = rest.next();
    if after == Some('s') {
        after = rest.next();
    }
    !before.is_some_and(|c| c.is_ascii_alphanumeric())
        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::without_repeats;

    #[test]
    fn a_sentence_said_twice_is_said_once() {
        assert_eq!(
            without_repeats("R8的售价是¥2999。R8的售价是¥2999。价格含安装。"),
            "R8的售价是¥2999。价格含安装。"
        );
        assert_eq!(
            without_repeats("The X10 costs ¥1999. It holds 2.6 L. The X10 costs ¥1999."),
            "The X10 costs ¥1999. It holds 2.6 L."
        );
        // Short sentences ("好的。") may repeat; different sentences all stay.
        assert_eq!(without_repeats("好的。好的。"), "好的。好的。");
        assert_eq!(without_repeats("A。B。"), "A。B。");
    }
}
