//! The IAM services' error type. Each protocol surface maps it once (AWS error XML, HTML).

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    PasswordPolicyViolation(String),
    #[error("{0}")]
    InvalidAuthenticationCode(String),
    #[error("{0}")]
    ReportNotPresent(String),
    /// Too many wrong guesses of a secret (a password): try again later.
    #[error("{0}")]
    Throttled(String),
    #[error(transparent)]
    Storage(StorageError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StorageError> for IamError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

impl From<diesel::result::Error> for IamError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(StorageError::from(e))
    }
}
