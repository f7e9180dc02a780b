//! A flow that waits for the browser's sign-in: "after sign-in, return to X; let forms post to
//! origin Y". A surface that needs a sign-in first (the OpenID provider's authorization
//! request) writes one, with state of its own, into a cookie sealed under the master key; the
//! sign-in pages read where to go once the session is complete and which target their forms
//! end at after the redirects (their Content-Security-Policy must allow it). A browser has one
//! waiting flow at a time.

use crate::signin::SigninService;
use actix_web::cookie::time::Duration;
use actix_web::{HttpRequest, HttpResponse};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use url::Url;

/// The cookie's name, from when only authorization requests waited (kept, so that a
/// browser's cookie means what it meant).
const COOKIE: &str = "keyward_authorize";
const SECURE_COOKIE: &str = "__Host-keyward_authorize";
const SEAL_PURPOSE: &str = "browser-continuation";

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// A waiting flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Continuation<T> {
    /// The path (on this site) the browser goes to once signed in.
    pub return_to: String,
    /// Where the sign-in pages' forms end after their redirects, if outside this site.
    pub form_target: Option<String>,
    /// The application the sign-in is for, named on the sign-in page ("Sign in to continue
    /// to Photo app"); none for a flow of Keyward's own.
    #[serde(default)]
    pub app: Option<String>,
    /// Unix seconds, when the flow began to wait.
    pub made_at: i64,
    /// How long it waits, in seconds.
    pub lifetime: i64,
    /// The flow's own state; readers other than the flow skip it.
    pub flow: T,
}

/// Gives `response` the continuation's cookie; fails only when it cannot be sealed.
pub fn write<T: Serialize>(
    service: &SigninService,
    response: &mut HttpResponse,
    continuation: &Continuation<T>,
) -> Result<(), String> {
    let ctx = &service.ctx;
    let text = serde_json::to_vec(continuation).map_err(|e| e.to_string())?;
    let sealed = ctx
        .master_key
        .seal(SEAL_PURPOSE, &text, ctx.random.as_ref())
        .map_err(|e| e.to_string())?;
    let mut c = super::cookies::cookie(service.secure, cookie_name(service.secure), sealed);
    c.set_max_age(Duration::seconds(continuation.lifetime));
    let _ = response.add_cookie(&c);
    Ok(())
}

/// The request's continuation, sealed here and holding a flow of type `T`, whatever its age.
fn open<T: DeserializeOwned>(
    service: &SigninService,
    req: &HttpRequest,
) -> Option<Continuation<T>> {
    use secrecy::ExposeSecret;
    let value = req.cookie(cookie_name(service.secure))?;
    let master_key = &service.ctx.master_key;
    let bytes = master_key.open(SEAL_PURPOSE, value.value()).ok()?;
    serde_json::from_slice(bytes.expose_secret()).ok()
}

impl<T> Continuation<T> {
    fn alive(&self, now: i64) -> bool {
        (0..=self.lifetime).contains(&(now - self.made_at))
    }
}

/// The request's continuation, if one waits (sealed here, not past its lifetime) and holds a
/// flow of type `T`.
pub fn read<T: DeserializeOwned>(
    service: &SigninService,
    req: &HttpRequest,
) -> Option<Continuation<T>> {
    let now = service.ctx.clock.now().timestamp();
    open(service, req).filter(|c: &Continuation<T>| c.alive(now))
}

/// Where a browser goes once signed in, when a flow waits for it: the flow's own path even
/// past its lifetime (the flow then says that it expired, instead of the browser landing
/// elsewhere without a word).
pub fn return_to(service: &SigninService, req: &HttpRequest) -> Option<String> {
    open::<IgnoredAny>(service, req).map(|c| c.return_to)
}

/// The application a waiting sign-in is for, while its flow is alive.
pub fn app_name(service: &SigninService, req: &HttpRequest) -> Option<String> {
    read::<IgnoredAny>(service, req).and_then(|c| c.app)
}

/// Removes the continuation from the browser.
pub fn clear(service: &SigninService, response: &mut HttpResponse) {
    let name = cookie_name(service.secure);
    let _ = response.add_removal_cookie(&super::cookies::removal(service.secure, name));
}

/// Lets `response` (a page with a form) post to a flow that ends at `target`.
pub fn allow_form_target(mut response: HttpResponse, target: &Url) -> HttpResponse {
    if let Some(policy) = crate::http::security_headers::policy_with_form_target(target) {
        response
            .headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// [`allow_form_target`] for the continuation waiting in the request, if any.
pub fn for_waiting(
    service: &SigninService,
    req: &HttpRequest,
    response: HttpResponse,
) -> HttpResponse {
    let target = read::<IgnoredAny>(service, req)
        .and_then(|c| c.form_target)
        .and_then(|t| Url::parse(&t).ok());
    match target {
        Some(target) => allow_form_target(response, &target),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(made_at: i64) -> Continuation<serde_json::Value> {
        Continuation {
            return_to: "/oauth2/authorize/continue".into(),
            form_target: Some("https://app.example/cb".into()),
            app: Some("Photo app".into()),
            made_at,
            lifetime: 600,
            flow: serde_json::json!({ "client_id": "c", "scopes": ["openid"] }),
        }
    }

    #[test]
    fn a_continuation_lives_its_lifetime_from_when_it_was_made() {
        let c = waits(1_000);
        assert!(c.alive(1_000));
        assert!(c.alive(1_600));
        assert!(!c.alive(1_601));
        assert!(!c.alive(999), "made in the future");
    }

    #[test]
    fn readers_other_than_the_flow_skip_its_state() {
        let text = serde_json::to_vec(&waits(1_000)).unwrap();
        let seen: Continuation<IgnoredAny> = serde_json::from_slice(&text).unwrap();
        assert_eq!(seen.return_to, "/oauth2/authorize/continue");
        assert_eq!(seen.form_target.as_deref(), Some("https://app.example/cb"));
        let own: Continuation<serde_json::Value> = serde_json::from_slice(&text).unwrap();
        assert_eq!(own.flow["client_id"], "c");
    }
}
