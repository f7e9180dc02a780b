//! Credential primitives, below every service: the formats of access keys (long-term `AKIA`
//! keys and their sealed secrets; temporary `ASIA` key ids that name their account), the
//! claims of a role or user session, the sealer of the session tokens that carry them, and the
//! principal a console session or OpenID Connect grant belongs to.
//! The services (`iam`, `sts`) decide who gets credentials; this module only makes, seals and
//! opens them. It reads nothing from the store.

pub mod access_key;
pub mod claims;
pub mod principal;
pub mod temporary;
pub mod token;

pub use claims::{SessionClaims, SessionPrincipal};
pub use principal::Principal;
pub use temporary::{TemporaryAccessKeyId, TemporaryCredentials};
pub use token::{TokenError, TokenSealer};
