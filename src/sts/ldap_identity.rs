//! AssumeRoleWithLDAPIdentity: a person of an account's directory becomes a role with their
//! directory user name and password, unsigned, in STS's Query protocol with MinIO's parameter
//! names (`LDAPUsername`, `LDAPPassword`) plus AWS's `RoleArn`, `DurationSeconds`, `Policy`,
//! `PolicyArns`, and Keyward's `DirectoryName` (needed only when the role's account has more
//! than one directory).
//!
//! The call carries a password, so it is served over TLS only (a trusted proxy's https, or
//! plain http from loopback under the test setting `KEYWARD_ALLOW_PLAIN_LDAP`). Guesses are
//! throttled per directory user and per address, as portal sign-ins are, on top of the
//! directory's own lockout; every refusal of the credentials reads the same. The person's
//! identity ([`crate::directory::DirectoryUser::identity`]) goes down the one minting path: the
//! role's trust policy decides on the directory's ARN as `Federated` principal and the `ldap:`
//! keys (`ldap:username`, `ldap:groups`, `ldap:sub`, mapped attributes). The session is named
//! after the user name, its source identity is the user name (so the trust policy must allow
//! `sts:SetSourceIdentity`, as for any source identity), and mapped attributes become session
//! tags (`sts:TagSession`).

use super::role_session::{self, AssumedRole, RoleSessionRequest, SessionDuration, TrustPrincipal};
use super::session::{self, SessionRequest};
use super::StsError;
use crate::audit::RequestMeta;
use crate::authz::{Authorizer, RequestFacts};
use crate::context::ServiceContext;
use crate::directory::client::Connections;
use crate::directory::{self, DirectoryError, DirectoryUser};
use crate::iam::directories::{self, Directory};
use crate::iam::IamError;
use crate::secrets::SecretString;

/// The session's length when none is asked for, and the bounds of what may be asked.
pub const DEFAULT_SECONDS: i64 = 3600;
pub const MIN_SECONDS: i64 = 900;
pub const MAX_SECONDS: i64 = 43_200;

/// What everyone whose credentials the directory did not take is told.
pub const INCORRECT: &str = "The directory did not accept the user name and password.";

#[derive(Debug, Default)]
pub struct LdapIdentityRequest {
    pub role_arn: String,
    pub username: String,
    pub password: SecretString,
    pub directory: Option<String>,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// A role session made from a directory identity, with who the directory said it was.
#[derive(Debug)]
pub struct LdapIdentitySession {
    pub assumed: AssumedRole,
    pub user: DirectoryUser,
}

impl From<DirectoryError> for StsError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Incorrect { reason } => {
                tracing::info!(%reason, "a directory refused a sign-in");
                StsError::AccessDenied(INCORRECT.to_string())
            }
            DirectoryError::Throttled => {
                StsError::AccessDenied("Too many failed sign-ins: try again later.".to_string())
            }
            DirectoryError::Storage(e) => e.into(),
            DirectoryError::Unavailable(text) => {
                tracing::warn!(reason = %text, "a directory cannot be used");
                StsError::IdpCommunication(
                    "The directory could not be reached; nobody can sign in with it now."
                        .to_string(),
                )
            }
        }
    }
}

/// Whether a request came over TLS, or from loopback under the test setting.
fn secure_enough(ctx: &ServiceContext, facts: &RequestFacts) -> bool {
    facts.secure_transport
        || (ctx.web_identity.allow_plain_ldap && facts.source_ip.is_some_and(|ip| ip.is_loopback()))
}

/// The directory of `account` the request names, or its only one.
fn directory_of(
    ctx: &ServiceContext,
    account: &str,
    name: Option<&str>,
) -> Result<Directory, StsError> {
    let not_found = || StsError::AccessDenied(INCORRECT.to_string());
    match name {
        Some(name) => directories::get(ctx, account, name).map_err(|e| match e {
            IamError::NoSuchEntity(_) => not_found(),
            other => other.into(),
        }),
        None => {
            let mut all = directories::list(ctx, account)?;
            match all.len() {
                0 => Err(not_found()),
                1 => Ok(all.remove(0)),
                _ => Err(StsError::Validation(
                    "The role's account has several directories: name one with DirectoryName."
                        .to_string(),
                )),
            }
        }
    }
}

/// The checks of the request, the directory's, then the one minting path.
pub fn assume_role_with_ldap_identity(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    connections: &Connections,
    facts: &RequestFacts,
    meta: &RequestMeta,
    request: &LdapIdentityRequest,
) -> Result<LdapIdentitySession, StsError> {
    if !secure_enough(ctx, facts) {
        return Err(StsError::Validation(
            "AssumeRoleWithLDAPIdentity carries a password: it is served over https only."
                .to_string(),
        ));
    }
    if let Some(seconds) = request.duration_seconds {
        session::check_duration(seconds, MIN_SECONDS, MAX_SECONDS)?;
    }
    let (account, path, name) =
        super::assume_role::parse_role_arn(&request.role_arn).ok_or_else(|| {
            StsError::Validation(format!(
                "{} is invalid for parameter RoleArn: not a role ARN",
                request.role_arn
            ))
        })?;
    let directory = directory_of(ctx, account, request.directory.as_deref())?;
    // The call carries no second factor: a directory that requires Keyward MFA on top of its
    // password gives no credentials for the password alone.
    if directory.require_mfa {
        return Err(StsError::AccessDenied(format!(
            "Directory {} requires Keyward MFA, which AssumeRoleWithLDAPIdentity cannot carry: \
             sign in to the console with the directory account instead.",
            directory.name
        )));
    }
    let user = directory::authenticate_throttled(
        ctx,
        connections,
        &directory,
        &request.username,
        &request.password,
        meta.source_ip.as_deref(),
    )?;

    let identity = user.identity();
    session::check_name("roleSessionName", &user.username)?;
    let session = SessionRequest {
        policy: request.policy.clone(),
        policy_arns: request.policy_arns.clone(),
        tags: user
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        transitive_tag_keys: Vec::new(),
        source_identity: Some(user.username.clone()),
    };
    let checked = session::check_inputs(None, &session)?;
    let principal = TrustPrincipal::External(&identity);
    let trusted = role_session::lookup(
        ctx,
        authorizer,
        principal,
        &request.role_arn,
        (account, &path, name),
    )?;
    let assumed = role_session::mint(
        ctx,
        authorizer,
        &trusted,
        principal,
        facts,
        &RoleSessionRequest {
            role_arn: &request.role_arn,
            session_name: &user.username,
            session: &session,
            checked: &checked,
            external_id: None,
            mfa_at: None,
            chain_depth: 0,
            duration: SessionDuration {
                requested: request.duration_seconds,
                default: DEFAULT_SECONDS,
            },
        },
    )?;
    Ok(LdapIdentitySession { assumed, user })
}
