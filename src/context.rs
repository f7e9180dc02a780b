//! What every service needs: the store, the master key, the clock and randomness. Built once by
//! the composition root and shared; tests build one with a fixed clock and seeded randomness.

use crate::clock::{SharedClock, SharedRandom};
use crate::secrets::MasterKey;
use crate::storage::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct ServiceContext {
    pub store: Store,
    pub master_key: Arc<MasterKey>,
    pub clock: SharedClock,
    pub random: SharedRandom,
}

impl std::fmt::Debug for ServiceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceContext")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
