//! `grant_type=refresh_token`: each refresh token works once and comes back replaced
//! (rotation). A used one presented again means two parties hold the grant's tokens, one of
//! them a thief: the whole grant is revoked (reuse detection, OAuth 2.0 Security BCP 4.14).
//!
//! A grant with `offline_access` outlives the sign-in: each new refresh token lives the
//! client's refresh lifetime from its issue. Without it, refresh tokens end with the portal
//! session they came from (at its sign-out or its absolute end).

use super::{audit_revocation, profile_for, user_tokens, Issued};
use crate::audit::RequestMeta;
use crate::oidc::clients::Client;
use crate::oidc::error::OAuthError;
use crate::oidc::grants;
use crate::oidc::params::{self, Params};
use crate::oidc::Provider;

pub(super) fn refresh(
    provider: &Provider,
    client: &Client,
    params: &Params,
    meta: &RequestMeta,
) -> Result<(Issued, String), OAuthError> {
    let token = params.require("refresh_token")?;
    let ctx = &provider.ctx;
    let now = ctx.clock.now_naive();
    let invalid = || OAuthError::invalid_grant("the refresh token is not valid");
    let found = ctx
        .store
        .query(|conn| grants::find_refresh_token(conn, token))?
        .ok_or_else(invalid)?;
    let grant = &found.grant;
    if grant.client_id != client.client_id {
        return Err(invalid());
    }
    let reused = || {
        OAuthError::invalid_grant(
            "the refresh token was used before; every token of its grant is revoked",
        )
    };
    if found.used && grant.revoked_at.is_none() {
        ctx.store
            .write(|conn| grants::revoke(conn, &grant.id, now))?;
        audit_revocation(provider, meta, grant, "refresh token reused");
        return Err(reused());
    }
    if found.used || now >= found.expires_at || !grant.alive(now) {
        return Err(OAuthError::invalid_grant(
            "the refresh token has expired or was revoked",
        ));
    }
    // A user whose console password was removed can no longer sign in: nor can its grants
    // be refreshed (a removal or reset also revokes them; this holds for grants it missed).
    if !ctx.store.query(|conn| match grant.principal() {
        Some(principal) => grants::may_sign_in(conn, &principal),
        None => Ok(false),
    })? {
        ctx.store
            .write(|conn| grants::revoke(conn, &grant.id, now))?;
        audit_revocation(provider, meta, grant, "the user has no console password");
        return Err(OAuthError::invalid_grant(
            "the user can no longer sign in; the grant is revoked",
        ));
    }
    // What the grant holds and the client may still have: an administrator who took a scope
    // away from the client took it from every grant at their next refresh.
    let requested = params::scopes(params.get("scope")?);
    let scope = if requested.is_empty() {
        grant
            .scope
            .split(' ')
            .filter(|s| !s.is_empty() && client.allows_scope(s))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        if let Some(extra) = requested
            .iter()
            .find(|s| !grant.has_scope(s) || !client.allows_scope(s))
        {
            return Err(OAuthError::invalid_scope(format!(
                "the scope {extra} was not granted"
            )));
        }
        requested.join(" ")
    };
    let profile = profile_for(provider, grant, &scope)?;
    let next = grants::new_token(ctx.random.as_ref());
    let expiry = if grant.session_hash.is_none() {
        (now + chrono::Duration::seconds(client.refresh_token_lifetime)).min(grant.expires_at)
    } else {
        grant.expires_at
    };
    let first = ctx.store.write(|conn| {
        if !grants::use_refresh_token(conn, token, now)? {
            grants::revoke(conn, &grant.id, now)?;
            return Ok(false);
        }
        grants::add_refresh_token(conn, &grant.id, &next, now, expiry)?;
        Ok::<_, crate::storage::StorageError>(true)
    })?;
    if !first {
        audit_revocation(provider, meta, grant, "refresh token used twice at once");
        return Err(reused());
    }
    let issued = user_tokens(
        provider,
        client,
        grant,
        profile.as_ref(),
        &scope,
        Some(next),
    )?;
    Ok((issued, grant.subject.clone()))
}
