//! The answers every page handler shares: a rendered page, a message page, a redirect, the
//! pages for a form that cannot be read or has expired, "busy", and an internal failure
//! (logged with the request id, never shown).

use super::pages::MessagePage;
use crate::audit::RequestMeta;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// The request's audit facts (client address, user agent, request id).
pub fn meta(req: &HttpRequest) -> RequestMeta {
    crate::http::request_meta(req)
}

/// A page, as HTML.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Keyward could not show this page.")
        }
    }
}

/// A message page: a title, a sentence and where "back" goes.
pub fn message(status: StatusCode, title: &str, text: &str, back: &str) -> HttpResponse {
    render(
        status,
        &MessagePage {
            signed_in: None,
            title: title.to_string(),
            message: text.to_string(),
            back: back.to_string(),
        },
    )
}

/// Any path Keyward serves nothing at: a page in the site's look (outside the console, whose
/// own "not found" keeps its navigation), with the pages' security headers.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let mut page = message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "Keyward has no page at this address. Check the link, or go to the sign-in page.",
        "/signin",
    );
    let https = req
        .app_data::<web::Data<crate::http::security_headers::ServedOverHttps>>()
        .is_some_and(|s| s.0);
    crate::http::security_headers::apply(page.headers_mut(), https, false);
    page
}

/// Forms that cannot be read (a field missing, a body too large) get a page that says so, in
/// the pages' own shape, instead of the framework's plain text.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default().error_handler(|err, _req| {
        use actix_web::ResponseError;
        let page = message(
            err.status_code(),
            "Form not understood",
            &format!(
                "The form could not be read ({}). Open the page again and retry.",
                err.to_string().trim_end_matches('.')
            ),
            "/signin",
        );
        actix_web::error::InternalError::from_response(err, page).into()
    })
}

/// The same for the WebAuthn script's JSON calls: `{"error": ...}` like their other refusals.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().error_handler(|err, _req| {
        use actix_web::ResponseError;
        let answer = HttpResponse::build(err.status_code()).json(serde_json::json!({
            "error": format!(
                "The request could not be read ({}). Reload the page and retry.",
                err.to_string().trim_end_matches('.')
            ),
        }));
        actix_web::error::InternalError::from_response(err, answer).into()
    })
}

/// A redirect to `location` (303: the next request is a GET, whatever posted).
pub fn see_other(location: &str) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::SeeOther();
    b.insert_header((header::LOCATION, location.to_string()));
    b
}

/// Something failed inside: logged with the request id, never shown.
pub fn internal(req: &HttpRequest, error: &dyn std::fmt::Display) -> HttpResponse {
    let id = meta(req).request_id.unwrap_or_default();
    tracing::error!(request_id = %id, error = %error, "portal request failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &format!("Keyward could not complete the request. Request id: {id}"),
        "/console",
    )
}

/// [`internal`] for the JSON endpoints.
pub fn internal_json(req: &HttpRequest, error: &dyn std::fmt::Display) -> HttpResponse {
    let id = meta(req).request_id.unwrap_or_default();
    tracing::error!(request_id = %id, error = %error, "portal request failed");
    HttpResponse::InternalServerError().json(serde_json::json!({
        "error": format!("Keyward could not complete the request. Request id: {id}")
    }))
}

/// The password threads are full: try again in a moment.
pub fn busy() -> HttpResponse {
    let mut r = message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Busy",
        "Too many sign-ins are being checked right now. Try again in a moment.",
        "/signin",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
    r
}

/// A form whose CSRF token is missing, old or another browser's.
pub fn csrf_refused() -> HttpResponse {
    message(
        StatusCode::FORBIDDEN,
        "Form expired",
        "The form was too old or did not come from this site. Open the page again and retry.",
        "/signin",
    )
}
