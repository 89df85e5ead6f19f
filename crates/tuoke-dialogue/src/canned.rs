//! Canned replies of a company (`canned.yaml`, optional): short texts an agent inserts into the
//! reply box after taking a conversation over. Pure data, validated like the other company files.
//!
//! ```yaml
//! canned_replies:
//!   - id: quote_sent                  # unique, [a-z0-9_-]
//!     title: {zh: 报价已发, en: Quote sent}
//!     text: {zh: "报价单已发到您的邮箱…", en: "The quote is in your inbox…", yue: "…"}
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{DialogueError, Problem};
use crate::schema::{check_text, parse_yaml, problem};
use crate::text::Text;

/// The file name inside a company folder.
pub const FILE: &str = "canned.yaml";
/// The demo company's canned replies.
pub const DEMO: &str = include_str!("../../../companies/demo/canned.yaml");
/// Most canned replies a company may have.
pub const MAX_REPLIES: usize = 100;
/// Longest title and text (characters, per language).
pub const MAX_TITLE_CHARS: usize = 40;
pub const MAX_TEXT_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedReply {
    pub id: String,
    pub title: Text,
    pub text: Text,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedReplies {
    #[serde(default)]
    pub canned_replies: Vec<CannedReply>,
}

impl CannedReplies {
    /// Parses and validates `canned.yaml`; every problem with its location.
    pub fn from_yaml(text: &str) -> Result<CannedReplies, DialogueError> {
        let mut problems = Vec::new();
        let Some(c) = parse_yaml::<CannedReplies>(FILE, text, &mut problems) else {
            return Err(DialogueError::Invalid(problems));
        };
        c.check(&mut problems);
        if problems.is_empty() {
            Ok(c)
        } else {
            Err(DialogueError::Invalid(problems))
        }
    }

    /// The demo company's canned replies (embedded; validated by the tests).
    pub fn demo() -> CannedReplies {
        CannedReplies::from_yaml(DEMO).unwrap_or_default()
    }

    fn check(&self, problems: &mut Vec<Problem>) {
        if self.canned_replies.len() > MAX_REPLIES {
            problems.push(problem(
                FILE,
                "canned_replies",
                format!("at most {MAX_REPLIES} canned replies"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, r) in self.canned_replies.iter().enumerate() {
            let loc = format!("canned_replies[{i}] ({})", r.id);
            let id_ok = !r.id.is_empty()
                && r.id.len() <= 64
                && r.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !id_ok {
                problems.push(problem(
                    FILE,
                    format!("{loc}.id"),
                    "id must be 1-64 of a-z, 0-9, _ and -",
                ));
            }
            if !seen.insert(r.id.as_str()) {
                problems.push(problem(FILE, format!("{loc}.id"), "duplicate id"));
            }
            check_text(FILE, &format!("{loc}.title"), &r.title, problems);
            check_text(FILE, &format!("{loc}.text"), &r.text, problems);
            for (field, t, max) in [
                ("title", &r.title, MAX_TITLE_CHARS),
                ("text", &r.text, MAX_TEXT_CHARS),
            ] {
                for (lang, s) in [
                    ("zh", Some(&t.zh)),
                    ("en", Some(&t.en)),
                    ("yue", t.yue.as_ref()),
                ] {
                    if s.is_some_and(|s| s.chars().count() > max) {
                        problems.push(problem(
                            FILE,
                            format!("{loc}.{field}.{lang}"),
                            format!("longer than {max} characters"),
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_canned_replies_are_valid() {
        let c = CannedReplies::from_yaml(DEMO).expect("companies/demo/canned.yaml is valid");
        assert!(c.canned_replies.len() >= 3);
    }

    #[test]
    fn problems_have_locations() {
        let bad = "canned_replies:\n  - {id: A, title: {zh: '', en: x}, text: {zh: a, en: b}}\n  - {id: A, title: {zh: t, en: t}, text: {zh: a, en: b}}\n";
        let Err(DialogueError::Invalid(p)) = CannedReplies::from_yaml(bad) else {
            panic!("invalid canned replies accepted");
        };
        let locs: Vec<String> = p.iter().map(|p| p.location.clone()).collect();
        assert!(
            locs.iter().any(|l| l == "canned_replies[0] (A).id"),
            "{locs:?}"
        );
        assert!(
            locs.iter().any(|l| l == "canned_replies[0] (A).title"),
            "{locs:?}"
        );
        assert!(
            locs.iter().any(|l| l == "canned_replies[1] (A).id"),
            "{locs:?}"
        );
        assert!(CannedReplies::from_yaml("canned_replies:\n  - {id: a, title: {zh: t, en: t}, text: {zh: a, en: b}, extra: 1}\n").is_err());
    }
}
