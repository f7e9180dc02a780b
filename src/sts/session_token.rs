//! GetSessionToken: an IAM user (or the root user) gets temporary credentials for itself,
//! usually to prove MFA once and then work with `aws:MultiFactorAuthPresent`.

use super::credentials::{self, TemporaryCredentials};
use super::{mfa_check, session, StsError};
use crate::authz::{Caller, RequestFacts};
use crate::context::ServiceContext;
use crate::credentials::{SessionClaims, SessionPrincipal};

pub const DEFAULT_SECONDS: i64 = 43_200;
pub const MAX_SECONDS: i64 = 129_600;
/// The root user's sessions last an hour at most.
pub const ROOT_MAX_SECONDS: i64 = 3600;

#[derive(Debug, Clone, Default)]
pub struct SessionTokenRequest {
    pub duration_seconds: Option<i64>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
}

/// Who may ask: long-term credentials only, as on AWS.
pub(super) fn long_term_only(caller: &Caller, action: &str) -> Result<(), StsError> {
    if caller.session().is_some() {
        return Err(StsError::AccessDenied(format!(
            "Cannot call {action} with session credentials"
        )));
    }
    Ok(())
}

pub fn get_session_token(
    ctx: &ServiceContext,
    caller: &Caller,
    facts: &RequestFacts,
    request: &SessionTokenRequest,
) -> Result<TemporaryCredentials, StsError> {
    long_term_only(caller, "GetSessionToken")?;
    let max = if caller.is_root() {
        ROOT_MAX_SECONDS
    } else {
        MAX_SECONDS
    };
    let duration = match request.duration_seconds {
        Some(seconds) => {
            session::check_duration(seconds, 900, MAX_SECONDS)?;
            seconds.min(max)
        }
        None => DEFAULT_SECONDS.min(max),
    };
    let now = facts.now.timestamp();
    let mfa_at =
        mfa_check(ctx, caller, &request.serial_number, &request.token_code)?.then_some(now);
    let principal = match caller {
        Caller::User {
            user_id,
            name,
            path,
            ..
        } => SessionPrincipal::User {
            id: user_id.clone(),
            name: name.clone(),
            path: path.clone(),
        },
        _ => SessionPrincipal::Root,
    };
    let claims = SessionClaims {
        secret: String::new(),
        account_id: caller.account_id().to_string(),
        principal,
        source_identity: None,
        tags: Vec::new(),
        transitive_keys: Vec::new(),
        policy: None,
        policy_arns: Vec::new(),
        mfa_at,
        issued_at: now,
        expires_at: now + duration,
        chain_depth: 0,
    };
    Ok(credentials::mint(ctx, claims)?)
}
