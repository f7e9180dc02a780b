use crate::config::{DatabaseTarget, StoreSettings};
use crate::storage::{StorageError, Store};
use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&StoreSettings {
        data_dir: dir.path().to_path_buf(),
        database: DatabaseTarget::Sqlite(dir.path().join("atomic.db")),
        master_key: None,
        db_pool_size: 4,
    })
    .unwrap();
    store
        .write(|c| {
            c.batch_execute("CREATE TABLE t (name TEXT PRIMARY KEY)")
                .map_err(StorageError::from)
        })
        .unwrap();
    store
}

fn insert(store: &Store, name: &str) -> Result<(), StorageError> {
    store.write(|c| {
        diesel::sql_query(format!("INSERT INTO t (name) VALUES ('{name}')"))
            .execute(c)
            .map(|_| ())
            .map_err(StorageError::from)
    })
}

fn count(store: &Store) -> i64 {
    store
        .query(|c| {
            diesel::sql_query("SELECT COUNT(*) AS n FROM t")
                .get_result::<Count>(c)
                .map_err(StorageError::from)
        })
        .unwrap()
        .n
}

#[test]
fn a_refused_last_step_leaves_nothing_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let result: Result<(), StorageError> = store.atomically(|| {
        insert(&store, "alice")?;
        // Inside the scope, the first write is seen by the next call.
        assert_eq!(count(&store), 1);
        insert(&store, "alice")
    });
    assert!(matches!(result, Err(StorageError::Conflict(_))));
    assert_eq!(count(&store), 0);
}

#[test]
fn every_step_commits_together() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    store
        .atomically(|| {
            insert(&store, "alice")?;
            insert(&store, "bob")?;
            // A step that fails on its own is undone alone (a savepoint), and the scope goes on.
            assert!(insert(&store, "bob").is_err());
            store.atomically(|| insert(&store, "carol"))
        })
        .unwrap();
    assert_eq!(count(&store), 3);
    // The writer connection is usable afterwards, outside any scope.
    insert(&store, "dave").unwrap();
    assert_eq!(count(&store), 4);
    assert!(!super::in_scope());
}

#[test]
fn a_store_call_inside_another_in_a_scope_is_refused_not_deadlocked() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let result: Result<(), StorageError> = store.atomically(|| {
        store.write(|_| insert(&store, "inner"))?;
        Ok(())
    });
    assert!(result.is_err());
    assert_eq!(count(&store), 0);
}
