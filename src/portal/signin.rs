//! The sign-in service: password, second factor and forced password change, each step
//! throttled and audited as `ConsoleLogin` (CloudTrail's name), success or failure.
//!
//! What a person is told is deliberately poor: a wrong account, an unknown user, a user
//! without a password and a wrong password all read "incorrect", after the same argon2id work
//! (an unknown user is checked against a dummy hash). The audit event records the real reason.

use super::sessions::{self, NewSession, Session, Stage};
use super::Portal;
use crate::audit::{self, AuditEvent, EventSource, RequestMeta, REDACTED};
use crate::auth::password;
use crate::auth::throttle::{Verdict, MFA_CODES_PER_SESSION};
use crate::iam::{self, Call, IamError};
use crate::secrets::SecretString;
use crate::storage::schema::{accounts, login_profiles, mfa_devices, root_users, users};
use crate::storage::sql::lower;
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

/// The principal a user name names, with what sign-in needs to know about it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: String,
    /// `None`: the root user.
    pub user_id: Option<String>,
    pub name: String,
    pub arn: String,
    pub password_hash: String,
    pub must_change: bool,
    pub changed_at: NaiveDateTime,
    pub has_mfa: bool,
}

/// The account an id or alias names.
pub fn resolve_account(
    conn: &mut DbConnection,
    text: &str,
) -> Result<Option<String>, StorageError> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(accounts::table
        .filter(accounts::id.eq(&text).or(accounts::alias.eq(&text)))
        .select(accounts::id)
        .first(conn)
        .optional()?)
}

/// The root user (by its login) or the IAM user with a login profile that `name` names.
/// The root login is matched first; IAM user names never take it (`iam::users` reserves it).
pub fn find_principal(
    conn: &mut DbConnection,
    account_id: &str,
    name: &str,
) -> Result<Option<Principal>, StorageError> {
    let is_root: i64 = root_users::table
        .find(account_id)
        .filter(lower(root_users::login).eq(name.to_lowercase()))
        .count()
        .get_result(conn)?;
    if is_root > 0 {
        return root_principal(conn, account_id);
    }
    let user_id: Option<String> = users::table
        .filter(users::account_id.eq(account_id))
        .filter(lower(users::name).eq(name.to_lowercase()))
        .select(users::id)
        .first(conn)
        .optional()?;
    match user_id {
        Some(id) => user_principal(conn, account_id, &id),
        None => Ok(None),
    }
}

/// The account's root user.
fn root_principal(
    conn: &mut DbConnection,
    account_id: &str,
) -> Result<Option<Principal>, StorageError> {
    let root: Option<(String, String, bool, NaiveDateTime)> = root_users::table
        .find(account_id)
        .select((
            root_users::login,
            root_users::password_hash,
            root_users::must_change_password,
            root_users::password_changed_at,
        ))
        .first(conn)
        .optional()?;
    let Some((login, hash, must_change, changed_at)) = root else {
        return Ok(None);
    };
    let devices: i64 = mfa_devices::table
        .filter(mfa_devices::account_id.eq(account_id))
        .filter(mfa_devices::user_id.is_null())
        .filter(mfa_devices::enabled.eq(true))
        .count()
        .get_result(conn)?;
    Ok(Some(Principal {
        account_id: account_id.to_string(),
        user_id: None,
        name: login,
        arn: iam::arn::root(account_id),
        password_hash: hash,
        must_change,
        changed_at,
        has_mfa: devices > 0,
    }))
}

/// The IAM user with this id in this account, if it has a login profile. Found by id only:
/// a user's name may be anything an administrator renamed it to.
fn user_principal(
    conn: &mut DbConnection,
    account_id: &str,
    user_id: &str,
) -> Result<Option<Principal>, StorageError> {
    let user: Option<(String, String, String, String, bool, NaiveDateTime)> = users::table
        .inner_join(login_profiles::table)
        .filter(users::id.eq(user_id))
        .filter(users::account_id.eq(account_id))
        .select((
            users::id,
            users::name,
            users::path,
            login_profiles::password_hash,
            login_profiles::must_change_password,
            login_profiles::password_changed_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, name, path, hash, must_change, changed_at)) = user else {
        return Ok(None);
    };
    let devices: i64 = mfa_devices::table
        .filter(mfa_devices::user_id.eq(&id))
        .filter(mfa_devices::enabled.eq(true))
        .count()
        .get_result(conn)?;
    Ok(Some(Principal {
        account_id: account_id.to_string(),
        arn: iam::arn::user(account_id, &path, &name),
        user_id: Some(id),
        name,
        password_hash: hash,
        must_change,
        changed_at,
        has_mfa: devices > 0,
    }))
}

