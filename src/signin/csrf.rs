//! CSRF tokens for every form. A token is an HMAC-SHA256, under a key derived from the master
//! key, of what binds it to one browser: the console session's CSRF secret once signed in, or
//! the random value of the sign-in cookie before. A forged form from another site cannot
//! carry it (it cannot read our pages), and a token is worthless with another browser's
//! cookie. Compared in constant time.

use crate::secrets::{ExposeSecret, MasterKey};
use data_encoding::BASE64URL_NOPAD;
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

pub struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(***)")
    }
}

impl CsrfKey {
    pub fn derive(master: &MasterKey) -> Self {
        Self(*master.derive_key("portal-csrf").expose_secret())
    }

    /// The token for a binding (`kind` keeps a sign-in token from passing as a session one).
    pub fn token(&self, kind: &str, binding: &str) -> String {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(binding.as_bytes());
        BASE64URL_NOPAD.encode(&mac.finalize().into_bytes())
    }

    /// Whether `offered` is the token of this binding.
    pub fn verify(&self, kind: &str, binding: &str, offered: &str) -> bool {
        let expected = self.token(kind, binding);
        !binding.is_empty()
            && !expected.is_empty()
            && bool::from(expected.as_bytes().ct_eq(offered.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> CsrfKey {
        CsrfKey::derive(&MasterKey::from_bytes(&[byte; 32]))
    }

    #[test]
    fn a_token_verifies_only_for_its_binding_kind_and_key() {
        let k = key(1);
        let t = k.token("session", "abc");
        assert!(k.verify("session", "abc", &t));
        assert!(!k.verify("session", "abd", &t));
        assert!(!k.verify("signin", "abc", &t));
        assert!(!key(2).verify("session", "abc", &t));
        assert!(!k.verify("session", "abc", ""));
        assert!(!k.verify("session", "", &k.token("session", "")));
    }
}
