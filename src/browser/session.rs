//! The signed-in session behind a request: read from its cookie through the sign-in service,
//! and the CSRF token that the session's forms carry.

use super::answers::internal;
use super::cookies::session_cookie_name;
use crate::signin::sessions::{self, Session};
use crate::signin::SigninService;
use actix_web::{web, HttpRequest, HttpResponse};

/// The session behind the request's cookie, if it is alive.
pub async fn current(
    service: &web::Data<SigninService>,
    req: &HttpRequest,
) -> Result<Option<Session>, HttpResponse> {
    let Some(value) = req
        .cookie(session_cookie_name(service.secure))
        .map(|c| c.value().to_string())
    else {
        return Ok(None);
    };
    let s = service.clone();
    match web::block(move || sessions::load(&s.ctx, s.lifetimes, &value)).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err(e)) => Err(internal(req, &e)),
        Err(e) => Err(internal(req, &e)),
    }
}

/// The CSRF token of the session's forms.
pub fn session_token(service: &SigninService, session: &Session) -> String {
    service.csrf.token("session", &session.csrf_secret)
}

/// Whether a form posted by the session carries its token.
pub fn session_csrf_ok(service: &SigninService, session: &Session, offered: &str) -> bool {
    service
        .csrf
        .verify("session", &session.csrf_secret, offered)
}
