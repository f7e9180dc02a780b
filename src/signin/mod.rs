//! Sign-in as a service, under both web surfaces: the password step, the second step (TOTP,
//! security keys, the root user's recovery codes), passkeys, known devices, throttling, forced
//! password change, re-authentication and sign-out, and the console sessions they open.
//!
//! Nothing here speaks HTTP: the portal's pages and the OpenID provider (through `browser/`)
//! turn forms into calls of these functions and outcomes into pages. A [`SigninService`]
//! holds only what the flow uses: the services' context, the audit queue, the WebAuthn relying
//! party, the session lifetimes and the keys of the browser-bound tokens.

pub mod acting_role;
pub mod csrf;
pub mod directory;
pub mod external;
pub mod flow;
pub mod known_device;
pub mod pending;
pub mod principals;
pub mod recovery;
pub mod second_step;
pub mod sessions;
pub mod webauthn;

use crate::audit::AuditQueue;
use crate::auth::hash_pool::HashPool;
use crate::auth::password;
use crate::context::ServiceContext;
use crate::secrets::SecretString;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use csrf::CsrfKey;
use sessions::Lifetimes;
use std::sync::{Arc, OnceLock};

/// What a sign-out ends besides the console sessions, inside the same transaction: a surface
/// above sign-in (the OpenID provider's grants that came from the sessions) registers one with
/// [`SigninService::on_sign_out`], so that sign-in needs to know none of them.
pub type SignOutHook =
    fn(&mut DbConnection, &SignedOut<'_>, NaiveDateTime) -> Result<(), StorageError>;

/// The sessions a sign-out ends.
#[derive(Debug, Clone, Copy)]
pub enum SignedOut<'a> {
    /// One session, by the hash of its cookie.
    Session { id_hash: &'a str },
    /// Every session of a principal ("sign out everywhere").
    Everywhere {
        account_id: &'a str,
        principal: &'a crate::credentials::Principal,
    },
}

/// The sign-in service's state.
pub struct SigninService {
    pub ctx: ServiceContext,
    pub audit: Arc<AuditQueue>,
    /// The context's password threads.
    pub hashing: Arc<HashPool>,
    /// The key of the tokens bound to a browser: forms' CSRF tokens and known-device tokens.
    pub csrf: CsrfKey,
    pub lifetimes: Lifetimes,
    /// Session cookies carry `Secure` (and the `__Host-` prefix) when served over https.
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
    /// What else ends with a sign-out (see [`SignOutHook`]).
    sign_out_hooks: Vec<SignOutHook>,
    /// External providers' discovery documents, to start sign-ins through them.
    pub(crate) discovery: external::DiscoveryCache,
}

impl std::fmt::Debug for SigninService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigninService").finish_non_exhaustive()
    }
}

impl SigninService {
    pub fn new(
        ctx: ServiceContext,
        audit: Arc<AuditQueue>,
        lifetimes: Lifetimes,
        secure: bool,
    ) -> Self {
        Self {
            dummy_hash: OnceLock::new(),
            csrf: CsrfKey::derive(&ctx.master_key),
            hashing: ctx.hashing.clone(),
            ctx,
            audit,
            lifetimes,
            secure,
            public_url: OnceLock::new(),
            relying_party: OnceLock::new(),
            passkey_starts: std::sync::Mutex::new(crate::auth::start_limit::StartLimiter::new(
                webauthn::PASSKEY_START_LIMITS,
            )),
            sign_out_hooks: Vec::new(),
            discovery: external::DiscoveryCache::default(),
        }
    }

    /// Adds what a sign-out also ends (see [`SignOutHook`]).
    #[must_use]
    pub fn on_sign_out(mut self, hook: SignOutHook) -> Self {
        self.sign_out_hooks.push(hook);
        self
    }

    /// Runs the sign-out hooks for `ended`, in the sign-out's transaction.
    pub(crate) fn signed_out(
        &self,
        conn: &mut DbConnection,
        ended: &SignedOut<'_>,
        now: NaiveDateTime,
    ) -> Result<(), StorageError> {
        self.sign_out_hooks
            .iter()
            .try_for_each(|hook| hook(conn, ended, now))
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

    /// The public URL, without a trailing slash (empty until the server is bound).
    pub fn public_url(&self) -> &str {
        self.public_url
            .get()
            .map_or("", |u| u.trim_end_matches('/'))
    }
}
