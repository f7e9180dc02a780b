//! Row locks that serialise the writes guarded by a quota or a read-then-write rule.
//!
//! PostgreSQL takes `SELECT ... FOR UPDATE` on the account row, so concurrent transactions of
//! one account queue there. SQLite has no row locks, but every write transaction there begins
//! with `BEGIN IMMEDIATE` (see [`super::write_transaction`]) and so already runs alone.

use super::schema::accounts;
use super::{DbConnection, StorageError};
use diesel::prelude::*;

/// Locks `account_id` until the transaction ends; `NotFound` when there is no such account.
pub fn lock_account(conn: &mut DbConnection, account_id: &str) -> Result<(), StorageError> {
    let found = match conn {
        DbConnection::Pg(pg) => accounts::table
            .find(account_id)
            .select(accounts::id)
            .for_update()
            .first::<String>(pg)
            .optional()?,
        DbConnection::Sqlite(sqlite) => accounts::table
            .find(account_id)
            .select(accounts::id)
            .first::<String>(sqlite)
            .optional()?,
    };
    found.map(|_| ()).ok_or(StorageError::NotFound)
}
