//! `sts:AssumeRole*` against a role's trust policy.
//!
//! AWS "How IAM roles differ from resource-based policies" and "Policy evaluation logic": the trust
//! policy is the role's resource-based policy.
//! - Same account: a trust policy that names the caller (user ARN, role-session ARN, provider) is
//!   enough on its own; one that names only the account (`arn:aws:iam::ACCOUNT:root`) delegates,
//!   so the caller's identity-based policies must allow `sts:AssumeRole` on the role too.
//! - Cross account: both the trust policy and the caller's identity-based policies must allow.
//! - Web identity and SAML callers have no identity-based policies: the trust policy's `Federated`
//!   principal and its conditions (`<provider>:aud`, `:sub`, `:amr`) decide.

use super::context::RequestContext;
use super::decision::{Decision, DecisionEffect, Layer, Reason};
use super::document::{Effect, Policy};
use super::evaluate::{evaluate, EvaluationInput};

/// The actions a trust policy is asked about (`sts:AssumeRoleWithLDAPIdentity` is Keyward's,
/// for directories, after MinIO's call of that name).
pub const TRUST_ACTIONS: [&str; 7] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithLDAPIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// Inputs for an `AssumeRole*` decision. `context` holds the caller as principal, the STS action,
/// and the role ARN as resource.
#[derive(Debug, Clone, Copy)]
pub struct AssumeRoleInput<'a> {
    pub context: &'a RequestContext,
    /// The role's trust policy.
    pub trust_policy: &'a Policy,
    /// The account that owns the role.
    pub role_account: &'a str,
    /// The caller's identity-based policies (empty for web identity/SAML callers).
    pub caller_identity: &'a [Policy],
    pub caller_boundary: Option<&'a Policy>,
    pub caller_session: &'a [Policy],
}

/// True when `action` is one a trust policy governs (case-insensitive).
pub fn is_trust_action(action: &str) -> bool {
    TRUST_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// Decides whether the caller may assume the role (or tag the session, set the source identity).
///
/// Unlike other resource policies, a trust policy is never optional: even in the role's own
/// account, identity policies that allow `sts:AssumeRole` on every role do not let a caller in
/// unless the trust policy grants it (naming the caller, or the account to delegate).
pub fn evaluate_assume_role(input: &AssumeRoleInput<'_>) -> Decision {
    let mut decision = evaluate(&EvaluationInput {
        context: input.context,
        identity: input.caller_identity,
        boundary: input.caller_boundary,
        session: input.caller_session,
        resource: Some(input.trust_policy),
        resource_account: Some(input.role_account),
    });
    let trusted = decision
        .explanation
        .matched
        .iter()
        .any(|m| m.layer == Layer::Resource && m.effect == Effect::Allow);
    if decision.is_allowed() && !trusted {
        decision.effect = DecisionEffect::ImplicitDeny;
        decision.explanation.reason = Reason::NoAllow(Layer::Resource);
    }
    decision
}
