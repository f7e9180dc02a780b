//! A queue for the audit events of calls that change nothing (reads, denials, failures, STS
//! credentials issued): a writer thread stores them in batches, one statement per batch, so
//! that a busy read path does not pay for one write transaction per call. Changes are never
//! queued: their events are written in the change's own transaction. The queue is bounded by
//! the bytes it holds ([`MAX_QUEUED_BYTES`]); pushing never waits (it runs on the HTTP worker
//! threads, which must not stall behind a slow store), and an event that does not fit is
//! dropped and counted in `keyward_audit_events_dropped_total`. Dropping the queue stores what
//! is left before it returns.

use super::{record_all, row, AuditEvent, RequestMeta};
use crate::clock::SharedRandom;
use crate::storage::models::AuditEventRow;
use crate::storage::Store;
use chrono::NaiveDateTime;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Bytes of events waiting at most (each event counted by its stored text, see
/// [`row_bytes`]). Past it new events are dropped and counted, never waited for. Raising it
/// raises the memory a flood can hold while the store is slow; lowering it drops events
/// sooner in bursts.
pub const MAX_QUEUED_BYTES: usize = 16 << 20;
/// Events stored per statement at most (14 columns each: well within SQLite's and
/// PostgreSQL's limits on bound parameters).
const BATCH: usize = 512;
/// How long the writer waits for more events before storing a batch.
const GATHER: Duration = Duration::from_millis(5);

thread_local! {
    /// Events of an attempt that runs without the store, until it is known to stand.
    static HELD: std::cell::RefCell<Vec<Pending>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Pending {
    at: NaiveDateTime,
    meta: RequestMeta,
    event: AuditEvent,
}

/// What a queued event costs: the bytes of its text columns, plus a fixed share for the row.
pub fn row_bytes(row: &AuditEventRow) -> usize {
    let optional = [
        &row.account_id,
        &row.actor_arn,
        &row.source_ip,
        &row.user_agent,
        &row.request_parameters,
        &row.response_elements,
        &row.error_code,
        &row.error_message,
        &row.request_id,
    ];
    128 + row.id.len()
        + row.event_source.len()
        + row.event_name.len()
        + optional
            .iter()
            .map(|v| v.as_ref().map_or(0, String::len))
            .sum::<usize>()
}

/// The bytes waiting, against [`MAX_QUEUED_BYTES`] (pure; shared by pushers and the writer).
#[derive(Debug, Default)]
pub struct ByteBudget {
    queued: AtomicUsize,
}

impl ByteBudget {
    /// Takes `bytes` from the budget; false (and nothing taken) when they do not fit.
    pub fn take(&self, bytes: usize, max: usize) -> bool {
        self.queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                queued.checked_add(bytes).filter(|total| *total <= max)
            })
            .is_ok()
    }

    /// Gives `bytes` back once stored.
    pub fn give_back(&self, bytes: usize) {
        let _ = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
                Some(q.saturating_sub(bytes))
            });
    }
}

pub struct AuditQueue {
    sender: Mutex<Option<Sender<(AuditEventRow, usize)>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    random: SharedRandom,
    budget: Arc<ByteBudget>,
    dropped: prometheus::IntCounter,
}

impl std::fmt::Debug for AuditQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditQueue")
    }
}

fn write_batches(store: Store, budget: Arc<ByteBudget>, rx: Receiver<(AuditEventRow, usize)>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        // Let events gather for a moment, then take them all at once: the writer wakes once
        // per batch rather than once per event, and stores many events per transaction.
        std::thread::sleep(GATHER);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let count = batch.len();
        let bytes: usize = batch.iter().map(|(_, b)| b).sum();
        let rows = batch.into_iter().map(|(row, _)| row).collect();
        let result = store.write(|conn| record_all(conn, rows));
        budget.give_back(bytes);
        if let Err(e) = result {
            tracing::error!(error = %e, events = count, "cannot store audit events");
        }
    }
}

impl AuditQueue {
    pub fn start(store: Store, random: SharedRandom) -> std::io::Result<Self> {
        let (tx, rx) = channel();
        let budget = Arc::new(ByteBudget::default());
        let for_writer = budget.clone();
        let writer = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                crate::storage::connection::mark_background_thread();
                write_batches(store, for_writer, rx)
            })?;
        let dropped = prometheus::IntCounter::new(
            "keyward_audit_events_dropped_total",
            "Audit events dropped because the audit queue was full",
        )
        .map_err(std::io::Error::other)?;
        Ok(Self {
            sender: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            random,
            budget,
            dropped,
        })
    }

    /// The count of events dropped because the queue was full, for `/metrics`.
    pub fn dropped_counter(&self) -> prometheus::IntCounter {
        self.dropped.clone()
    }

    /// Queues one event, or drops and counts it when the queue is full. While the calling thread runs without
    /// the store, the event is held back until [`AuditQueue::release_held`] (the attempt
    /// stands) or [`AuditQueue::drop_held`] (it is run again, and records its events again).
    pub fn push(&self, at: NaiveDateTime, meta: &RequestMeta, event: AuditEvent) {
        if crate::storage::connection::running_without_store() {
            HELD.with(|held| {
                held.borrow_mut().push(Pending {
                    at,
                    meta: meta.clone(),
                    event,
                })
            });
            return;
        }
        self.send(Pending {
            at,
            meta: meta.clone(),
            event,
        });
    }

    /// Queues the events held back on this thread.
    pub fn release_held(&self) {
        for pending in HELD.with(|held| std::mem::take(&mut *held.borrow_mut())) {
            self.send(pending);
        }
    }

    /// Forgets the events held back on this thread.
    pub fn drop_held(&self) {
        HELD.with(|held| held.borrow_mut().clear());
    }

    fn send(&self, pending: Pending) {
        let row = row(
            pending.at,
            self.random.as_ref(),
            &pending.meta,
            pending.event,
        );
        let bytes = row_bytes(&row);
        if !self.budget.take(bytes, MAX_QUEUED_BYTES) {
            self.dropped.inc();
            // One line per thousand drops: a flood must not flood the log instead.
            if self.dropped.get() % 1000 == 1 {
                tracing::warn!(
                    dropped = self.dropped.get(),
                    "audit queue full; events dropped"
                );
            }
            return;
        }
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let sent = sender.is_some_and(|tx| tx.send((row, bytes)).is_ok());
        if !sent {
            self.budget.give_back(bytes);
            tracing::error!("audit queue is closed; event not stored");
        }
    }

    /// Stores everything queued so far and stops the writer.
    pub fn close(&self) {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = writer.join();
        }
    }
}

impl Drop for AuditQueue {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_budget_refuses_what_does_not_fit_and_frees_what_was_stored() {
        let budget = ByteBudget::default();
        assert!(budget.take(600, 1000));
        assert!(budget.take(400, 1000), "up to the limit itself");
        assert!(!budget.take(1, 1000), "a full budget refuses");
        budget.give_back(600);
        assert!(!budget.take(601, 1000));
        assert!(budget.take(600, 1000));
        budget.give_back(usize::MAX);
        assert!(budget.take(1000, 1000), "giving back too much never wraps");
        assert!(!budget.take(usize::MAX, usize::MAX), "no overflow");
    }
}
