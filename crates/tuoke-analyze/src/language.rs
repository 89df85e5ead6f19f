//! Written language of an utterance (`zh` / `en` / `mixed`) from its characters.
//!
//! This is about the writing system only; the spoken variety (Mandarin or Cantonese) is decided by the
//! dialect model from words, never from the script. Written by hand because it is a dozen lines of
//! Unicode-range counting; a language-identification crate would add a large model for a question the
//! character ranges already answer.

use tuoke_core::Language;

/// Han ideographs (CJK unified, extension A–F, compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{20000}'..='\u{2EBEF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{2F800}'..='\u{2FA1F}')
}

/// Counts of Han characters and Latin words in `text`.
///
/// A Latin word is a maximal run of ASCII or full-width letters (apostrophes inside allowed) that is
/// not part of a token containing digits, `@`, `_` or `/` — so e-mail addresses, WeChat ids, URLs and
/// model numbers like `x200` do not make a Chinese sentence "mixed".
pub fn script_counts(text: &str) -> (usize, usize) {
    let mut han = 0usize;
    let mut words = 0usize;
    // Current non-Han, non-space token state.
    let mut tok_letters = false;
    let mut tok_blocked = false;
    let flush = |letters: &mut bool, blocked: &mut bool, words: &mut usize| {
        if *letters && !*blocked {
            *words += 1;
        }
        *letters = false;
        *blocked = false;
    };
    for c in text.chars() {
        if is_han(c) {
            han += 1;
            flush(&mut tok_letters, &mut tok_blocked, &mut words);
            continue;
        }
        // Full-width Latin letters count as Latin.
        let c = match c {
            '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        };
        if c.is_ascii_alphabetic() {
            tok_letters = true;
        } else if c.is_ascii_digit() || matches!(c, '@' | '_' | '/' | '\\' | '#') {
            tok_blocked = true;
        } else if c == '.' || c == '-' || c == '\'' || c == '+' {
            // Inside a token (e-mail, domain, hyphenated word, it's); does not end it.
        } else {
            flush(&mut tok_letters, &mut tok_blocked, &mut words);
        }
    }
    flush(&mut tok_letters, &mut tok_blocked, &mut words);
    (han, words)
}

/// `zh` when the text has Han characters and no Latin words, `en` when it has Latin words and no Han,
/// `mixed` when it has both. Text with neither (digits, emoji, punctuation) is `zh`, the product's
/// default market.
pub fn detect(text: &str) -> Language {
    match script_counts(text) {
        (h, w) if h > 0 && w > 0 => Language::Mixed,
        (0, w) if w > 0 => Language::En,
        _ => Language::Zh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_chinese_is_zh() {
        assert_eq!(detect("能便宜点吗"), Language::Zh);
        assert_eq!(detect("幾多錢呀？"), Language::Zh);
    }

    #[test]
    fn pure_english_is_en() {
        assert_eq!(detect("How much is the Pro plan?"), Language::En);
        assert_eq!(detect("it's ok"), Language::En);
    }

    #[test]
    fn code_switching_is_mixed() {
        assert_eq!(detect("这个price可以再低点吗"), Language::Mixed);
        assert_eq!(detect("send份quotation俾我"), Language::Mixed);
        assert_eq!(detect("ＯＫ，就这样"), Language::Mixed);
    }

    #[test]
    fn contact_tokens_do_not_make_text_mixed() {
        assert_eq!(detect("我的邮箱是 tom.li@example.com"), Language::Zh);
        assert_eq!(detect("微信 wxid_abc123 加我"), Language::Zh);
        assert_eq!(detect("要 x200 那款"), Language::Zh);
    }

    #[test]
    fn no_letters_defaults_to_zh() {
        assert_eq!(detect("13912345678"), Language::Zh);
        assert_eq!(detect("👍👍"), Language::Zh);
        assert_eq!(detect(""), Language::Zh);
        assert_eq!(script_counts("a b c 中"), (1, 3));
    }
}
