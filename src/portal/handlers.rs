//! The portal's HTTP handlers: read the cookie and form, check the CSRF token, call one
//! service function, answer with a page or a redirect (303 after every successful POST).

use super::pages::{
    ChangePasswordPage, Check, Count, DashboardPage, MessagePage, MfaPage, SignedIn, SigninPage,
};
use super::sessions::{self, Session, Stage};
use super::signin::{self, Attempt, NewPassword, Outcome, Refusal, SigninError};
use super::{credentials, webauthn_api, Portal};
use crate::audit::RequestMeta;
use crate::auth::hash_pool::PoolError;
use crate::authz::{Caller, ConsoleSignin, RequestFacts};
use crate::aws_api::endpoint::AwsApi;
use crate::http::security_headers;
use crate::iam;
use crate::secrets::SecretString;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// The session cookie. With https it carries the `__Host-` prefix, which browsers accept only
/// with `Secure`, `Path=/` and no `Domain`: no subdomain can plant or read it.
const SESSION_COOKIE: &str = "keyward_session";
const SECURE_SESSION_COOKIE: &str = "__Host-keyward_session";
/// The pre-sign-in cookie that the sign-in form's CSRF token is bound to.
const SIGNIN_COOKIE: &str = "keyward_signin";
/// A browser's known-device token (see `known_device`).
const DEVICE_COOKIE: &str = "keyward_device";
const SECURE_DEVICE_COOKIE: &str = "__Host-keyward_device";
const SECURE_SIGNIN_COOKIE: &str = "__Host-keyward_signin";

const STYLESHEET: &str = include_str!("../../static/keyward.css");
const SCRIPT: &str = include_str!("../../static/webauthn.js");

/// The portal's routes, each behind the security headers.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/signin")
            .wrap(from_fn(security_headers::middleware))
            .app_data(form_config())
            .app_data(json_config())
            .route("", web::get().to(signin_page))
            .route("", web::post().to(signin_submit))
            .route("/mfa", web::get().to(mfa_page))
            .route("/mfa", web::post().to(mfa_submit))
            .route("/mfa/recovery", web::post().to(recovery_submit))
            .route(
                "/mfa/webauthn/begin",
                web::post().to(webauthn_api::second_factor_begin),
            )
            .route(
                "/mfa/webauthn/finish",
                web::post().to(webauthn_api::second_factor_finish),
            )
            .route(
                "/passkey/begin",
                web::post().to(webauthn_api::passkey_begin),
            )
            .route(
                "/passkey/finish",
                web::post().to(webauthn_api::passkey_finish),
            )
            .route("/{account}", web::get().to(signin_page_for)),
    )
    .service(
        web::scope("/signout")
            .wrap(from_fn(security_headers::middleware))
            .app_data(form_config())
            .route("", web::post().to(signout))
            .route("/everywhere", web::post().to(signout_everywhere)),
    )
    .service(
        super::console::configure(web::scope("/console"))
            .wrap(from_fn(security_headers::middleware))
            .app_data(form_config())
            .app_data(json_config())
            .route("", web::get().to(dashboard))
            .route("/password", web::get().to(password_page))
            .route("/password", web::post().to(password_submit))
            .route("/mfa", web::get().to(credentials::devices_page))
            .route("/mfa/rename", web::post().to(credentials::rename_device))
            .route("/mfa/remove", web::post().to(credentials::remove_device))
            .route("/mfa/totp", web::get().to(credentials::totp_page))
            .route("/mfa/totp", web::post().to(credentials::totp_submit))
            .route(
                "/mfa/recovery-codes",
                web::post().to(credentials::new_recovery_codes),
            )
            .route(
                "/mfa/webauthn/begin",
                web::post().to(webauthn_api::register_begin),
            )
            .route(
                "/mfa/webauthn/finish",
                web::post().to(webauthn_api::register_finish),
            )
            .route(
                "/reauthenticate",
                web::post().to(credentials::reauthenticate),
            )
            .default_service(web::to(no_such_page)),
    )
    .service(
        web::scope("/static")
            .wrap(from_fn(security_headers::middleware))
            .route("/keyward.css", web::get().to(stylesheet))
            .route("/webauthn.js", web::get().to(script)),
    );
}

