//! What the portal's pages share about the session behind a request: where a session at each
//! stage belongs, the caller it acts as and the header's view of it, the facts of a console
//! request, the session cookie given after a sign-in step, and the refusals in words.

use super::pages::SignedIn;
use super::Portal;
use crate::authz::{Caller, ConsoleSignin, RequestFacts};
use crate::browser::cookies::{device_cookie_name, session_cookie_name, signin_cookie_name};
use crate::browser::{continuation, cookie, current, meta, removal, see_other, session_token};
use crate::credentials::{Principal, SessionPrincipal};
use crate::iam;
use crate::signin::acting_role;
use crate::signin::flow::{Refusal, SigninError};
use crate::signin::sessions::{unix_seconds, Session, Stage};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// Remembers the browser as a known device of the principal whose password it just gave.
pub(super) fn with_device(
    portal: &Portal,
    mut response: HttpResponse,
    token: Option<String>,
) -> HttpResponse {
    if let Some(token) = token {
        let mut c = cookie(portal.secure, device_cookie_name(portal.secure), token);
        c.set_max_age(actix_web::cookie::time::Duration::days(
            crate::signin::known_device::LIFETIME_DAYS,
        ));
        let _ = response.add_cookie(&c);
    }
    response
}

/// A sign-in page while a flow (an application's authorization request) waits for the
/// sign-in: its form ends, after the redirects, where the flow's continuation says, which its
/// CSP must allow.
pub(super) fn for_pending(
    req: &HttpRequest,
    portal: &Portal,
    response: HttpResponse,
) -> HttpResponse {
    continuation::for_waiting(portal, req, response)
}

/// Where a session at `stage` belongs: a complete sign-in goes on to the flow that waits for
/// it (the browser's continuation, such as an application's authorization request), if there
/// is one, or to the console.
pub(super) fn home_of(req: &HttpRequest, portal: &Portal, stage: Stage) -> String {
    match stage {
        Stage::Mfa => "/signin/mfa".into(),
        Stage::ChangePassword => "/console/password".into(),
        Stage::Active => continuation::return_to(portal, req).unwrap_or_else(|| "/console".into()),
    }
}

/// The session's own identity: its root user or IAM user, or for a person signed in through
/// an external provider the role session they picked (the session ends with it).
pub(super) async fn base_caller(
    portal: &web::Data<Portal>,
    session: &Session,
) -> Result<Caller, SigninError> {
    Ok(match &session.principal {
        Principal::Federated { .. } => acting_role::caller(&portal.ctx, session)
            .map(|(caller, _)| caller)
            .ok_or_else(|| {
                SigninError::Iam(iam::IamError::Internal(
                    "a federated session's role session does not open".into(),
                ))
            })?,
        Principal::Root => Caller::Root {
            account_id: session.account_id.clone(),
        },
        Principal::User(id) => {
            let p = portal.clone();
            let id = id.clone();
            let user = web::block(move || iam::users::get_by_id(&p.ctx, &id))
                .await
                .map_err(|e| SigninError::Iam(iam::IamError::Internal(e.to_string())))??;
            Caller::of_user(user)
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
        Caller::Session { claims, .. } => match &claims.principal {
            SessionPrincipal::Role { session, .. } => session.clone(),
            _ => caller.arn(),
        },
        Caller::Root { .. } => "root".to_string(),
    };
    let role = crate::portal::console::role_caller(portal, session);
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
        root: caller.is_root(),
        current: String::new(),
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
            signed_in_at: unix_seconds(session.created_at),
            mfa_at: session.mfa_authenticated_at.map(unix_seconds),
        }),
    }
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
        see_other(&home_of(req, portal, stage)).finish(),
        cookie_value,
    )
}

/// Gives a response the new session cookie and drops the sign-in cookie.
pub(super) fn with_session(
    portal: &Portal,
    mut response: HttpResponse,
    cookie_value: String,
) -> HttpResponse {
    let _ = response.add_cookie(&cookie(
        portal.secure,
        session_cookie_name(portal.secure),
        cookie_value,
    ));
    let _ = response.add_removal_cookie(&removal(portal.secure, signin_cookie_name(portal.secure)));
    response
}

#[derive(Deserialize)]
pub struct TokenForm {
    pub(super) csrf_token: String,
}

/// An active session of a principal with credentials of its own here (a password, MFA
/// devices), or the answer: a person signed in through an external provider has none, and is
/// told where they are managed.
pub(super) async fn with_own_credentials(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<Session, HttpResponse> {
    let session = active(req, portal).await?;
    match federated_refusal(&session) {
        Some(refusal) => Err(refusal),
        None => Ok(session),
    }
}

/// The page that tells a person signed in through an external provider that their password
/// and factors are the provider's business.
pub(super) fn federated_refusal(session: &Session) -> Option<HttpResponse> {
    if matches!(session.principal, Principal::Federated { .. }) {
        return Some(crate::browser::message(
            StatusCode::FORBIDDEN,
            "Managed by your sign-in provider",
            "You signed in through your organisation's sign-in provider: your password and \
             MFA devices are managed there, not here.",
            "/console",
        ));
    }
    None
}

/// An active session, or the response that sends the browser where it must go first.
pub(super) async fn active(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<Session, HttpResponse> {
    match current(&portal.signin, req).await? {
        Some(s) if s.stage == Stage::Active => Ok(s),
        Some(s) => Err(see_other(&home_of(req, portal, s.stage)).finish()),
        None => Err(see_other("/signin").finish()),
    }
}
