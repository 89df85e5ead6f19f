//! Contact rules: phone numbers (mainland mobiles, Hong Kong numbers, E.164 values), e-mail
//! addresses and WeChat ids.

use serde_json::json;
use tuoke_core::EntityType;

use super::Rules;
use crate::candidate::{Candidate, Tier};
use crate::normalize::Normalized;

impl Rules {
    /// Digits that look like a phone but are a price or an order number.
    fn not_a_phone(&self, n: &Normalized, s: usize, e: usize) -> bool {
        let mut i = s;
        while i > 0 && n.at(i - 1) == Some(' ') {
            i -= 1;
        }
        if matches!(n.at(i.wrapping_sub(1)), Some('¥' | '$')) {
            return true;
        }
        let after = n.after(e, 3);
        if after.starts_with(['元', '块', '蚊']) || after.trim_start().starts_with("rmb") {
            return true;
        }
        self.order_cues.is_match(n.before(s, 8))
    }

    /// A phone word shortly before char index `s`.
    fn phone_cue(&self, n: &Normalized, s: usize) -> bool {
        self.phone_cues.is_match(n.before(s, 14))
    }

    pub(super) fn emails(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        if !n.text.contains('@') {
            return;
        }
        for m in self.email.find_iter(&n.text) {
            let (s, e) = (n.char_at(m.start()), n.char_at(m.end()));
            if n.at(e).is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            out.push(Candidate::new(
                EntityType::Email,
                s,
                e,
                json!(m.as_str()),
                Tier::Specific,
            ));
        }
    }

    pub(super) fn wechat(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        for m in self.wechat_cue.find_iter(&n.text) {
            let cs = n.char_at(m.start());
            if m.as_str().starts_with(|c: char| c.is_ascii_alphabetic())
                && n.at(cs.wrapping_sub(1))
                    .is_some_and(|c| c.is_ascii_alphabetic())
            {
                continue;
            }
            let mut i = n.char_at(m.end());
            // Skip separators and filler between the cue and the id: "微信: ", "wechat id is ", "微信就是".
            loop {
                match n.at(i) {
                    Some(
                        ' ' | ':' | '=' | '是' | '为' | '号' | '叫' | '：' | '-' | '>' | '搜'
                        | '加',
                    ) => i += 1,
                    // "id" / "is" as words ("wechat id: x", "my wechat is x"), not the start of an id.
                    Some('i')
                        if matches!(n.at(i + 1), Some('d' | 's'))
                            && !n.at(i + 2).is_some_and(|c| {
                                c.is_ascii_alphanumeric() || c == '_' || c == '-'
                            }) =>
                    {
                        i += 2
                    }
                    Some('就') if n.at(i + 1) == Some('是') => i += 2,
                    _ => break,
                }
            }
            let start = i;
            if !n.at(start).is_some_and(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            let mut end = start;
            while n
                .at(end)
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                end += 1;
            }
            // An e-mail address after the cue is an e-mail, not a WeChat id.
            if matches!(n.at(end), Some('@')) {
                continue;
            }
            let len = end - start;
            if !(6..=20).contains(&len) {
                continue;
            }
            // Value: the id folded to half width and lower case (WeChat ids are case-insensitive).
            let id = n.slice(start, end).to_string();
            out.push(Candidate::new(
                EntityType::Wechat,
                start,
                end,
                json!(id),
                Tier::Specific,
            ));
        }
    }

