//! The role session behind a console sign-in through an external provider: the person's
//! identity ([`ExternalIdentity`], proved by the provider's ID token) becomes the role they
//! picked, on the one minting path ([`role_session::mint`]) with its trust policy deciding, as
//! `AssumeRoleWithWebIdentity` would for the same identity.
//!
//! The provider's rules only offer roles; [`trusting`] keeps those whose trust policy lets the
//! identity in, so that the role picker shows only roles that will work.

use super::role_session::{self, AssumedRole, RoleSessionRequest, SessionDuration, TrustPrincipal};
use super::session::{self, Checked, SessionRequest};
use super::StsError;
use crate::authz::{Authorizer, RequestFacts};
use crate::context::ServiceContext;
use crate::federation::ExternalIdentity;

/// How long a console role session lasts (AWS's console federation default: one hour), capped
/// by the role's `MaxSessionDuration`.
pub const DEFAULT_SECONDS: i64 = 3600;

/// What a console role session is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleRole<'a> {
    pub role_arn: &'a str,
    /// The person's user name (the provider's user-name claim): the session's name.
    pub session_name: &'a str,
    /// When the provider proved a second factor, if the account trusts it to say so.
    pub mfa_at: Option<i64>,
}

fn request<'a>(
    role: &ConsoleRole<'a>,
    empty: &'a SessionRequest,
    checked: &'a Checked,
) -> RoleSessionRequest<'a> {
    RoleSessionRequest {
        role_arn: role.role_arn,
        session_name: role.session_name,
        session: empty,
        checked,
        external_id: None,
        mfa_at: role.mfa_at,
        chain_depth: 0,
        duration: SessionDuration {
            requested: None,
            default: DEFAULT_SECONDS,
        },
    }
}

/// Mints the role session for `identity`, if the role's trust policy allows it.
pub fn assume(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    identity: &ExternalIdentity,
    facts: &RequestFacts,
    role: &ConsoleRole<'_>,
) -> Result<AssumedRole, StsError> {
    session::check_name("roleSessionName", role.session_name)?;
    let (account, path, name) = super::assume_role::parse_role_arn(role.role_arn)
        .ok_or_else(|| StsError::Validation(format!("{} is not a role ARN", role.role_arn)))?;
    let principal = TrustPrincipal::External(identity);
    let trusted = role_session::lookup(
        ctx,
        authorizer,
        principal,
        role.role_arn,
        (account, &path, name),
    )?;
    let (empty, checked) = (SessionRequest::default(), Checked::default());
    role_session::mint(
        ctx,
        authorizer,
        &trusted,
        principal,
        facts,
        &request(role, &empty, &checked),
    )
}

/// The roles of `role_arns` whose trust policy lets `identity` in (as [`assume`] would ask),
/// in the given order.
pub fn trusting(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    identity: &ExternalIdentity,
    facts: &RequestFacts,
    session_name: &str,
    mfa_at: Option<i64>,
    role_arns: &[String],
) -> Result<Vec<String>, StsError> {
    let principal = TrustPrincipal::External(identity);
    let (empty, checked) = (SessionRequest::default(), Checked::default());
    let mut out = Vec::new();
    for role_arn in role_arns {
        let Some((account, path, name)) = super::assume_role::parse_role_arn(role_arn) else {
            continue;
        };
        let trusted = match role_session::lookup(
            ctx,
            authorizer,
            principal,
            role_arn,
            (account, &path, name),
        ) {
            Ok(trusted) => trusted,
            Err(StsError::AccessDenied(_)) => continue,
            Err(other) => return Err(other),
        };
        let role = ConsoleRole {
            role_arn,
            session_name,
            mfa_at,
        };
        if role_session::trusts_external(
            &trusted,
            identity,
            facts,
            &request(&role, &empty, &checked),
        ) {
            out.push(role_arn.clone());
        }
    }
    Ok(out)
}
