//! The pieces a signature is computed from, checked on their own: the signing-key cache and
//! derivation, the canonical URI and the canonical query.

use super::super::canonical::{canonical_query, canonical_uri};
use super::super::key_cache::derive_signing_key;
use super::*;

#[test]
fn signing_key_cache_is_bounded_and_keyed_by_secret() {
    let cache = SigningKeyCache::new(2);
    let scope = CredentialScope {
        date: signing_time().date_naive(),
        region: "us-east-1".into(),
        service: "iam".into(),
    };
    let a = cache.signing_key("AKIDA", &secret(), &scope);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.signing_key("AKIDA", &secret(), &scope), a);
    assert_eq!(cache.len(), 1);
    let other = cache.signing_key("AKIDA", &SecretString::from("other"), &scope);
    assert_ne!(other, a);
    cache.signing_key("AKIDB", &secret(), &scope);
    cache.signing_key("AKIDC", &secret(), &scope);
    assert_eq!(cache.len(), 2);
    // Same derivation as the aws-sigv4 signer's (checked end to end above) and stable.
    assert_eq!(derive_signing_key(&secret(), &scope), a);
    let disabled = SigningKeyCache::new(0);
    assert_eq!(disabled.signing_key("AKIDA", &secret(), &scope), a);
    assert!(disabled.is_empty());
}

#[test]
fn canonical_uri_normalizes_like_botocore() {
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/"), "/");
    assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
    assert_eq!(canonical_uri("/../.."), "/");
    assert_eq!(canonical_uri("/a%20b/~x"), "/a%2520b/~x");
}

#[test]
fn canonical_query_sorts_and_reencodes() {
    assert_eq!(
        canonical_query("b=2&a=1&a=0&c", false).unwrap(),
        "a=0&a=1&b=2&c="
    );
    assert_eq!(
        canonical_query("k=a+b%2fc%7E", false).unwrap(),
        "k=a%20b%2Fc~"
    );
    assert_eq!(
        canonical_query("X-Amz-Signature=x&a=1", true).unwrap(),
        "a=1"
    );
    assert_eq!(
        canonical_query("a=%zz", false).unwrap_err().code(),
        "MalformedQueryString"
    );
}
