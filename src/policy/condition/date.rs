//! `DateEquals`, `DateNotEquals`, `DateLessThan[Equals]`, `DateGreaterThan[Equals]`.
//!
//! AWS "Condition operators / Date condition operators": values are "a date in ISO 8601 format or
//! in epoch (UNIX) time". Accepted: epoch seconds (`1563278400`), RFC 3339 with `Z` or an offset
//! and optional fractions, a date-time without zone (UTC), and a plain date (`2019-07-16`, midnight
//! UTC). A request value that is not a date does not match.

#![deny(clippy::indexing_slicing)]

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::numeric::Cmp;
use crate::policy::context::Scalar;

/// Parses an ISO 8601 or epoch-seconds date.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if !t.is_empty()
        && t.trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        let secs: i64 = t.parse().ok()?;
        return DateTime::from_timestamp(secs, 0);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc());
        }
    }
    let t = t.strip_suffix('Z').unwrap_or(t);
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

#[derive(Debug, Clone)]
pub struct Dates(Vec<DateTime<Utc>>);

impl Dates {
    pub fn compile(values: &[String]) -> Result<Dates, String> {
        values
            .iter()
            .map(|v| parse_date(v).ok_or_else(|| format!("{v:?} is not a date")))
            .collect::<Result<_, _>>()
            .map(Dates)
    }

    pub fn matches(&self, cmp: Cmp, s: Scalar<'_>) -> bool {
        let d = match s {
            Scalar::Date(d) => d,
            Scalar::Number(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 => {
                match DateTime::from_timestamp(n as i64, 0) {
                    Some(d) => d,
                    None => return false,
                }
            }
            Scalar::Str(t) => match parse_date(t) {
                Some(d) => d,
                None => return false,
            },
            _ => return false,
        };
        self.0.iter().any(|p| cmp.holds(&d, p))
    }
}
