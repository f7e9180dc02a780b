//! `grant_type=client_credentials`: a service client gets an access token for itself, with
//! the scopes it asks for among those it is allowed (all of them when it names none). The
//! token's `sub` is the client. No ID token, no refresh token; nothing is stored.

use super::Issued;
use crate::oidc::clients::{Client, OPENID_SCOPES};
use crate::oidc::error::OAuthError;
use crate::oidc::grants;
use crate::oidc::jwt::{self, ACCESS_TOKEN_TYPE};
use crate::oidc::params::{self, Params};
use crate::oidc::Provider;
use serde::Serialize;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    client_id: &'a str,
    scope: &'a str,
}

pub(super) fn issue(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<(Issued, String), OAuthError> {
    let requested = params::scopes(params.get("scope")?);
    let scopes: Vec<String> = if requested.is_empty() {
        client
            .scopes
            .iter()
            .filter(|s| !OPENID_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect()
    } else {
        for scope in &requested {
            if OPENID_SCOPES.contains(&scope.as_str()) {
                return Err(OAuthError::invalid_scope(format!(
                    "{scope} is about a user; client_credentials has none"
                )));
            }
            if !client.allows_scope(scope) {
                return Err(OAuthError::invalid_scope(format!(
                    "the client may not ask for the scope {scope}"
                )));
            }
        }
        requested
    };
    let scope = scopes.join(" ");
    let key = provider.keys.signer(&provider.ctx, client.signing_alg)?;
    let now = provider.ctx.clock.now().timestamp();
    let claims = Claims {
        iss: provider.issuer(),
        sub: &client.client_id,
        aud: &client.client_id,
        exp: now + client.access_token_lifetime,
        iat: now,
        jti: grants::new_grant_id(provider.ctx.random.as_ref()),
        client_id: &client.client_id,
        scope: &scope,
    };
    let access_token = jwt::sign(&key, ACCESS_TOKEN_TYPE, &claims)?;
    Ok((
        Issued {
            access_token,
            token_type: "Bearer",
            expires_in: client.access_token_lifetime,
            scope,
            id_token: None,
            refresh_token: None,
        },
        client.client_id.clone(),
    ))
}
