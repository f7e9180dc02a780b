//! Minting temporary credentials: an `ASIA...` key id, a fresh secret, and the sealed token
//! that carries the secret with the session's claims.

use super::token::{SessionClaims, TokenError};
use crate::clock::random_string;
use crate::context::ServiceContext;
use crate::iam::access_keys::{SECRET_ALPHABET, SECRET_LEN};
use crate::secrets::SecretString;
use crate::storage::ids::TemporaryAccessKeyId;
use chrono::{DateTime, Utc};

/// What STS answers with (`Credentials` in its responses).
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: String,
    pub expiration: DateTime<Utc>,
}

impl std::fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// Mints credentials for a session described by `claims` (whose `secret` is filled in here).
pub fn mint(
    ctx: &ServiceContext,
    mut claims: SessionClaims,
) -> Result<TemporaryCredentials, TokenError> {
    let random = ctx.random.as_ref();
    let access_key_id = TemporaryAccessKeyId::for_account(&claims.account_id, random)
        .ok_or(TokenError::Invalid)?
        .into_string();
    let secret = random_string(random, SECRET_ALPHABET, SECRET_LEN);
    claims.secret.clone_from(&secret);
    let session_token = ctx.sessions.seal(&access_key_id, &claims, random)?;
    let expiration = DateTime::from_timestamp(claims.expires_at, 0).ok_or(TokenError::Invalid)?;
    Ok(TemporaryCredentials {
        access_key_id,
        secret_access_key: SecretString::from(secret),
        session_token,
        expiration,
    })
}
