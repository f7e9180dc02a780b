//! Session tokens: the self-contained, sealed claims of a temporary credential.
//!
//! A token is `base64url(version ‖ key id ‖ nonce ‖ AES-256-GCM(claims))`. The sealing key of
//! key id `n` is derived from the master key (HKDF-SHA256, `sts-session-key:n`), and a new key
//! id starts every [`ROTATION_SECONDS`]: every instance that holds the master key derives the
//! same keys with no database and no coordination, tokens name the key that sealed them, and a
//! key is accepted only while a session it sealed can still be alive. The token's access key id
//! (`ASIA...`) is the associated data, so a token opens only with the key id it was issued with.

use super::claims::SessionClaims;
use crate::clock::Random;
use crate::secrets::{ExposeSecret, MasterKey};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use data_encoding::BASE64URL_NOPAD;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long one sealing key seals new tokens.
pub const ROTATION_SECONDS: i64 = 24 * 3600;

/// The longest session any STS action issues (GetSessionToken, GetFederationToken: 36 hours).
pub const MAX_SESSION_SECONDS: i64 = 129_600;

const FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of ours, tampered, or sealed with a key no longer accepted.
    #[error("the security token included in the request is invalid")]
    Invalid,
    #[error("the security token included in the request is expired")]
    Expired,
}

/// Seals and opens session tokens with the rotating keys derived from the master key.
pub struct TokenSealer {
    master: Arc<MasterKey>,
    ciphers: Mutex<HashMap<u32, Arc<Aes256Gcm>>>,
}

impl std::fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSealer")
    }
}

/// The key id that seals tokens issued at `unix_time`.
fn key_id_at(unix_time: i64) -> u32 {
    u32::try_from(unix_time.max(0) / ROTATION_SECONDS).unwrap_or(u32::MAX)
}

impl TokenSealer {
    pub fn new(master: Arc<MasterKey>) -> Self {
        Self {
            master,
            ciphers: Mutex::default(),
        }
    }

    fn cipher(&self, key_id: u32) -> Arc<Aes256Gcm> {
        let mut ciphers = self.ciphers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cipher) = ciphers.get(&key_id) {
            return cipher.clone();
        }
        let key = self.master.derive_key(&format!("sts-session-key:{key_id}"));
        let cipher = Arc::new(Aes256Gcm::new(key.expose_secret().into()));
        // Only the keys of the last few rotation periods are ever asked for.
        ciphers.retain(|id, _| id.abs_diff(key_id) <= accepted_key_age());
        ciphers.insert(key_id, cipher.clone());
        cipher
    }

    /// Seals `claims` for the temporary access key `access_key_id`, with the key of the
    /// claims' issue time.
    pub fn seal(
        &self,
        access_key_id: &str,
        claims: &SessionClaims,
        random: &dyn Random,
    ) -> Result<String, TokenError> {
        let key_id = key_id_at(claims.issued_at);
        let plain = serde_json::to_vec(claims).map_err(|_| TokenError::Invalid)?;
        let mut nonce = [0u8; NONCE_LEN];
        random.fill(&mut nonce);
        let sealed = self
            .cipher(key_id)
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: access_key_id.as_bytes(),
                },
            )
            .map_err(|_| TokenError::Invalid)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&key_id.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(BASE64URL_NOPAD.encode(&out))
    }

    /// Opens the token presented with `access_key_id` at `now` (Unix seconds).
    pub fn open(
        &self,
        access_key_id: &str,
        token: &str,
        now: i64,
    ) -> Result<SessionClaims, TokenError> {
        let raw = BASE64URL_NOPAD
            .decode(token.as_bytes())
            .map_err(|_| TokenError::Invalid)?;
        if raw.len() <= HEADER_LEN || raw[0] != FORMAT_VERSION {
            return Err(TokenError::Invalid);
        }
        let key_id = u32::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]);
        let current = key_id_at(now);
        // A key older than the longest session cannot have sealed a live token; a key from the
        // future was never used.
        if key_id > current || current - key_id > accepted_key_age() {
            return Err(TokenError::Invalid);
        }
        let nonce: [u8; NONCE_LEN] = raw[5..HEADER_LEN]
            .try_into()
            .map_err(|_| TokenError::Invalid)?;
        let plain = self
            .cipher(key_id)
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &raw[HEADER_LEN..],
                    aad: access_key_id.as_bytes(),
                },
            )
            .map_err(|_| TokenError::Invalid)?;
        let claims: SessionClaims =
            serde_json::from_slice(&plain).map_err(|_| TokenError::Invalid)?;
        if now >= claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// How many rotation periods back a key is still accepted.
