//! One diesel connection type for both stores, a pool of them, and transactions.
//!
//! [`DbConnection`] is diesel's `MultiConnection` over PostgreSQL and SQLite, so every query is
//! written once. The backend is chosen from the URL scheme by [`Store::open`] (diesel's own
//! `establish` would try both and hide the reason a connection failed).

use super::error::StorageError;
use crate::config::{DatabaseTarget, StoreSettings};
use diesel::connection::{
    AnsiTransactionManager, InstrumentationEvent, SimpleConnection, TransactionManager,
};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use prometheus::{IntCounterVec, Opts};
use secrecy::ExposeSecret;
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod atomic;
pub use atomic::in_scope as in_atomic_scope;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Settings applied to every embedded-store connection, the busy timeout first: the others
/// may need a lock (switching to WAL, or meeting the checkpoint of a connection closing in
/// another process) and must wait for it rather than fail the connection. WAL lets readers run
/// beside the one writer; the busy timeout makes a second writer wait instead of failing at
/// once. Pages are
/// read through a memory map: after any write, every other connection starts its next read
/// with an empty page cache, and reading through `pread` then cost more than the queries
/// (docs/PERFORMANCE.md, token exchange).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA mmap_size = 268435456;";

/// Opens connections for the r2d2 pool, for the backend the URL named.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    url: secrecy::SecretString,
    /// Counts every statement sent on the pool's connections (`keyward_db_queries_total`).
    queries: IntCounterVec,
}

thread_local! {
    /// Set on threads that write in the background (the audit writer), so that the statements
    /// of requests can be told from theirs.
    static BACKGROUND: Cell<bool> = const { Cell::new(false) };
}

thread_local! {
    /// Set while a request runs on an async worker, where waiting for the database would hold
    /// up every other request of that worker.
    static WITHOUT_STORE: Cell<bool> = const { Cell::new(false) };
    /// Set when something asked for the store meanwhile.
    static STORE_WANTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the store refusing every use ([`StorageError::Deferred`]); returns its result
/// and whether it wanted the store. Requests served from caches alone (a role session's
/// GetCallerIdentity, an AssumeRole of a cached role) then finish right where they arrived; the
/// others are run again on the blocking pool, so `f` must leave no trace before it first uses
/// the store (audit events are held back meanwhile, see `AuditQueue`).
pub fn without_store<T>(f: impl FnOnce() -> T) -> (T, bool) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            WITHOUT_STORE.with(|w| w.set(false));
        }
    }
    WITHOUT_STORE.with(|w| w.set(true));
    STORE_WANTED.with(|w| w.set(false));
    let reset = Reset;
    let out = f();
    drop(reset);
    (out, STORE_WANTED.with(|w| w.replace(false)))
}

/// Whether the calling thread runs without the store right now.
pub fn running_without_store() -> bool {
    WITHOUT_STORE.with(Cell::get)
}

/// For other blocking work than the store (a network fetch): refused, and the request run
/// again on the blocking pool, as a store use is, while the thread runs without the store.
pub fn defer_blocking_work() -> Result<(), StorageError> {
    refuse_without_store()
}

fn refuse_without_store() -> Result<(), StorageError> {
    if running_without_store() {
        STORE_WANTED.with(|w| w.set(true));
        return Err(StorageError::Deferred);
    }
    Ok(())
}

/// Marks the calling thread as a background writer for `keyward_db_queries_total`.
pub fn mark_background_thread() {
    BACKGROUND.with(|b| b.set(true));
}

impl Manager {
    fn establish(&self) -> Result<DbConnection, diesel::ConnectionError> {
        let mut conn = match self.backend {
            Backend::Postgres => {
                PgConnection::establish(self.url.expose_secret()).map(DbConnection::Pg)?
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(self.url.expose_secret())?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                DbConnection::Sqlite(conn)
            }
        };
        let request = self.queries.with_label_values(&["request"]);
        let background = self.queries.with_label_values(&["background"]);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                if BACKGROUND.with(Cell::get) {
                    background.inc();
                } else {
                    request.inc();
                }
            }
        });
        Ok(conn)
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// The store: a pool of connections to one database.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    backend: Backend,
    description: String,
    /// On SQLite, writers of this process queue here before `BEGIN IMMEDIATE`: SQLite itself
    /// would make a blocked writer sleep and retry in its busy handler (milliseconds each time),
    /// while a mutex hands over at once. Other processes are still held off by the busy timeout.
    /// The mutex keeps the one connection every write of this process uses: a connection whose
    /// page cache other writers keep invalidating starts each transaction with a cold cache.
    sqlite_writer: Arc<Mutex<Option<PooledConnection>>>,
    /// The PostgreSQL URL, for the connection that listens for other instances' changes.
    postgres_url: Option<secrecy::SecretString>,
    queries: IntCounterVec,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.description)
            .finish()
    }
}

