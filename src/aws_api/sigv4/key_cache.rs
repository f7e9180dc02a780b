//! Derived SigV4 signing keys, cached per credential, secret, day, region and service, so a
//! busy credential's four HMACs are computed once a day.

use super::CredentialScope;
use crate::secrets::{ExposeSecret, SecretString};
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Default number of cached signing keys. Each is 32 bytes plus its key; a key is valid for one
/// day, region and service, so this covers thousands of active credentials.
pub const DEFAULT_SIGNING_KEY_CACHE_SIZE: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    access_key_id: String,
    /// SHA-256 of the secret: a rotated or different secret never hits an old entry.
    secret_fingerprint: [u8; 32],
    date: NaiveDate,
    region: String,
    service: String,
}

/// Derived SigV4 signing keys (four HMACs each), bounded, shared across threads.
///
/// The derived keys are as sensitive as the secrets for their day, region and service; they
/// live only in this process's memory.
pub struct SigningKeyCache {
    entries: Mutex<HashMap<CacheKey, [u8; 32]>>,
    capacity: usize,
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_SIGNING_KEY_CACHE_SIZE)
    }
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, [u8; 32]>> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still a
        // valid map of correct keys.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The signing key for this credential and scope, derived once and then reused.
    pub(super) fn signing_key(
        &self,
        access_key_id: &str,
        secret: &SecretString,
        scope: &CredentialScope,
    ) -> [u8; 32] {
        let secret_fingerprint: [u8; 32] = Sha256::digest(secret.expose_secret().as_bytes()).into();
        let cache_key = CacheKey {
            access_key_id: access_key_id.to_owned(),
            secret_fingerprint,
            date: scope.date,
            region: scope.region.clone(),
            service: scope.service.clone(),
        };
        if let Some(key) = self.lock().get(&cache_key) {
            return *key;
        }
        let key = derive_signing_key(secret, scope);
        if self.capacity > 0 {
            let mut entries = self.lock();
            if entries.len() >= self.capacity && !entries.contains_key(&cache_key) {
                // Bounded: drop an arbitrary entry (a hot key is re-derived at most once).
                if let Some(victim) = entries.keys().next().cloned() {
                    entries.remove(&victim);
                }
            }
            entries.insert(cache_key, key);
        }
        key
    }
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
/// by `aws-sigv4`.
pub(super) fn derive_signing_key(secret: &SecretString, scope: &CredentialScope) -> [u8; 32] {
    let midnight = Utc.from_utc_datetime(&scope.date.and_time(NaiveTime::MIN));
    let key = aws_sigv4::sign::v4::generate_signing_key(
        secret.expose_secret(),
        std::time::SystemTime::from(midnight),
        &scope.region,
        &scope.service,
    );
    let mut out = [0u8; 32];
    for (o, k) in out.iter_mut().zip(key.as_ref()) {
        *o = *k;
    }
    out
}
