//! Console sign-in through an external OpenID Connect provider ("Sign in with Corp"), with
//! Keyward as the relying party, built on the `openidconnect` crate:
//!
//! ```text
//! start   discovery (the provider's thumbprints trust its certificate) ─> authorization URL
//!         with PKCE (S256), state and nonce; the verifier, state and nonce stay in [`Pending`]
//!         (the portal seals it into a cookie of the browser that started)
//! finish  state compared ─> code exchanged with the client secret and the PKCE verifier ─>
//!         ID token checked by the crate (signature with the provider's published keys,
//!         issuer, audience, expiry, nonce) ─> ExternalIdentity ─> the rules' roles, kept
//!         when their trust policy lets the identity in ([`Proven`])
//! choose  the role picked ─> STS's one minting path (`sts::console_role`) ─> a console
//!         session as `assumed-role/ROLE/<user name>`, ending with its role session
//! ```
//!
//! The identity's trust-policy keys are those of `AssumeRoleWithWebIdentity` for the same
//! token (`<issuer>:sub`, `:aud`, `:amr`), and its `Federated` principal is the account's IAM
//! OpenID Connect provider of the issuer. The provider's `amr` holding `mfa` counts as MFA
//! (`aws:MultiFactorAuthPresent`) only when the administrator marked the provider trusted for
//! it. Each outcome is audited as `ConsoleLogin` with the external subject.

use super::acting_role::{self, ActingRole};
use super::sessions::{self, NewSession, Stage};
use super::SigninService;
use crate::audit::{self, RequestMeta};
use crate::authz::{Authorizer, RequestFacts};
use crate::credentials::Principal;
use crate::federation::rules::offered_roles;
use crate::federation::{ExternalIdentity, Provider};
use crate::iam::oidc_providers::TrustedIssuer;
use crate::iam::signin_providers::{self, SigninProvider};
use crate::iam::IamError;
use crate::outbound::{self, FetchError};
use crate::secrets::ExposeSecret;
use crate::sts::console_role::{self, ConsoleRole};
use crate::sts::StsError;
use chrono::DateTime;
use data_encoding::BASE64URL_NOPAD;
use openidconnect::core::{CoreClient, CoreJwsSigningAlgorithm, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

mod discovery;
mod events;

use discovery::discover;
pub use discovery::{DiscoveryCache, DISCOVERY_SECONDS};
use events::login_event;
pub use events::{audit_failure, audit_proven};

/// How long a browser has to come back from the provider, and then to pick a role.
pub const PENDING_SECONDS: i64 = 600;
/// The path the provider sends the browser back to (registered there as the redirect URI).
pub const CALLBACK_PATH: &str = "/signin/external/callback";

/// A sign-in that went to the provider and waits for the browser to come back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub account_id: String,
    pub provider: String,
    state: String,
    nonce: String,
    pkce_verifier: String,
    pub made_at: i64,
}

/// What the provider proved, waiting for the person to pick a role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proven {
    pub account_id: String,
    pub provider: String,
    /// The account's IAM OpenID Connect provider for the issuer (the `Federated` principal).
    provider_arn: String,
    issuer: String,
    subject: String,
    audiences: Vec<String>,
    authorized_party: Option<String>,
    amr: Vec<String>,
    pub user_name: String,
    /// When the provider proved a second factor, if the account trusts it to say so.
    mfa_at: Option<i64>,
    /// The roles offered (ARNs): the rules' roles whose trust policy lets the identity in.
    pub roles: Vec<String>,
    /// The picker form's token: the form must carry it back.
    pub form_token: String,
    pub made_at: i64,
}

