//! The sweep of expired state: OpenID Connect codes, refresh tokens, revocations, client
//! assertion ids, grants past their end and client secrets whose grace period has ended, web
//! identity tokens' ids past their token's end; console sessions that ended (idle or past their
//! absolute lifetime) without a sign-out, and sign-ins that waited for a role in vain; WebAuthn ceremonies never answered; and sign-in
//! throttle rows that remember nothing any more.
//!
//! Every reader already treats such rows as gone (they are checked against `now` when read),
//! so the sweep changes no answer: it only keeps the tables from growing with every abandoned
//! sign-in, guessed user name or unused code. One background thread started by the server
//! runs it every [`SWEEP_EVERY`], each kind of row in a short transaction of its own.

use crate::oidc::{clients, grants};
use crate::portal::Portal;
use crate::signin::{pending, sessions, webauthn};
use crate::storage::{throttle, StorageError};
use chrono::NaiveDateTime;

/// How often the sweep runs. Expired rows stay at most this much longer than their end;
/// longer means larger tables (and more rows per sweep), shorter means more write
/// transactions on an idle server. No answer depends on it.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The rows one sweep deleted, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub oidc: usize,
    pub sessions: usize,
    pub ceremonies: usize,
    pub throttle: usize,
}

/// Deletes everything that expired by `now`.
pub fn sweep_all(portal: &Portal, now: NaiveDateTime) -> Result<Swept, StorageError> {
    let store = &portal.ctx.store;
    let idle = portal.lifetimes.idle;
    Ok(Swept {
        oidc: store.write(|conn| {
            Ok::<_, StorageError>(
                grants::sweep(conn, now)?
                    + clients::sweep(conn, now)?
                    + crate::sts::web_identity::sweep(conn, now)?,
            )
        })?,
        sessions: store.write(|conn| {
            Ok::<_, StorageError>(sessions::sweep(conn, now, idle)? + pending::sweep(conn, now)?)
        })?,
        ceremonies: store.write(|conn| webauthn::sweep(conn, now))?,
        throttle: store.write(|conn| throttle::sweep(conn, now))?,
    })
}

/// Starts the background thread that sweeps every [`SWEEP_EVERY`], the first time one period
/// after the start.
pub fn start(portal: actix_web::web::Data<Portal>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("expiry-sweep".into())
        .spawn(move || {
            crate::storage::connection::mark_background_thread();
            loop {
                std::thread::sleep(SWEEP_EVERY);
                let now = portal.ctx.clock.now_naive();
                match sweep_all(&portal, now) {
                    Ok(swept) => tracing::debug!(
                        oidc = swept.oidc,
                        sessions = swept.sessions,
                        ceremonies = swept.ceremonies,
                        throttle = swept.throttle,
                        "swept expired rows"
                    ),
                    Err(e) => tracing::error!(error = %e, "cannot sweep expired rows"),
                }
            }
        })?;
    Ok(())
}
