//! The second step's pages: the factor chooser, and a code (authenticator app, or the root
//! user's recovery code) in place of the second factor.

use super::pages::MfaPage;
use super::signed_in::{for_pending, home_of, refusal_status, refusal_text, signed, who};
use super::signin_pages::signin_form;
use super::Portal;
use crate::audit::RequestMeta;
use crate::browser::{csrf_refused, current, internal, meta, render, see_other, session_csrf_ok};
use crate::signin::flow::{Outcome, Refusal, SigninError};
use crate::signin::sessions::{Session, Stage};
use crate::signin::SigninService;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub(super) async fn mfa_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
    let session = match current(&portal.signin, &req).await {
        Ok(Some(s)) if s.stage == Stage::Mfa => s,
        Ok(Some(s)) => return see_other(&home_of(&req, &portal, s.stage)).finish(),
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
    let Some(owner) = session.owner() else {
        return internal(req, &"a federated principal has no factors here");
    };
    let p = portal.clone();
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
                    root: session.principal.is_root(),
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
type CodeCheck = fn(&SigninService, &Session, &str, &RequestMeta) -> Result<Outcome, SigninError>;

async fn second_step(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<CodeForm>,
    check: CodeCheck,
) -> HttpResponse {
    let session = match current(&portal.signin, &req).await {
        Ok(Some(s)) if s.stage == Stage::Mfa => s,
        Ok(Some(s)) => return see_other(&home_of(&req, &portal, s.stage)).finish(),
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
pub(super) async fn mfa_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    second_step(req, portal, form, crate::signin::second_step::with_code).await
}

/// `POST /signin/mfa/recovery`: the root user's recovery code in place of the second factor.
pub(super) async fn recovery_submit(
    req: HttpRequest,
    portal: web::Data<Portal>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    second_step(
        req,
        portal,
        form,
        crate::signin::second_step::with_recovery_code,
    )
    .await
}
