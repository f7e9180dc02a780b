//! Temporary credentials: an `ASIA...` key id that names its account, a fresh secret, and the
//! session token that seals the secret with the session's claims. Nothing of them is stored:
//! a request signed with them is verified from the token alone.

use super::access_key::new_secret;
use super::claims::SessionClaims;
use super::token::{TokenError, TokenSealer};
use crate::clock::Random;
use crate::secrets::SecretString;
use chrono::{DateTime, Utc};
use std::fmt;

/// A temporary credential's access key id (`ASIA...`): base32 of the 12-digit account number
/// (40 bits) and 40 random bits, as AWS's key ids name their account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TemporaryAccessKeyId(String);

impl TemporaryAccessKeyId {
    pub const PREFIX: &'static str = "ASIA";
    /// Characters after the prefix (upper-case base32, no padding: 80 bits).
    const LEN: usize = 16;

    /// A fresh id that names its account. `GetAccessKeyInfo` reads the account back without
    /// any stored state.
    pub fn for_account(account_id: &str, random: &dyn Random) -> Option<Self> {
        let account: u64 = account_id.parse().ok().filter(|_| account_id.len() == 12)?;
        let mut raw = [0u8; 10];
        raw[..5].copy_from_slice(&account.to_be_bytes()[3..]);
        random.fill(&mut raw[5..]);
        Some(Self(format!(
            "{}{}",
            Self::PREFIX,
            data_encoding::BASE32_NOPAD.encode(&raw)
        )))
    }

    /// Whether `text` has the shape of a temporary key id (prefix, length, alphabet).
    pub fn is_well_formed(text: &str) -> bool {
        text.len() == Self::PREFIX.len() + Self::LEN
            && text.starts_with(Self::PREFIX)
            && text[Self::PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    }

    /// The account a well-formed id names.
    pub fn account_of(text: &str) -> Option<String> {
        if !Self::is_well_formed(text) {
            return None;
        }
        let raw = data_encoding::BASE32_NOPAD
            .decode(&text.as_bytes()[Self::PREFIX.len()..])
            .ok()?;
        let mut bytes = [0u8; 8];
        bytes[3..].copy_from_slice(raw.get(..5)?);
        let account = u64::from_be_bytes(bytes);
        (account < 1_000_000_000_000).then(|| format!("{account:012}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for TemporaryAccessKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What STS answers with (`Credentials` in its responses).
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: String,
    pub expiration: DateTime<Utc>,
}

impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// Issues credentials for a session described by `claims` (whose `secret` is filled in here).
pub fn issue(
    sealer: &TokenSealer,
    random: &dyn Random,
    mut claims: SessionClaims,
) -> Result<TemporaryCredentials, TokenError> {
    let access_key_id = TemporaryAccessKeyId::for_account(&claims.account_id, random)
        .ok_or(TokenError::Invalid)?
        .into_string();
    let secret = new_secret(random);
    claims.secret.clone_from(&secret);
    let session_token = sealer.seal(&access_key_id, &claims, random)?;
    let expiration = DateTime::from_timestamp(claims.expires_at, 0).ok_or(TokenError::Invalid)?;
    Ok(TemporaryCredentials {
        access_key_id,
        secret_access_key: SecretString::from(secret),
        session_token,
        expiration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn temporary_key_ids_name_their_account() {
        let r = SeededRandom::new(3);
        let temporary = TemporaryAccessKeyId::for_account("012345678901", &r).unwrap();
        assert!(TemporaryAccessKeyId::is_well_formed(temporary.as_str()));
        assert_eq!(
            TemporaryAccessKeyId::account_of(temporary.as_str()).as_deref(),
            Some("012345678901")
        );
        assert!(TemporaryAccessKeyId::for_account("12345", &r).is_none());
        assert_eq!(
            TemporaryAccessKeyId::account_of("ASIA7777777777777777"),
            None
        );
        assert!(!TemporaryAccessKeyId::is_well_formed(
            "ASIAlowercase1234567"
        ));
        assert!(!TemporaryAccessKeyId::is_well_formed(
            "AKIAAAAAAAAAAAAAAAAA"
        ));
    }
}