/// Why a sign-in through a provider stopped; the text is for the person (never a secret).
#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    /// No such provider in the account (or no such account).
    #[error("There is no such sign-in provider.")]
    UnknownProvider,
    /// The provider could not be reached or answered something Keyward cannot take.
    #[error("The sign-in provider could not be used: {0}")]
    Provider(String),
    /// The browser came back without a sign-in that waits, with the wrong state, or too late.
    #[error("This sign-in has expired or did not start here. Please sign in again.")]
    Stale,
    /// The provider refused or the person cancelled (OAuth's `error` parameter).
    #[error("The sign-in provider did not sign you in: {0}")]
    Refused(String),
    /// The person's claims or the roles' trust policies give no role.
    #[error("Your account at {0} does not give you any role in this account. Ask an administrator of this account to give you one.")]
    NoRole(String),
    /// The picked role is not one offered, or its trust policy no longer lets the identity in.
    #[error("You cannot sign in as this role: {0}")]
    RoleRefused(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<IamError> for ExternalError {
    fn from(e: IamError) -> Self {
        match e {
            IamError::NoSuchEntity(_) => ExternalError::UnknownProvider,
            IamError::Validation(text) => ExternalError::Provider(text),
            other => ExternalError::Internal(other.to_string()),
        }
    }
}

impl From<StsError> for ExternalError {
    fn from(e: StsError) -> Self {
        match e {
            StsError::AccessDenied(text) | StsError::Validation(text) => {
                ExternalError::RoleRefused(text)
            }
            other => ExternalError::Internal(other.to_string()),
        }
    }
}

fn provider_error(e: impl std::error::Error) -> ExternalError {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    ExternalError::Provider(text)
}

/// The provider `name` of `account_id`, with the IAM provider its issuer is.
pub fn provider(
    service: &SigninService,
    account_id: &str,
    name: &str,
) -> Result<(SigninProvider, TrustedIssuer), ExternalError> {
    let ctx = &service.ctx;
    let provider = signin_providers::get(ctx, account_id, name)?;
    let issuer = signin_providers::trusted_issuer(ctx, &provider)?;
    Ok((provider, issuer))
}

fn redirect_url(service: &SigninService) -> Result<RedirectUrl, ExternalError> {
    RedirectUrl::new(format!("{}{CALLBACK_PATH}", service.public_url()))
        .map_err(|e| ExternalError::Internal(e.to_string()))
}

/// Begins a sign-in: the URL to send the browser to, and what must wait for its return.
pub fn start(
    service: &SigninService,
    account_id: &str,
    name: &str,
) -> Result<(url::Url, Pending), ExternalError> {
    let (provider, trusted) = self::provider(service, account_id, name)?;
    let key = format!(
        "{account_id}\n{}\n{}\n{}",
        provider.name,
        provider.issuer,
        trusted.thumbprints.join(",")
    );
    let now = service.ctx.clock.now().timestamp();
    let metadata = service
        .discovery
        .get_or_fetch(key, now, || discover(service, &provider, &trusted))?;
    let secret = provider.client_secret(&service.ctx)?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret.expose_secret().to_string())),
    )
    .set_redirect_uri(redirect_url(service)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in provider.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.url();
    Ok((
        url,
        Pending {
            account_id: account_id.to_string(),
            provider: provider.name,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            made_at: service.ctx.clock.now().timestamp(),
        },
    ))
}

/// Whether a waiting step made at `made_at` may still go on.
pub fn alive(service: &SigninService, made_at: i64) -> bool {
    (0..=PENDING_SECONDS).contains(&(service.ctx.clock.now().timestamp() - made_at))
}

