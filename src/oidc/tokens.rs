//! Checking the provider's own tokens: access tokens for UserInfo and introspection, and the
//! revocation (RFC 7009) and introspection (RFC 7662) endpoints.
//!
//! An access token is active when its signature, issuer and expiry hold, its `jti` was not
//! revoked, and its grant (named by the part of the `jti` before the dot) is alive.

use super::client_auth;
use super::clients::Client;
use super::error::OAuthError;
use super::grants;
use super::jwt::{self, ACCESS_TOKEN_TYPE};
use super::params::Params;
use super::token::{authorization, is_form};
use super::Provider;
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// The claims of an active access token; `None` when it is not one.
pub fn active_access_token(provider: &Provider, token: &str) -> Result<Option<Value>, OAuthError> {
    let ctx = &provider.ctx;
    let claims = match jwt::verify(
        &provider.keys,
        ctx,
        provider.issuer(),
        token,
        ACCESS_TOKEN_TYPE,
        false,
    ) {
        Ok(claims) => claims,
        Err(jwt::TokenError::Keys(e)) => return Err(e.into()),
        Err(_) => return Ok(None),
    };
    let Some(jti) = claims.get("jti").and_then(Value::as_str) else {
        return Ok(None);
    };
    let now = ctx.clock.now_naive();
    let alive = ctx.store.read(|conn| {
        if grants::access_token_revoked(conn, jti)? {
            return Ok(false);
        }
        match jti.split_once('.') {
            Some((grant_id, _)) => {
                Ok(grants::find_grant(conn, grant_id)?.is_some_and(|g| g.alive(now)))
            }
            None => Ok::<_, crate::storage::StorageError>(true),
        }
    })?;
    Ok(alive.then_some(claims))
}

/// A form request from an authenticated client: its parameters and the client.
async fn authenticated(
    req: &HttpRequest,
    provider: &web::Data<Provider>,
    body: web::Bytes,
) -> Result<(Params, Client), OAuthError> {
    if !is_form(req) {
        return Err(OAuthError::invalid_request("the request must be a form"));
    }
    let params = Params::parse(&body);
    let authorization = authorization(req);
    let p = provider.clone();
    let checked = params.clone();
    let client =
        web::block(move || client_auth::authenticate(&p, authorization.as_deref(), &checked))
            .await??;
    Ok((params, client))
}

/// `POST /oauth2/revoke`. A refresh token revokes its whole grant; an access token is
/// revoked alone. Tokens that are unknown, already revoked or another client's are answered
/// like the rest (200), as RFC 7009 asks, so that the endpoint tells nothing about them.
pub async fn revoke(
    req: HttpRequest,
    provider: web::Data<Provider>,
    body: web::Bytes,
) -> HttpResponse {
    let meta = crate::http::request_meta(&req);
    let (params, client) = match authenticated(&req, &provider, body).await {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let p = provider.clone();
    let done = web::block(move || revoke_token(&p, &client, &params, &meta)).await;
    match done.map_err(OAuthError::from).and_then(|r| r) {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(e) => e.response(),
    }
}

fn revoke_token(
    provider: &Provider,
    client: &Client,
    params: &Params,
    meta: &RequestMeta,
) -> Result<(), OAuthError> {
    let token = params.require("token")?;
    let hint = params.get("token_type_hint")?;
    if let Some(h) = hint {
        if h != "access_token" && h != "refresh_token" {
            return Err(OAuthError::unsupported_token_type(format!(
                "Keyward does not know the token type {h}"
            )));
        }
    }
    let ctx = &provider.ctx;
    let now = ctx.clock.now_naive();
    let refresh = ctx
        .store
        .read(|conn| grants::find_refresh_token(conn, token))?;
    let revoked = if let Some(found) = refresh.filter(|f| f.grant.client_id == client.client_id) {
        ctx.store
            .write(|conn| grants::revoke(conn, &found.grant.id, now))?;
        Some(("refresh_token", found.grant.subject))
    } else if let Some(claims) = active_access_token(provider, token)? {
        let mine = claims.get("client_id").and_then(Value::as_str) == Some(&client.client_id);
        let jti = claims.get("jti").and_then(Value::as_str);
        let exp = claims.get("exp").and_then(Value::as_i64);
        match (mine, jti, exp) {
            (true, Some(jti), Some(exp)) => {
                let until = chrono::DateTime::from_timestamp(exp, 0)
                    .map(|t| t.naive_utc())
                    .unwrap_or(now);
                ctx.store
                    .write(|conn| grants::revoke_access_token(conn, jti, until))?;
                let sub = claims
                    .get("sub")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Some(("access_token", sub.to_string()))
            }
            _ => None,
        }
    } else {
        None
    };
    if let Some((kind, subject)) = revoked {
        let event = AuditEvent::new(EventSource::Oidc, "RevokeToken")
            .account(&client.account_id)
            .actor(client.arn())
            .parameters(
                json!({ "clientId": client.client_id, "tokenType": kind, "subject": subject }),
            );
        provider.audit.push(now, meta, event);
    }
    Ok(())
}

/// `POST /oauth2/introspect`, for clients of the token's account: `{"active": false}` for
/// anything that is not an active token of that account.
pub async fn introspect(
    req: HttpRequest,
    provider: web::Data<Provider>,
    body: web::Bytes,
) -> HttpResponse {
    let (params, client) = match authenticated(&req, &provider, body).await {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let p = provider.clone();
    let answer = web::block(move || introspection(&p, &client, &params)).await;
    match answer.map_err(OAuthError::from).and_then(|r| r) {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body),
        Err(e) => e.response(),
    }
}

fn introspection(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<Value, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "introspection is for clients that authenticate; a public client cannot",
            false,
        ));
    }
    let token = params.require("token")?;
    let inactive = json!({ "active": false });
    let ctx = &provider.ctx;
    let now = ctx.clock.now_naive();
    let same_account = |client_id: &str| -> Result<bool, OAuthError> {
        Ok(provider
            .client(client_id)?
            .is_some_and(|c| c.account_id == client.account_id))
    };
    if let Some(claims) = active_access_token(provider, token)? {
        let owner = claims
            .get("client_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !same_account(owner)? {
            return Ok(inactive);
        }
        let mut out = json!({ "active": true, "token_type": "Bearer" });
        for name in [
            "scope",
            "client_id",
            "sub",
            "aud",
            "iss",
            "exp",
            "iat",
            "jti",
            "auth_time",
            "acr",
        ] {
            if let Some(v) = claims.get(name) {
                out[name] = v.clone();
            }
        }
        return Ok(out);
    }
    let Some(found) = ctx
        .store
        .read(|conn| grants::find_refresh_token(conn, token))?
    else {
        return Ok(inactive);
    };
    let grant = &found.grant;
    if found.used
        || now >= found.expires_at
        || !grant.alive(now)
        || !same_account(&grant.client_id)?
    {
        return Ok(inactive);
    }
    Ok(json!({
        "active": true,
        "scope": grant.scope,
        "client_id": grant.client_id,
        "sub": grant.subject,
        "iss": provider.issuer(),
        "exp": found.expires_at.and_utc().timestamp(),
        "iat": grant.created_at.and_utc().timestamp(),
    }))
}
