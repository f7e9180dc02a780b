//! The one table of every path Keyward serves, with its guards and middleware.

use crate::aws_api::{authorize, endpoint};
use crate::http::{health, metrics};
use crate::portal;
use actix_web::web;

/// Registers every route. Middleware that wraps the whole app (request ids, metrics, access
/// log) is applied in `app.rs`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::endpoint))
        // The AWS Query protocol (IAM and STS) at the service root, as AWS serves it.
        .route("/", web::post().to(endpoint::handle))
        .route("/", web::get().to(endpoint::handle))
        // Resource servers ask whether a request they received is allowed.
        .route("/keyward/authorize", web::post().to(authorize::handle))
        // People: /signin, /signout, /console and /static, behind the pages' security headers.
        .configure(portal::configure);
}
