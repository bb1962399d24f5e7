//! Dates as people write and read them. Input: RFC 3339 (`2026-12-31T23:59:00+01:00`), or
//! `YYYY-MM-DD HH:MM[:SS]` taken as UTC, or Unix seconds. Output: `2026-12-31 22:59:00 UTC`
//! in display form, RFC 3339 (`2026-12-31T22:59:00Z`) in JSON. The chain keeps Unix seconds;
//! 0 means "never" for an expiry.

use anyhow::{Result, anyhow};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// The latest expiry taken: the last second of year 9999.
pub const LATEST_EXPIRY: i64 = 253_402_300_799;

/// `now + duration` for `--expires-in`, refused when it does not fit (a wrap could give 0,
/// which means "never expires") or lies past [`LATEST_EXPIRY`].
pub fn expiry_after(now: i64, duration: std::time::Duration) -> Result<i64> {
    i64::try_from(duration.as_secs())
        .ok()
        .and_then(|seconds| now.checked_add(seconds))
        .filter(|at| *at <= LATEST_EXPIRY)
        .ok_or_else(|| anyhow!("an expiry {} from now is too far ahead (at most until {})", humantime::format_duration(duration), human(LATEST_EXPIRY)))
}

/// Parses `--expires-at`: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC) or Unix seconds.
pub fn parse(text: &str) -> Result<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.timestamp());
    }
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(at.and_utc().timestamp());
        }
    }
    Err(anyhow!("`{text}` is not a date: give RFC 3339 (2026-12-31T23:59:00Z, or with an offset), 'YYYY-MM-DD HH:MM' (UTC) or Unix seconds"))
}

fn utc(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
}

/// `2026-12-31 22:59:00 UTC`, for people.
pub fn human(seconds: i64) -> String {
    utc(seconds).map_or_else(|| format!("{seconds} (Unix seconds)"), |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// RFC 3339 in UTC, for JSON.
pub fn rfc3339(seconds: i64) -> String {
    utc(seconds).map_or_else(|| seconds.to_string(), |at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// An expiry for people: `never` for 0.
pub fn human_expiry(expires_at: i64) -> String {
    if expires_at == 0 { "never".to_owned() } else { human(expires_at) }
}

/// An expiry for JSON: `null` for 0 (never), else RFC 3339.
pub fn json_expiry(expires_at: i64) -> serde_json::Value {
    if expires_at == 0 { serde_json::Value::Null } else { serde_json::Value::String(rfc3339(expires_at)) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_expiry_too_far_ahead_is_refused_never_wrapped_to_never() {
        let now = 1_790_000_000;
        assert_eq!(expiry_after(now, std::time::Duration::from_secs(30 * 86_400)).unwrap(), now + 30 * 86_400);
        let wraps_to_zero = std::time::Duration::from_secs((u64::MAX - now as u64) + 1);
        assert!(expiry_after(now, wraps_to_zero).is_err());
        assert!(expiry_after(now, std::time::Duration::from_secs(u64::MAX)).is_err());
        assert!(expiry_after(now, std::time::Duration::from_secs((LATEST_EXPIRY - now + 1) as u64)).is_err());
        assert_eq!(expiry_after(now, std::time::Duration::from_secs((LATEST_EXPIRY - now) as u64)).unwrap(), LATEST_EXPIRY);
    }

    use super::*;

    #[test]
    fn dates_parse_in_every_documented_form() {
        let expected = 1_798_761_540; // 2026-12-31T23:59:00Z
        assert_eq!(parse("2026-12-31T23:59:00Z").unwrap(), expected);
        assert_eq!(parse("2027-01-01T00:59:00+01:00").unwrap(), expected, "offsets are honoured");
        assert_eq!(parse("2026-12-31 23:59").unwrap(), expected, "a plain date and time is UTC");
        assert_eq!(parse(" 2026-12-31 23:59:00 ").unwrap(), expected);
        assert_eq!(parse("2026-12-31T23:59").unwrap(), expected);
        assert_eq!(parse("1798761540").unwrap(), expected);
        for bad in ["tomorrow", "2026-13-01 00:00", "2026-12-31", "31/12/2026 23:59", ""] {
            let error = parse(bad).unwrap_err().to_string();
            assert!(error.contains("is not a date") && error.contains("RFC 3339"), "{bad}: {error}");
        }
    }

    #[test]
    fn dates_print_in_utc() {
        assert_eq!(human(1_798_761_540), "2026-12-31 23:59:00 UTC");
        assert_eq!(rfc3339(1_798_761_540), "2026-12-31T23:59:00Z");
        assert_eq!(human_expiry(0), "never");
        assert_eq!(json_expiry(0), serde_json::Value::Null);
        assert_eq!(json_expiry(1_798_761_540), serde_json::json!("2026-12-31T23:59:00Z"));
        assert_eq!(parse(&rfc3339(1_700_000_123)).unwrap(), 1_700_000_123, "round trip");
    }
}
