//! The store on both backends: migrations and uniqueness under concurrency.

use crate::harness::{TestDb, BACKENDS};
use chrono::Utc;
use diesel::prelude::*;
use keyward::storage::models::{Account, User};
use keyward::storage::schema::{accounts, users};
use keyward::storage::{migrations, StorageError, Store};
use std::sync::{Arc, Barrier};

#[test]
fn migrations_run_up_down_and_up_again() {
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let store = Store::open(&db.store_settings()).unwrap();
        let mut conn = store.connection().unwrap();
        let applied = migrations::run_pending(&mut conn).unwrap();
        assert!(!applied.is_empty());
        assert!(migrations::pending(&mut conn).unwrap().is_empty());
        let reverted = migrations::revert_all(&mut conn).unwrap();
        assert_eq!(reverted.len(), applied.len(), "{backend:?}");
        assert!(
            users::table.count().get_result::<i64>(&mut conn).is_err(),
            "tables are gone after reverting"
        );
        assert_eq!(migrations::run_pending(&mut conn).unwrap(), applied);
        assert_eq!(
            users::table.count().get_result::<i64>(&mut conn).unwrap(),
            0
        );
    }
}

#[test]
fn concurrent_creates_of_one_name_leave_exactly_one_row() {
    const WRITERS: usize = 8;
    for backend in BACKENDS {
        let db = TestDb::new(backend);
        let store = Store::open(&db.store_settings()).unwrap();
        migrations::run_pending(&mut store.connection().unwrap()).unwrap();
        let now = Utc::now().naive_utc();
        store
            .write(|conn| {
                diesel::insert_into(accounts::table)
                    .values(&Account {
                        id: "111122223333".into(),
                        alias: None,
                        created_at: now,
                    })
                    .execute(conn)
                    .map_err(StorageError::from)
            })
            .unwrap();
        let barrier = Arc::new(Barrier::new(WRITERS));
        let names = ["alice", "Alice", "ALICE", "aLiCe"];
        let results: Vec<Result<usize, StorageError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..WRITERS)
                .map(|i| {
                    let store = store.clone();
                    let barrier = barrier.clone();
                    let name = names[i % names.len()].to_string();
                    s.spawn(move || {
                        barrier.wait();
                        store.write(|conn| {
                            diesel::insert_into(users::table)
                                .values(&User {
                                    id: format!("AIDAUSER{i:013}"),
                                    account_id: "111122223333".into(),
                                    name,
                                    path: "/".into(),
                                    permissions_boundary_id: None,
                                    password_last_used_at: None,
                                    created_at: now,
                                })
                                .execute(conn)
                                .map_err(StorageError::from)
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "{backend:?}: {results:?}");
        assert!(
            results
                .iter()
                .filter(|r| r.is_err())
                .all(|r| matches!(r, Err(e) if e.is_conflict())),
            "{backend:?}: every loser sees a conflict: {results:?}"
        );
        let rows: i64 = users::table
            .count()
            .get_result(&mut store.connection().unwrap())
            .unwrap();
        assert_eq!(rows, 1);
    }
}

#[test]
fn work_run_without_the_store_is_refused_and_reported() {
    use keyward::storage::connection::without_store;
    let db = TestDb::new(crate::harness::Backend::Sqlite);
    let store = Store::open(&db.store_settings()).unwrap();
    let (read, wanted) = without_store(|| store.ping());
    assert!(matches!(read, Err(StorageError::Deferred)) && wanted);
    let (write, wanted) = without_store(|| store.write(|_| Ok::<(), StorageError>(())));
    assert!(matches!(write, Err(StorageError::Deferred)) && wanted);
    let (value, wanted) = without_store(|| 42);
    assert_eq!(
        (value, wanted),
        (42, false),
        "work that needs no store is not flagged"
    );
    store.ping().expect("outside, the store serves again");
}
