//! The sign-in service: the password step, forced password change, re-authentication and
//! sign-out (the second step is in `second_step`), each step throttled and audited as
//! `ConsoleLogin` (CloudTrail's name), success or failure.
//!
//! What a person is told is deliberately poor: a wrong account, an unknown user, a user
//! without a password and a wrong password all read "incorrect", after the same argon2id work
//! (an unknown user is checked against a dummy hash). The audit event records the real reason.

use super::principals::{find_principal, resolve_account, session_principal, Principal};
use super::sessions::{self, NewSession, Session, Stage};
use super::SigninService;
use crate::audit::{self, AuditEvent, EventSource, RequestMeta, REDACTED};
use crate::auth::password;
use crate::auth::throttle::Verdict;
use crate::credentials::Principal as Who;
use crate::iam::{self, Call, IamError};
use crate::secrets::SecretString;
use crate::storage::schema::{login_profiles, root_users, users};
use crate::storage::throttle::{self, Key};
use crate::storage::{DbConnection, StorageError};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

/// What a person typed on the sign-in page.
#[derive(Debug)]
pub struct Attempt {
    /// Account id or alias.
    pub account: String,
    pub user_name: String,
    pub password: SecretString,
    /// The browser's known-device token, if it has one (`known_device`).
    pub device: Option<String>,
}

/// Why a step was refused; each maps to one message on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Wrong account, user, password or code (never which).
    Incorrect,
    /// Too many failures: try again after this time.
    Blocked { until: NaiveDateTime, locked: bool },
    /// The password expired and the policy lets only an administrator reset it.
    Expired,
    /// The new password was refused (policy, reuse, confirmation); the message says why.
    Rejected(String),
    /// The half-signed-in session sent too many wrong codes and was ended: sign in again.
    SessionEnded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A session at `stage`, behind the new cookie value.
    Session {
        cookie: String,
        stage: Stage,
    },
    Refused(Refusal),
}

#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Iam(#[from] IamError),
    #[error("password hashing: {0}")]
    Hash(#[from] password::PasswordError),
}

impl From<diesel::result::Error> for SigninError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(e.into())
    }
}

/// Whether the password is older than the account's maximum age; `Some(hard)` when it is,
/// with whether only an administrator may reset it.
pub(super) fn expiry(
    conn: &mut DbConnection,
    p: &Principal,
    now: NaiveDateTime,
) -> Result<Option<bool>, IamError> {
    if p.who.is_root() {
        return Ok(None);
    }
    let policy = iam::passwords::stored_policy(conn, &p.account_id)?;
    Ok(policy.and_then(|policy| {
        let days = policy.max_age_days?;
        (now - p.changed_at >= Duration::days(i64::from(days))).then_some(policy.hard_expiry)
    }))
}

pub(super) fn event(
    meta_name: &str,
    p: Option<&Principal>,
    account: Option<&str>,
    mfa: bool,
) -> AuditEvent {
    let mut e = AuditEvent::new(EventSource::Signin, "ConsoleLogin").parameters(json!({
        "userName": meta_name,
        "MFAUsed": if mfa { "Yes" } else { "No" },
    }));
    e.read_only = false;
    if let Some(account) = p.map(|p| p.account_id.as_str()).or(account) {
        e = e.account(account);
    }
    if let Some(p) = p {
        e = e.actor(&p.arn);
    }
    e
}

pub(super) fn success(p: &Principal, mfa: bool) -> AuditEvent {
    event(&p.name, Some(p), None, mfa).response(json!({ "ConsoleLogin": "Success" }))
}

/// A failed sign-in. The user name typed is recorded only when it names a principal: an
/// unknown "name" is often a password typed in the wrong field.
pub(super) fn failure(
    typed: &str,
    p: Option<&Principal>,
    account: Option<&str>,
    mfa: bool,
    reason: &str,
) -> AuditEvent {
    let name = if p.is_some() { typed } else { REDACTED };
    event(name, p, account, mfa)
        .response(json!({ "ConsoleLogin": "Failure" }))
        .failed("Failed authentication", reason)
}

/// Reserves an attempt of `p` against `keys` (see [`throttle`]): the refusal when a key is
/// blocked (audited as a sign-in failure when `audit_mfa` says which kind of step it was), or
/// `None` when the attempt may go ahead, already counted as a failure.
pub(super) fn reserve(
    service: &SigninService,
    p: &Principal,
    keys: &[Key],
    now: NaiveDateTime,
    meta: &RequestMeta,
    audit_mfa: Option<bool>,
) -> Result<Option<Refusal>, StorageError> {
    let Verdict::Blocked { until, locked } = throttle::reserve(&service.ctx.store, keys, now)?
    else {
        return Ok(None);
    };
    if let Some(mfa) = audit_mfa {
        let e = failure(&p.name, Some(p), None, mfa, "throttled");
        service.audit.push(now, meta, e);
    }
    Ok(Some(Refusal::Blocked { until, locked }))
}

