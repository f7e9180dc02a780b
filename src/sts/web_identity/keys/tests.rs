use super::*;
use serde_json::json;
use std::cell::Cell;

fn issuer() -> TrustedIssuer {
    TrustedIssuer {
        arn: "arn:aws:iam::111122223333:oidc-provider/ci.example.com".into(),
        issuer: "https://ci.example.com".into(),
        client_ids: vec!["sts".into()],
        thumbprints: vec!["a9993e364706816aba3e25717850c26c9cd0d89d".into()],
    }
}

fn set(kids: &[&str]) -> JwkSet {
    let keys: Vec<_> = kids
        .iter()
        .map(|kid| json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": kid}))
        .collect();
    serde_json::from_value(json!({ "keys": keys })).unwrap()
}

/// A provider whose key set the test changes, counting its fetches.
struct Provider {
    kids: Cell<Vec<&'static str>>,
    fetches: Cell<usize>,
    max_age: Option<u64>,
    down: Cell<bool>,
}

impl Provider {
    fn new(kids: &[&'static str]) -> Self {
        Self {
            kids: Cell::new(kids.to_vec()),
            fetches: Cell::new(0),
            max_age: None,
            down: Cell::new(false),
        }
    }

    fn fetch(&self) -> Result<Fetched, FetchFailure> {
        self.fetches.set(self.fetches.get() + 1);
        if self.down.get() {
            return Err(FetchFailure::Unreachable("connection refused".into()));
        }
        let kids = self.kids.take();
        let keys = set(&kids);
        self.kids.set(kids);
        Ok((keys, self.max_age))
    }
}

fn key(cache: &ProviderCache, idp: &Provider, kid: &str, now: Instant) -> Result<String, KeyError> {
    cache
        .key_for(&issuer(), Some(kid), now, &|_| idp.fetch())
        .map(|k| k.jwk.common.key_id.clone().unwrap_or_default())
}

#[test]
fn keys_are_fetched_once_and_kept_for_their_time() {
    let cache = ProviderCache::new(Duration::from_secs(3600));
    let idp = Provider {
        max_age: Some(600),
        ..Provider::new(&["k1"])
    };
    let t0 = Instant::now();
    for i in 0..100 {
        assert!(key(&cache, &idp, "k1", t0 + Duration::from_secs(i)).is_ok());
    }
    assert_eq!(idp.fetches.get(), 1);
    // After the provider's max-age the next token fetches them again.
    assert!(key(&cache, &idp, "k1", t0 + Duration::from_secs(601)).is_ok());
    assert_eq!(idp.fetches.get(), 2);
}

#[test]
fn made_up_kids_cost_one_fetch_per_interval_not_one_per_token() {
    let cache = ProviderCache::new(Duration::from_secs(3600));
    let idp = Provider::new(&["k1"]);
    let t0 = Instant::now();
    assert!(key(&cache, &idp, "k1", t0).is_ok());
    for i in 0..1000 {
        let made_up = format!("forged-{i}");
        let at = t0 + Duration::from_millis(i);
        assert!(matches!(
            key(&cache, &idp, &made_up, at),
            Err(KeyError::UnknownKey(_))
        ));
    }
    assert_eq!(idp.fetches.get(), 1, "within the first interval: none");
    // The provider adds a key: the first token naming it after the interval fetches it.
    idp.kids.set(vec!["k1", "k2"]);
    let later = t0 + REFETCH_INTERVAL + Duration::from_secs(1);
    assert!(key(&cache, &idp, "k2", later).is_ok());
    assert_eq!(idp.fetches.get(), 2);
    assert!(key(&cache, &idp, "k1", later).is_ok(), "the old key too");
}

#[test]
fn a_removed_key_stops_working_when_the_keys_are_fetched_again() {
    let cache = ProviderCache::new(Duration::from_secs(2));
    let idp = Provider::new(&["old", "new"]);
    let t0 = Instant::now();
    assert!(key(&cache, &idp, "old", t0).is_ok());
    idp.kids.set(vec!["new"]);
    assert!(
        key(&cache, &idp, "old", t0 + Duration::from_secs(1)).is_ok(),
        "cached"
    );
    let after = t0 + Duration::from_secs(3);
    assert!(matches!(
        key(&cache, &idp, "old", after),
        Err(KeyError::UnknownKey(_))
    ));
    assert!(key(&cache, &idp, "new", after).is_ok());
}

#[test]
fn keys_past_their_time_are_not_used_while_the_provider_is_down() {
    let cache = ProviderCache::new(Duration::from_secs(60));
    let idp = Provider::new(&["k1"]);
    let t0 = Instant::now();
    assert!(key(&cache, &idp, "k1", t0).is_ok());
    idp.down.set(true);
    let later = t0 + Duration::from_secs(61);
    assert!(matches!(
        key(&cache, &idp, "k1", later),
        Err(KeyError::Communication(_))
    ));
    // And a provider that is down is not asked again at once; the reason stays the same.
    let fetches = idp.fetches.get();
    assert_eq!(
        key(&cache, &idp, "k1", later + Duration::from_secs(1)),
        Err(KeyError::Communication("connection refused".into()))
    );
    assert_eq!(idp.fetches.get(), fetches);
}

#[test]
fn a_provider_changed_in_iam_is_fetched_again() {
    let cache = ProviderCache::new(Duration::from_secs(3600));
    let idp = Provider::new(&["k1"]);
    let t0 = Instant::now();
    assert!(key(&cache, &idp, "k1", t0).is_ok());
    let mut changed = issuer();
    changed.thumbprints = vec!["0000000000000000000000000000000000000000".into()];
    assert!(cache
        .key_for(&changed, Some("k1"), t0, &|_| idp.fetch())
        .is_ok());
    assert_eq!(idp.fetches.get(), 2);
}
