//! The cookies Keyward gives a browser, their names and flags. With https each name carries
//! the `__Host-` prefix, which browsers accept only with `Secure`, `Path=/` and no `Domain`:
//! no subdomain can plant or read them.

use actix_web::cookie::{Cookie, SameSite};

/// The console session.
const SESSION_COOKIE: &str = "keyward_session";
const SECURE_SESSION_COOKIE: &str = "__Host-keyward_session";
/// The pre-sign-in cookie that the sign-in form's CSRF token is bound to.
const SIGNIN_COOKIE: &str = "keyward_signin";
const SECURE_SIGNIN_COOKIE: &str = "__Host-keyward_signin";
/// A browser's known-device token (see `signin::known_device`).
const DEVICE_COOKIE: &str = "keyward_device";
const SECURE_DEVICE_COOKIE: &str = "__Host-keyward_device";
/// A sign-in through an external provider, between its steps (see `signin::external`).
const EXTERNAL_COOKIE: &str = "keyward_external";
const SECURE_EXTERNAL_COOKIE: &str = "__Host-keyward_external";
/// A sign-in waiting in the store for its role to be picked (see `signin::pending`).
const PENDING_COOKIE: &str = "keyward_pending";
const SECURE_PENDING_COOKIE: &str = "__Host-keyward_pending";

fn named(secure: bool, plain: &'static str, prefixed: &'static str) -> &'static str {
    if secure {
        prefixed
    } else {
        plain
    }
}

/// The session cookie's name, when served over https (`secure`) or not.
pub fn session_cookie_name(secure: bool) -> &'static str {
    named(secure, SESSION_COOKIE, SECURE_SESSION_COOKIE)
}

/// The pre-sign-in cookie's name.
pub fn signin_cookie_name(secure: bool) -> &'static str {
    named(secure, SIGNIN_COOKIE, SECURE_SIGNIN_COOKIE)
}

/// The known-device cookie's name.
pub fn device_cookie_name(secure: bool) -> &'static str {
    named(secure, DEVICE_COOKIE, SECURE_DEVICE_COOKIE)
}

/// The cookie of a sign-in through an external provider.
pub fn external_cookie_name(secure: bool) -> &'static str {
    named(secure, EXTERNAL_COOKIE, SECURE_EXTERNAL_COOKIE)
}

/// The cookie of a sign-in waiting in the store.
pub fn pending_cookie_name(secure: bool) -> &'static str {
    named(secure, PENDING_COOKIE, SECURE_PENDING_COOKIE)
}

/// A cookie for the whole site, out of scripts' reach, sent on top-level navigations.
pub fn cookie(secure: bool, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

/// The cookie that removes `name`.
pub fn removal(secure: bool, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(secure, name, String::new());
    c.make_removal();
    c
}
