//! The `Principal` and `NotPrincipal` elements of resource-based and trust policies.
//!
//! AWS "IAM JSON policy elements: Principal":
//! - `"*"` or `{"AWS": "*"}` is everyone, including anonymous requests;
//! - an account ID or `arn:aws:iam::ACCOUNT:root` is the account: it delegates to the account,
//!   whose identity-based policies must still allow the request;
//! - a user, role, assumed-role or federated-user ARN names that principal; a role ARN also covers
//!   that role's sessions;
//! - `Federated` names an OIDC/SAML provider, `Service` a service principal;
//! - wildcards inside an ARN are not allowed ("Invalid principal in policy").
//!
//! AWS "IAM JSON policy elements: NotPrincipal": a request is evaluated for every identity of the
//! caller (its own ARN and its account); with `Deny`, a caller is excluded only when each of those
//! is listed, which is why AWS tells you to list "the account ARN of the not-denied principal" too.
//! A role ARN in `NotPrincipal` does not cover its sessions: the assumed-role ARN must be listed.
//!
//! AWS "IAM JSON policy elements: Principal", on roles and users that are deleted: a trust policy
//! stores the unique id of each IAM user and role it names, so a principal deleted and created
//! again with the same name is a different principal and is not trusted. Keyward binds such
//! ARNs when the policy is saved; [`PrincipalSpec::bind_ids`] turns them into id matches.

#![deny(clippy::indexing_slicing)]

use serde_json::Value;

use super::arn::Arn;
use super::context::{Principal, PrincipalType};

#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsId {
    Any,
    Account(Box<str>),
    Arn(Box<str>),
    /// An IAM user or role ARN bound to the unique id of the principal it named when the policy
    /// was saved (`None`: it named nobody, so it matches nobody).
    Bound {
        arn: Box<str>,
        kind: BoundKind,
        id: Option<Box<str>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoundKind {
    User,
    Role,
}

/// The kind of IAM entity an ARN of a `Principal` element names, when it is a user or a role:
/// the ARNs whose unique ids a stored trust policy keeps.
pub fn bindable(arn: &str) -> bool {
    bound_kind(arn).is_some()
}

fn bound_kind(arn: &str) -> Option<BoundKind> {
    let a = Arn::parse(arn)?;
    match (a.service, a.resource.split('/').next()) {
        ("iam", Some("user")) => Some(BoundKind::User),
        ("iam", Some("role")) => Some(BoundKind::Role),
        _ => None,
    }
}

/// A compiled `Principal`/`NotPrincipal` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalSpec {
    aws: Vec<AwsId>,
    federated: Vec<Box<str>>,
    service: Vec<Box<str>>,
}

/// How a principal matched a `Principal` element; later variants grant more directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    None,
    /// The caller's account is named: delegation only.
    Account,
    /// `*`: everyone.
    Wildcard,
    /// The role of the caller's session is named.
    Role,
    /// The caller itself is named (user, session, federated user, root, provider, service).
    Exact,
}

