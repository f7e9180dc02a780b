//! The stored side of [`crate::auth::throttle`]: one row per throttled key (a user of an
//! account, a source address, an MFA device).
//!
//! Every guess goes through three steps:
//!
//! ```text
//!   reserve (write txn, row locked) ──blocked──> refused, nothing written
//!      │ allowed: counted as a failure now (the key locks at its limit)
//!      v
//!   check the guess (argon2id, TOTP, ...; outside the transaction)
//!      │ right                                  │ wrong
//!      v                                        v
//!   succeeded: user and device keys forgotten,  failed: the delay its count imposes
//!   address keys refunded one failure           starts (it was counted already)
//! ```
//!
//! Counting before the check is what makes the limits hold under concurrency: each guess
//! takes its place in the count under the row lock (PostgreSQL's `FOR UPDATE`, SQLite's one
//! writer), so a burst of concurrent guesses meets the lock after the limit, and no more than
//! the limit are ever checked.

use crate::auth::throttle::{self, Limits, State, Verdict};
use crate::clock::Clock;
use crate::storage::schema::signin_throttle;
use crate::storage::{DbConnection, StorageError, Store};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a right guess does to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSuccess {
    /// The key's failures are forgotten (the guesser proved to be its owner).
    Forget,
    /// Only the attempt's own failure is taken back (an address is shared by many people).
    Refund,
}

/// A key and the limits that apply to it.
#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub limits: Limits,
    pub on_success: OnSuccess,
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
            on_success: OnSuccess::Forget,
        }
    }

    /// Password attempts for one user name of one directory of an account
    /// (`AssumeRoleWithLDAPIdentity`, directory sign-ins), known to the directory or not.
    pub fn directory_user(account: &str, directory: &str, user_name: &str) -> Self {
        Self {
            name: format!(
                "ldap:{}:{directory}:{}",
                account.to_lowercase(),
                user_name.to_lowercase()
            ),
            limits: throttle::PER_USER,
            on_success: OnSuccess::Forget,
        }
    }

    /// Attempts from one source address, whatever the user name. IPv6 sources are counted by
    /// their /64: one host usually holds a whole /64 and could otherwise change its address
    /// at every guess.
    pub fn address(ip: &str) -> Self {
        Self {
            name: format!("ip:{}", crate::auth::start_limit::source_key(ip)),
            limits: throttle::PER_ADDRESS,
            on_success: OnSuccess::Refund,
        }
    }

    /// Password attempts for a user name from one known browser (`signin::known_device`):
    /// counted apart from the shared [`Key::user`], with the same limits.
    pub fn known_device(account: &str, user_name: &str, nonce: &str) -> Self {
        Self {
            name: format!(
                "device:{}:{}:{nonce}",
                account.to_lowercase(),
                user_name.to_lowercase()
            ),
            limits: throttle::PER_USER,
            on_success: OnSuccess::Forget,
        }
    }

    /// Second-factor codes for one principal, whatever the session: counted apart from its
    /// passwords, since only someone who knew the password reaches this step, and a lock set
    /// by password guessers must not shut the owner out of it.
    pub fn codes(account: &str, user_name: &str) -> Self {
        Self {
            name: format!(
                "codes:{}:{}",
                account.to_lowercase(),
                user_name.to_lowercase()
            ),
            limits: throttle::PER_USER,
            on_success: OnSuccess::Forget,
        }
    }

    /// Codes tried for one MFA device (STS's `SerialNumber` + `TokenCode`).
    pub fn device(serial_number: &str) -> Self {
        Self {
            name: format!("mfa:{serial_number}"),
            limits: throttle::PER_DEVICE,
            on_success: OnSuccess::Forget,
        }
    }

    /// Second-factor codes tried in one half-signed-in session.
    pub fn mfa_session(session_hash: &str) -> Self {
        Self {
            name: format!("mfa-session:{session_hash}"),
            limits: throttle::PER_MFA_SESSION,
            on_success: OnSuccess::Forget,
        }
    }
}

type Stored = (i32, Option<NaiveDateTime>, Option<NaiveDateTime>);

fn stored(conn: &mut DbConnection, key: &str, lock: bool) -> Result<Option<State>, StorageError> {
    let query = signin_throttle::table.find(key).select((
        signin_throttle::failures,
        signin_throttle::last_failure_at,
        signin_throttle::blocked_until,
    ));
    let row: Option<Stored> = match (conn, lock) {
        (DbConnection::Pg(pg), true) => query.for_update().first(pg).optional()?,
        (conn, _) => query.first(conn).optional()?,
    };
    Ok(row.map(|(failures, last, blocked)| State {
        failures: u32::try_from(failures).unwrap_or(0),
        last_failure_at: last,
        blocked_until: blocked,
    }))
}

fn state(conn: &mut DbConnection, key: &str, lock: bool) -> Result<State, StorageError> {
    Ok(stored(conn, key, lock)?.unwrap_or_default())
}

