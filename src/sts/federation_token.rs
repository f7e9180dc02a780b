//! GetFederationToken: an IAM user hands out credentials for a named federated user, whose
//! permissions are the user's own narrowed by the session policies passed (none passed: none
//! granted).

use super::credentials::{self, TemporaryCredentials};
use super::session::{self, SessionRequest};
use super::session_token::{long_term_only, DEFAULT_SECONDS, MAX_SECONDS};
use super::StsError;
use crate::authz::{Caller, RequestFacts};
use crate::context::ServiceContext;
use crate::credentials::{SessionClaims, SessionPrincipal};

#[derive(Debug, Clone, Default)]
pub struct FederationTokenRequest {
    pub name: String,
    pub duration_seconds: Option<i64>,
    pub session: SessionRequest,
}

#[derive(Debug)]
pub struct FederatedUser {
    pub credentials: TemporaryCredentials,
    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`
    pub arn: String,
    /// `ACCOUNT:NAME`
    pub federated_user_id: String,
    pub packed_policy_size: u32,
}

/// The federated user's ARN, which the caller's policies are asked about
/// (`sts:GetFederationToken`, and `sts:TagSession` when tags are passed).
pub fn federated_arn(account_id: &str, name: &str) -> String {
    format!("arn:aws:sts::{account_id}:federated-user/{name}")
}

/// Checks the request and mints the credentials. The caller's permission for
/// `sts:GetFederationToken` (and `sts:TagSession` with tags) on [`federated_arn`] is checked
/// before, by the API surface that authorizes every call.
pub fn get_federation_token(
    ctx: &ServiceContext,
    caller: &Caller,
    facts: &RequestFacts,
    request: &FederationTokenRequest,
) -> Result<FederatedUser, StsError> {
    long_term_only(caller, "GetFederationToken")?;
    let Caller::User {
        user_id,
        name: user_name,
        path: user_path,
        account_id,
    } = caller
    else {
        return Err(StsError::AccessDenied(
            "GetFederationToken must be called with an IAM user's credentials.".to_string(),
        ));
    };
    session::check_name_len("name", &request.name, 2, 32)?;
    let duration = match request.duration_seconds {
        Some(seconds) => {
            session::check_duration(seconds, 900, MAX_SECONDS)?;
            seconds
        }
        None => DEFAULT_SECONDS,
    };
    let checked = session::check_request(ctx, caller.session(), account_id, &request.session)?;
    let arn = federated_arn(account_id, &request.name);
    let now = facts.now.timestamp();
    let claims = SessionClaims {
        secret: String::new(),
        account_id: account_id.clone(),
        principal: SessionPrincipal::Federated {
            name: request.name.clone(),
            user_id: user_id.clone(),
            user_name: user_name.clone(),
            user_path: user_path.clone(),
        },
        source_identity: None,
        tags: checked.tags,
        transitive_keys: Vec::new(),
        policy: request.session.policy.clone(),
        policy_arns: request.session.policy_arns.clone(),
        mfa_at: None,
        issued_at: now,
        expires_at: now + duration,
        chain_depth: 0,
    };
    Ok(FederatedUser {
        credentials: credentials::mint(ctx, claims)?,
        federated_user_id: format!("{account_id}:{}", request.name),
        arn,
        packed_policy_size: checked.packed_percent,
    })
}
