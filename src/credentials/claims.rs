//! The session claims a temporary credential carries: who the session acts as (a role, an IAM
//! user, the root user, a federated user) and how it was made (tags, source identity, session
//! policies, MFA, chaining). They are sealed into the session token ([`super::token`]) and read
//! back, without the store, by every request signed with the credential.

use serde::{Deserialize, Serialize};

/// Who the session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k")]
pub enum SessionPrincipal {
    /// An assumed role (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    #[serde(rename = "r")]
    Role {
        id: String,
        name: String,
        path: String,
        session: String,
    },
    /// An IAM user's own session (GetSessionToken).
    #[serde(rename = "u")]
    User {
        id: String,
        name: String,
        path: String,
    },
    /// The root user's own session (GetSessionToken).
    #[serde(rename = "0")]
    Root,
    /// A federated user (GetFederationToken): the user's permissions, narrowed by the session
    /// policies.
    #[serde(rename = "f")]
    Federated {
        name: String,
        user_id: String,
        user_name: String,
        user_path: String,
    },
}

/// Everything a request signed with a temporary credential needs: its secret, who it acts as
/// and how the session was made.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The secret access key the requests are signed with.
    #[serde(rename = "s")]
    pub secret: String,
    #[serde(rename = "a")]
    pub account_id: String,
    #[serde(rename = "p")]
    pub principal: SessionPrincipal,
    #[serde(rename = "si", default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Session tags (`aws:PrincipalTag/*`), in the order given.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Keys of the tags that pass on to chained role sessions.
    #[serde(rename = "tk", default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_keys: Vec<String>,
    /// The inline session policy, as given.
    #[serde(rename = "sp", default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policies.
    #[serde(rename = "pa", default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// When the caller last proved an MFA factor (Unix seconds), if the session carries MFA.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mfa_at: Option<i64>,
    /// Issue and expiry (Unix seconds).
    #[serde(rename = "i")]
    pub issued_at: i64,
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// 0 for a session made with long-term credentials; one more for each role chained.
    #[serde(rename = "c", default)]
    pub chain_depth: u8,
}

impl std::fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClaims")
            .field("account_id", &self.account_id)
            .field("principal", &self.principal)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
