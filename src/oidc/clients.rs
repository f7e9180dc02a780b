//! Relying parties ("clients"): registration rules, storage, and the one place a client's
//! secret is made and checked.
//!
//! A client belongs to an account; only that account's users sign in to it. Its secret is 256
//! random bits, shown once and stored as SHA-256 (there is nothing to guess in a secret that
//! long, so a slow hash would only slow every token request down).

use super::keys::{Algorithm, MAX_TOKEN_LIFETIME};
use crate::audit::EventSource;
use crate::clock::{random_string, Random};
use crate::context::ServiceContext;
use crate::iam::Call;
use crate::secrets::SecretString;
use crate::storage::locks::lock_account;
use crate::storage::schema::oidc_clients as clients;
use crate::storage::StorageError;
use chrono::NaiveDateTime;
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

/// Clients an account may have.
pub const MAX_CLIENTS: i64 = 1000;
const MAX_URIS: usize = 32;
const MAX_SCOPES: usize = 64;
const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The scopes with a meaning in OpenID Connect; any other scope a client is allowed is passed
/// through into access tokens for the client's own resource servers.
pub const OPENID_SCOPES: [&str; 5] = ["openid", "profile", "email", "groups", "offline_access"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client (a browser or native app): no secret, PKCE required.
    None,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::None,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn has_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub account_id: String,
    pub name: String,
    secret_hash: Option<String>,
    pub auth_method: AuthMethod,
    /// The client's public keys (JWKS JSON), for `private_key_jwt`.
    pub jwks: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    pub signing_alg: Algorithm,
    /// Seconds.
    pub access_token_lifetime: i64,
    pub id_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    pub consent_required: bool,
    pub created_at: NaiveDateTime,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    pub fn allows_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Whether `offered` is this client's secret (constant time).
    pub fn secret_matches(&self, offered: &str) -> bool {
        let Some(stored) = &self.secret_hash else {
            return false;
        };
        let offered = hash_secret(offered);
        bool::from(stored.as_bytes().ct_eq(offered.as_bytes()))
    }

    /// The ARN IAM policies name the client by.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:keyward::{}:oidc-client/{}",
            self.account_id, self.client_id
        )
    }

    /// The registration metadata, as the API and the CLI show it (never the secret).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "client_id": self.client_id,
            "account_id": self.account_id,
            "client_name": self.name,
            "token_endpoint_auth_method": self.auth_method,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
            "grant_types": self.grant_types,
            "scope": self.scopes.join(" "),
            "id_token_signed_response_alg": self.signing_alg.name(),
            "access_token_lifetime": self.access_token_lifetime,
            "id_token_lifetime": self.id_token_lifetime,
            "refresh_token_lifetime": self.refresh_token_lifetime,
            "consent_required": self.consent_required,
            "jwks": self.jwks.as_deref().and_then(super::client_keys::shown),
            "created_at": self.created_at.and_utc().to_rfc3339(),
        })
    }
}

fn hash_secret(secret: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Invalid(String),
    #[error("no client {0}")]
    NotFound(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for ClientError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(e.into())
    }
}

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
fn validate(
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
            if let Some(problem) = super::client_keys::set_problem(text) {
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
    })
}

fn new_secret(random: &dyn Random) -> String {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    BASE64URL_NOPAD.encode(&bytes)
}

/// A client as stored (lists as JSON arrays).
#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct Row {
    client_id: String,
    account_id: String,
    name: String,
    secret_hash: Option<String>,
    auth_method: String,
    jwks: Option<String>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: String,
    scopes: String,
    signing_alg: String,
    access_token_lifetime: i32,
    id_token_lifetime: i32,
    refresh_token_lifetime: i32,
    consent_required: bool,
    created_at: NaiveDateTime,
}

fn strings(text: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("client list: {e}")))
}

fn from_row(r: Row) -> Result<Client, StorageError> {
    let corrupt = |what: &str, v: &str| StorageError::Corrupt(format!("client {what} {v}"));
    Ok(Client {
        auth_method: AuthMethod::parse(&r.auth_method)
            .ok_or_else(|| corrupt("auth method", &r.auth_method))?,
        grant_types: strings(&r.grant_types)?
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant type", g)))
            .collect::<Result<_, _>>()?,
        signing_alg: Algorithm::parse(&r.signing_alg)
            .ok_or_else(|| corrupt("algorithm", &r.signing_alg))?,
        redirect_uris: strings(&r.redirect_uris)?,
        post_logout_redirect_uris: strings(&r.post_logout_redirect_uris)?,
        scopes: strings(&r.scopes)?,
        client_id: r.client_id,
        account_id: r.account_id,
        name: r.name,
        secret_hash: r.secret_hash,
        jwks: r.jwks,
        access_token_lifetime: i64::from(r.access_token_lifetime),
        id_token_lifetime: i64::from(r.id_token_lifetime),
        refresh_token_lifetime: i64::from(r.refresh_token_lifetime),
        consent_required: r.consent_required,
        created_at: r.created_at,
    })
}

