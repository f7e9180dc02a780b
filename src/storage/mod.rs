//! Storage: the diesel schema, row models, the connection pool over PostgreSQL or the embedded
//! SQLite store, migrations, AWS-shaped ids, and the mapping of database errors.

pub mod connection;
pub mod error;
pub mod ids;
pub mod locks;
pub mod migrations;
pub mod models;
pub mod notify;
#[rustfmt::skip]
pub mod schema;
pub mod sql;
pub mod throttle;

pub use connection::{write_transaction, Backend, DbConnection, Store};
pub use error::{first_insert, StorageError};
pub use locks::lock_account;
