//! AssumeRole: a caller with credentials becomes a role for a while.
//!
//! The role's trust policy must allow the caller (`sts:AssumeRole`, and `sts:TagSession` /
//! `sts:SetSourceIdentity` when tags / a source identity are passed); the policy engine applies
//! IAM's rule that a trust policy naming the caller is enough within its account, while one
//! naming the account (or any cross-account trust) also needs the caller's own policies.
//!
//! AssumeRole is a front on the one minting path ([`super::role_session`]): the checks that
//! concern the caller and the request are here, the trust decision and the minting there.
//!
//! Order matters: what can be checked without the role (names, duration bounds, tags, the
//! caller's MFA code) comes first; then the role and its trust policy; only a caller the role
//! trusts learns about the role (its `MaxSessionDuration`) and its account (which managed
//! session policies exist). Any other caller, and any caller naming a missing role, gets the
//! same AccessDenied naming the requested ARN.

use super::role_session::{self, RoleSessionRequest, SessionDuration, TrustPrincipal};
use super::{mfa_check, session, StsError};
use crate::authz::{Authorizer, Caller, RequestFacts};
use crate::context::ServiceContext;
use crate::credentials::SessionPrincipal;
use crate::policy;

pub use super::role_session::AssumedRole;

/// The longest session of a role assumed with role-session credentials (role chaining).
pub const CHAINED_MAX_SECONDS: i64 = 3600;
pub const DEFAULT_SECONDS: i64 = 3600;

#[derive(Debug, Clone, Default)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration_seconds: Option<i64>,
    pub session: session::SessionRequest,
    pub external_id: Option<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` as (account, path, name).
pub(crate) fn parse_role_arn(arn: &str) -> Option<(&str, String, &str)> {
    let parsed = policy::Arn::parse(arn)?;
    if parsed.service != "iam" || !parsed.region.is_empty() || parsed.account.len() != 12 {
        return None;
    }
    let rest = parsed.resource.strip_prefix("role/")?;
    let (path, name) = match rest.rfind('/') {
        Some(i) => (format!("/{}/", &rest[..i]), &rest[i + 1..]),
        None => ("/".to_string(), rest),
    };
    (!name.is_empty()).then_some((parsed.account, path, name))
}

/// The caller's checks (root refused, session name, chaining, duration bounds, external id,
/// role ARN, session inputs, MFA code), the role's lookup, then the one minting path
/// ([`role_session::mint`]).
pub fn assume_role(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    caller: &Caller,
    facts: &RequestFacts,
    request: &AssumeRoleRequest,
) -> Result<AssumedRole, StsError> {
    let principal = TrustPrincipal::Iam(caller);
    if caller.is_root() {
        return Err(StsError::AccessDenied(
            "Roles may not be assumed by root accounts.".to_string(),
        ));
    }
    session::check_name("roleSessionName", &request.session_name)?;
    let prior = caller.session();
    if prior.is_some_and(|s| matches!(s.principal, SessionPrincipal::Federated { .. })) {
        return Err(principal.not_authorized(&request.role_arn));
    }
    let chained = prior.is_some_and(|s| matches!(s.principal, SessionPrincipal::Role { .. }));
    if let Some(seconds) = request.duration_seconds {
        session::check_duration(seconds, 900, i64::MAX)?;
        if chained && seconds > CHAINED_MAX_SECONDS {
            return Err(StsError::Validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles \
                 assumed by role chaining."
                    .to_string(),
            ));
        }
    }
    if let Some(external_id) = &request.external_id {
        session::check_external_id(external_id)?;
    }
    let (account, path, name) = parse_role_arn(&request.role_arn).ok_or_else(|| {
        StsError::Validation(format!(
            "{} is invalid for parameter RoleArn: not a role ARN",
            request.role_arn
        ))
    })?;
    let checked = session::check_inputs(prior, &request.session)?;

    // A code given now; else the MFA of the caller's own session, or of the console session
    // that switches roles (as AWS's console carries it into the role session).
    let mfa_at = if mfa_check(ctx, caller, &request.serial_number, &request.token_code)? {
        Some(facts.now.timestamp())
    } else {
        prior
            .and_then(|s| s.mfa_at)
            .or_else(|| facts.console.and_then(|c| c.mfa_at))
    };

    // A missing role is refused exactly like a role that does not trust the caller, so that
    // callers cannot probe which roles exist.
    let trusted = role_session::lookup(
        ctx,
        authorizer,
        principal,
        &request.role_arn,
        (account, &path, name),
    )?;
    role_session::mint(
        ctx,
        authorizer,
        &trusted,
        principal,
        facts,
        &RoleSessionRequest {
            role_arn: &request.role_arn,
            session_name: &request.session_name,
            session: &request.session,
            checked: &checked,
            external_id: request.external_id.as_deref(),
            mfa_at,
            chain_depth: match prior {
                Some(s) if chained => s.chain_depth.saturating_add(1),
                _ => 0,
            },
            duration: SessionDuration {
                requested: request.duration_seconds,
                default: DEFAULT_SECONDS,
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_split_into_account_path_and_name() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/deploy"),
            Some(("123456789012", "/".to_string(), "deploy"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/a/b/deploy"),
            Some(("123456789012", "/a/b/".to_string(), "deploy"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:user/deploy"),
            None
        );
        assert_eq!(parse_role_arn("arn:aws:iam::12345:role/deploy"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/"), None);
        assert_eq!(parse_role_arn("deploy"), None);
    }
}
