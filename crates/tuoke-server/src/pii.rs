//! Masking of personal data (phone numbers, e-mail addresses, ID numbers) in anything that may be
//! logged. Customer text is never logged whole; when a log line must show it (debug level), it
//! goes through [`mask`] first.

use std::sync::LazyLock;

use regex::Regex;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}").expect("static regex")
});
// Mainland resident ID (18 chars, last may be X) and HK ID (A123456(7)).
static ID_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9x]|\b[A-Z]{1,2}\d{6}\(?[0-9A]\)?")
        .expect("static regex")
});
// Any run of 7+ digits, optionally with +, spaces or dashes between: phone numbers of any
// country, also bank-card-like numbers. Over-masking is the safe side in logs.
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\d(?:[\s\-]?\d){6,}").expect("static regex"));

/// Replaces e-mails, ID numbers and phone-like digit runs with placeholders.
pub fn mask(text: &str) -> String {
    let t = EMAIL.replace_all(text, "[email]");
    let t = ID_NUMBER.replace_all(&t, "[id]");
    PHONE.replace_all(&t, "[phone]").into_owned()
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_phone_email_and_ids() {
        let m = mask(
            "我的电话13912345678，邮箱 Wang.Li@example.com，身份证11010519491231002X, call +1 415-555-0132",
        );
        assert!(!m.contains("13912345678"), "{m}");
        assert!(!m.contains("example.com"), "{m}");
        assert!(!m.contains("11010519491231002X"), "{m}");
        assert!(!m.contains("555-0132"), "{m}");
        assert!(
            m.contains("[phone]") && m.contains("[email]") && m.contains("[id]"),
            "{m}"
        );
        assert!(m.starts_with("我的电话"));
        assert_eq!(mask("两台X20多少钱"), "两台X20多少钱");
        assert_eq!(mask("HKID A123456(7)"), "HKID [id]");
    }
}
