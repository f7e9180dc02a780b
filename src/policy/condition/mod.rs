//! The `Condition` element: operators, set qualifiers, `...IfExists`, and their evaluation.
//!
//! AWS "IAM JSON policy elements: Condition":
//! - several values for one key are OR'ed; several keys in one operator, and several operators, are
//!   AND'ed;
//! - condition key names are not case-sensitive; values are compared per operator;
//! - unknown operators are rejected at parse time (ignoring one would fail open).
//!
//! AWS "Condition operators": "If the key that you specify in a policy condition is not present in
//! the request context, the values do not match and the condition is false. If the policy condition
//! requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is
//! not present, the condition is true. This logic applies to all condition operators except
//! ...IfExists and Null check." `...IfExists`: absent key → true.
//!
//! AWS "Single-valued vs. multivalued context keys" (set operators):
//! - `ForAllValues:` is true when every value in the request matches; an absent key or an empty
//!   list makes it true;
//! - `ForAnyValue:` is true when at least one value matches; an absent key or an empty list makes
//!   it false;
//! - a negated operator under a qualifier is applied per request value (`ForAllValues:StringNotEquals`
//!   = no request value equals any policy value).
//!
//! A single-valued operator used on a multivalued key (no qualifier) matches when any request value
//! matches; the negated form is the negation of that (none matches).
//!
//! AWS "Policy variables with no value": a policy value holding a variable whose key has no value
//! (absent, or multivalued) and no `${key, 'default'}` is null: "There is no equal or like value".
//! It matches no request value, so `StringEquals`/`StringLike`/`ArnLike` against it are false and
//! `StringNotEquals`/`StringNotLike`/`ArnNotLike` are true ("Inverted condition operators ... do
//! match against a null value"). Variables are allowed only in the string and ARN operators
//! (AWS "Where you can use policy variables"); elsewhere `${` fails to parse as a number, date,
//! address or base64 and the policy is refused.

#![deny(clippy::indexing_slicing)]

mod arn;
mod binary;
mod boolean;
mod date;
mod ip;
mod numeric;
mod string;

use std::sync::Arc;

use super::context::{RequestContext, Scalar};

pub use numeric::Cmp;

/// The comparison family of an operator, with its compiled policy values.
#[derive(Debug, Clone)]
enum Values {
    String(string::Exact),
    StringIgnoreCase(string::IgnoreCase),
    StringLike(string::Like),
    Numeric(Cmp, numeric::Numbers),
    Date(Cmp, date::Dates),
    Bool(boolean::Bools),
    Binary(binary::Binaries),
    Ip(ip::Networks),
    Arn(arn::Arns),
    Null(boolean::Bools),
}

/// A set qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// One compiled `operator: { key: values }` entry (one key).
#[derive(Debug, Clone)]
pub struct Condition {
    /// The key as written (for explanations).
    pub key: Arc<str>,
    key_lc: Box<str>,
    qualifier: Qualifier,
    if_exists: bool,
    negated: bool,
    values: Values,
}

/// Splits `ForAnyValue:StringLikeIfExists` into qualifier, base operator and IfExists flag.
fn split_operator(op: &str) -> (Qualifier, &str, bool) {
    let (q, rest) = if let Some(r) = op.strip_prefix("ForAllValues:") {
        (Qualifier::ForAllValues, r)
    } else if let Some(r) = op.strip_prefix("ForAnyValue:") {
        (Qualifier::ForAnyValue, r)
    } else {
        (Qualifier::None, op)
    };
    match rest.strip_suffix("IfExists") {
        Some(base) => (q, base, true),
        None => (q, rest, false),
    }
}

/// Family and negation of a base operator name; `None` for an unknown operator.
fn base_operator(name: &str) -> Option<(&'static str, Option<Cmp>, bool)> {
    use Cmp::*;
    let r = match name {
        "StringEquals" => ("string", None, false),
        "StringNotEquals" => ("string", None, true),
        "StringEqualsIgnoreCase" => ("string-ci", None, false),
        "StringNotEqualsIgnoreCase" => ("string-ci", None, true),
        "StringLike" => ("string-like", None, false),
        "StringNotLike" => ("string-like", None, true),
        "NumericEquals" => ("numeric", Some(Eq), false),
        "NumericNotEquals" => ("numeric", Some(Eq), true),
        "NumericLessThan" => ("numeric", Some(Lt), false),
        "NumericLessThanEquals" => ("numeric", Some(Le), false),
        "NumericGreaterThan" => ("numeric", Some(Gt), false),
        "NumericGreaterThanEquals" => ("numeric", Some(Ge), false),
        "DateEquals" => ("date", Some(Eq), false),
        "DateNotEquals" => ("date", Some(Eq), true),
        "DateLessThan" => ("date", Some(Lt), false),
        "DateLessThanEquals" => ("date", Some(Le), false),
        "DateGreaterThan" => ("date", Some(Gt), false),
        "DateGreaterThanEquals" => ("date", Some(Ge), false),
        "Bool" => ("bool", None, false),
        "BinaryEquals" => ("binary", None, false),
        "IpAddress" => ("ip", None, false),
        "NotIpAddress" => ("ip", None, true),
        // AWS "Condition operators": ArnEquals and ArnLike behave the same (wildcards allowed).
        "ArnEquals" | "ArnLike" => ("arn", None, false),
        "ArnNotEquals" | "ArnNotLike" => ("arn", None, true),
        "Null" => ("null", None, false),
        _ => return None,
    };
    Some(r)
}

