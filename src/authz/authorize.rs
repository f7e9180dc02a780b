//! Whether a caller may make one request, said once for every surface: the rules that hold
//! whatever the policies say (what some temporary credentials may never call, and the root
//! user's freedom in its own account), then the policies' decision, and a refusal worded as
//! AWS words its `AccessDenied`.

use super::{Authorizer, Caller, RequestFacts, ResourceRequest, SessionPrincipal};
use crate::context::ServiceContext;
use crate::iam::IamError;

/// Why a request is not carried out.
#[derive(Debug)]
pub enum Denied {
    /// Refused, with the `AccessDenied` message to answer.
    AccessDenied(String),
    /// Nothing was decided: the caller's policies could not be read.
    Undecided(IamError),
}

/// What is settled before any policy is read (see [`Authorizer::settle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The root user in its own account: allowed without a decision.
    Root,
    /// The policies decide.
    ByPolicies,
}

impl Authorizer {
    /// Authorizes `caller` to make `request`: a [`session_restriction`] refuses it, the root user
    /// may do anything in its own account, and anyone else needs the policies' decision.
    pub fn authorize(
        &self,
        ctx: &ServiceContext,
        caller: &Caller,
        facts: &RequestFacts,
        request: &ResourceRequest<'_>,
    ) -> Result<(), Denied> {
        if Self::settle(caller, request.action, request.resource)? == Settled::Root {
            return Ok(());
        }
        let (decision, evaluated) = self
            .decide_for(ctx, caller, facts, request)
            .map_err(Denied::Undecided)?;
        if decision.is_allowed() {
            return Ok(());
        }
        let message = decision
            .access_denied_message(&evaluated)
            .unwrap_or_else(|| {
                format!(
                    "User: {} is not authorized to perform: {} on resource: {}",
                    caller.arn(),
                    request.action,
                    request.resource
                )
            });
        Err(Denied::AccessDenied(message))
    }

    /// The part of [`Authorizer::authorize`] that reads no policy: a restricted session is
    /// refused, the root user needs no decision. A surface that must compute the request's
    /// context keys asks this first, so that neither is spent on a request settled without
    /// them.
    pub fn settle(caller: &Caller, action: &str, resource: &str) -> Result<Settled, Denied> {
        if let Some(reason) = session_restriction(caller, action) {
            return Err(Denied::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} because \
                 {reason}",
                caller.arn()
            )));
        }
        Ok(if caller.is_root() {
            Settled::Root
        } else {
            Settled::ByPolicies
        })
    }
}

/// What AWS withholds from some temporary credentials whatever their policies say: sessions
/// from GetSessionToken call IAM only when MFA was proved, and federated users call neither
/// IAM nor STS (but GetCallerIdentity, which asks no permission).
///
/// Keyward's own actions (`keyward:*`) are held to the IAM rule, family by family:
/// - OIDC client management (`keyward:*OidcClient*`) decides which programs may receive
///   tokens for the account's users: identity administration, as IAM is;
/// - `keyward:Authorize` answers with another principal's decision and the policies behind
///   it, as `iam:SimulatePrincipalPolicy` does.
///
/// A new `keyward:` action falls under the rule unless it is listed here with the reason it
/// may be called from such a session. Leaving them out would let a federated user, or a
/// stolen access key turned into a session without MFA, administer what IAM calls from the
/// same session may not.
pub fn session_restriction(caller: &Caller, action: &str) -> Option<&'static str> {
    let session = caller.session()?;
    if action.starts_with("sts:") && matches!(session.principal, SessionPrincipal::Federated { .. })
    {
        return Some("federated user sessions call no STS operation but GetCallerIdentity");
    }
    if !administers_identities(action) {
        return None;
    }
    match session.principal {
        SessionPrincipal::Federated { .. } => {
            Some("federated user sessions cannot call IAM or Keyward operations")
        }
        SessionPrincipal::User { .. } | SessionPrincipal::Root if session.mfa_at.is_none() => {
            Some("sessions from GetSessionToken call IAM and Keyward operations only with MFA")
        }
        _ => None,
    }
}

/// IAM's actions and Keyward's own, which the session rules above treat alike.
fn administers_identities(action: &str) -> bool {
    let service = action.split(':').next().unwrap_or_default();
    service.eq_ignore_ascii_case("iam") || service.eq_ignore_ascii_case("keyward")
}
