//! Checking a web identity token (a JWT from an external OpenID Connect provider) as AWS STS
//! does, and turning it into an [`ExternalIdentity`].
//!
//! - The header's algorithm must be asymmetric (RS256/384/512, PS256/384/512, ES256/384,
//!   EdDSA): `none` and the HMAC algorithms are refused whatever the header says, so a
//!   provider's public key can never serve as a shared secret.
//! - The signature must verify with the provider's key the `kid` names, whose own `alg`, if it
//!   has one, must be the header's.
//! - `iss` is the provider's issuer exactly; `sub` is present; `aud` (one or several) holds one
//!   of the provider's client IDs, or else `azp` is one, as AWS accepts.
//! - `exp` is present and in the future, `nbf` (if any) in the past and `iat` (if any) not in
//!   the future, each with [`LEEWAY`] for clocks that differ a little; a token issued more than
//!   [`MAX_TOKEN_AGE`] ago is refused even if it has not expired.

use super::keys::Key;
use crate::federation::{ExternalIdentity, Provider};
use crate::iam::oidc_providers::TrustedIssuer;
use data_encoding::BASE64URL_NOPAD;
use jsonwebtoken::{Algorithm, Header};
use serde_json::Value;

/// How far apart Keyward's clock and the provider's may be (seconds).
pub const LEEWAY: i64 = 60;
/// The oldest token accepted, by its `iat` (seconds): two days, longer than any workload
/// token lives before it is refreshed.
pub const MAX_TOKEN_AGE: i64 = 2 * 86_400;
/// The shortest and longest token (characters), as AWS's API takes it.
pub const MIN_TOKEN_CHARS: usize = 4;
pub const MAX_TOKEN_CHARS: usize = 20_000;

/// Why a token is refused; each maps to one of AWS's errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// `InvalidIdentityToken` (400).
    Invalid(String),
    /// `ExpiredTokenException` (400).
    Expired(String),
}

fn invalid(text: impl Into<String>) -> TokenError {
    TokenError::Invalid(text.into())
}

/// A token's header and claims, read before anything is verified (to find the provider and
/// the key). Nothing read here is trusted until [`verify`] has checked it.
#[derive(Debug)]
pub struct Unverified {
    pub header: Header,
    pub issuer: String,
    /// The claims, parsed once here; trusted only once [`verify`] has checked the signature.
    claims: serde_json::Map<String, Value>,
}

/// Reads the header and the `iss` claim; refuses tokens that cannot be a signed JWT of an
/// asymmetric algorithm.
pub fn read(token: &str) -> Result<Unverified, TokenError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| invalid("The web identity token is not a well-formed, signed JWT."))?;
    if !asymmetric(header.alg) {
        return Err(invalid(format!(
            "The web identity token's algorithm {:?} is not accepted; only RS, PS, ES and EdDSA \
             signatures are.",
            header.alg
        )));
    }
    if token.split('.').count() != 3 {
        return Err(invalid(
            "The web identity token is not a well-formed, signed JWT.",
        ));
    }
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| BASE64URL_NOPAD.decode(p.as_bytes()).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes).ok())
        .ok_or_else(|| invalid("The web identity token's claims are not a JSON object."))?;
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("The web identity token has no iss claim."))?
        .to_string();
    Ok(Unverified {
        header,
        issuer,
        claims,
    })
}

fn asymmetric(alg: Algorithm) -> bool {
    use Algorithm::*;
    matches!(
        alg,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 | ES256 | ES384 | EdDSA
    )
}

/// A verified token: the identity it proves, the client ID it was for, and what replay
/// protection needs.
#[derive(Debug, Clone)]
pub struct Verified {
    pub identity: ExternalIdentity,
    /// The client ID (audience) that matched.
    pub audience: String,
    pub jti: Option<String>,
    /// `exp` (Unix seconds).
    pub expires_at: i64,
}

/// Verifies `token` (read as `unverified`) with `key`, for `issuer`, at `now` (Unix seconds):
/// the signature over the token's first two parts, then the claims [`read`] parsed.
pub fn verify(
    token: &str,
    unverified: Unverified,
    issuer: &TrustedIssuer,
    key: &Key,
    now: i64,
) -> Result<Verified, TokenError> {
    let alg = unverified.header.alg;
    if key
        .jwk
        .common
        .key_algorithm
        .is_some_and(|a| a.to_string() != format!("{alg:?}"))
    {
        return Err(invalid(
            "The web identity token's algorithm is not its key's.",
        ));
    }
    let bad_signature = || invalid("The web identity token's signature is not valid.");
    let (signed, signature) = token.rsplit_once('.').ok_or_else(bad_signature)?;
    if !jsonwebtoken::crypto::verify(signature, signed.as_bytes(), &key.decoding, alg)
        .map_err(|_| bad_signature())?
    {
        return Err(bad_signature());
    }
    // Times, audience and issuer are checked against Keyward's clock and the provider.
    let claims = unverified.claims;

    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
    let iss = text("iss").unwrap_or_default();
    if iss.trim_end_matches('/') != issuer.issuer.trim_end_matches('/') {
        return Err(invalid(
            "The web identity token's issuer is not the provider's.",
        ));
    }
    let subject = text("sub")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("The web identity token has no sub claim."))?;
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    let expires_at =
        time("exp").ok_or_else(|| invalid("The web identity token has no exp claim."))?;
    if now >= expires_at + LEEWAY {
        return Err(TokenError::Expired("Token is expired".into()));
    }
    if time("nbf").is_some_and(|nbf| now + LEEWAY < nbf) {
        return Err(invalid("The web identity token is not valid yet (nbf)."));
    }
    if let Some(iat) = time("iat") {
        if now + LEEWAY < iat {
            return Err(invalid(
                "The web identity token was issued in the future (iat).",
            ));
        }
        if now - iat > MAX_TOKEN_AGE {
            return Err(TokenError::Expired(
                "The web identity token was issued too long ago".into(),
            ));
        }
    }
    let audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let authorized_party = text("azp");
    let registered = |a: &String| issuer.client_ids.iter().any(|c| c == a);
    let audience = audiences
        .iter()
        .find(|a| registered(a))
        .or(authorized_party.as_ref().filter(|a| registered(a)))
        .cloned()
        .ok_or_else(|| invalid("Incorrect token audience"))?;

    let mut identity = ExternalIdentity::new(Provider::oidc(&issuer.issuer, &issuer.arn), &subject);
    identity.issuer = Some(iss);
    identity.audiences = audiences;
    identity.authorized_party = authorized_party;
    identity.issued_at = time("iat");
    identity.expires_at = Some(expires_at);
    let jti = text("jti");
    identity.attributes = claims.into_iter().collect();
    Ok(Verified {
        identity,
        audience,
        jti,
        expires_at,
    })
}

#[cfg(test)]
mod tests;
