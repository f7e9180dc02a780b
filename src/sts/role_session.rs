//! The one way a role session is made: a trusted role (as [`Authorizer::trusted_role`] gives
//! it), the principal asking to become it, and a session request whose inputs the front has
//! already checked. Here the role's trust policy decides, then the role's session limit and its
//! account's managed session policies are checked, and the credentials are minted.
//!
//! Every `AssumeRole*` action is a front on [`mint`]: it checks what it can without the role
//! (names, duration bounds, tags, its own proof of identity), looks the role up, and hands
//! over. The principal ([`TrustPrincipal`]) is what differs between the fronts: an IAM caller
//! brings its own policies to the trust decision; an external identity (web identity, SAML,
//! ...) brings only the keys its source proves.
//!
//! Order matters, as in the fronts: only a principal the role trusts learns about the role
//! (its `MaxSessionDuration`) and its account (which managed session policies exist).

use super::credentials::{self, TemporaryCredentials};
use super::session::{self, Checked, SessionRequest};
use super::StsError;
use crate::authz::{Authorizer, Caller, RequestFacts, TrustedRole};
use crate::context::ServiceContext;
use crate::credentials::{SessionClaims, SessionPrincipal};
use crate::federation::ExternalIdentity;
use crate::policy::{self, AssumeRoleInput, Policy, RequestContext};

/// Who asks to become the role, as its trust policy sees them.
#[derive(Debug, Clone, Copy)]
pub enum TrustPrincipal<'a> {
    /// A caller with AWS credentials (an IAM user, a role session): the trust policy and,
    /// where IAM's rules ask for them, the caller's own policies decide (`sts:AssumeRole`).
    Iam(&'a Caller),
    /// An identity an external source proved (web identity, SAML, a directory, ...): it has
    /// no policies of its own, so the trust policy alone decides, on the `Federated`
    /// principal and the keys the identity maps to ([`ExternalIdentity::trust_keys`]).
    External(&'a ExternalIdentity),
}

impl TrustPrincipal<'_> {
    /// The action the trust policy is asked about first.
    pub fn assume_action(&self) -> &'static str {
        match self {
            Self::Iam(_) => "sts:AssumeRole",
            Self::External(identity) => identity.assume_action(),
        }
    }

    /// The refusal of a principal the role does not trust, naming the role as asked for (the
    /// same for a missing role, so that nobody can probe which roles exist).
    pub fn not_authorized(&self, role_arn: &str) -> StsError {
        match self {
            Self::Iam(caller) => StsError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn()
            )),
            Self::External(identity) => StsError::AccessDenied(format!(
                "Not authorized to perform {}",
                identity.assume_action()
            )),
        }
    }
}

/// A role session as asked for, its inputs checked by the front.
#[derive(Debug, Clone, Copy)]
pub struct RoleSessionRequest<'a> {
    /// The role's ARN as the request named it (the refusal names it).
    pub role_arn: &'a str,
    pub session_name: &'a str,
    /// The session policies as given (the managed ones are looked up once trusted).
    pub session: &'a SessionRequest,
    /// The checked tags, transitive keys and source identity (see [`session::check_inputs`]).
    pub checked: &'a Checked,
    /// `sts:ExternalId`, for a third party's caller.
    pub external_id: Option<&'a str>,
    /// When an MFA factor was proved (Unix seconds), if it was.
    pub mfa_at: Option<i64>,
    /// The chain depth of the new session (0: made from long-term credentials or an identity).
    pub chain_depth: u8,
    pub duration: SessionDuration,
}

/// The session's duration as asked for, and the default when none is; both are capped by the
/// role's `MaxSessionDuration` (bounds that do not depend on the role are the front's).
#[derive(Debug, Clone, Copy)]
pub struct SessionDuration {
    pub requested: Option<i64>,
    pub default: i64,
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

/// The role `(account, path, name)` as `role_arn` named it; a missing role is refused exactly
/// like a role that does not trust `principal`, so that nobody can probe which roles exist.
pub fn lookup(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    principal: TrustPrincipal<'_>,
    role_arn: &str,
    (account, path, name): (&str, &str, &str),
) -> Result<std::sync::Arc<TrustedRole>, StsError> {
    match authorizer.trusted_role(ctx, account, name)? {
        Some(trusted) if trusted.role.path == path => Ok(trusted),
        _ => Err(principal.not_authorized(role_arn)),
    }
}

/// Evaluates the role's trust policy for `principal` and the request, and mints the session.
pub fn mint(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    trusted: &TrustedRole,
    principal: TrustPrincipal<'_>,
    facts: &RequestFacts,
    request: &RoleSessionRequest<'_>,
) -> Result<AssumedRole, StsError> {
    let role = &trusted.role;
    if !trusts(ctx, authorizer, trusted, principal, facts, request)? {
        return Err(principal.not_authorized(request.role_arn));
    }

    // Only a trusted principal learns the role's limit and which policies its account has.
    let max = i64::from(role.max_session_duration);
    let duration =
        match request.duration.requested {
            Some(seconds) if seconds > max => return Err(StsError::Validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .to_string(),
            )),
            Some(seconds) => seconds,
            None => request.duration.default.min(max),
        };
    session::check_policy_arns(ctx, &role.account_id, &request.session.policy_arns)?;