fn to_json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

fn to_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Registers a client in the caller's account; returns it with its secret (shown once) when
/// it has one.
pub fn create(
    ctx: &ServiceContext,
    call: &Call,
    new: &NewClient,
) -> Result<(Client, Option<SecretString>), ClientError> {
    let now = ctx.clock.now_naive();
    let id = random_string(ctx.random.as_ref(), ID_ALPHABET, 24);
    let mut client = validate(new, &call.account_id, id, now)?;
    let secret = client
        .auth_method
        .has_secret()
        .then(|| new_secret(ctx.random.as_ref()));
    client.secret_hash = secret.as_deref().map(hash_secret);
    ctx.change(|conn| {
        lock_account(conn, &call.account_id)?;
        let count: i64 = clients::table
            .filter(clients::account_id.eq(&call.account_id))
            .count()
            .get_result(conn)?;
        if count >= MAX_CLIENTS {
            return Err(ClientError::LimitExceeded(format!(
                "an account may have at most {MAX_CLIENTS} OpenID Connect clients"
            )));
        }
        diesel::insert_into(clients::table)
            .values((
                clients::client_id.eq(&client.client_id),
                clients::account_id.eq(&client.account_id),
                clients::name.eq(&client.name),
                clients::secret_hash.eq(&client.secret_hash),
                clients::auth_method.eq(client.auth_method.name()),
                clients::jwks.eq(&client.jwks),
                clients::redirect_uris.eq(to_json_list(&client.redirect_uris)),
                clients::post_logout_redirect_uris
                    .eq(to_json_list(&client.post_logout_redirect_uris)),
                clients::grant_types.eq(to_json_list(
                    &client
                        .grant_types
                        .iter()
                        .map(|g| g.name().to_string())
                        .collect::<Vec<_>>(),
                )),
                clients::scopes.eq(to_json_list(&client.scopes)),
                clients::signing_alg.eq(client.signing_alg.name()),
                clients::access_token_lifetime.eq(to_i32(client.access_token_lifetime)),
                clients::id_token_lifetime.eq(to_i32(client.id_token_lifetime)),
                clients::refresh_token_lifetime.eq(to_i32(client.refresh_token_lifetime)),
                clients::consent_required.eq(client.consent_required),
                clients::created_at.eq(now),
            ))
            .execute(conn)?;
        call.record(
            ctx,
            conn,
            EventSource::Oidc,
            "CreateClient",
            client.to_json(),
        )?;
        Ok(())
    })?;
    Ok((client, secret.map(SecretString::from)))
}

/// A client by its id, in any account (the protocol endpoints know only the id).
pub fn find(ctx: &ServiceContext, client_id: &str) -> Result<Option<Client>, ClientError> {
    let row = ctx.store.query(|conn| {
        clients::table
            .find(client_id)
            .select(Row::as_select())
            .first::<Row>(conn)
            .optional()
            .map_err(StorageError::from)
    })?;
    Ok(row.map(from_row).transpose()?)
}

/// A client of `account_id`.
pub fn get(ctx: &ServiceContext, account_id: &str, client_id: &str) -> Result<Client, ClientError> {
    find(ctx, client_id)?
        .filter(|c| c.account_id == account_id)
        .ok_or_else(|| ClientError::NotFound(client_id.to_string()))
}

/// The account's clients, by name.
pub fn list(ctx: &ServiceContext, account_id: &str) -> Result<Vec<Client>, ClientError> {
    let rows = ctx.store.read(|conn| {
        clients::table
            .filter(clients::account_id.eq(account_id))
            .order((clients::name, clients::client_id))
            .select(Row::as_select())
            .load::<Row>(conn)
            .map_err(StorageError::from)
    })?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Deletes a client with its consents, grants and tokens.
pub fn delete(ctx: &ServiceContext, call: &Call, client_id: &str) -> Result<(), ClientError> {
    ctx.change(|conn| {
        let gone = diesel::delete(
            clients::table
                .filter(clients::client_id.eq(client_id))
                .filter(clients::account_id.eq(&call.account_id)),
        )
        .execute(conn)?;
        if gone == 0 {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        call.record(
            ctx,
            conn,
            EventSource::Oidc,
            "DeleteClient",
            json!({ "client_id": client_id }),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(c.secret_matches("s3cret"));
        assert!(!c.secret_matches("s3cret "));
        assert!(!c.secret_matches(""));
        c.secret_hash = None;
        assert!(!c.secret_matches(""));
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A valid confidential code client of `account_id`, for other modules' tests.
    pub fn client(account_id: &str) -> Client {
        let new = NewClient {
            name: "App".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            ..NewClient::default()
        };
        match validate(&new, account_id, "client".into(), NaiveDateTime::default()) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }
}
