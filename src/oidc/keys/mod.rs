//! The provider's signing keys: one series per algorithm (RS256, ES256, EdDSA), generated at
//! first start, stored sealed under the master key, rotated with overlap.
//!
//! A key is published in the JWKS from the moment it is made. It signs from its `signs_from`
//! until its successor's `signs_from`, and stays published for [`MAX_TOKEN_LIFETIME`] after
//! that, so that every token it signed still verifies through the JWKS until it expires.
//! A scheduled rotation publishes the successor [`PUBLISH_LEAD`] before it signs, so that
//! relying parties that cache the JWKS know it before they meet it; `keyward oidc rotate-keys
//! --now` skips the lead, for a key that must stop signing at once.
//!
//! Keys are made and signatures computed with `aws-lc-rs` (AWS-LC: constant-time, unlike the
//! `rsa` crate, which has an unfixed timing advisory). RSA keys made before it came are
//! stored as PKCS#1 and still open.

mod material;

use material::generate;
pub use material::{Algorithm, SigningKey};

use crate::audit::{AuditEvent, EventSource, RequestMeta};
use crate::context::ServiceContext;
use crate::storage::schema::oidc_signing_keys as keys;
use crate::storage::{DbConnection, StorageError};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::DecodingKey;
use secrecy::ExposeSecret;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// What sealed private keys are sealed for.
const SEAL_PURPOSE: &str = "oidc-signing-key";
/// A key signs for this long before a successor is made for it.
pub const ROTATION_PERIOD: Duration = Duration::days(30);
/// A scheduled successor is published this long before it signs.
pub const PUBLISH_LEAD: Duration = Duration::days(1);
/// No ID token or access token lives longer (client lifetimes are capped to it), so a key
/// stays published this long after it stopped signing.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::days(1);
/// How often a running server reads the keys again (to see rotations made by `keyward oidc
/// rotate-keys` or by another instance).
const RELOAD_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot make a key: {0}")]
    Generate(String),
    #[error("a stored signing key cannot be used: {0}")]
    Corrupt(String),
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("no {0} signing key")]
    Missing(&'static str),
}

impl From<diesel::result::Error> for KeyError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(e.into())
    }
}

/// A key as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = keys)]
struct Row {
    kid: String,
    algorithm: String,
    generation: i32,
    sealed_private_key: String,
    public_jwk: String,
    signs_from: NaiveDateTime,
}

/// Adds the next key of `algorithm`'s series, signing from `signs_from`. `None` when another
/// writer added that generation first (the caller reads the keys again).
fn add_key(
    ctx: &ServiceContext,
    algorithm: Algorithm,
    generation: i32,
    signs_from: NaiveDateTime,
) -> Result<Option<String>, KeyError> {
    let der = generate(algorithm)?;
    let key = SigningKey::from_private(String::new(), algorithm, &der)?;
    let mut jwk = key.public_jwk();
    let kid = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    jwk.common.key_id = Some(kid.clone());
    let sealed = ctx
        .master_key
        .seal(SEAL_PURPOSE, &der, ctx.random.as_ref())
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let public = serde_json::to_string(&jwk).map_err(|e| KeyError::Generate(e.to_string()))?;
    let now = ctx.clock.now_naive();
    let inserted = ctx.store.write(|conn| {
        diesel::insert_into(keys::table)
            .values((
                keys::kid.eq(&kid),
                keys::algorithm.eq(algorithm.name()),
                keys::generation.eq(generation),
                keys::sealed_private_key.eq(&sealed),
                keys::public_jwk.eq(&public),
                keys::created_at.eq(now),
                keys::signs_from.eq(signs_from),
            ))
            .execute(conn)?;
        let event = AuditEvent::new(EventSource::Keyward, "CreateSigningKey").parameters(json!({
            "kid": kid,
            "algorithm": algorithm.name(),
            "generation": generation,
            "signsFrom": signs_from.and_utc().to_rfc3339(),
        }));
        crate::audit::record(
            conn,
            now,
            ctx.random.as_ref(),
            &RequestMeta::default(),
            event,
        )
    });
    match inserted {
        Ok(_) => Ok(Some(kid)),
        Err(StorageError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn rows(conn: &mut DbConnection) -> Result<Vec<Row>, StorageError> {
    Ok(keys::table
        .select(Row::as_select())
        .order((keys::algorithm, keys::generation))
        .load(conn)?)
}

/// The keys of one algorithm at `now`: which one signs and which are published.
struct Series<'a> {
    signer: Option<&'a Row>,
    published: Vec<&'a Row>,
    /// Old keys no token can need any more.
    expired: Vec<&'a Row>,
    newest: Option<&'a Row>,
}

/// Sorts one algorithm's keys (in generation order) by their part at `now`.
fn series<'a>(rows: &[&'a Row], now: NaiveDateTime) -> Series<'a> {
    let signer = rows.iter().rev().find(|r| r.signs_from <= now).copied();
    let mut published = Vec::new();
    let mut expired = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        // A key stops being needed once its successor has signed for the longest lifetime.
        let retired = rows
            .get(i + 1)
            .is_some_and(|next| next.signs_from + MAX_TOKEN_LIFETIME <= now);
        if retired {
            expired.push(*row);
        } else {
            published.push(*row);
        }
    }
    Series {
        signer,
        published,
        expired,
        newest: rows.last().copied(),
    }
}

