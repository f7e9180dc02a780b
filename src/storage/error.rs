//! The storage error type: the one place where a database's unique violation becomes a
//! [`StorageError::Conflict`] that services turn into `EntityAlreadyExists`.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot use the database {database}: {reason}")]
    Unavailable { database: String, reason: String },
    /// A unique constraint refused the write: the entity already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A foreign key refused the write: the entity is still referenced, or refers to nothing.
    #[error("reference: {0}")]
    Reference(String),
    #[error("not found")]
    NotFound,
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(DieselError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The store was not used because the caller runs without it (see
    /// [`crate::storage::connection::without_store`]); the work is done again where it may.
    #[error("the store is not used on this thread")]
    Deferred,
}

impl From<DieselError> for StorageError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(info.constraint_name().unwrap_or(info.message()).to_string())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                Self::Reference(info.constraint_name().unwrap_or(info.message()).to_string())
            }
            other => Self::Database(other),
        }
    }
}

impl StorageError {
    /// True for [`StorageError::Deferred`]: not a failure, nothing to log.
    pub fn is_deferred(&self) -> bool {
        matches!(self, Self::Deferred)
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict(_))
    }
}

/// An insert that records a first occurrence (a token id, an assertion id): true when it was
/// the first, false when the row was already there (a unique key's conflict).
pub fn first_insert(inserted: Result<usize, diesel::result::Error>) -> Result<bool, StorageError> {
    match inserted.map_err(StorageError::from) {
        Ok(_) => Ok(true),
        Err(StorageError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
