//! The keys a `private_key_jwt` client registers (RFC 7523): public RSA, EC or OKP keys only.
//!
//! A client's JWK set is registration metadata that anyone allowed `keyward:GetOidcClient`
//! reads back. A symmetric (`oct`) key there is a shared secret on display, and it would let
//! whoever reads it sign the client's assertions; a key with private members (`d`, `p`, ...)
//! is the client's private key handed to the provider. Both are refused at registration, and a
//! client stored with one before this rule is refused at the token endpoint and its keys are
//! not shown.

use serde_json::Value;

/// The key types whose public half verifies an assertion (RFC 7518 §6, RFC 8037 §2).
const PUBLIC_KEY_TYPES: [&str; 3] = ["RSA", "EC", "OKP"];

/// JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1;
/// RFC 8037 §2). Dropping one from this list would let that secret be stored and shown.
const SECRET_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why `key` (one member of a JWK set's `keys`) cannot be a client's verification key, if it
/// cannot: not a public RSA, EC or OKP key, or an HMAC algorithm.
pub fn key_problem(key: &Value) -> Option<&'static str> {
    let Some(members) = key.as_object() else {
        return Some("every key in jwks must be a JSON object");
    };
    match members.get("kty").and_then(Value::as_str) {
        Some(kty) if PUBLIC_KEY_TYPES.contains(&kty) => {}
        Some("oct") => {
            return Some("jwks must not hold symmetric (oct) keys: private_key_jwt needs public RSA, EC or OKP keys")
        }
        _ => return Some("every key in jwks must be a public RSA, EC or OKP key"),
    }
    if SECRET_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Some("jwks must hold public keys only, and one carries private key members (d, p, q, ...): register its public half, and replace the key, as it is no longer private");
    }
    let alg = members
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg.is_empty() || alg.starts_with("HS") {
        return Some("every key in jwks needs an alg for signatures by a public key (RS256, PS256, ES256, EdDSA, ...)");
    }
    None
}

/// The first problem of any key in the JWK set `text`.
pub fn set_problem(text: &str) -> Option<&'static str> {
    let Ok(set) = serde_json::from_str::<Value>(text) else {
        return Some("jwks is not a JWK set");
    };
    let Some(keys) = set.get("keys").and_then(Value::as_array) else {
        return Some("jwks is not a JWK set (no keys array)");
    };
    keys.iter().find_map(key_problem)
}

/// The JWK set `text` as it may be shown: only the keys with no problem.
pub fn shown(text: &str) -> Option<Value> {
    let mut set = serde_json::from_str::<Value>(text).ok()?;
    if let Some(keys) = set.get_mut("keys").and_then(Value::as_array_mut) {
        keys.retain(|k| key_problem(k).is_none());
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn public_keys_pass_and_secrets_are_named() {
        let rsa = json!({"kty": "RSA", "alg": "RS256", "n": "AQAB", "e": "AQAB"});
        assert_eq!(key_problem(&rsa), None);
        let oct = json!({"kty": "oct", "alg": "HS256", "k": "c2VjcmV0"});
        assert!(key_problem(&oct).is_some_and(|p| p.contains("oct")));
        let mut private = rsa.clone();
        private["d"] = json!("AQAB");
        assert!(key_problem(&private).is_some_and(|p| p.contains("private")));
        let set = json!({"keys": [rsa, oct]}).to_string();
        assert!(set_problem(&set).is_some());
        assert_eq!(shown(&set), Some(json!({"keys": [rsa]})));
        assert!(set_problem("[]").is_some());
    }
}
