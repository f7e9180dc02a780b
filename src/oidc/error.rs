//! OAuth errors in RFC 6749's JSON shape (`{"error": ..., "error_description": ...}`), with
//! the status each code calls for, and the authorization endpoint's redirect form of them.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
    pub status: StatusCode,
    /// The `WWW-Authenticate` challenge of a 401 (`Basic` for a client, `Bearer` for a
    /// token).
    pub challenge: Option<&'static str>,
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

fn error(code: &'static str, status: StatusCode, description: impl Into<String>) -> OAuthError {
    OAuthError {
        code,
        description: description.into(),
        status,
        challenge: None,
    }
}

impl OAuthError {
    pub fn invalid_request(d: impl Into<String>) -> Self {
        error("invalid_request", StatusCode::BAD_REQUEST, d)
    }
    /// A client that failed to authenticate; `basic` when it tried HTTP Basic.
    pub fn invalid_client(d: impl Into<String>, basic: bool) -> Self {
        OAuthError {
            challenge: basic.then_some("Basic realm=\"keyward\""),
            ..error("invalid_client", StatusCode::UNAUTHORIZED, d)
        }
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        error("invalid_grant", StatusCode::BAD_REQUEST, d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        error("unauthorized_client", StatusCode::BAD_REQUEST, d)
    }
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        error("unsupported_grant_type", StatusCode::BAD_REQUEST, d)
    }
    pub fn unsupported_response_type(d: impl Into<String>) -> Self {
        error("unsupported_response_type", StatusCode::BAD_REQUEST, d)
    }
    pub fn unsupported_token_type(d: impl Into<String>) -> Self {
        error("unsupported_token_type", StatusCode::BAD_REQUEST, d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        error("invalid_scope", StatusCode::BAD_REQUEST, d)
    }
    pub fn access_denied(d: impl Into<String>) -> Self {
        error("access_denied", StatusCode::FORBIDDEN, d)
    }
    pub fn login_required(d: impl Into<String>) -> Self {
        error("login_required", StatusCode::BAD_REQUEST, d)
    }
    pub fn consent_required(d: impl Into<String>) -> Self {
        error("consent_required", StatusCode::BAD_REQUEST, d)
    }
    pub fn interaction_required(d: impl Into<String>) -> Self {
        error("interaction_required", StatusCode::BAD_REQUEST, d)
    }
    pub fn request_not_supported(d: impl Into<String>) -> Self {
        error("request_not_supported", StatusCode::BAD_REQUEST, d)
    }
    pub fn request_uri_not_supported(d: impl Into<String>) -> Self {
        error("request_uri_not_supported", StatusCode::BAD_REQUEST, d)
    }
    pub fn unmet_authentication_requirements(d: impl Into<String>) -> Self {
        error(
            "unmet_authentication_requirements",
            StatusCode::BAD_REQUEST,
            d,
        )
    }
    /// RFC 6750: a bearer token that is missing, expired, revoked or malformed.
    pub fn invalid_token(d: impl Into<String>) -> Self {
        OAuthError {
            challenge: Some("Bearer error=\"invalid_token\""),
            ..error("invalid_token", StatusCode::UNAUTHORIZED, d)
        }
    }
    pub fn insufficient_scope(d: impl Into<String>) -> Self {
        OAuthError {
            challenge: Some("Bearer error=\"insufficient_scope\""),
            ..error("insufficient_scope", StatusCode::FORBIDDEN, d)
        }
    }
    /// Something failed inside; the description is logged, never sent.
    pub fn server_error(d: impl std::fmt::Display) -> Self {
        tracing::error!(error = %d, "OpenID Connect request failed");
        error(
            "server_error",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Keyward could not complete the request",
        )
    }
    pub fn temporarily_unavailable(d: impl Into<String>) -> Self {
        error(
            "temporarily_unavailable",
            StatusCode::SERVICE_UNAVAILABLE,
            d,
        )
    }

    /// The JSON response (never cached, as RFC 6749 asks of token responses).
    pub fn response(&self) -> HttpResponse {
        let mut b = HttpResponse::build(self.status);
        b.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(challenge) = self.challenge {
            b.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        b.json(json!({ "error": self.code, "error_description": self.description }))
    }
}

impl actix_web::ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

impl From<super::keys::KeyError> for OAuthError {
    fn from(e: super::keys::KeyError) -> Self {
        Self::server_error(e)
    }
}

impl From<crate::storage::StorageError> for OAuthError {
    fn from(e: crate::storage::StorageError) -> Self {
        Self::server_error(e)
    }
}

impl From<super::clients::ClientError> for OAuthError {
    fn from(e: super::clients::ClientError) -> Self {
        Self::server_error(e)
    }
}

impl From<actix_web::error::BlockingError> for OAuthError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::server_error(e)
    }
}
