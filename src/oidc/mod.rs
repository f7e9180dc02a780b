//! Keyward as an OpenID Connect provider: relying parties sign their users in through the
//! portal and get ID tokens, access tokens (JWTs, RFC 9068) and refresh tokens.
//!
//! One issuer, the public URL. Clients belong to an account, and only that account's users
//! (IAM users and the root user) sign in to them. Endpoints (the route table is [`routes`]):
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
pub mod client_keys;
pub mod clients;
pub mod clients_api;
pub mod cors;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod jwt;
pub mod keys;
pub mod logout;
pub mod pages;
pub mod params;
pub mod routes;
pub mod token;
pub mod tokens;
pub mod userinfo;

pub use routes::configure;

use crate::audit::AuditQueue;
use crate::context::ServiceContext;
use crate::signin::SigninService;
use actix_web::web;
use clients::{Client, ClientError};
use keys::KeyRing;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Shared state of the provider.
pub struct Provider {
    pub ctx: ServiceContext,
    pub audit: Arc<AuditQueue>,
    pub keys: KeyRing,
    /// The sign-in service, whose sessions are the users' sign-ins (and whose public URL is
    /// the issuer).
    pub signin: web::Data<SigninService>,
    /// How long an authorization code may wait for its exchange.
    pub code_lifetime: chrono::Duration,
    /// Clients read recently, by id (see [`Provider::client`]).
    clients: RwLock<HashMap<String, Cached>>,
}

/// A client as read at an IAM epoch and an instant.
struct Cached {
    epoch: u64,
    at: Instant,
    client: Client,
}

/// How long a cached client is trusted without reading it again. Changes made through this
/// instance (and, on PostgreSQL, through any other) are seen at once, by the epoch; this bounds
/// how long a change made by `keyward oidc` against the embedded store takes.
const CLIENT_CACHE_LIFETIME: Duration = Duration::from_secs(5);

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").finish_non_exhaustive()
    }
}

impl Provider {
    pub fn new(
        ctx: ServiceContext,
        audit: Arc<AuditQueue>,
        signin: web::Data<SigninService>,
        code_lifetime: chrono::Duration,
    ) -> Self {
        Self {
            ctx,
            audit,
            keys: KeyRing::new(),
            signin,
            code_lifetime,
            clients: RwLock::new(HashMap::new()),
        }
    }

    /// A client by its id, from a cache that the IAM epoch and a short lifetime keep fresh:
    /// the token endpoint then needs no read of the client at each request.
    pub fn client(&self, client_id: &str) -> Result<Option<Client>, ClientError> {
        let epoch = self.ctx.epoch();
        if let Some(hit) = self.clients.read().ok().and_then(|cache| {
            cache
                .get(client_id)
                .filter(|c| c.epoch == epoch && c.at.elapsed() < CLIENT_CACHE_LIFETIME)
                .map(|c| c.client.clone())
        }) {
            return Ok(Some(hit));
        }
        let found = clients::find(&self.ctx, client_id)?;
        // Inside a console form's transaction the client read may never be committed.
        if crate::storage::connection::in_atomic_scope() {
            return Ok(found);
        }
        if let (Some(client), Ok(mut cache)) = (&found, self.clients.write()) {
            if cache.len() >= 10_000 {
                cache.clear();
            }
            cache.insert(
                client_id.to_string(),
                Cached {
                    epoch,
                    at: Instant::now(),
                    client: client.clone(),
                },
            );
        }
        Ok(found)
    }

    /// The issuer: the public URL, without a trailing slash.
    pub fn issuer(&self) -> &str {
        self.signin.public_url()
    }

    /// An endpoint's URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer())
    }
}
