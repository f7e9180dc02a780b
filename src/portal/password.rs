//! The password page: a forced change after a reset or expiry, or a change by choice.

use super::pages::ChangePasswordPage;
use super::signed_in::{
    federated_refusal, for_pending, home_of, refusal_status, refusal_text, signed, who,
};
use super::Portal;
use crate::auth::hash_pool::PoolError;
use crate::browser::{
    busy, csrf_refused, current, internal, meta, render, see_other, session_csrf_ok,
};
use crate::iam;
use crate::secrets::SecretString;
use crate::signin::flow::{self as signin, NewPassword, Outcome};
use crate::signin::sessions::{Session, Stage};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// A session that may use the password page: signed in, owing nothing but maybe a new
/// password.
async fn password_session(
    req: &HttpRequest,
    portal: &web::Data<Portal>,
) -> Result<Session, HttpResponse> {
    match current(&portal.signin, req).await? {
        Some(s) if matches!(s.stage, Stage::ChangePassword | Stage::Active) => {
            federated_refusal(&s).map_or(Ok(s), Err)
        }
        Some(s) => Err(see_other(&home_of(req, portal, s.stage)).finish()),
        None => Err(see_other("/signin").finish()),
    }
}

pub(super) async fn password_page(req: HttpRequest, portal: web::Data<Portal>) -> HttpResponse {
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
        session.principal.is_root(),
        web::block(move || iam::passwords::rules_text(&p.ctx, &account)).await,
    ) {
        (true, _) => iam::passwords::ROOT_RULES.to_string(),
        (false, Ok(Ok(text))) => text,
        (false, Ok(Err(e))) => return internal(req, &e),
        (false, Err(e)) => return internal(req, &e),
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

pub(super) async fn password_submit(
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
