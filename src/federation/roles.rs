//! The roles an external identity may ask for.
//!
//! SAML (AWS IAM User Guide, "Configure SAML assertions for the authentication response",
//! attribute `https://aws.amazon.com/SAML/Attributes/Role`): each value is a role ARN and the
//! ARN of the SAML provider that may assume it, comma-separated, in either order; the caller
//! of `AssumeRoleWithSAML` names one pair (`RoleArn`, `PrincipalArn`) and it must be offered.
//!
//! Web identity and the other sources offer no list: the role is the `RoleArn` asked for, and
//! the provider is the identity's own. The role's trust policy decides in both cases.

use super::{ExternalIdentity, FederationError, ProviderKind};
use crate::policy::Arn;

/// The SAML attribute that lists the roles an assertion offers.
pub const SAML_ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";

/// A role an identity may ask for, with the provider that vouches for it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCandidate {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`
    pub role_arn: String,
    /// The provider's ARN (`...:saml-provider/NAME`, `...:oidc-provider/HOST`) or name.
    pub provider: String,
}

fn is_role_arn(text: &str) -> bool {
    Arn::parse(text).is_some_and(|a| {
        a.service == "iam" && a.account.len() == 12 && a.resource.starts_with("role/")
    })
}

fn is_saml_provider_arn(text: &str) -> bool {
    Arn::parse(text).is_some_and(|a| {
        a.service == "iam" && a.account.len() == 12 && a.resource.starts_with("saml-provider/")
    })
}

/// One `Role` value: `role-arn,provider-arn` or `provider-arn,role-arn`.
pub fn parse_role_pair(value: &str) -> Result<RoleCandidate, FederationError> {
    let bad = || FederationError::BadRolePair(value.to_string());
    let (a, b) = value.split_once(',').ok_or_else(bad)?;
    let (a, b) = (a.trim(), b.trim());
    let (role, provider) = match (is_role_arn(a), is_role_arn(b)) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return Err(bad()),
    };
    if !is_saml_provider_arn(provider) {
        return Err(bad());
    }
    Ok(RoleCandidate {
        role_arn: role.to_string(),
        provider: provider.to_string(),
    })
}

impl ExternalIdentity {
    /// The roles this identity may ask for: a SAML assertion's `Role` pairs (every value must
    /// be a well-formed pair); for the other sources the role asked for (`requested`), with
    /// the identity's provider.
    pub fn candidate_roles(&self, requested: &str) -> Result<Vec<RoleCandidate>, FederationError> {
        match self.provider.kind {
            ProviderKind::Saml => self
                .attribute_values(SAML_ROLE)
                .iter()
                .map(|value| parse_role_pair(value))
                .collect(),
            _ => Ok(vec![RoleCandidate {
                role_arn: requested.to_string(),
                provider: self.provider.principal.clone(),
            }]),
        }
    }

    /// The candidate the caller asked for (`RoleArn`, and for SAML `PrincipalArn`, which must
    /// be the identity's provider too); a role not offered is refused.
    pub fn choose_role(
        &self,
        role_arn: &str,
        principal_arn: Option<&str>,
    ) -> Result<RoleCandidate, FederationError> {
        let provider = principal_arn.unwrap_or(&self.provider.principal);
        self.candidate_roles(role_arn)?
            .into_iter()
            .find(|c| {
                c.role_arn == role_arn
                    && c.provider == provider
                    && c.provider == self.provider.principal
            })
            .ok_or_else(|| FederationError::RoleNotOffered(role_arn.to_string()))
    }
}
