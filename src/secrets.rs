//! Secrets at rest: the master key and AES-256-GCM sealing.
//!
//! Every seal names its purpose (for example `access-key:AKIA...`), so a sealed value copied
//! into another row or used for another purpose fails to open instead of yielding a secret.
//! A sealed value says which scheme sealed it:
//!
//! ```text
//! v2.<base64(nonce ‖ ciphertext ‖ tag)>   key: HKDF-SHA256(master, salt "keyward sealing
//!                                          subkey", info purpose); associated data: purpose
//! v1.<base64(nonce ‖ ciphertext ‖ tag)>   key: the master key itself; associated data: purpose
//! ```
//!
//! Everything is sealed as `v2` now, each purpose under a key of its own, so the master key
//! itself encrypts nothing and one leaked purpose key opens nothing of another purpose. `v1`
//! values, stored before, still open as they were sealed.

use crate::clock::Random;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use data_encoding::BASE64;
use hkdf::Hkdf;
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use secrecy::{ExposeSecret, SecretBox, SecretString};

/// The first scheme: the master key seals directly. Opened, never written any more.
const LEGACY_PREFIX: &str = "v1.";
/// The current scheme: a key per purpose, derived from the master key.
const SEAL_PREFIX: &str = "v2.";
/// The HKDF salt of the per-purpose sealing keys. It keeps them apart from the keys of
/// [`MasterKey::derive_key`] for the same text; changing it makes every `v2` value unopenable.
const SEALING_SALT: &[u8] = b"keyward sealing subkey";
const NONCE_LEN: usize = 12;
/// AES-256 key length. A shorter master key would weaken every sealed secret.
pub const MASTER_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Wrong master key, a tampered value, or a value sealed for another purpose.
    #[error("sealed value cannot be opened: wrong master key, tampered data or wrong purpose")]
    Open,
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealing failed")]
    Seal,
}

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("master key is not valid base64 of {MASTER_KEY_LEN} bytes")]
    Format,
    #[error("cannot read master key file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot create master key file {0}: {1}")]
    Create(PathBuf, std::io::Error),
}

/// The key from which every sealing key (one per purpose) and every other derived key
/// (HKDF-SHA256) comes; it seals nothing itself any more, and only opens `v1` values.
/// Its `Debug` shows nothing of it.
pub struct MasterKey {
    /// The `v1` scheme's cipher, for values sealed before per-purpose keys.
    legacy: Aes256Gcm,
    derivation: Hkdf<Sha256>,
    sealing: Hkdf<Sha256>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; MASTER_KEY_LEN]) -> Self {
        Self {
            legacy: Aes256Gcm::new(bytes.into()),
            derivation: Hkdf::new(Some(b"keyward master key"), bytes),
            sealing: Hkdf::new(Some(SEALING_SALT), bytes),
        }
    }

    /// A 256-bit key for `purpose`, derived from the master key: the same purpose always gives
    /// the same key, and knowing derived keys reveals neither the master key nor other purposes'
    /// keys.
    pub fn derive_key(&self, purpose: &str) -> SecretBox<[u8; 32]> {
        let mut key = Box::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit of 8160, so expanding cannot fail.
        let _ = self
            .derivation
            .expand(purpose.as_bytes(), key.as_mut_slice());
        SecretBox::new(key)
    }

    /// Reads a key given as base64 text.
    pub fn from_base64(text: &SecretString) -> Result<Self, MasterKeyError> {
        let decoded = BASE64
            .decode(text.expose_secret().trim().as_bytes())
            .map_err(|_| MasterKeyError::Format)?;
        let bytes: [u8; MASTER_KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError::Format)?;
        Ok(Self::from_bytes(&bytes))
    }

    /// Uses the key in `path`, or creates it there (mode 0600) with fresh random bytes.
    /// Returns the key and whether it was created.
    pub fn load_or_create(
        path: &Path,
        random: &dyn Random,
    ) -> Result<(Self, bool), MasterKeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_base64(&SecretString::from(text))?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; MASTER_KEY_LEN];
                random.fill(&mut bytes);
                let text = BASE64.encode(&bytes);
                write_private_file(path, format!("{text}\n").as_bytes(), true)
                    .map_err(|e| MasterKeyError::Create(path.to_path_buf(), e))?;
                Ok((Self::from_bytes(&bytes), true))
            }
            Err(e) => Err(MasterKeyError::Read(path.to_path_buf(), e)),
        }
    }

    /// The cipher of `purpose`'s own sealing key.
    fn sealing_cipher(&self, purpose: &str) -> Aes256Gcm {
        let mut key = Box::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit of 8160, so expanding cannot fail.
        let _ = self.sealing.expand(purpose.as_bytes(), key.as_mut_slice());
        let key = SecretBox::new(key);
        Aes256Gcm::new(key.expose_secret().into())
    }

    /// Seals `plaintext` for `purpose`, under the purpose's own key.
    pub fn seal(
        &self,
        purpose: &str,
        plaintext: &[u8],
        random: &dyn Random,
    ) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        random.fill(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: purpose.as_bytes(),
        };
        let ciphertext = self
            .sealing_cipher(purpose)
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| SealError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(format!("{SEAL_PREFIX}{}", BASE64.encode(&out)))
    }

    /// Opens a value sealed for `purpose`, with the scheme its prefix names.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<SecretBox<[u8]>, SealError> {
        if let Some(body) = sealed.strip_prefix(SEAL_PREFIX) {
            open_with(&self.sealing_cipher(purpose), purpose, body)
        } else if let Some(body) = sealed.strip_prefix(LEGACY_PREFIX) {
            open_with(&self.legacy, purpose, body)
        } else {
            Err(SealError::Malformed)
        }
    }

    /// Opens a sealed UTF-8 string.
    pub fn open_string(&self, purpose: &str, sealed: &str) -> Result<SecretString, SealError> {
        let bytes = self.open(purpose, sealed)?;
        let text = std::str::from_utf8(bytes.expose_secret()).map_err(|_| SealError::Malformed)?;
        Ok(SecretString::from(text.to_string()))
    }
}