/// One algorithm's keys among `stored` (in generation order), sorted by their part at `now`.
fn series_of(stored: &[Row], algorithm: Algorithm, now: NaiveDateTime) -> Series<'_> {
    let mine: Vec<&Row> = stored
        .iter()
        .filter(|r| r.algorithm == algorithm.name())
        .collect();
    series(&mine, now)
}

/// Makes a key for each algorithm that has none (signing at once), a successor for each
/// signer past its rotation period, and drops keys no token can need any more. Returns the
/// kids made.
pub fn maintain(ctx: &ServiceContext) -> Result<Vec<String>, KeyError> {
    let stored = ctx.store.read(rows)?;
    Ok(maintain_stored(ctx, &stored)?.0)
}

/// [`maintain`] over keys already read; also says whether it changed any.
fn maintain_stored(ctx: &ServiceContext, stored: &[Row]) -> Result<(Vec<String>, bool), KeyError> {
    let now = ctx.clock.now_naive();
    let mut made = Vec::new();
    let mut changed = false;
    for algorithm in Algorithm::ALL {
        let s = series_of(stored, algorithm, now);
        let due = match s.newest {
            None => Some((0, now)),
            Some(newest) if newest.signs_from + ROTATION_PERIOD <= now => {
                Some((newest.generation + 1, now + PUBLISH_LEAD))
            }
            Some(_) => None,
        };
        if let Some((generation, from)) = due {
            // Made here or, a moment before, by another writer: changed either way.
            made.extend(add_key(ctx, algorithm, generation, from)?);
            changed = true;
        }
        let gone: Vec<&str> = s.expired.iter().map(|r| r.kid.as_str()).collect();
        if !gone.is_empty() {
            ctx.store.write(|conn| {
                diesel::delete(keys::table.filter(keys::kid.eq_any(&gone)))
                    .execute(conn)
                    .map_err(StorageError::from)
            })?;
            changed = true;
        }
    }
    Ok((made, changed))
}

/// Makes a successor for every algorithm: published now, signing after [`PUBLISH_LEAD`], or
/// at once with `now`. Returns the kids made with the time each starts signing.
pub fn rotate(
    ctx: &ServiceContext,
    at_once: bool,
) -> Result<Vec<(String, Algorithm, NaiveDateTime)>, KeyError> {
    let now = ctx.clock.now_naive();
    let stored = ctx.store.read(rows)?;
    let mut made = Vec::new();
    for algorithm in Algorithm::ALL {
        let generation = stored
            .iter()
            .filter(|r| r.algorithm == algorithm.name())
            .map(|r| r.generation + 1)
            .max()
            .unwrap_or(0);
        let from = if at_once { now } else { now + PUBLISH_LEAD };
        if let Some(kid) = add_key(ctx, algorithm, generation, from)? {
            made.push((kid, algorithm, from));
        }
    }
    Ok(made)
}

