//! The sign-in's second step: a TOTP code, the root user's recovery code or a security key
//! after the password, and the passkey sign-in that is both steps at once. Guessable codes
//! are reserved against the throttle before they are checked (`storage::throttle`); a
//! half-signed-in session that sends [`MFA_CODES_PER_SESSION`] wrong codes is ended.

use super::flow::{
    expiry, failure, open_session, reserve, success, with_address, Outcome, Refusal, SigninError,
};
use super::principals::{principal_of, session_principal, Principal};
use super::sessions::{self, Session, Stage};
use super::SigninService;
use crate::audit::{self, RequestMeta, REDACTED};
use crate::auth::throttle::MFA_CODES_PER_SESSION;
use crate::iam;
use crate::storage::schema::users;
use crate::storage::throttle::{self, Key};
use crate::storage::StorageError;
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
    service: &SigninService,
    session: &Session,
    code: &str,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    if let Some(refusal) = reserve_code(service, &p, session, now, meta)? {
        return Ok(Outcome::Refused(refusal));
    }
    let Some(owner) = session.owner() else {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    if !iam::mfa::verify_any_code(ctx, &owner, code)? {
        throttle::failed(&ctx.store, &*ctx.clock, &code_keys(&p, session, meta))?;
        return second_factor_failed(service, session, meta, "MFA code rejected");
    }
    second_factor_passed(service, session, "totp", meta, true)
}

/// Reserves a second-factor code's attempt; a session that has sent its share of wrong codes
/// is ended instead.
fn reserve_code(
    service: &SigninService,
    p: &Principal,
    session: &Session,
    now: NaiveDateTime,
    meta: &RequestMeta,
) -> Result<Option<Refusal>, SigninError> {
    let refusal = reserve(
        service,
        p,
        &code_keys(p, session, meta),
        now,
        meta,
        Some(true),
    )?;
    if refusal.is_some() && end_if_spent(service, session)? {
        return Ok(Some(Refusal::SessionEnded));
    }
    Ok(refusal)
}

/// Ends a half-signed-in session that has sent [`MFA_CODES_PER_SESSION`] wrong codes; whether
/// it did.
fn end_if_spent(service: &SigninService, session: &Session) -> Result<bool, StorageError> {
    let key = Key::mfa_session(&session.id_hash);
    service.ctx.store.write(|conn| {
        if throttle::failures(conn, &key)? < MFA_CODES_PER_SESSION {
            return Ok(false);
        }
        // The count stays (the sweep drops it later): requests of this session already under
        // way must still meet its lock.
        sessions::end(conn, &session.id_hash)?;
        Ok(true)
    })
}

/// A second factor was refused: audited; a guessed code was already counted when it was
/// reserved, and the session ends once it has sent too many wrong ones.
pub fn second_factor_failed(
    service: &SigninService,
    session: &Session,
    meta: &RequestMeta,
    reason: &str,
) -> Result<Outcome, SigninError> {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    if let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? {
        service
            .audit
            .push(now, meta, failure(&p.name, Some(&p), None, true, reason));
    }
    if end_if_spent(service, session)? {
        return Ok(Outcome::Refused(Refusal::SessionEnded));
    }
    Ok(Outcome::Refused(Refusal::Incorrect))
}

/// A second factor (`method`: totp, recovery-code or webauthn) was proved: the session moves
/// on under a new id, to the password page if the password must change. `reserved`: the
/// factor was a guessable code, reserved with [`reserve_code`].
pub fn second_factor_passed(
    service: &SigninService,
    session: &Session,
    method: &str,
    meta: &RequestMeta,
    reserved: bool,
) -> Result<Outcome, SigninError> {
    let ctx = &service.ctx;
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
    service: &SigninService,
    key: &iam::mfa::StoredSecurityKey,
    updated_credential: Option<&str>,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let Some(p) = ctx
        .store
        .read(|conn| principal_of(conn, &key.account_id, &key.owner))?
    else {
        audit_passkey_failure(service, Some(&key.owner), meta, "no console password");
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    // Password and code failures do not block a passkey: it cannot be guessed, and a lock
    // that anyone knowing the user name can set must not shut out phishing-resistant factors.
    let user_key = Key::user(&p.account_id, &p.name);
    let expired = ctx.store.read(|conn| expiry(conn, &p, now))?;
    if expired == Some(true) {
        service.audit.push(
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
        open_session(conn, service, &p, stage, Some((now, "passkey")), now, meta)
    })?;
    Ok(Outcome::Session { cookie, stage })
}

/// Audits a refused passkey sign-in (`owner` when the passkey named a known principal).
pub fn audit_passkey_failure(
    service: &SigninService,
    owner: Option<&iam::mfa::Owner>,
    meta: &RequestMeta,
    reason: &str,
) {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let principal = owner.and_then(|owner| {
        let account = match owner {
            iam::mfa::Owner::Root(account) => Some(account.clone()),
            iam::mfa::Owner::External { .. } => None,
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
    service.audit.push(now, meta, event);
}

/// The root user's recovery code in place of its second factor: each works once; a wrong one
/// counts as a failed guess.
pub fn with_recovery_code(
    service: &SigninService,
    session: &Session,
    code: &str,
    meta: &RequestMeta,
) -> Result<Outcome, SigninError> {
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    if !session.principal.is_root() {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    }
    let Some(p) = ctx.store.read(|conn| session_principal(conn, session))? else {
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    if let Some(refusal) = reserve_code(service, &p, session, now, meta)? {
        return Ok(Outcome::Refused(refusal));
    }
    let redeemed = ctx
        .store
        .write(|conn| super::recovery::redeem(conn, &session.account_id, code, now))?;
    if !redeemed {
        throttle::failed(&ctx.store, &*ctx.clock, &code_keys(&p, session, meta))?;
        return second_factor_failed(service, session, meta, "recovery code rejected");
    }
    second_factor_passed(service, session, "recovery-code", meta, true)
}
