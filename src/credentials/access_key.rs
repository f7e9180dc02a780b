//! The long-term access key's format: an `AKIA` id and a 40-character secret, shown once when
//! it is made and kept sealed under the master key, bound to its own key id (SigV4 needs the
//! secret in clear to verify). IAM's rules about who owns keys and how many live in
//! `iam::access_keys`.

use crate::clock::{random_string, Random};
use crate::secrets::{MasterKey, SealError, SecretString};
use crate::storage::ids::AccessKeyId;
use secrecy::ExposeSecret;

/// The characters of a secret access key (temporary ones too).
pub const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Length of a secret access key, as AWS issues them (240 bits of randomness).
pub const SECRET_LEN: usize = 40;

/// A freshly minted key: the id, the secret (to show once) and the sealed form to store.
pub struct NewAccessKey {
    pub id: AccessKeyId,
    pub secret: SecretString,
    pub sealed_secret: String,
}

/// A fresh secret access key.
pub fn new_secret(random: &dyn Random) -> String {
    random_string(random, SECRET_ALPHABET, SECRET_LEN)
}

/// Purpose bound to a sealed access-key secret: it opens only for its own key id.
pub fn seal_purpose(id: &AccessKeyId) -> String {
    format!("access-key:{id}")
}

pub fn mint(master_key: &MasterKey, random: &dyn Random) -> Result<NewAccessKey, SealError> {
    let id = AccessKeyId::generate(random);
    let secret = SecretString::from(new_secret(random));
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
