//! The OpenID Connect providers accounts trust, and their keys, fetched from their discovery
//! document's `jwks_uri` and cached per provider.
//!
//! - The providers themselves (which issuer an account trusts, for which client IDs, with
//!   which thumbprints) are cached until the next IAM change, like roles and policies in
//!   `authz`: a token reads nothing from the store on its hot path.
//! - A provider's keys are kept as long as its `Cache-Control: max-age` says, but at least a
//!   minute and at most the `oidc_jwks_max_cache_seconds` setting (an hour by default); then
//!   the next token fetches them again. Keys past that time are never used, even when the
//!   provider cannot be reached: a removed key may have been removed for a reason.
//! - A token whose `kid` the cached keys lack makes one fetch, so a provider's new key works at
//!   once; but at most one fetch per provider every [`REFETCH_INTERVAL`]: a flood of tokens
//!   with made-up `kid`s costs the provider a fetch every few seconds, not one per token.
//! - One fetch per provider runs at a time; concurrent tokens of that provider wait for it.
//! - Entries are per provider ARN and remember the issuer and thumbprints they were fetched
//!   with: a provider changed in IAM is fetched again under its new trust.

use crate::context::ServiceContext;
use crate::iam::oidc_providers::{self, TrustedIssuer};
use crate::iam::IamError;
use crate::outbound;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::DecodingKey;
use prometheus::{IntCounterVec, Opts};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// The least time between two fetches of one provider's keys caused by unknown `kid`s.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// The least time fetched keys are kept (a provider saying `no-store` would otherwise be
/// fetched for every token).
pub const MIN_CACHE: Duration = Duration::from_secs(60);
/// How long keys are kept when the provider says nothing.
pub const DEFAULT_CACHE: Duration = Duration::from_secs(3600);
/// Providers remembered at most; beyond, the cache starts again.
const MAX_PROVIDERS: usize = 10_000;

/// Why no key could be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The provider could not be reached, or answered nonsense (AWS: IDPCommunicationError).
    Communication(String),
    /// The provider publishes no key with the token's `kid` (AWS: InvalidIdentityToken).
    UnknownKey(String),
    /// The provider's certificate is not one its thumbprints or the system roots vouch for
    /// (AWS: InvalidIdentityToken).
    Untrusted(String),
    /// A fetch is needed and the thread may not block: the request runs again on the
    /// blocking pool (see `storage::connection::without_store`).
    Deferred,
}

/// A provider's key, ready to verify with (made once per fetch, not once per token).
pub struct Key {
    pub jwk: Jwk,
    pub decoding: DecodingKey,
}

/// The keys of a set this side can use.
fn usable(set: JwkSet) -> Vec<Arc<Key>> {
    set.keys
        .into_iter()
        .filter_map(|jwk| {
            let decoding = DecodingKey::from_jwk(&jwk).ok()?;
            Some(Arc::new(Key { jwk, decoding }))
        })
        .collect()
}

/// A provider's keys as fetched: the set and how long it may be kept (seconds), if the
/// provider said.
pub type Fetched = (JwkSet, Option<u64>);

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// The provider was not reached, or answered nonsense.
    Unreachable(String),
    /// TLS refused the provider's certificate.
    Untrusted(String),
}

impl From<FetchFailure> for KeyError {
    fn from(failure: FetchFailure) -> Self {
        match failure {
            FetchFailure::Unreachable(text) => KeyError::Communication(text),
            FetchFailure::Untrusted(text) => KeyError::Untrusted(text),
        }
    }
}

#[derive(Default)]
struct Entry {
    issuer: String,
    thumbprints: Vec<String>,
    keys: Option<Vec<Arc<Key>>>,
    /// When the keys stop being used.
    good_until: Option<Instant>,
    /// When a fetch was last tried (whatever its outcome).
    last_fetch: Option<Instant>,
    /// Why the last fetch failed, if it did: repeated while the provider is left alone.
    last_failure: Option<FetchFailure>,
}