/// Settles reserved attempts that turned out right, in their own transaction.
fn settle(service: &SigninService, keys: &[Key]) -> Result<(), StorageError> {
    service
        .ctx
        .store
        .write(|conn| throttle::succeeded(conn, keys))
}

pub(super) fn throttle_keys(account: &str, user_name: &str, meta: &RequestMeta) -> Vec<Key> {
    with_address(Key::user(account, user_name), meta)
}

pub(super) fn with_address(key: Key, meta: &RequestMeta) -> Vec<Key> {
    let mut keys = vec![key];
    if let Some(ip) = &meta.source_ip {
        keys.push(Key::address(ip));
    }
    keys
}

/// The keys of a password attempt: the user name's shared key, or the browser's own one when
/// it presents a known-device token for this account and name.
fn password_keys(
    service: &SigninService,
    account: &str,
    attempt: &Attempt,
    meta: &RequestMeta,
) -> Vec<Key> {
    let typed = attempt.user_name.trim();
    let device = attempt
        .device
        .as_deref()
        .and_then(|token| super::known_device::verify(&service.csrf, account, typed, token));
    match device {
        Some(nonce) => with_address(Key::known_device(account, typed, &nonce), meta),
        None => throttle_keys(account, typed, meta),
    }
}

/// The first step, read from the store before any hashing: either already decided (the
/// key is throttled) or a [`PasswordCheck`] to run on the password pool. Made once per
/// sign-in attempt and moved, never kept: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum PasswordStep {
    Decided(Outcome),
    Check(PasswordCheck),
}

/// What the password is checked against, found before the check.
pub struct PasswordCheck {
    account_id: Option<String>,
    principal: Option<Principal>,
    keys: Vec<Key>,
    /// The hash to verify against: the principal's, or the dummy one.
    stored: String,
    now: NaiveDateTime,
}

impl PasswordCheck {
    /// A fresh known-device token for the principal whose password this checks (give it to
    /// the browser once the password proved right).
    pub fn device_token(&self, service: &SigninService) -> Option<String> {
        let p = self.principal.as_ref()?;
        let random = service.ctx.random.as_ref();
        Some(super::known_device::issue(
            &service.csrf,
            random,
            &p.account_id,
            &p.name,
        ))
    }
}

/// The result of the argon2id work: whether the password matched, and a new hash when the
/// stored one was made with older parameters.
pub struct Verified {
    matched: bool,
    rehashed: Option<String>,
}

/// Reads what the first step needs (runs on the blocking pool; no hashing).
pub fn prepare_password(
    service: &SigninService,
    attempt: &Attempt,
    meta: &RequestMeta,
) -> Result<PasswordStep, SigninError> {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let typed = attempt.user_name.trim();
    let (account_id, principal) = ctx.store.read(|conn| {
        let account_id = resolve_account(conn, &attempt.account)?;
        let principal = match &account_id {
            Some(id) => find_principal(conn, id, typed)?,
            None => None,
        };
        Ok::<_, StorageError>((account_id, principal))
    })?;
    let keys = password_keys(
        service,
        account_id.as_deref().unwrap_or(attempt.account.trim()),
        attempt,
        meta,
    );
    // Counted before the hashing, so that concurrent guesses meet the block (see `throttle`).
    if let Verdict::Blocked { until, locked } = throttle::reserve(&ctx.store, &keys, now)? {
        let e = failure(
            typed,
            principal.as_ref(),
            account_id.as_deref(),
            false,
            "throttled",
        );
        service.audit.push(now, meta, e);
        return Ok(PasswordStep::Decided(Outcome::Refused(Refusal::Blocked {
            until,
            locked,
        })));
    }
    let stored = principal.as_ref().map_or_else(
        || service.dummy_hash().to_string(),
        |p| p.password_hash.clone(),
    );
    Ok(PasswordStep::Check(PasswordCheck {
        account_id,
        principal,
        keys,
        stored,
        now,
    }))
}

/// The argon2id work of the first step (runs on the password pool, touches nothing else).
pub fn verify_password(
    check: &PasswordCheck,
    password: &SecretString,
    random: &dyn crate::clock::Random,
) -> Result<Verified, SigninError> {
    let matched = password::verify(password, &check.stored).unwrap_or(false);
    let rehashed = if matched && check.principal.is_some() && password::needs_rehash(&check.stored)
    {
        Some(password::hash(password, random)?)
    } else {
        None
    };
    Ok(Verified { matched, rehashed })
}

