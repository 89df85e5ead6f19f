//! Shared loading helpers for the company files: YAML parsing with located problems, and the
//! checks every customer-facing [`Text`] gets. Used by [`catalog`](crate::catalog),
//! [`playbook`](crate::playbook) and [`grading`](crate::grading); imports none of them.

use crate::error::Problem;
use crate::text::Text;

pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match serde_yaml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let location = e
                .location()
                .map(|l| format!("line {} column {}", l.line(), l.column()))
                .unwrap_or_else(|| "file".to_string());
            problems.push(Problem {
                file: file.to_string(),
                location,
                message: e.to_string(),
            });
            None
        }
    }
}

/// A problem at a location of a file.
pub(crate) fn problem(
    file: &str,
    location: impl Into<String>,
    message: impl Into<String>,
) -> Problem {
    Problem {
        file: file.to_string(),
        location: location.into(),
        message: message.into(),
    }
}

/// A customer-facing text needs Chinese and English.
pub(crate) fn check_text(file: &str, loc: &str, t: &Text, problems: &mut Vec<Problem>) {
    if t.zh.trim().is_empty() {
        problems.push(problem(file, loc, "missing Chinese text (zh)"));
    }
    if t.en.trim().is_empty() {
        problems.push(problem(file, loc, "missing English text (en)"));
    }
}
