//! AssumeRoleWithWebIdentity: a workload that holds a token from an external OpenID Connect
//! provider (a CI system, a Kubernetes cluster, Entra ID, Okta, Keycloak, another Keyward)
//! becomes a role, with no Keyward secret at all, as on AWS.
//!
//! The call is unsigned: the token is the proof. The role's account must trust the token's
//! issuer as an IAM OIDC identity provider (`CreateOpenIDConnectProvider`), whose keys are
//! fetched and cached ([`keys`]) and whose token is checked ([`token`]); the identity it
//! proves ([`ExternalIdentity`]) then goes down the one minting path
//! ([`super::role_session::mint`]), where the role's trust policy decides on its `Federated`
//! principal (the provider's ARN) and the provider's condition keys (`<issuer>:sub`, `:aud`,
//! `:amr`, `:oaud`).
//!
//! Order matters, as for AssumeRole: what depends only on the request comes first (names,
//! duration bounds, the token's form); then the provider of the role's account; then the
//! role. A token from an issuer the account does not trust never causes a fetch.

pub mod keys;
pub mod token;

use super::role_session::{self, AssumedRole, RoleSessionRequest, SessionDuration, TrustPrincipal};
use super::session::{self, SessionRequest};
use super::StsError;
use crate::authz::{Authorizer, RequestFacts};
use crate::context::ServiceContext;
use crate::federation::FederationError;
use crate::iam::oidc_providers::TrustedIssuer;
use crate::storage::schema::web_identity_tokens as used;
use crate::storage::{first_insert, DbConnection, StorageError};
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use keys::{KeyError, ProviderCache};
use std::time::Instant;
use token::TokenError;

/// The session's length when none is asked for, and the bounds of what may be asked.
pub const DEFAULT_SECONDS: i64 = 3600;
pub const MIN_SECONDS: i64 = 900;
pub const MAX_SECONDS: i64 = 43_200;

#[derive(Debug, Clone, Default)]
pub struct WebIdentityRequest {
    pub role_arn: String,
    pub session_name: String,
    pub token: String,
    pub duration_seconds: Option<i64>,
    /// The session policies (tags and source identity come from the token).
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

/// A role session made from a web identity, with what AWS's answer reports about the token.
#[derive(Debug)]
pub struct WebIdentitySession {
    pub assumed: AssumedRole,
    /// The token's `sub`.
    pub subject: String,
    /// The provider's ARN (AWS's `Provider`: its reference says the token's `iss`, its
    /// answers carry the provider's ARN).
    pub provider_arn: String,
    /// The client ID the token was for (AWS's `Audience`).
    pub audience: String,
}

impl From<TokenError> for StsError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Invalid(text) => StsError::InvalidIdentityToken(text),
            TokenError::Expired(text) => StsError::ExpiredToken(text),
        }
    }
}

impl From<KeyError> for StsError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Communication(text) => {
                tracing::warn!(reason = %text, "cannot fetch an OpenID Connect provider's keys");
                StsError::IdpCommunication(format!(
                    "Couldn't retrieve verification key from your identity provider: {text}"
                ))
            }
            KeyError::UnknownKey(text) => StsError::InvalidIdentityToken(text),
            KeyError::Deferred => StsError::from(StorageError::Deferred),
            KeyError::Untrusted(text) => {
                tracing::warn!(reason = %text, "an OpenID Connect provider's certificate is not trusted");
                StsError::InvalidIdentityToken(
                    "OpenIDConnect provider's HTTPS certificate doesn't match configured \
                     thumbprint"
                        .to_string(),
                )
            }
        }
    }
}

impl From<FederationError> for StsError {
    fn from(e: FederationError) -> Self {
        StsError::InvalidParameterValue(e.to_string())
    }
}

