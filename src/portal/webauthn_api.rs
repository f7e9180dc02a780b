//! The JSON side of the WebAuthn ceremonies, called by `static/webauthn.js`. Every call
//! carries the page's CSRF token in `x-csrf-token`; answers are `{"redirect": ...}` or
//! `{"error": ...}` with a 4xx status.

use super::credentials::{call_for, may_register};
use super::signed_in::{base_caller, home_of, refusal_status, refusal_text, with_session};
use super::Portal;
use crate::browser::csrf::{self, session_csrf_ok, signin_csrf_ok};
use crate::browser::flash::{self, Flash};
use crate::browser::{current, internal_json, meta};
use crate::signin::flow::Outcome;
use crate::signin::sessions::{Session, Stage};
use crate::signin::webauthn::{self, KeyKind, WebauthnFlowError};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

pub(super) fn error(status: actix_web::http::StatusCode, text: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": text }))
}

pub(super) fn forbidden() -> HttpResponse {
    error(
        actix_web::http::StatusCode::FORBIDDEN,
        "The page is too old or did not come from this site. Reload it and try again.",
    )
}

pub(super) fn token(req: &HttpRequest) -> String {
    req.headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Maps a ceremony's failure to its answer.
pub(super) fn failed(req: &HttpRequest, e: &WebauthnFlowError) -> HttpResponse {
    use actix_web::http::StatusCode;
    match e {
        WebauthnFlowError::Unavailable(_) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
        WebauthnFlowError::NoCeremony | WebauthnFlowError::Refused(_) => {
            error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        WebauthnFlowError::TooMany(wait) => {
            let mut answer = error(StatusCode::TOO_MANY_REQUESTS, &e.to_string());
            answer.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                wait.num_seconds().max(1).into(),
            );
            answer
        }
        WebauthnFlowError::Iam(iam) => match iam {
            crate::iam::IamError::InvalidInput(m)
            | crate::iam::IamError::LimitExceeded(m)
            | crate::iam::IamError::EntityAlreadyExists(m) => error(StatusCode::BAD_REQUEST, m),
            other => internal_json(req, other),
        },
        other => internal_json(req, other),
    }
}

/// The session behind the cookie when its CSRF token matches.
async fn session_for(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<Session, HttpResponse> {
    match current(&portal.signin, req).await {
        Ok(Some(s)) if session_csrf_ok(portal, &s, &token(req)) => Ok(s),
        Ok(Some(_)) => Err(forbidden()),
        Ok(None) => Err(error(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "You are not signed in.",
        )),
        Err(response) => Err(response),
    }
}

/// Answers a ceremony that ended in a session: the new cookie and where to go.
fn outcome(
    req: &HttpRequest,
    portal: &Portal,
    result: Result<Outcome, WebauthnFlowError>,
) -> HttpResponse {
    match result {
        Ok(Outcome::Session {
            cookie: value,
            stage,
        }) => {
            let response =
                HttpResponse::Ok().json(json!({ "redirect": home_of(req, portal, stage) }));
            with_session(portal, response, value)
        }
        Ok(Outcome::Refused(refusal)) => error(
            refusal_status(&refusal),
            &refusal_text(&refusal, portal.ctx.clock.now_naive()),
        ),
        Err(e) => failed(req, &e),
    }
}

/// A session that may register a key now: active, its token matching, its password entered
/// within the last few minutes.
async fn registering(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<Session, HttpResponse> {
    let session = session_for(req, portal).await?;
    if matches!(
        session.principal,
        crate::credentials::Principal::Federated { .. }
    ) {
        return Err(error(
            actix_web::http::StatusCode::FORBIDDEN,
            "Your sign-in provider manages your factors.",
        ));
    }
    if !may_register(portal, &session) {
        return Err(error(
            actix_web::http::StatusCode::FORBIDDEN,
            "Enter your password again before adding a factor.",
        ));
    }
    Ok(session)
}

#[derive(Deserialize)]
pub(super) struct BeginRegistration {
    kind: String,
}

/// `POST /console/mfa/webauthn/begin`
pub(super) async fn register_begin(
    req: HttpRequest,
    portal: web::Data<Portal>,
    body: web::Json<BeginRegistration>,
) -> HttpResponse {
    let session = match registering(&req, &portal).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let kind = match body.kind.as_str() {
        "passkey" => KeyKind::Passkey,
        "security_key" => KeyKind::SecurityKey,
        _ => {
            return error(
                actix_web::http::StatusCode::BAD_REQUEST,
                "Unknown kind of key.",
            )
        }
    };
    let p = portal.clone();
    match web::block(move || webauthn::begin_registration(&p, &session, kind)).await {
        Ok(Ok(options)) => HttpResponse::Ok().json(options),
        Ok(Err(e)) => failed(&req, &e),
        Err(e) => internal_json(&req, &e),
    }
}

#[derive(Deserialize)]
pub(super) struct FinishRegistration {
    name: String,
    credential: RegisterPublicKeyCredential,
}

/// `POST /console/mfa/webauthn/finish`
pub(super) async fn register_finish(
    req: HttpRequest,
    portal: web::Data<Portal>,
    body: web::Json<FinishRegistration>,
) -> HttpResponse {
    let session = match registering(&req, &portal).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    // The actor is the session's own identity, even after a switch of role.
    let arn = match base_caller(&portal, &session).await {
        Ok(caller) => caller.arn(),
        Err(e) => return internal_json(&req, &e),
    };
    let call = call_for(&req, &session, &arn);
    let p = portal.clone();
    let body = body.into_inner();
    let s = session.clone();
    let done = web::block(move || {
        let serial = webauthn::finish_registration(&p, &s, &call, &body.name, &body.credential)?;
        let label = s
            .owner()
            .and_then(|owner| super::credentials::label_of(&p.ctx, &owner, &serial));
        Ok::<_, webauthn::WebauthnFlowError>(label)
    })
    .await;
    match done {
        Ok(Ok(label)) => {
            let mut response = HttpResponse::Ok().json(json!({ "redirect": "/console/mfa" }));
            let said = format!("{} added.", label.unwrap_or_else(|| "The device".into()));
            flash::set(
                &portal,
                &mut response,
                &flash::binding(&session),
                Flash::new(said),
            );
            response
        }
        Ok(Err(e)) => failed(&req, &e),
        Err(e) => internal_json(&req, &e),
    }
}

/// `POST /signin/mfa/webauthn/begin`
pub(super) async fn second_factor_begin(
    req: HttpRequest,
    portal: web::Data<Portal>,
) -> HttpResponse {
    let session = match session_for(&req, &portal).await {
        Ok(s) if s.stage == Stage::Mfa => s,
        Ok(_) => {
            return error(
                actix_web::http::StatusCode::BAD_REQUEST,
                "No second step is owed.",
            )
        }
        Err(response) => return response,
    };
    let p = portal.clone();
    match web::block(move || webauthn::begin_second_factor(&p, &session)).await {
        Ok(Ok(options)) => HttpResponse::Ok().json(options),
        Ok(Err(e)) => failed(&req, &e),
        Err(e) => internal_json(&req, &e),
    }
}

#[derive(Deserialize)]
pub(super) struct Answer {
    credential: PublicKeyCredential,
    #[serde(default)]
    conditional: bool,
}

/// `POST /signin/mfa/webauthn/finish`
pub(super) async fn second_factor_finish(
    req: HttpRequest,
    portal: web::Data<Portal>,
    body: web::Json<Answer>,
) -> HttpResponse {
    let session = match session_for(&req, &portal).await {
        Ok(s) if s.stage == Stage::Mfa => s,
        Ok(_) => {
            return error(
                actix_web::http::StatusCode::BAD_REQUEST,
                "No second step is owed.",
            )
        }
        Err(response) => return response,
    };
    let (p, request) = (portal.clone(), meta(&req));
    let answer = body.into_inner().credential;
    let result =
        web::block(move || webauthn::finish_second_factor(&p, &session, &answer, &request))
            .await
            .unwrap_or_else(|e| Err(WebauthnFlowError::Refused(e.to_string())));
    outcome(&req, &portal, result)
}

/// The sign-in cookie, when the CSRF token of its page matches.
fn signin_binding(req: &HttpRequest, portal: &Portal) -> Option<String> {
    let value = csrf::signin_binding(portal, req);
    signin_csrf_ok(portal, req, &token(req)).then_some(value)
}

#[derive(Deserialize)]
pub(super) struct BeginPasskey {
    #[serde(default)]
    conditional: bool,
}

/// `POST /signin/passkey/begin`
pub(super) async fn passkey_begin(
    req: HttpRequest,
    portal: web::Data<Portal>,
    body: web::Json<BeginPasskey>,
) -> HttpResponse {
    let Some(binding) = signin_binding(&req, &portal) else {
        return forbidden();
    };
    let (p, source) = (portal.clone(), meta(&req).source_ip);
    let conditional = body.conditional;
    let begun =
        web::block(move || webauthn::begin_passkey(&p, &binding, conditional, source.as_deref()));
    match begun.await {
        Ok(Ok(options)) => HttpResponse::Ok().json(options),
        Ok(Err(e)) => failed(&req, &e),
        Err(e) => internal_json(&req, &e),
    }
}

/// `POST /signin/passkey/finish`
pub(super) async fn passkey_finish(
    req: HttpRequest,
    portal: web::Data<Portal>,
    body: web::Json<Answer>,
) -> HttpResponse {
    let Some(binding) = signin_binding(&req, &portal) else {
        return forbidden();
    };
    let (p, request) = (portal.clone(), meta(&req));
    let Answer {
        credential,
        conditional,
    } = body.into_inner();
    let result = web::block(move || {
        webauthn::finish_passkey(&p, &binding, conditional, &credential, &request)
    })
    .await
    .unwrap_or_else(|e| Err(WebauthnFlowError::Refused(e.to_string())));
    outcome(&req, &portal, result)
}
