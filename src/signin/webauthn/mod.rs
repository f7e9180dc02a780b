//! WebAuthn ceremonies (webauthn-rs): registering security keys and passkeys, a security key
//! as the second step after the password, and signing in with a passkey alone.
//!
//! ```text
//!   begin: options to the browser, the ceremony's state kept here (bound to the cookie)
//!   finish: the browser's answer + the state, taken once  ──> credential stored / verified
//! ```
//!
//! Each state is stored server side, keyed by the hash of the session (or sign-in) cookie, the
//! ceremony's purpose and its challenge, and deleted by the answer that uses it, so an answer
//! cannot be replayed and a challenge cannot be carried to another browser, while two pages of
//! one browser (two sign-in tabs) each keep a ceremony of their own. States expire with the
//! authenticator timeout. webauthn-rs checks the origin, the challenge, the signature and the
//! signature counter (a counter that goes backwards means a cloned key and is refused).

mod ceremonies;

use super::flow::{Outcome, Refusal, SigninError};
use super::sessions::{self, Session};
use super::SigninService;
use crate::audit::RequestMeta;
use crate::iam::{self, mfa, Call, IamError};
use crate::storage::StorageError;
pub use ceremonies::sweep;
use ceremonies::{keep, take};

use chrono::Duration;
use data_encoding::BASE64URL_NOPAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration,
    Url, Uuid, Webauthn, WebauthnBuilder,
};

/// How long a browser has to answer a challenge (WebAuthn's recommended timeout is 5 min).
const CEREMONY_TIMEOUT: Duration = Duration::minutes(5);

/// Passkey sign-ins one network source may start per ceremony lifetime, so that at most this
/// many of its ceremony rows are stored at once. A sign-in page starts one as it loads (for
/// the browser's passkey autofill) and one per click on the passkey button: 60 leaves room
/// for a busy office behind one address. Raising it raises what one address can make the
/// store hold; lowering it below what a shared address needs turns passkey sign-in away
/// there (passwords still work).
pub const PASSKEY_START_LIMITS: crate::auth::start_limit::StartLimits =
    crate::auth::start_limit::StartLimits {
        per_window: 60,
        window: CEREMONY_TIMEOUT,
        max_sources: 100_000,
    };

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A second factor after the password.
    SecurityKey,
    /// A discoverable credential with user verification: signs in on its own.
    Passkey,
}

#[derive(Debug, thiserror::Error)]
pub enum WebauthnFlowError {
    #[error("WebAuthn needs an https origin or http://localhost (the public URL is {0})")]
    Unavailable(String),
    #[error("no ceremony is under way, or it expired; start again")]
    NoCeremony,
    #[error("the authenticator's answer was refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Signin(#[from] SigninError),
    #[error(transparent)]
    Iam(#[from] IamError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("ceremony state: {0}")]
    State(#[from] serde_json::Error),
    #[error("too many passkey sign-ins were started from this network; try again in {} s", .0.num_seconds().max(1))]
    TooMany(Duration),
}

impl From<diesel::result::Error> for WebauthnFlowError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(e.into())
    }
}

/// The relying party for a public URL: its host is the RP id, its origin the only one allowed.
pub fn relying_party(public_url: &str) -> Result<Webauthn, WebauthnFlowError> {
    let unavailable = || WebauthnFlowError::Unavailable(public_url.to_string());
    let url = Url::parse(public_url).map_err(|_| unavailable())?;
    let host = url.host_str().ok_or_else(unavailable)?.to_string();
    WebauthnBuilder::new(&host, &url)
        .and_then(|b| {
            b.rp_name("Keyward")
                .timeout(CEREMONY_TIMEOUT.to_std().unwrap_or_default())
                .build()
        })
        .map_err(|_| unavailable())
}

