//! `grant_type=authorization_code`: a code, once, by the client it was issued to, with the
//! redirect URI of the authorization request and the PKCE verifier of its challenge. A code
//! presented a second time revokes its grant: whoever holds the tokens of the first exchange
//! loses them too (RFC 6749 section 4.1.2).

use super::{audit_revocation, profile_for, user_tokens, Issued};
use crate::audit::RequestMeta;
use crate::oidc::clients::{Client, GrantType};
use crate::oidc::error::OAuthError;
use crate::oidc::grants;
use crate::oidc::params::Params;
use crate::oidc::Provider;
use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Whether `verifier` is a valid PKCE code verifier for `challenge` (S256, RFC 7636).
pub(crate) fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

pub(super) fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    meta: &RequestMeta,
) -> Result<(Issued, String), OAuthError> {
    let code = params.require("code")?;
    let redirect_uri = params.get("redirect_uri")?;
    let verifier = params.get("code_verifier")?;
    let ctx = &provider.ctx;
    let now = ctx.clock.now_naive();
    let invalid = || OAuthError::invalid_grant("the authorization code is not valid");
    let found = ctx
        .store
        .read(|conn| grants::find_code(conn, code))?
        .ok_or_else(invalid)?;
    let grant = &found.grant;
    if grant.client_id != client.client_id {
        return Err(invalid());
    }
    if found.used {
        ctx.store
            .write(|conn| grants::revoke(conn, &grant.id, now))?;
        audit_revocation(provider, meta, grant, "authorization code replayed");
        return Err(OAuthError::invalid_grant(
            "the authorization code was used before; the tokens issued for it are revoked",
        ));
    }
    if now >= found.expires_at {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    if redirect_uri != Some(found.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    let pkce = match (&found.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => pkce_matches(challenge, verifier),
        (Some(_), None) => false,
        // A verifier for a code that had no challenge is a downgrade attempt or a mix-up.
        (None, Some(_)) => false,
        (None, None) => !client.is_public(),
    };
    if !pkce {
        // The code is spent either way: a verifier cannot be guessed at one try per code.
        ctx.store.write(|conn| grants::use_code(conn, code, now))?;
        return Err(OAuthError::invalid_grant(
            "the PKCE code_verifier does not match",
        ));
    }
    if !grant.alive(now) {
        return Err(OAuthError::invalid_grant(
            "the sign-in behind this code has ended",
        ));
    }
    let profile = profile_for(provider, grant, &grant.scope)?;
    let refresh = client
        .allows(GrantType::RefreshToken)
        .then(|| grants::new_token(ctx.random.as_ref()));
    let refresh_expiry = if grant.session_hash.is_none() {
        (now + chrono::Duration::seconds(client.refresh_token_lifetime)).min(grant.expires_at)
    } else {
        grant.expires_at
    };
    let first = ctx.store.write(|conn| {
        if !grants::use_code(conn, code, now)? {
            grants::revoke(conn, &grant.id, now)?;
            return Ok(false);
        }
        if let Some(token) = &refresh {
            grants::add_refresh_token(conn, &grant.id, token, now, refresh_expiry)?;
        }
        Ok::<_, crate::storage::StorageError>(true)
    })?;
    if !first {
        audit_revocation(
            provider,
            meta,
            grant,
            "authorization code used twice at once",
        );
        return Err(OAuthError::invalid_grant(
            "the authorization code was used before; the tokens issued for it are revoked",
        ));
    }
    let issued = user_tokens(provider, client, grant, profile.as_ref(), &grant.scope, refresh)?;
    Ok((issued, grant.subject.clone()))
}

#[cfg(test)]
mod tests {
    use super::pkce_matches;

    #[test]
    fn pkce_s256_matches_rfc_7636s_example_and_nothing_else() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, verifier));
        assert!(!pkce_matches(
            challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
        ));
        assert!(!pkce_matches(challenge, "short"));
        assert!(!pkce_matches(verifier, verifier), "plain is not accepted");
    }
}
