//! What an external identity passes into its role session: session tags, a source identity
//! and, for SAML, a session name and duration.
//!
//! Web identity (AWS IAM User Guide, "Pass session tags in AWS STS", section "Passing session
//! tags using AssumeRoleWithWebIdentity"): the token's `https://aws.amazon.com/tags` claim
//! holds `principal_tags` (each key with a one-element array of its value) and
//! `transitive_tag_keys`. The source identity is the `https://aws.amazon.com/source_identity`
//! claim ("Monitor and control actions taken with assumed roles").
//!
//! SAML ("Configure SAML assertions for the authentication response"): one attribute
//! `https://aws.amazon.com/SAML/Attributes/PrincipalTag:KEY` per tag, whose value is the tag's;
//! `.../TransitiveTagKeys` lists the transitive keys; `.../SourceIdentity`,
//! `.../RoleSessionName` and `.../SessionDuration` hold one value each.
//!
//! Limits, as STS applies them to every session ("Tagging AWS STS sessions", "IAM and AWS STS
//! quotas"): at most 50 session tags; keys of 1-128 and values of 0-256 characters, letters,
//! digits, spaces and `_ . : / = + - @`; no `aws:` prefix; keys compared case-insensitively, so
//! a key may appear once; each transitive key must be one of the tags. A source identity is 2-64
//! of `[\w+=,.@-]` and does not start with `aws:`.

use super::{ExternalIdentity, FederationError, ProviderKind};
use serde_json::Value;

/// The most session tags a session may have.
pub const MAX_SESSION_TAGS: usize = 50;
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// The web identity claim that holds session tags.
pub const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The web identity claim that holds the source identity.
pub const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";
/// The SAML attribute names AWS defines.
pub const SAML_PRINCIPAL_TAG: &str = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
pub const SAML_TRANSITIVE_TAG_KEYS: &str =
    "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys";
pub const SAML_SOURCE_IDENTITY: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
pub const SAML_ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
pub const SAML_SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";

/// The session tags an identity passes (a claim's in key order, attributes' in name order), and
/// which of them are transitive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionTags {
    pub tags: Vec<(String, String)>,
    pub transitive_keys: Vec<String>,
}

impl ExternalIdentity {
    /// The session tags the source passes, checked against STS's limits.
    pub fn session_tags(&self) -> Result<SessionTags, FederationError> {
        let tags = match self.provider.kind {
            ProviderKind::Saml => self.saml_tags()?,
            _ => self.claim_tags()?,
        };
        check_tags(&tags)?;
        Ok(tags)
    }

