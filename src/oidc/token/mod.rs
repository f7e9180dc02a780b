//! The token endpoint (`POST /oauth2/token`): client authentication, then one grant type per
//! file. Every answer carries `Cache-Control: no-store`; every issuance is audited.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use super::claims::{add_profile_claims, Profile};
use super::client_auth;
use super::clients::{Client, GrantType};
use super::error::OAuthError;
use super::grants::Grant;
use super::jwt::{self, ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE};
use super::params::Params;
use super::Provider;
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// A successful token response (RFC 6749 section 5.1, OpenID Connect's `id_token`).
#[derive(Debug, Serialize)]
pub struct Issued {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The Content-Type of a form, whatever its parameters.
pub(super) fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The request's Authorization header, as text.
pub(super) fn authorization(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub async fn handle(
    req: HttpRequest,
    provider: web::Data<Provider>,
    body: web::Bytes,
) -> HttpResponse {
    if !is_form(&req) {
        return OAuthError::invalid_request(
            "the token request must be a form (application/x-www-form-urlencoded)",
        )
        .response();
    }
    let params = Params::parse(&body);
    let authorization = authorization(&req);
    let meta = crate::http::request_meta(&req);
    let p = provider.clone();
    let result = web::block(move || token(&p, authorization.as_deref(), &params, &meta)).await;
    match result.map_err(OAuthError::from).and_then(|r| r) {
        Ok(issued) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(issued),
        Err(e) => e.response(),
    }
}

fn token(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
    meta: &RequestMeta,
) -> Result<Issued, OAuthError> {
    let grant_type = params.require("grant_type")?.to_string();
    let client = match client_auth::authenticate(provider, authorization, params) {
        Ok(client) => client,
        Err(e) => {
            let id = params.get("client_id").ok().flatten().unwrap_or_default();
            audit_failure(provider, meta, &grant_type, id, None, &e);
            return Err(e);
        }
    };
    let Some(grant) = GrantType::parse(&grant_type) else {
        return Err(OAuthError::unsupported_grant_type(format!(
            "Keyward does not support the grant type {grant_type}"
        )));
    };
    if !client.allows(grant) {
        return Err(OAuthError::unauthorized_client(format!(
            "the client may not use the grant type {grant_type}"
        )));
    }
    let outcome = match grant {
        GrantType::AuthorizationCode => {
            authorization_code::exchange(provider, &client, params, meta)
        }
        GrantType::RefreshToken => refresh_token::refresh(provider, &client, params, meta),
        GrantType::ClientCredentials => client_credentials::issue(provider, &client, params),
    };
    match &outcome {
        Ok((issued, subject)) => {
            // The client makes the request; the user (or, for client_credentials, the client
            // itself) is the token's subject.
            let event = AuditEvent::new(EventSource::Oidc, "CreateToken")
                .account(&client.account_id)
                .actor(client.arn())
                .parameters(json!({
                    "grantType": grant_type,
                    "clientId": client.client_id,
                    "subject": subject,
                    "scope": issued.scope,
                }));
            provider
                .audit
                .push(provider.ctx.clock.now_naive(), meta, event);
        }
        Err(e) => audit_failure(
            provider,
            meta,
            &grant_type,
            &client.client_id,
            Some(&client),
            e,
        ),
    }
    outcome.map(|(issued, _)| issued)
}

fn audit_failure(
    provider: &Provider,
    meta: &RequestMeta,
    grant_type: &str,
    client_id: &str,
    client: Option<&Client>,
    error: &OAuthError,
) {
    if error.code == "server_error" {
        return;
    }
    let mut event = AuditEvent::new(EventSource::Oidc, "CreateToken")
        .parameters(json!({ "grantType": grant_type, "clientId": client_id }))
        .failed(error.code, error.description.clone());
    if let Some(client) = client {
        event = event.account(&client.account_id).actor(client.arn());
    }
    provider
        .audit
        .push(provider.ctx.clock.now_naive(), meta, event);
}

/// Audits a security event of a grant (a replayed code, a reused refresh token).
pub(super) fn audit_revocation(
    provider: &Provider,
    meta: &RequestMeta,
    grant: &Grant,
    reason: &str,
) {
    let event = AuditEvent::new(EventSource::Oidc, "RevokeGrant")
        .account(&grant.account_id)
        .parameters(
            json!({ "clientId": grant.client_id, "subject": grant.subject, "reason": reason }),
        );
    provider
        .audit
        .push(provider.ctx.clock.now_naive(), meta, event);
}

/// The user's profile, when `scope` asks for claims beyond `sub`. (The grant itself shows
/// that the user exists: deleting a user deletes its grants.)
pub(super) fn profile_for(
    provider: &Provider,
    grant: &Grant,
    scope: &str,
) -> Result<Option<Profile>, OAuthError> {
    if !scope.split(' ').any(super::claims::needs_profile) {
        return Ok(None);
    }
    provider
        .ctx
        .store
        .read(|conn| match grant.principal() {
            Some(principal) => super::claims::profile(conn, &grant.account_id, &principal),
            None => Ok(None),
        })?
        .map(Some)
        .ok_or_else(|| OAuthError::invalid_grant("the user no longer exists"))
}

/// The access token and (with `openid`) the ID token of a user's grant, with `scope` (the
/// grant's or a narrower one). The ID token has `at_hash`; `c_hash` belongs to flows that
/// return an ID token with the code, which Keyward does not offer (`response_type=code`
/// only).
pub(super) fn user_tokens(
    provider: &Provider,
    client: &Client,
    grant: &Grant,
    profile: Option<&Profile>,
    scope: &str,
    refresh_token: Option<String>,
) -> Result<Issued, OAuthError> {
    let key = provider.keys.signer(&provider.ctx, client.signing_alg)?;
    let now = provider.ctx.clock.now().timestamp();
    let issuer = provider.issuer();
    let amr = grant.amr();
    let jti = format!(
        "{}.{}",
        grant.id,
        super::grants::new_grant_id(provider.ctx.random.as_ref())
    );
    let access = json!({
        "iss": issuer,
        "sub": grant.subject,
        "aud": client.client_id,
        "exp": now + client.access_token_lifetime,
        "iat": now,
        "jti": jti,
        "client_id": client.client_id,
        "scope": scope,
        "auth_time": crate::signin::sessions::unix_seconds(grant.auth_time),
        "acr": grant.acr,
        "amr": amr,
    });
    let access_token = jwt::sign(&key, ACCESS_TOKEN_TYPE, &access)?;
    let id_token = if scope.split(' ').any(|s| s == "openid") {
        let mut claims = Map::new();
        claims.insert("iss".into(), issuer.into());
        claims.insert("sub".into(), grant.subject.clone().into());
        claims.insert("aud".into(), client.client_id.clone().into());
        claims.insert("azp".into(), client.client_id.clone().into());
        claims.insert("exp".into(), (now + client.id_token_lifetime).into());
        claims.insert("iat".into(), now.into());
        claims.insert(
            "auth_time".into(),
            crate::signin::sessions::unix_seconds(grant.auth_time).into(),
        );
        if let Some(nonce) = &grant.nonce {
            claims.insert("nonce".into(), nonce.clone().into());
        }
        claims.insert("acr".into(), grant.acr.clone().into());
        claims.insert("amr".into(), amr.into());
        claims.insert(
            "at_hash".into(),
            jwt::half_hash(client.signing_alg, &access_token).into(),
        );
        if let Some(profile) = profile {
            add_profile_claims(&mut claims, profile, scope.split(' '));
        }
        Some(jwt::sign(&key, ID_TOKEN_TYPE, &Value::Object(claims))?)
    } else {
        None
    };
    Ok(Issued {
        access_token,
        token_type: "Bearer",
        expires_in: client.access_token_lifetime,
        scope: scope.to_string(),
        id_token,
        refresh_token,
    })
}
