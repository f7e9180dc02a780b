//! The condition keys an external identity brings to a role's trust policy.
//!
//! Web identity (AWS IAM User Guide, "IAM and AWS STS condition context keys", section
//! "Available keys for OIDC federation"; the service authorization reference lists the keys of
//! `sts:AssumeRoleWithWebIdentity`): the keys are named after the provider, as `<provider>:key`
//! with the issuer's URL without `https://` (`token.actions.githubusercontent.com:sub`,
//! `example.com/realms/x:aud`):
//! - `:aud` is the token's audience, except that a token with an authorized party (`azp`, as
//!   Google's are) gives `azp` as `:aud` and its audience as `:oaud`;
//! - `:sub` is the subject; `:amr` the authentication methods (multi-valued, as Cognito sets
//!   them);
//! - Login with Amazon names them `www.amazon.com:app_id` and `:user_id`, Facebook
//!   `graph.facebook.com:app_id` and `:id`.
//!
//! SAML (AWS IAM User Guide, "Configure SAML assertions for the authentication response",
//! section "Mapping SAML attributes to AWS trust policy context keys", and "Available keys for
//! SAML-based AWS STS federation"):
//! - `saml:aud` the `Recipient` the assertion is for, `saml:iss` its `Issuer`, `saml:sub` the
//!   `NameID`, `saml:sub_type` its format (`persistent`, `transient`, or the full format URI);
//! - `saml:namequalifier` is `base64(sha1(issuer + account id + "/" + provider name))`, and
//!   `saml:doc` is `account id/provider name`, both of the provider's ARN;
//! - attributes sent under their OID names (eduPerson, `cn`, `givenName`, `sn`, `mail`, `uid`)
//!   become `saml:<friendly name>`; the eduPerson attributes AWS marks multi-valued stay lists.
//!
//! Directories, certificates and devices have no keys of AWS's: Keyward gives them
//! `<prefix>:sub`, `<prefix>:aud` and `<prefix>:groups`, under the prefix of their provider. A
//! directory (prefix `ldap`) adds `ldap:username` and `ldap:<key>` for each attribute it maps
//! (its identity's attributes hold them by key).

use super::{ExternalIdentity, ProviderKind};
use crate::policy::{Arn, ContextValue, RequestContext};
use data_encoding::BASE64;

/// Built-in web identity providers that name the audience and subject keys their own way:
/// (key prefix, audience key, subject key).
const NAMED_KEYS: &[(&str, &str, &str)] = &[
    ("www.amazon.com", "app_id", "user_id"),
    ("graph.facebook.com", "app_id", "id"),
];

/// SAML attributes AWS maps by their OID name: (OID URN, key, multi-valued).
const SAML_ATTRIBUTES: &[(&str, &str, bool)] = &[
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "saml:edupersonaffiliation",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.2",
        "saml:edupersonnickname",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.3",
        "saml:edupersonorgdn",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
        "saml:edupersonorgunitdn",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
        "saml:edupersonprimaryaffiliation",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
        "saml:edupersonprincipalname",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
        "saml:edupersonentitlement",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
        "saml:edupersonprimaryorgunitdn",
        false,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
        "saml:edupersonscopedaffiliation",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
        "saml:edupersontargetedid",
        true,
    ),
    (
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
        "saml:edupersonassurance",
        true,
    ),
    ("urn:oid:2.5.4.3", "saml:cn", false),
    ("urn:oid:2.5.4.42", "saml:givenName", false),
    ("urn:oid:2.5.4.4", "saml:surname", false),
    ("urn:oid:0.9.2342.19200300.100.1.3", "saml:mail", false),
    ("urn:oid:0.9.2342.19200300.100.1.1", "saml:uid", false),
];

const NAMEID_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

impl ExternalIdentity {
    /// The condition keys of this identity for a trust policy, in a stable order.
    pub fn trust_keys(&self) -> Vec<(String, ContextValue)> {
        match self.provider.kind {
            ProviderKind::Oidc => self.oidc_keys(),
            ProviderKind::Saml => self.saml_keys(),
            ProviderKind::Directory | ProviderKind::Certificate | ProviderKind::Device => {
                self.keyward_keys()
            }
        }
    }

