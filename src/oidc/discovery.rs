//! Discovery (`/.well-known/openid-configuration`) and the published keys (`/oauth2/jwks`).

use super::claims::{ACR_MFA, ACR_PASSWORD};
use super::clients::{AuthMethod, OPENID_SCOPES};
use super::error::OAuthError;
use super::keys::Algorithm;
use super::Provider;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, AuthenticationContextClass, IssuerUrl, JsonWebKeySetUrl,
    ProviderMetadata, ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

/// What discovery says beyond OpenID Connect Discovery 1.0's own fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Extra {
    end_session_endpoint: String,
    revocation_endpoint: String,
    revocation_endpoint_auth_methods_supported: Vec<String>,
    introspection_endpoint: String,
    introspection_endpoint_auth_methods_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: the authorization response names the issuer.
    authorization_response_iss_parameter_supported: bool,
    prompt_values_supported: Vec<String>,
}

impl AdditionalProviderMetadata for Extra {}

type Metadata = ProviderMetadata<
    Extra,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

fn signing_algorithm(a: Algorithm) -> CoreJwsSigningAlgorithm {
    match a {
        Algorithm::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Algorithm::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        Algorithm::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
    }
}

fn auth_method(m: AuthMethod) -> CoreClientAuthMethod {
    match m {
        AuthMethod::ClientSecretBasic => CoreClientAuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost => CoreClientAuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt => CoreClientAuthMethod::PrivateKeyJwt,
        AuthMethod::None => CoreClientAuthMethod::None,
    }
}

/// The discovery document for `provider`'s issuer.
fn metadata(provider: &Provider) -> Result<Metadata, String> {
    let url = |path: &str| provider.url(path);
    let algorithms: Vec<_> = Algorithm::ALL.into_iter().map(signing_algorithm).collect();
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let authenticated = strings(&[
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]);
    let extra = Extra {
        end_session_endpoint: url("/oauth2/logout"),
        revocation_endpoint: url("/oauth2/revoke"),
        revocation_endpoint_auth_methods_supported: AuthMethod::ALL
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
        introspection_endpoint: url("/oauth2/introspect"),
        introspection_endpoint_auth_methods_supported: authenticated,
        code_challenge_methods_supported: strings(&["S256"]),
        authorization_response_iss_parameter_supported: true,
        prompt_values_supported: strings(&["none", "login", "consent", "select_account"]),
    };
    let e = |e: url::ParseError| e.to_string();
    let claims = [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "at_hash",
        "c_hash",
        "name",
        "preferred_username",
        "email",
        "email_verified",
        "groups",
    ];
    Ok(Metadata::new(
        IssuerUrl::new(provider.issuer().to_string()).map_err(e)?,
        AuthUrl::new(url("/oauth2/authorize")).map_err(e)?,
        JsonWebKeySetUrl::new(url("/oauth2/jwks")).map_err(e)?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        algorithms.clone(),
        extra,
    )
    .set_token_endpoint(Some(TokenUrl::new(url("/oauth2/token")).map_err(e)?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(url("/oauth2/userinfo")).map_err(e)?))
    .set_scopes_supported(Some(
        OPENID_SCOPES
            .iter()
            .map(|s| Scope::new(s.to_string()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query]))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
        CoreGrantType::ClientCredentials,
    ]))
    .set_acr_values_supported(Some(vec![
        AuthenticationContextClass::new(ACR_PASSWORD.to_string()),
        AuthenticationContextClass::new(ACR_MFA.to_string()),
    ]))
    .set_token_endpoint_auth_methods_supported(Some(
        AuthMethod::ALL.into_iter().map(auth_method).collect(),
    ))
    .set_token_endpoint_auth_signing_alg_values_supported(Some(algorithms))
    .set_claims_supported(Some(
        claims
            .iter()
            .map(|c| CoreClaimName::new(c.to_string()))
            .collect(),
    ))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false)))
}

pub async fn configuration(provider: web::Data<Provider>) -> HttpResponse {
    match metadata(&provider) {
        Ok(m) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(m),
        Err(e) => OAuthError::server_error(e).response(),
    }
}

pub async fn jwks(provider: web::Data<Provider>) -> HttpResponse {
    let p = provider.clone();
    match web::block(move || p.keys.jwks(&p.ctx)).await {
        Ok(Ok(body)) => HttpResponse::Ok()
            .content_type("application/jwk-set+json")
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .body(body.as_str().to_string()),
        Ok(Err(e)) => OAuthError::server_error(e).response(),
        Err(e) => OAuthError::server_error(e).response(),
    }
}
