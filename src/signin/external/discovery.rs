//! Discovery of an external provider: its metadata and keys, fetched through the bounded
//! client, and reused for a few minutes to start sign-ins.

use super::{provider_error, ExternalError, SigninProvider, SigninService};
use crate::iam::oidc_providers::TrustedIssuer;
use crate::outbound;
use openidconnect::core::CoreProviderMetadata;
use openidconnect::IssuerUrl;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a provider's discovery document is reused to start sign-ins.
pub const DISCOVERY_SECONDS: i64 = 300;

/// Providers' discovery documents (with their keys) as fetched to start sign-ins, by account,
/// provider, issuer and thumbprints, for [`DISCOVERY_SECONDS`]: anyone may start a sign-in,
/// and a flood of starts must not become a flood of fetches from the provider. Finishing a
/// sign-in fetches afresh, so that keys the provider has just rotated in are known.
#[derive(Default)]
pub struct DiscoveryCache(Mutex<HashMap<String, (i64, CoreProviderMetadata)>>);

impl DiscoveryCache {
    pub(super) fn get_or_fetch(
        &self,
        key: String,
        now: i64,
        fetch: impl FnOnce() -> Result<CoreProviderMetadata, ExternalError>,
    ) -> Result<CoreProviderMetadata, ExternalError> {
        let lock = || {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some((at, metadata)) = lock().get(&key) {
            if (0..DISCOVERY_SECONDS).contains(&(now - at)) {
                return Ok(metadata.clone());
            }
        }
        let metadata = fetch()?;
        let mut cache = lock();
        cache.retain(|_, (at, _)| (0..DISCOVERY_SECONDS).contains(&(now - *at)));
        cache.insert(key, (now, metadata.clone()));
        Ok(metadata)
    }
}

/// The provider's metadata (and keys), fetched through the bounded client that trusts its
/// certificate as its IAM provider says.
pub(super) fn discover(
    service: &SigninService,
    provider: &SigninProvider,
    trusted: &TrustedIssuer,
) -> Result<CoreProviderMetadata, ExternalError> {
    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(provider_error)?;
    let allow_http = service.ctx.web_identity.allow_http_loopback_issuers;
    let http = |request| outbound::send(request, &trusted.thumbprints, allow_http);
    CoreProviderMetadata::discover(&issuer, &http).map_err(provider_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::Cell;

    fn metadata() -> CoreProviderMetadata {
        serde_json::from_value(json!({
            "issuer": "https://idp.example",
            "authorization_endpoint": "https://idp.example/authorize",
            "jwks_uri": "https://idp.example/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }))
        .unwrap()
    }

    #[test]
    fn starts_reuse_a_discovery_document_for_a_few_minutes() {
        let cache = DiscoveryCache::default();
        let fetches = Cell::new(0);
        let fetch = || {
            fetches.set(fetches.get() + 1);
            Ok(metadata())
        };
        for now in [1000, 1001, 1000 + DISCOVERY_SECONDS - 1] {
            cache.get_or_fetch("a".into(), now, fetch).unwrap();
        }
        assert_eq!(fetches.get(), 1);
        cache.get_or_fetch("b".into(), 1002, fetch).unwrap();
        assert_eq!(fetches.get(), 2, "another provider has its own");
        cache
            .get_or_fetch("a".into(), 1000 + DISCOVERY_SECONDS, fetch)
            .unwrap();
        assert_eq!(fetches.get(), 3, "then it is fetched again");
        let failed = cache.get_or_fetch("c".into(), 1003, || {
            Err(ExternalError::Provider("down".into()))
        });
        assert!(failed.is_err());
        assert!(
            cache.get_or_fetch("c".into(), 1004, fetch).is_ok(),
            "a failure is not kept"
        );
    }
}
