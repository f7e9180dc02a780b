//! AssumeRole: a caller with credentials becomes a role for a while.
//!
//! The role's trust policy must allow the caller (`sts:AssumeRole`, and `sts:TagSession` /
//! `sts:SetSourceIdentity` when tags / a source identity are passed); the policy engine applies
//! IAM's rule that a trust policy naming the caller is enough within its account, while one
//! naming the account (or any cross-account trust) also needs the caller's own policies.
//!
//! Order matters: what can be checked without the role (names, duration bounds, tags, the
//! caller's MFA code) comes first; then the role and its trust policy; only a caller the role
//! trusts learns about the role (its `MaxSessionDuration`) and its account (which managed
//! session policies exist). Any other caller, and any caller naming a missing role, gets the
//! same AccessDenied naming the requested ARN.

use super::credentials::{self, TemporaryCredentials};
use super::{mfa_check, session, StsError};
use crate::authz::{Authorizer, Caller, RequestFacts};
use crate::context::ServiceContext;
use crate::credentials::{SessionClaims, SessionPrincipal};
use crate::policy::{self, AssumeRoleInput};

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

#[derive(Debug)]
pub struct AssumedRole {
    pub credentials: TemporaryCredentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`
    pub arn: String,
    /// `AROA...:SESSION`
    pub assumed_role_id: String,
    pub packed_policy_size: u32,
    pub source_identity: Option<String>,
    /// The role's unique id, to record its last use.
    pub role_id: String,
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` as (account, path, name).
fn parse_role_arn(arn: &str) -> Option<(&str, String, &str)> {
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

fn not_authorized(caller: &Caller, role_arn: &str) -> StsError {
    StsError::AccessDenied(format!(
        "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        caller.arn()
    ))
}

pub fn assume_role(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    caller: &Caller,
    facts: &RequestFacts,
    request: &AssumeRoleRequest,
) -> Result<AssumedRole, StsError> {
    if caller.is_root() {
        return Err(StsError::AccessDenied(
            "Roles may not be assumed by root accounts.".to_string(),
        ));
    }
    session::check_name("roleSessionName", &request.session_name)?;
    let prior = caller.session();
    if prior.is_some_and(|s| matches!(s.principal, SessionPrincipal::Federated { .. })) {
        return Err(not_authorized(caller, &request.role_arn));
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
    let checked = session::check_inputs(caller, &request.session)?;

    let now = facts.now.timestamp();
    // A code given now; else the MFA of the caller's own session, or of the console session
    // that switches roles (as AWS's console carries it into the role session).
    let mfa_at = if mfa_check(ctx, caller, &request.serial_number, &request.token_code)? {
        Some(now)
    } else {
        prior
            .and_then(|s| s.mfa_at)
            .or_else(|| facts.console.and_then(|c| c.mfa_at))
    };

    // A missing role is refused exactly like a role that does not trust the caller, so that
    // callers cannot probe which roles exist.
    let trusted = match authorizer.trusted_role(ctx, account, name)? {
        Some(trusted) if trusted.role.path == path => trusted,
        _ => return Err(not_authorized(caller, &request.role_arn)),
    };
    let role = &trusted.role;
    let role_arn = crate::iam::arn::role(&role.account_id, &role.path, &role.name);
    let trust = &trusted.trust;
    let caller_policies = authorizer.policies(ctx, caller)?;
    let caller_session = authorizer.session_policies(ctx, caller)?;
    let allowed = |action: &str| {
        let mut context = Authorizer::context(caller, &caller_policies, facts, action, &role_arn);
        context.insert("sts:RoleSessionName", request.session_name.as_str());
        context.insert("aws:MultiFactorAuthPresent", mfa_at.is_some());
        if let Some(at) = mfa_at {
            context.insert("aws:MultiFactorAuthAge", (now - at).max(0));
        }
        if let Some(external_id) = &request.external_id {
            context.insert("sts:ExternalId", external_id.as_str());
        }
        checked.add_request_keys(&mut context);
        policy::evaluate_assume_role(&AssumeRoleInput {
            context: &context,
            trust_policy: trust,
            role_account: &role.account_id,
            caller_identity: &caller_policies.identity,
            caller_boundary: caller_policies.boundary_policy(),
            caller_session: caller_session
                .as_deref()
                .map(Vec::as_slice)
                .unwrap_or_default(),
        })
        .is_allowed()
    };
    let mut actions = vec!["sts:AssumeRole"];
    if !checked.new_tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if request.session.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    if !actions.into_iter().all(allowed) {
        return Err(not_authorized(caller, &request.role_arn));
    }

    // Only a trusted caller learns the role's limit and which policies its account has.
    let max = i64::from(role.max_session_duration);
    let duration =
        match request.duration_seconds {
            Some(seconds) if seconds > max => return Err(StsError::Validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .to_string(),
            )),
            Some(seconds) => seconds,
            None => DEFAULT_SECONDS.min(max),
        };
    session::check_policy_arns(ctx, account, &request.session.policy_arns)?;

    let claims = SessionClaims {
        secret: String::new(),
        account_id: role.account_id.clone(),
        principal: SessionPrincipal::Role {
            id: role.id.clone(),
            name: role.name.clone(),
            path: role.path.clone(),
            session: request.session_name.clone(),
        },
        source_identity: checked.source_identity.clone(),
        tags: checked.tags.clone(),
        transitive_keys: checked.transitive_keys.clone(),
        policy: request.session.policy.clone(),
        policy_arns: request.session.policy_arns.clone(),
        mfa_at,
        issued_at: now,
        expires_at: now + duration,
        chain_depth: match prior {
            Some(s) if chained => s.chain_depth.saturating_add(1),
            _ => 0,
        },
    };
    let credentials = credentials::mint(ctx, claims)?;
    Ok(AssumedRole {
        credentials,
        arn: format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            role.account_id, role.name, request.session_name
        ),
        assumed_role_id: format!("{}:{}", role.id, request.session_name),
        packed_policy_size: checked.packed_percent,
        source_identity: checked.source_identity,
        role_id: role.id.clone(),
    })
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
