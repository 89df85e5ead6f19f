//! Times as the API shows them: RFC 3339 in UTC with milliseconds.

use chrono::DateTime;

/// A stored time (Unix ms) as the API shows it.
pub fn ts(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