impl Entry {
    fn current(&self, issuer: &TrustedIssuer, now: Instant) -> Option<&[Arc<Key>]> {
        let same = self.issuer == issuer.issuer && self.thumbprints == issuer.thumbprints;
        let fresh = self.good_until.is_some_and(|until| now < until);
        self.keys.as_deref().filter(|_| same && fresh)
    }
}

/// An account's trusted issuers as read from the store, with the IAM epoch they were read at.
type Issuers = HashMap<(String, String), (u64, Option<TrustedIssuer>)>;

/// The cache of the trusted providers and their keys.
pub struct ProviderCache {
    issuers: Mutex<Issuers>,
    providers: Mutex<HashMap<String, Arc<Mutex<Entry>>>>,
    /// The longest keys are kept.
    max_cache: Duration,
    /// Fetches by outcome (none counted should the counter not be made).
    fetches: Option<IntCounterVec>,
}

impl ProviderCache {
    pub fn new(max_cache: Duration) -> Self {
        let fetches = IntCounterVec::new(
            Opts::new(
                "keyward_oidc_provider_key_fetches_total",
                "Fetches of external OpenID Connect providers' keys, by outcome",
            ),
            &["outcome"],
        )
        .ok();
        Self {
            issuers: Mutex::default(),
            providers: Mutex::default(),
            max_cache,
            fetches,
        }
    }

    /// The fetch counter, for the metrics registry.
    pub fn fetch_counter(&self) -> Option<IntCounterVec> {
        self.fetches.clone()
    }

    fn count(&self, outcome: &str) {
        if let Some(fetches) = &self.fetches {
            fetches.with_label_values(&[outcome]).inc();
        }
    }

    /// The provider of `account_id` whose issuer is `iss` (a token's claim), if it trusts one:
    /// from the cache while no IAM change happened since it was read.
    pub fn issuer(
        &self,
        ctx: &ServiceContext,
        account_id: &str,
        iss: &str,
    ) -> Result<Option<TrustedIssuer>, IamError> {
        let key = (account_id.to_string(), iss.to_string());
        let epoch = ctx.epoch();
        if let Some((at, found)) = self
            .issuers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            if *at == epoch {
                return Ok(found.clone());
            }
        }
        let found = ctx
            .store
            .read(|conn| oidc_providers::for_issuer(conn, account_id, iss))?;
        let mut issuers = self.issuers.lock().unwrap_or_else(|e| e.into_inner());
        // Unknown issuers are remembered too (anyone may send tokens naming any): bounded.
        if issuers.len() >= MAX_PROVIDERS {
            issuers.clear();
        }
        issuers.insert(key, (epoch, found.clone()));
        Ok(found)
    }

    /// The key of `issuer` that `kid` names (or its only key, for a token without a `kid`),
    /// fetching the provider's keys with `fetch` when the rules above allow.
    pub fn key_for(
        &self,
        issuer: &TrustedIssuer,
        kid: Option<&str>,
        now: Instant,
        fetch: &dyn Fn(&TrustedIssuer) -> Result<Fetched, FetchFailure>,
    ) -> Result<Arc<Key>, KeyError> {
        let entry = {
            let mut all = self.providers.lock().unwrap_or_else(|e| e.into_inner());
            if all.len() >= MAX_PROVIDERS && !all.contains_key(&issuer.arn) {
                all.clear();
            }
            all.entry(issuer.arn.clone()).or_default().clone()
        };
        let mut entry = entry.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(keys) = entry.current(issuer, now) {
            if let Some(key) = pick(keys, kid) {
                return Ok(key);
            }
            let recently = entry
                .last_fetch
                .is_some_and(|at| now.saturating_duration_since(at) < REFETCH_INTERVAL);
            if recently {
                return Err(unknown(kid));
            }
        } else if let Some(failure) = entry.last_failure.clone().filter(|_| {
            entry.issuer == issuer.issuer
                && entry.thumbprints == issuer.thumbprints
                && entry
                    .last_fetch
                    .is_some_and(|at| now.saturating_duration_since(at) < REFETCH_INTERVAL)
        }) {
            // The last fetch failed a moment ago: do not hammer a provider that is down.
            return Err(failure.into());
        }
        if crate::storage::connection::defer_blocking_work().is_err() {
            return Err(KeyError::Deferred);
        }
        entry.last_fetch = Some(now);
        match fetch(issuer) {
            Ok((keys, max_age)) => {
                self.count("ok");
                entry.last_failure = None;
                let keep = max_age
                    .map_or(DEFAULT_CACHE, Duration::from_secs)
                    .max(MIN_CACHE)
                    .min(self.max_cache);
                entry.issuer = issuer.issuer.clone();
                entry.thumbprints = issuer.thumbprints.clone();
                entry.good_until = Some(now + keep);
                let keys = usable(keys);
                let found = pick(&keys, kid);
                entry.keys = Some(keys);
                found.ok_or_else(|| unknown(kid))
            }
            Err(failure) => {
                self.count("failed");
                // Keys still within their time stay usable; older ones are dropped.
                if entry.current(issuer, now).is_none() {
                    entry.keys = None;
                    entry.good_until = None;
                    entry.issuer = issuer.issuer.clone();
                    entry.thumbprints = issuer.thumbprints.clone();
                }
                entry.last_failure = Some(failure.clone());
                Err(failure.into())
            }
        }
    }
}

