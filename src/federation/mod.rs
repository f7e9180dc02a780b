//! Federation: what an external source proves about a person or a machine, and how that maps
//! onto a role session, as AWS STS defines it. Pure: no store, no HTTP, no clock.
//!
//! Every source (an OIDC web identity token, a SAML assertion, a directory entry, an X.509
//! certificate, a device sign-in) ends as one [`ExternalIdentity`]: the provider that vouches
//! for it, the subject, the audiences, the source's attributes and groups, and its times. The
//! mapping from it is the same for all sources:
//!
//! - [`ExternalIdentity::trust_keys`]: the condition keys a role's trust policy reads
//!   (`<provider>:aud`, `saml:sub`, ...; [`trust_keys`]);
//! - [`ExternalIdentity::principal`]: the principal a trust policy's `Federated` element names;
//! - [`ExternalIdentity::session_tags`], [`ExternalIdentity::source_identity`],
//!   [`ExternalIdentity::session_name`]: what the source passes into the session ([`session`]);
//! - [`ExternalIdentity::candidate_roles`]: the roles it may ask for ([`roles`]).
//!
//! Verifying the source (signatures, issuers, times) is the source's own module's work, before
//! an `ExternalIdentity` exists; STS's one minting path (`sts::role_session`) takes the result.

pub mod roles;
pub mod rules;
pub mod session;
pub mod trust_keys;

pub use roles::RoleCandidate;
pub use session::SessionTags;

use crate::policy::Principal;
use serde_json::Value;
use std::collections::BTreeMap;

/// What kind of source proved the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProviderKind {
    /// An OpenID Connect ID token (`AssumeRoleWithWebIdentity`).
    Oidc,
    /// A SAML 2.0 assertion (`AssumeRoleWithSAML`).
    Saml,
    /// An entry of a directory (LDAP), after a bind with the person's password.
    Directory,
    /// An X.509 certificate chaining to a trust anchor.
    Certificate,
    /// A device that signed in with a device code.
    Device,
}

/// The provider that vouches for an identity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provider {
    pub kind: ProviderKind,
    /// What a trust policy's `Federated` element names: the provider's ARN
    /// (`arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`, `...:saml-provider/NAME`), or a
    /// built-in web identity provider's host (`accounts.google.com`).
    pub principal: String,
    /// What the provider's condition keys start with: for OIDC the issuer as AWS keys it (its
    /// URL without `https://`: host and path), `saml` for SAML; a directory's name, a trust
    /// anchor's id for the kinds AWS defines no keys for.
    pub key_prefix: String,
}

impl Provider {
    /// An OIDC provider: `issuer` as in the tokens' `iss`, `principal` what trust policies name.
    pub fn oidc(issuer: &str, principal: &str) -> Provider {
        // A plain-http issuer (a test setting only) is keyed the same way, by host and path.
        let key_prefix = issuer
            .strip_prefix("https://")
            .or_else(|| issuer.strip_prefix("http://"))
            .unwrap_or(issuer);
        Provider {
            kind: ProviderKind::Oidc,
            principal: principal.to_string(),
            key_prefix: key_prefix.to_string(),
        }
    }

    /// A SAML provider, by its ARN (`arn:aws:iam::ACCOUNT:saml-provider/NAME`).
    pub fn saml(provider_arn: &str) -> Provider {
        Provider {
            kind: ProviderKind::Saml,
            principal: provider_arn.to_string(),
            key_prefix: "saml".to_string(),
        }
    }

    /// A provider AWS defines no condition keys for (directory, certificate, device): named
    /// by `principal` in trust policies, its keys under `key_prefix`.
    pub fn other(kind: ProviderKind, principal: &str, key_prefix: &str) -> Provider {
        Provider {
            kind,
            principal: principal.to_string(),
            key_prefix: key_prefix.to_string(),
        }
    }
}

