//! Change notices between Keyward instances sharing one PostgreSQL database.
//!
//! Every committed IAM change sends `NOTIFY keyward_iam` inside its transaction (PostgreSQL
//! delivers it at commit, and drops it on rollback). Each instance keeps one connection that
//! `LISTEN`s on the channel and, for every notice, invalidates what it caches (access keys,
//! policies). The embedded SQLite store serves one process, which needs no notices.

use super::connection::DbConnection;
use super::error::StorageError;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;
use secrecy::{ExposeSecret, SecretString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The channel IAM changes are announced on.
pub const IAM_CHANNEL: &str = "keyward_iam";

/// How often the listener looks for notices: the longest another instance goes on using a
/// credential or policy after a change has committed (plus delivery).
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often the listener checks that its connection still answers.
const PING_INTERVAL: Duration = Duration::from_secs(10);

/// How long the listener waits before reconnecting after its connection failed.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Announces a change to the other instances; call inside the change's transaction.
pub fn announce_change(conn: &mut DbConnection) -> Result<(), StorageError> {
    match conn {
        DbConnection::Pg(pg) => pg
            .batch_execute(&format!("NOTIFY {IAM_CHANNEL}"))
            .map_err(StorageError::from),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Stops the listener thread when dropped.
#[derive(Debug)]
pub struct Listener {
    stop: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

/// Starts a thread that calls `on_change` for every change another instance (or this one)
/// announces, and once after each (re)connection, since notices sent while it was away are
/// lost.
pub fn listen(
    url: SecretString,
    on_change: impl Fn() + Send + 'static,
) -> std::io::Result<Listener> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("keyward-notices".to_string())
        .spawn(move || {
            while !stopped.load(Ordering::Acquire) {
                match PgConnection::establish(url.expose_secret()) {
                    Ok(mut conn) => {
                        if let Err(e) = follow(&mut conn, &on_change, &stopped) {
                            tracing::warn!(error = %e, "change notices interrupted; reconnecting");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot connect for change notices");
                    }
                }
                if !stopped.load(Ordering::Acquire) {
                    std::thread::sleep(RECONNECT_DELAY);
                }
            }
        })?;
    Ok(Listener { stop })
}

/// Listens on one connection until it fails or `stop` is set.
fn follow(
    conn: &mut PgConnection,
    on_change: &impl Fn(),
    stop: &AtomicBool,
) -> Result<(), diesel::result::Error> {
    conn.batch_execute(&format!("LISTEN {IAM_CHANNEL}"))?;
    on_change();
    let mut last_ping = Instant::now();
    while !stop.load(Ordering::Acquire) {
        let mut changed = false;
        for notice in conn.notifications_iter() {
            notice?;
            changed = true;
        }
        if changed {
            on_change();
        }
        if last_ping.elapsed() >= PING_INTERVAL {
            conn.batch_execute("SELECT 1")?;
            last_ping = Instant::now();
        }
        std::thread::sleep(POLL_INTERVAL);
    }
    Ok(())
}