    /// Phone numbers: runs of digits (ASCII or Chinese digit characters) with single spaces or
    /// dashes between groups, scanned by hand (one pass, no allocation per run), then every
    /// sequence of neighbouring groups is tried as a phone number.
    pub(super) fn phones(&self, n: &Normalized, out: &mut Vec<Candidate>) {
        let digit = |i: usize| {
            n.at(i).and_then(|c| {
                if c.is_ascii_digit() {
                    Some(c)
                } else {
                    crate::normalize::cn_digit(c)
                }
            })
        };
        let len = n.len();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut concat = String::new();
        let mut i = 0;
        while i < len {
            let run_start = i;
            let plus = n.at(i) == Some('+') && digit(i + 1).is_some();
            if !plus && digit(i).is_none() {
                i += 1;
                continue;
            }
            groups.clear();
            let mut j = if plus { i + 1 } else { i };
            let mut total = 0;
            loop {
                let gs = j;
                while digit(j).is_some() {
                    j += 1;
                }
                groups.push((gs, j));
                total += j - gs;
                let mut k = j;
                let mut seps = 0;
                while seps < 2 && matches!(n.at(k), Some(' ' | '-')) {
                    k += 1;
                    seps += 1;
                }
                if seps > 0 && digit(k).is_some() {
                    j = k;
                } else {
                    break;
                }
            }
            i = j.max(i + 1);
            if total < 8 {
                continue;
            }
            let gstart = |g: usize| {
                if g == 0 && plus {
                    run_start
                } else {
                    groups.get(g).map_or(run_start, |x| x.0)
                }
            };
            let mut gi = 0;
            while gi < groups.len() {
                let mut best: Option<(usize, String)> = None;
                let cue = self.phone_cue(n, gstart(gi));
                concat.clear();
                if gi == 0 && plus {
                    concat.push('+');
                }
                for (gj, &(gs, ge)) in groups.iter().enumerate().skip(gi) {
                    concat.extend((gs..ge).filter_map(digit));
                    if concat.len() > 16 {
                        break;
                    }
                    let spaced_hk = gj == gi + 1
                        && groups.get(gi).is_some_and(|g| g.1 - g.0 == 4)
                        && ge - gs == 4;
                    if let Some(e164) = phone_value(&concat, spaced_hk || cue) {
                        best = Some((gj, e164));
                    }
                }
                match best {
                    Some((gj, e164)) => {
                        let (s, e) = (gstart(gi), groups.get(gj).map_or(run_start, |x| x.1));
                        if !self.not_a_phone(n, s, e) {
                            out.push(Candidate::new(
                                EntityType::Phone,
                                s,
                                e,
                                json!(e164),
                                Tier::Specific,
                            ));
                        }
                        gi = gj + 1;
                    }
                    None => gi += 1,
                }
            }
        }
    }
}

/// E.164 value of a digit string if it is a phone number we accept.
/// `hk_ok` allows a bare 8-digit Hong Kong number (when a phone cue precedes it or it is typed 4+4).
fn phone_value(s: &str, hk_ok: bool) -> Option<String> {
    let (prefix, rest) = if let Some(r) = s.strip_prefix("+") {
        ("+", r)
    } else if let Some(r) = s.strip_prefix("00") {
        ("00", r)
    } else {
        ("", s)
    };
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(rest) {
        return None;
    }
    let mainland = |x: &str| {
        x.len() == 11 && x.starts_with('1') && matches!(x.as_bytes().get(1), Some(b'3'..=b'9'))
    };
    let hk = |x: &str| x.len() == 8 && matches!(x.as_bytes().first(), Some(b'2'..=b'9'));
    let hk_mobile =
        |x: &str| x.len() == 8 && matches!(x.as_bytes().first(), Some(b'5' | b'6' | b'9'));
    if prefix.is_empty() {
        if mainland(rest) {
            return Some(format!("+86{rest}"));
        }
        if rest.starts_with("86") && mainland(&rest[2..]) {
            // "86 139..." without +: accept, it is how many people type the country code.
            return Some(format!("+{rest}"));
        }
        if hk_ok && hk_mobile(rest) {
            return Some(format!("+852{rest}"));
        }
        return None;
    }
    if let Some(r) = rest.strip_prefix("86")
        && mainland(r)
    {
        return Some(format!("+86{r}"));
    }
    if let Some(r) = rest.strip_prefix("852")
        && hk(r)
    {
        return Some(format!("+852{r}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_values() {
        assert_eq!(
            phone_value("13912345678", false).as_deref(),
            Some("+8613912345678")
        );
        assert_eq!(
            phone_value("+8613912345678", false).as_deref(),
            Some("+8613912345678")
        );
        assert_eq!(
            phone_value("008613912345678", false).as_deref(),
            Some("+8613912345678")
        );
        assert_eq!(
            phone_value("+85291234567", false).as_deref(),
            Some("+85291234567")
        );
        assert_eq!(phone_value("91234567", false), None);
        assert_eq!(
            phone_value("91234567", true).as_deref(),
            Some("+85291234567")
        );
        assert_eq!(phone_value("12345678901", false), None);
        assert_eq!(phone_value("+", false), None);
    }
}
