//! Keyward as an OpenID Connect provider: relying parties sign their users in through the
//! portal and get ID tokens, access tokens (JWTs, RFC 9068) and refresh tokens.
//!
//! One issuer, the public URL. Clients belong to an account, and only that account's users
//! (IAM users and the root user) sign in to them. Endpoints (see [`configure`]):
//!
//! ```text
//! /.well-known/openid-configuration   discovery
//! /oauth2/jwks                         the published keys
//! /oauth2/authorize                    authorization code flow with PKCE (+ /continue, /consent)
//! /oauth2/token                        authorization_code, refresh_token, client_credentials
//! /oauth2/userinfo                     the user's claims for an access token
//! /oauth2/revoke                       RFC 7009
//! /oauth2/introspect                   RFC 7662, for authenticated clients
//! /oauth2/logout                       RP-initiated logout
//! /keyward/oidc/clients                client management, SigV4-signed (in `aws_api`)
//! ```

pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod clients;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod jwt;
pub mod keys;
pub mod logout;
pub mod pages;
pub mod params;
pub mod token;
pub mod tokens;
pub mod userinfo;

use crate::audit::AuditQueue;
use crate::context::ServiceContext;
use crate::http::security_headers;
use crate::portal::Portal;
use actix_web::middleware::from_fn;
use actix_web::web;
use keys::KeyRing;
use std::sync::Arc;

/// Shared state of the provider.
pub struct Provider {
    pub ctx: ServiceContext,
    pub audit: Arc<AuditQueue>,
    pub keys: KeyRing,
    /// The portal, whose sessions are the users' sign-ins (and whose public URL is the
    /// issuer).
    pub portal: web::Data<Portal>,
    /// How long an authorization code may wait for its exchange.
    pub code_lifetime: chrono::Duration,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").finish_non_exhaustive()
    }
}

impl Provider {
    pub fn new(
        ctx: ServiceContext,
        audit: Arc<AuditQueue>,
        portal: web::Data<Portal>,
        code_lifetime: chrono::Duration,
    ) -> Self {
        Self {
            ctx,
            audit,
            keys: KeyRing::new(),
            portal,
            code_lifetime,
        }
    }

    /// The issuer: the public URL, without a trailing slash.
    pub fn issuer(&self) -> &str {
        self.portal.public_url()
    }

    /// An endpoint's URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer())
    }
}

/// The provider's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::configuration),
    )
    .route("/oauth2/jwks", web::get().to(discovery::jwks))
    .route("/oauth2/token", web::post().to(token::handle))
    .route("/oauth2/userinfo", web::get().to(userinfo::handle))
    .route("/oauth2/userinfo", web::post().to(userinfo::handle))
    .route("/oauth2/revoke", web::post().to(tokens::revoke))
    .route("/oauth2/introspect", web::post().to(tokens::introspect))
    .service(
        web::scope("/oauth2/authorize")
            .wrap(from_fn(security_headers::middleware))
            .route("", web::get().to(authorize::start))
            .route("", web::post().to(authorize::start_post))
            .route("/continue", web::get().to(authorize::resume))
            .route("/consent", web::post().to(authorize::consent))
            .route("/reauthenticate", web::post().to(authorize::reauthenticate)),
    )
    .service(
        web::scope("/oauth2/logout")
            .wrap(from_fn(security_headers::middleware))
            .route("", web::get().to(logout::start))
            .route("", web::post().to(logout::start_post))
            .route("/confirm", web::post().to(logout::confirm)),
    );
}
