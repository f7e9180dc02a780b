//! The provider's route table: discovery, keys, the token endpoints (with CORS for browser
//! clients) and the pages (authorize, logout) behind the pages' security headers.

use super::{authorize, cors, discovery, logout, token, tokens, userinfo};
use crate::http::security_headers;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::web;

/// The provider's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::configuration),
    )
    .route("/oauth2/jwks", web::get().to(discovery::jwks))
    .service(
        web::resource("/oauth2/token")
            .wrap(from_fn(cors::middleware))
            .route(web::post().to(token::handle))
            .route(web::method(Method::OPTIONS).to(cors::preflight)),
    )
    .service(
        web::resource("/oauth2/userinfo")
            .wrap(from_fn(cors::middleware))
            .route(web::get().to(userinfo::handle))
            .route(web::post().to(userinfo::handle))
            .route(web::method(Method::OPTIONS).to(cors::preflight)),
    )
    .service(
        web::resource("/oauth2/revoke")
            .wrap(from_fn(cors::middleware))
            .route(web::post().to(tokens::revoke))
            .route(web::method(Method::OPTIONS).to(cors::preflight)),
    )
    .route("/oauth2/introspect", web::post().to(tokens::introspect))
    .service(
        web::scope("/oauth2/authorize")
            .wrap(from_fn(security_headers::middleware))
            .app_data(crate::browser::form_config())
            .route("", web::get().to(authorize::start))
            .route("", web::post().to(authorize::start))
            .route("/continue", web::get().to(authorize::resume))
            .route("/consent", web::post().to(authorize::consent))
            .route("/reauthenticate", web::post().to(authorize::reauthenticate)),
    )
    .service(
        web::scope("/oauth2/logout")
            .wrap(from_fn(security_headers::middleware))
            .app_data(crate::browser::form_config())
            .route("", web::get().to(logout::start))
            .route("", web::post().to(logout::start))
            .route("/confirm", web::post().to(logout::confirm)),
    );
}
