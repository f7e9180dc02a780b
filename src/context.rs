//! What every service needs: the store, the master key, the clock and randomness. Built once by
//! the composition root and shared; tests build one with a fixed clock and seeded randomness.

use crate::auth::hash_pool::HashPool;
use crate::clock::{SharedClock, SharedRandom};
use crate::config::limits::Limits;
use crate::config::web_identity::WebIdentitySettings;
use crate::credentials::TokenSealer;
use crate::secrets::MasterKey;
use crate::storage::{notify, Store};
use crate::storage::{DbConnection, StorageError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct ServiceContext {
    pub store: Store,
    pub master_key: Arc<MasterKey>,
    pub clock: SharedClock,
    pub random: SharedRandom,
    pub limits: Arc<Limits>,
    /// How external OpenID Connect providers are trusted (`AssumeRoleWithWebIdentity`).
    pub web_identity: Arc<WebIdentitySettings>,
    /// Bumped after every committed IAM change, here or (announced through the database) on
    /// another instance; cached keys and policies older than it are reloaded.
    pub iam_epoch: Arc<AtomicU64>,
    /// Seals and opens the session tokens of temporary credentials.
    pub sessions: Arc<TokenSealer>,
    /// The bounded, low-priority threads every argon2id hash and check runs on (sign-ins and
    /// the API's password operations alike), so that password work cannot take the machine.
    pub hashing: Arc<HashPool>,
}

impl ServiceContext {
    /// Runs one IAM change in a write transaction and, once it has committed, invalidates the
    /// policies cached by `authz` (bumping the epoch only after the commit means no reader can
    /// cache the old state under the new epoch).
    pub fn change<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        let result = self.store.write(|conn| {
            let value = f(conn)?;
            notify::announce_change(conn)?;
            Ok(value)
        });
        if result.is_ok() {
            self.invalidate();
        }
        result
    }

    /// Runs `f`, and every IAM change it makes, as one transaction (see
    /// [`crate::storage::Store::atomically`]); the caches are dropped once it has ended,
    /// committed or not, since what was read inside it may never have been committed.
    pub fn atomically<T, E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError> + From<diesel::result::Error>,
    {
        let result = self.store.atomically(f);
        self.invalidate();
        result
    }

    /// Drops everything cached from the IAM model (after a change here or on another
    /// instance).
    pub fn invalidate(&self) {
        self.iam_epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The current IAM epoch (see [`ServiceContext::change`]).
    pub fn epoch(&self) -> u64 {
        self.iam_epoch.load(Ordering::Acquire)
    }
}

impl std::fmt::Debug for ServiceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceContext")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
