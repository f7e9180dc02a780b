//! The sign-in portal and console: HTML pages (askama templates in `templates/`) built on the
//! browser kit (`browser/`). Handlers translate forms into calls of the sign-in service
//! (`signin/`) and the IAM services, and outcomes into pages; nothing here decides who may do
//! what. The route table is [`routes`].

mod assets;
pub mod console;
mod credentials;
mod dashboard;
mod directory_keys;
mod directory_signin;
mod external_signin;
mod mfa_pages;
pub(crate) mod pages;
mod password;
pub mod routes;
mod signed_in;
mod signin_pages;
mod webauthn_api;

pub use routes::configure;

// The sign-in service's modules that tests still name at the paths they had when they lived
// here.
pub use crate::signin::flow as signin;
pub use crate::signin::{second_step, sessions};

use crate::audit::AuditQueue;
use crate::context::ServiceContext;
use crate::signin::SigninService;
use actix_web::web;
use sessions::Lifetimes;
use std::sync::Arc;

/// Shared state of the portal: the sign-in service its pages drive, and what the console adds.
/// It dereferences to the sign-in service (its context, lifetimes, cookie flags).
pub struct Portal {
    pub signin: web::Data<SigninService>,
    /// The region `aws:RequestedRegion` names.
    pub region: String,
}

impl std::fmt::Debug for Portal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal").finish_non_exhaustive()
    }
}

impl std::ops::Deref for Portal {
    type Target = SigninService;

    fn deref(&self) -> &SigninService {
        &self.signin
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PortalStartError {
    #[error("cannot start the password threads: {0}")]
    Threads(#[from] std::io::Error),
}

impl Portal {
    /// A portal with a sign-in service of its own, whose sign-outs end the OpenID provider's
    /// grants as the server's do.
    pub fn new(
        ctx: ServiceContext,
        audit: Arc<AuditQueue>,
        lifetimes: Lifetimes,
        region: String,
        secure: bool,
    ) -> Result<Self, PortalStartError> {
        let signin = SigninService::new(ctx, audit, lifetimes, secure)
            .on_sign_out(crate::oidc::grants::end_with_sign_out);
        Ok(Self::with_signin(web::Data::new(signin), region))
    }

    /// A portal over a sign-in service shared with the other surfaces.
    pub fn with_signin(signin: web::Data<SigninService>, region: String) -> Self {
        Self { signin, region }
    }
}