/// Completes the first step with the check's result: counts and audits a failure, or starts
/// the session at the stage the principal has reached (runs on the blocking pool).
pub fn finish_password(
    service: &SigninService,
    attempt: &Attempt,
    check: PasswordCheck,
    verified: Verified,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &service.ctx;
    let PasswordCheck {
        account_id,
        principal,
        keys,
        now,
        ..
    } = check;
    let account = account_id.as_deref();
    let typed = attempt.user_name.trim();
    let reason = match (account, &principal) {
        (None, _) => "no such account",
        (Some(_), None) => "no such user, or no login profile",
        (Some(_), Some(_)) => "wrong password",
    };
    let p = match principal {
        Some(p) if verified.matched => p,
        other => {
            // Counted when it was reserved; its delay starts now, when it has proved wrong.
            throttle::failed(&ctx.store, &*ctx.clock, &keys)?;
            let e = failure(typed, other.as_ref(), account, false, reason);
            service.audit.push(now, meta, e);
            return Ok(Outcome::Refused(Refusal::Incorrect));
        }
    };
    let expired = ctx.store.read(|conn| expiry(conn, &p, now))?;
    if expired == Some(true) {
        settle(service, &keys)?;
        let e = failure(typed, Some(&p), account, false, "password expired");
        service.audit.push(now, meta, e);
        return Ok(Outcome::Refused(Refusal::Expired));
    }
    let stage = if p.has_mfa {
        Stage::Mfa
    } else if p.must_change || expired.is_some() {
        Stage::ChangePassword
    } else {
        Stage::Active
    };
    let cookie = ctx.store.write(|conn| {
        throttle::succeeded(conn, &keys)?;
        mark_password_used(conn, &p, now, verified.rehashed.as_deref())?;
        open_session(conn, service, &p, stage, None, now, meta)
    })?;
    Ok(Outcome::Session { cookie, stage })
}

/// The whole first step on the calling thread (tests and tools; the portal runs the phases
/// on their pools).
pub fn with_password(
    service: &SigninService,
    attempt: &Attempt,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    match prepare_password(service, attempt, meta)? {
        PasswordStep::Decided(outcome) => Ok(outcome),
        PasswordStep::Check(check) => {
            let verified = verify_password(&check, &attempt.password, service.ctx.random.as_ref())?;
            finish_password(service, attempt, check, verified, meta)
        }
    }
}

/// Starts a session for `p` at `stage` and, once the sign-in is complete (not owing the
/// second factor), records its `ConsoleLogin`. Call inside the sign-in's write transaction.
pub(super) fn open_session(
    conn: &mut DbConnection,
    service: &SigninService,
    p: &Principal,
    stage: Stage,
    mfa: Option<(NaiveDateTime, &str)>,
    now: NaiveDateTime,
    meta: &RequestMeta,
) -> Result<String, StorageError> {
    let random = service.ctx.random.as_ref();
    let new = NewSession {
        account_id: &p.account_id,
        principal: &p.who,
        stage,
        mfa,
        role_session: None,
        ends_by: None,
    };
    let cookie = sessions::create(conn, random, now, service.lifetimes, &new)?;
    if stage != Stage::Mfa {
        audit::record(conn, now, random, meta, success(p, mfa.is_some()))?;
    }
    Ok(cookie)
}

fn mark_password_used(
    conn: &mut DbConnection,
    p: &Principal,
    now: NaiveDateTime,
    rehashed: Option<&str>,
) -> Result<(), StorageError> {
    match &p.who {
        Who::Root => {
            diesel::update(root_users::table.find(&p.account_id))
                .set(root_users::password_last_used_at.eq(now))
                .execute(conn)?;
            if let Some(hash) = rehashed {
                diesel::update(root_users::table.find(&p.account_id))
                    .set(root_users::password_hash.eq(hash))
                    .execute(conn)?;
            }
        }
        Who::User(id) => {
            diesel::update(users::table.find(id))
                .set(users::password_last_used_at.eq(now))
                .execute(conn)?;
            if let Some(hash) = rehashed {
                diesel::update(login_profiles::table.find(id))
                    .set(login_profiles::password_hash.eq(hash))
                    .execute(conn)?;
            }
        }
        // Never built by `session_principal`: no password of it is kept here.
        Who::Federated { .. } => {}
    }
    Ok(())
}

/// What the change-password form sends.
#[derive(Debug)]
pub struct NewPassword {
    pub old: SecretString,
    pub new: SecretString,
    pub confirm: SecretString,
}

