//! The pages of a console sign-in with a directory account (`signin::directory`):
//!
//! ```text
//! GET  /signin/directory/{account}/{directory}   the form (user name, password; CSRF bound to
//!                                                the pre-sign-in cookie)
//! POST /signin/directory/{account}/{directory}   one role: signed in; several: the picker (the
//!                                                proof waits in the store, its id in a cookie);
//!                                                none: "No role is available to you" (403);
//!                                                MFA required: ─> /signin/directory/mfa first
//! GET  /signin/directory/mfa                     the code form, or at a first sign-in the
//!                                                authenticator app's enrolment (QR code, seed)
//! POST /signin/directory/mfa (token, code)       the code ─> signed in, or the picker
//! POST /signin/directory/enrol (token, name,     the app enrolled with two consecutive codes
//!                               code1, code2)     ─> signed in, or the picker
//! POST /signin/directory/choose (role, token)    signed in as the role ─> /console
//! ```
//!
//! Every step after the password finds the waiting sign-in by the pending cookie and checks the
//! form's token against it; a step that moves on uses the waiting sign-in once and keeps what
//! follows under a new id.

use super::external_signin::{facts, stopped, RolePicker};
use super::Portal;
use crate::auth::totp;
use crate::aws_api::endpoint::AwsApi;
use crate::browser::cookies::{pending_cookie_name, session_cookie_name, signin_cookie_name};
use crate::browser::csrf::{signin_binding, signin_csrf_ok, signin_token};
use crate::browser::{cookie, meta, removal, render, see_other};
use crate::secrets::SecretString;
use crate::signin::directory::{self, DirectoryProven, DirectorySigninError};
use crate::signin::external::{ExternalError, PENDING_SECONDS};
use crate::signin::{pending, sessions};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "directory_signin.html")]
struct DirectorySigninPage {
    signed_in: Option<crate::portal::pages::SignedIn>,
    directory: String,
    account: String,
    action: String,
    csrf: String,
    user_name: String,
    error: Option<String>,
}

fn form(
    req: &HttpRequest,
    portal: &Portal,
    (account, name): (&str, &str),
    user_name: &str,
    status: StatusCode,
    error: Option<String>,
) -> HttpResponse {
    let existing = Some(signin_binding(portal, req)).filter(|v| v.len() >= 16);
    let binding = existing
        .clone()
        .unwrap_or_else(|| sessions::new_id(portal.ctx.random.as_ref()));
    let page = DirectorySigninPage {
        signed_in: None,
        directory: name.to_string(),
        account: account.to_string(),
        action: format!("/signin/directory/{account}/{name}"),
        csrf: signin_token(portal, &binding),
        user_name: user_name.to_string(),
        error,
    };
    let mut response = render(status, &page);
    if existing.is_none() {
        let _ = response.add_cookie(&cookie(
            portal.secure,
            signin_cookie_name(portal.secure),
            binding,
        ));
    }
    response
}

