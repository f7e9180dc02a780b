//! Long-term access keys: `AKIA` + 16 characters, a 40-character secret shown once at
//! creation and kept sealed under the master key (SigV4 verification needs it in clear).

use crate::clock::{random_string, Random};
use crate::secrets::{MasterKey, SealError, SecretString};
use crate::storage::ids::AccessKeyId;
use secrecy::ExposeSecret;

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Length of a secret access key, as AWS issues them (240 bits of randomness).
pub const SECRET_LEN: usize = 40;

/// At most this many access keys per user (IAM's quota).
pub const MAX_KEYS_PER_USER: usize = 2;

/// A freshly minted key: the id, the secret (to show once) and the sealed form to store.
pub struct NewAccessKey {
    pub id: AccessKeyId,
    pub secret: SecretString,
    pub sealed_secret: String,
}

/// Purpose bound to a sealed access-key secret: it opens only for its own key id.
pub fn seal_purpose(id: &AccessKeyId) -> String {
    format!("access-key:{id}")
}

pub fn mint(master_key: &MasterKey, random: &dyn Random) -> Result<NewAccessKey, SealError> {
    let id = AccessKeyId::generate(random);
    let secret = SecretString::from(random_string(random, SECRET_ALPHABET, SECRET_LEN));
    let sealed_secret = master_key.seal(
        &seal_purpose(&id),
        secret.expose_secret().as_bytes(),
        random,
    )?;
    Ok(NewAccessKey {
        id,
        secret,
        sealed_secret,
    })
}

/// The secret of a stored key.
pub fn unseal(
    master_key: &MasterKey,
    id: &AccessKeyId,
    sealed: &str,
) -> Result<SecretString, SealError> {
    master_key.open_string(&seal_purpose(id), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn minted_keys_unseal_to_their_secret_only() {
        let r = SeededRandom::new(5);
        let mk = MasterKey::from_bytes(&[9u8; 32]);
        let a = mint(&mk, &r).unwrap();
        let b = mint(&mk, &r).unwrap();
        assert_eq!(a.secret.expose_secret().len(), SECRET_LEN);
        assert_eq!(
            unseal(&mk, &a.id, &a.sealed_secret)
                .unwrap()
                .expose_secret(),
            a.secret.expose_secret()
        );
        assert!(unseal(&mk, &b.id, &a.sealed_secret).is_err());
    }
}
