//! Warnings for names the catalogue does not know: an action whose service prefix is no AWS
//! service, an action pattern that matches no action of its service, and a condition key that is
//! neither global nor a key of the services the statement's actions belong to. IAM accepts such
//! policies, so these are warnings; they usually mean a typing mistake.
//!
//! Not judged: Keyward's own `keyward:` actions and keys, and keys of an identity provider named
//! by its host (`token.example.com:sub`), which no catalogue can list.

use serde_json::Value;

use super::{catalogue, Service};
use crate::policy::error::Finding;
use crate::policy::validate::string_list;

/// Keyward's own prefix, for actions and keys that AWS does not define.
const KEYWARD: &str = "keyward";

/// The warnings of a parsed document, in statement order.
pub(crate) fn unknown_name_warnings(v: &Value) -> Vec<Finding> {
    let statements: Vec<&Value> = match v.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Vec::new(),
    };
    let mut findings = Vec::new();
    for (index, statement) in statements.into_iter().enumerate() {
        let sid = statement.get("Sid").and_then(Value::as_str);
        let mut warn = |message: String| {
            let finding = Finding::warning(Some(index), sid, message);
            if !findings.contains(&finding) {
                findings.push(finding);
            }
        };
        let mut services: Vec<&Service> = Vec::new();
        // A `*` or a `NotAction` reaches every service, so any service's key may apply.
        let mut every_service = statement.get("NotAction").is_some();
        let entries = statement
            .get("Action")
            .into_iter()
            .chain(statement.get("NotAction"))
            .filter_map(string_list)
            .flatten();
        for entry in entries {
            if entry == "*" {
                every_service = true;
                continue;
            }
            let Some((prefix, name)) = entry.split_once(':') else {
                continue; // a malformed entry is the parser's error
            };
            if prefix.eq_ignore_ascii_case(KEYWARD) {
                continue;
            }
            match catalogue().service(prefix) {
                None => warn(format!(
                    "Action {entry}: {prefix} is not the prefix of any AWS service."
                )),
                Some(service) => {
                    if service.matching(name).is_empty() {
                        warn(format!(
                            "Action {entry} matches no action of {} ({}).",
                            service.name, service.prefix
                        ));
                    }
                    if !services.iter().any(|s| s.prefix == service.prefix) {
                        services.push(service);
                    }
                }
            }
        }
        for key in crate::policy::supplied_keys::condition_keys(statement) {
            if key_is_known(key, &services, every_service) {
                continue;
            }
            let message = if services.is_empty() || every_service {
                format!("Condition key {key} is not a known AWS condition key.")
            } else {
                let prefixes: Vec<&str> = services.iter().map(|s| s.prefix.as_str()).collect();
                format!(
                    "Condition key {key} is neither a global condition key nor a key of {}.",
                    prefixes.join(", ")
                )
            };
            warn(message);
        }
    }
    findings
}

fn key_is_known(key: &str, services: &[&Service], every_service: bool) -> bool {
    let Some((prefix, _)) = key.split_once(':') else {
        return true; // a key without a prefix is the parser's business
    };
    if prefix.eq_ignore_ascii_case(KEYWARD) || prefix.contains('.') || prefix.contains('/') {
        return true;
    }
    let c = catalogue();
    if c.is_global_key(key) {
        return true;
    }
    if every_service || services.is_empty() {
        return c.is_known_key(key);
    }
    services.iter().any(|s| s.has_key(key))
}
