//! The forms' CSRF tokens as a browser carries them: before the sign-in bound to the
//! pre-sign-in cookie, after it to the session's CSRF secret. The MAC and its key are the
//! sign-in service's (`signin::csrf`); `kind` keeps a sign-in token from passing as a session
//! one.

use super::cookies::signin_cookie_name;
use crate::signin::sessions::Session;
use crate::signin::SigninService;
use actix_web::HttpRequest;

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

/// The request's pre-sign-in cookie (empty when it has none).
pub fn signin_binding(service: &SigninService, req: &HttpRequest) -> String {
    req.cookie(signin_cookie_name(service.secure))
        .map(|c| c.value().to_string())
        .unwrap_or_default()
}

/// The CSRF token of the sign-in forms of a browser whose pre-sign-in cookie is `binding`.
pub fn signin_token(service: &SigninService, binding: &str) -> String {
    service.csrf.token("signin", binding)
}

/// Whether a sign-in form carries the token of the request's pre-sign-in cookie.
pub fn signin_csrf_ok(service: &SigninService, req: &HttpRequest, offered: &str) -> bool {
    service
        .csrf
        .verify("signin", &signin_binding(service, req), offered)
}