/// What an external source proves: who, for whom, with which attributes, and when.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExternalIdentity {
    pub provider: Provider,
    /// The source's issuer (`iss` of a token, `Issuer` of an assertion), when it names one.
    pub issuer: Option<String>,
    /// The subject (`sub`, SAML `NameID`, a directory's DN, a certificate's subject).
    pub subject: String,
    /// The subject's format (SAML `NameID`'s `Format`), when the source gives one.
    pub subject_type: Option<String>,
    /// Who the proof is for (`aud`; SAML `Recipient`).
    pub audiences: Vec<String>,
    /// OIDC's authorized party (`azp`), when the token has one.
    pub authorized_party: Option<String>,
    /// The source's claims or attributes by name (SAML attributes: arrays of strings).
    pub attributes: BTreeMap<String, Value>,
    /// Groups the source puts the subject in.
    pub groups: Vec<String>,
    /// When the proof was made and until when it holds (Unix seconds).
    pub issued_at: Option<i64>,
    pub expires_at: Option<i64>,
}

impl ExternalIdentity {
    /// A new identity of `subject` proved by `provider`, with nothing else known yet.
    pub fn new(provider: Provider, subject: &str) -> ExternalIdentity {
        ExternalIdentity {
            provider,
            issuer: None,
            subject: subject.to_string(),
            subject_type: None,
            audiences: Vec::new(),
            authorized_party: None,
            attributes: BTreeMap::new(),
            groups: Vec::new(),
            issued_at: None,
            expires_at: None,
        }
    }

    /// The principal as a trust policy sees it: a web identity or SAML user of the provider,
    /// matched by the `Federated` element.
    pub fn principal(&self) -> Principal {
        Principal::web_identity(&self.provider.principal, &self.subject)
    }

    /// The STS action a trust policy is asked about for this identity.
    pub fn assume_action(&self) -> &'static str {
        match self.provider.kind {
            ProviderKind::Saml => "sts:AssumeRoleWithSAML",
            ProviderKind::Directory => "sts:AssumeRoleWithLDAPIdentity",
            _ => "sts:AssumeRoleWithWebIdentity",
        }
    }

    /// The attribute's values as strings: a string, an array's strings, a number or a boolean.
    pub fn attribute_values(&self, name: &str) -> Vec<String> {
        match self.attributes.get(name) {
            Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
            Some(value) => scalar_text(value).into_iter().collect(),
            None => Vec::new(),
        }
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What an identity's source passes that STS cannot take; each maps to one AWS error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FederationError {
    /// A session tag with a bad key or value (AWS: `InvalidParameterValue`).
    #[error("invalid session tag {key:?}: {reason}")]
    InvalidTag { key: String, reason: &'static str },
    /// More session tags than STS takes.
    #[error("{count} session tags: at most {max} are allowed")]
    TooManyTags { count: usize, max: usize },
    /// A tag key given twice (keys compare case-insensitively).
    #[error("duplicate session tag key {0:?}")]
    DuplicateTag(String),
    /// A transitive tag key that names no session tag.
    #[error("transitive tag key {0:?} is not one of the session tags")]
    TransitiveKeyNotTagged(String),
    /// The principal-tags claim is not shaped as AWS defines it.
    #[error("malformed {claim} claim: {reason}")]
    MalformedClaim {
        claim: &'static str,
        reason: &'static str,
    },
    /// A source identity that is not 2-64 of `[\w+=,.@-]`, or starts with `aws:`.
    #[error("invalid source identity {0:?}")]
    InvalidSourceIdentity(String),
    /// More than one value where one is allowed (source identity, session name).
    #[error("{0} must have exactly one value")]
    NotSingleValued(&'static str),
    /// A SAML `Role` value that is not a role ARN and a provider ARN, comma-separated.
    #[error("invalid role pair {0:?}")]
    BadRolePair(String),
    /// The role asked for is not among the identity's candidate roles.
    #[error("role {0} is not one the identity may assume")]
    RoleNotOffered(String),
}

#[cfg(test)]
mod tests;