pub(crate) fn session_cookie_name(portal: &Portal) -> &'static str {
    if portal.secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

pub(super) fn signin_cookie_name(portal: &Portal) -> &'static str {
    if portal.secure {
        SECURE_SIGNIN_COOKIE
    } else {
        SIGNIN_COOKIE
    }
}

fn device_cookie_name(portal: &Portal) -> &'static str {
    if portal.secure {
        SECURE_DEVICE_COOKIE
    } else {
        DEVICE_COOKIE
    }
}

/// Remembers the browser as a known device of the principal whose password it just gave.
fn with_device(portal: &Portal, mut response: HttpResponse, token: Option<String>) -> HttpResponse {
    if let Some(token) = token {
        let mut c = cookie(portal, device_cookie_name(portal), token);
        c.set_max_age(actix_web::cookie::time::Duration::days(
            super::known_device::LIFETIME_DAYS,
        ));
        let _ = response.add_cookie(&c);
    }
    response
}

pub(crate) fn cookie(portal: &Portal, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(portal.secure)
        .same_site(SameSite::Lax)
        .finish()
}

pub(crate) fn removal(portal: &Portal, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(portal, name, String::new());
    c.make_removal();
    c
}

pub(super) fn meta(req: &HttpRequest) -> RequestMeta {
    crate::http::request_meta(req)
}

pub(crate) fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Keyward could not show this page.")
        }
    }
}

pub(crate) fn message(status: StatusCode, title: &str, text: &str, back: &str) -> HttpResponse {
    render(
        status,
        &MessagePage {
            signed_in: None,
            title: title.to_string(),
            message: text.to_string(),
            back: back.to_string(),
        },
    )
}

/// Forms that cannot be read (a field missing, a body too large) get a page that says so, in
/// the portal's own shape, instead of the framework's plain text.
pub(crate) fn form_config() -> web::FormConfig {
    web::FormConfig::default().error_handler(|err, _req| {
        use actix_web::ResponseError;
        let page = message(
            err.status_code(),
            "Form not understood",
            &format!(
                "The form could not be read ({}). Open the page again and retry.",
                err.to_string().trim_end_matches('.')
            ),
            "/signin",
        );
        actix_web::error::InternalError::from_response(err, page).into()
    })
}

/// The same for the WebAuthn script's JSON calls: `{"error": ...}` like their other refusals.
pub(crate) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().error_handler(|err, _req| {
        use actix_web::ResponseError;
        let answer = HttpResponse::build(err.status_code()).json(serde_json::json!({
            "error": format!(
                "The request could not be read ({}). Reload the page and retry.",
                err.to_string().trim_end_matches('.')
            ),
        }));
        actix_web::error::InternalError::from_response(err, answer).into()
    })
}

/// A console path that names no page (or a method the page does not take).
async fn no_such_page() -> HttpResponse {
    message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no such page in the console.",
        "/console",
    )
}

pub(crate) fn see_other(location: &str) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::SeeOther();
    b.insert_header((header::LOCATION, location.to_string()));
    b
}

/// Something failed inside: logged with the request id, never shown.
pub(crate) fn internal(req: &HttpRequest, error: &dyn std::fmt::Display) -> HttpResponse {
    let id = meta(req).request_id.unwrap_or_default();
    tracing::error!(request_id = %id, error = %error, "portal request failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &format!("Keyward could not complete the request. Request id: {id}"),
        "/console",
    )
}

/// [`internal`] for the JSON endpoints.
pub(super) fn internal_json(req: &HttpRequest, error: &dyn std::fmt::Display) -> HttpResponse {
    let id = meta(req).request_id.unwrap_or_default();
    tracing::error!(request_id = %id, error = %error, "portal request failed");
    HttpResponse::InternalServerError().json(serde_json::json!({
        "error": format!("Keyward could not complete the request. Request id: {id}")
    }))
}

pub(super) fn busy() -> HttpResponse {
    let mut r = message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Busy",
        "Too many sign-ins are being checked right now. Try again in a moment.",
        "/signin",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
    r
}

