//! The UserInfo endpoint: the signed-in user's claims for an access token with `openid`, the
//! same claims (chosen by the same scopes) as the ID token's.

use super::claims::{self, add_profile_claims};
use super::error::OAuthError;
use super::params::Params;
use super::tokens::active_access_token;
use super::Provider;
use crate::credentials::Principal;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

/// The bearer token of the request: the Authorization header, or (for a form POST) the
/// `access_token` parameter (RFC 6750 section 2.2); never both.
fn bearer(req: &HttpRequest, body: &[u8]) -> Result<String, OAuthError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string());
    let form = if req.method() == actix_web::http::Method::POST && super::token::is_form(req) {
        Params::parse(body).get("access_token")?.map(str::to_string)
    } else {
        None
    };
    match (header, form) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "the access token was sent in two ways",
        )),
        (Some(t), None) | (None, Some(t)) => Ok(t),
        (None, None) => Err(OAuthError {
            // RFC 6750 3.1: a request with no token gets the bare challenge.
            challenge: Some("Bearer"),
            ..OAuthError::invalid_token("no access token")
        }),
    }
}

pub async fn handle(
    req: HttpRequest,
    provider: web::Data<Provider>,
    body: web::Bytes,
) -> HttpResponse {
    let token = match bearer(&req, &body) {
        Ok(t) => t,
        Err(e) => return e.response(),
    };
    let p = provider.clone();
    match web::block(move || userinfo(&p, &token))
        .await
        .map_err(OAuthError::from)
        .and_then(|r| r)
    {
        Ok(claims) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(claims),
        Err(e) => e.response(),
    }
}

fn userinfo(provider: &Provider, token: &str) -> Result<Value, OAuthError> {
    let claims = active_access_token(provider, token)?
        .ok_or_else(|| OAuthError::invalid_token("the access token is not valid"))?;
    let scope = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return Err(OAuthError::insufficient_scope(
            "UserInfo needs the openid scope",
        ));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let client_id = claims
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let ctx = &provider.ctx;
    let client = provider
        .client(client_id)?
        .ok_or_else(|| OAuthError::invalid_token("the access token's client no longer exists"))?;
    let principal = Principal::root_or_user((sub != client.account_id).then(|| sub.to_string()));
    let profile = ctx
        .store
        .read(|conn| claims::profile(conn, &client.account_id, &principal))?
        .ok_or_else(|| OAuthError::invalid_token("the user no longer exists"))?;
    let mut out = Map::new();
    out.insert("sub".into(), profile.subject.clone().into());
    add_profile_claims(&mut out, &profile, scope.split(' '));
    Ok(Value::Object(out))
}