/// `GET /signin/directory/{account}/{directory}`
pub async fn page(
    req: HttpRequest,
    portal: web::Data<Portal>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (account, name) = path.into_inner();
    form(&req, &portal, (&account, &name), "", StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct Credentials {
    csrf_token: String,
    username: String,
    password: String,
}

/// `POST /signin/directory/{account}/{directory}`
pub async fn submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    path: web::Path<(String, String)>,
    typed: web::Form<Credentials>,
) -> HttpResponse {
    let (account, name) = path.into_inner();
    let typed = typed.into_inner();
    let back = format!("/signin/directory/{account}/{name}");
    if !signin_csrf_ok(&portal, &req, &typed.csrf_token) {
        return crate::browser::csrf_refused();
    }
    let user_name: String = typed.username.trim().chars().take(256).collect();
    let password = SecretString::from(typed.password);
    let (p, a, who) = (portal.clone(), api.clone(), user_name.clone());
    let (facts, meta) = (facts(&req, &portal), meta(&req));
    let m = meta.clone();
    let acct = account.clone();
    let dir = name.clone();
    let proven = web::block(move || {
        let account_id = p
            .ctx
            .store
            .read(|conn| crate::signin::principals::resolve_account(conn, &acct))
            .map_err(|e| ExternalError::Internal(e.to_string()))?
            .ok_or(DirectorySigninError::UnknownDirectory)?;
        directory::sign_in(
            &p.signin,
            &a.authorizer,
            &a.directories,
            &account_id,
            &dir,
            &who,
            &password,
            &facts,
            &m,
        )
    })
    .await
    .unwrap_or_else(|e| Err(ExternalError::Internal(e.to_string()).into()));
    let proven = match proven {
        Ok(proven) => proven,
        Err(DirectorySigninError::Other(error)) => return stopped(&portal, &error, &back),
        Err(error) => {
            let status = match error {
                DirectorySigninError::UnknownDirectory => StatusCode::NOT_FOUND,
                DirectorySigninError::Throttled => StatusCode::TOO_MANY_REQUESTS,
                DirectorySigninError::Unavailable => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNAUTHORIZED,
            };
            return form(
                &req,
                &portal,
                (&account, &name),
                &user_name,
                status,
                Some(error.to_string()),
            );
        }
    };
    next_step(req, portal, api, proven).await
}

/// Keeps `proven` waiting under a new id: the response's pending cookie.
async fn keep(
    portal: &web::Data<Portal>,
    proven: &DirectoryProven,
) -> Result<String, ExternalError> {
    let ctx = portal.ctx.clone();
    let kept = proven.clone();
    web::block(move || pending::put(&ctx, &kept, chrono::Duration::seconds(PENDING_SECONDS)))
        .await
        .map_err(|e| ExternalError::Internal(e.to_string()))?
        .map_err(|e| ExternalError::Internal(e.to_string()))
}

pub(super) fn with_pending(
    portal: &Portal,
    mut response: HttpResponse,
    id: String,
) -> HttpResponse {
    let mut c = cookie(portal.secure, pending_cookie_name(portal.secure), id);
    c.set_max_age(actix_web::cookie::time::Duration::seconds(PENDING_SECONDS));
    let _ = response.add_cookie(&c);
    response
}

/// Where a proved step leads.
pub(super) enum Next {
    /// Signed in as the one role open: the session cookie.
    Signed(String),
    /// The second factor is owed: the waiting sign-in's id.
    Mfa(String),
    /// Several roles: the waiting sign-in's id, for the picker.
    Picker(String),
}

/// What follows a proved step: the second factor when it is required and not proved yet,
/// else the one role at once, else the picker.
pub(super) async fn advance(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    api: &web::Data<AwsApi>,
    proven: DirectoryProven,
) -> Result<Next, ExternalError> {
    if !proven.awaiting_mfa() {
        if let [only] = proven.roles.as_slice() {
            let only = only.clone();
            return open(req, portal, api, proven, only).await.map(Next::Signed);
        }
    }
    let id = keep(portal, &proven).await?;
    Ok(if proven.awaiting_mfa() {
        Next::Mfa(id)
    } else {
        Next::Picker(id)
    })
}

/// [`advance`] for the forms: the console, the MFA page or the picker.
async fn next_step(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    proven: DirectoryProven,
) -> HttpResponse {
    let back = format!(
        "/signin/directory/{}/{}",
        proven.account_id, proven.directory
    );
    let picker = picker(&proven);
    match advance(&req, &portal, &api, proven).await {
        Ok(Next::Signed(session)) => signed_in(&portal, see_other("/console").finish(), session),
        Ok(Next::Mfa(id)) => with_pending(&portal, see_other(MFA_PAGE).finish(), id),
        Ok(Next::Picker(id)) => with_pending(&portal, render(StatusCode::OK, &picker), id),
        Err(e) => stopped(&portal, &e, &back),
    }
}

/// The response with the new console session's cookie, the waiting sign-in's removed.
pub(super) fn signed_in(
    portal: &Portal,
    mut response: HttpResponse,
    session: String,
) -> HttpResponse {
    let name = pending_cookie_name(portal.secure);
    let _ = response.add_removal_cookie(&removal(portal.secure, name));
    let _ = response.add_cookie(&cookie(
        portal.secure,
        session_cookie_name(portal.secure),
        session,
    ));
    response
}

fn picker(proven: &DirectoryProven) -> RolePicker {
    RolePicker {
        signed_in: None,
        action: "/signin/directory/choose".to_string(),
        provider: format!("Directory {}", proven.directory),
        user_name: proven.user_name.clone(),
        account: proven.account_id.clone(),
        token: proven.form_token.clone(),
        roles: proven
            .roles
            .iter()
            .map(|arn| {
                (
                    arn.clone(),
                    arn.rsplit('/').next().unwrap_or(arn).to_string(),
                )
            })
            .collect(),
    }
}

/// `GET /signin/directory/choose`: the picker of the waiting sign-in (after a security key,
/// whose script lands here).
pub async fn picker_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    match waiting(&req, &portal).await {
        Ok((_, proven)) if !proven.awaiting_mfa() && !proven.roles.is_empty() => {
            render(StatusCode::OK, &picker(&proven))
        }
        Ok(_) => stopped(&portal, &ExternalError::Stale, "/signin"),
        Err(e) => stopped(&portal, &e, "/signin"),
    }
}

