//! Who a console session or an OpenID Connect grant belongs to: the account's root user, one of
//! its IAM users (by the user's unique id), or a principal an external identity provider vouched
//! for (its provider, its subject there and the role it acts as). Both tables store it in the
//! same columns (`principal_kind`, `user_id`, `federated_principal`) and read it back from
//! them; columns that do not make exactly one principal are refused, never taken for root.

use serde::{Deserialize, Serialize};

/// The principal a session or grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The account's root user.
    Root,
    /// An IAM user, by its unique id (`AIDA...`), which is never reused.
    User(String),
    /// A user of an external identity provider (`provider`: the IAM provider's ARN; `subject`:
    /// its `sub` there), acting as a role (`role`: the role session's ARN,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/<user name>`). Never the root user and never an
    /// IAM user: nothing that serves those serves it.
    Federated {
        provider: String,
        subject: String,
        role: String,
    },
}

/// How a principal is kept in a row's columns: its kind, the IAM user's id, and the federated
/// principal's provider, subject and role as one JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalColumns {
    pub kind: &'static str,
    pub user_id: Option<String>,
    pub federated: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FederatedColumn {
    provider: String,
    subject: String,
    role: String,
}

impl Principal {
    /// The principal of a user id that may be absent (`None`: the root user).
    pub fn root_or_user(user_id: Option<String>) -> Self {
        user_id.map_or(Self::Root, Self::User)
    }

    /// The IAM user's id; `None` for the root user and for a federated principal.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Self::User(id) => Some(id),
            Self::Root | Self::Federated { .. } => None,
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Self::Root)
    }

    /// The OpenID Connect `sub`: the IAM user's unique id, the account id for the root user,
    /// and for a federated principal its provider and subject (which no IAM id can equal).
    pub fn subject(&self, account_id: &str) -> String {
        match self {
            Self::Root => account_id.to_string(),
            Self::User(id) => id.clone(),
            Self::Federated {
                provider, subject, ..
            } => format!("{provider}#{subject}"),
        }
    }

    /// The columns that keep this principal.
    pub fn columns(&self) -> PrincipalColumns {
        match self {
            Self::Root => PrincipalColumns {
                kind: "root",
                user_id: None,
                federated: None,
            },
            Self::User(id) => PrincipalColumns {
                kind: "user",
                user_id: Some(id.clone()),
                federated: None,
            },
            Self::Federated {
                provider,
                subject,
                role,
            } => PrincipalColumns {
                kind: "federated",
                user_id: None,
                federated: Some(
                    serde_json::json!({ "provider": provider, "subject": subject, "role": role })
                        .to_string(),
                ),
            },
        }
    }

    /// The principal kept in a row's columns; `None` when they do not make exactly one.
    pub fn from_columns(
        kind: &str,
        user_id: Option<String>,
        federated: Option<String>,
    ) -> Option<Self> {
        match (kind, user_id, federated) {
            ("root", None, None) => Some(Self::Root),
            ("user", Some(id), None) => Some(Self::User(id)),
            ("federated", None, Some(text)) => {
                let f: FederatedColumn = serde_json::from_str(&text).ok()?;
                Some(Self::Federated {
                    provider: f.provider,
                    subject: f.subject,
                    role: f.role,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Principal;

    fn round_trip(p: &Principal) -> Option<Principal> {
        let c = p.columns();
        Principal::from_columns(c.kind, c.user_id, c.federated)
    }

    #[test]
    fn every_principal_reads_back_from_its_columns() {
        for p in [
            Principal::Root,
            Principal::User("AIDAEXAMPLE".into()),
            Principal::Federated {
                provider: "https://idp.example".into(),
                subject: "alice".into(),
                role: "arn:aws:iam::123456789012:role/dev".into(),
            },
        ] {
            assert_eq!(round_trip(&p), Some(p));
        }
    }

    #[test]
    fn inconsistent_columns_are_no_principal() {
        let fed = r#"{"provider":"p","subject":"s","role":"r"}"#;
        assert_eq!(
            Principal::from_columns("root", Some("AIDA".into()), None),
            None
        );
        assert_eq!(Principal::from_columns("user", None, None), None);
        assert_eq!(
            Principal::from_columns("user", Some("AIDA".into()), Some(fed.into())),
            None
        );
        assert_eq!(
            Principal::from_columns("federated", Some("AIDA".into()), Some(fed.into())),
            None
        );
        assert_eq!(
            Principal::from_columns("federated", None, Some("{}".into())),
            None
        );
        assert_eq!(Principal::from_columns("admin", None, None), None);
        assert!(Principal::from_columns("federated", None, Some(fed.into())).is_some());
    }

    #[test]
    fn subjects_are_those_of_before() {
        assert_eq!(Principal::Root.subject("123456789012"), "123456789012");
        assert_eq!(
            Principal::User("AIDAX".into()).subject("123456789012"),
            "AIDAX"
        );
        assert!(!Principal::Federated {
            provider: "p".into(),
            subject: "s".into(),
            role: "r".into()
        }
        .is_root());
    }
}
