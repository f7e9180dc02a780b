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
                                    email: None,
                                    email_verified: false,
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

/// Two consents of one user to one client at the same moment (two browser tabs) on PostgreSQL:
/// both find no consent, and the later insert meets the earlier's key once it commits. The
/// later one must add its scopes, not fail (it used to answer 500).
#[test]
fn concurrent_consents_to_one_client_add_up_on_postgres() {
    use keyward::oidc::grants;
    let db = TestDb::new(crate::harness::Backend::Postgres);
    let store = Store::open(&db.store_settings()).unwrap();
    migrations::run_pending(&mut store.connection().unwrap()).unwrap();
    let mut first = store.connection().unwrap();
    for statement in [
        "INSERT INTO accounts (id, created_at) VALUES ('111122223333', now())",
        "INSERT INTO oidc_clients (client_id, account_id, name, auth_method, redirect_uris, \
         post_logout_redirect_uris, grant_types, scopes, signing_alg, access_token_lifetime, \
         id_token_lifetime, refresh_token_lifetime, consent_required, created_at) VALUES \
         ('app', '111122223333', 'app', 'none', '[]', '[]', '[]', '[]', 'ES256', 300, 300, \
         300, true, now())",
    ] {
        diesel::sql_query(statement).execute(&mut first).unwrap();
    }
    let now = Utc::now().naive_utc();
    let scopes = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();

    // The first consent is written and held uncommitted while the second runs into it.
    diesel::sql_query("BEGIN").execute(&mut first).unwrap();
    grants::consent(
        &mut first,
        "alice",
        "app",
        "111122223333",
        &scopes(&["openid"]),
        now,
    )
    .unwrap();
    let second = std::thread::spawn({
        let store = store.clone();
        move || {
            store.write_again_on_conflict(|conn| {
                grants::consent(
                    conn,
                    "alice",
                    "app",
                    "111122223333",
                    &scopes(&["email"]),
                    now,
                )
            })
        }
    });
    // Commit once the second writer waits on the first's row lock.
    let mut watcher = store.connection().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen_waiting = false;
    while !seen_waiting {
        #[derive(QueryableByName)]
        struct Waiting {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let waiting: Waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result(&mut watcher)
        .unwrap();
        seen_waiting = waiting.n > 0;
        assert!(
            seen_waiting || std::time::Instant::now() < deadline,
            "the second consent never waited on the first: the race was not staged"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    diesel::sql_query("COMMIT").execute(&mut first).unwrap();

    let outcome = second.join().unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    let stored = grants::consented(&mut watcher, "alice", "app").unwrap();
    assert_eq!(stored, Some(scopes(&["openid", "email"])));
}

/// The embedded store's SQLite is built as `.cargo/config.toml` says: with the query planner
/// stability guarantee (without it, every `.first()` query, whose `LIMIT` diesel binds as a
/// parameter, is compiled again at each execution) and without memory statistics (a
/// process-wide mutex on every allocation). Both were measured on the token endpoint.
#[test]
fn embedded_sqlite_is_built_with_stable_plans_and_no_memory_statistics() {
    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }
    let db = TestDb::new(crate::harness::Backend::Sqlite);
    let store = Store::open(&db.store_settings()).unwrap();
    let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
        .load::<CompileOption>(&mut store.connection().unwrap())
        .unwrap()
        .into_iter()
        .map(|o| o.compile_options)
        .collect();
    for wanted in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
        assert!(
            options.iter().any(|o| o == wanted),
            "{wanted} in {options:?}"
        );
    }
}
