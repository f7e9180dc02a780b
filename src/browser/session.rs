//! The signed-in session behind a request, read from its cookie through the sign-in service.

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
