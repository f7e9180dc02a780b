//! Validation rules and limits: what IAM rejects (`MalformedPolicyDocument`) and what it only
//! warns about. The element-level checks here are used by the parser in `document.rs`, so a policy
//! that parses is a policy that validates.
//!
//! Sizes (AWS "IAM and AWS STS quotas"): "IAM doesn't count white space when calculating the size of
//! a policy against these limits": managed policy 6,144 characters, user inline 2,048, group
//! inline 5,120, role inline 10,240, role trust policy 2,048.

#![deny(clippy::indexing_slicing)]

use serde_json::Value;

use super::document::{compile, PolicyKind};
use super::error::{Finding, Severity};

/// The size quota that applies to a document, by how it is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationLimit {
    /// A customer managed policy (also used for permissions boundaries): 6,144.
    Managed,
    /// A user inline policy: 2,048.
    UserInline,
    /// A group inline policy: 5,120.
    GroupInline,
    /// A role inline policy: 10,240.
    RoleInline,
    /// A role trust policy: 2,048 (the default quota).
    Trust,
    /// No size quota (resource policies checked elsewhere, the simulator).
    Unlimited,
}

impl ValidationLimit {
    /// The quota in characters, whitespace not counted.
    pub fn max_chars(self) -> Option<usize> {
        match self {
            ValidationLimit::Managed => Some(6_144),
            ValidationLimit::UserInline => Some(2_048),
            ValidationLimit::GroupInline => Some(5_120),
            ValidationLimit::RoleInline => Some(10_240),
            ValidationLimit::Trust => Some(2_048),
            ValidationLimit::Unlimited => None,
        }
    }
}

/// Characters that count against the quota (whitespace excluded).
pub fn policy_size(json: &str) -> usize {
    json.chars().filter(|c| !c.is_whitespace()).count()
}

/// Validates a document the way IAM would when attached as `kind` under `limit`: every finding,
/// errors first in document order, then warnings. An empty list (or only warnings) means IAM would
/// accept it.
pub fn validate(json: &str, kind: PolicyKind, limit: ValidationLimit) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(max) = limit.max_chars() {
        let size = policy_size(json);
        if size > max {
            findings.push(Finding::error(
                None,
                None,
                format!("Cannot exceed quota for PolicySize: {max}"),
            ));
        }
    }
    match super::json::parse(json) {
        Err(e) => findings.push(Finding::error(
            None,
            None,
            format!("Syntax errors in policy. {e}"),
        )),
        Ok(v) => {
            findings.extend(compile(&v, kind).1);
            findings.extend(super::supplied_keys::unsupplied_key_warnings(&v));
            findings.extend(super::catalogue::unknown_name_warnings(&v));
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity == Severity::Error));
    findings
}

/// A string or a list of strings (AWS: "every element that takes a list also takes a single
/// string"). `None` for anything else.
pub(crate) fn string_list(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => a.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// Checks one `Action`/`NotAction` entry: `*` or `service:pattern`.
pub(crate) fn check_action(a: &str) -> Result<(), String> {
    if a == "*" {
        return Ok(());
    }
    let Some((vendor, name)) = a.split_once(':') else {
        return Err(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".to_owned(),
        );
    };
    let vendor_ok = !vendor.is_empty()
        && vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !vendor_ok {
        return Err(
            "Action vendor must only contain alphanumeric characters and/or the following: -_"
                .to_owned(),
        );
    }
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-' | '_'));
    if !name_ok {
        return Err(format!(
            "Action {a} must only contain alphanumeric characters and/or the following: *?-_"
        ));
    }
    Ok(())
}

/// Checks one `Resource`/`NotResource` entry: `*` or an ARN (wildcards allowed in segments).
pub(crate) fn check_resource(r: &str) -> Result<(), String> {
    let ok = r == "*"
        || super::arn::Arn::parse(r).is_some_and(|a| {
            !a.partition.is_empty() && !a.service.is_empty() && !a.resource.is_empty()
        });
    if ok {
        Ok(())
    } else {
        Err(format!("Resource {r} must be in ARN format or \"*\"."))
    }
}

/// IAM accepts only alphanumeric Sids in IAM policies ("Statement IDs (SID) must be
/// alpha-numeric."); resource policies of other services are more lenient.
pub(crate) fn check_sid(sid: &str, kind: PolicyKind) -> Result<(), String> {
    if kind == PolicyKind::Resource || sid.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*".to_owned())
    }
}

/// Condition values: a string, number or boolean, or a list of them; rendered as text.
pub(crate) fn condition_values(v: &Value) -> Option<Vec<String>> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match v {
        Value::Array(a) => a.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}
