//! The authorization endpoint: `response_type=code` with PKCE, `state`, `nonce`, `prompt`,
//! `max_age`, `login_hint` and `acr_values`.
//!
//! Errors go back to the client by redirect only once the client and the redirect URI are
//! known to be valid (exact match with a registered URI); before that they are shown on a
//! page, so that Keyward never redirects anywhere a client did not register.
//!
//! A request that needs a sign-in (or a fresh one) is carried over it in the browser's continuation
//! (`browser::continuation`); the sign-in pages send the browser to `/oauth2/authorize/continue` once the
//! sign-in is complete. Consent is asked once per user, client and scope, and remembered.

mod answer;
mod consent;
mod request;
mod step;

pub use consent::{consent, reauthenticate, ConsentForm, TokenForm};

use super::clients::Client;
use super::error::OAuthError;
use super::params::Params;
use super::Provider;
use crate::browser::{
    self,
    continuation::{self, Continuation},
};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use answer::proceed;
use request::{failure_response, validate, Request};

/// How long a pending request waits for its sign-in.
const PENDING_LIFETIME: i64 = 600;
/// Where the sign-in pages send the browser after a sign-in that a pending request waits for.
pub const CONTINUE_PATH: &str = "/oauth2/authorize/continue";
/// Offline grants last at most this long (each refresh token lives the client's refresh
/// lifetime within it).
const OFFLINE_GRANT_LIFETIME: chrono::Duration = chrono::Duration::days(365);

/// The request waiting in the browser's continuation, if any.
fn unseal(provider: &Provider, req: &HttpRequest) -> Option<Request> {
    continuation::read::<Request>(&provider.signin, req).map(|c| c.flow)
}

/// Lets `request` wait for the browser's sign-in: after it, the browser comes back to
/// [`CONTINUE_PATH`], and the sign-in pages' forms may end at the client's redirect URI.
fn with_pending(
    provider: &Provider,
    mut response: HttpResponse,
    request: &Request,
    app: &str,
) -> HttpResponse {
    let waits = Continuation {
        return_to: CONTINUE_PATH.to_string(),
        form_target: Some(request.redirect_uri.clone()),
        app: Some(app.to_string()),
        made_at: request.created_at,
        lifetime: PENDING_LIFETIME,
        flow: request,
    };
    match continuation::write(&provider.signin, &mut response, &waits) {
        Ok(()) => response,
        Err(e) => OAuthError::server_error(e).response(),
    }
}

fn without_pending(provider: &Provider, mut response: HttpResponse) -> HttpResponse {
    continuation::clear(&provider.signin, &mut response);
    response
}

/// `GET` or `POST /oauth2/authorize` (a form, as OpenID Connect allows).
pub async fn start(
    req: HttpRequest,
    provider: web::Data<Provider>,
    params: Params,
) -> HttpResponse {
    let p = provider.clone();
    let checked = web::block(move || validate(&p, &params)).await;
    match checked {
        Ok(Ok((client, request))) => proceed(&req, &provider, client, request).await,
        Ok(Err(failure)) => failure_response(&provider, failure),
        Err(e) => OAuthError::server_error(e).response(),
    }
}

/// The request waiting in the cookie, with its client, or the page that says it is gone.
async fn waiting(
    req: &HttpRequest,
    provider: &web::Data<Provider>,
) -> Result<(Client, Request), HttpResponse> {
    let gone = || {
        browser::message(
            StatusCode::BAD_REQUEST,
            "Sign-in request expired",
            "The application's sign-in request is no longer waiting. Go back to the application and start again.",
            "/console",
        )
    };
    let Some(request) = unseal(provider, req) else {
        return Err(without_pending(provider, gone()));
    };
    let p = provider.clone();
    let id = request.client_id.clone();
    match web::block(move || p.client(&id)).await {
        Ok(Ok(Some(client))) => Ok((client, request)),
        _ => Err(without_pending(provider, gone())),
    }
}

/// `GET /oauth2/authorize/continue`: after the sign-in.
pub async fn resume(req: HttpRequest, provider: web::Data<Provider>) -> HttpResponse {
    match waiting(&req, &provider).await {
        Ok((client, request)) => proceed(&req, &provider, client, request).await,
        Err(response) => response,
    }
}