/// A published key, for verifying.
pub struct PublicKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// The keys as last read: the signer of each algorithm, the published set.
struct Loaded {
    at: Instant,
    signers: HashMap<Algorithm, Arc<SigningKey>>,
    public: HashMap<String, Arc<PublicKey>>,
    jwks: Arc<String>,
}

/// The running server's view of the keys, read again every few seconds.
pub struct KeyRing {
    loaded: RwLock<Option<Arc<Loaded>>>,
    /// Opened private keys by kid, so that a reload does not parse them again.
    opened: RwLock<HashMap<String, Arc<SigningKey>>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").finish_non_exhaustive()
    }
}

impl Default for KeyRing {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyRing {
    pub fn new() -> Self {
        Self {
            loaded: RwLock::new(None),
            opened: RwLock::new(HashMap::new()),
        }
    }

    fn fresh(&self) -> Option<Arc<Loaded>> {
        let loaded = self.loaded.read().ok()?.clone()?;
        (loaded.at.elapsed() < RELOAD_AFTER).then_some(loaded)
    }

    /// The keys, read again (and maintained) when the last read is a few seconds old. Runs
    /// on a thread that may block.
    fn current(&self, ctx: &ServiceContext) -> Result<Arc<Loaded>, KeyError> {
        if let Some(loaded) = self.fresh() {
            return Ok(loaded);
        }
        // One read of the keys serves both the upkeep and the view, unless the upkeep changed
        // them.
        let mut stored = ctx.store.read(rows)?;
        if maintain_stored(ctx, &stored)?.1 {
            stored = ctx.store.read(rows)?;
        }
        let loaded = Arc::new(self.load(ctx, &stored)?);
        if let Ok(mut slot) = self.loaded.write() {
            *slot = Some(loaded.clone());
        }
        Ok(loaded)
    }

    fn load(&self, ctx: &ServiceContext, stored: &[Row]) -> Result<Loaded, KeyError> {
        let now = ctx.clock.now_naive();
        let mut signers = HashMap::new();
        let mut public = HashMap::new();
        let mut set = JwkSet { keys: Vec::new() };
        for algorithm in Algorithm::ALL {
            let s = series_of(stored, algorithm, now);
            if let Some(row) = s.signer {
                signers.insert(algorithm, self.open(ctx, row, algorithm)?);
            }
            for row in s.published {
                let jwk: Jwk = serde_json::from_str(&row.public_jwk)
                    .map_err(|e| KeyError::Corrupt(format!("{}: {e}", row.kid)))?;
                let key = DecodingKey::from_jwk(&jwk)
                    .map_err(|e| KeyError::Corrupt(format!("{}: {e}", row.kid)))?;
                public.insert(row.kid.clone(), Arc::new(PublicKey { algorithm, key }));
                set.keys.push(jwk);
            }
        }
        let jwks = serde_json::to_string(&set).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        Ok(Loaded {
            at: Instant::now(),
            signers,
            public,
            jwks: Arc::new(jwks),
        })
    }

    fn open(
        &self,
        ctx: &ServiceContext,
        row: &Row,
        algorithm: Algorithm,
    ) -> Result<Arc<SigningKey>, KeyError> {
        if let Some(key) = self
            .opened
            .read()
            .ok()
            .and_then(|m| m.get(&row.kid).cloned())
        {
            return Ok(key);
        }
        let der = ctx
            .master_key
            .open(SEAL_PURPOSE, &row.sealed_private_key)
            .map_err(|e| KeyError::Corrupt(format!("{}: {e}", row.kid)))?;
        let key = Arc::new(SigningKey::from_private(
            row.kid.clone(),
            algorithm,
            der.expose_secret(),
        )?);
        if let Ok(mut opened) = self.opened.write() {
            opened.insert(row.kid.clone(), key.clone());
        }
        Ok(key)
    }

    /// The key that signs with `algorithm` now.
    pub fn signer(
        &self,
        ctx: &ServiceContext,
        algorithm: Algorithm,
    ) -> Result<Arc<SigningKey>, KeyError> {
        self.current(ctx)?
            .signers
            .get(&algorithm)
            .cloned()
            .ok_or(KeyError::Missing(algorithm.name()))
    }

