//! An authorization request read and checked against its client's registration, and the
//! ways a request that cannot go on is answered: a page while the client or its redirect URI
//! is not known to be valid, a redirect with an error once they are.

use super::super::clients::{Client, GrantType};
use super::super::error::OAuthError;
use super::super::params::{self, Params};
use super::super::Provider;
use crate::browser;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use url::Url;

/// A validated authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Request {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scopes: Vec<String>,
    pub(super) state: Option<String>,
    pub(super) nonce: Option<String>,
    pub(super) code_challenge: Option<String>,
    pub(super) prompt: Vec<String>,
    pub(super) max_age: Option<i64>,
    pub(super) login_hint: Option<String>,
    pub(super) acr_values: Vec<String>,
    /// Unix seconds, when the request arrived.
    pub(super) created_at: i64,
}

impl Request {
    pub(super) fn prompts(&self, value: &str) -> bool {
        self.prompt.iter().any(|p| p == value)
    }

    /// What a consent page carries to name the request it showed: SHA-256 of the request,
    /// base64url. A browser has one waiting request at a time; when another authorization
    /// request replaced it after the page was shown, the page's answer no longer applies.
    pub(super) fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        data_encoding::BASE64URL_NOPAD.encode(&Sha256::digest(&bytes))
    }
}

/// Why a request cannot go on.
pub(super) enum Failure {
    /// Shown on a page: the client or redirect URI is not valid.
    Page(String),
    /// Sent back to the client's redirect URI (with the request's `state`).
    Redirect(Box<(Url, Option<String>, OAuthError)>),
}

pub(super) fn redirect_with(mut uri: Url, pairs: &[(&str, &str)]) -> HttpResponse {
    {
        let mut q = uri.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    browser::see_other(uri.as_str()).finish()
}

pub(super) fn error_redirect(
    provider: &Provider,
    uri: Url,
    state: Option<&str>,
    e: &OAuthError,
) -> HttpResponse {
    let mut pairs = vec![
        ("error", e.code),
        ("error_description", e.description.as_str()),
    ];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", provider.issuer()));
    redirect_with(uri, &pairs)
}

pub(super) fn failure_response(provider: &Provider, failure: Failure) -> HttpResponse {
    match failure {
        Failure::Page(text) => browser::message(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            &text,
            "/console",
        ),
        Failure::Redirect(back) => {
            let (uri, state, e) = *back;
            error_redirect(provider, uri, state.as_deref(), &e)
        }
    }
}

/// Checks an authorization request's parameters against its client's registration.
pub(super) fn validate(provider: &Provider, params: &Params) -> Result<(Client, Request), Failure> {
    let page = |e: OAuthError| Failure::Page(e.description);
    let client_id = params.require("client_id").map_err(page)?;
    let client = provider
        .client(client_id)
        .map_err(|e| Failure::Page(OAuthError::server_error(e).description))?
        .ok_or_else(|| {
            Failure::Page(format!(
                "There is no application with the client id {client_id}."
            ))
        })?;
    let redirect_uri = params.require("redirect_uri").map_err(page)?;
    if !client.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(Failure::Page(format!(
            "{redirect_uri} is not a redirect URI registered for {}.",
            client.name
        )));
    }
    let uri = Url::parse(redirect_uri)
        .map_err(|_| Failure::Page("The redirect URI is not valid.".into()))?;
    let state = params.get("state").ok().flatten().map(str::to_string);
    let back = |e: OAuthError| Failure::Redirect(Box::new((uri.clone(), state.clone(), e)));
    if params.has("request") {
        return Err(back(OAuthError::request_not_supported(
            "request objects are not supported",
        )));
    }
    if params.has("request_uri") {
        return Err(back(OAuthError::request_uri_not_supported(
            "request_uri is not supported",
        )));
    }
    match params.get("response_type").map_err(back)? {
        Some("code") => {}
        Some(other) => {
            return Err(back(OAuthError::unsupported_response_type(format!(
                "Keyward supports response_type=code only, not {other}"
            ))))
        }
        None => {
            return Err(back(OAuthError::invalid_request(
                "response_type is missing",
            )))
        }
    }
    if let Some(mode) = params.get("response_mode").map_err(back)? {
        if mode != "query" {
            return Err(back(OAuthError::invalid_request(format!(
                "response_mode {mode} is not supported; Keyward answers in the query"
            ))));
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(back(OAuthError::unauthorized_client(
            "the client may not use the authorization code flow",
        )));
    }
    let mut scopes = params::scopes(params.get("scope").map_err(back)?);
    if let Some(extra) = scopes.iter().find(|s| !client.allows_scope(s)) {
        return Err(back(OAuthError::invalid_scope(format!(
            "the client may not ask for the scope {extra}"
        ))));
    }
    // offline_access means refresh tokens: meaningless to a client that cannot refresh.
    if !client.allows(GrantType::RefreshToken) {
        scopes.retain(|s| s != "offline_access");
    }
    let code_challenge = params.get("code_challenge").map_err(back)?;
    let method = params.get("code_challenge_method").map_err(back)?;
    match (code_challenge, method) {
        (Some(c), Some("S256")) => {
            let ok = c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
            if !ok {
                return Err(back(OAuthError::invalid_request(
                    "code_challenge must be the base64url SHA-256 of the code verifier",
                )));
            }
        }
        (Some(_), _) => {
            return Err(back(OAuthError::invalid_request(
                "code_challenge_method must be S256",
            )))
        }
        (None, Some(_)) => {
            return Err(back(OAuthError::invalid_request(
                "code_challenge is missing",
            )))
        }
        (None, None) if client.is_public() => {
            return Err(back(OAuthError::invalid_request(
                "a public client must use PKCE (code_challenge with S256)",
            )))
        }
        (None, None) => {}
    }
    let prompt: Vec<String> = params::scopes(params.get("prompt").map_err(back)?);
    for p in &prompt {
        if !["none", "login", "consent", "select_account"].contains(&p.as_str()) {
            return Err(back(OAuthError::invalid_request(format!(
                "unknown prompt {p}"
            ))));
        }
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(back(OAuthError::invalid_request(
            "prompt=none cannot be combined",
        )));
    }
    let max_age = match params.get("max_age").map_err(back)? {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            back(OAuthError::invalid_request(
                "max_age must be a number of seconds",
            ))
        })?),
    };
    let short = |name: &str| -> Result<Option<String>, Failure> {
        match params.get(name).map_err(back)? {
            Some(v) if v.len() > 512 => Err(back(OAuthError::invalid_request(format!(
                "{name} is too long"
            )))),
            v => Ok(v.map(str::to_string)),
        }
    };
    let request = Request {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state: short("state")?,
        nonce: short("nonce")?,
        code_challenge: code_challenge.map(str::to_string),
        prompt,
        max_age,
        login_hint: short("login_hint")?,
        acr_values: params::scopes(params.get("acr_values").map_err(back)?),
        created_at: provider.ctx.clock.now().timestamp(),
    };
    Ok((client, request))
}
