//! The answers to the provider's own pages: the consent form, and the confirmation that ends
//! a session so that the waiting request's sign-in can happen.

use super::super::error::OAuthError;
use super::super::grants;
use super::super::Provider;
use super::answer::{proceed, signin_path, subject_of};
use super::request::error_redirect;
use super::{waiting, without_pending, CONTINUE_PATH};
use crate::audit::{AuditEvent, EventSource};
use crate::browser;
use crate::signin::sessions::Stage;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use url::Url;

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf_token: String,
    decision: String,
    /// The digest of the request the page showed ([`Request::digest`]).
    request: String,
}

/// `POST /oauth2/authorize/consent`.
pub async fn consent(
    req: HttpRequest,
    provider: web::Data<Provider>,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    let signin = &provider.signin;
    let session = match browser::current(signin, &req).await {
        Ok(Some(s)) if s.stage == Stage::Active => s,
        Ok(_) => return browser::see_other("/signin").finish(),
        Err(response) => return response,
    };
    if !browser::session_csrf_ok(signin, &session, &form.csrf_token) {
        return browser::csrf_refused();
    }
    let (client, request) = match waiting(&req, &provider).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    // An answer to another request's page (the browser started a new authorization since
    // it was shown) decides nothing: the waiting request's own page is shown instead.
    let shown = subtle::ConstantTimeEq::ct_eq(form.request.as_bytes(), request.digest().as_bytes());
    if session.account_id != client.account_id || !bool::from(shown) {
        return proceed(&req, &provider, client, request).await;
    }
    let Ok(back) = Url::parse(&request.redirect_uri) else {
        return without_pending(
            &provider,
            OAuthError::server_error("bad redirect URI").response(),
        );
    };
    let meta = crate::http::request_meta(&req);
    let subject = subject_of(&session);
    if form.decision != "allow" {
        let event = AuditEvent::new(EventSource::Oidc, "DenyConsent")
            .account(&client.account_id)
            .parameters(json!({ "clientId": client.client_id, "subject": subject }));
        provider
            .audit
            .push(provider.ctx.clock.now_naive(), &meta, event);
        let e = OAuthError::access_denied("the user did not allow the application");
        return without_pending(
            &provider,
            error_redirect(&provider, back, request.state.as_deref(), &e),
        );
    }
    let p = provider.clone();
    let (c, r) = (client.clone(), request.clone());
    let stored = web::block(move || {
        let now = p.ctx.clock.now_naive();
        // A consent given twice at once (two tabs) adds up instead of failing.
        p.ctx.store.write_again_on_conflict(|conn| {
            grants::consent(conn, &subject, &c.client_id, &c.account_id, &r.scopes, now)?;
            let event = AuditEvent::new(EventSource::Oidc, "GrantConsent")
                .account(&c.account_id)
                .parameters(json!({ "clientId": c.client_id, "subject": subject, "scope": r.scopes.join(" ") }));
            crate::audit::record(conn, now, p.ctx.random.as_ref(), &meta, event)
        })
    })
    .await;
    match stored {
        Ok(Ok(())) => {
            // The consent just given covers the request, whatever its prompt said.
            let mut request = request;
            request.prompt.retain(|p| p != "consent");
            proceed(&req, &provider, client, request).await
        }
        Ok(Err(e)) => without_pending(&provider, OAuthError::server_error(e).response()),
        Err(e) => without_pending(&provider, OAuthError::server_error(e).response()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf_token: String,
}

/// `POST /oauth2/authorize/reauthenticate`: ends the session so that the waiting request's
/// sign-in can happen.
pub async fn reauthenticate(
    req: HttpRequest,
    provider: web::Data<Provider>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let signin = &provider.signin;
    let session = match browser::current(signin, &req).await {
        Ok(Some(s)) => s,
        Ok(None) => return browser::see_other(CONTINUE_PATH).finish(),
        Err(response) => return response,
    };
    if !browser::session_csrf_ok(signin, &session, &form.csrf_token) {
        return browser::csrf_refused();
    }
    let (client, request) = match waiting(&req, &provider).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if let Err(response) = super::super::logout::sign_out(&req, &provider, session).await {
        return response;
    }
    let mut response = browser::see_other(&signin_path(&client, &request)).finish();
    let name = browser::session_cookie_name(signin.secure);
    let _ = response.add_removal_cookie(&browser::removal(signin.secure, name));
    response
}
