use super::*;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::EncodingKey;
use serde_json::json;

const ISSUER: &str = "https://ci.example.com";
const NOW: i64 = 1_900_000_000;

/// An Ed25519 key: its encoding key and its public JWK (kid "k1").
fn ed25519() -> (EncodingKey, Jwk) {
    let pkcs8 = sig::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = sig::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let x = BASE64URL_NOPAD.encode(pair.public_key().as_ref());
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA"});
    (
        EncodingKey::from_ed_der(pkcs8.as_ref()),
        serde_json::from_value(jwk).unwrap(),
    )
}

fn issuer() -> TrustedIssuer {
    TrustedIssuer {
        arn: "arn:aws:iam::111122223333:oidc-provider/ci.example.com".into(),
        issuer: ISSUER.into(),
        client_ids: vec!["sts.keyward.test".into()],
        thumbprints: Vec::new(),
    }
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "repo:org/app:ref:refs/heads/main",
        "aud": "sts.keyward.test",
        "iat": NOW - 10,
        "exp": NOW + 300,
        "jti": "token-1",
        "amr": ["pwd", "mfa"],
    })
}

fn sign(key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn check(token: &str, key: &Jwk) -> Result<Verified, TokenError> {
    let read = read(token)?;
    let key = Key {
        jwk: key.clone(),
        decoding: jsonwebtoken::DecodingKey::from_jwk(key).unwrap(),
    };
    verify(token, read, &issuer(), &key, NOW)
}

#[test]
fn a_signed_token_of_the_provider_for_its_client_proves_its_subject() {
    let (private, public) = ed25519();
    let token = sign(&private, &claims());
    let verified = check(&token, &public).unwrap();
    assert_eq!(verified.audience, "sts.keyward.test");
    assert_eq!(verified.jti.as_deref(), Some("token-1"));
    let identity = verified.identity;
    assert_eq!(identity.subject, "repo:org/app:ref:refs/heads/main");
    assert_eq!(identity.provider.key_prefix, "ci.example.com");
    let keys: Vec<String> = identity.trust_keys().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "ci.example.com:aud",
            "ci.example.com:sub",
            "ci.example.com:amr"
        ]
    );
}

#[test]
fn the_audience_must_be_a_client_id_or_else_the_authorized_party() {
    let (private, public) = ed25519();
    let mut other = claims();
    other["aud"] = json!(["someone-else"]);
    assert_eq!(
        check(&sign(&private, &other), &public).unwrap_err(),
        TokenError::Invalid("Incorrect token audience".into())
    );
    other["azp"] = json!("sts.keyward.test");
    let verified = check(&sign(&private, &other), &public).unwrap();
    assert_eq!(verified.audience, "sts.keyward.test");
    let keys = verified.identity.trust_keys();
    assert!(keys
        .iter()
        .any(|(k, v)| k == "ci.example.com:oaud" && format!("{v:?}").contains("someone-else")));
}

#[test]
fn times_are_checked_with_a_small_leeway() {
    let (private, public) = ed25519();
    let at = |name: &str, value: i64| {
        let mut c = claims();
        c[name] = json!(value);
        sign(&private, &c)
    };
    assert!(matches!(
        check(&at("exp", NOW - LEEWAY), &public),
        Err(TokenError::Expired(_))
    ));
    assert!(check(&at("exp", NOW - LEEWAY + 1), &public).is_ok());
    assert!(matches!(
        check(&at("nbf", NOW + LEEWAY + 1), &public),
        Err(TokenError::Invalid(_))
    ));
    assert!(check(&at("nbf", NOW + LEEWAY), &public).is_ok());
    assert!(matches!(
        check(&at("iat", NOW + LEEWAY + 1), &public),
        Err(TokenError::Invalid(_))
    ));
    assert!(matches!(
        check(&at("iat", NOW - MAX_TOKEN_AGE - 1), &public),
        Err(TokenError::Expired(_))
    ));
    let mut forever = claims();
    forever.as_object_mut().unwrap().remove("exp");
    assert!(matches!(
        check(&sign(&private, &forever), &public),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn another_issuer_a_missing_subject_or_a_changed_byte_is_refused() {
    let (private, public) = ed25519();
    let mut other = claims();
    other["iss"] = json!("https://evil.example.com");
    assert!(matches!(
        check(&sign(&private, &other), &public),
        Err(TokenError::Invalid(_))
    ));
    let mut anonymous = claims();
    anonymous.as_object_mut().unwrap().remove("sub");
    assert!(matches!(
        check(&sign(&private, &anonymous), &public),
        Err(TokenError::Invalid(_))
    ));
    // The payload changed after signing: another branch.
    let token = sign(&private, &claims());
    let parts: Vec<&str> = token.split('.').collect();
    let mut changed = claims();
    changed["sub"] = json!("repo:org/app:ref:refs/heads/evil");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        BASE64URL_NOPAD.encode(changed.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(
        check(&forged, &public).unwrap_err(),
        TokenError::Invalid("The web identity token's signature is not valid.".into())
    );
    // Signed by another key that claims the same kid.
    let (stranger, _) = ed25519();
    assert!(matches!(
        check(&sign(&stranger, &claims()), &public),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn none_and_hmac_are_refused_whatever_the_header_says() {
    let (_, public) = ed25519();
    let payload = BASE64URL_NOPAD.encode(claims().to_string().as_bytes());
    let none = format!(
        "{}.{payload}.",
        BASE64URL_NOPAD.encode(br#"{"alg":"none","kid":"k1"}"#)
    );
    assert!(matches!(read(&none), Err(TokenError::Invalid(_))));
    // HS256 with the provider's public key as the shared secret.
    let secret = public.to_owned();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let hmac = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(serde_json::to_string(&secret).unwrap().as_bytes()),
    )
    .unwrap();
    assert!(matches!(read(&hmac), Err(TokenError::Invalid(_))));
    assert!(matches!(read("not.a.jwt"), Err(TokenError::Invalid(_))));
}

#[test]
fn a_key_whose_alg_is_not_the_headers_is_not_used() {
    let (private, public) = ed25519();
    let token = sign(&private, &claims());
    let mut set: JwkSet = serde_json::from_value(json!({ "keys": [public] })).unwrap();
    let mut key = set.keys.remove(0);
    key.common.key_algorithm = Some(jsonwebtoken::jwk::KeyAlgorithm::ES256);
    assert!(matches!(check(&token, &key), Err(TokenError::Invalid(_))));
}
