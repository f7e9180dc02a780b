//! Cross-origin calls from browser apps (single-page apps, public clients) to the endpoints
//! they call directly: token, UserInfo, revocation, discovery and JWKS. None of these takes a
//! cookie (a client authenticates with its secret, its assertion or PKCE; UserInfo with a
//! bearer token), so every origin may call them: answers carry `Access-Control-Allow-Origin: *`
//! and never `Allow-Credentials`, which browsers refuse together with `*` anyway.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(res)
}

/// The answer to a preflight (`OPTIONS`): what a cross-origin request may send.
pub async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .finish()
}