fn strings(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => a.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_aws(s: &str) -> Option<AwsId> {
    if s == "*" {
        return Some(AwsId::Any);
    }
    if is_account_id(s) {
        return Some(AwsId::Account(s.into()));
    }
    let a = Arn::parse(s)?;
    if s.contains(['*', '?']) || !is_account_id(a.account) || a.partition.is_empty() {
        return None;
    }
    let kind = a.resource.split('/').next().unwrap_or("");
    match (a.service, kind) {
        ("iam", "root") if a.resource == "root" => Some(AwsId::Account(a.account.into())),
        ("iam", "user" | "role") | ("sts", "assumed-role" | "federated-user")
            if a.resource.len() > kind.len() + 1 =>
        {
            Some(AwsId::Arn(s.into()))
        }
        _ => None,
    }
}

impl PrincipalSpec {
    /// The IAM user and role ARNs the element names (what [`PrincipalSpec::bind_ids`] binds).
    pub fn bindable_arns(&self) -> impl Iterator<Item = &str> {
        self.aws.iter().filter_map(|id| match id {
            AwsId::Arn(a) if bindable(a) => Some(a.as_ref()),
            _ => None,
        })
    }

    /// The element with each IAM user and role ARN bound to the unique id `ids` gives for it
    /// (`None`: bound to nobody). Account, service, provider and session ARNs stay as they are.
    pub fn bind_ids(&mut self, ids: &dyn Fn(&str) -> Option<String>) {
        for entry in &mut self.aws {
            if let AwsId::Arn(a) = entry {
                if let Some(kind) = bound_kind(a) {
                    *entry = AwsId::Bound {
                        arn: a.clone(),
                        kind,
                        id: ids(a).map(Into::into),
                    };
                }
            }
        }
    }

    /// Parses the element; `Err` carries IAM's message.
    pub fn parse(v: &Value) -> Result<PrincipalSpec, String> {
        let invalid = |k: &str, s: &str| format!("Invalid principal in policy: \"{k}\":\"{s}\"");
        let mut spec = PrincipalSpec::default();
        match v {
            Value::String(s) if s == "*" => spec.aws.push(AwsId::Any),
            Value::Object(map) if !map.is_empty() => {
                for (k, val) in map {
                    let list = strings(val).ok_or_else(|| invalid(k, &val.to_string()))?;
                    if list.is_empty() {
                        return Err(invalid(k, "[]"));
                    }
                    for s in list {
                        spec.push(k, s).ok_or_else(|| invalid(k, s))?;
                    }
                }
            }
            other => return Err(format!("Invalid principal in policy: {other}")),
        }
        Ok(spec)
    }

    fn push(&mut self, kind: &str, s: &str) -> Option<()> {
        let hostish = |s: &str| {
            !s.is_empty() && s.contains('.') && !s.contains(['*', '?', ' ']) && !s.contains("..")
        };
        match kind {
            "AWS" => self.aws.push(parse_aws(s)?),
            "Federated" => {
                let ok = hostish(s)
                    || Arn::parse(s).is_some_and(|a| {
                        a.service == "iam"
                            && (a.resource.starts_with("saml-provider/")
                                || a.resource.starts_with("oidc-provider/")
                                // Keyward's directories (`iam::directories`).
                                || a.resource.starts_with("directory/"))
                    });
                ok.then(|| self.federated.push(s.into()))?
            }
            "Service" => hostish(s).then(|| self.service.push(s.into()))?,
            // Accepted for compatibility (S3 canonical users); it never matches a Keyward principal.
            "CanonicalUser" if !s.is_empty() => {}
            _ => return None,
        }
        Some(())
    }

    /// How `p` matches this element as a `Principal`.
    pub fn matches(&self, p: &Principal) -> PrincipalMatch {
        let mut best = PrincipalMatch::None;
        for id in &self.aws {
            let m = match id {
                AwsId::Any => PrincipalMatch::Wildcard,
                AwsId::Account(a) if p.account.as_deref() == Some(a.as_ref()) && is_aws(p) => {
                    if p.kind == PrincipalType::Account {
                        PrincipalMatch::Exact
                    } else {
                        PrincipalMatch::Account
                    }
                }
                AwsId::Arn(a) if a.as_ref() == p.arn => PrincipalMatch::Exact,
                AwsId::Arn(a) if p.role_arn.as_deref() == Some(a.as_ref()) => PrincipalMatch::Role,
                AwsId::Bound {
                    kind: BoundKind::User,
                    id: Some(id),
                    ..
                } if p.kind == PrincipalType::User && p.user_id == id.as_ref() => {
                    PrincipalMatch::Exact
                }
                AwsId::Bound {
                    kind: BoundKind::Role,
                    id: Some(id),
                    ..
                } if p.kind == PrincipalType::AssumedRole && role_id(p) == Some(id.as_ref()) => {
                    PrincipalMatch::Role
                }
                _ => PrincipalMatch::None,
            };
            best = best.max(m);
        }
        if p.kind == PrincipalType::WebIdentity {
            let prov = p.federated_provider.as_deref().unwrap_or("");
            if self.federated.iter().any(|f| f.as_ref() == prov) {
                best = PrincipalMatch::Exact;
            }
        }
        if p.kind == PrincipalType::Service && self.service.iter().any(|s| s.as_ref() == p.arn) {
            best = PrincipalMatch::Exact;
        }
        best
    }

    /// True when `p` is excluded by this element used as `NotPrincipal`: every identity of the
    /// caller (its exact ARN, and its account when it has one) is listed, or `*` is.
    pub fn excludes(&self, p: &Principal) -> bool {
        if self.aws.contains(&AwsId::Any) {
            return true;
        }
        let arn_listed = match p.kind {
            PrincipalType::Account => true,
            PrincipalType::WebIdentity => p
                .federated_provider
                .as_deref()
                .is_some_and(|f| self.federated.iter().any(|x| x.as_ref() == f)),
            PrincipalType::Service => self.service.iter().any(|s| s.as_ref() == p.arn),
            _ => self.aws.iter().any(|id| match id {
                AwsId::Arn(a) => a.as_ref() == p.arn,
                AwsId::Bound {
                    kind: BoundKind::User,
                    id: Some(id),
                    ..
                } => p.kind == PrincipalType::User && p.user_id == id.as_ref(),
                _ => false,
            }),
        };
        let account_listed = match &p.account {
            None => true,
            Some(acct) => self
                .aws
                .iter()
                .any(|id| matches!(id, AwsId::Account(a) if a.as_ref() == acct.as_str())),
        };
        arn_listed && account_listed
    }
}

/// The role's unique id of a role session (`aws:userid` is `ROLEID:session`).
fn role_id(p: &Principal) -> Option<&str> {
    p.user_id.split_once(':').map(|(id, _)| id)
}

fn is_aws(p: &Principal) -> bool {
    matches!(
        p.kind,
        PrincipalType::Account
            | PrincipalType::User
            | PrincipalType::AssumedRole
            | PrincipalType::FederatedUser
    )
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bob() -> Principal {
        Principal::user("111122223333", "/", "bob", "AIDABOB")
    }
    fn session() -> Principal {
        Principal::assumed_role("111122223333", "/", "Dev", "AROADEV", "s1")
    }

    /// AWS stores a trust policy's users and roles as unique ids: a principal deleted and
    /// created again under the name is not trusted; one renamed keeps the trust.
    #[test]
    fn bound_arns_match_by_unique_id_not_by_name() {
        let mut spec = PrincipalSpec::parse(&json!({"AWS": [
            "arn:aws:iam::111122223333:user/bob",
            "arn:aws:iam::111122223333:role/Dev",
            "arn:aws:iam::111122223333:user/gone",
            "arn:aws:iam::111122223333:root"]}))
        .unwrap();
        assert_eq!(
            spec.bindable_arns().collect::<Vec<_>>(),
            [
                "arn:aws:iam::111122223333:user/bob",
                "arn:aws:iam::111122223333:role/Dev",
                "arn:aws:iam::111122223333:user/gone"
            ]
        );
        spec.bind_ids(&|arn: &str| match arn {
            "arn:aws:iam::111122223333:user/bob" => Some("AIDABOB".to_string()),
            "arn:aws:iam::111122223333:role/Dev" => Some("AROADEV".to_string()),
            _ => None,
        });
        assert_eq!(spec.matches(&bob()), PrincipalMatch::Exact);
        assert_eq!(spec.matches(&session()), PrincipalMatch::Role);
        let new_bob = Principal::user("111122223333", "/", "bob", "AIDANEWBOB");
        assert_eq!(
            spec.matches(&new_bob),
            PrincipalMatch::Account,
            "only the account entry still names a new bob"
        );
        let renamed = Principal::user("111122223333", "/", "robert", "AIDABOB");
        assert_eq!(spec.matches(&renamed), PrincipalMatch::Exact);
        let new_dev = Principal::assumed_role("111122223333", "/", "Dev", "AROANEW", "s1");
        assert_eq!(spec.matches(&new_dev), PrincipalMatch::Account);
        let gone = Principal::user("111122223333", "/", "gone", "AIDAGONE");
        assert_eq!(spec.matches(&gone), PrincipalMatch::Account);

        let mut not = PrincipalSpec::parse(&json!({"AWS": [
            "arn:aws:iam::111122223333:user/bob", "111122223333"]}))
        .unwrap();
        not.bind_ids(&|_: &str| Some("AIDABOB".to_string()));
        assert!(not.excludes(&bob()));
        assert!(!not.excludes(&new_bob));
    }

    #[test]
    fn parse_rejects_bad_principals() {
        for bad in [
            json!("bob"),
            json!({}),
            json!({"AWS": "bob"}),
            json!({"AWS": "arn:aws:iam::111122223333:user/*"}),
            json!({"AWS": "arn:aws:s3:::bucket"}),
            json!({"AWS": []}),
            json!({"Foo": "x"}),
            json!({"Service": "*"}),
            json!({"AWS": 5}),
        ] {
            assert!(PrincipalSpec::parse(&bad).is_err(), "{bad}");
        }
        let e = PrincipalSpec::parse(&json!({"AWS": "bob"})).unwrap_err();
        assert_eq!(e, "Invalid principal in policy: \"AWS\":\"bob\"");
    }

    #[test]
    fn match_table() {
        let cases: &[(Value, Principal, PrincipalMatch)] = &[
            (json!("*"), bob(), PrincipalMatch::Wildcard),
            (json!("*"), Principal::anonymous(), PrincipalMatch::Wildcard),
            (
                json!({"AWS": "111122223333"}),
                bob(),
                PrincipalMatch::Account,
            ),
            (
                json!({"AWS": "arn:aws:iam::111122223333:root"}),
                bob(),
                PrincipalMatch::Account,
            ),
            (json!({"AWS": "444455556666"}), bob(), PrincipalMatch::None),
            (
                json!({"AWS": "arn:aws:iam::111122223333:user/bob"}),
                bob(),
                PrincipalMatch::Exact,
            ),
            (
                json!({"AWS": "arn:aws:iam::111122223333:role/Dev"}),
                session(),
                PrincipalMatch::Role,
            ),
            (
                json!({"AWS": "arn:aws:sts::111122223333:assumed-role/Dev/s1"}),
                session(),
                PrincipalMatch::Exact,
            ),
            (
                json!({"AWS": "arn:aws:sts::111122223333:assumed-role/Dev/s2"}),
                session(),
                PrincipalMatch::None,
            ),
            (
                json!({"Federated": "accounts.example.com"}),
                Principal::web_identity("accounts.example.com", "u1"),
                PrincipalMatch::Exact,
            ),
            (
                json!({"Service": "ec2.amazonaws.com"}),
                Principal::service("ec2.amazonaws.com"),
                PrincipalMatch::Exact,
            ),
            (
                json!({"Service": "ec2.amazonaws.com"}),
                Principal::service("lambda.amazonaws.com"),
                PrincipalMatch::None,
            ),
            (
                json!({"AWS": "111122223333"}),
                Principal::root("111122223333"),
                PrincipalMatch::Exact,
            ),
        ];
        for (v, p, want) in cases {
            assert_eq!(
                PrincipalSpec::parse(v).unwrap().matches(p),
                *want,
                "{v} {}",
                p.arn
            );
        }
    }

    #[test]
    fn not_principal_needs_arn_and_account() {
        let only_user = PrincipalSpec::parse(&json!({"AWS": "arn:aws:iam::111122223333:user/bob"}));
        assert!(!only_user.unwrap().excludes(&bob()));
        let both = PrincipalSpec::parse(&json!({"AWS": [
            "arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:root"]}))
        .unwrap();
        assert!(both.excludes(&bob()));
        assert!(!both.excludes(&session()));
        let role = PrincipalSpec::parse(&json!({"AWS": [
            "arn:aws:iam::111122223333:role/Dev", "111122223333"]}))
        .unwrap();
        assert!(
            !role.excludes(&session()),
            "a role ARN does not cover sessions"
        );
        assert!(PrincipalSpec::parse(&json!("*")).unwrap().excludes(&bob()));
    }
}
