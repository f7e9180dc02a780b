//! Console sign-in with a directory account: the person's user name and password checked by
//! the account's directory (`directory::authenticate_throttled`: one bind, two searches,
//! throttled), then the roles of the account whose trust policy lets their directory identity
//! in (on `ldap:groups` and the other `ldap:` keys), the role picker when there are several,
//! and a console session as `assumed-role/ROLE/<user name>` on the same path as every external
//! source (`external::open_session`).
//!
//! What waits for the picker ([`DirectoryProven`]: the whole identity, groups included) is kept
//! in the store (`signin::pending`), not in a cookie: a directory user's groups can be many.

use super::external::{open_session, ExternalError, RoleChoice};
use super::SigninService;
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use crate::authz::{Authorizer, RequestFacts};
use crate::directory::client::Connections;
use crate::directory::{self, DirectoryError};
use crate::federation::ExternalIdentity;
use crate::iam::directories;
use crate::iam::IamError;
use crate::secrets::SecretString;
use crate::storage::schema::roles;
use crate::sts::console_role;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;

/// What a directory proved, waiting for the person to pick a role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DirectoryProven {
    pub account_id: String,
    pub directory: String,
    pub user_name: String,
    pub dn: String,
    pub groups: Vec<String>,
    identity: ExternalIdentity,
    /// The roles offered (ARNs): those whose trust policy lets the identity in.
    pub roles: Vec<String>,
    /// The picker form's token: the form must carry it back.
    pub form_token: String,
}

impl DirectoryProven {
    /// Whether `token` is the picker form's.
    pub fn form_token_ok(&self, token: &str) -> bool {
        bool::from(token.as_bytes().ct_eq(self.form_token.as_bytes()))
    }
}