    /// A published key by its kid.
    pub fn public(
        &self,
        ctx: &ServiceContext,
        kid: &str,
    ) -> Result<Option<Arc<PublicKey>>, KeyError> {
        Ok(self.current(ctx)?.public.get(kid).cloned())
    }

    /// The JWKS document.
    pub fn jwks(&self, ctx: &ServiceContext) -> Result<Arc<String>, KeyError> {
        Ok(self.current(ctx)?.jwks.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::BASE64URL_NOPAD;

    fn row(generation: i32, signs_from: NaiveDateTime) -> Row {
        Row {
            kid: format!("k{generation}"),
            algorithm: "ES256".into(),
            generation,
            sealed_private_key: String::new(),
            public_jwk: String::new(),
            signs_from,
        }
    }

    fn at(hours: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + hours * 3600, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    #[test]
    fn a_successor_is_published_before_it_signs_and_its_predecessor_until_its_tokens_expire() {
        let rows = [row(0, at(0)), row(1, at(10))];
        let refs: Vec<&Row> = rows.iter().collect();
        let kids = |s: &Series<'_>| {
            s.published
                .iter()
                .map(|r| r.kid.clone())
                .collect::<Vec<_>>()
        };

        let before = series(&refs, at(5));
        assert_eq!(before.signer.map(|r| r.kid.as_str()), Some("k0"));
        assert_eq!(
            kids(&before),
            ["k0", "k1"],
            "the successor is published ahead"
        );

        let after = series(&refs, at(11));
        assert_eq!(after.signer.map(|r| r.kid.as_str()), Some("k1"));
        assert_eq!(kids(&after), ["k0", "k1"], "k0's tokens may still be alive");

        let later = series(&refs, at(10 + 24));
        assert_eq!(kids(&later), ["k1"]);
        assert_eq!(later.expired.len(), 1);
    }

    #[test]
    fn rsa_keys_stored_as_pkcs1_before_aws_lc_still_open_and_sign() {
        // A PKCS#8 RSA key wraps the PKCS#1 RSAPrivateKey in an OCTET STRING after a fixed
        // 26-byte prefix (SEQUENCE, version, rsaEncryption AlgorithmIdentifier, OCTET STRING
        // header): what the `rsa` crate stored before is that inner structure.
        let pkcs8 = generate(Algorithm::Rs256).unwrap_or_default();
        let pkcs1 = pkcs8.get(26..).unwrap_or_default();
        assert_eq!(
            pkcs1.get(..2),
            Some(&[0x30, 0x82][..]),
            "an RSAPrivateKey SEQUENCE"
        );
        let key = SigningKey::from_private("old".into(), Algorithm::Rs256, pkcs1);
        assert!(key.is_ok(), "{key:?}");
        let Ok(key) = key else { return };
        let signature = key.sign(b"header.payload").unwrap_or_default();
        assert_eq!(signature.len(), 256);
        let decoding = DecodingKey::from_jwk(&key.public_jwk());
        assert!(decoding.is_ok_and(|d| matches!(
            jsonwebtoken::crypto::verify(
                &BASE64URL_NOPAD.encode(&signature),
                b"header.payload",
                &d,
                Algorithm::Rs256.jose(),
            ),
            Ok(true)
        )));
    }

    #[test]
    fn every_algorithm_signs_and_publishes_a_key_that_verifies_it() {
        for algorithm in Algorithm::ALL {
            let der = generate(algorithm).unwrap_or_default();
            let key = SigningKey::from_private("k".into(), algorithm, &der);
            assert!(key.is_ok(), "{algorithm:?}");
            let Ok(key) = key else { continue };
            let message = b"header.payload";
            let signature = key.sign(message).unwrap_or_default();
            let jwk = key.public_jwk();
            let decoding = DecodingKey::from_jwk(&jwk);
            assert!(decoding.is_ok(), "{algorithm:?}");
            let Ok(decoding) = decoding else { continue };
            let verified = jsonwebtoken::crypto::verify(
                &BASE64URL_NOPAD.encode(&signature),
                message,
                &decoding,
                algorithm.jose(),
            );
            assert!(matches!(verified, Ok(true)), "{algorithm:?}: {verified:?}");
        }
    }
}
