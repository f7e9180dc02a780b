//! Console sign-in with a directory account: the person's user name and password checked by
//! the account's directory (`directory::authenticate_throttled`: one bind, two searches,
//! throttled), then the roles of the account whose trust policy lets their directory identity
//! in (on `ldap:groups` and the other `ldap:` keys), the role picker when there are several,
//! and a console session as `assumed-role/ROLE/<user name>` on the same path as every external
//! source (`external::open_session`).
//!
//! What waits for the next step ([`DirectoryProven`]: the whole identity, groups included) is
//! kept in the store (`signin::pending`), not in a cookie: a directory user's groups can be many.
//!
//! A directory may require Keyward MFA on top of its password. The second factor belongs to the
//! directory user's external identity (`iam::mfa::Owner::External`: the directory's ARN and the
//! user's DN), never to an IAM user: someone without one enrols an authenticator app ([`enrol`],
//! two consecutive codes) or a security key ([`enrol_security_key`]) at their first sign-in,
//! and proves it at every later one ([`with_code`], [`with_security_key`]); codes are
//! throttled per identity, per address and per waiting sign-in. Roles are offered only then. Only the first device is enrolled this way: another needs the first one
//! removed by an administrator (`keyward directory reset-mfa`).

use super::external::{open_session, ExternalError, RoleChoice};
use super::webauthn::{self, KeyHolder, WebauthnFlowError};
use super::SigninService;
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use crate::auth::throttle::{Verdict, MFA_CODES_PER_SESSION};
use crate::authz::{Authorizer, RequestFacts};
use crate::directory::client::Connections;
use crate::directory::{self, DirectoryError};
use crate::federation::ExternalIdentity;
use crate::iam::call::Call;
use crate::iam::directories;
use crate::iam::mfa::{self, Owner};
use crate::iam::IamError;
use crate::secrets::SecretString;
use crate::storage::schema::roles;
use crate::storage::throttle::{self, Key};
use crate::sts::console_role;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

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
    /// The token of the forms that follow (MFA, picker): they must carry it back.
    pub form_token: String,
    /// The directory requires a Keyward second factor on top of the password.
    pub mfa_required: bool,
    /// When the second factor was proved in this sign-in (Unix seconds).
    pub mfa_at: Option<i64>,
    /// The authenticator app seed offered to an identity with no device yet.
    enrol_seed: Option<Vec<u8>>,
}

impl DirectoryProven {
    /// Whether `token` is the forms' token.
    pub fn form_token_ok(&self, token: &str) -> bool {
        bool::from(token.as_bytes().ct_eq(self.form_token.as_bytes()))
    }

    /// Whose the second factor is: the directory user's external identity.
    pub fn owner(&self) -> Owner {
        Owner::External {
            account_id: self.account_id.clone(),
            provider: self.identity.provider.principal.clone(),
            subject: self.dn.clone(),
        }
    }

    /// The second factor is required and not proved yet.
    pub fn awaiting_mfa(&self) -> bool {
        self.mfa_required && self.mfa_at.is_none()
    }

    /// The seed to enrol, when the identity has no device yet.
    pub fn enrol_seed(&self) -> Option<&[u8]> {
        self.enrol_seed.as_deref()
    }

    /// The throttle keys of a second factor tried in this sign-in (`pending_hash`: the waiting
    /// sign-in's): the identity's, the address's and the waiting sign-in's own.
    fn code_keys(&self, pending_hash: &str, meta: &RequestMeta) -> Vec<Key> {
        let identity = format!("ldap:{}:{}", self.directory, self.dn);
        let mut keys = vec![Key::codes(&self.account_id, &identity)];
        if let Some(ip) = &meta.source_ip {
            keys.push(Key::address(ip));
        }
        keys.push(Key::mfa_session(pending_hash));
        keys
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
    /// A wrong MFA code (or enrolment codes).
    #[error("The MFA code is not valid. Please try again.")]
    WrongCode,
    /// This sign-in sent too many wrong codes: it is over.
    #[error("Too many wrong MFA codes. Please sign in again.")]
    CodesSpent,
    /// The identity got a device while this sign-in waited: sign in again to use it.
    #[error("An MFA device is already enrolled for you. Please sign in again and use it.")]
    AlreadyEnrolled,
    /// The security key's answer was refused (or its ceremony expired).
    #[error("The security key was refused. Please try again.")]
    KeyRefused,
    /// A form value Keyward cannot take (a device name, say).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Other(#[from] ExternalError),
}

impl From<crate::storage::StorageError> for DirectorySigninError {
    fn from(e: crate::storage::StorageError) -> Self {
        ExternalError::Internal(e.to_string()).into()
    }
}

fn mfa_used(proven: &DirectoryProven) -> &'static str {
    if proven.mfa_at.is_some() {
        "Yes"
    } else {
        "No"
    }
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
            "MFAUsed": mfa_used(proven),
        }));
    e.read_only = name != "ConsoleLogin";
    e
}