/// Why a directory sign-in stopped.
#[derive(Debug, thiserror::Error)]
pub enum DirectorySigninError {
    /// No such directory in the account (or no such account).
    #[error("There is no such directory.")]
    UnknownDirectory,
    /// Wrong password, unknown user, refused account: one answer for all.
    #[error("Your authentication information is incorrect. Please try again.")]
    Incorrect,
    #[error("Too many failed sign-ins. Please try again later.")]
    Throttled,
    #[error("The directory cannot be reached now, so nobody can sign in with it. Please try again later.")]
    Unavailable,
    /// The directory requires Keyward MFA on top, which its people cannot enrol yet.
    #[error("This directory requires a second factor in Keyward, which cannot be enrolled for directory accounts yet. Ask an administrator.")]
    MfaRequired,
    #[error(transparent)]
    Other(#[from] ExternalError),
}

fn event(proven: &DirectoryProven, name: &str) -> AuditEvent {
    let mut e = AuditEvent::new(EventSource::Signin, name)
        .account(&proven.account_id)
        .parameters(json!({
            "userName": proven.user_name,
            "directory": proven.directory,
            "userDn": proven.dn,
            "groups": proven.groups,
            "rolesOffered": proven.roles,
            "MFAUsed": "No",
        }));
    e.read_only = name != "ConsoleLogin";
    e
}

/// Audits a directory sign-in that stopped, with the real reason.
pub fn audit_failure(
    service: &SigninService,
    account_id: &str,
    directory: &str,
    user_name: &str,
    reason: &str,
    meta: &RequestMeta,
) {
    let mut e = AuditEvent::new(EventSource::Signin, "ConsoleLogin")
        .account(account_id)
        .parameters(json!({ "directory": directory, "userName": user_name, "MFAUsed": "No" }))
        .response(json!({ "ConsoleLogin": "Failure" }))
        .failed("Failed authentication", reason);
    e.read_only = false;
    service.audit.push(service.ctx.clock.now_naive(), meta, e);
}

/// The ARNs of every role of `account_id`.
fn every_role(service: &SigninService, account_id: &str) -> Result<Vec<String>, IamError> {
    let found: Vec<(String, String)> = service.ctx.store.read(|conn| {
        roles::table
            .filter(roles::account_id.eq(account_id))
            .select((roles::path, roles::name))
            .load(conn)
            .map_err(IamError::from)
    })?;
    Ok(found
        .iter()
        .map(|(path, name)| crate::iam::arn::role(account_id, path, name))
        .collect())
}

/// Checks the user name and password with directory `name` of `account_id`, and finds the
/// roles the person may pick. Refusals are audited with their real reason.
#[allow(clippy::too_many_arguments)]
pub fn sign_in(
    service: &SigninService,
    authorizer: &Authorizer,
    connections: &Connections,
    account_id: &str,
    name: &str,
    user_name: &str,
    password: &SecretString,
    facts: &RequestFacts,
    meta: &RequestMeta,
) -> Result<DirectoryProven, DirectorySigninError> {
    let ctx = &service.ctx;
    let directory = directories::get(ctx, account_id, name).map_err(|e| match e {
        IamError::NoSuchEntity(_) => DirectorySigninError::UnknownDirectory,
        other => ExternalError::from(other).into(),
    })?;
    let refused = |reason: &str| audit_failure(service, account_id, name, user_name, reason, meta);
    if directory.require_mfa {
        refused("the directory requires Keyward MFA, not yet offered to directory accounts");
        return Err(DirectorySigninError::MfaRequired);
    }
    let user = match directory::authenticate_throttled(
        ctx,
        connections,
        &directory,
        user_name,
        password,
        meta.source_ip.as_deref(),
    ) {
        Ok(user) => user,
        Err(DirectoryError::Incorrect { reason }) => {
            refused(&reason);
            return Err(DirectorySigninError::Incorrect);
        }
        Err(DirectoryError::Throttled) => {
            refused("throttled");
            return Err(DirectorySigninError::Throttled);
        }
        Err(e) => {
            tracing::warn!(error = %e, "a directory cannot be used");
            refused(&e.to_string());
            return Err(DirectorySigninError::Unavailable);
        }
    };
    let identity = user.identity();
    let all = every_role(service, account_id).map_err(ExternalError::from)?;
    let roles = console_role::trusting(
        ctx,
        authorizer,
        &identity,
        facts,
        &user.username,
        None,
        &all,
    )
    .map_err(ExternalError::from)?;
    let proven = DirectoryProven {
        account_id: account_id.to_string(),
        directory: directory.name.clone(),
        user_name: user.username.clone(),
        dn: user.dn.clone(),
        groups: user.groups.clone(),
        identity,
        roles,
        form_token: super::sessions::new_id(ctx.random.as_ref()),
    };
    service.audit.push(
        ctx.clock.now_naive(),
        meta,
        event(&proven, "ExternalIdentityVerified"),
    );
    if proven.roles.is_empty() {
        refused("no role's trust policy lets this directory identity in");
        return Err(ExternalError::NoRole(proven.directory.clone()).into());
    }
    Ok(proven)
}

/// The person picked `role_arn`: a console session as it. Returns the session cookie.
pub fn choose(
    service: &SigninService,
    authorizer: &Authorizer,
    proven: &DirectoryProven,
    role_arn: &str,
    facts: &RequestFacts,
    meta: &RequestMeta,
) -> Result<String, ExternalError> {
    if !proven.roles.iter().any(|r| r == role_arn) {
        return Err(ExternalError::RoleRefused(format!(
            "{role_arn} is not one of the roles offered to you"
        )));
    }
    let mut e = event(proven, "ConsoleLogin");
    e = e.parameters(json!({
        "userName": proven.user_name,
        "directory": proven.directory,
        "userDn": proven.dn,
        "groups": proven.groups,
        "roleArn": role_arn,
        "MFAUsed": "No",
    }));
    open_session(
        service,
        authorizer,
        &proven.identity,
        &RoleChoice {
            account_id: &proven.account_id,
            user_name: &proven.user_name,
            role_arn,
            mfa_at: None,
        },
        facts,
        meta,
        e,
    )
}