/// The WebAuthn user handle of a device owner: stable, and revealing nothing about it.
fn user_handle(owner: &mfa::Owner) -> Uuid {
    let id = match owner {
        mfa::Owner::User(id) => id.clone(),
        mfa::Owner::Root(account) => format!("root:{account}"),
        mfa::Owner::External {
            account_id,
            provider,
            subject,
        } => format!("external:{account_id}:{provider}:{subject}"),
    };
    let digest = Sha256::digest(format!("keyward-webauthn-user:{id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn credential_id(bytes: &[u8]) -> String {
    BASE64URL_NOPAD.encode(bytes)
}

/// Asks for a discoverable credential (the browser otherwise may keep it on a security key
/// only as a non-resident one, which cannot sign in without a user name).
fn require_resident_key(options: &mut Value) {
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(Value::as_object_mut)
    {
        selection.insert("residentKey".into(), Value::from("required"));
        selection.insert("requireResidentKey".into(), Value::from(true));
    }
}

/// Drops the credProtect request from a security key's options. webauthn-rs asks for
/// "user verification required" protection without enforcing it, which Chromium refuses as
/// inconsistent for a non-discoverable credential with user verification only preferred; the
/// key is a second factor after the password, so the protection adds nothing here.
fn without_cred_protect(options: &mut Value) {
    if let Some(extensions) = options
        .pointer_mut("/publicKey/extensions")
        .and_then(Value::as_object_mut)
    {
        extensions.remove("credentialProtectionPolicy");
        extensions.remove("enforceCredentialProtectionPolicy");
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
enum Registration {
    SecurityKey(SecurityKeyRegistration),
    Passkey(PasskeyRegistration),
}

/// Whose keys a ceremony registers or checks, and the cookie that binds it to one browser:
/// a console session's, or a waiting directory sign-in's.
pub struct KeyHolder<'a> {
    pub owner: mfa::Owner,
    /// The account the owner belongs to (shown by the authenticator).
    pub account_id: &'a str,
    /// The SHA-256 of the cookie the ceremony is bound to.
    pub binding_hash: &'a str,
}

/// Starts registering a key for the session's user; returns the options for
/// `navigator.credentials.create`.
pub fn begin_registration(
    service: &SigninService,
    session: &Session,
    kind: KeyKind,
) -> Result<Value, WebauthnFlowError> {
    let holder = KeyHolder {
        owner: keys_owner(session)?,
        account_id: &session.account_id,
        binding_hash: &session.id_hash,
    };
    begin_registration_of(service, &holder, kind)
}

/// Starts registering a key for `holder`'s owner.
pub fn begin_registration_of(
    service: &SigninService,
    holder: &KeyHolder<'_>,
    kind: KeyKind,
) -> Result<Value, WebauthnFlowError> {
    let rp = service.webauthn()?;
    let ctx = &service.ctx;
    let owner = &holder.owner;
    let name = match owner {
        mfa::Owner::User(id) => iam::users::get_by_id(ctx, id)?.name,
        mfa::Owner::Root(_) => "root".to_string(),
        mfa::Owner::External { subject, .. } => subject.clone(),
    };
    let existing = ctx.store.read(|conn| mfa::security_keys(conn, owner))?;
    let exclude = existing
        .iter()
        .filter_map(|k| serde_json::from_str::<SecurityKey>(&k.credential).ok())
        .map(|k| k.cred_id().clone())
        .collect::<Vec<_>>();
    let handle = user_handle(owner);
    let display = format!("{name} ({})", holder.account_id);
    let refused =
        |e: webauthn_rs::prelude::WebauthnError| WebauthnFlowError::Refused(e.to_string());
    let (options, challenge, state) = match kind {
        KeyKind::SecurityKey => {
            let (ccr, state) = rp
                .start_securitykey_registration(handle, &name, &display, Some(exclude), None, None)
                .map_err(refused)?;
            let challenge = ccr.public_key.challenge.clone();
            let mut options = serde_json::to_value(ccr)?;
            without_cred_protect(&mut options);
            (options, challenge, Registration::SecurityKey(state))
        }
        KeyKind::Passkey => {
            let (ccr, state) = rp
                .start_passkey_registration(handle, &name, &display, Some(exclude))
                .map_err(refused)?;
            let challenge = ccr.public_key.challenge.clone();
            let mut options = serde_json::to_value(ccr)?;
            require_resident_key(&mut options);
            (options, challenge, Registration::Passkey(state))
        }
    };
    let now = ctx.clock.now_naive();
    ctx.store.write(|conn| {
        keep(
            conn,
            holder.binding_hash,
            "register",
            &challenge,
            &state,
            now,
        )
    })?;
    Ok(options)
}

/// Whose security keys a session's ceremonies use; a federated principal has none here.
fn keys_owner(session: &Session) -> Result<mfa::Owner, WebauthnFlowError> {
    session.owner().ok_or_else(|| {
        WebauthnFlowError::Refused("a federated principal has no security keys here".into())
    })
}

/// Finishes a registration with the browser's answer; stores the key under `name`.
pub fn finish_registration(
    service: &SigninService,
    session: &Session,
    call: &Call,
    name: &str,
    answer: &RegisterPublicKeyCredential,
) -> Result<String, WebauthnFlowError> {
    let holder = KeyHolder {
        owner: keys_owner(session)?,
        account_id: &session.account_id,
        binding_hash: &session.id_hash,
    };
    finish_registration_of(service, &holder, call, name, answer)
}

/// Finishes a registration for `holder`'s owner; stores the key under `name`.
pub fn finish_registration_of(
    service: &SigninService,
    holder: &KeyHolder<'_>,
    call: &Call,
    name: &str,
    answer: &RegisterPublicKeyCredential,
) -> Result<String, WebauthnFlowError> {
    let rp = service.webauthn()?;
    let ctx = &service.ctx;
    let owner = &holder.owner;
    let now = ctx.clock.now_naive();
    let state: Registration = ctx.store.write(|conn| {
        take(
            conn,
            holder.binding_hash,
            "register",
            &answer.response.client_data_json,
            now,
        )
    })?;
    let refused =
        |e: webauthn_rs::prelude::WebauthnError| WebauthnFlowError::Refused(e.to_string());
    let (passkey, id, credential) = match state {
        Registration::SecurityKey(state) => {
            let key = rp
                .finish_securitykey_registration(answer, &state)
                .map_err(refused)?;
            (
                false,
                credential_id(key.cred_id()),
                serde_json::to_string(&key)?,
            )
        }
        Registration::Passkey(state) => {
            let key = rp
                .finish_passkey_registration(answer, &state)
                .map_err(refused)?;
            (
                true,
                credential_id(key.cred_id()),
                serde_json::to_string(&key)?,
            )
        }
    };
    Ok(mfa::add_security_key(
        ctx,
        call,
        &mfa::NewSecurityKey {
            owner,
            name,
            passkey,
            credential_id: &id,
            credential: &credential,
        },
    )?)
}

/// Starts the second step with a security key (or passkey) of the session's user.
pub fn begin_second_factor(
    service: &SigninService,
    session: &Session,
) -> Result<Value, WebauthnFlowError> {
    begin_key_check(service, &keys_owner(session)?, &session.id_hash)
}

/// Starts a check of one of `owner`'s security keys, bound to the cookie hashed as
/// `binding_hash`: options for `navigator.credentials.get`.
pub fn begin_key_check(
    service: &SigninService,
    owner: &mfa::Owner,
    binding_hash: &str,
) -> Result<Value, WebauthnFlowError> {
    let rp = service.webauthn()?;
    let ctx = &service.ctx;
    let keys: Vec<SecurityKey> = ctx
        .store
        .read(|conn| mfa::security_keys(conn, owner))?
        .iter()
        .filter_map(|k| serde_json::from_str(&k.credential).ok())
        .collect();
    if keys.is_empty() {
        return Err(WebauthnFlowError::NoCeremony);
    }
    let (rcr, state) = rp
        .start_securitykey_authentication(&keys)
        .map_err(|e| WebauthnFlowError::Refused(e.to_string()))?;
    let now = ctx.clock.now_naive();
    let challenge = &rcr.public_key.challenge;
    ctx.store
        .write(|conn| keep(conn, binding_hash, "second-factor", challenge, &state, now))?;
    Ok(serde_json::to_value(rcr)?)
}

/// Finishes a check begun by [`begin_key_check`]: whether the answer came from one of
/// `owner`'s keys (its use then recorded, with the key's new signature counter).
pub fn finish_key_check(
    service: &SigninService,
    owner: &mfa::Owner,
    binding_hash: &str,
    answer: &PublicKeyCredential,
) -> Result<bool, WebauthnFlowError> {
    let rp = service.webauthn()?;
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let state: SecurityKeyAuthentication = ctx.store.write(|conn| {
        take(
            conn,
            binding_hash,
            "second-factor",
            &answer.response.client_data_json,
            now,
        )
    })?;
    let id = credential_id(answer.get_credential_id());
    let stored = ctx
        .store
        .read(|conn| mfa::security_key_by_credential(conn, &id))?
        .filter(|k| &k.owner == owner);
    let verified = rp.finish_securitykey_authentication(answer, &state);
    let (Some(stored), Ok(result)) = (stored, verified) else {
        return Ok(false);
    };
    let updated = serde_json::from_str::<SecurityKey>(&stored.credential)
        .ok()
        .and_then(|mut key| key.update_credential(&result).filter(|c| *c).map(|_| key))
        .map(|key| serde_json::to_string(&key))
        .transpose()?;
    ctx.store.write(|conn| {
        mfa::security_key_used(conn, &stored.serial_number, updated.as_deref(), now)
    })?;
    Ok(true)
}

/// Finishes the second step; the session moves on under a new id, as after a TOTP code.
pub fn finish_second_factor(
    service: &SigninService,
    session: &Session,
    answer: &PublicKeyCredential,
    meta: &RequestMeta,
) -> Result<Outcome, WebauthnFlowError> {
    let owner = keys_owner(session)?;
    if !finish_key_check(service, &owner, &session.id_hash, answer)? {
        return Ok(super::second_step::second_factor_failed(
            service,
            session,
            meta,
            "security key refused",
        )?);
    }
    Ok(super::second_step::second_factor_passed(
        service, session, "webauthn", meta, false,
    )?)
}

/// Starts a passkey sign-in (no user name): options for `navigator.credentials.get`, bound to
/// the sign-in cookie. `conditional` asks the browser to offer passkeys in the user name
/// field's autofill instead of a dialog.
pub fn begin_passkey(
    service: &SigninService,
    signin_cookie: &str,
    conditional: bool,
    source: Option<&str>,
) -> Result<Value, WebauthnFlowError> {
    let rp = service.webauthn()?;
    let ctx = &service.ctx;
    service
        .passkey_starts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .start(source.unwrap_or_default(), ctx.clock.now_naive())
        .map_err(WebauthnFlowError::TooMany)?;
    let (rcr, state) = rp
        .start_discoverable_authentication()
        .map_err(|e| WebauthnFlowError::Refused(e.to_string()))?;
    let challenge = rcr.public_key.challenge.clone();
    let mut options = serde_json::to_value(rcr)?;
    if !conditional {
        if let Some(o) = options.as_object_mut() {
            o.remove("mediation");
        }
    }
    let now = ctx.clock.now_naive();
    let purpose = if conditional {
        "passkey-autofill"
    } else {
        "passkey"
    };
    ctx.store.write(|conn| {
        keep(
            conn,
            &sessions::hash_id(signin_cookie),
            purpose,
            &challenge,
            &state,
            now,
        )
    })?;
    Ok(options)
}

/// Finishes a passkey sign-in: the passkey names its user, proves possession and user
/// verification, and the session starts with both factors proved.
pub fn finish_passkey(
    service: &SigninService,
    signin_cookie: &str,
    conditional: bool,
    answer: &PublicKeyCredential,
    meta: &RequestMeta,
) -> Result<Outcome, WebauthnFlowError> {
    let rp = service.webauthn()?;
    let ctx = &service.ctx;
    let now = ctx.clock.now_naive();
    let purpose = if conditional {
        "passkey-autofill"
    } else {
        "passkey"
    };
    let state: DiscoverableAuthentication = ctx.store.write(|conn| {
        take(
            conn,
            &sessions::hash_id(signin_cookie),
            purpose,
            &answer.response.client_data_json,
            now,
        )
    })?;
    let id = credential_id(answer.get_credential_id());
    let stored = ctx
        .store
        .read(|conn| mfa::security_key_by_credential(conn, &id))?
        .filter(|k| k.passkey);
    let Some(stored) = stored else {
        super::second_step::audit_passkey_failure(service, None, meta, "unknown passkey");
        return Ok(Outcome::Refused(Refusal::Incorrect));
    };
    let handle_matches = rp
        .identify_discoverable_authentication(answer)
        .is_ok_and(|(handle, _)| handle == user_handle(&stored.owner));
    let key: Passkey = serde_json::from_str(&stored.credential)?;
    let verified =
        rp.finish_discoverable_authentication_v2(answer, state, DiscoverableKey::from(&key));
    let result = match verified {
        Ok(result) if handle_matches => result,
        _ => {
            super::second_step::audit_passkey_failure(
                service,
                Some(&stored.owner),
                meta,
                "passkey refused",
            );
            return Ok(Outcome::Refused(Refusal::Incorrect));
        }
    };
    let mut key = key;
    let updated = key
        .update_credential(&result)
        .filter(|c| *c)
        .map(|_| serde_json::to_string(&key))
        .transpose()?;
    Ok(super::second_step::with_passkey(
        service,
        &stored,
        updated.as_deref(),
        meta,
    )?)
}
