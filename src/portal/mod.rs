//! The sign-in portal and console: HTML pages (askama templates in `templates/`), cookies,
//! CSRF tokens. Handlers translate forms into calls of the sign-in service ([`signin`]) and
//! the IAM services, and outcomes into pages; nothing here decides who may do what.

pub mod console;
mod credentials;
pub mod csrf;
pub(crate) mod handlers;
pub mod known_device;
pub(crate) mod pages;
pub mod principals;
pub mod recovery;
pub mod second_step;
pub mod sessions;
pub mod signin;
pub mod webauthn;
mod webauthn_api;

pub use handlers::configure;
pub(crate) use handlers::form_config;

use crate::audit::AuditQueue;
use crate::auth::hash_pool::HashPool;
use crate::auth::password;
use crate::context::ServiceContext;
use crate::secrets::SecretString;
use csrf::CsrfKey;
use sessions::Lifetimes;
use std::sync::{Arc, OnceLock};

/// Shared state of the portal.
pub struct Portal {
    pub ctx: ServiceContext,
    pub audit: Arc<AuditQueue>,
    /// The context's password threads.
    pub hashing: Arc<HashPool>,
    pub csrf: CsrfKey,
    pub lifetimes: Lifetimes,
    /// The region `aws:RequestedRegion` names.
    pub region: String,
    /// Cookies carry `Secure` (and the `__Host-` prefix) when served over https.
    pub secure: bool,
    /// The public URL, known once the server is bound.
    pub public_url: OnceLock<String>,
    /// The WebAuthn relying party, made from the public URL at first use (`None` when the
    /// public URL cannot be one: WebAuthn needs https or localhost).
    relying_party: OnceLock<Option<webauthn_rs::Webauthn>>,
    /// What a password is checked against when the user name names nobody, so that unknown
    /// and known names cost the same argon2id work. Made at the first such sign-in, not at
    /// start-up.
    dummy_hash: OnceLock<String>,
    /// Passkey sign-ins started per network source (each keeps a ceremony row for five
    /// minutes, and anyone may start one).
    passkey_starts: std::sync::Mutex<crate::auth::start_limit::StartLimiter>,
}

impl std::fmt::Debug for Portal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PortalStartError {
    #[error("cannot start the password threads: {0}")]
    Threads(#[from] std::io::Error),
}

impl Portal {
    pub fn new(
        ctx: ServiceContext,
        audit: Arc<AuditQueue>,
        lifetimes: Lifetimes,
        region: String,
        secure: bool,
    ) -> Result<Self, PortalStartError> {
        Ok(Self {
            dummy_hash: OnceLock::new(),
            csrf: CsrfKey::derive(&ctx.master_key),
            hashing: ctx.hashing.clone(),
            ctx,
            audit,
            lifetimes,
            region,
            secure,
            public_url: OnceLock::new(),
            relying_party: OnceLock::new(),
            passkey_starts: std::sync::Mutex::new(crate::auth::start_limit::StartLimiter::new(
                webauthn::PASSKEY_START_LIMITS,
            )),
        })
    }

    /// The WebAuthn relying party for the public URL.
    pub fn webauthn(&self) -> Result<&webauthn_rs::Webauthn, webauthn::WebauthnFlowError> {
        self.relying_party
            .get_or_init(|| webauthn::relying_party(self.public_url()).ok())
            .as_ref()
            .ok_or_else(|| webauthn::WebauthnFlowError::Unavailable(self.public_url().to_string()))
    }

    /// The hash an unknown user's password is checked against (see `dummy_hash`).
    pub(crate) fn dummy_hash(&self) -> &str {
        self.dummy_hash.get_or_init(|| {
            let random = self.ctx.random.as_ref();
            let text = crate::clock::random_string(random, b"abcdefghijklmnopqrstuvwxyz", 24);
            password::hash(&SecretString::from(text), random).unwrap_or_default()
        })
    }

    pub fn public_url(&self) -> &str {
        self.public_url
            .get()
            .map_or("", |u| u.trim_end_matches('/'))
    }
}
