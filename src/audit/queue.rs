//! A queue for the audit events of calls that change nothing (reads, denials, failures, STS
//! credentials issued): a writer thread stores them in batches, one statement per batch, so
//! that a busy read path does not pay for one write transaction per call. Changes are never queued: their events are
//! written in the change's own transaction. Pushing blocks when the queue is full (nothing is
//! dropped); dropping the queue stores what is left before it returns.

use super::{record_all, row, AuditEvent, RequestMeta};
use crate::clock::SharedRandom;
use crate::storage::Store;
use chrono::NaiveDateTime;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

/// Events waiting at most; past it, callers wait for the writer.
const CAPACITY: usize = 10_000;
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

pub struct AuditQueue {
    sender: Mutex<Option<SyncSender<Pending>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for AuditQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditQueue")
    }
}

fn write_batches(store: Store, random: SharedRandom, rx: Receiver<Pending>) {
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
        let rows = batch
            .into_iter()
            .map(|p| row(p.at, random.as_ref(), &p.meta, p.event))
            .collect();
        let result = store.write(|conn| record_all(conn, rows));
        if let Err(e) = result {
            tracing::error!(error = %e, events = count, "cannot store audit events");
        }
    }
}

impl AuditQueue {
    pub fn start(store: Store, random: SharedRandom) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(CAPACITY);
        let writer = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                crate::storage::connection::mark_background_thread();
                write_batches(store, random, rx)
            })?;
        Ok(Self {
            sender: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Queues one event; waits when the queue is full. While the calling thread runs without
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
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let sent = sender.is_some_and(|tx| tx.send(pending).is_ok());
        if !sent {
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