pub(super) const MFA_PAGE: &str = "/signin/directory/mfa";

/// The waiting sign-in of the browser's pending cookie: its id and what it proved.
pub(super) async fn waiting(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<(String, DirectoryProven), ExternalError> {
    let id = req
        .cookie(pending_cookie_name(portal.secure))
        .map(|c| c.value().to_string())
        .ok_or(ExternalError::Stale)?;
    let ctx = portal.ctx.clone();
    let key = id.clone();
    let found = web::block(move || pending::get::<DirectoryProven>(&ctx, &key))
        .await
        .map_err(|e| ExternalError::Internal(e.to_string()))?
        .map_err(|e| ExternalError::Internal(e.to_string()))?;
    found.map(|p| (id, p)).ok_or(ExternalError::Stale)
}

/// Uses the waiting sign-in `id` once: whether it was still there.
pub(super) async fn take(portal: &web::Data<Portal>, id: String) -> Result<bool, ExternalError> {
    let ctx = portal.ctx.clone();
    web::block(move || pending::take(&ctx, &id))
        .await
        .map_err(|e| ExternalError::Internal(e.to_string()))?
        .map_err(|e| ExternalError::Internal(e.to_string()))
}

#[derive(Template)]
#[template(path = "directory_mfa.html")]
struct DirectoryMfaPage {
    signed_in: Option<crate::portal::pages::SignedIn>,
    directory: String,
    user_name: String,
    token: String,
    /// At a first sign-in: the QR code and the seed of the app to enrol.
    enrol: Option<(String, String)>,
    /// Later: the kinds of device the identity has.
    has_totp: bool,
    has_keys: bool,
    name: String,
    error: Option<String>,
}

/// The MFA page of the waiting sign-in: the enrolment, or the identity's devices to use.
async fn mfa_form(
    portal: &web::Data<Portal>,
    proven: &DirectoryProven,
    status: StatusCode,
    name: &str,
    error: Option<String>,
) -> HttpResponse {
    let (ctx, owner) = (portal.ctx.clone(), proven.owner());
    let kinds = web::block(move || crate::iam::mfa::devices_of(&ctx, &owner)).await;
    let Ok(Ok(devices)) = kinds else {
        return stopped(
            portal,
            &ExternalError::Internal("the devices cannot be read".into()),
            "/signin",
        );
    };
    let enrol = proven.enrol_seed().and_then(|seed| {
        let label = format!("{}@{}", proven.user_name, proven.account_id);
        let svg = totp::otpauth_uri(seed, "Keyward", &label).and_then(|uri| totp::qr_svg(&uri))?;
        Some((svg, data_encoding::BASE32_NOPAD.encode(seed)))
    });
    render(
        status,
        &DirectoryMfaPage {
            signed_in: None,
            directory: proven.directory.clone(),
            user_name: proven.user_name.clone(),
            token: proven.form_token.clone(),
            enrol,
            has_totp: devices.iter().any(|d| d.kind == "totp"),
            has_keys: devices.iter().any(|d| d.kind == "webauthn"),
            name: name.to_string(),
            error,
        },
    )
}

/// `GET /signin/directory/mfa`
pub async fn mfa_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    match waiting(&req, &portal).await {
        Ok((_, proven)) if proven.awaiting_mfa() => {
            mfa_form(&portal, &proven, StatusCode::OK, "Authenticator app", None).await
        }
        Ok(_) => stopped(&portal, &ExternalError::Stale, "/signin"),
        Err(e) => stopped(&portal, &e, "/signin"),
    }
}

#[derive(Deserialize)]
pub struct SecondFactor {
    token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code1: String,
    #[serde(default)]
    code2: String,
}

/// Runs a second-factor `step` on the waiting sign-in `id` (on the blocking pool); when it
/// succeeds, uses the waiting sign-in once: what it then proved.
pub(super) async fn prove(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    api: &web::Data<AwsApi>,
    id: &str,
    proven: DirectoryProven,
    step: impl FnOnce(
            &crate::signin::SigninService,
            &directory::SecondStep<'_>,
            &mut DirectoryProven,
        ) -> Result<(), DirectorySigninError>
        + Send
        + 'static,
) -> Result<DirectoryProven, DirectorySigninError> {
    let (p, a) = (portal.clone(), api.clone());
    let (facts, m) = (facts(req, portal), meta(req));
    let pending_hash = sessions::hash_id(id);
    let proved = web::block(move || {
        let second = directory::SecondStep {
            authorizer: &a.authorizer,
            pending_hash: &pending_hash,
            facts: &facts,
            meta: &m,
        };
        let mut checked = proven;
        step(&p.signin, &second, &mut checked).map(|()| checked)
    })
    .await
    .unwrap_or_else(|e| Err(ExternalError::Internal(e.to_string()).into()))?;
    if take(portal, id.to_string()).await? {
        Ok(proved)
    } else {
        Err(ExternalError::Stale.into())
    }
}