pub(crate) fn csrf_refused() -> HttpResponse {
    message(
        StatusCode::FORBIDDEN,
        "Form expired",
        "The form was too old or did not come from this site. Open the page again and retry.",
        "/signin",
    )
}

/// The session behind the request's cookie, if it is alive.
pub(crate) async fn current(
    portal: &web::Data<Portal>,
    req: &HttpRequest,
) -> Result<Option<Session>, HttpResponse> {
    let Some(value) = req
        .cookie(session_cookie_name(portal))
        .map(|c| c.value().to_string())
    else {
        return Ok(None);
    };
    let p = portal.clone();
    match web::block(move || sessions::load(&p.ctx, p.lifetimes, &value)).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err(e)) => Err(internal(req, &e)),
        Err(e) => Err(internal(req, &e)),
    }
}

/// A sign-in page while an application's authorization request waits for the sign-in: its
/// form ends, after the redirects, at the application, which its CSP must allow.
fn for_pending(req: &HttpRequest, portal: &Portal, response: HttpResponse) -> HttpResponse {
    match crate::oidc::authorize::pending_target(portal, req) {
        Some(target) => crate::oidc::authorize::allow_form_target(response, &target),
        None => response,
    }
}

/// Where a session at `stage` belongs: a complete sign-in goes on to the application's
/// authorization request that waits for it, if there is one, or to the console.
pub(crate) fn home_of(req: &HttpRequest, portal: &Portal, stage: Stage) -> &'static str {
    match stage {
        Stage::Mfa => "/signin/mfa",
        Stage::ChangePassword => "/console/password",
        Stage::Active if crate::oidc::authorize::is_pending(req, portal.secure) => {
            crate::oidc::authorize::CONTINUE_PATH
        }
        Stage::Active => "/console",
    }
}

pub(crate) fn session_token(portal: &Portal, session: &Session) -> String {
    portal.csrf.token("session", &session.csrf_secret)
}

pub(crate) fn session_csrf_ok(portal: &Portal, session: &Session, offered: &str) -> bool {
    portal.csrf.verify("session", &session.csrf_secret, offered)
}

fn unix(t: chrono::NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

/// The session's own identity: its root user or IAM user.
pub(super) async fn base_caller(
    portal: &web::Data<Portal>,
    session: &Session,
) -> Result<Caller, SigninError> {
    Ok(match &session.user_id {
        None => Caller::Root {
            account_id: session.account_id.clone(),
        },
        Some(id) => {
            let p = portal.clone();
            let id = id.clone();
            let user = web::block(move || iam::users::get_by_id(&p.ctx, &id))
                .await
                .map_err(|e| SigninError::Iam(iam::IamError::Internal(e.to_string())))??;
            Caller::User {
                account_id: user.account_id,
                user_id: user.id,
                name: user.name,
                path: user.path,
            }
        }
    })
}

/// The caller a session acts as (the role after a switch), and the header's view of it.
pub(super) async fn who(
    portal: &web::Data<Portal>,
    session: &Session,
) -> Result<(Caller, SignedIn), SigninError> {
    Ok(acting_as(
        portal,
        session,
        base_caller(portal, session).await?,
    ))
}

/// [`who`] for a session whose own identity (`caller`) is known already.
pub(super) fn acting_as(portal: &Portal, session: &Session, caller: Caller) -> (Caller, SignedIn) {
    let display = match &caller {
        Caller::User { name, .. } => name.clone(),
        _ => "root".to_string(),
    };
    let role = super::console::role_caller(portal, session);
    let signed_in = SignedIn {
        active: session.stage == Stage::Active,
        display,
        arn: role.as_ref().map_or_else(|| caller.arn(), |(c, _)| c.arn()),
        account_id: role
            .as_ref()
            .map_or(&caller, |(c, _)| c)
            .account_id()
            .to_string(),
        csrf: session_token(portal, session),
        role: role.as_ref().map(|(_, badge)| badge.clone()),
    };
    (role.map_or(caller, |(c, _)| c), signed_in)
}

/// The facts of a console request that become `aws:*` keys.
/// `aws:SecureTransport` is the connection's, as for signed calls: https only when a trusted
/// proxy says so (Keyward itself serves plain HTTP), whatever the public URL claims.
pub(super) fn facts(req: &HttpRequest, portal: &Portal, session: &Session) -> RequestFacts {
    let client = crate::http::client_address::of_request(req);
    RequestFacts {
        now: portal.ctx.clock.now(),
        source_ip: client.map(|c| c.ip),
        user_agent: meta(req).user_agent,
        secure_transport: client.is_some_and(|c| c.https),
        region: portal.region.clone(),
        console: Some(ConsoleSignin {
            signed_in_at: unix(session.created_at),
            mfa_at: session.mfa_authenticated_at.map(unix),
        }),
    }
}

// ---- sign-in -------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct SigninQuery {
    account: Option<String>,
    /// The user name an application suggested (OpenID Connect's `login_hint`).
    login_hint: Option<String>,
}

