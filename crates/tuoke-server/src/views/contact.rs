//! A customer's contact details as the caller may see them: whole for admins, masked for
//! agents (phones as `138******78`, e-mail and WeChat as `***`).

use serde_json::{Value, json};
use tuoke_store::Role;

use crate::auth::Auth;

/// A phone number as an agent sees it: the first three and last two digits.
pub fn mask_phone(p: &str) -> String {
    let digits: Vec<char> = p.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 5 {
        return "*".repeat(digits.len().max(4));
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(digits.len() - 5))
}

/// Whether the caller sees contact details unmasked (admins; agents see masked phones).
pub fn sees_contacts(auth: &Auth) -> bool {
    auth.role() == Role::Admin
}

/// The customer's contact fields as the caller may see them.
pub fn customer_json(
    auth: &Auth,
    name: &Option<String>,
    phone: &Option<String>,
    email: &Option<String>,
    wechat: &Option<String>,
) -> Value {
    let full = sees_contacts(auth);
    json!({
        "name": name,
        "phone": phone.as_deref().map(|p| if full { p.to_string() } else { mask_phone(p) }),
        "phone_masked": !full && phone.is_some(),
        "email": if full { email.clone() } else { email.as_deref().map(|_| "***".to_string()) },
        "wechat": if full { wechat.clone() } else { wechat.as_deref().map(|_| "***".to_string()) },
    })
}

#[cfg(test)]
mod tests {
    use super::mask_phone;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812345678"), "138******78");
        assert_eq!(mask_phone("+852 9123 4567"), "852******67");
        assert_eq!(mask_phone("123"), "****");
    }
}
