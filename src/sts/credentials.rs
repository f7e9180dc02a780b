//! Minting temporary credentials with the service context's sealer and randomness (the
//! formats are in [`crate::credentials`]).

use crate::context::ServiceContext;
pub use crate::credentials::TemporaryCredentials;
use crate::credentials::{temporary, SessionClaims, TokenError};

/// Mints credentials for a session described by `claims` (whose `secret` is filled in here).
pub fn mint(
    ctx: &ServiceContext,
    claims: SessionClaims,
) -> Result<TemporaryCredentials, TokenError> {
    temporary::issue(&ctx.sessions, ctx.random.as_ref(), claims)
}
