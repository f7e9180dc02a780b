//! Signed JWTs: made with the provider's keys (see [`super::keys`]), checked with jsonwebtoken
//! against the published keys. Time claims are checked against Keyward's clock, not the
//! library's, so that tests with a fixed clock see what production sees.

use super::keys::{Algorithm, KeyError, KeyRing, SigningKey};
use crate::context::ServiceContext;
use data_encoding::BASE64URL_NOPAD;
use jsonwebtoken::{Header, Validation};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

/// The `typ` of ID tokens and of access tokens (RFC 9068).
pub const ID_TOKEN_TYPE: &str = "JWT";
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Signs `claims` as a compact JWS with `key`.
pub fn sign(key: &SigningKey, typ: &str, claims: &impl Serialize) -> Result<String, KeyError> {
    let mut header = Header::new(key.algorithm.jose());
    header.typ = Some(typ.to_string());
    header.kid = Some(key.kid.clone());
    let input = format!("{}.{}", b64_json(&header)?, b64_json(claims)?);
    let signature = key.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", BASE64URL_NOPAD.encode(&signature)))
}

fn b64_json(value: &impl Serialize) -> Result<String, KeyError> {
    let bytes = serde_json::to_vec(value).map_err(|e| KeyError::Sign(e.to_string()))?;
    Ok(BASE64URL_NOPAD.encode(&bytes))
}

/// `at_hash` / `c_hash`: the left half of the hash of `value` that goes with the signing
/// algorithm (SHA-256 for RS256 and ES256, SHA-512 for EdDSA with Ed25519), base64url.
pub fn half_hash(algorithm: Algorithm, value: &str) -> String {
    let digest: Vec<u8> = match algorithm {
        Algorithm::Rs256 | Algorithm::Es256 => Sha256::digest(value.as_bytes()).to_vec(),
        Algorithm::EdDsa => Sha512::digest(value.as_bytes()).to_vec(),
    };
    BASE64URL_NOPAD.encode(&digest[..digest.len() / 2])
}

/// Why a token of ours was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not signed by a key of this provider")]
    UnknownKey,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token is not a {0}")]
    WrongType(&'static str),
    #[error("the token was issued by another provider")]
    WrongIssuer,
    #[error("the token has expired")]
    Expired,
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// Checks a JWT this provider signed: a published key, the signature, `typ` and `iss`, and,
/// unless `allow_expired`, `exp`. Returns the claims.
pub fn verify(
    keys: &KeyRing,
    ctx: &ServiceContext,
    issuer: &str,
    token: &str,
    typ: &'static str,
    allow_expired: bool,
) -> Result<Value, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
    let key = keys.public(ctx, kid)?.ok_or(TokenError::UnknownKey)?;
    if header.alg != key.algorithm.jose() {
        return Err(TokenError::BadSignature);
    }
    let same_type = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case(typ) || t.eq_ignore_ascii_case(&format!("application/{typ}"))
    });
    if !same_type {
        return Err(TokenError::WrongType(typ));
    }
    let mut validation = Validation::new(key.algorithm.jose());
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(token, &key.key, &validation).map_err(|e| match e
        .kind()
    {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
        _ => TokenError::Malformed,
    })?;
    let claims = data.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(TokenError::WrongIssuer);
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(TokenError::Malformed)?;
    if !allow_expired && exp <= ctx.clock.now().timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hashes_follow_the_signing_algorithm() {
        // OpenID Connect Core's example access token and its at_hash (RS256).
        assert_eq!(
            half_hash(
                Algorithm::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(half_hash(Algorithm::Es256, "x").len(), 22);
        assert_eq!(half_hash(Algorithm::EdDsa, "x").len(), 43);
    }
}
