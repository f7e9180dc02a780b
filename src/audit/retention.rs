//! How long the audit trail keeps events: those older than the retention period
//! (`audit_retention_days`) are deleted by a sweep that runs at start and then every
//! [`SWEEP_EVERY`]. Without it the trail only ever grows.

use crate::clock::SharedClock;
use crate::storage::schema::audit_events;
use crate::storage::{DbConnection, StorageError, Store};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// How often the sweep runs. Events live at most this much longer than the retention period.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes the events older than `days` days before `now`; returns how many.
pub fn sweep(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    days: u32,
) -> Result<usize, StorageError> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    Ok(
        diesel::delete(audit_events::table.filter(audit_events::event_time.lt(cutoff)))
            .execute(conn)?,
    )
}

/// Starts the background sweep; `days` 0 keeps events for ever (no sweep).
pub fn start(store: Store, clock: SharedClock, days: u32) -> std::io::Result<()> {
    if days == 0 {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("audit-retention".into())
        .spawn(move || {
            crate::storage::connection::mark_background_thread();
            loop {
                match store.write(|conn| sweep(conn, clock.now_naive(), days)) {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, days, "deleted expired audit events"),
                    Err(e) => tracing::error!(error = %e, "cannot delete expired audit events"),
                }
                std::thread::sleep(SWEEP_EVERY);
            }
        })?;
    Ok(())
}