/// The browser came back with `code` and `state`: the code is exchanged, the ID token
/// checked, and the roles the person may pick are found.
pub fn finish(
    service: &SigninService,
    authorizer: &Authorizer,
    pending: &Pending,
    code: &str,
    state: &str,
    facts: &RequestFacts,
) -> Result<Proven, ExternalError> {
    if !alive(service, pending.made_at)
        || !bool::from(state.as_bytes().ct_eq(pending.state.as_bytes()))
    {
        return Err(ExternalError::Stale);
    }
    let ctx = &service.ctx;
    let (provider, trusted) = self::provider(service, &pending.account_id, &pending.provider)?;
    let metadata = discover(service, &provider, &trusted)?;
    let secret = provider.client_secret(ctx)?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret.expose_secret().to_string())),
    )
    .set_redirect_uri(redirect_url(service)?);
    let allow_http = ctx.web_identity.allow_http_loopback_issuers;
    let http = |request| outbound::send(request, &trusted.thumbprints, allow_http);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(provider_error)?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request(&http)
        .map_err(|e: openidconnect::RequestTokenError<FetchError, _>| provider_error(e))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| ExternalError::Provider("the provider sent no ID token".into()))?;
    let verifier = client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS);
    id_token
        .claims(&verifier, &Nonce::new(pending.nonce.clone()))
        .map_err(provider_error)?;
    // Verified above: every claim, as the provider wrote it, for the rules and the user name.
    let claims = payload(&id_token.to_string())?;
    let identity = identity_of(&trusted, &claims)?;

    let user_name = match claims.get(&provider.username_claim) {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        _ => {
            return Err(ExternalError::Provider(format!(
                "the ID token has no {} claim to name you by",
                provider.username_claim
            )))
        }
    };
    let amr = identity.attribute_values("amr");
    let now = ctx.clock.now().timestamp();
    let mfa_at = (provider.trusted_for_mfa && amr.iter().any(|m| m == "mfa")).then_some(now);
    let offered: Vec<String> = offered_roles(&provider.rules, &identity);
    let role_arns = roles_by_name(ctx, authorizer, &pending.account_id, &offered)?;
    let roles = console_role::trusting(
        ctx, authorizer, &identity, facts, &user_name, mfa_at, &role_arns,
    )?;
    Ok(Proven {
        account_id: pending.account_id.clone(),
        provider: provider.name.clone(),
        provider_arn: trusted.arn.clone(),
        issuer: provider.issuer.clone(),
        subject: identity.subject.clone(),
        audiences: identity.audiences.clone(),
        authorized_party: identity.authorized_party.clone(),
        amr,
        user_name,
        mfa_at,
        roles,
        form_token: sessions::new_id(ctx.random.as_ref()),
        made_at: now,
    })
}

/// The signing algorithms an ID token may use: asymmetric ones only.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// The claims of a JWT whose signature was checked.
fn payload(jwt: &str) -> Result<Map<String, Value>, ExternalError> {
    let part = jwt.split('.').nth(1).unwrap_or_default();
    BASE64URL_NOPAD
        .decode(part.as_bytes())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ExternalError::Provider("the ID token's claims cannot be read".into()))
}

/// The identity an ID token's (verified) claims prove, keyed as web identity keys it.
fn identity_of(
    trusted: &TrustedIssuer,
    claims: &Map<String, Value>,
) -> Result<ExternalIdentity, ExternalError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(String::from);
    let subject = text("sub").ok_or_else(|| ExternalError::Provider("no sub".into()))?;
    let mut identity =
        ExternalIdentity::new(Provider::oidc(&trusted.issuer, &trusted.arn), &subject);
    identity.issuer = text("iss");
    identity.audiences = match claims.get("aud") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        Some(Value::String(aud)) => vec![aud.clone()],
        _ => Vec::new(),
    };
    identity.authorized_party = text("azp");
    identity.attributes = claims.clone().into_iter().collect();
    identity.groups = identity.attribute_values("groups");
    identity.issued_at = claims.get("iat").and_then(Value::as_i64);
    identity.expires_at = claims.get("exp").and_then(Value::as_i64);
    Ok(identity)
}

impl Proven {
    /// The identity again, as far as the trust policy reads it (subject, audiences, `amr`).
    fn identity(&self) -> ExternalIdentity {
        let mut identity = ExternalIdentity::new(
            Provider::oidc(&self.issuer, &self.provider_arn),
            &self.subject,
        );
        identity.issuer = Some(self.issuer.clone());
        identity.audiences = self.audiences.clone();
        identity.authorized_party = self.authorized_party.clone();
        identity.attributes.insert("amr".into(), json!(self.amr));
        identity
    }

    /// Whether `token` is the picker form's.
    pub fn form_token_ok(&self, token: &str) -> bool {
        bool::from(token.as_bytes().ct_eq(self.form_token.as_bytes()))
    }
}

/// The ARNs of the roles named `names` in `account_id` that exist.
fn roles_by_name(
    ctx: &crate::context::ServiceContext,
    authorizer: &Authorizer,
    account_id: &str,
    names: &[String],
) -> Result<Vec<String>, ExternalError> {
    let mut arns = Vec::new();
    for name in names {
        if let Some(trusted) = authorizer.trusted_role(ctx, account_id, name)? {
            let role = &trusted.role;
            arns.push(crate::iam::arn::role(
                &role.account_id,
                &role.path,
                &role.name,
            ));
        }
    }
    Ok(arns)
}

