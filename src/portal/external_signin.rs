//! The pages of a sign-in through an external OpenID Connect provider (`signin::external`):
//!
//! ```text
//! GET  /signin/external/{account}/{provider}  ─> 303 to the provider (a sign-in waits in a
//!                                                sealed cookie of this browser)
//! GET  /signin/external/callback?code&state   ─> one role: signed in; several: the picker;
//!                                                none: "No role is available to you" (403)
//! POST /signin/external/choose (role, token)  ─> signed in as the role ─> /console
//! ```
//! The cookie holds each step's state sealed under the master key for ten minutes: the PKCE
//! verifier, state and nonce while the browser is at the provider, then what the provider
//! proved while the person picks. The picker's form carries a token that must match the
//! cookie's, and the role must be one it offered.

use super::Portal;
use crate::authz::RequestFacts;
use crate::aws_api::endpoint::AwsApi;
use crate::browser::cookies::{external_cookie_name, session_cookie_name};
use crate::browser::pages::MessagePage;
use crate::browser::{cookie, meta, removal, render, see_other};
use crate::signin::external::{self, ExternalError, Pending, Proven};
use crate::signin::principals::resolve_account;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

const SEAL_PURPOSE: &str = "external-signin";

/// Where a sign-in through a provider is, between requests.
#[derive(Serialize, Deserialize)]
enum Step {
    AtProvider(Pending),
    Proven(Box<Proven>),
}

/// The role picker of every external source's sign-in.
#[derive(Template)]
#[template(path = "role_picker.html")]
pub(super) struct RolePicker {
    pub(super) signed_in: Option<crate::portal::pages::SignedIn>,
    /// Where the picked role is posted.
    pub(super) action: String,
    pub(super) provider: String,
    pub(super) user_name: String,
    pub(super) account: String,
    pub(super) token: String,
    /// (ARN, name)
    pub(super) roles: Vec<(String, String)>,
}

fn write_step(portal: &Portal, response: &mut HttpResponse, step: &Step) -> Result<(), String> {
    let ctx = &portal.ctx;
    let text = serde_json::to_vec(step).map_err(|e| e.to_string())?;
    let sealed = ctx
        .master_key
        .seal(SEAL_PURPOSE, &text, ctx.random.as_ref())
        .map_err(|e| e.to_string())?;
    let mut c = cookie(portal.secure, external_cookie_name(portal.secure), sealed);
    c.set_max_age(actix_web::cookie::time::Duration::seconds(
        external::PENDING_SECONDS,
    ));
    response.add_cookie(&c).map_err(|e| e.to_string())
}

fn read_step(portal: &Portal, req: &HttpRequest) -> Option<Step> {
    use crate::secrets::ExposeSecret;
    let value = req.cookie(external_cookie_name(portal.secure))?;
    let bytes = portal
        .ctx
        .master_key
        .open(SEAL_PURPOSE, value.value())
        .ok()?;
    serde_json::from_slice(bytes.expose_secret()).ok()
}

fn clear_step(portal: &Portal, response: &mut HttpResponse) {
    let name = external_cookie_name(portal.secure);
    let _ = response.add_removal_cookie(&removal(portal.secure, name));
}

pub(super) fn facts(req: &HttpRequest, portal: &Portal) -> RequestFacts {
    let client = crate::http::client_address::of_request(req);
    RequestFacts {
        now: portal.ctx.clock.now(),
        source_ip: client.map(|c| c.ip),
        user_agent: meta(req).user_agent,
        secure_transport: client.is_some_and(|c| c.https),
        region: portal.region.clone(),
        console: None,
    }
}

/// The page of a sign-in that stopped, which ends it.
pub(super) fn stopped(portal: &Portal, error: &ExternalError, back: &str) -> HttpResponse {
    let (status, title) = match error {
        ExternalError::UnknownProvider => (StatusCode::NOT_FOUND, "Sign-in provider not found"),
        ExternalError::NoRole(_) => (StatusCode::FORBIDDEN, "No role is available to you"),
        ExternalError::RoleRefused(_) => (StatusCode::FORBIDDEN, "This role is not available"),
        ExternalError::Stale => (StatusCode::BAD_REQUEST, "Sign-in expired"),
        ExternalError::Refused(_) => (StatusCode::UNAUTHORIZED, "Not signed in"),
        ExternalError::Provider(_) => (StatusCode::BAD_GATEWAY, "Sign-in provider unavailable"),
        ExternalError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed"),
    };
    if let ExternalError::Internal(text) | ExternalError::Provider(text) = error {
        tracing::warn!(reason = %text, "a sign-in through an external provider stopped");
    }
    let message = match error {
        ExternalError::Internal(_) => "Keyward could not sign you in. Please try again.".into(),
        other => other.to_string(),
    };
    let mut response = render(
        status,
        &MessagePage {
            signed_in: None,
            title: title.to_string(),
            message,
            back: back.to_string(),
        },
    );
    clear_step(portal, &mut response);
    response
}

