//! A customer's contact details as the caller may see them: whole for admins, masked for
//! agents (phones as `138******78`, e-mail and WeChat as `***`).

use serde::Serialize;
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
#[derive(Serialize)]
pub struct ContactOut<'a> {
    pub name: Option<&'a str>,
    pub phone: Option<String>,
    /// Whether `phone` is masked (agents).
    pub phone_masked: bool,
    pub email: Option<String>,
    pub wechat: Option<String>,
}

impl<'a> ContactOut<'a> {
    pub fn new(
        auth: &Auth,
        name: &'a Option<String>,
        phone: &Option<String>,
        email: &Option<String>,
        wechat: &Option<String>,
    ) -> Self {
        let full = sees_contacts(auth);
        let hidden = |v: &Option<String>| {
            if full {
                v.clone()
            } else {
                v.as_deref().map(|_| "***".to_string())
            }
        };
        ContactOut {
            name: name.as_deref(),
            phone: phone
                .as_deref()
                .map(|p| if full { p.to_string() } else { mask_phone(p) }),
            phone_masked: !full && phone.is_some(),
            email: hidden(email),
            wechat: hidden(wechat),
        }
    }
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
