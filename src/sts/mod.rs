//! STS: temporary credentials. Each action mints an `ASIA...` access key, a secret and a
//! self-contained sealed session token ([`crate::credentials::token`]); requests signed with them are verified from
//! the token alone, without the store.

pub mod assume_role;
pub mod console_role;
pub mod credentials;
pub mod federation_token;
pub mod ldap_identity;
pub mod role_session;
pub mod session;
pub mod session_token;
pub mod web_identity;

pub use crate::credentials::{
    SessionClaims, SessionPrincipal, TemporaryCredentials, TokenError, TokenSealer,
};

use crate::iam::IamError;
use crate::storage::StorageError;

/// What STS actions refuse with; each maps to one AWS error code.
#[derive(Debug, thiserror::Error)]
pub enum StsError {
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// A web identity (or SAML) token that is not valid (AWS: `InvalidIdentityToken`).
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// An expired identity token (AWS: `ExpiredTokenException`).
    #[error("{0}")]
    ExpiredToken(String),
    /// The identity provider could not be reached (AWS: `IDPCommunicationError`).
    #[error("{0}")]
    IdpCommunication(String),
    #[error(transparent)]
    Iam(#[from] IamError),
    #[error("session token: {0}")]
    Token(#[from] TokenError),
}

impl From<StorageError> for StsError {
    fn from(e: StorageError) -> Self {
        Self::Iam(IamError::Storage(e))
    }
}

impl From<diesel::result::Error> for StsError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Iam(IamError::from(e))
    }
}

/// Checks an MFA code passed as `SerialNumber` + `TokenCode` against the calling user's enabled
/// device (a code, once accepted, is spent); returns whether one was passed.
///
/// Each code is reserved against the device's throttle before it is checked
/// ([`crate::storage::throttle`]), so guessing meets growing delays and then a lockout during
/// which even the right code is refused. Only the caller's own devices are counted: naming
/// another user's serial number must not lock that user out.
pub(crate) fn mfa_check(
    ctx: &crate::context::ServiceContext,
    caller: &crate::authz::Caller,
    serial: &Option<String>,
    code: &Option<String>,
) -> Result<bool, StsError> {
    use crate::auth::throttle::Verdict;
    use crate::storage::throttle::{self, Key};
    let (serial, code) = match (serial, code) {
        (Some(serial), Some(code)) => (serial, code),
        (None, None) => return Ok(false),
        _ => {
            return Err(StsError::Validation(
                "SerialNumber and TokenCode must be passed together.".to_string(),
            ))
        }
    };
    session::check_token_code(code)?;
    let failed = || {
        StsError::AccessDenied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ".to_string(),
        )
    };
    let Some((user_id, _)) = caller.iam_user() else {
        return Err(failed());
    };
    let owner = crate::iam::mfa::Owner::User(user_id.to_string());
    if !ctx.store.read(|conn| owner.owns(conn, serial))? {
        return Err(failed());
    }
    let keys = [Key::device(serial)];
    let now = ctx.clock.now_naive();
    if let Verdict::Blocked { .. } = throttle::reserve(&ctx.store, &keys, now)? {
        return Err(StsError::AccessDenied(
            "MultiFactorAuthentication failed: too many invalid MFA one time pass codes for \
             this device. Try again later."
                .to_string(),
        ));
    }
    if crate::iam::mfa::verify_code(ctx, user_id, serial, code)? {
        ctx.store.write(|conn| throttle::succeeded(conn, &keys))?;
        Ok(true)
    } else {
        throttle::failed(&ctx.store, &*ctx.clock, &keys)?;
        Err(failed())
    }
}

/// The account of an access key: temporary key ids name it; long-term keys are looked up.
pub fn key_account(
    ctx: &crate::context::ServiceContext,
    key_id: &str,
) -> Result<Option<String>, StsError> {
    use crate::credentials::TemporaryAccessKeyId;
    if TemporaryAccessKeyId::is_well_formed(key_id) {
        return Ok(TemporaryAccessKeyId::account_of(key_id));
    }
    let found = ctx
        .store
        .read(|conn| crate::iam::access_keys::lookup(conn, key_id))?;
    Ok(found.map(|(key, _)| key.account_id))
}
