//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `GET` or `POST
//! /oauth2/logout` with `id_token_hint`, `post_logout_redirect_uri` (exact match with one the
//! client registered), `state` and `client_id`.
//!
//! With an ID token of the signed-in user as the hint, the session ends at once. Without one,
//! the user confirms first: otherwise any page could sign a user out with a link.

use super::clients::Client;
use super::error::OAuthError;
use super::jwt::{self, ID_TOKEN_TYPE};
use super::params::Params;
use super::Provider;
use crate::browser::{self, continuation::allow_form_target, pages::MessagePage};
use crate::signin::sessions::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use url::Url;

/// A logout request, checked.
struct Logout {
    client: Option<Client>,
    /// The ID token's `sub`, when a valid hint came.
    hinted_subject: Option<String>,
    redirect: Option<Url>,
    state: Option<String>,
}

fn bad(text: &str) -> HttpResponse {
    browser::message(
        StatusCode::BAD_REQUEST,
        "Sign-out link not valid",
        text,
        "/console",
    )
}

fn check(provider: &Provider, params: &Params) -> Result<Logout, String> {
    let text = |e: OAuthError| e.description;
    let mut client_id = params.get("client_id").map_err(text)?.map(str::to_string);
    let mut hinted_subject = None;
    if let Some(hint) = params.get("id_token_hint").map_err(text)? {
        let claims = jwt::verify(
            &provider.keys,
            &provider.ctx,
            provider.issuer(),
            hint,
            ID_TOKEN_TYPE,
            true,
        )
        .map_err(|e| format!("The ID token given as a hint is not valid: {e}."))?;
        let audience = match claims.get("aud") {
            Some(Value::String(a)) => Some(a.clone()),
            Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        if client_id.is_some() && audience.is_some() && client_id != audience {
            return Err("client_id is not the audience of the ID token given as a hint.".into());
        }
        client_id = client_id.or(audience);
        hinted_subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    let client = match &client_id {
        Some(id) => Some(
            provider
                .client(id)
                .map_err(|e| OAuthError::server_error(e).description)?
                .ok_or_else(|| format!("There is no application with the client id {id}."))?,
        ),
        None => None,
    };
    let redirect = match params.get("post_logout_redirect_uri").map_err(text)? {
        None => None,
        Some(uri) => {
            let Some(c) = &client else {
                return Err(
                    "post_logout_redirect_uri needs an id_token_hint or a client_id.".into(),
                );
            };
            if !c.post_logout_redirect_uris.iter().any(|u| u == uri) {
                return Err(format!(
                    "{uri} is not a sign-out redirect URI registered for {}.",
                    c.name
                ));
            }
            Some(
                Url::parse(uri)
                    .map_err(|_| "The sign-out redirect URI is not valid.".to_string())?,
            )
        }
    };
    Ok(Logout {
        client,
        hinted_subject,
        redirect,
        state: params.get("state").map_err(text)?.map(str::to_string),
    })
}

/// [`check`] on the blocking pool; a refusal is the page that says why.
async fn checked(
    req: &HttpRequest,
    provider: &web::Data<Provider>,
    params: Params,
) -> Result<Logout, HttpResponse> {
    let p = provider.clone();
    match web::block(move || check(&p, &params)).await {
        Ok(Ok(l)) => Ok(l),
        Ok(Err(text)) => Err(bad(&text)),
        Err(e) => Err(browser::internal(req, &e)),
    }
}

/// Where the browser goes once signed out.
fn done(provider: &Provider, logout: &Logout) -> HttpResponse {
    let mut response = match &logout.redirect {
        Some(uri) => {
            let mut uri = uri.clone();
            if let Some(state) = &logout.state {
                uri.query_pairs_mut().append_pair("state", state);
            }
            browser::see_other(uri.as_str()).finish()
        }
        None => browser::render(
            StatusCode::OK,
            &MessagePage {
                signed_in: None,
                title: "Signed out".into(),
                message: "You are signed out of Keyward.".into(),
                back: "/signin".into(),
            },
        ),
    };
    let secure = provider.signin.secure;
    let name = browser::session_cookie_name(secure);
    let _ = response.add_removal_cookie(&browser::removal(secure, name));
    response
}

/// Ends the portal session (and the grants that belong to it).
pub(super) async fn sign_out(
    req: &HttpRequest,
    provider: &web::Data<Provider>,
    session: Session,
) -> Result<(), HttpResponse> {
    let meta = crate::http::request_meta(req);
    let signin = provider.signin.clone();
    match web::block(move || crate::signin::flow::sign_out(&signin, &session, false, &meta)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(browser::internal(req, &e)),
        Err(e) => Err(browser::internal(req, &e)),
    }
}

/// `GET` or `POST /oauth2/logout`.
pub async fn start(
    req: HttpRequest,
    provider: web::Data<Provider>,
    params: Params,
) -> HttpResponse {
    let logout = match checked(&req, &provider, params).await {
        Ok(l) => l,
        Err(response) => return response,
    };
    let session = match browser::current(&provider.signin, &req).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let Some(session) = session else {
        return done(&provider, &logout);
    };
    let subject = session.principal.subject(&session.account_id);
    let same_user = logout.hinted_subject.as_deref() == Some(subject.as_str())
        && logout
            .client
            .as_ref()
            .is_some_and(|c| c.account_id == session.account_id);
    if same_user {
        if let Err(response) = sign_out(&req, &provider, session).await {
            return response;
        }
        return done(&provider, &logout);
    }
    let mut fields = Vec::new();
    if let Some(c) = &logout.client {
        fields.push(("client_id".to_string(), c.client_id.clone()));
    }
    if let Some(uri) = &logout.redirect {
        fields.push(("post_logout_redirect_uri".to_string(), uri.to_string()));
    }
    if let Some(state) = &logout.state {
        fields.push(("state".to_string(), state.clone()));
    }
    let asker = logout
        .client
        .as_ref()
        .map_or("An application", |c| c.name.as_str());
    let page = browser::render(
        StatusCode::OK,
        &super::pages::ConfirmPage {
            signed_in: None,
            title: "Sign out?".into(),
            message: format!("{asker} asks to sign you out of Keyward."),
            action: "/oauth2/logout/confirm".into(),
            csrf: browser::session_token(&provider.signin, &session),
            fields,
            button: "Sign out".into(),
        },
    );
    match &logout.redirect {
        Some(target) => allow_form_target(page, target),
        None => page,
    }
}

/// `POST /oauth2/logout/confirm`: the user's confirmation.
pub async fn confirm(
    req: HttpRequest,
    provider: web::Data<Provider>,
    body: web::Bytes,
) -> HttpResponse {
    let params = Params::parse(&body);
    let session = match browser::current(&provider.signin, &req).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let Some(session) = session else {
        return browser::see_other("/signin").finish();
    };
    let token = params.get("csrf_token").ok().flatten().unwrap_or_default();
    if !browser::session_csrf_ok(&provider.signin, &session, token) {
        return browser::csrf_refused();
    }
    let logout = match checked(&req, &provider, params).await {
        Ok(l) => l,
        Err(response) => return response,
    };
    if let Err(response) = sign_out(&req, &provider, session).await {
        return response;
    }
    done(&provider, &logout)
}
