//! A client's registration: the request ([`NewClient`]) and the rules and defaults applied to it
//! (names, redirect URIs, grant types, scopes, token lifetimes, keys).

use super::{AuthMethod, Client, ClientError, GrantType, MAX_SCOPES, MAX_URIS};
use crate::oidc::keys::{Algorithm, MAX_TOKEN_LIFETIME};
use chrono::NaiveDateTime;
use url::Url;

/// A registration request. Unset fields take their defaults.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub auth_method: Option<AuthMethod>,
    pub jwks: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    pub signing_alg: Option<Algorithm>,
    pub access_token_lifetime: Option<i64>,
    pub id_token_lifetime: Option<i64>,
    pub refresh_token_lifetime: Option<i64>,
    pub consent_required: Option<bool>,
}

/// A change to a registration: the fields that are set replace the stored ones; the client
/// id, the way the client authenticates and its secret stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ClientChange {
    pub name: Option<String>,
    pub jwks: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<GrantType>>,
    pub scopes: Option<Vec<String>>,
    pub signing_alg: Option<Algorithm>,
    pub access_token_lifetime: Option<i64>,
    pub id_token_lifetime: Option<i64>,
    pub refresh_token_lifetime: Option<i64>,
    pub consent_required: Option<bool>,
}

impl ClientChange {
    /// The registration `client` would have after this change, before the rules are applied.
    pub(super) fn applied_to(&self, client: &Client) -> NewClient {
        let or = |set: &Option<Vec<String>>, was: &Vec<String>| set.clone().unwrap_or(was.clone());
        NewClient {
            name: self.name.clone().unwrap_or(client.name.clone()),
            auth_method: Some(client.auth_method),
            jwks: self.jwks.clone().or(client.jwks.clone()),
            redirect_uris: or(&self.redirect_uris, &client.redirect_uris),
            post_logout_redirect_uris: or(
                &self.post_logout_redirect_uris,
                &client.post_logout_redirect_uris,
            ),
            grant_types: self
                .grant_types
                .clone()
                .unwrap_or(client.grant_types.clone()),
            // An emptied list of scopes means the defaults, as at registration.
            scopes: or(&self.scopes, &client.scopes),
            signing_alg: Some(self.signing_alg.unwrap_or(client.signing_alg)),
            access_token_lifetime: Some(
                self.access_token_lifetime
                    .unwrap_or(client.access_token_lifetime),
            ),
            id_token_lifetime: Some(self.id_token_lifetime.unwrap_or(client.id_token_lifetime)),
            refresh_token_lifetime: Some(
                self.refresh_token_lifetime
                    .unwrap_or(client.refresh_token_lifetime),
            ),
            consent_required: Some(self.consent_required.unwrap_or(client.consent_required)),
        }
    }
}

fn invalid<T>(text: impl Into<String>) -> Result<T, ClientError> {
    Err(ClientError::Invalid(text.into()))
}

/// Whether `uri` may be a redirect (or post-logout redirect) URI: absolute, no fragment, and
/// https, except plain http to the loopback interface for native apps and development
/// (RFC 8252); a private-use scheme (`com.example.app:/cb`) is allowed for native apps.
pub fn check_redirect_uri(uri: &str) -> Result<(), ClientError> {
    let Ok(url) = Url::parse(uri) else {
        return invalid(format!("{uri} is not an absolute URI"));
    };
    if url.fragment().is_some() {
        return invalid(format!("{uri} has a fragment; redirect URIs must not"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                invalid(format!(
                    "{uri} uses http; only https, or http to localhost or a loopback address, is allowed"
                ))
            }
        }
        "javascript" | "data" | "file" | "vbscript" | "blob" => {
            invalid(format!("{uri} has a scheme that cannot be a redirect URI"))
        }
        scheme if scheme.contains('.') => Ok(()),
        _ => invalid(format!(
            "{uri}: a native app's private-use scheme must be a reversed domain name (com.example.app)"
        )),
    }
}

fn check_scope(scope: &str) -> Result<(), ClientError> {
    let ok = !scope.is_empty()
        && scope.len() <= 128
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":._/-".contains(&b));
    if ok {
        Ok(())
    } else {
        invalid(format!(
            "{scope:?} is not a valid scope (letters, digits and : . _ / - only)"
        ))
    }
}

fn lifetime(value: Option<i64>, default: i64, max: i64, what: &str) -> Result<i64, ClientError> {
    let v = value.unwrap_or(default);
    if (60..=max).contains(&v) {
        Ok(v)
    } else {
        invalid(format!("{what} must be between 60 and {max} seconds"))
    }
}