/// Compile-time inputs for one condition entry.
pub struct ConditionSpec<'a> {
    pub operator: &'a str,
    pub key: &'a str,
    /// The policy values, as text (JSON numbers and booleans already rendered).
    pub values: &'a [String],
    /// Whether policy variables are recognised (`Version` 2012-10-17).
    pub variables: bool,
}

impl Condition {
    /// Compiles one entry; `Err` carries IAM's message.
    pub fn compile(spec: &ConditionSpec<'_>) -> Result<Condition, String> {
        let (qualifier, base, if_exists) = split_operator(spec.operator);
        let Some((family, cmp, negated)) = base_operator(base) else {
            return Err(format!("Invalid Condition type : {}", spec.operator));
        };
        if family == "null" && (if_exists || qualifier != Qualifier::None) {
            return Err(format!("Invalid Condition type : {}", spec.operator));
        }
        if spec.key.is_empty() || spec.key.chars().any(char::is_whitespace) {
            return Err(format!("Invalid Condition key : {:?}", spec.key));
        }
        let (vals, var) = (spec.values, spec.variables);
        let bad = |e: String| format!("Invalid {} value for key {}: {e}", spec.operator, spec.key);
        let values = match (family, cmp) {
            ("string", _) => Values::String(string::Exact::compile(vals, var).map_err(bad)?),
            ("string-ci", _) => {
                Values::StringIgnoreCase(string::IgnoreCase::compile(vals, var).map_err(bad)?)
            }
            ("string-like", _) => {
                Values::StringLike(string::Like::compile(vals, var).map_err(bad)?)
            }
            ("numeric", Some(c)) => {
                Values::Numeric(c, numeric::Numbers::compile(vals).map_err(bad)?)
            }
            ("date", Some(c)) => Values::Date(c, date::Dates::compile(vals).map_err(bad)?),
            ("bool", _) => Values::Bool(boolean::Bools::compile(vals).map_err(bad)?),
            ("binary", _) => Values::Binary(binary::Binaries::compile(vals).map_err(bad)?),
            ("ip", _) => Values::Ip(ip::Networks::compile(vals).map_err(bad)?),
            ("arn", _) => Values::Arn(arn::Arns::compile(vals, var).map_err(bad)?),
            _ => Values::Null(boolean::Bools::compile(vals).map_err(bad)?),
        };
        Ok(Condition {
            key: spec.key.into(),
            key_lc: spec.key.to_lowercase().into_boxed_str(),
            qualifier,
            if_exists,
            negated,
            values,
        })
    }

    /// Evaluates against `ctx`. `missing` is told when the key is absent and that decided the
    /// outcome (not for `...IfExists` or `Null`).
    pub fn eval(&self, ctx: &RequestContext, missing: &mut dyn FnMut(&Arc<str>)) -> bool {
        let value = ctx.get_lc(&self.key_lc);
        if let Values::Null(b) = &self.values {
            // AWS "Condition operators / Null": "true" = the key is absent, "false" = present.
            let absent = value.is_none();
            return b.any(|want| want == absent);
        }
        let value = match value {
            Some(v) if !(self.qualifier != Qualifier::None && v.is_empty()) => v,
            _ => {
                // Absent key (or empty list under a set qualifier).
                let present_but_empty = value.is_some();
                let out = if self.if_exists {
                    true
                } else {
                    match self.qualifier {
                        Qualifier::ForAllValues => true,
                        Qualifier::ForAnyValue => false,
                        Qualifier::None => self.negated,
                    }
                };
                if !self.if_exists && !present_but_empty {
                    missing(&self.key);
                }
                return out;
            }
        };
        let one = |s: Scalar<'_>| -> bool { self.base_match(s, ctx) != self.negated };
        match self.qualifier {
            Qualifier::ForAllValues => value.all(one),
            Qualifier::ForAnyValue => value.any(one),
            Qualifier::None if !self.negated => value.any(one),
            // Negated, no qualifier: true when no request value matches.
            Qualifier::None => value.all(one),
        }
    }

    /// Whether one request value matches any policy value (positive sense). A policy value whose
    /// variable has no value is null and matches nothing.
    fn base_match(&self, s: Scalar<'_>, ctx: &RequestContext) -> bool {
        match &self.values {
            Values::String(v) => v.matches(s, ctx),
            Values::StringIgnoreCase(v) => v.matches(s, ctx),
            Values::StringLike(v) => v.matches(s, ctx),
            Values::Numeric(c, v) => v.matches(*c, s),
            Values::Date(c, v) => v.matches(*c, s),
            Values::Bool(v) => v.matches_value(s),
            Values::Binary(v) => v.matches(s),
            Values::Ip(v) => v.matches(s),
            Values::Arn(v) => v.matches(s, ctx),
            Values::Null(_) => false,
        }
    }
}

#[cfg(test)]
mod tests;
