//! Where every path Keyward serves is listed: the route tables of the surfaces, named here.
//!
//! - this file: health, readiness, metrics, the AWS Query API at `/`, Keyward's own
//!   SigV4-signed JSON APIs under `/keyward/`, and IAM Roles Anywhere's REST-JSON paths
//!   (`/trustanchors`, `/profiles`, `/crls`, ...), for requests signed for `rolesanywhere` only;
//! - [`crate::oidc::routes`]: the OpenID provider (`/.well-known/openid-configuration`,
//!   `/oauth2/...`);
//! - [`crate::portal::routes`]: the portal (`/signin`, `/signout`, `/console` with the console's
//!   IAM pages, `/static`).
//!
//! Each table lists all its routes with their guards and the middleware of their scopes; a
//! route lives in exactly one of them.

use crate::aws_api::endpoint;
use crate::aws_api::keyward::{authorize, directories, user_email};
use crate::aws_api::rolesanywhere::{self as ra, crls, profiles, tags, trust_anchors};
use crate::http::{health, metrics};
use crate::oidc::clients_api as oidc_clients;
use crate::{oidc, portal};
use actix_web::{guard, web};

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
        // IAM Roles Anywhere's administration API: REST-JSON signed for `rolesanywhere`.
        .configure(roles_anywhere)
        // Relying parties: discovery, keys, authorize, token, userinfo, logout.
        .configure(oidc::routes::configure)
        // People: /signin, /signout, /console and /static, behind the pages' security headers.
        .configure(portal::routes::configure);
}

/// IAM Roles Anywhere's paths (botocore's `rolesanywhere` 2018-05-10 model), each guarded by
/// the request's credential scope: other requests to these paths are not its.
fn roles_anywhere(cfg: &mut web::ServiceConfig) {
    let signed = || guard::fn_guard(ra::signed_for_rolesanywhere);
    let routes: [(&str, actix_web::Route); 24] = [
        ("/trustanchors", web::post().to(trust_anchors::create)),
        ("/trustanchors", web::get().to(trust_anchors::list)),
        ("/trustanchor/{id}", web::get().to(trust_anchors::get)),
        ("/trustanchor/{id}", web::patch().to(trust_anchors::update)),
        ("/trustanchor/{id}", web::delete().to(trust_anchors::delete)),
        (
            "/trustanchor/{id}/enable",
            web::post().to(trust_anchors::enable),
        ),
        (
            "/trustanchor/{id}/disable",
            web::post().to(trust_anchors::disable),
        ),
        ("/profiles", web::post().to(profiles::create)),
        ("/profiles", web::get().to(profiles::list)),
        ("/profile/{id}", web::get().to(profiles::get)),
        ("/profile/{id}", web::patch().to(profiles::update)),
        ("/profile/{id}", web::delete().to(profiles::delete)),
        ("/profile/{id}/enable", web::post().to(profiles::enable)),
        ("/profile/{id}/disable", web::post().to(profiles::disable)),
        ("/crls", web::post().to(crls::import)),
        ("/crls", web::get().to(crls::list)),
        ("/crl/{id}", web::get().to(crls::get)),
        ("/crl/{id}", web::patch().to(crls::update)),
        ("/crl/{id}", web::delete().to(crls::delete)),
        ("/crl/{id}/enable", web::post().to(crls::enable)),
        ("/crl/{id}/disable", web::post().to(crls::disable)),
        ("/TagResource", web::post().to(tags::tag)),
        ("/UntagResource", web::post().to(tags::untag)),
        ("/ListTagsForResource", web::get().to(tags::list)),
    ];
    for (path, route) in routes {
        cfg.route(path, route.guard(signed()));
    }
}