/// The key's state with its row locked until the transaction ends; a missing row is inserted
/// at once (so it is locked too). A concurrent transaction that inserted the same key first
/// makes this insert fail with a conflict when it commits, and the caller runs again: a row
/// found missing must never be written later from that stale reading, or two concurrent
/// first failures would count as one.
fn locked_state(conn: &mut DbConnection, key: &str) -> Result<State, StorageError> {
    if let Some(state) = stored(conn, key, true)? {
        return Ok(state);
    }
    diesel::insert_into(signin_throttle::table)
        .values((
            signin_throttle::throttle_key.eq(key),
            signin_throttle::failures.eq(0),
        ))
        .execute(conn)?;
    Ok(State::default())
}

fn store_state(conn: &mut DbConnection, key: &str, next: &State) -> Result<(), StorageError> {
    let values = (
        signin_throttle::failures.eq(i32::try_from(next.failures).unwrap_or(i32::MAX)),
        signin_throttle::last_failure_at.eq(next.last_failure_at),
        signin_throttle::blocked_until.eq(next.blocked_until),
    );
    let updated = diesel::update(signin_throttle::table.find(key))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(signin_throttle::table)
            .values((signin_throttle::throttle_key.eq(key), values))
            .execute(conn)?;
    }
    Ok(())
}

/// The strictest verdict over `keys` at `now`, without reserving anything (what a page shows).
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

/// Reserves one attempt against every key, inside the caller's write transaction: refused,
/// with nothing written, when any key is blocked; otherwise counted as a failure on each
/// (locking a key that reaches its limit). Keys are locked in the order given: callers list
/// them in one order (user, then address).
pub fn reserve_in(
    conn: &mut DbConnection,
    keys: &[Key],
    now: NaiveDateTime,
) -> Result<Verdict, StorageError> {
    let mut states = Vec::with_capacity(keys.len());
    for key in keys {
        states.push(locked_state(conn, &key.name)?);
    }
    let verdict = throttle::strictest(
        keys.iter()
            .zip(&states)
            .map(|(key, s)| s.check(&key.limits, now)),
    );
    if verdict == Verdict::Allowed {
        for (key, s) in keys.iter().zip(states) {
            store_state(conn, &key.name, &s.reserved(&key.limits, now))?;
        }
    }
    Ok(verdict)
}

/// The reserved attempt was wrong: the delays its count imposes start now, read from `clock`
/// when the guess has proved wrong. (The time of the reservation would be too early: a check
/// that waited in the hashing queue longer than its delay would start a delay already over.)
pub fn failed(store: &Store, clock: &dyn Clock, keys: &[Key]) -> Result<(), StorageError> {
    store.write(|conn| {
        let now = clock.now_naive();
        for key in keys {
            let state = locked_state(conn, &key.name)?;
            store_state(conn, &key.name, &state.confirmed(&key.limits, now))?;
        }
        Ok(())
    })
}

/// [`reserve_in`] in a transaction of its own. Concurrent first attempts on PostgreSQL may
/// all find no row and meet on the insert; the losers run again and find the row.
pub fn reserve(store: &Store, keys: &[Key], now: NaiveDateTime) -> Result<Verdict, StorageError> {
    let mut tries = 0;
    loop {
        match store.write(|conn| reserve_in(conn, keys, now)) {
            Err(StorageError::Conflict(_)) if tries < 5 => tries += 1,
            done => return done,
        }
    }
}

/// The reserved attempt was right: user and device keys are forgotten, address keys get
/// their failure back. Call inside the write transaction that acts on the success.
pub fn succeeded(conn: &mut DbConnection, keys: &[Key]) -> Result<(), StorageError> {
    for key in keys {
        match key.on_success {
            OnSuccess::Forget => {
                diesel::delete(signin_throttle::table.find(&key.name)).execute(conn)?;
            }
            OnSuccess::Refund => {
                let now_state = locked_state(conn, &key.name)?;
                store_state(conn, &key.name, &now_state.refunded(&key.limits))?;
            }
        }
    }
    Ok(())
}

/// How many failures `key` has on record.
pub fn failures(conn: &mut DbConnection, key: &Key) -> Result<u32, StorageError> {
    Ok(state(conn, &key.name, false)?.failures)
}

/// Deletes the rows that remember nothing any more at `now`: not blocked, and with no failure
/// within the longest quiet period of any limit (a row holds no record of which limits it
/// had). Such a row reads as a fresh key, so deleting it changes no verdict. Returns how many.
/// A new [`Limits`] with a longer quiet period must join the list below, or its rows would be
/// forgotten early.
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, StorageError> {
    let quiet = [
        throttle::PER_USER,
        throttle::PER_ADDRESS,
        throttle::PER_DEVICE,
        throttle::PER_MFA_SESSION,
    ]
    .iter()
    .map(|l| l.quiet)
    .max()
    .unwrap_or_default();
    let quiet_since = signin_throttle::last_failure_at
        .is_null()
        .or(signin_throttle::last_failure_at.le(now - quiet));
    let unblocked = signin_throttle::blocked_until
        .is_null()
        .or(signin_throttle::blocked_until.le(now));
    let forgettable = signin_throttle::table.filter(quiet_since.and(unblocked));
    Ok(diesel::delete(forgettable).execute(conn)?)
}