async fn signin_page(
    req: HttpRequest,
    portal: web::Data<Portal>,
    query: web::Query<SigninQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    show_signin(
        &req,
        &portal,
        query.account.unwrap_or_default(),
        query.login_hint.unwrap_or_default(),
    )
    .await
}

async fn signin_page_for(
    req: HttpRequest,
    portal: web::Data<Portal>,
    account: web::Path<String>,
    query: web::Query<SigninQuery>,
) -> HttpResponse {
    let hint = query.into_inner().login_hint.unwrap_or_default();
    show_signin(&req, &portal, account.into_inner(), hint).await
}

async fn show_signin(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    account: String,
    user_name: String,
) -> HttpResponse {
    match current(portal, req).await {
        Ok(Some(session)) => return see_other(home_of(req, portal, session.stage)).finish(),
        Ok(None) => {}
        Err(response) => return response,
    }
    let user_name: String = user_name.chars().take(128).collect();
    signin_form(req, portal, StatusCode::OK, account, user_name, None)
}

/// The sign-in form, with a fresh pre-sign-in cookie when the browser has none.
fn signin_form(
    req: &HttpRequest,
    portal: &Portal,
    status: StatusCode,
    account: String,
    user_name: String,
    error: Option<String>,
) -> HttpResponse {
    let existing = req
        .cookie(signin_cookie_name(portal))
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 16);
    let binding = existing
        .clone()
        .unwrap_or_else(|| sessions::new_id(portal.ctx.random.as_ref()));
    let page = SigninPage {
        signed_in: None,
        csrf: portal.csrf.token("signin", &binding),
        account,
        user_name,
        error,
    };
    let mut response = for_pending(req, portal, render(status, &page));
    if existing.is_none() {
        let _ = response.add_cookie(&cookie(portal, signin_cookie_name(portal), binding));
    }
    response
}

/// The longest user name that can sign in: IAM's limit on user names (`CreateUser`'s
/// `UserName`, 1 to 64 characters); the root login is shorter. A longer typed name is nobody's,
/// so it is refused before any store work, and no throttle key or audit event ever holds more
/// than this many characters of it. Raising it above IAM's limit changes no answer, only how
/// much typed text is kept; lowering it would lock users with long names out.
const MAX_SIGNIN_USER_NAME: usize = 64;

/// The longest account field that can name an account: an alias (IAM's `CreateAccountAlias`,
/// 3 to 63 characters); an account id is 12 digits. Same reasoning as [`MAX_SIGNIN_USER_NAME`].
const MAX_SIGNIN_ACCOUNT: usize = 63;

#[derive(Deserialize)]
pub struct SigninForm {
    csrf_token: String,
    account: String,
    username: String,
    password: String,
}