fn unknown(kid: Option<&str>) -> KeyError {
    KeyError::UnknownKey(match kid {
        Some(kid) => format!("the provider publishes no key with kid {kid}"),
        None => "the token names no key (kid) and the provider publishes several".into(),
    })
}

/// The key `kid` names; without a `kid`, the set's only signing key.
fn pick(keys: &[Arc<Key>], kid: Option<&str>) -> Option<Arc<Key>> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.jwk.common.key_id.as_deref() == Some(kid))
            .cloned(),
        None => match keys {
            [only] => Some(only.clone()),
            _ => None,
        },
    }
}

/// Fetches `issuer`'s keys over the network: its discovery document (whose `issuer` must be
/// the provider's), then its `jwks_uri`, both bounded ([`outbound::get`]) and trusted by the
/// provider's thumbprints or the system roots. Keys of a kind this side cannot use (an
/// encryption key, an unknown `kty`) are left out.
pub fn fetch_over_https(
    issuer: &TrustedIssuer,
    allow_http_loopback: bool,
) -> Result<Fetched, FetchFailure> {
    let get = |url: &Url| {
        outbound::get(url, &issuer.thumbprints, allow_http_loopback).map_err(|e| match e {
            outbound::FetchError::Untrusted { .. } => FetchFailure::Untrusted(e.to_string()),
            _ => FetchFailure::Unreachable(e.to_string()),
        })
    };
    let nonsense = FetchFailure::Unreachable;
    let discovery_url = Url::parse(&issuer.discovery_url()).map_err(|e| nonsense(e.to_string()))?;
    let discovery: serde_json::Value = serde_json::from_slice(&get(&discovery_url)?.body)
        .map_err(|e| nonsense(format!("the discovery document is not JSON: {e}")))?;
    let named = discovery["issuer"].as_str().unwrap_or_default();
    if named.trim_end_matches('/') != issuer.issuer.trim_end_matches('/') {
        return Err(nonsense(format!(
            "the discovery document names the issuer {named:?}, not {}",
            issuer.issuer
        )));
    }
    let jwks_uri = discovery["jwks_uri"]
        .as_str()
        .and_then(|u| Url::parse(u).ok())
        .ok_or_else(|| nonsense("the discovery document has no jwks_uri URL".into()))?;
    let answer = get(&jwks_uri)?;
    let set: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|e| nonsense(format!("the key set is not JSON: {e}")))?;
    let keys = set["keys"]
        .as_array()
        .ok_or_else(|| nonsense("the key set has no keys array".into()))?
        .iter()
        .filter(|k| k["use"].as_str().is_none_or(|u| u == "sig"))
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .collect();
    Ok((JwkSet { keys }, answer.max_age))
}

#[cfg(test)]
mod tests;
