//! Moving a valid request on: to the sign-in (the request waits in the browser's
//! continuation), to the consent page, or back to the client with a code.

use super::super::claims::{self, authentication_methods};
use super::super::clients::Client;
use super::super::error::OAuthError;
use super::super::grants::{self, Grant};
use super::super::pages::{describe_scope, ConfirmPage, ConsentPage};
use super::super::Provider;
use super::request::{error_redirect, Request};
use super::step::{step, Step};
use super::{with_pending, without_pending, OFFLINE_GRANT_LIFETIME};
use crate::audit::{AuditEvent, EventSource, RequestMeta};
use crate::browser::{self, continuation::allow_form_target};
use crate::signin::sessions::{Session, Stage};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use url::Url;

pub(super) fn subject_of(session: &Session) -> String {
    session.principal.subject(&session.account_id)
}

/// Issues the code: a new grant, audited. Returns where the browser goes.
pub(super) fn issue(
    provider: &Provider,
    client: &Client,
    request: &Request,
    session: &Session,
    meta: &RequestMeta,
) -> Result<Url, OAuthError> {
    let ctx = &provider.ctx;
    let now = ctx.clock.now_naive();
    let offline = request.scopes.iter().any(|s| s == "offline_access");
    let (amr, acr) = authentication_methods(session.mfa_method.as_deref());
    let mut grant = Grant {
        id: grants::new_grant_id(ctx.random.as_ref()),
        client_id: client.client_id.clone(),
        account_id: client.account_id.clone(),
        user_id: None,
        subject: subject_of(session),
        scope: request.scopes.join(" "),
        nonce: request.nonce.clone(),
        auth_time: session.created_at,
        amr: serde_json::Value::from(amr.clone()).to_string(),
        acr: acr.to_string(),
        session_hash: (!offline).then(|| session.id_hash.clone()),
        created_at: now,
        expires_at: if offline {
            now + OFFLINE_GRANT_LIFETIME
        } else {
            session.expires_at
        },
        revoked_at: None,
        principal_kind: String::new(),
        federated_principal: None,
    };
    grant.set_principal(&session.principal);
    let code = grants::new_token(ctx.random.as_ref());
    ctx.store.write(|conn| {
        grants::issue_code(
            conn,
            &grant,
            &code,
            &request.redirect_uri,
            request.code_challenge.as_deref(),
            now + provider.code_lifetime,
        )
    })?;
    let event = AuditEvent::new(EventSource::Oidc, "Authorize")
        .account(&client.account_id)
        .parameters(json!({
            "clientId": client.client_id,
            "subject": grant.subject,
            "scope": grant.scope,
            "amr": amr,
        }));
    provider.audit.push(now, meta, event);
    let mut uri = Url::parse(&request.redirect_uri).map_err(OAuthError::server_error)?;
    {
        let mut q = uri.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(state) = &request.state {
            q.append_pair("state", state);
        }
        q.append_pair("iss", provider.issuer());
    }
    Ok(uri)
}

/// The account's sign-in page, with the user name the client suggested.
pub(super) fn signin_path(client: &Client, request: &Request) -> String {
    let mut to = format!("/signin/{}", client.account_id);
    if let Some(hint) = &request.login_hint {
        to.push_str("?login_hint=");
        to.extend(url::form_urlencoded::byte_serialize(hint.as_bytes()));
    }
    to
}

/// Moves a valid request on: to the sign-in, the consent page, or the client with a code.
pub(super) async fn proceed(
    req: &HttpRequest,
    provider: &web::Data<Provider>,
    client: Client,
    request: Request,
) -> HttpResponse {
    let signin = &provider.signin;
    let session = match browser::current(signin, req).await {
        Ok(s) => s.filter(|s| s.stage == Stage::Active),
        Err(response) => return response,
    };
    let p = provider.clone();
    let (c, r, s) = (client.clone(), request.clone(), session.clone());
    let meta = crate::http::request_meta(req);
    let decided = web::block(move || {
        let consented = match &s {
            Some(s) => p
                .ctx
                .store
                .read(|conn| grants::consented(conn, &subject_of(s), &c.client_id))?,
            None => None,
        };
        let now = p.ctx.clock.now().timestamp();
        let next = step(&c, &r, s.as_ref(), consented.as_deref(), now)?;
        match (&next, &s) {
            (Step::Issue, Some(session)) => {
                issue(&p, &c, &r, session, &meta).map(|uri| (next, Some(uri)))
            }
            _ => Ok((next, None)),
        }
    })
    .await
    .map_err(OAuthError::from)
    .and_then(|r| r);
    let back = || Url::parse(&request.redirect_uri).ok();
    match decided {
        Ok((Step::Issue, Some(uri))) => {
            without_pending(provider, browser::see_other(uri.as_str()).finish())
        }
        Ok((Step::Issue, None)) => {
            without_pending(provider, OAuthError::server_error("no session").response())
        }
        Ok((
            Step::SignIn {
                reauthenticate: None,
            },
            _,
        )) => with_pending(
            provider,
            browser::see_other(&signin_path(&client, &request)).finish(),
            &request,
            &client.name,
        ),
        Ok((
            Step::SignIn {
                reauthenticate: Some(why),
            },
            _,
        )) => {
            let Some(session) = session else {
                return OAuthError::server_error("no session").response();
            };
            let page = ConfirmPage {
                signed_in: None,
                title: "Sign in again".into(),
                message: format!("{why} Continuing signs you out of Keyward first."),
                action: "/oauth2/authorize/reauthenticate".into(),
                csrf: browser::session_token(signin, &session),
                fields: Vec::new(),
                button: "Sign out and continue".into(),
            };
            with_pending(
                provider,
                browser::render(StatusCode::OK, &page),
                &request,
                &client.name,
            )
        }
        Ok((Step::Consent, _)) => {
            let Some(session) = session else {
                return OAuthError::server_error("no session").response();
            };
            let p = provider.clone();
            let (account, user) = (session.account_id.clone(), session.principal.clone());
            let name = web::block(move || {
                p.ctx
                    .store
                    .read(|conn| claims::profile(conn, &account, &user))
            })
            .await
            .ok()
            .and_then(|r| r.ok())
            .flatten()
            .map_or_else(|| "root".to_string(), |p| p.user_name);
            let page = ConsentPage {
                signed_in: None,
                csrf: browser::session_token(signin, &session),
                client_name: client.name.clone(),
                user_name: name,
                account_id: session.account_id.clone(),
                scopes: request.scopes.iter().map(|s| describe_scope(s)).collect(),
                request: request.digest(),
                redirect_host: back()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default(),
            };
            let page = browser::render(StatusCode::OK, &page);
            let page = match back() {
                Some(target) => allow_form_target(page, &target),
                None => page,
            };
            with_pending(provider, page, &request, &client.name)
        }
        Err(e) if e.code == "server_error" => without_pending(provider, e.response()),
        Err(e) => match back() {
            Some(uri) => without_pending(
                provider,
                error_redirect(provider, uri, request.state.as_deref(), &e),
            ),
            None => without_pending(provider, e.response()),
        },
    }
}