pub(super) fn refusal_text(refusal: &Refusal, now: chrono::NaiveDateTime) -> String {
    match refusal {
        Refusal::Incorrect => {
            "Your authentication information is incorrect. Please try again.".into()
        }
        Refusal::Blocked { until, locked } => {
            // Whole seconds, rounded up, so that "try again in N seconds" is never too early.
            let wait = (*until - now).num_milliseconds().max(0);
            let seconds = (wait + 999) / 1000;
            let when = if seconds == 1 {
                "in 1 second".to_string()
            } else if seconds < 120 {
                format!("in {seconds} seconds")
            } else {
                format!("in {} minutes", (seconds + 59) / 60)
            };
            if *locked {
                format!("Too many failed attempts: sign-in is locked. Try again {when}.")
            } else {
                format!("Too many failed attempts. Try again {when}.")
            }
        }
        Refusal::Expired => "Your password has expired. Ask your administrator to reset it.".into(),
        Refusal::Rejected(why) => why.clone(),
        Refusal::SessionEnded => "Too many incorrect codes. Sign in again.".into(),
    }
}

pub(super) fn refusal_status(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::Blocked { .. } => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Rejected(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// Sets the session cookie of an outcome and sends the browser where the session belongs.
pub(super) fn signed(
    req: &HttpRequest,
    portal: &Portal,
    cookie_value: String,
    stage: Stage,
) -> HttpResponse {
    with_session(
        portal,
        see_other(home_of(req, portal, stage)).finish(),
        cookie_value,
    )
}

/// Gives a response the new session cookie and drops the sign-in cookie.
pub(super) fn with_session(
    portal: &Portal,
    mut response: HttpResponse,
    cookie_value: String,
) -> HttpResponse {
    let _ = response.add_cookie(&cookie(portal, session_cookie_name(portal), cookie_value));
    let _ = response.add_removal_cookie(&removal(portal, signin_cookie_name(portal)));
    response
}

async fn signin_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<SigninForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let binding = req
        .cookie(signin_cookie_name(&portal))
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if !portal.csrf.verify("signin", &binding, &form.csrf_token) {
        return csrf_refused();
    }
    if form.username.chars().count() > MAX_SIGNIN_USER_NAME
        || form.account.chars().count() > MAX_SIGNIN_ACCOUNT
    {
        // Nobody's name: refused as any wrong sign-in is, without echoing the typed text. The
        // quick answer tells only what the rule above says, nothing about who exists.
        let refusal = Refusal::Incorrect;
        let text = refusal_text(&refusal, portal.ctx.clock.now_naive());
        let status = refusal_status(&refusal);
        return signin_form(
            &req,
            &portal,
            status,
            String::new(),
            String::new(),
            Some(text),
        );
    }
    let attempt = Attempt {
        account: form.account.clone(),
        user_name: form.username.clone(),
        password: SecretString::from(form.password),
        device: req
            .cookie(device_cookie_name(&portal))
            .map(|c| c.value().to_string()),
    };
    let outcome = password_signin(&portal, attempt, meta(&req)).await;
    match outcome {
        Ok(Ok((Outcome::Session { cookie, stage }, device))) => {
            with_device(&portal, signed(&req, &portal, cookie, stage), device)
        }
        Ok(Ok((Outcome::Refused(refusal), _))) => signin_form(
            &req,
            &portal,
            refusal_status(&refusal),
            form.account,
            form.username,
            Some(refusal_text(&refusal, portal.ctx.clock.now_naive())),
        ),
        Ok(Err(e)) => internal(&req, &e),
        Err(PoolError::Busy) => busy(),
        Err(e) => internal(&req, &e),
    }
}

/// The password step in its three phases: the store read on the blocking pool, argon2id on
/// the password pool (low priority, bounded), the store write on the blocking pool again, so
/// no niced thread ever holds the store's write lock.
/// With a session, the known-device token to give the browser.
async fn password_signin(
    portal: &web::Data<Portal>,
    attempt: Attempt,
    request: RequestMeta,
) -> Result<Result<(Outcome, Option<String>), SigninError>, PoolError> {
    let attempt = std::sync::Arc::new(attempt);
    let (p, a, r) = (portal.clone(), attempt.clone(), request.clone());
    let step = match web::block(move || signin::prepare_password(&p, &a, &r)).await {
        Ok(Ok(step)) => step,
        Ok(Err(e)) => return Ok(Err(e)),
        Err(_) => return Err(PoolError::Stopped),
    };
    let check = match step {
        signin::PasswordStep::Decided(outcome) => return Ok(Ok((outcome, None))),
        signin::PasswordStep::Check(check) => std::sync::Arc::new(check),
    };
    let (c, a, random) = (check.clone(), attempt.clone(), portal.ctx.random.clone());
    let verified = match portal
        .hashing
        .run(move || signin::verify_password(&c, &a.password, random.as_ref()))
        .await?
    {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let p = portal.clone();
    let check = std::sync::Arc::try_unwrap(check).map_err(|_| PoolError::Stopped)?;
    let device = check.device_token(portal);
    let finished =
        web::block(move || signin::finish_password(&p, &attempt, check, verified, &request))
            .await
            .map_err(|_| PoolError::Stopped)?;
    Ok(finished.map(|outcome| match outcome {
        Outcome::Session { .. } => (outcome, device),
        refused => (refused, None),
    }))
}

// ---- second factor -------------------------------------------------------------------------

async fn mfa_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    let session = match current(&portal, &req).await {
        Ok(Some(s)) if s.stage == Stage::Mfa => s,
        Ok(Some(s)) => return see_other(home_of(&req, &portal, s.stage)).finish(),
        Ok(None) => return see_other("/signin").finish(),
        Err(response) => return response,
    };
    show_mfa(&req, &portal, &session, StatusCode::OK, None).await
}

async fn show_mfa(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    session: &Session,
    status: StatusCode,
    error: Option<String>,
) -> HttpResponse {
    let (p, owner) = (portal.clone(), session.owner());
    let devices = web::block(move || crate::iam::mfa::devices_of(&p.ctx, &owner)).await;
    let devices = match devices {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return internal(req, &e),
        Err(e) => return internal(req, &e),
    };
    match who(portal, session).await {
        Ok((_, signed_in)) => for_pending(
            req,
            portal,
            render(
                status,
                &MfaPage {
                    csrf: signed_in.csrf.clone(),
                    user_name: signed_in.display,
                    signed_in: None,
                    has_totp: devices.iter().any(|d| d.kind == "totp"),
                    has_keys: devices.iter().any(|d| d.kind == "webauthn"),
                    root: session.user_id.is_none(),
                    error,
                },
            ),
        ),
        Err(e) => internal(req, &e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf_token: String,
    code: String,
}

/// A code that stands in for the second factor: a TOTP code, or the root user's recovery code.
type CodeCheck = fn(&Portal, &Session, &str, &RequestMeta) -> Result<Outcome, SigninError>;

async fn second_step(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<CodeForm>,
    check: CodeCheck,
) -> HttpResponse {
    let session = match current(&portal, &req).await {
        Ok(Some(s)) if s.stage == Stage::Mfa => s,
        Ok(Some(s)) => return see_other(home_of(&req, &portal, s.stage)).finish(),
        Ok(None) => return see_other("/signin").finish(),
        Err(response) => return response,
    };
    if !session_csrf_ok(&portal, &session, &form.csrf_token) {
        return csrf_refused();
    }
    let request = meta(&req);
    let (p, s) = (portal.clone(), session.clone());
    let code = form.into_inner().code;
    match web::block(move || check(&p, &s, &code, &request)).await {
        Ok(Ok(Outcome::Session { cookie, stage })) => signed(&req, &portal, cookie, stage),
        Ok(Ok(Outcome::Refused(refusal @ Refusal::SessionEnded))) => {
            let message = refusal_text(&refusal, portal.ctx.clock.now_naive());
            let (account, status) = (session.account_id.clone(), refusal_status(&refusal));
            signin_form(&req, &portal, status, account, String::new(), Some(message))
        }
        Ok(Ok(Outcome::Refused(refusal))) => {
            show_mfa(
                &req,
                &portal,
                &session,
                refusal_status(&refusal),
                Some(refusal_text(&refusal, portal.ctx.clock.now_naive())),
            )
            .await
        }
        Ok(Err(e)) => internal(&req, &e),
        Err(e) => internal(&req, &e),
    }
}

/// `POST /signin/mfa`: a code from an authenticator app.
async fn mfa_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    second_step(req, portal, form, super::second_step::with_code).await
}

/// `POST /signin/mfa/recovery`: the root user's recovery code in place of the second factor.
async fn recovery_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    second_step(req, portal, form, super::second_step::with_recovery_code).await
}

// ---- password ------------------------------------------------------------------------------

/// A session that may use the password page: signed in, owing nothing but maybe a new
/// password.
async fn password_session(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<Session, HttpResponse> {
    match current(portal, req).await? {
        Some(s) if matches!(s.stage, Stage::ChangePassword | Stage::Active) => Ok(s),
        Some(s) => Err(see_other(home_of(req, portal, s.stage)).finish()),
        None => Err(see_other("/signin").finish()),
    }
}

async fn password_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    match password_session(&req, &portal).await {
        Ok(session) => show_password(&req, &portal, &session, StatusCode::OK, None).await,
        Err(response) => response,
    }
}

async fn show_password(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
    session: &Session,
    status: StatusCode,
    error: Option<String>,
) -> HttpResponse {
    let (p, account) = (portal.clone(), session.account_id.clone());
    let rules = match (
        &session.user_id,
        web::block(move || iam::passwords::rules_text(&p.ctx, &account)).await,
    ) {
        (None, _) => iam::passwords::ROOT_RULES.to_string(),
        (Some(_), Ok(Ok(text))) => text,
        (Some(_), Ok(Err(e))) => return internal(req, &e),
        (Some(_), Err(e)) => return internal(req, &e),
    };
    match who(portal, session).await {
        Ok((_, signed_in)) => for_pending(
            req,
            portal,
            render(
                status,
                &ChangePasswordPage {
                    csrf: signed_in.csrf.clone(),
                    forced: session.stage == Stage::ChangePassword,
                    signed_in: Some(signed_in),
                    rules,
                    error,
                },
            ),
        ),
        Err(e) => internal(req, &e),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf_token: String,
    old_password: String,
    new_password: String,
    confirm_password: String,
}

async fn password_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let session = match password_session(&req, &portal).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let form = form.into_inner();
    if !session_csrf_ok(&portal, &session, &form.csrf_token) {
        return csrf_refused();
    }
    let change = NewPassword {
        old: SecretString::from(form.old_password),
        new: SecretString::from(form.new_password),
        confirm: SecretString::from(form.confirm_password),
    };
    let request = meta(&req);
    let (p, s) = (portal.clone(), session.clone());
    let outcome = portal
        .hashing
        .run(move || signin::change_password(&p, &s, &change, &request))
        .await;
    match outcome {
        Ok(Ok(Outcome::Session { cookie, stage })) => signed(&req, &portal, cookie, stage),
        Ok(Ok(Outcome::Refused(refusal))) => {
            show_password(
                &req,
                &portal,
                &session,
                refusal_status(&refusal),
                Some(refusal_text(&refusal, portal.ctx.clock.now_naive())),
            )
            .await
        }
        Ok(Err(e)) => internal(&req, &e),
        Err(PoolError::Busy) => busy(),
        Err(e) => internal(&req, &e),
    }
}

// ---- sign-out ------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct TokenForm {
    pub(super) csrf_token: String,
}