/// Makes a libpq or SQLite message fit on one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Store {
    /// Connects to the database the settings name; the error says which database and why.
    pub fn open(settings: &StoreSettings) -> Result<Self, StorageError> {
        let (backend, url) = match &settings.database {
            DatabaseTarget::Postgres(url) => (Backend::Postgres, url.clone()),
            DatabaseTarget::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| StorageError::Unavailable {
                        database: settings.database.redacted(),
                        reason: e.to_string(),
                    })?;
                }
                (Backend::Sqlite, path.display().to_string().into())
            }
        };
        let description = settings.database.redacted();
        let postgres_url = (backend == Backend::Postgres).then(|| url.clone());
        let queries = IntCounterVec::new(
            Opts::new(
                "keyward_db_queries_total",
                "Statements sent to the database (including BEGIN, COMMIT and pool checks), \
                 by origin: serving requests or writing in the background (audit batches)",
            ),
            &["origin"],
        )
        .map_err(|e| StorageError::Unavailable {
            database: description.clone(),
            reason: e.to_string(),
        })?;
        let manager = Manager {
            backend,
            url,
            queries: queries.clone(),
        };
        // Connect once directly: r2d2 would only report a timeout.
        manager.establish().map_err(|e| StorageError::Unavailable {
            database: description.clone(),
            reason: one_line(&e.to_string()),
        })?;
        let pool = r2d2::Pool::builder()
            .max_size(settings.db_pool_size)
            // A connection to a local file cannot break between uses; checking each one out
            // would cost a statement per request.
            .test_on_check_out(backend == Backend::Postgres)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| StorageError::Unavailable {
                database: description.clone(),
                reason: one_line(&e.to_string()),
            })?;
        Ok(Self {
            pool,
            backend,
            description,
            sqlite_writer: Arc::default(),
            postgres_url,
            queries,
        })
    }

    /// The counter of statements sent to the database, for `/metrics`.
    pub fn query_counter(&self) -> IntCounterVec {
        self.queries.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database, with any password hidden.
    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn connection(&self) -> Result<PooledConnection, StorageError> {
        refuse_without_store()?;
        self.pool.get().map_err(|e| StorageError::Unavailable {
            database: self.description.clone(),
            reason: one_line(&e.to_string()),
        })
    }

    /// Runs `f`, one statement that reads, on a pooled connection without a transaction
    /// around it (a single statement sees one consistent snapshot by itself, and the saved
    /// BEGIN and COMMIT are two round trips to PostgreSQL).
    pub fn query<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        if atomic::in_scope() {
            return atomic::on_ambient(f);
        }
        let mut conn = self.connection()?;
        f(&mut conn)
    }

    /// Runs `f` in one read transaction.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        if atomic::in_scope() {
            return atomic::on_ambient(|conn| conn.transaction(f));
        }
        let mut conn = self.connection()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(f)
    }

    /// Runs `f` in one write transaction: all of it commits or none of it does. On SQLite the
    /// transaction takes the write lock at its start (`BEGIN IMMEDIATE`), so two writers queue
    /// instead of one failing when it upgrades from reading to writing.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        refuse_without_store()?;
        if atomic::in_scope() {
            return atomic::on_ambient(|conn| conn.transaction(f));
        }
        if self.backend == Backend::Postgres {
            let mut conn = self.connection()?;
            return write_transaction(&mut conn, f);
        }
        // The writer lock is taken before the connection, so that writers waiting for it hold
        // no connection that readers (or the current writer) could need.
        let mut writer = self.sqlite_writer.lock().unwrap_or_else(|e| e.into_inner());
        if writer.is_none() {
            *writer = Some(self.connection()?);
        }
        match writer.as_mut() {
            Some(conn) => write_transaction(conn, f),
            None => Err(StorageError::Deferred.into()),
        }
    }

    /// [`Store::write`] for a change that merges into a row it reads first and inserts when
    /// there is none. Two such changes at once on PostgreSQL both find no row, and the later
    /// insert meets the earlier's key when it commits: the later change then runs once more
    /// and sees the committed row. (SQLite runs writers one after the other, so it never
    /// comes to that.)
    pub fn write_again_on_conflict<T>(
        &self,
        f: impl Fn(&mut DbConnection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        match self.write(&f) {
            Err(StorageError::Conflict(_)) => self.write(f),
            done => done,
        }
    }

    /// Calls `on_change` whenever an instance sharing this database announces a change (see
    /// [`super::notify`]); nothing to follow on the embedded store, which serves one process.
    pub fn follow_changes(
        &self,
        on_change: impl Fn() + Send + 'static,
    ) -> std::io::Result<Option<super::notify::Listener>> {
        self.postgres_url
            .clone()
            .map(|url| super::notify::listen(url, on_change))
            .transpose()
    }

    /// Whether the database answers a query.
    pub fn ping(&self) -> Result<(), StorageError> {
        let mut conn = self.connection()?;
        conn.batch_execute("SELECT 1").map_err(StorageError::from)
    }
}

/// A write transaction on an open connection (see [`Store::write`]).
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    // The MultiConnection's transaction manager keeps its state in the inner connection, so a
    // transaction begun on the inner SQLite connection is the one `f` sees (nested
    // `transaction` calls inside `f` become savepoints) and the one committed below.
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            if let Err(commit_error) =
                <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
            {
                let _ =
                    <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
                return Err(commit_error.into());
            }
            Ok(value)
        }
        Err(error) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}
