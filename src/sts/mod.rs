//! STS: temporary credentials. Each action mints an `ASIA...` access key, a secret and a
//! self-contained sealed session token ([`token`]); requests signed with them are verified from
//! the token alone, without the store.

pub mod assume_role;
pub mod credentials;
pub mod session;
pub mod token;

pub use credentials::TemporaryCredentials;
pub use token::{SessionClaims, SessionPrincipal, TokenError, TokenSealer};

use crate::iam::IamError;
use crate::storage::StorageError;

/// What STS actions refuse with; each maps to one AWS error code.
#[derive(Debug, thiserror::Error)]
pub enum StsError {
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    #[error(transparent)]
    Iam(#[from] IamError),
    #[error("session token: {0}")]
    Token(#[from] TokenError),
}

impl From<StorageError> for StsError {
    fn from(e: StorageError) -> Self {
        Self::Iam(IamError::Storage(e))
    }
}

impl From<diesel::result::Error> for StsError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Iam(IamError::from(e))
    }
}