async fn end_sessions(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TokenForm>,
    everywhere: bool,
) -> HttpResponse {
    let session = match current(&portal, &req).await {
        Ok(Some(s)) => s,
        Ok(None) => return see_other("/signin").finish(),
        Err(response) => return response,
    };
    if !session_csrf_ok(&portal, &session, &form.csrf_token) {
        return csrf_refused();
    }
    let request = meta(&req);
    let p = portal.clone();
    let ended = web::block(move || signin::sign_out(&p, &session, everywhere, &request)).await;
    match ended {
        Ok(Ok(())) => {
            let mut response = see_other("/signin").finish();
            let _ = response.add_removal_cookie(&removal(&portal, session_cookie_name(&portal)));
            response
        }
        Ok(Err(e)) => internal(&req, &e),
        Err(e) => internal(&req, &e),
    }
}

async fn signout(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    end_sessions(req, portal, form, false).await
}

async fn signout_everywhere(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    end_sessions(req, portal, form, true).await
}

// ---- console -------------------------------------------------------------------------------

/// An active session, or the response that sends the browser where it must go first.
pub(super) async fn active(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<Session, HttpResponse> {
    match current(portal, req).await? {
        Some(s) if s.stage == Stage::Active => Ok(s),
        Some(s) => Err(see_other(home_of(req, portal, s.stage)).finish()),
        None => Err(see_other("/signin").finish()),
    }
}

const COUNTED: &[(&str, &str, &str)] = &[
    ("Users", "Users", "UsersQuota"),
    ("Groups", "Groups", "GroupsQuota"),
    ("Roles", "Roles", "RolesQuota"),
    ("Customer managed policies", "Policies", "PoliciesQuota"),
    (
        "Instance profiles",
        "InstanceProfiles",
        "InstanceProfilesQuota",
    ),
];

/// The dashboard: the sign-in URL always; usage, quotas and security status when the
/// principal may call `iam:GetAccountSummary` (read as that action, like the rest of the
/// console), else AWS's reason.
async fn dashboard(
    req: HttpRequest,
    c: super::console::Console,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
) -> HttpResponse {
    let (p, a, c2) = (portal.clone(), api.clone(), c.clone());
    let gathered = web::block(move || dashboard_view(&p, &a, &c2)).await;
    let (signin_name, summary, security) = match gathered {
        Ok(Ok(view)) => view,
        Ok(Err(e)) => return internal(&req, &e),
        Err(e) => return internal(&req, &e),
    };
    let value = |key: &str| {
        summary
            .as_ref()
            .ok()
            .and_then(|s| s.iter().find(|(k, _)| k == key))
            .map_or(0, |(_, v)| *v)
    };
    let counts = COUNTED
        .iter()
        .map(|(label, used, quota)| Count {
            label,
            used: value(used),
            quota: value(quota),
        })
        .collect();
    let page = DashboardPage {
        csrf: c.signed_in.csrf.clone(),
        signed_in: Some(c.signed_in),
        signin_url: format!("{}/signin/{signin_name}", portal.public_url()),
        counts,
        security,
        mfa: c.session.mfa_authenticated_at.is_some(),
        allowed: summary.is_ok(),
        notice: summary.err(),
    };
    render(StatusCode::OK, &page)
}

/// `GetAccountSummary`'s map, or AWS's reason why the caller may not read it.
type Summary = Result<Vec<(String, i64)>, String>;

/// The account's sign-in name (alias or id), its summary and the security findings.
fn dashboard_view(
    portal: &Portal,
    api: &AwsApi,
    c: &super::console::Console,
) -> Result<(String, Summary, Vec<Check>), iam::IamError> {
    let account = c.session.account_id.as_str();
    let signin_name = iam::account::aliases(&portal.ctx, account)?
        .into_iter()
        .next()
        .unwrap_or_else(|| account.to_string());
    let summary = match super::console::iam(api, c, "GetAccountSummary", &[]) {
        Ok(reply) => reply
            .items("entry")
            .into_iter()
            .filter_map(|e| Some((e.value("key")?, e.value("value")?.parse().ok()?)))
            .collect::<Vec<(String, i64)>>(),
        Err(e) => return Ok((signin_name, Err(super::console::explain(&e)), Vec::new())),
    };
    let value = |key: &str| {
        summary
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, v)| *v)
    };
    let policy_set = super::console::iam(api, c, "GetAccountPasswordPolicy", &[]).is_ok();
    let without_mfa = iam::account::console_users_without_mfa(&portal.ctx, account)?;
    let check = |ok: bool, good: &str, bad: String| Check {
        label: if ok { good.to_string() } else { bad },
        ok,
    };
    let security = vec![
        check(
            value("AccountMFAEnabled") > 0,
            "MFA is enabled for the root user",
            "The root user has no MFA".into(),
        ),
        check(
            value("AccountAccessKeysPresent") == 0,
            "The root user has no access keys",
            "The root user has access keys".into(),
        ),
        check(
            policy_set,
            "An account password policy is set",
            "No account password policy is set".into(),
        ),
        check(
            without_mfa == 0,
            "Every user with a console password has MFA",
            format!("{without_mfa} users with a console password have no MFA"),
        ),
    ];
    Ok((signin_name, Ok(summary), security))
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
