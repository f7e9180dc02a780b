//! A small, bounded pool of threads for password hashing, so argon2id never runs on the HTTP
//! workers and a flood of sign-ins cannot take the whole machine.
//!
//! - Bounded: at most `threads` hashes run at once and at most `queue` wait; past that a job
//!   is refused at once ([`PoolError::Busy`]) instead of piling up memory and latency.
//! - Polite: the threads run at a lower scheduling priority (nice 10), so under a sign-in
//!   flood the HTTP workers (STS, IAM, the portal's other pages) still get the CPU first; with
//!   nothing else to do the hashes get all of it.

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// How much lower than the server the hashing threads run (Linux nice value). At 10 an HTTP
/// worker gets about nine times a hashing thread's share of a contended core, and sign-ins
/// still get a tenth of the machine while the API keeps every core busy. Lower priorities
/// (nice 19, SCHED_IDLE) were measured too: they did not lower AssumeRole's p99 under a
/// sign-in flood any further (docs/PERFORMANCE.md) and would all but stop sign-ins under API
/// load.
pub const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// Set on the pool's own threads: a job that needs a hash runs it in place rather than
    /// queueing it and waiting for a thread that may be itself.
    static ON_POOL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    #[error("too many password checks are waiting")]
    Busy,
    #[error("the password pool stopped")]
    Stopped,
}

pub struct HashPool {
    sender: Mutex<Option<SyncSender<Job>>>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashPool")
    }
}

fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with PRIO_PROCESS and who = 0 changes only the calling thread's nice
    // value on Linux (threads are scheduled individually); it takes no pointers.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, NICENESS);
    }
}

impl HashPool {
    /// Starts `threads` workers (at least one) with room for `queue` waiting jobs.
    pub fn start(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    lower_priority();
                    ON_POOL.with(|on| on.set(true));
                    loop {
                        let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                })?;
        }
        Ok(Self {
            sender: Mutex::new(Some(tx)),
        })
    }

    /// Queues `f`; its result arrives on the returned channel. Refused at once when the queue
    /// is full.
    pub fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<T>, PoolError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(PoolError::Stopped)?;
        sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => PoolError::Busy,
            TrySendError::Disconnected(_) => PoolError::Stopped,
        })?;
        Ok(result)
    }

    /// Runs `f` on the pool and waits for its result without blocking the async worker.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        self.submit(f)?.await.map_err(|_| PoolError::Stopped)
    }

    /// Runs `f` on the pool and waits for it on the calling thread, which must be allowed to
    /// block (a blocking-pool thread, never an async worker). On one of the pool's own threads
    /// `f` runs right there.
    pub fn wait<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        if ON_POOL.with(std::cell::Cell::get) {
            return Ok(f());
        }
        let (done, result) = std::sync::mpsc::sync_channel(1);
        let receiver = self.submit(move || {
            let _ = done.send(f());
        })?;
        drop(receiver);
        result.recv().map_err(|_| PoolError::Stopped)
    }

    /// Lets the workers finish what is queued and stop.
    pub fn close(&self) {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        actix_web::rt::System::new().block_on(f)
    }

    #[test]
    fn runs_jobs_and_returns_their_results() {
        let pool = HashPool::start(2, 4).unwrap();
        let got = block_on(async { pool.run(|| 6 * 7).await });
        assert_eq!(got, Ok(42));
        assert_eq!(pool.wait(|| 6 * 9), Ok(54));
    }

    #[test]
    fn a_job_that_waits_for_a_hash_runs_it_in_place() {
        // One thread: a job queueing another and waiting for it would wait for itself.
        let pool = Arc::new(HashPool::start(1, 4).unwrap());
        let inner = pool.clone();
        assert_eq!(pool.wait(move || inner.wait(|| 5)), Ok(Ok(5)));
    }

    #[test]
    fn refuses_work_past_the_queue_instead_of_piling_it_up() {
        let pool = HashPool::start(1, 1).unwrap();
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let started = Arc::new(AtomicUsize::new(0));
        let counter = started.clone();
        // One job runs (held on the gate), one waits in the queue, the third is refused.
        let running = pool
            .submit(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = gate.recv();
                1
            })
            .unwrap();
        while started.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let queued = pool.submit(|| 2).unwrap();
        assert_eq!(pool.submit(|| 3).err(), Some(PoolError::Busy));
        release.send(()).unwrap();
        assert_eq!(running.blocking_recv(), Ok(1));
        assert_eq!(queued.blocking_recv(), Ok(2));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn hashing_threads_run_below_the_servers_priority() {
        let pool = HashPool::start(1, 1).unwrap();
        // SAFETY: getpriority(PRIO_PROCESS, 0) reads the calling thread's nice value.
        let nice = pool
            .submit(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })
            .unwrap()
            .blocking_recv()
            .unwrap();
        // SAFETY: as above, for the test's own thread.
        let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        assert!(
            nice >= NICENESS && nice >= own,
            "nice {nice}, server thread {own}"
        );
    }

    #[test]
    fn a_closed_pool_refuses_new_work() {
        let pool = HashPool::start(1, 1).unwrap();
        pool.close();
        assert_eq!(block_on(pool.run(|| ())), Err(PoolError::Stopped));
    }
}