    /// `https://aws.amazon.com/tags`: `{"principal_tags": {"k": ["v"]}, "transitive_tag_keys":
    /// ["k"]}`.
    fn claim_tags(&self) -> Result<SessionTags, FederationError> {
        let malformed = |reason| FederationError::MalformedClaim {
            claim: TAGS_CLAIM,
            reason,
        };
        let Some(claim) = self.attributes.get(TAGS_CLAIM) else {
            return Ok(SessionTags::default());
        };
        let claim = claim
            .as_object()
            .ok_or_else(|| malformed("not an object"))?;
        let mut out = SessionTags::default();
        if let Some(principal_tags) = claim.get("principal_tags") {
            let principal_tags = principal_tags
                .as_object()
                .ok_or_else(|| malformed("principal_tags is not an object"))?;
            for (key, value) in principal_tags {
                let value = match value {
                    Value::Array(items) if items.len() == 1 => items[0].as_str(),
                    _ => None,
                }
                .ok_or_else(|| malformed("a tag value is not a one-element array of a string"))?;
                out.tags.push((key.clone(), value.to_string()));
            }
        }
        if let Some(keys) = claim.get("transitive_tag_keys") {
            out.transitive_keys = keys
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|k| k.as_str().map(str::to_string))
                        .collect()
                })
                .ok_or_else(|| malformed("transitive_tag_keys is not an array of strings"))?;
        }
        Ok(out)
    }

    /// One `PrincipalTag:KEY` attribute per tag, and `TransitiveTagKeys`.
    fn saml_tags(&self) -> Result<SessionTags, FederationError> {
        let mut out = SessionTags::default();
        for name in self.attributes.keys() {
            if let Some(key) = name.strip_prefix(SAML_PRINCIPAL_TAG) {
                let value = self.single(name, "PrincipalTag")?.unwrap_or_default();
                out.tags.push((key.to_string(), value));
            }
        }
        out.transitive_keys = self.attribute_values(SAML_TRANSITIVE_TAG_KEYS);
        Ok(out)
    }

    /// The source identity the source sets, if it sets one.
    pub fn source_identity(&self) -> Result<Option<String>, FederationError> {
        let name = match self.provider.kind {
            ProviderKind::Saml => SAML_SOURCE_IDENTITY,
            _ => SOURCE_IDENTITY_CLAIM,
        };
        let Some(value) = self.single(name, "SourceIdentity")? else {
            return Ok(None);
        };
        let len = value.chars().count();
        let word = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        if !(2..=64).contains(&len) || !word || value.to_ascii_lowercase().starts_with("aws:") {
            return Err(FederationError::InvalidSourceIdentity(value));
        }
        Ok(Some(value))
    }

    /// The role session name the source gives (SAML's `RoleSessionName`), checked by STS as
    /// any session name is.
    pub fn session_name(&self) -> Result<Option<String>, FederationError> {
        match self.provider.kind {
            ProviderKind::Saml => self.single(SAML_ROLE_SESSION_NAME, "RoleSessionName"),
            _ => Ok(None),
        }
    }

    /// The session duration the source asks for (SAML's `SessionDuration`, seconds), if any
    /// and if it is a number.
    pub fn session_duration(&self) -> Result<Option<i64>, FederationError> {
        match self.provider.kind {
            ProviderKind::Saml => Ok(self
                .single(SAML_SESSION_DURATION, "SessionDuration")?
                .and_then(|v| v.trim().parse().ok())),
            _ => Ok(None),
        }
    }

    /// An attribute that may have one value at most.
    fn single(&self, name: &str, what: &'static str) -> Result<Option<String>, FederationError> {
        let mut values = self.attribute_values(name);
        match values.len() {
            0 => Ok(None),
            1 => Ok(values.pop()),
            _ => Err(FederationError::NotSingleValued(what)),
        }
    }
}

fn tag_chars(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// STS's limits on session tags (see the module's doc).
pub fn check_tags(tags: &SessionTags) -> Result<(), FederationError> {
    if tags.tags.len() > MAX_SESSION_TAGS {
        return Err(FederationError::TooManyTags {
            count: tags.tags.len(),
            max: MAX_SESSION_TAGS,
        });
    }
    let invalid = |key: &str, reason| FederationError::InvalidTag {
        key: key.to_string(),
        reason,
    };
    for (i, (key, value)) in tags.tags.iter().enumerate() {
        let key_len = key.chars().count();
        if !(1..=MAX_TAG_KEY_CHARS).contains(&key_len) {
            return Err(invalid(key, "a key has 1 to 128 characters"));
        }
        if value.chars().count() > MAX_TAG_VALUE_CHARS {
            return Err(invalid(key, "a value has at most 256 characters"));
        }
        if !tag_chars(key) || !tag_chars(value) {
            return Err(invalid(
                key,
                "letters, digits, spaces and _ . : / = + - @ only",
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(key, "the aws: prefix is reserved"));
        }
        if tags.tags[..i]
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            return Err(FederationError::DuplicateTag(key.clone()));
        }
    }
    for key in &tags.transitive_keys {
        if !tags.tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(FederationError::TransitiveKeyNotTagged(key.clone()));
        }
    }
    Ok(())
}
