//! Client authentication at the token, revocation and introspection endpoints: HTTP Basic
//! (`client_secret_basic`), the form (`client_secret_post`), a signed assertion
//! (`private_key_jwt`, RFC 7523), or none for public clients. A client authenticates only the
//! way it registered; one request uses one method.

use super::clients::{AuthMethod, Client};
use super::error::OAuthError;
use super::grants;
use super::params::Params;
use super::Provider;
use data_encoding::BASE64;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may be valid for.
const MAX_ASSERTION_LIFETIME: i64 = 3600;

/// How the request tried to authenticate.
enum Presented {
    Basic {
        id: String,
        secret: String,
    },
    Post {
        id: String,
        secret: String,
    },
    Assertion {
        id: Option<String>,
        assertion: String,
    },
    None {
        id: String,
    },
}

/// `Authorization: Basic`, form-decoded parts (RFC 6749 section 2.3.1).
fn basic(authorization: Option<&str>) -> Result<Option<(String, String)>, OAuthError> {
    let Some(text) = authorization else {
        return Ok(None);
    };
    let bad =
        || OAuthError::invalid_client("the Authorization header is not valid HTTP Basic", true);
    let Some(encoded) = text
        .strip_prefix("Basic ")
        .or_else(|| text.strip_prefix("basic "))
    else {
        return Err(bad());
    };
    let decoded = BASE64
        .decode(encoded.trim().as_bytes())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| bad())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

fn presented(authorization: Option<&str>, params: &Params) -> Result<Presented, OAuthError> {
    let basic = basic(authorization)?;
    let secret = params.get("client_secret")?;
    let assertion = params.get("client_assertion")?;
    let id = params.get("client_id")?;
    let methods = usize::from(basic.is_some())
        + usize::from(secret.is_some())
        + usize::from(assertion.is_some());
    if methods > 1 {
        return Err(OAuthError::invalid_request(
            "the client authenticated in more than one way",
        ));
    }
    if let Some((basic_id, secret)) = basic {
        if id.is_some_and(|id| id != basic_id) {
            return Err(OAuthError::invalid_request(
                "client_id differs from the Basic user",
            ));
        }
        return Ok(Presented::Basic {
            id: basic_id,
            secret,
        });
    }
    if let Some(secret) = secret {
        let id =
            id.ok_or_else(|| OAuthError::invalid_request("client_secret without client_id"))?;
        return Ok(Presented::Post {
            id: id.to_string(),
            secret: secret.to_string(),
        });
    }
    if let Some(assertion) = assertion {
        if params.get("client_assertion_type")? != Some(ASSERTION_TYPE) {
            return Err(OAuthError::invalid_request(format!(
                "client_assertion_type must be {ASSERTION_TYPE}"
            )));
        }
        return Ok(Presented::Assertion {
            id: id.map(str::to_string),
            assertion: assertion.to_string(),
        });
    }
    match id {
        Some(id) => Ok(Presented::None { id: id.to_string() }),
        None => Err(OAuthError::invalid_client(
            "no client authentication",
            false,
        )),
    }
}

/// The client the request authenticates as (`authorization`: the request's Authorization
/// header). Runs on a thread that may block.
pub fn authenticate(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
) -> Result<Client, OAuthError> {
    let presented = presented(authorization, params)?;
    let (id, method, basic) = match &presented {
        Presented::Basic { id, .. } => (Some(id.clone()), AuthMethod::ClientSecretBasic, true),
        Presented::Post { id, .. } => (Some(id.clone()), AuthMethod::ClientSecretPost, false),
        Presented::Assertion { id, assertion } => (
            id.clone().or_else(|| assertion_subject(assertion)),
            AuthMethod::PrivateKeyJwt,
            false,
        ),
        Presented::None { id } => (Some(id.clone()), AuthMethod::None, false),
    };
    let refused = || OAuthError::invalid_client("client authentication failed", basic);
    let id = id.ok_or_else(refused)?;
    let client = provider.client(&id)?.ok_or_else(refused)?;
    if client.auth_method != method {
        return Err(OAuthError::invalid_client(
            format!(
                "the client authenticates with {}, not {}",
                client.auth_method.name(),
                method.name()
            ),
            basic,
        ));
    }
    let ok = match &presented {
        Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
            client.secret_matches(secret, provider.ctx.clock.now_naive())
        }
        Presented::Assertion { assertion, .. } => check_assertion(provider, &client, assertion)?,
        Presented::None { .. } => true,
    };
    if ok {
        Ok(client)
    } else {
        Err(refused())
    }
}

/// The `sub` of an assertion, read before it is checked (only to find the client).
fn assertion_subject(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(payload.as_bytes())
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_string)
}

/// Checks a `private_key_jwt` assertion: signed by one of the client's keys, `iss` and `sub`
/// the client, `aud` this provider's token endpoint or issuer, not expired, not too long
/// lived, and its `jti` never seen before.
fn check_assertion(
    provider: &Provider,
    client: &Client,
    assertion: &str,
) -> Result<bool, OAuthError> {
    let Some(jwks) = client.jwks.as_deref() else {
        return Ok(false);
    };
    if let Some(problem) = super::client_keys::set_problem(jwks) {
        tracing::warn!(client_id = %client.client_id, problem, "a private_key_jwt client's stored keys are refused; register public keys again");
        return Ok(false);
    }
    let set: JwkSet = serde_json::from_str(jwks).map_err(OAuthError::server_error)?;
    let Ok(header) = jsonwebtoken::decode_header(assertion) else {
        return Ok(false);
    };
    let candidates = set
        .keys
        .iter()
        .filter(|k| match (&header.kid, &k.common.key_id) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        });
    let mut claims = None;
    for jwk in candidates {
        let Some(alg) = jwk
            .common
            .key_algorithm
            .and_then(|a| jsonwebtoken::Algorithm::try_from(a).ok())
        else {
            continue;
        };
        if alg != header.alg {
            continue;
        }
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        if let Ok(data) = jsonwebtoken::decode::<Value>(assertion, &key, &validation) {
            claims = Some(data.claims);
            break;
        }
    }
    let Some(claims) = claims else {
        return Ok(false);
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(&client.client_id) || text("sub") != Some(&client.client_id) {
        return Ok(false);
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let token_url = provider.url("/oauth2/token");
    if !audiences
        .iter()
        .any(|a| *a == token_url || *a == provider.issuer())
    {
        return Ok(false);
    }
    let now = provider.ctx.clock.now().timestamp();
    let Some(exp) = claims.get("exp").and_then(Value::as_i64) else {
        return Ok(false);
    };
    if exp <= now || exp > now + MAX_ASSERTION_LIFETIME {
        return Ok(false);
    }
    let Some(jti) = text("jti") else {
        return Ok(false);
    };
    let expires = chrono::DateTime::from_timestamp(exp, 0)
        .map(|t| t.naive_utc())
        .unwrap_or_default();
    let now = provider.ctx.clock.now_naive();
    let first = provider
        .ctx
        .store
        .write(|conn| grants::first_use_of_assertion(conn, &client.client_id, jti, expires, now))?;
    Ok(first)
}
