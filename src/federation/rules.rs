//! Claim-to-role rules: which roles an identity from a sign-in provider may pick in the
//! console, by what its claims say ("`groups` contains `admins` → role `Administrators`").
//!
//! A rule reads one claim of the identity ([`ExternalIdentity::attribute_values`]: a string,
//! or each string of an array) and names one role of the account. `equals` matches a claim
//! whose only value is the given one; `contains` matches a claim any of whose values is it.
//! Values compare exactly (case matters, as in claims). The rules only offer roles: the role's
//! trust policy still decides, on the provider's `Federated` principal and its keys.
//!
//! Written one per line as `CLAIM contains VALUE => ROLE` or `CLAIM equals VALUE => ROLE`.

use super::ExternalIdentity;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most rules a provider may have.
pub const MAX_RULES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    /// The claim's only value is the rule's.
    Equals,
    /// One of the claim's values is the rule's.
    Contains,
}

/// One rule: when `claim` `operator` `value`, offer the role named `role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRule {
    pub claim: String,
    pub operator: Operator,
    pub value: String,
    /// The role's name in the provider's account.
    pub role: String,
}

/// Why a rule's text cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "rule {line}: {reason} (write CLAIM contains VALUE => ROLE, or CLAIM equals VALUE => ROLE)"
)]
pub struct RuleError {
    /// The line it is on, from 1.
    pub line: usize,
    pub reason: &'static str,
}

fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

impl RoleRule {
    /// Whether `identity`'s claims meet the rule.
    pub fn matches(&self, identity: &ExternalIdentity) -> bool {
        let values = identity.attribute_values(&self.claim);
        match self.operator {
            Operator::Equals => values.len() == 1 && values[0] == self.value,
            Operator::Contains => values.contains(&self.value),
        }
    }

    /// One rule's line (see the module's doc); `line` numbers it in an error.
    pub fn parse(text: &str, line: usize) -> Result<RoleRule, RuleError> {
        let bad = |reason| RuleError { line, reason };
        let (condition, role) = text.split_once("=>").ok_or_else(|| bad("no =>"))?;
        let role = role.trim();
        if !is_role_name(role) {
            return Err(bad("the role is not a role name"));
        }
        let condition = condition.trim();
        let (claim, rest) = condition
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("no operator"))?;
        let rest = rest.trim_start();
        let (operator, value) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("no value"))?;
        let operator = match operator {
            "equals" => Operator::Equals,
            "contains" => Operator::Contains,
            _ => return Err(bad("the operator is neither contains nor equals")),
        };
        let value = value.trim();
        if claim.is_empty() || claim.len() > 256 || value.is_empty() || value.len() > 1024 {
            return Err(bad("the claim or the value is empty or too long"));
        }
        Ok(RoleRule {
            claim: claim.to_string(),
            operator,
            value: value.to_string(),
            role: role.to_string(),
        })
    }

    /// Rules one per line; blank lines are skipped.
    pub fn parse_lines(text: &str) -> Result<Vec<RoleRule>, RuleError> {
        let rules = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| RoleRule::parse(l, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        if rules.len() > MAX_RULES {
            return Err(RuleError {
                line: MAX_RULES + 1,
                reason: "a provider has at most 100 rules",
            });
        }
        Ok(rules)
    }
}

impl fmt::Display for RoleRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operator = match self.operator {
            Operator::Equals => "equals",
            Operator::Contains => "contains",
        };
        write!(
            f,
            "{} {operator} {} => {}",
            self.claim, self.value, self.role
        )
    }
}

/// The roles `rules` offer `identity`, by name, each once, in the rules' order.
pub fn offered_roles(rules: &[RoleRule], identity: &ExternalIdentity) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for rule in rules.iter().filter(|r| r.matches(identity)) {
        if !roles.contains(&rule.role) {
            roles.push(rule.role.clone());
        }
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::Provider;
    use serde_json::json;

    fn alice(groups: serde_json::Value) -> ExternalIdentity {
        let mut id = ExternalIdentity::new(
            Provider::oidc(
                "https://idp.example",
                "arn:aws:iam::111122223333:oidc-provider/idp.example",
            ),
            "alice-sub",
        );
        id.attributes.insert("groups".into(), groups);
        id.attributes.insert("department".into(), json!("ops"));
        id
    }

    #[test]
    fn rules_read_back_as_written() {
        let rules = RoleRule::parse_lines(
            "groups contains admins => Administrators\n\n  department equals ops =>Operators  \n",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            rules[0].to_string(),
            "groups contains admins => Administrators"
        );
        assert_eq!(rules[1].to_string(), "department equals ops => Operators");
        assert_eq!(rules[1].operator, Operator::Equals);
        let again = RoleRule::parse_lines(
            &rules
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        assert_eq!(again.unwrap(), rules);
    }

    #[test]
    fn malformed_rules_name_their_line() {
        for (text, line) in [
            ("groups contains admins", 1),
            ("groups has admins => Admins", 1),
            ("a contains b => R\ngroups contains => Admins", 2),
            ("groups contains admins => not a role", 1),
            ("groups contains admins => ", 1),
        ] {
            let error = RoleRule::parse_lines(text).unwrap_err();
            assert_eq!(error.line, line, "{text}");
        }
        let many = "g contains v => R\n".repeat(MAX_RULES + 1);
        assert!(RoleRule::parse_lines(&many).is_err());
    }

    #[test]
    fn contains_reads_every_value_and_equals_only_a_single_one() {
        let rules = RoleRule::parse_lines(
            "groups contains admins => Administrators\n\
             groups equals developers => Developers\n\
             department equals ops => Operators\n\
             groups contains Admins => CaseMatters\n\
             groups contains admins => Administrators",
        )
        .unwrap();
        assert_eq!(
            offered_roles(&rules, &alice(json!(["developers", "admins"]))),
            ["Administrators", "Operators"]
        );
        assert_eq!(
            offered_roles(&rules, &alice(json!(["developers"]))),
            ["Developers", "Operators"]
        );
        assert_eq!(
            offered_roles(&rules, &alice(json!("admins"))),
            ["Administrators", "Operators"]
        );
        let mut nobody = alice(json!([]));
        nobody.attributes.remove("department");
        assert!(offered_roles(&rules, &nobody).is_empty());
    }
}