/// `POST /signin/directory/mfa`: a code from the identity's app.
pub async fn mfa_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    form: web::Form<SecondFactor>,
) -> HttpResponse {
    second_factor(req, portal, api, form.into_inner(), false).await
}

/// `POST /signin/directory/enrol`: the first app enrolled.
pub async fn enrol_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    form: web::Form<SecondFactor>,
) -> HttpResponse {
    second_factor(req, portal, api, form.into_inner(), true).await
}

async fn second_factor(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    typed: SecondFactor,
    enrolling: bool,
) -> HttpResponse {
    let (id, proven) = match waiting(&req, &portal).await {
        Ok(found) => found,
        Err(e) => return stopped(&portal, &e, "/signin"),
    };
    if !proven.form_token_ok(&typed.token) || !proven.awaiting_mfa() {
        return stopped(&portal, &ExternalError::Stale, "/signin");
    }
    let back = format!(
        "/signin/directory/{}/{}",
        proven.account_id, proven.directory
    );
    let name = typed.name.clone();
    let result = prove(
        &req,
        &portal,
        &api,
        &id,
        proven.clone(),
        move |service, second, proven| {
            if enrolling {
                let codes = (typed.code1.as_str(), typed.code2.as_str());
                directory::enrol(service, second, proven, &typed.name, codes)
            } else {
                directory::with_code(service, second, proven, &typed.code)
            }
        },
    )
    .await;
    match result {
        Ok(proved) => next_step(req, portal, api, proved).await,
        Err(DirectorySigninError::Other(e)) => stopped(&portal, &e, &back),
        Err(e @ (DirectorySigninError::CodesSpent | DirectorySigninError::AlreadyEnrolled)) => {
            let _ = take(&portal, id).await;
            let mut response = form(
                &req,
                &portal,
                (&proven.account_id, &proven.directory),
                &proven.user_name,
                StatusCode::UNAUTHORIZED,
                Some(e.to_string()),
            );
            let name = pending_cookie_name(portal.secure);
            let _ = response.add_removal_cookie(&removal(portal.secure, name));
            response
        }
        Err(e) => {
            let status = match e {
                DirectorySigninError::Throttled => StatusCode::TOO_MANY_REQUESTS,
                DirectorySigninError::Invalid(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::UNAUTHORIZED,
            };
            mfa_form(&portal, &proven, status, &name, Some(e.to_string())).await
        }
    }
}

#[derive(Deserialize)]
pub struct Choice {
    role: String,
    token: String,
}

/// `POST /signin/directory/choose`: the role picked; the waiting proof is used once.
pub async fn choose(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    choice: web::Form<Choice>,
) -> HttpResponse {
    let choice = choice.into_inner();
    let (id, proven) = match waiting(&req, &portal).await {
        Ok(found) => found,
        Err(e) => return stopped(&portal, &e, "/signin"),
    };
    if !proven.form_token_ok(&choice.token) {
        return stopped(&portal, &ExternalError::Stale, "/signin");
    }
    match take(&portal, id).await {
        Ok(true) => sign_in(req, portal, api, proven, choice.role).await,
        Ok(false) => stopped(&portal, &ExternalError::Stale, "/signin"),
        Err(e) => stopped(&portal, &e, "/signin"),
    }
}

/// Opens the console session as `role_arn`: its cookie.
async fn open(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    api: &web::Data<AwsApi>,
    proven: DirectoryProven,
    role_arn: String,
) -> Result<String, ExternalError> {
    let (facts, meta) = (facts(req, portal), meta(req));
    let (p, a) = (portal.clone(), api.clone());
    web::block(move || {
        directory::choose(&p.signin, &a.authorizer, &proven, &role_arn, &facts, &meta)
    })
    .await
    .unwrap_or_else(|e| Err(ExternalError::Internal(e.to_string())))
}

/// Opens the console session as `role_arn` and sends the browser to the console.
async fn sign_in(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    proven: DirectoryProven,
    role_arn: String,
) -> HttpResponse {
    let back = format!(
        "/signin/directory/{}/{}",
        proven.account_id, proven.directory
    );
    match open(&req, &portal, &api, proven, role_arn).await {
        Ok(session) => signed_in(&portal, see_other("/console").finish(), session),
        Err(error) => stopped(&portal, &error, &back),
    }
}
