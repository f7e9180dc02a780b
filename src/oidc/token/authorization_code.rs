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

/// What the code's transaction decided.
enum Redeemed {
    Code(Box<grants::Code>),
    Refused(OAuthError),
    /// Used before: its grant is revoked now.
    Replayed(Box<grants::Grant>, &'static str),
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
    let refresh = client
        .allows(GrantType::RefreshToken)
        .then(|| grants::new_token(ctx.random.as_ref()));
    // One write transaction reads the code, checks it and spends it: nothing another request
    // does with the same code can come in between.
    let redeemed = ctx.store.write(|conn| {
        let refused = |text: &str| Ok(Redeemed::Refused(OAuthError::invalid_grant(text)));
        let Some(found) = grants::find_code(conn, code)? else {
            return refused("the authorization code is not valid");
        };
        let grant = &found.grant;
        if grant.client_id != client.client_id {
            return refused("the authorization code is not valid");
        }
        if found.used {
            grants::revoke(conn, &grant.id, now)?;
            return Ok(Redeemed::Replayed(
                Box::new(grant.clone()),
                "authorization code replayed",
            ));
        }
        if now >= found.expires_at {
            return refused("the authorization code has expired");
        }
        if redirect_uri != Some(found.redirect_uri.as_str()) {
            return refused("redirect_uri differs from the authorization request's");
        }
        let pkce = match (&found.code_challenge, verifier) {
            (Some(challenge), Some(verifier)) => pkce_matches(challenge, verifier),
            (Some(_), None) => false,
            // A verifier for a code that had no challenge is a downgrade attempt or a mix-up.
            (None, Some(_)) => false,
            (None, None) => !client.is_public(),
        };
        // From here on the code is spent, whatever follows: a verifier cannot be guessed at
        // one try per code.
        if !grants::use_code(conn, code, now)? {
            grants::revoke(conn, &grant.id, now)?;
            return Ok(Redeemed::Replayed(
                Box::new(grant.clone()),
                "authorization code used twice at once",
            ));
        }
        if !pkce {
            return refused("the PKCE code_verifier does not match");
        }
        if !grant.alive(now) {
            return refused("the sign-in behind this code has ended");
        }
        if let Some(token) = &refresh {
            let expiry = if grant.session_hash.is_none() {
                (now + chrono::Duration::seconds(client.refresh_token_lifetime))
                    .min(grant.expires_at)
            } else {
                grant.expires_at
            };
            grants::add_refresh_token(conn, &grant.id, token, now, expiry)?;
        }
        Ok::<_, crate::storage::StorageError>(Redeemed::Code(Box::new(found)))
    })?;
    let found = match redeemed {
        Redeemed::Code(found) => found,
        Redeemed::Refused(e) => return Err(e),
        Redeemed::Replayed(grant, reason) => {
            audit_revocation(provider, meta, &grant, reason);
            return Err(OAuthError::invalid_grant(
                "the authorization code was used before; the tokens issued for it are revoked",
            ));
        }
    };
    let grant = &found.grant;
    let profile = profile_for(provider, grant, &grant.scope)?;
    let issued = user_tokens(
        provider,
        client,
        grant,
        profile.as_ref(),
        &grant.scope,
        refresh,
    )?;
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
