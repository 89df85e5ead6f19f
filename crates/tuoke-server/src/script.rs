//! One script per conversation: a Cantonese (`yue`) conversation reads Traditional Chinese (Hong
//! Kong standard) in every bot text, also where the knowledge base or a phrase has only a
//! Simplified `zh` text. OpenCC's `s2hk` tables (embedded by `ferrous-opencc`, no IO), built once.

use std::borrow::Cow;
use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use tuoke_dialogue::Variety;

static S2HK: LazyLock<Option<OpenCC>> = LazyLock::new(|| {
    OpenCC::from_config(BuiltinConfig::S2hk)
        .inspect_err(|e| tracing::error!(error = %e, "OpenCC s2hk tables do not load"))
        .ok()
});

/// Whether `text` has any Han character (nothing to convert otherwise).
fn has_han(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}'))
}

/// Simplified → Traditional (Hong Kong); text already in Traditional stays as it is.
pub fn to_hk(text: &str) -> Cow<'_, str> {
    if !has_han(text) {
        return Cow::Borrowed(text);
    }
    match S2HK.as_ref() {
        Some(cc) => {
            let out = cc.convert(text);
            if out == text {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(out)
            }
        }
        None => Cow::Borrowed(text),
    }
}

/// A bot text in the script of the conversation's variety.
pub fn for_variety(text: &str, v: Variety) -> Cow<'_, str> {
    match v {
        Variety::Yue => to_hk(text),
        Variety::Cmn | Variety::En => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cantonese_conversations_read_traditional() {
        assert_eq!(
            for_variety("云栖空气净化器 A7，价格是¥2,499。", Variety::Yue),
            "雲棲空氣淨化器 A7，價格是¥2,499。"
        );
        // Already Traditional: unchanged.
        let t = "雲棲掃拖機械人 X20 Ultra 嘅價錢係¥3,999。";
        assert_eq!(for_variety(t, Variety::Yue), t);
        // Mandarin and English conversations keep their text.
        assert_eq!(
            for_variety("云栖空气净化器", Variety::Cmn),
            "云栖空气净化器"
        );
        assert_eq!(for_variety("Hello", Variety::Yue), "Hello");
    }
}
