//! Cross-cutting HTTP pieces: request ids, metrics, access logs, the health endpoints and the
//! security headers of pages.

pub mod client_address;
pub mod health;
pub mod metrics;
pub mod request_id;
pub mod security_headers;
pub mod tls;

/// What the audit trail records of the request behind an event: source address (the client's,
/// through trusted proxies: see [`client_address`]), user agent and request id.
pub fn request_meta(req: &actix_web::HttpRequest) -> crate::audit::RequestMeta {
    use actix_web::HttpMessage;
    crate::audit::RequestMeta {
        source_ip: client_address::of_request(req).map(|c| c.ip.to_string()),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        request_id: req
            .extensions()
            .get::<request_id::RequestId>()
            .map(|r| r.0.clone()),
    }
}
