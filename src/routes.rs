//! Where every path Keyward serves is listed: the route tables of the surfaces, named here.
//!
//! - this file: health, readiness, metrics, the AWS Query API at `/`, and Keyward's own
//!   SigV4-signed JSON APIs under `/keyward/`;
//! - [`crate::oidc::routes`]: the OpenID provider (`/.well-known/openid-configuration`,
//!   `/oauth2/...`);
//! - [`crate::portal::routes`]: the portal (`/signin`, `/signout`, `/console` with the console's
//!   IAM pages, `/static`).
//!
//! Each table lists all its routes with their guards and the middleware of their scopes; a
//! route lives in exactly one of them.

use crate::aws_api::endpoint;
use crate::aws_api::keyward::{authorize, directories, user_email};
use crate::http::{health, metrics};
use crate::oidc::clients_api as oidc_clients;
use crate::{oidc, portal};
use actix_web::web;

/// Registers every route: this file's, then the tables named above. Middleware that wraps the
/// whole app (request ids, metrics, access log) is applied in `app.rs`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::endpoint))
        // The AWS Query protocol (IAM and STS) at the service root, as AWS serves it.
        .route("/", web::post().to(endpoint::handle))
        .route("/", web::get().to(endpoint::handle))
        // Resource servers ask whether a request they received is allowed.
        .route("/keyward/authorize", web::post().to(authorize::handle))
        // OpenID Connect clients, managed with SigV4-signed JSON.
        .route(
            "/keyward/oidc/clients",
            web::post().to(oidc_clients::create),
        )
        .route("/keyward/oidc/clients", web::get().to(oidc_clients::list))
        .route(
            "/keyward/oidc/clients/{id}",
            web::get().to(oidc_clients::get),
        )
        .route(
            "/keyward/oidc/clients/{id}",
            web::delete().to(oidc_clients::delete),
        )
        .route(
            "/keyward/oidc/clients/{id}",
            web::patch().to(oidc_clients::update),
        )
        .route(
            "/keyward/oidc/clients/{id}/secret",
            web::post().to(oidc_clients::rotate_secret),
        )
        // IAM users' email addresses (a Keyward extension), SigV4-signed JSON.
        .route("/keyward/users/email", web::post().to(user_email::set))
        .route("/keyward/users/email", web::get().to(user_email::get))
        // Directories (Active Directory, OpenLDAP), SigV4-signed JSON.
        .route("/keyward/directories", web::post().to(directories::create))
        .route("/keyward/directories", web::get().to(directories::list))
        .route(
            "/keyward/directories/{name}",
            web::get().to(directories::get),
        )
        .route(
            "/keyward/directories/{name}",
            web::patch().to(directories::update),
        )
        .route(
            "/keyward/directories/{name}",
            web::delete().to(directories::delete),
        )
        .route(
            "/keyward/directories/{name}/mfa-devices",
            web::get().to(directories::devices),
        )
        .route(
            "/keyward/directories/{name}/reset-mfa",
            web::post().to(directories::reset_mfa),
        )
        // Relying parties: discovery, keys, authorize, token, userinfo, logout.
        .configure(oidc::routes::configure)
        // People: /signin, /signout, /console and /static, behind the pages' security headers.
        .configure(portal::routes::configure);
}