/// The person picked `role_arn`: its role session is minted and a console session opened
/// as it. Returns the session cookie.
pub fn choose(
    service: &SigninService,
    authorizer: &Authorizer,
    proven: &Proven,
    role_arn: &str,
    facts: &RequestFacts,
    meta: &RequestMeta,
) -> Result<String, ExternalError> {
    if !alive(service, proven.made_at) {
        return Err(ExternalError::Stale);
    }
    if !proven.roles.iter().any(|r| r == role_arn) {
        return Err(ExternalError::RoleRefused(format!(
            "{role_arn} is not one of the roles offered to you"
        )));
    }
    let event = login_event(proven, proven.mfa_at.is_some()).parameters(json!({
        "userName": proven.user_name,
        "provider": proven.provider,
        "providerArn": proven.provider_arn,
        "externalSubject": proven.subject,
        "roleArn": role_arn,
        "MFAUsed": if proven.mfa_at.is_some() { "Yes" } else { "No" },
    }));
    open_session(
        service,
        authorizer,
        &proven.identity(),
        &RoleChoice {
            account_id: &proven.account_id,
            user_name: &proven.user_name,
            role_arn,
            mfa_at: proven.mfa_at,
        },
        facts,
        meta,
        event,
    )
}

/// The role a person signed in through an external source picked.
#[derive(Debug, Clone, Copy)]
pub struct RoleChoice<'a> {
    pub account_id: &'a str,
    /// Their user name: the role session's name.
    pub user_name: &'a str,
    pub role_arn: &'a str,
    /// When a second factor was proved, if one was (and is trusted).
    pub mfa_at: Option<i64>,
}

/// Mints the role session `choice` names for `identity` (its trust policy deciding) and opens
/// a console session as it, audited as `event` (a `ConsoleLogin`, given its actor here).
/// Returns the session cookie. Every external source's sign-in ends here.
pub fn open_session(
    service: &SigninService,
    authorizer: &Authorizer,
    identity: &ExternalIdentity,
    choice: &RoleChoice<'_>,
    facts: &RequestFacts,
    meta: &RequestMeta,
    event: crate::audit::AuditEvent,
) -> Result<String, ExternalError> {
    let ctx = &service.ctx;
    let assumed = console_role::assume(
        ctx,
        authorizer,
        identity,
        facts,
        &ConsoleRole {
            role_arn: choice.role_arn,
            session_name: choice.user_name,
            mfa_at: choice.mfa_at,
        },
    )?;
    let now = ctx.clock.now_naive();
    let principal = Principal::Federated {
        provider: identity.provider.principal.clone(),
        subject: identity.subject.clone(),
        role: assumed.arn.clone(),
    };
    let role_name = choice
        .role_arn
        .rsplit('/')
        .next()
        .unwrap_or(choice.role_arn);
    let sealed = acting_role::seal(
        ctx,
        choice.account_id,
        &principal,
        now,
        &ActingRole {
            access_key_id: assumed.credentials.access_key_id.clone(),
            session_token: assumed.credentials.session_token.clone(),
            label: role_name.to_string(),
            colour: "blue".to_string(),
        },
    )
    .map_err(ExternalError::Internal)?;
    let ends_by = Some(assumed.credentials.expiration.naive_utc());
    let mfa = choice
        .mfa_at
        .and_then(|at| DateTime::from_timestamp(at, 0))
        .map(|t| (t.naive_utc(), "provider"));
    let new = NewSession {
        account_id: choice.account_id,
        principal: &principal,
        stage: Stage::Active,
        mfa,
        role_session: Some(sealed),
        ends_by,
    };
    let event = event
        .actor(&assumed.arn)
        .response(json!({ "ConsoleLogin": "Success" }));
    let cookie = ctx.store.write(|conn| {
        let cookie = sessions::create(conn, ctx.random.as_ref(), now, service.lifetimes, &new)?;
        audit::record(conn, now, ctx.random.as_ref(), meta, event)?;
        Ok::<_, crate::storage::StorageError>(cookie)
    });
    cookie.map_err(|e| ExternalError::Internal(e.to_string()))
}
