//! `NumericEquals`, `NumericNotEquals`, `NumericLessThan[Equals]`, `NumericGreaterThan[Equals]`.
//!
//! AWS "Condition operators / Numeric condition operators". Policy values are integers or
//! decimals (JSON numbers or strings); a request value that is not a number does not match.

#![deny(clippy::indexing_slicing)]

use crate::policy::context::Scalar;

/// The comparison of a numeric or date operator: `request <cmp> policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// Applies the comparison to `request` and `policy`.
    #[inline]
    pub fn holds<T: PartialOrd>(self, request: &T, policy: &T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// Parses a finite decimal number; rejects `NaN`, `inf` and anything else Rust would accept but
/// AWS would not.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && t.chars().any(|c| c.is_ascii_digit());
    let n: f64 = if ok { t.parse().ok()? } else { return None };
    n.is_finite().then_some(n)
}

#[derive(Debug, Clone)]
pub struct Numbers(Vec<f64>);

impl Numbers {
    pub fn compile(values: &[String]) -> Result<Numbers, String> {
        values
            .iter()
            .map(|v| parse_number(v).ok_or_else(|| format!("{v:?} is not a number")))
            .collect::<Result<_, _>>()
            .map(Numbers)
    }

    pub fn matches(&self, cmp: Cmp, s: Scalar<'_>) -> bool {
        let n = match s {
            Scalar::Number(n) => n,
            Scalar::Str(t) => match parse_number(t) {
                Some(n) => n,
                None => return false,
            },
            _ => return false,
        };
        self.0.iter().any(|p| cmp.holds(&n, p))
    }
}
