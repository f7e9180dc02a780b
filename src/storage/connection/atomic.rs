//! Several changes as one transaction: [`Store::atomically`] holds one connection in a
//! transaction for the calling thread, and every [`Store::query`], [`Store::read`] and
//! [`Store::write`] made on that thread meanwhile runs on it (a write or read as a savepoint
//! inside it). A console form that creates a user, its console password, its groups and its
//! policies through four IAM actions thus commits all of them or none: each action keeps its
//! own validation, authorization and audit row, and a refusal of the last one leaves nothing
//! of the first behind (its audit row included).
//!
//! The scope belongs to one thread and is not shared: the console runs each form's actions
//! on one blocking thread. Caches keyed by the IAM epoch must not keep what they read inside
//! a scope ([`in_scope`]): it is not committed yet, and may never be.

use super::{Backend, DbConnection, PooledConnection, Store};
use crate::storage::StorageError;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;
use std::cell::{Cell, RefCell};

thread_local! {
    /// The scope's connection, while the thread is inside [`Store::atomically`] and no store
    /// call is using it.
    static AMBIENT: RefCell<Option<PooledConnection>> = const { RefCell::new(None) };
    /// Whether the thread is inside [`Store::atomically`].
    static IN_SCOPE: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is inside [`Store::atomically`]: what it reads may not be
/// committed, so it must not be cached for others.
pub fn in_scope() -> bool {
    IN_SCOPE.with(Cell::get)
}

/// Runs `f` on the scope's connection (the thread is in a scope).
pub(super) fn on_ambient<T, E>(f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<StorageError>,
{
    let Some(mut conn) = AMBIENT.with(|a| a.borrow_mut().take()) else {
        // A store call inside another's closure: the connection is in use below.
        return Err(StorageError::Database(diesel::result::Error::AlreadyInTransaction).into());
    };
    let result = f(&mut conn);
    AMBIENT.with(|a| *a.borrow_mut() = Some(conn));
    result
}

/// Leaves the scope however `atomically` ends (a panic included): the thread's connection
/// is dropped from the thread-local and the flag cleared.
struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        IN_SCOPE.with(|s| s.set(false));
        AMBIENT.with(|a| a.borrow_mut().take());
    }
}

impl Store {
    /// Runs `f` as one write transaction: every store call that `f` makes on this thread
    /// joins it, and all of it commits when `f` returns `Ok`, none of it otherwise. A scope
    /// inside a scope is part of the outer one.
    pub fn atomically<T, E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        if in_scope() {
            return f();
        }
        super::refuse_without_store()?;
        if self.backend == Backend::Postgres {
            let conn = self.connection()?;
            return run_in_scope(conn, f).1;
        }
        // SQLite: the process's one writer connection, held for the whole scope.
        let mut writer = self.sqlite_writer.lock().unwrap_or_else(|e| e.into_inner());
        let conn = match writer.take() {
            Some(conn) => conn,
            None => self.connection()?,
        };
        let (conn, result) = run_in_scope(conn, f);
        *writer = conn;
        result
    }
}

/// Begins the transaction on `conn`, runs `f` with it as the thread's scope, commits or rolls
/// back; gives the connection back (none if it could not be taken back from the scope).
fn run_in_scope<T, E>(
    mut conn: PooledConnection,
    f: impl FnOnce() -> Result<T, E>,
) -> (Option<PooledConnection>, Result<T, E>)
where
    E: From<StorageError> + From<diesel::result::Error>,
{
    if let Err(e) = begin(&mut conn) {
        return (Some(conn), Err(e.into()));
    }
    let leave = Leave;
    AMBIENT.with(|a| *a.borrow_mut() = Some(conn));
    IN_SCOPE.with(|s| s.set(true));
    let result = f();
    let conn = AMBIENT.with(|a| a.borrow_mut().take());
    drop(leave);
    let Some(mut conn) = conn else {
        return (
            None,
            Err(StorageError::Database(diesel::result::Error::BrokenTransactionManager).into()),
        );
    };
    type Manager = <DbConnection as Connection>::TransactionManager;
    let result = match result {
        Ok(value) => match Manager::commit_transaction(&mut conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = Manager::rollback_transaction(&mut conn);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = Manager::rollback_transaction(&mut conn);
            Err(e)
        }
    };
    (Some(conn), result)
}

/// `BEGIN` (on SQLite `BEGIN IMMEDIATE`, taking the write lock at once, as
/// [`super::write_transaction`] does).
fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
        other => <DbConnection as Connection>::TransactionManager::begin_transaction(other),
    }
}

#[cfg(test)]
mod tests;