/// The principal behind a session (it may have been deleted since).
fn session_principal(
    conn: &mut DbConnection,
    session: &Session,
) -> Result<Option<Principal>, StorageError> {
    principal_of(conn, &session.account_id, &session.owner())
}

/// Whether the password is older than the account's maximum age; `Some(hard)` when it is,
/// with whether only an administrator may reset it.
fn expiry(
    conn: &mut DbConnection,
    p: &Principal,
    now: NaiveDateTime,
) -> Result<Option<bool>, IamError> {
    if p.user_id.is_none() {
        return Ok(None);
    }
    let policy = iam::passwords::stored_policy(conn, &p.account_id)?;
    Ok(policy.and_then(|policy| {
        let days = policy.max_age_days?;
        (now - p.changed_at >= Duration::days(i64::from(days))).then_some(policy.hard_expiry)
    }))
}

fn event(meta_name: &str, p: Option<&Principal>, account: Option<&str>, mfa: bool) -> AuditEvent {
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

fn success(p: &Principal, mfa: bool) -> AuditEvent {
    event(&p.name, Some(p), None, mfa).response(json!({ "ConsoleLogin": "Success" }))
}

/// A failed sign-in. The user name typed is recorded only when it names a principal: an
/// unknown "name" is often a password typed in the wrong field.
fn failure(
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
fn reserve(
    portal: &Portal,
    p: &Principal,
    keys: &[Key],
    now: NaiveDateTime,
    meta: &RequestMeta,
    audit_mfa: Option<bool>,
) -> Result<Option<Refusal>, StorageError> {
    let Verdict::Blocked { until, locked } = throttle::reserve(&portal.ctx.store, keys, now)?
    else {
        return Ok(None);
    };
    if let Some(mfa) = audit_mfa {
        let e = failure(&p.name, Some(p), None, mfa, "throttled");
        portal.audit.push(now, meta, e);
    }
    Ok(Some(Refusal::Blocked { until, locked }))
}

/// Settles reserved attempts that turned out right, in their own transaction.
fn settle(portal: &Portal, keys: &[Key]) -> Result<(), StorageError> {
    portal
        .ctx
        .store
        .write(|conn| throttle::succeeded(conn, keys))
}

fn throttle_keys(account: &str, user_name: &str, meta: &RequestMeta) -> Vec<Key> {
    with_address(Key::user(account, user_name), meta)
}

fn with_address(key: Key, meta: &RequestMeta) -> Vec<Key> {
    let mut keys = vec![key];
    if let Some(ip) = &meta.source_ip {
        keys.push(Key::address(ip));
    }
    keys
}

/// The keys of a password attempt: the user name's shared key, or the browser's own one when
/// it presents a known-device token for this account and name.
fn password_keys(
    portal: &Portal,
    account: &str,
    attempt: &Attempt,
    meta: &RequestMeta,
) -> Vec<Key> {
    let typed = attempt.user_name.trim();
    let device = attempt
        .device
        .as_deref()
        .and_then(|token| super::known_device::verify(&portal.csrf, account, typed, token));
    match device {
        Some(nonce) => with_address(Key::known_device(account, typed, &nonce), meta),
        None => throttle_keys(account, typed, meta),
    }
}

/// The first step, read from the store before any hashing: either already decided (the
/// key is throttled) or a [`PasswordCheck`] to run on the password pool.
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
    pub fn device_token(&self, portal: &Portal) -> Option<String> {
        let p = self.principal.as_ref()?;
        let random = portal.ctx.random.as_ref();
        Some(super::known_device::issue(
            &portal.csrf,
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
    portal: &Portal,
    attempt: &Attempt,
    meta: &RequestMeta,
) -> Result<PasswordStep, SigninError> {
    let ctx = &portal.ctx;
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
        portal,
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
        portal.audit.push(now, meta, e);
        return Ok(PasswordStep::Decided(Outcome::Refused(Refusal::Blocked {
            until,
            locked,
        })));
    }
    let stored = principal.as_ref().map_or_else(
        || portal.dummy_hash().to_string(),
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
    portal: &Portal,
    attempt: &Attempt,
    check: PasswordCheck,
    verified: Verified,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &portal.ctx;
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
            // The attempt was counted as a failure when it was reserved.
            let e = failure(typed, other.as_ref(), account, false, reason);
            portal.audit.push(now, meta, e);
            return Ok(Outcome::Refused(Refusal::Incorrect));
        }
    };
    let expired = ctx.store.read(|conn| expiry(conn, &p, now))?;
    if expired == Some(true) {
        settle(portal, &keys)?;
        let e = failure(typed, Some(&p), account, false, "password expired");
        portal.audit.push(now, meta, e);
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
        open_session(conn, portal, &p, stage, None, now, meta)
    })?;
    Ok(Outcome::Session { cookie, stage })
}

/// The whole first step on the calling thread (tests and tools; the portal runs the phases
/// on their pools).
pub fn with_password(
    portal: &Portal,
    attempt: &Attempt,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    match prepare_password(portal, attempt, meta)? {
        PasswordStep::Decided(outcome) => Ok(outcome),
        PasswordStep::Check(check) => {
            let verified = verify_password(&check, &attempt.password, portal.ctx.random.as_ref())?;
            finish_password(portal, attempt, check, verified, meta)
        }
    }
}

/// Starts a session for `p` at `stage` and, once the sign-in is complete (not owing the
/// second factor), records its `ConsoleLogin`. Call inside the sign-in's write transaction.
fn open_session(
    conn: &mut DbConnection,
    portal: &Portal,
    p: &Principal,
    stage: Stage,
    mfa: Option<(NaiveDateTime, &str)>,
    now: NaiveDateTime,
    meta: &RequestMeta,
) -> Result<String, StorageError> {
    let random = portal.ctx.random.as_ref();
    let new = NewSession {
        account_id: &p.account_id,
        user_id: p.user_id.as_deref(),
        stage,
        mfa,
    };
    let cookie = sessions::create(conn, random, now, portal.lifetimes, &new)?;
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
    match &p.user_id {
        None => {
            diesel::update(root_users::table.find(&p.account_id))
                .set(root_users::password_last_used_at.eq(now))
                .execute(conn)?;
            if let Some(hash) = rehashed {
                diesel::update(root_users::table.find(&p.account_id))
                    .set(root_users::password_hash.eq(hash))
                    .execute(conn)?;
            }
        }
        Some(id) => {
            diesel::update(users::table.find(id))
                .set(users::password_last_used_at.eq(now))
                .execute(conn)?;
            if let Some(hash) = rehashed {
                diesel::update(login_profiles::table.find(id))
                    .set(login_profiles::password_hash.eq(hash))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// The keys a guessed second factor (a TOTP or recovery code) is reserved against: the user's
/// and the address's, as for passwords, and the half-signed-in session's own count.
fn code_keys(p: &Principal, session: &Session, meta: &RequestMeta) -> Vec<Key> {
    let mut keys = with_address(Key::codes(&p.account_id, &p.name), meta);
    keys.push(Key::mfa_session(&session.id_hash));
    keys
}

/// The second step: a code from one of the user's enabled virtual MFA devices (each tried;
/// a code once accepted is refused for the rest of its window).
pub fn with_code(
    portal: &Portal,
    session: &Session,
    code: &str,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    if let Some(refusal) = reserve_code(portal, &p, session, now, meta)? {
        return Ok(Outcome::Refused(refusal));
    }
    let code = code.trim();
    let owner = session.owner();
    let mut accepted = false;
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        for serial in iam::mfa::totp_serials(ctx, &owner)? {
            if iam::mfa::verify_code_of(ctx, &owner, &serial, code)? {
                accepted = true;
                break;
            }
        }
    }
    if !accepted {
        return second_factor_failed(portal, session, meta, "MFA code rejected");
    }
    second_factor_passed(portal, session, "totp", meta, true)
}

/// Reserves a second-factor code's attempt; a session that has sent its share of wrong codes
/// is ended instead.
fn reserve_code(
    portal: &Portal,
    p: &Principal,
    session: &Session,
    now: NaiveDateTime,
    meta: &RequestMeta,
) -> Result<Option<Refusal>, SigninError> {
    let refusal = reserve(
        portal,
        p,
        &code_keys(p, session, meta),
        now,
        meta,
        Some(true),
    )?;
    if refusal.is_some() && end_if_spent(portal, session)? {
        return Ok(Some(Refusal::SessionEnded));
    }
    Ok(refusal)
}

/// Ends a half-signed-in session that has sent [`MFA_CODES_PER_SESSION`] wrong codes; whether
/// it did.
fn end_if_spent(portal: &Portal, session: &Session) -> Result<bool, StorageError> {
    let key = Key::mfa_session(&session.id_hash);
    portal.ctx.store.write(|conn| {
        if throttle::failures(conn, &key)? < MFA_CODES_PER_SESSION {
            return Ok(false);
        }
        sessions::end(conn, &session.id_hash)?;
        throttle::forget(conn, &key)?;
        Ok(true)
    })
}

/// A second factor was refused: audited; a guessed code was already counted when it was
/// reserved, and the session ends once it has sent too many wrong ones.
pub fn second_factor_failed(
    portal: &Portal,
    session: &Session,
    meta: &RequestMeta,
    reason: &str,
) -> Result<Outcome, SigninError> {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    if let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? {
        portal
            .audit
            .push(now, meta, failure(&p.name, Some(&p), None, true, reason));
    }
    if end_if_spent(portal, session)? {
        return Ok(Outcome::Refused(Refusal::SessionEnded));
    }
    Ok(Outcome::Refused(Refusal::Incorrect))
}

/// A second factor (`method`: totp, recovery-code or webauthn) was proved: the session moves
/// on under a new id, to the password page if the password must change. `reserved`: the
/// factor was a guessable code, reserved with [`reserve_code`].
pub fn second_factor_passed(
    portal: &Portal,
    session: &Session,
    method: &str,
    meta: &RequestMeta,
    reserved: bool,
) -> Result<Outcome, SigninError> {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    let keys = if reserved {
        code_keys(&p, session, meta)
    } else {
        vec![Key::user(&p.account_id, &p.name)]
    };
    let expired = ctx.store.read(|conn| expiry(conn, &p, now))?;
    let stage = if p.must_change || expired.is_some() {
        Stage::ChangePassword
    } else {
        Stage::Active
    };
    let cookie = ctx.store.write(|conn| {
        throttle::succeeded(conn, &keys)?;
        let cookie =
            sessions::advance(conn, ctx.random.as_ref(), now, session, stage, Some(method))?;
        audit::record(conn, now, ctx.random.as_ref(), meta, success(&p, true))?;
        Ok::<_, StorageError>(cookie)
    })?;
    Ok(Outcome::Session { cookie, stage })
}

/// A passkey proved its user (possession and user verification): a session with both
/// factors, unless the password has expired under a hard-expiry policy.
pub fn with_passkey(
    portal: &Portal,
    key: &iam::mfa::StoredSecurityKey,
    updated_credential: Option<&str>,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx
        .store
        .read(|conn| principal_of(conn, &key.account_id, &key.owner))?
    else {
        audit_passkey_failure(portal, Some(&key.owner), meta, "no console password");
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    // Password and code failures do not block a passkey: it cannot be guessed, and a lock
    // that anyone knowing the user name can set must not shut out phishing-resistant factors.
    let user_key = Key::user(&p.account_id, &p.name);
    let expired = ctx.store.read(|conn| expiry(conn, &p, now))?;
    if expired == Some(true) {
        portal.audit.push(
            now,
            meta,
            failure(&p.name, Some(&p), None, true, "password expired"),
        );
        return Ok(Outcome::Refused(Refusal::Expired));
    }
    let stage = if p.must_change || expired.is_some() {
        Stage::ChangePassword
    } else {
        Stage::Active
    };
    let cookie = ctx.store.write(|conn| {
        throttle::succeeded(conn, std::slice::from_ref(&user_key))?;
        iam::mfa::security_key_used(conn, &key.serial_number, updated_credential, now)?;
        open_session(conn, portal, &p, stage, Some((now, "passkey")), now, meta)
    })?;
    Ok(Outcome::Session { cookie, stage })
}

/// Audits a refused passkey sign-in (`owner` when the passkey named a known principal).
pub fn audit_passkey_failure(
    portal: &Portal,
    owner: Option<&iam::mfa::Owner>,
    meta: &RequestMeta,
    reason: &str,
) {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    let principal = owner.and_then(|owner| {
        let account = match owner {
            iam::mfa::Owner::Root(account) => Some(account.clone()),
            iam::mfa::Owner::User(id) => ctx
                .store
                .read(|conn| {
                    users::table
                        .find(id)
                        .select(users::account_id)
                        .first::<String>(conn)
                        .optional()
                        .map_err(StorageError::from)
                })
                .ok()
                .flatten(),
        }?;
        ctx.store
            .read(|conn| principal_of(conn, &account, owner))
            .ok()
            .flatten()
    });
    let name = principal.as_ref().map_or(REDACTED, |p| p.name.as_str());
    let event = failure(name, principal.as_ref(), None, true, reason);
    portal.audit.push(now, meta, event);
}

/// The principal that owns devices: an IAM user (by id), or the account's root user.
fn principal_of(
    conn: &mut DbConnection,
    account_id: &str,
    owner: &iam::mfa::Owner,
) -> Result<Option<Principal>, StorageError> {
    match owner {
        iam::mfa::Owner::User(id) => user_principal(conn, account_id, id),
        iam::mfa::Owner::Root(_) => root_principal(conn, account_id),
    }
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
    portal: &Portal,
    session: &Session,
    form: &NewPassword,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    use crate::secrets::ExposeSecret;
    let ctx = &portal.ctx;
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
    let changed = match &p.user_id {
        Some(id) => iam::passwords::change_own(ctx, &call, id, &form.old, &form.new, keep),
        None => iam::passwords::change_root(ctx, &call, &form.old, &form.new, keep),
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
    portal: &Portal,
    session: &Session,
    everywhere: bool,
    meta: &RequestMeta,
) -> Result<(), SigninError> {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    let actor = match &session.user_id {
        None => Some(iam::arn::root(&session.account_id)),
        Some(id) => ctx
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
        // Relying parties' grants without offline access end with the sessions they came from.
        let ended = if everywhere {
            let subject =
                crate::oidc::claims::subject(&session.account_id, session.user_id.as_deref());
            crate::oidc::grants::end_online_grants_of(conn, &subject, now)?;
            sessions::end_all(conn, &session.account_id, session.user_id.as_deref())?
        } else {
            crate::oidc::grants::end_session(conn, &session.id_hash, now)?;
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
    portal: &Portal,
    session: &Session,
    password: &SecretString,
    meta: &RequestMeta,
) -> Result<Option<Refusal>, SigninError> {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Some(Refusal::Incorrect));
    };
    let keys = throttle_keys(&p.account_id, &p.name, meta);
    if let Some(refusal) = reserve(portal, &p, &keys, now, meta, None)? {
        return Ok(Some(refusal));
    }
    if !password::verify(password, &p.password_hash).unwrap_or(false) {
        return Ok(Some(Refusal::Incorrect));
    }
    ctx.store.write(|conn| {
        throttle::succeeded(conn, &keys)?;
        sessions::reauthenticated(conn, session, now)
    })?;
    Ok(None)
}

/// The root user's recovery code in place of its second factor: each works once; a wrong one
/// counts as a failed guess.
pub fn with_recovery_code(
    portal: &Portal,
    session: &Session,
    code: &str,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &portal.ctx;
    let now = ctx.clock.now_naive();
    if session.user_id.is_some() {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    }
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    if let Some(refusal) = reserve_code(portal, &p, session, now, meta)? {
        return Ok(Outcome::Refused(refusal));
    }
    let redeemed = ctx
        .store
        .write(|conn| super::recovery::redeem(conn, &session.account_id, code, now))?;
    if !redeemed {
        return second_factor_failed(portal, session, meta, "recovery code rejected");
    }
    second_factor_passed(portal, session, "recovery-code", meta, true)
}
