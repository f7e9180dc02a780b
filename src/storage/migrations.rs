//! The SQL migrations in `migrations/`, embedded in the binary. The same files serve both
//! backends (they are written in portable SQL).

use super::connection::DbConnection;
use super::error::StorageError;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies every pending migration; returns the versions applied.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, StorageError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|done| done.iter().map(|v| v.to_string()).collect())
        .map_err(|e| StorageError::Migration(e.to_string()))
}

/// Reverts every applied migration, newest first; returns the versions reverted.
pub fn revert_all(conn: &mut DbConnection) -> Result<Vec<String>, StorageError> {
    conn.revert_all_migrations(MIGRATIONS)
        .map(|done| done.iter().map(|v| v.to_string()).collect())
        .map_err(|e| StorageError::Migration(e.to_string()))
}

/// Versions not applied yet.
pub fn pending(conn: &mut DbConnection) -> Result<Vec<String>, StorageError> {
    conn.pending_migrations(MIGRATIONS)
        .map(|list| {
            list.iter()
                .map(|m| m.name().version().to_string())
                .collect()
        })
        .map_err(|e| StorageError::Migration(e.to_string()))
}