/// `GET /signin/external/{account}/{provider}`: off to the provider.
pub async fn begin(portal: web::Data<Portal>, path: web::Path<(String, String)>) -> HttpResponse {
    let (account, name) = path.into_inner();
    let back = format!(
        "/signin/{}",
        percent_encoding::utf8_percent_encode(&account, percent_encoding::NON_ALPHANUMERIC)
    );
    let p = portal.clone();
    let started = web::block(move || {
        let account_id = p
            .ctx
            .store
            .read(|conn| resolve_account(conn, &account))
            .map_err(|e| ExternalError::Internal(e.to_string()))?
            .ok_or(ExternalError::UnknownProvider)?;
        external::start(&p.signin, &account_id, &name)
    })
    .await;
    match started {
        Ok(Ok((url, pending))) => {
            let mut response = see_other(url.as_str()).finish();
            match write_step(&portal, &mut response, &Step::AtProvider(pending)) {
                Ok(()) => response,
                Err(e) => stopped(&portal, &ExternalError::Internal(e), &back),
            }
        }
        Ok(Err(error)) => stopped(&portal, &error, &back),
        Err(e) => stopped(&portal, &ExternalError::Internal(e.to_string()), &back),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /signin/external/callback`: the provider sent the browser back.
pub async fn callback(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    query: web::Query<Callback>,
) -> HttpResponse {
    let query = query.into_inner();
    let Some(Step::AtProvider(pending)) = read_step(&portal, &req) else {
        return stopped(&portal, &ExternalError::Stale, "/signin");
    };
    let back = format!("/signin/{}", pending.account_id);
    let meta = meta(&req);
    if let Some(error) = query.error {
        let text = query.error_description.unwrap_or(error);
        let error = ExternalError::Refused(text.chars().take(200).collect());
        external::audit_failure(
            &portal,
            &pending.account_id,
            &pending.provider,
            None,
            &error,
            &meta,
        );
        return stopped(&portal, &error, &back);
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return stopped(&portal, &ExternalError::Stale, &back);
    };
    let facts = facts(&req, &portal);
    let (p, a, pend) = (portal.clone(), api.clone(), pending.clone());
    let finished = web::block(move || {
        external::finish(&p.signin, &a.authorizer, &pend, &code, &state, &facts)
    })
    .await
    .unwrap_or_else(|e| Err(ExternalError::Internal(e.to_string())));
    let proven = match finished {
        Ok(proven) => proven,
        Err(error) => {
            external::audit_failure(
                &portal,
                &pending.account_id,
                &pending.provider,
                None,
                &error,
                &meta,
            );
            return stopped(&portal, &error, &back);
        }
    };
    external::audit_proven(&portal, &proven, &meta);
    match proven.roles.as_slice() {
        [] => {
            let error = ExternalError::NoRole(proven.provider.clone());
            external::audit_failure(
                &portal,
                &proven.account_id,
                &proven.provider,
                Some(&proven),
                &error,
                &meta,
            );
            stopped(&portal, &error, &back)
        }
        [only] => {
            let only = only.clone();
            sign_in(req, portal, api, proven, only).await
        }
        roles => {
            let page = RolePicker {
                signed_in: None,
                action: "/signin/external/choose".to_string(),
                provider: proven.provider.clone(),
                user_name: proven.user_name.clone(),
                account: proven.account_id.clone(),
                token: proven.form_token.clone(),
                roles: roles
                    .iter()
                    .map(|arn| {
                        (
                            arn.clone(),
                            arn.rsplit('/').next().unwrap_or(arn).to_string(),
                        )
                    })
                    .collect(),
            };
            let mut response = render(StatusCode::OK, &page);
            match write_step(&portal, &mut response, &Step::Proven(Box::new(proven))) {
                Ok(()) => response,
                Err(e) => stopped(&portal, &ExternalError::Internal(e), &back),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct Choice {
    role: String,
    token: String,
}

/// `POST /signin/external/choose`: the role picked.
pub async fn choose(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    form: web::Form<Choice>,
) -> HttpResponse {
    let form = form.into_inner();
    let Some(Step::Proven(proven)) = read_step(&portal, &req) else {
        return stopped(&portal, &ExternalError::Stale, "/signin");
    };
    if !proven.form_token_ok(&form.token) {
        return stopped(
            &portal,
            &ExternalError::Stale,
            &format!("/signin/{}", proven.account_id),
        );
    }
    sign_in(req, portal, api, *proven, form.role).await
}

/// Opens the console session as `role_arn` and sends the browser to the console.
async fn sign_in(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    proven: Proven,
    role_arn: String,
) -> HttpResponse {
    let back = format!("/signin/{}", proven.account_id);
    let meta = meta(&req);
    let facts = facts(&req, &portal);
    let (p, a, pr, m) = (portal.clone(), api.clone(), proven.clone(), meta.clone());
    let chosen =
        web::block(move || external::choose(&p.signin, &a.authorizer, &pr, &role_arn, &facts, &m))
            .await
            .unwrap_or_else(|e| Err(ExternalError::Internal(e.to_string())));
    match chosen {
        Ok(session) => {
            let mut response = see_other("/console").finish();
            clear_step(&portal, &mut response);
            let _ = response.add_cookie(&cookie(
                portal.secure,
                session_cookie_name(portal.secure),
                session,
            ));
            response
        }
        Err(error) => {
            external::audit_failure(
                &portal,
                &proven.account_id,
                &proven.provider,
                Some(&proven),
                &error,
                &meta,
            );
            stopped(&portal, &error, &back)
        }
    }
}
