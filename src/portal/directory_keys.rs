//! The security-key steps of a directory sign-in that requires Keyward MFA (`signin::directory`),
//! in JSON for `static/webauthn.js`, like the rest of the portal's WebAuthn ceremonies:
//!
//! ```text
//! POST /signin/directory/webauthn/register/begin    first sign-in: options to register a key
//! POST /signin/directory/webauthn/register/finish   {name, credential} ─> {"redirect": ...}
//! POST /signin/directory/webauthn/check/begin       later sign-ins: options to use a key
//! POST /signin/directory/webauthn/check/finish      {credential} ─> {"redirect": ...}
//! ```
//!
//! Each call carries the waiting sign-in's form token in `x-csrf-token`, and each ceremony is
//! bound to the waiting sign-in's cookie. A step that succeeds uses the waiting sign-in once and
//! leads to the console (one role, the session cookie set) or to the picker.

use super::directory_signin::{advance, prove, signed_in, waiting, with_pending, Next};
use super::webauthn_api::{error, failed, forbidden, token};
use super::Portal;
use crate::aws_api::endpoint::AwsApi;
use crate::browser::internal_json;
use crate::signin::directory::{self, DirectoryProven, DirectorySigninError, SecondStep};
use crate::signin::external::ExternalError;
use crate::signin::sessions;
use crate::signin::webauthn::{self, KeyKind};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

/// The waiting sign-in that owes its second factor, when the call carries its token.
async fn owing(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<(String, DirectoryProven), HttpResponse> {
    match waiting(req, portal).await {
        Ok((id, proven)) if proven.form_token_ok(&token(req)) && proven.awaiting_mfa() => {
            Ok((id, proven))
        }
        Ok(_) => Err(forbidden()),
        Err(ExternalError::Stale) => Err(error(
            StatusCode::BAD_REQUEST,
            "This sign-in expired. Please sign in again.",
        )),
        Err(e) => Err(internal_json(req, &e)),
    }
}

/// `POST /signin/directory/webauthn/register/begin`
pub async fn register_begin(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    let (id, proven) = match owing(&req, &portal).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if proven.enrol_seed().is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            &DirectorySigninError::AlreadyEnrolled.to_string(),
        );
    }
    let p = portal.clone();
    let begun = web::block(move || {
        let hash = sessions::hash_id(&id);
        let holder = directory::key_holder(&proven, &hash);
        webauthn::begin_registration_of(&p.signin, &holder, KeyKind::SecurityKey)
    })
    .await;
    match begun {
        Ok(Ok(options)) => HttpResponse::Ok().json(options),
        Ok(Err(e)) => failed(&req, &e),
        Err(e) => internal_json(&req, &e),
    }
}

/// `POST /signin/directory/webauthn/check/begin`
pub async fn check_begin(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    let (id, proven) = match owing(&req, &portal).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let p = portal.clone();
    let begun = web::block(move || {
        webauthn::begin_key_check(&p.signin, &proven.owner(), &sessions::hash_id(&id))
    })
    .await;
    match begun {
        Ok(Ok(options)) => HttpResponse::Ok().json(options),
        Ok(Err(e)) => failed(&req, &e),
        Err(e) => internal_json(&req, &e),
    }
}

#[derive(Deserialize)]
pub struct Registered {
    name: String,
    credential: RegisterPublicKeyCredential,
}

/// `POST /signin/directory/webauthn/register/finish`
pub async fn register_finish(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    body: web::Json<Registered>,
) -> HttpResponse {
    let body = body.into_inner();
    finish(req, portal, api, move |service, second, proven| {
        directory::enrol_security_key(service, second, proven, &body.name, &body.credential)
    })
    .await
}

#[derive(Deserialize)]
pub struct Checked {
    credential: PublicKeyCredential,
}

/// `POST /signin/directory/webauthn/check/finish`
pub async fn check_finish(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    body: web::Json<Checked>,
) -> HttpResponse {
    let body = body.into_inner();
    finish(req, portal, api, move |service, second, proven| {
        directory::with_security_key(service, second, proven, &body.credential)
    })
    .await
}

/// Runs a finishing step on the waiting sign-in; on success uses it once and says where next.
async fn finish(
    req: HttpRequest,
    portal: web::Data<Portal>,
    api: web::Data<AwsApi>,
    step: impl FnOnce(
            &crate::signin::SigninService,
            &SecondStep<'_>,
            &mut DirectoryProven,
        ) -> Result<(), DirectorySigninError>
        + Send
        + 'static,
) -> HttpResponse {
    let (id, proven) = match owing(&req, &portal).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let proved = match prove(&req, &portal, &api, &id, proven, step).await {
        Ok(proved) => proved,
        Err(DirectorySigninError::Other(ExternalError::NoRole(directory))) => {
            return error(
                StatusCode::FORBIDDEN,
                &ExternalError::NoRole(directory).to_string(),
            )
        }
        Err(DirectorySigninError::Other(ExternalError::Stale)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "This sign-in expired. Please sign in again.",
            )
        }
        Err(DirectorySigninError::Other(e)) => return internal_json(&req, &e),
        Err(e @ DirectorySigninError::Invalid(_)) => {
            return error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Err(e) => return error(StatusCode::UNAUTHORIZED, &e.to_string()),
    };
    let redirect = |to: &str| HttpResponse::Ok().json(json!({ "redirect": to }));
    match advance(&req, &portal, &api, proved).await {
        Ok(Next::Signed(session)) => signed_in(&portal, redirect("/console"), session),
        Ok(Next::Picker(id)) => with_pending(&portal, redirect("/signin/directory/choose"), id),
        Ok(Next::Mfa(id)) => with_pending(&portal, redirect(super::directory_signin::MFA_PAGE), id),
        Err(e) => internal_json(&req, &e),
    }
}