/// Opens the base64 part of a sealed value with `cipher`.
fn open_with(cipher: &Aes256Gcm, purpose: &str, body: &str) -> Result<SecretBox<[u8]>, SealError> {
    let raw = BASE64
        .decode(body.as_bytes())
        .map_err(|_| SealError::Malformed)?;
    if raw.len() < NONCE_LEN + 16 {
        return Err(SealError::Malformed);
    }
    let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
    let payload = Payload {
        msg: ciphertext,
        aad: purpose.as_bytes(),
    };
    let plain = cipher
        .decrypt(&Nonce::from(nonce), payload)
        .map_err(|_| SealError::Open)?;
    Ok(SecretBox::new(plain.into_boxed_slice()))
}

/// Writes a file only its owner can read. With `create_new` an existing file is an error,
/// so two processes never overwrite each other's secret.
pub fn write_private_file(path: &Path, contents: &[u8], create_new: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{SeededRandom, SystemRandom};

    #[test]
    fn derived_keys_depend_on_purpose_and_master_key() {
        let a = MasterKey::from_bytes(&[1u8; MASTER_KEY_LEN]);
        let b = MasterKey::from_bytes(&[2u8; MASTER_KEY_LEN]);
        let key = |m: &MasterKey, p: &str| *m.derive_key(p).expose_secret();
        assert_eq!(key(&a, "sts:1"), key(&a, "sts:1"));
        assert_ne!(key(&a, "sts:1"), key(&a, "sts:2"));
        assert_ne!(key(&a, "sts:1"), key(&b, "sts:1"));
        assert_ne!(key(&a, "sts:1"), [1u8; MASTER_KEY_LEN]);
    }

    #[test]
    fn seals_and_opens_for_the_same_purpose_only() {
        let r = SeededRandom::new(1);
        let key = MasterKey::from_bytes(&[7u8; 32]);
        let sealed = key.seal("access-key:AKIA1", b"s3cr3t", &r).unwrap();
        assert!(sealed.starts_with("v2."));
        assert!(!sealed.contains("s3cr3t"));
        let opened = key.open("access-key:AKIA1", &sealed).unwrap();
        assert_eq!(opened.expose_secret(), b"s3cr3t");
        assert!(matches!(
            key.open("access-key:AKIA2", &sealed),
            Err(SealError::Open)
        ));
    }

    #[test]
    fn a_wrong_key_or_tampering_fails_cleanly() {
        let r = SystemRandom;
        let key = MasterKey::from_bytes(&[1u8; 32]);
        let other = MasterKey::from_bytes(&[2u8; 32]);
        let sealed = key.seal("p", b"value", &r).unwrap();
        assert!(matches!(other.open("p", &sealed), Err(SealError::Open)));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(key.open("p", &tampered).is_err());
        for junk in [
            "", "v1.", "v1.!!!", "v2.AAAA", "v1.AAAA", "v2.", "v3.AAAA", "AAAA",
        ] {
            assert!(key.open("p", junk).is_err(), "{junk}");
        }
    }

    /// A value as the first scheme sealed it: the master key itself, the purpose as
    /// associated data.
    fn sealed_the_old_way(master: &[u8; 32], purpose: &str, plain: &[u8]) -> String {
        let nonce = [9u8; NONCE_LEN];
        let payload = Payload {
            msg: plain,
            aad: purpose.as_bytes(),
        };
        let ciphertext = Aes256Gcm::new(master.into())
            .encrypt(&Nonce::from(nonce), payload)
            .unwrap();
        format!("v1.{}", BASE64.encode(&[&nonce[..], &ciphertext].concat()))
    }

    #[test]
    fn values_sealed_before_purpose_keys_still_open_for_their_purpose_only() {
        let key = MasterKey::from_bytes(&[5u8; 32]);
        let old = sealed_the_old_way(&[5u8; 32], "mfa-seed:arn:1", b"seed");
        assert_eq!(
            key.open("mfa-seed:arn:1", &old).unwrap().expose_secret(),
            b"seed"
        );
        assert!(matches!(
            key.open("mfa-seed:arn:2", &old),
            Err(SealError::Open)
        ));
        let other = MasterKey::from_bytes(&[6u8; 32]);
        assert!(matches!(
            other.open("mfa-seed:arn:1", &old),
            Err(SealError::Open)
        ));
    }

    #[test]
    fn new_values_are_sealed_under_the_purposes_key_not_the_master_key() {
        let master = [8u8; 32];
        let key = MasterKey::from_bytes(&master);
        let sealed = key
            .seal("oidc-signing-key", b"private", &SystemRandom)
            .unwrap();
        let body = sealed.strip_prefix("v2.").expect("the current scheme");
        // The same bytes read as the old scheme (the master key itself) do not open.
        assert!(matches!(
            key.open("oidc-signing-key", &format!("v1.{body}")),
            Err(SealError::Open)
        ));
        let raw = BASE64.decode(body.as_bytes()).unwrap();
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: b"oidc-signing-key".as_slice(),
        };
        let nonce: [u8; NONCE_LEN] = nonce.try_into().unwrap();
        assert!(Aes256Gcm::new(&master.into())
            .decrypt(&Nonce::from(nonce), payload)
            .is_err());
        // Nor does the key of `derive_key` for the same text.
        let derived = key.derive_key("oidc-signing-key");
        let payload = Payload {
            msg: ciphertext,
            aad: b"oidc-signing-key".as_slice(),
        };
        assert!(Aes256Gcm::new(derived.expose_secret().into())
            .decrypt(&Nonce::from(nonce), payload)
            .is_err());
        // The purpose's own key does.
        let payload = Payload {
            msg: ciphertext,
            aad: b"oidc-signing-key".as_slice(),
        };
        assert_eq!(
            key.sealing_cipher("oidc-signing-key")
                .decrypt(&Nonce::from(nonce), payload)
                .unwrap(),
            b"private"
        );
    }

    #[test]
    fn a_value_sealed_for_one_purpose_opens_for_no_other() {
        let key = MasterKey::from_bytes(&[4u8; 32]);
        let sealed = key
            .seal("access-key:AKIA1", b"secret", &SystemRandom)
            .unwrap();
        for other in [
            "access-key:AKIA2",
            "mfa-seed:access-key:AKIA1",
            "",
            "access-key:akia1",
        ] {
            assert!(
                matches!(key.open(other, &sealed), Err(SealError::Open)),
                "{other}"
            );
        }
        assert_eq!(
            key.open("access-key:AKIA1", &sealed)
                .unwrap()
                .expose_secret(),
            b"secret"
        );
    }

    #[test]
    fn nonces_differ_between_seals() {
        let key = MasterKey::from_bytes(&[3u8; 32]);
        let a = key.seal("p", b"same", &SystemRandom).unwrap();
        let b = key.seal("p", b"same", &SystemRandom).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let (k1, created) = MasterKey::load_or_create(&path, &SystemRandom).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (k2, created) = MasterKey::load_or_create(&path, &SystemRandom).unwrap();
        assert!(!created);
        let sealed = k1.seal("p", b"x", &SystemRandom).unwrap();
        assert_eq!(k2.open("p", &sealed).unwrap().expose_secret(), b"x");
        assert_eq!(format!("{k1:?}"), "MasterKey(***)");
    }

    #[test]
    fn malformed_key_text_is_refused() {
        for bad in ["", "short", &BASE64.encode(&[0u8; 16])] {
            let r = MasterKey::from_base64(&SecretString::from(bad.to_string()));
            assert!(matches!(r, Err(MasterKeyError::Format)), "{bad}");
        }
    }
}