/// Audits a directory sign-in that stopped, with the real reason (`parameters`: who, as far as
/// the sign-in got).
fn audit_failure(
    service: &SigninService,
    account_id: &str,
    parameters: serde_json::Value,
    reason: &str,
    meta: &RequestMeta,
) {
    let mut e = AuditEvent::new(EventSource::Signin, "ConsoleLogin")
        .account(account_id)
        .parameters(parameters)
        .response(json!({ "ConsoleLogin": "Failure" }))
        .failed("Failed authentication", reason);
    e.read_only = false;
    service.audit.push(service.ctx.clock.now_naive(), meta, e);
}

/// [`audit_failure`] of a sign-in whose person the directory proved (MFA is used when the
/// directory requires it: a refused second factor is a failure with MFA).
fn proven_failure(
    service: &SigninService,
    proven: &DirectoryProven,
    meta: &RequestMeta,
    why: &str,
) {
    let parameters = json!({
        "directory": proven.directory,
        "userName": proven.user_name,
        "userDn": proven.dn,
        "MFAUsed": if proven.mfa_required { "Yes" } else { "No" },
    });
    audit_failure(service, &proven.account_id, parameters, why, meta);
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
    let refused = |reason: &str| {
        let who = json!({ "directory": name, "userName": user_name, "MFAUsed": "No" });
        audit_failure(service, account_id, who, reason, meta)
    };
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
    let mut proven = DirectoryProven {
        account_id: account_id.to_string(),
        directory: directory.name.clone(),
        user_name: user.username.clone(),
        dn: user.dn.clone(),
        groups: user.groups.clone(),
        identity: user.identity(),
        roles: Vec::new(),
        form_token: super::sessions::new_id(ctx.random.as_ref()),
        mfa_required: directory.require_mfa,
        mfa_at: None,
        enrol_seed: None,
    };
    service.audit.push(
        ctx.clock.now_naive(),
        meta,
        event(&proven, "ExternalIdentityVerified"),
    );
    if !proven.mfa_required {
        offer_roles(service, authorizer, &mut proven, facts, meta)?;
        return Ok(proven);
    }
    // The roles wait for the second factor: a trust policy may ask for MFA.
    let devices = mfa::devices_of(ctx, &proven.owner()).map_err(ExternalError::from)?;
    if devices.is_empty() {
        let mut seed = vec![0u8; crate::auth::totp::SEED_LEN];
        ctx.random.fill(&mut seed);
        proven.enrol_seed = Some(seed);
    }
    Ok(proven)
}

/// Finds the roles of the account whose trust policy lets the proved identity in (with its
/// second factor, when one was proved); refused, and audited, when there is none.
fn offer_roles(
    service: &SigninService,
    authorizer: &Authorizer,
    proven: &mut DirectoryProven,
    facts: &RequestFacts,
    meta: &RequestMeta,
) -> Result<(), DirectorySigninError> {
    let all = every_role(service, &proven.account_id).map_err(ExternalError::from)?;
    proven.roles = console_role::trusting(
        &service.ctx,
        authorizer,
        &proven.identity,
        facts,
        &proven.user_name,
        proven.mfa_at,
        &all,
    )
    .map_err(ExternalError::from)?;
    if proven.roles.is_empty() {
        let why = "no role's trust policy lets this directory identity in";
        proven_failure(service, proven, meta, why);
        return Err(ExternalError::NoRole(proven.directory.clone()).into());
    }
    Ok(())
}

