//! Checks of request input shared by the handlers: text lengths, plain names, e-mail
//! addresses, the status filter, days in the server's time zone.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use tuoke_store::Status;

use crate::error::ApiError;
use crate::state::AppState;

/// 400 when a name-like field holds control characters (NUL, the ESC of ANSI sequences…) or
/// bidirectional overrides that would make it display as something else.
pub(crate) fn check_plain(field: &str, v: Option<&str>) -> Result<(), ApiError> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if v.is_some_and(|s| s.chars().any(hidden)) {
        return Err(ApiError::bad_request(format!(
            "{field} contains control or text-direction characters"
        )));
    }
    Ok(())
}

/// A plausible e-mail address: `local@domain.tld`, no spaces, at most 254 characters.
pub(crate) fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && !s.chars().any(char::is_whitespace)
        && !domain.contains('@')
        && domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.is_empty())
}

/// A required text field, trimmed: 400 when empty, 413 over `max` characters.
pub(crate) fn required_text(field: &str, v: &str, max: usize) -> Result<String, ApiError> {
    let t = v.trim().to_string();
    if t.is_empty() {
        return Err(ApiError::bad_request(format!("{field} is empty")));
    }
    check_len(field, &Some(t.clone()), max)?;
    Ok(t)
}

pub(crate) fn check_len(field: &str, v: &Option<String>, max: usize) -> Result<(), ApiError> {
    if let Some(s) = v
        && s.chars().count() > max
    {
        return Err(ApiError::TooLong(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(())
}

pub(crate) fn parse_status(s: &Option<String>) -> Result<Option<Status>, ApiError> {
    match s.as_deref() {
        None | Some("") => Ok(None),
        Some(x) => Status::parse(x)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("status must be bot, handed_off or closed")),
    }
}

pub(crate) fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// The start of day `d` (and of the day after it when `next`) in `tz`, as Unix ms.
pub(crate) fn day_start_ms(
    name: &str,
    d: &str,
    tz: FixedOffset,
    next: bool,
) -> Result<i64, ApiError> {
    let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{name} must be a date YYYY-MM-DD")))?;
    let date = if next {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    let at: DateTime<FixedOffset> = tz
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .ok_or_else(|| ApiError::bad_request(format!("{name} is out of range")))?;
    Ok(at.timestamp_millis())
}

pub(crate) fn server_tz(st: &AppState) -> FixedOffset {
    FixedOffset::east_opt(st.config.tz_offset_secs)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// Now in the server's time zone (for resolving dates in customer text).
pub(crate) fn now_local(st: &AppState) -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&server_tz(st))
}
