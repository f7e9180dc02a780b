//! Passwords: argon2id hashes in PHC string form, and generated strong passwords.

use crate::clock::{random_string, Random};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// OWASP's argon2id parameters: 19 MiB of memory, 2 passes, 1 lane (about 30 ms of CPU here).
/// Lowering them makes stolen hashes cheaper to crack; raising them slows every sign-in and
/// makes guessing floods cost the server more. Hashes made with other parameters still verify
/// (the PHC string carries its own) and [`needs_rehash`] tells when to upgrade them.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;
const SALT_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed")]
    Hash,
    #[error("stored password hash is malformed")]
    MalformedHash,
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|_| PasswordError::Hash)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh random salt.
pub fn hash(password: &SecretString, random: &dyn Random) -> Result<String, PasswordError> {
    let mut salt = [0u8; SALT_LEN];
    random.fill(&mut salt);
    let hashed = hasher()?
        .hash_password_with_salt(password.expose_secret().as_bytes(), &salt)
        .map_err(|_| PasswordError::Hash)?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the stored hash. The comparison inside argon2 is constant-time.
pub fn verify(password: &SecretString, stored: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(stored).map_err(|_| PasswordError::MalformedHash)?;
    Ok(Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok())
}

/// Whether a stored hash was made with other parameters than today's and should be replaced
/// at the next successful sign-in.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let current = format!("m={M_COST_KIB},t={T_COST},p={P_COST}");
    parsed.algorithm.as_str() != "argon2id" || parsed.params.to_string() != current
}

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
/// The symbols IAM's password policy counts as non-alphanumeric.
const SYMBOLS: &[u8] = b"!@#$%^&*()_+-=[]{}|'";

/// A generated password of `len` characters (at least 8) with every character class IAM's
/// password policy can require, from an alphabet without look-alike characters.
pub fn generate(random: &dyn Random, len: usize) -> SecretString {
    let len = len.max(8);
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOLS].concat();
    loop {
        let candidate = random_string(random, &all, len);
        let has = |set: &[u8]| candidate.bytes().any(|b| set.contains(&b));
        if has(LOWER) && has(UPPER) && has(DIGITS) && has(SYMBOLS) {
            return SecretString::from(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{SeededRandom, SystemRandom};

    #[test]
    fn hashes_verify_and_reject() {
        let pw = SecretString::from("correct horse".to_string());
        let h = hash(&pw, &SystemRandom).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&pw, &h).unwrap());
        assert!(!verify(&SecretString::from("Correct horse".to_string()), &h).unwrap());
        assert!(!needs_rehash(&h));
        assert!(verify(&pw, "not a hash").is_err());
    }

    #[test]
    fn weaker_hashes_are_flagged_for_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        );
        let pw = b"pw";
        let h = weak
            .hash_password_with_salt(pw, b"saltsaltsalt")
            .unwrap()
            .to_string();
        assert!(needs_rehash(&h));
        assert!(verify(&SecretString::from("pw".to_string()), &h).unwrap());
    }

    #[test]
    fn generated_passwords_have_every_class() {
        let r = SeededRandom::new(9);
        for _ in 0..50 {
            let p = generate(&r, 20);
            let p = p.expose_secret();
            assert_eq!(p.len(), 20);
            assert!(p.bytes().any(|b| SYMBOLS.contains(&b)));
            assert!(p.bytes().any(|b| DIGITS.contains(&b)));
        }
    }
}