/// Reserves a second-factor attempt of this sign-in; a refusal when the throttle says no.
fn reserve_code(
    service: &SigninService,
    proven: &DirectoryProven,
    pending_hash: &str,
    meta: &RequestMeta,
) -> Result<(), DirectorySigninError> {
    let ctx = &service.ctx;
    let keys = proven.code_keys(pending_hash, meta);
    let spent = ctx
        .store
        .read(|conn| throttle::failures(conn, &Key::mfa_session(pending_hash)))?;
    if spent >= MFA_CODES_PER_SESSION {
        return Err(DirectorySigninError::CodesSpent);
    }
    match throttle::reserve(&ctx.store, &keys, ctx.clock.now_naive())? {
        Verdict::Allowed => Ok(()),
        Verdict::Blocked { .. } => {
            proven_failure(service, proven, meta, "throttled");
            Err(DirectorySigninError::Throttled)
        }
    }
}

/// A second factor was refused: counted, audited, and the end of the sign-in once it has sent
/// its share of wrong codes.
fn code_refused(
    service: &SigninService,
    proven: &DirectoryProven,
    pending_hash: &str,
    meta: &RequestMeta,
    reason: &str,
) -> DirectorySigninError {
    let ctx = &service.ctx;
    let keys = proven.code_keys(pending_hash, meta);
    if let Err(e) = throttle::failed(&ctx.store, &*ctx.clock, &keys) {
        return e.into();
    }
    proven_failure(service, proven, meta, reason);
    match ctx
        .store
        .read(|conn| throttle::failures(conn, &Key::mfa_session(pending_hash)))
    {
        Ok(n) if n >= MFA_CODES_PER_SESSION => DirectorySigninError::CodesSpent,
        Ok(_) => DirectorySigninError::WrongCode,
        Err(e) => e.into(),
    }
}

/// What a second step needs besides the waiting sign-in: the waiting sign-in's id hash
/// (whose wrong codes are counted) and the request's facts, for the roles offered after it.
pub struct SecondStep<'a> {
    pub authorizer: &'a Authorizer,
    pub pending_hash: &'a str,
    pub facts: &'a RequestFacts,
    pub meta: &'a RequestMeta,
}

/// The second factor was proved: counted as a success, and the roles open to the identity
/// with it are offered.
fn code_accepted(
    service: &SigninService,
    second: &SecondStep<'_>,
    proven: &mut DirectoryProven,
) -> Result<(), DirectorySigninError> {
    let ctx = &service.ctx;
    let keys = proven.code_keys(second.pending_hash, second.meta);
    ctx.store.write(|conn| throttle::succeeded(conn, &keys))?;
    proven.mfa_at = Some(ctx.clock.now().timestamp());
    proven.enrol_seed = None;
    offer_roles(
        service,
        second.authorizer,
        proven,
        second.facts,
        second.meta,
    )
}

/// Who enrols an identity's device, for the audit trail: the directory, in the account.
fn enrolment_call(proven: &DirectoryProven, meta: &RequestMeta) -> Call {
    Call {
        account_id: proven.account_id.clone(),
        actor_arn: proven.identity.provider.principal.clone(),
        meta: meta.clone(),
    }
}

/// The second step of a directory sign-in that requires MFA: a code from one of the
/// identity's authenticator apps (a code once accepted is refused for the rest of its window).
pub fn with_code(
    service: &SigninService,
    second: &SecondStep<'_>,
    proven: &mut DirectoryProven,
    code: &str,
) -> Result<(), DirectorySigninError> {
    reserve_code(service, proven, second.pending_hash, second.meta)?;
    let accepted =
        mfa::verify_any_code(&service.ctx, &proven.owner(), code).map_err(ExternalError::from)?;
    if !accepted {
        return Err(code_refused(
            service,
            proven,
            second.pending_hash,
            second.meta,
            "MFA code rejected",
        ));
    }
    code_accepted(service, second, proven)
}