    /// Adds [`ExternalIdentity::trust_keys`] to a trust-policy evaluation context.
    pub fn add_trust_keys(&self, context: &mut RequestContext) {
        for (key, value) in self.trust_keys() {
            context.insert(&key, value);
        }
    }

    fn oidc_keys(&self) -> Vec<(String, ContextValue)> {
        let prefix = &self.provider.key_prefix;
        let (aud, sub) = NAMED_KEYS
            .iter()
            .find(|(p, _, _)| p == prefix)
            .map_or(("aud", "sub"), |(_, aud, sub)| (*aud, *sub));
        let mut keys = Vec::new();
        match &self.authorized_party {
            Some(azp) => {
                keys.push((format!("{prefix}:{aud}"), ContextValue::from(azp.as_str())));
                if let Some(value) = values(&self.audiences) {
                    keys.push((format!("{prefix}:oaud"), value));
                }
            }
            None => {
                if let Some(value) = values(&self.audiences) {
                    keys.push((format!("{prefix}:{aud}"), value));
                }
            }
        }
        keys.push((format!("{prefix}:{sub}"), self.subject.as_str().into()));
        let amr = self.attribute_values("amr");
        if !amr.is_empty() {
            keys.push((format!("{prefix}:amr"), ContextValue::from(amr)));
        }
        keys
    }

    fn saml_keys(&self) -> Vec<(String, ContextValue)> {
        let mut keys = Vec::new();
        if let Some(value) = values(&self.audiences) {
            keys.push(("saml:aud".to_string(), value));
        }
        if let Some(issuer) = &self.issuer {
            keys.push(("saml:iss".to_string(), issuer.as_str().into()));
        }
        keys.push(("saml:sub".to_string(), self.subject.as_str().into()));
        if let Some(format) = &self.subject_type {
            let short = format
                .strip_prefix(NAMEID_FORMAT)
                .filter(|f| matches!(*f, "persistent" | "transient"))
                .unwrap_or(format);
            keys.push(("saml:sub_type".to_string(), short.into()));
        }
        if let Some((account, name)) = saml_provider(&self.provider.principal) {
            if let Some(issuer) = &self.issuer {
                keys.push((
                    "saml:namequalifier".to_string(),
                    name_qualifier(issuer, account, name).into(),
                ));
            }
            keys.push(("saml:doc".to_string(), format!("{account}/{name}").into()));
        }
        for (oid, key, multi) in SAML_ATTRIBUTES {
            let found = self.attribute_values(oid);
            match (found.len(), multi) {
                (0, _) => {}
                (_, true) => keys.push((key.to_string(), ContextValue::from(found))),
                (_, false) => keys.push((key.to_string(), found[0].as_str().into())),
            }
        }
        keys
    }

    fn keyward_keys(&self) -> Vec<(String, ContextValue)> {
        let prefix = &self.provider.key_prefix;
        let mut keys = vec![(format!("{prefix}:sub"), self.subject.as_str().into())];
        if let Some(value) = values(&self.audiences) {
            keys.push((format!("{prefix}:aud"), value));
        }
        if !self.groups.is_empty() {
            keys.push((
                format!("{prefix}:groups"),
                ContextValue::from(self.groups.clone()),
            ));
        }
        if self.provider.kind == ProviderKind::Directory {
            for (name, value) in &self.attributes {
                if let Some(text) = value.as_str() {
                    keys.push((format!("{prefix}:{name}"), text.into()));
                }
            }
        }
        keys
    }
}

/// One value as a single-valued key, several as a multi-valued one; none as no key.
fn values(items: &[String]) -> Option<ContextValue> {
    match items {
        [] => None,
        [one] => Some(one.as_str().into()),
        many => Some(ContextValue::from(many.to_vec())),
    }
}

/// `arn:aws:iam::ACCOUNT:saml-provider/NAME` as (account, name).
fn saml_provider(arn: &str) -> Option<(&str, &str)> {
    let parsed = Arn::parse(arn)?;
    let name = parsed.resource.strip_prefix("saml-provider/")?;
    (parsed.service == "iam" && !name.is_empty()).then_some((parsed.account, name))
}

/// `saml:namequalifier`: `base64(sha1(issuer + account + "/" + provider name))`.
fn name_qualifier(issuer: &str, account: &str, name: &str) -> String {
    let text = format!("{issuer}{account}/{name}");
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        text.as_bytes(),
    );
    BASE64.encode(digest.as_ref())
}