fn accepted_key_age() -> u32 {
    u32::try_from(MAX_SESSION_SECONDS / ROTATION_SECONDS + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;
    use crate::credentials::SessionPrincipal;

    fn sealer() -> TokenSealer {
        TokenSealer::new(Arc::new(MasterKey::from_bytes(&[7u8; 32])))
    }

    fn claims(issued_at: i64, lifetime: i64) -> SessionClaims {
        SessionClaims {
            secret: "s".repeat(40),
            account_id: "123456789012".into(),
            principal: SessionPrincipal::Role {
                id: "AROAEXAMPLE".into(),
                name: "deploy".into(),
                path: "/".into(),
                session: "ci".into(),
            },
            source_identity: Some("alice".into()),
            tags: vec![("team".into(), "blue".into())],
            transitive_keys: vec!["team".into()],
            policy: None,
            policy_arns: vec![],
            mfa_at: Some(issued_at),
            issued_at,
            expires_at: issued_at + lifetime,
            chain_depth: 0,
        }
    }

    #[test]
    fn a_token_opens_with_its_key_id_until_it_expires() {
        let s = sealer();
        let random = SeededRandom::new(1);
        let t0 = 1_800_000_000;
        let c = claims(t0, 3600);
        let token = s.seal("ASIAEXAMPLE", &c, &random).unwrap();
        assert_eq!(s.open("ASIAEXAMPLE", &token, t0 + 10).unwrap(), c);
        assert_eq!(
            s.open("ASIAOTHER", &token, t0 + 10),
            Err(TokenError::Invalid),
            "bound to its access key id"
        );
        assert_eq!(
            s.open("ASIAEXAMPLE", &token, t0 + 3600),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let s = sealer();
        let random = SeededRandom::new(2);
        let t0 = 1_800_000_000;
        let token = s.seal("ASIAX", &claims(t0, 900), &random).unwrap();
        let mut raw = BASE64URL_NOPAD.decode(token.as_bytes()).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = BASE64URL_NOPAD.encode(&raw);
        assert_eq!(s.open("ASIAX", &tampered, t0), Err(TokenError::Invalid));
        let other = TokenSealer::new(Arc::new(MasterKey::from_bytes(&[8u8; 32])));
        assert_eq!(other.open("ASIAX", &token, t0), Err(TokenError::Invalid));
        assert_eq!(s.open("ASIAX", "not a token", t0), Err(TokenError::Invalid));
        assert_eq!(s.open("ASIAX", "", t0), Err(TokenError::Invalid));
    }

    #[test]
    fn keys_rotate_and_old_ones_retire_after_the_longest_session() {
        let s = sealer();
        let random = SeededRandom::new(3);
        let t0 = 1_800_000_000;
        let day1 = s
            .seal("ASIAX", &claims(t0, MAX_SESSION_SECONDS), &random)
            .unwrap();
        let day2 = s
            .seal("ASIAX", &claims(t0 + ROTATION_SECONDS, 900), &random)
            .unwrap();
        assert_ne!(day1[..8], day2[..8], "a new key id each period");
        // A 36-hour session sealed on day one still opens on day two.
        assert!(s.open("ASIAX", &day1, t0 + MAX_SESSION_SECONDS - 1).is_ok());
        // Its key is refused once no session it sealed can be alive, whatever the claims say.
        let mut forever = claims(t0, 10 * ROTATION_SECONDS);
        forever.expires_at = i64::MAX;
        let forged_lifetime = s.seal("ASIAX", &forever, &random).unwrap();
        assert_eq!(
            s.open("ASIAX", &forged_lifetime, t0 + 4 * ROTATION_SECONDS),
            Err(TokenError::Invalid)
        );
    }
}