/// Changes the signed-in principal's password (the current one must be given) and moves the
/// session on under a new id. Runs on the password pool: it hashes.
pub fn change_password(
    service: &SigninService,
    session: &Session,
    form: &NewPassword,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    use crate::secrets::ExposeSecret;
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    if form.new.expose_secret() != form.confirm.expose_secret() {
        return Ok(Outcome::Refused(Refusal::Rejected(
            "The new passwords do not match.".into(),
        )));
    }
    let call = Call {
        account_id: p.account_id.clone(),
        actor_arn: p.arn.clone(),
        meta: meta.clone(),
    };
    // The services check the current password as a throttled guess, and end the principal's
    // other sessions and grants.
    let keep = Some(session.id_hash.as_str());
    let changed = match &p.who {
        Who::User(id) => iam::passwords::change_own(ctx, &call, id, &form.old, &form.new, keep),
        Who::Root => iam::passwords::change_root(ctx, &call, &form.old, &form.new, keep),
        // Never built by `session_principal`: a federated principal has no password here.
        Who::Federated { .. } => {
            return Ok(Outcome::Refused(Refusal::Rejected(
                "This principal has no password here.".into(),
            )))
        }
    };
    match changed {
        Ok(()) => {}
        Err(IamError::InvalidInput(_)) => {
            return Ok(Outcome::Refused(Refusal::Rejected(
                "The current password is incorrect.".into(),
            )));
        }
        Err(IamError::PasswordPolicyViolation(message) | IamError::Throttled(message)) => {
            return Ok(Outcome::Refused(Refusal::Rejected(message)));
        }
        Err(other) => return Err(other.into()),
    }
    let cookie = ctx.store.write(|conn| {
        sessions::advance(conn, ctx.random.as_ref(), now, session, Stage::Active, None)
    })?;
    Ok(Outcome::Session {
        cookie,
        stage: Stage::Active,
    })
}

/// Signs out: this session, or every session of its principal. Audited.
pub fn sign_out(
    service: &SigninService,
    session: &Session,
    everywhere: bool,
    meta: &RequestMeta,
) -> Result<(), SigninError> {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let actor = match &session.principal {
        // Its role session's ARN (`assumed-role/ROLE/<user name>`).
        Who::Federated { role, .. } => Some(role.clone()),
        Who::Root => Some(iam::arn::root(&session.account_id)),
        Who::User(id) => ctx
            .store
            .read(|conn| {
                users::table
                    .find(id)
                    .select((users::path, users::name))
                    .first::<(String, String)>(conn)
                    .optional()
                    .map_err(StorageError::from)
            })?
            .map(|(path, name)| iam::arn::user(&session.account_id, &path, &name)),
    };
    ctx.store.write(|conn| {
        // What came from the sessions (relying parties' grants without offline access) ends
        // with them: the hooks registered by the surfaces above.
        let ended = if everywhere {
            let all = super::SignedOut::Everywhere {
                account_id: &session.account_id,
                principal: &session.principal,
            };
            service.signed_out(conn, &all, now)?;
            sessions::end_all(conn, &session.account_id, &session.principal)?
        } else {
            let one = super::SignedOut::Session {
                id_hash: &session.id_hash,
            };
            service.signed_out(conn, &one, now)?;
            sessions::end(conn, &session.id_hash)?;
            1
        };
        let name = if everywhere {
            "SignOutEverywhere"
        } else {
            "SignOut"
        };
        let mut e = AuditEvent::new(EventSource::Signin, name)
            .account(&session.account_id)
            .parameters(json!({ "sessionsEnded": ended }));
        if let Some(actor) = &actor {
            e = e.actor(actor);
        }
        audit::record(conn, now, ctx.random.as_ref(), meta, e)?;
        Ok::<_, StorageError>(())
    })?;
    Ok(())
}

/// The signed-in principal enters its password again (before adding a factor). `None` when
/// it was right; a wrong one counts as a failed guess. Runs on the password pool.
pub fn reauthenticate(
    service: &SigninService,
    session: &Session,
    password: &SecretString,
    meta: &RequestMeta,
) -> Result<Option<Refusal>, SigninError> {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Some(Refusal::Incorrect));
    };
    let keys = throttle_keys(&p.account_id, &p.name, meta);
    if let Some(refusal) = reserve(service, &p, &keys, now, meta, None)? {
        return Ok(Some(refusal));
    }
    if !password::verify(password, &p.password_hash).unwrap_or(false) {
        throttle::failed(&ctx.store, &*ctx.clock, &keys)?;
        return Ok(Some(Refusal::Incorrect));
    }
    ctx.store.write(|conn| {
        throttle::succeeded(conn, &keys)?;
        sessions::reauthenticated(conn, session, now)
    })?;
    Ok(None)
}
