//! Dates as people write and read them. Input: RFC 3339 (`2026-12-31T23:59:00+01:00`), or
//! `YYYY-MM-DD HH:MM[:SS]` taken as UTC, or Unix seconds. Output: `2026-12-31 22:59:00 UTC`
//! in display form, RFC 3339 (`2026-12-31T22:59:00Z`) in JSON. The chain keeps Unix seconds;
//! 0 means "never" for an expiry.

use anyhow::{Result, anyhow};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

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