/// The checks of the request, the token and the provider, then the one minting path.
pub fn assume_role_with_web_identity(
    ctx: &ServiceContext,
    authorizer: &Authorizer,
    keys: &ProviderCache,
    facts: &RequestFacts,
    request: &WebIdentityRequest,
) -> Result<WebIdentitySession, StsError> {
    session::check_name("roleSessionName", &request.session_name)?;
    let chars = request.token.chars().count();
    if !(token::MIN_TOKEN_CHARS..=token::MAX_TOKEN_CHARS).contains(&chars) {
        return Err(StsError::Validation(format!(
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy \
             constraint: Member must have length between {} and {}",
            token::MIN_TOKEN_CHARS,
            token::MAX_TOKEN_CHARS
        )));
    }
    if let Some(seconds) = request.duration_seconds {
        session::check_duration(seconds, MIN_SECONDS, MAX_SECONDS)?;
    }
    let (account, path, name) =
        super::assume_role::parse_role_arn(&request.role_arn).ok_or_else(|| {
            StsError::Validation(format!(
                "{} is invalid for parameter RoleArn: not a role ARN",
                request.role_arn
            ))
        })?;
    let unverified = token::read(&request.token)?;
    let issuer = keys
        .issuer(ctx, account, &unverified.issuer)?
        .ok_or_else(|| {
            StsError::InvalidIdentityToken(format!(
                "No OpenIDConnect provider found in your account for {}",
                unverified.issuer
            ))
        })?;
    let allow_http = ctx.web_identity.allow_http_loopback_issuers;
    let key = keys.key_for(
        &issuer,
        unverified.header.kid.as_deref(),
        Instant::now(),
        &|issuer: &TrustedIssuer| keys::fetch_over_https(issuer, allow_http),
    )?;
    let now = facts.now.timestamp();
    let verified = token::verify(&request.token, unverified, &issuer, &key, now)?;
    let identity = &verified.identity;

    let tags = identity.session_tags()?;
    let session = SessionRequest {
        policy: request.policy.clone(),
        policy_arns: request.policy_arns.clone(),
        tags: tags.tags,
        transitive_tag_keys: tags.transitive_keys,
        source_identity: identity.source_identity()?,
    };
    let checked = session::check_inputs(None, &session)?;
    let principal = TrustPrincipal::External(identity);
    let trusted = role_session::lookup(
        ctx,
        authorizer,
        principal,
        &request.role_arn,
        (account, &path, name),
    )?;
    let assumed = role_session::mint(
        ctx,
        authorizer,
        &trusted,
        principal,
        facts,
        &RoleSessionRequest {
            role_arn: &request.role_arn,
            session_name: &request.session_name,
            session: &session,
            checked: &checked,
            external_id: None,
            mfa_at: None,
            chain_depth: 0,
            duration: SessionDuration {
                requested: request.duration_seconds,
                default: DEFAULT_SECONDS,
            },
        },
    )?;
    // The credentials exist only in this answer until the token is recorded as used.
    if ctx.web_identity.jti_once {
        let jti = verified.jti.as_deref().ok_or_else(|| {
            StsError::InvalidIdentityToken(
                "The web identity token has no jti, and each token may be used only once."
                    .to_string(),
            )
        })?;
        let until = DateTime::from_timestamp(verified.expires_at + token::LEEWAY, 0)
            .map_or(facts.now.naive_utc(), |t| t.naive_utc());
        let first = ctx
            .store
            .write(|conn| record_use(conn, &assumed.role_id, jti, until, facts.now.naive_utc()))?;
        if !first {
            return Err(StsError::InvalidIdentityToken(
                "The web identity token was already used to assume this role.".to_string(),
            ));
        }
    }
    Ok(WebIdentitySession {
        subject: identity.subject.clone(),
        provider_arn: issuer.arn.clone(),
        audience: verified.audience.clone(),
        assumed,
    })
}

/// Records that `jti` assumed `role_id` (until `expires_at`); false when it already had.
fn record_use(
    conn: &mut DbConnection,
    role_id: &str,
    jti: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, StorageError> {
    diesel::delete(
        used::table
            .filter(used::role_id.eq(role_id))
            .filter(used::expires_at.lt(now)),
    )
    .execute(conn)?;
    first_insert(
        diesel::insert_into(used::table)
            .values((
                used::role_id.eq(role_id),
                used::jti.eq(jti),
                used::expires_at.eq(expires_at),
            ))
            .execute(conn),
    )
}

/// Forgets the tokens that have expired (the sweep).
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(diesel::delete(used::table.filter(used::expires_at.lt(now))).execute(conn)?)
}
