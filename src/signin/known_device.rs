//! Known devices: a browser where a principal's password was once entered correctly keeps a
//! long-lived cookie that names it, and its password guesses are then counted under a
//! throttle key of its own instead of the principal's shared one.
//!
//! ```text
//!   password step from a browser ──no valid device cookie──> key user:<account>:<name>
//!          │ cookie for this account and name (HMAC-checked)         (anyone can lock it)
//!          v
//!   key device:<account>:<name>:<nonce>  (only this browser's own failures count)
//! ```
//!
//! So anyone who knows a user name can still delay and lock sign-ins from unknown browsers,
//! but not from the browsers its owner already uses. A cookie is only ever given after a
//! right password, it is bound to one account and user name, and its own key has the same
//! limits as the shared one: a thief of the cookie gets no more guesses than anyone else.

use super::csrf::CsrfKey;
use crate::clock::Random;
use data_encoding::BASE64URL_NOPAD;

/// How long a browser stays known after its last right password: about six months, so that
/// people who sign in a few times a year keep the exemption.
pub const LIFETIME_DAYS: i64 = 180;

/// The MAC's domain, apart from the CSRF tokens made with the same key.
const KIND: &str = "known-device";

fn binding(account_id: &str, user_name: &str, nonce: &str) -> String {
    format!(
        "{}\0{}\0{nonce}",
        account_id.to_lowercase(),
        user_name.to_lowercase()
    )
}

/// A new device token for a principal: a random nonce and its MAC, `nonce.mac`.
pub fn issue(key: &CsrfKey, random: &dyn Random, account_id: &str, user_name: &str) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    let nonce = BASE64URL_NOPAD.encode(&bytes);
    let mac = key.token(KIND, &binding(account_id, user_name, &nonce));
    format!("{nonce}.{mac}")
}

/// The nonce of a token that `key` made for this account and user name; `None` for anything
/// else (another principal's, forged, malformed).
pub fn verify(key: &CsrfKey, account_id: &str, user_name: &str, token: &str) -> Option<String> {
    let (nonce, mac) = token.split_once('.')?;
    if nonce.len() != 22
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    key.verify(KIND, &binding(account_id, user_name, nonce), mac)
        .then(|| nonce.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MasterKey;

    #[test]
    fn a_token_names_only_its_principal_under_its_key() {
        let key = CsrfKey::derive(&MasterKey::from_bytes(&[3; 32]));
        let random = crate::clock::SeededRandom::new(7);
        let token = issue(&key, &random, "123456789012", "Alice");
        let nonce = verify(&key, "123456789012", "alice", &token).expect("its own principal");
        assert_eq!(nonce.len(), 22);
        assert_eq!(verify(&key, "123456789012", "bob", &token), None);
        assert_eq!(verify(&key, "210987654321", "alice", &token), None);
        let other = CsrfKey::derive(&MasterKey::from_bytes(&[4; 32]));
        assert_eq!(verify(&other, "123456789012", "alice", &token), None);
        assert_eq!(verify(&key, "123456789012", "alice", "no-dot"), None);
        let forged = format!("{nonce}.{}", "A".repeat(43));
        assert_eq!(verify(&key, "123456789012", "alice", &forged), None);
        // A CSRF token of the same text does not pass as a device token.
        let csrf = key.token("signin", &binding("123456789012", "alice", &nonce));
        assert_eq!(
            verify(&key, "123456789012", "alice", &format!("{nonce}.{csrf}")),
            None
        );
    }
}
