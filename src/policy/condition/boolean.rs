//! `Bool` and the values of `Null`.
//!
//! AWS "Condition operators / Boolean condition operators": values `true`/`false` (JSON booleans or
//! strings, case-insensitive). A request value that is neither does not match.

#![deny(clippy::indexing_slicing)]

use crate::policy::context::Scalar;

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[derive(Debug, Clone)]
pub struct Bools(Vec<bool>);

impl Bools {
    pub fn compile(values: &[String]) -> Result<Bools, String> {
        values
            .iter()
            .map(|v| parse_bool(v).ok_or_else(|| format!("{v:?} is not true or false")))
            .collect::<Result<_, _>>()
            .map(Bools)
    }

    /// True when any policy value satisfies `f`.
    pub fn any(&self, f: impl Fn(bool) -> bool) -> bool {
        self.0.iter().any(|b| f(*b))
    }

    /// `Bool`: the request value equals any policy value.
    pub fn matches_value(&self, s: Scalar<'_>) -> bool {
        let b = match s {
            Scalar::Bool(b) => b,
            Scalar::Str(t) => match parse_bool(t) {
                Some(b) => b,
                None => return false,
            },
            _ => return false,
        };
        self.any(|p| p == b)
    }
}