/// The first sign-in of an identity whose directory requires MFA: the authenticator app the
/// person set up with the seed shown proves it has it with two consecutive codes, and becomes
/// the identity's device (audited as `EnableMFADevice` by the directory). Refused when the
/// identity got a device in the meantime.
pub fn enrol(
    service: &SigninService,
    second: &SecondStep<'_>,
    proven: &mut DirectoryProven,
    label: &str,
    (first, again): (&str, &str),
) -> Result<(), DirectorySigninError> {
    let ctx = &service.ctx;
    let Some(seed) = proven.enrol_seed.clone() else {
        return Err(DirectorySigninError::AlreadyEnrolled);
    };
    reserve_code(service, proven, second.pending_hash, second.meta)?;
    match mfa::assign_new_virtual(
        ctx,
        &enrolment_call(proven, second.meta),
        &proven.owner(),
        label,
        &seed,
        first.trim(),
        again.trim(),
    ) {
        Ok(_) => code_accepted(service, second, proven),
        Err(IamError::InvalidAuthenticationCode(_)) => Err(code_refused(
            service,
            proven,
            second.pending_hash,
            second.meta,
            "MFA enrolment codes rejected",
        )),
        Err(IamError::EntityAlreadyExists(_)) => Err(DirectorySigninError::AlreadyEnrolled),
        Err(IamError::InvalidInput(text)) => Err(DirectorySigninError::Invalid(text)),
        Err(other) => Err(ExternalError::from(other).into()),
    }
}

/// The WebAuthn ceremonies of this sign-in: the identity's keys, bound to the waiting
/// sign-in's cookie.
pub fn key_holder<'a>(proven: &'a DirectoryProven, pending_hash: &'a str) -> KeyHolder<'a> {
    KeyHolder {
        owner: proven.owner(),
        account_id: &proven.account_id,
        binding_hash: pending_hash,
    }
}

/// The second step with one of the identity's security keys (begun with
/// `webauthn::begin_key_check` on [`key_holder`]).
pub fn with_security_key(
    service: &SigninService,
    second: &SecondStep<'_>,
    proven: &mut DirectoryProven,
    answer: &PublicKeyCredential,
) -> Result<(), DirectorySigninError> {
    let proved = webauthn::finish_key_check(service, &proven.owner(), second.pending_hash, answer)
        .map_err(key_error)?;
    if !proved {
        proven_failure(service, proven, second.meta, "security key refused");
        return Err(DirectorySigninError::KeyRefused);
    }
    code_accepted(service, second, proven)
}

/// The first sign-in of an identity whose directory requires MFA, with a security key: the
/// registration begun with `webauthn::begin_registration_of` on [`key_holder`] is finished,
/// and the key becomes the identity's device (audited as `EnableMFADevice` by the directory).
pub fn enrol_security_key(
    service: &SigninService,
    second: &SecondStep<'_>,
    proven: &mut DirectoryProven,
    label: &str,
    answer: &RegisterPublicKeyCredential,
) -> Result<(), DirectorySigninError> {
    if proven.enrol_seed.is_none() {
        return Err(DirectorySigninError::AlreadyEnrolled);
    }
    let call = enrolment_call(proven, second.meta);
    let holder = key_holder(proven, second.pending_hash);
    webauthn::finish_registration_of(service, &holder, &call, label, answer).map_err(key_error)?;
    code_accepted(service, second, proven)
}

fn key_error(e: WebauthnFlowError) -> DirectorySigninError {
    match e {
        WebauthnFlowError::Iam(IamError::EntityAlreadyExists(_)) => {
            DirectorySigninError::AlreadyEnrolled
        }
        WebauthnFlowError::Iam(IamError::InvalidInput(text)) => DirectorySigninError::Invalid(text),
        WebauthnFlowError::NoCeremony | WebauthnFlowError::Refused(_) => {
            DirectorySigninError::KeyRefused
        }
        other => ExternalError::Internal(other.to_string()).into(),
    }
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
    if proven.awaiting_mfa() {
        return Err(ExternalError::RoleRefused(
            "the second factor this directory requires was not proved".into(),
        ));
    }
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
        "MFAUsed": mfa_used(proven),
    }));
    open_session(
        service,
        authorizer,
        &proven.identity,
        &RoleChoice {
            account_id: &proven.account_id,
            user_name: &proven.user_name,
            role_arn,
            mfa_at: proven.mfa_at,
        },
        facts,
        meta,
        e,
    )
}