    let now = facts.now.timestamp();
    let checked = request.checked;
    let claims = SessionClaims {
        secret: String::new(),
        account_id: role.account_id.clone(),
        principal: SessionPrincipal::Role {
            id: role.id.clone(),
            name: role.name.clone(),
            path: role.path.clone(),
            session: request.session_name.to_string(),
        },
        source_identity: checked.source_identity.clone(),
        tags: checked.tags.clone(),
        transitive_keys: checked.transitive_keys.clone(),
        policy: request.session.policy.clone(),
        policy_arns: request.session.policy_arns.clone(),
        mfa_at: request.mfa_at,
        issued_at: now,
        expires_at: now + duration,
        chain_depth: request.chain_depth,
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
        source_identity: checked.source_identity.clone(),
        role_id: role.id.clone(),
    })
}

/// The trust actions a request needs: the principal's `sts:AssumeRole*`, `sts:TagSession` with
/// tags, `sts:SetSourceIdentity` with a source identity.
fn trust_actions(
    principal: TrustPrincipal<'_>,
    request: &RoleSessionRequest<'_>,
) -> Vec<&'static str> {
    let mut actions = vec![principal.assume_action()];
    if !request.checked.new_tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if request.session.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    actions
}

/// The keys of the request itself: `sts:RoleSessionName`, `sts:ExternalId`, the tags', the
/// transitive keys' and the source identity's.
fn add_request_keys(context: &mut RequestContext, request: &RoleSessionRequest<'_>) {
    context.insert("sts:RoleSessionName", request.session_name);
    if let Some(external_id) = request.external_id {
        context.insert("sts:ExternalId", external_id);
    }
    request.checked.add_request_keys(context);
}

/// Whether the trust policy lets `principal` assume the role, tag the session (with tags) and
/// set its source identity (with one).
fn trusts(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    trusted: &TrustedRole,
    principal: TrustPrincipal<'_>,
    facts: &RequestFacts,
    request: &RoleSessionRequest<'_>,
) -> Result<bool, StsError> {
    let role = &trusted.role;
    let role_arn = crate::iam::arn::role(&role.account_id, &role.path, &role.name);
    let actions = trust_actions(principal, request);
    match principal {
        TrustPrincipal::Iam(caller) => {
            let now = facts.now.timestamp();
            let caller_policies = authorizer.policies(ctx, caller)?;
            let caller_session = authorizer.session_policies(ctx, caller)?;
            let allowed = |action: &str| {
                let mut context =
                    Authorizer::context(caller, &caller_policies, facts, action, &role_arn);
                context.insert("aws:MultiFactorAuthPresent", request.mfa_at.is_some());
                if let Some(at) = request.mfa_at {
                    context.insert("aws:MultiFactorAuthAge", (now - at).max(0));
                }
                add_request_keys(&mut context, request);
                policy::evaluate_assume_role(&AssumeRoleInput {
                    context: &context,
                    trust_policy: &trusted.trust,
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
            Ok(actions.into_iter().all(allowed))
        }
        TrustPrincipal::External(identity) => {
            Ok(trusts_external(trusted, identity, facts, request))
        }
    }
}

/// Whether the trust policy lets an external identity make the session `request` asks for
/// (without minting it): what a role picker offers.
pub fn trusts_external(
    trusted: &TrustedRole,
    identity: &ExternalIdentity,
    facts: &RequestFacts,
    request: &RoleSessionRequest<'_>,
) -> bool {
    let role = &trusted.role;
    let role_arn = crate::iam::arn::role(&role.account_id, &role.path, &role.name);
    trust_actions(TrustPrincipal::External(identity), request)
        .into_iter()
        .all(|action| {
            external_allows(
                &trusted.trust,
                &role.account_id,
                &role_arn,
                identity,
                facts,
                request,
                action,
            )
        })
}

/// Whether the trust policy lets an external identity do `action` on the role: the identity
/// has no policies of its own, so the trust policy alone decides.
fn external_allows(
    trust: &Policy,
    role_account: &str,
    role_arn: &str,
    identity: &ExternalIdentity,
    facts: &RequestFacts,
    request: &RoleSessionRequest<'_>,
    action: &str,
) -> bool {
    let mut context = RequestContext::new(identity.principal(), action, role_arn)
        .with("aws:CurrentTime", facts.now)
        .with("aws:EpochTime", facts.now.timestamp())
        .with("aws:SecureTransport", facts.secure_transport)
        .with("aws:RequestedRegion", facts.region.as_str())
        .with("aws:ViaAWSService", false);
    if let Some(ip) = facts.source_ip {
        context.insert("aws:SourceIp", ip);
    }
    if let Some(agent) = &facts.user_agent {
        context.insert("aws:UserAgent", agent.as_str());
    }
    // A second factor proved at a console sign-in (a directory's Keyward MFA, a provider
    // trusted for it): what a trust policy's `aws:MultiFactorAuthPresent` reads.
    if let Some(at) = request.mfa_at {
        context.insert("aws:MultiFactorAuthPresent", true);
        context.insert(
            "aws:MultiFactorAuthAge",
            (facts.now.timestamp() - at).max(0),
        );
    }
    identity.add_trust_keys(&mut context);
    add_request_keys(&mut context, request);
    policy::evaluate_assume_role(&AssumeRoleInput {
        context: &context,
        trust_policy: trust,
        role_account,
        caller_identity: &[],
        caller_boundary: None,
        caller_session: &[],
    })
    .is_allowed()
}

#[cfg(test)]
mod tests;
