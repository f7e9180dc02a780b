//! The stored side of [`crate::auth::throttle`]: one row per throttled key, read before an
//! attempt and updated after a failure, under the store's write lock or a row lock so that
//! concurrent failures are all counted.

use crate::auth::throttle::{self, Limits, State, Verdict};
use crate::storage::schema::signin_throttle;
use crate::storage::{DbConnection, StorageError};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A key and the limits that apply to it.
#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub limits: Limits,
}

impl Key {
    /// Attempts for one user name of one account (known or not: unknown names are throttled
    /// alike, so the answers do not tell them apart).
    pub fn user(account: &str, user_name: &str) -> Self {
        Self {
            name: format!(
                "user:{}:{}",
                account.to_lowercase(),
                user_name.to_lowercase()
            ),
            limits: throttle::PER_USER,
        }
    }

    /// Attempts from one source address, whatever the user name.
    pub fn address(ip: &str) -> Self {
        Self {
            name: format!("ip:{ip}"),
            limits: throttle::PER_ADDRESS,
        }
    }
}

fn state(conn: &mut DbConnection, key: &str, lock: bool) -> Result<State, StorageError> {
    let query = signin_throttle::table.find(key).select((
        signin_throttle::failures,
        signin_throttle::last_failure_at,
        signin_throttle::blocked_until,
    ));
    type Stored = (i32, Option<NaiveDateTime>, Option<NaiveDateTime>);
    let row: Option<Stored> = match (conn, lock) {
        (DbConnection::Pg(pg), true) => query.for_update().first(pg).optional()?,
        (conn, _) => query.first(conn).optional()?,
    };
    Ok(
        row.map_or_else(State::default, |(failures, last, blocked)| State {
            failures: u32::try_from(failures).unwrap_or(0),
            last_failure_at: last,
            blocked_until: blocked,
        }),
    )
}

/// The strictest verdict over `keys` at `now`.
pub fn check(
    conn: &mut DbConnection,
    keys: &[Key],
    now: NaiveDateTime,
) -> Result<Verdict, StorageError> {
    let mut verdicts = Vec::with_capacity(keys.len());
    for key in keys {
        verdicts.push(state(conn, &key.name, false)?.check(&key.limits, now));
    }
    Ok(throttle::strictest(verdicts))
}

/// Counts a failure against every key. Call inside a write transaction.
pub fn fail(conn: &mut DbConnection, keys: &[Key], now: NaiveDateTime) -> Result<(), StorageError> {
    for key in keys {
        let before = state(conn, &key.name, true)?;
        let next = before.failed(&key.limits, now);
        let values = (
            signin_throttle::failures.eq(i32::try_from(next.failures).unwrap_or(i32::MAX)),
            signin_throttle::last_failure_at.eq(next.last_failure_at),
            signin_throttle::blocked_until.eq(next.blocked_until),
        );
        let updated = diesel::update(signin_throttle::table.find(&key.name))
            .set(values)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(signin_throttle::table)
                .values((signin_throttle::throttle_key.eq(&key.name), values))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Forgets the failures of `key` (after a successful sign-in).
pub fn clear(conn: &mut DbConnection, key: &Key) -> Result<(), StorageError> {
    diesel::delete(signin_throttle::table.find(&key.name)).execute(conn)?;
    Ok(())
}