fn dedup<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// Applies the registration rules and defaults.
pub(super) fn validate(
    new: &NewClient,
    account_id: &str,
    client_id: String,
    now: NaiveDateTime,
) -> Result<Client, ClientError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return invalid("the client name must have 1 to 128 characters");
    }
    let auth_method = new.auth_method.unwrap_or(AuthMethod::ClientSecretBasic);
    let mut grant_types = if new.grant_types.is_empty() {
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    } else {
        dedup(&new.grant_types)
    };
    grant_types.sort_by_key(|g| GrantType::ALL.iter().position(|x| x == g));
    let code = grant_types.contains(&GrantType::AuthorizationCode);
    if grant_types.contains(&GrantType::RefreshToken) && !code {
        return invalid("refresh_token needs the authorization_code grant");
    }
    if auth_method == AuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
        return invalid(
            "a public client (token_endpoint_auth_method none) cannot use client_credentials",
        );
    }
    let redirect_uris = dedup(&new.redirect_uris);
    let post_logout_redirect_uris = dedup(&new.post_logout_redirect_uris);
    if code && redirect_uris.is_empty() {
        return invalid("the authorization_code grant needs at least one redirect URI");
    }
    if redirect_uris.len() > MAX_URIS || post_logout_redirect_uris.len() > MAX_URIS {
        return invalid(format!("at most {MAX_URIS} redirect URIs of each kind"));
    }
    for uri in redirect_uris.iter().chain(&post_logout_redirect_uris) {
        check_redirect_uri(uri)?;
    }
    let scopes = if new.scopes.is_empty() {
        let mut s = vec!["openid", "profile", "email", "groups"];
        if grant_types.contains(&GrantType::RefreshToken) {
            s.push("offline_access");
        }
        s.into_iter().map(String::from).collect()
    } else {
        dedup(&new.scopes)
    };
    if scopes.len() > MAX_SCOPES {
        return invalid(format!("at most {MAX_SCOPES} scopes"));
    }
    for scope in &scopes {
        check_scope(scope)?;
    }
    let jwks = match (auth_method, &new.jwks) {
        (AuthMethod::PrivateKeyJwt, None) => {
            return invalid("private_key_jwt needs the client's public keys (jwks)")
        }
        (AuthMethod::PrivateKeyJwt, Some(text)) => {
            let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(text)
                .map_err(|e| ClientError::Invalid(format!("jwks is not a JWK set: {e}")))?;
            if set.keys.is_empty() {
                return invalid("jwks has no keys");
            }
            if let Some(problem) = crate::oidc::client_keys::set_problem(text) {
                return invalid(problem);
            }
            for key in &set.keys {
                if key.common.key_algorithm.is_none()
                    || jsonwebtoken::DecodingKey::from_jwk(key).is_err()
                {
                    return invalid(
                        "every key in jwks must be a public RSA, EC or OKP key with an alg",
                    );
                }
            }
            Some(serde_json::to_string(&set).map_err(|e| ClientError::Invalid(e.to_string()))?)
        }
        (_, Some(_)) => return invalid("jwks is only for private_key_jwt clients"),
        (_, None) => None,
    };
    let max = MAX_TOKEN_LIFETIME.num_seconds();
    Ok(Client {
        client_id,
        account_id: account_id.to_string(),
        name: name.to_string(),
        secret_hash: None,
        auth_method,
        jwks,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        scopes,
        signing_alg: new.signing_alg.unwrap_or(Algorithm::Rs256),
        access_token_lifetime: lifetime(
            new.access_token_lifetime,
            3600,
            max,
            "access_token_lifetime",
        )?,
        id_token_lifetime: lifetime(new.id_token_lifetime, 3600, max, "id_token_lifetime")?,
        refresh_token_lifetime: lifetime(
            new.refresh_token_lifetime,
            30 * 86_400,
            365 * 86_400,
            "refresh_token_lifetime",
        )?,
        consent_required: new.consent_required.unwrap_or(true),
        created_at: now,
        previous_secret_hash: None,
        previous_secret_until: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::hash_secret;
    use super::*;
    use data_encoding::BASE64URL_NOPAD;
    use serde_json::json;

    fn at() -> NaiveDateTime {
        NaiveDateTime::default()
    }

    fn web(uris: &[&str]) -> NewClient {
        NewClient {
            name: "App".into(),
            redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
            ..NewClient::default()
        }
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http_or_a_private_scheme() {
        for ok in [
            "https://app.example.com/cb",
            "http://localhost:3000/cb",
            "http://127.0.0.1:8000/cb?x=1",
            "http://[::1]/cb",
            "com.example.app:/callback",
        ] {
            assert!(check_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "/relative",
            "javascript:alert(1)",
            "data:text/html,hi",
            "myapp:/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_are_a_confidential_code_client_with_refresh_and_consent() {
        let c = validate(
            &web(&["https://a.example/cb"]),
            "111122223333",
            "id".into(),
            at(),
        );
        let Ok(c) = c else { panic!("{c:?}") };
        assert_eq!(c.auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(
            c.grant_types,
            [GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(
            c.scopes,
            ["openid", "profile", "email", "groups", "offline_access"]
        );
        assert_eq!(c.signing_alg, Algorithm::Rs256);
        assert!(c.consent_required);
    }

    #[test]
    fn registration_rules() {
        let no_uri = web(&[]);
        assert!(validate(&no_uri, "a", "id".into(), at()).is_err());
        let public_service = NewClient {
            auth_method: Some(AuthMethod::None),
            grant_types: vec![GrantType::ClientCredentials],
            ..web(&[])
        };
        assert!(validate(&public_service, "a", "id".into(), at()).is_err());
        let refresh_only = NewClient {
            grant_types: vec![GrantType::RefreshToken],
            ..web(&["https://a.example/cb"])
        };
        assert!(validate(&refresh_only, "a", "id".into(), at()).is_err());
        let keyless = NewClient {
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            ..web(&["https://a.example/cb"])
        };
        assert!(validate(&keyless, "a", "id".into(), at()).is_err());
        let long = NewClient {
            access_token_lifetime: Some(2 * 86_400),
            ..web(&["https://a.example/cb"])
        };
        assert!(validate(&long, "a", "id".into(), at()).is_err());
        let service = NewClient {
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["orders:read".into()],
            ..web(&[])
        };
        assert!(validate(&service, "a", "id".into(), at()).is_ok());
    }

    #[test]
    fn private_key_jwt_takes_public_rsa_ec_or_okp_keys_only() {
        let n = BASE64URL_NOPAD.encode(&[0xc5; 256]);
        let x = BASE64URL_NOPAD.encode(&[7; 32]);
        let with = |key: serde_json::Value| NewClient {
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["orders:read".into()],
            jwks: Some(json!({ "keys": [key] }).to_string()),
            ..web(&[])
        };
        let rsa = json!({"kty": "RSA", "alg": "RS256", "kid": "r", "n": n, "e": "AQAB"});
        let okp = json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "o", "x": x});
        for good in [&rsa, &okp] {
            let c = validate(&with(good.clone()), "a", "id".into(), at());
            assert!(c.is_ok(), "{good}: {c:?}");
        }
        let mut refused = vec![
            json!({"kty": "oct", "alg": "HS256", "kid": "s", "k": "c2VjcmV0LXNoYXJlZC13aXRoLWtleXdhcmQ"}),
            json!({"kty": "RSA", "alg": "HS256", "kid": "h", "n": n, "e": "AQAB"}),
        ];
        for (member, base) in [
            ("d", &rsa),
            ("p", &rsa),
            ("q", &rsa),
            ("qi", &rsa),
            ("d", &okp),
        ] {
            let mut key = base.clone();
            key[member] = json!(x);
            refused.push(key);
        }
        for bad in refused {
            match validate(&with(bad.clone()), "a", "id".into(), at()) {
                Err(ClientError::Invalid(text)) => assert!(text.contains("jwks"), "{text}"),
                other => panic!("{bad} was accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn secrets_match_only_themselves() {
        let Ok(mut c) = validate(&web(&["https://a.example/cb"]), "a", "id".into(), at()) else {
            panic!("valid")
        };
        c.secret_hash = Some(hash_secret("s3cret"));
        assert!(c.secret_matches("s3cret", at()));
        assert!(!c.secret_matches("s3cret ", at()));
        assert!(!c.secret_matches("", at()));
        c.secret_hash = None;
        assert!(!c.secret_matches("", at()));
    }

    #[test]
    fn a_replaced_secret_matches_only_until_its_grace_period_ends() {
        let Ok(mut c) = validate(&web(&["https://a.example/cb"]), "a", "id".into(), at()) else {
            panic!("valid")
        };
        let until = at() + chrono::Duration::hours(1);
        c.secret_hash = Some(hash_secret("new"));
        c.previous_secret_hash = Some(hash_secret("old"));
        c.previous_secret_until = Some(until);
        let before = until - chrono::Duration::seconds(1);
        assert!(c.secret_matches("new", before));
        assert!(c.secret_matches("old", before));
        assert_eq!(c.previous_secret_valid_until(before), Some(until));
        assert!(c.secret_matches("new", until));
        assert!(
            !c.secret_matches("old", until),
            "the grace period has ended"
        );
        assert_eq!(c.previous_secret_valid_until(until), None);
        assert!(!c.secret_matches("older", before));
    }
}
